"""skscratch._state.TrainingState: a fit's bookkeeping, its warm start and rollback."""

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skscratch import ScratchMLPClassifier
from skscratch._state import TrainingState


def test_fresh_state_per_solver():
    adam = TrainingState.start(ScratchMLPClassifier(), first_pass=True)
    assert adam.best_loss_ == np.inf and adam.validation_scores_ is None
    early = TrainingState.start(ScratchMLPClassifier(early_stopping=True), True)
    assert early.best_validation_score_ == -np.inf and early.validation_scores_ == []
    lbfgs = TrainingState.start(ScratchMLPClassifier(solver="lbfgs"), True)
    assert set(lbfgs.attributes("lbfgs")) == {
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
    state = TrainingState.start(est, first_pass=False)
    assert state.loss_curve_ == est.loss_curve_ and state.loss_curve_ is not est.loss_curve_
    assert state.t_ == est.t_ and state.best_loss_ == est.best_loss_
    assert state.n_iter_ == 0  # n_iter_ counts the epochs of one fit
    # Switching early_stopping on starts the stop rule's counters afresh.
    est.early_stopping = True
    switched = TrainingState.start(est, first_pass=False)
    assert switched.best_validation_score_ == -np.inf
    assert switched._optimizer_state is None


def test_rollback_undoes_the_epochs_after_a_checkpoint():
    state = TrainingState(validation_scores_=[], best_loss_=np.inf)
    state.loss_curve_.append(1.0)
    done = state.checkpoint()
    state.n_iter_, state.t_, state.best_loss_ = 5, 500, 0.5
    state.loss_curve_.append(0.5)
    state.validation_scores_.append(0.9)
    state.record_epoch(lambda hook, record: False, 0.5, 0.001, 0.0)
    state.rollback(done)
    assert (state.n_iter_, state.t_, state.best_loss_) == (0, 0, np.inf)
    assert state.loss_curve_ == [1.0]
    assert state.validation_scores_ == [] and state.history_ == []


def test_record_epoch_appends_and_passes_on_a_stop():
    state = TrainingState()
    seen = []

    def notify(hook, record):
        seen.append((hook, record["epoch"]))
        return record["epoch"] == 2

    assert state.record_epoch(notify, 1.0, 0.1, 0.0) is False
    assert state.record_epoch(notify, 0.9, 0.1, 0.0) is True
    assert seen == [("on_epoch_end", 1), ("on_epoch_end", 2)]
    assert [r["loss"] for r in state.history_] == [1.0, 0.9]
