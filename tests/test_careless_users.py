"""What careless users do (issue 10): each ends in a correct result, or in a clear
error raised before anything changes, as scikit-learn's MLP does or better."""

import threading
import warnings
from unittest import mock

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import learning_curve
from sklearn.neural_network import MLPClassifier, MLPRegressor

import skscratch
from skscratch import ScratchMLPClassifier, ScratchMLPRegressor
from skscratch.core import Network

converging_cut_short = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"  # small max_iter on purpose
)

rng = np.random.RandomState(0)
X = rng.normal(size=(60, 4))
Y_CLASS = (X[:, 0] + X[:, 1] > 0).astype(int)
Y_REG = np.sin(X[:, 0]) + X[:, 1]


def _clf(**params):
    return ScratchMLPClassifier(
        **{"hidden_layer_sizes": (5,), "max_iter": 5, "random_state": 0, **params}
    )


def _reg(**params):
    return ScratchMLPRegressor(
        **{"hidden_layer_sizes": (5,), "max_iter": 5, "random_state": 0, **params}
    )


def _weights(est):
    return [a.copy() for a in est.coefs_ + est.intercepts_]


def _assert_same_weights(a, b):
    assert len(a) == len(b)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p, q)


# ------------------------------------------------------ early-stopping split
@converging_cut_short
def test_early_stopping_with_more_classes_than_validation_samples():
    # 1,000 classes of 2 samples: 200 held out cannot hold every class, so the
    # split is drawn without stratification (scikit-learn's MLP fits this too).
    X_many = np.random.RandomState(0).normal(size=(2000, 3))
    y_many = np.repeat(np.arange(1000), 2)
    est = _clf(early_stopping=True, max_iter=2).fit(X_many, y_many)
    assert len(est.validation_scores_) == est.n_iter_ == 2
    assert est.classes_.size == 1000


@converging_cut_short
def test_early_stopping_with_a_class_of_one_sample():
    # A stratified split needs 2 samples per class; scikit-learn raises for this
    # binary y, skscratch splits without stratification.
    y = np.r_[np.zeros(59, dtype=int), 1]
    est = _clf(early_stopping=True).fit(X, y)
    assert len(est.validation_scores_) == est.n_iter_


@converging_cut_short
def test_early_stopping_with_fewer_validation_samples_than_classes():
    # Iris with validation_fraction=0.01: 2 held-out samples for 3 classes.
    X_iris, y_iris = load_iris(return_X_y=True)
    est = _clf(early_stopping=True, validation_fraction=0.01).fit(X_iris, y_iris)
    assert len(est.validation_scores_) == est.n_iter_


@converging_cut_short
@pytest.mark.parametrize("make", [_clf, _reg])
@pytest.mark.parametrize("n, fraction", [(10, 0.1), (4, 0.1), (2, 0.5), (2, 0.9)])
def test_early_stopping_without_room_for_a_validation_set(make, n, fraction):
    # < 2 validation samples or no training sample: no split can work.
    y = (Y_CLASS if make is _clf else Y_REG)[:n].copy()
    if make is _clf:
        y[:2] = [0, 1]
    est = make().fit(X, Y_CLASS if make is _clf else Y_REG)
    before = _weights(est)
    est.set_params(early_stopping=True, validation_fraction=fraction)
    with pytest.raises(ValueError, match="validation set is too small") as info:
        est.fit(X[:n], y)
    assert "early_stopping=True" in str(info.value)
    assert f"validation_fraction={fraction}" in str(info.value)
    _assert_same_weights(_weights(est), before)
    assert est.n_features_in_ == 4


@converging_cut_short
def test_binary_early_stopping_split_is_still_stratified_as_in_sklearn():
    # Where stratifying is possible, the split (so the scores) is scikit-learn's.
    params = {"hidden_layer_sizes": (5,), "max_iter": 5, "random_state": 0}
    ours = ScratchMLPClassifier(early_stopping=True, **params).fit(X, Y_CLASS)
    theirs = MLPClassifier(early_stopping=True, **params).fit(X, Y_CLASS)
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_)


# -------------------------------------------------------------- single class
@converging_cut_short
def test_single_class_fits_and_predicts_that_class():
    est = _clf().fit(X, np.full(60, "spam"))
    far = X * 100
    assert est.predict(far).tolist() == ["spam"] * 60
    np.testing.assert_array_equal(est.predict_proba(far), np.ones((60, 1)))
    np.testing.assert_array_equal(est.predict_log_proba(far), np.zeros((60, 1)))
    assert est.score(X, np.full(60, "spam")) == 1.0


