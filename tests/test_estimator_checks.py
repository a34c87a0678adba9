"""scikit-learn's own estimator checks, on both estimators and several solvers."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor

ESTIMATORS = [
    # Default networks with max_iter=100, as scikit-learn checks its own MLPs.
    ScratchMLPClassifier(max_iter=100),
    ScratchMLPRegressor(max_iter=100),
    # Full-batch L-BFGS: a different training loop. A small network keeps it fast.
    ScratchMLPClassifier(hidden_layer_sizes=(10,), solver="lbfgs", max_iter=30),
    ScratchMLPRegressor(hidden_layer_sizes=(10,), solver="lbfgs", max_iter=30),
    # Mini-batch SGD through two tanh layers.
    ScratchMLPClassifier(
        hidden_layer_sizes=(8, 8), activation="tanh", solver="sgd", max_iter=50
    ),
]


# The checks train on small data with the max_iter above, which does not always
# converge: the ConvergenceWarning is expected there and is all that is silenced.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
