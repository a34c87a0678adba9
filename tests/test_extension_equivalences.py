"""Each addition to scikit-learn's MLP, at a neutral setting, trains exactly the
model without it; and the spelled-out forms of an addition agree with each other.
(What the additions do is tested in test_extensions.py.)"""

import numpy as np
import pytest
from sklearn.utils.class_weight import compute_sample_weight

from skscratch import ScratchMLPClassifier
from skscratch.core import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"  # small max_iter on purpose
)


def _clf(**params):
    return ScratchMLPClassifier(
        **{"hidden_layer_sizes": (6, 5), "max_iter": 10, "random_state": 0, **params}
    )


def _same_weights(a, b):
    pairs = zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_)
    return all(np.array_equal(p, q) for p, q in pairs)


@pytest.fixture(scope="module")
def unbalanced(iris):
    X, y = iris
    keep = np.r_[0:50, 50:70, 100:110]  # 50, 20 and 10 samples of the three classes
    return X[keep], y[keep]


@pytest.mark.parametrize("name", ["logistic", "tanh", "relu"])
def test_list_of_one_name_is_the_name(iris, name):
    # Including the initialisation: logistic networks draw with factor 2 throughout.
    by_list = _clf(activation=[name, name]).fit(*iris)
    assert _same_weights(by_list, _clf(activation=name).fit(*iris))


def test_per_layer_activations_drive_prediction(iris):
    X, y = iris
    est = _clf(activation=["relu", "logistic"]).fit(X, y)
    a = HIDDEN_ACTIVATIONS["relu"].forward(X @ est.coefs_[0] + est.intercepts_[0])
    a = HIDDEN_ACTIVATIONS["logistic"].forward(a @ est.coefs_[1] + est.intercepts_[1])
    z = a @ est.coefs_[2] + est.intercepts_[2]
    expected = OUTPUT_ACTIVATIONS["softmax"].forward(z)
    np.testing.assert_allclose(est.predict_proba(X), expected, rtol=1e-12)


@pytest.mark.parametrize("rate", [0.0, [0.0, 0.0]], ids=["scalar", "per-layer"])
def test_zero_dropout_is_no_dropout(iris, rate):
    assert _same_weights(_clf(dropout=rate).fit(*iris), _clf().fit(*iris))


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_balanced_class_weight_is_its_sample_weight(unbalanced, solver):
    X, y = unbalanced
    weighted = _clf(solver=solver, class_weight="balanced").fit(X, y)
    sw = compute_sample_weight("balanced", y)
    explicit = _clf(solver=solver).fit(X, y, sample_weight=sw)
    for a, b in zip(weighted.coefs_, explicit.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_class_weight_multiplies_sample_weight(unbalanced):
    X, y = unbalanced
    sw = np.random.RandomState(0).uniform(0.5, 2, size=len(y))
    weighted = _clf(class_weight={0: 1.0, 1: 2.0, 2: 5.0}).fit(X, y, sample_weight=sw)
    explicit = _clf().fit(X, y, sample_weight=sw * np.array([1.0, 2.0, 5.0])[y])
    for a, b in zip(weighted.coefs_, explicit.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_adamw_without_decay_is_adam(iris):
    assert _same_weights(
        _clf(solver="adamw", alpha=0.0).fit(*iris), _clf(alpha=0.0).fit(*iris)
    )
    # With alpha > 0 the decay is decoupled from the gradient: another path.
    decoupled = _clf(solver="adamw", alpha=0.1).fit(*iris)
    assert not _same_weights(decoupled, _clf(alpha=0.1).fit(*iris))


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_constant_callable_learning_rate_is_constant(iris, solver):
    by_callable = _clf(solver=solver, learning_rate=lambda epoch: 1.0).fit(*iris)
    assert _same_weights(by_callable, _clf(solver=solver).fit(*iris))


def test_cosine_applies_to_adam(iris):
    est = _clf(learning_rate="cosine", learning_rate_init=0.1, max_iter=4).fit(*iris)
    rates = [record["learning_rate"] for record in est.history_]
    assert rates == pytest.approx([0.1 * (1 + np.cos(np.pi * e / 4)) / 2 for e in range(4)])


def test_failing_learning_rate_callable_leaves_model_unchanged(iris):
    est = _clf().fit(*iris)
    proba = est.predict_proba(iris[0])
    est.set_params(learning_rate=lambda epoch: -1.0 if epoch == 2 else 1.0)
    with pytest.raises(ValueError, match="learning_rate callable"):
        est.fit(*iris)  # fails in the middle of training, at epoch 2
    np.testing.assert_array_equal(est.predict_proba(iris[0]), proba)
    assert est.n_iter_ == 10
