"""ScratchMLPRegressor: outputs, losses, early stopping, and agreement with
scikit-learn's MLPRegressor for the same random_state."""

import inspect
import warnings
from numbers import Integral, Real

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from helpers import from_skscratch, needs_sklearn_mlp_sample_weight
from sklearn.datasets import load_diabetes
from sklearn.ensemble import BaggingRegressor
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.metrics import r2_score
from sklearn.neural_network import MLPRegressor

from skscratch import ScratchMLPRegressor

# Parameters skscratch adds to scikit-learn's, with the defaults that keep its behaviour.
EXTENSIONS = {
    "dropout": 0.0,
    "callbacks": None,
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
    "handle_missing": "error",
    "numeric_scaling": None,
    "ema_decay": None,
    "ensemble_size": 1,
    "training_dtype": None,
    "target_scaling": None,
}
# scikit-learn's MLPRegressor has loss (first, as skscratch's) from 1.7 on; before,
# it is one of skscratch's additions, whose default is what MLPRegressor does.
SKLEARN_HAS_LOSS = "loss" in inspect.signature(MLPRegressor).parameters
if not SKLEARN_HAS_LOSS:
    EXTENSIONS["loss"] = "squared_error"

converging_cut_short = pytest.mark.filterwarnings(
    # These fits stop at a small max_iter on purpose (speed, or to compare the
    # same number of epochs with scikit-learn); the warning is the expected outcome.
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


def _small(**params):
    params = {"hidden_layer_sizes": (10,), "max_iter": 20, "random_state": 0, **params}
    return ScratchMLPRegressor(**params)


def _sklearn_twin(est):
    if est.loss != EXTENSIONS.get("loss", est.loss):
        pytest.skip(
            f"scikit-learn {sklearn.__version__}'s MLPRegressor has no loss={est.loss!r}"
        )
    params = {k: v for k, v in est.get_params().items() if k not in EXTENSIONS}
    return MLPRegressor(**params)


def assert_same_model(ours, theirs, rtol=1e-7, atol=1e-9):
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.t_ == theirs.t_
    assert ours.out_activation_ == theirs.out_activation_


def test_get_params_match_sklearn():
    ours = ScratchMLPRegressor().get_params()
    theirs = MLPRegressor().get_params()
    assert set(ours) == set(theirs) | set(EXTENSIONS)
    for name, default in theirs.items():
        assert ours[name] == default, name
    for name, default in EXTENSIONS.items():
        assert ours[name] == default, name


def test_signature_matches_sklearn():
    ours = inspect.signature(ScratchMLPRegressor).parameters
    theirs = inspect.signature(MLPRegressor).parameters
    names = [name for name in ours if SKLEARN_HAS_LOSS or name != "loss"]
    assert names[: len(theirs)] == list(theirs)
    for name, param in theirs.items():
        assert ours[name].kind == param.kind, name
        assert ours[name].default == param.default, name


@converging_cut_short
@pytest.mark.parametrize(
    "params",
    [{}, {"early_stopping": True}, {"solver": "lbfgs"}],
    ids=["adam", "es", "lbfgs"],
)
def test_fitted_attributes_as_sklearn(regression_data, params):
    X, y = regression_data
    ours = _small(max_iter=5, **params).fit(X, y[:, 0])
    theirs = _sklearn_twin(ours).fit(X, y[:, 0])
    expected = {
        k: v for k, v in vars(theirs).items() if k.endswith("_") and not k.startswith("_")
    }
    for name, value in expected.items():
        got = getattr(ours, name)
        if isinstance(value, list):  # coefs_ and intercepts_ write through to layers_
            assert isinstance(got, list), name
        elif value is None or isinstance(value, (str, np.ndarray)):
            assert type(got) is type(value), name
        else:  # int stays int; float and np.float64 are both Real
            kind = Integral if isinstance(value, Integral) else Real
            assert isinstance(got, kind) and not isinstance(got, bool), name


@converging_cut_short
def test_single_output(regression_data):
    X, y = regression_data
    est = _small(hidden_layer_sizes=(6, 5)).fit(X, y[:, 0])
    assert est.n_outputs_ == 1
    assert est.out_activation_ == "identity"
    assert est.n_layers_ == 4
    assert [c.shape for c in est.coefs_] == [(3, 6), (6, 5), (5, 1)]
    pred = est.predict(X)
    assert pred.shape == (80,)
    assert est.score(X, y[:, 0]) == pytest.approx(r2_score(y[:, 0], pred))


@converging_cut_short
def test_column_vector_target_is_raveled(regression_data):
    X, y = regression_data
    with pytest.warns(DataConversionWarning):
        est = _small().fit(X, y[:, :1])
    assert est.predict(X).shape == (80,)
    np.testing.assert_array_equal(est.coefs_[0], _small().fit(X, y[:, 0]).coefs_[0])


@converging_cut_short
def test_multi_output(regression_data):
    X, y = regression_data
    est = _small(solver="lbfgs", max_iter=60).fit(X, y)
    assert est.n_outputs_ == 2
    assert est.coefs_[-1].shape == (10, 2)
    pred = est.predict(X)
    assert pred.shape == (80, 2)
    assert est.score(X, y) == pytest.approx(r2_score(y, pred))
    assert est.score(X, y) > 0.9


@converging_cut_short
def test_poisson_loss():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    y = rng.poisson(np.exp(0.8 * X[:, 0] - 0.3 * X[:, 1]))
    est = ScratchMLPRegressor(
        loss="poisson", hidden_layer_sizes=(8,), solver="lbfgs", max_iter=50, random_state=0
    ).fit(X, y)
    assert est.out_activation_ == "exp"
    pred = est.predict(X)
    assert np.all(pred > 0)
    # Poisson regression recovers the rate better than predicting the mean.
    mu = np.exp(0.8 * X[:, 0] - 0.3 * X[:, 1])
    assert np.mean((pred - mu) ** 2) < 0.5 * np.mean((y.mean() - mu) ** 2)


def test_poisson_rejects_negative_targets(regression_data):
    X, y = regression_data
    with pytest.raises(ValueError, match="non-negative"):
        ScratchMLPRegressor(loss="poisson").fit(X, y[:, 0])


@converging_cut_short
def test_early_stopping_restores_best_weights(regression_data):
    X, y = regression_data
    params = {
        "early_stopping": True,
        "validation_fraction": 0.25,
        "n_iter_no_change": 5,
        "learning_rate_init": 0.05,
        "max_iter": 300,
    }
    full = _small(**params).fit(X, y[:, 0])
    scores = full.validation_scores_
    assert len(scores) == full.n_iter_ < 300
    assert full.best_validation_score_ == max(scores)
    best_epoch = int(np.argmax(scores)) + 1
    assert best_epoch < full.n_iter_  # training ran past its best epoch...
    # ...and the model is the one from the best epoch: the same fit cut at that
    # epoch (the same split, the same batches) ends on the same weights.
    cut = _small(**{**params, "max_iter": best_epoch}).fit(X, y[:, 0])
    assert cut.validation_scores_ == scores[:best_epoch]
    for a, b in zip(full.coefs_ + full.intercepts_, cut.coefs_ + cut.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert full.score(X, y[:, 0]) == cut.score(X, y[:, 0])


@converging_cut_short
def test_partial_fit(regression_data):
    X, y = regression_data
    est = _small()
    for _ in range(3):
        est.partial_fit(X, y)
    assert est.n_iter_ == 1 and est.t_ == 240 and len(est.loss_curve_) == 3
    assert est.loss_curve_[-1] < est.loss_curve_[0]
    with pytest.raises(ValueError):
        est.partial_fit(X, y[:, 0])  # a different number of outputs


@converging_cut_short
def test_warm_start(regression_data):
    X, y = regression_data
    est = _small(max_iter=5, warm_start=True).fit(X, y)
    est.fit(X, y)
    assert len(est.loss_curve_) == 10
    assert est.loss_ < _small(max_iter=5).fit(X, y).loss_
    est.set_params(hidden_layer_sizes=(4,))
    with pytest.raises(ValueError, match="must keep hidden_layer_sizes"):
        est.fit(X, y)


@converging_cut_short
def test_sparse_input_same_model_as_dense(regression_data):
    X, y = regression_data
    X = np.where(np.abs(X) > 0.5, X, 0.0)
    dense = _small().fit(X, y)
    sparse = _small().fit(sp.csr_matrix(X), y)
    for a, b in zip(sparse.coefs_ + sparse.intercepts_, dense.coefs_ + dense.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@converging_cut_short
def test_float32_is_kept(regression_data):
    X, y = regression_data
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    est = _small().fit(X32, y32)
    assert all(a.dtype == np.float32 for a in est.coefs_ + est.intercepts_)
    assert est.predict(X32).dtype == np.float32
    np.testing.assert_allclose(est.predict(X32), _small().fit(X, y).predict(X), atol=1e-4)


def test_convergence_warning_comes_from_skscratch(regression_data):
    X, y = regression_data
    with pytest.warns(ConvergenceWarning, match="Maximum iterations") as record:
        _small(max_iter=3).fit(X, y)
    assert from_skscratch(record[0])


@converging_cut_short
def test_failed_fit_leaves_fitted_model_unchanged(regression_data):
    X, y = regression_data
    est = _small(max_iter=5).fit(X, y)
    pred = est.predict(X)
    X_inf = X.copy()
    X_inf[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        est.fit(X_inf, y)
    with pytest.raises(ValueError, match="non-negative"):
        est.set_params(loss="poisson").fit(X, y)
    est.set_params(loss="squared_error")
    np.testing.assert_array_equal(est.predict(X), pred)


# ----------------------------------------------------- same as scikit-learn
SKLEARN_CASES = {
    "adam": {},
    "sgd": {"solver": "sgd", "learning_rate_init": 0.01},
    "lbfgs": {"solver": "lbfgs"},
    "sgd-invscaling": {
        "solver": "sgd",
        "learning_rate": "invscaling",
        "learning_rate_init": 0.05,
    },
    "tanh-2-layers": {"activation": "tanh", "hidden_layer_sizes": (6, 5), "batch_size": 16},
    "logistic-alpha": {"activation": "logistic", "alpha": 0.1},
    "early-stopping": {"early_stopping": True, "n_iter_no_change": 3, "max_iter": 50},
}


@converging_cut_short
@pytest.mark.parametrize("params", SKLEARN_CASES.values(), ids=SKLEARN_CASES.keys())
def test_same_coefficients_as_sklearn(regression_data, params):
    X, y = regression_data
    ours = _small(**params).fit(X, y[:, 0])
    theirs = _sklearn_twin(ours).fit(X, y[:, 0])
    assert_same_model(ours, theirs)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-7, atol=1e-9)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-7)
    if params.get("early_stopping"):
        assert ours.validation_scores_ == pytest.approx(theirs.validation_scores_)


@converging_cut_short
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_same_coefficients_as_sklearn_multi_output(regression_data, solver):
    X, y = regression_data
    ours = _small(solver=solver, learning_rate_init=0.01, alpha=0.0).fit(X, y)
    theirs = _sklearn_twin(ours).fit(X, y)
    assert_same_model(ours, theirs)
    # skscratch sums the loss over outputs; scikit-learn reports the mean
    # (alpha=0: the L2 penalty is added once to either).
    np.testing.assert_allclose(
        ours.loss_curve_, 2 * np.asarray(theirs.loss_curve_), rtol=1e-7
    )


@converging_cut_short
def test_same_coefficients_as_sklearn_poisson():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 3))
    y = rng.poisson(np.exp(0.5 * X[:, 0]))
    for solver in ("adam", "lbfgs"):
        ours = _small(loss="poisson", solver=solver).fit(X, y)
        theirs = _sklearn_twin(ours).fit(X, y)
        assert_same_model(ours, theirs)


