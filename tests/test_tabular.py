"""The Tabular estimators and what they are made of: raw frames in (categorical
columns found by ``categorical_features="auto"``), missing numbers imputed and
indicated, numeric columns and targets scaled, all inside the fitted model."""

import inspect
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import RobustScaler, StandardScaler

from skscratch import (
    ScratchMLPClassifier,
    ScratchMLPRegressor,
    TabularMLPClassifier,
    TabularMLPRegressor,
    check_gradients,
)
from skscratch._estimators.tabular import DEFAULTS, RECIPE, REGRESSION_RECIPE
from skscratch.core import Network
from skscratch.core.layers import PREDICTING, ImputeMissing
from skscratch.preprocessing import SmoothClipScaler

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: Small and short, so that each test fits in a fraction of a second.
SMALL = {"hidden_layer_sizes": (16,), "max_iter": 15, "random_state": 0}


def raw_frame(n=240, seed=0):
    """A table as it comes: numbers on wild scales with NaN, text with None,
    booleans, a Categorical; a label that depends on all of them."""
    rng = np.random.RandomState(seed)
    X = pd.DataFrame(
        {
            "income": rng.lognormal(10, 1, n),
            "age": rng.uniform(18, 90, n),
            "city": rng.choice(["Oslo", "Lima", "Pune"], n).astype(object),
            "member": rng.choice([True, False], n),
            "plan": pd.Categorical(rng.choice(["basic", "pro"], n)),
        }
    )
    y = (np.log(X["income"]) - 10 + (X["age"] - 50) / 20 + (X["city"] == "Lima")) > 0.5
    X.loc[rng.rand(n) < 0.15, "income"] = np.nan
    X.loc[rng.rand(n) < 0.1, "city"] = None
    return X, y.to_numpy().astype(int)


def fit_quietly(model, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **fit_params)


# ------------------------------------------------------------------ the intake
class TestAutoCategorical:
    def test_text_boolean_and_categorical_columns_of_pandas(self):
        X = pd.DataFrame(
            {
                "float": [1.0, np.nan, 3.0, 4.0],
                "int": [1, 2, 3, 4],
                "str": pd.Series(["a", None, "b", "a"], dtype="str"),
                "string": pd.array(["a", None, "c", "c"], dtype="string"),
                "object_text": pd.Series(["x", None, "y", "x"], dtype=object),
                "object_numbers": pd.Series([1, 2.5, None, 4], dtype=object),
                "bool": [True, False, True, True],
                "boolean": pd.array([True, None, False, True], dtype="boolean"),
                "category": pd.Categorical(["u", "v", None, "u"]),
                "Int64": pd.array([1, None, 3, 4], dtype="Int64"),
            }
        )
        model = fit_quietly(
            ScratchMLPClassifier(
                categorical_features="auto", handle_missing="indicator", **SMALL
            ),
            X,
            [0, 1, 0, 1],
        )
        expected = ["str", "string", "object_text", "bool", "boolean", "category"]
        assert X.columns[model.is_categorical_].tolist() == expected
        # A missing value is a category of its own, listed last.
        assert model.categories_[0][:2].tolist() == ["a", "b"]
        assert np.isnan(model.categories_[0][-1])
        assert model.predict(X).shape == (4,)

    def test_polars_frames_fit_the_same_model_as_pandas(self):
        pl = pytest.importorskip("polars")
        X, y = raw_frame()
        X_pl = pl.from_pandas(X)  # String, Boolean, Categorical; NaN -> null
        models = [
            fit_quietly(TabularMLPClassifier(**SMALL), frame, y) for frame in (X, X_pl)
        ]
        assert models[1].is_categorical_.tolist() == [False, False, True, True, True]
        np.testing.assert_array_equal(
            models[0].predict_proba(X), models[1].predict_proba(X_pl)
        )

    def test_numpy_object_arrays_take_text_columns_as_categories(self):
        X = np.array(
            [[1.5, "a"], [2.0, None], [np.nan, "b"], [4.0, "a"]] * 20, dtype=object
        )
        model = fit_quietly(TabularMLPClassifier(**SMALL), X, [0, 1, 0, 1] * 20)
        assert model.is_categorical_.tolist() == [False, True]
        assert model.predict(X).shape == (80,)

    def test_from_dtype_keeps_refusing_text_columns(self):
        # The drop-in classes keep HistGradientBoosting's default reading.
        X, y = raw_frame()
        with pytest.raises(ValueError, match="could not convert string"):
            ScratchMLPClassifier(handle_missing="indicator", **SMALL).fit(X, y)

    def test_numbers_in_an_object_column_with_a_dict_are_a_type_error(self):
        # scikit-learn's check_dtype_object: an object that is no number and no
        # label cannot be coded, and says so as numpy's float() does.
        X = np.random.RandomState(0).uniform(size=(20, 3)).astype(object)
        X[0, 0] = {"foo": "bar"}
        with pytest.raises(TypeError, match="argument must be a string.* number"):
            TabularMLPClassifier(**SMALL).fit(X, np.arange(20) % 2)


