"""check_gradients: small for a correct backprop, large for a broken one."""

import numpy as np
import pytest

import skscratch.core.activations as activations
from skscratch import ScratchMLPClassifier, ScratchMLPRegressor, check_gradients
from skscratch.core import HIDDEN_ACTIVATIONS


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 3))
    return X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0), X @ [1.0, -2.0, 0.5]


CASES = {
    "classifier-tanh": (ScratchMLPClassifier, {"activation": "tanh"}),
    "classifier-weighted": (
        ScratchMLPClassifier,
        {"class_weight": "balanced", "alpha": 0.5},
    ),
    "classifier-dropout": (ScratchMLPClassifier, {"dropout": 0.3}),
    "regressor-logistic": (ScratchMLPRegressor, {"activation": "logistic"}),
    "regressor-huber": (ScratchMLPRegressor, {"loss": "huber"}),
    "regressor-layers": (ScratchMLPRegressor, {"activation": ["tanh", "elu"]}),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_correct_backprop_gives_small_error(data, case):
    Est, params = case
    X, y_class, y_reg = data
    y = y_class if Est is ScratchMLPClassifier else y_reg
    sizes = (4, 3) if isinstance(params.get("activation"), list) else (4,)
    est = Est(hidden_layer_sizes=sizes, **params)
    sw = np.random.RandomState(1).uniform(0.5, 2, size=30)
    assert check_gradients(est, X, y, sample_weight=sw) < 1e-6
    assert not hasattr(est, "coefs_")  # the estimator is left alone


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fitted_estimator_checked_at_its_weights(data):
    X, y, _ = data
    est = ScratchMLPClassifier((4,), activation="tanh", max_iter=5, random_state=0).fit(
        X, y
    )
    coefs = [c.copy() for c in est.coefs_]
    assert check_gradients(est, X, y) < 1e-6
    for a, b in zip(est.coefs_, coefs):
        np.testing.assert_array_equal(a, b)


def test_broken_backprop_is_caught(data, monkeypatch):
    X, y, _ = data

    def wrong_backward(a, delta, z=None, ops=None):
        delta *= 1 - a  # forgets a factor a of the logistic derivative a (1 - a)
        return delta

    monkeypatch.setattr(activations.Logistic, "backward", staticmethod(wrong_backward))
    est = ScratchMLPClassifier((4,), activation="logistic")
    assert check_gradients(est, X, y) > 1e-2


def test_max_params_limits_the_work(data):
    X, y, _ = data
    est = ScratchMLPClassifier((50,), activation="tanh")
    assert check_gradients(est, X, y, max_params=20) < 1e-6


def test_every_activation_has_an_exact_gradient(iris):
    X, y = iris
    for name in HIDDEN_ACTIVATIONS:
        error = check_gradients(ScratchMLPClassifier((5, 4), activation=name), X, y)
        assert error < 1e-6, name


def test_dropout_gradient_with_fixed_masks(iris):
    X, y = iris
    model = ScratchMLPClassifier((6, 5), activation="tanh", dropout=[0.4, 0.2], alpha=0.1)
    assert check_gradients(model, X, y) < 1e-6


@pytest.mark.parametrize(
    "model",
    [
        ScratchMLPClassifier((4,), activation="logistic", class_weight="balanced", alpha=1),
        ScratchMLPRegressor(loss="huber", hidden_layer_sizes=(4, 3), activation="elu"),
        ScratchMLPRegressor(loss="poisson", hidden_layer_sizes=(4,), activation="tanh"),
    ],
    ids=["classifier", "huber", "poisson"],
)
def test_check_gradients_small_for_correct_backprop(iris, model):
    X, y = iris
    target = y if isinstance(model, ScratchMLPClassifier) else np.abs(X[:, 0]) * 2
    weights = np.linspace(0.5, 2.0, len(y))
    assert check_gradients(model, X, target, sample_weight=weights) < 1e-6


def test_check_gradients_catches_a_wrong_derivative(iris, monkeypatch):
    X, y = iris
    tanh = HIDDEN_ACTIVATIONS["tanh"]
    monkeypatch.setattr(
        tanh, "backward", staticmethod(lambda a, delta, z=None, ops=None: delta)
    )
    assert check_gradients(ScratchMLPClassifier((4,), activation="tanh"), X, y) > 1e-2


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_check_gradients_leaves_a_fitted_model_alone(iris):
    X, y = iris
    model = ScratchMLPClassifier((4,), max_iter=5, random_state=0).fit(X, y)
    before = [w.copy() for w in model.coefs_]
    assert check_gradients(model, X, y) < 1e-6
    for a, b in zip(before, model.coefs_):
        np.testing.assert_array_equal(a, b)
