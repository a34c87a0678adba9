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
  machine. The work counted is the dense layers' products (an embedding's
  tables are looked up, not multiplied). Where the network also has layers
  whose per-row work runs on one thread whatever BLAS does (dropout's masks, a
  periodic embedding's cosines), the products must be 4 times larger before
  threads pay: on two idle cores, 20,000 rows of 200 columns in batches of 256
  through (128, 128) with dropout took the same wall time on two threads as on
  one, at twice the CPU time, and the Tabular recipe's fits of four tables
  likewise (0.67 to 1.41 s of wall time either way); through (256, 256) two
  threads still took 0.55 s against 0.71.

A pool's thread count is one setting for the whole process, and OpenBLAS
rounds some products differently at different counts (those it cuts along a
long inner dimension: a gradient over a batch of a few hundred rows, a full
batch of thousands), so a fit's numbers depend on the count its products run
at. For the same model whichever Python thread fits it, fits take turns with
each pool through a :class:`SharedPool`, in the order they ask: fits on one
thread run together, a fit at the process's count runs alone (two of them
would each start that many threads on the same cores; where the count is 1
they are one-thread fits). The counts are set on threadpoolctl's library
controllers directly rather than through its limit contexts, which
threadpoolctl 3.8 applies in one Python thread only (the first to set a
limit) and silently skips in others. Prediction takes no part: it runs at
whatever count the pool has, so while a small-batch fit trains in another
thread a prediction can differ from one made alone in its last bits.
"""

import collections
import contextlib
import functools
import os
import threading

import numpy as np
import scipy
from threadpoolctl import ThreadpoolController

#: Multiply-adds of one batch's forward products below which numpy's BLAS runs
#: on one thread during training.
SMALL_BATCH_WORK = 4_000_000
#: The same for a network with layers whose work does not thread (dropout, a
#: periodic embedding).
SERIAL_LAYERS_BATCH_WORK = 16_000_000


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

    A fit holds the pool for its whole training, on one thread or at the
    count the process had before (see the module's notes). Fits are served
    in the order they ask: one-thread fits next to each other in that order
    hold the pool together, a fit at the process's count holds it alone. A
    fit nested in another in the same thread (a callback that fits a model)
    keeps the outer fit's state, since waiting for the outer fit would never
    end.

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
        self._queue = collections.deque()  # (ticket, one_thread) of waiting fits
        self._holders = 0
        self._one_thread = None  # the state held, while ``_holders > 0``
        self._default = None  # the process's counts, while ``_holders > 0``

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

    def _counts(self):
        return [lib.get_num_threads() for lib in self.selection.lib_controllers]

    def _enter(self, one_thread):
        with self._changed:
            default = self._default if self._holders else self._counts()
            one_thread = one_thread or all(count == 1 for count in default)
            ticket = object()
            self._queue.append((ticket, one_thread))
            try:
                while not self._may_enter(ticket, one_thread):
                    self._changed.wait()
            except BaseException:  # Ctrl-C while waiting: out of the queue
                self._queue.remove((ticket, one_thread))
                self._changed.notify_all()
                raise
            self._queue.popleft()
            if self._holders == 0:
                self._one_thread, self._default = one_thread, self._counts()
                if one_thread:
                    self._set([1] * len(self._default))
            self._holders += 1
            self._changed.notify_all()  # the next one-thread fit may join

    def _may_enter(self, ticket, one_thread):
        if self._queue[0][0] is not ticket:
            return False
        return self._holders == 0 or (one_thread and self._one_thread)

    def _leave(self):
        with self._changed:
            self._holders -= 1
            if self._holders == 0:
                self._restore()
                self._changed.notify_all()

    def _restore(self):
        """Give the pool back the counts it had before a one-thread state."""
        if self._one_thread and self._default is not None:
            self._set(self._default)
        self._one_thread = self._default = None

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
        if self._holders:
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


def numpy_blas_threads_for(batch_work, serial_layers=False):
    """A context for training on batches of ``batch_work`` forward multiply-adds.

    One thread for numpy's BLAS below :data:`SMALL_BATCH_WORK` (below
    :data:`SERIAL_LAYERS_BATCH_WORK` where ``serial_layers``: the network
    has layers whose work does not thread), the default threads otherwise.
    """
    limit = SERIAL_LAYERS_BATCH_WORK if serial_layers else SMALL_BATCH_WORK
    return _shared("numpy").hold(one_thread=batch_work < limit)
