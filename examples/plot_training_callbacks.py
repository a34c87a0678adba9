"""
=================================================
Score, keep the best and log: training callbacks
=================================================

Three callbacks of :mod:`skscratch.callbacks` that skorch's users know, each
reading the model being trained after every epoch:

* :class:`~skscratch.callbacks.EpochScoring` scores it with any scikit-learn
  scorer, here ROC AUC on the training rows and on the validation set, and
  writes the scores into ``history_``;
* :class:`~skscratch.callbacks.Checkpoint` saves it to a file whenever the
  validation ROC AUC is the best so far;
* :class:`~skscratch.callbacks.HistoryLogger` appends each epoch's record of
  ``history_`` to a CSV file, which can be followed while the model trains.

:class:`~skscratch.callbacks.EarlyStopping` watches the same ROC AUC column
and stops training ten epochs after its best. The files go to a temporary
directory.
"""

import csv
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from skscratch import ScratchMLPClassifier
from skscratch.callbacks import Checkpoint, EarlyStopping, EpochScoring, HistoryLogger
from skscratch.plotting import plot_history

# A small, noisy problem, so that a wide network starts to overfit.
X, y = make_classification(
    n_samples=1200, n_features=20, n_informative=6, flip_y=0.1, random_state=0
)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=600, random_state=0)
X_train, X_val, y_train, y_val = train_test_split(
    X_train, y_train, test_size=200, random_state=0
)
folder = tempfile.TemporaryDirectory()
directory = Path(folder.name)

# %%
# Four callbacks, in the order they run
# -------------------------------------
# The scorers come first, so that their columns are in the epoch's record when
# early stopping, the checkpoint and the logger read it. ``EpochScoring`` on
# ``"validation"`` scores the ``X_val`` given to ``fit`` (or, with
# ``early_stopping=True``, the part of ``X`` held out).
callbacks = [
    EpochScoring("roc_auc", on="train"),
    EpochScoring("roc_auc", on="validation"),
    EarlyStopping(monitor="validation_roc_auc", patience=10),
    Checkpoint(directory / "best.pkl", monitor="validation_roc_auc"),
    HistoryLogger(directory / "history.csv"),
]
_, _, stop, checkpoint, logger = callbacks
model = ScratchMLPClassifier(
    (128, 128), learning_rate_init=0.003, max_iter=200, random_state=0, callbacks=callbacks
)
model.fit(X_train, y_train, X_val=X_val, y_val=y_val)
print(
    f"stopped after epoch {model.n_iter_}; best validation ROC AUC "
    f"{stop.best_score_:.4f} at epoch {stop.best_epoch_}"
)
print(f"checkpoints written at epochs {checkpoint.saved_epochs_}")

# %%
# The log file
# ------------
# One row per epoch, written (and flushed) as the epoch ended.
with open(directory / "history.csv", newline="") as file:
    rows = list(csv.DictReader(file))
print(f"history.csv: {len(rows)} rows; the first three and the last:")
columns = ["epoch", "loss", "validation_loss", "train_roc_auc", "validation_roc_auc"]
print("  ".join(f"{name:>18}" for name in columns))
for row in [*rows[:3], rows[-1]]:
    print("  ".join(f"{float(row[name]):>18.4g}" for name in columns))

# %%
# Load the checkpoint, and train on from it
# -----------------------------------------
# The file holds the model of the best epoch as a fit ending there would leave
# it, with ``callbacks=None``: it predicts as the model did at that epoch, and
# as the fitted model does, which early stopping brought back to that epoch's
# weights. With ``warm_start=True`` it trains on from there, its ``history_``
# going on from the saved epoch; this time the log is JSON lines.
best = checkpoint.load()
for name, fitted in [("checkpoint", best), ("fitted model", model)]:
    auc = roc_auc_score(y_test, fitted.predict_proba(X_test)[:, 1])
    print(f"{name:>12}: weights of epoch {stop.best_epoch_}, test ROC AUC {auc:.4f}")

best.set_params(
    warm_start=True,
    learning_rate_init=0.0003,
    max_iter=15,
    callbacks=[
        EpochScoring("roc_auc"),
        HistoryLogger(directory / "continued.jsonl", format="jsonl"),
    ],
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # 15 epochs on purpose
    best.fit(X_train, y_train, X_val=X_val, y_val=y_val)
auc = roc_auc_score(y_test, best.predict_proba(X_test)[:, 1])
print(
    f"trained on at a tenth of the rate, epochs {checkpoint.best_epoch_ + 1} to "
    f"{len(best.history_)}: test ROC AUC {auc:.4f}"
)
with open(directory / "continued.jsonl") as file:
    print("continued.jsonl, its first line:", file.readline().strip())

# %%
# The curves
# ----------
# :func:`~skscratch.plotting.plot_history` draws the losses, and the scores
# ``EpochScoring`` added on the second axis; the dots mark the epochs the
# checkpoint saved.
fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
plot_history(model, ax=ax)
scores = [record["validation_roc_auc"] for record in model.history_]
ax.right_ax.plot(
    checkpoint.saved_epochs_,
    [scores[epoch - 1] for epoch in checkpoint.saved_epochs_],
    "o",
    color="k",
    markersize=4,
    label="checkpoint saved",
)
ax.right_ax.axvline(stop.best_epoch_, color="0.5", ls=":")
ax.right_ax.legend(loc="center right")
ax.set_title("ROC AUC per epoch; early stopping and checkpoints on the validation AUC")
plt.show()

folder.cleanup()
