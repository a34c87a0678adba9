"""Layers: each one step of the forward pass, with its backward step beside it.

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

Every layer has the same interface, so a network is a list of them:

* ``kind`` is its name in :data:`LAYERS`, and ``config()`` the constructor
  arguments (plain numbers, strings and lists) that rebuild it;
* ``param_shapes()`` names the parameters, their shapes and their group
  (``"weights"``, penalised by L2, or ``"biases"``); the network packs every
  layer's parameters into one flat vector and gives each layer views into
  it (:meth:`Layer.bind`), and likewise for the gradient;
* ``state_shapes()`` names the state that is not trained, such as batch
  normalization's running statistics: the network keeps it in a second
  flat vector (:meth:`Layer.bind_state`), saved and restored with the
  parameters;
* ``buffers(n_rows, dtype, training, ops)`` allocates what one batch needs,
  once, and keeps ``ops``, the array library's functions
  (:mod:`skscratch.core.backend`): numpy's write into the buffers, another
  namespace's return new arrays, so the layers use what they return;
* ``forward(a_in, buf, mode)`` returns the layer's output; ``mode``
  (:class:`Mode`) says whether it is training, with which row weights, and
  whether to update the running statistics;
* ``backward(grad, buf)`` takes ``dL/d(output)``, writes the layer's
  parameter gradients and returns ``dL/d(input)`` (None for the first layer,
  whose input is the data);
* ``output_bound(bound)`` bounds ``|output|`` given a bound on ``|input|``;
* ``initialize(random_state)`` sets the starting parameters and state of a
  layer that :meth:`Network.initialize
  <skscratch.core.network.Network.initialize>` does not draw itself (the
  dense layers' Glorot draw is the network's, to keep scikit-learn's order);
* ``sublayers`` lists the layers a layer holds (a :class:`Residual` block).

A fitted model keeps each layer as a *record* (:func:`to_record`): its kind,
config, parameters and state as plain dicts of arrays. :func:`from_record`
makes the layer again through :data:`LAYERS`, so prediction, warm starts,
pickles and ONNX export (one converter per kind, in :mod:`skscratch.onnx`)
work for every kind registered there. A new kind of layer is one class here
plus its :data:`LAYERS` entry (and its ONNX converter).
"""

import math
import types
from typing import NamedTuple

import numpy as np

from ..activations import HIDDEN_ACTIVATIONS
from ..backend import NUMPY

WEIGHTS, BIASES = "weights", "biases"

#: Fraction of a training batch's statistics mixed into batch normalization's
#: running statistics at each step (PyTorch's default, a decay of 0.9).
STATE_MOMENTUM = 0.1


class Mode(NamedTuple):
    """How a forward pass runs.

    Attributes
    ----------
    training : bool
        Training (dropout active, batch statistics) or prediction.
    weights : ndarray of shape (n_rows,) or None
        Each row's share of the batch, summing to 1 (the sample weights
        divided by their sum); None for equal shares. Batch normalization
        weighs its batch statistics by them.
    state_momentum : float or None
        Fraction of the batch statistics mixed into the running statistics
        (1 replaces them); None leaves the state alone.
    """

    training: bool
    weights: object = None
    state_momentum: object = None


#: The mode of prediction: no dropout, running statistics, no update.
PREDICTING = Mode(False)


