"""skscratch.core.schedules written out, and the learning_rate parameter they serve."""

import numpy as np
import pytest
from helpers import same_weights, small_classifier

from skscratch import ScratchMLPClassifier
from skscratch.core import make_schedule
from skscratch.core.schedules import (
    AdaptiveSchedule,
    CallableSchedule,
    ConstantSchedule,
    CosineSchedule,
    InvScalingSchedule,
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


def test_failing_learning_rate_callable_leaves_model_unchanged(iris):
    est = small_classifier().fit(*iris)
    proba = est.predict_proba(iris[0])
    est.set_params(learning_rate=lambda epoch: -1.0 if epoch == 2 else 1.0)
    with pytest.raises(ValueError, match="learning_rate callable"):
        est.fit(*iris)  # fails in the middle of training, at epoch 2
    np.testing.assert_array_equal(est.predict_proba(iris[0]), proba)
    assert est.n_iter_ == 10
