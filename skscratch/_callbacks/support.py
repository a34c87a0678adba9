"""What callbacks read: the data of the fit in progress, and a column of ``history_``.

:func:`fit_data` (re-exported by :mod:`skscratch.callbacks`) gives a callback
the data the fit was given, split as the fit splits them; :class:`Monitor`
reads a column of ``history_`` as a score to maximise, for the callbacks that
watch one (:class:`~skscratch.callbacks.EarlyStopping`,
:class:`~skscratch.callbacks.Checkpoint`).
"""

import contextlib
import math
import weakref
from typing import NamedTuple

import numpy as np

from .._utils.sklearn_compat import safe_indexing

#: The columns every record of ``history_`` may hold before the user's callbacks
#: add theirs (``validation_loss`` only with a validation set).
RECORD_COLUMNS = (
    "epoch",
    "loss",
    "validation_score",
    "learning_rate",
    "seconds",
    "validation_loss",
)
#: The columns where lower is better; in every other (scores) greater is.
LOSS_COLUMNS = ("loss", "validation_loss")


class FitData(NamedTuple):
    """The data of the fit in progress, as the user passed them (see :func:`fit_data`)."""

    X: object  #: the rows trained on
    y: object
    X_val: object  #: the validation set (``X_val``, or the held-out rows), or None
    y_val: object


class _FitInputs:
    """What a fit was given, and the rows it holds out; its FitData, made once."""

    def __init__(self, X, y, X_val=None, y_val=None):
        self.X, self.y, self.X_val, self.y_val = X, y, X_val, y_val
        self.held_out, self.data = None, None

    def hold_out(self, rows):
        self.held_out, self.data = np.asarray(rows), None

    def fit_data(self):
        if self.data is None:
            X, y, X_val, y_val = self.X, self.y, self.X_val, self.y_val
            if self.held_out is not None:
                kept = np.ones(_n_rows(X), dtype=bool)
                kept[self.held_out] = False
                kept = np.flatnonzero(kept)
                X_val = safe_indexing(X, self.held_out)
                y_val = safe_indexing(y, self.held_out)
                X, y = safe_indexing(X, kept), safe_indexing(y, kept)
            self.data = FitData(X, y, X_val, y_val)
        return self.data


def _n_rows(X):
    shape = getattr(X, "shape", None)
    return shape[0] if shape is not None else len(X)


#: The model being trained -> what its fit was given (see fit_data). Weak keys:
#: the entry goes with the private copy a fit trains, and never reaches the
#: fitted estimator (nor a pickle or checkpoint of it).
_FIT_INPUTS = weakref.WeakKeyDictionary()


@contextlib.contextmanager
def fitting(model, X, y, validation=None):
    """Within this block, :func:`fit_data` of ``model`` gives this fit's data.

    Parameters
    ----------
    model : estimator
        The model being trained (the copy the callbacks receive).
    X, y
        As given to ``fit`` or ``partial_fit``.
    validation : dict or None
        ``X_val`` and ``y_val`` as given to ``fit`` (and ``sample_weight_val``).
    """
    validation = validation or {}
    _FIT_INPUTS[model] = _FitInputs(X, y, validation.get("X_val"), validation.get("y_val"))
    try:
        yield
    finally:
        _FIT_INPUTS.pop(model, None)


def fit_data(estimator):
    """The data of the fit in progress, for a callback to score the model on.

    Parameters
    ----------
    estimator : estimator
        The model being trained, as a hook receives it.

    Returns
    -------
    data : FitData
        ``(X, y, X_val, y_val)`` as the user passed them to ``fit`` (or
        ``partial_fit``), so that ``predict`` and any scorer take them:
        ``X, y`` the rows trained on, without the rows that
        ``early_stopping`` holds out; ``X_val, y_val`` the validation set (the
        ``X_val`` given to ``fit``, or those held-out rows, in the order of
        the ``validation_score`` they give), or None when the fit has none.
        The validation set is known from ``on_fit_begin`` on.

    Raises
    ------
    ValueError
        Outside a fit (from a hook only).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skscratch import ScratchMLPClassifier
    >>> from skscratch.callbacks import Callback, fit_data
    >>> class Sizes(Callback):
    ...     def on_fit_begin(self, estimator):
    ...         data = fit_data(estimator)
    ...         self.sizes = len(data.X), len(data.X_val)
    >>> X, y = load_iris(return_X_y=True)
    >>> sizes = Sizes()
    >>> model = ScratchMLPClassifier(
    ...     early_stopping=True, validation_fraction=0.2, max_iter=3, callbacks=[sizes]
    ... )
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # 3 epochs on purpose
    ...     model = model.fit(X, y)
    >>> sizes.sizes
    (120, 30)
    """
    inputs = _FIT_INPUTS.get(estimator)
    if inputs is None:
        raise ValueError(
            "fit_data gives the data of a fit in progress: call it from a "
            "callback's hook, with the estimator the hook receives."
        )
    return inputs.fit_data()


