"""ONNX export of models fitted on a raw table: one graph input per column.

The graph of a model with categorical features, exported from a dataframe sample,
takes each column as the model took it (text as strings, booleans as bools, numbers
with NaN) and codes the categories inside; onnxruntime's outputs are checked against
``predict_proba`` and ``predict`` on the raw frame, with unseen and missing values.
Tolerances as in test_onnx.py: 1e-5 relative in float32 and 1e-9 in float64.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skscratch import ScratchMLPClassifier, TabularMLPClassifier, TabularMLPRegressor
from skscratch._input.categorical import encode_categories

pd = pytest.importorskip("pandas")
ort = pytest.importorskip(
    "onnxruntime", reason='ONNX export tests need the onnx extra: pip install ".[onnx]"'
)
skl2onnx = pytest.importorskip(
    "skl2onnx", reason='ONNX export tests need the onnx extra: pip install ".[onnx]"'
)
skscratch_onnx = pytest.importorskip("skscratch.onnx")
from skl2onnx.common.data_types import (  # noqa: E402
    DoubleTensorType,
    FloatTensorType,
    StringTensorType,
)

DTYPES = [np.float32, np.float64]
RTOL = {np.float32: 1e-5, np.float64: 1e-9}
PROBA_ATOL = {np.float32: 1e-7, np.float64: 1e-15}
SMALL = {"hidden_layer_sizes": (8,), "max_iter": 8, "random_state": 0}
SMALL_SCRATCH = {"max_iter": 8, "random_state": 0}

# ONNX element types (onnx.TensorProto)
FLOAT, STRING, BOOL, DOUBLE = 1, 8, 9, 11


def table(n, seed, dtype, with_nan=True):
    """A raw table: each column kind, missing values where a table has them."""
    rng = np.random.RandomState(seed)
    X = pd.DataFrame(
        {
            "income": rng.lognormal(3, 1, n).astype(dtype),  # numbers with NaN
            "age": rng.uniform(18, 90, n).astype(dtype),  # numbers
            "city": rng.choice(["Oslo", "Lima", "Pune"], n).astype(object),  # None
            "region": pd.Series(rng.choice(["north", "south"], n), dtype="str"),
            "member": rng.choice([True, False], n),  # numpy bool
            "plan": pd.Categorical(rng.choice(["basic", "pro", "team"], n)),  # NaN
            "tier": pd.Categorical(rng.choice([1, 2, 3], n)),  # numbers
        }
    )
    if with_nan:
        X.loc[rng.rand(n) < 0.15, "income"] = np.nan
    X.loc[rng.rand(n) < 0.1, "city"] = None
    X.loc[rng.rand(n) < 0.1, "plan"] = np.nan
    score = (
        np.log(X["income"].fillna(20).astype(float))
        - 3
        + (X["city"] == "Lima")
        + X["member"]
        - (X["plan"] == "pro")
        + 0.5 * X["tier"].astype(float)
    )
    return X, score.to_numpy()


# Rows of the new table and what they hold that the fit did not see.
UNSEEN = {
    "city": (slice(0, 5), "Rome"),  # unseen text
    "region": (slice(5, 10), None),  # missing text where the fit saw none
    "plan": (slice(10, 15), "enterprise"),  # unseen Categorical string
    "tier": (slice(15, 20), 4),  # unseen Categorical number
}


def new_table(dtype, with_nan=True):
    """60 rows from another seed, with unseen categories and unseen missing values."""
    X, _ = table(60, seed=1, dtype=dtype, with_nan=with_nan)
    X["plan"] = X["plan"].cat.add_categories(["enterprise"])
    X["tier"] = X["tier"].cat.add_categories([4])
    for name, (rows, value) in UNSEEN.items():
        X.loc[X.index[rows], name] = value
    X.loc[X.index[20:25], "tier"] = np.nan  # a missing number where the fit saw none
    if with_nan:
        X.loc[X.index[25:30], "age"] = np.nan  # likewise, imputed
    return X


def fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def session_of(onx):
    return ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])


def run(onx, X):
    session = session_of(onx)
    return session.run(None, skscratch_onnx.frame_inputs(X, session))


MODELS = {
    "tabular-classifier": (lambda: TabularMLPClassifier(**SMALL), True),
    "tabular-regressor": (lambda: TabularMLPRegressor(**SMALL), True),
    # handle_missing="error": no NaN in its numeric columns
    "scratch-auto": (
        lambda: ScratchMLPClassifier((6,), categorical_features="auto", **SMALL_SCRATCH),
        False,
    ),
}


def fitted(kind, dtype):
    make, with_nan = MODELS[kind]
    X, score = table(300, seed=0, dtype=dtype, with_nan=with_nan)
    y = score if kind == "tabular-regressor" else (score > np.median(score)).astype(int)
    return fit(make(), X, y), with_nan


# ------------------------------------------------------------------- the matrix
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("kind", list(MODELS))
def test_graph_of_a_raw_table_matches_predict(kind, dtype):
    model, with_nan = fitted(kind, dtype)
    assert model.coefs_[0].dtype == dtype
    assert model.is_categorical_.tolist() == [False, False, True, True, True, True, True]
    X_new = new_table(dtype, with_nan)
    classifier = kind != "tabular-regressor"
    options = {"zipmap": False} if classifier else None
    onx = skscratch_onnx.to_onnx(model, X_new[:1], options=options)
    outputs = run(onx, X_new)
    if classifier:
        label, proba = outputs
        assert proba.dtype == dtype
        assert_allclose(
            proba, model.predict_proba(X_new), rtol=RTOL[dtype], atol=PROBA_ATOL[dtype]
        )
        assert_array_equal(label, model.predict(X_new))
    else:
        (output,) = outputs
        expected = model.predict(X_new)
        assert output.dtype == dtype and output.shape == (len(X_new), 1)
        assert_allclose(
            output[:, 0],
            expected,
            rtol=RTOL[dtype],
            atol=RTOL[dtype] * np.abs(expected).max(),
        )


def test_new_table_holds_the_unseen_and_missing_values_it_claims():
    """The rows of ``UNSEEN`` take the unknown code; missing text and Categorical
    values seen in the fit take the missing code (so the matrix covers both)."""
    model, _ = fitted("tabular-classifier", np.float64)
    X_new = new_table(np.float64)
    codes = encode_categories(X_new, model.is_categorical_, model.categories_)
    columns = ["city", "region", "member", "plan", "tier"]
    n_categories = {c: len(v) for c, v in zip(columns, model.categories_)}
    for name, (rows, _) in UNSEEN.items():
        j = columns.index(name)
        assert (codes[rows, j] == n_categories[name]).all(), name
    assert (codes[20:25, columns.index("tier")] == n_categories["tier"]).all()
    city, plan = model.categories_[0], model.categories_[3]
    assert np.isnan(city[-1]) and np.isnan(plan[-1])  # the fit saw missing values
    for name, categories in [("city", city), ("plan", plan)]:
        missing = X_new[name].isna().to_numpy()
        assert missing.any()
        assert (codes[missing, columns.index(name)] == len(categories) - 1).all()


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_each_column_is_an_input_of_its_kind(dtype):
    model, _ = fitted("tabular-classifier", dtype)
    X, _ = table(5, seed=0, dtype=dtype)
    onx = skscratch_onnx.to_onnx(model, X[:1], options={"zipmap": False})
    number = FLOAT if dtype == np.float32 else DOUBLE
    kinds = [number, number, STRING, STRING, BOOL, STRING, DOUBLE]
    assert [(i.name, i.type.tensor_type.elem_type) for i in onx.graph.input] == list(
        zip(X.columns, kinds)
    )
    for graph_input in onx.graph.input:
        dims = graph_input.type.tensor_type.shape.dim
        assert [d.dim_value for d in dims] == [0, 1]  # (None, 1)
    ops = [(node.domain, node.op_type) for node in onx.graph.node]
    assert ops.count(("ai.onnx.ml", "LabelEncoder")) == 3  # city, region, plan
    # Without a sample the types come from the model: the boolean column as numbers.
    onx = skscratch_onnx.to_onnx(model, options={"zipmap": False})
    assert [i.type.tensor_type.elem_type for i in onx.graph.input] == [
        *kinds[:4],
        DOUBLE,
        *kinds[5:],
    ]
    label, proba = run(onx, X)
    assert_allclose(proba, model.predict_proba(X), rtol=RTOL[dtype], atol=PROBA_ATOL[dtype])


@pytest.mark.parametrize("zipmap", [True, "columns"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_zipmap_outputs_with_column_inputs(dtype, zipmap):
    """ZipMap's dictionaries follow whatever column comes first: here a float64
    one (numeric categories) in a float32 model, and a string one."""
    model, _ = fitted("tabular-classifier", dtype)
    X_new = new_table(dtype)
    for first in ["tier", "city"]:
        order = [first, *(c for c in X_new.columns if c != first)]
        types = dict(skscratch_onnx.frames._column_types(model, X_new[:1]))
        onx = skscratch_onnx.to_onnx(
            model,
            initial_types=[(c, types[c]) for c in order],
            options=None if zipmap is True else {"zipmap": zipmap},
        )
        label, *rest = run(onx, X_new[order])
        if zipmap is True:
            proba = np.array([[d[c] for c in model.classes_] for d in rest[0]])
        else:
            proba = np.column_stack(rest)
        assert_allclose(proba, model.predict_proba(X_new), rtol=1e-5, atol=1e-7)
        assert_array_equal(label, model.predict(X_new))


# ------------------------------------------------- other tables, other exports
def test_numeric_categories_compare_in_double_even_for_float32_models():
    """Codes 2**24 and 2**24 + 1 are one float32 number: the graph reads numeric
    categories as float64, so it tells them apart as ``predict`` does."""
    rng = np.random.RandomState(0)
    big = 2**24
    X = pd.DataFrame(
        {
            "x": rng.normal(size=200).astype(np.float32),
            "id": pd.Categorical(rng.choice([big, big + 1, big + 3], 200)),
        }
    )
    y = (X["id"].astype(np.int64) == big + 1).astype(int)
    model = fit(ScratchMLPClassifier((6,), max_iter=60, random_state=0), X, y)
    assert model.coefs_[0].dtype == np.float32
    onx = skscratch_onnx.to_onnx(model, X[:1], options={"zipmap": False})
    assert [i.type.tensor_type.elem_type for i in onx.graph.input] == [FLOAT, DOUBLE]
    label, proba = run(onx, X)
    assert_allclose(proba, model.predict_proba(X), rtol=1e-5, atol=1e-7)
    assert_array_equal(label, model.predict(X))


def test_nullable_booleans_with_missing_values_are_numbers():
    rng = np.random.RandomState(0)
    flag = pd.array(rng.choice([True, False], 200), dtype="boolean")
    flag[rng.rand(200) < 0.2] = pd.NA
    X = pd.DataFrame({"x": rng.normal(size=200), "flag": flag})
    y = (X["x"] + X["flag"].fillna(False).astype(int) > 0.3).astype(int)
    model = fit(TabularMLPClassifier(**SMALL), X, y)
    onx = skscratch_onnx.to_onnx(model, X[:1], options={"zipmap": False})
    assert [i.type.tensor_type.elem_type for i in onx.graph.input] == [DOUBLE, DOUBLE]
    label, proba = run(onx, X)
    assert_allclose(proba, model.predict_proba(X), rtol=1e-9, atol=1e-15)
    # A numpy bool column takes a bool input, which cannot hold a missing value.
    X_bool = X.assign(flag=X["flag"].fillna(False).astype(bool))
    onx = skscratch_onnx.to_onnx(model, X_bool[:1], options={"zipmap": False})
    assert onx.graph.input[1].type.tensor_type.elem_type == BOOL
    label, proba = run(onx, X_bool)
    assert_allclose(proba, model.predict_proba(X_bool), rtol=1e-9, atol=1e-15)
    with pytest.raises(ValueError, match="'flag' has missing values"):
        skscratch_onnx.frame_inputs(X, onx)


def test_polars_frame():
    pl = pytest.importorskip("polars")
    X_pandas, score = table(300, seed=0, dtype=np.float64)
    X = pl.from_pandas(X_pandas)
    model = fit(TabularMLPClassifier(**SMALL), X, (score > np.median(score)).astype(int))
    X_new = pl.from_pandas(new_table(np.float64))
    onx = skscratch_onnx.to_onnx(model, X[:1], options={"zipmap": False})
    # polars' Boolean can hold nulls: a float64 input
    assert [i.type.tensor_type.elem_type for i in onx.graph.input][4] == DOUBLE
    label, proba = run(onx, X_new)
    assert_allclose(proba, model.predict_proba(X_new), rtol=1e-9, atol=1e-15)
    assert_array_equal(label, model.predict(X_new))


def test_skl2onnx_to_onnx_takes_the_frame_too():
    """skl2onnx's own guess (one input per column, typed from the frame) converts."""
    model, _ = fitted("tabular-classifier", np.float64)
    X = new_table(np.float64).drop(index=range(15, 25))  # the Categorical of numbers
    X["tier"] = X["tier"].astype(np.int64)  # as skl2onnx types a Categorical: int64
    X["plan"] = X["plan"].astype(object).where(X["plan"].notna(), None)
    onx = skl2onnx.to_onnx(model, X[:1], options={"zipmap": False})
    assert onx.graph.input[6].type.tensor_type.elem_type == 7  # INT64
    label, proba = run(onx, X)
    assert_allclose(proba, model.predict_proba(X), rtol=1e-9, atol=1e-15)


