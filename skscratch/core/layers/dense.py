"""Linear maps and activations: :class:`Dense`, :class:`Activation`, :class:`FeatureScale`.

The user guide numbers the layers of a network ``l = 1 .. L`` and writes, for
a batch ``a[0] = X``::

    z[l]     = a[l-1] @ W[l] + b[l]                  (forward, affine)
    a[l]     = f_l(z[l])                             (forward, activation)
    delta[l] = dL/da[l] * f_l'(z[l])                 (backward, through f_l)
    dW[l]    = a[l-1].T @ delta[l]                   (backward, weight gradient)
    db[l]    = sum over rows of delta[l]             (backward, bias gradient)
    dL/da[l-1] = delta[l] @ W[l].T                   (backward, to the layer below)

:meth:`Dense.forward` and :meth:`Dense.backward` are those lines, in that
order and with those names: inside a layer, ``a_in`` is ``a[l-1]`` and ``z``,
``a``, ``delta``, ``W``, ``b`` are the layer's own. The last layer's
activation is the identity: its ``z[L]`` are the logits, and the loss owns the
output activation (softmax, logistic, exp), whose derivative it folds into
``delta[L]`` (see :mod:`skscratch.core.losses`).

:class:`Activation` is ``f_l`` alone (after a batch normalization), and
:class:`FeatureScale` a diagonal ``W`` without ``b``: one learned weight per
column, in the weights' group and penalised with them.
"""

import types

import numpy as np

from ..activations import HIDDEN_ACTIVATIONS
from ..backend import NUMPY
from .base import BIASES, WEIGHTS, Layer, _allocator, register_layer


@register_layer
class Dense(Layer):
    """A fully connected layer and its activation: ``a = f(a_in @ W + b)``.

    With a ``weight_scale`` ``c`` other than 1 the layer computes
    ``a = f(c * (a_in @ W) + b)``: the NTK parametrization (``c = 1 /
    sqrt(n_in)``, see :func:`~skscratch.core.mlp.ntk_weight_scale`), whose
    backward step multiplies ``dW`` and ``dL/da_in`` by ``c`` as well.

    Parameters
    ----------
    n_in, n_out : int
        Units in and out.
    activation : activation class
        From :mod:`skscratch.core.activations`; the identity for the last layer.
    bias : bool, default=True
        False for a layer that batch normalization follows: the normalization
        subtracts any constant, so a bias would get no gradient but rounding
        noise (which Adam, dividing by its square root, would turn into steps),
        and batch normalization's ``beta`` is the shift.
    weight_scale : float, default=1.0
        The constant ``c`` that multiplies ``a_in @ W`` (not trained): the NTK
        parametrization's ``1 / sqrt(n_in)``.

    Attributes
    ----------
    W : ndarray of shape (n_in, n_out)
    b : ndarray of shape (n_out,), or None without a bias
    dW, db : ndarray
        The gradient's views, same shapes.
    """

    kind = "dense"

    def __init__(self, n_in, n_out, activation, bias=True, weight_scale=1.0):
        self.n_in, self.n_out = int(n_in), int(n_out)
        self.activation = activation
        self.bias = bool(bias)
        self.weight_scale = float(weight_scale)
        self.b = self.db = None

    def config(self):
        config = {
            "n_in": self.n_in,
            "n_out": self.n_out,
            "activation": self.activation.name,
        }
        if not self.bias:
            config["bias"] = False
        if self.weight_scale != 1.0:
            config["weight_scale"] = self.weight_scale
        return config

    @classmethod
    def from_config(cls, config, sublayers=()):
        activation = HIDDEN_ACTIVATIONS[config["activation"]]
        return cls(
            config["n_in"],
            config["n_out"],
            activation,
            bias=config.get("bias", True),
            weight_scale=config.get("weight_scale", 1.0),
        )

    def param_shapes(self):
        shapes = [("W", (self.n_in, self.n_out), WEIGHTS)]
        return shapes + [("b", (self.n_out,), BIASES)] if self.bias else shapes

    def bind(self, params, grads):
        super().bind(params, grads)
        self.W, self.b = params["W"], params.get("b")
        if grads is not None:
            self.dW, self.db = grads["W"], grads.get("b")

    def buffers(self, n_rows, dtype, training, ops=NUMPY):
        keep_z = training and self.activation.needs_preactivation
        empty = _allocator(ops, dtype)
        return types.SimpleNamespace(
            ops=ops,
            a_in=None,
            a=empty((n_rows, self.n_out)),
            keep_z=keep_z,
            z=empty((n_rows, self.n_out)) if keep_z else None,
            # dL/da_in; the first layer's input is the data, which has no gradient.
            grad_in=(
                empty((n_rows, self.n_in)) if training and self.needs_input_grad else None
            ),
            ones=ops.ones(n_rows, dtype) if training else None,
            backward=training and self.needs_input_grad,
        )

    def forward(self, a_in, buf, mode):
        ops = buf.ops
        buf.a_in = a_in
        # z[l] in a's buffer (numpy), then turned into a[l] in place.
        z = ops.dot(a_in, self.W, out=buf.a)
        if self.weight_scale != 1.0:
            z *= self.weight_scale
        if self.b is not None:
            z += self.b
        if buf.keep_z:
            buf.z = ops.copy(z, out=buf.z)  # f'(z) cannot be read off a here
        buf.a = self.activation.forward(z, ops)
        return buf.a

    def backward(self, grad, buf):
        ops, a_in, c = buf.ops, buf.a_in, self.weight_scale
        delta = self.activation.backward(buf.a, grad, buf.z, ops)  # numpy: in grad
        ops.dot_into(a_in.T, delta, out=self.dW)
        if c != 1.0:
            self.dW *= c
        if self.db is not None:
            # The column sums as a matrix-vector product: 4x faster than np.sum(axis=0).
            ops.dot_into(buf.ones, delta, out=self.db)
        if not buf.backward:
            return None
        grad_in = ops.dot(delta, self.W.T, out=buf.grad_in)
        if c != 1.0:
            grad_in *= c
        return grad_in

    def output_bound(self, bound, ops=NUMPY):
        # |z_j| <= bound * c * sum_k |W_kj| + |b_j|, then the activation's own bound.
        z_bound = bound * ops.largest_column_norm(self.W) * self.weight_scale
        if self.b is not None:
            z_bound += ops.abs_max(self.b)
        return activation_bound(self.activation, z_bound)


