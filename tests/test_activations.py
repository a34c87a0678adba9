"""Activations: forward values, derivatives, in-place contract, numerical safety."""

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import erf
from sklearn.neural_network import MLPClassifier

from skscratch import ScratchMLPClassifier
from skscratch._training.gradient_check import central_differences
from skscratch.core.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, SELU


def _gelu(z):
    return z * 0.5 * (1 + erf(z / np.sqrt(2)))


# Klambauer et al. (2017), as printed in their paper's code and in PyTorch's SELU.
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _selu(z):
    return SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0)))


def _tanh_softplus(z):
    """t = tanh(log(1 + w)) = (w**2 + 2 w) / (w**2 + 2 w + 2), w = exp(z), and
    sigmoid(z) (1 - t**2) = 4 w (1 + w) / (w**2 + 2 w + 2)**2: another route than
    the code's tanh(logaddexp(0, z)), in e = exp(-|z|) so that nothing overflows
    (for z > 0, numerators and denominators divided by powers of w)."""
    e = np.exp(-np.abs(z))
    positive = z > 0
    numerator = np.where(positive, 1 + 2 * e, e * (e + 2))
    denominator = np.where(positive, 1 + 2 * e + 2 * e**2, e * (e + 2) + 2)
    slope = 4 * e * (1 + e) * np.where(positive, e, 1) / denominator**2
    return numerator / denominator, slope


def _mish(z):
    return z * _tanh_softplus(z)[0]


def _mish_derivative(z):
    t, slope = _tanh_softplus(z)
    return t + z * slope


# Direct formulas, written the textbook way, for every activation skscratch registers.
REFERENCE = {
    "identity": lambda z: z,
    "logistic": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.exp(z) - 1),
    "gelu": _gelu,
    "selu": _selu,
    "mish": _mish,
}


def _z(shape=(6, 5), seed=0, dtype=np.float64):
    # Gaussian values stay away from the kinks of relu-like activations at 0.
    return np.random.RandomState(seed).normal(scale=2.0, size=shape).astype(dtype)


def test_registries():
    assert set(OUTPUT_ACTIVATIONS) == {"identity", "logistic", "softmax", "exp"}
    # Every activation scikit-learn's MLP accepts is available here too.
    sklearn_names = MLPClassifier._parameter_constraints["activation"][0].options
    assert set(sklearn_names) <= set(HIDDEN_ACTIVATIONS)
    # Each registered hidden activation has a reference formula in this module.
    assert set(HIDDEN_ACTIVATIONS) <= set(REFERENCE)
    for name, act in {**HIDDEN_ACTIVATIONS, **OUTPUT_ACTIVATIONS}.items():
        assert act.name == name


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", ["selu", "mish"])
def test_tabular_activations_are_estimator_parameters(iris, name):
    # RealMLP's activations (SELU for classification, Mish for regression).
    assert name in HIDDEN_ACTIVATIONS
    X, y = iris
    model = ScratchMLPClassifier((5,), activation=name, max_iter=5, random_state=0)
    model.fit(X, y)
    assert model.layers_[0]["config"]["activation"] == name


