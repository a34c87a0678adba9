"""Training and prediction reach one BLAS only: numpy's; fits in any Python
thread hold its threads as core.blas says.

numpy and scipy each ship their own OpenBLAS, each with its own thread pool.
Calling scipy's BLAS between numpy's matrix products makes the two pools'
threads spin against each other: on two cores a default-thread fit on
60,000 x 784 ran 10-13x slower than scikit-learn's. Timing that in a test
would be flaky, so this guard checks the cause instead: it replaces every
routine of scipy's BLAS and LAPACK wrappers by a recorder *before* skscratch
is imported (in a fresh interpreter, so that nothing imported earlier keeps
a reference to the real routines), then fits and predicts with every
stochastic solver, and expects no call to have been recorded.
"""

import json
import subprocess
import sys
import threading
import time

import pytest

SCRIPT = r"""
import json
import warnings

import scipy.linalg._fblas as fblas
import scipy.linalg._flapack as flapack

calls = []


def recorder(name, routine):
    def record(*args, **kwargs):
        calls.append(name)
        return routine(*args, **kwargs)

    return record


for module in (fblas, flapack):
    for name in dir(module):
        routine = getattr(module, name)
        if type(routine).__name__ == "fortran":
            setattr(module, name, recorder(name, routine))

# The recorder sees a routine reached the way scipy hands them out.
from scipy.linalg.blas import get_blas_funcs
import numpy as np

get_blas_funcs("axpy", (np.ones(2),))(np.ones(2), np.ones(2), a=1.0)
control = list(calls)
calls.clear()

from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor

warnings.simplefilter("ignore", ConvergenceWarning)
X, y = make_classification(n_samples=300, n_features=20, n_classes=3,
                           n_informative=6, random_state=0)
seen = {}
for dtype in (np.float64, np.float32):
    Xd = X.astype(dtype)
    for solver in ("sgd", "adam", "adamw", "rmsprop"):
        common = dict(hidden_layer_sizes=(32, 16), solver=solver, alpha=1e-3,
                      max_iter=3, batch_size=64, random_state=0)
        ScratchMLPClassifier(early_stopping=True, **common).fit(Xd, y).predict_proba(Xd)
        ScratchMLPClassifier(**common).partial_fit(Xd, y, classes=[0, 1, 2])
        ScratchMLPClassifier(dropout=0.2, **common).fit(Xd, y).predict(Xd)
        ScratchMLPRegressor(**common).fit(Xd, y.astype(dtype)).predict(Xd)
        seen[f"{dtype.__name__} {solver}"] = sorted(set(calls))
        calls.clear()
print(json.dumps({"control": control, "seen": seen}))
"""


def test_training_and_prediction_call_no_scipy_blas():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    )
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["control"] == ["daxpy"], "the recorder did not catch a direct call"
    offenders = {case: names for case, names in report["seen"].items() if names}
    assert offenders == {}, f"scipy's BLAS/LAPACK called during training: {offenders}"


def test_lbfgs_holds_scipys_blas_to_one_thread(iris):
    # scipy's L-BFGS-B does its vector algebra with scipy's BLAS between our
    # numpy matrix products; with its pool held to one thread no second pool
    # of threads spins. numpy's pool and, after the fit, scipy's keep theirs.
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    from skscratch import ScratchMLPClassifier
    from skscratch.core.blas import scipy_blas as scipy_selection

    scipy_blas = scipy_selection()
    if not scipy_blas.lib_controllers:
        pytest.skip("scipy shares numpy's BLAS here: there is no second pool")

    def scipy_threads():
        return [lib["num_threads"] for lib in scipy_blas.info()]

    class Spy:
        seen = []

        def on_epoch_end(self, estimator, record):
            Spy.seen.append(scipy_threads())

    X, y = iris
    with threadpool_limits(limits=2, user_api="blas"):
        with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
            ScratchMLPClassifier(solver="lbfgs", max_iter=5, callbacks=[Spy()]).fit(X, y)
        after = scipy_threads()
    assert Spy.seen and all(threads == [1] for threads in Spy.seen)
    assert after == [2]