# -------------------------------------------------------------- missing values
class TestMissingValues:
    def test_the_drop_in_classes_refuse_nan(self):
        X, y = raw_frame()
        X = X[["income", "age"]]
        with pytest.raises(ValueError, match="Input X contains NaN"):
            ScratchMLPClassifier(**SMALL).fit(X, y)

    def test_layer_matches_simple_imputer_with_indicator(self):
        rng = np.random.RandomState(0)
        X = rng.normal(size=(50, 4))
        X[rng.rand(50, 4) < 0.2] = np.nan
        X[:, 2] = rng.normal(size=50)  # no missing value: no indicator
        imputer = SimpleImputer(strategy="median", add_indicator=True).fit(X)
        layer = ImputeMissing(4, indicate=[0, 1, 3], fill=imputer.statistics_)
        out = run_layer(layer, X)
        np.testing.assert_array_equal(out, imputer.transform(X))

    def test_nan_at_predict_in_a_column_without_any_at_fit_is_imputed(self):
        X, y = raw_frame()
        model = fit_quietly(TabularMLPClassifier(**SMALL), X, y)
        assert model.layers_[0]["config"]["indicate"] == [0]  # income only
        X_new = X.copy()
        X_new["age"] = np.nan
        proba = model.predict_proba(X_new)
        assert np.isfinite(proba).all()
        # age missing is age at its median, whose scaled value is 0 (the median
        # as the float32 training (training_dtype) rounded it, to 1e-7, which
        # the network carries to the probabilities' 6th digit).
        X_median = X.copy()
        X_median["age"] = np.nanmedian(X["age"])
        np.testing.assert_allclose(proba, model.predict_proba(X_median), rtol=1e-5)

    def test_inf_is_still_refused(self):
        X, y = raw_frame()
        X.loc[3, "age"] = np.inf
        with pytest.raises(ValueError, match="infinity"):
            TabularMLPClassifier(**SMALL).fit(X, y)

    def test_the_fitted_model_decides_not_a_changed_parameter(self):
        rng = np.random.RandomState(0)
        X, y = rng.normal(size=(60, 3)), np.arange(60) % 2
        model = fit_quietly(ScratchMLPClassifier(**SMALL), X, y)
        model.set_params(handle_missing="indicator")  # not refitted
        X[0, 0] = np.nan
        with pytest.raises(ValueError, match="Input X contains NaN"):
            model.predict(X)

    def test_option_on_complete_data_changes_no_weight(self):
        # The input layer draws nothing: same random stream, same network.
        rng = np.random.RandomState(0)
        X, y = rng.normal(size=(80, 3)), rng.normal(size=80)
        plain = ScratchMLPRegressor(**SMALL).fit(X, y)
        with_option = ScratchMLPRegressor(handle_missing="indicator", **SMALL).fit(X, y)
        assert [r["kind"] for r in with_option.layers_][0] == "impute_missing"
        for a, b in zip(
            plain.coefs_ + plain.intercepts_, with_option.coefs_ + with_option.intercepts_
        ):
            np.testing.assert_array_equal(a, b)

    def test_validation_set_with_missing_values(self):
        X, y = raw_frame()
        model = TabularMLPClassifier(**SMALL)
        fit_quietly(model, X[:180], y[:180], X_val=X[180:], y_val=y[180:])
        assert all(np.isfinite(r["validation_loss"]) for r in model.history_)


