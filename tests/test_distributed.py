"""Scaling out with Dask: a grid search on a local cluster, training block by block.

Both need the distributed extra (dask[distributed], dask-ml), which the test extra
installs; they skip, saying so, only where it is missing.
"""

import os
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier

REASON = 'needs the distributed extra: pip install ".[distributed]"'
joblib = pytest.importorskip("joblib")
da = pytest.importorskip("dask.array", reason=REASON)
distributed = pytest.importorskip("dask.distributed", reason=REASON)
try:
    import dask_ml.wrappers as wrappers
except ModuleNotFoundError:
    pytest.skip(REASON, allow_module_level=True)
except ImportError as error:
    # Installed but unusable: at the floors (numpy 1.24), dask-ml's dask.dataframe
    # imports the newest pyarrow, which needs NumPy 2 (pyarrow 26, 2026).
    pytest.skip(f"dask-ml cannot be imported here: {error}", allow_module_level=True)
psutil = pytest.importorskip("psutil", reason=REASON)  # a dependency of distributed


def _alive(pid):
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_grid_search_on_a_local_cluster_matches_the_default_backend():
    """Two worker processes give the same search as one process, fit for fit."""
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(),
        ScratchMLPClassifier(solver="lbfgs", max_iter=1000, random_state=0),
    )
    grid = {
        "scratchmlpclassifier__hidden_layer_sizes": [(4,), (16,)],
        "scratchmlpclassifier__alpha": [1e-2, 1.0],
        "scratchmlpclassifier__activation": ["relu", "gelu"],
    }
    local = GridSearchCV(pipe, grid, cv=3).fit(X, y)

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        workers = client.scheduler_info()["workers"]
        assert len(workers) == 2
        assert all(w["nthreads"] == 1 for w in workers.values())
        worker_pids = set(client.run(os.getpid).values())
        assert os.getpid() not in worker_pids and len(worker_pids) == 2
        with distributed.get_task_stream(client) as tasks:
            with joblib.parallel_config(backend="dask"):
                remote = GridSearchCV(pipe, grid, cv=3, n_jobs=-1).fit(X, y)
        # the fits (8 candidates x 3 folds, which joblib batches into tasks) ran
        # on the cluster's workers
        ran_on = {task["worker"] for task in tasks.data}
        assert tasks.data and ran_on <= set(workers)
    # the worker processes are gone once the cluster is closed
    assert [pid for pid in worker_pids if _alive(pid)] == []

    assert remote.best_params_ == local.best_params_
    assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert_array_equal(
        remote.cv_results_["rank_test_score"], local.cv_results_["rank_test_score"]
    )


def _blocks(n_blocks, block_size, first=0, n_features=10):
    """A lazy dask array of labelled blocks, each made only when a task needs it.

    The labels come from a fixed random two-layer 'teacher' network, so every
    block follows the same distribution; block i is drawn from seed first + i + 1.
    """
    teacher = np.random.RandomState(0)
    A, B = teacher.normal(size=(n_features, 8)), teacher.normal(size=(8, 3))

    def make(i):
        X = np.random.RandomState(first + i + 1).normal(size=(block_size, n_features))
        return X, np.argmax(np.tanh(X @ A) @ B, axis=1)

    from dask import delayed

    parts = [delayed(make)(i) for i in range(n_blocks)]
    X = da.concatenate(
        [da.from_delayed(p[0], (block_size, n_features), float) for p in parts]
    )
    y = da.concatenate([da.from_delayed(p[1], (block_size,), np.int64) for p in parts])
    return X, y


def test_incremental_training_on_dask_blocks_matches_an_in_memory_fit():
    """dask-ml's Incremental: partial_fit block by block, as accurate as fit.

    Both models take the same number of Adam steps (8 passes, batches of 200)
    from the same initial weights; only the order of the mini-batches differs
    (shuffled within and between blocks of 500 rows, rather than over all rows).
    That is SGD noise: held-out accuracies on 2,000 samples agree within 0.03,
    about three standard errors of an accuracy near 0.9 (sqrt(0.9 * 0.1 / 2000)
    is 0.007, 0.009 for a difference of two); both must also clearly have learnt.
    """
    X, y = _blocks(n_blocks=10, block_size=500)
    X_test, y_test = (part.compute() for part in _blocks(4, 500, first=100))
    classes = np.arange(3)
    passes = 8

    model = wrappers.Incremental(
        ScratchMLPClassifier((32,), learning_rate_init=0.01, random_state=0),
        shuffle_blocks=True,
        random_state=0,
    )
    for _ in range(passes):
        model.partial_fit(X, y, classes=classes)
    trained = model.estimator_
    assert trained.t_ == passes * X.shape[0]  # every block, once per pass
    incremental_accuracy = trained.score(X_test, y_test)

    in_memory = ScratchMLPClassifier(
        (32,), learning_rate_init=0.01, max_iter=passes, random_state=0
    )
    with warnings.catch_warnings():
        # stopping at max_iter is the point: the same 8 passes as above
        warnings.simplefilter("ignore", ConvergenceWarning)
        in_memory.fit(X.compute(), y.compute())
    in_memory_accuracy = in_memory.score(X_test, y_test)

    majority = np.bincount(y_test).max() / len(y_test)
    assert min(incremental_accuracy, in_memory_accuracy) > majority + 0.3
    assert abs(incremental_accuracy - in_memory_accuracy) <= 0.03