def _numpy_threads_while_fitting(monkeypatch, **params):
    """numpy's BLAS threads seen by a callback during a fit, and after it."""
    from sklearn.datasets import make_classification
    from threadpoolctl import threadpool_limits

    from skscratch import ScratchMLPClassifier
    from skscratch.core.blas import numpy_blas

    selection = numpy_blas()
    if not selection.lib_controllers:
        pytest.skip("numpy's BLAS is not a library threadpoolctl can find here")
    seen = []

    class Spy:
        def on_epoch_end(self, estimator, record):
            seen.append([lib["num_threads"] for lib in selection.info()])

    X, y = make_classification(n_samples=300, n_features=20, random_state=0)
    with threadpool_limits(limits=2, user_api="blas"):
        ScratchMLPClassifier(max_iter=2, tol=0.0, callbacks=[Spy()], **params).fit(X, y)
        after = [lib["num_threads"] for lib in selection.info()]
    return seen, after


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_small_batches_train_on_one_numpy_blas_thread(monkeypatch):
    # 200 rows x (20*10 + 10*2) weights: far below core.blas.SMALL_BATCH_WORK.
    seen, after = _numpy_threads_while_fitting(monkeypatch, hidden_layer_sizes=(10,))
    assert seen == [[1], [1]] and after == [2]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_large_batches_keep_the_default_threads(monkeypatch):
    from skscratch.core import blas

    monkeypatch.setattr(blas, "SMALL_BATCH_WORK", 1)
    seen, after = _numpy_threads_while_fitting(monkeypatch, hidden_layer_sizes=(10,))
    assert seen == [[2], [2]] and after == [2]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_dropout_keeps_one_thread_up_to_the_larger_limit(monkeypatch):
    # Products above SMALL_BATCH_WORK, but dropout's masks do not thread: one
    # thread below SERIAL_LAYERS_BATCH_WORK, the default threads above it.
    from skscratch.core import blas

    monkeypatch.setattr(blas, "SMALL_BATCH_WORK", 1)
    seen, after = _numpy_threads_while_fitting(
        monkeypatch, hidden_layer_sizes=(10,), dropout=0.2
    )
    assert seen == [[1], [1]] and after == [2]
    monkeypatch.setattr(blas, "SERIAL_LAYERS_BATCH_WORK", 1)
    seen, after = _numpy_threads_while_fitting(
        monkeypatch, hidden_layer_sizes=(10,), dropout=0.2
    )
    assert seen == [[2], [2]] and after == [2]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_small_batches_train_on_one_thread_in_any_python_thread():
    # threadpoolctl 3.8 ignores limits set outside the thread that holds one
    # (here the main thread); the fit in a worker thread must reach the pool.
    from sklearn.datasets import make_classification
    from threadpoolctl import threadpool_limits

    from skscratch import ScratchMLPClassifier
    from skscratch.core.blas import numpy_blas

    selection = numpy_blas()
    if not selection.lib_controllers:
        pytest.skip("numpy's BLAS is not a library threadpoolctl can find here")

    def threads():
        return [lib["num_threads"] for lib in selection.info()]

    seen = []

    class Spy:
        def on_epoch_end(self, estimator, record):
            seen.append(threads())

    X, y = make_classification(n_samples=300, n_features=20, random_state=0)
    model = ScratchMLPClassifier((10,), max_iter=2, tol=0.0, callbacks=[Spy()])
    with threadpool_limits(limits=2, user_api="blas"):
        worker = threading.Thread(target=model.fit, args=(X, y))
        worker.start()
        worker.join()
        after = threads()
    assert seen == [[1], [1]] and after == [2]


class _Library:
    """Stands for one of threadpoolctl's library controllers."""

    def __init__(self, threads):
        self.threads = threads

    def get_num_threads(self):
        return self.threads

    def set_num_threads(self, threads):
        self.threads = threads


class _Selection:
    def __init__(self, threads=2):
        self.lib_controllers = [_Library(threads)]


def _shared_pool(threads=2):
    from skscratch.core.blas import SharedPool

    pool = SharedPool(_Selection(threads))
    return pool, pool.selection.lib_controllers[0]


def _hold_in_a_thread(pool, one_thread, log, name):
    """Start a thread that holds ``pool`` and logs (name, threads) once inside."""

    def hold():
        with pool.hold(one_thread):
            log.append((name, pool.selection.lib_controllers[0].threads))

    thread = threading.Thread(target=hold)
    thread.start()
    return thread


def _until_queued(pool, n_waiting):
    deadline = time.monotonic() + 30
    while len(pool._queue) < n_waiting:  # a private queue: no event tells it
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.2)  # time enough to enter, were it allowed to


def test_fits_take_turns_in_the_order_they_ask():
    pool, library = _shared_pool()
    log = []
    with pool.hold(one_thread=True):
        assert library.threads == 1
        default = _hold_in_a_thread(pool, False, log, "default threads")
        _until_queued(pool, 1)
        late = _hold_in_a_thread(pool, True, log, "one thread, later")
        _until_queued(pool, 2)
        assert log == []  # neither joined the one-thread fit: the first must not
    default.join()
    late.join()
    assert log == [("default threads", 2), ("one thread, later", 1)]
    assert library.threads == 2


def test_one_thread_fits_share_the_pool_and_default_ones_hold_it_alone():
    pool, library = _shared_pool()
    log = []
    with pool.hold(one_thread=True):
        _hold_in_a_thread(pool, True, log, "one thread").join(timeout=30)
        assert log == [("one thread", 1)]
    with pool.hold(one_thread=False):
        other = _hold_in_a_thread(pool, False, log, "default threads")
        _until_queued(pool, 1)
        assert len(log) == 1  # two fits at 2 threads each would share 2 cores
    other.join()
    assert log[1:] == [("default threads", 2)]


def test_where_the_default_is_one_thread_every_fit_shares_the_pool():
    pool, library = _shared_pool(threads=1)
    log = []
    with pool.hold(one_thread=False):
        _hold_in_a_thread(pool, False, log, "default threads").join(timeout=30)
        assert log == [("default threads", 1)]


def test_a_fit_nested_in_a_fit_keeps_its_state():
    # e.g. a callback that fits another model: waiting for the outer fit to
    # end would never end.
    pool, library = _shared_pool()
    with pool.hold(one_thread=True):
        with pool.hold(one_thread=False):
            assert library.threads == 1
        assert library.threads == 1
    assert library.threads == 2
