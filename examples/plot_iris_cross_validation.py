"""
=========================================
Cross-validation on Iris, next to sklearn
=========================================

Five-fold cross-validation of :class:`skscratch.ScratchMLPClassifier` and of
scikit-learn's :class:`~sklearn.neural_network.MLPClassifier` on the Iris data,
each behind a :class:`~sklearn.preprocessing.StandardScaler` in a pipeline.

This is the first experiment of the from-scratch network skscratch grew out of
(a hand-written ``(4, 5, 3)`` network that reached 95% on Iris), done with
``fit`` inside scikit-learn's cross-validation. Both models get the same
parameters and the same folds. skscratch draws its initial weights from the same
random stream as scikit-learn, so the two agree fold by fold; the table also
shows how long each fit took, and the figure the accuracies and the loss curves.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_iris
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier

X, y = load_iris(return_X_y=True)
cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
params = {"hidden_layer_sizes": (10,), "max_iter": 2000, "random_state": 0}
models = {"skscratch": ScratchMLPClassifier, "sklearn": MLPClassifier}

# %%
# Cross-validate both models
# --------------------------
# ``cross_validate`` returns the test accuracy and the fit time of every fold;
# ``return_estimator`` keeps the fitted pipelines, to read ``n_iter_`` from.
results = {}
for name, model in models.items():
    pipeline = make_pipeline(StandardScaler(), model(**params))
    results[name] = cross_validate(pipeline, X, y, cv=cv, return_estimator=True)


def epochs(result):
    """Epochs each fold's MLP ran before it stopped."""
    return [pipeline[-1].n_iter_ for pipeline in result["estimator"]]


# %%
# Fold by fold
# ------------
ours, theirs = results["skscratch"], results["sklearn"]
print("fold  accuracy            epochs              fit time (s)")
print("      skscratch sklearn   skscratch sklearn   skscratch sklearn")
for fold, (a, b, c, d, e, f) in enumerate(
    zip(
        ours["test_score"],
        theirs["test_score"],
        epochs(ours),
        epochs(theirs),
        ours["fit_time"],
        theirs["fit_time"],
    )
):
    print(f"{fold:>4}  {a:>9.3f} {b:>7.3f}   {c:>9d} {d:>7d}   {e:>9.3f} {f:>7.3f}")

# %%
# Summary
# -------
print()
for name, result in results.items():
    scores = result["test_score"]
    print(
        f"{name:<9}  accuracy {scores.mean():.3f} ± {scores.std():.3f}  "
        f"mean fit time {result['fit_time'].mean():.3f} s"
    )
speed_up = theirs["fit_time"].mean() / ours["fit_time"].mean()
same = np.array_equal(ours["test_score"], theirs["test_score"])
print(f"\nsklearn's fit time / skscratch's: {speed_up:.2f}x")
print(f"same accuracy on every fold: {same}")

# %%
# The figure
# ----------
# Left, the accuracy of each fold; right, the training loss of each fold's
# network epoch by epoch (``loss_curve_``): skscratch's curves (solid) lie on
# scikit-learn's (dashed), since both run the same arithmetic from the same
# starting weights.
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
folds = np.arange(cv.get_n_splits())
left.bar(folds - 0.2, ours["test_score"], width=0.4, label="skscratch")
left.bar(folds + 0.2, theirs["test_score"], width=0.4, label="scikit-learn")
left.set_xticks(folds, [f"fold {k}" for k in folds])
left.set_ylim(0.8, 1.01)
left.set_ylabel("test accuracy")
left.set_title("5-fold cross-validation on Iris")
left.legend(loc="lower right")
for fold, (a, b) in enumerate(zip(ours["estimator"], theirs["estimator"])):
    color = f"C{fold}"
    right.plot(a[-1].loss_curve_, color=color, lw=2.5, alpha=0.6, label=f"fold {fold}")
    right.plot(b[-1].loss_curve_, color="black", lw=0.8, ls="--")
right.plot([], [], color="black", lw=0.8, ls="--", label="scikit-learn")
right.set_yscale("log")
right.set_xlabel("epoch")
right.set_ylabel("training loss (log-loss)")
right.set_title("loss_curve_: skscratch (colour) and scikit-learn (dashed)")
right.legend()
plt.show()
