"""The callbacks skorch's users reach for: score every epoch, keep the best, log.

:class:`EpochScoring`, :class:`Checkpoint` and :class:`HistoryLogger`,
re-exported by :mod:`skscratch.callbacks`. Each reads the model being trained
and the records of its ``history_``; the data of the fit come from
:func:`~skscratch.callbacks.fit_data`.
"""

import copy
import csv
import importlib.util
import json
import math
import os
import pickle
import tempfile

import numpy as np
from sklearn.metrics import check_scoring

from .._input.categorical import fill_unknown_rows
from ..callbacks import Callback
from .support import RECORD_COLUMNS, Monitor, fit_data

_SIDES = ("train", "validation")


class EpochScoring(Callback):
    """Score the model after every epoch and write the score into ``history_``.

    Each record of ``history_`` gains the score under ``name``, so that
    :func:`~skscratch.plotting.plot_history` draws it and :class:`Checkpoint`
    or :class:`~skscratch.callbacks.EarlyStopping` (``monitor=name``) can
    watch it.

    Parameters
    ----------
    scoring : str or callable
        A scikit-learn scorer name (``"roc_auc"``, ``"neg_log_loss"``,
        ``"r2"`` ...; :func:`sklearn.metrics.get_scorer_names`) or a callable
        ``scorer(estimator, X, y)`` (e.g. from
        :func:`sklearn.metrics.make_scorer`). Greater is better.
    on : {"validation", "train"}, default="validation"
        The data scored (:func:`~skscratch.callbacks.fit_data`):
        ``"validation"`` the fit's validation set, the ``X_val`` given to
        ``fit`` or else the part that ``early_stopping`` holds out (a fit with
        neither, and ``partial_fit``, raises ValueError before training);
        ``"train"`` the rows trained on (without the held-out part). Without
        sample weights.
    name : str, default=None
        The column; by default ``"<on>_<scoring>"`` (``"validation_roc_auc"``),
        or ``"<on>_<function name>"`` for a plain function. A scorer object
        without a ``__name__`` needs one.

    Attributes
    ----------
    name_ : str
        The column of ``history_`` the scores go to.
    scores_ : list of float
        The score after each epoch of the last fit (NaN for a diverged epoch).

    Raises
    ------
    ValueError, TypeError
        At ``on_fit_begin``, before the first epoch: an unknown scorer name
        or ``on``, a column that ``history_`` already has, or no validation
        set to score.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skscratch import ScratchMLPClassifier
    >>> from skscratch.callbacks import EpochScoring
    >>> X, y = make_classification(n_samples=300, random_state=0)
    >>> model = ScratchMLPClassifier(
    ...     max_iter=200,
    ...     early_stopping=True,
    ...     random_state=0,
    ...     callbacks=[EpochScoring("roc_auc", on="train"), EpochScoring("roc_auc")],
    ... ).fit(X, y)
    >>> sorted(model.history_[-1])  # doctest: +NORMALIZE_WHITESPACE
    ['epoch', 'learning_rate', 'loss', 'seconds', 'train_roc_auc',
     'validation_loss', 'validation_roc_auc', 'validation_score']
    >>> 0.5 < model.history_[-1]["validation_roc_auc"] <= 1.0
    True
    """

    def __init__(self, scoring, on="validation", name=None):
        self.scoring = scoring
        self.on = on
        self.name = name

    def history_column(self):
        """The column this callback writes (``name_``), from its parameters.

        Raises
        ------
        ValueError, TypeError
            For an ``on`` or ``name`` that cannot be, or a callable without a
            name to go by.
        """
        if self.on not in _SIDES:
            raise ValueError(f"EpochScoring: on must be one of {_SIDES}, not {self.on!r}.")
        if self.name is not None:
            if not isinstance(self.name, str) or not self.name:
                raise TypeError(
                    f"EpochScoring: name must be a non-empty str, not {self.name!r}."
                )
            return self.name
        if isinstance(self.scoring, str):
            return f"{self.on}_{self.scoring}"
        if not callable(self.scoring):
            raise TypeError(
                "EpochScoring: scoring must be a scorer name (str) or a callable "
                f"scorer(estimator, X, y), not {self.scoring!r}."
            )
        function_name = getattr(self.scoring, "__name__", None)
        if not (isinstance(function_name, str) and function_name.isidentifier()):
            raise ValueError(
                f"EpochScoring: give a name= for the scorer {self.scoring!r}, the "
                "column of history_ its scores go to."
            )
        return f"{self.on}_{function_name}"

    def on_fit_begin(self, estimator):
        """Check the parameters and that the data to score exist."""
        self.name_ = self.history_column()
        if not (isinstance(self.scoring, str) or callable(self.scoring)):
            raise TypeError(
                "EpochScoring: scoring must be a scorer name (str) or a callable "
                f"scorer(estimator, X, y), not {self.scoring!r}."
            )
        if self.name_ in RECORD_COLUMNS:
            raise ValueError(
                f"EpochScoring: the column {self.name_!r} is one of history_'s own "
                f"{RECORD_COLUMNS}; give another name=."
            )
        for other in estimator.callbacks or []:
            column = getattr(other, "history_column", None)
            if other is not self and callable(column) and column() == self.name_:
                raise ValueError(
                    f"Two callbacks write the column {self.name_!r} of history_: give "
                    "one of them another name=."
                )
        self._scorer = check_scoring(estimator, scoring=self.scoring)
        if self.on == "validation" and fit_data(estimator).X_val is None:
            raise ValueError(
                f"EpochScoring({self.scoring!r}, on='validation') has no validation "
                "set to score: pass X_val and y_val to fit, or set early_stopping=True "
                "to hold out validation_fraction of X (partial_fit has none); or "
                "score on='train'."
            )
        self.scores_ = []

    def on_epoch_end(self, estimator, record):
        """Score the model of this epoch into ``record[name_]``."""
        if math.isfinite(record["loss"]):
            data = fit_data(estimator)
            X, y = (data.X, data.y) if self.on == "train" else (data.X_val, data.y_val)
            score = float(self._scorer(estimator, X, y))
        else:  # a diverged epoch: its weights have been replaced, its score is none
            score = math.nan
        record[self.name_] = score
        self.scores_.append(score)
        return False


