"""What skscratch adds to scikit-learn's MLP, and that the additions keep its defaults."""

import io
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import recall_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor, check_gradients
from skscratch.callbacks import ProgressBar
from skscratch.core import HIDDEN_ACTIVATIONS
from skscratch.datasets import make_spiral

NEW_ACTIVATIONS = ["leaky_relu", "elu", "gelu"]


def _quiet_fit(model, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **fit_params)


# ------------------------------------------------------------- drop-in defaults
def test_new_parameters_default_to_sklearn_behaviour(iris):
    """With the additions at their defaults a fit is still sklearn's, to rounding."""
    X, y = iris
    ours = _quiet_fit(ScratchMLPClassifier(max_iter=15, random_state=0), X, y)
    theirs = _quiet_fit(MLPClassifier(max_iter=15, random_state=0), X, y)
    assert ours.dropout == 0.0 and ours.callbacks is None and ours.class_weight is None
    for a, b in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ activations
@pytest.mark.parametrize("name", NEW_ACTIVATIONS)
def test_new_activation_learns_iris(iris, name):
    X, y = iris
    model = ScratchMLPClassifier((20,), activation=name, max_iter=1000, random_state=0)
    assert _quiet_fit(model, X, y).score(X, y) > 0.95


def test_one_activation_per_hidden_layer(iris):
    X, y = iris
    model = ScratchMLPClassifier(
        (8, 6, 4), activation=["tanh", "gelu", "relu"], solver="lbfgs", random_state=0
    )
    _quiet_fit(model, X, y)
    assert model.score(X, y) > 0.95
    # The fitted activations, not the parameter, drive prediction.
    proba = model.predict_proba(X)
    model.set_params(activation="identity")
    np.testing.assert_array_equal(model.predict_proba(X), proba)


@pytest.mark.parametrize(
    "activation, message",
    [(["relu", "tanh"], "2 names for 1 hidden layers"), (["swish"], "Unknown activation")],
)
def test_bad_activation_list(iris, activation, message):
    X, y = iris
    with pytest.raises(ValueError, match=message):
        ScratchMLPClassifier((5,), activation=activation).fit(X, y)


def test_every_activation_has_an_exact_gradient(iris):
    X, y = iris
    for name in HIDDEN_ACTIVATIONS:
        error = check_gradients(ScratchMLPClassifier((5, 4), activation=name), X, y)
        assert error < 1e-6, name


# ---------------------------------------------------------------------- dropout
def test_dropout_is_deterministic_and_changes_training(iris):
    X, y = iris

    def fit(**params):
        return _quiet_fit(
            ScratchMLPClassifier((30,), max_iter=30, random_state=0, **params), X, y
        )

    a, b, plain = fit(dropout=0.3), fit(dropout=0.3), fit()
    for wa, wb in zip(a.coefs_, b.coefs_):
        np.testing.assert_array_equal(wa, wb)
    assert not np.allclose(a.coefs_[0], plain.coefs_[0])


def test_dropout_is_off_at_prediction(iris):
    X, y = iris
    model = ScratchMLPClassifier((30,), dropout=0.2, max_iter=1000, random_state=0)
    model = _quiet_fit(model, X, y)
    np.testing.assert_array_equal(model.predict_proba(X), model.predict_proba(X))
    assert model.score(X, y) > 0.9


def test_dropout_per_layer_and_validation(iris):
    X, y = iris
    _quiet_fit(ScratchMLPClassifier((6, 5), dropout=[0.1, 0.0], max_iter=5), X, y)
    with pytest.raises(ValueError, match="one rate in \\[0, 1\\) per hidden layer"):
        ScratchMLPClassifier((6, 5), dropout=[0.1]).fit(X, y)
    with pytest.raises(ValueError, match="dropout"):
        ScratchMLPClassifier((6,), dropout=1.0).fit(X, y)


def test_dropout_gradient_with_fixed_masks(iris):
    X, y = iris
    model = ScratchMLPClassifier((6, 5), activation="tanh", dropout=[0.4, 0.2], alpha=0.1)
    assert check_gradients(model, X, y) < 1e-6


# ------------------------------------------------------------------ class_weight
def test_balanced_class_weight_raises_minority_recall():
    X, y = make_classification(
        2000, n_features=10, weights=[0.95], flip_y=0, class_sep=0.3, random_state=0
    )
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
    recall = {}
    for class_weight in (None, "balanced"):
        model = ScratchMLPClassifier((20,), class_weight=class_weight, random_state=0)
        model = _quiet_fit(make_pipeline(StandardScaler(), model), X_train, y_train)
        recall[class_weight] = recall_score(y_test, model.predict(X_test))
    # Measured: 0.64 without class weights, 0.84 with 'balanced' (25 minority samples).
    assert recall["balanced"] > recall[None] + 0.1, recall


