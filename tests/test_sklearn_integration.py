"""skscratch inside scikit-learn's tools: pipelines, searches, cross-validation."""

import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.datasets import load_iris, make_moons
from sklearn.model_selection import GridSearchCV, cross_val_score, cross_validate
from sklearn.multioutput import MultiOutputRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor

# Small searches stop at a modest max_iter; not converging is expected there.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_estimator_types():
    assert is_classifier(ScratchMLPClassifier())
    assert is_regressor(ScratchMLPRegressor())


def test_pipeline():
    X, y = load_iris(return_X_y=True)
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            (
                "mlp",
                ScratchMLPClassifier(
                    hidden_layer_sizes=(10,), learning_rate_init=0.01, random_state=0
                ),
            ),
        ]
    ).fit(X, y)
    assert pipe.score(X, y) > 0.95
    assert pipe.predict_proba(X).shape == (150, 3)
    np.testing.assert_array_equal(pipe.classes_, [0, 1, 2])
    assert pipe.named_steps["mlp"].n_features_in_ == 4
    # Nested parameters reach the estimator.
    pipe.set_params(mlp__alpha=0.5)
    assert pipe.named_steps["mlp"].alpha == 0.5


def test_grid_search_iris_parallel():
    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), ScratchMLPClassifier(max_iter=200, random_state=0)),
        {"scratchmlpclassifier__hidden_layer_sizes": [(2,), (10,)]},
        cv=3,
        n_jobs=2,
    ).fit(X, y)
    assert search.best_params_ == {"scratchmlpclassifier__hidden_layer_sizes": (10,)}
    assert search.best_score_ > 0.85
    assert search.best_estimator_.predict(X).shape == (150,)


def test_grid_search_moons_parallel_matches_serial():
    X, y = make_moons(n_samples=200, noise=0.2, random_state=0)
    grid = {"hidden_layer_sizes": [(4,), (16, 16)], "activation": ["relu", "tanh"]}
    est = ScratchMLPClassifier(solver="lbfgs", max_iter=100, random_state=0)
    parallel = GridSearchCV(est, grid, cv=3, n_jobs=2).fit(X, y)
    serial = GridSearchCV(est, grid, cv=3, n_jobs=1).fit(X, y)
    np.testing.assert_allclose(
        parallel.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )
    assert parallel.best_score_ > 0.9


def test_cross_val_score_regressor():
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, size=(150, 2))
    y = X[:, 0] ** 2 - X[:, 1]
    scores = cross_val_score(
        ScratchMLPRegressor(
            hidden_layer_sizes=(20,), solver="lbfgs", max_iter=200, random_state=0
        ),
        X,
        y,
        cv=3,
    )
    assert scores.shape == (3,)
    assert scores.mean() > 0.9


def test_cross_validate_returns_fitted_clones():
    X, y = load_iris(return_X_y=True)
    est = make_pipeline(
        StandardScaler(), ScratchMLPClassifier((5,), max_iter=50, random_state=0)
    )
    result = cross_validate(est, X, y, cv=3, return_estimator=True)
    fitted = [e[-1] for e in result["estimator"]]
    assert len({id(e) for e in fitted}) == 3
    assert not hasattr(est[-1], "coefs_")  # the original stays unfitted
    assert all(e.n_iter_ == 50 for e in fitted)


def test_clone_keeps_params_drops_fit():
    X, y = load_iris(return_X_y=True)
    est = ScratchMLPClassifier(hidden_layer_sizes=(3,), max_iter=5, random_state=1).fit(
        X, y
    )
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    assert not hasattr(copy, "coefs_")
    copy.fit(X, y)
    for a, b in zip(copy.coefs_, est.coefs_):
        np.testing.assert_array_equal(a, b)


def test_meta_estimator():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    Y = np.column_stack([X[:, 0], X[:, 1] - X[:, 2]])
    meta = MultiOutputRegressor(
        ScratchMLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=50)
    ).fit(X, Y)
    assert meta.predict(X).shape == (60, 2)