def hold_out(model, rows):
    """Note that the fit of ``model`` holds out ``rows`` of ``X`` for validation."""
    inputs = _FIT_INPUTS.get(model)
    if inputs is not None:
        inputs.hold_out(rows)


class Monitor:
    """A column of ``history_`` that a callback watches, read as a score to maximise.

    Parameters
    ----------
    owner : callback
        The callback that watches (named in the messages).
    column : str
        A key of the records of ``history_``: ``"loss"``, ``"validation_score"``,
        ``"validation_loss"``, or one that a callback before ``owner`` adds
        (an :class:`~skscratch.callbacks.EpochScoring`'s).
    lower_is_better : bool or None, default=None
        None: True for the losses (:data:`LOSS_COLUMNS`), False for any other
        column (scikit-learn's scorers are greater-is-better, also
        ``neg_log_loss``).

    Raises
    ------
    TypeError
        When ``column`` is not a string or ``lower_is_better`` not a bool.
    """

    def __init__(self, owner, column, lower_is_better=None):
        self.owner = type(owner).__name__
        if not isinstance(column, str):
            raise TypeError(
                f"{self.owner}: monitor must name a column of history_ (a str), "
                f"not {column!r}."
            )
        if lower_is_better is None:
            lower_is_better = column in LOSS_COLUMNS
        elif not isinstance(lower_is_better, bool):
            raise TypeError(
                f"{self.owner}: lower_is_better must be True, False or None, "
                f"not {lower_is_better!r}."
            )
        self.column, self.lower_is_better = column, lower_is_better
        self._callback = owner

    def check(self, estimator):
        """ValueError, at ``on_fit_begin``, for a column this fit cannot fill in time.

        The validation columns need a validation set; a column that a later
        callback writes (``history_column()``) is not there yet when the
        owner reads it.
        """
        if self.column in ("validation_score", "validation_loss"):
            if fit_data(estimator).X_val is None:
                raise ValueError(
                    f"{self.owner}(monitor={self.column!r}) needs a validation set, and "
                    "this fit has none: pass X_val and y_val to fit, or set "
                    "early_stopping=True, or monitor 'loss'."
                )
        callbacks = list(estimator.callbacks or [])
        mine = [i for i, c in enumerate(callbacks) if c is self._callback]
        for later in callbacks[mine[0] + 1 :] if mine else []:
            column = getattr(later, "history_column", None)
            if callable(column) and column() == self.column:
                raise ValueError(
                    f"{self.owner} monitors {self.column!r}, which {later!r} writes "
                    f"after it: list {type(later).__name__} before {self.owner} in "
                    "callbacks."
                )

    def read(self, record):
        """``(value, score)``: the column's value in ``record``, and it as a score
        where greater is better (the value, negated where lower is better;
        -inf for NaN, so that a diverged epoch is never the best)."""
        value = record.get(self.column)
        if value is None:
            present = [key for key, v in record.items() if v is not None]
            raise ValueError(
                f"{self.owner}(monitor={self.column!r}): the epoch's record has no "
                f"{self.column!r}; it holds {present}. An EpochScoring's column is "
                "'<on>_<scoring>' (or its name=), and it must come before the "
                "callbacks that monitor it."
            )
        value = float(value)
        score = -value if self.lower_is_better else value
        return value, (-math.inf if math.isnan(score) else score)
