"""skscratch._stopping: the rules that end training early, and divergence."""

import types

import numpy as np
import pytest

from skscratch import ScratchMLPClassifier
from skscratch._state import TrainingState
from skscratch._stopping import (
    DivergenceGuard,
    EarlyStopping,
    NoImprovement,
    stop_rule,
)
from skscratch.core import Network, make_schedule


def _params(**overrides):
    """The estimator parameters the rules read."""
    values = {"tol": 0.1, "n_iter_no_change": 2, "verbose": False, "early_stopping": False}
    return types.SimpleNamespace(**{**values, **overrides})


# ------------------------------------------------------------- no improvement
def test_no_improvement_counts_epochs_within_tol():
    state = TrainingState(best_loss_=np.inf)
    rule = NoImprovement(_params(), state)
    counts = []
    for loss in (1.0, 0.95, 0.5, 0.45, 0.44, 0.43):
        rule.update(None, loss)
        counts.append(state._no_improvement_count)
    assert counts == [0, 1, 0, 1, 2, 3]
    assert state.best_loss_ == 0.43


def test_plateau_stops_a_constant_schedule_and_lowers_an_adaptive_one():
    state = TrainingState(best_loss_=np.inf, _no_improvement_count=3)
    rule = NoImprovement(_params(), state)
    assert rule.plateau(make_schedule("constant", 0.1)) is True
    adaptive = make_schedule("adaptive", 0.1)
    assert rule.plateau(adaptive) is False
    assert adaptive.learning_rate == pytest.approx(0.02)
    assert state._no_improvement_count == 0  # counting starts over at the new rate
    assert rule.plateau(adaptive) is False  # within patience: nothing happens


# -------------------------------------------------------------- early stopping
def test_early_stopping_keeps_the_best_scoring_weights():
    net = Network((2, 1), [], "squared_error")
    X_val, y_val = np.ones((3, 2)), np.zeros(3)
    state = TrainingState(validation_scores_=[], best_validation_score_=-np.inf)
    est = _params(_score_output=lambda output, y, sw: -float(np.abs(output).mean()))
    rule = EarlyStopping(est, state, net, (X_val, y_val, None))
    scores = []
    for weight in (1.0, 0.1, 2.0):
        net.params[...] = weight
        scores.append(rule.update(net, 0.0))
    assert scores == state.validation_scores_ == pytest.approx([-3.0, -0.3, -6.0])
    assert state._no_improvement_count == 1
    rule.finish(net)
    np.testing.assert_array_equal(net.params, 0.1)


def test_a_diverged_epoch_scores_nan():
    state = TrainingState(validation_scores_=[], best_validation_score_=-np.inf)
    net = Network((2, 1), [], "squared_error")
    est = _params(_score_output=None)
    rule = EarlyStopping(est, state, net, (np.ones((2, 2)), np.zeros(2), None))
    assert np.isnan(rule.diverged()) and np.isnan(state.validation_scores_).all()
    assert NoImprovement(est, state).diverged() is None


def test_stop_rule_holds_out_the_validation_fraction(iris):
    X, y = iris
    est = ScratchMLPClassifier(early_stopping=True, validation_fraction=0.2)
    Y = est._training_data(X, y, None, False, None, True).Y  # sets the target attributes
    state = TrainingState.start(est, True)
    net = Network((4, 3), [], "log_loss")
    rule, (X_train, Y_train, sw) = stop_rule(
        est, state, net, X, Y, y, None, np.random.RandomState(0)
    )
    assert isinstance(rule, EarlyStopping) and sw is None
    assert X_train.shape == (120, 4) and Y_train.shape == (120, 3)
    plain = ScratchMLPClassifier()
    rule, train = stop_rule(plain, state, net, X, Y, y, None, None)
    assert type(rule) is NoImprovement and train[0] is X


# ------------------------------------------------------------ divergence guard
def test_guard_falls_back_to_the_start_of_the_best_epoch():
    params = np.zeros(3)
    guard = DivergenceGuard(params)
    assert guard.fallback is None  # no finite epoch yet
    for loss, end in ((1.0, 1.0), (0.5, 2.0), (0.7, 3.0)):
        params[...] = end
        assert not guard.diverged(loss, params)
        guard.update(loss)
        guard.start_epoch(params)
    # The best loss (0.5) was measured along the epoch that started at 1.0.
    np.testing.assert_array_equal(guard.fallback, 1.0)
    assert guard.loss == 0.5


@pytest.mark.parametrize(
    "loss, params",
    [(np.nan, [0.0]), (np.inf, [0.0]), (1.0, [np.inf]), (1001.0, [0.0])],
    ids=["nan loss", "inf loss", "inf weights", "exploded loss"],
)
def test_guard_sees_divergence(loss, params):
    guard = DivergenceGuard(np.zeros(1))
    guard.update(1.0)  # the first epoch's loss: explosion is measured from it
    assert guard.diverged(loss, np.array(params))
    assert not guard.diverged(999.0, np.zeros(1))
