"""Dropout: :class:`Dropout`, active while training, the identity at prediction."""

import types

import numpy as np

from ..backend import NUMPY
from .base import Layer, _allocator, register_layer

#: Random bits behind each unit's keep-or-drop draw. Sixteen come from the generator
#: in a fifth of the time of a float32 uniform (the masks were a sixth of a Tabular
#: step); the drop rate is then a multiple of 1 / 65536, the nearest to ``rate``.
MASK_BITS = 16


@register_layer
class Dropout(Layer):
    """Inverted dropout: while training, zero each unit with probability ``rate``.

    The kept units are scaled by ``1 / (1 - rate)`` so that nothing changes at
    prediction time, when the layer passes its input through. Its backward
    step multiplies ``dL/d(output)`` by the same mask.

    Each unit's draw is :data:`MASK_BITS` random bits compared with a threshold,
    so the rate in effect is ``rate`` rounded to a multiple of ``2**-16`` (0.2
    becomes 0.199997), and the kept units are scaled by the inverse of the
    rounded keep rate: the mean of the output is still the input's.

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
        levels = 2**MASK_BITS
        # The draws below the threshold drop their unit; at least one level keeps.
        self._threshold = np.uint16(min(round(self.rate * levels), levels - 1))
        self._scale = levels / (levels - int(self._threshold))

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
            keep=np.empty((n_rows, self.n_out), bool),
            mask=None,
            a=empty((n_rows, self.n_out)),
        )

    def forward(self, a_in, buf, mode):
        if not mode.training:
            return a_in
        ops, mask, keep = buf.ops, buf.host_mask, buf.keep
        n_draws = mask.size
        words = self.rng.bit_generator.random_raw(-(-n_draws // 4))  # 4 draws a word
        draws = words.view(np.uint16)[:n_draws].reshape(mask.shape)
        np.greater_equal(draws, self._threshold, out=keep)
        np.multiply(keep, self._scale, out=mask)
        buf.mask = ops.asarray(mask)  # numpy: the same array
        # Into a buffer of its own: the layer below still needs a_in for f'.
        return ops.multiply(a_in, buf.mask, out=buf.a)

    def backward(self, grad, buf):
        grad *= buf.mask
        return grad
