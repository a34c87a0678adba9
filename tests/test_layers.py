"""skscratch.core.layers: each layer's forward is its formula, its backward the
derivative of its forward; a new layer kind plugs into a network."""

import types

import numpy as np
import pytest

from skscratch._gradient_check import central_differences
from skscratch.core import HIDDEN_ACTIVATIONS, Network
from skscratch.core.activations import Identity
from skscratch.core.layers import BIASES, LAYERS, Dense, Dropout, Layer

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
    np.testing.assert_allclose(layer.forward(a_in, buf, True), expected, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(HIDDEN_ACTIVATIONS))
def test_dense_backward_is_the_derivative_of_forward(name):
    # For L = sum(g * forward(a_in)) with a fixed g: dL/dW, dL/db and dL/da_in.
    activation = HIDDEN_ACTIVATIONS[name]
    layer, buf = _bound_dense(activation)
    rng = np.random.RandomState(2)
    a_in = rng.normal(size=(N_ROWS, N_IN))
    g = rng.normal(size=(N_ROWS, N_OUT))

    layer.forward(a_in, buf, True)
    grad_in = layer.backward(g.copy(), buf).copy()

    def loss_of(array):
        def f(flat):
            saved = array.copy()
            array[...] = flat.reshape(array.shape)
            out = layer.forward(a_in, layer.buffers(N_ROWS, np.float64, False), False)
            value = float((g * out).sum())
            array[...] = saved
            return value

        return f

    for array, analytic in ((layer.W, layer.dW), (layer.b, layer.db), (a_in, grad_in)):
        numeric = central_differences(loss_of(array), array.ravel().copy())
        np.testing.assert_allclose(analytic.ravel(), numeric, rtol=1e-6, atol=1e-8)


def test_first_layer_returns_no_input_gradient():
    layer = Dense(N_IN, N_OUT, Identity)
    layer.needs_input_grad = False
    layer.bind({"W": np.ones((N_IN, N_OUT)), "b": np.zeros(N_OUT)}, _zeros_like_dense())
    buf = layer.buffers(N_ROWS, np.float64, True)
    layer.forward(np.ones((N_ROWS, N_IN)), buf, True)
    assert layer.backward(np.ones((N_ROWS, N_OUT)), buf) is None


def _zeros_like_dense():
    return {"W": np.zeros((N_IN, N_OUT)), "b": np.zeros(N_OUT)}


def test_dropout_masks_and_scales_while_training_only():
    rate = 0.25
    layer = Dropout(1000, rate, np.random.default_rng(0))
    buf = layer.buffers(50, np.float64, True)
    a_in = np.ones((50, 1000))
    out = layer.forward(a_in, buf, True)
    kept = out != 0
    # Kept units are scaled by 1 / (1 - rate), so the mean stays 1.
    np.testing.assert_allclose(out[kept], 1 / (1 - rate))
    assert abs(kept.mean() - (1 - rate)) < 0.01
    np.testing.assert_array_equal(a_in, 1.0)  # the input is left alone
    # Backward multiplies by the same mask.
    g = np.full((50, 1000), 2.0)
    np.testing.assert_allclose(layer.backward(g, buf), 2.0 * out)
    # At prediction the layer passes its input through.
    assert layer.forward(a_in, layer.buffers(50, np.float64, False), False) is a_in


def test_dropout_masks_change_per_batch_and_follow_the_seed():
    def two_masks(seed):
        layer = Dropout(20, 0.5, np.random.default_rng(seed))
        buf = layer.buffers(10, np.float64, True)
        return [layer.forward(np.ones((10, 20)), buf, True).copy() for _ in range(2)]

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
        self.g, self.dg = params["g"], grads["g"]

    def buffers(self, n_rows, dtype, training):
        return types.SimpleNamespace(
            a_in=None, grad_in=np.empty((n_rows, self.n_in), dtype)
        )

    def forward(self, a_in, buf, training):
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