@converging_cut_short
@needs_sklearn_mlp_sample_weight
def test_same_coefficients_as_sklearn_sample_weight(regression_data):
    X, y = regression_data
    sw = np.random.RandomState(1).uniform(0.5, 2.0, size=len(X))
    for solver in ("adam", "lbfgs"):
        ours = _small(solver=solver).fit(X, y[:, 0], sample_weight=sw)
        theirs = _sklearn_twin(ours).fit(X, y[:, 0], sample_weight=sw)
        assert_same_model(ours, theirs)


@needs_sklearn_mlp_sample_weight
def test_same_weighted_loss_curve_and_stop_as_sklearn(regression_data):
    # Mini-batches of unequal weight (bootstrap counts, zeros among them): the
    # epoch loss averages the batch losses by rows, as scikit-learn's, so the
    # tol rule ends the fit at the same epoch.
    X, y = regression_data
    sw = np.bincount(np.random.RandomState(2).randint(0, 80, size=80), minlength=80)
    ours = _small(batch_size=16, max_iter=200, tol=1e-3, n_iter_no_change=3)
    ours.fit(X, y[:, 0], sample_weight=sw)
    theirs = _sklearn_twin(ours).fit(X, y[:, 0], sample_weight=sw)
    assert ours.n_iter_ < 200
    assert_same_model(ours, theirs)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-7)


