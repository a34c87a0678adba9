"""
=========================================
Cross-validation on Iris, next to sklearn
=========================================

Five-fold cross-validation of :class:`skscratch.ScratchMLPClassifier` and of
scikit-learn's :class:`~sklearn.neural_network.MLPClassifier` on the Iris data,
each behind a :class:`~sklearn.preprocessing.StandardScaler` in a pipeline.

Both models get the same parameters and the same folds. skscratch draws its
initial weights from the same random stream as scikit-learn, so the two
usually agree fold by fold; the tables also show how long each fit took.
"""

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
