"""A network: a sequence of layers, their flat parameter vector, and the loss.

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
and L-BFGS gets its parameter vector without copying.
"""

import types

import numpy as np
import scipy.sparse as sp

from .activations import HIDDEN_ACTIVATIONS, Identity
from .layers import BIASES, WEIGHTS, Dense, Dropout, Embedding
from .losses import LOSSES

#: Elements (rows times widest layer) that one predict chunk may hold.
PREDICT_CHUNK_ELEMENTS = 1 << 20


class Network:
    """A multi-layer perceptron: dense layers, optional dropout, flat parameters.

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

    Attributes
    ----------
    layers : list of Layer
        :class:`~skscratch.core.layers.Dense` layers, each hidden one followed
        by a :class:`~skscratch.core.layers.Dropout` layer where its rate is > 0
        (see :func:`mlp_layers`); :meth:`from_layers` takes any list, e.g. one
        that starts with an :class:`~skscratch.core.layers.Embedding` layer.
    params : ndarray of shape (n_params,)
        All weights then all biases, flattened.
    grad : ndarray of shape (n_params,)
        The gradient of the last :meth:`loss_gradient` call, laid out as ``params``.
    n_coef : int
        Number of weights: ``params[:n_coef]`` is what L2 penalises.
    coefs, intercepts : list of ndarray
        Every dense layer's ``W`` and ``b`` (views into ``params``).
    coef_grads, intercept_grads : list of ndarray
        The same views into ``grad``.
    hidden_activations : list of activation classes
        One per hidden dense layer.

    Notes
    -----
    The core trusts its caller: the estimators check the activation names,
    their number and the dropout rates, with messages in the terms of their
    own parameters (``skscratch._spec``). :meth:`from_layers` builds a
    network of any layers, new kinds included.

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
    ):
        self.layer_sizes = tuple(int(n) for n in layer_sizes)
        n_hidden = len(self.layer_sizes) - 2
        if n_hidden < 0:
            raise ValueError("A network needs at least an input and an output layer.")
        names = per_hidden_layer_activations(hidden_activations, n_hidden)
        dropout = per_hidden_layer_dropout(dropout, n_hidden)
        rng = np.random.default_rng(random_state)
        layers = mlp_layers(self.layer_sizes, names, dropout, rng)
        self._assemble(layers, loss, dtype)

    @classmethod
    def from_layers(cls, layers, loss, dtype=np.float64):
        """A network of the given layers, e.g. an embedding before dense layers.

        Parameters
        ----------
        layers : list of Layer
            In forward order; the last one must be a
            :class:`~skscratch.core.layers.Dense` layer with the identity
            activation (its ``z`` are the logits). :func:`mlp_layers` makes the
            dense and dropout layers of a multi-layer perceptron.
        loss : str
            Name of the loss (a key of :data:`skscratch.core.losses.LOSSES`).
        dtype : {np.float64, np.float32}, default=np.float64

        Returns
        -------
        network : Network

        Examples
        --------
        >>> import numpy as np
        >>> from skscratch.core.layers import Embedding
        >>> from skscratch.core.network import Network, mlp_layers
        >>> embedding = Embedding(n_numeric=2, n_levels=[5], dims=[3])
        >>> layers = [embedding, *mlp_layers((embedding.n_out, 4, 1), "relu")]
        >>> net = Network.from_layers(layers, "squared_error")
        >>> net.initialize(np.random.RandomState(0))
        >>> X = np.array([[0.5, -1.0, 4], [0.0, 2.0, 0]])  # two numbers, then a code
        >>> net.predict(X).shape
        (2, 1)
        """
        layers = list(layers)
        last = layers[-1] if layers else None
        if not isinstance(last, Dense) or last.activation is not Identity:
            raise ValueError("The last layer must be a Dense layer with no activation.")
        for below, above in zip(layers[:-1], layers[1:]):
            if below.n_out != above.n_in:
                raise ValueError(
                    f"{type(below).__name__} gives {below.n_out} units to "
                    f"{type(above).__name__}, which takes {above.n_in}."
                )
        dense = [layer for layer in layers if isinstance(layer, Dense)]
        network = cls.__new__(cls)
        network.layer_sizes = (dense[0].n_in, *(layer.n_out for layer in dense))
        network._assemble(layers, loss, dtype)
        return network

    def _assemble(self, layers, loss, dtype):
        """Keep ``layers`` and the loss, and pack the parameters into flat vectors."""
        self.layers = layers
        self.layers[0].needs_input_grad = False  # its input is the data
        self.dense_layers = [layer for layer in layers if isinstance(layer, Dense)]
        self.hidden_activations = [layer.activation for layer in self.dense_layers[:-1]]
        self.loss = LOSSES[loss]()
        self.dtype = np.dtype(dtype)
        self.params, self.grad, self.n_coef = self._pack(self.layers, self.dtype)
        self._workspace = None
        self._l2_scratch = None

    @staticmethod
    def _pack(layers, dtype):
        """Allocate the flat vectors and bind every layer to its views of them.

        Parameters are packed by group, weights before biases, each group in
        layer order: for dense layers that is scikit-learn's packing.
        """
        entries = [
            (layer, name, shape, group)
            for group in (WEIGHTS, BIASES)
            for layer in layers
            for name, shape, kind in layer.param_shapes()
            if kind == group
        ]
        sizes = [int(np.prod(shape)) for _, _, shape, _ in entries]
        n_weights = sum(size for size, entry in zip(sizes, entries) if entry[3] == WEIGHTS)
        params = np.zeros(sum(sizes), dtype=dtype)
        grad = np.zeros(sum(sizes), dtype=dtype)
        views = {id(layer): ({}, {}) for layer in layers}
        start = 0
        for (layer, name, shape, _), size in zip(entries, sizes):
            param_views, grad_views = views[id(layer)]
            param_views[name] = params[start : start + size].reshape(shape)
            grad_views[name] = grad[start : start + size].reshape(shape)
            start += size
        for layer in layers:
            layer.bind(*views[id(layer)])
        return params, grad, n_weights

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
        for layer in self.layers:
            if isinstance(layer, Dropout):
                layer.rng = rng  # one stream for all, drawn in layer order

    def initialize(self, random_state, factors=None):
        """Draw weights and biases uniformly from ``±sqrt(factor / (fan_in + fan_out))``.

        This is Glorot's initialisation, drawn in the same order (per layer,
        weights then biases) as scikit-learn's MLP so that the same
        ``random_state`` gives the same starting point.

        Parameters
        ----------
        random_state : numpy.random.RandomState
            Source of randomness.
        factors : sequence of float, default=None
            One factor per dense layer. By default 2 for a layer whose
            activation is logistic and 6 otherwise (the output layer follows
            the last hidden one).
        """
        if factors is None:
            factors = init_factors([act.name for act in self.hidden_activations])
        for layer, factor in zip(self.dense_layers, factors):
            bound = np.sqrt(factor / (layer.n_in + layer.n_out))
            layer.W[...] = random_state.uniform(-bound, bound, layer.W.shape)
            layer.b[...] = random_state.uniform(-bound, bound, layer.b.shape)
        # Other layers with parameters (embeddings) draw theirs after the dense
        # layers, so that the dense layers' draw stays scikit-learn's.
        for layer in self.layers:
            if not isinstance(layer, Dense):
                layer.initialize(random_state)

    def set_weights(self, coefs, intercepts):
        """Copy per-layer weights and biases (e.g. a fitted ``coefs_``) into ``params``."""
        for dst, src in zip(self.coefs + self.intercepts, list(coefs) + list(intercepts)):
            dst[...] = src

    # ------------------------------------------------------------------ training
    def forward(self, X, training=True):
        """The logits ``z[L]`` of a batch, keeping in the layers' buffers what
        :meth:`backward` needs.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, layer_sizes[0])
        training : bool, default=True
            Dropout is active only while training.

        Returns
        -------
        logits : ndarray of shape (n_samples, layer_sizes[-1])
            A buffer that the next call overwrites.
        """
        self._buffers = self._batch_buffers(X.shape[0])
        return forward_pass(self.layers, X, self._buffers, training)

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
        grad = delta_out
        for layer, buf in zip(reversed(self.layers), reversed(self._buffers)):
            grad = layer.backward(grad, buf)
        if l2_scale:
            # The L2 term of every layer's dW at once: the weights are packed first.
            # Through a scratch vector kept between batches, so that nothing
            # parameter-sized is allocated per batch (as a fresh temporary would).
            W, dW = self.params[: self.n_coef], self.grad[: self.n_coef]
            if self._l2_scratch is None:
                self._l2_scratch = np.empty_like(W)
            np.add(dW, np.multiply(W, l2_scale, out=self._l2_scratch), out=dW)

    def loss_gradient(self, X, y, sample_weight=None, alpha=0.0):
        """Loss of a batch and its gradient, written into :attr:`grad`.

        The loss is the sample-weighted mean of the per-sample loss plus the
        L2 penalty ``alpha / 2 * ||W||**2 / sum(sample_weight)`` (biases are
        not penalised), as in scikit-learn. With dropout, each call draws new
        masks.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, layer_sizes[0])
        y : ndarray of shape (n_samples, layer_sizes[-1])
            Targets, in the network's dtype.
        sample_weight : ndarray of shape (n_samples,), default=None
        alpha : float, default=0.0
            L2 penalty strength.

        Returns
        -------
        loss : float
        """
        logits = self.forward(X)
        losses, delta = self.loss.per_sample_and_delta(y, logits, sample_weight)
        ones = self._buffers[-1].ones  # the output layer is dense
        if sample_weight is None:
            sw_sum = X.shape[0]
            loss = float(np.dot(ones, losses)) / sw_sum
        else:
            sw_sum = float(sample_weight.sum())
            loss = float(np.dot(sample_weight, losses)) / sw_sum
        if alpha:
            W = self.params[: self.n_coef]
            loss += 0.5 * alpha * float(np.dot(W, W)) / sw_sum
        delta *= 1.0 / sw_sum
        self.backward(delta, alpha / sw_sum)
        return loss

    def _batch_buffers(self, n_rows):
        """Every layer's training buffers for ``n_rows``, allocated once per size.

        They grow only when a larger batch arrives; a smaller batch (the last
        of an epoch) uses views of the first rows, which stay C-contiguous, so
        ``np.dot(..., out=)`` accepts them.
        """
        ws = self._workspace
        if ws is None or ws.capacity < n_rows:
            buffers = [layer.buffers(n_rows, self.dtype, True) for layer in self.layers]
            ws = self._workspace = types.SimpleNamespace(
                capacity=n_rows, full=buffers, head=None
            )
        if n_rows == ws.capacity:
            return ws.full
        if ws.head is None or ws.head[0] != n_rows:
            ws.head = (n_rows, [_first_rows(buf, n_rows) for buf in ws.full])
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
        for layer in self.layers:
            bound = layer.output_bound(bound)
        return bound

    def predicts_finite(self, X):
        """True when the network's output on ``X`` is finite everywhere.

        Tries the cheap :meth:`output_bound` first (finite logits give finite
        outputs for every output activation here) and runs the forward pass
        only when the bound cannot tell.
        """
        if sp.issparse(X):
            max_abs = float(np.abs(X.data).max()) if X.nnz else 0.0
        else:
            max_abs = max(abs(float(X.max())), abs(float(X.min()))) if X.size else 0.0
        # A wide margin below the largest float absorbs rounding in the sums.
        if self.output_bound(max_abs) < 1e-3 * float(np.finfo(self.dtype).max):
            return True
        with np.errstate(over="ignore", invalid="ignore"):
            return bool(np.isfinite(self.predict(X)).all())

    def predict(self, X):
        """Output of the network (after the output activation) for ``X``."""
        return predict_chunked(self.layers, self.output_activation, X)


def forward_pass(layers, X, buffers, training):
    """The one forward pass: each layer's output is the next one's input.

    Training and prediction both run it; prediction with ``training=False``
    and buffers of its own, so that it only reads the layers' parameters.
    """
    a = X
    for layer, buf in zip(layers, buffers):
        a = layer.forward(a, buf, training)
    return a


def predict_chunked(layers, output_activation, X):
    """The output for ``X``, computed in row chunks so memory does not grow with X.

    Only reads the layers' parameters: the buffers belong to this call, so one
    fitted model can predict from many threads.
    """
    n_samples = X.shape[0]
    dtype = np.result_type(X.dtype, layers[-1].W.dtype)
    widest = max(layer.n_out for layer in layers)
    chunk = max(1, min(n_samples, PREDICT_CHUNK_ELEMENTS // widest))
    output = np.empty((n_samples, layers[-1].n_out), dtype=dtype)
    buffers = [layer.buffers(chunk, dtype, False) for layer in layers]
    for start in range(0, n_samples, chunk):
        X_chunk = X[start : start + chunk]
        n = X_chunk.shape[0]
        chunk_buffers = buffers if n == chunk else [_first_rows(b, n) for b in buffers]
        logits = forward_pass(layers, X_chunk, chunk_buffers, training=False)
        output[start : start + n] = output_activation.forward(logits)
    return output


def predict_output(
    X, coefs, intercepts, hidden_activations, output_activation, embedding=None
):
    """Forward pass of fitted weights, for prediction (see :func:`predict_chunked`).

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    coefs, intercepts : list of ndarray
        Per-layer weights and biases.
    hidden_activations : list of activation classes
        One per hidden layer.
    output_activation : activation class
    embedding : tuple (n_numeric, tables), default=None
        Fitted embedding tables, for ``X`` that holds ``n_numeric`` numeric
        columns then one column of category codes per table (see
        :class:`~skscratch.core.layers.Embedding`).

    Returns
    -------
    output : ndarray of shape (n_samples, n_outputs)
    """
    activations = [*hidden_activations, Identity]
    layers = [
        Dense.from_arrays(W, b, act) for W, b, act in zip(coefs, intercepts, activations)
    ]
    if embedding is not None:
        layers.insert(0, Embedding.from_arrays(*embedding))
    return predict_chunked(layers, output_activation, X)


def mlp_layers(layer_sizes, hidden_activations, dropout=0.0, rng=None):
    """The layers of a multi-layer perceptron, for :meth:`Network.from_layers`.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input and output included.
    hidden_activations : str or sequence of str
        One name for every hidden layer, or one name per hidden layer.
    dropout : float or sequence of float, default=0.0
        One rate for every hidden layer, or one per hidden layer.
    rng : numpy.random.Generator, default=None
        Draws the dropout masks, shared by every dropout layer.

    Returns
    -------
    layers : list of Layer
        A :class:`~skscratch.core.layers.Dense` layer per pair of consecutive
        sizes (the last one without activation), each hidden one followed by
        a :class:`~skscratch.core.layers.Dropout` layer where its rate is > 0.
    """
    n_hidden = len(layer_sizes) - 2
    hidden_activations = per_hidden_layer_activations(hidden_activations, n_hidden)
    dropout = per_hidden_layer_dropout(dropout, n_hidden)
    rng = np.random.default_rng() if rng is None else rng
    layers = []
    for i, (n_in, n_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
        hidden = i < n_hidden
        activation = HIDDEN_ACTIVATIONS[hidden_activations[i]] if hidden else Identity
        layers.append(Dense(n_in, n_out, activation))
        if hidden and dropout[i]:
            layers.append(Dropout(n_out, dropout[i], rng))
    return layers


def per_hidden_layer_activations(activation, n_hidden):
    """One activation name per hidden layer: the names' only check.

    Parameters
    ----------
    activation : str or sequence of str
        One name for every hidden layer, or one name per hidden layer (keys of
        :data:`skscratch.core.activations.HIDDEN_ACTIVATIONS`).
    n_hidden : int

    Returns
    -------
    names : list of str
    """
    names = [activation] * n_hidden if isinstance(activation, str) else list(activation)
    unknown = [name for name in names if not isinstance(name, str)]
    unknown = unknown or [name for name in names if name not in HIDDEN_ACTIVATIONS]
    if unknown:
        raise ValueError(
            f"Unknown activation {unknown[0]!r} in activation={activation!r}; choose "
            f"from {sorted(HIDDEN_ACTIVATIONS)}."
        )
    if len(names) != n_hidden:
        raise ValueError(
            f"activation lists {len(names)} names for {n_hidden} hidden layers; "
            "give one per layer."
        )
    return names


def per_hidden_layer_dropout(dropout, n_hidden):
    """One dropout rate in [0, 1) per hidden layer: the rates' only check.

    Parameters
    ----------
    dropout : float or sequence of float
    n_hidden : int

    Returns
    -------
    rates : list of float
    """
    if np.ndim(dropout) == 0:
        rates = [dropout] * n_hidden
    else:
        try:
            rates = np.asarray(dropout, dtype=float).ravel().tolist()
        except (TypeError, ValueError):
            rates = None
    try:
        valid = len(rates) == n_hidden and all(0 <= float(r) < 1 for r in rates)
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValueError(
            f"dropout needs one rate in [0, 1) per hidden layer ({n_hidden}); "
            f"got {dropout!r}."
        )
    return [float(r) for r in rates]


def init_factors(hidden_activation_names, fallback="identity"):
    """Glorot's factor per dense layer: 2 after a logistic layer, else 6.

    Each hidden layer takes the factor of its own activation, and the output
    layer that of the last hidden layer (scikit-learn's rule).

    Parameters
    ----------
    hidden_activation_names : sequence of str
    fallback : str, default="identity"
        The output layer's activation name to use when there is no hidden
        layer to follow. scikit-learn uses its ``activation`` parameter
        there (so 2 for ``hidden_layer_sizes=()`` with
        ``activation="logistic"``); the estimators pass it.

    Returns
    -------
    factors : list of float
    """
    names = list(hidden_activation_names)
    names.append(names[-1] if names else fallback)
    return [2.0 if name == "logistic" else 6.0 for name in names]


def _first_rows(buf, n_rows):
    """The same buffers, cut to their first ``n_rows`` rows."""
    return types.SimpleNamespace(
        **{
            key: value[:n_rows] if isinstance(value, np.ndarray) else value
            for key, value in vars(buf).items()
        }
    )
