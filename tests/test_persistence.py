"""Persistence (issue #3): pickle, joblib and skops round-trips give bit-identical
predictions, and the fitted state is plain numpy arrays and builtins only, so that
skops needs to trust nothing but the estimator's own class."""

import io
import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import is_classifier
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SOLVERS = ("adam", "sgd", "lbfgs", "adamw", "rmsprop", "muon")
TASKS = ("binary", "multiclass", "multilabel", "regression", "multi-output regression")


def task_data(task, n=60, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    z = X @ rng.normal(size=4)
    if task == "binary":
        return X, np.where(z > 0, "spam", "ham")
    if task == "multiclass":
        return X, np.digitize(z, np.quantile(z, [0.25, 0.5, 0.75]))
    if task == "multilabel":
        return X, np.column_stack([z > 0, X[:, 0] > 0, X[:, 1] > 0.5]).astype(int)
    if task == "regression":
        return X, z
    return X, np.column_stack([z, np.sin(X[:, 0])])


def fitted(task, solver, **params):
    X, y = task_data(task)
    cls = ScratchMLPRegressor if "regression" in task else ScratchMLPClassifier
    est = cls(
        hidden_layer_sizes=(5, 3), solver=solver, max_iter=20, random_state=0, **params
    )
    return est.fit(X, y), X


def outputs(est, X):
    if is_classifier(est):
        return [est.predict(X), est.predict_proba(X), est.predict_log_proba(X)]
    return [est.predict(X)]


def assert_identical_outputs(a, b, X):
    for got, want in zip(outputs(a, X), outputs(b, X)):
        assert got.dtype == want.dtype
        assert np.array_equal(got, want)


def assert_same_state(a, b, path="vars", skip=()):
    """Recursive equality: arrays bit-equal, NaN == NaN; keys in ``skip`` ignored."""
    assert type(a) is type(b), path
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(
            a, b, equal_nan=a.dtype.kind in "fc"
        ), path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            if k not in skip:
                assert_same_state(a[k], b[k], f"{path}[{k!r}]", skip)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (u, v) in enumerate(zip(a, b)):
            assert_same_state(u, v, f"{path}[{i}]", skip)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), path
    else:
        assert a == b, path


CASES = [(task, solver) for task in TASKS for solver in SOLVERS]


# ------------------------------------------------------------ pickle, joblib
def pickle_round_trip(est):
    return pickle.loads(pickle.dumps(est))


def joblib_round_trip(est):
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


@pytest.mark.parametrize("round_trip", [pickle_round_trip, joblib_round_trip])
@pytest.mark.parametrize(("task", "solver"), CASES)
def test_pickle_and_joblib_round_trips_are_exact(task, solver, round_trip):
    est, X = fitted(task, solver)
    loaded = round_trip(est)
    assert type(loaded) is type(est)
    assert_identical_outputs(loaded, est, X)
    assert_same_state(vars(est), vars(loaded))


