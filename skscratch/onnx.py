"""Export fitted skscratch models to ONNX, through skl2onnx.

Importing this module registers a shape calculator and a converter for
:class:`~skscratch.ScratchMLPClassifier` and :class:`~skscratch.ScratchMLPRegressor`
(and the Tabular estimators, the same classes with other defaults) with
skl2onnx, so that ``skl2onnx.to_onnx(model, X[:1])`` converts them alone or
inside a :class:`~sklearn.pipeline.Pipeline`, the way it converts scikit-learn's
own MLP. :func:`to_onnx` does the same and can build the input type from the model.

The graph is built from the fitted model, what ``predict`` reads: the layer
records of ``layers_``, each converted by the function of its kind in
``LAYER_CONVERTERS`` (the input layers of ``handle_missing``, ``IsNaN`` and
``Where`` with the fitted medians, and of ``numeric_scaling``, the scaling and
the smooth clip; dense layers, in either parametrization, activations, batch
normalization with its running statistics, dropout as the identity,
embeddings, residual blocks, the per-feature scale, the numeric features'
periodic embeddings with ``Sin`` and ``Cos``; in double ``Cos`` is composed from ``Sin``),
then ``out_activation_``, ``classes_`` for the labels, and for a regressor
with ``target_scaling`` the mapping back to the units of ``y``. For categorical
features (``is_categorical_``, ``categories_``) each categorical column's
value is first matched against its categories (an unseen one, or a missing
value the fit did not see, takes the unknown code) and the embedding layer
takes its table row by a ``Gather``. The input stays one numeric tensor, so
categories must be numbers (integer codes, or a pandas Categorical of numbers);
string categories are
refused with a NotImplementedError. It computes in the input's type: float32 in,
float32 arithmetic (weights rounded to float32); float64 in, float64 arithmetic.
Every activation is written with operators that onnxruntime runs in both float
and double; those whose ONNX operator lacks a double kernel there, or loses
precision, are composed:

* ``leaky_relu``: ``Max(z, 0.01 z)``, as skscratch computes it;
* ``elu``: ``Relu(z) + expm1(Min(z, 0))`` with an accurate ``expm1`` (Kahan's
  ``(u - 1) z / log(u)``, ``u = exp(z)``) rather than ``exp(z) - 1``, which loses
  the digits of small negative ``z``;
* ``gelu`` (exact, ``z Phi(z)`` with the normal CDF ``Phi``): ``Phi`` from a
  Chebyshev series of the scaled complementary error function, in double for
  float32 models too (as numpy computes it), accurate to about 1e-13 relative
  even far in the tails, where ``1 + erf`` loses every digit. It costs about 80
  element-wise operations per GELU layer.
* ``selu``: ``lam Relu(z) + lam alpha expm1(Min(z, 0))`` with elu's ``expm1``
  (onnxruntime's ``Selu`` computes double in float, and float32's ``exp(z) - 1``);
* ``mish``: ``z t`` with ``t = tanh(softplus(z)) = (w**2 + 2 w) / (w**2 + 2 w + 2)``,
  ``w = exp(z)``, written in ``e = exp(-|z|)`` so that it neither overflows nor
  loses the digits of very negative ``z`` (onnxruntime's ``Mish`` returns 0
  from about z = -37 on in double, and ONNX has no ``log1p`` for skscratch's
  ``tanh(logaddexp(0, z))``).

``logistic`` is ``1 / (1 + exp(-z))``, scipy's ``expit``, rather than the
``Sigmoid`` operator, whose onnxruntime kernel is only absolutely accurate: small
probabilities come out with relative errors up to 25% in float32 (5e-10 in
float64), and as 0 from about z = -16 in float32 (-37 in float64) on.

Classifier outputs are those skl2onnx gives scikit-learn's ``MLPClassifier``:
``label`` then ``probabilities``, turned by default (option ``zipmap=True``)
into ``output_label`` and ``output_probability``, a list of ``{class: probability}``
dictionaries. ONNX's ``ZipMap`` takes float only, so in a float64 graph those
dictionaries hold the probabilities rounded to float32 (the labels are still
chosen in float64; scikit-learn's MLPClassifier converted by skl2onnx gives a
graph that onnxruntime refuses to load there). Pass ``options={"zipmap": False}``
for two plain tensors: ``label`` of shape (n_samples,) and ``probabilities`` of
shape (n_samples, n_classes), in the order of ``classes_``; ``zipmap="columns"``
gives one output per class. Labels are int64 for integer (or bool, or integral
float) classes and strings for string classes. A multilabel model's ``label`` is
the int64 indicator matrix of shape (n_samples, n_labels) and its
``probabilities`` one column per label.
Regressors give ``variable`` of shape (n_samples, n_outputs).

This module needs skl2onnx and onnx (and onnxruntime to run the result):
``pip install ".[onnx]"`` from a checkout of skscratch.
"""

