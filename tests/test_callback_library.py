"""skorch's everyday callbacks: Checkpoint, EpochScoring, HistoryLogger (issue 28).

Also what they build on: fit_data (the data of the fit in progress) and
EarlyStopping on a column of history_.
"""

import csv
import json
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import get_scorer, log_loss, make_scorer, roc_auc_score

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor
from skscratch.callbacks import (
    Callback,
    Checkpoint,
    EarlyStopping,
    EpochScoring,
    HistoryLogger,
    fit_data,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"  # few epochs, on purpose
)


@pytest.fixture(scope="module")
def binary():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(160, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] ** 2 + 0.3 * rng.normal(size=160) > 0.4).astype(int)
    return X[:120], y[:120], X[120:], y[120:]


def _clf(**params):
    defaults = {"hidden_layer_sizes": (8,), "learning_rate_init": 0.01, "random_state": 0}
    return ScratchMLPClassifier(**{**defaults, **params})


class Spy(Callback):
    """Keeps what the model being trained predicts, and its record, every epoch."""

    def __init__(self, X, method="predict_proba"):
        self.X, self.method, self.epochs = X, method, []

    def on_epoch_end(self, estimator, record):
        self.epochs.append(
            {"output": getattr(estimator, self.method)(self.X), "record": dict(record)}
        )


def _improvements(values, lower_is_better):
    """The epochs (from 1) whose value beats every earlier one."""
    best, epochs = None, []
    for epoch, value in enumerate(values, start=1):
        if best is None or (value < best if lower_is_better else value > best):
            best = value
            epochs.append(epoch)
    return epochs


# ------------------------------------------------------------------ Checkpoint


@pytest.mark.parametrize(
    ("monitor", "column", "lower"),
    [
        ("auto", "validation_score", False),
        ("validation_loss", "validation_loss", True),
        ("loss", "loss", True),
    ],
)
def test_checkpoint_saves_on_improvement_and_each_file_predicts_like_its_epoch(
    binary, tmp_path, monitor, column, lower
):
    X, y, X_val, y_val = binary
    checkpoint = Checkpoint(tmp_path / "epoch{epoch}.pkl", monitor=monitor)
    spy = Spy(X_val)
    model = _clf(max_iter=25, learning_rate_init=0.1, batch_size=16)
    model.set_params(callbacks=[checkpoint, spy]).fit(X, y, X_val=X_val, y_val=y_val)
    values = [record[column] for record in model.history_]
    expected = _improvements(values, lower)
    assert 1 < len(expected) < 25  # the test sees epochs saved and epochs skipped
    assert checkpoint.saved_epochs_ == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"epoch{epoch}.pkl" for epoch in expected
    )
    for epoch in expected:
        saved = pickle.loads((tmp_path / f"epoch{epoch}.pkl").read_bytes())
        np.testing.assert_array_equal(
            saved.predict_proba(X_val), spy.epochs[epoch - 1]["output"]
        )
        assert saved.n_iter_ == len(saved.history_) == epoch
        assert saved.history_[-1][column] == values[epoch - 1]
        assert saved.callbacks is None
    best = expected[-1]
    assert checkpoint.best_epoch_ == best and checkpoint.best_score_ == values[best - 1]
    assert checkpoint.path_ == str(tmp_path / f"epoch{best}.pkl")


def test_checkpoint_keeps_the_best_in_one_file(binary, tmp_path):
    X, y, X_val, y_val = binary
    checkpoint = Checkpoint(tmp_path / "best.pkl")  # validation_score of the held-out part
    spy = Spy(X_val)
    model = _clf(max_iter=30, early_stopping=True, n_iter_no_change=30)
    model.set_params(callbacks=[checkpoint, spy]).fit(X, y)
    assert [p.name for p in tmp_path.iterdir()] == ["best.pkl"]  # no partial file left
    scores = [record["validation_score"] for record in model.history_]
    best = 1 + int(np.argmax(scores))  # the first epoch with the best score
    loaded = checkpoint.load()
    assert checkpoint.best_epoch_ == loaded.n_iter_ == best
    np.testing.assert_array_equal(
        loaded.predict_proba(X_val), spy.epochs[best - 1]["output"]
    )
    # early_stopping keeps the same epoch's weights: the fitted model agrees.
    np.testing.assert_array_equal(loaded.predict_proba(X_val), model.predict_proba(X_val))


