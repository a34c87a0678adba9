"""Numeric embeddings: :class:`PeriodicEmbedding`, columns of its own per numeric column."""

import math
import types

import numpy as np

from ..backend import NUMPY
from .base import BIASES, WEIGHTS, Layer, _allocator, register_layer

#: The variants of :class:`PeriodicEmbedding`.
PERIODIC_VARIANTS = ("plr", "pbld")


@register_layer
class PeriodicEmbedding(Layer):
    """Periodic embeddings of numeric columns (Gorishniy et al., 2022).

    Each of the first ``n_numeric`` columns ``x_j`` becomes ``dim`` columns of
    its own, made from ``k = n_frequencies`` learned frequencies ``c_jk``;
    the other ``n_passthrough`` columns (the categorical embeddings' vectors,
    which come after the numeric columns) pass through unchanged::

        u_jk = 2 pi c_jk x_j (+ phi_jk)
        "plr":  v_j = [sin u_j1 .. sin u_jk | cos u_j1 .. cos u_jk]   (2k values)
                h_j = relu(v_j @ W[j] + b[j])                        (dim values)
        "pbld": v_j = [cos u_j1 .. cos u_jk]                         (k values)
                h_j = [v_j @ W[j] + b[j] | x_j]                      (dim - 1 + 1)
        a = [h_1 | h_2 | ... | h_m | a_in[:, n_numeric:]]

    "plr" is the paper's PLR (periodic, linear, ReLU). "pbld" is RealMLP-TD's
    variant (Holzmüller et al., 2024; pytabkit's ``num_emb_type='pbld'``): a
    learned phase ``phi_jk`` in place of the sine half, no activation after
    the linear map, and ``x_j`` itself kept as the last column ("densenet").
    Every feature has its own frequencies and its own linear map.

    The frequencies and the maps ``W`` sit in the ``"weights"`` group (L2
    pulls the frequencies towards 0, smoother functions of ``x``); the phases
    and the offsets ``b`` with the biases. The backward step, with
    ``G = dL/dh_j`` (after the ReLU's mask for "plr")::

        db[j] = sum_i G_i,   dW[j] = v_j.T @ G,   dv_j = G @ W[j].T
        du = -sin(u) dv ("pbld");   cos(u) dv_sin - sin(u) dv_cos ("plr")
        dphi_jk = sum_i du_ijk,     dc_jk = 2 pi sum_i du_ijk x_ij
        dL/dx_ij = 2 pi sum_k du_ijk c_jk (+ dL/da of x_j's own column, "pbld")

    The angles of feature ``j`` are computed as one small product,
    ``u_j = [x_j, 1] @ [2 pi c_j ; phi_j]`` (rows ``[x_ij, 1]``; a zero phase
    row for "plr"), so ``dc_j`` and ``dphi_j`` come together as
    ``[x_j, 1].T @ du_j``: two BLAS calls in place of broadcast products.

    Parameters
    ----------
    n_numeric : int
        Numeric columns at the start of the input, each embedded.
    n_passthrough : int, default=0
        Columns after them, passed through.
    n_frequencies : int, default=16
    dim : int, default=4
        Columns per numeric feature (for "pbld", ``x_j`` itself included).
    variant : {"plr", "pbld"}, default="pbld"
    sigma : float, default=0.1
        Standard deviation of the normal draw of the starting frequencies.

    Attributes
    ----------
    C : ndarray of shape (n_numeric, n_frequencies)
        The frequencies ``c_jk``.
    W : ndarray of shape (n_numeric, 2 * n_frequencies or n_frequencies, n_linear)
        Each feature's linear map, ``n_linear = dim`` ("plr") or ``dim - 1``.
    b : ndarray of shape (n_numeric, n_linear)
    phi : ndarray of shape (n_numeric, n_frequencies)
        The phases ("pbld" only).
    """

    kind = "periodic_embedding"

    def __init__(
        self, n_numeric, n_passthrough=0, n_frequencies=16, dim=4, variant="pbld", sigma=0.1
    ):
        if variant not in PERIODIC_VARIANTS:
            raise ValueError(
                f"Unknown periodic embedding {variant!r}; choose from {PERIODIC_VARIANTS}."
            )
        self.variant = variant
        self.n_numeric, self.n_passthrough = int(n_numeric), int(n_passthrough)
        self.n_frequencies, self.dim = int(n_frequencies), int(dim)
        self.sigma = float(sigma)
        self.n_linear = self.dim - 1 if variant == "pbld" else self.dim
        if self.n_numeric < 1 or self.n_frequencies < 1 or self.n_linear < 1:
            raise ValueError(
                f"A {variant!r} embedding needs n_numeric >= 1, n_frequencies >= 1 and "
                f"dim >= {2 if variant == 'pbld' else 1}; got {self.n_numeric}, "
                f"{self.n_frequencies} and {self.dim}."
            )
        self.n_in = self.n_numeric + self.n_passthrough
        self.n_out = self.n_numeric * self.dim + self.n_passthrough
        self.n_waves = 2 * self.n_frequencies if variant == "plr" else self.n_frequencies

    def config(self):
        return {
            "n_numeric": self.n_numeric,
            "n_passthrough": self.n_passthrough,
            "n_frequencies": self.n_frequencies,
            "dim": self.dim,
            "variant": self.variant,
            "sigma": self.sigma,
        }

    def param_shapes(self):
        m, k = self.n_numeric, self.n_frequencies
        shapes = [
            ("C", (m, k), WEIGHTS),
            ("W", (m, self.n_waves, self.n_linear), WEIGHTS),
            ("b", (m, self.n_linear), BIASES),
        ]
        if self.variant == "pbld":
            shapes.append(("phi", (m, k), BIASES))
        return shapes

    def bind(self, params, grads):
        super().bind(params, grads)
        self.C, self.W, self.b = params["C"], params["W"], params["b"]
        self.phi = params.get("phi")
        if grads is not None:
            self.dC, self.dW, self.db = grads["C"], grads["W"], grads["b"]
            self.dphi = grads.get("phi")

    def initialize(self, random_state, ops=NUMPY):
        """``c ~ N(0, sigma^2)``, ``phi ~ U(-pi, pi)``, ``W, b ~ U(+-1/sqrt(fan_in))``.

        The frequencies as in the paper; the phases and the linear maps as in
        pytabkit (``fan_in`` = the waves per feature, as PyTorch's ``Linear``).
        Drawn on the host, so the same on every namespace.
        """
        to_device = ops.asarray
        self.C[...] = to_device(
            random_state.normal(0.0, self.sigma, self.C.shape), self.C.dtype
        )
        if self.phi is not None:
            draw = random_state.uniform(-np.pi, np.pi, self.phi.shape)
            self.phi[...] = to_device(draw, self.phi.dtype)
        bound = 1.0 / np.sqrt(self.n_waves)
        self.W[...] = to_device(
            random_state.uniform(-bound, bound, self.W.shape), self.W.dtype
        )
        self.b[...] = to_device(
            random_state.uniform(-bound, bound, self.b.shape), self.b.dtype
        )

    def buffers(self, n_rows, dtype, training, ops=NUMPY):
        # Rows first, as every layer's buffers (the network cuts them to a
        # smaller last batch along the first axis): (n_rows, m, ...). The
        # products read them features first, as views (_features_first).
        shape, empty = (n_rows, self.n_numeric), _allocator(ops, dtype)
        return types.SimpleNamespace(
            ops=ops,
            x=None,  # the numeric columns of the input
            ones=ops.ones((*shape, 1), dtype),
            x_one=None,  # [x_j, 1] per row and feature, (n_rows, m, 2)
            u=empty((*shape, self.n_frequencies)),
            v=empty((*shape, self.n_waves)),
            h=empty((*shape, self.n_linear)),
            dh=empty((*shape, self.n_linear)) if training else None,
            dv=empty((*shape, self.n_waves)) if training else None,
        )

    def angular_frequencies(self):
        """``2 pi c``, in the parameters' dtype (the ONNX export reads it too)."""
        return self.C * (2 * math.pi)

    def _wave_map(self, ops):
        """``[2 pi c_j ; phi_j]`` of shape (m, 2, k): ``u_j = [x_j, 1] @ it`` (no
        phase for "plr": its second row is 0)."""
        xp = ops.xp
        phase = self.phi if self.phi is not None else xp.zeros_like(self.C)
        return xp.stack([self.angular_frequencies(), phase], axis=1)

    def _blocks(self, array, ops):
        """The numeric features' columns of ``array``, as shape (n_rows, m, dim)."""
        m = self.n_numeric
        return ops.xp.reshape(array[:, : m * self.dim], (array.shape[0], m, self.dim))

    def forward(self, a_in, buf, mode):
        ops = buf.ops
        if ops.is_numpy and not isinstance(a_in, np.ndarray):  # a sparse X
            a_in = a_in.toarray()
        m = self.n_numeric
        x = buf.x = a_in[:, :m]
        # The angles as one small product per feature, [x_j, 1] @ [2 pi c_j ; phi_j]:
        # a BLAS call instead of a broadcast multiply and an add (2x to 3x faster).
        x_one = buf.x_one = ops.concat([ops.xp.expand_dims(x, axis=2), buf.ones], axis=2)
        u = ops.matmul(
            _features_first(x_one, ops),
            self._wave_map(ops),
            out=_features_first(buf.u, ops),
        )
        if self.variant == "pbld":
            v = ops.cos(u, out=_features_first(buf.v, ops))
        else:
            v = ops.concat([ops.sin(u), ops.cos(u)], axis=2)
        buf.u, buf.v = _features_first(u, ops), _features_first(v, ops)
        # One matrix product per feature: (m, n_rows, waves) @ (m, waves, n_linear).
        h = _features_first(ops.matmul(v, self.W, out=_features_first(buf.h, ops)), ops)
        h += self.b
        if self.variant == "plr":
            h = ops.maximum(h, 0.0, out=h)
        buf.h = h
        blocks = [h, ops.xp.expand_dims(x, axis=2)] if self.variant == "pbld" else [h]
        numeric = ops.xp.reshape(ops.concat(blocks, axis=2), (a_in.shape[0], m * self.dim))
        return ops.concat([numeric, a_in[:, m:]], axis=1)

    def backward(self, grad, buf):
        ops, m, nl = buf.ops, self.n_numeric, self.n_linear
        blocks = self._blocks(grad, ops)
        dh = ops.copy(blocks[:, :, :nl], out=buf.dh)
        if self.variant == "plr":
            dh = ops.keep(dh, buf.h > 0, out=dh)  # through the ReLU
        self.db[...] = ops.xp.sum(dh, axis=0)
        dh_m = _features_first(dh, ops)  # (m, n_rows, n_linear)
        ops.matmul_into(ops.permute(buf.v, (1, 2, 0)), dh_m, out=self.dW)
        W_t = ops.permute(self.W, (0, 2, 1))
        dv_m = ops.matmul(dh_m, W_t, out=_features_first(buf.dv, ops))
        minus_du = self._minus_wave_gradient(dv_m, buf)  # (m, n_rows, k)
        # The angles' map is [x_j, 1] @ [2 pi c_j ; phi_j], so its gradient is
        # [x_j, 1].T @ du: both rows, and the sign, in one small product.
        minus_dmap = ops.matmul(ops.permute(buf.x_one, (1, 2, 0)), minus_du)  # (m, 2, k)
        self.dC[...] = minus_dmap[:, 0, :] * (-2 * math.pi)
        if self.dphi is not None:
            self.dphi[...] = -minus_dmap[:, 1, :]
        if not self.needs_input_grad:
            return None
        # dL/dx_ij = sum_k du_ijk 2 pi c_jk: (m, n_rows, k) @ (m, k, 1).
        omega = ops.xp.expand_dims(self.angular_frequencies(), axis=2)
        minus_dx = ops.matmul(minus_du, omega)
        grad_x = -ops.permute(minus_dx[:, :, 0], (1, 0))
        if self.variant == "pbld":
            grad_x += blocks[:, :, -1]
        return ops.concat([grad_x, grad[:, m * self.dim :]], axis=1)

    def _minus_wave_gradient(self, dv, buf):
        """``-dL/du`` from ``dL/dv``, both (m, n_rows, waves) (numpy: in ``buf.u``,
        whose angles are done). The sign is left to the small products after it."""
        ops, k = buf.ops, self.n_frequencies
        u, v = _features_first(buf.u, ops), _features_first(buf.v, ops)
        if self.variant == "pbld":  # v = cos u: dv/du = -sin u
            minus_du = ops.sin(u, out=u)
            minus_du *= dv
            return minus_du
        # v = [sin u | cos u]: du = cos(u) dv_sin - sin(u) dv_cos
        minus_du = ops.multiply(dv[:, :, k:], v[:, :, :k], out=u)
        minus_du -= dv[:, :, :k] * v[:, :, k:]
        return minus_du

    def output_bound(self, bound, ops=NUMPY):
        # |sin|, |cos| <= 1: each h is at most sum_k |W[j, k, d]| + |b[j, d]|.
        with np.errstate(over="ignore", invalid="ignore"):
            xp = ops.xp
            h = xp.sum(xp.abs(self.W), axis=1) + xp.abs(self.b)
            return max(bound, ops.abs_max(h))


def _features_first(array, ops):
    """``(n_rows, m, ...)`` as ``(m, n_rows, ...)`` and back (a view); None stays None."""
    return None if array is None else ops.permute(array, (1, 0, 2))
