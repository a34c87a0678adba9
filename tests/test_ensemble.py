"""An ensemble inside one network (TabM's BatchEnsemble): skscratch.core.layers.ensemble
and the estimators' ``ensemble_size``.

The layers' forward steps are their formulas and their backward steps the
derivatives (central differences); in a network the loss is the mean of the
members' losses and prediction the average of their outputs, whatever the
loss, the batch size or the chunks of prediction. Through the estimators:
check_gradients, pickle, skops, partial_fit, warm starts, ONNX and the array
API (array-api-strict), for both variants (TabM-mini's and the full one).
"""

import pickle
import warnings

import numpy as np
import pytest
import sklearn
from helpers import ARRAY_API_DISPATCH_REFUSAL, assert_layer_backward_is_the_derivative
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.utils.estimator_checks import parametrize_with_checks

import skscratch._training.config as training_config
import skscratch.core.network as network_module
from skscratch import (
    ScratchMLPClassifier,
    ScratchMLPRegressor,
    TabularMLPClassifier,
    check_gradients,
)
from skscratch._training.gradient_check import central_differences
from skscratch.core import HIDDEN_ACTIVATIONS, Network
from skscratch.core.activations import OUTPUT_ACTIVATIONS, Identity
from skscratch.core.layers import (
    PREDICTING,
    BatchNorm,
    Dense,
    EnsembleDense,
    EnsembleFork,
    EnsembleOutput,
    Mode,
    Residual,
    ensemble_size,
    to_record,
)
from skscratch.core.losses import LOSSES
from skscratch.core.mlp import ensemble_layers, mlp_layers
from skscratch.core.network import layers_from_records, predict_chunked

TRAINING = Mode(True)
K = 3  # members


def _bind(layer, seed=0, jitter=0.3):
    """Bind ``layer`` to arrays of its own, initialized, then moved off the start."""
    params = {name: np.zeros(shape) for name, shape, _ in layer.param_shapes()}
    grads = {name: np.zeros(shape) for name, shape, _ in layer.param_shapes()}
    layer.bind(params, grads)
    rng = np.random.RandomState(seed)
    if "W" in params:  # the network's draw for a dense layer
        for name in ("W", "b"):
            if name in params:
                params[name][...] = rng.uniform(-1, 1, params[name].shape)
    layer.initialize(rng)
    for array in params.values():
        array += rng.normal(0.0, jitter, array.shape)
    return params, grads


