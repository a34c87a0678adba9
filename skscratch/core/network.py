"""A fully connected feed-forward network: parameters, forward and backward passes.

Notation (the user guide uses the same): layer ``i`` maps its input
``a[i]`` to ``a[i + 1] = f_i(z[i + 1])`` with ``z[i + 1] = a[i] @ W[i] + b[i]``;
``a[0]`` is the input batch ``X`` and the last ``z`` are the logits that the
loss reads. Back-propagation runs the chain rule from the loss down::

    delta[L]     = (f_out(z[L]) - y) * sample_weight / sum(sample_weight)
    dW[i]        = a[i].T @ delta[i + 1] + alpha / sum(sample_weight) * W[i]
    db[i]        = delta[i + 1].sum(axis=0)
    delta[i]     = (delta[i + 1] @ W[i].T) * f_{i-1}'(z[i])

All parameters live in one flat vector ``params`` (every layer's weights
first, then every layer's biases, as scikit-learn packs them); ``coefs`` and
``intercepts`` are reshaped views into it, and ``grad`` is laid out the same
way. An optimizer therefore updates the whole network with a few vector
operations, and L-BFGS gets its parameter vector without copying.
"""

import numpy as np
import scipy.sparse as sp

from .activations import HIDDEN_ACTIVATIONS
from .losses import LOSSES

#: Elements (rows times widest layer) that one predict chunk may hold.
PREDICT_CHUNK_ELEMENTS = 1 << 20


