"""Toy data sets from the seeds that started skscratch."""

import numpy as np
from sklearn.utils import check_random_state


def make_spiral(n_samples_per_class=100, n_classes=3, noise=0.2, random_state=None):
    """Interleaved spiral arms in 2-D, one arm per class.

    Arm ``k`` runs from the origin to radius 1 while its angle sweeps
    ``[4k, 4(k + 1)]`` (times 2.5), with Gaussian noise of standard deviation
    ``noise`` added to the angle: the generator of the "spiral data" used to
    teach neural networks from scratch.

    Parameters
    ----------
    n_samples_per_class : int, default=100
        Points per arm.
    n_classes : int, default=3
        Number of arms (classes).
    noise : float, default=0.2
        Standard deviation of the angle noise.
    random_state : int, RandomState instance or None, default=None
        Seeds the noise.

    Returns
    -------
    X : ndarray of shape (n_samples_per_class * n_classes, 2)
    y : ndarray of shape (n_samples_per_class * n_classes,)
        The arm of each point, 0 to ``n_classes - 1``.

    Examples
    --------
    >>> from skscratch.datasets import make_spiral
    >>> X, y = make_spiral(100, 3, random_state=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((300, 2), [0, 1, 2])
    """
    rng = check_random_state(random_state)
    radius = np.tile(np.linspace(0.0, 1.0, n_samples_per_class), n_classes)
    y = np.repeat(np.arange(n_classes), n_samples_per_class)
    start = np.tile(np.linspace(0.0, 4.0, n_samples_per_class), n_classes)
    angle = (4.0 * y + start + noise * rng.standard_normal(y.shape[0])) * 2.5
    X = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    return X, y


def make_high_cardinality(
    n_samples=10_000,
    n_levels=1_000,
    n_numeric=4,
    *,
    as_frame=False,
    return_latent=False,
    random_state=None,
):
    """A binary task carried by a categorical column of many levels, non-linearly.

    Each level ``c`` of the categorical column has a hidden position
    ``(u_c, v_c)`` drawn from a standard normal distribution; levels occur
    with probabilities proportional to ``1 / rank ** 0.7`` (a long tail of
    rare levels). With numeric columns ``x ~ N(0, I)``, the label is 1 with
    probability ``sigmoid(2 sin(2 u_c) x_0 + 1.5 cos(2 v_c) + x_1 - 0.5 x_2**2
    + 0.5)``: the level sets both an offset and the slope of ``x_0``, through
    functions that no order of the levels makes monotone.

    Parameters
    ----------
    n_samples : int, default=10_000
    n_levels : int, default=1_000
        Levels of the categorical column.
    n_numeric : int, default=4
        Numeric columns (at least 3; the others are noise).
    as_frame : bool, default=False
        Return X as a pandas DataFrame: numeric columns ``x0, x1, ...`` then
        ``level``, a pandas Categorical of strings ``"L0000"``, ``"L0001"``
        ... (needs pandas). Otherwise X is an array whose last column holds
        the level as an integer code.
    return_latent : bool, default=False
        Also return each level's hidden position.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, n_numeric + 1) or DataFrame
    y : ndarray of shape (n_samples,)
        Labels 0 and 1.
    latent : ndarray of shape (n_levels, 2)
        Only with ``return_latent=True``: ``(u_c, v_c)`` per level.

    Examples
    --------
    >>> from skscratch.datasets import make_high_cardinality
    >>> X, y = make_high_cardinality(1000, n_levels=50, random_state=0)
    >>> X.shape, int(X[:, -1].max()) < 50, sorted(set(y.tolist()))
    ((1000, 5), True, [0, 1])
    """
    if n_numeric < 3:
        raise ValueError(f"n_numeric must be at least 3, got {n_numeric}.")
    rng = check_random_state(random_state)
    latent = rng.standard_normal((n_levels, 2))
    frequency = 1.0 / np.arange(1, n_levels + 1) ** 0.7
    frequency = frequency[rng.permutation(n_levels)]  # no order in the codes
    level = rng.choice(n_levels, size=n_samples, p=frequency / frequency.sum())
    x = rng.standard_normal((n_samples, n_numeric))
    u, v = latent[level].T
    logit = 2.0 * np.sin(2 * u) * x[:, 0] + 1.5 * np.cos(2 * v) + x[:, 1]
    logit += 0.5 - 0.5 * x[:, 2] ** 2
    y = (rng.random_sample(n_samples) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    if as_frame:
        import pandas as pd

        X = pd.DataFrame(x, columns=[f"x{i}" for i in range(n_numeric)])
        names = np.array([f"L{i:04d}" for i in range(n_levels)], dtype=object)
        X["level"] = pd.Categorical(names[level], categories=names)
    else:
        X = np.column_stack([x, level.astype(float)])
    return (X, y, latent) if return_latent else (X, y)
