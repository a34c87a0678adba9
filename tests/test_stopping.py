"""skscratch._stopping: the rules that end training early, and divergence."""

import types

import numpy as np
import pytest
from sklearn import config_context
from sklearn.metrics import log_loss
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor
from skscratch._state import TrainingState
from skscratch._stopping import (
    DivergenceGuard,
    EarlyStopping,
    NoImprovement,
    Validation,
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
    validation = Validation(est, X_val, y_val[:, None], y_val, None)
    rule = EarlyStopping(est, state, net, validation)
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
    validation = Validation(est, np.ones((2, 2)), np.zeros((2, 1)), np.zeros(2), None)
    rule = EarlyStopping(est, state, net, validation)
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


# -------------------------------------------- a validation set of the user's own
# fit(X, y, sample_weight, *, X_val, y_val, sample_weight_val), as HistGradientBoosting.
cut_short = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _split(iris):
    X, y = iris
    return X[::2], y[::2], X[1::2], y[1::2]


def _mlp(**params):
    return ScratchMLPClassifier(**{"hidden_layer_sizes": (8,), "random_state": 0, **params})


@cut_short
class TestValidationSet:
    def test_early_stopping_scores_X_val_and_holds_nothing_out(self, iris):
        X, y, X_val, y_val = _split(iris)
        model = _mlp(early_stopping=True, max_iter=200, n_iter_no_change=3)
        model.fit(X, y, X_val=X_val, y_val=y_val)
        # Every epoch trained on all of X: t_ counts its rows n_iter_ times.
        assert model.t_ == model.n_iter_ * len(X)
        assert model.validation_scores_ == [r["validation_score"] for r in model.history_]
        # The weights kept are the best epoch's on X_val.
        assert model.score(X_val, y_val) == model.best_validation_score_
        # Nothing to hold out, so validation_fraction may be 0.
        _mlp(early_stopping=True, validation_fraction=0.0, max_iter=3).fit(
            X, y, X_val=X_val, y_val=y_val
        )

    def test_without_early_stopping_X_val_is_only_recorded(self, iris):
        X, y, X_val, y_val = _split(iris)
        plain = _mlp(max_iter=15).fit(X, y)
        recorded = _mlp(max_iter=15).fit(X, y, X_val=X_val, y_val=y_val)
        for W, W_plain in zip(recorded.coefs_, plain.coefs_):
            np.testing.assert_array_equal(W, W_plain)
        assert recorded.validation_scores_ is None
        last = recorded.history_[-1]
        assert last["validation_score"] == recorded.score(X_val, y_val)
        # The validation loss is the log-loss of X_val, without the L2 penalty.
        proba = recorded.predict_proba(X_val)
        assert last["validation_loss"] == pytest.approx(log_loss(y_val, proba), rel=1e-9)
        assert "validation_loss" not in plain.history_[-1]

    def test_sample_weight_val_weighs_the_validation_loss(self, iris):
        X, y, X_val, y_val = _split(iris)
        weights = np.where(y_val == 0, 5.0, 1.0)
        model = _mlp(max_iter=5).fit(
            X, y, X_val=X_val, y_val=y_val, sample_weight_val=weights
        )
        proba = model.predict_proba(X_val)
        expected = log_loss(y_val, proba, sample_weight=weights)
        assert model.history_[-1]["validation_loss"] == pytest.approx(expected, rel=1e-9)

    def test_held_out_part_and_lbfgs_record_a_validation_loss_too(self, iris):
        X, y, X_val, y_val = _split(iris)
        held_out = _mlp(early_stopping=True, max_iter=5).fit(*iris)
        assert all(np.isfinite(r["validation_loss"]) for r in held_out.history_)
        lbfgs = _mlp(solver="lbfgs", max_iter=10).fit(X, y, X_val=X_val, y_val=y_val)
        losses = [r["validation_loss"] for r in lbfgs.history_]
        assert len(losses) == lbfgs.n_iter_ and losses[-1] < losses[0]

    def test_regressor(self, regression_data):
        X, y = regression_data
        model = ScratchMLPRegressor(hidden_layer_sizes=(8,), max_iter=10, random_state=0)
        model.fit(X[:60], y[:60], X_val=X[60:], y_val=y[60:])
        residual = model.predict(X[60:]) - y[60:]
        expected = 0.5 * (residual**2).sum(axis=1).mean()  # the training loss's form
        assert model.history_[-1]["validation_loss"] == pytest.approx(expected, rel=1e-9)

    @pytest.mark.parametrize(
        "change, match",
        [
            ({"y_val": None}, "X_val was given without y_val"),
            ({"X_val": None}, "y_val was given without X_val"),
            ({"X_val": None, "y_val": None}, "sample_weight_val was given without"),
            ({"X_val": "3 columns"}, "X has 3 features, but .* expecting 4"),
            ({"y_val": "new label"}, r"y_val has labels \[7\] that y does not have"),
            ({"y_val": "short"}, "inconsistent numbers of samples"),
            (
                {"sample_weight_val": "short"},
                r"refused: sample_weight.shape == \(74,\), expected \(75,\)",
            ),
        ],
    )
    def test_bad_validation_sets_are_refused_before_training(self, iris, change, match):
        X, y, X_val, y_val = _split(iris)
        given = {"X_val": X_val, "y_val": y_val, "sample_weight_val": np.ones(len(y_val))}
        values = {
            "3 columns": X_val[:, :3],
            "new label": np.where(np.arange(len(y_val)) == 0, 7, y_val),
            "short": y_val[:-1],
        }
        for name, value in change.items():
            given[name] = values.get(value, np.ones(3)) if value is not None else None
        model = _mlp(max_iter=3).fit(X, y)
        before = [W.copy() for W in model.coefs_]
        with pytest.raises(ValueError, match=match):
            model.fit(X, y, **given)
        assert all(np.array_equal(a, b) for a, b in zip(before, model.coefs_))

    def test_other_feature_names_are_refused(self, iris):
        pd = pytest.importorskip("pandas")
        X, y, X_val, y_val = _split(iris)
        frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
        other = pd.DataFrame(X_val, columns=["a", "b", "c", "e"])
        with pytest.raises(ValueError, match="feature names should match"):
            _mlp(max_iter=3).fit(frame, y, X_val=other, y_val=y_val)

    def test_routed_through_a_pipeline(self, iris):
        X, y, X_val, y_val = _split(iris)
        with config_context(enable_metadata_routing=True):
            mlp = _mlp(max_iter=5).set_fit_request(X_val=True, y_val=True)
            pipe = Pipeline([("same", FunctionTransformer()), ("mlp", mlp)])
            pipe.fit(X, y, X_val=X_val, y_val=y_val)
        assert "validation_loss" in pipe[-1].history_[-1]
