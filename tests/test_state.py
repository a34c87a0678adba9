"""_training.state.TrainingState: a fit's bookkeeping, its warm start and rollback."""

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skscratch import ScratchMLPClassifier
from skscratch._training.config import training_config
from skscratch._training.state import TrainingState


def _config(est):
    return training_config(est, 150)


def test_fresh_state_per_solver():
    adam = TrainingState.start(_config(ScratchMLPClassifier()))
    assert adam.best_loss_ == np.inf and adam.validation_scores_ is None
    early = TrainingState.start(_config(ScratchMLPClassifier(early_stopping=True)))
    assert early.best_validation_score_ == -np.inf and early.validation_scores_ == []
    lbfgs = TrainingState.start(_config(ScratchMLPClassifier(solver="lbfgs")))
    assert set(lbfgs.attributes(stochastic=False)) == {
        "n_iter_",
        "t_",
        "loss_",
        "loss_curve_",
        "history_",
    }


def test_warm_start_continues_the_curves_and_counters(iris):
    est = ScratchMLPClassifier((5,), max_iter=3, warm_start=True, random_state=0)
    with pytest.warns(ConvergenceWarning):
        est.fit(*iris)
    state = TrainingState.start(_config(est), vars(est))
    assert state.loss_curve_ == est.loss_curve_ and state.loss_curve_ is not est.loss_curve_
    assert state.t_ == est.t_ and state.best_loss_ == est.best_loss_
    assert state.n_iter_ == 0  # n_iter_ counts the epochs of one fit
    # Switching early_stopping on starts the stop rule's counters afresh.
    est.early_stopping = True
    switched = TrainingState.start(_config(est), vars(est))
    assert switched.best_validation_score_ == -np.inf
    assert switched._optimizer_state is None


def test_rollback_undoes_the_epochs_after_a_checkpoint():
    state = TrainingState(validation_scores_=[], best_loss_=np.inf)
    state.loss_curve_.append(1.0)
    done = state.checkpoint()
    state.n_iter_, state.t_, state.best_loss_ = 5, 500, 0.5
    state.loss_curve_.append(0.5)
    state.validation_scores_.append(0.9)
    state.record_epoch(0.5, 0.001, 0.0)
    state.rollback(done)
    assert (state.n_iter_, state.t_, state.best_loss_) == (0, 0, np.inf)
    assert state.loss_curve_ == [1.0]
    assert state.validation_scores_ == [] and state.history_ == []


def test_record_epoch_appends_the_record_it_returns():
    state = TrainingState()
    first = state.record_epoch(1.0, 0.1, 0.0)
    second = state.record_epoch(0.9, 0.1, 0.0)
    assert state.history_ == [first, second] and second["epoch"] == 2
    assert first["validation_score"] is None and "validation_loss" not in first


def test_the_divergence_mark_is_not_a_fitted_attribute():
    state = TrainingState(diverged=True)
    assert "diverged" not in state.attributes() and "diverged" not in state.attributes(
        False
    )
