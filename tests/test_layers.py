"""skscratch.core.layers: each layer's forward is its formula, its backward the
derivative of its forward; a new layer kind plugs into a network."""

import types

import numpy as np
import pytest
from helpers import assert_layer_backward_is_the_derivative

import skscratch.core.network as network_module
from skscratch._training.gradient_check import central_differences
from skscratch.core import HIDDEN_ACTIVATIONS, Adam, Network, make_schedule
from skscratch.core.activations import Identity
from skscratch.core.layers import (
    BIASES,
    LAYERS,
    PREDICTING,
    Dense,
    Dropout,
    Embedding,
    Layer,
    Mode,
    to_record,
)
from skscratch.core.mlp import mlp_layers
from skscratch.core.network import layers_from_records, predict_chunked

TRAINING = Mode(True)

N_ROWS, N_IN, N_OUT = 6, 4, 3


def _bound_dense(activation, training=True, seed=0):
    """A Dense layer bound to flat vectors of its own, with random W and b."""
    layer = Dense(N_IN, N_OUT, activation)
    rng = np.random.RandomState(seed)
    params = {"W": rng.normal(size=(N_IN, N_OUT)), "b": rng.normal(size=N_OUT)}
    grads = {"W": np.zeros((N_IN, N_OUT)), "b": np.zeros(N_OUT)}
    layer.bind(params, grads)
    return layer, layer.buffers(N_ROWS, np.float64, training)


@pytest.mark.parametrize("name", sorted(HIDDEN_ACTIVATIONS))
def test_dense_forward_is_f_of_a_W_plus_b(name):
    activation = HIDDEN_ACTIVATIONS[name]
    layer, buf = _bound_dense(activation)
    a_in = np.random.RandomState(1).normal(size=(N_ROWS, N_IN))
    expected = activation.forward(a_in @ layer.W + layer.b)
    np.testing.assert_allclose(layer.forward(a_in, buf, TRAINING), expected, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(HIDDEN_ACTIVATIONS))
def test_dense_backward_is_the_derivative_of_forward(name):
    # For L = sum(g * forward(a_in)) with a fixed g: dL/dW, dL/db and dL/da_in.
    layer, _ = _bound_dense(HIDDEN_ACTIVATIONS[name])
    a_in = np.random.RandomState(2).normal(size=(N_ROWS, N_IN))
    params, grads = {"W": layer.W, "b": layer.b}, {"W": layer.dW, "b": layer.db}
    assert_layer_backward_is_the_derivative(layer, a_in, params, grads)


def test_first_layer_returns_no_input_gradient():
    layer = Dense(N_IN, N_OUT, Identity)
    layer.needs_input_grad = False
    layer.bind({"W": np.ones((N_IN, N_OUT)), "b": np.zeros(N_OUT)}, _zeros_like_dense())
    buf = layer.buffers(N_ROWS, np.float64, True)
    layer.forward(np.ones((N_ROWS, N_IN)), buf, TRAINING)
    assert layer.backward(np.ones((N_ROWS, N_OUT)), buf) is None


def _zeros_like_dense():
    return {"W": np.zeros((N_IN, N_OUT)), "b": np.zeros(N_OUT)}


def test_dropout_masks_and_scales_while_training_only():
    rate = 0.25
    layer = Dropout(1000, rate, np.random.default_rng(0))
    buf = layer.buffers(50, np.float64, True)
    a_in = np.ones((50, 1000))
    out = layer.forward(a_in, buf, TRAINING)
    kept = out != 0
    # Kept units are scaled by 1 / (1 - rate), so the mean stays 1.
    np.testing.assert_allclose(out[kept], 1 / (1 - rate))
    assert abs(kept.mean() - (1 - rate)) < 0.01
    np.testing.assert_array_equal(a_in, 1.0)  # the input is left alone
    # Backward multiplies by the same mask.
    g = np.full((50, 1000), 2.0)
    np.testing.assert_allclose(layer.backward(g, buf), 2.0 * out)
    # At prediction the layer passes its input through.
    assert layer.forward(a_in, layer.buffers(50, np.float64, False), PREDICTING) is a_in


@pytest.mark.parametrize("rate, dropped", [(0.2, 13107), (0.5, 32768), (1 - 1e-9, 65535)])
def test_dropout_scales_by_the_rate_in_effect(rate, dropped):
    # Each draw is 16 bits: ``dropped`` of the 2**16 values drop a unit (at
    # least one value keeps it), and the kept units are scaled by the inverse of
    # the keep rate in effect, so the output's mean is still the input's.
    layer = Dropout(2000, rate, np.random.default_rng(1))
    buf = layer.buffers(500, np.float64, True)
    out = layer.forward(np.ones((500, 2000)), buf, TRAINING)
    kept = out != 0
    keep_rate = (2**16 - dropped) / 2**16
    np.testing.assert_allclose(out[kept], 1 / keep_rate)
    assert kept.any()
    if rate < 0.9:
        assert abs(kept.mean() - keep_rate) < 0.002
        assert abs(out.mean() - 1.0) < 0.005


def test_dropout_masks_change_per_batch_and_follow_the_seed():
    def two_masks(seed):
        layer = Dropout(20, 0.5, np.random.default_rng(seed))
        buf = layer.buffers(10, np.float64, True)
        return [layer.forward(np.ones((10, 20)), buf, TRAINING).copy() for _ in range(2)]

    first, second = two_masks(3)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(two_masks(3)[0], first)


