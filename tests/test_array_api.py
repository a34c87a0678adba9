"""Training on other array libraries, through scikit-learn's array API dispatch.

With ``sklearn.config_context(array_api_dispatch=True)`` and X of another
namespace (array-api-strict, which the test extra installs; torch where it is
installed; CUDA, MPS and CuPy where a GPU is), ``fit`` computes there, the fitted
arrays stay there, and ``predict*`` answer there. The random draws are the host's,
so the same ``random_state`` gives the same model as numpy's, to rounding:
float64 to 1e-9, float32 to 1e-4 (relative to 1, on probabilities and outputs).
"""

import os
import warnings

import numpy as np
import pytest
import sklearn
from helpers import needs_array_api_dispatch
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import (
    ScratchMLPClassifier,
    ScratchMLPRegressor,
    TabularMLPClassifier,
    to_numpy,
)
from skscratch.callbacks import Callback
from skscratch.core.backend import array_to_numpy, ops_for

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("SCIPY_ARRAY_API") != "1",
        reason="scikit-learn's array API dispatch needs SCIPY_ARRAY_API=1 set before "
        "scipy is imported (tests/conftest.py sets it)",
    ),
    needs_array_api_dispatch,
]
TOLERANCE = {np.float64: 1e-9, np.float32: 1e-4}


def _namespaces():
    """``(name, device name, numpy dtype)`` combinations to test, marked to skip
    where the library or the device is missing."""
    cases = [
        ("array_api_strict", "CPU_DEVICE", np.float64),
        ("array_api_strict", "device1", np.float32),
        ("torch", "cpu", np.float64),
        ("torch", "cpu", np.float32),
        ("torch", "cuda", np.float32),
        ("torch", "mps", np.float32),
        ("cupy", None, np.float32),
    ]
    return [
        pytest.param(name, device, dtype, id=f"{name}-{device}-{np.dtype(dtype).name}")
        for name, device, dtype in cases
    ]


def _xp_and_device(name, device):
    """The namespace module and device object; skips where unavailable."""
    if name == "array_api_strict":
        xp = pytest.importorskip("array_api_strict")
        return xp, xp.Device(device)
    if name == "torch":
        torch = pytest.importorskip("torch", reason="torch is not installed")
        if device == "cuda" and not torch.cuda.is_available():
            pytest.skip("no CUDA device on this machine")
        if device == "mps" and not torch.backends.mps.is_available():
            pytest.skip("no MPS device on this machine")
        return pytest.importorskip("array_api_compat").array_namespace(
            torch.empty(0)
        ), torch.device(device)
    cupy = pytest.importorskip("cupy", reason="CuPy is not installed (it needs a GPU)")
    return cupy, None


def _on(xp, device, array, dtype=None):
    array = np.asarray(array, dtype=dtype)
    return xp.asarray(array, device=device)


@pytest.fixture(scope="module")
def classification():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)
    return X, y


