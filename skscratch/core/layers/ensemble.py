"""An ensemble inside one network: :class:`EnsembleFork`, :class:`EnsembleDense`,
:class:`EnsembleOutput` (TabM's BatchEnsemble, Gorishniy et al., ICLR 2025).

``k = n_members`` networks share every weight matrix and differ by a few
vectors each, their adapters. The batch of ``n`` rows is copied ``k`` times
into one wide batch of ``k n`` rows, member-major: rows ``m n .. (m + 1) n - 1``
are member ``m``'s copy. Every layer between the fork and the output then
works on the wide batch unchanged (a plain :class:`~.dense.Dense` layer is one
matrix product for all the members, a dropout layer draws each member its
own masks), and the three layers here are where the members differ::

    EnsembleFork     a_m = x * r_m                          (k copies, scaled)
    EnsembleDense    z_m = c ((a_m * r_m) @ W) * s_m + b_m  (shared W)
    EnsembleOutput   z_m = c a_m @ W_m + b_m                (a head per member)

``r_m`` and ``s_m`` are member ``m``'s rank-1 adapters (``W`` scaled by the
outer product ``r_m s_m^T``), ``b_m`` its bias, ``c`` the NTK parametrization's
constant (1 by default). TabM's full variant makes every hidden dense layer
an :class:`EnsembleDense` (the fork's ``r`` is the first one's); "TabM-mini"
keeps only the fork's ``r`` and the heads, plain dense layers between
(:func:`~skscratch.core.mlp.ensemble_layers` builds either).

The network copies the targets likewise (:meth:`Network.loss_gradient
<skscratch.core.network.Network.loss_gradient>`): the mean loss over the
``k n`` rows is the mean over the members of each member's loss. At
prediction :class:`EnsembleOutput` averages the members' outputs (the
probabilities of a classifier, the predictions of a regressor) and gives,
for the ``n`` rows, the logits whose output activation is that average.

The adapters ``r`` and ``s`` sit in the ``"weights"`` group, as TabM's
training code leaves them in its weight decay: ``alpha`` penalises them and
``adamw`` decays them, so that a layer's penalty on ``W`` cannot be dodged by
moving its size into ``r`` or ``s`` (the argument of
:class:`~.dense.FeatureScale`). The per-member biases are biases.
"""

import math
import types
from numbers import Integral

import numpy as np

from ..activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, Identity
from ..backend import NUMPY
from .base import BIASES, WEIGHTS, Layer, _allocator, register_layer
from .dense import Dense, activation_bound
from .normalization import BatchNorm


