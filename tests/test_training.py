"""The training loops: batches, schedules, stopping rules, divergence, bookkeeping."""

import warnings

import numpy as np
import pytest
from helpers import from_skscratch, same_weights
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor

converging_cut_short = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"  # small max_iter on purpose
)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    return X, np.sin(X[:, 0]) + X[:, 1]


def _reg(**params):
    params = {"hidden_layer_sizes": (8,), "max_iter": 10, "random_state": 0, **params}
    return ScratchMLPRegressor(**params)


@converging_cut_short
def test_bookkeeping(data):
    X, y = data
    est = _reg(max_iter=7).fit(X, y)
    assert est.n_iter_ == len(est.loss_curve_) == 7
    assert est.t_ == 7 * 60
    assert est.loss_ == est.loss_curve_[-1]
    assert all(np.isfinite(est.loss_curve_))
    assert est.loss_curve_[-1] < est.loss_curve_[0]


@converging_cut_short
def test_early_stopping_trains_on_the_rest(data):
    X, y = data
    est = _reg(max_iter=4, early_stopping=True, validation_fraction=0.25).fit(X, y)
    assert est.t_ == 4 * 45  # 15 samples held out


@converging_cut_short
def test_batch_size_larger_than_data_is_clipped(data):
    X, y = data
    with pytest.warns(UserWarning, match="batch_size=100 is larger than the 60") as record:
        big = _reg(batch_size=100, max_iter=3).fit(X, y)
    assert any(w.filename == __file__ for w in record)
    whole = _reg(batch_size=60, max_iter=3).fit(X, y)
    assert same_weights(big, whole)


@converging_cut_short
def test_auto_batch_size_is_min_200_n_samples():
    rng = np.random.RandomState(1)
    X, y = rng.normal(size=(250, 2)), rng.normal(size=250)
    assert same_weights(
        _reg(max_iter=2).fit(X, y), _reg(max_iter=2, batch_size=200).fit(X, y)
    )
    assert not same_weights(
        _reg(max_iter=2).fit(X, y), _reg(max_iter=2, batch_size=100).fit(X, y)
    )


@converging_cut_short
def test_unit_sample_weight_is_no_weight(data):
    X, y = data
    assert same_weights(_reg().fit(X, y), _reg().fit(X, y, sample_weight=np.ones(60)))


