"""The shared estimator (_estimators.base): what prediction does with small inputs.

A few plain float rows skip validate_data's checks (a service predicting one
row at a time spends most of its time there); these tests hold that the
shortcut changes no answer and no error.
"""

import numpy as np
import pytest

from skscratch import ScratchMLPClassifier
from skscratch._input.stage import InputStage


@pytest.fixture(scope="module")
def fitted_on_arrays(iris):
    X, y = iris
    return ScratchMLPClassifier(solver="lbfgs", max_iter=200, random_state=0).fit(X, y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int64])
def test_small_inputs_predict_as_validated_ones(fitted_on_arrays, iris, dtype):
    X = iris[0][:3].astype(dtype)
    full = fitted_on_arrays._forward(InputStage(fitted_on_arrays).prediction(X.tolist()))
    np.testing.assert_array_equal(fitted_on_arrays.predict_proba(X), full)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_small_inputs_with_nan_or_inf_get_sklearns_error(fitted_on_arrays, iris, bad):
    row = iris[0][:1].copy()
    row[0, 2] = bad
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
        fitted_on_arrays.predict_proba(row)


def test_small_inputs_with_other_columns_get_sklearns_error(fitted_on_arrays, iris):
    with pytest.raises(ValueError, match="X has 3 features, but .* is expecting 4"):
        fitted_on_arrays.predict(iris[0][:1, :3].copy())


def test_small_arrays_to_a_model_fitted_with_names_still_warn(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = ScratchMLPClassifier(solver="lbfgs", max_iter=200, random_state=0)
    model.fit(frame, y)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        model.predict(X[:1])
