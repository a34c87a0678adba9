"""A network: a sequence of layers, their flat parameter vector, and the loss.

(Over 600 lines because the one batch's path, the flat vectors it writes and
the chunked prediction that reads them are one piece a reader follows together.)

One batch through :meth:`Network.loss_gradient`::

    a = X
    for layer in layers:            a = layer.forward(a, ...)         # z[L] last
    losses, delta = loss.per_sample_and_delta(y, z[L], sample_weight)  # delta[L]
    for layer in reversed(layers):  grad = layer.backward(grad, ...)   # dW[l], db[l]

and an optimizer then updates :attr:`Network.params` from :attr:`Network.grad`.
The layers (:mod:`skscratch.core.layers`) hold the formulas; this module holds
what is common to all of them: the flat vectors, the buffers of a batch, the
L2 penalty, and prediction in chunks.

All parameters live in one flat vector ``params``: every layer's weights
first, then every layer's biases, as scikit-learn packs them. Each layer's
``W`` and ``b`` are reshaped views into it, and ``grad`` is laid out the same
way, so an optimizer updates the whole network with a few vector operations
and L-BFGS gets its parameter vector without copying. The state that is not
trained (batch normalization's running statistics) lives likewise in one
flat vector ``state``, so that a snapshot of the model is two copies.
"""

import types

import numpy as np

from .activations import Identity
from .backend import NUMPY, is_array_api_obj, ops_for
from .layers import (
    BIASES,
    LAYERS,
    PREDICTING,
    STATE_MOMENTUM,
    WEIGHTS,
    Activation,
    Dense,
    Dropout,
    Layer,
    Mode,
    backward_pass,
    check_chain,
    ensemble_size,
    forward_pass,
    from_record,
    to_record,
)
from .losses import LOSSES
from .mlp import check_parametrization, init_factors, initialize_ntk, mlp_layers

#: Elements (rows times widest layer) that one predict chunk may hold.
PREDICT_CHUNK_ELEMENTS = 1 << 20

#: The training modes of unweighted batches, made once (a step makes none).
_TRAINING_MODES = {m: Mode(True, None, m) for m in (STATE_MOMENTUM, None)}