def _blocks(a, k=K):
    return a.reshape(k, a.shape[0] // k, *a.shape[1:])


# ------------------------------------------------------------------ the layers
class TestEnsembleFork:
    def test_forward_gives_each_member_the_batch_times_its_r(self):
        layer = EnsembleFork(4, K)
        params, _ = _bind(layer)
        x = np.random.RandomState(1).normal(size=(5, 4))
        out = layer.forward(x, layer.buffers(5, np.float64, False), PREDICTING)
        assert out.shape == (K * 5, 4)
        for m, block in enumerate(_blocks(out)):
            np.testing.assert_array_equal(block, x * params["r"][m])
        assert np.abs(out).max() <= layer.output_bound(np.abs(x).max())

    @pytest.mark.parametrize("needs_input_grad", [True, False])
    def test_backward_is_the_derivative_of_forward(self, needs_input_grad):
        layer = EnsembleFork(4, K)
        params, grads = _bind(layer)
        x = np.random.RandomState(2).normal(size=(6, 4))
        assert_layer_backward_is_the_derivative(layer, x, params, grads, needs_input_grad)

    def test_r_starts_as_random_signs_in_the_weights(self):
        layer = EnsembleFork(50, 8)
        params, _ = _bind(layer, jitter=0.0)
        assert set(np.unique(params["r"])) == {-1.0, 1.0}
        assert 0.4 < (params["r"] > 0).mean() < 0.6
        assert layer.param_shapes() == [("r", (8, 50), "weights")]

    def test_a_sparse_batch_gives_the_dense_result(self):
        sp = pytest.importorskip("scipy.sparse")
        layer = EnsembleFork(5, K)
        _bind(layer)
        X = sp.random(7, 5, density=0.4, format="csr", random_state=0)
        buf = layer.buffers(7, np.float64, False)
        dense = layer.forward(X.toarray(), buf, PREDICTING).copy()
        np.testing.assert_array_equal(layer.forward(X, buf, PREDICTING), dense)


class TestEnsembleDense:
    @pytest.mark.parametrize("name", ["tanh", "gelu"])
    def test_forward_is_each_members_rank_one_adapted_layer(self, name):
        f = HIDDEN_ACTIVATIONS[name]
        layer = EnsembleDense(4, 3, K, f, weight_scale=0.5)
        p, _ = _bind(layer)
        a_in = np.random.RandomState(1).normal(size=(K * 5, 4))
        out = layer.forward(a_in, layer.buffers(K * 5, np.float64, False), PREDICTING)
        for m, (block, a_m) in enumerate(zip(_blocks(out), _blocks(a_in))):
            W_m = p["W"] * np.outer(p["r"][m], p["s"][m])  # the member's own matrix
            np.testing.assert_allclose(block, f.forward(0.5 * a_m @ W_m + p["b"][m]))
        assert np.abs(out).max() <= layer.output_bound(np.abs(a_in).max())

    @pytest.mark.parametrize(
        "name, bias, input_scale, weight_scale",
        [
            ("tanh", True, True, 1.0),
            ("gelu", True, False, 1.0),  # GELU keeps z
            ("identity", False, True, 0.5),  # before a batch norm, NTK scale
            ("relu", True, False, 0.5),
        ],
    )
    def test_backward_is_the_derivative_of_forward(
        self, name, bias, input_scale, weight_scale
    ):
        f = HIDDEN_ACTIVATIONS[name]
        layer = EnsembleDense(4, 3, K, f, bias, input_scale, weight_scale)
        params, grads = _bind(layer)
        x = np.random.RandomState(2).normal(size=(K * 5, 4))
        assert_layer_backward_is_the_derivative(layer, x, params, grads)

    def test_starts_as_tabm_adapters_in_the_weights_biases_in_the_biases(self):
        layer = EnsembleDense(4, 3, K, HIDDEN_ACTIVATIONS["relu"])
        params, _ = _bind(layer, jitter=0.0)
        np.testing.assert_array_equal(params["r"], 1.0)
        np.testing.assert_array_equal(params["s"], 1.0)
        np.testing.assert_array_equal(params["b"], params["b"][[0] * K])  # one bias
        groups = {name: group for name, _, group in layer.param_shapes()}
        assert groups == {"W": "weights", "r": "weights", "s": "weights", "b": "biases"}
        first = EnsembleDense(4, 3, K, Identity, bias=False, input_scale=False)
        assert [name for name, _, _ in first.param_shapes()] == ["W", "s"]


class TestEnsembleOutput:
    def test_training_gives_each_members_head(self):
        layer = EnsembleOutput(4, 2, K, OUTPUT_ACTIVATIONS["identity"], weight_scale=0.5)
        p, _ = _bind(layer)
        a_in = np.random.RandomState(1).normal(size=(K * 5, 4))
        out = layer.forward(a_in, layer.buffers(K * 5, np.float64, True), TRAINING)
        for m, (block, a_m) in enumerate(zip(_blocks(out), _blocks(a_in))):
            np.testing.assert_allclose(block, 0.5 * a_m @ p["W"][m] + p["b"][m])

    @pytest.mark.parametrize("weight_scale", [1.0, 0.5])
    def test_backward_is_the_derivative_of_forward(self, weight_scale):
        layer = EnsembleOutput(4, 2, K, OUTPUT_ACTIVATIONS["softmax"], weight_scale)
        params, grads = _bind(layer)
        x = np.random.RandomState(2).normal(size=(K * 5, 4))
        assert_layer_backward_is_the_derivative(layer, x, params, grads)

    @pytest.mark.parametrize(
        "name, scale",
        # 300: far in the tails (exp's would overflow, which it clips).
        [(name, 1.0) for name in sorted(OUTPUT_ACTIVATIONS)]
        + [(name, 300.0) for name in ("identity", "logistic", "softmax")],
    )
    def test_prediction_is_the_logits_of_the_members_average_output(self, name, scale):
        f_out = OUTPUT_ACTIVATIONS[name]
        layer = EnsembleOutput(4, 3, K, f_out)
        _bind(layer)
        a_in = scale * np.random.RandomState(1).normal(size=(K * 5, 4))
        members = layer.forward(a_in, layer.buffers(K * 5, np.float64, True), TRAINING)
        z = layer.forward(a_in, layer.buffers(K * 5, np.float64, False), PREDICTING)
        assert z.shape == (5, 3)
        outputs = [f_out.forward(block.copy()) for block in _blocks(members)]
        np.testing.assert_allclose(f_out.forward(z.copy()), np.mean(outputs, axis=0))
        assert np.abs(z).max() <= layer.output_bound(np.abs(a_in).max())

    def test_the_log_of_the_averaged_probabilities_is_accurate_in_the_tails(self):
        # z - logsumexp(z) is log p of the average (predict_log_proba's), where
        # the probabilities themselves underflow to 0.
        from scipy.special import log_softmax, logsumexp

        layer = EnsembleOutput(4, 3, K, OUTPUT_ACTIVATIONS["softmax"])
        rng = np.random.RandomState(1)
        members = rng.normal(size=(K, 5, 3))
        members[:, :, 2] -= rng.uniform(800, 900, size=(K, 5))  # p of about exp(-800)
        z = layer.average(members.copy())
        expected = logsumexp(log_softmax(members, axis=2), axis=0) - np.log(K)
        assert (np.exp(expected[:, 2]) == 0).all()  # the probabilities underflow
        np.testing.assert_allclose(log_softmax(z, axis=1), expected, rtol=1e-12)

    def test_only_an_output_activation_is_taken(self):
        with pytest.raises(ValueError, match="averages through an output activation"):
            EnsembleOutput(4, 3, K, HIDDEN_ACTIVATIONS["tanh"])
        with pytest.raises(ValueError, match="n_members >= 1"):
            EnsembleOutput(4, 3, 0, OUTPUT_ACTIVATIONS["softmax"])


# ----------------------------------------------------------------- the network
def _targets(loss, n, n_out, rng):
    if loss == "log_loss":
        return np.eye(n_out)[rng.randint(n_out, size=n)]
    if loss == "binary_log_loss":
        return rng.randint(2, size=(n, n_out)).astype(float)
    if loss == "poisson":
        return rng.poisson(2.0, size=(n, n_out)).astype(float)
    return rng.normal(size=(n, n_out))


def _ensemble_net(loss, variant, n_out=2, k=K, **options):
    layers = mlp_layers((4, 5, 5, n_out), "tanh", **options)
    layers = ensemble_layers(layers, k, LOSSES[loss].out_activation, variant)
    net = Network.from_layers(layers, loss)
    net.initialize(np.random.RandomState(1))
    net.params += np.random.RandomState(2).normal(0, 0.1, net.params.shape)
    return net


LOSS_NAMES = ["log_loss", "binary_log_loss", "squared_error", "poisson", "huber"]


@pytest.mark.parametrize("variant", ["mini", "full"])
@pytest.mark.parametrize("loss", LOSS_NAMES)
def test_the_loss_is_the_mean_of_the_members_weighted_losses(loss, variant):
    net = _ensemble_net(loss, variant, n_out=3)
    rng = np.random.RandomState(3)
    X, Y, sw = rng.normal(size=(7, 4)), _targets(loss, 7, 3, rng), rng.uniform(0.5, 2, 7)
    logits = net.forward(X, Mode(True)).copy()  # each member's, in turn
    members = [
        np.average(net.loss.per_sample(Y, block.copy()), weights=sw)
        for block in _blocks(logits)
    ]
    loss_value = net.loss_gradient(X, Y, sw, alpha=0.5, state_momentum=None)
    W = net.params[: net.n_coef]
    assert loss_value == pytest.approx(np.mean(members) + 0.25 * W @ W / sw.sum())


@pytest.mark.parametrize("variant", ["mini", "full"])
@pytest.mark.parametrize("loss", LOSS_NAMES)
@pytest.mark.parametrize(
    "options",
    [{}, {"batch_norm": True}, {"residual": True, "dropout": 0.3}],
    ids=["plain", "batch_norm", "residual-dropout"],
)
def test_network_gradient_with_sample_weights_and_a_short_last_batch(
    loss, variant, options
):
    rng = np.random.RandomState(3)
    net = _ensemble_net(loss, variant, rng=np.random.default_rng(0), **options)
    X, Y, sw = rng.normal(size=(7, 4)), _targets(loss, 7, 2, rng), rng.uniform(0.5, 2, 7)
    net._batch_buffers(10)  # buffers of a larger batch, cut to these 7 rows

    def loss_at(params):
        net.params[...] = params
        net.seed_dropout(4)  # the same masks each time
        return float(net.loss_gradient(X, Y, sw, alpha=0.3, state_momentum=None))

    start = net.params.copy()
    loss_at(start)
    analytic = net.grad.copy()
    numeric = central_differences(loss_at, start.copy())
    assert np.abs(analytic - numeric).max() / np.abs(numeric).max() < 1e-6


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_members_that_are_copies_of_one_network_are_that_network(loss):
    # r = 1, every head the plain output layer: loss, gradient (summed over the
    # heads) and prediction are the plain network's.
    plain = Network.from_layers(mlp_layers((4, 5, 3), "tanh"), loss)
    plain.initialize(np.random.RandomState(0))
    net = Network.from_layers(
        ensemble_layers(mlp_layers((4, 5, 3), "tanh"), K, plain.output_activation), loss
    )
    fork, hidden, heads = net.layers
    fork.r[...] = 1.0
    hidden.W[...], hidden.b[...] = plain.coefs[0], plain.intercepts[0]
    heads.W[...], heads.b[...] = plain.coefs[1], plain.intercepts[1]
    rng = np.random.RandomState(1)
    X, Y = rng.normal(size=(6, 4)), _targets(loss, 6, 3, rng)
    assert net.loss_gradient(X, Y, alpha=0.0) == pytest.approx(plain.loss_gradient(X, Y))
    np.testing.assert_allclose(hidden.dW, plain.coef_grads[0])
    np.testing.assert_allclose(heads.dW.sum(axis=0), plain.coef_grads[1])
    np.testing.assert_allclose(net.predict(X), plain.predict(X))


@pytest.mark.parametrize("variant", ["mini", "full"])
def test_prediction_in_chunks_and_from_records_is_the_members_average(monkeypatch, variant):
    net = _ensemble_net("log_loss", variant, n_out=3, batch_norm=True)
    X = np.random.RandomState(4).normal(size=(23, 4))
    logits = net.forward(X, Mode(True, None, None)).copy()  # no dropout; no update
    net.fit_state(X)  # batch norm's running statistics: this batch's
    members = [net.output_activation.forward(block.copy()) for block in _blocks(logits)]
    whole = net.predict(X)
    np.testing.assert_allclose(whole, np.mean(members, axis=0), rtol=1e-12)
    # 5 rows a chunk: the wide batch is K * 5 rows, and the last chunk is short.
    monkeypatch.setattr(network_module, "PREDICT_CHUNK_ELEMENTS", 5 * K * 5)
    layers = layers_from_records([to_record(layer) for layer in net.layers])
    np.testing.assert_array_equal(predict_chunked(layers, net.output_activation, X), whole)


def test_float32_stays_float32():
    layers = ensemble_layers(
        mlp_layers((4, 5, 3), "relu"), K, LOSSES["log_loss"].out_activation, "full"
    )
    net = Network.from_layers(layers, "log_loss", dtype=np.float32)
    net.initialize(np.random.RandomState(0))
    X = np.random.RandomState(1).normal(size=(6, 4)).astype(np.float32)
    Y = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1, 2]]
    net.loss_gradient(X, Y)
    assert net.params.dtype == net.grad.dtype == np.float32
    assert net.forward(X).dtype == net.predict(X).dtype == np.float32