class Scale(Layer):
    """A toy layer kind: ``a = a_in * g``, one gain per unit (a bias-group parameter)."""

    def __init__(self, width):
        self.n_in = self.n_out = width

    def param_shapes(self):
        return [("g", (self.n_out,), BIASES)]

    def bind(self, params, grads):
        super().bind(params, grads)
        self.g, self.dg = params["g"], grads["g"]

    def buffers(self, n_rows, dtype, training):
        return types.SimpleNamespace(
            a_in=None, grad_in=np.empty((n_rows, self.n_in), dtype)
        )

    def forward(self, a_in, buf, mode):
        buf.a_in = a_in
        return a_in * self.g

    def backward(self, grad, buf):
        self.dg[...] = (grad * buf.a_in).sum(axis=0)
        return np.multiply(grad, self.g, out=buf.grad_in)


def test_a_new_layer_kind_plugs_into_a_network(monkeypatch):
    monkeypatch.setitem(LAYERS, "scale", Scale)
    tanh = HIDDEN_ACTIVATIONS["tanh"]
    layers = [
        LAYERS["dense"](3, 5, tanh),
        LAYERS["scale"](5),
        LAYERS["dense"](5, 2, Identity),
    ]
    net = Network.from_layers(layers, "squared_error")
    # Its gain is packed with the biases, after every weight: L2 leaves it alone.
    assert net.params.size == 3 * 5 + 5 * 2 + 5 + 5 + 2
    assert net.n_coef == 3 * 5 + 5 * 2
    assert net.layer_sizes == (3, 5, 2)

    rng = np.random.RandomState(0)
    net.params[...] = rng.normal(size=net.params.size)
    X, y = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    params = net.params.copy()
    net.loss_gradient(X, y, alpha=0.3)
    analytic = net.grad.copy()

    def loss_at(p):
        net.params[...] = p
        return net.loss_gradient(X, y, alpha=0.3)

    numeric = central_differences(loss_at, params)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(
        net.predict(X)[:, 0],
        layers[2].b[0]
        + (np.tanh(X @ layers[0].W + layers[0].b) * layers[1].g) @ layers[2].W[:, 0],
        rtol=1e-12,
    )


# ---------------------------------------------------------------------------
# Embedding (issue 13): tables of learned vectors for categorical columns, and
# Network.from_layers, which puts such a layer before the dense ones.
# ---------------------------------------------------------------------------

N_NUMERIC = 2
N_LEVELS = (4, 7)
DIMS = (3, 2)


def _codes_data(n=9, seed=0, dtype=np.float64):
    """X = [2 numeric columns | codes of 2 categorical columns], with repeated codes."""
    rng = np.random.RandomState(seed)
    numeric = rng.normal(size=(n, N_NUMERIC))
    codes = np.column_stack([rng.randint(n_levels, size=n) for n_levels in N_LEVELS])
    codes[:3, 0] = 1  # a code three times in the batch: its row's gradient sums three
    return np.hstack([numeric, codes]).astype(dtype)


def _embedding_net(loss="log_loss", n_outputs=3, hidden=(5,), dtype=np.float64, seed=1):
    embedding = Embedding(N_NUMERIC, N_LEVELS, DIMS)
    sizes = (embedding.n_out, *hidden, n_outputs)
    net = Network.from_layers([embedding, *mlp_layers(sizes, "tanh")], loss, dtype)
    net.initialize(np.random.RandomState(seed))
    return net, embedding