_FORMATS = {"pickle": ".pkl", "skops": ".skops"}


class Checkpoint(Callback):
    """Save the model whenever a column of ``history_`` reaches its best value.

    After every epoch whose ``monitor`` value beats the best so far, the model
    is written to ``path``: the estimator as a fit ending at that epoch would
    leave it (its parameters and fitted attributes, ``callbacks=None``, no
    optimizer moments), so the file predicts as the model did at that epoch
    and trains on with ``warm_start=True`` or ``partial_fit``. The file is
    replaced atomically: an interrupted save leaves the previous one.

    Parameters
    ----------
    path : str or os.PathLike
        The file; its directory is created if missing. It may hold
        ``{epoch}`` to keep one file per improvement
        (``"checkpoints/epoch{epoch}.pkl"``).
    monitor : str, default="auto"
        The column of ``history_`` to watch. ``"auto"``: ``"validation_score"``
        when the fit has a validation set (``X_val``, or the part that
        ``early_stopping`` holds out), else ``"loss"``. Any other column:
        ``"validation_loss"``, an :class:`EpochScoring`'s (listed before the
        checkpoint).
    format : {"pickle", "skops"}, default="pickle"
        ``pickle``, or `skops <https://skops.readthedocs.io>`__ (its
        ``skops.io``), whose loading needs to trust only the estimator's class.
    lower_is_better : bool, default=None
        By default True for ``"loss"`` and ``"validation_loss"``, False for
        scores.

    Attributes
    ----------
    best_score_ : float
        The best value of the monitored column.
    best_epoch_ : int
        Its epoch (counting over ``history_``): the model in ``path_``.
    path_ : str
        The file of the best epoch.
    saved_epochs_ : list of int
        The epochs saved, in order.

    Raises
    ------
    ValueError, TypeError, ImportError
        At ``on_fit_begin``: an unknown ``format`` (skops not installed), a
        ``path`` that is not one, a ``monitor`` the fit cannot fill.

    Notes
    -----
    A fit that continues the one this checkpoint watched last (a warm start,
    the next ``partial_fit``) continues its best score, so only a better
    epoch replaces the file; a fit that starts afresh starts it afresh.

    To load a checkpoint in another session, ``pickle.load`` the file, or
    ``skops.io.load(path, trusted=[...])`` trusting the estimator's class (as
    :meth:`load` does). To train on from it, set what you want to change
    (``max_iter``, the ``callbacks``) and call ``fit`` with
    ``warm_start=True``, or ``partial_fit``: ``history_`` goes on from the
    saved epoch; Adam's (or momentum's) moments start afresh.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn.datasets import make_classification
    >>> from skscratch import ScratchMLPClassifier
    >>> from skscratch.callbacks import Checkpoint
    >>> X, y = make_classification(n_samples=300, random_state=0)
    >>> folder = tempfile.TemporaryDirectory()
    >>> checkpoint = Checkpoint(Path(folder.name) / "best.pkl")
    >>> model = ScratchMLPClassifier(
    ...     max_iter=300, early_stopping=True, random_state=0, callbacks=[checkpoint]
    ... ).fit(X, y)
    >>> best = checkpoint.load()
    >>> best.history_[-1]["validation_score"] == checkpoint.best_score_
    True
    >>> best.n_iter_ == checkpoint.best_epoch_ <= model.n_iter_
    True

    Train on from the best epoch, for 5 more epochs:

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # 5 epochs, cut short on purpose
    ...     best = best.set_params(warm_start=True, max_iter=5).fit(X, y)
    >>> len(best.history_) == checkpoint.best_epoch_ + 5
    True
    >>> folder.cleanup()
    """

    def __init__(self, path, monitor="auto", format="pickle", lower_is_better=None):
        self.path = path
        self.monitor = monitor
        self.format = format
        self.lower_is_better = lower_is_better

    def on_fit_begin(self, estimator):
        """Check the parameters; start the best score afresh, or go on with it."""
        if self.format not in _FORMATS:
            raise ValueError(
                f"Checkpoint: format must be one of {tuple(_FORMATS)}, not {self.format!r}."
            )
        if self.format == "skops" and importlib.util.find_spec("skops") is None:
            raise ImportError(
                "Checkpoint(format='skops') needs skops: pip install skops (or use "
                "format='pickle')."
            )
        self._template = _path_template(self.path)
        column = self.monitor
        if column == "auto":
            has_validation = fit_data(estimator).X_val is not None
            column = "validation_score" if has_validation else "loss"
        self._monitor = Monitor(self, column, self.lower_is_better)
        self._monitor.check(estimator)
        history = estimator.history_
        if not (history and getattr(self, "_last_record", None) == history[-1]):
            self.best_score_, self.best_epoch_ = None, None
            self.path_, self.saved_epochs_ = None, []
            self._best = -math.inf
        directory = os.path.dirname(os.path.abspath(self._template.format(epoch=0)))
        os.makedirs(directory, exist_ok=True)

    def on_epoch_end(self, estimator, record):
        """Save the model if this epoch's value is the best so far."""
        value, score = self._monitor.read(record)
        if score > self._best:
            path = self._template.format(epoch=record["epoch"])
            _write_atomically(path, self._serialize(saved_model(estimator)))
            self._best, self.best_score_, self.best_epoch_ = score, value, record["epoch"]
            self.path_ = path
            self.saved_epochs_.append(record["epoch"])
            self._class = type(estimator)
        self._last_record = dict(record)
        return False

    def on_fit_end(self, estimator):
        # The record as it was committed: later callbacks may have added columns.
        if estimator.history_:
            self._last_record = dict(estimator.history_[-1])

    def _serialize(self, model):
        if self.format == "skops":
            import skops.io

            return skops.io.dumps(model)
        return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)

    def load(self, trusted=None):
        """The model of the best epoch, read back from ``path_``.

        Parameters
        ----------
        trusted : list of str, default=None
            For ``format="skops"``: the types to trust; by default the
            estimator's class alone (add those of a callable parameter,
            e.g. a ``learning_rate`` function, after checking them with
            ``skops.io.get_untrusted_types``).

        Returns
        -------
        model : estimator
            Fitted, with ``callbacks=None``.

        Raises
        ------
        ValueError
            When no fit has saved a model yet.
        """
        if getattr(self, "path_", None) is None:
            raise ValueError("This Checkpoint has saved no model yet: fit with it first.")
        with open(self.path_, "rb") as file:
            data = file.read()
        if self.format == "pickle":
            return pickle.loads(data)
        import skops.io

        if trusted is None:
            trusted = [f"{self._class.__module__}.{self._class.__qualname__}"]
        return skops.io.loads(data, trusted=trusted)


