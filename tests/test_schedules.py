"""skscratch.core.schedules written out, and the learning_rate parameter they serve."""

import warnings

import numpy as np
import pytest
from helpers import same_weights, small_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor
from skscratch.core import make_schedule
from skscratch.core.schedules import (
    AdaptiveSchedule,
    CallableSchedule,
    ConstantSchedule,
    CosineSchedule,
    CoslogSchedule,
    InvScalingSchedule,
    OneCycleSchedule,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"  # small max_iter on purpose
)


def test_make_schedule_by_name():
    assert type(make_schedule("constant", 0.1)) is ConstantSchedule
    assert isinstance(make_schedule("invscaling", 0.1, 0.5), InvScalingSchedule)
    assert isinstance(make_schedule("adaptive", 0.1), AdaptiveSchedule)
    assert isinstance(make_schedule("cosine", 0.1, max_iter=10), CosineSchedule)
    assert isinstance(make_schedule(lambda epoch: 1.0, 0.1), CallableSchedule)
    coslog = make_schedule("coslog4", 0.1, max_iter=10)
    assert isinstance(coslog, CoslogSchedule) and coslog.n_cycles == 4
    assert isinstance(make_schedule("one_cycle", 0.1, max_iter=10), OneCycleSchedule)


def test_constant_schedule():
    s = make_schedule("constant", 0.1, 0.5)
    s.epoch_end(1000)
    assert s.learning_rate == 0.1
    assert s.on_plateau() is True  # a plateau stops training


@pytest.mark.parametrize("power_t", [0.5, 0.25, 1.0])
def test_invscaling_schedule(power_t):
    s = make_schedule("invscaling", 0.2, power_t)
    assert s.learning_rate == 0.2
    for t in (150, 300, 450):
        s.epoch_end(t)
        assert s.learning_rate == pytest.approx(0.2 / (t + 1) ** power_t, rel=1e-15)
    assert s.on_plateau() is True


def test_adaptive_schedule_divides_by_five_then_stops():
    s = make_schedule("adaptive", 0.1, 0.5)
    s.epoch_end(500)
    assert s.learning_rate == 0.1
    rates = []
    while not s.on_plateau():
        rates.append(s.learning_rate)
    assert rates == pytest.approx([0.1 / 5**k for k in range(1, len(rates) + 1)])
    assert rates[-1] <= 1e-6 < rates[-2]  # stops once the rate is at most 1e-6


def test_cosine_schedule():
    s = make_schedule("cosine", 0.4, max_iter=4)
    rates = [s.learning_rate]
    for epoch in range(1, 7):
        s.epoch_end(epoch * 100)
        rates.append(s.learning_rate)
    expected = [0.4 * (1 + np.cos(np.pi * min(e / 4, 1))) / 2 for e in range(7)]
    assert rates == pytest.approx(expected, abs=1e-15)
    assert rates[4:] == pytest.approx([0, 0, 0], abs=1e-15)  # stays at 0 after max_iter


def _rates(schedule, n_epochs):
    """The rate of each of the first ``n_epochs`` epochs, as the loop sets them."""
    rates = [schedule.learning_rate]
    for epoch in range(1, n_epochs):
        schedule.epoch_end(epoch * 100)
        rates.append(schedule.learning_rate)
    return np.array(rates)


def _coslog4(t):
    # pytabkit's CoslogFunc(4), scheduling.py, written out again.
    return 0.5 * (1 - np.cos(2 * np.pi * np.log2(1 + 15 * t)))


def test_coslog4_is_pytabkits_formula_at_epoch_midpoints():
    n = 256  # RealMLP-TD's epochs
    rates = _rates(make_schedule("coslog4", 0.04, max_iter=n), n + 3)
    t = np.minimum((np.arange(n + 3) + 0.5) / n, 1)
    np.testing.assert_allclose(rates, 0.04 * _coslog4(t), rtol=1e-12, atol=1e-18)
    assert rates[0] == pytest.approx(0.04 * _coslog4(0.5 / 256)) and rates[0] > 0
    assert rates[n:] == pytest.approx([0, 0, 0], abs=1e-15)  # stays at 0 after max_iter