from functools import lru_cache

import numpy as np
import scipy.special
from numpy.polynomial import chebyshev
from sklearn.pipeline import Pipeline

try:
    import skl2onnx
    from onnx import TensorProto
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )
    from skl2onnx.common.utils import (
        check_input_and_output_numbers,
        check_input_and_output_types,
    )
except ImportError as error:  # pragma: no cover - exercised without the extra
    raise ImportError(
        f"skscratch.onnx needs skl2onnx and onnx ({error}). From a checkout of "
        'skscratch, install them with: pip install ".[onnx]"'
    ) from error

from ._estimators.classifier import ScratchMLPClassifier
from ._estimators.regressor import ScratchMLPRegressor
from ._estimators.tabular import TabularMLPClassifier, TabularMLPRegressor
from .core.activations import SELU
from .core.layers import SMOOTH_CLIP_CAP, from_record

__all__ = ["to_onnx"]

#: Options the classifier's converter accepts, as for scikit-learn's MLPClassifier.
CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "output_class_labels": [False, True],
    "nocl": [True, False],
}


# ----------------------------------------------------------------- the graph
class _Graph:
    """Adds nodes and constants of one dtype to skl2onnx's container."""

    def __init__(self, scope, container, dtype):
        self.scope = scope
        self.container = container
        self.dtype = np.dtype(dtype)
        self.proto = TensorProto.DOUBLE if self.dtype == np.float64 else TensorProto.FLOAT
        self._constants = {}

    def node(self, op_type, *inputs, output=None, **attrs):
        """Add ``op_type(*inputs)``; return the name of its output."""
        output = output or self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(
            op_type,
            list(inputs),
            output,
            name=self.scope.get_unique_operator_name(op_type),
            **attrs,
        )
        return output

    def const(self, value, dtype=None, shape=None):
        """Name of an initializer holding ``value`` (the graph's dtype unless given)."""
        array = np.asarray(value, dtype=dtype or self.dtype)
        if shape is not None:
            array = array.reshape(shape)
        key = (array.dtype.str, array.shape, array.tobytes())
        if key not in self._constants:
            name = self.scope.get_unique_variable_name("c")
            proto = {
                np.dtype(np.float32): TensorProto.FLOAT,
                np.dtype(np.float64): TensorProto.DOUBLE,
                np.dtype(np.int64): TensorProto.INT64,
            }[array.dtype]
            self.container.add_initializer(name, proto, list(array.shape), array.ravel())
            self._constants[key] = name
        return self._constants[key]


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


def _network(g, input_name, model):
    """Add the forward pass; return the name of the output layer's activations.

    The input is cast to the graph's type and, for categorical features, coded
    as the estimator codes it (:func:`_network_input`); then each layer record
    of ``layers_`` (what ``predict`` reads) becomes its operators, through
    :data:`LAYER_CONVERTERS`.
    """
    if model.out_activation_ not in OUTPUT_CONVERTERS:
        raise NotImplementedError(
            f"Cannot convert out_activation_={model.out_activation_!r} to ONNX."
        )
    a = g.node("Cast", input_name, to=g.proto)
    if getattr(model, "is_categorical_", None) is not None:
        a = _network_input(g, a, model)
    a = _layers(g, a, model.layers_)
    return OUTPUT_CONVERTERS[model.out_activation_](g, a)