class TestEmbedding:
    def test_registered(self):
        assert LAYERS["embedding"] is Embedding

    def test_forward_puts_each_codes_row_after_the_numeric_columns(self):
        net, embedding = _embedding_net()
        X = _codes_data()
        a = embedding.forward(X, embedding.buffers(len(X), X.dtype, False), PREDICTING)
        codes = X[:, N_NUMERIC:].astype(int)
        expected = np.hstack(
            [X[:, :N_NUMERIC], embedding.E[0][codes[:, 0]], embedding.E[1][codes[:, 1]]]
        )
        np.testing.assert_array_equal(a, expected)
        assert a.shape == (len(X), N_NUMERIC + sum(DIMS)) == (len(X), embedding.n_out)

    @pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
    @pytest.mark.parametrize("alpha", [0.0, 0.3])
    def test_table_gradients_match_finite_differences(self, loss, alpha):
        net, embedding = _embedding_net(loss=loss)
        X = _codes_data()
        rng = np.random.RandomState(3)
        if loss == "log_loss":
            Y = np.eye(3)[rng.randint(3, size=len(X))]
        else:
            Y = rng.normal(size=(len(X), 3))
        sw = rng.uniform(0.5, 2.0, size=len(X))
        params = net.params.copy()
        net.loss_gradient(X, Y, sw, alpha)
        analytic = net.grad.copy()

        def loss_at(p):
            net.params[:] = p
            return net.loss_gradient(X, Y, sw, alpha)

        numeric = central_differences(loss_at, params)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
        # The tables are part of what was checked, and their gradient is not all zero.
        n_table = sum(n * d for n, d in zip(N_LEVELS, DIMS))
        assert np.abs(analytic[:n_table]).sum() > 0

    def test_rows_of_codes_absent_from_the_batch_get_no_data_gradient(self):
        net, embedding = _embedding_net()
        X = _codes_data()
        Y = np.eye(3)[np.arange(len(X)) % 3]
        net.loss_gradient(X, Y)
        seen = np.unique(X[:, N_NUMERIC].astype(int))
        unseen = np.setdiff1d(np.arange(N_LEVELS[0]), seen)
        assert unseen.size  # the data leaves a level of the first column out
        assert not embedding.dE[0][unseen].any()
        assert np.abs(embedding.dE[0][seen]).sum(axis=1).all()

    @pytest.mark.parametrize("dtype", [np.float64, np.float32])
    def test_scatter_add_equals_np_add_at(self, dtype):
        embedding = Embedding(0, [50], [4])
        rng = np.random.RandomState(0)
        codes = rng.randint(50, size=(300, 1))
        grads = {"E0": np.zeros((50, 4), dtype)}
        embedding.bind({"E0": np.ones((50, 4), dtype)}, grads)
        buf = embedding.buffers(300, dtype, True)
        embedding.forward(codes.astype(dtype), buf, TRAINING)
        grad_out = rng.normal(size=(300, 4)).astype(dtype)
        embedding.backward(grad_out, buf)
        expected = np.zeros((50, 4))
        np.add.at(expected, codes[:, 0], grad_out)
        assert grads["E0"].dtype == dtype
        np.testing.assert_allclose(
            grads["E0"], expected, rtol=1e-5 if dtype == np.float32 else 1e-12
        )

    @pytest.mark.parametrize("dtype", [np.float64, np.float32])
    def test_tables_in_a_network_give_what_separate_tables_give(self, dtype):
        # Packed in a network, the tables lie back to back in its flat vectors
        # and one gather and one scatter-add serve them all; bound to separate
        # arrays (a loaded model), the layer takes one table at a time. Same
        # output and same gradients, bit for bit (many rows per code: the sums'
        # order would show).
        net, embedding = _embedding_net(dtype=dtype)
        X = _codes_data(n=400, dtype=dtype)
        grad_out = np.random.RandomState(7).lognormal(0, 3, (400, embedding.n_out))
        grad_out = grad_out.astype(dtype)
        alone = Embedding(N_NUMERIC, N_LEVELS, DIMS)
        separate = {f"E{j}": np.zeros_like(E) for j, E in enumerate(embedding.E)}
        alone.bind({f"E{j}": E.copy() for j, E in enumerate(embedding.E)}, separate)
        outputs, gradients = [], []
        for layer in (embedding, alone):
            buf = layer.buffers(len(X), dtype, True)
            outputs.append(layer.forward(X, buf, TRAINING))
            layer.backward(grad_out.copy(), buf)
            gradients.append([dE.copy() for dE in layer.dE])
        np.testing.assert_array_equal(outputs[0], outputs[1], strict=True)
        for joined, one_by_one in zip(*gradients):
            np.testing.assert_array_equal(joined, one_by_one, strict=True)
        assert all(np.shares_memory(dE, net.grad) for dE in embedding.dE)
        assert not any(np.shares_memory(dE, net.grad) for dE in alone.dE)

    def test_tables_are_weights_penalised_by_l2(self):
        net, embedding = _embedding_net()
        tables = [E for E in embedding.E]
        # Every table is a view of the weights block params[:n_coef], packed first.
        for E in tables:
            assert np.shares_memory(E, net.params[: net.n_coef])
        n_table = sum(E.size for E in tables)
        np.testing.assert_array_equal(
            net.params[:n_table], np.concatenate([E.ravel() for E in tables])
        )
        X = _codes_data()
        Y = np.eye(3)[np.arange(len(X)) % 3]
        without = net.loss_gradient(X, Y, alpha=0.0)
        with_l2 = net.loss_gradient(X, Y, alpha=2.0)
        W = net.params[: net.n_coef]
        assert with_l2 - without == pytest.approx(W @ W / len(X))
        assert W.size == n_table + sum(W.size for W in net.coefs)

    def test_initialize_keeps_the_dense_draw_and_fills_the_tables(self):
        # The dense layers get the same weights as a network without embedding
        # drawn from the same seed; the tables are drawn after them.
        net, embedding = _embedding_net(seed=5)
        plain = Network((embedding.n_out, 5, 3), "tanh", "log_loss")
        plain.initialize(np.random.RandomState(5))
        for W, W_plain in zip(net.coefs + net.intercepts, plain.coefs + plain.intercepts):
            np.testing.assert_array_equal(W, W_plain)
        for E in embedding.E:
            assert 0.05 < E.std() < 0.2

    def test_an_optimizer_step_moves_the_rows_of_the_batch_only(self):
        net, embedding = _embedding_net()
        X = _codes_data()
        X[:, N_NUMERIC] = 2.0  # every row has level 2 in the first column
        Y = np.eye(3)[np.arange(len(X)) % 3]
        before = [E.copy() for E in embedding.E]
        optimizer = Adam(net.params.size, make_schedule("constant", 0.1))
        net.loss_gradient(X, Y)
        optimizer.step(net.params, net.grad)
        moved = np.abs(embedding.E[0] - before[0]).sum(axis=1) > 0
        assert moved.tolist() == [False, False, True, False]

    def test_training_learns_a_target_carried_by_the_category_alone(self):
        # y depends on the level of a 7-level column only, not monotonically:
        # a dense layer fed the code as a number would need many units for it.
        rng = np.random.RandomState(0)
        codes = rng.randint(7, size=400)
        labels = np.array([0, 1, 0, 1, 1, 0, 1])[codes]
        X = np.column_stack([rng.normal(size=400), codes]).astype(float)
        Y = np.eye(2)[labels]
        embedding = Embedding(1, [7], [2])
        net = Network.from_layers(
            [embedding, *mlp_layers((embedding.n_out, 2), ())], "log_loss"
        )
        net.initialize(np.random.RandomState(0))
        optimizer = Adam(net.params.size, make_schedule("constant", 0.1))
        for _ in range(200):
            net.loss_gradient(X, Y)
            optimizer.step(net.params, net.grad)
        assert (net.predict(X).argmax(axis=1) == labels).mean() == 1.0

    def test_prediction_from_fitted_records_equals_the_network(self, monkeypatch):
        net, embedding = _embedding_net()
        X = _codes_data(n=50)
        expected = net.predict(X)
        records = [to_record(layer) for layer in net.layers]
        for record in records:  # the fitted copies, not views of the network
            record["params"] = {name: a.copy() for name, a in record["params"].items()}
        net.params[...] = 0.0
        monkeypatch.setattr(network_module, "PREDICT_CHUNK_ELEMENTS", 64)  # 8-row chunks
        output = predict_chunked(layers_from_records(records), net.output_activation, X)
        np.testing.assert_allclose(output, expected, rtol=1e-12)

    def test_float32_stays_float32(self):
        net, embedding = _embedding_net(dtype=np.float32)
        X = _codes_data(dtype=np.float32)
        assert all(E.dtype == np.float32 for E in embedding.E)
        assert net.predict(X).dtype == np.float32
        net.loss_gradient(X, np.eye(3, dtype=np.float32)[np.arange(len(X)) % 3])
        assert net.grad.dtype == np.float32 and np.isfinite(net.grad).all()

    def test_output_bound_holds(self):
        net, embedding = _embedding_net()
        embedding.E[1][3] = 40.0
        X = _codes_data(n=30)
        X[0, N_NUMERIC + 1] = 3
        a = embedding.forward(X, embedding.buffers(len(X), X.dtype, False), PREDICTING)
        assert np.abs(a).max() <= embedding.output_bound(np.abs(X).max())
        assert embedding.output_bound(1.0) == 40.0
        assert net.predicts_finite(X)

    def test_widths_must_match_the_tables(self):
        with pytest.raises(ValueError, match="2 embedding widths for 3 tables"):
            Embedding(1, [3, 4, 5], [2, 2])