@pytest.mark.parametrize("name", sorted(HIDDEN_ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_forward_matches_formula_in_place(name, dtype):
    act = HIDDEN_ACTIVATIONS[name]
    z = _z(dtype=dtype)
    expected = REFERENCE[name](z.astype(np.float64))
    buffer = z.copy()
    out = act.forward(buffer)
    assert out is buffer  # overwritten in place, the same array returned
    assert out.dtype == dtype
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, expected, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("name", sorted(HIDDEN_ACTIVATIONS))
def test_backward_is_derivative(name):
    act = HIDDEN_ACTIVATIONS[name]
    z = _z()
    f = REFERENCE[name]
    # f acts on each entry alone: d(sum f(z))/dz_i is f'(z_i).
    numeric = central_differences(lambda flat: f(flat.reshape(z.shape)).sum(), z.ravel())
    numeric = numeric.reshape(z.shape)

    a = act.forward(z.copy())
    delta = np.random.RandomState(1).normal(size=z.shape)
    buffer = delta.copy()
    pre = z.copy() if act.needs_preactivation else None
    out = act.backward(a, buffer, pre)
    assert out is buffer  # delta is multiplied by f'(z) in place
    np.testing.assert_allclose(out, delta * numeric, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("name", sorted(HIDDEN_ACTIVATIONS))
def test_huge_inputs_stay_finite(name):
    # The suite turns RuntimeWarning (overflow) into an error.
    z = np.array([[-1e4, -800.0, 0.5, 800.0, 1e4]])
    a = HIDDEN_ACTIVATIONS[name].forward(z.copy())
    assert np.all(np.isfinite(a))


def test_logistic_saturates_without_overflow():
    z = np.array([[-1000.0, 0.0, 1000.0]])
    np.testing.assert_array_equal(HIDDEN_ACTIVATIONS["logistic"].forward(z), [[0, 0.5, 1]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax(dtype):
    softmax = OUTPUT_ACTIVATIONS["softmax"]
    z = _z(dtype=dtype)
    expected = np.exp(z.astype(np.float64))
    expected /= expected.sum(axis=1, keepdims=True)
    p = softmax.forward(z.copy())
    assert p.dtype == dtype
    np.testing.assert_allclose(p, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-6)
    # Shifting a row changes nothing, even by an amount that would overflow exp.
    shifted = softmax.forward(z.copy() + dtype(1e4))
    np.testing.assert_allclose(shifted, p, rtol=1e-3 if dtype == np.float32 else 1e-9)


def test_softmax_huge_logits():
    p = OUTPUT_ACTIVATIONS["softmax"].forward(np.array([[1000.0, 0.0, -1000.0]]))
    np.testing.assert_array_equal(p, [[1, 0, 0]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_exp_output_stays_finite(dtype):
    exp = OUTPUT_ACTIVATIONS["exp"]
    z = np.array([[-3.0, 0.0, 2.5]], dtype=dtype)
    np.testing.assert_allclose(exp.forward(z.copy()), np.exp(z), rtol=1e-6)
    big = exp.forward(np.array([[1e4, 1e30]], dtype=dtype))
    assert big.dtype == dtype
    assert np.all(np.isfinite(big))
    assert np.all(big > 1e30)


def test_selu_constants_normalise_a_standard_normal():
    """SELU's fixed point: z ~ N(0, 1) gives f(z) of mean 0 and variance 1."""
    assert (SELU.alpha, SELU.scale) == (SELU_ALPHA, SELU_SCALE)

    def moment(power):
        def integrand(z):
            a = SELU.forward(np.array([z]))[0]
            return a**power * np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)

        return quad(integrand, -np.inf, 0)[0] + quad(integrand, 0, np.inf)[0]

    assert abs(moment(1)) < 1e-9
    assert moment(2) == pytest.approx(1, abs=1e-9)


def test_selu_derivative_on_both_sides_of_zero():
    z = np.array([[-30.0, -1.0, -1e-8, 0.0, 1e-8, 2.0, 1e4]])
    a = SELU.forward(z.copy())
    slope = SELU.backward(a, np.ones_like(z))
    expected = np.where(
        z < 0, SELU_SCALE * SELU_ALPHA * np.exp(np.minimum(z, 0)), SELU_SCALE
    )
    # Read off a, f' = a + lam alpha keeps an absolute error of a rounding of
    # lam alpha, relative only where f' is well above 1e-16 (z > -30).
    np.testing.assert_allclose(slope, expected, rtol=1e-15, atol=4e-16)
    assert a[0, 0] == pytest.approx(-SELU_SCALE * SELU_ALPHA, rel=1e-12)  # its floor


def test_mish_is_relatively_accurate_everywhere():
    """Far in the negative tail f(z) ~ z exp(z) keeps its digits; no overflow
    (a RuntimeWarning would be an error here) up to 1e4."""
    z = np.concatenate([np.linspace(-700, 60, 3041), [-1.2, 1e-12, -1e-12, 100, 800, 1e4]])
    mish = HIDDEN_ACTIVATIONS["mish"]
    a = mish.forward(z.copy())
    np.testing.assert_allclose(a, _mish(z), rtol=1e-14)
    slope = mish.backward(a, np.ones_like(z), z.copy())
    np.testing.assert_allclose(slope, _mish_derivative(z), rtol=1e-13, atol=1e-15)
    assert mish.forward(np.array([-1e4, 1e4])).tolist() == [0.0, 1e4]


def test_mish_float32_stays_float32_and_close():
    z = np.linspace(-30, 30, 601, dtype=np.float32)
    mish = HIDDEN_ACTIVATIONS["mish"]
    a = mish.forward(z.copy())
    slope = mish.backward(a, np.ones_like(z), z.copy())
    assert a.dtype == slope.dtype == np.float32
    z64 = z.astype(np.float64)
    np.testing.assert_allclose(a, _mish(z64), rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(slope, _mish_derivative(z64), rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", ["leaky_relu", "elu", "gelu", "selu", "mish"])
def test_new_activation_learns_iris(iris, name):
    X, y = iris
    model = ScratchMLPClassifier((20,), activation=name, max_iter=1000, random_state=0)
    assert model.fit(X, y).score(X, y) > 0.95