def test_the_ensemble_layers_are_the_dense_layers_of_the_network():
    layers = ensemble_layers(mlp_layers((4, 6, 5, 2), "relu"), 4, Identity, "full")
    net = Network.from_layers(layers, "squared_error")
    assert net.layer_sizes == (4, 6, 5, 2)
    assert [W.shape for W in net.coefs] == [(4, 6), (6, 5), (4, 5, 2)]
    # The full variant's first layer takes the fork's r; the others have their own.
    assert [layer.r is None for layer in net.layers[1:3]] == [True, False]
    net.initialize(np.random.RandomState(0))  # the adapters too, after the dense draw
    assert set(np.unique(net.layers[0].r)) == {-1.0, 1.0}
    np.testing.assert_array_equal(net.layers[2].r, 1.0)
    np.testing.assert_array_equal(net.layers[2].s, 1.0)
    assert not np.array_equal(net.layers[3].W[0], net.layers[3].W[1])  # heads differ
    mini = ensemble_layers(mlp_layers((4, 6, 2), "relu"), 4, Identity)
    assert [type(layer) for layer in mini] == [EnsembleFork, Dense, EnsembleOutput]


def test_misplaced_ensemble_layers_are_refused():
    softmax = OUTPUT_ACTIVATIONS["softmax"]
    fork, heads = EnsembleFork(4, K), EnsembleOutput(4, 3, K, softmax)
    assert ensemble_size(mlp_layers((4, 3), "relu")) == 1
    assert ensemble_size([fork, heads]) == K
    with pytest.raises(ValueError, match="one EnsembleFork"):
        ensemble_size([heads])
    with pytest.raises(ValueError, match="one EnsembleFork"):
        ensemble_size([fork, Dense(4, 3, Identity)])
    with pytest.raises(ValueError, match="one EnsembleFork"):
        ensemble_size([Dense(4, 4, Identity), Residual([EnsembleFork(4, K)]), heads])
    with pytest.raises(ValueError, match=r"has 3 members; found \['BatchNorm'\]"):
        ensemble_size([BatchNorm(4), fork, heads])
    with pytest.raises(ValueError, match=r"found \[2, 3\]"):
        ensemble_size([fork, EnsembleOutput(4, 3, 2, softmax)])
    with pytest.raises(ValueError, match="averages through softmax, but the loss"):
        Network.from_layers([EnsembleFork(4, K), heads], "squared_error")


