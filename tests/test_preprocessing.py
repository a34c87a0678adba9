"""SmoothClipScaler: RealMLP-TD's robust scaling and smooth clip, and missing values."""

import numpy as np
import pandas as pd
import polars as pl
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skscratch import ScratchMLPClassifier
from skscratch.preprocessing import SmoothClipScaler


@parametrize_with_checks(
    [
        SmoothClipScaler(),
        SmoothClipScaler(clip=None, add_indicator=False),
        SmoothClipScaler(clip=1.5),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _pytabkit(X_fit, X, clip=3.0):
    """pytabkit's median_center, robust_scale and smooth_clip, written out in numpy
    (pytabkit/models/nn_models/pipeline.py and models.py), for data without NaN."""
    center = np.quantile(X_fit, 0.5, axis=0)
    quant_diff = np.quantile(X_fit, 0.75, axis=0) - np.quantile(X_fit, 0.25, axis=0)
    zero = quant_diff == 0.0
    quant_diff[zero] = 0.5 * (X_fit.max(axis=0) - X_fit.min(axis=0))[zero]
    factors = 1.0 / (quant_diff + 1e-30)
    factors[quant_diff == 0.0] = 0.0
    x = (X - center) * factors
    return x / np.sqrt(1 + (1 / clip**2) * x**2)


def _table(n=200, seed=0):
    """Heavy-tailed, skewed, mostly-tied and constant columns."""
    rng = np.random.RandomState(seed)
    ties = np.where(rng.uniform(size=n) < 0.8, 1.0, rng.normal(5, 2, size=n))
    return np.column_stack(
        [
            rng.standard_t(1.5, size=n) * 10 + 3,  # outliers far out
            rng.lognormal(0, 2, size=n),  # skewed
            ties,  # interquartile range 0: half the range instead
            np.full(n, 7.0),  # constant: becomes 0
        ]
    )


@pytest.mark.parametrize("clip", [3.0, 1.0, 10.0])
def test_matches_pytabkits_definition(clip):
    X = _table()
    X_new = _table(50, seed=1)
    scaler = SmoothClipScaler(clip=clip).fit(X)
    np.testing.assert_allclose(
        scaler.transform(X_new), _pytabkit(X, X_new, clip), rtol=1e-13
    )
    assert scaler.scale_[2] == pytest.approx((X[:, 2].max() - X[:, 2].min()) / 2)
    assert scaler.scale_[3] == 0
    assert np.all(scaler.transform(X_new)[:, 3] == 0)


def test_formula_median_iqr_and_clip():
    X = _table()
    out = SmoothClipScaler(clip=None).fit_transform(X)
    q25, median, q75 = np.percentile(X[:, 0], [25, 50, 75])
    np.testing.assert_allclose(out[:, 0], (X[:, 0] - median) / (q75 - q25), rtol=1e-13)
    clipped = SmoothClipScaler().fit_transform(X)
    np.testing.assert_allclose(clipped, out / np.sqrt(1 + (out / 3) ** 2), rtol=1e-13)


def test_bounded_and_order_preserving_even_at_the_float_limits():
    X = np.array([[-1.7e308], [-1e300], [-5.0], [0.0], [1.0], [2.0], [1e200], [1.7e308]])
    out = SmoothClipScaler().fit_transform(X)[:, 0]  # no overflow warning either
    assert np.all(np.abs(out) <= 3) and np.all(np.isfinite(out))
    assert np.all(np.diff(out) >= 0)
    assert out[0] == -3 and out[-1] == 3
    assert np.all(np.diff(out[1:-1]) > 0)  # strictly, short of where f rounds to 3
    # A small spread: (x - median) / spread overflows, and the clip still gives 3.
    narrow = np.concatenate([np.arange(20) * 1e-3, [1e300, 1.7e308]])[:, None]
    np.testing.assert_array_equal(SmoothClipScaler().fit_transform(narrow)[-2:, 0], 3)


def test_missing_values_become_the_median_with_an_indicator():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 3))
    X[[3, 7, 8], 1] = np.nan
    scaler = SmoothClipScaler().fit(X)
    assert scaler.center_[1] == pytest.approx(np.nanmedian(X[:, 1]))
    out = scaler.transform(X)
    assert out.shape == (50, 4)  # one indicator, for the column with NaN at fit
    np.testing.assert_array_equal(out[:, 3], np.isnan(X[:, 1]))
    np.testing.assert_array_equal(out[[3, 7, 8], 1], 0)  # the median, scaled
    assert scaler.get_feature_names_out().tolist() == [
        "x0",
        "x1",
        "x2",
        "missingindicator_x1",
    ]
    # The columns without NaN are scaled as they would be on their own.
    complete = SmoothClipScaler().fit(X[:, [0, 2]])
    np.testing.assert_allclose(out[:, [0, 2]], complete.transform(X[:, [0, 2]]))
    # A NaN at transform in a column that had none at fit: the median, no new column.
    X_new = X[:5].copy()
    X_new[0, 0] = np.nan
    new = scaler.transform(X_new)
    assert new.shape == (5, 4) and new[0, 0] == 0


