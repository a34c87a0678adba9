"""
============================================
Loss and validation curves from ``history_``
============================================

Every fit records one entry per epoch in ``history_``: the epoch, the training
loss, the validation score (with ``early_stopping=True``), the learning rate and
the seconds it took. :func:`skscratch.plotting.plot_history` draws the first
two; the entries are plain dictionaries, so any plot can be made from them.

With ``early_stopping=True`` a ``validation_fraction`` of the training data is
held out, its score is computed after every epoch, and training stops once the
score has not improved on the best so far by at least ``tol`` for
``n_iter_no_change + 1`` epochs in a row; the weights of the best epoch are kept.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skscratch import ScratchMLPClassifier
from skscratch.plotting import plot_history

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

# %%
# Early stopping, epoch by epoch
# ------------------------------
model = ScratchMLPClassifier(
    (64,),
    early_stopping=True,
    validation_fraction=0.2,
    n_iter_no_change=10,
    learning_rate_init=0.003,
    max_iter=300,
    random_state=0,
).fit(X_train, y_train)
print("the first three records of history_:")
columns = list(model.history_[0])
print("  ".join(f"{key:>8}" for key in columns))
for record in model.history_[:3]:
    print("  ".join(f"{record[key]:>{max(8, len(key))}.4g}" for key in columns))
best_epoch = 1 + int(np.argmax(model.validation_scores_))
print(
    f"best validation score {model.best_validation_score_:.4f} at epoch {best_epoch}, "
    f"whose weights are kept;\nstopped after epoch {model.n_iter_}, "
    f"n_iter_no_change + 1 = {model.n_iter_no_change + 1} epochs later"
)
print(f"test accuracy {model.score(X_test, y_test):.3f}")

# %%
# Three optimizers, one loss curve each
# -------------------------------------
# The same network trained for 100 epochs by plain SGD with momentum, by Adam
# and by RMSprop, each at a learning rate that suits it.
solvers = {"sgd": 0.1, "adam": 0.003, "rmsprop": 0.003}
curves = {}
for solver, rate in solvers.items():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 100 epochs on purpose
        fitted = ScratchMLPClassifier(
            (64,), solver=solver, learning_rate_init=rate, max_iter=100, random_state=0
        ).fit(X_train, y_train)
    curves[solver] = [record["loss"] for record in fitted.history_]
    print(
        f"{solver:<8} final loss {curves[solver][-1]:.4f}, test accuracy "
        f"{fitted.score(X_test, y_test):.3f}"
    )

# %%
# The curves
# ----------
# Left: ``plot_history`` of the early-stopped fit, the training loss with the
# validation accuracy on a second axis, and the best epoch marked. Right: the
# three optimizers' training losses.
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.3), layout="constrained")
plot_history(model, ax=left)
left.right_ax.axvline(best_epoch, color="0.5", ls=":", label=f"best epoch ({best_epoch})")
left.right_ax.legend(loc="center right")
left.set_title("early_stopping=True: loss and validation score")
for solver, losses in curves.items():
    right.plot(range(1, len(losses) + 1), losses, label=f"{solver}, lr {solvers[solver]}")
right.set_yscale("log")
right.set_xlabel("epoch")
right.set_ylabel("training loss")
right.set_title("history_ of three solvers")
right.legend()
plt.show()
