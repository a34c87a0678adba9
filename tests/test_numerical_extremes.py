"""Numerical extremes (issue #3): huge inputs, overflowing logits, huge targets and
weights, and divergence.

Every test runs with RuntimeWarning as an error: an overflow must be handled (or
reported as divergence), never leak out of numpy. A model that reports divergence
must keep finite weights that give finite predictions.
"""

import copy
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor
from skscratch.core import LOSSES
from skscratch.core.activations import Exp, Logistic, Softmax

SOLVERS = ("adam", "sgd", "lbfgs", "adamw", "rmsprop", "muon")
STOCHASTIC = ("adam", "sgd", "adamw", "rmsprop")


def data(n=50, n_features=4, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, n_features))
    y = X @ rng.normal(size=n_features)
    return X, y


TARGETS = {
    "binary": lambda X, y: (y > 0).astype(int),
    "multiclass": lambda X, y: np.digitize(y, np.quantile(y, [1 / 3, 2 / 3])),
    "multilabel": lambda X, y: np.column_stack([y > 0, X[:, 0] > 0, X[:, 1] > 0]).astype(
        int
    ),
    "regression": lambda X, y: y,
}


def make(target, **params):
    cls = ScratchMLPRegressor if target == "regression" else ScratchMLPClassifier
    base = {"hidden_layer_sizes": (3,), "max_iter": 5, "random_state": 0}
    base.update(params)
    return cls(**base)