def run_layer(layer, X):
    """One prediction-mode forward pass of a lone layer through its initialized state."""
    from skscratch.core.network import _pack_state

    _pack_state([layer], np.float64)
    layer.initialize(None)
    return layer.forward(X, layer.buffers(len(X), np.float64, False), PREDICTING).copy()


# --------------------------------------------------------------------- scaling
class TestNumericScaling:
    def test_imputation_then_smooth_clip_is_smooth_clip_scalers_transform(self):
        X, y = raw_frame()
        numeric = X[["income", "age"]].to_numpy()
        model = fit_quietly(
            ScratchMLPClassifier(
                handle_missing="indicator", numeric_scaling="smooth_clip", **SMALL
            ),
            numeric,
            y,
        )
        layers = [record_layer(r) for r in model.layers_[:2]]
        out = numeric
        for layer in layers:
            out = layer.forward(out, layer.buffers(len(out), np.float64, False), PREDICTING)
        np.testing.assert_allclose(
            out, SmoothClipScaler().fit_transform(numeric), rtol=1e-13, atol=1e-15
        )

    def test_robust_is_robust_scaler(self):
        X = np.random.RandomState(0).lognormal(size=(100, 3)) * [1, 1e3, 1e-3]
        model = fit_quietly(
            ScratchMLPRegressor(numeric_scaling="robust", **SMALL), X, X[:, 0]
        )
        layer = record_layer(model.layers_[0])
        out = layer.forward(X, layer.buffers(100, np.float64, False), PREDICTING)
        np.testing.assert_allclose(out, RobustScaler().fit_transform(X), rtol=1e-12)

    @pytest.mark.parametrize("cls", [TabularMLPClassifier, TabularMLPRegressor])
    def test_raw_units_do_not_matter(self, cls):
        """The same table in other units (each column a x + b, a > 0) fits the same
        model: what a user with unscaled columns relies on."""
        X, y = raw_frame()
        y = y if cls is TabularMLPClassifier else np.log(X["age"].to_numpy())
        X_units = X.copy()
        X_units["income"] = X["income"] * 1e-4 + 3.0
        X_units["age"] = X["age"] * 365.25 - 1e4
        params = {**SMALL, "early_stopping": False}
        a = fit_quietly(cls(**params), X, y)
        b = fit_quietly(cls(**params), X_units, y)
        np.testing.assert_allclose(a.predict(X), b.predict(X_units), rtol=1e-6)

    def test_outliers_are_bounded(self):
        X = np.random.RandomState(0).normal(size=(200, 2))
        X[0] = [1e300, -1e300]
        model = fit_quietly(
            ScratchMLPRegressor(numeric_scaling="smooth_clip", **SMALL), X, np.tanh(X[:, 1])
        )
        layer = record_layer(model.layers_[0])
        out = layer.forward(X, layer.buffers(200, np.float64, False), PREDICTING)
        np.testing.assert_array_equal(out[0], [3.0, -3.0])
        assert np.isfinite(model.predict(X)).all()

    def test_sparse_input_predicts_as_dense(self):
        rng = np.random.RandomState(0)
        X = rng.normal(size=(120, 5)) * (rng.rand(120, 5) < 0.3)
        y = X.sum(axis=1)
        params = {**SMALL, "numeric_scaling": "smooth_clip", "handle_missing": "indicator"}
        dense = fit_quietly(ScratchMLPRegressor(**params), X, y)
        sparse = fit_quietly(ScratchMLPRegressor(**params), sp.csr_matrix(X), y)
        np.testing.assert_allclose(
            sparse.predict(sp.csr_matrix(X)), dense.predict(X), rtol=1e-10
        )

    def test_float32_stays_float32(self):
        X, y = raw_frame()
        X = X.astype({"income": np.float32, "age": np.float32})
        model = fit_quietly(TabularMLPClassifier(**SMALL), X, y)
        assert model.coefs_[0].dtype == np.float32
        assert model.layers_[0]["state"]["fill"].dtype == np.float32
        assert model.predict_proba(X).dtype == np.float32

    @pytest.mark.parametrize("cls", [TabularMLPClassifier, TabularMLPRegressor])
    def test_training_in_float32_keeps_the_model_in_float64(self, cls):
        # training_dtype="float32" on a float64 frame: the network trains as on
        # the frame cast to float32 (the same model, bit for bit), and the
        # fitted model is kept in the frame's float64: its weights and
        # statistics float32 numbers stored exactly, its outputs float64.
        X, y = raw_frame()
        y = y if cls is TabularMLPClassifier else X["age"].to_numpy() * 100
        model = fit_quietly(cls(training_dtype="float32", **SMALL), X, y)
        as_float32 = X.astype({"income": np.float32, "age": np.float32})
        reference = fit_quietly(cls(**SMALL), as_float32, y)
        assert reference.coefs_[0].dtype == np.float32
        for ours, theirs in zip(model.layers_, reference.layers_):
            for group in ("params", "state"):
                for name, array in ours[group].items():
                    assert array.dtype == np.float64, name
                    np.testing.assert_array_equal(array, theirs[group][name])
        assert model.loss_curve_ == reference.loss_curve_
        output = model.predict_proba(X) if hasattr(model, "classes_") else model.predict(X)
        assert output.dtype == np.float64
        again = pickle.loads(pickle.dumps(model))  # and it trains on, still float64
        again.partial_fit(X, y)
        assert again.coefs_[0].dtype == np.float64
        assert len(again.history_) == len(model.history_) + 1