def _layers(g, a, records):
    """Each layer record's operators in turn, from ``a``."""
    for record in records:
        if record["kind"] not in LAYER_CONVERTERS:
            raise NotImplementedError(
                f"Cannot convert a {record['kind']!r} layer to ONNX; known kinds: "
                f"{sorted(LAYER_CONVERTERS)}."
            )
        a = LAYER_CONVERTERS[record["kind"]](g, a, record)
    return a


def _activation(g, z, name):
    if name not in HIDDEN_CONVERTERS:
        raise NotImplementedError(
            f"Cannot convert activation {name!r} to ONNX; known activations: "
            f"{sorted(HIDDEN_CONVERTERS)}."
        )
    return HIDDEN_CONVERTERS[name](g, z)


def _dense(g, a, record):
    """``f(c (a @ W) + b)``: MatMul, (Mul by ``c``,) Add and the activation's operators."""
    W = record["params"]["W"]
    z = g.node("MatMul", a, g.const(W, shape=W.shape))
    scale = record["config"].get("weight_scale", 1.0)
    if scale != 1.0:  # the NTK parametrization, applied as predict applies it
        z = g.node("Mul", z, g.const(scale))
    if "b" in record["params"]:  # none before a batch normalization
        z = g.node("Add", z, g.const(record["params"]["b"], shape=(1, -1)))
    return _activation(g, z, record["config"]["activation"])


def _feature_scale(g, a, record):
    """``a * s``: one Mul."""
    return g.node("Mul", a, g.const(record["params"]["s"], shape=(1, -1)))


def _cos(g, u):
    """``cos(u)``; in double as ``1 - 2 sin(u / 2)**2``, because onnxruntime's CPU
    kernels had ``Sin`` but no double ``Cos`` until mid-2026 (1.23 has none).
    The halving is exact and ``Sin`` accurate, so it is within about 4e-16 of
    the cosine."""
    if g.dtype != np.float64:
        return g.node("Cos", u)
    s = g.node("Sin", g.node("Mul", u, g.const(0.5)))
    return g.node("Sub", g.const(1), g.node("Mul", g.const(2), g.node("Mul", s, s)))


def _periodic_embedding(g, a, record):
    """Each numeric column's periodic embedding, then the other columns.

    As :class:`~skscratch.core.layers.PeriodicEmbedding` computes it: the
    angles ``x (2 pi c) (+ phi)`` of shape (n, m, k), their cosines (and
    sines), each feature's linear map (one Einsum for the m features), the offsets
    (a Relu for "plr", ``x`` itself for "pbld"), flattened per row.
    """
    config, params = record["config"], record["params"]
    m, dim = config["n_numeric"], config["dim"]

    def columns(indices):
        return g.node("Gather", a, g.const(indices, dtype=np.int64), axis=1)

    x = columns(np.arange(m))
    x3 = g.node("Unsqueeze", x, g.const([2], dtype=np.int64))  # (n, m, 1)
    omega = from_record(record).angular_frequencies()
    u = g.node("Mul", x3, g.const(omega, shape=(1, *omega.shape)))
    if config["variant"] == "pbld":
        u = g.node("Add", u, g.const(params["phi"], shape=(1, *params["phi"].shape)))
        v = _cos(g, u)
    else:
        v = g.node("Concat", g.node("Sin", u), _cos(g, u), axis=2)
    # One map per feature: an Einsum rather than Transpose, MatMul, Transpose,
    # which onnxruntime (1.23) fuses into a FusedMatMul that has no double kernel.
    W = g.const(params["W"], shape=params["W"].shape)  # (m, waves, n_linear)
    h = g.node("Einsum", v, W, equation="nmw,mwl->nml")
    h = g.node("Add", h, g.const(params["b"], shape=(1, *params["b"].shape)))
    if config["variant"] == "plr":
        h = g.node("Relu", h)
    else:
        h = g.node("Concat", h, x3, axis=2)  # x_j itself, last of its block
    flat = g.node("Reshape", h, g.const([-1, m * dim], dtype=np.int64))
    if not config["n_passthrough"]:
        return flat
    rest = columns(np.arange(m, m + config["n_passthrough"]))
    return g.node("Concat", flat, rest, axis=1)