class TestFromLayers:
    def test_same_network_as_the_constructor(self):
        rng = np.random.default_rng(0)
        layers = mlp_layers((4, 6, 5, 3), ["relu", "tanh"], [0.2, 0.0], rng)
        assert [type(layer) for layer in layers] == [Dense, Dropout, Dense, Dense]
        built = Network.from_layers(layers, "log_loss")
        plain = Network((4, 6, 5, 3), ["relu", "tanh"], "log_loss", dropout=[0.2, 0.0])
        for net in (built, plain):
            net.initialize(np.random.RandomState(0))
        assert built.layer_sizes == plain.layer_sizes == (4, 6, 5, 3)
        rates = [
            [layer.rate for layer in net.layers if isinstance(layer, Dropout)]
            for net in (built, plain)
        ]
        assert rates == [[0.2], [0.2]]
        assert built.n_coef == plain.n_coef
        np.testing.assert_array_equal(built.params, plain.params)
        X = np.random.RandomState(1).normal(size=(8, 4))
        np.testing.assert_array_equal(built.predict(X), plain.predict(X))

    def test_seed_dropout_reaches_every_dropout_layer(self):
        def draws(seed):
            layers = mlp_layers((3, 4, 4, 2), "relu", 0.5, np.random.default_rng(seed))
            net = Network.from_layers(layers, "log_loss")
            net.seed_dropout(7)
            return [
                layer.rng.random() for layer in net.layers if isinstance(layer, Dropout)
            ]

        # Whatever generator the layers came with, seed 7 gives them one stream.
        first, second = draws(0), draws(1)
        assert first == second and first[0] != first[1]

    def test_widths_that_do_not_chain_are_refused(self):
        layers = [Embedding(2, [4], [3]), *mlp_layers((4, 3), ())]
        with pytest.raises(
            ValueError, match="Embedding gives 5 units to Dense, which takes 4"
        ):
            Network.from_layers(layers, "log_loss")

    def test_the_last_layer_must_give_logits(self):
        with pytest.raises(ValueError, match="last layer must be a Dense layer"):
            Network.from_layers(mlp_layers((4, 3, 2), "relu")[:1], "log_loss")
        with pytest.raises(ValueError, match="last layer must be a Dense layer"):
            Network.from_layers([], "log_loss")


# ---------------------------------------------------------------------------
# Batch normalization, the activation layer after it, and residual blocks
# (issue 16), each checked alone and through a network's gradient.
# ---------------------------------------------------------------------------
from skscratch.core.layers import (  # noqa: E402
    Activation,
    BatchNorm,
    Residual,
    from_record,
)


def _network_gradient_error(net, X, Y, sample_weight=None, alpha=0.1):
    """Largest relative error of ``net``'s gradient against central differences."""
    params = net.params.copy()
    net.loss_gradient(X, Y, sample_weight, alpha, state_momentum=None)
    analytic = net.grad.copy()

    def loss_at(p):
        net.params[...] = p
        return net.loss_gradient(X, Y, sample_weight, alpha, state_momentum=None)

    numeric = central_differences(loss_at, params)
    net.params[...] = params
    return float(np.abs(analytic - numeric).max() / np.abs(numeric).max())


