"""The tabular pieces of issue 19 as estimator parameters: feature_scale,
numeric_embedding, parametrization, label_smoothing and validation_scoring.

Each is off by default (the scikit-learn equality tests of test_classifier.py and
test_regressor.py cover the defaults); here each one does what its docstring
says, through fit, predict and the fitted layer records.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import (
    f1_score,
    log_loss,
    make_scorer,
    mean_absolute_error,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import InvalidParameterError

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor, check_gradients
from skscratch.callbacks import Callback, EarlyStopping, copy_weights

cut_short = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


class KeepStart(Callback):
    """Keeps the weights a fit starts from."""

    def on_fit_begin(self, estimator):
        self.weights = copy_weights(estimator)


def _kinds(model):
    return [record["kind"] for record in model.layers_]


def _params(model, kind):
    (record,) = [r for r in model.layers_ if r["kind"] == kind]
    return record["params"]


@pytest.fixture(scope="module")
def periodic_task():
    """A label that flips every quarter period of sin(4 x): hard for a plain MLP."""
    rng = np.random.RandomState(0)
    X, X_test = rng.uniform(-3, 3, size=(600, 1)), rng.uniform(-3, 3, size=(600, 1))
    return X, (np.sin(4 * X[:, 0]) > 0), X_test, (np.sin(4 * X_test[:, 0]) > 0)


def _mixed_frame(n=120, seed=0):
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(seed)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "colour": pd.Categorical(rng.choice(["red", "green", "blue"], n)),
            "b": rng.normal(size=n),
        }
    )
    y = ((X["a"] > 0) ^ (X["colour"] == "red")).astype(int).to_numpy()
    return X, y


# ------------------------------------------------------------------ feature_scale
class TestFeatureScale:
    @cut_short
    def test_a_learned_scale_before_the_first_dense_layer(self, iris):
        X, y = iris
        model = ScratchMLPClassifier((5,), feature_scale=True, max_iter=20).fit(X, y)
        assert _kinds(model) == ["feature_scale", "dense", "dense"]
        s = _params(model, "feature_scale")["s"]
        assert s.shape == (4,) and not np.allclose(s, 1.0)  # trained from 1
        W, b = model.coefs_[0], model.intercepts_[0]
        hidden = np.maximum((X * s) @ W + b, 0)
        logits = hidden @ model.coefs_[1] + model.intercepts_[1]
        np.testing.assert_allclose(
            model.predict_proba(X).argmax(1), logits.argmax(1), rtol=0
        )

    @cut_short
    def test_the_informative_column_keeps_its_scale_and_noise_is_shrunk(self):
        # alpha reaches s, so columns that do not help shrink towards 0.
        rng = np.random.RandomState(0)
        X = rng.normal(size=(500, 6))
        y = (X[:, 0] > 0).astype(int)
        model = ScratchMLPClassifier(
            (16,), feature_scale=True, alpha=1.0, learning_rate_init=0.01, random_state=0
        ).fit(X, y)
        s = np.abs(_params(model, "feature_scale")["s"])
        assert s[0] > 1 and s[1:].max() < 0.5

    @cut_short
    def test_sparse_input(self, iris):
        X, y = iris
        params = {"feature_scale": True, "max_iter": 5, "random_state": 0}
        dense = ScratchMLPClassifier((5,), **params).fit(X, y)
        sparse = ScratchMLPClassifier((5,), **params).fit(sp.csr_matrix(X), y)
        np.testing.assert_allclose(
            sparse.predict_proba(X), dense.predict_proba(X), rtol=1e-10
        )

    def test_check_gradients_with_the_penalty(self, iris):
        X, y = iris
        model = ScratchMLPClassifier((5,), activation="tanh", feature_scale=True, alpha=3)
        assert check_gradients(model, X, y) < 1e-6

    @cut_short
    def test_warm_start_must_keep_it(self, iris):
        X, y = iris
        model = ScratchMLPClassifier((5,), max_iter=3, warm_start=True).fit(X, y)
        with pytest.raises(ValueError, match="feature_scale"):
            model.set_params(feature_scale=True).fit(X, y)


# -------------------------------------------------------------- numeric_embedding
class TestNumericEmbedding:
    @cut_short
    @pytest.mark.parametrize("variant", ["plr", "pbld"])
    def test_learns_a_periodic_boundary_a_plain_mlp_misses(self, periodic_task, variant):
        X, y, X_test, y_test = periodic_task
        params = {"max_iter": 100, "learning_rate_init": 0.01, "random_state": 0}
        plain = ScratchMLPClassifier((32,), **params).fit(X, y)
        embedded = ScratchMLPClassifier(
            (32,), numeric_embedding=variant, numeric_embedding_sigma=1.0, **params
        ).fit(X, y)
        assert plain.score(X_test, y_test) < 0.7
        assert embedded.score(X_test, y_test) > 0.95
        assert _kinds(embedded) == ["periodic_embedding", "dense", "dense"]
        assert embedded.coefs_[0].shape[0] == 4  # numeric_embedding_dim columns

    @cut_short
    def test_numeric_columns_only_beside_categorical_embeddings(self):
        X, y = _mixed_frame()
        model = ScratchMLPClassifier(
            (6,), numeric_embedding="pbld", numeric_embedding_dim=3, max_iter=5
        ).fit(X, y)
        assert _kinds(model) == ["embedding", "periodic_embedding", "dense", "dense"]
        config = model.layers_[1]["config"]
        assert config["n_numeric"] == 2  # "a" and "b"; the colour keeps its table
        assert config["n_passthrough"] == model.embeddings_[0].shape[1]
        assert model.coefs_[0].shape[0] == 2 * 3 + config["n_passthrough"]
        assert model.predict(X).shape == y.shape
        assert check_gradients(model, X, y) < 1e-6

    @cut_short
    def test_all_categorical_columns_leave_nothing_to_embed(self):
        X, y = _mixed_frame()
        model = ScratchMLPClassifier((4,), numeric_embedding="plr", max_iter=2)
        model.fit(X[["colour"]], y)
        assert _kinds(model) == ["embedding", "dense", "dense"]

    @pytest.mark.parametrize("variant", ["plr", "pbld"])
    def test_check_gradients(self, iris, variant):
        X, y = iris
        model = ScratchMLPRegressor(
            hidden_layer_sizes=(4,),
            activation="tanh",
            numeric_embedding=variant,
            numeric_embedding_frequencies=3,
            numeric_embedding_sigma=0.5,
            feature_scale=True,
        )
        assert check_gradients(model, X, X[:, 0] - X[:, 1], max_params=None) < 1e-6

    @cut_short
    def test_sparse_input_is_embedded_batch_by_batch(self, iris):
        X, y = iris
        params = {"numeric_embedding": "plr", "max_iter": 3, "random_state": 0}
        dense = ScratchMLPClassifier((5,), **params).fit(X, y)
        sparse = ScratchMLPClassifier((5,), **params).fit(sp.csr_matrix(X), y)
        np.testing.assert_allclose(
            sparse.predict_proba(X), dense.predict_proba(X), rtol=1e-10
        )

    def test_pbld_needs_two_columns_per_feature(self, iris):
        X, y = iris
        model = ScratchMLPClassifier(numeric_embedding="pbld", numeric_embedding_dim=1)
        with pytest.raises(ValueError, match="numeric_embedding_dim must be at least 2"):
            model.fit(X, y)
        with pytest.raises(InvalidParameterError, match="numeric_embedding"):
            ScratchMLPClassifier(numeric_embedding="periodic").fit(X, y)


# ---------------------------------------------------------------- parametrization
class TestNTKParametrization:
    def _one_step(self, parametrization, solver="adam"):
        """The output layer's weights before and after one full-batch step."""
        rng = np.random.RandomState(0)
        X = rng.normal(size=(64, 3))
        y = X @ [1.0, -1.0, 0.5]
        start = KeepStart()
        model = ScratchMLPRegressor(
            hidden_layer_sizes=(16,),
            activation="tanh",  # no dead unit: every output weight has a gradient
            parametrization=parametrization,
            solver=solver,
            momentum=0.0,
            batch_size=64,
            max_iter=1,
            learning_rate_init=0.01,
            random_state=0,
            callbacks=[start],
        )
        with pytest.warns(ConvergenceWarning):
            model.fit(X, y)
        return X, y, start.weights, model

    def test_adam_moves_the_effective_weights_by_lr_over_sqrt_fan_in(self):
        # Adam's first step moves every stored weight by about the learning rate
        # whatever its gradient's size, so the output layer's effective weights
        # W / sqrt(16) move by 0.01 / 4 under NTK, and by 0.01 otherwise.
        _, _, start, model = self._one_step("ntk")
        np.testing.assert_array_equal(start[-1]["params"]["W"], 0.0)  # output starts at 0
        step = np.abs(model.coefs_[-1] - start[-1]["params"]["W"])
        np.testing.assert_allclose(step, 0.01, rtol=1e-3)  # stored W: lr
        np.testing.assert_allclose(step / np.sqrt(16), 0.01 / 4, rtol=1e-3)  # effective
        _, _, start, model = self._one_step("standard")
        step = np.abs(model.coefs_[-1] - start[-1]["params"]["W"])
        np.testing.assert_allclose(step, 0.01, rtol=1e-3)

    def test_sgd_step_on_the_effective_weights_is_lr_over_fan_in(self):
        X, y, start, model = self._one_step("ntk", solver="sgd")
        W0, b0 = start[0]["params"]["W"], start[0]["params"]["b"]
        hidden = np.tanh(X @ W0 / np.sqrt(3) + b0)
        residual = 0.0 - y  # the zero output layer predicts 0
        # dL/dV of the half mean squared error, V = W / 4 the effective output
        # weights (at V = 0 the L2 term adds nothing).
        grad_V = hidden.T @ residual[:, None] / 64
        step_V = (model.coefs_[-1] - start[-1]["params"]["W"]) / 4
        np.testing.assert_allclose(step_V, -0.01 / 16 * grad_V, rtol=1e-9)

    @cut_short
    def test_predict_is_the_scaled_affine_map(self, iris):
        X, y = iris
        model = ScratchMLPClassifier(
            (7, 5), parametrization="ntk", learning_rate_init=0.01, max_iter=20
        ).fit(X, y)
        a = X
        for W, b in zip(model.coefs_[:-1], model.intercepts_[:-1]):
            a = np.maximum(a @ W / np.sqrt(W.shape[0]) + b, 0)
        W, b = model.coefs_[-1], model.intercepts_[-1]
        z = a @ W / np.sqrt(W.shape[0]) + b
        proba = np.exp(z - z.max(1, keepdims=True))
        np.testing.assert_allclose(
            model.predict_proba(X), proba / proba.sum(1, keepdims=True), rtol=1e-10
        )
        assert check_gradients(model, X, y) < 1e-6  # at the fitted weights

    @cut_short
    def test_warm_start_must_keep_it(self, iris):
        X, y = iris
        model = ScratchMLPClassifier((5,), max_iter=3, warm_start=True).fit(X, y)
        with pytest.raises(ValueError, match="parametrization"):
            model.set_params(parametrization="ntk").fit(X, y)