def _batch_norm(g, a, record):
    """Prediction's batch norm: ``a * scale + shift``, from the running statistics."""
    gamma, beta = record["params"]["gamma"], record["params"]["beta"]
    mean, var = record["state"]["mean"], record["state"]["var"]
    scale = gamma / np.sqrt(var + record["config"]["epsilon"])
    shift = beta - mean * scale
    return g.node(
        "Add",
        g.node("Mul", a, g.const(scale, shape=(1, -1))),
        g.const(shift, shape=(1, -1)),
    )


def _residual(g, a, record):
    """``a + F(a)``, ``F`` the block's layers."""
    return g.node("Add", a, _layers(g, a, record["layers"]))


def _embedding(g, a, record):
    """The numeric columns, then each code column's table row (a Gather per table)."""
    n_numeric = record["config"]["n_numeric"]

    def columns(indices):
        return g.node("Gather", a, g.const(indices, dtype=np.int64), axis=1)

    parts = [columns(np.arange(n_numeric))]
    for j in range(len(record["config"]["dims"])):
        table = record["params"][f"E{j}"]
        code = g.node("Cast", columns([n_numeric + j]), to=TensorProto.INT64)
        code = g.node("Reshape", code, g.const([-1], dtype=np.int64))
        parts.append(g.node("Gather", g.const(table, shape=table.shape), code, axis=0))
    return g.node("Concat", *parts, axis=1)


def _columns(g, a, indices):
    """The columns ``indices`` of ``a`` (a Gather along axis 1)."""
    return g.node("Gather", a, g.const(indices, dtype=np.int64), axis=1)


def _impute_missing(g, a, record):
    """NaN -> the fill value (Where on IsNaN), the indicator columns, the rest."""
    k, indicate = record["config"]["n_numeric"], record["config"]["indicate"]
    n_passthrough = record["config"]["n_passthrough"]
    x = _columns(g, a, np.arange(k))
    fill = g.const(record["state"]["fill"], shape=(1, -1))
    parts = [g.node("Where", g.node("IsNaN", x), fill, x)]
    if indicate:
        missing = g.node("IsNaN", _columns(g, x, indicate))
        parts.append(g.node("Cast", missing, to=g.proto))
    if n_passthrough:
        parts.append(_columns(g, a, np.arange(k, k + n_passthrough)))
    return parts[0] if len(parts) == 1 else g.node("Concat", *parts, axis=1)


def _robust_scale(g, a, record):
    """``u = (x - center) * factor``, then ``u / sqrt(1 + (u / clip)**2)``; the rest."""
    config = record["config"]
    k, n_passthrough, clip = config["n_numeric"], config["n_passthrough"], config["clip"]
    center = g.const(record["state"]["center"], shape=(1, -1))
    factor = g.const(record["state"]["factor"], shape=(1, -1))
    u = g.node("Mul", g.node("Sub", _columns(g, a, np.arange(k)), center), factor)
    if clip is not None:
        # As skscratch.core.layers.RobustScale: capped, then the same operations.
        cap = SMOOTH_CLIP_CAP * clip
        u = g.node("Max", g.node("Min", u, g.const(cap)), g.const(-cap))
        t = g.node("Mul", u, g.const(1.0 / clip))
        t = g.node("Sqrt", g.node("Add", g.node("Mul", t, t), g.const(1)))
        u = g.node("Div", u, t)
    if not n_passthrough:
        return u
    return g.node("Concat", u, _columns(g, a, np.arange(k, k + n_passthrough)), axis=1)