def test_weighted_running_statistics_are_those_of_duplicated_rows():
    # fit_state (L-BFGS's statistics) copies the row shares for each member.
    net = _ensemble_net("log_loss", "full", n_out=3, batch_norm=True)
    X = np.random.RandomState(5).normal(size=(6, 4))
    net.fit_state(X, np.array([1.0, 2.0, 1.0, 1.0, 3.0, 1.0]))
    weighted = net.state.copy()
    net.fit_state(X[[0, 1, 1, 2, 3, 4, 4, 4, 5]])
    np.testing.assert_allclose(weighted, net.state, rtol=1e-12)


# ----------------------------------------------------------------- the estimators
cut_short = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(params=["mini", "full"])
def variant(request, monkeypatch):
    """The estimators' ensemble variant (a module constant), both ways."""
    monkeypatch.setattr(training_config, "ENSEMBLE_VARIANT", request.param)
    return request.param


def _data(n=60, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    return X, X[:, 0] + 0.5 * X[:, 1] ** 2


def _labels(kind, X):
    if kind == "multilabel":
        return (X[:, :3] > 0).astype(int)
    bins = [0.0] if kind == "binary" else [-0.5, 0.5]
    return np.digitize(X[:, 0] + X[:, 1], bins)


def _member_outputs(model, X, loss):
    """Each member's output on ``X``, from the fitted layers in a training pass
    (no dropout in these models; the running statistics left alone)."""
    net = Network.from_layers(layers_from_records(model.layers_), loss)
    net.load_records(model.layers_)
    logits = net.forward(X, Mode(True, None, None)).copy()
    return [net.output_activation.forward(block.copy()) for block in _blocks(logits, 4)]


@cut_short
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_predict_proba_is_the_average_of_the_members_probabilities(kind, variant):
    X, _ = _data()
    y = _labels(kind, X)
    model = ScratchMLPClassifier((8, 8), ensemble_size=4, max_iter=30, random_state=0)
    model.fit(X, y)
    kinds = [record["kind"] for record in model.layers_]
    middle = "ensemble_dense" if variant == "full" else "dense"
    assert kinds == ["ensemble_fork", middle, middle, "ensemble_output"]
    n_outputs = model.n_outputs_
    assert [W.shape for W in model.coefs_] == [(4, 8), (8, 8), (4, 8, n_outputs)]
    assert len(model.coefs_) == len(model.intercepts_) == model.n_layers_ - 1
    loss = "log_loss" if model.out_activation_ == "softmax" else "binary_log_loss"
    average = np.mean(_member_outputs(model, X, loss), axis=0)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba[:, -average.shape[1] :], average, rtol=1e-12)
    log_proba = model.predict_log_proba(X)
    np.testing.assert_allclose(log_proba, np.log(proba), rtol=1e-12)
    if kind == "multiclass":
        np.testing.assert_array_equal(model.predict(X), model.classes_[proba.argmax(1)])


