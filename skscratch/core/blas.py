"""Which BLAS threads training runs on.

numpy and scipy each ship an OpenBLAS with a pool of threads of its own.
Training's matrix products run on numpy's; the only scipy code on a training
path is L-BFGS-B's vector algebra. Two rules, both measured on two cores:

* scipy's pool is held to one thread while L-BFGS runs
  (:func:`scipy_blas_single_threaded`): pools used in turn spin against each
  other, and scipy's vector operations gain nothing from threads;
* numpy's pool is held to one thread for mini-batches whose products are
  small (:func:`numpy_blas_threads_for`): a threaded product waits for every
  thread of the pool at its end, and when another process holds a core that
  wait lasts a scheduler time slice, far longer than a small product itself
  (a 300-row fit of a (64, 64) network took 6x longer at the default threads
  than on one thread beside another busy process; idle, threads gained it
  nothing). Large products keep the default threads, which pay on an idle
  machine.

The limits go through threadpoolctl, which lets one Python thread only (the
first to set a limit) change an OpenBLAS pool of pthreads; a fit running in
another thread trains at whatever the pool has. So fits overlapping in several
threads cannot leave a pool at one thread behind them.
"""

import contextlib
import functools
import os

import numpy as np
import scipy
from threadpoolctl import ThreadpoolController

#: Multiply-adds of one batch's forward pass below which numpy's BLAS runs on
#: one thread during training.
SMALL_BATCH_WORK = 4_000_000


@functools.cache
def _controller():
    return ThreadpoolController()


def _blas_of(module):
    """threadpoolctl's handle on the BLAS shipped inside ``module``'s wheel.

    Wheels put the library beside the package (``numpy.libs``, ``scipy.libs``)
    or in the package's own ``.dylibs``. Where numpy and scipy share one BLAS
    (conda builds, for instance) neither selection finds it, and limiting the
    empty selection does nothing.
    """
    package = os.path.dirname(module.__file__)
    roots = [os.path.realpath(p) for p in (package, package + ".libs")]
    controller = _controller()
    own = [
        lib.filepath
        for lib in controller.lib_controllers
        if lib.user_api == "blas"
        and any(os.path.realpath(lib.filepath).startswith(root + os.sep) for root in roots)
    ]
    return controller.select(filepath=own)


@functools.cache
def scipy_blas():
    """The BLAS that scipy ships, as a threadpoolctl selection (maybe empty)."""
    return _blas_of(scipy)


@functools.cache
def numpy_blas():
    """The BLAS that numpy ships, as a threadpoolctl selection (maybe empty)."""
    return _blas_of(np)


def _one_thread(selection):
    if not selection.lib_controllers:
        return contextlib.nullcontext()
    return selection.limit(limits=1)


def scipy_blas_single_threaded():
    """A context in which scipy's own BLAS runs on one thread."""
    return _one_thread(scipy_blas())


def numpy_blas_threads_for(batch_work):
    """A context for training on batches of ``batch_work`` forward multiply-adds.

    One thread for numpy's BLAS below :data:`SMALL_BATCH_WORK`, the default
    threads otherwise.
    """
    if batch_work >= SMALL_BATCH_WORK:
        return contextlib.nullcontext()
    return _one_thread(numpy_blas())