def _ensemble_members(g, a, k, width):
    """The wide ``(k n, width)`` batch as ``(k, n, width)``, one block per member."""
    return g.node("Reshape", a, g.const([k, -1, width], dtype=np.int64))


def _ensemble_fork(g, a, record):
    """``k`` copies of the rows, member ``m``'s times ``r_m``, stacked into ``k n`` rows."""
    r = record["params"]["r"]
    k, width = r.shape
    rows = g.node("Unsqueeze", a, g.const([0], dtype=np.int64))  # (1, n, width)
    copies = g.node("Mul", rows, g.const(r, shape=(k, 1, width)))  # (k, n, width)
    return g.node("Reshape", copies, g.const([-1, width], dtype=np.int64))


def _ensemble_dense(g, a, record):
    """Each member's ``f(c ((a_m * r_m) @ W) * s_m + b_m)``, on its block of rows."""
    config, params = record["config"], record["params"]
    k, n_out = config["n_members"], config["n_out"]
    a = _ensemble_members(g, a, k, config["n_in"])
    if "r" in params:
        a = g.node("Mul", a, g.const(params["r"], shape=(k, 1, -1)))
    z = g.node("MatMul", a, g.const(params["W"], shape=params["W"].shape))
    z = g.node("Mul", z, g.const(params["s"], shape=(k, 1, n_out)))
    scale = config.get("weight_scale", 1.0)
    if scale != 1.0:
        z = g.node("Mul", z, g.const(scale))
    if "b" in params:
        z = g.node("Add", z, g.const(params["b"], shape=(k, 1, n_out)))
    z = g.node("Reshape", z, g.const([-1, n_out], dtype=np.int64))
    return _activation(g, z, config["activation"])


def _ensemble_output(g, a, record):
    """Each member's head, then the logits whose output activation is their average.

    As :meth:`~skscratch.core.layers.EnsembleOutput.average`: the mean for the
    identity; else the log of the mean output (``log p - log(1 - p)`` for the
    logistic), which the estimator's output activation turns back into the mean.
    The mean over the members is one MatMul with a row of ``1 / k``.
    """
    config, params = record["config"], record["params"]
    k, n_out, W = config["n_members"], config["n_out"], params["W"]
    z = g.node(
        "MatMul", _ensemble_members(g, a, k, config["n_in"]), g.const(W, shape=W.shape)
    )
    scale = config.get("weight_scale", 1.0)
    if scale != 1.0:
        z = g.node("Mul", z, g.const(scale))
    z = g.node("Add", z, g.const(params["b"], shape=(k, 1, n_out)))  # (k, n, n_out)
    name = config["output_activation"]
    if name != "identity":
        z = (
            g.node("Softmax", z, axis=2)
            if name == "softmax"
            else OUTPUT_CONVERTERS[name](g, z)
        )
    flat = g.node("Reshape", z, g.const([k, -1], dtype=np.int64))
    mean = g.node("MatMul", g.const(np.full((1, k), 1.0 / k)), flat)
    mean = g.node("Reshape", mean, g.const([-1, n_out], dtype=np.int64))
    if name == "identity":
        return mean
    if name == "logistic":
        return g.node(
            "Sub", g.node("Log", mean), g.node("Log", g.node("Sub", g.const(1), mean))
        )
    return g.node("Log", mean)


LAYER_CONVERTERS = {
    "dense": _dense,
    "activation": lambda g, a, record: _activation(g, a, record["config"]["activation"]),
    "batch_norm": _batch_norm,
    "dropout": lambda g, a, record: a,  # prediction passes its input through
    "embedding": _embedding,
    "residual": _residual,
    "feature_scale": _feature_scale,
    "periodic_embedding": _periodic_embedding,
    "impute_missing": _impute_missing,
    "robust_scale": _robust_scale,
    "ensemble_fork": _ensemble_fork,
    "ensemble_dense": _ensemble_dense,
    "ensemble_output": _ensemble_output,
}
"""The ONNX operators of each layer kind (:data:`skscratch.core.layers.LAYERS`)."""


