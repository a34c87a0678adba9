"""Dropout: :class:`Dropout`, active while training, the identity at prediction."""

import types

import numpy as np

from ..backend import NUMPY
from .base import Layer, _allocator, register_layer


@register_layer
class Dropout(Layer):
    """Inverted dropout: while training, zero each unit with probability ``rate``.

    The kept units are scaled by ``1 / (1 - rate)`` so that nothing changes at
    prediction time, when the layer passes its input through. Its backward
    step multiplies ``dL/d(output)`` by the same mask.

    Parameters
    ----------
    width : int
        Units in and out.
    rate : float in [0, 1)
    rng : numpy.random.Generator, default=None
        Draws the masks; the network shares one generator between its dropout
        layers (see :meth:`Network.seed_dropout
        <skscratch.core.network.Network.seed_dropout>`). None for a layer that
        only predicts.
    """

    kind = "dropout"

    def __init__(self, width, rate, rng=None):
        self.n_in = self.n_out = int(width)
        self.rate = float(rate)
        self.rng = rng

    def config(self):
        return {"width": self.n_in, "rate": self.rate}

    def buffers(self, n_rows, dtype, training, ops=NUMPY):
        if not training:
            return types.SimpleNamespace(ops=ops)
        empty = _allocator(ops, dtype)
        return types.SimpleNamespace(
            ops=ops,
            # The masks are drawn on the host (numpy), so every namespace gets
            # the same ones; a device copy follows.
            host_mask=np.empty((n_rows, self.n_out), np.dtype(dtype)),
            mask=None,
            a=empty((n_rows, self.n_out)),
        )

    def forward(self, a_in, buf, mode):
        if not mode.training:
            return a_in
        ops, mask = buf.ops, buf.host_mask
        self.rng.random(out=mask, dtype=mask.dtype)
        np.greater_equal(mask, self.rate, out=mask)
        mask *= 1.0 / (1.0 - self.rate)
        buf.mask = ops.asarray(mask)  # numpy: the same array
        # Into a buffer of its own: the layer below still needs a_in for f'.
        return ops.multiply(a_in, buf.mask, out=buf.a)

    def backward(self, grad, buf):
        grad *= buf.mask
        return grad
