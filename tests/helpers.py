"""Helpers shared by several test modules (imported as ``helpers``: pytest puts
tests/ on sys.path)."""

import inspect
from pathlib import Path

import numpy as np
import pytest
import sklearn
from sklearn.neural_network import MLPClassifier

import skscratch
from skscratch import ScratchMLPClassifier

#: For tests that compare with scikit-learn's MLPs fitted with sample_weight,
#: which their ``fit`` takes from scikit-learn 1.7 on.
needs_sklearn_mlp_sample_weight = pytest.mark.skipif(
    "sample_weight" not in inspect.signature(MLPClassifier.fit).parameters,
    reason=f"scikit-learn {sklearn.__version__}'s MLPs take no sample_weight (1.7 does)",
)


def same_weights(a, b):
    """Whether two fitted estimators have exactly the same weights and biases."""
    pairs = zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_)
    return all(np.array_equal(p, q) for p, q in pairs)


def from_skscratch(warning):
    """Whether a recorded warning is attributed to skscratch's code, as
    scikit-learn's MLP attributes its own to sklearn's (``module=`` filters)."""
    package = Path(skscratch.__file__).resolve().parent
    return Path(warning.filename).resolve().is_relative_to(package)


def small_classifier(**params):
    """A (6, 5) classifier that trains for 10 epochs, seeded."""
    defaults = {"hidden_layer_sizes": (6, 5), "max_iter": 10, "random_state": 0}
    return ScratchMLPClassifier(**{**defaults, **params})
