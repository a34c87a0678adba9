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
value the fit did not see, takes the unknown code, as in ``predict``) and the
embedding layer takes its table row by a ``Gather``.

A model fitted on a table takes it as it was fitted, one input per column
(the way skl2onnx converts a ``ColumnTransformer``), where :func:`to_onnx` is
given a dataframe sample or the categories are text: text columns as strings,
coded by an ONNX-ML ``LabelEncoder``; numbers (and numeric categories) with
NaN for missing values; booleans as bools. :func:`to_onnx` says which type each
input has, and :func:`frame_inputs` makes a dataframe into those inputs. Such
a graph computes in the model's type. Otherwise the input is one numeric
tensor ``X`` (whose categories must then be numbers), and the graph computes
in its type: float32 in, float32 arithmetic (weights rounded to float32);
float64 in, float64 arithmetic.
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
from numbers import Real

import narwhals as nw
import numpy as np
import scipy.special
from numpy.polynomial import chebyshev
from sklearn.pipeline import Pipeline

try:
    import skl2onnx
    from onnx import TensorProto
    from skl2onnx._parse import _parse_sklearn_classifier
    from skl2onnx.common.data_types import (
        BooleanTensorType,
        DoubleTensorType,
        FloatTensorType,
        Int32TensorType,
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
from ._input.categorical import _is_missing
from .core.activations import SELU
from .core.layers import SMOOTH_CLIP_CAP, from_record

__all__ = ["frame_inputs", "to_onnx"]

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


def _network(g, operator, model):
    """Add the forward pass; return the name of the output layer's activations.

    One input tensor is cast to the graph's type and, for categorical features,
    coded as the estimator codes it (:func:`_network_input`); one input per
    column is put together in the same form (:func:`_columns_network_input`).
    Then each layer record of ``layers_`` (what ``predict`` reads) becomes its
    operators, through :data:`LAYER_CONVERTERS`.
    """
    if model.out_activation_ not in OUTPUT_CONVERTERS:
        raise NotImplementedError(
            f"Cannot convert out_activation_={model.out_activation_!r} to ONNX."
        )
    if _takes_columns(operator):
        a = _columns_network_input(g, operator, model)
    else:
        a = g.node("Cast", operator.inputs[0].full_name, to=g.proto)
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
}
"""The ONNX operators of each layer kind (:data:`skscratch.core.layers.LAYERS`)."""


def _network_input(g, X, model):
    """The network's input from one tensor ``X``: its numeric columns, then each
    categorical column's code, as the estimator codes it (``skscratch._input.categorical``).

    Each code is :func:`_category_code` of the column in the graph's type.
    """
    mask = np.asarray(model.is_categorical_)
    for j, values in zip(np.flatnonzero(mask), model.categories_):
        if _has_text(values):
            raise NotImplementedError(
                f"Cannot convert categorical feature {j} to ONNX with one numeric input "
                "tensor: its categories are text. Pass the table itself, e.g. "
                "skscratch.onnx.to_onnx(model, X_frame[:1]), for one input per column."
            )

    def columns(indices):
        return g.node("Gather", X, g.const(indices, dtype=np.int64), axis=1)

    parts = [columns(np.flatnonzero(~mask))]
    for j, values in zip(np.flatnonzero(mask), model.categories_):
        code = _category_code(g, columns([j]), values, g.dtype)
        parts.append(g.node("Cast", code, to=g.proto))  # (n_samples, 1)
    return g.node("Concat", *parts, axis=1)


def _has_text(categories):
    """Whether a categorical feature's categories are text (not numbers)."""
    return np.asarray(categories).dtype.kind != "f"


_PROTO = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE}