@cut_short
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_predict_is_the_average_of_the_members_predictions(loss, variant):
    X, y = _data()
    y = np.exp(y / 4) if loss == "poisson" else np.column_stack([y, X[:, 2]])
    model = ScratchMLPRegressor(
        loss, hidden_layer_sizes=(8,), ensemble_size=4, max_iter=30, random_state=0
    ).fit(X, y)
    average = np.mean(_member_outputs(model, X, loss), axis=0)
    np.testing.assert_allclose(model.predict(X), average.squeeze(), rtol=1e-12)


def test_the_validation_score_is_the_averaged_models(variant):
    X, _ = _data(120)
    y = _labels("multiclass", X)
    model = ScratchMLPClassifier(
        (8,),
        ensemble_size=4,
        early_stopping=True,
        validation_scoring="neg_log_loss",
        n_iter_no_change=np.inf,
        max_iter=15,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X[:90], y[:90], X_val=X[90:], y_val=y[90:])
    kept = -log_loss(y[90:], model.predict_proba(X[90:]))
    assert kept == pytest.approx(model.best_validation_score_, rel=1e-12)
    assert model.history_[-1]["validation_loss"] > 0


@pytest.mark.parametrize(
    "make",
    [
        lambda: ScratchMLPClassifier((5, 4), activation="tanh", ensemble_size=3),
        lambda: ScratchMLPClassifier(
            (5, 5), activation="tanh", batch_norm=True, residual=True, ensemble_size=3
        ),
        lambda: ScratchMLPRegressor(
            hidden_layer_sizes=(5,),
            activation="gelu",
            alpha=0.1,
            parametrization="ntk",
            ensemble_size=3,
        ),
        lambda: TabularMLPClassifier(
            (6, 6), activation="tanh", batch_size="auto", ensemble_size=3
        ),
    ],
    ids=["classifier", "batch-norm-residual", "regressor-ntk", "tabular"],
)
def test_check_gradients(make, variant):
    X, y = _data(30)
    if isinstance(make(), ScratchMLPClassifier):
        y = _labels("multiclass", X)
    weights = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    assert check_gradients(make(), X, y, weights, max_params=300) < 1e-6