def test_a_checkpoint_trains_on_as_the_model_of_its_epoch(binary, tmp_path):
    # Plain SGD (no momentum) has no optimizer state, so training on from the
    # saved epoch must give exactly what a fit of that many epochs trains on to.
    X, y, _, _ = binary
    params = {"solver": "sgd", "momentum": 0.0, "learning_rate_init": 0.05}
    checkpoint = Checkpoint(tmp_path / "e{epoch}.pkl", monitor="loss")
    _clf(max_iter=12, callbacks=[checkpoint], **params).fit(X, y)
    epoch = checkpoint.saved_epochs_[-3]
    saved = pickle.loads((tmp_path / f"e{epoch}.pkl").read_bytes())
    alone = _clf(max_iter=epoch, **params).fit(X, y)
    for model in (saved, alone):
        model.set_params(warm_start=True, max_iter=6).fit(X, y)
        model.partial_fit(X, y)
    np.testing.assert_array_equal(saved.predict_proba(X), alone.predict_proba(X))
    assert [r["epoch"] for r in saved.history_] == list(range(1, epoch + 8))
    assert saved.loss_curve_ == alone.loss_curve_


def test_an_adam_checkpoint_trains_on_and_its_checkpoint_goes_on_with_its_best(
    binary, tmp_path
):
    X, y, X_val, y_val = binary
    checkpoint = Checkpoint(tmp_path / "e{epoch}.pkl", monitor="validation_loss")
    model = _clf(max_iter=20, learning_rate_init=0.05, callbacks=[checkpoint])
    model.fit(X, y, X_val=X_val, y_val=y_val)
    first = list(checkpoint.saved_epochs_)
    loaded = checkpoint.load()
    loaded.set_params(warm_start=True, max_iter=10, callbacks=[checkpoint])
    loaded.fit(X, y, X_val=X_val, y_val=y_val)
    epochs = [r["epoch"] for r in loaded.history_]
    assert epochs == list(range(1, first[-1] + 11)) and loaded.n_iter_ == 10
    losses = [r["validation_loss"] for r in loaded.history_]
    # The warm fit saved only epochs that beat the best of the first fit.
    assert checkpoint.saved_epochs_ == _improvements(losses, lower_is_better=True)
    assert checkpoint.saved_epochs_[: len(first)] == first


def test_checkpoint_on_a_column_of_your_own_saves_on_strict_improvement(binary, tmp_path):
    X, y, _, _ = binary

    class Column(Callback):
        def on_epoch_end(self, estimator, record):
            record["mine"] = [1.0, 2.0, 2.0, 1.5, 3.0][record["epoch"] - 1]

    checkpoint = Checkpoint(tmp_path / "e{epoch}.pkl", monitor="mine")
    lower = Checkpoint(tmp_path / "low{epoch}.pkl", monitor="mine", lower_is_better=True)
    _clf(max_iter=5, callbacks=[Column(), checkpoint, lower]).fit(X, y)
    assert checkpoint.saved_epochs_ == [1, 2, 5] and checkpoint.best_score_ == 3.0
    assert lower.saved_epochs_ == [1] and lower.best_score_ == 1.0


def test_checkpoint_continues_its_best_over_partial_fit(binary, tmp_path):
    X, y, _, _ = binary
    checkpoint = Checkpoint(tmp_path / "e{epoch}.pkl", monitor="loss")
    model = _clf(learning_rate_init=0.1, batch_size=16, callbacks=[checkpoint])
    for _ in range(12):
        model.partial_fit(X, y, classes=[0, 1])
    losses = [record["loss"] for record in model.history_]
    assert checkpoint.saved_epochs_ == _improvements(losses, lower_is_better=True)
    assert len(checkpoint.saved_epochs_) < 12  # some calls did not improve
    # A fit that starts afresh starts the best afresh.
    model.set_params(max_iter=4).fit(X, y)
    losses = [record["loss"] for record in model.history_]
    assert checkpoint.saved_epochs_ == _improvements(losses, lower_is_better=True)
    assert checkpoint.saved_epochs_[0] == 1


