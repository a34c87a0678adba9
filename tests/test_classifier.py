"""ScratchMLPClassifier: fitted attributes, targets, probabilities, training modes,
and agreement with scikit-learn's MLPClassifier for the same random_state."""

import inspect
import pickle
import warnings
from numbers import Integral, Real

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import from_skscratch, needs_sklearn_mlp_sample_weight
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import recall_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from skscratch import ScratchMLPClassifier
from skscratch.core import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS

# Parameters skscratch adds to scikit-learn's (additions extend, never rename),
# with the defaults that keep scikit-learn's behaviour.
EXTENSIONS = {
    "dropout": 0.0,
    "callbacks": None,
    "class_weight": None,
    "categorical_features": "from_dtype",
    "embedding_dim": None,
    "batch_norm": False,
    "residual": False,
    "feature_scale": False,
    "numeric_embedding": None,
    "numeric_embedding_frequencies": 16,
    "numeric_embedding_sigma": 0.1,
    "numeric_embedding_dim": 4,
    "parametrization": "standard",
    "validation_scoring": None,
    "label_smoothing": 0.0,
    "handle_missing": "error",
    "numeric_scaling": None,
    "ema_decay": None,
    "ensemble_size": 1,
    "training_dtype": None,
}

converging_cut_short = pytest.mark.filterwarnings(
    # These fits stop at a small max_iter on purpose (speed, or to compare the
    # same number of epochs with scikit-learn); the warning is the expected outcome.
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


def _small(**params):
    params = {"hidden_layer_sizes": (10,), "max_iter": 20, "random_state": 0, **params}
    return ScratchMLPClassifier(**params)


def _sklearn_twin(est):
    """scikit-learn's MLPClassifier with the same (shared) parameters."""
    params = {k: v for k, v in est.get_params().items() if k not in EXTENSIONS}
    return MLPClassifier(**params)


def assert_same_model(ours, theirs, rtol=1e-7, atol=1e-9):
    assert len(ours.coefs_) == len(theirs.coefs_)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.t_ == theirs.t_
    assert ours.out_activation_ == theirs.out_activation_
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)


# ------------------------------------------------------------- parameters
def test_get_params_match_sklearn():
    ours = ScratchMLPClassifier().get_params()
    theirs = MLPClassifier().get_params()
    assert set(ours) == set(theirs) | set(EXTENSIONS)
    for name, default in theirs.items():
        assert ours[name] == default, name
    for name, default in EXTENSIONS.items():
        assert ours[name] == default, name


def test_signature_matches_sklearn():
    # Same names, order, positional/keyword kinds and defaults: switching the
    # import keeps every call working, positional ones included.
    ours = inspect.signature(ScratchMLPClassifier).parameters
    theirs = inspect.signature(MLPClassifier).parameters
    assert list(ours)[: len(theirs)] == list(theirs)
    for name, param in theirs.items():
        assert ours[name].kind == param.kind, name
        assert ours[name].default == param.default, name
    assert ScratchMLPClassifier((5,), "tanh").get_params()["activation"] == "tanh"


def test_clone_and_set_params_round_trip(iris):
    est = ScratchMLPClassifier(hidden_layer_sizes=(7, 3), alpha=0.01, max_iter=3)
    params = est.get_params()
    copy = clone(est)
    assert copy is not est and copy.get_params() == params
    other = ScratchMLPClassifier().set_params(**params)
    assert other.get_params() == params
    with pytest.warns(ConvergenceWarning):
        est.fit(*iris)
    assert not hasattr(clone(est), "coefs_")  # a clone is unfitted
    assert est.set_params(alpha=0.5) is est and est.alpha == 0.5


# -------------------------------------------------------- fitted attributes
def _public_fitted(est):
    # coefs_ and intercepts_ are views of layers_ (properties), not in vars(est).
    names = [k for k in dir(est) if k.endswith("_") and not k.startswith("_")]
    return {k: getattr(est, k) for k in names if hasattr(est, k)}


def _kind(value):
    """A coarse type, so that float and np.float64 count as the same."""
    if isinstance(value, list):  # coefs_ and intercepts_ write through to layers_
        return list
    if value is None or isinstance(value, (bool, str, np.ndarray)):
        return type(value)
    if isinstance(value, Integral):
        return Integral
    if isinstance(value, Real):
        return Real
    return type(value)


