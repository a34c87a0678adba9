"""Categorical columns (skscratch._categorical): which, their categories, their codes."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.preprocessing import OrdinalEncoder

from skscratch._categorical import (
    MAX_CATEGORIES,
    embedding_dims,
    encode_categories,
    fill_unknown_rows,
    learn_categories,
    numeric_columns,
    resolve_categorical_features,
)

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
            ("city", "neither 'from_dtype' nor an array-like"),
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