def test_coslog4_has_four_cycles_each_twice_as_long():
    n = 600
    rates = _rates(make_schedule("coslog4", 1.0, max_iter=n), n)
    inner = rates[1:-1]
    troughs = np.flatnonzero((inner < rates[:-2]) & (inner < rates[2:])) + 1
    peaks = np.flatnonzero((inner > rates[:-2]) & (inner > rates[2:])) + 1
    # Cycles end at t = 1/15, 3/15, 7/15 (and 1): epochs 40, 120, 280 of 600.
    np.testing.assert_allclose(troughs, [40, 120, 280], atol=1)
    assert rates[troughs].max() < 1e-3
    assert len(peaks) == 4 and rates[peaks].min() > 0.999
    assert np.all(rates >= 0) and np.all(rates <= 1)


def _one_cycle(t):
    # fastai's and pytabkit's one cycle: 25% cosine warm-up from 0.04, then
    # cosine annealing to 1e-5.
    if t < 0.25:
        return 0.04 + 0.96 * 0.5 * (1 - np.cos(np.pi * t / 0.25))
    return 1e-5 + (1 - 1e-5) * 0.5 * (1 + np.cos(np.pi * (t - 0.25) / 0.75))


def test_one_cycle_warms_up_then_anneals():
    n = 40
    rates = _rates(make_schedule("one_cycle", 0.5, max_iter=n), n + 2)
    t = np.minimum((np.arange(n + 2) + 0.5) / n, 1)
    expected = 0.5 * np.array([_one_cycle(value) for value in t])
    np.testing.assert_allclose(rates, expected, rtol=1e-12)
    peak = int(np.argmax(rates))
    assert peak in (9, 10)  # t = 0.25 falls between epochs 9 and 10 of 40
    assert np.all(np.diff(rates[: peak + 1]) > 0) and np.all(np.diff(rates[peak:n]) < 0)
    assert 0.5 * 0.04 < rates[0] < 0.5 * 0.05  # starts near the warm-up's 0.04
    assert rates[n:] == pytest.approx([0.5e-5, 0.5e-5])  # its floor after max_iter


def test_callable_schedule():
    s = make_schedule(lambda epoch: 1 / (1 + 0.5 * epoch), 0.3)
    assert s.learning_rate == 0.3  # epoch 0
    s.epoch_end(10)
    s.epoch_end(20)
    assert s.learning_rate == pytest.approx(0.3 / 2)
    bad = make_schedule(lambda epoch: -1.0 if epoch else 1.0, 0.3)
    with pytest.raises(ValueError, match="finite number >= 0"):
        bad.epoch_end(10)


# ------------------------------------------------ the learning_rate parameter
def test_cosine_schedule_anneals(iris):
    X, y = iris
    model = ScratchMLPClassifier(
        (10,), learning_rate="cosine", max_iter=50, tol=0, n_iter_no_change=1000
    )
    model.fit(X, y)
    rates = [record["learning_rate"] for record in model.history_]
    assert rates[0] == pytest.approx(0.001)
    assert rates[25] == pytest.approx(0.0005)
    assert np.all(np.diff(rates) < 0)


def test_callable_schedule_is_the_seeds_decay(iris):
    X, y = iris
    model = ScratchMLPClassifier(
        (10,), solver="sgd", learning_rate=lambda epoch: 1 / (1 + 0.1 * epoch), max_iter=5
    )
    model.fit(X, y)
    rates = [record["learning_rate"] for record in model.history_]
    np.testing.assert_allclose(rates, [0.001 / (1 + 0.1 * e) for e in range(5)])


