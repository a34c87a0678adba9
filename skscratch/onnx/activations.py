"""Activations in ONNX operators, in float and double alike: the hidden
layers' (``HIDDEN_CONVERTERS``) and the output's (``OUTPUT_CONVERTERS``); the
package docstring says which are composed and why.
"""

from functools import lru_cache

import numpy as np
import scipy.special
from numpy.polynomial import chebyshev
from onnx import TensorProto

from ..core.activations import SELU


def _logistic(g, z):
    # scipy's expit: exact to rounding in relative terms, 0 where exp(-z) overflows.
    return g.node(
        "Div", g.const(1), g.node("Add", g.const(1), g.node("Exp", g.node("Neg", z)))
    )


def _leaky_relu(g, z):
    # skscratch.core.activations.LeakyReLU.slope; LeakyRelu has no double kernel.
    return g.node("Max", z, g.node("Mul", z, g.const(0.01)))


def _expm1_negative(g, x):
    """``expm1(x)`` for ``x <= 0``, accurate where ``exp(x) - 1`` is not (Kahan).

    ``u = exp(x)`` is rounded, but ``(u - 1) / log(u)`` is computed from that same
    ``u`` and the rounding cancels; where ``u == 1``, ``expm1(x) = x`` to rounding.
    ``x`` is clipped at -40, where ``expm1`` is -1 in both float32 and float64.
    """
    x = g.node("Max", x, g.const(-40))
    u = g.node("Exp", x)
    ratio = g.node("Div", g.node("Mul", g.node("Sub", u, g.const(1)), x), g.node("Log", u))
    return g.node("Where", g.node("Equal", u, g.const(1)), x, ratio)


def _elu(g, z):
    # alpha = 1, as in skscratch.core.activations.ELU; Elu has no double kernel.
    negative = _expm1_negative(g, g.node("Min", z, g.const(0)))
    return g.node("Add", g.node("Relu", z), negative)


@lru_cache
def _erfcx_chebyshev(degree=24):
    """Chebyshev coefficients of ``log(erfcx(w) / t)`` in ``y = 2 t - 1``.

    With ``t = 2 / (2 + w)``, ``erfc(w) = t exp(-w**2 + sum_k c_k T_k(y))`` for
    ``w >= 0`` (the form of Numerical Recipes' ``erfccheb``). The series is smooth
    on [-1, 1] and its last coefficient is below 1e-15, so 25 terms reach double
    precision; ``erfcx`` (scaled by ``exp(w**2)``) keeps the fit from underflowing.
    """

    def f(y):
        t = (y + 1) / 2
        return np.log(scipy.special.erfcx(2 / t - 2) / t)

    return chebyshev.chebinterpolate(f, degree)


def _normal_cdf_double(g, z):
    """``Phi(z) = erfc(-z / sqrt(2)) / 2`` for a double ``z``, from ops that
    onnxruntime runs in double (its ``Erf`` has no double kernel)."""
    w = g.node("Div", g.node("Abs", z), g.const(np.sqrt(2.0), dtype=np.float64))

    def const(value):
        return g.const(value, dtype=np.float64)

    t = g.node("Div", const(2), g.node("Add", const(2), w))
    two_y = g.node("Sub", g.node("Mul", const(4), t), const(2))
    # Clenshaw's recurrence b_k = 2 y b_(k+1) - b_(k+2) + c_k, from the last term down.
    coefs = _erfcx_chebyshev()
    b1, b2 = const(coefs[-1]), None
    for c in coefs[-2:0:-1]:
        b = g.node("Add", g.node("Mul", two_y, b1), const(c))
        if b2 is not None:
            b = g.node("Sub", b, b2)
        b1, b2 = b, b1
    # series = y b_1 - b_2 + c_0
    half_two_y = g.node("Mul", two_y, const(0.5))
    series = g.node(
        "Sub", g.node("Add", g.node("Mul", half_two_y, b1), const(coefs[0])), b2
    )
    exponent = g.node("Sub", series, g.node("Mul", w, w))
    tail = g.node("Mul", g.node("Mul", t, g.node("Exp", exponent)), const(0.5))  # Phi(-|z|)
    negative = g.node("Less", z, const(0))
    return g.node("Where", negative, tail, g.node("Sub", const(1), tail))


def _gelu(g, z):
    # Exact GELU z Phi(z), as skscratch.core.activations.GELU (not the tanh form).
    # Phi is computed in double for float32 too, as numpy does there (its
    # z / np.sqrt(2.0) is float64); the product is then rounded to float32.
    if g.dtype == np.float64:
        return g.node("Mul", z, _normal_cdf_double(g, z))
    z64 = g.node("Cast", z, to=TensorProto.DOUBLE)
    return g.node("Cast", g.node("Mul", z64, _normal_cdf_double(g, z64)), to=g.proto)


def _selu(g, z):
    # As skscratch.core.activations.SELU; Selu loses precision (see above).
    scale, alpha = SELU.scale, SELU.alpha
    negative = _expm1_negative(g, g.node("Min", z, g.const(0)))
    return g.node(
        "Add",
        g.node("Mul", g.node("Relu", z), g.const(scale)),
        g.node("Mul", negative, g.const(scale * alpha)),
    )


def _mish(g, z):
    # tanh(softplus(z)): for z <= 0 the ratio e (e + 2) / (e (e + 2) + 2), for
    # z > 0 (1 + 2 e) / (1 + 2 e + 2 e**2) (divided by exp(2 z)), e = exp(-|z|);
    # equal to skscratch.core.activations.Mish's to rounding.
    e = g.node("Exp", g.node("Neg", g.node("Abs", z)))
    positive = g.node("Greater", z, g.const(0))
    two_e = g.node("Mul", e, g.const(2))
    one_two_e = g.node("Add", two_e, g.const(1))
    numerator = g.node(
        "Where", positive, one_two_e, g.node("Mul", e, g.node("Add", e, g.const(2)))
    )
    denominator = g.node(
        "Where",
        positive,
        g.node("Add", one_two_e, g.node("Mul", two_e, e)),
        g.node("Add", numerator, g.const(2)),
    )
    return g.node("Mul", z, g.node("Div", numerator, denominator))


def _exp(g, z):
    # As skscratch.core.activations.Exp: clipped so that the result stays finite.
    limit = np.log(np.finfo(g.dtype).max) - 1
    return g.node("Exp", g.node("Min", z, g.const(limit)))


HIDDEN_CONVERTERS = {
    "identity": lambda g, z: z,
    "logistic": _logistic,
    "tanh": lambda g, z: g.node("Tanh", z),
    "relu": lambda g, z: g.node("Relu", z),
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "gelu": _gelu,
    "selu": _selu,
    "mish": _mish,
}
"""ONNX form of each hidden activation of :mod:`skscratch.core.activations`."""

OUTPUT_CONVERTERS = {
    "identity": lambda g, z: z,
    "logistic": _logistic,
    "softmax": lambda g, z: g.node("Softmax", z, axis=1),
    "exp": _exp,
}
"""ONNX form of each output activation (``out_activation_``)."""