def _category_code(g, column, values, dtype):
    """Code of each value of ``column`` (n_samples, 1) among numeric categories.

    ``column`` holds ``dtype`` (float32 or float64), in which the values are
    compared with the categories ``values``: ``ArgMax`` over ``[value == category
    for each category | isnan(value) if missing values are a category | 0.5]`` is
    the first match, or the last slot, the unknown code. Returns int64 codes of
    shape (n_samples, 1).
    """
    proto = _PROTO[np.dtype(dtype)]
    values = np.asarray(values, dtype=np.float64)
    known = values[~np.isnan(values)]
    slots = [g.node("Equal", column, g.const(known, dtype=dtype, shape=(1, -1)))]
    if len(known) < len(values):
        slots.append(g.node("IsNaN", column))
    # A column of 0.5 (from IsNaN, which a NaN in the column cannot turn into NaN).
    no = g.node("Cast", g.node("IsNaN", column), to=proto)
    unknown = g.node(
        "Add", g.node("Mul", no, g.const(0, dtype=dtype)), g.const(0.5, dtype=dtype)
    )
    matches = g.node("Concat", *(g.node("Cast", s, to=proto) for s in slots), axis=1)
    return g.node("ArgMax", g.node("Concat", matches, unknown, axis=1), axis=1)


# ------------------------------------------------------ one input per column
#: The input types a numeric column, or a categorical one of numbers, may have.
_NUMBER_TYPES = (
    FloatTensorType,
    DoubleTensorType,
    Int64TensorType,
    Int32TensorType,
    BooleanTensorType,
)


def _takes_columns(operator):
    """Whether the operator's inputs are the table's columns rather than one tensor."""
    return _are_columns(operator.inputs)


def _are_columns(inputs):
    """Whether ``inputs`` are columns: several of them, or a single text or boolean
    one (the column of a one-feature model), which one numeric tensor cannot be."""
    return len(inputs) > 1 or isinstance(
        inputs[0].type, (StringTensorType, BooleanTensorType)
    )


def _input_columns(operator, model):
    """The input variables in the order of the model's features, each checked.

    With ``feature_names_in_`` the inputs are matched to the features by name,
    else by position. Raises ValueError for a wrong count, name or shape and
    TypeError for a type the feature cannot take (text for a numeric feature,
    numbers for a feature whose categories are text).
    """
    inputs = list(operator.inputs)
    n_features = model.n_features_in_
    if len(inputs) != n_features:
        raise ValueError(
            f"The graph has {len(inputs)} inputs {[v.raw_name for v in inputs]}, but "
            f"the model was fitted on {n_features} features: with one input per "
            "column, give one for each."
        )
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        by_name = {v.raw_name: v for v in inputs}
        absent = [str(name) for name in names if name not in by_name]
        if absent:
            raise ValueError(
                f"No input is named after the features {absent}: with one input per "
                "column, the inputs are named after the columns the model was fitted "
                f"on, {list(names)}; got {list(by_name)}."
            )
        inputs = [by_name[name] for name in names]
    mask = getattr(model, "is_categorical_", None)
    categories = iter(getattr(model, "categories_", []))
    for j, variable in enumerate(inputs):
        shape = variable.type.shape
        if len(shape) != 2 or (isinstance(shape[1], int) and shape[1] != 1):
            raise ValueError(
                f"Input {variable.raw_name!r} has shape {shape}; with one input per "
                "column, each has shape [None, 1]."
            )
        text = mask is not None and mask[j] and _has_text(next(categories))
        allowed = (StringTensorType,) if text else _NUMBER_TYPES
        if not isinstance(variable.type, allowed):
            what = "text categories" if text else "numbers"
            raise TypeError(
                f"Input {variable.raw_name!r} is a {type(variable.type).__name__}, but "
                f"feature {j} holds {what}: its input must be one of "
                f"{[t.__name__ for t in allowed]}."
            )
    return inputs


def _columns_network_input(g, operator, model):
    """The network's input from one input per column, as ``encode_X`` makes it.

    The numeric columns cast to the graph's type, then each categorical column's
    code: text through an ONNX-ML ``LabelEncoder`` (:func:`_text_code`), numbers
    (and booleans) compared with the categories in double (:func:`_category_code`),
    which holds every input type's values exactly.
    """
    columns = _input_columns(operator, model)
    mask = getattr(model, "is_categorical_", None)
    mask = np.zeros(len(columns), dtype=bool) if mask is None else np.asarray(mask)
    parts = [
        g.node("Cast", v.full_name, to=g.proto)
        for v, categorical in zip(columns, mask)
        if not categorical
    ]
    categorical = [v for v, m in zip(columns, mask) if m]
    for variable, values in zip(categorical, model.categories_):
        if _has_text(values):
            code = _text_code(g, variable, values)
        else:
            column = g.node("Cast", variable.full_name, to=TensorProto.DOUBLE)
            code = _category_code(g, column, values, np.float64)
        parts.append(g.node("Cast", code, to=g.proto))  # (n_samples, 1)
    return parts[0] if len(parts) == 1 else g.node("Concat", *parts, axis=1)


