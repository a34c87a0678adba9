"""Shared data for the skscratch tests: small, standardized, deterministic."""

import os

# scikit-learn's array API dispatch needs scipy's own (SCIPY_ARRAY_API=1), which
# scipy reads once, at import: set before anything imports scipy, so that the
# array API tests (tests/test_array_api.py) and scikit-learn's array API
# estimator checks run in the same session. Numpy inputs compute as without it.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

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


#: Hypothesis examples run per test of test_property_inputs.py, for the summary.
EXAMPLES_KEY = pytest.StashKey[dict]()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """After pytest's own summary: how many examples the property tests ran."""
    counts = config.stash.get(EXAMPLES_KEY, None)
    if not counts:
        return
    terminalreporter.write_sep(
        "-", "hypothesis examples run (tests/test_property_inputs.py)"
    )
    terminalreporter.write_line(f"{sum(counts.values())} examples in {len(counts)} tests")
    for name, n in sorted(counts.items()):
        terminalreporter.write_line(f"    {name}: {n}")
