"""Categorical columns: which they are, their categories, their integer codes.

The functions here take arrays and dataframes and return arrays; the
estimators call them in ``fit`` (:func:`resolve_categorical_features`,
:func:`learn_categories`) and at every later call (:func:`encode_X`), and keep
what they return as fitted attributes. The network itself sees the numeric
columns first, then one column of codes per categorical feature, which its
:class:`~skscratch.core.layers.Embedding` layer turns into learned vectors.

The conventions are HistGradientBoosting's:

* ``categorical_features`` takes the same values with the same meaning,
  ``"from_dtype"`` by default (pandas and polars Categorical and Enum columns);
* the categories of a column are the values seen in the first fit, sorted,
  with missing values (NaN, None, ``pd.NA``) as one category of their own,
  listed last as ``nan`` (as ``OneHotEncoder.categories_`` lists them);
* values are compared as numbers where they are numbers: ``1`` and ``1.0``
  are one category.

Each categorical feature ``j`` is coded ``0 .. len(categories[j]) - 1`` for
its categories and ``len(categories[j])`` for anything else: a category
unseen in the first fit, or a missing value when the first fit saw none.
That last code is the "unknown" one; see :func:`fill_unknown_rows` for its
vector.
"""

import math
import sys
from numbers import Integral, Real

import narwhals as nw
import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_array

from ..core.backend import ops_for

#: Most categories (missing values included) a categorical feature may have.
#: Each one is a row of trainable weights that every optimizer step updates,
#: so a column of ids (one level per row) would make training crawl; group
#: rare levels, or encode such a column otherwise, before passing it.
MAX_CATEGORIES = 10_000

#: The default embedding width is ``min(MAX_EMBEDDING_DIM, ceil(1.6 * n ** 0.56))``
#: for ``n`` categories (fastai's rule of thumb, capped lower).
MAX_EMBEDDING_DIM = 50


def resolve_categorical_features(X, categorical_features):
    """Which features of ``X`` are categorical, as HistGradientBoosting reads it.

    Parameters
    ----------
    X : array-like, sparse matrix or dataframe of shape (n_samples, n_features)
        The data as the user gave it (before any conversion to numbers).
    categorical_features : "from_dtype", "auto", None, or array-like of bool, int or str
        ``"from_dtype"``: the Categorical and Enum columns of a pandas or
        polars dataframe (none for other inputs); ``"auto"``: those, and the
        columns of strings and booleans (:func:`auto_categorical`); None: none;
        a boolean mask
        of shape (n_features,); integer indices; feature names (for a
        dataframe).

    Returns
    -------
    is_categorical : ndarray of bool of shape (n_features,), or None
        None when no feature is categorical.

    Raises
    ------
    ValueError
        For a mask of the wrong length, indices out of range, names that are
        not columns of ``X``, or categorical features named on sparse ``X``.
    """
    if isinstance(categorical_features, str) and categorical_features not in (
        "from_dtype",
        "auto",
    ):
        raise ValueError(
            f"categorical_features={categorical_features!r} is neither 'from_dtype', "
            "'auto' nor an array-like of feature names; to name one column, pass a "
            f"list: [{categorical_features!r}]."
        )
    if sp.issparse(X):
        if categorical_features is None or isinstance(categorical_features, str):
            return None  # "from_dtype": a sparse matrix has no categorical dtype
        named = np.asarray(categorical_features)
        if named.size and not (named.dtype.kind == "b" and not named.any()):
            raise ValueError(
                "categorical_features names categorical columns, but X is a sparse "
                "matrix, whose columns can only be numbers. Pass X dense (or as a "
                "dataframe), or set categorical_features=None."
            )
        return None
    columns = _columns(X)
    if columns is None or categorical_features is None:
        return None  # for X not 2-D, validate_data says so later
    names, by_dtype, n_features = columns
    if isinstance(categorical_features, str):
        mask = by_dtype if categorical_features == "from_dtype" else auto_categorical(X)
    else:
        mask = _mask_of(np.asarray(categorical_features), names, n_features)
    return mask if mask is not None and mask.any() else None