def test_callable_schedule_returning_nonsense(iris):
    X, y = iris
    model = ScratchMLPClassifier(learning_rate=lambda epoch: "fast", max_iter=3)
    with pytest.raises(ValueError, match="must return a finite number"):
        model.fit(X, y)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_constant_callable_learning_rate_is_constant(iris, solver):
    by_callable = small_classifier(solver=solver, learning_rate=lambda epoch: 1.0).fit(
        *iris
    )
    assert same_weights(by_callable, small_classifier(solver=solver).fit(*iris))


def test_cosine_applies_to_adam(iris):
    est = small_classifier(learning_rate="cosine", learning_rate_init=0.1, max_iter=4).fit(
        *iris
    )
    rates = [record["learning_rate"] for record in est.history_]
    assert rates == pytest.approx([0.1 * (1 + np.cos(np.pi * e / 4)) / 2 for e in range(4)])


@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw", "rmsprop"])
@pytest.mark.parametrize("learning_rate", ["coslog4", "one_cycle"])
def test_planned_schedules_apply_to_every_stochastic_solver(iris, solver, learning_rate):
    est = small_classifier(
        solver=solver, learning_rate=learning_rate, learning_rate_init=0.05, max_iter=30
    )
    est.set_params(tol=0, n_iter_no_change=np.inf).fit(*iris)
    rates = [record["learning_rate"] for record in est.history_]
    expected = _rates(make_schedule(learning_rate, 0.05, max_iter=30), 30)
    assert rates == pytest.approx(expected, rel=1e-12)
    assert est.n_iter_ == 30 and np.isfinite(est.loss_)
    constant = small_classifier(solver=solver, learning_rate_init=0.05, max_iter=30)
    assert not same_weights(est, constant.fit(*iris))


def test_planned_schedule_learns_and_carries_on_in_partial_fit(iris):
    X, y = iris
    model = ScratchMLPClassifier(
        (20,),
        learning_rate="coslog4",
        learning_rate_init=0.02,
        max_iter=300,
        n_iter_no_change=np.inf,
        random_state=0,
    )
    assert model.fit(X, y).score(X, y) > 0.95
    assert model.history_[-1]["learning_rate"] < 1e-4 * 0.02  # annealed at the end
    # partial_fit: one epoch a call, the schedule's epoch count kept between calls.
    incremental = ScratchMLPClassifier((5,), learning_rate="one_cycle", max_iter=8)
    for _ in range(10):
        incremental.partial_fit(X, y, classes=[0, 1, 2])
    rates = [record["learning_rate"] for record in incremental.history_]
    assert rates == pytest.approx(_rates(make_schedule("one_cycle", 0.001, max_iter=8), 10))


def test_unknown_schedule_name_is_refused(iris):
    with pytest.raises(ValueError, match="learning_rate"):
        ScratchMLPClassifier(learning_rate="coslog5").fit(*iris)


def test_failing_learning_rate_callable_leaves_model_unchanged(iris):
    est = small_classifier().fit(*iris)
    proba = est.predict_proba(iris[0])
    est.set_params(learning_rate=lambda epoch: -1.0 if epoch == 2 else 1.0)
    with pytest.raises(ValueError, match="learning_rate callable"):
        est.fit(*iris)  # fails in the middle of training, at epoch 2
    np.testing.assert_array_equal(est.predict_proba(iris[0]), proba)
    assert est.n_iter_ == 10


def test_an_unknown_schedule_name_is_refused_with_the_names():
    # It used to give the constant schedule, silently.
    match = r"Unknown learning-rate schedule 'cosin'.*'cosine'"
    with pytest.raises(ValueError, match=match):
        make_schedule("cosin", 0.1)


