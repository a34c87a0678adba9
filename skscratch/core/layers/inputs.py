"""Input layers: :class:`ImputeMissing` and :class:`RobustScale`.

Layers without parameters that prepare the numeric columns of the data,
placed before everything else: their state holds statistics fitted on the
training data (by the estimator, not by gradient descent), so that the
fitted model carries its own preprocessing into predict and ONNX.
"""

import types

import numpy as np

from ..backend import NUMPY
from .base import Layer, register_layer

#: ``|u| / clip`` is capped here in :class:`RobustScale`: ``f`` is ``clip`` to
#: rounding from about 1e8 on, and the square stays finite in float32.
SMOOTH_CLIP_CAP = 1e15


def _dense_input(a_in, ops):
    """``a_in`` as a dense array: a sparse batch (the data's rows) made dense."""
    if ops.is_numpy and not isinstance(a_in, np.ndarray):
        return a_in.toarray()
    return a_in


@register_layer
class ImputeMissing(Layer):
    """Missing numeric values: a fill value, and an indicator for chosen columns.

    The input holds ``n_numeric`` numeric columns, NaN where a value is
    missing, then ``n_passthrough`` columns passed through unchanged (the
    category codes of an :class:`Embedding` layer after it). With ``x`` the
    numeric columns and ``m = isnan(x)``::

        a = [ where(m, fill, x) | m[:, indicate] as 0. and 1. | a_in[:, n_numeric:] ]

    so the layer below sees a number everywhere, and one column per indicated
    feature that says where it was missing (as
    :class:`~sklearn.impute.SimpleImputer` with ``add_indicator=True``). The
    fill values are state, not parameters: statistics of the training data
    (the estimators take each column's median), set once and kept. The layer
    has no gradient; it belongs at the front of a network.

    Parameters
    ----------
    n_numeric : int
        Numeric columns at the start of the input.
    indicate : sequence of int, default=()
        The numeric columns (indices below ``n_numeric``, increasing) that get
        an indicator column: those that had missing values in the training data.
    n_passthrough : int, default=0
        Columns after the numeric ones, passed through.
    fill : array-like of shape (n_numeric,), default=None
        The value of each column that stands in for a missing one, written into
        the state by :meth:`initialize`; None leaves 0.
    """

    kind = "impute_missing"
    needs_input_grad = False
    fixed = True

    def __init__(self, n_numeric, indicate=(), n_passthrough=0, fill=None):
        self.n_numeric = int(n_numeric)
        self.indicate = [int(j) for j in indicate]
        self.n_passthrough = int(n_passthrough)
        if any(not 0 <= j < self.n_numeric for j in self.indicate) or (
            self.indicate != sorted(set(self.indicate))
        ):
            raise ValueError(
                f"indicate must list increasing column indices below n_numeric="
                f"{self.n_numeric}; got {self.indicate}."
            )
        self.n_in = self.n_numeric + self.n_passthrough
        self.n_out = self.n_in + len(self.indicate)
        self.fill = _statistic(fill, self.n_numeric, "fill")

    def config(self):
        return {
            "n_numeric": self.n_numeric,
            "indicate": self.indicate,
            "n_passthrough": self.n_passthrough,
        }

    def state_shapes(self):
        return [("fill", (self.n_numeric,))]

    def initialize(self, random_state, ops=NUMPY):
        """Write the fill values given to the constructor (0 without) into the state."""
        _write_statistic(self.state["fill"], self.fill, 0.0, ops)

    def buffers(self, n_rows, dtype, training, ops=NUMPY):
        return types.SimpleNamespace(ops=ops)

    def forward(self, a_in, buf, mode):
        ops = buf.ops
        a_in = _dense_input(a_in, ops)
        k = self.n_numeric
        x = a_in[:, :k]
        missing = ops.isnan(x)
        parts = [ops.where(missing, self.state["fill"], x)]
        if self.indicate:
            indicators = ops.take_columns(missing, self.indicate)
            parts.append(ops.astype(indicators, ops.numpy_dtype(x.dtype)))
        if self.n_passthrough:
            parts.append(a_in[:, k:])
        return ops.concat(parts, axis=1) if len(parts) > 1 else parts[0]

    def backward(self, grad, buf):
        return None  # no parameters, and its input is the data

    def output_bound(self, bound, ops=NUMPY):
        # Numbers pass through or become a fill value; indicators are 0 or 1.
        # A NaN bound (the data's missing values) stays NaN: unknown.
        fill = ops.abs_max(self.state["fill"])
        return bound if bound != bound else max(bound, fill, 1.0)