def test_class_weight_dict_equals_sample_weight(iris):
    X, y = iris
    weights = {0: 1.0, 1: 3.0, 2: 0.5}
    by_class = _quiet_fit(
        ScratchMLPClassifier((5,), class_weight=weights, max_iter=10, random_state=0), X, y
    )
    by_sample = _quiet_fit(
        ScratchMLPClassifier((5,), max_iter=10, random_state=0),
        X,
        y,
        sample_weight=np.vectorize(weights.get)(y),
    )
    for a, b in zip(by_class.coefs_, by_sample.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_balanced_class_weight_refused_by_partial_fit(iris):
    X, y = iris
    model = ScratchMLPClassifier(class_weight="balanced")
    with pytest.raises(ValueError, match="not supported by partial_fit"):
        model.partial_fit(X, y, classes=[0, 1, 2])


# ------------------------------------------------------------------------ huber
def test_huber_resists_outliers():
    rng = np.random.RandomState(0)
    X = rng.uniform(-3, 3, size=(500, 1))
    y = 2 * X.ravel() + rng.normal(scale=0.1, size=500)
    y[rng.choice(500, 25, replace=False)] += 50  # 5% gross outliers
    grid = np.linspace(-3, 3, 200).reshape(-1, 1)
    error = {}
    for loss in ("squared_error", "huber"):
        model = _quiet_fit(
            ScratchMLPRegressor(loss=loss, max_iter=500, random_state=0), X, y
        )
        error[loss] = np.abs(model.predict(grid) - 2 * grid.ravel()).mean()
    assert error["huber"] < 0.25 < 1.0 < error["squared_error"], error


# ------------------------------------------------------------- solvers, schedules
@pytest.mark.parametrize("solver", ["adamw", "rmsprop"])
def test_new_solvers_learn(iris, solver):
    X, y = iris
    model = ScratchMLPClassifier((20,), solver=solver, max_iter=1000, random_state=0)
    assert _quiet_fit(model, X, y).score(X, y) > 0.95
    assert model.partial_fit(X, y).n_iter_ == 1


def test_adamw_decay_shrinks_weights(iris):
    X, y = iris
    norms = []
    for alpha in (0.0, 1.0):
        model = ScratchMLPClassifier((20,), solver="adamw", alpha=alpha, random_state=0)
        _quiet_fit(model, X, y)
        norms.append(sum(np.square(w).sum() for w in model.coefs_))
    assert norms[1] < 0.8 * norms[0]


def test_cosine_schedule_anneals(iris):
    X, y = iris
    model = ScratchMLPClassifier(
        (10,), learning_rate="cosine", max_iter=50, tol=0, n_iter_no_change=1000
    )
    _quiet_fit(model, X, y)
    rates = [record["learning_rate"] for record in model.history_]
    assert rates[0] == pytest.approx(0.001)
    assert rates[25] == pytest.approx(0.0005)
    assert np.all(np.diff(rates) < 0)


def test_callable_schedule_is_the_seeds_decay(iris):
    X, y = iris
    model = ScratchMLPClassifier(
        (10,), solver="sgd", learning_rate=lambda epoch: 1 / (1 + 0.1 * epoch), max_iter=5
    )
    _quiet_fit(model, X, y)
    rates = [record["learning_rate"] for record in model.history_]
    np.testing.assert_allclose(rates, [0.001 / (1 + 0.1 * e) for e in range(5)])


def test_callable_schedule_returning_nonsense(iris):
    X, y = iris
    model = ScratchMLPClassifier(learning_rate=lambda epoch: "fast", max_iter=3)
    with pytest.raises(ValueError, match="must return a finite number"):
        model.fit(X, y)


# ---------------------------------------------------------- history and callbacks
def test_history_has_one_record_per_epoch(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    model = _quiet_fit(
        ScratchMLPClassifier((10,), early_stopping=True, max_iter=20, random_state=0), X, y
    )
    table = pd.DataFrame(model.history_)
    assert list(table.columns) == [
        "epoch",
        "loss",
        "validation_score",
        "learning_rate",
        "seconds",
    ]
    assert table["epoch"].tolist() == list(range(1, model.n_iter_ + 1))
    assert table["loss"].tolist() == model.loss_curve_
    assert table["validation_score"].tolist() == model.validation_scores_
    assert (table["seconds"] > 0).all()


def test_history_continues_with_partial_fit(iris):
    X, y = iris
    model = ScratchMLPClassifier((5,), random_state=0)
    for _ in range(3):
        model.partial_fit(X, y, classes=[0, 1, 2])
    assert [record["epoch"] for record in model.history_] == [1, 2, 3]


class Recorder:
    def __init__(self, stop_after=None):
        self.events = []
        self.stop_after = stop_after

    def on_fit_begin(self, estimator):
        self.events.append("begin")

    def on_epoch_end(self, estimator, record):
        self.events.append(record["epoch"])
        return self.stop_after is not None and record["epoch"] >= self.stop_after

    def on_fit_end(self, estimator):
        self.events.append(("end", estimator.n_iter_))


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_callback_sees_every_epoch_and_can_stop(iris, solver):
    X, y = iris
    recorder = Recorder(stop_after=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # stopping is not a failure
        ScratchMLPClassifier(solver=solver, callbacks=[recorder], random_state=0).fit(X, y)
    assert recorder.events == ["begin", 1, 2, 3, 4, ("end", 4)]


def test_callback_without_hooks_is_refused(iris):
    X, y = iris
    with pytest.raises(TypeError, match="has none of the methods"):
        ScratchMLPClassifier(callbacks=[object()]).fit(X, y)


def test_progress_bar_text_line(iris):
    X, y = iris
    out = io.StringIO()
    model = ScratchMLPClassifier(
        (5,), max_iter=3, callbacks=[ProgressBar(out, use_tqdm=False)]
    )
    _quiet_fit(model, X, y)
    lines = out.getvalue().strip("\n").split("\r")
    assert [line.split()[1] for line in lines if line] == ["1/3", "2/3", "3/3"]


# --------------------------------------------------------------- check_gradients
@pytest.mark.parametrize(
    "model",
    [
        ScratchMLPClassifier((4,), activation="logistic", class_weight="balanced", alpha=1),
        ScratchMLPRegressor(loss="huber", hidden_layer_sizes=(4, 3), activation="elu"),
        ScratchMLPRegressor(loss="poisson", hidden_layer_sizes=(4,), activation="tanh"),
    ],
    ids=["classifier", "huber", "poisson"],
)
def test_check_gradients_small_for_correct_backprop(iris, model):
    X, y = iris
    target = y if isinstance(model, ScratchMLPClassifier) else np.abs(X[:, 0]) * 2
    weights = np.linspace(0.5, 2.0, len(y))
    assert check_gradients(model, X, target, sample_weight=weights) < 1e-6


def test_check_gradients_catches_a_wrong_derivative(iris, monkeypatch):
    X, y = iris
    tanh = HIDDEN_ACTIVATIONS["tanh"]
    monkeypatch.setattr(tanh, "backward", staticmethod(lambda a, delta, z=None: delta))
    assert check_gradients(ScratchMLPClassifier((4,), activation="tanh"), X, y) > 1e-2


def test_check_gradients_leaves_a_fitted_model_alone(iris):
    X, y = iris
    model = _quiet_fit(ScratchMLPClassifier((4,), max_iter=5, random_state=0), X, y)
    before = [w.copy() for w in model.coefs_]
    assert check_gradients(model, X, y) < 1e-6
    for a, b in zip(before, model.coefs_):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------- plotting
def test_plot_history(iris):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from skscratch.plotting import plot_history

    X, y = iris
    model = _quiet_fit(ScratchMLPClassifier((5,), early_stopping=True, max_iter=8), X, y)
    ax = plot_history(model)
    assert len(ax.lines[0].get_xdata()) == model.n_iter_
    assert ax.right_ax is not None


# ------------------------------------------------------------------- the seeds
def test_seed_spiral():
    """Seed 003's 3-class spiral: >= 0.85 on fresh points (sklearn's defaults: 0.44)."""
    X, y = make_spiral(100, 3, noise=0.2, random_state=0)
    X_test, y_test = make_spiral(1000, 3, noise=0.2, random_state=1)
    model = ScratchMLPClassifier(
        (64, 64),
        learning_rate_init=0.01,
        learning_rate="cosine",
        batch_size=300,
        max_iter=2000,
        tol=0,
        n_iter_no_change=np.inf,
        random_state=0,
    )
    _quiet_fit(model, X, y)
    assert model.score(X_test, y_test) >= 0.85


def test_seed_sine():
    """Seed 000's 0.4 sin(x) + 0.5 on [0, 7] with (10, 10, 10) logistic units."""
    X = np.linspace(0, 7, 200).reshape(-1, 1)
    y = 0.4 * np.sin(X.ravel()) + 0.5
    grid = np.linspace(0, 7, 1001).reshape(-1, 1)
    model = ScratchMLPRegressor(
        hidden_layer_sizes=(10, 10, 10),
        activation="logistic",
        alpha=0,
        batch_size=200,
        learning_rate_init=0.01,
        learning_rate="cosine",
        max_iter=20000,
        tol=0,
        n_iter_no_change=np.inf,
        random_state=0,
    )
    model = _quiet_fit(make_pipeline(StandardScaler(), model), X, y)
    assert np.abs(model.predict(grid) - (0.4 * np.sin(grid.ravel()) + 0.5)).mean() < 0.0005


def test_iris_seed_architecture():
    """Seed 000's funky (5, 3, 1, 3, 5) network learns Iris through its 1-unit waist.

    With logistic units it stays at the class priors (0.33) from Glorot's small
    initial weights, in scikit-learn's MLP as here; ReLU gets through.
    """
    X, y = load_iris(return_X_y=True)
    model = make_pipeline(
        StandardScaler(),
        ScratchMLPClassifier(
            (5, 3, 1, 3, 5), solver="lbfgs", max_iter=2000, random_state=0
        ),
    )
    assert _quiet_fit(model, X, y).score(X, y) >= 0.95
