"""Helpers shared by several test modules (imported as ``helpers``: pytest puts
tests/ on sys.path)."""

import numpy as np

from skscratch import ScratchMLPClassifier


def same_weights(a, b):
    """Whether two fitted estimators have exactly the same weights and biases."""
    pairs = zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_)
    return all(np.array_equal(p, q) for p, q in pairs)


def small_classifier(**params):
    """A (6, 5) classifier that trains for 10 epochs, seeded."""
    defaults = {"hidden_layer_sizes": (6, 5), "max_iter": 10, "random_state": 0}
    return ScratchMLPClassifier(**{**defaults, **params})