@converging_cut_short
@pytest.mark.parametrize(
    "params",
    [{}, {"early_stopping": True}, {"solver": "lbfgs"}],
    ids=["adam", "es", "lbfgs"],
)
def test_fitted_attributes_as_sklearn(iris, params):
    X, y = iris
    ours = _small(max_iter=5, **params).fit(X, y)
    theirs = _sklearn_twin(ours).fit(X, y)
    expected = _public_fitted(theirs)
    got = _public_fitted(ours)
    assert set(expected) <= set(got)
    for name, value in expected.items():
        assert _kind(got[name]) == _kind(value), name
    for name in ("coefs_", "intercepts_"):
        assert all(isinstance(a, np.ndarray) for a in got[name])


@converging_cut_short
def test_fitted_attribute_values(iris):
    X, y = iris
    est = _small(hidden_layer_sizes=(6, 5), max_iter=7).fit(X, y)
    assert est.n_features_in_ == 4
    assert est.n_layers_ == 4
    assert est.n_outputs_ == 3
    assert est.out_activation_ == "softmax"
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])
    assert [c.shape for c in est.coefs_] == [(4, 6), (6, 5), (5, 3)]
    assert [b.shape for b in est.intercepts_] == [(6,), (5,), (3,)]
    assert est.n_iter_ == 7 and len(est.loss_curve_) == 7
    assert est.t_ == 7 * len(y)
    assert est.loss_ == est.loss_curve_[-1]
    assert est.best_loss_ == min(est.loss_curve_)
    assert est.validation_scores_ is None and est.best_validation_score_ is None
    assert not hasattr(est, "feature_names_in_")


@converging_cut_short
def test_feature_names_in_with_dataframe(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    columns = ["sepal length", "sepal width", "petal length", "petal width"]
    df = pd.DataFrame(X, columns=columns)
    est = _small(max_iter=3).fit(df, y)
    np.testing.assert_array_equal(est.feature_names_in_, columns)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from_df = est.predict(df)
    with pytest.warns(UserWarning, match="feature names"):
        np.testing.assert_array_equal(est.predict(X), from_df)
    with pytest.raises(ValueError, match="feature names"):
        est.predict(df[columns[::-1]])


# ------------------------------------------------------------------ targets
@converging_cut_short
def test_binary(iris):
    X, y = iris
    yb = (y == 2).astype(int)
    est = _small().fit(X, yb)
    assert est.out_activation_ == "logistic"
    assert est.n_outputs_ == 1
    proba = est.predict_proba(X)
    assert proba.shape == (150, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_array_equal(est.predict(X), est.classes_[proba.argmax(axis=1)])


@converging_cut_short
def test_multiclass_proba(iris):
    X, y = iris
    est = _small(max_iter=50).fit(X, y)
    proba = est.predict_proba(X)
    assert proba.shape == (150, 3)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_array_equal(est.predict(X), proba.argmax(axis=1))
    np.testing.assert_allclose(est.predict_log_proba(X), np.log(proba), rtol=1e-12)
    assert est.score(X, y) == np.mean(est.predict(X) == y)


@converging_cut_short
def test_string_labels(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])
    est = _small(max_iter=50).fit(X, names[y])
    np.testing.assert_array_equal(est.classes_, names)
    pred = est.predict(X)
    assert pred.dtype == names.dtype
    np.testing.assert_array_equal(pred, names[_small(max_iter=50).fit(X, y).predict(X)])


@converging_cut_short
def test_multilabel_indicator(iris):
    X, y = iris
    Y = np.column_stack([y == 0, y == 2, X[:, 0] > 0]).astype(int)
    est = _small(max_iter=50, learning_rate_init=0.01).fit(X, Y)
    assert est.out_activation_ == "logistic"
    assert est.n_outputs_ == 3
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])
    proba = est.predict_proba(X)
    assert proba.shape == (150, 3)
    pred = est.predict(X)
    assert pred.shape == (150, 3)
    np.testing.assert_array_equal(pred, (proba > 0.5).astype(int))
    assert est.score(X, Y) > 0.8  # subset accuracy


# --------------------------------------------------------- training modes
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_partial_fit_with_classes(iris, solver):
    X, y = iris
    est = _small(solver=solver)
    est.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])  # class 2 not seen yet
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])
    assert est.n_outputs_ == 3 and est.n_iter_ == 1
    for _ in range(3):
        est.partial_fit(X, y)
    assert est.t_ == 100 + 3 * 150
    assert len(est.loss_curve_) == 4