@needs_sklearn_mlp_sample_weight  # BaggingRegressor passes weights where the MLP takes them
@converging_cut_short
def test_bagging_members_as_sklearn():
    # BaggingRegressor fits each member with bootstrap counts as sample_weight.
    X, y = load_diabetes(return_X_y=True)
    models = [
        BaggingRegressor(
            mlp(hidden_layer_sizes=(20,), max_iter=300, random_state=0),
            n_estimators=5,
            random_state=0,
        ).fit(X, y)
        for mlp in (ScratchMLPRegressor, MLPRegressor)
    ]
    ours, theirs = ([member.n_iter_ for member in bag.estimators_] for bag in models)
    assert ours == theirs and min(ours) < 300
    np.testing.assert_allclose(models[0].predict(X), models[1].predict(X), rtol=1e-9)


@converging_cut_short
def test_same_partial_fit_as_sklearn(regression_data):
    X, y = regression_data
    ours = _small(solver="sgd", learning_rate_init=0.01)
    theirs = _sklearn_twin(ours)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # partial_fit never warns about max_iter
        for est in (ours, theirs):
            for start in (0, 40, 0):
                est.partial_fit(X[start : start + 40], y[start : start + 40, 0])
    assert_same_model(ours, theirs)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_huber_resists_outliers():
    rng = np.random.RandomState(0)
    X = rng.uniform(-3, 3, size=(500, 1))
    y = 2 * X.ravel() + rng.normal(scale=0.1, size=500)
    y[rng.choice(500, 25, replace=False)] += 50  # 5% gross outliers
    grid = np.linspace(-3, 3, 200).reshape(-1, 1)
    error = {}
    for loss in ("squared_error", "huber"):
        model = ScratchMLPRegressor(loss=loss, max_iter=500, random_state=0).fit(X, y)
        error[loss] = np.abs(model.predict(grid) - 2 * grid.ravel()).mean()
    assert error["huber"] < 0.25 < 1.0 < error["squared_error"], error