def activation_bound(activation, bound):
    """A bound on ``|f(z)|`` for ``|z| <= bound``.

    An activation that can exceed ``max(|z|, 1)`` (SELU) gives its own
    ``bound``; every other hidden activation here keeps ``|f(z)| <= max(|z|,
    1)``, and the identity keeps ``|f(z)| = |z|``.
    """
    if hasattr(activation, "bound"):
        return activation.bound(bound)
    return bound if activation.name == "identity" else max(bound, 1.0)


@register_layer
class Activation(Layer):
    """An activation on its own: ``a = f(a_in)``, for a layer between the affine
    map and the activation (batch normalization of the pre-activations).

    Parameters
    ----------
    width : int
        Units in and out.
    activation : activation class
        From :data:`~skscratch.core.activations.HIDDEN_ACTIVATIONS`.
    """

    kind = "activation"

    def __init__(self, width, activation):
        self.n_in = self.n_out = int(width)
        self.activation = activation

    def config(self):
        return {"width": self.n_in, "activation": self.activation.name}

    @classmethod
    def from_config(cls, config, sublayers=()):
        return cls(config["width"], HIDDEN_ACTIVATIONS[config["activation"]])

    def buffers(self, n_rows, dtype, training, ops=NUMPY):
        keep_z = training and self.activation.needs_preactivation
        empty = _allocator(ops, dtype)
        return types.SimpleNamespace(
            ops=ops,
            a=empty((n_rows, self.n_out)),
            keep_z=keep_z,
            z=empty((n_rows, self.n_out)) if keep_z else None,
        )

    def forward(self, a_in, buf, mode):
        ops = buf.ops
        a = ops.copy(a_in, out=buf.a)
        if buf.keep_z:
            buf.z = ops.copy(a_in, out=buf.z)
        buf.a = self.activation.forward(a, ops)
        return buf.a

    def backward(self, grad, buf):
        return self.activation.backward(buf.a, grad, buf.z, buf.ops)  # numpy: in grad

    def output_bound(self, bound, ops=NUMPY):
        return activation_bound(self.activation, bound)


@register_layer
class FeatureScale(Layer):
    """A learned scale per column: ``a = a_in * s``, one ``s_j`` per column.

    RealMLP-TD's front "scale" layer (Holzmüller et al., 2024), placed right
    before the first dense layer: each column the network reads gets a
    weight of its own, which training can grow (a column that matters) or
    shrink towards 0 (one that does not), a soft feature selection. It starts
    at ``s = 1``, the identity. Its backward step::

        ds_j       = sum over rows i of a_in[i, j] * dL/da[i, j]
        dL/da_in   = dL/da * s

    ``s`` sits in the ``"weights"`` group: L2 (``alpha``) and weight decay
    reach it, so that the first dense layer's penalty cannot be dodged by
    moving size from its ``W`` into ``s`` (penalising both makes the pair's
    penalty ``2 |s_j| ||W[j]||`` at its best balance, a group-lasso pull on
    each input column).

    Parameters
    ----------
    width : int
        Columns in and out.
    """

    kind = "feature_scale"

    def __init__(self, width):
        self.n_in = self.n_out = int(width)

    def config(self):
        return {"width": self.n_in}

    def param_shapes(self):
        return [("s", (self.n_out,), WEIGHTS)]

    def bind(self, params, grads):
        super().bind(params, grads)
        self.s = params["s"]
        if grads is not None:
            self.ds = grads["s"]

    def initialize(self, random_state, ops=NUMPY):
        """Start as the identity, ``s = 1`` (nothing is drawn)."""
        self.s[...] = 1.0

    def buffers(self, n_rows, dtype, training, ops=NUMPY):
        return types.SimpleNamespace(
            ops=ops, a_in=None, a=_allocator(ops, dtype)((n_rows, self.n_out))
        )

    def forward(self, a_in, buf, mode):
        ops = buf.ops
        buf.a_in = a_in
        if ops.is_numpy and not isinstance(a_in, np.ndarray):  # a sparse X
            return a_in.multiply(self.s).tocsr()
        return ops.multiply(a_in, self.s, out=buf.a)

    def backward(self, grad, buf):
        ops, a_in = buf.ops, buf.a_in
        if ops.is_numpy and not isinstance(a_in, np.ndarray):  # a sparse X
            self.ds[...] = np.asarray(a_in.multiply(grad).sum(axis=0)).ravel()
        else:
            ops.col_dot_into(a_in, grad, out=self.ds)
        if not self.needs_input_grad:
            return None
        grad *= self.s  # in place: the layer above is done with it
        return grad

    def output_bound(self, bound, ops=NUMPY):
        return bound * ops.abs_max(self.s)