class Layer:
    """The interface every layer implements; the defaults suit a layer without parameters.

    Attributes
    ----------
    kind : str
        The layer's name in :data:`LAYERS`.
    n_in, n_out : int
        Width of the layer's input and output.
    needs_input_grad : bool
        Whether :meth:`backward` must return ``dL/d(input)``; the network sets
        it to False for each layer up to the first with parameters (their
        input is the data, or made from it alone).
    sublayers : tuple of Layer
        The layers this one holds (none but for containers such as :class:`Residual`).
    params, grads, state : dict of ndarray
        The views :meth:`bind` and :meth:`bind_state` gave the layer, by name.
    """

    kind = None
    needs_input_grad = True
    sublayers = ()
    params = grads = state = types.MappingProxyType({})

    def config(self):
        """The constructor arguments, as plain numbers, strings and lists."""
        return {}

    @classmethod
    def from_config(cls, config, sublayers=()):
        """The layer that :meth:`config` (and the held layers) describe."""
        return cls(**config)

    def param_shapes(self):
        """``[(name, shape, group), ...]`` of the layer's parameters, in packing order."""
        return []

    def state_shapes(self):
        """``[(name, shape), ...]`` of the layer's untrained state (running statistics)."""
        return []

    def bind(self, params, grads):
        """Take the views of the flat parameter and gradient vectors, by parameter name.

        ``grads`` is None for a layer that only predicts.
        """
        self.params, self.grads = params, grads

    def bind_state(self, state):
        """Take the views of the flat state vector, by name."""
        self.state = state

    def leaves(self):
        """This layer, or the layers it holds, flattened: what owns parameters."""
        if not self.sublayers:
            return [self]
        return [leaf for layer in self.sublayers for leaf in layer.leaves()]

    def initialize(self, random_state, ops=NUMPY):
        """Set the starting parameters and state (dense layers are drawn by the network).

        Random draws come from ``random_state`` (numpy, on the host) and move
        to the parameters' device through ``ops``.
        """

    def buffers(self, n_rows, dtype, training, ops=NUMPY):
        """The arrays one batch of ``n_rows`` needs, allocated once and reused."""
        return types.SimpleNamespace(ops=ops)

    def forward(self, a_in, buf, mode):
        """The layer's output for the batch ``a_in``."""
        raise NotImplementedError

    def backward(self, grad, buf):
        """Write the parameter gradients; return ``dL/d(input)`` from ``dL/d(output)``."""
        raise NotImplementedError

    def output_bound(self, bound, ops=NUMPY):
        """A bound on ``|output|`` for inputs with ``|a_in| <= bound``."""
        return bound


def forward_pass(layers, a, buffers, mode):
    """The one forward pass: each layer's output is the next one's input.

    Training and prediction both run it; prediction with :data:`PREDICTING`
    and buffers of its own, so that it only reads the layers' parameters.
    """
    for layer, buf in zip(layers, buffers):
        a = layer.forward(a, buf, mode)
    return a


def backward_pass(layers, grad, buffers):
    """Back-propagate ``grad`` through ``layers``, last to first; ``dL/d(input)``."""
    for layer, buf in zip(reversed(layers), reversed(buffers)):
        grad = layer.backward(grad, buf)
    return grad


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


class Embedding(Layer):
    """Learned vectors for categorical columns, placed before the first dense layer.

    The input ``a_in`` holds the numeric columns first, then one column of
    integer category codes per categorical feature. Each categorical feature
    ``j`` has a table ``E[j]`` with one trainable row per category, and the
    output replaces each code ``c`` by its row::

        a = [a_in[:, :n_numeric] | E[0][c_0] | E[1][c_1] | ... ]     (forward)
        dE[j][c] = sum over the rows whose code is c of dL/da[:, block j]   (backward)

    A table row is a weight like any other: it sits in the ``"weights"``
    group, so L2 and weight decay reach it, and every optimizer updates it.
    The codes are data, not parameters: the layer has no input gradient, and
    it must be the first layer.

    Parameters
    ----------
    n_numeric : int
        Numeric columns at the start of the input, passed through unchanged.
    n_levels : sequence of int
        Rows of each table (categories of each categorical feature).
    dims : sequence of int
        Width of each table's vectors, one per categorical feature.

    Attributes
    ----------
    E, dE : list of ndarray of shape (n_levels[j], dims[j])
        The tables and their gradients (views into the network's flat vectors).
    """

    kind = "embedding"
    needs_input_grad = False

    def __init__(self, n_numeric, n_levels, dims):
        self.n_numeric = int(n_numeric)
        self.n_levels = [int(n) for n in n_levels]
        self.dims = [int(d) for d in dims]
        if len(self.n_levels) != len(self.dims):
            raise ValueError(
                f"Got {len(self.dims)} embedding widths for {len(self.n_levels)} tables."
            )
        self.n_in = self.n_numeric + len(self.dims)
        self.n_out = self.n_numeric + sum(self.dims)
        # Output columns of table j: blocks[j] to blocks[j + 1].
        self.blocks = np.cumsum([self.n_numeric, *self.dims]).tolist()

    def config(self):
        return {"n_numeric": self.n_numeric, "n_levels": self.n_levels, "dims": self.dims}

    def param_shapes(self):
        return [
            (f"E{j}", (n, d), WEIGHTS)
            for j, (n, d) in enumerate(zip(self.n_levels, self.dims))
        ]

    def bind(self, params, grads):
        super().bind(params, grads)
        self.E = [params[f"E{j}"] for j in range(len(self.dims))]
        if grads is not None:
            self.dE = [grads[f"E{j}"] for j in range(len(self.dims))]

    def initialize(self, random_state, ops=NUMPY):
        """Draw every table's entries from a normal distribution of scale 0.1.

        Small next to standardized numeric columns: training starts from
        those and grows the vectors as the data asks. Measured on the
        benchmark's 1,000-level task (adam, batch 200): a standard normal
        start was 5 points of held-out accuracy behind after 5 epochs, and
        still 1 point behind after 15.
        """
        for E in self.E:
            E[...] = ops.asarray(random_state.normal(0.0, 0.1, E.shape), dtype=E.dtype)

    def buffers(self, n_rows, dtype, training, ops=NUMPY):
        return types.SimpleNamespace(ops=ops, codes=None)

    def forward(self, a_in, buf, mode):
        ops = buf.ops
        buf.codes = codes = ops.as_indices(a_in[:, self.n_numeric :])
        rows = [ops.take_rows(E, codes[:, j]) for j, E in enumerate(self.E)]
        return ops.concat([a_in[:, : self.n_numeric], *rows], axis=1)

    def backward(self, grad, buf):
        ops, codes = buf.ops, buf.codes
        for j, dE in enumerate(self.dE):
            # Scatter-add each row of grad's block j into the row of its code.
            grad_j = grad[:, self.blocks[j] : self.blocks[j + 1]]
            dE[...] = ops.scatter_add_rows(codes[:, j], grad_j, dE.shape[0])
        return None

    def output_bound(self, bound, ops=NUMPY):
        # The numeric columns pass through; each code becomes a row of a table.
        largest = max((ops.abs_max(E) for E in self.E), default=0.0)
        return max(bound, largest)


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


