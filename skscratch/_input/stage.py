"""The input stage: what ``fit`` learns about X, applied at every later call.

:class:`InputStage` is the one place that knows how X becomes the network's
input. At a first fit it learns, as fitted attributes of the estimator,
everything later calls need: the array library and device of X (where
scikit-learn's array API dispatch is on), its float dtype, the number and
names of its columns (``n_features_in_``, ``feature_names_in_``), which are
categorical and their categories (``is_categorical_``, ``categories_``), and
whether missing numbers are taken. Every later call (``predict``,
``predict_proba``, ``partial_fit``, a warm ``fit``, ``fit(X_val=...)``,
:func:`~skscratch.check_gradients`, the ONNX export) goes through it to apply
the same. It refuses what cannot be trained on: dates and durations, sparse X
with categorical features, NaN where missing values are not taken, X in
another namespace than the fitted model's.

NaN follows one rule: a first fit takes it where ``handle_missing`` asks for
the missing-value layer; afterwards, exactly where the fitted model has that
layer (it is in ``layers_``), whatever the parameter says now.

The input layers of ``handle_missing`` and ``numeric_scaling``
(:mod:`~skscratch._input.input_layers`) are built here too, from the first
fit's data; the fitted model keeps them in ``layers_``.
"""

import datetime

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.utils.validation import (
    assert_all_finite,
    check_X_y,
    column_or_1d,
    validate_data,
)

from ..core.backend import NUMPY, array_to_numpy, is_array_api_obj, ops_for
from ..core.layers import ImputeMissing
from .categorical import (
    encode_X,
    learn_categories,
    numeric_columns,
    resolve_categorical_features,
)
from .input_layers import input_layers, previous_input_layers

#: Inputs that prediction takes without ``validate_data`` (see ``_plain_small_input``).
_PLAIN_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
_PLAIN_INPUT_SIZE = 4096

_TIME_TYPES = (np.datetime64, np.timedelta64, datetime.date, datetime.timedelta)


