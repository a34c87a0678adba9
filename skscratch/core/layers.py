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

* ``param_shapes`` names the layer's parameters, their shapes and their
  group (``"weights"``, penalised by L2, or ``"biases"``); the network packs
  every layer's parameters into one flat vector and gives each layer views
  into it (:meth:`Layer.bind`), and likewise for the gradient;
* ``buffers(n_rows, training)`` allocates what one batch needs, once;
* ``forward(a_in, buf, training)`` returns the layer's output;
* ``backward(grad, buf)`` takes ``dL/d(output)``, writes the layer's
  parameter gradients and returns ``dL/d(input)`` (None for the first layer,
  whose input is the data);
* ``output_bound(bound)`` bounds ``|output|`` given a bound on ``|input|``;
* ``initialize(random_state)``, for a layer with parameters that
  :meth:`Network.initialize <skscratch.core.network.Network.initialize>` does
  not draw itself (the dense layers' Glorot draw is the network's, to keep
  scikit-learn's order).

A new kind of layer is one such class plus one entry in :data:`LAYERS`;
:meth:`Network.from_layers <skscratch.core.network.Network.from_layers>` makes
a network of any such layers (tests/test_layers.py plugs in a toy one).
"""

import types

import numpy as np

WEIGHTS, BIASES = "weights", "biases"


class Layer:
    """The interface every layer implements; the defaults suit a layer without parameters.

    Attributes
    ----------
    n_in, n_out : int
        Width of the layer's input and output.
    needs_input_grad : bool
        Whether :meth:`backward` must return ``dL/d(input)``; the network sets
        it to False for the first layer, whose input is the data.
    """

    needs_input_grad = True

    def param_shapes(self):
        """``[(name, shape, group), ...]`` of the layer's parameters, in packing order."""
        return []

    def bind(self, params, grads):
        """Take the views of the flat parameter and gradient vectors, by parameter name."""

    def initialize(self, random_state):
        """Draw the starting parameters (dense layers are drawn by the network)."""

    def buffers(self, n_rows, dtype, training):
        """The arrays one batch of ``n_rows`` needs, allocated once and reused."""
        return types.SimpleNamespace()

    def forward(self, a_in, buf, training):
        """The layer's output for the batch ``a_in``."""
        raise NotImplementedError

    def backward(self, grad, buf):
        """Write the parameter gradients; return ``dL/d(input)`` from ``dL/d(output)``."""
        raise NotImplementedError

    def output_bound(self, bound):
        """A bound on ``|output|`` for inputs with ``|a_in| <= bound``."""
        return bound


class Dense(Layer):
    """A fully connected layer and its activation: ``a = f(a_in @ W + b)``.

    Parameters
    ----------
    n_in, n_out : int
        Units in and out.
    activation : activation class
        From :mod:`skscratch.core.activations`; the identity for the last layer.

    Attributes
    ----------
    W : ndarray of shape (n_in, n_out)
    b : ndarray of shape (n_out,)
    dW, db : ndarray
        The gradient's views, same shapes.
    """

    def __init__(self, n_in, n_out, activation):
        self.n_in, self.n_out = n_in, n_out
        self.activation = activation

    @classmethod
    def from_arrays(cls, W, b, activation):
        """A layer that reads fitted weights ``W`` and biases ``b`` (for prediction)."""
        layer = cls(W.shape[0], W.shape[1], activation)
        layer.W, layer.b = W, b
        return layer

    def param_shapes(self):
        return [("W", (self.n_in, self.n_out), WEIGHTS), ("b", (self.n_out,), BIASES)]

    def bind(self, params, grads):
        self.W, self.b = params["W"], params["b"]
        self.dW, self.db = grads["W"], grads["b"]

    def buffers(self, n_rows, dtype, training):
        keep_z = training and self.activation.needs_preactivation
        return types.SimpleNamespace(
            a_in=None,
            a=np.empty((n_rows, self.n_out), dtype),
            z=np.empty((n_rows, self.n_out), dtype) if keep_z else None,
            # dL/da_in; the first layer's input is the data, which has no gradient.
            grad_in=(
                np.empty((n_rows, self.n_in), dtype)
                if training and self.needs_input_grad
                else None
            ),
            ones=np.ones(n_rows, dtype) if training else None,
        )

    def forward(self, a_in, buf, training):
        buf.a_in = a_in
        z = buf.a  # z[l] is computed in a's buffer, then turned into a[l] in place
        if not isinstance(a_in, np.ndarray):  # a sparse X (first layer only)
            z[...] = a_in @ self.W
        else:
            np.dot(a_in, self.W, out=z)
        z += self.b
        if buf.z is not None:
            np.copyto(buf.z, z)  # f'(z) cannot be read off a for this activation
        return self.activation.forward(z)

    def backward(self, grad, buf):
        a_in = buf.a_in
        delta = self.activation.backward(buf.a, grad, buf.z)  # in place in grad
        if not isinstance(a_in, np.ndarray):  # a sparse X (first layer only)
            self.dW[...] = a_in.T @ delta
        else:
            np.dot(a_in.T, delta, out=self.dW)
        # The column sums as a matrix-vector product: 4x faster than np.sum(axis=0).
        np.dot(buf.ones, delta, out=self.db)
        if buf.grad_in is None:
            return None
        return np.dot(delta, self.W.T, out=buf.grad_in)

    def output_bound(self, bound):
        # |z_j| <= bound * sum_k |W_kj| + |b_j|; every activation here keeps
        # |f(z)| <= max(|z|, 1), and the identity keeps |f(z)| = |z|.
        with np.errstate(over="ignore", invalid="ignore"):
            column_norm = float(np.abs(self.W).sum(axis=0, dtype=np.float64).max())
            z_bound = bound * column_norm + float(np.abs(self.b).max())
        return z_bound if self.activation.name == "identity" else max(z_bound, 1.0)


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
    rng : numpy.random.Generator
        Draws the masks; the network shares one generator between its dropout layers.
    """

    def __init__(self, width, rate, rng):
        self.n_in = self.n_out = width
        self.rate = float(rate)
        self.rng = rng

    def buffers(self, n_rows, dtype, training):
        if not training:
            return types.SimpleNamespace()
        return types.SimpleNamespace(
            mask=np.empty((n_rows, self.n_out), dtype),
            a=np.empty((n_rows, self.n_out), dtype),
        )

    def forward(self, a_in, buf, training):
        if not training:
            return a_in
        mask = buf.mask
        self.rng.random(out=mask, dtype=mask.dtype)
        np.greater_equal(mask, self.rate, out=mask)
        mask *= 1.0 / (1.0 - self.rate)
        # Into a buffer of its own: the layer below still needs a_in for f'.
        return np.multiply(a_in, mask, out=buf.a)

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

    @classmethod
    def from_arrays(cls, n_numeric, tables):
        """A layer that reads fitted tables (for prediction)."""
        layer = cls(n_numeric, [E.shape[0] for E in tables], [E.shape[1] for E in tables])
        layer.E = list(tables)
        return layer

    def param_shapes(self):
        return [
            (f"E{j}", (n, d), WEIGHTS)
            for j, (n, d) in enumerate(zip(self.n_levels, self.dims))
        ]

    def bind(self, params, grads):
        self.E = [params[f"E{j}"] for j in range(len(self.dims))]
        self.dE = [grads[f"E{j}"] for j in range(len(self.dims))]

    def initialize(self, random_state):
        """Draw every table's entries from a normal distribution of scale 0.1.

        Small next to standardized numeric columns: training starts from
        those and grows the vectors as the data asks. Measured on the
        benchmark's 1,000-level task (adam, batch 200): a standard normal
        start was 5 points of held-out accuracy behind after 5 epochs, and
        still 1 point behind after 15.
        """
        for E in self.E:
            E[...] = random_state.normal(0.0, 0.1, E.shape)

    def buffers(self, n_rows, dtype, training):
        return types.SimpleNamespace(
            a=np.empty((n_rows, self.n_out), dtype),
            codes=np.empty((n_rows, len(self.dims)), np.intp),
        )

    def forward(self, a_in, buf, training):
        a, codes = buf.a, buf.codes
        a[:, : self.n_numeric] = a_in[:, : self.n_numeric]
        codes[...] = a_in[:, self.n_numeric :]  # the codes, as integers
        for j, E in enumerate(self.E):
            a[:, self.blocks[j] : self.blocks[j + 1]] = E[codes[:, j]]
        return a

    def backward(self, grad, buf):
        codes = buf.codes
        for j, dE in enumerate(self.dE):
            n_levels, d = dE.shape
            grad_j = grad[:, self.blocks[j] : self.blocks[j + 1]]
            # Scatter-add grad_j's rows into the rows of their codes: one
            # bincount over the flat index code * d + column does it (3 to 5
            # times faster than np.add.at, measured at batch sizes 200 to 20,000).
            flat_index = codes[:, j, None] * d + np.arange(d)
            sums = np.bincount(
                flat_index.ravel(), weights=grad_j.ravel(), minlength=n_levels * d
            )
            dE[...] = sums.reshape(n_levels, d)
        return None

    def output_bound(self, bound):
        # The numeric columns pass through; each code becomes a row of a table.
        with np.errstate(over="ignore", invalid="ignore"):
            largest = max((float(np.abs(E).max()) for E in self.E if E.size), default=0.0)
        return max(bound, largest)


LAYERS = {"dense": Dense, "dropout": Dropout, "embedding": Embedding}
"""Layer kinds by name."""