def test_model_fitted_on_an_array_of_text():
    """Without feature names the inputs are x0, x1 ...; frame_inputs takes an array."""
    rng = np.random.RandomState(0)
    X = np.empty((200, 2), dtype=object)
    X[:, 0] = rng.normal(size=200)
    X[:, 1] = rng.choice(["a", "b", "c"], 200)
    y = (X[:, 1] == "b").astype(int)
    model = fit(ScratchMLPClassifier((4,), categorical_features=[1], **SMALL_SCRATCH), X, y)
    onx = skscratch_onnx.to_onnx(model, options={"zipmap": False})
    assert [i.name for i in onx.graph.input] == ["x0", "x1"]
    X_new = X[:20].copy()
    X_new[:5, 1] = "zz"
    label, proba = run(onx, X_new)
    assert_allclose(proba, model.predict_proba(X_new), rtol=1e-9, atol=1e-15)


def test_numeric_only_model_keeps_one_input_tensor():
    X, score = table(100, seed=0, dtype=np.float64)
    X = X[["income", "age"]].fillna(1.0)
    model = fit(ScratchMLPClassifier((4,), **SMALL_SCRATCH), X, score > 0)
    onx = skscratch_onnx.to_onnx(model, X[:1], options={"zipmap": False})
    assert [i.name for i in onx.graph.input] == ["X"]
    label, proba = run(onx, X)  # frame_inputs gives the one tensor too
    assert_allclose(proba, model.predict_proba(X), rtol=1e-9, atol=1e-15)


