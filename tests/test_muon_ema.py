"""solver='muon' (skscratch.core.muon) and ema_decay (skscratch.core.averaging):
the Newton-Schulz iteration, which parameters Muon takes, the moving average
against one computed by hand, and both through partial_fit, warm start, pickle,
skops and the array API."""

import os
import pickle
import warnings

import numpy as np
import pytest
import sklearn
from helpers import needs_array_api_dispatch, same_weights
from numpy.testing import assert_allclose
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor, TabularMLPClassifier
from skscratch._training.config import hidden_matrices, training_config
from skscratch.callbacks import Callback
from skscratch.core import AdamW
from skscratch.core.averaging import WeightAverage
from skscratch.core.backend import array_to_numpy
from skscratch.core.muon import RMS_MATCH, Muon, newton_schulz
from skscratch.core.schedules import ConstantSchedule

cut_short = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: Where 5 Newton-Schulz steps leave every singular value of at least 1% of the
#: Frobenius norm (the band that p(s) = a s + b s^3 + c s^5 maps into itself).
BAND = (0.68, 1.135)


def _polar_parts(G, Q):
    """``U.T @ Q @ V`` for ``G = U diag(s) V.T``: diagonal when ``Q`` has G's
    singular vectors; its diagonal, Q's singular values."""
    U, _, Vt = np.linalg.svd(G.astype(np.float64), full_matrices=False)
    return U.T @ Q.astype(np.float64) @ Vt.T


# ---------------------------------------------------------- Newton-Schulz
@pytest.mark.parametrize("shape", [(64, 16), (16, 64), (50, 30), (30, 50)])
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-5)])
def test_newton_schulz_is_near_the_orthogonal_polar_factor(shape, dtype, tol):
    G = np.random.default_rng(0).normal(size=shape).astype(dtype)
    Q = newton_schulz(G)
    assert Q.dtype == dtype and Q.shape == shape
    D = _polar_parts(G, Q)
    # The same singular vectors as G, so as U @ V.T ...
    assert np.abs(D - np.diag(np.diag(D))).max() < tol
    # ... and singular values near 1: in the band, at most 32% from U @ V.T.
    assert BAND[0] <= np.diag(D).min() and np.diag(D).max() <= BAND[1]
    U, _, Vt = np.linalg.svd(G.astype(np.float64), full_matrices=False)
    assert np.linalg.norm(Q - U @ Vt, 2) < 0.33


def test_newton_schulz_ignores_the_scale_and_keeps_zero():
    G = np.random.default_rng(1).normal(size=(20, 8))
    assert_allclose(newton_schulz(0.1 * G).copy(), newton_schulz(10 * G), atol=1e-6)
    assert not newton_schulz(np.zeros((5, 3))).any()  # no NaN from 0 / 0


# -------------------------------------------------- what Muon takes, and how
def _built(est, X, y):
    task = est._task(first_pass=True)
    data = est._training_data(task, X, y, None, False, None, True)
    config = training_config(est, data.X.shape[0])
    return est._network(config, task, data, np.random.RandomState(0))


def _mixed_table(n=120):
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.normal(size=(n, 3)), rng.randint(0, 4, n)])
    return X, (X[:, 0] + (X[:, 3] == 1) > 0.5).astype(int)


def test_muon_takes_the_hidden_matrices_and_adamw_the_rest():
    X, y = _mixed_table()
    est = ScratchMLPClassifier(
        (8, 6),
        solver="muon",
        alpha=0.1,
        momentum=0.9,
        learning_rate_init=0.01,
        categorical_features=[3],
        numeric_embedding="pbld",
        feature_scale=True,
    )
    net, optimizer = _built(est, X, y)
    assert isinstance(optimizer, Muon)
    # The first and second dense layers' W; not the output layer's, the
    # embedding tables, the periodic embedding, the scales or any bias.
    first, second = net.dense_layers[:2]
    layout = {
        id(layer): where for layer, name, where, _ in net.param_layout() if name == "W"
    }
    assert optimizer.matrices == [
        (layout[id(first)], first.W.shape),
        (layout[id(second)], second.W.shape),
    ]
    rng = np.random.default_rng(2)
    grad = rng.normal(size=net.params.shape)
    params = net.params.copy()
    reference = AdamW(
        params.size, ConstantSchedule(0.01), 0.1, slice(0, net.n_coef), 0.9, 0.999, 1e-8
    )
    expected = params.copy()
    reference.step(expected, grad)
    optimizer.step(params, grad)
    in_matrices = np.zeros(params.size, bool)
    for where, shape in optimizer.matrices:
        in_matrices[where] = True
        # Decoupled decay, then the orthogonalized Nesterov momentum (1 + mu) g,
        # at 0.2 sqrt(max(m, n)) times the rate.
        W, g = net.params[where].reshape(shape), grad[where].reshape(shape)
        step = 0.01 * RMS_MATCH * np.sqrt(max(shape)) * newton_schulz(1.9 * g)
        assert_allclose(params[where].reshape(shape), (1 - 0.01 * 0.1) * W - step)
    # Every other entry moves exactly as under AdamW.
    np.testing.assert_array_equal(params[~in_matrices], expected[~in_matrices])
    assert (params[in_matrices] != expected[in_matrices]).all()