def test_partial_fit_needs_classes_first(iris):
    X, y = iris
    with pytest.raises(ValueError, match="classes"):
        _small().partial_fit(X, y)


def test_partial_fit_rejects_unseen_label(iris):
    X, y = iris
    est = _small().partial_fit(X[y < 2], y[y < 2], classes=[0, 1])
    before = [c.copy() for c in est.coefs_]
    with pytest.raises(ValueError, match=r"\[2\]"):
        est.partial_fit(X, y)
    for a, b in zip(est.coefs_, before):
        np.testing.assert_array_equal(a, b)


def test_partial_fit_not_offered_by_lbfgs():
    est = ScratchMLPClassifier(solver="lbfgs")
    assert not hasattr(est, "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit"):
        getattr(est, "partial_fit")  # noqa: B009 (the attribute access is what raises)


@converging_cut_short
def test_warm_start_continues(iris):
    X, y = iris
    est = _small(max_iter=5, warm_start=True).fit(X, y)
    first = [c.copy() for c in est.coefs_]
    est.fit(X, y)
    assert est.n_iter_ == 5
    assert len(est.loss_curve_) == 10
    assert not np.array_equal(est.coefs_[0], first[0])
    # The second fit started from the first one's weights: it beats a fresh
    # 5-epoch fit's loss.
    assert est.loss_ < _small(max_iter=5).fit(X, y).loss_
    # Without warm_start, fit starts over.
    cold = _small(max_iter=5).fit(X, y)
    np.testing.assert_array_equal(cold.fit(X, y).coefs_[0], first[0])


@converging_cut_short
def test_warm_start_rejects_different_classes(iris):
    X, y = iris
    est = _small(max_iter=2, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="classes"):
        est.fit(X[y < 2], y[y < 2])


def test_convergence_warning_when_max_iter_stops_training(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(4\)") as record:
        est = _small(max_iter=4).fit(X, y)
    assert est.n_iter_ == 4
    assert from_skscratch(record[0])
    with pytest.warns(ConvergenceWarning, match="lbfgs") as record:
        _small(solver="lbfgs", max_iter=3).fit(X, y)
    assert from_skscratch(record[0])


def test_no_warning_when_training_stops_on_tol(iris):
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        # The loss never improves by 10: after the first epoch sets best_loss_, the
        # next n_iter_no_change + 1 epochs fail to improve and training stops.
        est = _small(max_iter=100, tol=10.0, n_iter_no_change=4).fit(X, y)
    assert est.n_iter_ == 6 == _sklearn_twin(est).fit(X, y).n_iter_


@converging_cut_short
def test_early_stopping_records_validation(iris):
    X, y = iris
    est = _small(
        max_iter=200, early_stopping=True, n_iter_no_change=3, learning_rate_init=0.01
    ).fit(X, y)
    assert est.n_iter_ < 200  # stopped early
    assert len(est.validation_scores_) == est.n_iter_ == len(est.loss_curve_)
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert all(0 <= s <= 1 for s in est.validation_scores_)
    assert est.best_loss_ is None


def test_verbose_prints_one_line_per_epoch(iris, capsys):
    X, y = iris
    est = _small(max_iter=200, tol=1e-2, verbose=True).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    epochs = [line for line in lines if line.startswith("Iteration ")]
    assert len(epochs) == est.n_iter_ < 200
    assert epochs[0].startswith("Iteration 1, loss = ")
    assert float(epochs[-1].rsplit("=", 1)[1]) == pytest.approx(est.loss_, abs=1e-8)
    assert "Stopping" in lines[-1]


def test_verbose_output_is_sklearns(iris, capsys):
    X, y = iris
    yb = (y == 1).astype(int)
    for params in (
        {"tol": 1e-2, "max_iter": 300},
        {"early_stopping": True, "max_iter": 50},
    ):
        _small(verbose=True, **params).fit(X, yb)
        ours = capsys.readouterr().out
        _sklearn_twin(_small(verbose=True, **params)).fit(X, yb)
        assert ours == capsys.readouterr().out


@converging_cut_short
def test_random_state_reproducible(iris):
    X, y = iris
    a = _small(random_state=3).fit(X, y)
    b = _small(random_state=3).fit(X, y)
    for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert np.array_equal(p, q)
    assert a.loss_curve_ == b.loss_curve_
    c = _small(random_state=4).fit(X, y)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])
    rs = np.random.RandomState(0)  # a RandomState instance is accepted too
    assert _small(random_state=rs).fit(X, y).n_iter_ == 20