# --------------------------------------------------------------------- refusals
def test_text_categories_in_one_numeric_tensor_are_refused_with_a_reason():
    model, _ = fitted("tabular-classifier", np.float64)
    with pytest.raises(NotImplementedError, match="categories are text"):
        skscratch_onnx.to_onnx(model, initial_types=[("X", DoubleTensorType([None, 7]))])


def test_wrong_column_inputs_are_refused_with_a_reason():
    model, _ = fitted("tabular-classifier", np.float64)
    X, _ = table(5, seed=0, dtype=np.float64)
    types = skscratch_onnx.frames._column_types(model, X[:1])
    with pytest.raises(ValueError, match=r"No input is named after the features \['age'\]"):
        skscratch_onnx.to_onnx(
            model, initial_types=[("years", t) if n == "age" else (n, t) for n, t in types]
        )
    with pytest.raises(ValueError, match="6 inputs"):
        skscratch_onnx.to_onnx(model, initial_types=types[:-1])
    wrong = [(n, FloatTensorType([None, 1]) if n == "city" else t) for n, t in types]
    with pytest.raises(TypeError, match="'city' is a FloatTensorType.*text categories"):
        skscratch_onnx.to_onnx(model, initial_types=wrong)
    wrong = [(n, StringTensorType([None, 1]) if n == "age" else t) for n, t in types]
    with pytest.raises(TypeError, match="'age' is a StringTensorType.*numbers"):
        skscratch_onnx.to_onnx(model, initial_types=wrong)
    with pytest.raises(ValueError, match=r"fitted on \['income'"):
        skscratch_onnx.to_onnx(model, X.drop(columns="age")[:1])