def test_check_gradients_with_categories_and_embeddings(variant):
    pd = pytest.importorskip("pandas")
    X, y = _data(40)
    frame = pd.DataFrame(X, columns=list("abcd"))
    frame["c"] = np.where(X[:, 2] > 0, "hi", "lo")
    frame.loc[::7, "a"] = np.nan
    model = TabularMLPClassifier((6,), activation="tanh", batch_size=20, ensemble_size=3)
    assert check_gradients(model, frame, _labels("binary", X), max_params=300) < 1e-6


@cut_short
def test_pickle_and_skops_give_the_same_predictions():
    X, y = _data()
    model = ScratchMLPClassifier((8,), ensemble_size=4, max_iter=10, random_state=0)
    model.fit(X, _labels("multiclass", X))
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))
    skops_io = pytest.importorskip("skops.io")
    data = skops_io.dumps(model)
    loaded = skops_io.loads(data, trusted=skops_io.get_untrusted_types(data=data))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@cut_short
def test_partial_fit_is_fit_epoch_by_epoch(variant):
    X, y = _data()
    y = _labels("multiclass", X)
    params = dict(ensemble_size=4, shuffle=False, random_state=0, n_iter_no_change=np.inf)
    fitted = ScratchMLPClassifier((8,), max_iter=3, **params).fit(X, y)
    stepped = ScratchMLPClassifier((8,), **params)
    for _ in range(3):
        stepped.partial_fit(X, y, classes=[0, 1, 2])
    for mine, theirs in zip(stepped.layers_, fitted.layers_):
        for name, array in mine["params"].items():
            np.testing.assert_allclose(array, theirs["params"][name], rtol=1e-12)