@converging_cut_short
def test_learning_curve_on_unshuffled_iris_folds():
    # The first training sizes of an unshuffled fold hold only Iris's class 0.
    X_iris, y_iris = load_iris(return_X_y=True)
    sizes, train, test = learning_curve(
        _clf(max_iter=20), X_iris, y_iris, cv=3, error_score="raise"
    )
    assert np.isfinite(test).all()


@converging_cut_short
# ------------------------------------------------------------ partial_fit
def test_partial_fit_with_other_classes_after_fit_raises_and_keeps_the_model():
    est = _clf(solver="sgd").fit(X, Y_CLASS)
    before = _weights(est)
    with pytest.raises(ValueError, match=r"classes=\[1, 2\] is not the same"):
        est.partial_fit(X, Y_CLASS, classes=[1, 2])
    _assert_same_weights(_weights(est), before)
    est.partial_fit(X, Y_CLASS, classes=[1, 0])  # the same classes, in any order


def test_partial_fit_with_classes_on_multilabel_targets():
    X_ml, Y_ml = make_multilabel_classification(n_samples=50, random_state=0)
    est = _clf(solver="sgd")
    est.partial_fit(X_ml, Y_ml, classes=[0, 1, 2, 3, 4])
    est.partial_fit(X_ml, Y_ml, classes=[0, 1, 2, 3, 4])
    assert est.predict(X_ml).shape == Y_ml.shape
    with pytest.raises(ValueError, match="multilabel indicator matrix of 5 columns"):
        _clf(solver="sgd").partial_fit(X_ml, Y_ml, classes=[1, 2, 3, 4, 5])


# ----------------------------------------------------------- warm start
@converging_cut_short
def test_warm_start_from_lbfgs_to_adam_and_back():
    est = _clf(solver="lbfgs", warm_start=True, max_iter=20).fit(X, Y_CLASS)
    lbfgs_iterations = est.n_iter_
    lbfgs_loss = est.loss_
    est.set_params(solver="adam", max_iter=3, learning_rate_init=1e-4).fit(X, Y_CLASS)
    assert est.n_iter_ == 3
    # It went on from the L-BFGS weights (a fresh start would be far worse).
    assert est.loss_ < lbfgs_loss + 0.01
    assert len(est.loss_curve_) == len(est.history_) == lbfgs_iterations + 3
    assert [r["learning_rate"] is None for r in est.history_] == [True] * (
        lbfgs_iterations
    ) + [False] * 3
    est.set_params(solver="lbfgs").fit(X, Y_CLASS)
    # An L-BFGS model keeps none of the stochastic solvers' bookkeeping.
    for name in ("best_loss_", "validation_scores_", "_no_improvement_count"):
        assert not hasattr(est, name), name


@converging_cut_short
def test_warm_start_switching_early_stopping_on():
    est = _reg(warm_start=True).fit(X, Y_REG)
    est.set_params(early_stopping=True).fit(X, Y_REG)
    assert len(est.validation_scores_) == est.n_iter_
    assert est.best_loss_ is None
    est.set_params(early_stopping=False).fit(X, Y_REG)
    assert est.validation_scores_ is None and est.best_loss_ is not None


