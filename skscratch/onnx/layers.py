"""One converter per layer kind (``LAYER_CONVERTERS``): each turns a layer
record of ``layers_`` into ONNX operators, in the record's symbols; and the
network, from its input to the output activation.
"""

import numpy as np
from onnx import TensorProto

from ..core.layers import SMOOTH_CLIP_CAP, from_record
from .activations import HIDDEN_CONVERTERS, OUTPUT_CONVERTERS
from .inputs import _columns_network_input, _network_input, _takes_columns


def _network(g, operator, model):
    """Add the forward pass; return the name of the output layer's activations."""
    return OUTPUT_CONVERTERS[model.out_activation_](g, _logits(g, operator, model))


def _logits(g, operator, model):
    """Add the forward pass up to the last layer; return the name of its ``z``.

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
    return _layers(g, a, model.layers_)


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