def test_a_matrix_with_a_side_of_one_is_left_to_adamw(iris):
    X, y = iris
    net, optimizer = _built(ScratchMLPClassifier((5,), solver="muon"), X[:, :1], y)
    assert net.coefs[0].shape == (1, 5) and optimizer.matrices == []
    # Without a hidden matrix, Muon is AdamW.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        muon = ScratchMLPClassifier((5,), solver="muon", max_iter=5, random_state=0)
        adamw = ScratchMLPClassifier((5,), solver="adamw", max_iter=5, random_state=0)
        assert same_weights(muon.fit(X[:, :1], y), adamw.fit(X[:, :1], y))


def test_muon_refuses_matrices_that_do_not_fit():
    schedule = ConstantSchedule(0.1)
    with pytest.raises(ValueError, match="overlap"):
        Muon(20, schedule, [(slice(0, 6), (2, 3)), (slice(4, 10), (3, 2))])
    with pytest.raises(ValueError, match="shape's size"):
        Muon(20, schedule, [(slice(0, 5), (2, 3))])


@cut_short
@pytest.mark.parametrize("dataset", ["iris", "moons"])
def test_muon_trains_to_a_floor(iris, dataset):
    X, y = iris if dataset == "iris" else make_moons(500, noise=0.2, random_state=0)
    model = ScratchMLPClassifier(
        (32, 32), solver="muon", learning_rate_init=0.01, max_iter=300, random_state=0
    )
    assert model.fit(X, y).score(X, y) > 0.95
    assert model.partial_fit(X, y).n_iter_ == 1


@cut_short
def test_float32_stays_float32(iris):
    X, y = iris
    model = ScratchMLPClassifier(
        (8, 8), solver="muon", ema_decay=0.9, max_iter=5, random_state=0
    ).fit(X.astype(np.float32), y)
    assert all(a.dtype == np.float32 for a in model.coefs_ + model.intercepts_)
    state = model._optimizer_state
    arrays = [*state["B"], *state["weight_average"]["means"], state["adamw"][0]["M"]]
    assert all(a.dtype == np.float32 for a in arrays)


# ------------------------------------------------------- the weight average
class _Weights(Callback):
    """The weights the model holds at each epoch's end."""

    def on_fit_begin(self, estimator):
        self.seen = []

    def on_epoch_end(self, estimator, record):
        self.seen.append([w.copy() for w in estimator.coefs_ + estimator.intercepts_])


def test_weight_average_is_the_bias_corrected_mean():
    rng = np.random.default_rng(3)
    steps, decay = [rng.normal(size=5) for _ in range(4)], 0.6
    vector, empty = np.zeros(5), np.zeros(0)
    average = WeightAverage([vector, empty], decay)
    for step in steps:
        vector[...] = step
        average.update()
    average.swap_in()
    weights = [(1 - decay) * decay ** (len(steps) - 1 - s) for s in range(len(steps))]
    assert_allclose(vector, np.average(steps, axis=0, weights=weights), rtol=1e-14)
    average.take_back()
    np.testing.assert_array_equal(vector, steps[-1])


def test_weight_average_keeps_a_value_that_does_not_move_exactly():
    # An input layer's median sits in the averaged state and never changes: the
    # average must give it back bit for bit, in float32 as well.
    moving = np.zeros(3, np.float32)
    still = np.array([22738.88, 50.81713, -3e-7], np.float32)
    expected = still.copy()
    average = WeightAverage([moving, still], 0.98)
    rng = np.random.default_rng(0)
    for _ in range(500):
        moving[...] = rng.normal(size=3)
        average.update()
    average.swap_in()
    np.testing.assert_array_equal(still, expected)
    assert np.abs(moving).max() < 1  # the moving one is averaged


