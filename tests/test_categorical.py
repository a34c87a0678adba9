"""Categorical columns (_input.categorical): which, their categories, their codes."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from packaging.version import Version
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder, StandardScaler

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor, check_gradients
from skscratch._input.categorical import (
    MAX_CATEGORIES,
    embedding_dims,
    encode_categories,
    fill_unknown_rows,
    learn_categories,
    numeric_columns,
    resolve_categorical_features,
)
from skscratch.datasets import make_high_cardinality

pd = pytest.importorskip("pandas")


def _frame():
    return pd.DataFrame(
        {
            "city": pd.Categorical(["paris", "rome", None, "rome", "oslo"]),
            "size": [1.0, 2.0, 3.0, 4.0, 5.0],
            "color": ["red", None, "blue", "red", pd.NA],
            "grade": [3, 1, 3, 2, 1],
        }
    )


# --------------------------------------------------- which features are categorical
class TestResolve:
    def test_from_dtype_takes_the_categorical_columns_of_a_dataframe(self):
        mask = resolve_categorical_features(_frame(), "from_dtype")
        assert mask.tolist() == [True, False, False, False]

    def test_from_dtype_finds_none_in_numpy_or_numeric_frames(self):
        assert resolve_categorical_features(np.ones((3, 2)), "from_dtype") is None
        assert resolve_categorical_features([[1, 2], [3, 4]], "from_dtype") is None
        frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3, 4]})
        assert resolve_categorical_features(frame, "from_dtype") is None

    def test_polars_categorical_and_enum(self):
        pl = pytest.importorskip("polars")
        frame = pl.DataFrame(
            {
                "a": pl.Series(["x", "y"], dtype=pl.Categorical),
                "b": [1.0, 2.0],
                "e": pl.Series(["u", "v"], dtype=pl.Enum(["u", "v"])),
            }
        )
        assert resolve_categorical_features(frame, "from_dtype").tolist() == [
            True,
            False,
            True,
        ]

    @pytest.mark.parametrize(
        "features, expected",
        [
            ([True, False, False, True], [True, False, False, True]),
            ([2], [False, False, True, False]),
            ("from_dtype", [True, False, False, False]),
            (["grade", "city"], [True, False, False, True]),
            (None, None),
            ([], None),
        ],
    )
    def test_mask_indices_and_names_as_histgradientboosting_reads_them(
        self, features, expected
    ):
        # HistGradientBoosting reads non-categorical columns as numbers.
        X = _frame().assign(
            city=pd.Categorical([10, 20, None, 20, 30]), color=[0.5, 1.5, 2.5, 3.5, 4.5]
        )
        mask = resolve_categorical_features(X, features)
        assert (None if mask is None else mask.tolist()) == expected
        hgb = HistGradientBoostingClassifier(categorical_features=features, max_iter=1)
        hgb.fit(X, [0, 1, 0, 1, 0])
        hgb_mask = hgb.is_categorical_
        assert (None if hgb_mask is None else hgb_mask.tolist()) == expected

    @pytest.mark.parametrize(
        "features, match",
        [
            (["town"], "'town' which is not a valid feature name"),
            ([7], r"must be in \[0, n_features - 1\]"),
            ([True, False], "boolean mask must have shape"),
            ("city", "neither 'from_dtype', 'auto' nor an array-like"),
            ([1.5], "array-like of bool, int or str"),
        ],
    )
    def test_bad_values_are_refused(self, features, match):
        with pytest.raises(ValueError, match=match):
            resolve_categorical_features(_frame(), features)

    def test_names_need_feature_names(self):
        with pytest.raises(ValueError, match="integers or as a boolean mask"):
            resolve_categorical_features(np.ones((3, 2)), ["a"])

    @pytest.mark.parametrize("features", [[0], [True, False], ["a"]])
    def test_sparse_X_cannot_hold_categorical_features(self, features):
        X = sp.csr_matrix(np.eye(3, 2))
        with pytest.raises(ValueError, match="X is a sparse matrix"):
            resolve_categorical_features(X, features)

    @pytest.mark.parametrize("features", ["from_dtype", None, [], [False, False]])
    def test_sparse_X_without_categorical_features_is_fine(self, features):
        assert resolve_categorical_features(sp.csr_matrix(np.eye(3, 2)), features) is None


# ---------------------------------------------------------------- categories, codes
MASK = np.array([True, False, True, True])


class TestCategories:
    def test_sorted_with_every_kind_of_missing_value_as_one_category_last(self):
        categories, counts = learn_categories(_frame(), MASK)
        assert categories[0][:3].tolist() == ["oslo", "paris", "rome"]
        assert categories[1][:2].tolist() == ["blue", "red"]
        # None and pd.NA in one column: one missing category, listed last as nan.
        assert [len(values) for values in categories] == [4, 3, 3]
        assert np.isnan(categories[0][-1]) and np.isnan(categories[1][-1])
        assert categories[2].tolist() == [1.0, 2.0, 3.0]  # no missing value, no nan
        assert [c.tolist() for c in counts] == [[1, 1, 2, 1], [1, 2, 2], [2, 1, 2]]

    @pytest.mark.skipif(
        Version(sklearn.__version__) < Version("1.8"),
        reason=f"scikit-learn {sklearn.__version__}'s OrdinalEncoder refuses a column "
        "mixing None and pd.NA, and lists a missing category as None (1.8: nan)",
    )
    def test_same_categories_as_ordinal_encoder(self):
        # OrdinalEncoder is what HistGradientBoosting codes categories with.
        X = _frame()
        categories, _ = learn_categories(X, MASK)
        encoder = OrdinalEncoder().fit(X[["city", "color", "grade"]])
        for ours, theirs in zip(categories, encoder.categories_):
            assert len(ours) == len(theirs)
            for a, b in zip(ours, theirs):
                assert a == b or (a != a and b != b)

    def test_numbers_compare_as_numbers(self):
        X = np.array([[1], [1.0], [2.5], [np.nan]], dtype=object)  # 1 and 1.0: one
        categories, counts = learn_categories(X, np.array([True]))
        assert categories[0][:2].tolist() == [1.0, 2.5] and np.isnan(categories[0][2])
        assert counts[0].tolist() == [2, 1, 1]
        assert categories[0].dtype == np.float64

    def test_unseen_values_get_the_unknown_code(self):
        categories, _ = learn_categories(_frame(), MASK)
        new = pd.DataFrame(
            {
                "city": ["rome", "lima", None, "oslo"],
                "size": [0.0] * 4,
                "color": ["green", "red", np.nan, None],
                "grade": [3.0, 7.0, np.nan, 1.0],
            }
        )
        codes = encode_categories(new, MASK, categories)
        unknown = [len(values) for values in categories]  # [4, 3, 3]
        assert codes[:, 0].tolist() == [2, unknown[0], 3, 0]
        assert codes[:, 1].tolist() == [unknown[1], 1, 2, 2]
        # grade had no missing value in fit: a missing value is unknown there.
        assert codes[:, 2].tolist() == [2, unknown[2], unknown[2], 0]

    def test_codes_do_not_depend_on_a_categorical_dtypes_own_order(self):
        X = _frame()
        categories, _ = learn_categories(X, MASK)
        fitted_codes = encode_categories(X, MASK, categories)
        reordered = X.copy()
        reordered["city"] = reordered["city"].cat.set_categories(
            ["rome", "zurich", "oslo", "paris"]
        )
        as_strings = X.astype({"city": object})
        for other in (reordered, as_strings):
            np.testing.assert_array_equal(
                encode_categories(other, MASK, categories), fitted_codes
            )
        # Categories of the dtype that no row uses are not categories of the fit.
        assert "zurich" not in learn_categories(reordered, MASK)[0][0].tolist()

    def test_polars_frame_codes_like_pandas(self):
        pl = pytest.importorskip("polars")
        X = _frame()
        frame = pl.from_pandas(X.astype({"city": object})).with_columns(
            pl.col("city").cast(pl.Categorical)
        )
        categories, counts = learn_categories(frame, MASK)
        expected, expected_counts = learn_categories(X, MASK)
        for ours, theirs in zip(categories, expected):
            assert ours[:-1].tolist() == theirs[:-1].tolist()
        assert [c.tolist() for c in counts] == [c.tolist() for c in expected_counts]
        np.testing.assert_array_equal(
            encode_categories(frame, MASK, categories),
            encode_categories(X, MASK, expected),
        )

    def test_integer_codes_in_a_numpy_array(self):
        X = np.array([[0.3, 5], [1.2, 2], [0.1, 5], [0.0, 9]])
        categories, _ = learn_categories(X, np.array([False, True]))
        assert categories[0].tolist() == [2.0, 5.0, 9.0]
        codes = encode_categories(np.array([[0.0, 9], [0.0, 4]]), [False, True], categories)
        assert codes[:, 0].tolist() == [2, 3]

    def test_a_list_of_rows_with_strings(self):
        X = [[1.0, "b"], [2.0, "a"], [3.0, None]]
        categories, _ = learn_categories(X, np.array([False, True]))
        assert categories[0][:2].tolist() == ["a", "b"]
        assert encode_categories(X, [False, True], categories)[:, 0].tolist() == [1, 0, 2]

    def test_more_levels_than_the_limit_are_refused(self):
        X = np.arange(MAX_CATEGORIES + 1, dtype=float)[:, None]
        with pytest.raises(ValueError, match="10,001 categories, more than the 10,000"):
            learn_categories(X, np.array([True]))
        learn_categories(X[:-1], np.array([True]))  # at the limit: fine

    @pytest.mark.parametrize(
        "column, match",
        [
            (["a", 1, "b"], r"types \['int', 'str'\]"),
            ([b"a", b"b", b"c"], r"types \['bytes'\]"),
            (np.array(["2020-01-01"] * 3, dtype="datetime64[D]"), "dtype datetime64"),
        ],
    )
    def test_values_that_cannot_be_coded_are_refused(self, column, match):
        frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": column})
        with pytest.raises(TypeError, match=f"Categorical feature 'c' .*{match}"):
            learn_categories(frame, np.array([False, True]))


class TestNumericColumns:
    def test_drops_the_categorical_columns_and_keeps_the_container(self):
        X = _frame()
        numeric = numeric_columns(X, MASK)
        assert isinstance(numeric, pd.DataFrame) and list(numeric.columns) == ["size"]
        array = np.arange(12.0).reshape(3, 4)
        np.testing.assert_array_equal(numeric_columns(array, MASK), array[:, [1]])


# ------------------------------------------------------------ embeddings' widths
class TestEmbeddingDims:
    def test_the_documented_rule(self):
        categories = [np.arange(n) for n in (2, 10, 100, 450, 451, 1000)]
        assert embedding_dims(categories) == [3, 6, 22, 49, 50, 50]

    def test_overrides(self):
        categories = [np.arange(3), np.arange(1000)]
        assert embedding_dims(categories, 8) == [8, 8]
        assert embedding_dims(categories, [2, 5]) == [2, 5]

    @pytest.mark.parametrize("bad", [0, -1, 2.5, True, [3], [3, 0], "4"])
    def test_bad_widths_are_refused(self, bad):
        with pytest.raises(ValueError, match="embedding_dim must be None, a positive int"):
            embedding_dims([np.arange(3), np.arange(5)], bad)


def test_unknown_row_is_the_frequency_weighted_mean():
    table = np.array([[1.0, 0.0], [0.0, 4.0], [9.0, 9.0]])  # last row: unknown
    fill_unknown_rows([table], [np.array([3, 1])])
    np.testing.assert_allclose(table[-1], [0.75, 1.0])
    np.testing.assert_array_equal(table[:2], [[1.0, 0.0], [0.0, 4.0]])


# ------------------------------------------------------------- in the estimators
cut_short = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _task(n=2000, n_levels=30, seed=0, **kwargs):
    return make_high_cardinality(n, n_levels=n_levels, random_state=seed, **kwargs)


def _clf(**params):
    return ScratchMLPClassifier(
        **{"hidden_layer_sizes": (16,), "max_iter": 5, "random_state": 0, **params}
    )


@cut_short
class TestEstimators:
    def test_a_categorical_column_gets_a_table(self):
        X, y = _task(as_frame=True)
        model = _clf().fit(X, y)
        assert model.is_categorical_.tolist() == [False] * 4 + [True]
        (levels,) = model.categories_
        assert levels.tolist() == sorted(set(X["level"]))
        # One row per level seen, one for "unknown"; the width from the rule.
        (table,) = model.embeddings_
        assert table.shape == (len(levels) + 1, embedding_dims([levels])[0])
        assert model.coefs_[0].shape == (4 + table.shape[1], 16)

    def test_numeric_numpy_X_is_unchanged_by_the_default(self, iris):
        X, y = iris
        ours = ScratchMLPClassifier((5,), max_iter=20, random_state=0).fit(X, y)
        theirs = MLPClassifier((5,), max_iter=20, random_state=0).fit(X, y)
        assert ours.is_categorical_ is None
        assert ours.embeddings_ == [] and ours.categories_ == []
        for W, W_sklearn in zip(ours.coefs_, theirs.coefs_):
            np.testing.assert_allclose(W, W_sklearn, rtol=1e-7)

    def test_embeddings_learn_what_the_level_carries(self):
        X, y = _task(4000, as_frame=True)
        # Held-out rows from the same draw of the levels' hidden positions.
        X_train, y_train, X_test, y_test = X[:3000], y[:3000], X[3000:], y[3000:]
        params = {"max_iter": 60, "alpha": 1e-3}
        embedded = _clf(**params).fit(X_train, y_train)
        numeric = _clf(**params).fit(X_train.drop(columns="level"), y_train)
        as_number = _clf(**params, categorical_features=None)
        as_number.fit(X_train.assign(level=X_train["level"].cat.codes), y_train)
        score = embedded.score(X_test, y_test)
        assert score > numeric.score(X_test.drop(columns="level"), y_test) + 0.05
        assert score > as_number.score(
            X_test.assign(level=X_test["level"].cat.codes), y_test
        )

    def test_unseen_levels_and_unseen_missing_values_share_the_unknown_vector(self):
        X, y = _task(as_frame=True)
        model = _clf().fit(X, y)
        (table,) = model.embeddings_
        counts = X["level"].value_counts().reindex(model.categories_[0]).to_numpy()
        np.testing.assert_allclose(table[-1], counts @ table[:-1] / counts.sum())
        rows = X.iloc[[0, 0, 0]].copy()
        rows["level"] = pd.Categorical(["never seen", "other new", None])
        proba = model.predict_proba(rows)
        assert np.isfinite(proba).all()
        np.testing.assert_array_equal(proba[0], proba[1])
        np.testing.assert_array_equal(proba[0], proba[2])

    def test_missing_values_are_a_category_of_their_own(self):
        X, y = _task(as_frame=True)
        level = X["level"].astype(object)
        level[:60], level[60:120] = np.nan, None
        X = X.assign(level=pd.Categorical(level))
        model = _clf(max_iter=30).fit(X, y)
        (levels,) = model.categories_
        assert np.isnan(levels[-1]) and not pd.isna(levels[:-1]).any()
        # The missing rows have their own learned vector, not the unknown one.
        (table,) = model.embeddings_
        assert not np.allclose(table[-2], table[-1])
        unknown = X.iloc[:1].assign(level=pd.Categorical(["never seen"]))
        assert model.predict_proba(X.iloc[:1])[0, 1] != model.predict_proba(unknown)[0, 1]

    def test_integer_codes_in_numpy_match_a_categorical_frame(self):
        X, y = _task()
        frame = pd.DataFrame(X[:, :4], columns=["x0", "x1", "x2", "x3"])
        frame["level"] = pd.Categorical(X[:, 4].astype(int))
        by_index = _clf(categorical_features=[4]).fit(X, y)
        by_mask = _clf(categorical_features=[False] * 4 + [True]).fit(X, y)
        by_dtype = _clf().fit(frame, y)
        by_name = _clf(categorical_features=["level"]).fit(frame, y)
        expected = by_index.predict_proba(X)
        for model, data in ((by_mask, X), (by_dtype, frame), (by_name, frame)):
            np.testing.assert_allclose(model.predict_proba(data), expected, rtol=1e-12)

    def test_every_column_categorical(self):
        X = pd.DataFrame(
            {"a": pd.Categorical(list("xyzx") * 25), "b": pd.Categorical(list("pq") * 50)}
        )
        y = np.array([0, 1, 1, 0] * 25)  # the level of "a" decides
        model = _clf(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=200).fit(X, y)
        assert [E.shape for E in model.embeddings_] == [(4, 3), (3, 3)]
        assert model.score(X, y) == 1.0

    def test_one_row_of_codes_is_coded_as_a_batch_is(self):
        # A small float array takes prediction's fast path, which must still code
        # the categorical columns: a code is not a category's row number.
        X, y = _task()
        X[:, 4] += 100.0  # codes 100, 101 ... : rows 0, 1 ... of the table
        model = _clf(categorical_features=[4]).fit(X, y)
        batch = model.predict_proba(X[:50])
        rows = np.vstack([model.predict_proba(X[i : i + 1]) for i in range(50)])
        np.testing.assert_allclose(rows, batch, rtol=1e-12)

    def test_embedding_dim_overrides_the_rule(self):
        X, y = _task(as_frame=True)
        X = X.assign(other=pd.Categorical(np.arange(len(X)) % 3))
        model = _clf(embedding_dim=[2, 5]).fit(X, y)
        assert [E.shape[1] for E in model.embeddings_] == [2, 5]
        assert _clf(embedding_dim=4).fit(X, y).coefs_[0].shape[0] == 4 + 8

    @pytest.mark.parametrize(
        "params, data, error, match",
        [
            ({"embedding_dim": [2, 2]}, "frame", ValueError, "one positive int per"),
            ({"categorical_features": ["town"]}, "frame", ValueError, "'town'"),
            ({"categorical_features": [0]}, "sparse", ValueError, "sparse matrix"),
            ({"categorical_features": ["x0"]}, "mixed", TypeError, r"\['float', 'str'\]"),
            ({"categorical_features": [0]}, "ids", ValueError, "more than the 10,000"),
        ],
    )
    def test_bad_input_is_refused_before_anything_changes(self, params, data, error, match):
        import scipy.sparse as sparse

        X, y = _task(as_frame=True)
        model = _clf().fit(X, y)
        before = [W.copy() for W in model.coefs_ + model.embeddings_]
        bad = {
            "frame": X,
            "sparse": sparse.csr_matrix(X.drop(columns="level").to_numpy()),
            "mixed": X.assign(x0=X["x0"].astype(object).where(X.index % 2 == 0, "a")),
            "ids": np.column_stack([np.arange(12_000.0), np.ones(12_000)]),
        }[data]
        bad_y = np.resize(y, bad.shape[0])
        with pytest.raises(error, match=match):
            model.set_params(**params).fit(bad, bad_y)
        after = model.coefs_ + model.embeddings_
        assert all(np.array_equal(a, b) for a, b in zip(before, after))
        assert model.is_categorical_.tolist() == [False] * 4 + [True]

    def test_partial_fit_and_warm_start_keep_the_first_mapping(self):
        X, y = _task(as_frame=True)
        first, later = X[:1000], X[1000:].copy()
        later["level"] = later["level"].cat.add_categories(["brand new"])
        later.iloc[:50, later.columns.get_loc("level")] = "brand new"
        incremental = _clf().partial_fit(first, y[:1000], classes=[0, 1])
        mapping = incremental.categories_[0].copy()
        incremental.partial_fit(later, y[1000:])
        np.testing.assert_array_equal(incremental.categories_[0], mapping)
        assert "brand new" not in mapping.tolist()
        warm = _clf(warm_start=True).fit(first, y[:1000])
        warm.fit(later, y[1000:])
        np.testing.assert_array_equal(warm.categories_[0], mapping)
        assert np.isfinite(warm.predict_proba(later.iloc[:50])).all()
        # Without warm_start a new fit learns the categories afresh.
        fresh = _clf().fit(first, y[:1000]).fit(later, y[1000:])
        assert "brand new" in fresh.categories_[0].tolist()

    @pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam", "adamw", "rmsprop"])
    def test_every_solver_trains_the_tables(self, solver):
        X, y = _task(as_frame=True)
        untrained = _clf(solver=solver, max_iter=1, learning_rate_init=1e-9)
        start = untrained.fit(X, y).embeddings_[0][:-1]
        trained = _clf(solver=solver, max_iter=10, learning_rate_init=0.01).fit(X, y)
        moved = np.abs(trained.embeddings_[0][:-1] - start).max()
        assert np.isfinite(trained.embeddings_[0]).all() and moved > 1e-3

    def test_l2_shrinks_the_tables_and_dropout_trains_them(self):
        X, y = _task(as_frame=True)
        norms = [
            np.linalg.norm(_clf(alpha=alpha, max_iter=30).fit(X, y).embeddings_[0])
            for alpha in (1e-4, 30.0)
        ]
        assert norms[1] < 0.5 * norms[0]
        dropped = _clf(dropout=0.5, max_iter=10).fit(X, y)
        assert dropped.score(X, y) > 0.6

    def test_check_gradients_covers_the_tables(self):
        X, y = _task(300, n_levels=8, as_frame=True)
        model = _clf(hidden_layer_sizes=(3,), activation="tanh", alpha=0.1)
        assert check_gradients(model, X, y, max_params=None) < 1e-6
        model.fit(X, y)
        assert check_gradients(model, X, y, max_params=None) < 1e-6
        n_table = model.embeddings_[0].size
        assert n_table > 0  # and check_gradients differentiates every parameter

    def test_regressor(self):
        X, y = _task(as_frame=True)
        target = y + X["x1"].to_numpy()
        model = ScratchMLPRegressor(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
        model.fit(X, target)
        assert len(model.embeddings_) == 1 and model.score(X, target) > 0.3

    def test_float32_numeric_columns_give_float32_tables(self):
        X, y = _task(as_frame=True)
        X = X.astype({f"x{i}": np.float32 for i in range(4)})
        model = _clf().fit(X, y)
        assert model.embeddings_[0].dtype == model.coefs_[0].dtype == np.float32

    def test_polars_frame(self):
        pl = pytest.importorskip("polars")
        X, y = _task(as_frame=True)
        frame = pl.from_pandas(X.astype({"level": object})).with_columns(
            pl.col("level").cast(pl.Categorical)
        )
        model = _clf().fit(frame, y)
        np.testing.assert_allclose(
            model.predict_proba(frame), _clf().fit(X, y).predict_proba(X), rtol=1e-12
        )


@cut_short
class TestEcosystem:
    def test_column_transformer_with_pandas_output_then_embeddings(self):
        X, y = _task(as_frame=True)
        numeric = [f"x{i}" for i in range(4)]
        scale = ColumnTransformer(
            [("scale", StandardScaler(), numeric)],
            remainder="passthrough",
            verbose_feature_names_out=False,
        ).set_output(transform="pandas")
        pipe = make_pipeline(scale, _clf()).fit(X, y)
        model = pipe[-1]
        assert model.is_categorical_.tolist() == [False] * 4 + [True]
        assert list(model.feature_names_in_) == numeric + ["level"]
        assert pipe.predict(X[:5]).shape == (5,)

    def test_grid_search(self):
        X, y = _task(600, as_frame=True)
        search = GridSearchCV(_clf(), {"embedding_dim": [None, 2]}, cv=2).fit(X, y)
        best = search.best_params_["embedding_dim"]
        width = best or embedding_dims(search.best_estimator_.categories_)[0]
        assert search.best_estimator_.embeddings_[0].shape[1] == width
        assert len(search.cv_results_["mean_test_score"]) == 2

    def test_pickle_and_skops_keep_predictions(self):
        skops_io = pytest.importorskip("skops.io")
        X, y = _task(as_frame=True)
        model = _clf().fit(X, y)
        expected = model.predict_proba(X)
        for name in ("is_categorical_", "categories_", "embeddings_", "_category_counts"):
            value = getattr(model, name)
            values = value if isinstance(value, list) else [value]
            assert all(isinstance(v, np.ndarray) for v in values), name
        restored = pickle.loads(pickle.dumps(model))
        np.testing.assert_array_equal(restored.predict_proba(X), expected)
        dumped = skops_io.dumps(model)
        loaded = skops_io.loads(dumped, trusted=skops_io.get_untrusted_types(data=dumped))
        np.testing.assert_array_equal(loaded.predict_proba(X), expected)