def _columns(X):
    """``(names, categorical-dtype mask, n_features)`` of ``X``; None if not 2-D.

    For a dataframe, its column names and which of its columns are Categorical
    or Enum; for anything else, ``(None, None, n_features)``.
    """
    if nw.dependencies.is_into_dataframe(X):
        frame = nw.from_native(X, eager_only=True)
        schema = frame.schema
        by_dtype = [schema[name] in (nw.Categorical, nw.Enum) for name in frame.columns]
        return frame.columns, np.array(by_dtype, dtype=bool), len(frame.columns)
    X = X if hasattr(X, "shape") else np.asarray(X, dtype=object)  # a list of rows
    if np.ndim(X) != 2:
        return None
    return None, None, X.shape[1]


def _mask_of(features, names, n_features):
    """The boolean mask that a mask, indices or names in ``features`` mean.

    ``names`` are the columns of a dataframe (None for an array). None for
    an empty ``features``. Raises ValueError as
    :func:`resolve_categorical_features` says.
    """
    if features.size == 0:
        return None
    if features.dtype.kind in "UO":
        return _mask_of_names(features, names)
    if features.dtype.kind == "b":
        if features.shape != (n_features,):
            raise ValueError(
                f"categorical_features as a boolean mask must have shape (n_features,) "
                f"= ({n_features},); got shape {features.shape}."
            )
        return features
    if features.dtype.kind in "iu":
        out_of_range = features[(features < 0) | (features >= n_features)]
        if out_of_range.size:
            raise ValueError(
                f"categorical_features holds the indices {out_of_range.tolist()}; "
                f"integer indices must be in [0, n_features - 1] = [0, {n_features - 1}]."
            )
        mask = np.zeros(n_features, dtype=bool)
        mask[features] = True
        return mask
    raise ValueError(
        "categorical_features must be 'from_dtype', 'auto', None, or an array-like of "
        f"bool, int or str; got values of dtype {features.dtype}."
    )


def _mask_of_names(features, names):
    """The boolean mask of the features named in ``features`` (strings)."""
    types = sorted({type(f).__name__ for f in features.ravel()})
    if features.dtype.kind == "O" and types != ["str"]:
        raise ValueError(
            "categorical_features must be an array-like of bool, int or str; got "
            f"values of types {types}."
        )
    if names is None:
        raise ValueError(
            "categorical_features names features, but X has no feature names (it is "
            "not a dataframe): pass the features as integers or as a boolean mask."
        )
    names = list(names)
    unknown = [str(f) for f in features.ravel() if f not in names]
    if unknown:
        raise ValueError(
            f"categorical_features names '{unknown[0]}' which is not a valid feature "
            f"name of X; its features are {names}."
        )
    return np.isin(np.asarray(names, dtype=object), features)


def auto_categorical(X):
    """The columns that ``categorical_features="auto"`` takes as categorical.

    Those that hold categories rather than quantities: Categorical and Enum
    columns (as for ``"from_dtype"``), string columns (pandas' ``str``,
    ``string`` and ``object`` columns of text, polars' ``String``) and boolean
    columns of a dataframe; in a numpy array of dtype object or str, the
    columns that hold strings (or booleans). A column of numbers, an object
    column included, stays numeric. Missing values (NaN, None, ``pd.NA``)
    do not decide either way.

    Parameters
    ----------
    X : array-like or dataframe of shape (n_samples, n_features)
        Dense.

    Returns
    -------
    is_categorical : ndarray of bool of shape (n_features,)
    """
    if nw.dependencies.is_into_dataframe(X):
        frame = nw.from_native(X, eager_only=True)
        by_dtype = (nw.Categorical, nw.Enum, nw.String, nw.Boolean)
        return np.array(
            [
                dtype in by_dtype
                or (dtype == nw.Object and _holds_labels(frame.get_column(name).to_numpy()))
                for name, dtype in frame.schema.items()
            ],
            dtype=bool,
        )
    X = X if hasattr(X, "shape") else np.asarray(X, dtype=object)  # a list of rows
    if X.dtype.kind in "US":
        return np.ones(X.shape[1], dtype=bool)
    if X.dtype.kind != "O":
        return np.zeros(X.shape[1], dtype=bool)
    return np.array([_holds_labels(X[:, j]) for j in range(X.shape[1])], dtype=bool)