def test_weight_average_resumes_from_a_state_of_sums():
    # A partial_fit state saved when the average was kept as E_t (sums).
    vector = np.zeros(2)
    average = WeightAverage([vector], 0.5)
    weight = 1 - 0.5**2
    average.load_state_dict(
        {"sums": [np.array([0.3, 1.5])], "weight": weight, "trained": None}
    )
    average.swap_in()
    assert_allclose(vector, np.array([0.3, 1.5]) / weight, rtol=1e-15)


@cut_short
@pytest.mark.parametrize("solver", ["adamw", "muon", "sgd"])
def test_fitted_weights_are_the_average_of_the_steps(iris, solver):
    # One full batch, so one step, an epoch: the weights of each epoch's end
    # of a fit without the average are the steps that the average takes in.
    X, y = iris
    params = dict(
        hidden_layer_sizes=(6, 5),
        solver=solver,
        batch_size=150,
        max_iter=4,
        learning_rate_init=0.05,
        n_iter_no_change=100,
        random_state=0,
    )
    trajectory = _Weights()
    plain = ScratchMLPClassifier(**params, callbacks=[trajectory]).fit(X, y)
    decay = 0.7
    averaged = ScratchMLPClassifier(**params, ema_decay=decay).fit(X, y)
    assert averaged.loss_curve_ == plain.loss_curve_  # the same steps were taken
    weights = [(1 - decay) * decay ** (3 - s) for s in range(4)]
    for i, fitted in enumerate(averaged.coefs_ + averaged.intercepts_):
        by_hand = sum(w * seen[i] for w, seen in zip(weights, trajectory.seen))
        assert_allclose(fitted, by_hand / sum(weights), rtol=1e-12, atol=1e-15)


@cut_short
@pytest.mark.parametrize(
    "params",
    [
        {"early_stopping": True, "dropout": 0.2, "solver": "muon"},
        {"batch_norm": True, "batch_size": 32},
    ],
)
def test_a_decay_of_zero_is_no_average(iris, params):
    X, y = iris
    params = {"hidden_layer_sizes": (8, 6), "max_iter": 15, "random_state": 0, **params}
    off = ScratchMLPClassifier(**params).fit(X, y)
    zero = ScratchMLPClassifier(**params, ema_decay=0.0).fit(X, y)
    assert same_weights(off, zero) and off.loss_curve_ == zero.loss_curve_
    assert off.validation_scores_ == zero.validation_scores_
    for ours, theirs in zip(off.layers_, zero.layers_):  # running statistics too
        for name, value in ours["state"].items():
            np.testing.assert_array_equal(value, theirs["state"][name])


@cut_short
def test_without_the_average_the_model_is_scikit_learns(iris):
    X, y = iris
    params = dict(hidden_layer_sizes=(6,), max_iter=20, random_state=0, batch_size=32)
    ours = ScratchMLPClassifier(**params, ema_decay=None).fit(X, y)
    theirs = MLPClassifier(**params).fit(X, y)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert_allclose(a, b, rtol=1e-7, atol=1e-9)
    assert ours.loss_curve_ == pytest.approx(theirs.loss_curve_, rel=1e-9)


@cut_short
def test_early_stopping_scores_and_keeps_the_average(iris):
    X, y = iris
    model = ScratchMLPClassifier(
        (8,), ema_decay=0.9, early_stopping=True, max_iter=30, random_state=0
    )
    seen = _Weights()
    model.set_params(callbacks=[seen]).fit(X, y)
    # The kept weights are those the callbacks saw at the best epoch's end.
    best = int(np.argmax(model.validation_scores_))
    for fitted, at_best in zip(model.coefs_ + model.intercepts_, seen.seen[best]):
        np.testing.assert_array_equal(fitted, at_best)


def _partial_model(**params):
    defaults = dict(
        hidden_layer_sizes=(7, 5),
        solver="muon",
        ema_decay=0.8,
        shuffle=False,
        batch_size=40,
        random_state=0,
    )
    return ScratchMLPClassifier(**{**defaults, **params})


@cut_short
@pytest.mark.parametrize("ema_decay", [None, 0.8])
def test_partial_fit_continues_the_optimizer_and_the_average(iris, ema_decay):
    # Without shuffling, three one-epoch calls take the steps of one 3-epoch fit:
    # partial_fit goes on from the weights the optimizer reached (not from the
    # average it fitted), with its momenta and the average.
    X, y = iris
    once = _partial_model(max_iter=3, n_iter_no_change=100, ema_decay=ema_decay)
    once.fit(X, y)
    calls = _partial_model(ema_decay=ema_decay)
    for _ in range(3):
        calls.partial_fit(X, y, classes=[0, 1, 2])
    assert calls.loss_curve_ == once.loss_curve_
    assert same_weights(calls, once)


