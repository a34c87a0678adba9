"""Losses: values against direct formulas and sklearn's metrics, stability, deltas."""

import numpy as np
import pytest
from sklearn.metrics import log_loss, mean_poisson_deviance, mean_squared_error

from skscratch._training.gradient_check import central_differences
from skscratch.core.activations import OUTPUT_ACTIVATIONS
from skscratch.core.losses import LOSSES

N, K = 9, 3


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _targets(name, rng, n=N, k=K):
    if name in ("squared_error", "huber"):
        return rng.normal(scale=1.5, size=(n, k))
    if name == "poisson":
        return rng.poisson(2.0, size=(n, k)).astype(float)  # zeros included
    if name == "log_loss":
        return np.eye(k)[rng.randint(k, size=n)]
    return rng.randint(2, size=(n, k)).astype(float)


# Each sample's loss, summed over outputs, computed the long way from p = f_out(z).
def _direct(name, y, z):
    if name == "squared_error":
        return 0.5 * ((z - y) ** 2).sum(axis=1)
    if name == "poisson":
        mu = np.exp(z)
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogy = np.where(y > 0, y * np.log(y / mu), 0.0)
        return (ylogy - y + mu).sum(axis=1)
    if name == "log_loss":
        return -(y * np.log(_softmax(z))).sum(axis=1)
    if name == "huber":
        r = np.abs(z - y)
        return np.where(r <= 1, 0.5 * r**2, r - 0.5).sum(axis=1)
    p = _sigmoid(z)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(axis=1)


# The canonical loss / output-activation pairs, whose output delta is f_out(z) - y.
CANONICAL = {
    "squared_error": "identity",
    "poisson": "exp",
    "log_loss": "softmax",
    "binary_log_loss": "logistic",
}
# Every registered loss needs a direct formula in _direct above.
KNOWN = {*CANONICAL, "huber"}


def _mean(loss, y, z, sample_weight=None):
    """The batch loss as Network.loss_gradient weighs it (without the L2 term)."""
    return float(np.average(loss.per_sample(y, z), weights=sample_weight))


def test_registry():
    assert set(CANONICAL) <= set(LOSSES) <= KNOWN
    for name, activation in CANONICAL.items():
        assert LOSSES[name].out_activation.name == activation
    for name, cls in LOSSES.items():
        assert cls.name == name
        assert OUTPUT_ACTIVATIONS[cls.out_activation.name] is cls.out_activation


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_per_sample_matches_direct_formula(name):
    rng = np.random.RandomState(0)
    y, z = _targets(name, rng), rng.normal(size=(N, K))
    z_before = z.copy()
    per_sample = LOSSES[name]().per_sample(y, z)
    np.testing.assert_allclose(per_sample, _direct(name, y, z), rtol=1e-12)
    np.testing.assert_array_equal(z, z_before)  # per_sample leaves the logits alone


def test_values_match_sklearn_metrics():
    rng = np.random.RandomState(1)
    z = rng.normal(size=(N, K))
    sw = rng.uniform(0.1, 3.0, size=N)

    labels = rng.randint(K, size=N)
    y = np.eye(K)[labels]
    expected = log_loss(labels, _softmax(z), sample_weight=sw, labels=range(K))
    assert _mean(LOSSES["log_loss"](), y, z, sw) == pytest.approx(expected, rel=1e-12)

    yb = rng.randint(2, size=N)
    zb = z[:, :1]
    expected = log_loss(yb, _sigmoid(zb[:, 0]), sample_weight=sw)
    got = _mean(LOSSES["binary_log_loss"](), yb[:, None].astype(float), zb, sw)
    assert got == pytest.approx(expected, rel=1e-12)

    # Half of sklearn's (full) Poisson deviance and squared error, for one output.
    yp = rng.poisson(2.0, size=N).astype(float)
    expected = mean_poisson_deviance(yp, np.exp(zb[:, 0]), sample_weight=sw) / 2
    assert _mean(LOSSES["poisson"](), yp[:, None], zb, sw) == pytest.approx(
        expected, rel=1e-12
    )

    yr = rng.normal(size=N)
    expected = mean_squared_error(yr, zb[:, 0], sample_weight=sw) / 2
    got = _mean(LOSSES["squared_error"](), yr[:, None], zb, sw)
    assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log_losses_from_huge_logits_stay_finite(dtype):
    # A confident wrong prediction costs about |z|, not log(0) = inf.
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]], dtype=dtype)
    y = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]], dtype=dtype)
    value = _mean(LOSSES["log_loss"](), y, z)
    assert value == pytest.approx((2000.0 + 0.0) / 2, rel=1e-6)

    zb = np.array([[1000.0], [-1000.0], [1000.0]], dtype=dtype)
    yb = np.array([[0.0], [1.0], [1.0]], dtype=dtype)
    assert _mean(LOSSES["binary_log_loss"](), yb, zb) == pytest.approx(2000.0 / 3, rel=1e-6)

    # And a confident right prediction costs (almost) nothing.
    assert _mean(LOSSES["log_loss"](), y[1:], z[1:]) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.skipif("huber" not in LOSSES, reason="no Huber loss")
