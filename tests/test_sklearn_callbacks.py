"""scikit-learn's callbacks (sklearn.callback, 1.9 on) on skscratch's fits.

With scikit-learn 1.9 or newer the tests check the feature: ``set_callbacks``,
one subtask per epoch, callbacks reaching skscratch from a Pipeline or a
GridSearchCV, ScoringMonitor scoring the model being trained, stopping.
Without sklearn.callback (the floors) they check that ``set_callbacks`` is
absent and says why; a subprocess that hides sklearn.callback checks the same
wherever scikit-learn has it.
"""

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import (
    ScratchMLPClassifier,
    ScratchMLPRegressor,
    TabularMLPClassifier,
    TabularMLPRegressor,
)
from skscratch._callbacks.sklearn_callback import AVAILABLE

needs_sklearn_callback = pytest.mark.skipif(
    not AVAILABLE, reason="this scikit-learn has no sklearn.callback (1.9 adds it)"
)
cut_short = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
ROOT = Path(__file__).resolve().parents[1]
SUBTASKS = ("epoch", "lbfgs-iter")


class Recorder:
    """A scikit-learn callback that logs its hooks; asks to stop at an epoch.

    ``max_propagation_depth`` makes it auto-propagated: set on a Pipeline or a
    GridSearchCV, it reaches the estimators inside.
    """

    max_propagation_depth = None

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.calls = []

    def setup(self, estimator, context):
        self.calls.append(("setup", type(estimator).__name__))

    def teardown(self, estimator, context):
        self.calls.append(("teardown", type(estimator).__name__))

    def on_fit_task_begin(self, estimator, context, *, X=None):
        self.calls.append(("begin", _path(context), X is not None))

    def on_fit_task_end(self, estimator, context, *, X=None):
        self.calls.append(("end", _path(context), X is not None))
        return (
            self.stop_after is not None
            and context.task_name in SUBTASKS
            and context.task_id + 1 >= self.stop_after
        )

    def ended(self, task_name, with_data=True):
        """The paths of the tasks named ``task_name`` that ended (with data)."""
        ends = [call[1:] for call in self.calls if call[0] == "end"]
        return [
            path for path, given in ends if path[-1][1] == task_name and given == with_data
        ]


def _path(context):
    """``((estimator name, task name, task id), ...)`` from the root to ``context``."""
    path = []
    while context is not None:
        path.append((context.estimator_name, context.task_name, context.task_id))
        context = context.parent
    return tuple(reversed(path))


class EpochScores:
    """A skscratch callback: the model's accuracy on (X, y) after every epoch."""

    def __init__(self, X, y):
        self.X, self.y, self.scores = X, y, []

    def on_epoch_end(self, estimator, record):
        self.scores.append(accuracy_score(self.y, estimator.predict(self.X)))


def _data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


@pytest.fixture(scope="module")
def data():
    return _data()