@converging_cut_short
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_sparse_input_same_model_as_dense(iris, fmt, solver):
    X, y = iris
    X = np.where(np.abs(X) > 0.5, X, 0.0)
    dense = _small(solver=solver).fit(X, y)
    sparse = _small(solver=solver).fit(sp.csr_matrix(X).asformat(fmt), y)
    for a, b in zip(sparse.coefs_ + sparse.intercepts_, dense.coefs_ + dense.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        sparse.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X), rtol=1e-9
    )


@converging_cut_short
def test_float32_is_kept(iris):
    X, y = iris
    X32 = X.astype(np.float32)
    est = _small().fit(X32, y)
    assert all(a.dtype == np.float32 for a in est.coefs_ + est.intercepts_)
    assert est.predict_proba(X32).dtype == np.float32
    assert est.predict_log_proba(X32).dtype == np.float32
    est64 = _small().fit(X, y)
    np.testing.assert_allclose(est.predict_proba(X32), est64.predict_proba(X), atol=1e-4)


@converging_cut_short
def test_failed_fit_leaves_fitted_model_unchanged(iris):
    X, y = iris
    est = _small(max_iter=5).fit(X, y)
    proba = est.predict_proba(X)
    state = {k: v for k, v in vars(est).items()}
    coefs = [c.copy() for c in est.coefs_]

    X_nan = X.copy()
    X_nan[10, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.fit(X_nan, y)
    with pytest.raises(ValueError, match="label type"):
        est.fit(X, y + 0.5)  # fails after X is validated: continuous labels
    est.set_params(early_stopping=True, validation_fraction=0.005)
    with pytest.raises(ValueError, match="validation set is too small"):
        est.fit(X, y)  # fails in the training loop: 1 held-out sample
    est.set_params(early_stopping=False, warm_start=True)
    with pytest.raises(ValueError, match="classes"):
        est.fit(X[y < 2], y[y < 2])  # warm start with other classes

    assert vars(est).keys() == state.keys()
    for name in ("n_iter_", "t_", "loss_", "classes_", "n_features_in_"):
        np.testing.assert_array_equal(getattr(est, name), state[name])
    for a, b in zip(est.coefs_, coefs):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(est.predict_proba(X), proba)


@converging_cut_short
def test_pickle_round_trip_holds_plain_state(iris):
    X, y = iris
    est = _small(max_iter=5).fit(X, y)
    blob = pickle.dumps(est)
    # The fitted state is plain arrays and builtins: no training objects.
    assert b"skscratch.core" not in blob
    np.testing.assert_array_equal(pickle.loads(blob).predict_proba(X), est.predict_proba(X))


@converging_cut_short
def test_sample_weight_as_repetition_lbfgs(iris):
    # Full-batch training: weight 2 is the same as the sample appearing twice.
    X, y = iris
    sw = np.ones(len(y))
    sw[::3] = 2
    weighted = _small(solver="lbfgs").fit(X, y, sample_weight=sw)
    repeated = _small(solver="lbfgs").fit(np.vstack([X, X[::3]]), np.hstack([y, y[::3]]))
    for a, b in zip(weighted.coefs_, repeated.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


# ----------------------------------------------------- same as scikit-learn
SKLEARN_CASES = {
    "adam": {},
    "sgd": {"solver": "sgd"},
    "lbfgs": {"solver": "lbfgs"},
    "sgd-invscaling": {
        "solver": "sgd",
        "learning_rate": "invscaling",
        "learning_rate_init": 0.1,
    },
    "sgd-adaptive": {
        "solver": "sgd",
        "learning_rate": "adaptive",
        "tol": 0.05,
        "n_iter_no_change": 2,
        "max_iter": 40,
    },
    "sgd-momentum": {"solver": "sgd", "nesterovs_momentum": False, "momentum": 0.5},
    "logistic-2-layers": {"activation": "logistic", "hidden_layer_sizes": (5, 4)},
    "tanh-batch-17": {"activation": "tanh", "batch_size": 17},
    "identity-alpha": {"activation": "identity", "alpha": 0.1},
    "no-shuffle": {"shuffle": False},
    "tol-stop": {"tol": 1e-2, "max_iter": 300},
    "lbfgs-logistic": {"solver": "lbfgs", "activation": "logistic"},
}


@converging_cut_short
@pytest.mark.parametrize("params", SKLEARN_CASES.values(), ids=SKLEARN_CASES.keys())
def test_same_coefficients_as_sklearn(iris, params):
    X, y = iris
    ours = _small(**params).fit(X, y)
    theirs = _sklearn_twin(ours).fit(X, y)
    assert_same_model(ours, theirs)
    proba = ours.predict_proba(X)
    np.testing.assert_allclose(proba, theirs.predict_proba(X), rtol=1e-7, atol=1e-12)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-7)
    if params.get("solver") != "lbfgs":
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-7)


