"""Callbacks: objects that hook into training without subclassing an estimator.

A callback defines any of the hooks

* ``on_fit_begin(estimator)``, once the data is validated and the network built;
* ``on_epoch_begin(estimator)``;
* ``on_epoch_end(estimator, record)``, ``record`` being the entry just
  appended to ``history_``; return True to stop training;
* ``on_fit_end(estimator)``, after the last epoch,

and is passed in the estimators' ``callbacks`` list. ``estimator`` is the
model being trained: it predicts with the weights of the epoch just ended, and
its fitted attributes (``n_iter_``, ``loss_curve_``, ``history_``,
``coefs_`` ...) agree with them. It is a private copy of the estimator that
``fit`` commits to the estimator once training has succeeded (so a fit that
raises leaves the estimator as it was). The built-in rules (divergence guard,
no improvement, early stopping) run on the same hooks, before the user's
callbacks; :class:`EarlyStopping` here is one on a score of your own.
:func:`copy_weights` and :func:`restore_weights` keep and bring back the
weights of an epoch, and :func:`fit_data` gives the data of the fit in
progress. Subclassing :class:`Callback` gives no-op defaults for the hooks a
callback leaves out; any object with at least one of the hooks works too.

skorch's everyday callbacks: :class:`EpochScoring` writes any scikit-learn
scorer, on the training or the validation data, into ``history_`` every
epoch; :class:`Checkpoint` saves the model whenever a column of ``history_``
improves; :class:`HistoryLogger` appends ``history_`` to a CSV or JSON-lines
file epoch by epoch.
"""

import copy
import sys
import time

import numpy as np
from sklearn.metrics import check_scoring

from ._callbacks.support import FitData, Monitor, fit_data, hold_out
from .core.layers import walk_records

__all__ = [
    "HOOKS",
    "Callback",
    "Checkpoint",
    "EarlyStopping",
    "EpochScoring",
    "FitData",
    "HistoryLogger",
    "Hooks",
    "ProgressBar",
    "check_callbacks",
    "copy_weights",
    "epochs_without_improvement",
    "fit_data",
    "restore_weights",
]

HOOKS = ("on_fit_begin", "on_epoch_begin", "on_epoch_end", "on_fit_end")


class Callback:
    """Base class of callbacks: every hook does nothing until overridden.

    Examples
    --------
    Stop once the training loss is below 0.1:

    >>> from sklearn.datasets import load_iris
    >>> from skscratch import ScratchMLPClassifier
    >>> from skscratch.callbacks import Callback
    >>> class StopBelow(Callback):
    ...     def on_epoch_end(self, estimator, record):
    ...         return record["loss"] < 0.1
    >>> X, y = load_iris(return_X_y=True)
    >>> model = ScratchMLPClassifier(
    ...     learning_rate_init=0.01, max_iter=1000, random_state=0, callbacks=[StopBelow()]
    ... ).fit(X, y)
    >>> bool(model.loss_ < 0.1) and model.n_iter_ < 1000
    True
    """

    def on_fit_begin(self, estimator):
        """Called once before training, with the initial weights in place."""

    def on_epoch_begin(self, estimator):
        """Called before every epoch (L-BFGS: not called)."""

    def on_epoch_end(self, estimator, record):
        """Called after every epoch (L-BFGS iteration); return True to stop training."""
        return False

    def on_fit_end(self, estimator):
        """Called once after the last epoch, with the fitted attributes set."""


def check_callbacks(callbacks):
    """The ``callbacks`` parameter as a list; TypeError for an object with no hook.

    Parameters
    ----------
    callbacks : list or None

    Returns
    -------
    callbacks : list
    """
    callbacks = list(callbacks or [])
    for callback in callbacks:
        if not any(callable(getattr(callback, hook, None)) for hook in HOOKS):
            raise TypeError(f"Callback {callback!r} has none of the methods {HOOKS}.")
    return callbacks


class Hooks:
    """The hooks of one fit: its callbacks in order, and the model they see.

    The training loop calls ``hooks(name, *args)``; it never sees the
    estimator.

    Parameters
    ----------
    callbacks : list
        Callbacks in the order they are called.
    model : estimator, default=None
        What the hooks receive first: the model being trained.
    publish : callable, default=None
        Called before each hook to bring the model's fitted attributes up to
        date (the estimator passes it where user callbacks would read them).
    """

    def __init__(self, callbacks=(), model=None, publish=None):
        self.callbacks = list(callbacks)
        self.model = model
        self.publish = publish
        self._methods = {
            hook: [getattr(c, hook) for c in self.callbacks if hasattr(c, hook)]
            for hook in HOOKS
        }

    def after(self, rules):
        """These hooks with ``rules`` (callbacks) called before the others."""
        return Hooks([*rules, *self.callbacks], self.model, self.publish)

    def __call__(self, hook, *args):
        """Call ``hook`` on every callback that has it; True if one asked to stop."""
        methods = self._methods[hook]
        if not methods:
            return False
        if self.publish is not None:
            self.publish()
        stop = False
        for method in methods:
            stop = bool(method(self.model, *args)) or stop
        return stop

    def hold_out(self, rows):
        """Tell :func:`fit_data` which rows of ``X`` the fit holds out for validation.

        Parameters
        ----------
        rows : ndarray of int
            The indices of the held-out rows, in the validation set's order.
        """
        hold_out(self.model, rows)