def _text_code(g, variable, values):
    """Code of each string of ``variable`` among text categories: a ``LabelEncoder``.

    Each category maps to its position, the empty string (how the graph reads a
    missing value) to the missing values' code, ``len(values) - 1`` where the fit
    saw missing values and the unknown code ``len(values)`` otherwise, as
    ``predict`` codes them; any other string to the unknown code.
    """
    known = [value for value in values if isinstance(value, str)]
    unknown = len(values)
    if "" in known:
        raise ValueError(
            f"Categorical feature {variable.raw_name!r} has the empty string as a "
            "category; the graph reads a missing text value as the empty string and "
            "could not tell the two apart. Replace the empty strings (e.g. by "
            "'(empty)') and refit."
        )
    missing = unknown - 1 if len(known) < len(values) else unknown
    return g.node(
        "LabelEncoder",
        variable.full_name,
        op_domain="ai.onnx.ml",
        op_version=2,
        keys_strings=[*known, ""],
        values_int64s=[*range(len(known)), missing],
        default_int64=unknown,
    )


def _graph_dtype(operator):
    """The type the graph computes in: the input's for one tensor, else the model's."""
    if _takes_columns(operator):
        return _model_dtype(operator.raw_operator)
    return (
        np.float64 if isinstance(operator.inputs[0].type, DoubleTensorType) else np.float32
    )


def _check_inputs(operator):
    """The input types one tensor may have, or the columns' (:func:`_input_columns`)."""
    if _takes_columns(operator):
        _input_columns(operator, operator.raw_operator)
    else:
        check_input_and_output_types(
            operator, good_input_types=[FloatTensorType, DoubleTensorType, Int64TensorType]
        )


def _is_multilabel(model):
    return model.out_activation_ == "logistic" and model.coefs_[-1].shape[1] > 1


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
    check_input_and_output_numbers(
        operator, input_count_range=[1, None], output_count_range=2
    )
    _check_inputs(operator)
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
    output = _network(g, operator, model)
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
    check_input_and_output_numbers(
        operator, input_count_range=[1, None], output_count_range=1
    )
    _check_inputs(operator)
    model = operator.raw_operator
    n_samples = operator.inputs[0].get_first_dimension()
    output_type = (
        DoubleTensorType if _graph_dtype(operator) == np.float64 else FloatTensorType
    )
    operator.outputs[0].type = output_type(shape=[n_samples, model.coefs_[-1].shape[1]])


def _convert_regressor(scope, operator, container):
    model = operator.raw_operator
    g = _Graph(scope, container, _graph_dtype(operator))
    output = _network(g, operator, model)
    if hasattr(model, "target_scale_"):  # target_scaling: back to the units of y
        scale = g.const(model.target_scale_, shape=(1, -1))
        output = g.node("Add", g.node("Mul", output, scale), g.const(model.target_offset_))
    g.node("Identity", output, output=operator.outputs[0].full_name)


def _parse_classifier(scope, model, inputs, custom_parsers=None):
    """skl2onnx's parser of classifiers, with ``zipmap="columns"``'s outputs typed
    as the graph's probabilities where the inputs are columns.

    skl2onnx types those outputs after the first input, which for columns may be
    text, or float64 in a float32 model; the probabilities are of the model's type.
    """
    outputs = _parse_sklearn_classifier(scope, model, inputs, custom_parsers=custom_parsers)
    zipmap = scope.get_options(model, {"zipmap": True})["zipmap"]
    if zipmap == "columns" and _are_columns(inputs):
        proba_type = (
            DoubleTensorType if _model_dtype(model) == np.float64 else FloatTensorType
        )
        for variable in outputs[1:]:
            variable.type = proba_type(variable.type.shape)
    return outputs


