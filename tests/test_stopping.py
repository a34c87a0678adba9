"""_training.stopping: the built-in rules that end training early, and divergence."""

import numpy as np
import pytest
from sklearn import config_context
from sklearn.metrics import log_loss
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor
from skscratch._estimators.tasks import ClassificationTask, RegressionTask
from skscratch._training.config import training_config
from skscratch._training.loops import TrainingData
from skscratch._training.state import TrainingState
from skscratch._training.stopping import (
    DivergenceGuard,
    NoImprovement,
    Validation,
    ValidationMonitor,
    ValidationNoImprovement,
    stochastic_rules,
    training_split,
)
from skscratch.core import Network, make_schedule


def _config(**params):
    """The configuration the rules read: tol=0.1, n_iter_no_change=2 by default."""
    params = {"tol": 0.1, "n_iter_no_change": 2, **params}
    return training_config(ScratchMLPClassifier(**params), 100)


def _record(loss, score=None):
    return {"epoch": 1, "loss": loss, "validation_score": score}


# ------------------------------------------------------------- no improvement
def test_no_improvement_counts_epochs_within_tol():
    state = TrainingState(best_loss_=np.inf)
    rule = NoImprovement(_config(), state, make_schedule("constant", 0.1), None)
    counts = []
    for loss in (1.0, 0.95, 0.5, 0.45, 0.44):
        assert rule.on_epoch_end(None, _record(loss)) is False
        counts.append(state._no_improvement_count)
    assert counts == [0, 1, 0, 1, 2]
    assert rule.on_epoch_end(None, _record(0.43)) is True  # 3 > n_iter_no_change
    assert state.best_loss_ == 0.43


def test_plateau_stops_a_constant_schedule_and_lowers_an_adaptive_one():
    state = TrainingState(best_loss_=np.inf, _no_improvement_count=3)
    rule = NoImprovement(_config(), state, make_schedule("constant", 0.1), None)
    assert rule.plateau() is True
    adaptive = make_schedule("adaptive", 0.1)
    rule = NoImprovement(_config(), state, adaptive, None)
    assert rule.plateau() is False
    assert adaptive.learning_rate == pytest.approx(0.02)
    assert state._no_improvement_count == 0  # counting starts over at the new rate
    assert rule.plateau() is False  # within patience: nothing happens


# -------------------------------------------------------------- early stopping
class _MeanAbs(RegressionTask):
    """A task whose score is minus the mean absolute output."""

    def score(self, output, y, sample_weight=None, X=None, logits=None):
        return -float(np.abs(output).mean())


def test_early_stopping_keeps_the_best_scoring_weights():
    net = Network((2, 1), [], "squared_error")
    X_val, y_val = np.ones((3, 2)), np.zeros(3)
    state = TrainingState(validation_scores_=[], best_validation_score_=-np.inf)
    monitor = ValidationMonitor(
        Validation(_MeanAbs("squared_error"), X_val, y_val[:, None], y_val, None),
        net,
        state,
    )
    rule = ValidationNoImprovement(_config(), state, make_schedule("constant", 0.1), net)
    scores = []
    for weight in (1.0, 0.1, 2.0):
        net.params[...] = weight
        record = _record(0.0)
        monitor.on_epoch_end(None, record)
        rule.on_epoch_end(None, record)
        scores.append(record["validation_score"])
    assert scores == state.validation_scores_ == pytest.approx([-3.0, -0.3, -6.0])
    assert state._no_improvement_count == 1
    rule.on_fit_end(None)
    np.testing.assert_array_equal(net.params, 0.1)


def test_a_diverged_epoch_scores_nan():
    state = TrainingState(validation_scores_=[], best_validation_score_=-np.inf)
    net = Network((2, 1), [], "squared_error")
    validation = Validation(None, np.ones((2, 2)), np.zeros((2, 1)), np.zeros(2), None)
    monitor = ValidationMonitor(validation, net, state)
    rule = ValidationNoImprovement(_config(), state, make_schedule("constant", 0.1), net)
    state.diverged = True  # as the guard marks it
    record = _record(np.inf)
    monitor.on_epoch_end(None, record)
    assert rule.on_epoch_end(None, record) is False
    assert np.isnan(record["validation_score"]) and np.isnan(record["validation_loss"])
    assert np.isnan(state.validation_scores_).all() and len(state.validation_scores_) == 1


def test_training_split_holds_out_the_validation_fraction(iris):
    X, y = iris
    task = ClassificationTask()
    Y = task.encode(y).toarray()
    data = TrainingData(X, Y, y, None, 0.0)
    config = _config(early_stopping=True, validation_fraction=0.2)
    train, validation = training_split(config, task, data, np.random.RandomState(0))
    assert isinstance(validation, Validation) and train.sample_weight is None
    assert train.X.shape == (120, 4) and train.Y.shape == (120, 3)
    assert np.bincount(validation.y).tolist() == [10, 10, 10]  # stratified
    train, validation = training_split(_config(), task, data, None)
    assert train is data and validation is None


def test_rules_in_order_guard_first():
    net = Network((2, 1), [], "squared_error")
    state = TrainingState(validation_scores_=[], best_validation_score_=-np.inf)
    validation = Validation(None, np.ones((2, 2)), np.zeros((2, 1)), np.zeros(2), None)
    config = _config(early_stopping=True)
    guard, rules = stochastic_rules(config, state, net, None, np.ones((2, 2)), validation)
    assert [type(rule) for rule in rules] == [
        DivergenceGuard,
        ValidationMonitor,
        ValidationNoImprovement,
    ]
    assert rules[0] is guard
    guard, rules = stochastic_rules(_config(), state, net, None, np.ones((2, 2)))
    assert [type(rule) for rule in rules] == [DivergenceGuard, NoImprovement]


# ------------------------------------------------------------ divergence guard
def _guard():
    net = Network((3, 1), [], "squared_error")  # 3 weights and a bias
    state = TrainingState()
    return net, state, DivergenceGuard(net, state, np.ones((2, 3)))


def test_guard_falls_back_to_the_start_of_the_best_epoch():
    net, state, guard = _guard()
    assert guard.fallback is None  # no finite epoch yet
    for loss, end in ((1.0, 1.0), (0.5, 2.0), (0.7, 3.0)):
        guard.on_epoch_begin(None)
        net.params[...] = end
        assert guard.on_epoch_end(None, _record(loss)) is False
    # The best loss (0.5) was measured along the epoch that started at 1.0.
    np.testing.assert_array_equal(guard.fallback[0], 1.0)
    assert guard.loss == 0.5
    guard.on_epoch_begin(None)
    net.params[...] = np.nan
    with pytest.warns(UserWarning, match="Training diverged at iteration"):
        assert guard.on_epoch_end(None, _record(np.nan)) is True
    np.testing.assert_array_equal(net.params, 1.0)
    assert state.diverged and state.loss_ == 0.5


@pytest.mark.parametrize(
    "loss, params",
    [(np.nan, 0.0), (np.inf, 0.0), (1.0, np.inf), (1001.0, 0.0)],
    ids=["nan loss", "inf loss", "inf weights", "exploded loss"],
)
def test_guard_sees_divergence(loss, params):
    net, state, guard = _guard()
    guard.on_epoch_end(None, _record(1.0))  # the first epoch's loss: explosion is from it
    net.params[...] = params
    assert guard._diverged(loss)
    net.params[...] = 0.0
    assert not guard._diverged(999.0)


def test_guard_raises_when_no_epoch_was_finite():
    net, state, guard = _guard()
    with pytest.raises(ValueError, match="non-finite parameter weights"):
        guard.on_epoch_end(None, _record(np.nan))


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
