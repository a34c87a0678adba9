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

A pool's thread count is one setting for the whole process, and OpenBLAS
rounds some products differently at different counts (those it cuts along a
long inner dimension: a gradient over a batch of a few hundred rows, a full
batch of thousands), so a fit's numbers depend on the count its products run
at. For the same model whichever Python thread fits it, fits share each pool
through a :class:`SharedPool`, held either on one thread or at the process's
count: fits wanting the same run at once, a fit wanting the other waits until
they are done, and fits arriving after it wait for it, so that neither kind
starves. The counts are set on threadpoolctl's library controllers directly
rather than through its limit contexts, which threadpoolctl 3.8 applies in one
Python thread only (the first to set a limit) and silently skips in others.
Prediction takes no part: it runs at whatever count the pool has, so while a
small-batch fit trains in another thread a prediction can differ from one made
alone in its last bits.
"""

import contextlib
import functools
import os
import threading

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


class SharedPool:
    """One BLAS pool, shared by the fits of every Python thread.

    A fit holds the pool for its whole training, either on one thread or at
    the count the process had before (see the module's notes). A fit nested
    in another in the same thread (a callback that fits a model) keeps the
    outer fit's state, since waiting for the outer fit would never end.

    Parameters
    ----------
    selection : threadpoolctl.ThreadpoolController
        The pool's libraries (from :func:`numpy_blas` or :func:`scipy_blas`);
        with none, holding it does nothing.
    """

    def __init__(self, selection):
        self.selection = selection
        self._reset()

    def _reset(self):
        self._changed = threading.Condition()
        self._local = threading.local()  # .depth: this thread's holds
        self._holders = 0
        self._one_thread = None  # the state held, while ``_holders > 0``
        self._next = None  # the state a waiting fit needs; others queue behind it
        self._saved = None  # the counts to restore after a one-thread state

    @contextlib.contextmanager
    def hold(self, one_thread):
        """A context in which the pool runs on one thread, or at the process's count."""
        depth = getattr(self._local, "depth", 0)
        if depth == 0 and self.selection.lib_controllers:
            self._enter(one_thread)
        self._local.depth = depth + 1
        try:
            yield
        finally:
            self._local.depth = depth
            if depth == 0 and self.selection.lib_controllers:
                self._leave()

    def _may_enter(self, one_thread):
        if self._holders == 0:
            return self._next in (None, one_thread)
        return self._one_thread == one_thread and self._next is None

    def _enter(self, one_thread):
        with self._changed:
            try:
                while not self._may_enter(one_thread):
                    if self._next is None:
                        self._next = one_thread
                    self._changed.wait()
            except BaseException:  # Ctrl-C while waiting: others must not wait for us
                if self._next == one_thread:
                    self._next = None  # any other fit waiting for it queues again
                    self._changed.notify_all()
                raise
            if self._next == one_thread:
                self._next = None
            if self._holders == 0:
                self._one_thread = one_thread
                if one_thread:
                    libraries = self.selection.lib_controllers
                    self._saved = [lib.get_num_threads() for lib in libraries]
                    self._set([1] * len(libraries))
            self._holders += 1

    def _leave(self):
        with self._changed:
            self._holders -= 1
            if self._holders == 0:
                self._restore()
                self._changed.notify_all()

    def _restore(self):
        """Give the pool back the counts it had before a one-thread state."""
        if self._saved is not None:
            self._set(self._saved)
            self._saved = None

    def _set(self, counts):
        for lib, count in zip(self.selection.lib_controllers, counts):
            # threadpoolctl 3.8 lets only the Python thread that first set an
            # OpenBLAS limit change it; a fit may run in any thread, and leaves
            # no thread in control.
            release = getattr(type(lib), "clear_controlling_thread", None)
            if release is not None:
                release(force=True)
            lib.set_num_threads(count)
            if release is not None:
                release(force=True)

    def after_fork(self):
        """In a forked child: the parent's holders are not there; their state goes."""
        self._restore()
        self._reset()


@functools.cache
def _shared(which):
    pool = SharedPool(numpy_blas() if which == "numpy" else scipy_blas())
    os.register_at_fork(after_in_child=pool.after_fork)
    return pool


def scipy_blas_single_threaded():
    """A context in which scipy's own BLAS runs on one thread."""
    return _shared("scipy").hold(one_thread=True)


def numpy_blas_default_threads():
    """A context in which numpy's BLAS runs at the process's count of threads."""
    return _shared("numpy").hold(one_thread=False)


def numpy_blas_threads_for(batch_work):
    """A context for training on batches of ``batch_work`` forward multiply-adds.

    One thread for numpy's BLAS below :data:`SMALL_BATCH_WORK`, the default
    threads otherwise.
    """
    return _shared("numpy").hold(one_thread=batch_work < SMALL_BATCH_WORK)