def test_huber_delta_is_clipped_residual():
    loss = LOSSES["huber"]()
    y = np.array([[0.0, 0.0, 0.0, 0.0]])
    z = np.array([[-5.0, -0.5, 0.25, 3.0]])
    sw = np.array([2.0])
    np.testing.assert_allclose(loss.delta(y, z.copy(), sw), [[-2.0, -1.0, 0.5, 2.0]])
    # Linear beyond the threshold: an outlier costs |r| - 1/2, not r**2 / 2.
    assert _mean(loss, np.array([[0.0]]), np.array([[1e6]])) == pytest.approx(1e6 - 0.5)


def test_poisson_huge_logits_stay_finite():
    z = np.array([[1e4], [-1e4]])
    y = np.array([[0.0], [3.0]])
    assert np.isfinite(_mean(LOSSES["poisson"](), y, z))


@pytest.mark.parametrize("name", sorted(CANONICAL))
@pytest.mark.parametrize("weighted", [False, True])
def test_delta_is_output_minus_target_times_weight(name, weighted):
    loss = LOSSES[name]()
    rng = np.random.RandomState(2)
    y, z = _targets(name, rng), rng.normal(size=(N, K))
    sw = rng.uniform(0.1, 3.0, size=N) if weighted else None
    expected = loss.out_activation.forward(z.copy()) - y
    if weighted:
        expected *= sw[:, None]
    buffer = z.copy()
    delta = loss.delta(y, buffer, sw)
    assert delta is buffer  # computed in place, in the logits' buffer
    np.testing.assert_allclose(delta, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_delta_is_gradient_of_summed_loss(name):
    # The delta is d(sum of per-sample losses)/dz: f_out(z) - y for canonical pairs.
    loss = LOSSES[name]()
    rng = np.random.RandomState(3)
    y, z = _targets(name, rng, n=4), rng.normal(size=(4, K))
    numeric = central_differences(
        lambda flat: loss.per_sample(y, flat.reshape(z.shape)).sum(), z.ravel()
    ).reshape(z.shape)
    np.testing.assert_allclose(loss.delta(y, z.copy()), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("weighted", [False, True])
def test_per_sample_and_delta_is_per_sample_then_delta(name, weighted):
    # The training step takes both from one call, which LogLoss fuses.
    rng = np.random.RandomState(7)
    y = _targets(name, rng)
    z = rng.normal(scale=30.0, size=(N, K))  # large logits: the fused path must stay stable
    sw = rng.uniform(0.5, 2.0, size=N) if weighted else None
    loss = LOSSES[name]()
    losses, delta = loss.per_sample_and_delta(y, z.copy(), sw)
    np.testing.assert_allclose(losses, loss.per_sample(y, z), rtol=1e-12)
    np.testing.assert_allclose(delta, loss.delta(y, z.copy(), sw), rtol=1e-12, atol=1e-15)
