"""
=========================================
Grid search on a Dask cluster with joblib
=========================================

:class:`~sklearn.model_selection.GridSearchCV` hands its fits to joblib, and
joblib can hand them to a Dask cluster: the same code then searches on as many
machines as the cluster has. Here the cluster is a
:class:`~dask.distributed.LocalCluster` of two worker processes on this machine;
pointing a :class:`~dask.distributed.Client` at a scheduler's address instead is
the only change for a real one.

Every fit is seeded, so the search on the cluster gives the same scores, fold
for fold, as the search in this process; the figure puts them side by side.

Needs the distributed extra: ``pip install ".[distributed]"`` from a checkout.
"""

import time

import joblib
import matplotlib.pyplot as plt
import numpy as np
from dask.distributed import Client, LocalCluster
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skscratch import ScratchMLPClassifier

X, y = make_classification(
    n_samples=10_000, n_features=30, n_informative=15, n_classes=4, random_state=0
)
pipe = make_pipeline(
    StandardScaler(),
    ScratchMLPClassifier(
        early_stopping=True, learning_rate_init=0.01, max_iter=100, random_state=0
    ),
)
grid = {
    "scratchmlpclassifier__hidden_layer_sizes": [(32,), (64, 64)],
    "scratchmlpclassifier__activation": ["relu", "tanh"],
    "scratchmlpclassifier__alpha": [1e-3, 1e-1],
}


def search(**kwargs):
    start = time.perf_counter()
    fitted = GridSearchCV(pipe, grid, cv=3, **kwargs).fit(X, y)
    return fitted, time.perf_counter() - start


# %%
# In this process
# ---------------
# Worker processes import the script that starts the cluster (as
# ``__mp_main__``) without running what is under the ``__main__`` guard, so the
# searches and the cluster live there. BLAS is held to one thread, as each Dask
# worker's is, so that the two timings compare one core with two.
if __name__ == "__main__":
    with threadpool_limits(limits=1, user_api="blas"):
        local, local_seconds = search()
    print(f"in this process: {local_seconds:.1f} s")

# %%
# On the cluster
# --------------
# Inside ``joblib.parallel_config(backend="dask")``, ``n_jobs=-1`` means every
# worker thread of the cluster the client is connected to.
if __name__ == "__main__":
    start = time.perf_counter()
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        n_workers = len(client.scheduler_info()["workers"])
        print(f"{n_workers} workers up in {time.perf_counter() - start:.1f} s")
        with joblib.parallel_config(backend="dask"):
            remote, remote_seconds = search(n_jobs=-1)
    print(f"on the cluster: {remote_seconds:.1f} s")

# %%
# The same search
# ---------------
if __name__ == "__main__":
    same = np.array_equal(
        local.cv_results_["mean_test_score"], remote.cv_results_["mean_test_score"]
    )
    print(f"best parameters equal: {local.best_params_ == remote.best_params_}")
    print(f"mean test scores equal: {same}")
    print(f"best, cross-validated accuracy {remote.best_score_:.3f}:")
    for name, value in remote.best_params_.items():
        print(f"    {name.removeprefix('scratchmlpclassifier__')} = {value!r}")

    labels = [
        "{}\n{}\nα={:g}".format(
            p["scratchmlpclassifier__hidden_layer_sizes"],
            p["scratchmlpclassifier__activation"],
            p["scratchmlpclassifier__alpha"],
        )
        for p in local.cv_results_["params"]
    ]
    positions = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(10, 4.5), layout="constrained")
    for offset, result, name in [
        (-0.2, local, f"default backend ({local_seconds:.1f} s)"),
        (0.2, remote, f"Dask, 2 workers ({remote_seconds:.1f} s)"),
    ]:
        ax.bar(
            positions + offset,
            result.cv_results_["mean_test_score"],
            width=0.4,
            yerr=result.cv_results_["std_test_score"],
            capsize=3,
            label=name,
        )
    ax.set_xticks(positions, labels, fontsize=8)
    ax.set_ylim(0.7, 0.95)
    ax.set_ylabel("mean 3-fold accuracy")
    ax.set_title("GridSearchCV: the same scores on one core and on a 2-worker cluster")
    ax.legend(loc="lower right")
    plt.show()
