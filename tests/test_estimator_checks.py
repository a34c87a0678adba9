"""scikit-learn's own estimator checks, on both estimators and several solvers."""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor


def inverse_time_decay(epoch):
    """The seeds' lr / (1 + decay * t) schedule; a module-level function pickles."""
    return 1 / (1 + 0.01 * epoch)


def expected_failures(estimator):
    """Checks that cannot hold for a configuration, each with the reason."""
    if np.any(np.asarray(estimator.dropout) > 0):
        reason = (
            "dropout draws an independent mask per row, so a row of weight 2 and "
            "two copies of it are trained differently; equivalent only in expectation"
        )
        return {
            "check_sample_weight_equivalence_on_dense_data": reason,
            "check_sample_weight_equivalence_on_sparse_data": reason,
        }
    return {}


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
    # skscratch's additions (class_weight is set by sklearn's own
    # check_class_weight_classifiers on every classifier above and below).
    ScratchMLPClassifier(
        hidden_layer_sizes=(16, 8),
        activation=["gelu", "elu"],
        solver="adamw",
        learning_rate="cosine",
        max_iter=200,
    ),
    ScratchMLPRegressor(
        loss="huber",
        hidden_layer_sizes=(16,),
        activation="leaky_relu",
        solver="rmsprop",
        learning_rate=inverse_time_decay,
        max_iter=100,
    ),
    ScratchMLPClassifier(hidden_layer_sizes=(16,), dropout=0.2, max_iter=200),
    # Batch normalization (weighted batch statistics, so the sample-weight checks
    # hold) and residual blocks, with every solver's two loops.
    ScratchMLPClassifier(hidden_layer_sizes=(16, 16), batch_norm=True, max_iter=100),
    ScratchMLPRegressor(
        hidden_layer_sizes=(16, 16, 16), batch_norm=True, residual=True, max_iter=100
    ),
    ScratchMLPClassifier(
        hidden_layer_sizes=(8, 8),
        batch_norm=True,
        residual=True,
        solver="lbfgs",
        max_iter=30,
    ),
]


# The checks train on small data with the max_iter above, which does not always
# converge: the ConvergenceWarning is expected there and is all that is silenced.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)