class Network:
    """A multi-layer perceptron with flat parameter and gradient vectors.

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
        Seeds the dropout masks.

    Attributes
    ----------
    params : ndarray of shape (n_params,)
        All weights then all biases, flattened.
    grad : ndarray of shape (n_params,)
        The gradient of the last :meth:`loss_gradient` call, laid out as ``params``.
    coefs, intercepts : list of ndarray
        Per-layer views into ``params``: ``coefs[i]`` has shape
        ``(layer_sizes[i], layer_sizes[i + 1])``.
    coef_grads, intercept_grads : list of ndarray
        The same views into ``grad``.

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
        if isinstance(hidden_activations, str):
            hidden_activations = [hidden_activations] * n_hidden
        if len(hidden_activations) != n_hidden:
            raise ValueError(
                f"Got {len(hidden_activations)} hidden activations for "
                f"{n_hidden} hidden layers."
            )
        self.hidden_activations = [HIDDEN_ACTIVATIONS[name] for name in hidden_activations]
        if np.ndim(dropout) == 0:
            dropout = [dropout] * n_hidden
        if len(dropout) != n_hidden or not all(0 <= rate < 1 for rate in dropout):
            raise ValueError(
                f"dropout needs one rate in [0, 1) per hidden layer ({n_hidden}); "
                f"got {dropout!r}."
            )
        self.dropout = [float(rate) for rate in dropout]
        self.dropout_rng = np.random.default_rng(random_state)
        self.loss = LOSSES[loss]()
        self.dtype = np.dtype(dtype)

        shapes = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        self.n_coef = sum(n_in * n_out for n_in, n_out in shapes)
        n_params = self.n_coef + sum(self.layer_sizes[1:])
        self.params = np.zeros(n_params, dtype=self.dtype)
        self.grad = np.zeros(n_params, dtype=self.dtype)
        self.coefs, self.intercepts = self._layer_views(self.params)
        self.coef_grads, self.intercept_grads = self._layer_views(self.grad)
        self._buffers = None

    @property
    def n_layers(self):
        """Number of layers, input and output included."""
        return len(self.layer_sizes)

    @property
    def output_activation(self):
        """The output activation that the loss pairs with."""
        return self.loss.out_activation

    def _layer_views(self, flat):
        coefs, intercepts = [], []
        start = 0
        for n_in, n_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:]):
            coefs.append(flat[start : start + n_in * n_out].reshape(n_in, n_out))
            start += n_in * n_out
        for n_out in self.layer_sizes[1:]:
            intercepts.append(flat[start : start + n_out])
            start += n_out
        return coefs, intercepts

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
            One factor per layer. By default 2 for a layer whose activation is
            logistic and 6 otherwise (the output layer follows the last hidden one).
        """
        if factors is None:
            names = [act.name for act in self.hidden_activations]
            names.append(names[-1] if names else "identity")
            factors = [2.0 if name == "logistic" else 6.0 for name in names]
        for coef, intercept, factor in zip(self.coefs, self.intercepts, factors):
            n_in, n_out = coef.shape
            bound = np.sqrt(factor / (n_in + n_out))
            coef[...] = random_state.uniform(-bound, bound, (n_in, n_out))
            intercept[...] = random_state.uniform(-bound, bound, n_out)

    def set_weights(self, coefs, intercepts):
        """Copy per-layer weights and biases (e.g. a fitted ``coefs_``) into ``params``."""
        for dst, src in zip(self.coefs + self.intercepts, list(coefs) + list(intercepts)):
            dst[...] = src

    # ------------------------------------------------------------------ training
    def _workspace(self, n_rows):
        """Training buffers for a batch of ``n_rows``, reused between batches.

        They grow only when a larger batch arrives; a smaller batch uses the
        first rows, which stay C-contiguous, so ``np.dot(..., out=)`` accepts them.
        """
        if self._buffers is None or self._buffers.capacity < n_rows:
            self._buffers = _Workspace(self, n_rows)
        if n_rows == self._buffers.capacity:
            return self._buffers  # every full batch: no views to build
        return self._buffers.rows(n_rows)

    def forward(self, X, ws):
        """Forward pass of a training batch, keeping what backward needs.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, layer_sizes[0])
        ws : _Workspace
            Buffers for ``n_samples`` rows (see :meth:`_workspace`). After the
            call ``ws.outputs[i]`` holds layer ``i``'s output ``f(z)``,
            ``ws.inputs[i]`` the input of layer ``i`` (after dropout), and the
            last output buffer holds the logits.

        Returns
        -------
        logits : ndarray of shape (n_samples, layer_sizes[-1])
        """
        last = len(self.coefs) - 1
        sparse_input = sp.issparse(X)  # only the first layer can read a sparse matrix
        for i, (W, b) in enumerate(zip(self.coefs, self.intercepts)):
            a, out = ws.inputs[i], ws.outputs[i]
            if i == 0 and sparse_input:
                out[...] = a @ W
            else:
                np.dot(a, W, out=out)
            out += b
            if i == last:
                break
            if ws.pre[i] is not None:
                np.copyto(ws.pre[i], out)
            self.hidden_activations[i].forward(out)
            if ws.masks[i] is not None:
                self._draw_dropout_mask(ws.masks[i], self.dropout[i])
                np.multiply(out, ws.masks[i], out=ws.inputs[i + 1])
        return ws.outputs[last]

    def _draw_dropout_mask(self, mask, rate):
        # Inverted dropout: keep a unit with probability 1 - rate and scale it by
        # 1 / (1 - rate), so that nothing needs rescaling at prediction time.
        self.dropout_rng.random(out=mask, dtype=mask.dtype)
        np.greater_equal(mask, rate, out=mask)
        mask *= 1.0 / (1.0 - rate)

    def backward(self, ws, delta_out, scale):
        """Back-propagate ``delta_out`` and write the data gradient into ``grad``.

        ``delta_out`` must already hold the output delta divided by the sum
        of sample weights; ``scale`` is the coefficient of the weights'
        own contribution (``alpha / sum(sample_weight)``).
        """
        delta = delta_out
        for i in range(len(self.coefs) - 1, -1, -1):
            a_in = ws.inputs[i]
            if i == 0 and sp.issparse(a_in):
                self.coef_grads[i][...] = a_in.T @ delta
            else:
                np.dot(a_in.T, delta, out=self.coef_grads[i])
            # The column sums as a matrix-vector product: 4x faster than np.sum(axis=0).
            np.dot(ws.ones, delta, out=self.intercept_grads[i])
            if i > 0:
                prev = ws.deltas[i - 1]
                np.dot(delta, self.coefs[i].T, out=prev)
                if ws.masks[i - 1] is not None:
                    prev *= ws.masks[i - 1]
                self.hidden_activations[i - 1].backward(
                    ws.outputs[i - 1], prev, ws.pre[i - 1]
                )
                delta = prev
        if scale:
            self.grad[: self.n_coef] += scale * self.params[: self.n_coef]

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
        n_samples = X.shape[0]
        ws = self._workspace(n_samples)
        ws.inputs[0] = X
        logits = self.forward(X, ws)
        losses, delta_out = self.loss.per_sample_and_delta(y, logits, sample_weight)
        if sample_weight is None:
            sw_sum = n_samples
            loss = float(np.dot(ws.ones, losses)) / sw_sum
        else:
            sw_sum = float(sample_weight.sum())
            loss = float(np.dot(sample_weight, losses)) / sw_sum
        if alpha:
            coefs = self.params[: self.n_coef]
            loss += 0.5 * alpha * float(np.dot(coefs, coefs)) / sw_sum

        delta_out *= 1.0 / sw_sum
        self.backward(ws, delta_out, alpha / sw_sum)
        return loss

    # ---------------------------------------------------------------- prediction
    def output_bound(self, max_abs_input):
        """An upper bound on ``|z|`` for every unit of every layer, logits included.

        Every hidden activation satisfies ``|f(z)| <= max(|z|, 1)``, so layer
        by layer ``|z[i + 1]| <= max(B[i], 1) * max_j sum_k |W[i]_kj| + max|b[i]|``
        starting from ``B[0] = max_abs_input``. It costs one pass over the
        weights, against a forward pass over the data for checking the outputs.

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
            for i, (W, b) in enumerate(zip(self.coefs, self.intercepts)):
                if i > 0:
                    bound = max(bound, 1.0)
                column_norm = float(np.abs(W).sum(axis=0, dtype=np.float64).max())
                bound = bound * column_norm + float(np.abs(b).max())
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
        return predict_output(
            X, self.coefs, self.intercepts, self.hidden_activations, self.output_activation
        )


def predict_output(X, coefs, intercepts, hidden_activations, output_activation):
    """Forward pass for prediction, in row chunks so memory does not grow with X.

    Only reads its arguments, so one fitted model can predict from many threads.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    coefs, intercepts : list of ndarray
        Per-layer weights and biases.
    hidden_activations : list of activation classes
        One per hidden layer.
    output_activation : activation class

    Returns
    -------
    output : ndarray of shape (n_samples, n_outputs)
    """
    n_samples = X.shape[0]
    dtype = np.result_type(X.dtype, coefs[0].dtype)
    widest = max(c.shape[1] for c in coefs)
    chunk = max(1, PREDICT_CHUNK_ELEMENTS // widest)
    output = np.empty((n_samples, coefs[-1].shape[1]), dtype=dtype)
    for start in range(0, n_samples, chunk):
        a = X[start : start + chunk]
        for i, (W, b) in enumerate(zip(coefs, intercepts)):
            a = a @ W
            a += b
            if i < len(hidden_activations):
                hidden_activations[i].forward(a)
        output[start : start + chunk] = output_activation.forward(a)
    return output


class _Workspace:
    """The per-batch buffers of one network, allocated once for ``capacity`` rows.

    For hidden layer ``i``: ``outputs[i]`` holds ``f(z)``, ``deltas[i]`` its
    delta, ``pre[i]`` a copy of ``z`` (only for activations that need it) and
    ``masks[i]`` the dropout mask (only with dropout). ``inputs[i]`` is what
    layer ``i`` reads: X for the first layer, then the previous output, or its
    dropped-out copy.
    """

    def __init__(self, net, capacity, _parts=None):
        self.capacity = capacity
        if _parts is not None:
            self.outputs, self.deltas, self.pre, self.masks, self.inputs, self.ones = _parts
            return
        self.ones = np.ones(capacity, dtype=net.dtype)  # for column sums by np.dot

        def buffer(width):
            return np.empty((capacity, width), dtype=net.dtype)

        hidden = net.layer_sizes[1:-1]
        self.outputs = [buffer(w) for w in net.layer_sizes[1:]]
        self.deltas = [buffer(w) for w in hidden]
        self.pre = [
            buffer(w) if act.needs_preactivation else None
            for w, act in zip(hidden, net.hidden_activations)
        ]
        self.masks = [buffer(w) if rate else None for w, rate in zip(hidden, net.dropout)]
        dropped = [buffer(w) if rate else None for w, rate in zip(hidden, net.dropout)]
        self.inputs = [None] + [
            d if d is not None else out for d, out in zip(dropped, self.outputs)
        ]

    def rows(self, n_rows):
        """A view of the first ``n_rows`` rows of every buffer."""

        def head(buffers):
            return [None if b is None else b[:n_rows] for b in buffers]

        parts = (
            head(self.outputs),
            head(self.deltas),
            head(self.pre),
            head(self.masks),
            head(self.inputs),
            self.ones[:n_rows],
        )
        return _Workspace(None, n_rows, parts)
