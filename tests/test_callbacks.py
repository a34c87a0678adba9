"""Callbacks and history_: hooks in order, stopping from a callback, the epoch records."""

import io
import time
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor
from skscratch.callbacks import (
    Callback,
    EarlyStopping,
    Hooks,
    ProgressBar,
    copy_weights,
    restore_weights,
)

converging_cut_short = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"  # small max_iter on purpose
)
RECORD_KEYS = {"epoch", "loss", "validation_score", "learning_rate", "seconds"}


class Recorder:
    """Logs every hook call; asks to stop once ``stop_at`` epochs are done."""

    def __init__(self, stop_at=None):
        self.calls = []
        self.stop_at = stop_at

    def on_fit_begin(self, estimator):
        self.calls.append(("begin", estimator.n_iter_, len(estimator.coefs_)))

    def on_epoch_end(self, estimator, record):
        self.calls.append(("epoch", record["epoch"], record["loss"]))
        return self.stop_at is not None and record["epoch"] >= self.stop_at

    def on_fit_end(self, estimator):
        self.calls.append(("end", estimator.n_iter_))


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    return X, (X[:, 0] - X[:, 1] > 0).astype(int)


def _clf(**params):
    return ScratchMLPClassifier(**{"hidden_layer_sizes": (5,), "random_state": 0, **params})


@converging_cut_short
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_hooks_called_in_order(data, solver):
    recorder = Recorder()
    est = _clf(solver=solver, max_iter=4, callbacks=[recorder]).fit(*data)
    assert recorder.calls[0] == ("begin", 0, 2)  # the initial weights are in place
    epochs = [c for c in recorder.calls if c[0] == "epoch"]
    assert [c[1] for c in epochs] == [1, 2, 3, 4]
    assert [c[2] for c in epochs] == est.loss_curve_
    assert recorder.calls[-1] == ("end", 4)  # fitted attributes set before on_fit_end


class Watcher(Callback):
    """What the model a callback receives predicts, and its attributes, at every hook."""

    def __init__(self, X):
        self.X, self.epochs, self.begin_hooks = X, [], 0

    def on_epoch_begin(self, estimator):
        self.begin_hooks += 1

    def on_epoch_end(self, estimator, record):
        self.epochs.append(
            {
                "proba": estimator.predict_proba(self.X),
                "n_iter_": estimator.n_iter_,
                "loss_": estimator.loss_,
                "loss_curve_": list(estimator.loss_curve_),
                "history_": list(estimator.history_),
                "record": record,
            }
        )


def _assert_consistent(seen):
    assert seen["loss_"] == seen["loss_curve_"][-1] == seen["record"]["loss"]
    assert seen["history_"][-1] is seen["record"]
    assert len(seen["history_"]) == len(seen["loss_curve_"])


@converging_cut_short
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_at_epoch_end_the_model_predicts_with_that_epochs_weights(data, solver):
    X, y = data
    watcher = Watcher(X)
    _clf(solver=solver, max_iter=5, callbacks=[watcher]).fit(X, y)
    assert len(watcher.epochs) == 5
    assert watcher.begin_hooks == (5 if solver != "lbfgs" else 0)
    for epoch, seen in enumerate(watcher.epochs, start=1):
        alone = _clf(solver=solver, max_iter=epoch).fit(X, y)
        np.testing.assert_allclose(seen["proba"], alone.predict_proba(X), rtol=1e-12)
        assert seen["n_iter_"] == epoch
        _assert_consistent(seen)


@converging_cut_short
def test_in_a_warm_fit_and_partial_fit_the_model_follows_the_epochs(data):
    X, y = data
    watcher = Watcher(X)
    warm = _clf(max_iter=3, warm_start=True).fit(X, y)
    warm.set_params(callbacks=[watcher]).fit(X, y)
    for epoch, seen in enumerate(watcher.epochs, start=1):
        alone = _clf(max_iter=3, warm_start=True).fit(X, y)
        alone.set_params(max_iter=epoch).fit(X, y)
        np.testing.assert_allclose(seen["proba"], alone.predict_proba(X), rtol=1e-12)
        assert seen["n_iter_"] == epoch and len(seen["loss_curve_"]) == 3 + epoch
        _assert_consistent(seen)
    # partial_fit: the first call's model already predicts (no NotFittedError).
    watcher = Watcher(X)
    model = _clf(callbacks=[watcher])
    for _ in range(3):
        model.partial_fit(X, y, classes=[0, 1])
        np.testing.assert_array_equal(watcher.epochs[-1]["proba"], model.predict_proba(X))
    assert [seen["n_iter_"] for seen in watcher.epochs] == [1, 1, 1]
    assert [len(seen["loss_curve_"]) for seen in watcher.epochs] == [1, 2, 3]