def _network_input(g, X, model):
    """The network's input from ``X``: its numeric columns, then each categorical
    column's code, as the estimator codes it (``skscratch._input.categorical``).

    A value's code is found by comparing it with the categories: ``ArgMax`` over
    ``[value == category for each category | isnan(value) if missing values are a
    category | 0.5]`` is the first match, or the last slot, the unknown code.
    """
    mask = np.asarray(model.is_categorical_)
    for j, values in zip(np.flatnonzero(mask), model.categories_):
        if np.asarray(values).dtype.kind != "f":
            raise NotImplementedError(
                f"Cannot convert categorical feature {j} to ONNX: its categories are "
                "not numbers. The exported graph reads one numeric tensor; code the "
                "categories as numbers (e.g. a pandas Categorical of integers) and refit."
            )

    def columns(indices):
        return g.node("Gather", X, g.const(indices, dtype=np.int64), axis=1)

    parts = [columns(np.flatnonzero(~mask))]
    for j, values in zip(np.flatnonzero(mask), model.categories_):
        column = columns([j])  # (n_samples, 1)
        values = np.asarray(values, dtype=np.float64)
        known = values[~np.isnan(values)]
        slots = [g.node("Equal", column, g.const(known, shape=(1, -1)))]
        if len(known) < len(values):
            slots.append(g.node("IsNaN", column))
        # A column of 0.5 (from IsNaN, which a NaN in the column cannot turn into NaN).
        no = g.node("Cast", g.node("IsNaN", column), to=g.proto)
        unknown = g.node("Add", g.node("Mul", no, g.const(0)), g.const(0.5))
        matches = g.node("Concat", *(g.node("Cast", s, to=g.proto) for s in slots), axis=1)
        code = g.node("ArgMax", g.node("Concat", matches, unknown, axis=1), axis=1)
        parts.append(g.node("Cast", code, to=g.proto))  # (n_samples, 1)
    return g.node("Concat", *parts, axis=1)


def _graph_dtype(operator):
    return (
        np.float64 if isinstance(operator.inputs[0].type, DoubleTensorType) else np.float32
    )


def _is_multilabel(model):
    return model.out_activation_ == "logistic" and model.coefs_[-1].shape[-1] > 1


def _class_labels(model):
    """``classes_`` as an ONNX-ready array: int64, or bytes for string labels."""
    classes = np.asarray(model.classes_)
    if classes.dtype.kind in "iub":
        return classes.astype(np.int64)
    if classes.dtype.kind == "f":
        if not np.array_equal(classes, np.round(classes)):
            raise ValueError(
                f"ONNX class labels must be integers or strings; classes_ are "
                f"{classes.tolist()}. Fit on integer or string labels."
            )
        return classes.astype(np.int64)
    if all(isinstance(label, str) for label in classes):
        return np.array([label.encode("utf-8") for label in classes], dtype=object)
    if all(isinstance(label, (int, np.integer)) for label in classes):
        return classes.astype(np.int64)
    raise ValueError(
        f"ONNX class labels must be integers or strings; classes_ are {classes.tolist()}."
    )


# ------------------------------------------------- shape calculators, converters
def _classifier_shapes(operator):
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    check_input_and_output_types(
        operator, good_input_types=[FloatTensorType, DoubleTensorType, Int64TensorType]
    )
    model = operator.raw_operator
    n_samples = operator.inputs[0].get_first_dimension()
    n_classes = len(model.classes_)
    if _is_multilabel(model):
        operator.outputs[0].type = Int64TensorType(shape=[n_samples, n_classes])
    elif _class_labels(model).dtype == object:
        operator.outputs[0].type = StringTensorType(shape=[n_samples])
    else:
        operator.outputs[0].type = Int64TensorType(shape=[n_samples])
    in_double = _graph_dtype(operator) == np.float64 and not _zipmap_follows(operator)
    proba_type = DoubleTensorType if in_double else FloatTensorType
    operator.outputs[1].type = proba_type(shape=[n_samples, n_classes])