# ------------------------------------------------------------- max_iter="auto"
@pytest.mark.parametrize(
    "n_samples, batch_size, epochs",
    [(3000, 256, 167), (30000, 256, 17), (300, "auto", 200)],
)
def test_auto_max_iter_plans_about_2000_steps(n_samples, batch_size, epochs):
    # batch 256: 12 steps an epoch on 3,000 rows (ceil(2000 / 12) = 167 epochs),
    # 118 on 30,000 (17 epochs); 300 rows in batches of 200: 2 steps an epoch,
    # and at most 200 epochs. Reaching the planned end is no ConvergenceWarning.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_samples, 3))
    y = X @ [1.0, -2.0, 0.5]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = ScratchMLPRegressor(
            hidden_layer_sizes=(4,),
            max_iter="auto",
            batch_size=batch_size,
            random_state=0,
        ).fit(X, y)
    assert model.n_iter_ == epochs


def test_auto_max_iter_counts_the_rows_early_stopping_holds_out():
    # 3,000 rows less a tenth: 11 steps of 256 an epoch, so 182 epochs are planned;
    # without stopping early (n_iter_no_change=inf) every one of them runs.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(3000, 3))
    y = X @ [1.0, -2.0, 0.5]
    model = ScratchMLPRegressor(
        hidden_layer_sizes=(4,),
        max_iter="auto",
        batch_size=256,
        early_stopping=True,
        n_iter_no_change=np.inf,
        random_state=0,
    ).fit(X, y)
    assert model.n_iter_ == 182


def test_auto_max_iter_anneals_the_cosine_schedule_over_the_plan(iris):
    # 150 rows, batch 50: 3 steps an epoch, 200 epochs (the most); the cosine
    # schedule reaches 0 at the last one, as it does with max_iter=200.
    X, y = iris
    params = dict(learning_rate="cosine", batch_size=50, random_state=0, tol=0.0)
    auto = ScratchMLPClassifier((5,), max_iter="auto", **params).fit(X, y)
    fixed = ScratchMLPClassifier((5,), max_iter=200, **params).fit(X, y)
    assert auto.n_iter_ == fixed.n_iter_
    assert same_weights(auto, fixed)


def test_auto_max_iter_is_200_lbfgs_iterations(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match="ITERATIONS REACHED LIMIT|max_iter"):
        model = ScratchMLPClassifier(
            (50,), solver="lbfgs", max_iter="auto", tol=0.0, random_state=0
        ).fit(X, y)
    assert model.n_iter_ == 200


def test_an_unknown_max_iter_string_is_refused(iris):
    X, y = iris
    with pytest.raises(InvalidParameterError, match="max_iter"):
        ScratchMLPClassifier(max_iter="al").fit(X, y)


# ----------------------------------------------------- n_iter_no_change="auto"
@pytest.mark.parametrize("max_iter, patience", [(200, 12), (100, 10), (40, 5)])
def test_auto_patience_is_a_tenth_of_the_epochs_within_5_and_12(max_iter, patience):
    # Noise to fit: the validation score peaks early, and training stops once
    # more than `patience` epochs have passed without a better one.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 3))
    y = rng.normal(size=400)
    model = ScratchMLPRegressor(
        hidden_layer_sizes=(8,),
        early_stopping=True,
        n_iter_no_change="auto",
        max_iter=max_iter,
        tol=0.0,
        random_state=0,
    ).fit(X, y)
    best = int(np.argmax(model.validation_scores_)) + 1
    assert model.n_iter_ == best + patience + 1 < max_iter


def test_auto_patience_follows_the_planned_epochs():
    # 30,000 rows less a tenth, batches of 256: 106 steps an epoch, 19 epochs
    # planned, so the patience is the least, 5 (as TabularMLPRegressor's
    # defaults give a table that large).
    from skscratch._training.config import training_config

    params = dict(max_iter="auto", n_iter_no_change="auto", batch_size=256)
    config = training_config(ScratchMLPRegressor(early_stopping=True, **params), 30000)
    assert (config.max_iter, config.n_iter_no_change) == (19, 5)
    small = training_config(ScratchMLPRegressor(early_stopping=True, **params), 1000)
    assert (small.max_iter, small.n_iter_no_change) == (200, 12)