def _holds_labels(values):
    """Whether an object column holds strings or booleans (its missing values aside)."""
    present = values[~_is_missing(values)]
    return any(isinstance(v, (str, bytes, bool, np.str_, np.bool_)) for v in present)


def learn_categories(X, is_categorical):
    """The categories of each categorical column of ``X`` and how often each occurs.

    Parameters
    ----------
    X : array-like or dataframe of shape (n_samples, n_features)
    is_categorical : ndarray of bool of shape (n_features,)

    Returns
    -------
    categories : list of ndarray
        One array per categorical feature (in column order): its distinct
        values, sorted, then ``nan`` if the column had missing values.
    counts : list of ndarray of int64
        How many rows hold each category, aligned with ``categories``.

    Raises
    ------
    ValueError
        If a column has more than :data:`MAX_CATEGORIES` categories.
    TypeError
        If a column's values cannot be coded: neither all numbers nor all
        strings (missing values aside).
    """
    categories, counts = [], []
    for name, (levels, codes) in _categorical_columns(X, is_categorical):
        present = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(levels)))
        values = _sorted(levels[present], name)
        if all(isinstance(v, (Real, np.bool_)) for v in values):
            values = values.astype(np.float64)  # 1 and 1.0 are one category
        n_missing = int(np.count_nonzero(codes < 0))
        n_categories = len(values) + (n_missing > 0)
        if n_categories > MAX_CATEGORIES:
            raise ValueError(
                f"Categorical feature {name} has {n_categories:,} categories, more than "
                f"the {MAX_CATEGORIES:,} allowed "
                "(skscratch._input.categorical.MAX_CATEGORIES). "
                "Group its rare levels into one, or encode it as numbers and leave it "
                "out of categorical_features."
            )
        if n_missing:
            values = np.append(values, np.nan)
        categories.append(values)
        counts.append(
            np.bincount(_recode(levels, codes, values), minlength=len(values)).astype(
                np.int64
            )
        )
    return categories, counts


def encode_categories(X, is_categorical, categories):
    """The integer code of every value of the categorical columns of ``X``.

    Parameters
    ----------
    X : array-like or dataframe of shape (n_samples, n_features)
    is_categorical : ndarray of bool of shape (n_features,)
    categories : list of ndarray
        From :func:`learn_categories`.

    Returns
    -------
    codes : ndarray of int of shape (n_samples, n_categorical_features)
        ``i`` for ``categories[j][i]``, and ``len(categories[j])`` (the
        unknown code) for a value that is none of them.

    Raises
    ------
    TypeError
        If a column's values cannot be coded.
    """
    columns = _categorical_columns(X, is_categorical)
    n_samples = _n_rows(X)
    codes = np.empty((n_samples, len(categories)), dtype=np.intp)
    for j, ((_, (levels, level_codes)), values) in enumerate(zip(columns, categories)):
        codes[:, j] = _recode(levels, level_codes, values)
    return codes