class InputStage:
    """How X becomes the network's input, for one estimator.

    It holds no state of its own: what it learns at a first fit is written
    into the estimator's fitted attributes (so that pickles, clones and
    ``__sklearn_tags__`` see it), and every later call reads it back from
    there. An estimator makes one per public call.

    Parameters
    ----------
    estimator : BaseScratchMLP
        The estimator being fitted, or the fitted one.
    """

    def __init__(self, estimator):
        self.estimator = estimator

    # ---------------------------------------------------------------- fitting
    def training(self, task, X, y, reset):
        """Validated training ``X`` and ``y``.

        ``X`` stays in its namespace and on its device (with array API
        dispatch on), in its float dtype (float64 otherwise), with category
        codes after the numeric columns; ``y`` comes to the host, where the
        targets are encoded.

        Parameters
        ----------
        task : ClassificationTask or RegressionTask
        X, y
            As given to ``fit`` or ``partial_fit``.
        reset : bool
            A first fit: learn the columns, their names and categories; else
            check X against them.

        Returns
        -------
        X : ndarray, sparse matrix (CSR) or array of X's namespace
        y : ndarray
        """
        est = self.estimator
        ops = input_ops(X)
        y = array_to_numpy(y) if input_ops(y) is not NUMPY else y
        allow_nan = self.allows_nan(first_fit=reset)
        finite = "allow-nan" if allow_nan else True
        X_network = self._categorical_X(X, reset, allow_nan)
        if X_network is not None:
            X, y = check_X_y(
                X_network,
                y,
                multi_output=True,
                y_numeric=task.y_numeric,
                ensure_all_finite=finite,
                estimator=est,
            )
            X = ops.asarray(X)
        else:
            reject_datetime(X)
            X, y = validate_data(
                est,
                X,
                y,
                accept_sparse=["csr", "csc"],
                multi_output=True,
                dtype=float_dtypes(ops),
                ensure_all_finite=finite,
                y_numeric=task.y_numeric,
                reset=reset,
            )
            y = array_to_numpy(y)
            if reset:
                est.categories_, est._category_counts = [], []
        if sp.issparse(X):
            X = X.tocsr()
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if task.y_numeric and y.dtype.kind not in "fiub":
            # validate_data converts only object arrays; numpy strings need this.
            try:
                y = y.astype(np.float64)
            except ValueError as error:
                raise ValueError(f"y must be numeric for regression: {error}") from None
            assert_all_finite(y, input_name="y")
        return X, y

    def validation(self, task, X_val, y_val, X_train):
        """The user's validation set, checked against the training data's columns.

        Returns ``X_val`` (in the training data's namespace, device and dtype),
        ``y_val`` and the ops of that namespace; ValueError where ``X_val``
        lives elsewhere than ``X_train``.
        """
        X_val, y_val = self.training(task, X_val, y_val, reset=False)
        ops, other = ops_for(X_train), ops_for(X_val)
        if ops != other:
            raise ValueError(
                f"X_val is in {_where(other)} but X in {_where(ops)}: pass both in the "
                "same namespace and on the same device."
            )
        return ops.astype(X_val, ops.numpy_dtype(X_train.dtype)), y_val, ops

    def input_layers(self, X, previous=None):
        """The input layers of ``handle_missing`` and ``numeric_scaling``.

        Built from the statistics of ``X`` (the network's input: numeric
        columns, then category codes) at a first fit, or kept from the
        ``previous`` fit's records (warm start, ``partial_fit``).
        """
        est = self.estimator
        n_numeric = X.shape[1] - len(getattr(est, "categories_", []))
        options = est.handle_missing, est.numeric_scaling
        if previous is None:
            return input_layers(X, n_numeric, *options)
        return previous_input_layers(previous, n_numeric, *options)

    def allows_nan(self, first_fit=False):
        """Whether NaN may stand for a missing number in X.

        At a first fit, where ``handle_missing`` asks for the missing-value
        layer; afterwards, where the fitted model has it.
        """
        est = self.estimator
        if first_fit or not hasattr(est, "layers_"):
            return est.handle_missing == "indicator"
        return any(r["kind"] == ImputeMissing.kind for r in est.layers_)

    def adopt(self, fitted):
        """Take the fitted input attributes of ``fitted`` (a copy of this
        estimator's kind), so that later calls read X as ``fitted`` does."""
        for name in FITTED_ATTRIBUTES:
            if hasattr(fitted, name):
                setattr(self.estimator, name, getattr(fitted, name))

    # ------------------------------------------------------------- prediction
    def prediction(self, X):
        """``X`` for the fitted network, as it read X at fit."""
        if self._plain_small_input(X):
            return X
        ops = input_ops(X)
        allow_nan = self.allows_nan()
        X_network = self._categorical_X(X, False, allow_nan)
        if X_network is not None:
            return ops.asarray(X_network)  # coded on the host, back where X was
        reject_datetime(X)
        X = validate_data(
            self.estimator,
            X,
            accept_sparse=["csr", "csc"],
            dtype=float_dtypes(ops),
            ensure_all_finite="allow-nan" if allow_nan else True,
            reset=False,
        )
        if sp.issparse(X):
            X = X.tocsr()
        return X

    def check_namespace(self, layers, X, method):
        """Raise scikit-learn's ValueError when ``X`` is not where the model was fitted."""
        fitted, given = ops_for(layers[-1].W), ops_for(X)
        if fitted == given:
            return
        raise ValueError(
            f"Inputs passed to {type(self.estimator).__name__}.{method}() must use the "
            "same namespace and the same device as those passed to fit(). The model was "
            f"fitted in {_where(fitted)}; X is in {_where(given)}. Move X there, or the "
            "model to numpy with skscratch.array_to_numpy(model) (then predict on numpy X)."
        )

    # ---------------------------------------------------------------- helpers
    def _categorical_X(self, X, reset, allow_nan=False):
        """``X`` for a network with embeddings (numeric columns, then category
        codes), or None when no feature is categorical.

        At ``reset`` the categorical features are found (``is_categorical_``)
        and their categories learned; later calls keep them. Categories are
        coded on the host: an array of another namespace comes to numpy first
        (and the caller moves the result back to its device).
        ``allow_nan``: whether the numeric columns may hold missing values.
        """
        est = self.estimator
        if is_array_api_obj(X) and not isinstance(X, np.ndarray):
            X = array_to_numpy(X)  # torch, CuPy ... (with array API dispatch on or off)
        if reset:
            est.is_categorical_ = resolve_categorical_features(X, est.categorical_features)
        mask = getattr(est, "is_categorical_", None)
        if mask is None:
            return None
        reject_datetime(numeric_columns(X, mask))
        if sp.issparse(X):
            raise ValueError(
                f"{type(est).__name__} was fitted with categorical features, which a "
                "sparse X cannot hold; pass X dense, or as a dataframe."
            )
        validate_data(est, X, skip_check_array=True, reset=reset)  # names and count
        if reset:
            est.categories_, est._category_counts = learn_categories(X, mask)
        return encode_X(X, mask, est.categories_, allow_nan)

    def _plain_small_input(self, X):
        """True for what a service predicting row by row sends: a few finite rows.

        A C-ordered float64 or float32 ndarray of at most ``_PLAIN_INPUT_SIZE``
        values, with the fitted number of columns, to a model fitted without
        feature names or categorical features: ``validate_data`` would return
        it unchanged, after checks that cost several times the forward pass of
        one row. Anything else (and anything wrong) takes the full validation
        and its messages.
        """
        est = self.estimator
        return (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in _PLAIN_DTYPES
            and 0 < X.size <= _PLAIN_INPUT_SIZE
            and X.flags.c_contiguous
            and X.shape[1] == getattr(est, "n_features_in_", None)
            and not hasattr(est, "feature_names_in_")
            and getattr(est, "is_categorical_", None) is None  # codes to look up
            and bool(np.isfinite(X).all())
        )


