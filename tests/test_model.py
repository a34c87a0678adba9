"""skscratch._estimators.model: the fitted model is its layer records (``layers_``).

Everything a fitted model does goes through ``layers_``: prediction, warm
starts, ``partial_fit``, gradient checks, pickles and ONNX. ``coefs_`` and
``intercepts_`` are views of it; models pickled before it existed load.
"""

import pickle
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skscratch import ScratchMLPClassifier, check_gradients

cut_short = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
OLD_MODELS = Path(__file__).parent / "data" / "models_a0610c3.pkl"


@pytest.fixture(scope="module")
def old_models():
    with open(OLD_MODELS, "rb") as f:
        return pickle.load(f)


def _xy(n=60, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


# --------------------------------------------------- models pickled before layers_
@pytest.mark.parametrize(
    "name",
    [
        "adam_warm_dropout",
        "rmsprop_regressor",
        "lbfgs_strings",
        "sgd_multilabel",
        "embedding",
        "early_stopping_float32",
    ],
)
def test_a_model_pickled_by_a0610c3_predicts_identically(old_models, name):
    saved = old_models["models"][name]
    model = pickle.loads(saved["model"])
    assert "coefs_" not in vars(model) and model.layers_  # converted on loading
    output = model.predict_proba(saved["X"]) if hasattr(model, "classes_") else None
    if output is None:
        output = model.predict(saved["X"])
    # The pickles were made with numpy 1.26 (so that numpy 1 can read them too); its
    # BLAS and ufuncs round the last bit differently from other numpy versions'.
    np.testing.assert_allclose(output, saved["expected"], rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(model.predict(saved["X"]), saved["predict"])
    again = pickle.loads(pickle.dumps(model))  # and saves again in the new form
    np.testing.assert_array_equal(again.predict(saved["X"]), saved["predict"])


@cut_short
def test_a_model_pickled_by_a0610c3_trains_on(old_models):
    saved, y = old_models["models"], old_models["y"]
    warm = pickle.loads(saved["adam_warm_dropout"]["model"])
    n_before = len(warm.loss_curve_)
    warm.set_params(max_iter=3).fit(saved["adam_warm_dropout"]["X"], y["y3"])
    assert len(warm.loss_curve_) == n_before + 3
    regressor = pickle.loads(saved["rmsprop_regressor"]["model"])
    regressor.partial_fit(saved["rmsprop_regressor"]["X"], y["yreg"])
    assert len(regressor.history_) == 21
    embedded = pickle.loads(saved["embedding"]["model"])
    embedded.set_params(warm_start=True, max_iter=2).fit(saved["embedding"]["X"], y["ycat"])
    assert embedded.n_iter_ == 2 and len(embedded.embeddings_) == 1


# ----------------------------------------------------------------- layers_
@cut_short
def test_layers_are_plain_records(iris):
    model = ScratchMLPClassifier((5, 5), batch_norm=True, residual=True, max_iter=3)
    model.fit(*iris)
    kinds = [record["kind"] for record in model.layers_]
    assert kinds == ["dense", "batch_norm", "activation", "residual", "dense"]
    inner = model.layers_[3]["layers"]
    assert [record["kind"] for record in inner] == ["dense", "batch_norm", "activation"]

    def plain(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return isinstance(value, (int, float, str, np.ndarray))

    assert plain(model.layers_)
    assert sorted(model.layers_[1]["state"]) == ["mean", "var"]


@cut_short
def test_coefs_and_intercepts_are_views_that_write_through(iris):
    X, y = iris
    model = ScratchMLPClassifier((5,), max_iter=3, random_state=0).fit(X, y)
    assert model.coefs_[0] is model.layers_[0]["params"]["W"]
    proba = model.predict_proba(X)
    model.coefs_[-1] = model.coefs_[-1] * 30  # scikit-learn's MLP allows this
    assert not np.allclose(model.predict_proba(X), proba)
    model.coefs_ = [W / 1 for W in model.coefs_]
    model.intercepts_ = [np.zeros_like(b) for b in model.intercepts_]
    np.testing.assert_array_equal(model.layers_[1]["params"]["b"], 0.0)
    with pytest.raises(ValueError, match=r"coefs_\[0\] must keep the fitted shape"):
        model.coefs_[0] = np.zeros((3, 5))
    with pytest.raises(ValueError, match="needs 2 arrays"):
        model.coefs_ = model.coefs_[:1]
    assert pickle.loads(pickle.dumps(model.coefs_)).__class__ is list


# ---------------------------------------- batch normalization and residual blocks
from unittest import mock  # noqa: E402

from skscratch.callbacks import Callback, copy_weights  # noqa: E402
from skscratch.core import Network  # noqa: E402


def _bn_state(model):
    return [r["state"]["mean"].copy() for r in model.layers_ if r["kind"] == "batch_norm"]


class StateLog(Callback):
    """The running statistics after every epoch."""

    def on_fit_begin(self, estimator):
        self.epochs = []

    def on_epoch_end(self, estimator, record):
        self.epochs.append(copy_weights(estimator))


@cut_short
@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw", "rmsprop", "lbfgs"])
def test_batch_norm_trains_with_every_solver(iris, solver):
    X, y = iris
    X = X * 100 + 50  # unscaled: batch normalization standardizes the hidden units
    model = ScratchMLPClassifier(
        (16, 16), batch_norm=True, solver=solver, max_iter=300, random_state=0
    )
    model.fit(X, y)
    assert model.score(X, y) > 0.9
    first_mean = _bn_state(model)[0]
    assert np.abs(first_mean).max() > 1  # the unscaled units' statistics were learned
    plain = ScratchMLPClassifier((16, 16), solver=solver, max_iter=300, random_state=0)
    if solver != "lbfgs":  # without it the stochastic solvers fail on unscaled data
        assert plain.fit(X, y).score(X, y) < 0.9


@cut_short
def test_lbfgs_predicts_with_the_statistics_of_the_whole_data(iris):
    X, y = iris
    model = ScratchMLPClassifier((8,), batch_norm=True, solver="lbfgs", max_iter=50)
    model.fit(X, y)
    (record,) = [r for r in model.layers_ if r["kind"] == "batch_norm"]
    z = X @ model.coefs_[0] + model.intercepts_[0]
    np.testing.assert_allclose(record["state"]["mean"], z.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(record["state"]["var"], z.var(axis=0), rtol=1e-10)


@cut_short
def test_early_stopping_restores_the_best_epochs_statistics_too(iris):
    X, y = iris
    log = StateLog()
    model = ScratchMLPClassifier(
        (8,),
        batch_norm=True,
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=200,
        random_state=0,
        callbacks=[log],
    ).fit(X, y)
    best = int(np.argmax(model.validation_scores_))
    assert best < model.n_iter_ - 1  # the last epoch is not the best one
    kept = [r for r in model.layers_ if r["kind"] == "batch_norm"][0]["state"]
    at_best = [r for r in log.epochs[best] if r["kind"] == "batch_norm"][0]["state"]
    np.testing.assert_array_equal(kept["mean"], at_best["mean"])
    np.testing.assert_array_equal(kept["var"], at_best["var"])


def test_ctrl_c_keeps_the_statistics_of_the_last_complete_epoch(iris):
    X, y = iris
    log = StateLog()
    model = ScratchMLPClassifier(
        (8,), batch_norm=True, batch_size=30, max_iter=50, random_state=0, callbacks=[log]
    )
    calls = {"n": 0}
    loss_gradient = Network.loss_gradient

    def interrupted(net, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5 * 3 + 2:  # in the 4th epoch (5 batches each)
            raise KeyboardInterrupt
        return loss_gradient(net, *args, **kwargs)

    with mock.patch.object(Network, "loss_gradient", interrupted):
        with pytest.warns(UserWarning, match="interrupted"):
            model.fit(X, y)
    assert model.n_iter_ == 3
    (kept,) = _bn_state(model)
    last = [r for r in log.epochs[2] if r["kind"] == "batch_norm"][0]["state"]["mean"]
    np.testing.assert_array_equal(kept, last)


def test_partial_fit_carries_the_statistics_on(iris):
    X, y = iris
    model = ScratchMLPClassifier((8,), batch_norm=True, random_state=0)
    model.partial_fit(X[:75], y[:75], classes=[0, 1, 2])
    first = _bn_state(model)[0]
    model.partial_fit(X[75:], y[75:])
    again = ScratchMLPClassifier((8,), batch_norm=True, random_state=0)
    again.partial_fit(X[75:], y[75:], classes=[0, 1, 2])
    # The second call moved the first call's statistics, not fresh ones.
    assert not np.allclose(_bn_state(model)[0], _bn_state(again)[0])
    assert not np.allclose(_bn_state(model)[0], first)


@cut_short
@pytest.mark.parametrize(
    "params",
    [
        {"batch_norm": True, "dropout": 0.2},
        {"batch_norm": [True, False], "residual": True},
        {"residual": True, "activation": ["relu", "tanh"]},
    ],
)
def test_gradient_check_covers_batch_norm_and_residual_blocks(iris, params):
    X, y = iris
    model = ScratchMLPClassifier((6, 6), max_iter=5, random_state=0, **params)
    assert check_gradients(model, X, y, sample_weight=np.linspace(0.5, 2, 150)) < 1e-6
    model.fit(X, y)
    assert check_gradients(model, X, y) < 1e-6


def test_batch_norm_with_embeddings(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    frame = pd.DataFrame(X, columns=list("abcd"))
    frame["level"] = pd.Categorical(np.arange(150) % 4)
    with pytest.warns(ConvergenceWarning):
        model = ScratchMLPClassifier(
            (8,), batch_norm=True, learning_rate_init=0.01, max_iter=200, random_state=0
        )
        model.fit(frame, y)
    assert [r["kind"] for r in model.layers_][:2] == ["embedding", "dense"]
    assert model.score(frame, y) > 0.9


@pytest.mark.parametrize(
    "params, match",
    [
        ({"hidden_layer_sizes": (8, 4), "residual": True}, "at least two hidden layers"),
        ({"hidden_layer_sizes": (8,), "residual": True}, "at least two hidden layers"),
        ({"hidden_layer_sizes": (8, 8), "batch_norm": [True]}, "one bool per hidden layer"),
    ],
)
def test_residual_and_batch_norm_refuse_what_does_not_fit(iris, params, match):
    with pytest.raises(ValueError, match=match):
        ScratchMLPClassifier(**params).fit(*iris)


@cut_short
def test_a_warm_start_must_keep_batch_norm(iris):
    X, y = iris
    model = ScratchMLPClassifier((8,), max_iter=3, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match=r"must keep hidden_layer_sizes,[^.]* batch_norm,"):
        model.set_params(batch_norm=True).fit(X, y)
