"""A new layer kind, written outside skscratch: a learned gain per unit.

What a kind takes, and all that ``tests/test_layer_kinds.py`` gives skscratch:
the class, registered by its decorator, and its ONNX converter. The test places
it after every hidden layer with :func:`skscratch.core.mlp.extra_hidden_layers`.
"""

import types

from skscratch.core.backend import NUMPY
from skscratch.core.layers import BIASES, Layer, register_layer


@register_layer
class Gain(Layer):
    """``a = a_in * g``, one learned gain ``g_j`` per unit, starting at 1.

    Its backward step, with ``G = dL/da``::

        dg_j     = sum over rows i of a_in[i, j] * G[i, j]
        dL/da_in = G * g

    The gains are in the ``"biases"`` group: L2 leaves them alone.
    """

    kind = "gain"

    def __init__(self, width):
        self.n_in = self.n_out = int(width)

    def config(self):
        return {"width": self.n_in}

    def param_shapes(self):
        return [("g", (self.n_out,), BIASES)]

    def bind(self, params, grads):
        super().bind(params, grads)
        self.g = params["g"]
        if grads is not None:
            self.dg = grads["g"]

    def initialize(self, random_state, ops=NUMPY):
        self.g[...] = 1.0

    def buffers(self, n_rows, dtype, training, ops=NUMPY):
        return types.SimpleNamespace(ops=ops, a_in=None)

    def forward(self, a_in, buf, mode):
        buf.a_in = a_in
        return buf.ops.multiply(a_in, self.g)

    def backward(self, grad, buf):
        buf.ops.col_dot_into(buf.a_in, grad, out=self.dg)
        return buf.ops.multiply(grad, self.g)

    def output_bound(self, bound, ops=NUMPY):
        return bound * ops.abs_max(self.g)


def gain_to_onnx(g, a, record):
    """The ONNX operators of a gain layer's record: ``Mul`` by its gains."""
    return g.node("Mul", a, g.const(record["params"]["g"], shape=(1, -1)))