def _allocator(ops, dtype):
    """``empty(shape)``: a buffer for numpy, whose functions write into it; None
    for another namespace, whose functions return new arrays."""
    if ops.is_numpy:
        return lambda shape: np.empty(shape, dtype)
    return lambda shape: None


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


#: The variants of :class:`PeriodicEmbedding`.
PERIODIC_VARIANTS = ("plr", "pbld")


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
        # smaller last batch along the first axis): (n_rows, m, ...).
        shape, empty = (n_rows, self.n_numeric), _allocator(ops, dtype)
        return types.SimpleNamespace(
            ops=ops,
            x=None,  # the numeric columns of the input
            u=empty((*shape, self.n_frequencies)),
            v=empty((*shape, self.n_waves)),
            h=empty((*shape, self.n_linear)),
            dh=empty((*shape, self.n_linear)) if training else None,
            dv=empty((*shape, self.n_waves)) if training else None,
        )

    def angular_frequencies(self):
        """``2 pi c``, in the parameters' dtype (the ONNX export reads it too)."""
        return self.C * (2 * math.pi)

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
        u = ops.multiply(x[:, :, None], self.angular_frequencies(), out=buf.u)
        if self.variant == "pbld":
            u += self.phi
            v = ops.cos(u, out=buf.v)
        else:
            v = ops.concat([ops.sin(u), ops.cos(u)], axis=2)
        buf.u, buf.v = u, v
        # One matrix product per feature: (m, n_rows, waves) @ (m, waves, n_linear).
        h_m = _features_first(buf.h, ops)
        h = _features_first(ops.matmul(_features_first(v, ops), self.W, out=h_m), ops)
        h += self.b
        if self.variant == "plr":
            h = ops.maximum(h, 0.0, out=h)
        buf.h = h
        blocks = [h, x[:, :, None]] if self.variant == "pbld" else [h]
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
        du = self._wave_gradient(_features_first(dv_m, ops), buf)
        if self.dphi is not None:
            self.dphi[...] = ops.xp.sum(du, axis=0)
        ops.einsum_into("imk,im->mk", du, buf.x, out=self.dC)
        self.dC *= 2 * math.pi
        if not self.needs_input_grad:
            return None
        grad_x = ops.einsum("imk,mk->im", du, self.angular_frequencies())
        if self.variant == "pbld":
            grad_x += blocks[:, :, -1]
        return ops.concat([grad_x, grad[:, m * self.dim :]], axis=1)

    def _wave_gradient(self, dv, buf):
        """``dL/du`` from ``dL/dv`` (numpy: in ``buf.u``, whose angles are done)."""
        ops, k, u, v = buf.ops, self.n_frequencies, buf.u, buf.v
        if self.variant == "pbld":
            du = ops.sin(u, out=u)
            du *= dv
            return -du
        du = ops.multiply(dv[:, :, :k], v[:, :, k:], out=u)  # v = [sin u | cos u]
        du -= dv[:, :, k:] * v[:, :, :k]
        return du

    def output_bound(self, bound, ops=NUMPY):
        # |sin|, |cos| <= 1: each h is at most sum_k |W[j, k, d]| + |b[j, d]|.
        with np.errstate(over="ignore", invalid="ignore"):
            xp = ops.xp
            h = xp.sum(xp.abs(self.W), axis=1) + xp.abs(self.b)
            return max(bound, ops.abs_max(h))