def test_skops_checkpoint_trusts_only_the_estimator_class(binary, tmp_path):
    skops_io = pytest.importorskip("skops.io")
    X, y, X_val, y_val = binary
    path = tmp_path / "best.skops"
    as_skops = Checkpoint(path, format="skops", monitor="validation_loss")
    as_pickle = Checkpoint(tmp_path / "best.pkl", monitor="validation_loss")
    model = _clf(
        max_iter=15, callbacks=[as_skops, as_pickle, HistoryLogger(tmp_path / "h")]
    )
    model.fit(X, y, X_val=X_val, y_val=y_val)
    name = f"{type(model).__module__}.{type(model).__qualname__}"
    assert skops_io.get_untrusted_types(file=path) == [name]
    loaded = as_skops.load()
    assert loaded.callbacks is None
    np.testing.assert_array_equal(
        loaded.predict_proba(X_val), as_pickle.load().predict_proba(X_val)
    )
    np.testing.assert_array_equal(
        skops_io.load(path, trusted=[name]).predict(X_val), loaded.predict(X_val)
    )
    # It trains on too.
    loaded.set_params(warm_start=True, max_iter=3).fit(X, y)
    assert len(loaded.history_) == as_skops.best_epoch_ + 3


def test_a_categorical_checkpoint_is_the_model_a_fit_ending_there_leaves(tmp_path):
    # Unseen categories take the categories' mean embedding, set at the end of a
    # fit: a checkpoint gets it set too, so it predicts as a fit of that many
    # epochs does, on known and unseen categories alike.
    skops_io = pytest.importorskip("skops.io")
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=150), "city": rng.choice(list("xyz"), 150)})
    y = ((X.a > 0) ^ (X.city == "y")).astype(int)
    X_new = pd.DataFrame({"a": [0.1, -1.0, 2.0], "city": ["x", "unseen", "z"]})
    params = {"categorical_features": "auto", "max_iter": 8}
    checkpoint = Checkpoint(tmp_path / "e{epoch}.skops", monitor="loss", format="skops")
    model = _clf(callbacks=[checkpoint], **params).fit(X, y)
    # Saving leaves the fit alone: the same as without the checkpoint.
    assert model.loss_curve_ == _clf(**params).fit(X, y).loss_curve_
    name = f"{ScratchMLPClassifier.__module__}.ScratchMLPClassifier"
    for epoch in (3, 6):
        assert epoch in checkpoint.saved_epochs_
        saved = skops_io.load(tmp_path / f"e{epoch}.skops", trusted=[name])
        alone = _clf(**{**params, "max_iter": epoch}).fit(X, y)
        np.testing.assert_array_equal(
            saved.predict_proba(X_new), alone.predict_proba(X_new)
        )


def test_a_checkpoint_carries_no_state_of_the_fit_in_progress(binary, tmp_path):
    # The model being trained holds the previous fit's Adam moments (committed by
    # the 3-epoch fit; this fit's own are in the loop until it ends): moments
    # that belong to no saved epoch, which a warm start from the file would use.
    X, y, _, _ = binary
    checkpoint = Checkpoint(tmp_path / "e{epoch}.pkl", monitor="loss")
    model = _clf(max_iter=3, warm_start=True).fit(X, y)
    model.set_params(callbacks=[checkpoint, HistoryLogger(tmp_path / "log.csv")]).fit(X, y)
    saved = pickle.loads((tmp_path / "e6.pkl").read_bytes())
    assert saved.callbacks is None  # not the logger, its file, nor this checkpoint
    assert vars(saved)["_optimizer_state"] is None  # a warm start begins Adam afresh
    assert vars(model)["_optimizer_state"] is not None  # (the fitted model keeps its)


# ---------------------------------------------------------------- EpochScoring


class ByHand(Callback):
    """Applies scorers by hand to the model of each epoch, on the given data."""

    def __init__(self, scorer, data):
        self.scorer, self.data, self.scores = scorer, data, []

    def on_epoch_end(self, estimator, record):
        self.scores.append(self.scorer(estimator, *self.data(estimator)))


def test_epoch_scoring_on_train_and_on_x_val_equals_the_scorer_by_hand(binary):
    X, y, X_val, y_val = binary
    auc = get_scorer("roc_auc")
    on_train = EpochScoring("roc_auc", on="train")
    on_val = EpochScoring("neg_log_loss")  # on="validation"
    by_hand_train = ByHand(auc, lambda est: (X, y))
    by_hand_val = ByHand(get_scorer("neg_log_loss"), lambda est: (X_val, y_val))
    model = _clf(max_iter=8, callbacks=[on_train, on_val, by_hand_train, by_hand_val])
    model.fit(X, y, X_val=X_val, y_val=y_val)
    assert [r["train_roc_auc"] for r in model.history_] == by_hand_train.scores
    assert [r["validation_neg_log_loss"] for r in model.history_] == by_hand_val.scores
    assert on_train.scores_ == by_hand_train.scores and on_val.name_ == (
        "validation_neg_log_loss"
    )
    # The validation loss the fit records is the log loss of the same model.
    np.testing.assert_allclose(
        [-s for s in by_hand_val.scores], [r["validation_loss"] for r in model.history_]
    )
    assert len(set(by_hand_train.scores)) > 1  # the scores follow the epochs