def copy_weights(estimator):
    """A copy of the estimator's trained weights and state (its ``layers_``).

    Take it at ``on_epoch_end`` to keep that epoch's model; give it to
    :func:`restore_weights` to bring the model back.

    Parameters
    ----------
    estimator : ScratchMLPClassifier or ScratchMLPRegressor
        Fitted, or being fitted.

    Returns
    -------
    weights : list of dict
        The layer records, with copies of their arrays.
    """
    return copy.deepcopy(estimator.layers_)


def restore_weights(estimator, weights):
    """Copy weights from :func:`copy_weights` back into the estimator, in place.

    During a fit (at any hook) the training goes on from them; after it,
    the fitted model predicts with them.

    Raises
    ------
    ValueError
        When ``weights`` are of other layers than the estimator's.
    """
    own, given = _arrays(estimator.layers_), _arrays(weights)
    if [a.shape for a in own] != [a.shape for a in given]:
        raise ValueError(
            "These weights are of other layers than the estimator's: shapes "
            f"{[a.shape for a in given]} against {[a.shape for a in own]}."
        )
    for array, value in zip(own, given):
        array[...] = value


def _arrays(records):
    return [
        array
        for record in walk_records(records)
        for group in ("params", "state")
        for array in record[group].values()
    ]


def epochs_without_improvement(score, best_score, count, tol):
    """The early-stopping count after an epoch that scored ``score``.

    The rule of the estimators' ``early_stopping`` and of
    :class:`EarlyStopping`: an epoch whose score is not above the best so far
    plus ``tol`` adds one to ``count``, any other resets it to 0; training
    stops once the count exceeds the patience (``n_iter_no_change``).

    Returns
    -------
    count : int
    """
    return count + 1 if score < best_score + tol else 0


class EarlyStopping(Callback):
    """Stop when a validation score stops improving; keep the best weights.

    After every epoch the model is scored on ``(X_val, y_val)`` with
    ``scoring``, or the score is read from the column ``monitor`` of
    ``history_`` (an :class:`EpochScoring`'s, or ``"validation_loss"`` ...);
    training stops when the score has not beaten the best one by more than
    ``tol`` for more than ``patience`` epochs (the rule of the estimators' own
    ``early_stopping``, ``n_iter_no_change`` and ``tol``), and at the end the
    weights of the best-scoring epoch come back.

    Parameters
    ----------
    X_val : array-like of shape (n_samples, n_features), default=None
        Validation data, as ``predict`` takes it. Needed unless ``monitor``
        is given.
    y_val : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
    scoring : str, callable or None, default=None
        A scikit-learn scorer name (e.g. ``"roc_auc"``, ``"neg_log_loss"``), a
        callable ``scorer(estimator, X, y)`` (e.g. from
        :func:`sklearn.metrics.make_scorer`), or None for the estimator's
        ``score``. Greater is better.
    patience : int, default=10
    tol : float, default=0.0
    restore_best_weights : bool, default=True
    monitor : str, default=None
        Instead of ``X_val``, ``y_val`` and ``scoring``: a column of
        ``history_`` to watch, written before this callback runs (list an
        :class:`EpochScoring` before it).
    lower_is_better : bool, default=None
        With ``monitor``: whether lower values are better; by default only
        for ``"loss"`` and ``"validation_loss"``.

    Attributes
    ----------
    scores_ : list of float
        The score (or the monitored value) after each epoch of the last fit.
    best_score_ : float
    best_epoch_ : int
        The epoch (counting from 1 over ``history_``) whose weights are kept.

    Raises
    ------
    ValueError
        At ``on_fit_begin``: neither ``X_val`` and ``y_val`` nor ``monitor``
        given, or both; or a ``monitor`` the fit cannot fill
        (``"validation_score"`` without a validation set, an
        :class:`EpochScoring`'s column listed after this callback).

    Examples
    --------
    Early stopping on ROC AUC, keeping the best epoch's weights:

    >>> from sklearn.datasets import make_classification
    >>> from sklearn.model_selection import train_test_split
    >>> from skscratch import ScratchMLPClassifier
    >>> from skscratch.callbacks import EarlyStopping
    >>> X, y = make_classification(n_samples=600, random_state=0)
    >>> X, X_val, y, y_val = train_test_split(X, y, random_state=0)
    >>> stop = EarlyStopping(X_val, y_val, scoring="roc_auc", patience=5)
    >>> model = ScratchMLPClassifier(max_iter=500, random_state=0, callbacks=[stop])
    >>> model = model.fit(X, y)
    >>> model.n_iter_ < 500 and max(stop.scores_) == stop.best_score_
    True

    The same on the column an :class:`EpochScoring` writes, scored on the
    validation set given to ``fit``:

    >>> from skscratch.callbacks import EpochScoring
    >>> auc = EpochScoring("roc_auc", on="validation")
    >>> by_column = EarlyStopping(monitor="validation_roc_auc", patience=5)
    >>> model = ScratchMLPClassifier(
    ...     max_iter=500, random_state=0, callbacks=[auc, by_column]
    ... ).fit(X, y, X_val=X_val, y_val=y_val)
    >>> by_column.best_epoch_ == stop.best_epoch_
    True
    """

    def __init__(
        self,
        X_val=None,
        y_val=None,
        scoring=None,
        patience=10,
        tol=0.0,
        restore_best_weights=True,
        monitor=None,
        lower_is_better=None,
    ):
        self.X_val, self.y_val = X_val, y_val
        self.scoring = scoring
        self.patience, self.tol = patience, tol
        self.restore_best_weights = restore_best_weights
        self.monitor, self.lower_is_better = monitor, lower_is_better

    def on_fit_begin(self, estimator):
        self._monitor = self._scorer = None
        own_data = (self.X_val, self.y_val, self.scoring)
        if self.monitor is not None:
            if any(value is not None for value in own_data):
                raise ValueError(
                    "EarlyStopping takes either monitor (a column of history_) or "
                    "X_val, y_val and scoring to score the model itself, not both."
                )
            self._monitor = Monitor(self, self.monitor, self.lower_is_better)
            self._monitor.check(estimator)
        elif self.X_val is None or self.y_val is None:
            raise ValueError(
                "EarlyStopping needs X_val and y_val to score the model on, or "
                "monitor, a column of history_ (an EpochScoring's, 'validation_loss' ...)."
            )
        elif self.lower_is_better is not None:
            raise ValueError(
                "lower_is_better goes with monitor; scikit-learn's scorers are "
                "greater-is-better."
            )
        else:
            self._scorer = check_scoring(estimator, scoring=self.scoring)
        lower = self._monitor is not None and self._monitor.lower_is_better
        self.scores_, self.best_epoch_ = [], None
        self.best_score_ = np.inf if lower else -np.inf
        self._best, self._best_weights, self._count = -np.inf, None, 0

    def on_epoch_end(self, estimator, record):
        if self._monitor is not None:
            value, score = self._monitor.read(record)
        else:
            value = score = float(self._scorer(estimator, self.X_val, self.y_val))
        self.scores_.append(value)
        self._count = epochs_without_improvement(score, self._best, self._count, self.tol)
        if score > self._best:
            self._best, self.best_score_, self.best_epoch_ = score, value, record["epoch"]
            self._best_weights = copy_weights(estimator)
        return self._count > self.patience

    def on_fit_end(self, estimator):
        if self.restore_best_weights and self._best_weights is not None:
            restore_weights(estimator, self._best_weights)