@cut_short
def test_a_warm_start_continues_the_members_and_keeps_their_number(variant):
    X, y = _data()
    params = dict(
        solver="sgd", momentum=0.0, shuffle=False, random_state=0, n_iter_no_change=np.inf
    )
    straight = ScratchMLPRegressor(
        hidden_layer_sizes=(8,), ensemble_size=4, max_iter=4, **params
    ).fit(X, y)
    warm = ScratchMLPRegressor(
        hidden_layer_sizes=(8,), ensemble_size=4, max_iter=2, warm_start=True, **params
    )
    warm.fit(X, y).fit(X, y)
    np.testing.assert_allclose(warm.predict(X), straight.predict(X), rtol=1e-12)
    warm.set_params(ensemble_size=8)
    with pytest.raises(ValueError, match="must keep .*ensemble_size"):
        warm.fit(X, y)
    # Another parametrization is another map of the same arrays: refused too.
    warm.set_params(ensemble_size=4, parametrization="ntk")
    with pytest.raises(ValueError, match="must keep .*parametrization"):
        warm.fit(X, y)


@cut_short
def test_a_sparse_X_gives_the_dense_model():
    sp = pytest.importorskip("scipy.sparse")
    X, y = _data()
    X[np.abs(X) < 0.7] = 0.0
    params = dict(hidden_layer_sizes=(8,), ensemble_size=3, max_iter=5, random_state=0)
    dense = ScratchMLPRegressor(**params).fit(X, y)
    sparse = ScratchMLPRegressor(**params).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(
        sparse.predict(sp.csr_matrix(X)), dense.predict(X), rtol=1e-10
    )


@pytest.mark.parametrize("value", [0, 2.5, "4"])
def test_an_ensemble_size_that_is_not_a_positive_integer_is_refused(value):
    X, y = _data()
    with pytest.raises(ValueError, match="'ensemble_size' parameter"):
        ScratchMLPRegressor(ensemble_size=value).fit(X, y)


# ------------------------------------------------------------------------ ONNX
@cut_short
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize(
    "kind", ["binary", "multiclass", "multilabel", "regression", "poisson"]
)
def test_onnx_matches_predict(kind, dtype, variant):
    pytest.importorskip("onnxruntime")
    skscratch_onnx = pytest.importorskip("skscratch.onnx")
    import onnxruntime as ort

    X, y = _data(80)
    X = X.astype(dtype)
    params = dict(ensemble_size=4, max_iter=20, random_state=0, parametrization="ntk")
    if kind in ("regression", "poisson"):
        loss = "poisson" if kind == "poisson" else "squared_error"
        y = np.exp(y / 4) if kind == "poisson" else np.column_stack([y, X[:, 2]])
        model = ScratchMLPRegressor(loss, hidden_layer_sizes=(8, 8), **params).fit(X, y)
    else:
        model = ScratchMLPClassifier((8, 8), **params).fit(X, _labels(kind, X))
    onx = skscratch_onnx.to_onnx(
        model,
        X[:1],
        options={"zipmap": False} if kind not in ("regression", "poisson") else None,
    )
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    outputs = session.run(None, {session.get_inputs()[0].name: X})
    rtol = {np.float32: 1e-5, np.float64: 1e-9}[dtype]
    if kind in ("regression", "poisson"):
        expected = model.predict(X).reshape(len(X), -1)
        np.testing.assert_allclose(
            outputs[0], expected, rtol=rtol, atol=rtol * np.abs(expected).max()
        )
    else:
        label, proba = outputs
        np.testing.assert_allclose(proba, model.predict_proba(X), rtol=rtol, atol=rtol / 10)
        np.testing.assert_array_equal(label, model.predict(X))