@register_layer
class RobustScale(Layer):
    """Robust scaling of numeric columns, then a smooth clip (RealMLP-TD's input).

    On the first ``n_numeric`` columns, with ``center`` and ``factor`` per
    column (the estimators take the median and one over the interquartile
    range, as ``skscratch.preprocessing.robust_statistics`` computes them)::

        u = (x - center) * factor
        a = u / sqrt(1 + (u / clip)**2)          (a = u where clip is None)

    The smooth clip is close to the identity for ``|u|`` well below ``clip``
    and tends to ``+-clip``, so outliers are bounded but keep their order
    (Holzmüller et al., 2024). The other ``n_passthrough`` columns (missing
    indicators, category codes) pass through. ``center`` and ``factor`` are
    state, fitted on the training data and kept; the layer has no gradient and
    belongs at the front of a network. Missing values must be imputed before
    it (:class:`ImputeMissing`): a NaN stays NaN.

    Parameters
    ----------
    n_numeric : int
        Numeric columns at the start of the input.
    n_passthrough : int, default=0
        Columns after them, passed through.
    clip : float or None, default=3.0
        The smooth clip's bound; None scales without clipping.
    center, factor : array-like of shape (n_numeric,), default=None
        Written into the state by :meth:`initialize`; None leaves 0 and 1.
        A factor of 0 makes a (constant) column 0.
    """

    kind = "robust_scale"
    needs_input_grad = False
    fixed = True

    def __init__(self, n_numeric, n_passthrough=0, clip=3.0, center=None, factor=None):
        self.n_numeric = int(n_numeric)
        self.n_passthrough = int(n_passthrough)
        self.n_in = self.n_out = self.n_numeric + self.n_passthrough
        self.clip = None if clip is None else float(clip)
        if self.clip is not None and not self.clip > 0:
            raise ValueError(f"clip must be > 0 or None; got {clip!r}.")
        self.center = _statistic(center, self.n_numeric, "center")
        self.factor = _statistic(factor, self.n_numeric, "factor")

    def config(self):
        return {
            "n_numeric": self.n_numeric,
            "n_passthrough": self.n_passthrough,
            "clip": self.clip,
        }

    def state_shapes(self):
        return [("center", (self.n_numeric,)), ("factor", (self.n_numeric,))]

    def initialize(self, random_state, ops=NUMPY):
        """Write the statistics given to the constructor (else 0 and 1) into the state."""
        _write_statistic(self.state["center"], self.center, 0.0, ops)
        _write_statistic(self.state["factor"], self.factor, 1.0, ops)

    def buffers(self, n_rows, dtype, training, ops=NUMPY):
        return types.SimpleNamespace(ops=ops)

    def forward(self, a_in, buf, mode):
        ops = buf.ops
        a_in = _dense_input(a_in, ops)
        k = self.n_numeric
        with np.errstate(over="ignore"):  # an overflow to inf is capped below
            u = (a_in[:, :k] - self.state["center"]) * self.state["factor"]
        if self.clip is not None:
            # Capped first: an overflow to inf becomes the cap, and (u / clip)**2
            # stays finite; the result is then +-clip to rounding, as it should be.
            cap = SMOOTH_CLIP_CAP * self.clip
            u = ops.clip(u, -cap, cap)
            u = u / ops.sqrt(1.0 + ops.square(u * (1.0 / self.clip)))
        if not self.n_passthrough:
            return u
        return ops.concat([u, a_in[:, k:]], axis=1)

    def backward(self, grad, buf):
        return None  # no parameters, and its input is the data

    def output_bound(self, bound, ops=NUMPY):
        if self.clip is not None and not self.n_passthrough:
            return self.clip
        center = ops.abs_max(self.state["center"])
        factor = ops.abs_max(self.state["factor"])
        with np.errstate(over="ignore", invalid="ignore"):
            scaled = self.clip if self.clip is not None else (bound + center) * factor
        return max(bound, scaled) if self.n_passthrough else scaled


def _write_statistic(target, values, default, ops):
    """Write ``values`` (a host vector, or None for ``default``) into a state view."""
    if values is None:
        target[...] = default
    else:
        target[...] = ops.asarray(values, dtype=ops.numpy_dtype(target.dtype))


def _statistic(values, n, name):
    """``values`` as a float64 vector of length ``n`` (None stays None); ValueError
    for another shape."""
    if values is None:
        return None
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},); got {values.shape}.")
    return values
