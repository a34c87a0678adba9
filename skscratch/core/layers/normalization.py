"""Normalization: :class:`BatchNorm`, with its running statistics as state."""

import types

import numpy as np

from ..backend import NUMPY
from .base import BIASES, Layer, _allocator, register_layer


@register_layer
class BatchNorm(Layer):
    """Batch normalization (Ioffe & Szegedy, 2015) of each unit, then a learned
    scale ``gamma`` and shift ``beta``.

    While training, each unit ``x`` of the batch is normalized by the batch's
    statistics, weighted by the rows' shares ``p_i`` (the sample weights over
    their sum; ``1 / n`` without weights)::

        mu = sum_i p_i x_i        var = sum_i p_i (x_i - mu)**2
        x_hat = (x - mu) / sqrt(var + epsilon)        a = gamma x_hat + beta

    and the running statistics move towards the batch's
    (``running = (1 - m) running + m batch``, ``m`` the mode's
    ``state_momentum``). At prediction the running statistics stand in for
    the batch's. Its backward step, with ``g = dL/da``::

        dbeta  = sum_i g_i            dgamma = sum_i g_i x_hat_i
        dL/dx_i = gamma / sqrt(var + epsilon) * (g_i - p_i dbeta - p_i x_hat_i dgamma)

    (derived in the user guide). A sample of weight 0 neither enters the
    statistics nor receives a gradient, and a sample of weight 2 counts as two.

    Parameters
    ----------
    width : int
        Units in and out.
    epsilon : float, default=1e-5
        Added to the variance before its square root.
    """

    kind = "batch_norm"

    def __init__(self, width, epsilon=1e-5):
        self.n_in = self.n_out = int(width)
        self.epsilon = float(epsilon)

    def config(self):
        return {"width": self.n_in, "epsilon": self.epsilon}

    def param_shapes(self):
        # Scale and shift are not penalised by L2 (nor decayed by AdamW).
        return [("gamma", (self.n_out,), BIASES), ("beta", (self.n_out,), BIASES)]

    def state_shapes(self):
        return [("mean", (self.n_out,)), ("var", (self.n_out,))]

    def bind(self, params, grads):
        super().bind(params, grads)
        self.gamma, self.beta = params["gamma"], params["beta"]
        if grads is not None:
            self.dgamma, self.dbeta = grads["gamma"], grads["beta"]

    def initialize(self, random_state, ops=NUMPY):
        """Start as the identity: ``gamma = 1``, ``beta = 0``; running mean 0, var 1."""
        self.gamma[...], self.beta[...] = 1.0, 0.0
        self.state["mean"][...], self.state["var"][...] = 0.0, 1.0

    def buffers(self, n_rows, dtype, training, ops=NUMPY):
        empty = _allocator(ops, dtype)
        if not training:
            return types.SimpleNamespace(ops=ops, a=empty((n_rows, self.n_out)))
        return types.SimpleNamespace(
            ops=ops,
            a=empty((n_rows, self.n_out)),
            x_hat=empty((n_rows, self.n_out)),
            inv_std=None,  # per unit, set by each forward pass
            weights=None,
            ones=ops.ones(n_rows, dtype),
            grad_in=empty((n_rows, self.n_in)),
        )

    def forward(self, a_in, buf, mode):
        ops = buf.ops
        if not mode.training:
            scale, shift = self._prediction_map()
            a = ops.multiply(a_in, scale, out=buf.a)
            a += shift
            return a
        buf.weights = p = mode.weights
        mean = ops.col_means(a_in, p)
        x_hat = ops.subtract(a_in, mean, out=buf.x_hat)
        squares = ops.square(x_hat, out=buf.a)  # a's buffer as scratch
        var = ops.col_means(squares, p)
        if mode.state_momentum is not None:
            m = mode.state_momentum
            self.state["mean"][...] = (1 - m) * self.state["mean"] + m * mean
            self.state["var"][...] = (1 - m) * self.state["var"] + m * var
        buf.inv_std = 1.0 / ops.sqrt(var + self.epsilon)
        x_hat *= buf.inv_std
        buf.x_hat = x_hat
        a = ops.multiply(x_hat, self.gamma, out=buf.a)
        a += self.beta
        return a

    def backward(self, grad, buf):
        ops, x_hat = buf.ops, buf.x_hat
        ops.dot_into(buf.ones, grad, out=self.dbeta)
        ops.col_dot_into(grad, x_hat, out=self.dgamma)
        if not self.needs_input_grad:
            return None
        p = buf.weights
        p = 1.0 / grad.shape[0] if p is None else p[:, None]
        grad_in = ops.multiply(x_hat, self.dgamma, out=buf.grad_in)
        grad_in += self.dbeta
        grad_in *= p
        grad_in = ops.subtract(grad, grad_in, out=grad_in)
        grad_in *= self.gamma * buf.inv_std
        return grad_in

    def _prediction_map(self):
        """``(scale, shift)``: prediction's ``a = x * scale + shift``, per unit."""
        scale = self.gamma / (self.state["var"] + self.epsilon) ** 0.5
        return scale, self.beta - self.state["mean"] * scale

    def output_bound(self, bound, ops=NUMPY):
        # At prediction a = x * scale + shift, one affine map per unit.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            scale, shift = self._prediction_map()
            return bound * ops.abs_max(scale) + ops.abs_max(shift)