@cut_short
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_onnx_of_a_tabular_model_with_categories_missing_values_and_embeddings(dtype):
    pytest.importorskip("onnxruntime")
    skscratch_onnx = pytest.importorskip("skscratch.onnx")
    import onnxruntime as ort

    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    X[:, 1] = rng.randint(0, 6, 200)  # integer codes of a categorical feature
    X[::9, 0] = np.nan
    y = (np.sin(X[:, 1]) + np.nan_to_num(X[:, 0]) > 0).astype(int)
    model = TabularMLPClassifier(
        (8, 8), categorical_features=[1], ensemble_size=4, max_iter=10, random_state=0
    ).fit(X.astype(dtype), y)
    X_new = X[:50].astype(dtype)
    X_new[:5, 1] = 40  # an unseen code
    onx = skscratch_onnx.to_onnx(model, options={"zipmap": False})
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    label, proba = session.run(None, {session.get_inputs()[0].name: X_new})
    rtol = {np.float32: 1e-5, np.float64: 1e-9}[dtype]
    np.testing.assert_allclose(proba, model.predict_proba(X_new), rtol=rtol, atol=rtol / 10)
    np.testing.assert_array_equal(label, model.predict(X_new))


# ------------------------------------------------------------------- array API
@cut_short
@pytest.mark.parametrize(
    "device, dtype", [("CPU_DEVICE", np.float64), ("device1", np.float32)]
)
@pytest.mark.parametrize(
    "make",
    [
        lambda: ScratchMLPClassifier((8,), ensemble_size=3, max_iter=6, random_state=0),
        lambda: ScratchMLPRegressor(
            "poisson",
            hidden_layer_sizes=(6, 6),
            ensemble_size=3,
            batch_norm=True,
            dropout=0.2,
            max_iter=6,
            random_state=0,
        ),
    ],
    ids=["classifier", "poisson-batch-norm-dropout"],
)
def test_the_same_model_on_array_api_strict(make, device, dtype, variant):
    if ARRAY_API_DISPATCH_REFUSAL is not None:
        pytest.skip(ARRAY_API_DISPATCH_REFUSAL)
    xp = pytest.importorskip("array_api_strict")
    from skscratch.core.backend import array_to_numpy, ops_for

    X, y = _data(50)
    if isinstance(make(), ScratchMLPClassifier):
        y = _labels("multiclass", X)
    else:
        y = np.exp(y / 4)
    X = X.astype(dtype)
    reference = make().fit(X, y)
    on = lambda a: xp.asarray(a, device=xp.Device(device))  # noqa: E731
    with sklearn.config_context(array_api_dispatch=True):
        model = make().fit(on(X), on(y))
        predicted = (
            model.predict_proba(on(X))
            if hasattr(model, "classes_")
            else model.predict(on(X))
        )
    assert ops_for(predicted) == ops_for(on(X))
    expected = (
        reference.predict_proba(X) if hasattr(model, "classes_") else reference.predict(X)
    )
    tol = {np.float64: 1e-9, np.float32: 1e-4}[dtype]
    np.testing.assert_allclose(array_to_numpy(predicted), expected, rtol=tol, atol=tol)


# ------------------------------------------------------ scikit-learn's own checks
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(
    [
        ScratchMLPClassifier((16,), ensemble_size=4, max_iter=100),
        ScratchMLPRegressor(
            hidden_layer_sizes=(16,), solver="lbfgs", ensemble_size=4, max_iter=100
        ),
    ]
)
def test_sklearn_compatible(estimator, check):
    name = getattr(check, "func", check).__name__
    if name == "check_array_api_input" and ARRAY_API_DISPATCH_REFUSAL is not None:
        pytest.skip(ARRAY_API_DISPATCH_REFUSAL)
    check(estimator)
