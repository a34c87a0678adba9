"""The private scikit-learn names skscratch uses, in one place.

scikit-learn keeps no promise about its private names, so every one that
skscratch needs is imported here, and nowhere else; a change on their side is
one place to mend, and the tests of this module run at the floor
(scikit-learn 1.6) and the newest version alike.

* ``Interval``, ``Options``, ``StrOptions``: the parameter constraints that
  :class:`~sklearn.base.BaseEstimator`'s own ``_validate_params`` reads. They
  have no fallback on purpose: they live in the module that validates them,
  so if they move, scikit-learn's validation moved with them and so must we.
* :func:`safe_indexing`: ``sklearn.utils._safe_indexing``, the rows (or
  columns) of an array, sparse matrix, list or dataframe; documented in
  scikit-learn's API reference despite its underscore, so no fallback.
* :func:`check_sample_weight`: scikit-learn's ``_check_sample_weight`` where it
  exists, else :func:`_check_sample_weight_fallback`, written with public
  names only, which does what skscratch asks of it (a float vector of one
  weight per row, refused if negative, of the wrong shape, or all zero).
"""

import numbers

import numpy as np
from sklearn.utils import _safe_indexing as safe_indexing
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import check_array, check_non_negative

__all__ = ["Interval", "Options", "StrOptions", "check_sample_weight", "safe_indexing"]


def _check_sample_weight_fallback(
    sample_weight, X, *, dtype=None, ensure_non_negative=False
):
    """``sample_weight`` as a float vector of one weight per row of ``X``.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,), float or None
        None means 1 for every row; a number, that number for every row.
    X : array-like of shape (n_samples, n_features)
    dtype : float dtype, default=None
        The weights' dtype: float64 or float32 (float64 for anything else).
        By default, an array keeps its float dtype (float64 if it has none)
        and a number gives numpy's dtype for it, as scikit-learn does.
    ensure_non_negative : bool, default=False

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,)

    Raises
    ------
    ValueError
        For weights of another shape, all zero, or negative (with
        ``ensure_non_negative``).
    """
    n_samples = X.shape[0]
    floats = (np.float64, np.float32)
    if dtype is not None and dtype not in floats:
        dtype = np.float64
    if sample_weight is None:
        sample_weight = np.ones(n_samples, dtype=dtype)
    elif isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n_samples, sample_weight, dtype=dtype)
    else:
        sample_weight = check_array(
            sample_weight,
            ensure_2d=False,
            dtype=floats if dtype is None else dtype,
            order="C",
            input_name="sample_weight",
        )
        if sample_weight.ndim != 1:
            raise ValueError(
                f"Sample weights must be 1D array or scalar, got {sample_weight.ndim}D "
                f"array. Expected either a scalar value or a 1D array of length "
                f"{n_samples}."
            )
        if sample_weight.shape != (n_samples,):
            raise ValueError(
                f"sample_weight.shape == {sample_weight.shape}, expected {(n_samples,)}!"
            )
    if not np.any(sample_weight != 0):
        raise ValueError("Sample weights must contain at least one non-zero number.")
    if ensure_non_negative:
        check_non_negative(sample_weight, "`sample_weight`")
    return sample_weight


try:
    from sklearn.utils.validation import _check_sample_weight as check_sample_weight
except ImportError:  # pragma: no cover - every declared scikit-learn has it
    check_sample_weight = _check_sample_weight_fallback