def _members(array, k, ops):
    """The wide ``(k n, ...)`` array as ``(k, n, ...)``, one block per member (a
    view; None stays None)."""
    if array is None:
        return None
    return ops.xp.reshape(array, (k, array.shape[0] // k, *array.shape[1:]))


def _wide(array, ops):
    """The ``(k, n, ...)`` blocks as one wide ``(k n, ...)`` array (a view)."""
    return ops.xp.reshape(array, (array.shape[0] * array.shape[1], *array.shape[2:]))


def _check_members(n_members):
    if not isinstance(n_members, Integral) or isinstance(n_members, bool) or n_members < 1:
        raise ValueError(
            f"An ensemble needs n_members >= 1, an integer; got {n_members!r}."
        )
    return int(n_members)


@register_layer
class EnsembleFork(Layer):
    """The ensemble's start: ``k`` copies of the batch, member ``m``'s scaled by ``r_m``.

    For an input ``x`` of ``n`` rows the output has ``k n`` rows, member
    ``m``'s block ``a_m = x * r_m`` (one ``r_m`` per column: TabM-mini's
    adapter, and the full variant's ``r`` of its first layer). Each ``r_mj``
    enters member ``m``'s column ``j`` with the factor ``x_ij``, and ``x``
    reaches every member, so with ``G_m = dL/da_m``::

        dr_m     = sum over rows i of x_i * G_mi
        dL/dx    = sum over members m of G_m * r_m

    ``r`` starts as random signs, ``+1`` or ``-1`` with equal odds (TabM's
    start for the first adapter of a network without numeric embeddings):
    the members see the same columns through different sign patterns, and
    training moves each from there.

    Parameters
    ----------
    width : int
        Columns in and out.
    n_members : int
        ``k``, the members of the ensemble.

    Attributes
    ----------
    r : ndarray of shape (n_members, width)
    """

    kind = "ensemble_fork"

    def __init__(self, width, n_members):
        self.n_in = self.n_out = int(width)
        self.n_members = _check_members(n_members)
        self.r = self.dr = None

    def config(self):
        return {"width": self.n_in, "n_members": self.n_members}

    def param_shapes(self):
        return [("r", (self.n_members, self.n_in), WEIGHTS)]

    def bind(self, params, grads):
        super().bind(params, grads)
        self.r = params["r"]
        if grads is not None:
            self.dr = grads["r"]

    def initialize(self, random_state, ops=NUMPY):
        """``r`` from random signs, drawn on the host."""
        signs = 2.0 * random_state.randint(0, 2, size=self.r.shape) - 1.0
        self.r[...] = ops.asarray(signs, dtype=ops.numpy_dtype(self.r.dtype))

    def rows_out(self, n_rows, training):
        return self.n_members * n_rows

    def buffers(self, n_rows, dtype, training, ops=NUMPY):
        empty = _allocator(ops, dtype)
        return types.SimpleNamespace(
            ops=ops,
            x=None,
            a=empty((self.n_members * n_rows, self.n_out)),
            grad_in=(
                empty((n_rows, self.n_in)) if training and self.needs_input_grad else None
            ),
        )

    def forward(self, a_in, buf, mode):
        ops, k = buf.ops, self.n_members
        if ops.is_numpy and not isinstance(a_in, np.ndarray):  # a sparse X
            a_in = a_in.toarray()
        buf.x = a_in
        a = ops.multiply(a_in[None, :, :], self.r[:, None, :], out=_members(buf.a, k, ops))
        return _wide(a, ops)

    def backward(self, grad, buf):
        ops, k, x = buf.ops, self.n_members, buf.x
        G = _members(grad, k, ops)
        ops.einsum_into("ij,mij->mj", x, G, out=self.dr)
        if not self.needs_input_grad:
            return None
        return ops.einsum("mij,mj->ij", G, self.r, out=buf.grad_in)

    def output_bound(self, bound, ops=NUMPY):
        return bound * ops.abs_max(self.r)


@register_layer
class EnsembleDense(Dense):
    """A dense layer shared by ``k`` members through rank-1 adapters (BatchEnsemble).

    Member ``m`` computes, on its block ``a_m`` of the wide batch::

        u_m = a_m * r_m             (one r_mj per input column; none when
                                     ``input_scale=False``, the fork's r instead)
        v_m = u_m @ W               (W shared: one product for the wide batch)
        z_m = c v_m * s_m + b_m     (one s_mj, b_mj per unit)
        a_m = f(z_m)

    which is ``a_m @ (W * outer(r_m, s_m))``: each member's own weight matrix,
    stored as ``W`` and two vectors. The backward step, from
    ``delta_m = dL/da_m * f'(z_m)``, is the dense layer's with the adapters'
    factors on each side::

        db_m       = sum over rows of delta_m
        ds_m       = c * sum over rows of v_m * delta_m
        e_m        = c delta_m * s_m                        (dL/dv_m)
        dW         = sum over members of u_m.T @ e_m        (= u.T @ e, wide)
        dL/du_m    = e_m @ W.T
        dr_m       = sum over rows of a_m * dL/du_m
        dL/da_m    = dL/du_m * r_m

    It starts as TabM starts it: ``W`` and ``b`` as a dense layer's (the
    network's draw), every member with the first member's bias, ``r = s = 1``.

    Parameters
    ----------
    n_in, n_out : int
    n_members : int
    activation : activation class
    bias : bool, default=True
        False before a batch normalization.
    input_scale : bool, default=True
        Whether the layer has its own ``r`` (False for the first layer after
        an :class:`EnsembleFork`, whose ``r`` it is).
    weight_scale : float, default=1.0
        The NTK parametrization's ``c``.

    Attributes
    ----------
    W : ndarray of shape (n_in, n_out)
    r : ndarray of shape (n_members, n_in), or None
    s, b : ndarray of shape (n_members, n_out) (b None without a bias)
    """

    kind = "ensemble_dense"

    def __init__(
        self,
        n_in,
        n_out,
        n_members,
        activation,
        bias=True,
        input_scale=True,
        weight_scale=1.0,
    ):
        super().__init__(n_in, n_out, activation, bias, weight_scale)
        self.n_members = _check_members(n_members)
        self.input_scale = bool(input_scale)
        self.r = self.dr = self.s = self.ds = None

    def config(self):
        config = {**super().config(), "n_members": self.n_members}
        if not self.input_scale:
            config["input_scale"] = False
        return config

    @classmethod
    def from_config(cls, config, sublayers=()):
        return cls(
            config["n_in"],
            config["n_out"],
            config["n_members"],
            HIDDEN_ACTIVATIONS[config["activation"]],
            bias=config.get("bias", True),
            input_scale=config.get("input_scale", True),
            weight_scale=config.get("weight_scale", 1.0),
        )

    def param_shapes(self):
        k = self.n_members
        shapes = [("W", (self.n_in, self.n_out), WEIGHTS)]
        if self.input_scale:
            shapes.append(("r", (k, self.n_in), WEIGHTS))
        shapes.append(("s", (k, self.n_out), WEIGHTS))
        if self.bias:
            shapes.append(("b", (k, self.n_out), BIASES))
        return shapes

    def bind(self, params, grads):
        super().bind(params, grads)
        self.r, self.s = params.get("r"), params["s"]
        if grads is not None:
            self.dr, self.ds = grads.get("r"), grads["s"]

    def initialize(self, random_state, ops=NUMPY):
        """``r = s = 1``; every member's bias the first's (the network drew ``b``)."""
        if self.r is not None:
            self.r[...] = 1.0
        self.s[...] = 1.0
        if self.b is not None:
            self.b[...] = ops.copy(self.b[0:1, ...])

    def buffers(self, n_rows, dtype, training, ops=NUMPY):
        buf = super().buffers(n_rows, dtype, training, ops)
        empty = _allocator(ops, dtype)
        buf.u = empty((n_rows, self.n_in)) if self.input_scale else None
        buf.v = empty((n_rows, self.n_out))
        buf.du = empty((n_rows, self.n_in)) if training and self.input_scale else None
        # Each member's rows, for its bias gradient.
        buf.ones = ops.ones(n_rows // self.n_members, dtype) if training else None
        return buf

    def forward(self, a_in, buf, mode):
        ops, k, c = buf.ops, self.n_members, self.weight_scale
        buf.a_in = u = a_in
        if self.r is not None:
            u_m = ops.multiply(
                _members(a_in, k, ops), self.r[:, None, :], out=_members(buf.u, k, ops)
            )
            u = _wide(u_m, ops)
        buf.u = u
        buf.v = v = ops.dot(u, self.W, out=buf.v)
        z = ops.multiply(
            _members(v, k, ops), self.s[:, None, :], out=_members(buf.a, k, ops)
        )
        if c != 1.0:
            z *= c
        if self.b is not None:
            z += self.b[:, None, :]
        z = _wide(z, ops)
        if buf.keep_z:
            buf.z = ops.copy(z, out=buf.z)
        buf.a = self.activation.forward(z, ops)
        return buf.a

    def backward(self, grad, buf):
        ops, k, c = buf.ops, self.n_members, self.weight_scale
        delta = _members(self.activation.backward(buf.a, grad, buf.z, ops), k, ops)
        if self.db is not None:
            ops.matmul_into(buf.ones, delta, out=self.db)
        ops.einsum_into("mij,mij->mj", _members(buf.v, k, ops), delta, out=self.ds)
        e = ops.multiply(delta, self.s[:, None, :], out=delta)  # dL/dv, in grad
        if c != 1.0:
            self.ds *= c
            e *= c
        e = _wide(e, ops)
        ops.dot_into(buf.u.T, e, out=self.dW)
        if self.r is None:
            return ops.dot(e, self.W.T, out=buf.grad_in) if buf.backward else None
        du = _members(ops.dot(e, self.W.T, out=buf.du), k, ops)
        ops.einsum_into("mij,mij->mj", _members(buf.a_in, k, ops), du, out=self.dr)
        if not buf.backward:
            return None
        grad_in = ops.multiply(du, self.r[:, None, :], out=_members(buf.grad_in, k, ops))
        return _wide(grad_in, ops)

    def output_bound(self, bound, ops=NUMPY):
        if self.r is not None:
            bound = bound * ops.abs_max(self.r)
        z_bound = bound * ops.largest_column_norm(self.W) * self.weight_scale
        z_bound *= ops.abs_max(self.s)
        if self.b is not None:
            z_bound += ops.abs_max(self.b)
        return activation_bound(self.activation, z_bound)


@register_layer
class EnsembleOutput(Dense):
    """The ensemble's end: an output layer per member, and their average at prediction.

    While training, member ``m``'s logits come from its own head, ``z_m = c
    a_m @ W_m + b_m`` (TabM's ``k`` independent output layers), and the
    layer gives the ``k n`` rows of them, for the loss of every member. Its
    backward step is the dense layer's, per member::

        dW_m = c a_m.T @ delta_m,   db_m = sum over rows of delta_m,
        dL/da_m = c delta_m @ W_m.T

    At prediction it gives ``n`` rows: the logits ``z`` whose output
    activation ``f_out`` (the loss's) is the members' average, ``f_out(z) =
    (1/k) sum_m f_out(z_m)``, so that ``predict``, ``predict_proba`` and the
    validation loss use the average without knowing of the members:

    * identity (regression): ``z = mean_m z_m``;
    * exp (Poisson): ``z = log mean_m exp(z_m)``;
    * softmax: ``z = log mean_m softmax(z_m)``, the log of the averaged
      probabilities (``softmax(z)`` gives them back, and ``z - logsumexp(z)``
      is their logarithm, accurate where they are tiny);
    * logistic: ``z = log p - log(1 - p)`` with ``p = mean_m expit(z_m)``.

    Each log-mean-exp subtracts its largest term first, so none overflows.

    Parameters
    ----------
    n_in, n_out : int
    n_members : int
    output_activation : activation class
        The loss's output activation (a value of
        :data:`~skscratch.core.activations.OUTPUT_ACTIVATIONS`), which the
        members' outputs are averaged through.
    weight_scale : float, default=1.0

    Attributes
    ----------
    W : ndarray of shape (n_members, n_in, n_out)
    b : ndarray of shape (n_members, n_out)
    """

    kind = "ensemble_output"

    def __init__(self, n_in, n_out, n_members, output_activation, weight_scale=1.0):
        super().__init__(n_in, n_out, Identity, True, weight_scale)
        self.n_members = _check_members(n_members)
        if OUTPUT_ACTIVATIONS.get(getattr(output_activation, "name", None)) is not (
            output_activation
        ):
            raise ValueError(
                f"EnsembleOutput averages through an output activation of "
                f"{sorted(OUTPUT_ACTIVATIONS)}; got {output_activation!r}."
            )
        self.output_activation = output_activation

    def config(self):
        config = {
            "n_in": self.n_in,
            "n_out": self.n_out,
            "n_members": self.n_members,
            "output_activation": self.output_activation.name,
        }
        if self.weight_scale != 1.0:
            config["weight_scale"] = self.weight_scale
        return config

    @classmethod
    def from_config(cls, config, sublayers=()):
        return cls(
            config["n_in"],
            config["n_out"],
            config["n_members"],
            OUTPUT_ACTIVATIONS[config["output_activation"]],
            weight_scale=config.get("weight_scale", 1.0),
        )

    def param_shapes(self):
        k = self.n_members
        return [
            ("W", (k, self.n_in, self.n_out), WEIGHTS),
            ("b", (k, self.n_out), BIASES),
        ]

    def rows_out(self, n_rows, training):
        return n_rows if training else n_rows // self.n_members

    def buffers(self, n_rows, dtype, training, ops=NUMPY):
        empty, k = _allocator(ops, dtype), self.n_members
        return types.SimpleNamespace(
            ops=ops,
            a_in=None,
            z=empty((n_rows, self.n_out)),
            a=None if training else empty((n_rows // k, self.n_out)),
            grad_in=(
                empty((n_rows, self.n_in)) if training and self.needs_input_grad else None
            ),
            # The loss's row weights over the wide batch, and each member's rows.
            ones=ops.ones(n_rows, dtype) if training else None,
            member_ones=ops.ones(n_rows // k, dtype) if training else None,
            backward=training and self.needs_input_grad,
        )

    def forward(self, a_in, buf, mode):
        ops, k, c = buf.ops, self.n_members, self.weight_scale
        buf.a_in = a_in
        z = ops.matmul(_members(a_in, k, ops), self.W, out=_members(buf.z, k, ops))
        if c != 1.0:
            z *= c
        z += self.b[:, None, :]
        if mode.training:
            return _wide(z, ops)
        return self.average(z, ops, out=buf.a)

    def average(self, z, ops=NUMPY, out=None):
        """The logits of the members' average output, from their logits ``z``.

        Parameters
        ----------
        z : ndarray of shape (n_members, n_rows, n_out)
        out : ndarray of shape (n_rows, n_out), default=None

        Returns
        -------
        logits : ndarray of shape (n_rows, n_out)
        """
        xp, name = ops.xp, self.output_activation.name
        if name == "identity":
            mean = xp.mean(z, axis=0)
        elif name == "exp":
            mean = _log_mean_exp(z, xp)
        elif name == "softmax":
            top = xp.max(z, axis=2, keepdims=True)
            log_p = z - (xp.log(xp.sum(xp.exp(z - top), axis=2, keepdims=True)) + top)
            mean = _log_mean_exp(log_p, xp)
        else:  # logistic: log p - log(1 - p), each a log-mean-exp of log-sigmoids
            log_p = _log_mean_exp(-xp.logaddexp(0.0, -z), xp)
            mean = log_p - _log_mean_exp(-xp.logaddexp(0.0, z), xp)
        return ops.copy(mean, out=out)

    def backward(self, grad, buf):
        ops, k, c = buf.ops, self.n_members, self.weight_scale
        delta, a_in = _members(grad, k, ops), _members(buf.a_in, k, ops)
        ops.matmul_into(ops.permute(a_in, (0, 2, 1)), delta, out=self.dW)
        if c != 1.0:
            self.dW *= c
        ops.matmul_into(buf.member_ones, delta, out=self.db)
        if not buf.backward:
            return None
        W_t = ops.permute(self.W, (0, 2, 1))
        grad_in = ops.matmul(delta, W_t, out=_members(buf.grad_in, k, ops))
        if c != 1.0:
            grad_in *= c
        return _wide(grad_in, ops)

    def output_bound(self, bound, ops=NUMPY):
        columns = max(
            ops.largest_column_norm(self.W[m, ...]) for m in range(self.n_members)
        )
        z_bound = bound * columns * self.weight_scale + ops.abs_max(self.b)
        if self.output_activation.name == "softmax":
            # log p of the average lies between 0 and the least member's log p,
            # which is at least -(2 z_bound + log n_out).
            return 2.0 * z_bound + math.log(self.n_out)
        return z_bound  # the other averages lie between the members' least and largest


def _log_mean_exp(x, xp):
    """``log(mean(exp(x), axis=0))``, its largest term subtracted first."""
    top = xp.max(x, axis=0)
    return top + xp.log(xp.mean(xp.exp(x - top[None, ...]), axis=0))


def ensemble_size(layers):
    """``k`` of a network's ensemble (1 without one), its layers checked.

    An ensemble needs one :class:`EnsembleFork` at the top level (not inside a
    residual block) and, last, an :class:`EnsembleOutput` of as many members;
    every :class:`EnsembleDense` comes between them with that many members,
    and no batch normalization comes before the fork (the rows' weights it
    reads are those of the wide batch).

    Parameters
    ----------
    layers : list of Layer
        A network's layers, in forward order.

    Returns
    -------
    n_members : int

    Raises
    ------
    ValueError
        When the ensemble's layers are missing, misplaced or of other sizes.
    """
    leaves = [leaf for layer in layers for leaf in layer.leaves()]
    ensemble = (EnsembleFork, EnsembleDense, EnsembleOutput)
    if not any(isinstance(leaf, ensemble) for leaf in leaves):
        return 1
    forks = [i for i, layer in enumerate(layers) if isinstance(layer, EnsembleFork)]
    n_forks = sum(isinstance(leaf, EnsembleFork) for leaf in leaves)
    if len(forks) != 1 or n_forks != 1 or not isinstance(layers[-1], EnsembleOutput):
        raise ValueError(
            "An ensemble's layers are one EnsembleFork, outside any residual block, and "
            f"an EnsembleOutput last; got {[type(layer).__name__ for layer in layers]}."
        )
    k, fork = layers[forks[0]].n_members, forks[0]
    before = [leaf for layer in layers[:fork] for leaf in layer.leaves()]
    misplaced = [
        type(leaf).__name__ for leaf in before if isinstance(leaf, (*ensemble, BatchNorm))
    ]
    sizes = {leaf.n_members for leaf in leaves if isinstance(leaf, ensemble)}
    if misplaced or sizes != {k}:
        raise ValueError(
            f"Every layer of an ensemble of {k} members comes after its EnsembleFork "
            f"and has {k} members; found {misplaced or sorted(sizes)}."
        )
    return k