def _zipmap_follows(operator):
    """True when skl2onnx puts a ZipMap (option ``zipmap=True``) after the classifier.

    ONNX's ZipMap takes float probabilities only, and skl2onnx declares the
    dictionaries' values with its input's type; so a double graph hands ZipMap
    its probabilities cast to float (the labels are still chosen in double).
    """
    options = operator.scope_inst.get_options(operator.raw_operator, {"zipmap": True})
    return options["zipmap"] not in (False, "columns")


def _convert_classifier(scope, operator, container):
    model = operator.raw_operator
    g = _Graph(scope, container, _graph_dtype(operator))
    label_name, proba_name = operator.outputs[0].full_name, operator.outputs[1].full_name
    output = _network(g, operator.inputs[0].full_name, model)
    to_float = g.dtype == np.float64 and _zipmap_follows(operator)

    def probabilities(proba):
        if to_float:  # for ZipMap, as the shape calculator declared
            g.node("Cast", proba, to=TensorProto.FLOAT, output=proba_name)
        else:
            g.node("Identity", proba, output=proba_name)

    if _is_multilabel(model):
        # predict: the indicator matrix output > 0.5
        probabilities(output)
        g.node(
            "Cast",
            g.node("Greater", output, g.const(0.5)),
            to=TensorProto.INT64,
            output=label_name,
        )
        return
    if model.out_activation_ == "logistic":
        # one column, the positive class: predict_proba is [1 - p, p]
        probabilities(g.node("Concat", g.node("Sub", g.const(1), output), output, axis=1))
        index = g.node(
            "Cast", g.node("Greater", output, g.const(0.5)), to=TensorProto.INT64
        )
        index = g.node("Reshape", index, g.const([-1], dtype=np.int64))
    else:
        probabilities(output)
        index = g.node("ArgMax", output, axis=1, keepdims=0)  # the first maximum, as numpy
    classes = _class_labels(model)
    if classes.dtype == object:
        name = scope.get_unique_variable_name("classes")
        container.add_initializer(
            name, TensorProto.STRING, [len(classes)], classes.tolist()
        )
    else:
        name = g.const(classes, dtype=np.int64)
    g.node("Gather", name, index, axis=0, output=label_name)


def _regressor_shapes(operator):
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    check_input_and_output_types(
        operator, good_input_types=[FloatTensorType, DoubleTensorType, Int64TensorType]
    )
    model = operator.raw_operator
    n_samples = operator.inputs[0].get_first_dimension()
    output_type = (
        DoubleTensorType if _graph_dtype(operator) == np.float64 else FloatTensorType
    )
    operator.outputs[0].type = output_type(shape=[n_samples, model.coefs_[-1].shape[-1]])


def _convert_regressor(scope, operator, container):
    model = operator.raw_operator
    g = _Graph(scope, container, _graph_dtype(operator))
    output = _network(g, operator.inputs[0].full_name, model)
    if hasattr(model, "target_scale_"):  # target_scaling: back to the units of y
        scale = g.const(model.target_scale_, shape=(1, -1))
        output = g.node("Add", g.node("Mul", output, scale), g.const(model.target_offset_))
    g.node("Identity", output, output=operator.outputs[0].full_name)


skl2onnx.update_registered_converter(
    ScratchMLPClassifier,
    "SkscratchMLPClassifier",
    _classifier_shapes,
    _convert_classifier,
    options=CLASSIFIER_OPTIONS,
)
skl2onnx.update_registered_converter(
    ScratchMLPRegressor, "SkscratchMLPRegressor", _regressor_shapes, _convert_regressor
)
skl2onnx.update_registered_converter(
    TabularMLPClassifier,
    "SkscratchTabularMLPClassifier",
    _classifier_shapes,
    _convert_classifier,
    options=CLASSIFIER_OPTIONS,
)
skl2onnx.update_registered_converter(
    TabularMLPRegressor,
    "SkscratchTabularMLPRegressor",
    _regressor_shapes,
    _convert_regressor,
)


