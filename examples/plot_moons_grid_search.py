"""
============================================================
Two moons: grid search, and decision boundaries side by side
============================================================

One of the from-scratch networks skscratch grew out of classified scikit-learn's
two interleaved half-moons (1,000 points) with ReLU hidden layers and a logistic
output, and reached 85%. Here :class:`~sklearn.model_selection.GridSearchCV`
picks depth, width and activation for a :class:`skscratch.ScratchMLPClassifier`
behind a :class:`~sklearn.preprocessing.StandardScaler`, and the winning
configuration is then trained by skscratch and by scikit-learn's
:class:`~sklearn.neural_network.MLPClassifier`: the same parameters and the same
``random_state`` give the same weights, so the two decision boundaries coincide.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.datasets import make_moons
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier

X, y = make_moons(n_samples=1000, noise=0.25, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

# %%
# The pipeline and the grid
# -------------------------
# Parameters of a pipeline step are addressed as ``<step>__<parameter>``.
mlp = ScratchMLPClassifier(learning_rate_init=0.01, max_iter=1000, random_state=0)
pipeline = Pipeline([("scale", StandardScaler()), ("mlp", mlp)])
param_grid = {
    "mlp__hidden_layer_sizes": [(8,), (32,), (16, 16)],
    "mlp__activation": ["relu", "tanh"],
}
search = GridSearchCV(pipeline, param_grid, cv=3)
start = time.perf_counter()
search.fit(X_train, y_train)
elapsed = time.perf_counter() - start
n_candidates = len(search.cv_results_["params"])
print(f"{n_candidates} configurations x 3 folds in {elapsed:.1f} s\n")

# %%
# The configurations, best first
# ------------------------------
# ``cv_results_`` holds one entry per configuration; ``rank_test_score`` orders them.
results = search.cv_results_
print("rank  hidden_layer_sizes  activation  accuracy        fit time (s)")
for i in np.argsort(results["rank_test_score"], kind="stable"):
    print(
        f"{results['rank_test_score'][i]:>4}  "
        f"{str(results['param_mlp__hidden_layer_sizes'][i]):<18}  "
        f"{results['param_mlp__activation'][i]:<10}  "
        f"{results['mean_test_score'][i]:.3f} ± {results['std_test_score'][i]:.3f}  "
        f"{results['mean_fit_time'][i]:>12.3f}"
    )
print(f"\nbest: {search.best_params_}")

# %%
# The winner, by skscratch and by scikit-learn
# --------------------------------------------
# ``GridSearchCV`` has refitted the best configuration on the whole training set.
# scikit-learn's ``MLPClassifier`` gets the same parameters: those of skscratch's
# that scikit-learn has (skscratch adds a few, such as ``dropout``).
ours = search.best_estimator_
shared = MLPClassifier().get_params().keys()
params = {key: value for key, value in ours["mlp"].get_params().items() if key in shared}
theirs = clone(ours).set_params(mlp=MLPClassifier(**params))
start = time.perf_counter()
theirs.fit(X_train, y_train)
print(f"scikit-learn's fit: {time.perf_counter() - start:.2f} s")
for name, model in [("skscratch", ours), ("scikit-learn", theirs)]:
    print(f"{name:<13} test accuracy {model.score(X_test, y_test):.3f}")
difference = np.abs(ours.predict_proba(X_test) - theirs.predict_proba(X_test)).max()
print(f"largest difference of predicted probabilities: {difference:.1e}")

# %%
# The decision boundaries
# -----------------------
# The probability of the second moon, with the boundary (probability 0.5) drawn
# in black, over the test points.
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True, layout="constrained")
for ax, (name, model) in zip(axes, [("skscratch", ours), ("scikit-learn", theirs)]):
    display = DecisionBoundaryDisplay.from_estimator(
        model, X, ax=ax, response_method="predict_proba", cmap="RdBu", alpha=0.6, eps=0.3
    )
    DecisionBoundaryDisplay.from_estimator(
        model,
        X,
        ax=ax,
        response_method="predict_proba",
        plot_method="contour",
        levels=[0.5],
        colors="black",
        eps=0.3,
    )
    ax.scatter(*X_test.T, c=y_test, cmap="RdBu", edgecolor="k", linewidth=0.4, s=15)
    ax.set_title(f"{name}: test accuracy {model.score(X_test, y_test):.3f}")
fig.colorbar(display.surface_, ax=axes, label="probability of class 1")
best = search.best_params_
fig.suptitle(
    f"best configuration: activation={best['mlp__activation']!r}, "
    f"hidden_layer_sizes={best['mlp__hidden_layer_sizes']}"
)
plt.show()
