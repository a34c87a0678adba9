"""Determinism (issue #3): the same random_state gives bit-identical models, in one
process or across GridSearchCV's worker processes, and one fitted model predicts
the same from many threads at once."""

import functools
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from threadpoolctl import threadpool_limits

import skscratch.core.network
from skscratch import ScratchMLPClassifier, ScratchMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SOLVERS = ("adam", "sgd", "lbfgs", "adamw", "rmsprop", "muon")
STOCHASTIC = ("adam", "sgd", "adamw", "rmsprop")


def task_data(task, n=120, n_features=5, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, n_features))
    z = X @ rng.normal(size=n_features) + 0.3 * rng.normal(size=n)
    if task == "classification":
        return X, np.digitize(z, np.quantile(z, [1 / 3, 2 / 3]))
    return X, z


def make(task, **params):
    cls = ScratchMLPClassifier if task == "classification" else ScratchMLPRegressor
    base = {"hidden_layer_sizes": (8, 4), "max_iter": 8, "batch_size": 16}
    base.update(params)
    return cls(**base)


def fitted_state(est):
    """What must match bit for bit: weights, losses, validation scores."""
    return {
        "coefs_": est.coefs_,
        "intercepts_": est.intercepts_,
        "loss_curve_": np.asarray(est.loss_curve_),
        "validation_scores_": np.asarray(getattr(est, "validation_scores_", None) or []),
        "n_iter_": est.n_iter_,
    }


def assert_bit_identical(a, b):
    for name in ("coefs_", "intercepts_"):
        assert len(a[name]) == len(b[name])
        for u, v in zip(a[name], b[name]):
            assert u.dtype == v.dtype and np.array_equal(u, v), f"{name} differ"
    for name in ("loss_curve_", "validation_scores_"):
        assert np.array_equal(a[name], b[name], equal_nan=True), f"{name} differ"
    assert a["n_iter_"] == b["n_iter_"]


VARIANTS = {
    "shuffle": {"shuffle": True},
    "no shuffle": {"shuffle": False},
    "early stopping": {"early_stopping": True, "validation_fraction": 0.2},
    "dropout": {"dropout": 0.3},
    "float32": {},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_same_random_state_gives_bit_identical_models(task, solver, variant):
    if solver == "lbfgs" and variant in ("early stopping", "shuffle", "no shuffle"):
        pytest.skip("lbfgs is full-batch: no shuffling, no early stopping")
    X, y = task_data(task)
    if variant == "float32":
        X = X.astype(np.float32)
    params = {"solver": solver, "random_state": 7, **VARIANTS[variant]}
    first = make(task, **params).fit(X, y)
    second = make(task, **params).fit(X, y)
    assert_bit_identical(fitted_state(first), fitted_state(second))
    assert np.array_equal(first.predict(X), second.predict(X))
    # Refitting the same object starts afresh: nothing leaks from the first fit.
    again = first.fit(X, y)
    assert_bit_identical(fitted_state(again), fitted_state(second))
    # A fresh RandomState with the same seed is the same stream as the int seed.
    from_instance = make(task, **{**params, "random_state": np.random.RandomState(7)})
    assert_bit_identical(fitted_state(from_instance.fit(X, y)), fitted_state(second))


@pytest.mark.parametrize("solver", SOLVERS)
def test_different_random_states_give_different_models(solver):
    """The seed is actually used (a guard against the test above passing vacuously)."""
    X, y = task_data("classification")
    a = make("classification", solver=solver, random_state=0).fit(X, y)
    b = make("classification", solver=solver, random_state=1).fit(X, y)
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_partial_fit_sequences_are_bit_identical(solver, sparse):
    X, y = task_data("classification")
    if sparse:
        X = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0))
    models = []
    for _ in range(2):
        est = make("classification", solver=solver, random_state=3)
        for start in range(0, 120, 40):
            est.partial_fit(X[start : start + 40], y[start : start + 40], classes=[0, 1, 2])
        models.append(est)
    assert_bit_identical(fitted_state(models[0]), fitted_state(models[1]))


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_warm_start_sequences_are_bit_identical(solver):
    X, y = task_data("regression")
    models = []
    for _ in range(2):
        est = make("regression", solver=solver, random_state=5, warm_start=True, max_iter=3)
        for _ in range(3):
            est.fit(X, y)
        models.append(est)
    assert_bit_identical(fitted_state(models[0]), fitted_state(models[1]))