def record_layer(record):
    from skscratch.core.layers import from_record

    return from_record(record)


# ------------------------------------------------------------ target scaling
class TestTargetScaling:
    def test_standard_is_a_transformed_target_regressor(self):
        rng = np.random.RandomState(0)
        X = rng.normal(size=(100, 3))
        y = 1e5 + 3e4 * (X[:, 0] + np.sin(X[:, 1]))
        ours = ScratchMLPRegressor(target_scaling="standard", **SMALL).fit(X, y)
        wrapped = TransformedTargetRegressor(
            ScratchMLPRegressor(**SMALL), transformer=StandardScaler()
        ).fit(X, y)
        np.testing.assert_allclose(ours.predict(X), wrapped.predict(X), rtol=1e-9)
        assert ours.target_offset_ == pytest.approx([y.mean()])
        assert ours.target_scale_ == pytest.approx([y.std()])

    def test_predictions_follow_the_units_of_y(self):
        X, _ = raw_frame()
        y = np.log(X["age"].to_numpy())
        params = {**SMALL, "early_stopping": False}
        a = fit_quietly(TabularMLPRegressor(**params), X, y)
        b = fit_quietly(TabularMLPRegressor(**params), X, 1e4 * y + 1e5)
        np.testing.assert_allclose(1e4 * a.predict(X) + 1e5, b.predict(X), rtol=1e-9)

    def test_poisson_keeps_the_targets_non_negative(self):
        rng = np.random.RandomState(0)
        X = rng.normal(size=(100, 2))
        y = rng.poisson(np.exp(X[:, 0]) * 500)
        model = ScratchMLPRegressor(loss="poisson", target_scaling="standard", **SMALL)
        model.fit(X, y)
        assert model.target_offset_ == [0.0]
        assert model.target_scale_ == pytest.approx([y.mean()])
        assert (model.predict(X) > 0).all()

    def test_partial_fit_keeps_the_statistics_and_the_option(self):
        rng = np.random.RandomState(0)
        X, y = rng.normal(size=(100, 2)), rng.normal(size=100) * 50 + 10
        model = ScratchMLPRegressor(target_scaling="standard", **SMALL).fit(X, y)
        offset = model.target_offset_.copy()
        model.partial_fit(X, y * 100)
        np.testing.assert_array_equal(model.target_offset_, offset)
        model.set_params(target_scaling=None)
        with pytest.raises(ValueError, match="must keep target_scaling"):
            model.partial_fit(X, y)
        # A fresh fit without it forgets the statistics.
        assert not hasattr(model.fit(X, y), "target_scale_")