TARGETS = {
    "binary": lambda X, y: (y == 2).astype(int),
    "strings": lambda X, y: np.array(["a", "b", "c"])[y],
    "multilabel": lambda X, y: np.column_stack([y == 0, y == 2, X[:, 0] > 0]).astype(int),
}


@converging_cut_short
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("target", TARGETS.values(), ids=TARGETS.keys())
def test_same_coefficients_as_sklearn_targets(iris, target, solver):
    X, y = iris
    Y = target(X, y)
    ours = _small(solver=solver).fit(X, Y)
    theirs = _sklearn_twin(ours).fit(X, Y)
    assert_same_model(ours, theirs)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


@converging_cut_short
@needs_sklearn_mlp_sample_weight
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_same_coefficients_as_sklearn_sample_weight(iris, solver):
    X, y = iris
    sw = np.random.RandomState(1).uniform(0.5, 2.0, size=len(y))
    ours = _small(solver=solver).fit(X, y, sample_weight=sw)
    theirs = _sklearn_twin(ours).fit(X, y, sample_weight=sw)
    assert_same_model(ours, theirs)


@converging_cut_short
def test_same_coefficients_as_sklearn_float32(iris):
    X = iris[0].astype(np.float32)
    ours = _small().fit(X, iris[1])
    theirs = _sklearn_twin(ours).fit(X, iris[1])
    assert_same_model(ours, theirs, rtol=1e-5, atol=1e-6)


@converging_cut_short
def test_same_early_stopping_as_sklearn_for_binary(iris):
    # The held-out split, the validation scores and the restored best weights
    # all match scikit-learn's for the same random_state.
    X, y = iris
    y = (y == 1).astype(int)
    ours = _small(early_stopping=True, max_iter=50, n_iter_no_change=3).fit(X, y)
    theirs = _sklearn_twin(ours).fit(X, y)
    assert ours.validation_scores_ == pytest.approx(theirs.validation_scores_)
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_)
    assert_same_model(ours, theirs)


@converging_cut_short
def test_multiclass_early_stopping_split_is_stratified(iris, monkeypatch):
    # A documented difference: scikit-learn stratifies the hold-out only for
    # binary targets; skscratch stratifies every single-label classification,
    # so each Iris class has its 5 samples in a 15-sample validation set.
    import skscratch._training.stopping as training

    seen = {}
    split = training.train_test_split

    def spy(*arrays, **kwargs):  # the rows are split, then taken from X and y
        parts = split(*arrays, **kwargs)
        seen["validation_rows"] = parts[1]
        return parts

    monkeypatch.setattr(training, "train_test_split", spy)
    X, y = iris
    _small(early_stopping=True, max_iter=5).fit(X, y)
    assert np.bincount(y[seen["validation_rows"]]).tolist() == [5, 5, 5]


@converging_cut_short
def test_same_partial_fit_as_sklearn(iris):
    X, y = iris
    ours, theirs = _small(solver="sgd"), MLPClassifier((10,), solver="sgd", random_state=0)
    for est in (ours, theirs):
        est.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
        est.partial_fit(X[50:], y[50:])
        est.partial_fit(X, y)
    assert_same_model(ours, theirs)


@converging_cut_short
def test_same_warm_start_as_sklearn(iris):
    X, y = iris
    ours = _small(max_iter=5, warm_start=True)
    theirs = _sklearn_twin(ours)
    for est in (ours, theirs):
        est.fit(X, y)
        est.fit(X, y)
    assert_same_model(ours, theirs)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-7)