def saved_model(estimator):
    """The model being trained as a fit ending now would leave it, to save.

    A new estimator with the parameters and fitted attributes of
    ``estimator``, its own copy of the weights (``layers_``), and nothing of
    the fit in progress: ``callbacks=None`` (they hold files, data and the
    state of this run) and no optimizer moments (those on the model being
    trained are the previous fit's; a warm start from the copy starts them
    afresh). The unknown category's embeddings are set as the end of a fit
    sets them.

    Parameters
    ----------
    estimator : ScratchMLPClassifier or ScratchMLPRegressor
        The model a hook receives.

    Returns
    -------
    model : estimator
    """
    state = dict(vars(estimator))
    state["callbacks"] = None
    state["layers_"] = copy.deepcopy(state["layers_"])
    state["history_"] = copy.deepcopy(state.get("history_", []))
    if "_optimizer_state" in state:
        state["_optimizer_state"] = None
    model = object.__new__(type(estimator))
    vars(model).update(state)
    tables = model.embeddings_
    if tables:
        fill_unknown_rows(tables, model._category_counts)
    return model


def _path(path):
    """``path`` as a string; TypeError for anything but a str or text path."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"The path must be a str or os.PathLike, not {path!r}.")
    path = os.fspath(path)
    if not isinstance(path, str) or not path:
        raise TypeError(f"The path must be a non-empty str path, not {path!r}.")
    return path


def _path_template(path):
    """``path`` as a string whose only format field may be ``{epoch}``."""
    template = _path(path)
    try:
        template.format(epoch=0)
    except (KeyError, IndexError, ValueError) as error:
        raise ValueError(
            f"The path {template!r} may hold the field {{epoch}} and no other "
            f"(double other braces): {error!r}."
        ) from None
    return template


def _write_atomically(path, data):
    """Write ``data`` to ``path`` through a temporary file in its directory."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


