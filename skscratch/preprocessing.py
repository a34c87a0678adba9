"""Preprocessing for real tables: robust scaling with a smooth clip, missing values.

:class:`SmoothClipScaler` prepares numeric columns the way RealMLP-TD does
(Holzmüller et al., "Better by default: strong pre-tuned MLPs and boosted
trees on tabular data", NeurIPS 2024; ``median_center``, ``robust_scale`` and
``smooth_clip`` in pytabkit): centre on the median, divide by the
interquartile range, and squash outliers smoothly into ``(-clip, clip)``. It
also takes missing values, as gradient-boosting users expect: a NaN becomes the
column's median, and a column that had NaN while fitting gets an indicator.
"""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.impute import MissingIndicator
from sklearn.utils.validation import check_is_fitted, validate_data

from ._utils.sklearn_compat import Interval

__all__ = ["SmoothClipScaler"]

#: Added to the spread before dividing, as pytabkit's ``robust_scale_eps``:
#: a spread of a few subnormal numbers then gives a large factor, not inf.
SPREAD_EPS = 1e-30

#: ``|x| / clip`` is capped here before squaring: ``f`` is ``clip`` to
#: rounding long before, and the square stays finite.
_LARGE = 1e150


class SmoothClipScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Robust scaling, then a smooth clip into ``(-clip, clip)``; NaN imputed.

    For each column ``j``, with ``m_j`` its median and ``s_j`` its
    interquartile range (the 75th minus the 25th percentile, numpy's linear
    interpolation) over the values present at fit,

    ``u = (x - m_j) / s_j``,  then  ``f(u) = u / sqrt(1 + (u / clip)**2)``.

    Where ``s_j = 0`` (more than half the values equal), ``s_j`` is half the
    range, ``(max - min) / 2``; where that is 0 too (a constant column),
    the column becomes 0. That is RealMLP-TD's numeric preprocessing, as
    pytabkit computes it (``MedianCenterFactory``, ``RobustScaleFactory`` and
    ``smooth_clip_func``, whose ``max_abs_value`` is 3). ``f`` is odd and
    strictly increasing with ``f'(u) = (1 + (u / clip)**2) ** -1.5`` in
    ``(0, 1]``: close to the identity for ``|u|`` well below ``clip``
    (``f(u) = u - u**3 / (2 clip**2) + ...``), and it tends to ``+-clip``, so
    outliers are bounded but keep their order (a hard clip would make them
    ties).

    Missing values (NaN) are skipped when fitting, and a NaN given to
    :meth:`transform` becomes 0: the column's median, which is 0 after
    centring, and ``f(0) = 0``. With ``add_indicator=True``, each column that
    had a missing value at fit also gets an indicator column, 1 where the
    value is missing (as :class:`~sklearn.impute.SimpleImputer` with
    ``add_indicator=True``, after the scaled columns and named
    ``missingindicator_<column>``). A column with no value at all at fit
    has median 0 and spread 0, so it becomes 0 (with its indicator).

    Parameters
    ----------
    clip : float or None, default=3.0
        The bound of the smooth clip (pytabkit's ``smooth_clip_max_abs_value``);
        None scales without clipping.
    add_indicator : bool, default=True
        Whether to append a missing-value indicator column for each column
        that had missing values at fit.

    Attributes
    ----------
    center_ : ndarray of shape (``n_features_in_``,)
        The medians ``m_j`` (0 for a column with no value at fit).
    scale_ : ndarray of shape (``n_features_in_``,)
        The spreads ``s_j`` divided by: interquartile range, or half the range
        where that is 0; 0 for a constant column, which becomes 0.
    indicator_ : sklearn.impute.MissingIndicator or None
        The indicator of the columns that had missing values at fit (its
        ``features_``); None with ``add_indicator=False``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Defined only when ``X`` has string column names.

    See Also
    --------
    sklearn.preprocessing.RobustScaler : median and interquartile range,
        with no clip; a zero spread is left as 1.
    sklearn.impute.SimpleImputer : imputation, with ``add_indicator``.

    Examples
    --------
    >>> import numpy as np
    >>> from skscratch.preprocessing import SmoothClipScaler
    >>> X = np.array([[1.0, 10.0], [2.0, np.nan], [3.0, 30.0], [4.0, 40.0],
    ...               [100.0, 50.0]])
    >>> scaler = SmoothClipScaler().fit(X)
    >>> scaler.center_, scaler.scale_
    (array([ 3., 35.]), array([ 2. , 17.5]))
    >>> scaler.get_feature_names_out().tolist()
    ['x0', 'x1', 'missingindicator_x1']
    >>> scaler.transform(X).round(3)
    array([[-0.949, -1.29 ,  0.   ],
           [-0.493,  0.   ,  1.   ],
           [ 0.   , -0.284,  0.   ],
           [ 0.493,  0.284,  0.   ],
           [ 2.994,  0.824,  0.   ]])

    The outlier 100, 48.5 interquartile ranges above the median, ends just
    below 3; the missing value is the median, 0, with its indicator 1.
    """

    _parameter_constraints: dict = {
        "clip": [Interval(Real, 0, None, closed="neither"), None],
        "add_indicator": ["boolean"],
    }

    def __init__(self, clip=3.0, add_indicator=True):
        self.clip = clip
        self.add_indicator = add_indicator

    def fit(self, X, y=None):
        """Learn each column's median and spread, and which columns have NaN.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric columns; NaN marks a missing value.
        y : None
            Ignored.

        Returns
        -------
        self : SmoothClipScaler
        """
        self._validate_params()
        X = validate_data(
            self, X, dtype=[np.float64, np.float32], ensure_all_finite="allow-nan"
        )
        self.center_, self.scale_ = robust_statistics(X)
        self.indicator_ = None
        if self.add_indicator:
            self.indicator_ = MissingIndicator(error_on_new=False).fit(X)
        return self

    def transform(self, X):
        """Scale, clip and impute ``X``; append the indicator columns.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features + n_indicators)
            Of the dtype of ``X`` (float32 stays float32; other types give float64).
        """
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan",
            reset=False,
        )
        missing = np.isnan(X)
        out = self._scale(np.where(missing, self.center_, X))
        if self.indicator_ is not None and self.indicator_.features_.size:
            out = np.hstack([out, missing[:, self.indicator_.features_]])
        return out.astype(X.dtype, copy=False)

    def _scale(self, X):
        """``f((X - center_) / scale_)``, 0 in constant columns, in float64."""
        factor = np.where(self.scale_ > 0, 1.0 / (self.scale_ + SPREAD_EPS), 0.0)
        if self.clip is None:
            return (X - self.center_) * factor
        # v = u / clip may overflow for inputs near the largest float; capped
        # at _LARGE, f = clip * v / sqrt(1 + v**2) is then +-clip as it should be.
        with np.errstate(over="ignore"):
            v = (X - self.center_) * (factor / self.clip)
        np.clip(v, -_LARGE, _LARGE, out=v)
        return self.clip * v / np.sqrt(1.0 + v**2)

    def get_feature_names_out(self, input_features=None):
        """The input columns' names, then ``missingindicator_<name>`` per indicator.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            As for scikit-learn's transformers: the input column names, or
            None for ``feature_names_in_`` (or ``x0``, ``x1``, ...).

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        names = super().get_feature_names_out(input_features)
        if self.indicator_ is None:
            return names
        return np.concatenate([names, self.indicator_.get_feature_names_out(names)])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def robust_statistics(X):
    """Median and spread of each column of ``X``, over its non-missing values.

    The spread is the interquartile range, or half the range where that is
    0, or 0 for a constant column (pytabkit's ``RobustScaleFactory``). A
    column with no value has median 0 and spread 0.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        NaN marks a missing value.

    Returns
    -------
    center, spread : ndarray of shape (n_features,), float64
    """
    X = np.asarray(X, dtype=np.float64)
    center, spread = np.zeros(X.shape[1]), np.zeros(X.shape[1])
    present = ~np.isnan(X).all(axis=0)
    if present.any():
        values = X[:, present]  # an all-NaN column would make numpy warn
        q25, q50, q75 = np.nanquantile(values, [0.25, 0.5, 0.75], axis=0)
        # Halved before subtracting: a range wider than the largest float is fine.
        half_range = np.nanmax(values, axis=0) / 2 - np.nanmin(values, axis=0) / 2
        center[present] = q50
        spread[present] = np.where(q75 > q25, q75 - q25, half_range)
    return center, spread
