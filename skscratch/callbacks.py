"""Callbacks: objects that hook into training without subclassing an estimator.

A callback defines any of ``on_fit_begin(estimator)``,
``on_epoch_end(estimator, record)`` (return True to stop training) and
``on_fit_end(estimator)``, and is passed in the estimators' ``callbacks``
list. ``record`` is the entry just appended to ``history_``.
"""

import sys
import time


class ProgressBar:
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
            (self.file or sys.stderr).write("\r" + line)
        return False

    def on_fit_end(self, estimator):
        """Close the bar (or end the text line)."""
        if self._bar is not None:
            self._bar.close()
        else:
            (self.file or sys.stderr).write("\n")