# ---------------------------------------------------------------- label_smoothing
class TestLabelSmoothing:
    @pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
    def test_loss_is_the_log_loss_of_the_smoothed_targets(self, iris, kind):
        X, y = iris
        Y = {
            "binary": (y == 1).astype(int),
            "multiclass": y,
            "multilabel": np.column_stack([y == 0, y == 2]).astype(int),
        }[kind]
        model = ScratchMLPClassifier(
            (4,), solver="lbfgs", label_smoothing=0.2, alpha=0.0, max_iter=30
        )
        with pytest.warns(ConvergenceWarning):
            model.fit(X, Y)
        p = model.predict_proba(X)
        if kind == "multiclass":
            targets = 0.8 * np.eye(3)[y] + 0.2 / 3
            expected = -(targets * np.log(p)).sum(1).mean()
        else:
            q = p[:, 1:] if kind == "binary" else p
            labels = Y.reshape(len(y), -1)
            targets = 0.8 * labels + 0.2 / 2  # K = 2 for each logistic output
            expected = -(targets * np.log(q) + (1 - targets) * np.log(1 - q)).sum(1)
            expected = expected.mean()
        assert model.loss_ == pytest.approx(expected, rel=1e-9)

    @cut_short
    def test_probabilities_stay_off_0_and_1(self):
        rng = np.random.RandomState(0)
        X = rng.normal(size=(200, 2))
        y = np.digitize(X[:, 0], [-0.5, 0.5])  # separable: plain log-loss runs to 1
        plain = ScratchMLPClassifier((8,), solver="lbfgs", max_iter=500, random_state=0)
        smoothed = ScratchMLPClassifier(
            (8,), solver="lbfgs", max_iter=500, random_state=0, label_smoothing=0.1
        )
        assert plain.fit(X, y).predict_proba(X).max() > 0.999
        top = smoothed.fit(X, y).predict_proba(X).max()
        # The smoothed target is 0.9 + 0.1 / 3 = 0.933; the fit's optimum overshoots it
        # a little on some rows (0.940 with scipy 1.11's L-BFGS, 0.937 with 1.17's).
        assert 0.9 < top < 0.95

    def test_gradient_and_range(self, iris):
        X, y = iris
        model = ScratchMLPClassifier((4,), activation="tanh", label_smoothing=0.3)
        assert check_gradients(model, X, y) < 1e-6
        with pytest.raises(InvalidParameterError, match="label_smoothing"):
            ScratchMLPClassifier(label_smoothing=1.0).fit(X, y)
        assert "label_smoothing" not in ScratchMLPRegressor().get_params()

    @cut_short
    def test_validation_loss_is_smoothed_the_score_is_not(self, iris):
        X, y = iris
        X, X_val, y, y_val = train_test_split(X, y, random_state=0)
        model = ScratchMLPClassifier(
            (5,), label_smoothing=0.1, max_iter=3, random_state=0
        ).fit(X, y, X_val=X_val, y_val=y_val)
        p = model.predict_proba(X_val)
        targets = 0.9 * np.eye(3)[y_val] + 0.1 / 3
        record = model.history_[-1]
        expected = -(targets * np.log(p)).sum(1).mean()
        assert record["validation_loss"] == pytest.approx(expected, rel=1e-9)
        assert record["validation_score"] == model.score(X_val, y_val)


