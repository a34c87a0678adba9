"""check_gradients: compare back-propagation with finite differences for any estimator."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.utils import check_random_state

from .core import Network


def check_gradients(
    estimator, X, y, sample_weight=None, *, epsilon=1e-6, max_params=500, random_state=0
):
    """Largest relative error between backprop's gradient and central finite differences.

    Builds the network the estimator would train on ``X`` and ``y`` (layer
    sizes, activations, loss, L2 penalty ``alpha``, class and sample weights,
    dropout with its masks held fixed), in float64, at the estimator's fitted
    weights if it is fitted, else at a random initialisation. Then it compares
    each partial derivative from :meth:`~skscratch.core.Network.loss_gradient`
    with ``(L(w + eps) - L(w - eps)) / (2 eps)``.

    Parameters
    ----------
    estimator : ScratchMLPClassifier or ScratchMLPRegressor
        Fitted or not; it is not modified.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like of shape (n_samples,), default=None
    epsilon : float, default=1e-6
        Finite-difference step.
    max_params : int or None, default=500
        Check at most this many parameters, drawn at random (each costs two
        loss evaluations); None checks them all.
    random_state : int, RandomState instance or None, default=0
        Seeds the initialisation, the dropout masks and the parameter draw.

    Returns
    -------
    error : float
        ``max |g_backprop - g_numeric| / max |g_numeric|`` over the checked
        parameters. Around 1e-9 is typical for a correct gradient; ReLU-like
        kinks crossed by the step can make single entries worse.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skscratch import ScratchMLPClassifier, check_gradients
    >>> X, y = load_iris(return_X_y=True)
    >>> error = check_gradients(ScratchMLPClassifier((5,), activation="tanh"), X, y)
    >>> bool(error < 1e-6)
    True
    """
    est = clone(estimator)
    fitted = hasattr(estimator, "coefs_")
    rng = check_random_state(random_state)
    est._validate_params()
    sizes = est._hidden_layer_sizes()
    activations = est._hidden_activations(len(sizes))
    dropout = est._dropout_rates(len(sizes))

    X, y = est._validate_X_y(X, y, reset=True)
    X = X.astype(np.float64)
    Y, info = est._encode_targets(y, False, True)
    for name, value in info.items():
        setattr(est, name, value)
    if fitted and hasattr(estimator, "classes_"):
        est.classes_ = estimator.classes_
    Y = Y.toarray() if sp.issparse(Y) else Y
    Y = np.asarray(Y, dtype=np.float64)
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
    sample_weight = est._training_weights(y, sample_weight, False)
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)

    net = Network(
        [X.shape[1], *sizes, Y.shape[1]], activations, est._loss_name(), dropout=dropout
    )
    if fitted:
        net.set_weights(estimator.coefs_, estimator.intercepts_)
    else:
        net.initialize(rng)
    alpha = 0.0 if est.solver == "adamw" else est.alpha
    mask_seed = rng.randint(2**31 - 1)

    def loss_at(params):
        net.params[...] = params
        net.dropout_rng = np.random.default_rng(mask_seed)  # the same masks each time
        return net.loss_gradient(X, Y, sample_weight, alpha)

    params = net.params.copy()
    loss_at(params)
    analytic = net.grad.copy()
    indices = np.arange(params.size)
    if max_params is not None and params.size > max_params:
        indices = rng.choice(params.size, max_params, replace=False)
    numeric = np.empty(indices.size)
    for k, i in enumerate(indices):
        shifted = params.copy()
        shifted[i] += epsilon
        up = loss_at(shifted)
        shifted[i] -= 2 * epsilon
        down = loss_at(shifted)
        numeric[k] = (up - down) / (2 * epsilon)
    scale = max(np.abs(numeric).max(), np.finfo(np.float64).tiny)
    return float(np.abs(analytic[indices] - numeric).max() / scale)