def test_the_held_out_part_is_the_one_the_fit_validates_on():
    # A raw frame with a text column, early stopping holding out 25%: fit_data's
    # validation rows give the fit's own validation_score and validation_loss,
    # and EpochScoring scores exactly those rows and the others.
    rng = np.random.RandomState(1)
    X = pd.DataFrame({"a": rng.normal(size=160), "city": rng.choice(list("xyz"), 160)})
    y = np.where((X.a > 0) ^ (X.city == "y"), "yes", "no")
    seen = {}

    class Parts(Callback):
        def on_fit_begin(self, estimator):
            seen["data"] = fit_data(estimator)

        def on_epoch_end(self, estimator, record):
            data = fit_data(estimator)
            seen.setdefault("by_hand", []).append(
                (
                    estimator.score(data.X_val, data.y_val),
                    log_loss(data.y_val, estimator.predict_proba(data.X_val)),
                    roc_auc_score(data.y, estimator.predict_proba(data.X)[:, 1]),
                    roc_auc_score(data.y_val, estimator.predict_proba(data.X_val)[:, 1]),
                )
            )

    model = _clf(
        categorical_features="auto",
        early_stopping=True,
        validation_fraction=0.25,
        max_iter=6,
        n_iter_no_change=10,
        callbacks=[EpochScoring("roc_auc", on="train"), EpochScoring("roc_auc"), Parts()],
    ).fit(X, y)
    data = seen["data"]
    assert isinstance(data.X, pd.DataFrame) and isinstance(data.X_val, pd.DataFrame)
    assert len(data.X_val) == 40 and len(data.X) == 120
    assert sorted([*data.X.index, *data.X_val.index]) == list(range(160))
    for record, (accuracy, loss, train_auc, val_auc) in zip(
        model.history_, seen["by_hand"]
    ):
        assert record["validation_score"] == pytest.approx(accuracy, rel=1e-12)
        assert record["validation_loss"] == pytest.approx(loss, rel=1e-6)
        assert (record["train_roc_auc"], record["validation_roc_auc"]) == (
            train_auc,
            val_auc,
        )


def test_epoch_scoring_with_lbfgs_and_a_regressor(regression_data):
    X, y = regression_data
    scoring = EpochScoring("r2", on="train")
    spy = ByHand(get_scorer("r2"), lambda est: (X, y))
    model = ScratchMLPRegressor(
        hidden_layer_sizes=(6,),
        solver="lbfgs",
        max_iter=7,
        random_state=0,
        callbacks=[scoring, spy],
    ).fit(X, y)
    assert [r["train_r2"] for r in model.history_] == spy.scores
    assert len(model.history_) == model.n_iter_


def test_history_column_names_and_plot_history_draws_them(binary):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skscratch.plotting import plot_history

    X, y, X_val, y_val = binary

    def balanced(estimator, X, y):
        return get_scorer("balanced_accuracy")(estimator, X, y)

    callbacks = [
        EpochScoring("roc_auc", on="train"),
        EpochScoring("roc_auc"),
        EpochScoring(balanced, on="train"),
        EpochScoring(
            make_scorer(roc_auc_score, response_method="predict_proba"), name="auc"
        ),
    ]
    model = _clf(max_iter=4, callbacks=callbacks).fit(X, y, X_val=X_val, y_val=y_val)
    added = ["train_roc_auc", "validation_roc_auc", "train_balanced", "auc"]
    for record in model.history_:
        assert list(record) == [
            "epoch",
            "loss",
            "validation_score",
            "learning_rate",
            "seconds",
            "validation_loss",
            *added,
        ]
    assert [c.name_ for c in callbacks] == added
    ax = plot_history(model)
    lines = {line.get_label(): line for line in ax.right_ax.get_lines()}
    assert list(lines) == ["validation score", *added]
    for name in added:
        assert list(lines[name].get_ydata()) == [r[name] for r in model.history_]
    plt.close("all")