def embedding_dims(categories, embedding_dim=None):
    """The width of each categorical feature's embedding vectors.

    Parameters
    ----------
    categories : list of ndarray
        The categories of each categorical feature.
    embedding_dim : None, int or sequence of int, default=None
        None: ``min(50, ceil(1.6 * n ** 0.56))`` for ``n`` categories (fastai's
        rule of thumb, capped at :data:`MAX_EMBEDDING_DIM`), e.g. 3 for 2
        categories, 6 for 10, 22 for 100 and 50 from 451 on; an int: that
        width for every feature; a sequence: one width per categorical feature.

    Returns
    -------
    dims : list of int

    Examples
    --------
    >>> import numpy as np
    >>> embedding_dims([np.arange(2), np.arange(10), np.arange(1000)])
    [3, 6, 50]
    >>> embedding_dims([np.arange(2), np.arange(10)], embedding_dim=4)
    [4, 4]
    """
    n_features = len(categories)
    if embedding_dim is None:
        return [
            min(MAX_EMBEDDING_DIM, math.ceil(1.6 * len(values) ** 0.56))
            for values in categories
        ]
    dims = [embedding_dim] * n_features if np.ndim(embedding_dim) == 0 else embedding_dim
    dims = list(dims)
    valid = all(
        isinstance(d, Integral) and not isinstance(d, bool) and d >= 1 for d in dims
    )
    if not valid or len(dims) != n_features:
        raise ValueError(
            f"embedding_dim must be None, a positive int, or one positive int per "
            f"categorical feature ({n_features}); got {embedding_dim!r}."
        )
    return [int(d) for d in dims]


def fill_unknown_rows(tables, counts):
    """Set each table's last row, the unknown category's vector, to the mean vector.

    The unknown vector is the mean of the categories' vectors weighted by how
    often each category occurred in the first fit: what the network sees for
    a category it knows nothing about is the average category of the training
    data. It is deterministic, finite, and set again at the end of every fit.

    Parameters
    ----------
    tables : list of ndarray of shape (n_categories + 1, dim)
        Modified in place.
    counts : list of ndarray of shape (n_categories,)
    """
    for E, n in zip(tables, counts):
        ops = ops_for(E)  # the tables may live on a device
        shares = np.asarray(n, dtype=np.float64) / np.sum(n)
        E[-1, ...] = ops.asarray(shares, dtype=ops.numpy_dtype(E.dtype)) @ E[:-1, ...]


def numeric_columns(X, is_categorical):
    """``X`` without its categorical columns, in the same kind of container.

    Parameters
    ----------
    X : array-like or dataframe of shape (n_samples, n_features)
    is_categorical : ndarray of bool of shape (n_features,)

    Returns
    -------
    X_numeric : ndarray or dataframe of shape (n_samples, n_numeric_features)
    """
    indices = np.flatnonzero(~np.asarray(is_categorical))
    if nw.dependencies.is_into_dataframe(X):
        frame = nw.from_native(X, eager_only=True)
        return frame.select([frame.columns[j] for j in indices]).to_native()
    X = X if hasattr(X, "shape") else np.asarray(X, dtype=object)
    return X[:, indices]


def encode_X(X, is_categorical, categories, allow_nan=False):
    """``X`` as the network reads it: its numeric columns, then its category codes.

    Parameters
    ----------
    X : array-like or dataframe of shape (n_samples, n_features)
        Dense; the caller has checked its feature names and count.
    is_categorical : ndarray of bool of shape (n_features,)
    categories : list of ndarray
        From :func:`learn_categories`; a value outside them is coded unknown.
    allow_nan : bool, default=False
        Whether the numeric columns may hold NaN (missing values the network
        imputes); inf is refused either way.

    Returns
    -------
    X_network : ndarray of shape (n_samples, n_features)
        Float64, or float32 where the numeric columns are float32 (so are the
        codes, which are exact in either up to :data:`MAX_CATEGORIES`).
    """
    if is_categorical.all():  # no numeric column: nothing for check_array to look at
        numeric = np.empty((_n_rows(X), 0))
    else:
        numeric = check_array(
            numeric_columns(X, is_categorical),
            dtype=(np.float64, np.float32),
            ensure_all_finite="allow-nan" if allow_nan else True,
            input_name="X",
        )
    codes = encode_categories(X, is_categorical, categories)
    return np.hstack([numeric, codes.astype(numeric.dtype)])


