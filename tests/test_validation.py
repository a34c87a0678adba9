"""Bad input and bad parameters: a clear error, raised before any training."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

import skscratch._estimators.base
from skscratch import ScratchMLPClassifier, ScratchMLPRegressor

ESTIMATORS = [ScratchMLPClassifier, ScratchMLPRegressor]

rng = np.random.RandomState(0)
X = rng.normal(size=(20, 3))
Y_CLASS = np.arange(20) % 2
Y_REG = rng.normal(size=20)


def _y(Est):
    return Y_CLASS if Est is ScratchMLPClassifier else Y_REG


@pytest.fixture(autouse=True)
def no_training(monkeypatch):
    """Any attempt to train fails loudly, so an error must come from validation."""

    def training_started(*args, **kwargs):
        raise AssertionError("training started before the input was rejected")

    monkeypatch.setattr(skscratch._estimators.base, "fit_stochastic", training_started)
    monkeypatch.setattr(skscratch._estimators.base, "fit_lbfgs", training_started)


def _with(index, value, array=X):
    bad = array.astype(float)
    bad[index] = value
    return bad


BAD_X = {
    "nan": (_with((3, 1), np.nan), ValueError, "NaN"),
    "inf": (_with((3, 1), np.inf), ValueError, "infinity"),
    "1d": (X[:, 0], ValueError, "Expected 2D array"),
    "3d": (X[:, :, None], ValueError, "dim 3"),
    "no-samples": (X[:0], ValueError, "0 sample"),
    "no-features": (X[:, :0], ValueError, "0 feature"),
    "strings": (np.array([["a", "b"]] * 20), ValueError, "could not convert"),
    "complex": (X + 1j, ValueError, "Complex"),
}


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("case", BAD_X.values(), ids=BAD_X.keys())
def test_bad_X_in_fit(Est, case):
    X_bad, error, match = case
    y = _y(Est)[: X_bad.shape[0]] if X_bad.ndim else _y(Est)
    with pytest.raises(error, match=match):
        Est().fit(X_bad, y)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_mismatched_lengths(Est):
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        Est().fit(X, _y(Est)[:-1])


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_bad_sample_weight(Est):
    with pytest.raises(ValueError, match="Negative values"):
        Est().fit(X, _y(Est), sample_weight=_with(4, -1.0, np.ones(20)))
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(19,\)"):
        Est().fit(X, _y(Est), sample_weight=np.ones(19))
    with pytest.raises(ValueError, match="NaN"):
        Est().fit(X, _y(Est), sample_weight=_with(2, np.nan, np.ones(20)))


def test_bad_targets():
    with pytest.raises(ValueError, match="NaN"):
        ScratchMLPRegressor().fit(X, _with(5, np.nan, Y_REG))
    with pytest.raises(ValueError, match="mixes label types"):
        ScratchMLPClassifier().fit(X, ["a", 1] * 10)
    with pytest.raises(ValueError, match="Unknown label type"):
        ScratchMLPClassifier().fit(X, Y_REG)  # continuous labels
    with pytest.raises(ValueError, match="non-negative"):
        ScratchMLPRegressor(loss="poisson").fit(X, Y_REG)


BAD_PARAMS = {
    "activation": {"activation": "foo"},
    "solver": {"solver": "bar"},
    "hidden-zero": {"hidden_layer_sizes": (0,)},
    "hidden-negative": {"hidden_layer_sizes": -3},
    "alpha": {"alpha": -1.0},
    "learning_rate": {"learning_rate": "fast"},
    "learning_rate_init": {"learning_rate_init": 0.0},
    "batch_size": {"batch_size": 0},
    "max_iter": {"max_iter": 0},
    "momentum": {"momentum": 1.5},
    "validation_fraction": {"validation_fraction": 1.0},
    "beta_1": {"beta_1": 1.0},
    "epsilon": {"epsilon": 0.0},
    "n_iter_no_change": {"n_iter_no_change": 0},
    "max_fun": {"max_fun": 0},
    "shuffle": {"shuffle": "yes"},
}


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("params", BAD_PARAMS.values(), ids=BAD_PARAMS.keys())
def test_bad_parameter_value(Est, params):
    (name,) = params  # the message names the parameter
    with pytest.raises(ValueError, match=name):
        Est(**params).fit(X, _y(Est))


def test_bad_regressor_loss():
    with pytest.raises(ValueError, match="loss"):
        ScratchMLPRegressor(loss="absolute_error").fit(X, Y_REG)


def test_hidden_layer_sizes_must_be_integers():
    with pytest.raises(TypeError, match="hidden_layer_sizes"):
        ScratchMLPClassifier(hidden_layer_sizes=(2.5,)).fit(X, Y_CLASS)


PREDICT_METHODS = [
    (Est, method)
    for Est in ESTIMATORS
    for method in ("predict", "predict_proba", "predict_log_proba", "score")
    if hasattr(Est, method)
]


@pytest.mark.parametrize(
    "Est, method", PREDICT_METHODS, ids=[f"{E.__name__}.{m}" for E, m in PREDICT_METHODS]
)
def test_not_fitted(Est, method):
    args = (X, _y(Est)) if method == "score" else (X,)
    with pytest.raises(NotFittedError, match="not fitted"):
        getattr(Est(), method)(*args)


def _fitted(Est, monkeypatch):
    monkeypatch.undo()  # this one fit may train
    est = Est(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=5)
    with pytest.warns(Warning):  # 5 iterations do not converge
        return est.fit(X, _y(Est))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_wrong_number_of_features_at_predict(Est, monkeypatch):
    est = _fitted(Est, monkeypatch)
    with pytest.raises(ValueError, match="X has 2 features, but .* is expecting 3"):
        est.predict(X[:, :2])
    with pytest.raises(ValueError, match="Expected 2D array"):
        est.predict(X[0])
    with pytest.raises(ValueError, match="NaN"):
        est.predict(_with((0, 0), np.nan))


def test_partial_fit_errors():
    clf = ScratchMLPClassifier()
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, Y_CLASS)
    with pytest.raises(ValueError, match="early_stopping"):
        ScratchMLPClassifier(early_stopping=True).partial_fit(X, Y_CLASS, classes=[0, 1])
    with pytest.raises(ValueError, match="early_stopping"):
        ScratchMLPRegressor(early_stopping=True).partial_fit(X, Y_REG)
    with pytest.raises(AttributeError, match="partial_fit"):
        ScratchMLPRegressor(solver="lbfgs").partial_fit(X, Y_REG)