@cut_short
def test_warm_start_begins_from_the_averaged_weights_with_a_new_average(iris):
    X, y = iris
    model = _partial_model(max_iter=3, warm_start=True, batch_size=150).fit(X, y)
    fitted = [w.copy() for w in model.coefs_ + model.intercepts_]

    class Start(Callback):
        def on_fit_begin(self, estimator):
            self.start = [w.copy() for w in estimator.coefs_ + estimator.intercepts_]

    start = Start()
    model.set_params(max_iter=1, callbacks=[start]).fit(X, y)
    assert all(np.array_equal(a, b) for a, b in zip(start.start, fitted))
    # A new average of one step is that step's weights.
    plain = _partial_model(max_iter=3, warm_start=True, batch_size=150).fit(X, y)
    plain.set_params(max_iter=1, ema_decay=None).fit(X, y)
    for a, b in zip(model.coefs_, plain.coefs_):
        assert_allclose(a, b, rtol=1e-12)


@cut_short
def test_pickle_and_skops_keep_the_model_and_the_training_state(iris):
    skops_io = pytest.importorskip("skops.io")
    X, y = iris
    model = _partial_model(max_iter=4).fit(X, y)
    copies = [pickle.loads(pickle.dumps(model))]
    data = skops_io.dumps(model)
    copies.append(skops_io.loads(data, trusted=skops_io.get_untrusted_types(data=data)))
    model.partial_fit(X, y)
    for copy in copies:
        copy.partial_fit(X, y)
        assert same_weights(copy, model)
        np.testing.assert_array_equal(copy.predict_proba(X), model.predict_proba(X))


def test_ema_decay_is_validated(iris):
    with pytest.raises(ValueError, match="ema_decay"):
        ScratchMLPRegressor(ema_decay=1.0).fit(*iris)


@cut_short
def test_lbfgs_ignores_the_average(iris):
    X, y = iris
    params = dict(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=20, random_state=0)
    assert same_weights(
        ScratchMLPClassifier(**params, ema_decay=0.9).fit(X, y),
        ScratchMLPClassifier(**params).fit(X, y),
    )


@cut_short
def test_tabular_estimators_take_both():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    model = TabularMLPClassifier(
        (32, 32),
        solver="muon",
        ema_decay=0.95,
        learning_rate_init=0.01,
        max_iter=40,
        random_state=0,
    )
    assert model.fit(X, y).score(X, y) > 0.85


# ---------------------------------------------------------------- array API
@pytest.mark.skipif(
    os.environ.get("SCIPY_ARRAY_API") != "1",
    reason="scikit-learn's array API dispatch needs SCIPY_ARRAY_API=1 (conftest.py)",
)
@needs_array_api_dispatch
@pytest.mark.parametrize(
    "params",
    [
        {"solver": "muon"},
        {"solver": "muon", "ema_decay": 0.9, "early_stopping": True},
        {"solver": "adamw", "ema_decay": 0.8, "batch_norm": True},
    ],
)
def test_array_api_strict_gives_numpys_model(params):
    xp = pytest.importorskip("array_api_strict")
    device = xp.Device("CPU_DEVICE")
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)

    def make():
        return ScratchMLPClassifier((8, 6), max_iter=6, random_state=0, **params)

    X_xp, y_xp = xp.asarray(X, device=device), xp.asarray(y, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = make().fit(X, y)
        with sklearn.config_context(array_api_dispatch=True):
            model = make().fit(X_xp, y_xp)
            if "early_stopping" not in params:  # the state carries over on the device
                model.partial_fit(X_xp, y_xp)
        if "early_stopping" not in params:
            reference.partial_fit(X, y)
    fitted = zip(model.coefs_ + model.intercepts_, reference.coefs_ + reference.intercepts_)
    for ours, theirs in fitted:
        assert_allclose(array_to_numpy(ours), theirs, rtol=1e-9, atol=1e-12)
    assert_allclose(model.loss_curve_, reference.loss_curve_, rtol=1e-9)


def test_hidden_matrices_of_a_network_without_hidden_layers(iris):
    net, _ = _built(ScratchMLPClassifier((), solver="muon"), *iris)
    assert hidden_matrices(net) == []