@converging_cut_short
def test_zero_sample_weight_is_removal(data):
    # Full batch: a sample of weight 0 plays no part at all.
    X, y = data
    sw = np.ones(60)
    sw[::4] = 0
    keep = sw > 0
    weighted = _reg(solver="lbfgs", max_iter=30).fit(X, y, sample_weight=sw)
    removed = _reg(solver="lbfgs", max_iter=30).fit(X[keep], y[keep])
    for a, b in zip(weighted.coefs_, removed.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


def test_stops_when_loss_stalls(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = _reg(max_iter=500, tol=1e-2, n_iter_no_change=3).fit(X, y)
    assert est.n_iter_ < 500
    # Each of the last n_iter_no_change + 1 epochs improved on the best loss so
    # far by less than tol.
    curve = est.loss_curve_
    for i in range(len(curve) - 4, len(curve)):
        assert curve[i] > min(curve[:i]) - 1e-2


def test_n_iter_no_change_inf_never_stops_early(data):
    X, y = data
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(15\)"):
        est = _reg(max_iter=15, tol=100.0, n_iter_no_change=np.inf).fit(X, y)
    assert est.n_iter_ == 15


def test_adaptive_learning_rate_divides_by_five(data, capsys):
    X, y = data
    est = _reg(
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.01,
        tol=10.0,  # every epoch counts as a plateau
        n_iter_no_change=1,
        max_iter=100,
        verbose=True,
    ).fit(X, y)
    out = capsys.readouterr().out
    rates = [
        float(line.rsplit(" ", 1)[1]) for line in out.splitlines() if "Setting" in line
    ]
    assert rates[:3] == pytest.approx([0.002, 0.0004, 0.00008])
    assert "Stopping" in out.splitlines()[-1]
    assert est.n_iter_ < 100


@converging_cut_short
def test_invscaling_slows_sgd(data):
    X, y = data
    const = _reg(solver="sgd", learning_rate_init=0.05).fit(X, y)
    inv = _reg(solver="sgd", learning_rate_init=0.05, learning_rate="invscaling").fit(X, y)
    # After the first epoch the rate is 0.05 / sqrt(61): steps shrink ~8x.
    assert const.loss_curve_[0] == inv.loss_curve_[0]
    assert inv.loss_curve_[-1] > const.loss_curve_[-1]


def test_validation_set_too_small():
    X, y = np.random.RandomState(0).normal(size=(10, 2)), np.arange(10.0)
    with pytest.raises(ValueError, match="validation set is too small"):
        _reg(early_stopping=True, validation_fraction=0.1).fit(X, y)


def test_sgd_divergence_keeps_the_best_finite_weights(data):
    X, y = data
    with pytest.warns(ConvergenceWarning, match="diverged at iteration 6") as record:
        est = _reg(solver="sgd", learning_rate_init=0.3, batch_size=10).fit(X, y)
    assert from_skscratch(record[0])
    assert est.n_iter_ == len(est.loss_curve_) == 6
    assert est.loss_ == min(est.loss_curve_[:-1])
    assert all(np.all(np.isfinite(a)) for a in est.coefs_ + est.intercepts_)
    assert np.all(np.isfinite(est.predict(X)))


def _diverging(X, y):
    return _reg(solver="sgd", learning_rate_init=0.3, batch_size=10).fit(X, y)


def _in_a_pipeline(X, y):
    return make_pipeline(StandardScaler(), _reg(max_iter=2)).fit(X, y)


CONVERGENCE_WARNINGS = {
    "max_iter": lambda X, y: _reg(max_iter=2).fit(X, y),
    "lbfgs": lambda X, y: _reg(solver="lbfgs", max_iter=2).fit(X, y),
    "diverged": _diverging,
    "in a pipeline": _in_a_pipeline,
    "in cross_val_score": lambda X, y: cross_val_score(_reg(max_iter=2), X, y, cv=2),
}


@pytest.mark.parametrize("fit", CONVERGENCE_WARNINGS.values(), ids=CONVERGENCE_WARNINGS)
def test_convergence_warnings_are_filtered_by_module_skscratch(data, fit):
    """scikit-learn's examples (plot_mlp_training_curves) silence its MLP's warnings
    with filterwarnings("ignore", category=ConvergenceWarning, module="sklearn"):
    skscratch's are silenced with module="skscratch", whoever calls fit, and
    never by the filter on sklearn."""
    X, y = data

    def shown(module):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            warnings.filterwarnings("ignore", category=ConvergenceWarning, module=module)
            fit(X, y)
        return [w for w in record if issubclass(w.category, ConvergenceWarning)]

    assert shown("skscratch") == []
    assert shown("sklearn") and all(from_skscratch(w) for w in shown("sklearn"))


def test_sgd_divergence_in_the_first_epoch_raises(data):
    # No epoch ended with finite weights: no model to keep (scikit-learn's error).
    X, y = data
    est = _reg(solver="sgd", learning_rate_init=1.0, batch_size=10)
    with pytest.raises(
        ValueError, match="non-finite parameter weights.*learning_rate_init"
    ):
        est.fit(X * 1e80, y)
    assert not hasattr(est, "coefs_")


def test_lbfgs_without_a_finite_iterate_raises(data):
    X, y = data
    est = _reg(solver="lbfgs")
    with pytest.raises(ValueError, match="non-finite parameter weights.*Scale X"):
        est.fit(X * 1e150, y)
    assert not hasattr(est, "coefs_")


def test_lbfgs_max_fun(data):
    X, y = data
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge") as record:
        est = _reg(solver="lbfgs", max_iter=1000, max_fun=5).fit(X, y)
    assert from_skscratch(record[0])
    assert est.n_iter_ <= 5


@converging_cut_short
def test_lbfgs_verbose_and_loss_curve(data, capsys):
    X, y = data
    est = _reg(solver="lbfgs", max_iter=8, verbose=True).fit(X, y)
    lines = [
        ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("Iteration")
    ]
    assert len(lines) == len(est.loss_curve_) == est.n_iter_ == 8
    assert est.loss_ == pytest.approx(est.loss_curve_[-1])
    assert est.loss_curve_ == sorted(est.loss_curve_, reverse=True)  # never goes up


@converging_cut_short
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_every_solver_and_activation_learns(solver, activation):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    est = ScratchMLPClassifier(
        hidden_layer_sizes=(5,),
        activation=activation,
        solver=solver,
        learning_rate_init=0.05,
        max_iter=60,
        random_state=0,
    ).fit(X, y)
    assert est.score(X, y) >= 0.9