# ------------------------------------------------ warm starts and partial_fit
def test_warm_start_and_partial_fit_keep_the_input_statistics():
    X, y = raw_frame()
    model = fit_quietly(TabularMLPClassifier(warm_start=True, **SMALL), X, y)
    state = [dict(r["state"]) for r in model.layers_[:2]]
    shifted = X.assign(income=X["income"] * 10, age=X["age"] + 100)
    fit_quietly(model.set_params(early_stopping=False), shifted, y)
    model.partial_fit(shifted, y)
    for before, record in zip(state, model.layers_[:2]):
        for name, array in before.items():
            np.testing.assert_array_equal(record["state"][name], array)
    model.set_params(numeric_scaling=None)
    with pytest.raises(ValueError, match="must keep handle_missing and numeric_scaling"):
        model.fit(X, y)


def test_the_input_layers_run_once_per_fit_and_train_the_same_model(monkeypatch):
    # A stochastic fit runs the imputing and scaling layers over its training
    # rows once (Network.fixed_front) and starts every batch after them: the
    # model is the one that running them in every batch trains, bit for bit.
    X, y = raw_frame()
    calls = []
    forward = ImputeMissing.forward

    def counted(self, a_in, buf, mode):
        calls.append(a_in.shape[0])
        return forward(self, a_in, buf, mode)

    monkeypatch.setattr(ImputeMissing, "forward", counted)
    params = dict(SMALL, batch_size=32, max_iter=3, early_stopping=False)
    once = fit_quietly(TabularMLPClassifier(**params), X, y)
    calls_once, calls[:] = list(calls), []
    monkeypatch.setattr(Network, "fixed_front", lambda self, X: (X, 0))
    every_batch = fit_quietly(TabularMLPClassifier(**params), X, y)
    for a, b in zip(once.layers_, every_batch.layers_):
        for name, array in a["params"].items():
            np.testing.assert_array_equal(array, b["params"][name], strict=True)
    assert once.loss_curve_ == every_batch.loss_curve_
    # No batch went through the layer: the whole table did, once (and the
    # check of the predictions after training, as before).
    n_batches = 3 * -(-len(X) // 32)
    assert calls_once == [len(X)] * len(calls_once)
    assert len(calls) == len(calls_once) - 1 + n_batches


# ------------------------------------------------------------- the estimators
@pytest.mark.parametrize(
    ("tabular", "scratch"),
    [
        (TabularMLPClassifier, ScratchMLPClassifier),
        (TabularMLPRegressor, ScratchMLPRegressor),
    ],
)
def test_same_parameters_as_the_drop_in_class_with_the_recipe_defaults(tabular, scratch):
    ours = inspect.signature(tabular).parameters
    theirs = inspect.signature(scratch).parameters
    assert list(ours) == list(theirs)  # a parameter added to one is added to both
    assert [p.kind for p in ours.values()] == [p.kind for p in theirs.values()]
    recipe = {**RECIPE, **(REGRESSION_RECIPE if tabular is TabularMLPRegressor else {})}
    for name, parameter in ours.items():
        expected = recipe[name][0] if name in recipe else theirs[name].default
        assert parameter.default == expected, name
    assert tabular().get_params() == {
        **scratch().get_params(),
        **{k: v for k, v in DEFAULTS.items() if k in ours},
    }


def test_docstring_states_the_recipe_defaults():
    doc = TabularMLPRegressor.__doc__
    for name, value in DEFAULTS.items():
        assert f"``{name}={value!r}``" in doc
        assert f"default={value!r}" in doc.split(f"\n    {name} : ")[1].split("\n\n")[0]


def test_fit_a_raw_frame_with_no_pipeline():
    X, y = raw_frame(600)
    model = TabularMLPClassifier(random_state=0).fit(X[:450], y[:450])
    kinds = [r["kind"] for r in model.layers_]
    assert kinds[:3] == ["impute_missing", "robust_scale", "embedding"]
    assert model.n_iter_ < 200  # early stopping
    assert model.score(X[450:], y[450:]) > 0.8


@pytest.mark.parametrize("cls", [TabularMLPClassifier, TabularMLPRegressor])
def test_clone_pipeline_grid_search_and_cross_validation(cls):
    X, y = raw_frame()
    y = y if cls is TabularMLPClassifier else X["age"].to_numpy()
    model = cls(**SMALL)
    assert clone(model).get_params() == model.get_params()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(model, X, y, cv=3)
        assert np.isfinite(scores).all()
        search = GridSearchCV(
            make_pipeline(model), {f"{cls.__name__.lower()}__dropout": [0.0, 0.2]}, cv=2
        ).fit(X, y)
    assert search.best_estimator_[-1].dropout in (0.0, 0.2)


@pytest.mark.parametrize("cls", [TabularMLPClassifier, TabularMLPRegressor])
def test_pickle_and_skops_round_trips(cls):
    skops_io = pytest.importorskip("skops.io")
    X, y = raw_frame()
    y = y if cls is TabularMLPClassifier else X["age"].to_numpy()
    model = fit_quietly(cls(**SMALL), X, y)
    data = skops_io.dumps(model)
    name = f"{cls.__module__}.{cls.__qualname__}"
    assert skops_io.get_untrusted_types(data=data) == [name]
    for loaded in (skops_io.loads(data, trusted=[name]), pickle.loads(pickle.dumps(model))):
        assert type(loaded) is cls
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize("fitted", [False, True])
def test_gradients_check_through_the_input_layers(fitted):
    X, y = raw_frame()
    model = TabularMLPClassifier(
        hidden_layer_sizes=(8,),
        activation="tanh",
        **{k: v for k, v in SMALL.items() if k != "hidden_layer_sizes"},
    )
    if fitted:
        fit_quietly(model, X, y)
    assert check_gradients(model, X, y) < 1e-6  # measured 1.3e-9, 1.4e-9


def test_tags_take_nan_only_where_the_estimator_does():
    assert TabularMLPClassifier().__sklearn_tags__().input_tags.allow_nan
    assert not ScratchMLPClassifier().__sklearn_tags__().input_tags.allow_nan


# ------------------------------------------------------------------------ ONNX
def numeric_frame(n=240, seed=0):
    """``raw_frame`` with numbers for categories (what one ONNX tensor can hold):
    integer codes as a Categorical with a missing value, and booleans."""
    X, y = raw_frame(n, seed)
    codes = X["city"].map({"Oslo": 10, "Lima": 20, "Pune": 30})
    X["city"] = pd.Categorical(codes)  # None -> NaN, a category of its own
    X["plan"] = pd.Categorical(X["plan"].cat.codes)
    return X, y


def onnx_outputs(model, X):
    ort = pytest.importorskip("onnxruntime")
    skscratch_onnx = pytest.importorskip("skscratch.onnx")
    options = {"zipmap": False} if hasattr(model, "classes_") else None
    onx = skscratch_onnx.to_onnx(model, options=options)
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {"X": X.to_numpy(dtype=np.float64)})


def test_onnx_classifier_with_missing_values_and_categories_matches_predict_proba():
    X, y = numeric_frame()
    model = fit_quietly(TabularMLPClassifier(**SMALL), X, y)
    assert model.is_categorical_.tolist() == [False, False, True, True, True]
    X_new, _ = numeric_frame(80, seed=1)
    X_new.loc[:9, "age"] = np.nan  # missing where the fit saw none
    X_new.loc[10:19, "income"] = 1e12  # an outlier, clipped
    label, proba = onnx_outputs(model, X_new)
    np.testing.assert_allclose(proba, model.predict_proba(X_new), rtol=1e-9, atol=1e-15)
    np.testing.assert_array_equal(label, model.predict(X_new))


def test_onnx_regressor_maps_back_to_the_units_of_y():
    X, _ = numeric_frame()
    y = 1e5 + 1e4 * np.log(X["age"].to_numpy())
    model = fit_quietly(TabularMLPRegressor(**SMALL), X, y)
    (output,) = onnx_outputs(model, X)
    np.testing.assert_allclose(output.ravel(), model.predict(X), rtol=1e-9)