class HistoryLogger(Callback):
    """Append each epoch's record of ``history_`` to a CSV or JSON-lines file.

    One row per epoch, written and flushed (the file closed) when the epoch
    ends, so the file can be followed while the model trains, and holds every
    finished epoch if the fit is interrupted.

    Parameters
    ----------
    path : str or os.PathLike
    format : {"csv", "jsonl"}, default="csv"
        ``"csv"``: a header of the first record's columns, then one row per
        epoch; an empty cell for None (and for a column a later record lacks;
        a column that appears later is not written). ``"jsonl"``: one JSON
        object per line with every column; null for None and for a
        non-finite number (a diverged epoch's loss).

    Notes
    -----
    A fit that starts afresh starts the file afresh; one that continues
    (``warm_start``, ``partial_fit``, ``history_`` already holding epochs)
    appends to it, under the CSV header already there. List the logger after
    the callbacks whose columns it should log (an :class:`EpochScoring`
    listed after it raises ValueError at ``on_fit_begin``).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn.datasets import load_iris
    >>> from skscratch import ScratchMLPClassifier
    >>> from skscratch.callbacks import HistoryLogger
    >>> X, y = load_iris(return_X_y=True)
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "history.csv"
    >>> model = ScratchMLPClassifier(max_iter=5, callbacks=[HistoryLogger(path)])
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # 5 epochs, cut short on purpose
    ...     model = model.fit(X, y)
    >>> lines = path.read_text().splitlines()
    >>> lines[0]
    'epoch,loss,validation_score,learning_rate,seconds'
    >>> len(lines)
    6
    >>> folder.cleanup()
    """

    _FORMATS = ("csv", "jsonl")

    def __init__(self, path, format="csv"):
        self.path = path
        self.format = format

    def on_fit_begin(self, estimator):
        """Check the parameters; empty the file unless the fit continues one."""
        if self.format not in self._FORMATS:
            raise ValueError(
                f"HistoryLogger: format must be one of {self._FORMATS}, not "
                f"{self.format!r}."
            )
        self._path = _path(self.path)
        callbacks = list(estimator.callbacks or [])
        mine = [i for i, c in enumerate(callbacks) if c is self]
        for later in callbacks[mine[0] + 1 :] if mine else []:
            if callable(getattr(later, "history_column", None)):
                raise ValueError(
                    f"HistoryLogger comes before {later!r}, whose column it would not "
                    "log: list the logger after it in callbacks."
                )
        self._fields = None
        if estimator.history_ and os.path.exists(self._path):
            if self.format == "csv":
                with open(self._path, newline="", encoding="utf-8") as file:
                    self._fields = next(csv.reader(file), None)
        else:
            with open(self._path, "w", encoding="utf-8"):
                pass  # a fresh fit, a fresh file

    def on_epoch_end(self, estimator, record):
        """Append the record."""
        with open(self._path, "a", newline="", encoding="utf-8") as file:
            if self.format == "jsonl":
                plain = {key: _json_value(value) for key, value in record.items()}
                file.write(json.dumps(plain) + "\n")
                return False
            header = self._fields is None
            if header:
                self._fields = list(record)
            writer = csv.DictWriter(
                file, self._fields, restval="", extrasaction="ignore", lineterminator="\n"
            )
            if header:
                writer.writeheader()
            writer.writerow({key: "" if v is None else v for key, v in record.items()})
        return False


def _json_value(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
