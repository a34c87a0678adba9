"""_training.config: estimator parameters -> the network and optimizer a fit trains."""

import numpy as np
import pytest
from helpers import same_weights, small_classifier
from sklearn.utils._param_validation import StrOptions

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor
from skscratch._training.config import (
    SOLVERS,
    STOCHASTIC_SOLVERS,
    Solver,
    make_optimizer,
    training_config,
)
from skscratch.core import SGD, Adam, AdamW, Network, RMSprop

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"  # small max_iter on purpose
)


def _built(est, X, y, seed=0, previous=None, rng=None):
    """What fit builds for ``est`` on ``X, y``: (network, optimizer)."""
    task = est._task(first_pass=True)
    data = est._training_data(task, X, y, None, False, None, True)
    config = training_config(est, data.X.shape[0])
    rng = np.random.RandomState(seed) if rng is None else rng
    return est._network(config, task, data, rng, previous)


# ------------------------------------------------------------- the registry
def test_solver_parameter_allows_exactly_the_registered_solvers():
    (options,) = [
        c
        for c in ScratchMLPClassifier._parameter_constraints["solver"]
        if hasattr(c, "options")
    ]
    assert options.options == set(SOLVERS)
    assert set(STOCHASTIC_SOLVERS) == set(SOLVERS) - {"lbfgs"}


@pytest.mark.parametrize(
    "solver, cls", [("sgd", SGD), ("adam", Adam), ("adamw", AdamW), ("rmsprop", RMSprop)]
)
def test_registry_builds_each_solver_from_the_parameters(iris, solver, cls):
    est = ScratchMLPClassifier((5,), solver=solver, beta_2=0.9, epsilon=1e-6, alpha=0.1)
    net, optimizer = _built(est, *iris)
    assert type(optimizer) is cls
    assert optimizer.learning_rate == est.learning_rate_init
    if solver == "sgd":
        assert optimizer.momentum == est.momentum
    if solver == "rmsprop":
        assert optimizer.rho == 0.9 and optimizer.epsilon == 1e-6
    if solver == "adamw":
        # Decoupled decay by alpha, of the weights only (packed before the biases).
        assert optimizer.weight_decay == 0.1
        assert optimizer.decay_slice == slice(0, net.n_coef)


def test_lbfgs_has_no_step_optimizer(iris):
    net, optimizer = _built(ScratchMLPClassifier((5,), solver="lbfgs"), *iris)
    assert optimizer is None
    config = training_config(ScratchMLPClassifier(solver="lbfgs"), 150)
    assert make_optimizer(config, net) is None


def test_a_registered_solver_is_a_valid_parameter(iris, monkeypatch):
    # A new optimizer is a class plus one registry line: here SGD with classical
    # momentum under a new name. (The constraint is made from SOLVERS at import,
    # hence its patch too.)
    monkeypatch.setitem(SOLVERS, "plain_sgd", Solver(SGD, {"momentum": "momentum"}))
    monkeypatch.setitem(
        ScratchMLPClassifier._parameter_constraints, "solver", [StrOptions(set(SOLVERS))]
    )
    est = ScratchMLPClassifier(
        (5,), solver="plain_sgd", momentum=0.0, max_iter=3, random_state=0
    )
    est.fit(*iris)
    reference = ScratchMLPClassifier(
        (5,), solver="sgd", momentum=0.0, max_iter=3, random_state=0
    ).fit(*iris)
    assert same_weights(est, reference)


# ---------------------------------------------------------- the network built
def test_build_makes_the_layers_the_parameters_ask_for(iris):
    X, y = iris
    est = ScratchMLPClassifier((6, 5), activation=["relu", "tanh"], dropout=[0.2, 0.0])
    net, _ = _built(est, X, y)
    assert net.layer_sizes == (4, 6, 5, 3)
    assert net.hidden_activation_names == ["relu", "tanh"]
    assert [type(layer).__name__ for layer in net.layers] == [
        "Dense",
        "Dropout",
        "Dense",
        "Dense",
    ]
    assert net.loss.name == "log_loss"


def test_build_starts_where_sklearn_starts(iris):
    # Glorot's draws in scikit-learn's order: per layer, weights then biases,
    # with factor 2 for a logistic network and 6 otherwise.
    X, y = iris
    for activation, factor in (("relu", 6.0), ("logistic", 2.0)):
        net, _ = _built(ScratchMLPClassifier((5,), activation=activation), X, y, seed=3)
        rng = np.random.RandomState(3)
        for W, b in zip(net.coefs, net.intercepts):
            bound = np.sqrt(factor / sum(W.shape))
            np.testing.assert_array_equal(W, rng.uniform(-bound, bound, W.shape))
            np.testing.assert_array_equal(b, rng.uniform(-bound, bound, b.shape))


