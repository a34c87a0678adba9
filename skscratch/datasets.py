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