# ------------------------------------------------------------------- columns
def _n_rows(X):
    if nw.dependencies.is_into_dataframe(X):
        return nw.from_native(X, eager_only=True).shape[0]
    return len(X)


def _categorical_columns(X, is_categorical):
    """``[(name, (levels, codes)), ...]`` for the categorical columns of ``X``.

    ``levels`` are distinct values and ``codes`` index them, -1 for a
    missing value. A pandas Categorical column gives its own categories and
    codes, without looking at every value.
    """
    indices = np.flatnonzero(is_categorical)
    if nw.dependencies.is_into_dataframe(X):
        frame = nw.from_native(X, eager_only=True)
        columns = []
        for j in indices:
            series = frame.get_column(frame.columns[j])
            native = series.to_native()
            name = repr(series.name)
            if series.dtype == nw.Categorical and nw.dependencies.is_pandas_series(native):
                levels = np.asarray(native.cat.categories.to_numpy(), dtype=object)
                codes = np.asarray(native.cat.codes.to_numpy(), dtype=np.intp)
                columns.append((name, (levels, codes)))
            else:
                columns.append((name, _levels_and_codes(series.to_numpy(), name)))
        return columns
    X = X if hasattr(X, "shape") else np.asarray(X, dtype=object)
    return [(f"{j}", _levels_and_codes(np.asarray(X[:, j]), f"{j}")) for j in indices]


def _levels_and_codes(values, name):
    """A column's distinct values (missing ones aside) and each row's index into them."""
    missing = _is_missing(values)
    codes = np.full(len(values), -1, dtype=np.intp)
    present = values[~missing]
    if values.dtype.kind == "O":
        _check_codable(present, name)
    elif values.dtype.kind not in "biufUS":
        raise TypeError(
            f"Categorical feature {name} has dtype {values.dtype}, whose values "
            "cannot be coded as categories; only numbers and strings can."
        )
    if values.dtype.kind in "US":
        present = present.astype(object)
    levels, codes[~missing] = np.unique(present, return_inverse=True)
    return np.asarray(levels, dtype=object), codes


def _check_codable(values, name):
    """Raise TypeError unless the (non-missing) values are all numbers or all strings."""
    kinds = {type(v) for v in values}
    numbers = all(issubclass(t, (Real, np.bool_)) for t in kinds)
    strings = all(issubclass(t, str) for t in kinds)
    if not (numbers or strings):
        names = sorted(t.__name__ for t in kinds)
        raise TypeError(
            f"Categorical feature {name} holds values of types {names}; a categorical "
            "column must hold only numbers or only strings (and missing values)."
        )


def _is_missing(values):
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind != "O":
        return np.zeros(len(values), dtype=bool)
    if "pandas" in sys.modules:  # None, NaN, pd.NA, NaT
        return np.asarray(sys.modules["pandas"].isna(values), dtype=bool)
    return np.fromiter(
        (v is None or (isinstance(v, float) and v != v) for v in values),
        dtype=bool,
        count=len(values),
    )


def _sorted(values, name):
    """The values sorted; a TypeError that names the column where they do not compare."""
    try:
        return np.sort(np.asarray(values, dtype=object))
    except TypeError:
        names = sorted({type(v).__name__ for v in values})
        raise TypeError(
            f"Categorical feature {name} holds values of types {names}, which cannot "
            "be ordered; a categorical column must hold only numbers or only strings."
        ) from None


def _recode(levels, codes, categories):
    """Map ``codes`` into ``levels`` onto positions in ``categories`` (see the module)."""
    unknown = len(categories)
    has_missing = len(categories) and _is_missing(np.asarray(categories[-1:])).all()
    known = categories[:-1] if has_missing else categories
    position = {value: i for i, value in enumerate(known)}
    # Each distinct level looked up once; a level that is no category is unknown.
    lookup = np.array([position.get(level, unknown) for level in levels], dtype=np.intp)
    missing_code = unknown - 1 if has_missing else unknown
    return np.append(lookup, missing_code)[codes]  # code -1 picks the missing code