def test_no_hidden_layer_logistic_uses_sklearns_factor(iris):
    # The one case where the init rule needs the `activation` parameter itself.
    X, y = iris
    net, _ = _built(ScratchMLPClassifier((), activation="logistic"), X, y, seed=0)
    bound = np.sqrt(2.0 / (4 + 3))  # 6 in place of 2 would be the rule without it
    expected = np.random.RandomState(0).uniform(-bound, bound, (4, 3))
    np.testing.assert_array_equal(net.coefs[0], expected)


def test_build_refuses_previous_weights_of_another_shape(iris):
    X, y = iris
    est = ScratchMLPClassifier((5,))
    previous = Network((4, 6, 3), "relu", "log_loss").records()
    with pytest.raises(ValueError, match="must keep hidden_layer_sizes"):
        _built(est, X, y, previous=previous)


def test_dropout_seed_drawn_only_with_dropout(iris):
    # A fit without dropout consumes the random stream exactly as scikit-learn's.
    X, y = iris
    for dropout, draws in ((0.0, 0), (0.3, 1)):
        rng = np.random.RandomState(0)
        _built(ScratchMLPClassifier((5,), dropout=dropout), X, y, rng=rng)
        reference = np.random.RandomState(0)
        reference.uniform(size=4 * 5 + 5 + 5 * 3 + 3)
        if draws:
            reference.randint(2**31 - 1)
        assert rng.randint(1000) == reference.randint(1000)


def test_regressor_builds_its_loss(regression_data):
    net, _ = _built(
        ScratchMLPRegressor(hidden_layer_sizes=(4,), loss="huber"), *regression_data
    )
    assert net.loss.name == "huber" and net.layer_sizes == (3, 4, 2)


# ------------------------------------------------- activation and dropout values
def test_one_activation_per_hidden_layer(iris):
    X, y = iris
    model = ScratchMLPClassifier(
        (8, 6, 4), activation=["tanh", "gelu", "relu"], solver="lbfgs", random_state=0
    )
    model.fit(X, y)
    assert model.score(X, y) > 0.95
    # The fitted activations, not the parameter, drive prediction.
    proba = model.predict_proba(X)
    model.set_params(activation="identity")
    np.testing.assert_array_equal(model.predict_proba(X), proba)


@pytest.mark.parametrize(
    "activation, message",
    [(["relu", "tanh"], "2 names for 1 hidden layers"), (["swish"], "Unknown activation")],
)
def test_bad_activation_list(iris, activation, message):
    X, y = iris
    with pytest.raises(ValueError, match=message):
        ScratchMLPClassifier((5,), activation=activation).fit(X, y)


def test_dropout_is_deterministic_and_changes_training(iris):
    X, y = iris

    def fit(**params):
        return ScratchMLPClassifier((30,), max_iter=30, random_state=0, **params).fit(X, y)

    a, b, plain = fit(dropout=0.3), fit(dropout=0.3), fit()
    for wa, wb in zip(a.coefs_, b.coefs_):
        np.testing.assert_array_equal(wa, wb)
    assert not np.allclose(a.coefs_[0], plain.coefs_[0])


def test_dropout_per_layer_and_validation(iris):
    X, y = iris
    ScratchMLPClassifier((6, 5), dropout=[0.1, 0.0], max_iter=5).fit(X, y)
    with pytest.raises(ValueError, match="one rate in \\[0, 1\\) per hidden layer"):
        ScratchMLPClassifier((6, 5), dropout=[0.1]).fit(X, y)
    with pytest.raises(ValueError, match="dropout"):
        ScratchMLPClassifier((6,), dropout=1.0).fit(X, y)


@pytest.mark.parametrize("name", ["logistic", "tanh", "relu"])
def test_list_of_one_name_is_the_name(iris, name):
    # Including the initialisation: logistic networks draw with factor 2 throughout.
    by_list = small_classifier(activation=[name, name]).fit(*iris)
    assert same_weights(by_list, small_classifier(activation=name).fit(*iris))


@pytest.mark.parametrize("rate", [0.0, [0.0, 0.0]], ids=["scalar", "per-layer"])
def test_zero_dropout_is_no_dropout(iris, rate):
    assert same_weights(
        small_classifier(dropout=rate).fit(*iris), small_classifier().fit(*iris)
    )