@converging_cut_short
def test_new_parameters_default_to_sklearn_behaviour(iris):
    """With the additions at their defaults a fit is still sklearn's, to rounding."""
    X, y = iris
    ours = ScratchMLPClassifier(max_iter=15, random_state=0).fit(X, y)
    theirs = MLPClassifier(max_iter=15, random_state=0).fit(X, y)
    assert ours.dropout == 0.0 and ours.callbacks is None and ours.class_weight is None
    for a, b in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@converging_cut_short
def test_dropout_is_off_at_prediction(iris):
    X, y = iris
    model = ScratchMLPClassifier((30,), dropout=0.2, max_iter=1000, random_state=0)
    model = model.fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X), model.predict_proba(X))
    # It learned (chance is 1/3): 0.86 to 0.96 over random_state 0..9.
    assert model.score(X, y) > 0.85


@converging_cut_short
def test_balanced_class_weight_raises_minority_recall():
    X, y = make_classification(
        2000, n_features=10, weights=[0.95], flip_y=0, class_sep=0.3, random_state=0
    )
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
    recall = {}
    for class_weight in (None, "balanced"):
        model = ScratchMLPClassifier((20,), class_weight=class_weight, random_state=0)
        model = make_pipeline(StandardScaler(), model).fit(X_train, y_train)
        recall[class_weight] = recall_score(y_test, model.predict(X_test))
    # Measured: 0.64 without class weights, 0.84 with 'balanced' (25 minority samples).
    assert recall["balanced"] > recall[None] + 0.1, recall


@converging_cut_short
def test_class_weight_dict_equals_sample_weight(iris):
    X, y = iris
    weights = {0: 1.0, 1: 3.0, 2: 0.5}
    by_class = ScratchMLPClassifier(
        (5,), class_weight=weights, max_iter=10, random_state=0
    ).fit(X, y)
    by_sample = ScratchMLPClassifier((5,), max_iter=10, random_state=0).fit(
        X, y, sample_weight=np.vectorize(weights.get)(y)
    )
    for a, b in zip(by_class.coefs_, by_sample.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_balanced_class_weight_refused_by_partial_fit(iris):
    X, y = iris
    model = ScratchMLPClassifier(class_weight="balanced")
    with pytest.raises(ValueError, match="not supported by partial_fit"):
        model.partial_fit(X, y, classes=[0, 1, 2])


@pytest.fixture(scope="module")
def unbalanced(iris):
    X, y = iris
    keep = np.r_[0:50, 50:70, 100:110]  # 50, 20 and 10 samples of the three classes
    return X[keep], y[keep]


@converging_cut_short
def test_per_layer_activations_drive_prediction(iris):
    X, y = iris
    est = _small(hidden_layer_sizes=(6, 5), activation=["relu", "logistic"]).fit(X, y)
    a = HIDDEN_ACTIVATIONS["relu"].forward(X @ est.coefs_[0] + est.intercepts_[0])
    a = HIDDEN_ACTIVATIONS["logistic"].forward(a @ est.coefs_[1] + est.intercepts_[1])
    z = a @ est.coefs_[2] + est.intercepts_[2]
    expected = OUTPUT_ACTIVATIONS["softmax"].forward(z)
    np.testing.assert_allclose(est.predict_proba(X), expected, rtol=1e-12)


@converging_cut_short
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_balanced_class_weight_is_its_sample_weight(unbalanced, solver):
    X, y = unbalanced
    weighted = _small(solver=solver, class_weight="balanced").fit(X, y)
    sw = compute_sample_weight("balanced", y)
    explicit = _small(solver=solver).fit(X, y, sample_weight=sw)
    for a, b in zip(weighted.coefs_, explicit.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@converging_cut_short
def test_class_weight_multiplies_sample_weight(unbalanced):
    X, y = unbalanced
    sw = np.random.RandomState(0).uniform(0.5, 2, size=len(y))
    weighted = _small(class_weight={0: 1.0, 1: 2.0, 2: 5.0}).fit(X, y, sample_weight=sw)
    explicit = _small().fit(X, y, sample_weight=sw * np.array([1.0, 2.0, 5.0])[y])
    for a, b in zip(weighted.coefs_, explicit.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