#: The fitted attributes that say how X is read.
FITTED_ATTRIBUTES = (
    "n_features_in_",
    "feature_names_in_",
    "is_categorical_",
    "categories_",
    "_category_counts",
)


def reject_datetime(X):
    """Raise TypeError for dates or durations in ``X``.

    ``validate_data`` would turn them into floats of their raw tick counts
    (days, nanoseconds ...) and train on those without a word.
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is not None and hasattr(dtypes, "items"):  # a pandas DataFrame
        columns = [
            name
            for name, dtype in dtypes.items()
            if getattr(dtype, "kind", "") in ("m", "M")
        ]
        kinds = {str(dtypes[name]) for name in columns}
        where = f"columns {columns} of dtype {', '.join(sorted(kinds))}"
    else:
        dtype = getattr(X, "dtype", None)
        if dtype is None:  # a list: look at its first element
            first = X
            for _ in range(2):
                if isinstance(first, (list, tuple)) and len(first):
                    first = first[0]
            dtype = np.asarray(first).dtype if isinstance(first, _TIME_TYPES) else None
        columns = (
            [] if dtype is None or getattr(dtype, "kind", "") not in ("m", "M") else [0]
        )
        where = f"dtype {dtype}"
    if columns:
        raise TypeError(
            f"X has {where} (dates or durations), which would be trained on as "
            "raw tick counts. Convert them to numbers first, e.g. elapsed seconds "
            "with (X - X.min()) / np.timedelta64(1, 's')."
        )


def input_ops(X):
    """The array library of ``X`` for this call: its own where scikit-learn's array
    API dispatch is on and ``X`` is an array API array (torch, CuPy ...), numpy's
    otherwise (numpy arrays, dataframes, lists, sparse matrices)."""
    if not get_config()["array_api_dispatch"] or not is_array_api_obj(X):
        return NUMPY
    return ops_for(X)


def float_dtypes(ops):
    """``validate_data``'s dtype: X's float dtype kept, else float64 (float32 where
    the device has no float64)."""
    return tuple(
        ops.dtype(name)
        for name in ("float64", "float32")
        if hasattr(ops.xp, name) and _supports(ops, name)
    )


def _supports(ops, name):
    if ops.is_numpy or name != "float64":
        return True
    info = getattr(ops.xp, "__array_namespace_info__", None)
    try:
        return "float64" in info().dtypes(device=ops.device)
    except Exception:  # a library that cannot tell: let it try
        return True


def _where(ops):
    return "numpy" if ops.is_numpy else f"{ops.xp.__name__} on {ops.device}"