# ---------------------------------------------------------------- public API
def _model_dtype(model):
    """dtype of the first skscratch network in ``model`` (float32 if none)."""
    if isinstance(model, Pipeline):
        for _, step in model.steps:
            if isinstance(step, (ScratchMLPClassifier, ScratchMLPRegressor)):
                return step.coefs_[0].dtype
        return np.dtype(np.float32)
    coefs = getattr(model, "coefs_", None)
    return coefs[0].dtype if coefs else np.dtype(np.float32)


def to_onnx(
    model, X=None, *, initial_types=None, target_opset=None, options=None, name=None
):
    """Convert a fitted skscratch model, or a pipeline holding one, to ONNX.

    A thin layer over :func:`skl2onnx.to_onnx`, which converts skscratch's
    estimators too once this module is imported. Without ``X`` or
    ``initial_types``, the input is one tensor named ``"X"`` of shape
    (None, ``n_features_in_``), float64 if the network was fitted on float64
    data and float32 otherwise.

    Parameters
    ----------
    model : ScratchMLPClassifier, ScratchMLPRegressor or Pipeline
        The fitted model. A pipeline's other steps need converters of their own
        (skl2onnx has them for scikit-learn's transformers).
    X : array-like of shape (n_samples, n_features), default=None
        Sample input (one row is enough) from which skl2onnx infers the input's
        name ``"X"``, type and width. The graph computes in this type: float32
        or float64.
    initial_types : list of (str, skl2onnx type), default=None
        The inputs, e.g. ``[("X", FloatTensorType([None, 4]))]``, where ``X`` is
        None.
    target_opset : int or dict, default=None
        The ONNX opset to target; skl2onnx's latest supported one if None.
    options : dict, default=None
        Converter options, as for :func:`skl2onnx.to_onnx`. For a classifier,
        ``{"zipmap": False}`` gives two tensors, ``label`` and ``probabilities``,
        instead of the default ``output_label`` and ``output_probability`` (a
        list of ``{class: probability}`` dictionaries, float32 also for float64
        input, since ONNX's ZipMap takes float only); ``"columns"`` gives one
        output per class. In a pipeline, a plain dict applies to every step
        that accepts the option; ``{id(pipe[-1]): {"zipmap": False}}`` aims at one.
    name : str, default=None
        Name of the ONNX graph.

    Returns
    -------
    onnx_model : onnx.ModelProto
        The model; ``onnx_model.SerializeToString()`` gives the bytes that
        ``onnxruntime.InferenceSession`` loads.

    See Also
    --------
    skl2onnx.to_onnx : The conversion this calls.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklearn.datasets import load_iris
    >>> from skscratch import ScratchMLPClassifier
    >>> from skscratch.onnx import to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> model = ScratchMLPClassifier(
    ...     (8,), activation="tanh", solver="lbfgs", max_iter=500, random_state=0
    ... ).fit(X, y)
    >>> onx = to_onnx(model, options={"zipmap": False})
    >>> [i.name for i in onx.graph.input], [o.name for o in onx.graph.output]
    (['X'], ['label', 'probabilities'])
    >>> session = ort.InferenceSession(
    ...     onx.SerializeToString(), providers=["CPUExecutionProvider"]
    ... )
    >>> label, proba = session.run(None, {"X": X})
    >>> bool((label == model.predict(X)).all())
    True
    >>> bool(np.allclose(proba, model.predict_proba(X), rtol=1e-9, atol=1e-12))
    True
    """
    if X is None and initial_types is None:
        n_features = getattr(model, "n_features_in_", None)
        if n_features is None:
            raise ValueError("Pass X or initial_types: the model has no n_features_in_.")
        tensor_type = (
            DoubleTensorType if _model_dtype(model) == np.float64 else FloatTensorType
        )
        initial_types = [("X", tensor_type([None, int(n_features)]))]
    if X is not None:
        X = np.asarray(X)
    onnx_model = skl2onnx.to_onnx(
        model,
        X,
        initial_types=initial_types,
        target_opset=target_opset,
        options=options,
        name=name,
    )
    return onnx_model