class ProgressBar(Callback):
    """Show the progress of a fit: a tqdm bar if tqdm is installed, else a text line.

    Parameters
    ----------
    file : file-like, default=None
        Where to write; ``sys.stderr`` by default.
    use_tqdm : bool or None, default=None
        Force tqdm on or off; by default use it when it can be imported.

    Examples
    --------
    >>> import io
    >>> from sklearn.datasets import load_iris
    >>> from skscratch import ScratchMLPClassifier
    >>> from skscratch.callbacks import ProgressBar
    >>> X, y = load_iris(return_X_y=True)
    >>> out = io.StringIO()
    >>> model = ScratchMLPClassifier(
    ...     solver="lbfgs", max_iter=5, callbacks=[ProgressBar(out, use_tqdm=False)]
    ... )
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # lbfgs stops at max_iter=5 on purpose
    ...     model = model.fit(X, y)
    >>> out.getvalue().splitlines()[-1].startswith("epoch 5/5")
    True
    """

    def __init__(self, file=None, use_tqdm=None):
        self.file = file
        self.use_tqdm = use_tqdm

    def on_fit_begin(self, estimator):
        """Open the bar; its length is ``max_iter``."""
        self._total = estimator.max_iter
        self._started = time.perf_counter()
        self._bar = None
        self._width = 0  # of the last text line, to blank what a shorter one leaves
        if self.use_tqdm is not False:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                if self.use_tqdm:
                    raise
            else:
                self._bar = tqdm(total=self._total, file=self.file, unit="epoch")

    def on_epoch_end(self, estimator, record):
        """Advance by one epoch and show the loss (and validation score)."""
        text = f"loss {record['loss']:.4g}"
        if record["validation_score"] is not None:
            text += f", validation {record['validation_score']:.4f}"
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix_str(text)
        else:
            elapsed = time.perf_counter() - self._started
            line = f"epoch {record['epoch']}/{self._total}  {text}  {elapsed:.1f}s"
            padding = " " * max(0, self._width - len(line))
            self._width = len(line)
            (self.file or sys.stderr).write("\r" + line + padding)
        return False

    def on_fit_end(self, estimator):
        """Close the bar (or end the text line)."""
        if self._bar is not None:
            self._bar.close()
        else:
            (self.file or sys.stderr).write("\n")


# The callbacks of skorch's habits live in a module of their own; they build on
# the names above, so they are imported once those are defined.
from ._callbacks.library import Checkpoint, EpochScoring, HistoryLogger  # noqa: E402