def test_empty_string_category_is_refused_with_a_reason():
    """The graph reads missing text as the empty string: a category "" would be
    taken for a missing value, so the export refuses it."""
    X = pd.DataFrame({"x": np.arange(80.0), "c": ["", "a"] * 40})
    model = fit(TabularMLPClassifier(**SMALL), X, np.arange(80) % 2)
    with pytest.raises(ValueError, match="'c' has the empty string as a category"):
        skscratch_onnx.to_onnx(model, X[:1])


def test_frame_inputs_refuses_values_an_input_cannot_take():
    model, _ = fitted("tabular-classifier", np.float64)
    X, _ = table(5, seed=0, dtype=np.float64)
    onx = skscratch_onnx.to_onnx(model, X[:1])
    with pytest.raises(TypeError, match="'city' feeds a text input, but holds int"):
        skscratch_onnx.frame_inputs(X.assign(city=[1, 2, 3, 4, 5]), onx)
    with pytest.raises(TypeError, match="'age' feeds a numeric input, but holds str"):
        skscratch_onnx.frame_inputs(X.assign(age=["1"] * 5), onx)
    with pytest.raises(TypeError, match="'member' feeds a boolean input, but holds float"):
        skscratch_onnx.frame_inputs(X.assign(member=1.0), onx)
    with pytest.raises(ValueError, match=r"X has no column \['tier'\]"):
        skscratch_onnx.frame_inputs(X.drop(columns="tier"), onx)
    with pytest.raises(TypeError, match="onnxruntime.InferenceSession; got bytes"):
        skscratch_onnx.frame_inputs(X, onx.SerializeToString())