def test_a_callback_that_raises_leaves_the_model_as_it_was(data):
    X, y = data
    with pytest.warns(ConvergenceWarning):
        model = _clf(max_iter=3, warm_start=True).fit(X, y)
    weights, curve = copy_weights(model), list(model.loss_curve_)

    class Fails(Callback):
        def on_epoch_end(self, estimator, record):
            if record["epoch"] == 5:
                raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed"):
        model.set_params(callbacks=[Fails()]).fit(X, y)
    assert model.loss_curve_ == curve
    for a, b in zip(copy_weights(model), weights):
        np.testing.assert_array_equal(a["params"]["W"], b["params"]["W"])


@converging_cut_short
def test_early_stopping_callback_on_the_fit_score_equals_the_built_in_rule(data):
    # The built-in early stopping is a callback on the same hooks: the public one,
    # scoring the estimator on the same validation set, trains the same model.
    X, y = data
    X_val, y_val = X[::3], y[::3]
    params = {"max_iter": 300, "learning_rate_init": 0.01}
    built_in = _clf(early_stopping=True, tol=0.01, **params)
    built_in.fit(X, y, X_val=X_val, y_val=y_val)
    stop = EarlyStopping(X_val, y_val, patience=10, tol=0.01)
    # tol=0 leaves the training-loss rule, which early_stopping=False keeps, idle.
    ours = _clf(callbacks=[stop], tol=0.0, **params).fit(X, y)
    assert ours.n_iter_ == built_in.n_iter_ < 300
    assert stop.scores_ == built_in.validation_scores_
    for a, b in zip(ours.coefs_, built_in.coefs_):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_on_roc_auc_keeps_the_best_epochs_weights():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 5))
    y = (X[:, 0] + 0.5 * rng.normal(size=400) > 0).astype(int)
    X_val, y_val = X[300:], y[300:]
    stop = EarlyStopping(X_val, y_val, scoring="roc_auc", patience=3)
    model = _clf(hidden_layer_sizes=(20,), max_iter=500, learning_rate_init=0.05)
    model.set_params(callbacks=[stop]).fit(X[:300], y[:300])
    assert model.n_iter_ == stop.best_epoch_ + 4 < 500  # patience 3: the 4th epoch stops
    auc = roc_auc_score(y_val, model.predict_proba(X_val)[:, 1])
    assert auc == stop.best_score_ == max(stop.scores_)
    assert stop.scores_[-1] < stop.best_score_  # the last epoch's weights were not kept


