"""Shared data for the skscratch tests: small, standardized, deterministic."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

# The tests multiply tiny matrices, for which BLAS threads only contend with each
# other (and with GridSearchCV's workers): one thread runs the suite several
# times faster on a 2-core machine. Results do not depend on it.
threadpool_limits(limits=1, user_api="blas")


@pytest.fixture(scope="session")
def iris():
    """Standardized Iris: (150, 4) float64 features and labels 0, 1, 2."""
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="session")
def regression_data():
    """A smooth two-output regression problem: X (80, 3), y (80, 2)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3))
    y = np.column_stack([np.sin(X[:, 0]) + 0.5 * X[:, 1], X[:, 1] * X[:, 2]])
    return X, y
