"""check_gradients: compare back-propagation with finite differences for any estimator."""

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from .._input.stage import InputStage
from .config import training_config


def check_gradients(
    estimator, X, y, sample_weight=None, *, epsilon=1e-6, max_params=500, random_state=0
):
    """Largest relative error between backprop's gradient and central finite differences.

    Builds the network the estimator would train on ``X`` and ``y`` with the
    fit's own preparation (``_training_data``,
    ``skscratch._training.config.training_config`` and
    ``skscratch._training.config.build``: layers, activations, loss, L2 penalty
    ``alpha``, class and sample weights, dropout with its masks held fixed,
    batch normalization on the batch's statistics, residual blocks, the
    embedding tables of categorical features), in float64, at the estimator's
    fitted weights (its ``layers_``) if it is fitted, else at a random
    initialisation. Then it compares
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
    est._validate_params()
    rng = check_random_state(random_state)
    fitted = hasattr(estimator, "layers_")
    categorical = fitted and getattr(estimator, "is_categorical_", None) is not None
    if categorical:
        # Coded with the fitted categories, so that the tables fit the data.
        X = InputStage(estimator).prediction(X)
        est.set_params(categorical_features=None)
    task = est._task(first_pass=True)
    data = est._training_data(task, X, y, sample_weight, False, None, True, np.float64)
    if categorical:
        InputStage(est).adopt(estimator)
    config = training_config(est, data.X.shape[0])
    previous = estimator.layers_ if fitted else None
    net, _ = est._network(config, task, data, rng, previous)
    mask_seed = rng.randint(2**31 - 1)

    def loss_at(params):
        net.params[...] = params
        net.seed_dropout(mask_seed)  # the same masks each time
        return net.loss_gradient(
            data.X, data.Y, data.sample_weight, data.alpha, state_momentum=None
        )

    params = net.params.copy()
    loss_at(params)
    analytic = net.grad.copy()
    indices = np.arange(params.size)
    if max_params is not None and params.size > max_params:
        indices = rng.choice(params.size, max_params, replace=False)
    numeric = central_differences(loss_at, params, indices, epsilon)
    scale = max(np.abs(numeric).max(), np.finfo(np.float64).tiny)
    return float(np.abs(analytic[indices] - numeric).max() / scale)


def central_differences(f, x, indices=None, epsilon=1e-6):
    """``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for each ``i`` in ``indices``.

    The one finite-difference helper of skscratch (its tests use it too).
    Central differences err by O(eps**2), where scipy's ``approx_fprime``
    (forward differences) errs by O(eps) and evaluates every coordinate.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``; may overwrite nothing of ``x``.
    x : ndarray of shape (n,)
    indices : array-like of int, default=None
        The coordinates to differentiate; all of them by default.
    epsilon : float, default=1e-6

    Returns
    -------
    numeric : ndarray of shape (len(indices),)
    """
    indices = np.arange(x.size) if indices is None else np.asarray(indices)
    numeric = np.empty(indices.size)
    shifted = x.copy()
    for k, i in enumerate(indices):
        shifted[i] = x[i] + epsilon
        up = f(shifted)
        shifted[i] = x[i] - epsilon
        down = f(shifted)
        shifted[i] = x[i]
        numeric[k] = (up - down) / (2 * epsilon)
    return numeric
