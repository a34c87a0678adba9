"""The synthetic data of the MLP benchmark: uniform inputs labelled by a random teacher.

Inputs are uniform on [0, 1) like MNIST's pixels; the label of a row is the
argmax of a random linear function of it, over :data:`N_CLASSES` classes, so
an MLP can learn it and its test accuracy says whether a competitor trained
as well as the others. The numbers are drawn in float64 and cast, so both
dtypes get the same data.
"""

import numpy as np

N_CLASSES = 10
N_TEST = 10_000


def make_teacher(n_features, seed):
    """Weights of a random linear teacher: ``y = argmax((X - 0.5) @ W)``.

    Parameters
    ----------
    n_features : int
    seed : int

    Returns
    -------
    W : ndarray of shape (n_features, N_CLASSES)
    """
    return np.random.default_rng(seed).standard_normal((n_features, N_CLASSES))


def sample(teacher, n_rows, seed, dtype):
    """Inputs uniform on [0, 1) like MNIST pixels, labelled by ``teacher``.

    The numbers are drawn in float64 and cast, so both dtypes get the same data.

    Parameters
    ----------
    teacher : ndarray of shape (n_features, N_CLASSES)
    n_rows : int
    seed : int
    dtype : numpy dtype

    Returns
    -------
    X : ndarray of shape (n_rows, n_features), C-contiguous, of ``dtype``
    y : ndarray of shape (n_rows,), int64 labels in ``range(N_CLASSES)``
    """
    X = np.random.default_rng(seed).random((n_rows, teacher.shape[0]))
    # (X - 0.5) @ W without an (n_rows, n_features) temporary.
    y = np.argmax(X @ teacher - 0.5 * teacher.sum(axis=0), axis=1)
    return X.astype(dtype, copy=False), y


def train_test(n_rows, n_features, dtype, seed):
    """A training set of ``n_rows`` and a test set of N_TEST rows from one teacher."""
    teacher = make_teacher(n_features, seed)
    train = sample(teacher, n_rows, seed + 1, dtype)
    return train, sample(teacher, N_TEST, seed + 2, dtype)