# --------------------------------------------------------------- GridSearchCV
GRID = {
    "classification": {"solver": ["adam", "sgd", "lbfgs"], "early_stopping": [False, True]},
    "regression": {"solver": ["adamw", "rmsprop", "lbfgs"], "dropout": [0.0, 0.2]},
}


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_grid_search_is_identical_with_one_or_two_jobs(task):
    """The scores computed in worker processes equal the in-process ones bit for bit,
    so the same parameters win and best_estimator_ has bit-identical coefs_."""
    X, y = task_data(task, n=90)
    est = make(task, random_state=0, max_iter=5, validation_fraction=0.2)
    cv = (StratifiedKFold if task == "classification" else KFold)(
        3, shuffle=True, random_state=0
    )
    results = []
    for n_jobs in (1, 2):
        search = GridSearchCV(clone(est), GRID[task], cv=cv, n_jobs=n_jobs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            search.fit(X, y)
        results.append(search)
    serial, parallel = results
    for key in serial.cv_results_:
        if key.startswith(("split", "mean_test", "rank")):
            assert np.array_equal(serial.cv_results_[key], parallel.cv_results_[key]), key
    assert serial.best_params_ == parallel.best_params_
    assert_bit_identical(
        fitted_state(serial.best_estimator_), fitted_state(parallel.best_estimator_)
    )


# ------------------------------------------------------------------ threads
N_THREADS = 8


def predict_all(est, X):
    if is_classifier(est):
        return est.predict(X), est.predict_proba(X)
    return (est.predict(X),)


@pytest.fixture
def small_chunks(monkeypatch):
    """Predict in chunks of a few rows, so each call loops over many chunks."""
    monkeypatch.setattr(skscratch.core.network, "PREDICT_CHUNK_ELEMENTS", 256)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_predict_from_many_threads_at_once(task, sparse, small_chunks):
    X, y = task_data(task, n=1500, n_features=20)
    est = make(task, hidden_layer_sizes=(32, 16), max_iter=2, random_state=0).fit(X, y)
    X_test = sp.csr_matrix(X) if sparse else X
    expected = predict_all(est, X_test)
    barrier = threading.Barrier(N_THREADS)

    def work(_):
        barrier.wait()  # start together, so that the calls overlap
        return [predict_all(est, X_test) for _ in range(2)]

    with ThreadPoolExecutor(max_workers=N_THREADS) as pool:
        outcomes = list(pool.map(work, range(N_THREADS)))
    for repeats in outcomes:
        for got in repeats:
            for g, e in zip(got, expected):
                assert g.dtype == e.dtype and np.array_equal(g, e)


def test_fits_in_threads_equal_fits_one_after_another():
    """Four estimators fitted in four threads at once are the four fitted in turn.

    BLAS thread limits are process-wide and a product can round differently at
    another number of threads; here the small-batch fits run their products on
    one thread, the L-BFGS and full-batch ones on two (core.blas), whichever
    Python thread fits them and whatever the others do meanwhile.
    """
    X, y = task_data("classification", n=2000, n_features=40)
    z = X[:, 0] - X[:, 1] ** 2
    small_batches = {"batch_size": 400, "max_iter": 8}
    two_layers = functools.partial(ScratchMLPRegressor, hidden_layer_sizes=(64, 32))
    estimators = [
        (ScratchMLPClassifier((64,), random_state=0, **small_batches), y),
        (two_layers(solver="sgd", random_state=1, **small_batches), z),
        (ScratchMLPClassifier((64, 32), solver="lbfgs", max_iter=30, random_state=2), y),
        (two_layers(batch_size=2000, max_iter=20, random_state=3), z),
    ]
    barrier = threading.Barrier(len(estimators))

    def fit(est, target, wait=False):
        if wait:
            barrier.wait()  # start together, so that the fits overlap
        return fitted_state(clone(est).fit(X, target))

    with threadpool_limits(limits=2, user_api="blas"):  # conftest.py sets 1
        in_turn = [fit(est, target) for est, target in estimators]
        with ThreadPoolExecutor(max_workers=len(estimators)) as pool:
            at_once = list(pool.map(lambda pair: fit(*pair, wait=True), estimators))
    for a, b in zip(in_turn, at_once):
        assert_bit_identical(a, b)


def test_prediction_does_not_depend_on_the_chunk_size(monkeypatch):
    X, y = task_data("classification", n=1000, n_features=20)
    est = make("classification", hidden_layer_sizes=(32,), max_iter=2, random_state=0)
    est.fit(X, y)
    whole = est.predict_proba(X)
    monkeypatch.setattr(skscratch.core.network, "PREDICT_CHUNK_ELEMENTS", 32 * 7)
    chunked = est.predict_proba(X)
    assert_allclose(chunked, whole, rtol=1e-12, atol=1e-15)
    assert np.array_equal(est.predict(X), whole.argmax(axis=1))