@converging_cut_short
def test_restore_weights_reaches_the_network_being_trained(data):
    X, y = data

    class BackToTheStart(Callback):
        def on_fit_begin(self, estimator):
            self.start = copy_weights(estimator)

        def on_epoch_end(self, estimator, record):
            restore_weights(estimator, self.start)

    start = _clf(max_iter=1).fit(X, y)  # only to see the initial weights' loss
    model = _clf(max_iter=4, callbacks=[BackToTheStart()]).fit(X, y)
    # Every epoch starts from the initial weights again, so every loss is the first's.
    assert model.loss_curve_ == [start.loss_] * 4
    with pytest.raises(ValueError, match="other layers"):
        restore_weights(
            model, copy_weights(_clf(hidden_layer_sizes=(3,), max_iter=1).fit(X, y))
        )


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_callback_stops_training_without_warning(data, solver):
    recorder = Recorder(stop_at=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = _clf(solver=solver, max_iter=50, callbacks=[recorder]).fit(*data)
    assert est.n_iter_ == 3 == len(est.loss_curve_) == len(est.history_)
    assert recorder.calls[-1] == ("end", 3)


def test_callback_with_only_some_hooks(data):
    seen = []

    class EpochsOnly:
        def on_epoch_end(self, estimator, record):
            seen.append(record["epoch"])

    with pytest.warns(ConvergenceWarning):
        _clf(max_iter=3, callbacks=[EpochsOnly()]).fit(*data)
    assert seen == [1, 2, 3]


def test_object_without_hooks_is_rejected(data):
    with pytest.raises(TypeError, match="on_epoch_end"):
        _clf(callbacks=[object()]).fit(*data)


@converging_cut_short
def test_history_records(data):
    est = _clf(max_iter=5, early_stopping=True, validation_fraction=0.2)
    started = time.perf_counter()
    est.fit(*data)
    elapsed = time.perf_counter() - started
    assert len(est.history_) == est.n_iter_ == 5
    for i, record in enumerate(est.history_, start=1):
        assert set(record) == RECORD_KEYS | {"validation_loss"}  # early stopping
        assert record["epoch"] == i
        assert record["learning_rate"] == 0.001
    # Each record times its own epoch: together no more than the whole fit.
    seconds = [record["seconds"] for record in est.history_]
    assert all(s > 0 for s in seconds) and sum(seconds) <= elapsed
    assert [r["loss"] for r in est.history_] == est.loss_curve_
    assert [r["validation_score"] for r in est.history_] == est.validation_scores_


@converging_cut_short
def test_history_lbfgs_has_no_learning_rate(data):
    est = _clf(solver="lbfgs", max_iter=4).fit(*data)
    assert [r["learning_rate"] for r in est.history_] == [None] * 4
    assert [r["validation_score"] for r in est.history_] == [None] * 4


@converging_cut_short
def test_history_continues_across_warm_start_and_partial_fit(data):
    X, y = data
    est = _clf(max_iter=3, warm_start=True).fit(X, y).fit(X, y)
    assert [r["epoch"] for r in est.history_] == [1, 2, 3, 4, 5, 6]
    refit = _clf(max_iter=3).fit(X, y).fit(X, y)  # no warm start: history starts over
    assert [r["epoch"] for r in refit.history_] == [1, 2, 3]
    reg = ScratchMLPRegressor(hidden_layer_sizes=(5,), random_state=0)
    for _ in range(3):
        reg.partial_fit(X, y.astype(float))
    assert [r["epoch"] for r in reg.history_] == [1, 2, 3]


def test_history_as_dataframe(data):
    pd = pytest.importorskip("pandas")
    with pytest.warns(ConvergenceWarning):
        est = _clf(max_iter=3).fit(*data)
    frame = pd.DataFrame(est.history_)
    assert list(frame["epoch"]) == [1, 2, 3]
    assert set(frame.columns) == RECORD_KEYS


def test_progress_bar_text(data):
    out = io.StringIO()
    with pytest.warns(ConvergenceWarning):
        _clf(max_iter=3, callbacks=[ProgressBar(out, use_tqdm=False)]).fit(*data)
    text = out.getvalue()
    assert text.endswith("\n")
    lines = text.strip("\n").split("\r")
    assert [line.split()[1] for line in lines if line] == ["1/3", "2/3", "3/3"]
    assert "loss" in lines[-1]


def test_progress_bar_tqdm(data):
    pytest.importorskip("tqdm")
    out = io.StringIO()
    with pytest.warns(ConvergenceWarning):
        _clf(max_iter=3, callbacks=[ProgressBar(out, use_tqdm=True)]).fit(*data)
    assert "3/3" in out.getvalue()


def test_callback_base_class_hooks_do_nothing(data):
    class OnlyEnd(Callback):
        ended = 0

        def on_fit_end(self, estimator):
            OnlyEnd.ended += 1

    est = _clf(max_iter=3, callbacks=[OnlyEnd()])
    with pytest.warns(ConvergenceWarning):
        est.fit(*data)
    assert OnlyEnd.ended == 1 and est.n_iter_ == 3  # the default on_epoch_end never stops


def test_hooks_call_every_callback_and_report_a_stop():
    calls = []

    class Hook(Callback):
        def __init__(self, stop):
            self.stop = stop

        def on_epoch_end(self, estimator, record):
            calls.append((self.stop, record))
            return self.stop

    assert Hooks([Hook(True), Hook(False)])("on_epoch_end", "r") is True
    assert calls == [(True, "r"), (False, "r")]  # called after a stop too
    assert Hooks([Hook(False)])("on_epoch_end", "r") is False
    assert Hooks([object()])("on_fit_begin") is False  # hooks are optional


def test_text_progress_line_leaves_no_stray_characters():
    # A carriage return moves back to the start of the line without erasing
    # it: a shorter line must blank what is left of the longer one before.
    out = io.StringIO()
    bar = ProgressBar(out, use_tqdm=False)

    class Est:
        max_iter = 9

    bar.on_fit_begin(Est())
    for epoch, loss in [(1, 123456.789), (2, 0.5)]:
        record = {"epoch": epoch, "loss": loss, "validation_score": None}
        bar.on_epoch_end(Est(), record)
    screen = ""
    for segment in out.getvalue().split("\r"):
        screen = segment + screen[len(segment) :]
    assert screen.rstrip().startswith("epoch 2/9  loss 0.5  ")
    assert screen.rstrip().endswith("s") and not screen.rstrip().endswith("ss")
