"""Residual blocks: :class:`Residual`, ``a = a_in + F(a_in)`` around the layers it holds."""

import types

from ..backend import NUMPY
from .base import (
    Layer,
    _allocator,
    backward_pass,
    check_chain,
    forward_pass,
    register_layer,
)


@register_layer
class Residual(Layer):
    """A residual block: ``a = a_in + F(a_in)``, ``F`` the layers it holds in sequence.

    The identity skip of the "ResNet" MLP of Gorishniy et al. (2021): the
    block's backward step adds the gradient that reaches its output (through
    the skip) to the one its layers send back (through ``F``)::

        dL/da_in = dL/da + (dL/da back-propagated through F)

    Parameters
    ----------
    layers : list of Layer
        ``F``: they must chain, and the last must give as many units as the
        first takes.
    """

    kind = "residual"

    def __init__(self, layers):
        layers = list(layers)
        if not layers:
            raise ValueError("A residual block needs at least one layer.")
        check_chain(layers)
        if layers[-1].n_out != layers[0].n_in:
            raise ValueError(
                f"A residual block adds its input to its output, so their widths must "
                f"be equal; its layers take {layers[0].n_in} units and give "
                f"{layers[-1].n_out}."
            )
        self.sublayers = tuple(layers)
        self.n_in = self.n_out = layers[0].n_in

    @classmethod
    def from_config(cls, config, sublayers=()):
        return cls(sublayers)

    @property
    def needs_input_grad(self):
        return self.sublayers[0].needs_input_grad

    @needs_input_grad.setter
    def needs_input_grad(self, value):
        self.sublayers[0].needs_input_grad = value

    def buffers(self, n_rows, dtype, training, ops=NUMPY):
        empty = _allocator(ops, dtype)
        return types.SimpleNamespace(
            ops=ops,
            inner=[
                layer.buffers(n_rows, dtype, training, *(() if ops.is_numpy else (ops,)))
                for layer in self.sublayers
            ],
            a=empty((n_rows, self.n_out)),
            skip=empty((n_rows, self.n_out)) if training else None,
        )

    def forward(self, a_in, buf, mode):
        h = forward_pass(self.sublayers, a_in, buf.inner, mode)
        return buf.ops.add(a_in, h, out=buf.a)

    def backward(self, grad, buf):
        skip = buf.ops.copy(grad, out=buf.skip)  # the layers inside overwrite grad
        grad_in = backward_pass(self.sublayers, grad, buf.inner)
        if grad_in is None:
            return None
        grad_in += skip
        return grad_in

    def output_bound(self, bound, ops=NUMPY):
        inner = bound
        for layer in self.sublayers:
            inner = layer.output_bound(inner, *(() if ops.is_numpy else (ops,)))
        return bound + inner