@pytest.mark.parametrize("solver", ["adam", "sgd", "adamw", "rmsprop"])
@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_training_resumes_identically_after_a_round_trip(task, solver):
    """The optimizer's state travels with the model: partial_fit and a warm-started
    fit continue the same way on the original and on the loaded copy."""
    est, X = fitted(task, solver, warm_start=True)
    _, y = task_data(task)
    loaded = pickle_round_trip(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.partial_fit(X, y)
        loaded.partial_fit(X, y)
        assert_identical_outputs(loaded, est, X)
        est.fit(X, y)
        loaded.fit(X, y)
    assert_identical_outputs(loaded, est, X)
    # history_ records each epoch's wall-clock seconds, which no two runs share
    assert_same_state(vars(est), vars(loaded), skip=("seconds",))


# ------------------------------------------------------- plain fitted state
PLAIN_SCALARS = (int, float, str, bool, type(None))


def assert_plain(value, path):
    """Only numpy arrays (of plain scalars where the dtype is object) and builtins."""
    kind = type(value)
    if kind is np.ndarray:
        if value.dtype == object:
            for i, item in enumerate(value.ravel()):
                assert type(item) in PLAIN_SCALARS, f"{path}[{i}] is {type(item)}"
        return
    if kind in (list, tuple):
        for i, item in enumerate(value):
            assert_plain(item, f"{path}[{i}]")
        return
    if kind is dict:
        for key, item in value.items():
            assert type(key) in PLAIN_SCALARS, f"{path} has a key of {type(key)}"
            assert_plain(item, f"{path}[{key!r}]")
        return
    assert kind in PLAIN_SCALARS, f"{path} is a {kind.__module__}.{kind.__qualname__}"


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize(("task", "solver"), CASES)
def test_fitted_state_is_plain_arrays_and_builtins(task, solver, early_stopping):
    if early_stopping and solver == "lbfgs":
        pytest.skip("lbfgs has no early stopping")
    est, _ = fitted(task, solver, early_stopping=early_stopping)
    for name, value in vars(est).items():
        assert_plain(value, name)


def test_fitted_state_is_plain_with_pandas_and_string_labels():
    X, y = task_data("multiclass")
    X = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    y = np.array(["w", "x", "y", "z"], dtype=object)[y]
    est = ScratchMLPClassifier(
        hidden_layer_sizes=(3, 3),
        activation=["tanh", "relu"],
        dropout=0.2,
        class_weight={"w": 2.0, "x": 1.0, "y": 1.0, "z": 0.5},
        max_iter=5,
        random_state=0,
    ).fit(X, y)
    for name, value in vars(est).items():
        assert_plain(value, name)
    assert_identical_outputs(pickle_round_trip(est), est, X)


# ---------------------------------------------------------- persisted sizes
DIGITS_SIZES = {}


@pytest.fixture(scope="module", autouse=True)
def _report_sizes(request):
    yield
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if reporter is None or capture is None or not DIGITS_SIZES:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for key, size in sorted(DIGITS_SIZES.items()):
            reporter.write_line(
                f"persisted size, digits, hidden (100,), {key}: {size} bytes"
            )


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_persisted_size_of_a_digits_model(digits, solver):
    """A (64, 100, 10) network has 7,510 parameters (60,080 bytes in float64). The
    pickle holds them, adam's two moment vectors (to resume training), and little else."""
    X, y = digits
    est = ScratchMLPClassifier(hidden_layer_sizes=(100,), solver=solver, max_iter=1)
    est.set_params(random_state=0).fit(X, y)
    n_params = sum(c.size for c in est.coefs_) + sum(b.size for b in est.intercepts_)
    assert n_params == 7510
    params_bytes = 8 * n_params
    pickled = len(pickle.dumps(est, protocol=pickle.HIGHEST_PROTOCOL))
    DIGITS_SIZES[f"{solver}, pickle"] = pickled
    skops_io = pytest.importorskip("skops.io")
    DIGITS_SIZES[f"{solver}, skops"] = len(skops_io.dumps(est))
    copies = 3 if solver == "adam" else 1  # weights (+ adam's m and v)
    assert pickled < copies * params_bytes + 16_384, pickled


# ------------------------------------------------------------------- skops
@pytest.mark.parametrize(("task", "solver"), CASES)
def test_skops_trusts_only_the_estimator_class(task, solver):
    skops_io = pytest.importorskip("skops.io")
    est, X = fitted(task, solver)
    data = skops_io.dumps(est)
    untrusted = skops_io.get_untrusted_types(data=data)
    name = f"{type(est).__module__}.{type(est).__qualname__}"
    assert untrusted == [name]
    loaded = skops_io.loads(data, trusted=[name])
    assert type(loaded) is type(est)
    assert_identical_outputs(loaded, est, X)
    assert_same_state(vars(est), vars(loaded))


def test_skops_with_pandas_feature_names_and_early_stopping():
    skops_io = pytest.importorskip("skops.io")
    X, y = task_data("multiclass")
    X = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    est = ScratchMLPClassifier(
        hidden_layer_sizes=(3,), max_iter=5, early_stopping=True, random_state=0
    ).fit(X, y)
    data = skops_io.dumps(est)
    # The estimators are saved under their public name, which no reorganisation moves.
    assert skops_io.get_untrusted_types(data=data) == ["skscratch.ScratchMLPClassifier"]
    loaded = skops_io.loads(data, trusted=["skscratch.ScratchMLPClassifier"])
    assert_identical_outputs(loaded, est, X)
    assert list(loaded.feature_names_in_) == ["a", "b", "c", "d"]


def test_a_model_pickled_before_newer_parameters_predicts_and_trains_on(iris):
    # A model saved by an earlier skscratch has no attribute for parameters added
    # since (here categorical_features and embedding_dim) and keeps Adam's
    # moments under their old keys; unpickled, it predicts as before and a warm
    # fit goes on from its state instead of failing in get_params.
    X, y = iris
    with pytest.warns(ConvergenceWarning):
        model = ScratchMLPClassifier(max_iter=5, warm_start=True, random_state=0).fit(X, y)
    expected = model.predict_proba(X)
    state = dict(model.__dict__)
    del state["categorical_features"], state["embedding_dim"]
    optimizer = dict(state["_optimizer_state"])
    optimizer["m"] = optimizer.pop("M") * (1 - model.beta_1)
    optimizer["v"] = optimizer.pop("V") * (1 - model.beta_2)
    state["_optimizer_state"] = optimizer
    old = ScratchMLPClassifier.__new__(ScratchMLPClassifier)
    old.__dict__.update(state)

    loaded = pickle.loads(pickle.dumps(old))
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    assert loaded.get_params()["categorical_features"] == "from_dtype"
    with pytest.warns(ConvergenceWarning):
        loaded.fit(X, y)
    assert loaded.n_iter_ == 5 and len(loaded.loss_curve_) == 10