class Network:
    """A multi-layer perceptron: its layers, flat parameters and state, and its loss.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input and output included, e.g. ``(4, 10, 3)``.
    hidden_activations : str or sequence of str
        Activation of the hidden layers: one name for all of them, or one name
        per hidden layer. Names are the keys of
        :data:`skscratch.core.activations.HIDDEN_ACTIVATIONS`.
    loss : str
        Name of the loss (a key of :data:`skscratch.core.losses.LOSSES`); it
        fixes the output activation.
    dtype : {np.float64, np.float32}, default=np.float64
        Floating point type of parameters, gradients and buffers.
    dropout : float or sequence of float, default=0.0
        Probability of zeroing each hidden unit during training (inverted
        dropout): one rate for all hidden layers, or one per hidden layer.
    random_state : int, numpy.random.Generator or None, default=None
        Seeds the dropout masks (see also :meth:`seed_dropout`).
    batch_norm : bool or sequence of bool, default=False
        Batch normalization of the hidden layers' pre-activations.
    residual : bool, default=False
        Identity skips around the hidden layers after the first.
    parametrization : {"standard", "ntk"}, default="standard"
        "ntk" scales each dense layer's ``a_in @ W`` by ``1 / sqrt(n_in)``
        (:mod:`skscratch.core.mlp`); pass the same to :meth:`initialize`.
    ops : NumpyOps or ArrayAPIOps, default=NUMPY
        The array library and device the network computes in
        (:func:`skscratch.core.backend.ops_for` of the data); numpy's by default.

    Attributes
    ----------
    layers : list of Layer
        The layers in forward order (:func:`~skscratch.core.mlp.mlp_layers`);
        :meth:`from_layers` takes any list, e.g. one that starts with an
        :class:`~skscratch.core.layers.Embedding` layer.
    params : ndarray of shape (n_params,)
        All weights then all biases, flattened.
    grad : ndarray of shape (n_params,)
        The gradient of the last :meth:`loss_gradient` call, laid out as ``params``.
    n_coef : int
        Number of weights: ``params[:n_coef]`` is what L2 penalises.
    state : ndarray of shape (n_state,)
        Every layer's untrained state (running statistics), flattened; empty
        for most networks.
    coefs, intercepts : list of ndarray
        Every dense layer's ``W`` and ``b`` (views into ``params``).
    coef_grads, intercept_grads : list of ndarray
        The same views into ``grad``.
    hidden_activation_names : list of str
        The activation of each hidden dense layer (the one that follows it
        after a batch normalization).

    Notes
    -----
    The constructor checks the activation names, their number, the dropout
    rates and the other per-layer choices
    (:func:`~skscratch.core.mlp.mlp_layers`), so the core refuses what it
    cannot build; the estimators call the same checks. :meth:`from_layers`
    builds a network of any layers, new kinds included.

    Examples
    --------
    >>> import numpy as np
    >>> from skscratch.core import Network
    >>> net = Network((2, 3, 1), "tanh", "squared_error")
    >>> net.initialize(np.random.RandomState(0))
    >>> X, y = np.ones((4, 2)), np.zeros((4, 1))
    >>> loss = net.loss_gradient(X, y)
    >>> net.grad.shape
    (13,)
    """

    def __init__(
        self,
        layer_sizes,
        hidden_activations,
        loss,
        dtype=np.float64,
        dropout=0.0,
        random_state=None,
        batch_norm=False,
        residual=False,
        parametrization="standard",
        ops=NUMPY,
    ):
        if len(layer_sizes) < 2:
            raise ValueError("A network needs at least an input and an output layer.")
        rng = np.random.default_rng(random_state)
        layers = mlp_layers(
            layer_sizes,
            hidden_activations,
            dropout,
            rng,
            batch_norm,
            residual,
            parametrization,
        )
        self._assemble(layers, loss, dtype, ops)

    @classmethod
    def from_layers(cls, layers, loss, dtype=np.float64, ops=NUMPY):
        """A network of the given layers, e.g. an embedding before dense layers.

        Parameters
        ----------
        layers : list of Layer
            In forward order; the last one must be a
            :class:`~skscratch.core.layers.Dense` layer with the identity
            activation (its ``z`` are the logits).
            :func:`~skscratch.core.mlp.mlp_layers` makes the layers of a
            multi-layer perceptron.
        loss : str
            Name of the loss (a key of :data:`skscratch.core.losses.LOSSES`).
        dtype : {np.float64, np.float32}, default=np.float64
        ops : NumpyOps or ArrayAPIOps, default=NUMPY
            The array library and device to compute in.

        Returns
        -------
        network : Network

        Examples
        --------
        >>> import numpy as np
        >>> from skscratch.core.layers import Embedding
        >>> from skscratch.core.mlp import mlp_layers
        >>> from skscratch.core.network import Network
        >>> embedding = Embedding(n_numeric=2, n_levels=[5], dims=[3])
        >>> layers = [embedding, *mlp_layers((embedding.n_out, 4, 1), "relu")]
        >>> net = Network.from_layers(layers, "squared_error")
        >>> net.initialize(np.random.RandomState(0))
        >>> X = np.array([[0.5, -1.0, 4], [0.0, 2.0, 0]])  # two numbers, then a code
        >>> net.predict(X).shape
        (2, 1)
        """
        network = cls.__new__(cls)
        network._assemble(list(layers), loss, dtype, ops)
        return network

    def _assemble(self, layers, loss, dtype, ops=NUMPY):
        """Keep ``layers`` and the loss; pack the parameters and state into flat vectors."""
        last = layers[-1] if layers else None
        if not isinstance(last, Dense) or last.activation is not Identity:
            raise ValueError("The last layer must be a Dense layer with no activation.")
        check_chain(layers)
        self.n_members = ensemble_size(layers)
        if self.n_members > 1 and last.output_activation is not LOSSES[loss].out_activation:
            raise ValueError(
                f"The ensemble averages through {last.output_activation.name}, but the "
                f"loss {loss!r} pairs with {LOSSES[loss].out_activation.name}."
            )
        self.layers = layers
        for layer in layers:  # their input is the data, or made from it alone
            layer.needs_input_grad = False
            if any(leaf.param_shapes() for leaf in layer.leaves()):
                break
        self.leaves = [leaf for layer in layers for leaf in layer.leaves()]
        self.dense_layers = [leaf for leaf in self.leaves if isinstance(leaf, Dense)]
        self.layer_sizes = (
            self.dense_layers[0].n_in,
            *(layer.n_out for layer in self.dense_layers),
        )
        self.hidden_activation_names = _hidden_activation_names(self.leaves)
        self.loss = LOSSES[loss]()
        self.dtype = np.dtype(dtype)
        self.ops = ops
        self.params, self.grad, self.n_coef = _pack_params(self.leaves, self.dtype, ops)
        self.state = _pack_state(self.leaves, self.dtype, ops)
        self._workspace = None
        self._l2_scratch = None
        self._first = 0

    def param_layout(self):
        """Where each parameter lies in :attr:`params` (and :attr:`grad`).

        Returns
        -------
        layout : list of (Layer, str, slice, tuple)
            ``(layer, name, where, shape)``: ``params[where]`` is the
            parameter ``name`` of the leaf ``layer``, row-major, of ``shape``,
            in packing order.
        """
        layout, start = [], 0
        for (layer, name, shape, _), size in zip(*_param_entries(self.leaves)):
            layout.append((layer, name, slice(start, start + size), tuple(shape)))
            start += size
        return layout

    @property
    def n_layers(self):
        """Number of layers of units, input and output included (scikit-learn's count)."""
        return len(self.layer_sizes)

    @property
    def output_activation(self):
        """The output activation that the loss pairs with."""
        return self.loss.out_activation

    @property
    def coefs(self):
        return [layer.W for layer in self.dense_layers]

    @property
    def intercepts(self):
        """Every dense layer's ``b`` (None for one without a bias)."""
        return [layer.b for layer in self.dense_layers]

    @property
    def coef_grads(self):
        return [layer.dW for layer in self.dense_layers]

    @property
    def intercept_grads(self):
        return [layer.db for layer in self.dense_layers]

    def seed_dropout(self, seed):
        """Restart the dropout masks' random stream from ``seed``.

        Parameters
        ----------
        seed : int, numpy.random.Generator or None
        """
        rng = np.random.default_rng(seed)
        for layer in self.leaves:
            if isinstance(layer, Dropout):
                layer.rng = rng  # one stream for all, drawn in layer order

    def initialize(self, random_state, factors=None, parametrization="standard"):
        """Draw weights and biases uniformly from ``±sqrt(factor / (fan_in + fan_out))``.

        This is Glorot's initialisation, drawn in the same order (per layer,
        weights then biases) as scikit-learn's MLP so that the same
        ``random_state`` gives the same starting point. With
        ``parametrization="ntk"`` the dense layers start instead as
        :func:`~skscratch.core.mlp.initialize_ntk` sets them (N(0, 1), the
        output layer 0).

        Parameters
        ----------
        random_state : numpy.random.RandomState
            Source of randomness.
        factors : sequence of float, default=None
            One factor per dense layer. By default 2 for a layer whose
            activation is logistic and 6 otherwise (the output layer follows
            the last hidden one). Not used by "ntk".
        parametrization : {"standard", "ntk"}, default="standard"
        """
        check_parametrization(parametrization)
        if parametrization == "ntk":
            initialize_ntk(self.dense_layers, random_state, self.ops)
        else:
            if factors is None:
                factors = init_factors(self.hidden_activation_names)
            for layer, factor in zip(self.dense_layers, factors):
                # The draws are the host's, the same on every namespace.
                bound = np.sqrt(factor / (layer.n_in + layer.n_out))
                for array in (layer.W, layer.b):
                    if array is not None:  # no bias before a batch normalization
                        draw = random_state.uniform(-bound, bound, array.shape)
                        array[...] = self.ops.asarray(draw, dtype=self.dtype)
        # Other layers (embeddings, batch norms, an ensemble's adapters) set
        # theirs after the dense layers' draw, so that it stays scikit-learn's
        # (a plain Dense layer's initialize does nothing).
        for layer in self.leaves:
            layer.initialize(random_state, *_off_numpy(self.ops))

    def set_weights(self, coefs, intercepts):
        """Copy per-layer weights and biases (e.g. a fitted ``coefs_``) into ``params``."""
        for dst, src in zip(self.coefs + self.intercepts, list(coefs) + list(intercepts)):
            if dst is not None:
                dst[...] = self.ops.asarray(src, dtype=self.dtype)

    # ------------------------------------------------------------ the model
    def records(self):
        """The layers as a fitted model keeps them (see :func:`~.layers.to_record`).

        Their arrays are views of :attr:`params` and :attr:`state`: they follow
        training as it goes.
        """
        return [to_record(layer) for layer in self.layers]

    def load_records(self, records):
        """Copy the parameters and state of fitted layer records into this network.

        The layers with parameters or state are matched in forward order, by
        kind, shapes and nesting (inside a residual block or not); layers
        without either (dropout, activations) may differ.

        Raises
        ------
        ValueError
            When the records' layers with parameters or state are not this
            network's, naming the first difference.
        """
        own, given = _trained_records(self.records()), _trained_records(records)
        for i, (mine, theirs) in enumerate(zip(own, given)):
            if _signature(mine) != _signature(theirs):
                raise ValueError(
                    f"Layer {i} with parameters is {_signature(theirs)} in the records "
                    f"but {_signature(mine)} in the network."
                )
        if len(own) != len(given):
            raise ValueError(
                f"{len(given)} layers with parameters in the records, {len(own)} in "
                "the network."
            )
        for (_, mine), (_, theirs) in zip(own, given):
            for group in ("params", "state"):
                for name, array in mine[group].items():
                    array[...] = self.ops.asarray(theirs[group][name], dtype=self.dtype)

    def snapshot(self, out=None):
        """Copies of :attr:`params` and :attr:`state` (into ``out``, a snapshot)."""
        if out is None:
            return self.ops.copy(self.params), self.ops.copy(self.state)
        out[0][...] = self.params
        out[1][...] = self.state
        return out

    def restore(self, snapshot):
        """Set :attr:`params` and :attr:`state` back to a :meth:`snapshot`."""
        self.params[...], self.state[...] = snapshot

    # ------------------------------------------------------------------ training
    def forward(self, X, mode=None, first=0):
        """The logits ``z[L]`` of a batch, keeping in the layers' buffers what
        :meth:`backward` needs.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, layer_sizes[0])
        mode : Mode, default=None
            How the layers run (:class:`~skscratch.core.layers.Mode`); by
            default training, with equal row weights and the running
            statistics updated by
            :data:`~skscratch.core.layers.base.STATE_MOMENTUM`.
        first : int, default=0
            The layer to start at: ``X`` has been through the ones before it
            (the output of :meth:`fixed_front`).

        Returns
        -------
        logits : ndarray of shape (n_samples * n_members, layer_sizes[-1])
            A buffer that the next call overwrites; for an ensemble, each
            member's logits in turn (:mod:`~skscratch.core.layers.ensemble`).
        """
        self._buffers = self._batch_buffers(X.shape[0])
        self._first = first
        mode = Mode(True, None, STATE_MOMENTUM) if mode is None else mode
        return forward_pass(self.layers[first:], X, self._buffers[first:], mode)

    def backward(self, delta_out, l2_scale=0.0):
        """Back-propagate ``delta[L]`` through every layer into :attr:`grad`.

        Parameters
        ----------
        delta_out : ndarray of shape (n_samples, layer_sizes[-1])
            ``dL/dz[L]``, already divided by the sum of the sample weights.
        l2_scale : float, default=0.0
            The L2 term's coefficient ``alpha / sum(sample_weight)``: every
            weight's gradient gains ``l2_scale * W``.
        """
        first = self._first
        backward_pass(self.layers[first:], delta_out, self._buffers[first:])
        if l2_scale:
            # The L2 term of every layer's dW at once: the weights are packed first.
            # Through a scratch vector kept between batches (numpy), so that nothing
            # parameter-sized is allocated per batch (as a fresh temporary would).
            W, dW = self.params[: self.n_coef], self.grad[: self.n_coef]
            if self._l2_scratch is None and self.ops.is_numpy:
                self._l2_scratch = np.empty_like(W)
            dW += self.ops.multiply(W, l2_scale, out=self._l2_scratch)

    def loss_gradient(
        self,
        X,
        y,
        sample_weight=None,
        alpha=0.0,
        state_momentum=STATE_MOMENTUM,
        weight_sum=None,
        first=0,
    ):
        """Loss of a batch and its gradient, written into :attr:`grad`.

        The loss is the sample-weighted mean of the per-sample loss plus the
        L2 penalty ``alpha / 2 * ||W||**2 / sum(sample_weight)`` (biases are
        not penalised), as in scikit-learn. With dropout, each call draws new
        masks. For an ensemble of ``k`` members the targets and weights are
        copied for each member's rows, and the data term is the mean over
        the ``k n`` rows: the mean of the members' losses.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, layer_sizes[0])
        y : ndarray of shape (n_samples, layer_sizes[-1])
            Targets, in the network's dtype.
        sample_weight : ndarray of shape (n_samples,), default=None
        alpha : float, default=0.0
            L2 penalty strength.
        state_momentum : float or None, default=STATE_MOMENTUM
            How far the running statistics move towards this batch's; None
            leaves them (L-BFGS's trial points, gradient checks).
        weight_sum : float, default=None
            ``sample_weight.sum()`` if the caller knows it (on the host: a
            device need not be asked).
        first : int, default=0
            The layer to start at, for a batch of :meth:`fixed_front`'s output.

        Returns
        -------
        loss : float, or a 0-d array for a network off numpy
            Off numpy the value stays on the device, so that training does not
            wait for it at every batch; ``float(loss)`` reads it.
        """
        if sample_weight is None:
            sw_sum, mode = X.shape[0], _TRAINING_MODES.get(state_momentum)
        else:
            sw_sum = float(sample_weight.sum()) if weight_sum is None else weight_sum
            mode = None
        ops, k = self.ops, self.n_members
        if k > 1:  # every member's rows
            y, sample_weight = _member_rows(y, k, ops), _member_rows(sample_weight, k, ops)
        rows_sum = k * sw_sum  # the weight of the k n rows
        if mode is None:
            shares = None if sample_weight is None else sample_weight / rows_sum
            mode = Mode(True, shares if self.state.shape[0] else None, state_momentum)
        logits = self.forward(X, mode, first)
        losses, delta = self.loss.per_sample_and_delta(y, logits, sample_weight, ops)
        ones = self._buffers[-1].ones  # the output layer is dense
        weights = ones if sample_weight is None else sample_weight
        loss = ops.dot_value(weights, losses) / rows_sum
        if alpha:
            W = self.params[: self.n_coef]
            loss = loss + 0.5 * alpha * ops.dot_value(W, W) / sw_sum
        delta *= 1.0 / rows_sum
        self.backward(delta, alpha / sw_sum)
        return loss

    def fixed_front(self, X):
        """``X`` through the network's leading fixed layers, and their number.

        Those layers (:attr:`~skscratch.core.layers.Layer.fixed`: the input
        layers that impute and scale) give each row the same output at every
        epoch, so a stochastic fit runs them once over its training rows and
        starts every batch after them (``loss_gradient(..., first=n)``): the
        same numbers, computed once instead of once per epoch. A sparse ``X``
        is returned as it is, with 0 (the layers would make it dense).

        Returns
        -------
        X_front : array of shape (n_samples, n_out of the last fixed layer)
        n : int
        """
        n = 0
        while n < len(self.layers) - 1 and self.layers[n].fixed:
            n += 1
        if not n or not (isinstance(X, np.ndarray) or is_array_api_obj(X)):
            return X, 0
        front = self.layers[:n]
        n_rows, ops = X.shape[0], _off_numpy(self.ops)
        buffers = [layer.buffers(n_rows, self.dtype, False, *ops) for layer in front]
        return forward_pass(front, X, buffers, PREDICTING), n

    def fit_state(self, X, sample_weight=None):
        """Set the running statistics to those of ``X`` (the whole training set).

        One forward pass in training mode that replaces each batch
        normalization's running mean and variance by the (weighted) statistics
        of ``X``: what a full-batch fit (L-BFGS) predicts with. Nothing to do
        for a network without state.
        """
        if not self.state.shape[0]:
            return
        shares = None if sample_weight is None else sample_weight / sample_weight.sum()
        if shares is not None and self.n_members > 1:
            shares = _member_rows(shares, self.n_members, self.ops) / self.n_members
        self.forward(X, Mode(True, shares, 1.0))

    def _batch_buffers(self, n_rows):
        """Every layer's training buffers for ``n_rows``, allocated once per size.

        They grow only when a larger batch arrives; a smaller batch (the last
        of an epoch) uses views of the first rows, which stay C-contiguous, so
        ``np.dot(..., out=)`` accepts them.
        """
        ws = self._workspace
        if ws is None or ws.capacity < n_rows:
            buffers = _layer_buffers(self.layers, n_rows, self.dtype, True, self.ops)
            ws = self._workspace = types.SimpleNamespace(
                capacity=n_rows, full=buffers, head=None
            )
        if n_rows == ws.capacity:
            return ws.full
        if ws.head is None or ws.head[0] != n_rows:
            ws.head = (n_rows, [_first_rows(buf, n_rows, ws.capacity) for buf in ws.full])
        return ws.head[1]

    # ---------------------------------------------------------------- prediction
    def output_bound(self, max_abs_input):
        """An upper bound on ``|z|`` for every unit of every layer, logits included.

        Each layer bounds its output from a bound on its input
        (:meth:`~skscratch.core.layers.Layer.output_bound`). It costs one pass
        over the weights, against a forward pass over the data for checking
        the outputs.

        Parameters
        ----------
        max_abs_input : float
            The largest absolute value in the inputs.

        Returns
        -------
        bound : float
            May be ``inf`` (the bound itself overflowed), never NaN for finite weights.
        """
        bound = float(max_abs_input)
        with np.errstate(over="ignore", invalid="ignore"):
            for layer in self.layers:
                bound = layer.output_bound(bound, *_off_numpy(self.ops))
        return bound

    def predicts_finite(self, X):
        """True when the network's output on ``X`` is finite everywhere.

        Tries the cheap :meth:`output_bound` first (finite logits give finite
        outputs for every output activation here) and runs the forward pass
        only when the bound cannot tell.
        """
        max_abs = self.ops.abs_max(X.data if hasattr(X, "nnz") else X)  # sparse: its data
        # A wide margin below the largest float absorbs rounding in the sums.
        bound = self.output_bound(max_abs)
        if bound < 1e-3 * float(np.finfo(self.dtype).max):
            return True
        with np.errstate(over="ignore", invalid="ignore"):
            return self.ops.all_finite(self.predict(X))

    def predict(self, X):
        """Output of the network (after the output activation) for ``X``."""
        return predict_chunked(self.layers, self.output_activation, X)