skl2onnx.update_registered_converter(
    ScratchMLPClassifier,
    "SkscratchMLPClassifier",
    _classifier_shapes,
    _convert_classifier,
    options=CLASSIFIER_OPTIONS,
    parser=_parse_classifier,
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
    parser=_parse_classifier,
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
    estimators too once this module is imported. It chooses the graph's inputs
    (unless ``initial_types`` are given):

    * **One input per column** where the model has categorical features and
      ``X`` is a dataframe (pandas or polars), and wherever a categorical
      feature's categories are text (which one numeric tensor cannot hold),
      from the model alone if ``X`` is None. Each input is named after its
      column (``feature_names_in_``; ``"x0"``, ``"x1"`` ... for a model fitted
      without names) and has shape (None, 1) and a type that depends on what
      the column holds:

      - numbers: the model's type, float32 or float64, NaN for a missing value
        (taken as ``handle_missing`` takes it);
      - text, and a Categorical of strings: string, the empty string for a
        missing value (None, NaN, ``pd.NA``);
      - booleans: bool where ``X``'s column has numpy's ``bool`` dtype (which
        cannot hold missing values), else float64 as below;
      - a Categorical of numbers, and other numeric categories: float64, in which
        every value compares exactly with the fitted categories, NaN for a
        missing value.

      Unseen categories, and missing values where the fit saw none, get the
      code ``predict`` gives them. The graph computes in the model's type, as
      ``predict`` does on a table of that type. :func:`frame_inputs` turns a
      table into these inputs.
    * **One tensor** ``"X"`` of shape (None, ``n_features_in_``) otherwise: the
      type of ``X`` (an array, or a dataframe turned into one), in which the
      graph then computes; without ``X``, float64 if the network was fitted on
      float64 data and float32 otherwise.

    Parameters
    ----------
    model : ScratchMLPClassifier, ScratchMLPRegressor or Pipeline
        The fitted model (the Tabular estimators included). A pipeline's other
        steps need converters of their own (skl2onnx has them for scikit-learn's
        transformers); a pipeline takes one input per column only where its
        first step is a skscratch estimator.
    X : array-like or dataframe of shape (n_samples, n_features), default=None
        Sample input (one row is enough), as the model was fitted on: the
        table, whose columns' types decide the inputs' as said above, or an
        array, from which skl2onnx infers the type and width of ``"X"``.
    initial_types : list of (str, skl2onnx type), default=None
        The inputs, e.g. ``[("X", FloatTensorType([None, 4]))]``, where ``X`` is
        None; or one ``(column name, type of shape [None, 1])`` per feature.
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

    Raises
    ------
    ValueError
        Where ``X`` lacks a column the model was fitted on, or a text feature
        has the empty string as a category (the graph reads missing text as
        the empty string).

    See Also
    --------
    skl2onnx.to_onnx : The conversion this calls.
    frame_inputs : A table as the graph's inputs.

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
    network = _first_network(model)
    if initial_types is None and network is not None and _takes_table(network, X):
        initial_types, X = _column_types(network, X), None
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


_NETWORKS = (ScratchMLPClassifier, ScratchMLPRegressor)


def _first_network(model):
    """The skscratch estimator that reads the graph's inputs, or None."""
    if isinstance(model, Pipeline):
        model = model.steps[0][1]
    return model if isinstance(model, _NETWORKS) else None


def _takes_table(network, X):
    """Whether the graph takes one input per column (see :func:`to_onnx`)."""
    if getattr(network, "is_categorical_", None) is None:
        return False
    return nw.dependencies.is_into_dataframe(X) or any(
        _has_text(values) for values in network.categories_
    )


def _column_types(network, X):
    """``initial_types`` of one input per column, as :func:`to_onnx` describes them."""
    n_features = network.n_features_in_
    names = getattr(network, "feature_names_in_", None)
    frame = None
    if X is not None and nw.dependencies.is_into_dataframe(X):
        frame = nw.from_native(X, eager_only=True)
        columns = {str(name): name for name in frame.columns}
        if names is None:
            names = list(columns)
        absent = [str(name) for name in names if str(name) not in columns]
        if absent or len(columns) != n_features:
            raise ValueError(
                f"X has the columns {list(columns)}, but the model was fitted on "
                f"{list(names)}: pass a sample of the table it was fitted on."
            )
    if names is None:
        names = [f"x{j}" for j in range(n_features)]

    def numpy_bool(name):
        if frame is not None:
            dtype = getattr(frame.get_column(columns[str(name)]).to_native(), "dtype", None)
        else:
            dtype = getattr(X, "dtype", None)
        return isinstance(dtype, np.dtype) and dtype == np.bool_

    number = DoubleTensorType if _model_dtype(network) == np.float64 else FloatTensorType
    mask = network.is_categorical_
    categories = iter(network.categories_)
    types = []
    for j, name in enumerate(names):
        if not mask[j]:
            column_type = number
        elif _has_text(next(categories)):
            column_type = StringTensorType
        elif numpy_bool(name):
            column_type = BooleanTensorType
        else:
            column_type = DoubleTensorType
        types.append((str(name), column_type([None, 1])))
    return types


#: numpy's type for each ONNX input type that :func:`frame_inputs` fills.
_INPUT_DTYPES = {
    TensorProto.FLOAT: np.dtype(np.float32),
    TensorProto.DOUBLE: np.dtype(np.float64),
    TensorProto.INT64: np.dtype(np.int64),
    TensorProto.INT32: np.dtype(np.int32),
    TensorProto.BOOL: np.dtype(np.bool_),
    TensorProto.STRING: np.dtype(object),
}
_RUNTIME_TYPES = {
    "tensor(float)": TensorProto.FLOAT,
    "tensor(double)": TensorProto.DOUBLE,
    "tensor(int64)": TensorProto.INT64,
    "tensor(int32)": TensorProto.INT32,
    "tensor(bool)": TensorProto.BOOL,
    "tensor(string)": TensorProto.STRING,
}


def frame_inputs(X, onnx_model):
    """A table as the inputs of a graph that :func:`to_onnx` exported.

    Each of the graph's inputs gets the column of its name (for a dataframe;
    for an array, the column at its position), of shape (n_samples, 1) and of
    the input's type, with missing values (None, NaN, ``pd.NA``) as the graph
    reads them: NaN for numbers, the empty string for text. A graph that takes
    one tensor gets the whole table, as numbers of its type.

    Parameters
    ----------
    X : dataframe or array-like of shape (n_samples, n_features)
        The table, as ``predict`` takes it: a pandas or polars dataframe, or an
        array (of dtype object where it holds text).
    onnx_model : onnx.ModelProto or onnxruntime.InferenceSession
        The exported model, or a session that runs it.

    Returns
    -------
    inputs : dict of str to ndarray
        The ``input_feed`` of ``session.run``.

    Raises
    ------
    ValueError
        Where ``X`` lacks a column the graph takes, or holds a missing value
        where the graph's input cannot (a boolean or integer input).
    TypeError
        Where a column holds values its input cannot take (numbers for a text
        input, text for a numeric one), or ``onnx_model`` is neither.

    Examples
    --------
    >>> import onnxruntime as ort
    >>> import pandas as pd
    >>> from skscratch import ScratchMLPClassifier
    >>> from skscratch.onnx import frame_inputs, to_onnx
    >>> X = pd.DataFrame(
    ...     {"size": [1.0, 2.5, None, 4.0, 0.5, 3.0] * 5,
    ...      "colour": ["red", "blue", "red", None, "green", "blue"] * 5}
    ... )
    >>> y = [0, 1, 0, 1, 0, 1] * 5
    >>> model = ScratchMLPClassifier(
    ...     (4,), categorical_features="auto", handle_missing="indicator",
    ...     solver="lbfgs", max_iter=50, random_state=0,
    ... ).fit(X, y)
    >>> onx = to_onnx(model, X[:1], options={"zipmap": False})
    >>> [(i.name, i.type.tensor_type.elem_type) for i in onx.graph.input]
    [('size', 11), ('colour', 8)]
    >>> session = ort.InferenceSession(
    ...     onx.SerializeToString(), providers=["CPUExecutionProvider"]
    ... )
    >>> X_new = pd.DataFrame({"size": [2.0, None], "colour": ["purple", None]})
    >>> frame_inputs(X_new, session)["colour"].ravel().tolist()
    ['purple', '']
    >>> label, proba = session.run(None, frame_inputs(X_new, session))
    >>> bool((label == model.predict(X_new)).all())
    True
    """
    inputs = _graph_inputs(onnx_model)
    if nw.dependencies.is_into_dataframe(X):
        frame = nw.from_native(X, eager_only=True)
        native_names = {str(name): name for name in frame.columns}
        names = list(native_names)

        def column(j):
            return frame.get_column(native_names[names[j]]).to_numpy()

    else:
        X = X if hasattr(X, "shape") else np.asarray(X, dtype=object)  # a list of rows
        if np.ndim(X) != 2:
            raise ValueError(f"X must be a table of 2 dimensions; got shape {np.shape(X)}.")
        names = [f"x{j}" for j in range(X.shape[1])]

        def column(j):
            return np.asarray(X[:, j])

    input_names = [name for name, _, _ in inputs]
    if len(inputs) == 1 and inputs[0][2][1:] != [1]:  # one tensor: the whole table
        name, elem_type, _ = inputs[0]
        values = [_as_input(column(j), elem_type, names[j]) for j in range(len(names))]
        return {name: np.hstack(values)}
    position = {name: j for j, name in enumerate(names)}
    if all(name in position for name in input_names):
        positions = [position[name] for name in input_names]
    elif not nw.dependencies.is_into_dataframe(X) and len(inputs) == len(names):
        positions = range(len(names))  # an array's columns, in the graph's order
    else:
        absent = [name for name in input_names if name not in position]
        raise ValueError(
            f"X has no column {absent}; the graph's inputs are {input_names} and X's "
            f"columns {names}."
        )
    return {
        name: _as_input(column(j), elem_type, names[j])
        for (name, elem_type, _), j in zip(inputs, positions)
    }


def _graph_inputs(onnx_model):
    """``[(name, onnx element type, shape)]`` of the graph's inputs."""
    if hasattr(onnx_model, "get_inputs"):  # an onnxruntime session
        return [
            (i.name, _RUNTIME_TYPES.get(i.type, i.type), list(i.shape))
            for i in onnx_model.get_inputs()
        ]
    graph = getattr(onnx_model, "graph", None)
    if graph is None:
        raise TypeError(
            "onnx_model must be an onnx.ModelProto or an onnxruntime.InferenceSession; "
            f"got {type(onnx_model).__name__}."
        )
    initializers = {tensor.name for tensor in graph.initializer}
    return [
        (
            i.name,
            i.type.tensor_type.elem_type,
            [d.dim_value or None for d in i.type.tensor_type.shape.dim],
        )
        for i in graph.input
        if i.name not in initializers
    ]


def _as_input(values, elem_type, name):
    """One column's values as an input of ONNX type ``elem_type``, of shape (n, 1)."""
    dtype = _INPUT_DTYPES.get(elem_type)
    if dtype is None:
        raise TypeError(
            f"The graph's input for column {name!r} has type {elem_type}, which "
            "frame_inputs cannot fill."
        )
    values = np.asarray(values)
    missing = _is_missing(values)
    present = values[~missing]
    kind, accepted = {
        "O": ("a text", str),
        "b": ("a boolean", (bool, np.bool_)),
    }.get(dtype.kind, ("a numeric", (Real, np.bool_)))
    # An array of one type is checked by its first value, an object array by each.
    sample = present if values.dtype.kind == "O" else present[:1].tolist()
    wrong = next((v for v in sample if not isinstance(v, accepted)), None)
    if wrong is not None:
        raise TypeError(
            f"Column {name!r} feeds {kind} input, but holds {type(wrong).__name__} "
            f"values such as {wrong!r}."
        )
    if missing.any() and dtype.kind in "biu":
        raise ValueError(
            f"Column {name!r} has missing values, which the graph's {dtype} input "
            "cannot hold. Export from a sample whose column can hold them (e.g. "
            "pandas' nullable 'boolean' dtype), for an input of numbers with NaN."
        )
    out = np.empty(len(values), dtype=dtype)
    out[~missing] = present
    if missing.any():  # only where the type holds them (checked above)
        out[missing] = "" if dtype.kind == "O" else np.nan
    return out.reshape(-1, 1)