@pytest.fixture(scope="module")
def table():
    """A raw frame with a text column, as the Tabular estimators take it."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame(
        {"x": rng.normal(size=80), "colour": rng.choice(["red", "green", "blue"], 80)}
    )
    return X, ((X["x"] > 0) ^ (X["colour"] == "red")).astype(int)


def _clf(**params):
    return ScratchMLPClassifier(**{"hidden_layer_sizes": (5,), "random_state": 0, **params})


# --------------------------------------------------------- with sklearn.callback
@needs_sklearn_callback
@cut_short
@pytest.mark.parametrize(
    "make",
    [ScratchMLPClassifier, ScratchMLPRegressor, TabularMLPClassifier, TabularMLPRegressor],
)
def test_fit_is_a_task_with_one_subtask_per_epoch(table, make):
    X, y = table
    if not make.__name__.startswith("Tabular"):
        X = X[["x"]]  # the drop-in estimators take numbers only
    if "Regressor" in make.__name__:
        y = y + X["x"]
    recorder = Recorder()
    model = make(max_iter=3, random_state=0)
    assert model.set_callbacks(recorder) is model
    model.fit(X, y)
    name = make.__name__
    fit = ((name, "fit", 0),)
    epochs = [(*fit, (name, "epoch", i)) for i in range(3)]
    assert recorder.calls == [
        ("setup", name),
        ("begin", fit, True),
        *[call for path in epochs for call in (("begin", path, True), ("end", path, True))],
        ("end", fit, True),
        ("teardown", name),
    ]
    assert model.n_iter_ == 3
    assert not [name for name in vars(model) if name.startswith("_callback")]


@needs_sklearn_callback
def test_lbfgs_iterations_are_subtasks(data):
    X, y = data
    recorder = Recorder()
    model = _clf(solver="lbfgs", max_iter=200).set_callbacks(recorder).fit(X, y)
    assert model.n_iter_ < 200  # converged: scipy ran no further iteration
    ran = recorder.ended("lbfgs-iter")
    assert [path[-1][2] for path in ran] == list(range(model.n_iter_))
    # The iteration begun after the last one never ran: it ends empty, the last.
    assert recorder.ended("lbfgs-iter", with_data=False) == [
        (("ScratchMLPClassifier", "fit", 0), ("ScratchMLPClassifier", "lbfgs-iter", 15))
    ]
    begins = [call[1] for call in recorder.calls if call[0] == "begin"]
    ends = [call[1] for call in recorder.calls if call[0] == "end"]
    assert sorted(begins) == sorted(ends)


@needs_sklearn_callback
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_a_callback_stops_training(data, solver):
    X, y = data
    recorder = Recorder(stop_after=3)
    model = _clf(solver=solver, max_iter=50, callbacks=[EpochScores(X, y)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # stopped, not cut short
        model.set_callbacks(recorder).fit(X, y)
    assert model.n_iter_ == len(model.history_) == 3
    assert len(model.callbacks[0].scores) == 3  # skscratch's own callbacks ran too
    task = "epoch" if solver != "lbfgs" else "lbfgs-iter"
    assert len(recorder.ended(task)) == 3
    assert recorder.ended(task, with_data=False) == []  # no iteration begun after


@needs_sklearn_callback
def test_partial_fit_is_a_task_of_one_epoch(data):
    X, y = data
    recorder = Recorder()
    model = _clf().set_callbacks(recorder)
    model.partial_fit(X, y, classes=[0, 1])
    model.partial_fit(X, y)
    name = "ScratchMLPClassifier"
    root = ((name, "partial_fit", 0),)
    one_call = [
        ("setup", name),
        ("begin", root, True),
        ("begin", (*root, (name, "epoch", 0)), True),
        ("end", (*root, (name, "epoch", 0)), True),
        ("end", root, True),
        ("teardown", name),
    ]
    assert recorder.calls == one_call + one_call
    assert len(model.history_) == 2


@needs_sklearn_callback
def test_scoring_monitor_scores_the_model_being_trained(data):
    from sklearn.callback import ScoringMonitor

    X, y = data
    monitor = ScoringMonitor(scoring="accuracy")
    own = EpochScores(X, y)  # skscratch's callbacks parameter works beside it
    model = _clf(learning_rate_init=0.05, max_iter=8, callbacks=[own])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.set_callbacks(monitor).fit(X, y)
    rows = monitor.get_logs().data
    epochs = [row["accuracy"] for row in rows if row["task_name"] == "epoch"]
    # Each epoch's weights, not the final ones: the scores change as it learns.
    assert epochs == own.scores
    assert len(set(epochs)) > 2
    (fit,) = [row["accuracy"] for row in rows if row["task_name"] == "fit"]
    assert fit == model.score(X, y)


@needs_sklearn_callback
def test_scoring_monitor_on_a_raw_table_with_sample_weight(table):
    from sklearn.callback import ScoringMonitor

    X, y = table
    weights = np.where(y == 1, 3.0, 1.0)
    monitor = ScoringMonitor(scoring="accuracy")
    model = TabularMLPClassifier(max_iter=3, random_state=0).set_callbacks(monitor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y, sample_weight=weights)
    rows = monitor.get_logs().data
    assert [row["task_name"] for row in rows] == ["fit", "epoch", "epoch", "epoch"]
    assert rows[0]["accuracy"] == accuracy_score(y, model.predict(X), sample_weight=weights)


@needs_sklearn_callback
def test_fitted_estimator_keeps_the_weights_of_its_epoch(data):
    X, y = data

    class Keep(Recorder):
        def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
            if context.task_name == "epoch":
                self.calls.append((fitted_estimator, fitted_estimator.predict_proba(X)))

    keep = Keep()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _clf(learning_rate_init=0.05, max_iter=4).set_callbacks(keep).fit(X, y)
    kept = [call for call in keep.calls if not isinstance(call[0], str)]
    assert [len(model.loss_curve_) for model, _ in kept] == [1, 2, 3, 4]
    for model, proba in kept:  # training went on after each was taken
        np.testing.assert_array_equal(model.predict_proba(X), proba)
    assert not np.allclose(kept[0][1], kept[-1][1])


@needs_sklearn_callback
@cut_short
def test_callbacks_set_on_a_pipeline_reach_skscratch(data):
    X, y = data
    recorder = Recorder()
    pipe = make_pipeline(StandardScaler(), _clf(max_iter=3))
    pipe.set_callbacks(recorder).fit(X, y)
    name = "ScratchMLPClassifier"
    assert recorder.ended("epoch") == [
        (("Pipeline", "fit", 0), (name, "fit", 1), (name, "epoch", i)) for i in range(3)
    ]
    setups = [call for call in recorder.calls if call[0] in ("setup", "teardown")]
    assert setups == [("setup", "Pipeline"), ("teardown", "Pipeline")]
    assert not hasattr(pipe[-1], "_skl_callbacks")  # the Pipeline took them back


@needs_sklearn_callback
@cut_short
def test_callbacks_set_on_a_grid_search_reach_skscratch(data):
    X, y = data
    recorder = Recorder(stop_after=2)
    search = GridSearchCV(_clf(max_iter=5), {"alpha": [1e-4, 1e-2]}, cv=2)
    search.set_callbacks(recorder).fit(X, y)
    epochs = recorder.ended("epoch")
    assert len(epochs) == (4 + 1) * 2  # four fits and the refit, stopped at 2 epochs
    assert {path[0] for path in epochs} == {("GridSearchCV", "fit", 0)}
    assert search.best_estimator_.n_iter_ == 2


@needs_sklearn_callback
@cut_short
def test_scoring_monitor_on_skscratch_inside_a_grid_search(data):
    from sklearn.callback import ScoringMonitor

    X, y = data
    monitor = ScoringMonitor(scoring="accuracy")
    pipe = make_pipeline(StandardScaler(), _clf(max_iter=2).set_callbacks(monitor))
    GridSearchCV(pipe, {"scratchmlpclassifier__alpha": [1e-4, 1e-2]}, cv=2).fit(X, y)
    logs = monitor.get_logs(select="all")
    rows = [row for log in logs for row in log.data]
    assert [row["task_name"] for row in rows].count("epoch") == (4 + 1) * 2
    assert all(0 <= row["accuracy"] <= 1 for row in rows)
    # The clones that GridSearchCV fits share the callback (scikit-learn's clone).
    assert clone(pipe)[-1]._skl_callbacks == [monitor]


@needs_sklearn_callback
def test_callbacks_are_torn_down_when_fit_fails(data):
    X, y = data

    class Broken(Exception):
        pass

    class FailsAtSecondEpoch(Recorder):
        def on_fit_task_end(self, estimator, context, *, X=None):
            if context.task_name == "epoch" and context.task_id == 1:
                raise Broken("a callback failed")

    failing = FailsAtSecondEpoch()
    model = _clf(max_iter=5).set_callbacks(failing)
    with pytest.raises(Broken):
        model.fit(X, y)
    assert failing.calls[-1] == ("teardown", "ScratchMLPClassifier")
    assert not hasattr(model, "n_iter_")  # left unfitted, as any failed fit leaves it


@needs_sklearn_callback
@cut_short
def test_progress_bar_shows_the_epochs(data, capsys):
    pytest.importorskip("rich", reason="scikit-learn's ProgressBar needs rich")
    from sklearn.callback import ProgressBar

    X, y = data
    _clf(max_iter=3).set_callbacks(ProgressBar()).fit(X, y)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), _clf(max_iter=3)),
        {"scratchmlpclassifier__alpha": [1e-4]},
        cv=2,
    )
    search.set_callbacks(ProgressBar(max_propagation_depth=None)).fit(X, y)
    out = capsys.readouterr().out
    assert out.count("ScratchMLPClassifier - fit") == 4  # alone, 2 folds and the refit
    assert "GridSearchCV - fit" in out


# ------------------------------------------------------ without sklearn.callback
def check_without_sklearn_callback():
    """What a user of a scikit-learn without sklearn.callback sees."""
    X, y = _data()
    own = EpochScores(X, y)
    model = _clf(max_iter=3, callbacks=[own])
    assert not hasattr(model, "set_callbacks")
    missing = r"sklearn\.callback, new in scikit-learn 1\.9"
    with pytest.raises(AttributeError, match=missing):
        model.set_callbacks()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
        assert len(own.scores) == 3  # skscratch's own callbacks work as ever
        search = GridSearchCV(make_pipeline(StandardScaler(), model), {}, cv=2).fit(X, y)
        if hasattr(Pipeline, "set_callbacks"):  # scikit-learn >= 1.9 with it hidden
            with pytest.warns(UserWarning, match="does not support callbacks"):
                make_pipeline(StandardScaler(), clone(model)).set_callbacks(Recorder()).fit(
                    X, y
                )
    assert search.best_estimator_[-1].n_iter_ == 3


@pytest.mark.skipif(AVAILABLE, reason="sklearn.callback exists: the next test hides it")
def test_without_sklearn_callback_set_callbacks_is_absent():
    check_without_sklearn_callback()


def test_with_sklearn_callback_hidden_set_callbacks_is_absent():
    # skscratch is imported while sklearn.callback cannot be, as below 1.9;
    # scikit-learn's own modules, which need it, are imported before and after.
    script = (
        "import sys\n"
        "try:\n"
        "    import sklearn.callback, sklearn.linear_model, sklearn.model_selection\n"
        "    import sklearn.pipeline, sklearn.preprocessing\n"
        "except ImportError:\n"
        "    pass\n"
        "hidden = sys.modules.get('sklearn.callback')\n"
        "sys.modules['sklearn.callback'] = None\n"
        "import test_sklearn_callbacks as t\n"
        "sys.modules['sklearn.callback'] = hidden\n"
        "assert not t.AVAILABLE\n"
        "t.check_without_sklearn_callback()\n"
        "print('checked')\n"
    )
    paths = [str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths))}
    done = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("checked")


@needs_sklearn_callback
def test_with_sklearn_callback_the_estimators_have_set_callbacks():
    from sklearn.callback import CallbackSupportMixin

    for make in (ScratchMLPClassifier, ScratchMLPRegressor):
        assert isinstance(make(), CallbackSupportMixin)
        with pytest.raises(TypeError, match="FitCallback protocol"):
            make().set_callbacks(object())