def predict_chunked(layers, output_activation, X):
    """The output for ``X``, computed in row chunks so memory does not grow with X.

    Only reads the layers' parameters: the buffers belong to this call, so one
    fitted model can predict from many threads.

    Parameters
    ----------
    layers : list of Layer
        E.g. a fitted model's, from :func:`layers_from_records`.
    output_activation : activation class
    X : ndarray or sparse matrix of shape (n_samples, n_features)

    Returns
    -------
    output : ndarray of shape (n_samples, n_outputs)
    """
    n_samples = X.shape[0]
    ops = ops_for(X)
    dtype = ops.result_dtype(X, layers[-1].W)
    # Units per sample: an ensemble's layers hold k rows of each.
    widest, rows = 0, 1
    for layer in layers:
        rows = layer.rows_out(rows, False)
        widest = max(widest, layer.n_out * rows)
    chunk = max(1, min(n_samples, PREDICT_CHUNK_ELEMENTS // widest))
    output = ops.empty((n_samples, layers[-1].n_out), dtype)
    buffers = _layer_buffers(layers, chunk, dtype, False, ops)
    for start in range(0, n_samples, chunk):
        X_chunk = ops.rows(X, slice(start, min(start + chunk, n_samples)))
        n = X_chunk.shape[0]
        chunk_buffers = (
            buffers if n == chunk else [_first_rows(b, n, chunk) for b in buffers]
        )
        logits = forward_pass(layers, X_chunk, chunk_buffers, PREDICTING)
        output[start : start + n, ...] = output_activation.forward(logits, ops)
    return output


def _layer_buffers(layers, n_rows, dtype, training, ops):
    """Every layer's buffers for a batch of ``n_rows``, each for the rows it takes."""
    buffers = []
    for layer in layers:
        buffers.append(layer.buffers(n_rows, dtype, training, *_off_numpy(ops)))
        n_rows = layer.rows_out(n_rows, training)
    return buffers


def _member_rows(array, k, ops):
    """``array`` (targets, weights) once for each member's rows; None stays None."""
    return None if array is None else ops.concat([array] * k, axis=0)


def _off_numpy(ops):
    """``(ops,)`` to pass a layer off numpy, ``()`` on numpy: a layer written
    for numpy alone (with no ``ops`` argument) works as it did."""
    return () if ops.is_numpy else (ops,)


def layers_from_records(records):
    """The layers of a fitted model, reading its records' arrays (no copy)."""
    return [from_record(record) for record in records]


def describe(records):
    """A short description of layer records, for error messages: kinds and widths."""
    parts = []
    for record in records:
        shapes = [np.shape(a) for a in record["params"].values()]
        inner = f"[{describe(record['layers'])}]" if record.get("layers") else ""
        parts.append(f"{record['kind']}{shapes if shapes else ''}{inner}")
    return ", ".join(parts)


def _trained_records(records, depth=0):
    """``[(depth, record)]`` of the records with parameters or state, in forward order."""
    found = []
    for record in records:
        if record["params"] or record["state"]:
            found.append((depth, record))
        found.extend(_trained_records(record.get("layers", ()), depth + 1))
    return found


def _signature(entry):
    depth, record = entry
    shapes = {
        group: {k: np.shape(a) for k, a in record[group].items()}
        for group in ("params", "state")
    }
    signature = (record["kind"], depth, shapes["params"], shapes["state"])
    if issubclass(LAYERS.get(record["kind"], Layer), Dense):
        # W means another map under another parametrization
        signature += ({"weight_scale": record["config"].get("weight_scale", 1.0)},)
    return signature


def _hidden_activation_names(leaves):
    """The activation each hidden dense layer leads to: its own, or the
    :class:`~skscratch.core.layers.Activation` that follows it."""
    names = []
    for i, layer in enumerate(leaves):
        if not isinstance(layer, Dense) or layer is leaves[-1]:
            continue
        name = layer.activation.name
        for after in leaves[i + 1 :]:
            if name != "identity" or isinstance(after, Dense):
                break
            if isinstance(after, Activation):
                name = after.activation.name
        names.append(name)
    return names


def _pack_params(layers, dtype, ops=NUMPY):
    """Allocate the flat parameter and gradient vectors; bind every layer to its views.

    Parameters are packed by group, weights before biases, each group in
    layer order: for dense layers that is scikit-learn's packing.

    Returns
    -------
    params, grad : ndarray
    n_weights : int
    """
    entries, sizes = _param_entries(layers)
    n_weights = sum(size for size, entry in zip(sizes, entries) if entry[3] == WEIGHTS)
    params = ops.zeros(sum(sizes), dtype)
    grad = ops.zeros(sum(sizes), dtype)
    views = _views(params, entries, sizes, ops), _views(grad, entries, sizes, ops)
    for layer in layers:
        layer.bind(views[0][id(layer)], views[1][id(layer)])
    return params, grad, n_weights


def _param_entries(layers):
    """``[(layer, name, shape, group)]`` of the parameters in packing order (by
    group, weights before biases, each group in layer order), and their sizes."""
    entries = [
        (layer, name, shape, group)
        for group in (WEIGHTS, BIASES)
        for layer in layers
        for name, shape, kind in layer.param_shapes()
        if kind == group
    ]
    return entries, [int(np.prod(shape)) for _, _, shape, _ in entries]


def _pack_state(layers, dtype, ops=NUMPY):
    """Allocate the flat state vector and bind every layer to its views of it."""
    entries = [
        (layer, name, shape, None)
        for layer in layers
        for name, shape in layer.state_shapes()
    ]
    sizes = [int(np.prod(shape)) for _, _, shape, _ in entries]
    state = ops.zeros(sum(sizes), dtype)
    views = _views(state, entries, sizes, ops)
    for layer in layers:
        layer.bind_state(views[id(layer)])
    return state


def _views(flat, entries, sizes, ops=NUMPY):
    """``{id(layer): {name: view of flat}}`` for consecutive ``entries`` of ``sizes``."""
    views = {id(entry[0]): {} for entry in entries}
    start = 0
    for (layer, name, shape, _), size in zip(entries, sizes):
        views[id(layer)][name] = ops.xp.reshape(flat[start : start + size], shape)
        start += size
    return _DefaultEmpty(views)


class _DefaultEmpty(dict):
    """A dict of views by layer that gives an empty dict for a layer with none."""

    def __missing__(self, key):
        return {}


def _first_rows(buf, n_rows, capacity):
    """The same buffers of a batch of ``capacity`` rows, cut to the first ``n_rows``
    (those of held layers too).

    An array of ``capacity`` rows keeps ``n_rows``; one of ``k`` times as many
    (an ensemble's wide batch, ``k`` blocks of ``capacity`` rows) keeps ``k
    n_rows``, ``k`` blocks of ``n_rows``, which the layers read as the smaller
    batch's blocks.
    """
    if isinstance(buf, list):
        return [_first_rows(b, n_rows, capacity) for b in buf]
    fields = {}
    for key, value in vars(buf).items():
        if isinstance(value, np.ndarray) or is_array_api_obj(value):
            value = value[: value.shape[0] * n_rows // capacity, ...]
        elif isinstance(value, (list, types.SimpleNamespace)):
            value = _first_rows(value, n_rows, capacity)
        fields[key] = value
    return types.SimpleNamespace(**fields)