def _bn_net(batch_norm=True, residual=False, sizes=(4, 6, 6, 3), activation="tanh"):
    net = Network(sizes, activation, "log_loss", batch_norm=batch_norm, residual=residual)
    net.initialize(np.random.RandomState(0))
    rng = np.random.RandomState(1)
    for leaf in net.leaves:  # off the identity, so that gamma and beta are tested
        if isinstance(leaf, BatchNorm):
            leaf.gamma[...] = rng.uniform(0.5, 1.5, leaf.gamma.shape)
            leaf.beta[...] = rng.normal(0, 0.3, leaf.beta.shape)
    return net


class TestBatchNorm:
    def _bound(self, width=3, n_rows=8):
        layer = BatchNorm(width)
        params = {"gamma": np.array([1.0, 2.0, 0.5]), "beta": np.array([0.0, 1.0, -1.0])}
        grads = {"gamma": np.zeros(width), "beta": np.zeros(width)}
        layer.bind(params, grads)
        layer.bind_state({"mean": np.zeros(width), "var": np.ones(width)})
        return layer, layer.buffers(n_rows, np.float64, True)

    def test_registered(self):
        assert LAYERS["batch_norm"] is BatchNorm and LAYERS["residual"] is Residual
        assert LAYERS["activation"] is Activation

    def test_training_normalizes_by_the_weighted_batch_statistics(self):
        layer, buf = self._bound()
        x = np.random.RandomState(0).normal(3.0, 2.0, size=(8, 3))
        w = np.arange(1.0, 9.0)
        p = w / w.sum()
        a = layer.forward(x, buf, Mode(True, p, None)).copy()
        mean = p @ x
        var = p @ (x - mean) ** 2
        expected = (x - mean) / np.sqrt(var + 1e-5) * layer.gamma + layer.beta
        np.testing.assert_allclose(a, expected, rtol=1e-12)
        np.testing.assert_array_equal(layer.state["mean"], 0.0)  # momentum None: untouched

    def test_running_statistics_follow_the_momentum(self):
        layer, buf = self._bound()
        x = np.random.RandomState(0).normal(3.0, 2.0, size=(8, 3))
        layer.forward(x, buf, Mode(True, None, 0.1))
        np.testing.assert_allclose(layer.state["mean"], 0.1 * x.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(
            layer.state["var"], 0.9 + 0.1 * x.var(axis=0), rtol=1e-12
        )
        layer.forward(x, buf, Mode(True, None, 1.0))  # replaced: the whole data's
        np.testing.assert_allclose(layer.state["var"], x.var(axis=0), rtol=1e-12)

    def test_prediction_uses_the_running_statistics(self):
        layer, _ = self._bound()
        layer.state["mean"][...] = [1.0, 2.0, 3.0]
        layer.state["var"][...] = [4.0, 1.0, 0.25]
        x = np.random.RandomState(0).normal(size=(5, 3))
        a = layer.forward(x, layer.buffers(5, np.float64, False), PREDICTING)
        expected = (x - layer.state["mean"]) / np.sqrt(layer.state["var"] + 1e-5)
        np.testing.assert_allclose(a, expected * layer.gamma + layer.beta, rtol=1e-12)
        assert np.abs(a).max() <= layer.output_bound(np.abs(x).max())

    @pytest.mark.parametrize("weighted", [False, True])
    def test_backward_is_the_derivative_of_forward(self, weighted):
        # L = sum(g * a) for a fixed g: dL/dgamma, dL/dbeta and dL/dx.
        layer, _ = self._bound()
        rng = np.random.RandomState(2)
        x = rng.normal(size=(8, 3))
        p = rng.uniform(0.2, 2.0, 8) if weighted else None
        p = None if p is None else p / p.sum()
        params = {"gamma": layer.gamma, "beta": layer.beta}
        grads = {"gamma": layer.dgamma, "beta": layer.dbeta}
        mode = Mode(True, p, None)
        assert_layer_backward_is_the_derivative(layer, x, params, grads, mode=mode)

    @pytest.mark.parametrize("activation", sorted(HIDDEN_ACTIVATIONS))
    @pytest.mark.parametrize("weighted", [False, True])
    def test_network_gradient(self, activation, weighted):
        net = _bn_net(activation=activation)
        rng = np.random.RandomState(3)
        X = rng.normal(size=(12, 4))
        Y = np.eye(3)[rng.randint(3, size=12)]
        sw = rng.uniform(0.1, 2.0, 12) if weighted else None
        assert _network_gradient_error(net, X, Y, sw) < 1e-6

    def test_a_weight_of_two_is_a_duplicated_row_and_zero_is_no_row(self):
        net = _bn_net()
        rng = np.random.RandomState(4)
        X = rng.normal(size=(6, 4))
        Y = np.eye(3)[rng.randint(3, size=6)]
        w = np.array([2.0, 1.0, 1.0, 0.0, 1.0, 1.0])
        weighted = net.loss_gradient(X, Y, w, state_momentum=None), net.grad.copy()
        rows = [0, 0, 1, 2, 4, 5]
        duplicated = net.loss_gradient(X[rows], Y[rows], state_momentum=None), net.grad
        assert weighted[0] == pytest.approx(duplicated[0], rel=1e-12)
        np.testing.assert_allclose(weighted[1], duplicated[1], rtol=1e-10, atol=1e-14)

    def test_parameters_are_not_penalised_and_start_as_the_identity(self):
        net = _bn_net(batch_norm=[True, False])
        plain = Network((4, 6, 6, 3), "tanh", "log_loss")
        assert net.n_coef == plain.n_coef  # gamma and beta are with the biases
        # The dense layer before the normalization has no bias: beta is its shift.
        assert net.params.size == plain.params.size + 2 * 6 - 6
        assert net.dense_layers[0].b is None and net.dense_layers[1].b is not None
        net.initialize(np.random.RandomState(0))
        (bn,) = [leaf for leaf in net.leaves if isinstance(leaf, BatchNorm)]
        np.testing.assert_array_equal(bn.gamma, 1.0)
        np.testing.assert_array_equal(net.state, np.r_[np.zeros(6), np.ones(6)])

    def test_fit_state_sets_the_statistics_of_the_whole_data(self):
        net = _bn_net()
        X = np.random.RandomState(5).normal(2.0, 3.0, size=(40, 4))
        net.fit_state(X)
        train = net.forward(X, Mode(True, None, None)).copy()
        np.testing.assert_allclose(net.predict(X), Softmax_rows(train), rtol=1e-10)


def Softmax_rows(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class TestResidual:
    def test_forward_adds_the_input(self):
        tanh = HIDDEN_ACTIVATIONS["tanh"]
        inner = Dense(3, 3, tanh)
        block = Residual([inner])
        layers = [Dense(2, 3, tanh), block, Dense(3, 1, Identity)]
        net = Network.from_layers(layers, "binary_log_loss")
        net.initialize(np.random.RandomState(0))
        X = np.random.RandomState(1).normal(size=(5, 2))
        h = np.tanh(X @ net.coefs[0] + net.intercepts[0])
        a = h + np.tanh(h @ inner.W + inner.b)
        z = a @ net.coefs[2] + net.intercepts[2]
        np.testing.assert_allclose(net.predict(X), 1 / (1 + np.exp(-z)), rtol=1e-12)

    @pytest.mark.parametrize("batch_norm", [False, True])
    @pytest.mark.parametrize("dropout", [0.0, 0.3])
    def test_network_gradient(self, batch_norm, dropout):
        net = Network(
            (4, 5, 5, 5, 3),
            ["relu", "tanh", "gelu"],
            "log_loss",
            dropout=dropout,
            batch_norm=batch_norm,
            residual=True,
        )
        net.initialize(np.random.RandomState(0))
        assert [type(layer).__name__ for layer in net.layers].count("Residual") == 2
        rng = np.random.RandomState(3)
        X = rng.normal(size=(10, 4))
        Y = np.eye(3)[rng.randint(3, size=10)]
        # Dropout masks held fixed: the same seed before every evaluation.
        loss_gradient = net.loss_gradient

        def seeded(*args, **kwargs):
            net.seed_dropout(0)
            return loss_gradient(*args, **kwargs)

        net.loss_gradient = seeded
        assert _network_gradient_error(net, X, Y) < 1e-6

    def test_widths_must_be_equal(self):
        with pytest.raises(ValueError, match="widths must be equal"):
            Residual([Dense(3, 4, Identity)])
        with pytest.raises(ValueError, match="at least two hidden layers of one width"):
            Network((4, 5, 6, 3), "relu", "log_loss", residual=True)
        with pytest.raises(ValueError, match="at least two hidden layers of one width"):
            Network((4, 5, 3), "relu", "log_loss", residual=True)


class TestRecords:
    @pytest.mark.parametrize("residual", [False, True])
    def test_a_record_makes_the_same_layer_again(self, residual):
        net = _bn_net(residual=residual, sizes=(4, 6, 6, 6, 3))
        X = np.random.RandomState(0).normal(size=(7, 4))
        net.fit_state(X)
        layers = layers_from_records(net.records())
        assert [type(a) for a in layers] == [type(b) for b in net.layers]
        output = predict_chunked(layers, net.output_activation, X)
        np.testing.assert_array_equal(output, net.predict(X))
        assert from_record(to_record(net.layers[0])).config() == net.layers[0].config()

    def test_unknown_kinds_and_other_layers_are_refused(self):
        with pytest.raises(ValueError, match="Unknown layer kind 'conv'"):
            from_record({"kind": "conv", "config": {}, "params": {}, "state": {}})
        net = _bn_net()
        with pytest.raises(ValueError, match="in the records but"):
            net.load_records(Network((4, 6, 6, 3), "tanh", "log_loss").records())
        with pytest.raises(ValueError, match="layers with parameters"):
            net.load_records(net.records()[:-1])


# ---------------------------------------------------------------------------
# The tabular pieces (issue 19): the per-feature scale, periodic numeric
# embeddings and the NTK parametrization of the dense layers, each checked
# alone (formula, finite differences) and through a network's gradient.
# ---------------------------------------------------------------------------
import scipy.sparse as sp  # noqa: E402

from skscratch.core.layers import FeatureScale, PeriodicEmbedding  # noqa: E402
from skscratch.core.mlp import ntk_weight_scale  # noqa: E402


def _bind_random(layer, seed=0, jitter=0.3):
    """Bind ``layer`` to arrays of its own, initialized, then moved off the start."""
    params = {name: np.zeros(shape) for name, shape, _ in layer.param_shapes()}
    grads = {name: np.zeros(shape) for name, shape, _ in layer.param_shapes()}
    layer.bind(params, grads)
    rng = np.random.RandomState(seed)
    layer.initialize(rng)
    for array in params.values():
        array += rng.normal(0.0, jitter, array.shape)
    return params, grads


class TestFeatureScale:
    def test_forward_scales_each_column_and_starts_as_the_identity(self):
        layer = FeatureScale(3)
        params, _ = _bind_random(layer, jitter=0.0)
        np.testing.assert_array_equal(params["s"], 1.0)
        params["s"][...] = [2.0, -1.0, 0.5]
        x = np.random.RandomState(0).normal(size=(4, 3))
        out = layer.forward(x, layer.buffers(4, np.float64, False), PREDICTING)
        np.testing.assert_array_equal(out, x * [2.0, -1.0, 0.5])
        assert np.abs(out).max() <= layer.output_bound(np.abs(x).max())

    @pytest.mark.parametrize("first_layer", [False, True])
    def test_backward_is_the_derivative_of_forward(self, first_layer):
        layer = FeatureScale(4)
        params, grads = _bind_random(layer)
        x = np.random.RandomState(1).normal(size=(6, 4))
        assert_layer_backward_is_the_derivative(layer, x, params, grads, not first_layer)

    def test_sparse_input_gives_the_dense_result(self):
        layer = FeatureScale(5)
        params, grads = _bind_random(layer)
        X = sp.random(7, 5, density=0.4, format="csr", random_state=0)
        g = np.random.RandomState(2).normal(size=(7, 5))
        buf = layer.buffers(7, np.float64, True)
        out = layer.forward(X, buf, TRAINING)
        assert sp.issparse(out)
        np.testing.assert_allclose(out.toarray(), X.toarray() * params["s"], rtol=1e-15)
        layer.backward(g.copy(), buf)
        from_sparse = grads["s"].copy()
        layer.forward(X.toarray(), buf, TRAINING)
        layer.backward(g.copy(), buf)
        np.testing.assert_allclose(from_sparse, grads["s"], rtol=1e-12)

    def test_scale_is_penalised_with_the_weights(self):
        layers = [FeatureScale(4), *mlp_layers((4, 5, 2), "tanh")]
        net = Network.from_layers(layers, "log_loss")
        plain = Network((4, 5, 2), "tanh", "log_loss")
        assert net.n_coef == plain.n_coef + 4  # s is in the L2 (and weight decay) slice
        net.initialize(np.random.RandomState(0))
        plain.initialize(np.random.RandomState(0))
        np.testing.assert_array_equal(net.params[:4], 1.0)
        X = np.random.RandomState(1).normal(size=(9, 4))
        np.testing.assert_array_equal(net.predict(X), plain.predict(X))  # starts at s = 1


def _periodic_by_loops(layer, x):
    """The periodic embedding's output, written out one feature and frequency at a time."""
    m, k, p = layer.n_numeric, layer.n_frequencies, layer.params
    out = []
    for i in range(x.shape[0]):
        row = []
        for j in range(m):
            angles = [2 * np.pi * p["C"][j, f] * x[i, j] for f in range(k)]
            if layer.variant == "plr":
                waves = [np.sin(t) for t in angles] + [np.cos(t) for t in angles]
                h = [max(v, 0.0) for v in np.array(waves) @ p["W"][j] + p["b"][j]]
            else:
                waves = [np.cos(t + p["phi"][j, f]) for f, t in enumerate(angles)]
                h = [*(np.array(waves) @ p["W"][j] + p["b"][j]), x[i, j]]
            row.extend(h)
        out.append(row + list(x[i, m:]))
    return np.array(out)


class TestPeriodicEmbedding:
    @pytest.mark.parametrize("variant", ["plr", "pbld"])
    def test_forward_is_the_formula(self, variant):
        layer = PeriodicEmbedding(3, 2, n_frequencies=4, dim=3, variant=variant, sigma=0.5)
        _bind_random(layer)
        assert layer.n_out == 3 * 3 + 2
        x = np.random.RandomState(1).normal(size=(5, 5))
        out = layer.forward(x, layer.buffers(5, np.float64, False), PREDICTING)
        expected = _periodic_by_loops(layer, x)
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)
        assert np.abs(out).max() <= layer.output_bound(np.abs(x).max())

    @pytest.mark.parametrize("first_layer", [False, True])
    @pytest.mark.parametrize("variant", ["plr", "pbld"])
    def test_backward_is_the_derivative_of_forward(self, variant, first_layer):
        n_passthrough = 0 if first_layer else 2
        layer = PeriodicEmbedding(3, n_passthrough, 5, 4, variant, sigma=0.5)
        params, grads = _bind_random(layer)
        x = np.random.RandomState(2).normal(size=(7, layer.n_in)) * 2
        assert_layer_backward_is_the_derivative(layer, x, params, grads, not first_layer)

    def test_initialization(self):
        layer = PeriodicEmbedding(40, 0, 50, 5, "pbld", sigma=0.3)
        params, _ = _bind_random(layer, jitter=0.0)
        assert params["C"].std() == pytest.approx(0.3, rel=0.05)  # N(0, sigma^2)
        assert np.abs(params["phi"]).max() <= np.pi
        assert np.abs(params["W"]).max() <= 1 / np.sqrt(50)  # fan_in: the 50 waves
        groups = {name: group for name, _, group in layer.param_shapes()}
        assert groups == {"C": "weights", "W": "weights", "b": "biases", "phi": "biases"}
        plr = PeriodicEmbedding(2, 0, 3, 2, "plr")
        assert [shape for _, shape, _ in plr.param_shapes()] == [(2, 3), (2, 6, 2), (2, 2)]

    def test_bad_configurations_are_refused(self):
        with pytest.raises(ValueError, match="Unknown periodic embedding 'sine'"):
            PeriodicEmbedding(3, variant="sine")
        with pytest.raises(ValueError, match="dim >= 2"):
            PeriodicEmbedding(3, dim=1, variant="pbld")
        PeriodicEmbedding(3, dim=1, variant="plr")

    @pytest.mark.parametrize("variant", ["plr", "pbld"])
    def test_network_gradient_with_embeddings_scale_and_a_short_last_batch(self, variant):
        # Categorical codes first through their tables, then the periodic
        # embedding of the 2 numeric columns, the scale, and the dense layers.
        embedding = Embedding(2, [4, 3], [2, 2])
        periodic = PeriodicEmbedding(2, 4, 3, 3, variant, sigma=0.5)
        scale = FeatureScale(periodic.n_out)
        layers = [embedding, periodic, scale, *mlp_layers((scale.n_out, 5, 3), "tanh")]
        net = Network.from_layers(layers, "log_loss")
        net.initialize(np.random.RandomState(0))
        rng = np.random.RandomState(3)
        X = np.column_stack(
            [rng.normal(size=(10, 2)), rng.randint(4, size=10), rng.randint(3, size=10)]
        )
        Y = np.eye(3)[rng.randint(3, size=10)]
        net._batch_buffers(16)  # buffers of a larger batch, cut to these 10 rows
        assert _network_gradient_error(net, X, Y) < 1e-6


class TestNTKParametrization:
    def test_dense_forward_scales_a_W(self):
        tanh = HIDDEN_ACTIVATIONS["tanh"]
        layer = Dense(N_IN, N_OUT, tanh, weight_scale=0.5)
        params, _ = _bind_random(layer, jitter=1.0)
        x = np.random.RandomState(1).normal(size=(N_ROWS, N_IN))
        out = layer.forward(x, layer.buffers(N_ROWS, np.float64, False), PREDICTING)
        expected = np.tanh(0.5 * (x @ params["W"]) + params["b"])
        np.testing.assert_allclose(out, expected, rtol=1e-12)

    @pytest.mark.parametrize("first_layer", [False, True])
    def test_dense_backward_is_the_derivative_of_forward(self, first_layer):
        layer = Dense(N_IN, N_OUT, HIDDEN_ACTIVATIONS["gelu"], weight_scale=0.5)
        params, grads = _bind_random(layer, jitter=1.0)
        x = np.random.RandomState(1).normal(size=(N_ROWS, N_IN))
        assert_layer_backward_is_the_derivative(layer, x, params, grads, not first_layer)

    def test_initialization_and_scales(self):
        net = Network((30, 200, 100, 3), "relu", "log_loss", parametrization="ntk")
        net.initialize(np.random.RandomState(0), parametrization="ntk")
        scales = [layer.weight_scale for layer in net.dense_layers]
        assert scales == [ntk_weight_scale(n) for n in (30, 200, 100)]
        assert scales[0] == pytest.approx(1 / np.sqrt(30))
        for layer in net.dense_layers[:-1]:
            assert layer.W.std() == pytest.approx(1.0, rel=0.05)
            assert layer.b.std() == pytest.approx(1.0, rel=0.3)
        np.testing.assert_array_equal(net.coefs[-1], 0.0)
        np.testing.assert_array_equal(net.intercepts[-1], 0.0)
        X = np.random.RandomState(1).normal(size=(50, 30))
        np.testing.assert_allclose(net.predict(X), 1 / 3)  # the zero output layer
        # Each unit's pre-activation keeps its inputs' scale, whatever the width.
        z = X @ net.coefs[0] * scales[0]
        assert z.std() == pytest.approx(1.0, rel=0.1)

    @pytest.mark.parametrize("batch_norm", [False, True])
    def test_network_gradient(self, batch_norm):
        net = Network(
            (4, 6, 6, 3),
            "tanh",
            "log_loss",
            batch_norm=batch_norm,
            residual=True,
            parametrization="ntk",
        )
        net.initialize(np.random.RandomState(0), parametrization="ntk")
        net.coefs[-1][...] = np.random.RandomState(2).normal(size=net.coefs[-1].shape)
        rng = np.random.RandomState(3)
        X, Y = rng.normal(size=(10, 4)), np.eye(3)[rng.randint(3, size=10)]
        assert _network_gradient_error(net, X, Y) < 1e-6

    def test_records_keep_the_scale_and_other_parametrizations_are_refused(self):
        ntk = Network((4, 5, 2), "relu", "log_loss", parametrization="ntk")
        ntk.initialize(np.random.RandomState(0), parametrization="ntk")
        record = to_record(ntk.layers[0])
        assert record["config"]["weight_scale"] == 0.5
        assert from_record(record).weight_scale == 0.5
        old = {**record, "config": {k: v for k, v in record["config"].items()}}
        del old["config"]["weight_scale"]  # a record saved before the parametrization
        assert from_record(old).weight_scale == 1.0
        standard = Network((4, 5, 2), "relu", "log_loss")
        with pytest.raises(ValueError, match="weight_scale"):
            standard.load_records(ntk.records())
        with pytest.raises(ValueError, match="Unknown parametrization 'mup'"):
            Network((4, 5, 2), "relu", "log_loss", parametrization="mup")