def _features_first(array, ops):
    """``(n_rows, m, ...)`` as ``(m, n_rows, ...)`` and back (a view); None stays None."""
    return None if array is None else ops.permute(array, (1, 0, 2))


def count_parameters(layers):
    """The number of parameters of ``layers`` (nested ones too), before any is allocated."""
    return sum(
        int(np.prod(shape))
        for layer in layers
        for leaf in layer.leaves()
        for _, shape, _ in leaf.param_shapes()
    )


def check_chain(layers):
    """Raise ValueError unless each layer takes as many units as the one before gives."""
    for below, above in zip(layers[:-1], layers[1:]):
        if below.n_out != above.n_in:
            raise ValueError(
                f"{type(below).__name__} gives {below.n_out} units to "
                f"{type(above).__name__}, which takes {above.n_in}."
            )


LAYERS = {
    cls.kind: cls
    for cls in (
        Dense,
        Activation,
        BatchNorm,
        Dropout,
        Embedding,
        Residual,
        FeatureScale,
        PeriodicEmbedding,
    )
}
"""Layer kinds by name: what :func:`from_record` makes a record into."""


def to_record(layer):
    """A layer as a fitted model keeps it: plain dicts of its kind, config and arrays.

    The arrays are the layer's own (views into a network's flat vectors
    while it trains), not copies.

    Returns
    -------
    record : dict
        ``{"kind", "config", "params", "state"}``, and ``"layers"`` (the
        records of the layers it holds) for a container.
    """
    record = {
        "kind": layer.kind,
        "config": layer.config(),
        "params": dict(layer.params),
        "state": dict(layer.state),
    }
    if layer.sublayers:
        record["layers"] = [to_record(sublayer) for sublayer in layer.sublayers]
    return record


def from_record(record):
    """The layer a :func:`to_record` record describes, reading the record's arrays.

    Raises
    ------
    ValueError
        For a kind that is not in :data:`LAYERS`.
    """
    if record["kind"] not in LAYERS:
        raise ValueError(
            f"Unknown layer kind {record['kind']!r}; known kinds: {sorted(LAYERS)}."
        )
    sublayers = [from_record(sub) for sub in record.get("layers", ())]
    layer = LAYERS[record["kind"]].from_config(record["config"], sublayers)
    if record["params"]:
        layer.bind(record["params"], None)
    if record["state"]:
        layer.bind_state(record["state"])
    return layer


def walk_records(records):
    """Every record of ``records`` and of the layers they hold, in forward order."""
    for record in records:
        yield record
        yield from walk_records(record.get("layers", ()))


# ------------------------------------------------------------- input layers
# Layers without parameters that prepare the numeric columns of the data,
# placed before everything else: their state holds statistics fitted on the
# training data (by the estimator, not by gradient descent), so that the
# fitted model carries its own preprocessing into predict and ONNX.

#: ``|u| / clip`` is capped here in :class:`RobustScale`: ``f`` is ``clip`` to
#: rounding from about 1e8 on, and the square stays finite in float32.
SMOOTH_CLIP_CAP = 1e15


def _dense_input(a_in, ops):
    """``a_in`` as a dense array: a sparse batch (the data's rows) made dense."""
    if ops.is_numpy and not isinstance(a_in, np.ndarray):
        return a_in.toarray()
    return a_in


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


LAYERS.update({cls.kind: cls for cls in (ImputeMissing, RobustScale)})