def test_early_stopping_on_an_epoch_scoring_column_stops_as_on_its_own_scorer(binary):
    X, y, X_val, y_val = binary
    own = EarlyStopping(X_val, y_val, scoring="roc_auc", patience=3)
    _clf(max_iter=200, callbacks=[own]).fit(X, y)
    scoring = EpochScoring("roc_auc")
    by_column = EarlyStopping(monitor="validation_roc_auc", patience=3)
    model = _clf(max_iter=200, callbacks=[scoring, by_column])
    model.fit(X, y, X_val=X_val, y_val=y_val)
    assert model.n_iter_ < 200
    assert by_column.scores_ == own.scores_ and by_column.best_epoch_ == own.best_epoch_
    assert by_column.best_score_ == max(r["validation_roc_auc"] for r in model.history_)


def test_early_stopping_on_a_loss_column_keeps_its_lowest_epoch(binary):
    X, y, X_val, y_val = binary
    stop = EarlyStopping(monitor="validation_loss", patience=2)
    spy = Spy(X_val)
    model = _clf(max_iter=300, learning_rate_init=0.1, callbacks=[stop, spy])
    model.fit(X, y, X_val=X_val, y_val=y_val)
    losses = [r["validation_loss"] for r in model.history_]
    best = 1 + int(np.argmin(losses))
    assert model.n_iter_ == best + 3 < 300  # stopped patience + 1 epochs after it
    assert stop.best_epoch_ == best and stop.best_score_ == min(losses)
    np.testing.assert_array_equal(
        model.predict_proba(X_val), spy.epochs[best - 1]["output"]
    )


# --------------------------------------------------------------- HistoryLogger


def test_csv_logger_writes_the_history_and_flushes_every_epoch(binary, tmp_path):
    X, y, X_val, y_val = binary
    path = tmp_path / "history.csv"
    rows_seen = []

    class Reader(Callback):  # after the logger: reads the file as another process would
        def on_epoch_end(self, estimator, record):
            rows_seen.append(len(path.read_text().splitlines()))

    logger = HistoryLogger(path)
    model = _clf(max_iter=6, callbacks=[EpochScoring("roc_auc"), logger, Reader()])
    model.fit(X, y, X_val=X_val, y_val=y_val)
    assert rows_seen == [2, 3, 4, 5, 6, 7]  # the header, then one row per epoch
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == list(model.history_[0])
    for row, record in zip(rows, model.history_, strict=True):
        assert row["validation_score"] and row["learning_rate"]
        for key, value in record.items():
            assert float(row[key]) == value  # written exactly (repr of the float)


def test_jsonl_logger_keeps_every_column_and_writes_null_for_nan(binary, tmp_path):
    X, y, _, _ = binary

    class Odd(Callback):
        def on_epoch_end(self, estimator, record):
            record["odd"] = np.nan if record["epoch"] % 2 else np.float32(record["epoch"])

    path = tmp_path / "history.jsonl"
    model = _clf(
        solver="lbfgs", max_iter=5, callbacks=[Odd(), HistoryLogger(path, "jsonl")]
    )
    model.fit(X, y)
    lines = [json.loads(line, parse_constant=pytest.fail) for line in open(path)]
    assert len(lines) == len(model.history_) == 5
    for line, record in zip(lines, model.history_):
        assert line == {
            **record,
            "validation_score": None,
            "learning_rate": None,  # lbfgs has none
            "odd": None if record["epoch"] % 2 else record["epoch"],
        }


@pytest.mark.parametrize("format", ["csv", "jsonl"])
def test_logger_appends_when_a_fit_continues_and_starts_afresh_otherwise(
    binary, tmp_path, format
):
    X, y, _, _ = binary
    path = tmp_path / f"history.{format}"
    model = _clf(max_iter=3, warm_start=True, callbacks=[HistoryLogger(path, format)])
    model.fit(X, y)
    model.fit(X, y)
    model.partial_fit(X, y)
    lines = path.read_text().splitlines()
    header = 1 if format == "csv" else 0
    assert len(lines) == header + 7
    if format == "csv":
        assert lines[0].startswith("epoch,") and not lines[1].startswith("epoch")
        assert [line.split(",")[0] for line in lines[1:]] == [str(e) for e in range(1, 8)]
    else:
        assert [json.loads(line)["epoch"] for line in lines] == list(range(1, 8))
    model.set_params(warm_start=False, max_iter=2).fit(X, y)
    assert len(path.read_text().splitlines()) == header + 2


# ------------------------------------------------------- bad arguments, early


class Counts(Callback):
    def __init__(self):
        self.epochs = 0

    def on_epoch_end(self, estimator, record):
        self.epochs += 1