# ------------------------------------------------------------- validation_scoring
class TestValidationScoring:
    def _binary(self):
        rng = np.random.RandomState(0)
        X = rng.normal(size=(300, 5))
        y = (X[:, 0] + 0.5 * rng.normal(size=300) > 0).astype(int)
        return train_test_split(X, y, random_state=0)

    @cut_short
    @pytest.mark.parametrize(
        "scoring, metric",
        [
            ("neg_log_loss", lambda y, model, X: -log_loss(y, model.predict_proba(X))),
            ("roc_auc", lambda y, model, X: roc_auc_score(y, model.predict_proba(X)[:, 1])),
            (make_scorer(f1_score), lambda y, model, X: f1_score(y, model.predict(X))),
            ("loss", lambda y, model, X: -log_loss(y, model.predict_proba(X))),
        ],
        ids=["neg_log_loss", "roc_auc", "make_scorer", "loss"],
    )
    def test_the_kept_epoch_is_the_best_by_the_scorer(self, scoring, metric):
        X, X_val, y, y_val = self._binary()
        model = ScratchMLPClassifier(
            (64,),
            early_stopping=True,
            validation_scoring=scoring,
            n_iter_no_change=np.inf,
            max_iter=40,
            learning_rate_init=0.02,
            random_state=0,
        ).fit(X, y, X_val=X_val, y_val=y_val)
        assert model.n_iter_ == 40  # never stopped early: the whole schedule ran
        scores = model.validation_scores_
        assert [r["validation_score"] for r in model.history_] == scores
        assert model.best_validation_score_ == max(scores)
        assert np.argmax(scores) < 39  # an earlier epoch than the last is kept
        kept = metric(y_val, model, X_val)
        assert kept == pytest.approx(model.best_validation_score_, rel=1e-9, abs=1e-12)

    @cut_short
    def test_held_out_fraction_and_sample_weight_val(self):
        X, X_val, y, y_val = self._binary()
        sw = np.random.RandomState(1).uniform(0.2, 2.0, len(y_val))
        model = ScratchMLPClassifier(
            (8,), early_stopping=True, validation_scoring="neg_log_loss", max_iter=30
        ).fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=sw)
        expected = -log_loss(y_val, model.predict_proba(X_val), sample_weight=sw)
        assert model.best_validation_score_ == pytest.approx(expected, rel=1e-9)
        held_out = ScratchMLPClassifier(
            (8,),
            early_stopping=True,
            validation_scoring="roc_auc",
            learning_rate_init=0.05,
            max_iter=30,
            random_state=0,
        ).fit(X, y)
        assert 0.8 < held_out.best_validation_score_ <= 1.0  # AUC of the held-out 10%

    @cut_short
    def test_regressor(self, regression_data):
        X, y = regression_data
        X, X_val, y, y_val = train_test_split(X, y, random_state=0)
        model = ScratchMLPRegressor(
            hidden_layer_sizes=(16,),
            early_stopping=True,
            validation_scoring="neg_mean_absolute_error",
            n_iter_no_change=np.inf,
            max_iter=30,
            random_state=0,
        ).fit(X, y, X_val=X_val, y_val=y_val)
        expected = -mean_absolute_error(y_val, model.predict(X_val))
        assert model.best_validation_score_ == pytest.approx(expected, rel=1e-9)

    @cut_short
    def test_loss_of_a_regressor_ranks_epochs_as_the_squared_error(self, regression_data):
        # 'loss' is the scaled targets' squared error: a constant times scikit-learn's
        # MSE, so the two score every epoch in proportion and keep the same one.
        X, y = regression_data
        X, X_val, y, y_val = train_test_split(X, y, random_state=0)
        scores = {}
        for scoring in ("loss", "neg_mean_squared_error"):
            model = ScratchMLPRegressor(
                hidden_layer_sizes=(16,),
                early_stopping=True,
                validation_scoring=scoring,
                n_iter_no_change=np.inf,
                max_iter=30,
                random_state=0,
            ).fit(X, y, X_val=X_val, y_val=y_val)
            scores[scoring] = np.array(model.validation_scores_)
        ratio = scores["loss"] / scores["neg_mean_squared_error"]
        np.testing.assert_allclose(ratio, ratio[0], rtol=1e-7)
        assert np.all(scores["loss"] < 0)

    def test_loss_goes_on_where_accuracy_of_an_imbalanced_set_is_flat(self):
        # 5% positives and a weak signal: every epoch predicts the majority
        # class, so accuracy never improves and stops training after
        # n_iter_no_change epochs; the validation log-loss keeps improving.
        rng = np.random.RandomState(0)
        X = rng.normal(size=(2000, 4))
        y = (X[:, 0] + 2.0 * rng.normal(size=2000) > 3.4).astype(int)
        params = dict(
            hidden_layer_sizes=(8,),
            early_stopping=True,
            n_iter_no_change=5,
            max_iter=60,
            learning_rate_init=0.002,
            random_state=0,
        )
        accuracy = ScratchMLPClassifier(**params).fit(X, y)
        with pytest.warns(ConvergenceWarning):  # still improving at max_iter
            loss = ScratchMLPClassifier(validation_scoring="loss", **params).fit(X, y)
        # from its second epoch on, the majority's rate (94%)
        assert len(set(accuracy.validation_scores_[1:])) == 1
        # the best at epoch 2, then more than n_iter_no_change epochs without
        assert accuracy.n_iter_ == 2 + params["n_iter_no_change"] + 1
        assert loss.n_iter_ == params["max_iter"]
        assert np.argmax(loss.validation_scores_) > 50

    @cut_short
    def test_a_callable_gets_a_model_that_predicts_the_validation_set(self, iris):
        X, y = iris
        seen = []

        def scorer(estimator, X_val, y_val):
            seen.append(len(X_val))
            return float((estimator.predict(X_val) == y_val).mean())

        params = {"early_stopping": True, "max_iter": 5, "random_state": 0}
        model = ScratchMLPClassifier((5,), validation_scoring=scorer, **params).fit(X, y)
        assert seen == [15] * 5  # 10% of 150 held out, scored after each epoch
        default = ScratchMLPClassifier((5,), **params).fit(X, y)
        assert model.validation_scores_ == default.validation_scores_  # accuracy both

    @cut_short
    def test_same_rule_as_the_public_callback(self, iris):
        # The built-in rule on X_val and skscratch.callbacks.EarlyStopping on the
        # same scorer train the same way and stop at the same epoch.
        X, y = iris
        X, X_val, y, y_val = train_test_split(X, y, random_state=0)
        params = {"learning_rate_init": 0.02, "max_iter": 300, "random_state": 0}
        built_in = ScratchMLPClassifier(
            (6,),
            early_stopping=True,
            validation_scoring="neg_log_loss",
            n_iter_no_change=3,
            tol=1e-3,
            **params,
        ).fit(X, y, X_val=X_val, y_val=y_val)
        stop = EarlyStopping(X_val, y_val, scoring="neg_log_loss", patience=3, tol=1e-3)
        callback = ScratchMLPClassifier((6,), callbacks=[stop], **params).fit(X, y)
        assert built_in.n_iter_ == callback.n_iter_ < 300
        np.testing.assert_allclose(built_in.validation_scores_, stop.scores_, rtol=1e-12)
        np.testing.assert_array_equal(built_in.coefs_[0], callback.coefs_[0])

    def test_unknown_scorer_is_refused(self, iris):
        X, y = iris
        with pytest.raises(InvalidParameterError, match="validation_scoring"):
            ScratchMLPClassifier(validation_scoring="roc").fit(X, y)
