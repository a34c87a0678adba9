"""Callbacks: objects that hook into training without subclassing an estimator.

A callback defines any of ``on_fit_begin(estimator)``,
``on_epoch_end(estimator, record)`` (return True to stop training) and
``on_fit_end(estimator)``, and is passed in the estimators' ``callbacks``
list. ``record`` is the entry just appended to ``history_``. Subclassing
:class:`Callback` gives no-op defaults for the hooks a callback leaves out;
any object with at least one of the hooks works too.
"""

import sys
import time

HOOKS = ("on_fit_begin", "on_epoch_end", "on_fit_end")


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
        """Called once before training, after the data has been validated."""

    def on_epoch_end(self, estimator, record):
        """Called after every epoch (L-BFGS iteration); return True to stop training."""
        return False

    def on_fit_end(self, estimator):
        """Called once after a successful fit, with the fitted attributes set."""


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


def notify(callbacks, hook, estimator, *args):
    """Call ``hook`` on every callback that has it; True if one of them asked to stop.

    Every callback is called, also after one has asked to stop.

    Parameters
    ----------
    callbacks : list
    hook : {"on_fit_begin", "on_epoch_end", "on_fit_end"}
    estimator : estimator
        Passed to the hook first.
    *args
        Passed after the estimator (the epoch's record for ``on_epoch_end``).

    Returns
    -------
    stop : bool
    """
    stop = False
    for callback in callbacks:
        method = getattr(callback, hook, None)
        if method is not None:
            stop = bool(method(estimator, *args)) or stop
    return stop


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
