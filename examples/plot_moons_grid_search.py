"""
=======================================
Grid search over architectures on moons
=======================================

Which network fits scikit-learn's two interleaved half-moons best? This example
puts :class:`skscratch.ScratchMLPClassifier` behind a
:class:`~sklearn.preprocessing.StandardScaler` in a pipeline and lets
:class:`~sklearn.model_selection.GridSearchCV` try several depths and widths
with two hidden activations, then prints the best configurations from
``cv_results_``.
"""

import time

import numpy as np
from sklearn.datasets import make_moons
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier

X, y = make_moons(n_samples=1000, noise=0.2, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

# %%
# The pipeline and the grid
# -------------------------
# Parameters of a pipeline step are addressed as ``<step>__<parameter>``.
mlp = ScratchMLPClassifier(learning_rate_init=0.01, max_iter=1000, random_state=0)
pipeline = Pipeline([("scale", StandardScaler()), ("mlp", mlp)])
param_grid = {
    "mlp__hidden_layer_sizes": [(20,), (100,), (20, 20), (50, 50), (10, 10, 10)],
    "mlp__activation": ["relu", "tanh"],
}
search = GridSearchCV(pipeline, param_grid, cv=5)
start = time.perf_counter()
search.fit(X_train, y_train)
elapsed = time.perf_counter() - start
n_candidates = len(search.cv_results_["params"])
print(f"{n_candidates} configurations x 5 folds in {elapsed:.1f} s\n")

# %%
# The best configurations
# -----------------------
# ``cv_results_`` holds one entry per configuration; ``rank_test_score`` orders them.
results = search.cv_results_
top = np.argsort(results["rank_test_score"], kind="stable")[:5]
print("rank  hidden_layer_sizes  activation  accuracy        fit time (s)")
for i in top:
    print(
        f"{results['rank_test_score'][i]:>4}  "
        f"{str(results['param_mlp__hidden_layer_sizes'][i]):<18}  "
        f"{results['param_mlp__activation'][i]:<10}  "
        f"{results['mean_test_score'][i]:.3f} ± {results['std_test_score'][i]:.3f}  "
        f"{results['mean_fit_time'][i]:>12.3f}"
    )

# %%
# The winner on held-out data
# ---------------------------
# ``GridSearchCV`` refits the best configuration on the whole training set.
best = search.best_estimator_["mlp"]
print(f"\nbest: {search.best_params_}")
print(f"epochs: {best.n_iter_}, final training loss: {best.loss_:.4f}")
print(f"test accuracy: {search.score(X_test, y_test):.3f}")