def test_without_indicator_and_with_an_empty_column():
    X = np.column_stack([np.arange(10.0), np.full(10, np.nan)])
    X[2, 0] = np.nan
    assert SmoothClipScaler(add_indicator=False).fit_transform(X).shape == (10, 2)
    scaler = SmoothClipScaler().fit(X)  # the all-NaN column: no numpy warning
    out = scaler.transform(X)
    np.testing.assert_array_equal(out[:, 1], 0)
    np.testing.assert_array_equal(out[:, 2:], np.isnan(X))
    assert scaler.get_feature_names_out().tolist() == [
        "x0",
        "x1",
        "missingindicator_x0",
        "missingindicator_x1",
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_dtype(dtype):
    X = (np.random.RandomState(0).normal(size=(20, 2)) * 10).astype(dtype)
    out = SmoothClipScaler().fit_transform(X)
    assert out.dtype == (np.float32 if dtype == np.float32 else np.float64)
    expected = SmoothClipScaler().fit_transform(X.astype(np.float64))
    np.testing.assert_allclose(out, expected, rtol=1e-6 if dtype == np.float32 else 1e-15)


def test_dataframes_in_and_out():
    df = pd.DataFrame(
        {
            "age": [20.0, 35.0, np.nan, 50.0, 65.0],
            "visits": pd.array([1, None, 3, 4, 5], dtype="Int64"),  # pd.NA
            "income": [1e3, 2e3, 3e3, 4e3, 1e6],
        }
    )
    scaler = SmoothClipScaler().set_output(transform="pandas")
    out = scaler.fit_transform(df)
    assert list(out.columns) == [
        "age",
        "visits",
        "income",
        "missingindicator_age",
        "missingindicator_visits",
    ]
    assert out["missingindicator_visits"].tolist() == [0, 1, 0, 0, 0]
    assert out.loc[2, "age"] == 0 and out["income"].max() < 3
    frame = pl.from_pandas(df)
    polars_out = scaler.set_output(transform="polars").fit_transform(frame)
    if hasattr(StandardScaler().fit(frame), "feature_names_in_"):
        # (scikit-learn 1.6 with polars 2 reads no column names from polars frames)
        assert polars_out.columns == list(out.columns)
    np.testing.assert_allclose(polars_out.to_numpy(), out.to_numpy())


def test_lets_an_mlp_train_on_data_with_missing_values(iris):
    X, y = iris
    X = X.copy()
    X[np.random.RandomState(0).uniform(size=X.shape) < 0.1] = np.nan
    mlp = ScratchMLPClassifier((20,), max_iter=300, random_state=0)
    with pytest.raises(ValueError, match="NaN"):
        mlp.fit(X, y)
    pipe = make_pipeline(SmoothClipScaler(), mlp)
    with pytest.warns(ConvergenceWarning):
        pipe.fit(X, y)
    assert pipe.score(X, y) > 0.9


@pytest.mark.parametrize(
    "params, match",
    [
        ({"clip": 0}, "clip"),
        ({"clip": -1.0}, "clip"),
        ({"clip": "3"}, "clip"),
        ({"add_indicator": "yes"}, "add_indicator"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        SmoothClipScaler(**params).fit(np.ones((3, 2)))


def test_bad_input():
    with pytest.raises(ValueError, match="could not convert|numeric"):
        SmoothClipScaler().fit(np.array([["a", "b"], ["c", "d"]], dtype=object))
    with pytest.raises(ValueError, match="infinity"):
        SmoothClipScaler().fit(np.array([[1.0], [np.inf]]))
    scaler = SmoothClipScaler().fit(np.ones((3, 2)))
    with pytest.raises(ValueError, match="features"):
        scaler.transform(np.ones((3, 3)))
