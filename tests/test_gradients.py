"""Back-propagation against central finite differences, in float64.

Every hidden activation x every loss x 0-3 hidden layers, with and without
sample weights, always with an L2 penalty. The nets are tiny so that the
finite differences (two loss evaluations per parameter) stay fast. Inputs
are Gaussian, so no pre-activation sits within the step of a ReLU kink.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from skscratch._gradient_check import central_differences
from skscratch.core import HIDDEN_ACTIVATIONS, LOSSES, Network

HIDDEN = (5, 4, 3)
N_SAMPLES, N_FEATURES, N_OUTPUTS = 7, 3, 3
ALPHA = 0.3
STEP = 1e-6


def _problem(loss, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    if loss == "squared_error":
        Y = rng.normal(size=(N_SAMPLES, N_OUTPUTS))
    elif loss == "huber":  # residuals on both sides of the threshold 1
        Y = rng.normal(scale=2.0, size=(N_SAMPLES, N_OUTPUTS))
    elif loss == "poisson":
        Y = rng.poisson(1.5, size=(N_SAMPLES, N_OUTPUTS)).astype(float)
    elif loss == "log_loss":
        Y = np.eye(N_OUTPUTS)[rng.randint(N_OUTPUTS, size=N_SAMPLES)]
    else:  # binary_log_loss, as for multilabel targets
        Y = rng.randint(2, size=(N_SAMPLES, N_OUTPUTS)).astype(float)
    sw = rng.uniform(0.2, 3.0, size=N_SAMPLES)
    return X, Y, sw


def _relative_error(analytic, numeric):
    return np.linalg.norm(analytic - numeric) / max(
        np.linalg.norm(analytic), np.linalg.norm(numeric), 1e-300
    )


def _check(net, X, Y, sw, alpha):
    net.initialize(np.random.RandomState(1))
    params = net.params.copy()
    net.loss_gradient(X, Y, sw, alpha)
    analytic = net.grad.copy()

    def loss_at(p):
        net.params[...] = p
        return net.loss_gradient(X, Y, sw, alpha)

    numeric = central_differences(loss_at, params, epsilon=STEP)
    assert np.linalg.norm(numeric) > 1e-3  # a gradient worth comparing
    assert _relative_error(analytic, numeric) < 1e-6


# Without hidden layers the activation plays no part: depth 0 runs once per loss.
ARCHITECTURES = [("identity", 0)] + [
    (activation, depth) for activation in sorted(HIDDEN_ACTIVATIONS) for depth in (1, 2, 3)
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize(
    "activation, depth", ARCHITECTURES, ids=[f"{a}-{d}" for a, d in ARCHITECTURES]
)
def test_backprop_matches_finite_differences(activation, depth, loss, weighted):
    X, Y, sw = _problem(loss)
    net = Network((N_FEATURES, *HIDDEN[:depth], N_OUTPUTS), activation, loss)
    _check(net, X, Y, sw if weighted else None, ALPHA)


def test_mixed_activations_per_layer():
    X, Y, sw = _problem("log_loss", seed=4)
    names = sorted(HIDDEN_ACTIVATIONS)[:3]
    net = Network((N_FEATURES, 4, 3, 5, N_OUTPUTS), names, "log_loss")
    _check(net, X, Y, sw, ALPHA)


@pytest.mark.parametrize("loss", ["squared_error", "binary_log_loss"])
def test_sparse_input_gradient(loss):
    X, Y, sw = _problem(loss, seed=2)
    X[np.abs(X) < 0.7] = 0.0
    net = Network((N_FEATURES, 4, N_OUTPUTS), "tanh", loss)
    _check(net, sp.csr_matrix(X), Y, sw, ALPHA)


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_dropout_gradient_with_fixed_masks(activation):
    # Each loss_gradient call draws new masks; a network rebuilt with the same
    # random_state draws the same ones, which makes the loss a function of the
    # parameters that finite differences can check.
    X, Y, sw = _problem("log_loss", seed=3)
    sizes = (N_FEATURES, 6, 5, N_OUTPUTS)

    def fresh():
        return Network(sizes, activation, "log_loss", dropout=[0.3, 0.5], random_state=7)

    net = fresh()
    net.initialize(np.random.RandomState(1))
    params = net.params.copy()
    net.loss_gradient(X, Y, sw, ALPHA)
    analytic = net.grad.copy()

    def loss_at(p):
        other = fresh()
        other.params[...] = p
        return other.loss_gradient(X, Y, sw, ALPHA)

    numeric = central_differences(loss_at, params, epsilon=STEP)
    assert _relative_error(analytic, numeric) < 1e-6


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_float32_gradient_close_to_float64(loss):
    X, Y, sw = _problem(loss, seed=5)
    grads = {}
    for dtype in (np.float64, np.float32):
        net = Network((N_FEATURES, 5, 4, N_OUTPUTS), "tanh", loss, dtype=dtype)
        net.initialize(np.random.RandomState(1))
        net.loss_gradient(X.astype(dtype), Y.astype(dtype), sw.astype(dtype), ALPHA)
        assert net.grad.dtype == dtype
        grads[dtype] = net.grad.astype(np.float64)
    assert _relative_error(grads[np.float32], grads[np.float64]) < 1e-5