# ------------------------------------------------------------- Ctrl-C
def _interrupt_after(n_batches):
    """Patch the network so that its ``n_batches + 1``-th batch raises KeyboardInterrupt."""
    original = Network.loss_gradient
    calls = {"n": 0}

    def loss_gradient(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > n_batches:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    return mock.patch.object(Network, "loss_gradient", loss_gradient)


def _fit_interrupted(est, n_batches, X, y):
    """Fit with an interrupt at batch ``n_batches + 1``, which must not escape the fit."""
    with _interrupt_after(n_batches):
        try:
            return est.fit(X, y)
        except KeyboardInterrupt:
            pytest.fail("the KeyboardInterrupt escaped the fit")


@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw", "rmsprop"])
def test_keyboard_interrupt_keeps_the_epochs_done(solver):
    # 60 samples in batches of 20: 3 batches an epoch; interrupted in epoch 4.
    params = {"solver": solver, "batch_size": 20, "max_iter": 50}
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est = _fit_interrupted(_reg(**params), 10, X, Y_REG)
    with pytest.warns(ConvergenceWarning):
        three_epochs = _reg(**{**params, "max_iter": 3}).fit(X, Y_REG)
    assert est.n_iter_ == len(est.loss_curve_) == len(est.history_) == 3
    assert est.t_ == 3 * 60
    assert est.loss_curve_ == three_epochs.loss_curve_
    assert est.loss_ == three_epochs.loss_
    _assert_same_weights(_weights(est), _weights(three_epochs))
    np.testing.assert_array_equal(est.predict(X), three_epochs.predict(X))
    est.partial_fit(X, Y_REG)  # goes on, with a fresh optimizer state
    assert est.n_iter_ == 1 and len(est.loss_curve_) == 4


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_keyboard_interrupt_with_early_stopping_keeps_the_best_weights():
    est = _clf(batch_size=20, max_iter=50, early_stopping=True, validation_fraction=0.2)
    _fit_interrupted(est, 10, X, Y_CLASS)
    # 48 training samples: 3 batches an epoch, so 3 epochs were done.
    assert est.n_iter_ == len(est.validation_scores_) == len(est.loss_curve_) == 3
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.score(X, Y_CLASS) > 0


def test_keyboard_interrupt_before_an_epoch_ends_changes_nothing():
    est = _reg(solver="sgd", batch_size=20, warm_start=True)
    with _interrupt_after(2), pytest.raises(KeyboardInterrupt):
        est.fit(X, Y_REG)
    assert not hasattr(est, "coefs_") and not hasattr(est, "n_features_in_")
    with pytest.warns(ConvergenceWarning):
        est.fit(X, Y_REG)
    before = _weights(est)
    with _interrupt_after(2), pytest.raises(KeyboardInterrupt):
        est.fit(X, Y_REG)
    with _interrupt_after(0), pytest.raises(KeyboardInterrupt):
        est.partial_fit(X, Y_REG)
    _assert_same_weights(_weights(est), before)
    assert est.n_iter_ == 5


def test_other_exceptions_during_training_change_nothing():
    est = _reg(solver="adam", batch_size=20, warm_start=True, max_iter=50)
    with pytest.warns(ConvergenceWarning):
        est.set_params(max_iter=5).fit(X, Y_REG)
    before = dict(vars(est))
    weights = [a.copy() for a in est.coefs_ + est.intercepts_]
    with mock.patch.object(Network, "loss_gradient", side_effect=MemoryError("boom")):
        with pytest.raises(MemoryError, match="boom"):
            est.fit(X, Y_REG)
    assert vars(est).keys() == before.keys() and est.layers_ is before["layers_"]
    _assert_same_weights(_weights(est), weights)


# ------------------------------------------------------- the random stream
@converging_cut_short
@pytest.mark.parametrize("batch_size", ["auto", 60, 500])
def test_full_batch_fit_consumes_a_shared_random_state_as_sklearn(batch_size):
    # 60 samples: 'auto' and 60 are one batch a epoch; 500 is clipped to it.
    draws = []
    for Est in (ScratchMLPRegressor, MLPRegressor):
        shared = np.random.RandomState(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # batch_size clipped
            Est(
                hidden_layer_sizes=(5,),
                max_iter=4,
                batch_size=batch_size,
                random_state=shared,
            ).fit(X, Y_REG)
        draws.append(shared.randint(2**31 - 1, size=3).tolist())
    assert draws[0] == draws[1]


# --------------------------------------------------------- predict_log_proba
@converging_cut_short
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_predict_log_proba_far_from_the_data_is_finite(target):
    y = {
        "binary": Y_CLASS,
        "multiclass": np.digitize(X[:, 0], [-0.5, 0.5]),
        "multilabel": np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(int),
    }[target]
    est = _clf(max_iter=200, learning_rate_init=0.05).fit(X, y)
    far = X * 1e4
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero from log(0)
        log_proba = est.predict_log_proba(far)
        proba = est.predict_proba(far)
    assert np.isfinite(log_proba).all() and (log_proba <= 0).all()
    assert (proba == 0).any() or (proba == 1).any()  # the premise: saturated
    if target == "multilabel":
        np.testing.assert_array_equal(log_proba > np.log(0.5), est.predict(far))
    else:
        np.testing.assert_array_equal(
            est.classes_[log_proba.argmax(axis=1)], est.predict(far)
        )
    # Where a probability is representable, it is its logarithm.
    normal = proba > np.finfo(proba.dtype).tiny
    np.testing.assert_allclose(log_proba[normal], np.log(proba[normal]))
    near = est.predict_log_proba(X)
    np.testing.assert_allclose(near, np.log(est.predict_proba(X)), rtol=1e-12)


@converging_cut_short
# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "y, kinds",
    [
        (["a", 1, "b"] * 20, ["str", "int"]),
        (np.array(["a", None, "b"] * 20, dtype=object), ["str", "None"]),
        (np.array([1.5, "x", 2] * 20, dtype=object), ["float", "str"]),
    ],
    ids=["list-str-int", "object-None-str", "object-float-str"],
)
def test_labels_of_mixed_types_are_refused_naming_the_mix(y, kinds):
    est = _clf().fit(X, Y_CLASS)
    with pytest.raises(ValueError, match="mixes label types") as info:
        est.fit(X, y)
    for kind in kinds:
        assert kind in str(info.value)
    assert est.classes_.tolist() == [0, 1]


def test_labels_of_mixed_types_in_a_series_or_in_classes():
    pd = pytest.importorskip("pandas")
    with pytest.raises(ValueError, match="mixes label types"):
        _clf().fit(X, pd.Series(["a", 1, "b"] * 20))
    with pytest.raises(ValueError, match="mixes label types"):
        _clf(solver="sgd").partial_fit(X, Y_CLASS, classes=[0, 1, "x"])


@converging_cut_short
def test_integer_and_float_labels_mix_fine():
    est = _clf().fit(X, [0, 1.0] * 30)
    assert est.classes_.tolist() == [0, 1]


@pytest.mark.parametrize("make", [_clf, _reg])
@pytest.mark.parametrize("unit", ["datetime64[D]", "timedelta64[s]"])
def test_dates_and_durations_in_X_are_refused(make, unit):
    y = Y_CLASS if make is _clf else Y_REG
    X_time = np.arange(240).reshape(60, 4).astype(unit)
    with pytest.raises(TypeError, match=unit.split("[")[0]):
        make().fit(X_time, y)
    with pytest.raises(TypeError, match="datetime64"):
        make().fit([[np.datetime64("2024-01-01")] * 4] * 60, y)
    with pytest.warns(ConvergenceWarning):
        est = make().fit(X, y)
    with pytest.raises(TypeError, match=unit.split("[")[0]):
        est.predict(X_time)


def test_date_columns_of_a_dataframe_are_refused_by_name():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame["when"] = pd.date_range("2024-01-01", periods=60)
    with pytest.raises(TypeError, match=r"\['when'\].*datetime64"):
        _clf().fit(frame, Y_CLASS)


@converging_cut_short
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_network_larger_than_memory_is_refused_before_allocating(solver):
    est = _clf(solver=solver).fit(X, Y_CLASS) if solver == "lbfgs" else _clf(solver=solver)
    with pytest.raises(MemoryError, match=r"6,000,000,001 parameters .* GiB") as info:
        est.set_params(hidden_layer_sizes=(10**9,)).fit(X, Y_CLASS)
    assert "hidden_layer_sizes=(1000000000,)" in str(info.value)
    assert est.n_features_in_ == 4 if solver == "lbfgs" else not hasattr(est, "coefs_")


# ----------------------------------------------------------------- threads
class _HoldFirstFit:
    """Callback that holds the fit of the thread named 'first' until the other's ended."""

    def __init__(self):
        self.other_done = threading.Event()

    def on_fit_begin(self, estimator):
        if threading.current_thread().name == "first":
            assert self.other_done.wait(timeout=30)


def test_two_threads_fitting_one_estimator_never_mix_their_attributes():
    # The fit on 4 features starts first and ends last; in between, a fit on 6
    # features runs to its end. The estimator must end as the last fit left it.
    hold = _HoldFirstFit()
    est = _reg(callbacks=[hold], max_iter=3)
    X6 = np.hstack([X, X[:, :2]])
    errors = []

    def fit(data, name):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                est.fit(data, Y_REG)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            if name == "second":
                hold.other_done.set()

    first = threading.Thread(target=fit, args=(X, "first"), name="first")
    second = threading.Thread(target=fit, args=(X6, "second"), name="second")
    first.start()
    second.start()
    second.join()
    first.join()
    assert not errors, errors
    assert est.n_features_in_ == est.coefs_[0].shape[0] == 4
    with pytest.warns(ConvergenceWarning):
        alone = _reg(max_iter=3).fit(X, Y_REG)
    _assert_same_weights(_weights(est), _weights(alone))
    np.testing.assert_array_equal(est.predict(X), alone.predict(X))


# --------------------------------------------------------------- docstrings
@pytest.mark.parametrize("Est", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_docstrings_name_every_stochastic_solver(Est):
    doc = Est.__doc__
    for phrase in ("'sgd' and 'adam'", "('sgd', 'adam')", "sgd or adam"):
        assert phrase not in doc, phrase
    for name in ("batch_size", "learning_rate_init", "shuffle", "n_iter_no_change"):
        section = " ".join(doc.split(f"    {name} :")[1].split("\n\n")[0].split())
        assert "'adamw', 'rmsprop'" in section, name
    assert skscratch.__file__  # the package under test