def fit_strict(est, X, y, **fit_params):
    """Fit with RuntimeWarning as an error; return the messages of ConvergenceWarnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        warnings.simplefilter("error", RuntimeWarning)
        est.fit(X, y, **fit_params)
    return [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]


NONFINITE = "Solver produced non-finite parameter weights"


def fit_or_refuse(est, X, y, **fit_params):
    """:func:`fit_strict`, or None where the fit is refused for want of finite weights.

    A fit none of whose epochs (or L-BFGS iterates) ends with finite weights has
    no model to keep: it raises scikit-learn's ValueError, says what to do, and
    leaves the estimator unfitted.
    """
    try:
        return fit_strict(est, X, y, **fit_params)
    except ValueError as exc:
        if NONFINITE not in str(exc):
            raise
        assert "Scale X" in str(exc), exc
        assert not hasattr(est, "coefs_"), "a refused fit must not leave a model"
        return None


def reported_divergence(messages):
    return any("diverged" in m for m in messages)


def check_outputs(est, X):
    """Finite weights; predictions finite, probabilities in [0, 1] summing to 1."""
    for array in (*est.coefs_, *est.intercepts_):
        assert np.isfinite(array).all(), "non-finite weights"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        if is_classifier(est):
            proba = est.predict_proba(X)
            assert np.isfinite(proba).all(), "NaN/inf probabilities"
            assert ((proba >= 0) & (proba <= 1)).all(), "probabilities outside [0, 1]"
            if est._y_type != "multilabel-indicator":
                assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
                assert np.array_equal(est.predict(X), est.classes_[proba.argmax(axis=1)])
            log_proba = est.predict_log_proba(X)
            assert not np.isnan(log_proba).any() and (log_proba <= 0).all()
        else:
            assert np.isfinite(est.predict(X)).all(), "NaN/inf predictions"


def check_losses(est, messages):
    """Losses finite, unless divergence was reported; then the curve shows it.

    A reported divergence is either in ``loss_curve_`` (its last loss is not
    finite, or over 1e3 times the best before it) or found when the final
    weights overflowed on the training data ("at the end of training").
    """
    if not reported_divergence(messages):
        assert np.isfinite(est.loss_), f"loss_={est.loss_} without a divergence warning"
        assert np.isfinite(est.loss_curve_).all(), "non-finite loss_curve_ without warning"
    elif est.solver in STOCHASTIC:
        curve = np.asarray(est.loss_curve_)
        last, earlier = curve[-1], curve[:-1]
        exploded = earlier.size > 0 and np.isfinite(last) and last > 1e3 * earlier.min()
        at_end = any("at the end of training" in m for m in messages)
        assert at_end or exploded or not np.isfinite(last), "loss_curve_ must show it"
        assert np.isfinite(earlier).all()
        assert est.n_iter_ == len(est.loss_curve_)


# -------------------------------------------------------------- huge inputs
@pytest.mark.parametrize("scale", [1e50, 1e150])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("target", ["binary", "multiclass", "regression"])
def test_huge_inputs(target, solver, scale):
    X, y = data()
    X = X * scale
    y = TARGETS[target](X / scale, y)
    est = make(target, solver=solver)
    messages = fit_or_refuse(est, X, y)
    # Squared errors of 1e150-sized outputs overflow from the start.
    refused = solver == "lbfgs" and target == "regression" and scale == 1e150
    assert (messages is None) == refused
    if refused:
        return
    check_outputs(est, X)
    check_losses(est, messages)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("target", ["multiclass", "regression"])
def test_huge_inputs_with_early_stopping(target, solver):
    """The validation score of an exploding network must not leak a RuntimeWarning."""
    X, y = data()
    y = TARGETS[target](X, y)
    X = X * 1e150
    est = make(target, solver=solver, early_stopping=True, validation_fraction=0.2)
    messages = fit_strict(est, X, y)  # the first epoch's weights are finite: a model
    check_outputs(est, X)
    check_losses(est, messages)
    assert all(isinstance(s, float) for s in est.validation_scores_)


# Hypothesis: any magnitude from 1 to 1e150, any solver and target.
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    exponent=st.integers(0, 150),
    solver=st.sampled_from(SOLVERS),
    target=st.sampled_from(sorted(TARGETS)),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_any_magnitude_is_handled_or_reported(exponent, solver, target, dtype):
    if dtype == np.float32:
        exponent = min(exponent, 18)  # float32 holds up to 3.4e38; squares must fit
    X, y = data(n=30, n_features=3)
    y = TARGETS[target](X, y)
    X = (X * 10.0**exponent).astype(dtype)
    est = make(target, solver=solver, max_iter=2)
    messages = fit_or_refuse(est, X, y)
    if messages is None:
        return
    check_outputs(est, X)
    check_losses(est, messages)


# ---------------------------------------------------------- overflowing logits
@pytest.mark.parametrize("scale", [1e3, 1e100, 1e300])
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_logits_that_would_overflow_exp(target, scale):
    """A model trained on ordinary data, asked about inputs whose logits are huge:
    probabilities stay in [0, 1] and sum to 1, log-probabilities are never NaN."""
    X, y = data()
    y = TARGETS[target](X, y)
    est = make(target, max_iter=50)
    fit_strict(est, X, y)
    est.coefs_[-1] *= 1e3  # sharpen the output layer so that logits reach > 1e3
    X_far = X if scale == 1e3 else X * scale
    if scale == 1e300:
        X_far = X_far / X.shape[1] / 10  # keep the first layer itself finite
    check_outputs(est, X_far)


@pytest.mark.parametrize("loss", ["log_loss", "binary_log_loss"])
def test_log_losses_from_extreme_logits(loss):
    """The log-losses read logits: confident right answers cost 0, wrong ones cost
    |z|, never inf or NaN; the output delta stays in [-1, 1]."""
    z = np.array([[1e300, -1e300, 0.0], [-1e4, 1e4, 3.0], [7e2, 7.1e2, -7e2]])
    y = np.eye(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        L = LOSSES[loss]()
        per_sample = L.per_sample(y, z)
        delta = L.delta(y, z.copy())
    assert np.isfinite(per_sample).all() and (per_sample >= 0).all()
    assert np.isfinite(delta).all() and (np.abs(delta) <= 1).all()


def test_output_activations_from_extreme_logits():
    z = np.array([[1e300, -1e300, 0.0], [-1e4, 1e4, 3.0], [-800.0, -900.0, -1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        softmax = Softmax.forward(z.copy())
        logistic = Logistic.forward(z.copy())
        exp = Exp.forward(z.copy())
    assert np.isfinite(softmax).all() and ((softmax >= 0) & (softmax <= 1)).all()
    assert_allclose(softmax.sum(axis=1), 1)
    assert np.isfinite(logistic).all() and ((logistic >= 0) & (logistic <= 1)).all()
    assert np.isfinite(exp).all() and (exp >= 0).all()


# ------------------------------------------------------------- huge targets
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("loss", ["squared_error", "poisson", "huber"])
def test_targets_of_a_million(loss, solver, dtype):
    X, y = data()
    y = np.abs(y) * 1e6 if loss == "poisson" else np.column_stack([y, -y]) * 1e6
    X = X.astype(dtype)
    est = make("regression", loss=loss, solver=solver)
    messages = fit_strict(est, X, y)
    check_outputs(est, X)
    check_losses(est, messages)


@pytest.mark.parametrize("magnitude", [1e39, 1e300])
def test_targets_beyond_float32_range(magnitude):
    """float32 X trains in float32; a target float32 cannot hold is an error that
    names y and the dtype, not an overflow into inf."""
    X, y = data()
    X = X.astype(np.float32)
    est = make("regression")
    with pytest.raises(ValueError, match="y has values .* beyond the range of X's dtype"):
        fit_strict(est, X, y * magnitude)
    assert not hasattr(est, "coefs_")


@pytest.mark.parametrize("solver", SOLVERS)
def test_sample_weights_whose_sum_overflows(solver):
    """Each weight is finite; their sum is not. Without the L2 penalty (whose weight
    is alpha / sum(sample_weight)) weights only matter relative to each other, so this
    fits as unit weights do."""
    X, y = data()
    est = make("regression", solver=solver, alpha=0.0)
    fit_strict(est, X, y, sample_weight=np.full(X.shape[0], 1e307))
    check_outputs(est, X)
    reference = make("regression", solver=solver, alpha=0.0)
    fit_strict(reference, X, y)
    assert_allclose(est.predict(X), reference.predict(X), rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------- divergence
DIVERGING = {
    # sgd, a linear network, a large rate on large data: the loss grows ~1e40 per epoch
    "sgd-identity-lr10": (
        {"solver": "sgd", "activation": "identity", "learning_rate_init": 10},
        1e2,
        1e6,
    ),
    "sgd-relu-lr10": ({"solver": "sgd", "learning_rate_init": 10}, 1e2, 1e6),
    "adam-identity-lr1e100": (
        {"activation": "identity", "learning_rate_init": 1e100, "n_iter_no_change": 100},
        1.0,
        1.0,
    ),
    "adam-identity-lr1e200": (
        {"activation": "identity", "learning_rate_init": 1e200, "n_iter_no_change": 100},
        1.0,
        1.0,
    ),
    "sgd-default-X1e150": ({"solver": "sgd"}, 1e150, 1.0),
    "rmsprop-identity-lr1e100": (
        {"solver": "rmsprop", "activation": "identity", "learning_rate_init": 1e100},
        1.0,
        1.0,
    ),
    "adamw-identity-lr1e100": (
        {"solver": "adamw", "activation": "identity", "learning_rate_init": 1e100},
        1.0,
        1.0,
    ),
    "adamw-decay-lr*alpha=1e4": (
        {
            "solver": "adamw",
            "alpha": 1e4,
            "learning_rate_init": 1.0,
            "n_iter_no_change": 100,
        },
        1.0,
        1.0,
    ),
    "poisson-sgd-lr10": (
        {
            "solver": "sgd",
            "loss": "poisson",
            "activation": "identity",
            "learning_rate_init": 10,
        },
        1e2,
        1e6,
    ),
    "huber-sgd-lr1e3-X1e100": (
        {
            "solver": "sgd",
            "loss": "huber",
            "activation": "identity",
            "learning_rate_init": 1e3,
        },
        1e100,
        1e6,
    ),
}


def diverging_data(case):
    params, x_scale, y_scale = DIVERGING[case]
    X, y = data()
    if params.get("loss") == "poisson":
        y = np.abs(y)
    return params, X * x_scale, y * y_scale


@pytest.mark.parametrize("case", sorted(DIVERGING))
def test_divergence_is_reported_and_the_model_stays_usable(case):
    params, X, y = diverging_data(case)
    est = make("regression", max_iter=50, **params)
    messages = fit_strict(est, X, y)
    assert reported_divergence(messages), f"{case} did not diverge: {messages}"
    assert len([m for m in messages if "diverged" in m]) == 1
    check_outputs(est, X)
    check_losses(est, messages)
    if est.solver in STOCHASTIC and len(est.loss_curve_) > 1:
        assert est.loss_ == est.loss_curve_[-2], "loss_ is the last finite loss"


NO_FINITE_EPOCH = {
    # the squared error of the first outputs overflows: L-BFGS starts at inf
    "lbfgs-X1e150": ({"solver": "lbfgs"}, 1e150),
    # as scikit-learn's test_nonfinite_params, whose X is up to 1.8e308 (its sum
    # then overflows in scikit-learn's own finiteness check)
    "adam-X1e300": ({}, 1e300),
    "sgd-X1e300": ({"solver": "sgd"}, 1e300),
}


@pytest.mark.parametrize("how", ["fit", "warm_start", "partial_fit"])
@pytest.mark.parametrize("case", sorted(NO_FINITE_EPOCH))
def test_no_finite_epoch_raises_and_keeps_the_previous_fit(case, how):
    """No epoch ends with finite weights: scikit-learn's ValueError, saying what to do,
    and the estimator as it was (unfitted, or fitted by the previous call)."""
    params, scale = NO_FINITE_EPOCH[case]
    if how == "partial_fit" and params.get("solver") == "lbfgs":
        pytest.skip("lbfgs has no partial_fit")
    X, y = data()
    est = make("regression", max_iter=50, warm_start=how == "warm_start", **params)
    before = None
    if how != "fit":
        fit_strict(est, X, y)
        before = copy.deepcopy(vars(est))
        weights = [a.copy() for a in est.coefs_ + est.intercepts_]
    call = est.partial_fit if how == "partial_fit" else est.fit
    with pytest.raises(ValueError, match=NONFINITE) as info:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            call(X / np.abs(X).max() * scale, y)
    assert "Scale X" in str(info.value)
    if before is None:
        assert not hasattr(est, "coefs_")
    else:
        assert vars(est).keys() == before.keys()
        for a, b in zip(est.coefs_ + est.intercepts_, weights):
            np.testing.assert_array_equal(a, b)
        assert est.loss_curve_ == before["loss_curve_"]
        assert (est.n_iter_, est.t_, est.loss_) == (
            before["n_iter_"],
            before["t_"],
            before["loss_"],
        )


@pytest.mark.parametrize(
    "case",
    ["sgd-identity-lr10", "sgd-relu-lr10", "adam-identity-lr1e100", "poisson-sgd-lr10"],
)
def test_divergence_with_early_stopping(case):
    """Early stopping while the network explodes: validation_scores_ holds finite
    scores then the NaN of the diverged epoch, the fit ends with the divergence
    warning, and the best weights give finite predictions."""
    params, X, y = diverging_data(case)
    est = make("regression", max_iter=50, early_stopping=True, **params)
    messages = fit_strict(est, X, y)
    assert reported_divergence(messages), messages
    check_outputs(est, X)
    scores = np.asarray(est.validation_scores_, dtype=float)
    # One score per epoch; the diverged epoch's is NaN, as scikit-learn's ends.
    assert len(scores) == est.n_iter_ == len(est.loss_curve_)
    assert (np.isfinite(scores) | np.isnan(scores)).all() and np.isnan(scores[-1]), scores
    assert isinstance(est.validation_scores_[-1], float)


EXPLODING = {
    # the loss grows by 60 orders of magnitude, stays finite, and then stops
    # "improving" for n_iter_no_change epochs
    "huber-sgd-lr10": (
        {
            "solver": "sgd",
            "loss": "huber",
            "activation": "identity",
            "learning_rate_init": 10,
        },
        1e2,
        1e6,
    ),
    # relu units die at once; the loss sits at ~1e300
    "adam-relu-lr1e50": ({"learning_rate_init": 1e50}, 1.0, 1.0),
}


@pytest.mark.parametrize("case", sorted(EXPLODING))
def test_a_finite_but_exploding_loss_is_not_silent(case):
    """Training that ends with a loss orders of magnitude above where it started has
    diverged, even if every number stayed finite: it must warn, not stop quietly."""
    params, x_scale, y_scale = EXPLODING[case]
    X, y = data()
    est = make("regression", max_iter=50, **params)
    messages = fit_strict(est, X * x_scale, y * y_scale)
    # The premise: it did explode (training stops once the loss passes 1e3 x its best).
    assert max(est.loss_curve_) > 1e3 * min(est.loss_curve_)
    assert reported_divergence(messages), f"stopped at loss_={est.loss_:g} with {messages}"
    assert est.loss_ == min(est.loss_curve_)  # the best weights are kept


@pytest.mark.parametrize("target", ["multiclass", "regression"])
def test_partial_fit_divergence_is_reported_and_the_model_stays_usable(target):
    X, y = data()
    y = TARGETS[target](X, y)
    est = make(target, solver="sgd", activation="identity", learning_rate_init=1e3)
    kwargs = {"classes": np.unique(y)} if target == "multiclass" else {}
    # log-loss gradients are bounded, so only far larger inputs make it overflow
    X = X * (1e150 if target == "multiclass" else 1e20)
    n_diverged = 0
    for _ in range(6):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            warnings.simplefilter("error", RuntimeWarning)
            est.partial_fit(X, y, **kwargs)
        n_diverged += any("diverged" in str(w.message) for w in caught)
        check_outputs(est, X)
    assert n_diverged >= 1