def _fit_both(make, X, y, xp, device, dtype, fit_kwargs=None, to_device=()):
    """The same estimator fitted on numpy and on ``xp``: ``(numpy model, xp model)``."""
    fit_kwargs = dict(fit_kwargs or {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = make().fit(X.astype(dtype), y, **fit_kwargs)
        for name in to_device:
            fit_kwargs[name] = _on(xp, device, fit_kwargs[name], dtype)
        with sklearn.config_context(array_api_dispatch=True):
            model = make().fit(_on(xp, device, X, dtype), _on(xp, device, y), **fit_kwargs)
    return reference, model


CLASSIFIERS = {
    "adam": {},
    "sgd-nesterov": {"solver": "sgd", "learning_rate": "invscaling"},
    "lbfgs": {"solver": "lbfgs"},
    "adamw-cosine": {"solver": "adamw", "learning_rate": "cosine"},
    "rmsprop-adaptive": {"solver": "rmsprop", "learning_rate": "adaptive"},
    "per-layer-activations": {"hidden_layer_sizes": (6, 5), "activation": ["gelu", "elu"]},
    "selu-mish": {"hidden_layer_sizes": (6, 5), "activation": ["selu", "mish"]},
    "leaky-logistic": {
        "hidden_layer_sizes": (6, 5),
        "activation": ["leaky_relu", "logistic"],
    },
    "dropout": {"dropout": 0.3},
    "batch-norm": {"batch_norm": True, "batch_size": 20},
    "residual": {"hidden_layer_sizes": (6, 6, 6), "residual": True, "activation": "tanh"},
    "lbfgs-batch-norm": {"solver": "lbfgs", "batch_norm": True},
    "early-stopping": {"early_stopping": True, "validation_fraction": 0.25},
    "class-weight": {"class_weight": "balanced"},
    # 24 rows a batch: the epoch's last batch has 8 (views of the first rows).
    "one-cycle": {"learning_rate": "one_cycle", "batch_size": 24},
    "scaled-inputs": {"numeric_scaling": "smooth_clip", "handle_missing": "indicator"},
    "pbld-feature-scale-ntk": {
        "numeric_embedding": "pbld",
        "feature_scale": True,
        "parametrization": "ntk",
        "label_smoothing": 0.1,
    },
    "plr-best-epoch": {
        "numeric_embedding": "plr",
        "early_stopping": True,
        "validation_scoring": "neg_log_loss",
        "n_iter_no_change": np.inf,
    },
}


@pytest.mark.parametrize("name, device, dtype", _namespaces())
@pytest.mark.parametrize("config", sorted(CLASSIFIERS))
def test_classifier_is_the_same_model_on_every_namespace(
    classification, name, device, dtype, config
):
    xp, device = _xp_and_device(name, device)
    X, y = classification

    def make():
        params = {"hidden_layer_sizes": (8,), "max_iter": 6, "random_state": 0}
        return ScratchMLPClassifier(**{**params, **CLASSIFIERS[config]})

    reference, model = _fit_both(make, X, y, xp, device, dtype)
    X_xp = _on(xp, device, X, dtype)
    with sklearn.config_context(array_api_dispatch=True):
        proba = model.predict_proba(X_xp)
        log_proba = model.predict_log_proba(X_xp)
        labels = model.predict(X_xp)
        score = model.score(X_xp, _on(xp, device, y))
    for fitted in model.coefs_ + model.intercepts_:
        assert ops_for(fitted) == ops_for(X_xp)  # where the data are
    assert ops_for(proba) == ops_for(X_xp) and ops_for(labels) == ops_for(X_xp)
    tol = TOLERANCE[dtype]
    assert_allclose(
        array_to_numpy(proba), reference.predict_proba(X.astype(dtype)), atol=tol
    )
    expected_log = reference.predict_log_proba(X.astype(dtype))
    assert_allclose(array_to_numpy(log_proba), expected_log, rtol=tol, atol=tol)
    agree = array_to_numpy(labels) == reference.predict(X.astype(dtype))
    assert agree.mean() >= 0.95  # a tie broken by rounding may flip a label
    assert isinstance(score, float)
    assert model.n_iter_ == reference.n_iter_
    assert_allclose(model.loss_curve_, reference.loss_curve_, rtol=tol)
    assert [set(r) for r in model.history_] == [set(r) for r in reference.history_]


REGRESSORS = {
    "squared-error": {},
    "one-output": {},
    "poisson": {"loss": "poisson"},
    "huber-lbfgs": {"loss": "huber", "solver": "lbfgs"},
    "batch-norm-residual": {
        "hidden_layer_sizes": (6, 6),
        "batch_norm": True,
        "residual": True,
    },
    "scaled-targets-and-inputs": {
        "target_scaling": "standard",
        "numeric_scaling": "robust",
        "validation_scoring": "neg_mean_absolute_error",
        "early_stopping": True,
    },
    "poisson-scaled-targets": {"loss": "poisson", "target_scaling": "standard"},
}


@pytest.mark.parametrize("name, device, dtype", _namespaces())
@pytest.mark.parametrize("config", sorted(REGRESSORS))
def test_regressor_is_the_same_model_on_every_namespace(name, device, dtype, config):
    xp, device = _xp_and_device(name, device)
    rng = np.random.RandomState(1)
    X = rng.normal(size=(60, 3))
    y = np.column_stack([np.abs(X[:, 0]) + 0.1, np.exp(X[:, 1] * X[:, 2] / 2)])
    if config == "one-output":
        y = y[:, 0]

    def make():
        params = {"hidden_layer_sizes": (8,), "max_iter": 6, "random_state": 0}
        return ScratchMLPRegressor(**{**params, **REGRESSORS[config]})

    reference, model = _fit_both(make, X, y, xp, device, dtype)
    with sklearn.config_context(array_api_dispatch=True):
        predicted = model.predict(_on(xp, device, X, dtype))
    expected = reference.predict(X.astype(dtype))
    scale = np.abs(expected).max()
    assert_allclose(array_to_numpy(predicted), expected, atol=TOLERANCE[dtype] * scale)


@pytest.mark.parametrize("name, device, dtype", _namespaces())
def test_missing_values_are_imputed_on_the_device(classification, name, device, dtype):
    xp, device = _xp_and_device(name, device)
    X, y = classification
    X = X.copy()
    X[::7, 0] = np.nan
    X[1::9, 2] = np.nan

    def make():
        return TabularMLPClassifier(hidden_layer_sizes=(8,), max_iter=6, random_state=0)

    reference, model = _fit_both(make, X, y, xp, device, dtype)
    assert [r["kind"] for r in model.layers_][:2] == ["impute_missing", "robust_scale"]
    with sklearn.config_context(array_api_dispatch=True):
        proba = model.predict_proba(_on(xp, device, X, dtype))
    assert np.isfinite(array_to_numpy(proba)).all()
    expected = reference.predict_proba(X.astype(dtype))
    assert_allclose(array_to_numpy(proba), expected, atol=TOLERANCE[dtype])


@pytest.mark.parametrize("name, device, dtype", _namespaces()[:3])
def test_sample_weight_and_a_validation_set_on_the_device(
    classification, name, device, dtype
):
    xp, device = _xp_and_device(name, device)
    X, y = classification
    weights = np.linspace(0.2, 2.0, len(y))
    X_val, y_val = X[::4], y[::4]

    def make():
        return ScratchMLPClassifier((8,), max_iter=6, random_state=0, early_stopping=True)

    fit_kwargs = {"sample_weight": weights, "X_val": X_val, "y_val": y_val}
    reference, model = _fit_both(
        make, X, y, xp, device, dtype, fit_kwargs, to_device=("sample_weight", "X_val")
    )
    tol = TOLERANCE[dtype]
    assert_allclose(model.validation_scores_, reference.validation_scores_, atol=tol)
    losses = [r["validation_loss"] for r in model.history_]
    assert_allclose(losses, [r["validation_loss"] for r in reference.history_], rtol=tol)
    assert_allclose(
        to_numpy(model).predict_proba(X.astype(dtype)),
        reference.predict_proba(X.astype(dtype)),
        atol=tol,
    )


@pytest.mark.parametrize("name, device, dtype", _namespaces()[:3])
def test_embeddings_partial_fit_and_callbacks_on_the_device(name, device, dtype):
    xp, device = _xp_and_device(name, device)
    rng = np.random.RandomState(2)
    X = np.column_stack([rng.normal(size=(90, 2)), rng.randint(0, 4, size=90)])
    y = (X[:, 0] + (X[:, 2] == 1) > 0.5).astype(int)

    class Seen(Callback):
        def on_fit_begin(self, estimator):
            self.where = []

        def on_epoch_end(self, estimator, record):
            self.where.append(ops_for(estimator.coefs_[0]))

    seen = Seen()

    def make():
        return ScratchMLPClassifier(
            (6,), categorical_features=[2], random_state=0, callbacks=[seen]
        )

    reference = make()
    model = make()
    X_xp, y_xp = _on(xp, device, X, dtype), _on(xp, device, y)
    for _ in range(3):
        reference.partial_fit(X.astype(dtype), y, classes=[0, 1])
        with sklearn.config_context(array_api_dispatch=True):
            model.partial_fit(X_xp, y_xp, classes=[0, 1])
    assert seen.where == [ops_for(X_xp)]  # the last call's one epoch, on the device
    with sklearn.config_context(array_api_dispatch=True):
        proba = model.predict_proba(X_xp)
    expected = reference.predict_proba(X.astype(dtype))
    assert_allclose(array_to_numpy(proba), expected, atol=TOLERANCE[dtype])
    assert [len(values) for values in model.categories_] == [4]


def test_predicting_elsewhere_than_the_fit_is_refused(classification):
    xp, device = _xp_and_device("array_api_strict", "device1")
    X, y = classification
    with sklearn.config_context(array_api_dispatch=True), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = ScratchMLPClassifier((4,), max_iter=3).fit(_on(xp, device, X), y)
        for method in ("predict", "predict_proba", "predict_log_proba"):
            with pytest.raises(
                ValueError, match=rf"ScratchMLPClassifier\.{method}\(\) must"
            ):
                getattr(model, method)(X)
    numpy_model = to_numpy(model)
    assert isinstance(numpy_model.coefs_[0], np.ndarray)
    assert isinstance(numpy_model.predict_proba(X), np.ndarray)
    assert ops_for(model.coefs_[0]) == ops_for(_on(xp, device, X))  # left as it was


def test_to_numpy_brings_a_pipeline_back_for_pickle_and_onnx(classification):
    torch = pytest.importorskip("torch", reason="torch is not installed")
    X, y = classification
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", ScratchMLPClassifier((4,)))])
    with sklearn.config_context(array_api_dispatch=True), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(torch.tensor(X), torch.tensor(y))
    assert isinstance(pipe["scale"].mean_, torch.Tensor)
    served = to_numpy(pipe)
    assert isinstance(served["scale"].mean_, np.ndarray)
    assert isinstance(served["mlp"].layers_[0]["params"]["W"], np.ndarray)
    with sklearn.config_context(array_api_dispatch=True):
        expected = pipe.predict_proba(torch.tensor(X)).numpy()
    assert_allclose(served.predict_proba(X), expected, rtol=1e-12)


def test_grid_search_in_a_pipeline_on_torch_tensors(classification):
    torch = pytest.importorskip("torch", reason="torch is not installed")
    X, y = classification
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("mlp", ScratchMLPClassifier(max_iter=20, random_state=0)),
        ]
    )
    grid = {"mlp__hidden_layer_sizes": [(4,), (8,)], "mlp__alpha": [1e-4, 1e-2]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        on_numpy = GridSearchCV(pipe, grid, cv=3).fit(X, y)
        with sklearn.config_context(array_api_dispatch=True):
            search = GridSearchCV(pipe, grid, cv=3).fit(torch.tensor(X), torch.tensor(y))
            predicted = search.predict(torch.tensor(X))
    assert isinstance(predicted, torch.Tensor)
    assert isinstance(search.best_estimator_["mlp"].coefs_[0], torch.Tensor)
    # The same candidates, the same scores: the models are numpy's, to rounding.
    assert_allclose(
        search.cv_results_["mean_test_score"], on_numpy.cv_results_["mean_test_score"]
    )
    assert search.best_params_ == on_numpy.best_params_


def test_without_dispatch_torch_tensors_train_on_numpy(classification):
    torch = pytest.importorskip("torch", reason="torch is not installed")
    X, y = classification
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = ScratchMLPClassifier((4,), max_iter=3, random_state=0)
        model.fit(torch.tensor(X), torch.tensor(y))
    assert isinstance(model.coefs_[0], np.ndarray)  # converted, as scikit-learn does