@pytest.mark.parametrize(
    ("callbacks", "fit_val", "error", "match"),
    [
        (lambda p: [Checkpoint(p / "m.pkl", format="json")], True, ValueError, "format"),
        (lambda p: [Checkpoint(3)], True, TypeError, "path must be a str"),
        (lambda p: [Checkpoint(p / "{step}.pkl")], True, ValueError, r"\{epoch\}"),
        (
            lambda p: [Checkpoint(p / "m.pkl", monitor="validation_score")],
            False,
            ValueError,
            "needs a validation set",
        ),
        (
            lambda p: [
                Checkpoint(p / "m.pkl", monitor="validation_roc_auc"),
                EpochScoring("roc_auc"),
            ],
            True,
            ValueError,
            "list EpochScoring before Checkpoint",
        ),
        (lambda p: [Checkpoint(p / "m.pkl", monitor=["loss"])], True, TypeError, "monitor"),
        (
            lambda p: [Checkpoint(p / "m.pkl", lower_is_better="yes")],
            True,
            TypeError,
            "lower_is_better",
        ),
        (lambda p: [EpochScoring("roc_auk")], True, ValueError, "roc_auk"),
        (lambda p: [EpochScoring("roc_auc", on="test")], True, ValueError, "on must be"),
        (lambda p: [EpochScoring(3)], True, TypeError, "scoring must be"),
        (lambda p: [EpochScoring("roc_auc", name="loss")], True, ValueError, "own"),
        (
            lambda p: [
                EpochScoring("roc_auc"),
                EpochScoring("accuracy", name="validation_roc_auc"),
            ],
            True,
            ValueError,
            "Two callbacks write",
        ),
        (
            lambda p: [EpochScoring(make_scorer(roc_auc_score))],
            True,
            ValueError,
            "give a name",
        ),
        (lambda p: [EpochScoring("roc_auc")], False, ValueError, "no validation set"),
        (lambda p: [HistoryLogger(p / "h.csv", format="xml")], True, ValueError, "format"),
        (lambda p: [HistoryLogger(None)], True, TypeError, "path must be a str"),
        (
            lambda p: [HistoryLogger(p / "h.csv"), EpochScoring("roc_auc")],
            True,
            ValueError,
            "list the logger after it",
        ),
        (lambda p: [EarlyStopping()], True, ValueError, "needs X_val and y_val"),
        (
            lambda p: [EarlyStopping(p, p, monitor="loss")],
            True,
            ValueError,
            "not both",
        ),
        (
            lambda p: [EarlyStopping(monitor="validation_loss")],
            False,
            ValueError,
            "needs a validation set",
        ),
    ],
)
def test_bad_arguments_raise_before_the_first_epoch(
    binary, tmp_path, callbacks, fit_val, error, match
):
    X, y, X_val, y_val = binary
    counts = Counts()
    model = _clf(max_iter=3, callbacks=[*callbacks(tmp_path), counts])
    with pytest.raises(error, match=match):
        if fit_val:
            model.fit(X, y, X_val=X_val, y_val=y_val)
        else:
            model.fit(X, y)
    assert counts.epochs == 0
    assert not hasattr(model, "n_iter_")  # the estimator is as it was
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_monitored_column_is_named_after_the_first_epoch(binary, tmp_path):
    X, y, _, _ = binary
    model = _clf(max_iter=3, callbacks=[Checkpoint(tmp_path / "m.pkl", monitor="val_auc")])
    with pytest.raises(ValueError, match=r"no 'val_auc'; it holds \['epoch', 'loss'"):
        model.fit(X, y)
    assert not hasattr(model, "n_iter_")


def test_load_before_any_save_and_fit_data_outside_a_fit(tmp_path):
    with pytest.raises(ValueError, match="saved no model yet"):
        Checkpoint(tmp_path / "m.pkl").load()
    with pytest.raises(ValueError, match="fit in progress"):
        fit_data(_clf())


def test_fit_data_of_partial_fit_is_its_batch(binary):
    X, y, _, _ = binary
    seen = []

    class Look(Callback):
        def on_fit_begin(self, estimator):
            seen.append(fit_data(estimator))

    model = _clf(callbacks=[Look()])
    model.partial_fit(X[:50], y[:50], classes=[0, 1])
    model.partial_fit(X[50:], y[50:])
    assert np.array_equal(seen[0].X, X[:50]) and np.array_equal(seen[0].y, y[:50])
    assert np.array_equal(seen[1].y, y[50:]) and seen[1].X_val is None
