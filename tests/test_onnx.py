"""ONNX export: onnxruntime's outputs against predict and predict_proba.

Tolerances: 1e-5 relative in float32 and 1e-9 in float64, and labels exactly. An
absolute tolerance of a few units in the last place of 1 (1e-7, 1e-15) is added for
probabilities only: a binary model's ``1 - p`` loses all but the last digits of a
``p`` close to 1, in predict_proba as in the graph, so no relative bound holds there.
Regression outputs get an absolute tolerance of the relative one times the largest
output, since ``MatMul`` sums in another order than numpy's BLAS and an output that
happens to sit near 0 keeps the absolute, not the relative, rounding error.
"""

import sys
import warnings

import numpy as np
import pytest
import scipy.special
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor
from skscratch.core import HIDDEN_ACTIVATIONS

ort = pytest.importorskip(
    "onnxruntime", reason='ONNX export tests need the onnx extra: pip install ".[onnx]"'
)
skl2onnx = pytest.importorskip(
    "skl2onnx", reason='ONNX export tests need the onnx extra: pip install ".[onnx]"'
)
skscratch_onnx = pytest.importorskip("skscratch.onnx")

# Every hidden activation skscratch has: one without a converter fails here.
ACTIVATIONS = sorted(HIDDEN_ACTIVATIONS)
DTYPES = [np.float32, np.float64]
RTOL = {np.float32: 1e-5, np.float64: 1e-9}
PROBA_ATOL = {np.float32: 1e-7, np.float64: 1e-15}


def _data(dtype, n_samples=40, n_features=4, seed=0):
    return np.random.RandomState(seed).normal(size=(n_samples, n_features)).astype(dtype)


def _targets(kind, X):
    """Labels of one kind: binary or multiclass, int or str, or multilabel."""
    score = X[:, 0] + 0.5 * X[:, 1]
    if kind == "multilabel":
        return (X[:, :3] > 0).astype(int)
    bins = [0] if kind.startswith("binary") else [-0.6, 0.6]
    index = np.digitize(score, bins)
    labels = (
        np.array(["cat", "dog", "emu"]) if kind.endswith("str") else np.array([-1, 4, 7])
    )
    return labels[index]


def _fit(model, X, y):
    # Short fits on purpose: an unconverged network converts like any other.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def _session(onx):
    return ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])


def _run(onx, X):
    session = _session(onx)
    return session.run(None, {session.get_inputs()[0].name: X})


def _classifier(activation, kind, dtype, hidden=(6, 5)):
    X = _data(dtype)
    model = ScratchMLPClassifier(
        hidden, activation=activation, max_iter=40, learning_rate_init=0.05, random_state=0
    )
    return _fit(model, X, _targets(kind, X)), X


def _check_classifier(model, X, label, proba):
    dtype = X.dtype.type
    assert proba.dtype == X.dtype
    assert_allclose(proba, model.predict_proba(X), rtol=RTOL[dtype], atol=PROBA_ATOL[dtype])
    expected = model.predict(X)
    assert label.shape == expected.shape
    assert_array_equal(label, expected)


# ------------------------------------------------------------- the matrix
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize(
    "kind", ["binary-int", "binary-str", "multiclass-int", "multiclass-str", "multilabel"]
)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_classifier_matches_predict(activation, kind, dtype):
    model, X = _classifier(activation, kind, dtype)
    expected_out = {"binary": "logistic", "multiclass": "softmax", "multilabel": "logistic"}
    assert model.out_activation_ == expected_out[kind.split("-")[0]]
    onx = skl2onnx.to_onnx(model, X[:1], options={"zipmap": False})
    assert [o.name for o in onx.graph.output] == ["label", "probabilities"]
    label, proba = _run(onx, X)
    _check_classifier(model, X, label, proba)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_regressor_matches_predict(activation, dtype):
    X = _data(dtype)
    y = np.column_stack([np.sin(X[:, 0]) + X[:, 1], X[:, 2] * X[:, 3]])
    model = _fit(
        ScratchMLPRegressor(
            hidden_layer_sizes=(6, 5), activation=activation, max_iter=40, random_state=0
        ),
        X,
        y,
    )
    (output,) = _run(skl2onnx.to_onnx(model, X[:1]), X)
    expected = model.predict(X)
    assert output.dtype == X.dtype and output.shape == (len(X), 2)
    assert_allclose(
        output, expected, rtol=RTOL[dtype], atol=RTOL[dtype] * np.abs(expected).max()
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("loss", ["poisson", "huber"])
def test_regressor_losses_and_one_output(loss, dtype):
    """Poisson's exp output and huber's identity output, with a single target."""
    X = _data(dtype)
    y = np.exp(0.5 * X[:, 0]) if loss == "poisson" else X[:, 0] - X[:, 1]
    model = _fit(
        ScratchMLPRegressor(
            loss, hidden_layer_sizes=(5,), activation=["elu"], max_iter=40, random_state=0
        ),
        X,
        y,
    )
    assert model.out_activation_ == ("exp" if loss == "poisson" else "identity")
    (output,) = _run(skl2onnx.to_onnx(model, X[:1]), X)
    expected = model.predict(X)
    assert output.shape == (len(X), 1)  # as skl2onnx gives scikit-learn's MLPRegressor
    assert_allclose(
        output[:, 0], expected, rtol=RTOL[dtype], atol=RTOL[dtype] * np.abs(expected).max()
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_per_layer_activations(dtype):
    activation = ["gelu", "elu", "leaky_relu", "logistic"]
    model, X = _classifier(activation, "multiclass-str", dtype, hidden=(5, 4, 4, 3))
    label, proba = _run(skscratch_onnx.to_onnx(model, X[:1], options={"zipmap": False}), X)
    _check_classifier(model, X, label, proba)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activations_over_a_wide_range(activation, dtype):
    """Each activation alone, from -60 to 60 and near 0, to the stated tolerance.

    A network whose weights are the identity outputs f(X) itself, so this checks
    the ONNX formulas where they are most fragile: tiny negative inputs of elu's
    expm1, the tails of gelu's normal CDF and of the logistic function.
    """
    grid = np.concatenate([np.linspace(-60, 60, 241), np.geomspace(1e-12, 1, 25)])
    X = np.concatenate([grid, -grid]).reshape(-1, 2).astype(dtype)
    model = _fit(
        ScratchMLPRegressor(hidden_layer_sizes=(2,), activation=activation, max_iter=2),
        X,
        X,
    )
    model.coefs_ = [np.eye(2, dtype=dtype), np.eye(2, dtype=dtype)]
    model.intercepts_ = [np.zeros(2, dtype=dtype), np.zeros(2, dtype=dtype)]
    (output,) = _run(skscratch_onnx.to_onnx(model), X)
    tiny = np.finfo(dtype).tiny  # relative precision down to the smallest normal number
    if activation == "gelu":
        # numpy's z (1 + erf(z / sqrt 2)) / 2 cancels for z << 0, so it is only
        # absolutely accurate there; the graph is relatively accurate everywhere.
        exact = X.astype(np.float64) * scipy.special.ndtr(X.astype(np.float64))
        assert_allclose(output, exact.astype(dtype), rtol=RTOL[dtype], atol=tiny)
        assert_allclose(output, model.predict(X), rtol=RTOL[dtype], atol=1e-14)
    else:
        assert_allclose(output, model.predict(X), rtol=RTOL[dtype], atol=tiny)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("kind", ["binary-int", "multiclass-int", "multilabel"])
def test_confident_probabilities(kind, dtype):
    """Weights scaled up: probabilities down to 1e-30 keep their relative precision
    (onnxruntime's own Sigmoid operator is off by up to 25% there in float32)."""
    model, X = _classifier("tanh", kind, dtype)
    model.coefs_[-1] = model.coefs_[-1] * 30
    proba = model.predict_proba(X)
    assert proba.min() < 1e-10
    label, onnx_proba = _run(skscratch_onnx.to_onnx(model, options={"zipmap": False}), X)
    _check_classifier(model, X, label, onnx_proba)


# ------------------------------------------------------- outputs and options
def test_default_zipmap_gives_a_dict_per_sample():
    model, X = _classifier("relu", "multiclass-str", np.float32)
    onx = skl2onnx.to_onnx(model, X[:1])
    assert [o.name for o in onx.graph.output] == ["output_label", "output_probability"]
    label, dicts = _run(onx, X)
    assert_array_equal(label, model.predict(X))
    assert list(dicts[0]) == ["cat", "dog", "emu"]
    proba = np.array([[d[c] for c in model.classes_] for d in dicts])
    assert_allclose(proba, model.predict_proba(X), rtol=1e-5, atol=1e-7)


def test_multilabel_default_zipmap_maps_each_label():
    """One dict per sample, {label index: probability}, and the indicator matrix.

    (skl2onnx's converter for scikit-learn's MLPClassifier fails on multilabel
    models: its ZipMap is sized for two columns.)
    """
    model, X = _classifier("tanh", "multilabel", np.float32)
    label, dicts = _run(skl2onnx.to_onnx(model, X[:1]), X)
    assert_array_equal(label, model.predict(X))
    proba = np.array([[d[k] for k in range(3)] for d in dicts])
    assert_allclose(proba, model.predict_proba(X), rtol=1e-5, atol=1e-7)


def test_zipmap_columns_gives_an_output_per_class():
    model, X = _classifier("relu", "multiclass-int", np.float32)
    onx = skl2onnx.to_onnx(model, X[:1], options={"zipmap": "columns"})
    label, *columns = _run(onx, X)
    assert_array_equal(label, model.predict(X))
    assert_allclose(np.column_stack(columns), model.predict_proba(X), rtol=1e-5, atol=1e-7)


def _label_and_proba(outputs, zipmap, classes):
    """``label`` and the probability matrix, from the outputs of each zipmap option."""
    label, *rest = outputs
    if zipmap is False:
        return label, rest[0]
    if zipmap == "columns":
        return label, np.column_stack(rest)
    return label, np.array([[d[c] for c in classes] for d in rest[0]])


@pytest.mark.parametrize("convert", ["skl2onnx", "skscratch"])
@pytest.mark.parametrize("zipmap", [True, False, "columns"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize(
    "kind", ["binary-int", "binary-str", "multiclass-int", "multiclass-str", "multilabel"]
)
def test_every_zipmap_option_loads_and_matches_predict(kind, dtype, zipmap, convert):
    """ONNX's ZipMap takes float only: a float64 graph casts its probabilities
    for it (scikit-learn's MLPClassifier through skl2onnx fails to load there)."""
    model, X = _classifier("relu", kind, dtype)
    to_onnx = skl2onnx.to_onnx if convert == "skl2onnx" else skscratch_onnx.to_onnx
    options = None if zipmap is True else {"zipmap": zipmap}
    session = _session(to_onnx(model, X[:1], options=options))
    label, proba = _label_and_proba(session.run(None, {"X": X}), zipmap, model.classes_)
    # the probabilities' type: float32 in ZipMap's dictionaries, else the graph's
    in_float = zipmap is True or dtype == np.float32
    proba_type = session.get_outputs()[1].type
    assert ("tensor(float)" if in_float else "tensor(double)") in proba_type
    tolerance = np.float32 if in_float else np.float64
    assert_allclose(
        proba, model.predict_proba(X), rtol=RTOL[tolerance], atol=PROBA_ATOL[tolerance]
    )
    assert_array_equal(label, model.predict(X))


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_to_onnx_without_X_uses_the_model_dtype(dtype):
    model, X = _classifier("relu", "binary-int", dtype)
    onx = skscratch_onnx.to_onnx(model, options={"zipmap": False})
    (graph_input,) = onx.graph.input
    assert graph_input.name == "X"
    elem_type = graph_input.type.tensor_type.elem_type
    assert elem_type == (11 if dtype == np.float64 else 1)  # DOUBLE, FLOAT
    assert graph_input.type.tensor_type.shape.dim[1].dim_value == X.shape[1]
    label, proba = _run(onx, X)
    _check_classifier(model, X, label, proba)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_pipeline_with_scaler(dtype):
    X = _data(dtype) * 5 + 3
    y = _targets("multiclass-str", X - 3)
    classifier = make_pipeline(
        StandardScaler(),
        ScratchMLPClassifier((6,), activation="gelu", max_iter=40, random_state=0),
    )
    _fit(classifier, X, y)
    onx = skl2onnx.to_onnx(
        classifier, X[:1], options={id(classifier[-1]): {"zipmap": False}}
    )
    label, proba = _run(onx, X)
    _check_classifier(classifier, X, label, proba)
    outputs = _run(skl2onnx.to_onnx(classifier, X[:1]), X)  # ZipMap: float32 values
    label, proba = _label_and_proba(outputs, True, classifier.classes_)
    assert_allclose(proba, classifier.predict_proba(X), rtol=1e-5, atol=1e-7)
    assert_array_equal(label, classifier.predict(X))

    regressor = make_pipeline(
        StandardScaler(), ScratchMLPRegressor(hidden_layer_sizes=(6,), max_iter=40)
    )
    _fit(regressor, X, X[:, 0] * X[:, 1])
    (output,) = _run(skscratch_onnx.to_onnx(regressor), X)
    expected = regressor.predict(X)
    assert_allclose(
        output[:, 0], expected, rtol=RTOL[dtype], atol=RTOL[dtype] * np.abs(expected).max()
    )


def test_boolean_labels_become_int64():
    X = _data(np.float32)
    model = _fit(ScratchMLPClassifier((4,), max_iter=20, random_state=0), X, X[:, 0] > 0)
    label, proba = _run(skscratch_onnx.to_onnx(model, options={"zipmap": False}), X)
    assert label.dtype == np.int64
    assert_array_equal(label.astype(bool), model.predict(X))


def test_non_integral_float_labels_are_refused():
    X = _data(np.float64)
    model = _fit(ScratchMLPClassifier((4,), max_iter=20, random_state=0), X, X[:, 0] > 0)
    model.classes_ = np.array([0.5, 1.5])
    with pytest.raises(ValueError, match="integers or strings"):
        skscratch_onnx.to_onnx(model, options={"zipmap": False})


def test_missing_extra_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # import skl2onnx now fails
    monkeypatch.delitem(sys.modules, "skscratch.onnx")
    with pytest.raises(ImportError, match=r'pip install "\.\[onnx\]"'):
        import skscratch.onnx  # noqa: F401


@pytest.mark.parametrize(
    "module", ["", "graph", "activations", "layers", "inputs", "estimators", "frames"]
)
def test_module_examples_run(module):
    # The examples in skscratch.onnx's docstrings (pytest's doctest collection
    # skips that package, which cannot import without the onnx extra).
    import doctest
    import importlib

    name = "skscratch.onnx" + (f".{module}" if module else "")
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if module in ("estimators", "frames"):  # to_onnx's and frame_inputs's examples
        assert result.attempted > 0


# ------------------------------------------------- embeddings: a Gather per table
def _categorical_data(dtype, n_samples=300, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 4))
    X[:, 1] = rng.randint(0, 12, n_samples)  # integer codes
    X[:, 3] = rng.choice([-2.5, 0.5, 7.0, np.nan], n_samples)  # with missing values
    y = (np.sin(X[:, 1]) + X[:, 0] > 0).astype(int)
    return X.astype(dtype), y


@pytest.mark.parametrize("dtype", DTYPES)
def test_embeddings_match_predict_with_unseen_and_missing_values(dtype):
    X, y = _categorical_data(dtype)
    model = _fit(
        ScratchMLPClassifier(
            (6,), categorical_features=[1, 3], max_iter=30, random_state=0
        ),
        X,
        y,
    )
    X_new, _ = _categorical_data(dtype, 60, seed=1)
    X_new[:10, 1] = 40  # a code unseen in fit
    X_new[10:20, 3] = 3.25  # another
    X_new[20:30, 1] = np.nan  # a missing value where the fit saw none
    onx = skscratch_onnx.to_onnx(model, options={"zipmap": False})
    ops = [node.op_type for node in onx.graph.node]
    assert ops.count("Gather") >= 2 + 1  # the two tables, and the column picks
    label, proba = _run(onx, X_new)
    _check_classifier(model, X_new, label, proba)
    # The unseen and missing rows took the unknown rows of the tables.
    unknown = model.predict_proba(X_new[:30])
    assert_allclose(proba[:30], unknown, rtol=RTOL[dtype], atol=PROBA_ATOL[dtype])


def test_export_uses_the_fitted_activations_not_a_changed_parameter():
    # set_params after fit changes the parameter, not the fitted model: the
    # graph must compute what predict computes.
    X = _data(np.float64)
    model = ScratchMLPClassifier((5,), activation="tanh", max_iter=50, random_state=0)
    _fit(model, X, _targets("multiclass_int", X))
    model.set_params(activation="relu")
    onx = skscratch_onnx.to_onnx(model, X[:1], options={"zipmap": False})
    _, proba = _run(onx, X)
    assert_allclose(proba, model.predict_proba(X), rtol=1e-9, atol=1e-15)


# ------------------------------------------------ batch norm and residual blocks
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("kind", ["multiclass-int", "binary-str", "multilabel"])
@pytest.mark.parametrize(
    "params",
    [
        {"batch_norm": True},
        {"residual": True, "dropout": 0.1},
        {"batch_norm": [False, True, True], "residual": True, "activation": "gelu"},
        {"batch_norm": True, "solver": "lbfgs"},
    ],
    ids=["batch-norm", "residual", "both", "lbfgs-batch-norm"],
)
def test_batch_norm_and_residual_blocks_match_predict(params, kind, dtype):
    X = _data(dtype)
    model = ScratchMLPClassifier(
        (6, 6, 6), max_iter=40, learning_rate_init=0.05, random_state=0, **params
    )
    model = _fit(model, X, _targets(kind, X))
    label, proba = _run(skscratch_onnx.to_onnx(model, options={"zipmap": False}), X)
    _check_classifier(model, X, label, proba)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_batch_norm_regressor_matches_predict(dtype):
    X = _data(dtype)
    y = np.column_stack([X[:, 0] - X[:, 1], X[:, 2]])
    model = _fit(
        ScratchMLPRegressor(
            hidden_layer_sizes=(5, 5), batch_norm=True, residual=True, random_state=0
        ),
        X,
        y,
    )
    (output,) = _run(skscratch_onnx.to_onnx(model), X)
    expected = model.predict(X)
    assert_allclose(
        output, expected, rtol=RTOL[dtype], atol=RTOL[dtype] * np.abs(expected).max()
    )


# ------------------------------------- the tabular pieces: scale, periodic, NTK
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("kind", ["multiclass-int", "binary-str", "multilabel"])
@pytest.mark.parametrize(
    "params",
    [
        {"feature_scale": True},
        {"numeric_embedding": "plr", "numeric_embedding_sigma": 1.0},
        {"numeric_embedding": "pbld", "numeric_embedding_sigma": 1.0},
        {"parametrization": "ntk"},
        {
            "feature_scale": True,
            "numeric_embedding": "pbld",
            "parametrization": "ntk",
            "batch_norm": True,
            "residual": True,
        },
    ],
    ids=["feature-scale", "plr", "pbld", "ntk", "all"],
)
def test_tabular_pieces_match_predict(params, kind, dtype):
    X = _data(dtype) * 2
    model = ScratchMLPClassifier(
        (6, 6), max_iter=40, learning_rate_init=0.05, random_state=0, **params
    )
    model = _fit(model, X, _targets(kind, X))
    label, proba = _run(skscratch_onnx.to_onnx(model, options={"zipmap": False}), X)
    _check_classifier(model, X, label, proba)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("variant", ["plr", "pbld"])
def test_periodic_embeddings_beside_categorical_embeddings(variant, dtype):
    X, y = _categorical_data(dtype)
    model = ScratchMLPClassifier(
        (6,),
        categorical_features=[1, 3],
        numeric_embedding=variant,
        feature_scale=True,
        parametrization="ntk",
        max_iter=30,
        learning_rate_init=0.02,
        random_state=0,
    )
    model = _fit(model, X, y)
    kinds = [record["kind"] for record in model.layers_]
    assert kinds[:3] == ["embedding", "periodic_embedding", "feature_scale"]
    X_new, _ = _categorical_data(dtype, 60, seed=1)
    X_new[:10, 1] = 40  # an unseen code
    label, proba = _run(skscratch_onnx.to_onnx(model, options={"zipmap": False}), X_new)
    _check_classifier(model, X_new, label, proba)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_tabular_regressor_matches_predict(dtype):
    X = _data(dtype)
    y = np.column_stack([np.sin(3 * X[:, 0]) + X[:, 1], X[:, 2] * X[:, 3]])
    model = _fit(
        ScratchMLPRegressor(
            hidden_layer_sizes=(6, 5),
            feature_scale=True,
            numeric_embedding="plr",
            parametrization="ntk",
            max_iter=40,
            random_state=0,
        ),
        X,
        y,
    )
    (output,) = _run(skscratch_onnx.to_onnx(model), X)
    expected = model.predict(X)
    assert_allclose(
        output, expected, rtol=RTOL[dtype], atol=RTOL[dtype] * np.abs(expected).max()
    )
