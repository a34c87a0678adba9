"""``python -m skscratch``: skscratch's MLP next to scikit-learn's, on built-in data.

Both classifiers get the same parameters inside the same pipeline, are
cross-validated on the same folds, and are timed in this one process, one
fit after another (no parallel jobs), so the times compare like with like.
"""

import time
import warnings
from contextlib import contextmanager

import numpy as np
import sklearn
from sklearn.datasets import load_iris, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier, __version__
from skscratch._utils.tables import format_table

MODELS = {"skscratch": ScratchMLPClassifier, "scikit-learn": MLPClassifier}


def load_datasets():
    """The demo's data sets, each with the MLP parameters it is trained with."""
    iris = load_iris(return_X_y=True)
    moons = make_moons(n_samples=1000, noise=0.2, random_state=0)
    return {
        "iris": (iris, {"max_iter": 1000, "random_state": 0}),
        # A larger step than Adam's default 0.001 converges in a few hundred epochs.
        "moons": (moons, {"max_iter": 500, "learning_rate_init": 0.01, "random_state": 0}),
    }


@contextmanager
def convergence_warnings_counted():
    """Collect ConvergenceWarnings in the yielded list instead of printing them.

    Any other warning is shown as usual when the block ends.
    """
    counted = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        yield counted
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            counted.append(w)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def cross_validation(datasets):
    """5-fold cross-validation of both models on every data set; print one table."""
    print("5-fold cross-validation of make_pipeline(StandardScaler(), MLP)\n")
    rows, n_warnings = [], 0
    for name, ((X, y), params) in datasets.items():
        fit_times = {}
        for label, model in MODELS.items():
            pipeline = make_pipeline(StandardScaler(), model(**params))
            with convergence_warnings_counted() as counted:
                result = cross_validate(pipeline, X, y, cv=5)
            n_warnings += len(counted)
            scores = result["test_score"]
            fit_times[label] = result["fit_time"].mean()
            rows.append(
                [
                    name,
                    label,
                    f"{scores.mean():.3f} ± {scores.std():.3f}",
                    f"{fit_times[label]:.3f}",
                    "",
                ]
            )
        # The speed-up goes on skscratch's row.
        rows[-2][-1] = f"{fit_times['scikit-learn'] / fit_times['skscratch']:.2f}x"
    header = ["dataset", "model", "accuracy", "fit time (s/fold)", "speed-up"]
    print(format_table(header, rows))
    print("\nspeed-up: scikit-learn's mean fit time divided by skscratch's.")
    print(f"ConvergenceWarnings: {n_warnings}")


def grid_search(datasets):
    """Grid-search both models on make_moons; print the winners side by side."""
    (X, y), params = datasets["moons"]
    grid = {"hidden_layer_sizes": [(10,), (50,), (100,)], "alpha": [1e-4, 1e-2]}
    print(
        f"\nGridSearchCV on moons: {len(grid['hidden_layer_sizes'])} "
        f"hidden_layer_sizes x {len(grid['alpha'])} alpha, 5-fold\n"
    )
    found = {}
    for label, model in MODELS.items():
        pipeline = make_pipeline(StandardScaler(), model(**params))
        step = pipeline.steps[-1][0]  # "scratchmlpclassifier" or "mlpclassifier"
        search = GridSearchCV(
            pipeline, {f"{step}__{key}": values for key, values in grid.items()}, cv=5
        )
        with convergence_warnings_counted() as counted:
            start = time.perf_counter()
            search.fit(X, y)
            seconds = time.perf_counter() - start
        best = {key.split("__")[1]: value for key, value in search.best_params_.items()}
        found[label] = {
            "params": ", ".join(f"{key}={value!r}" for key, value in sorted(best.items())),
            "score": search.best_score_,
            "seconds": seconds,
            "warnings": len(counted),
        }
    ours, theirs = found["skscratch"], found["scikit-learn"]
    rows = [
        ["best params", ours["params"], theirs["params"]],
        ["best score", f"{ours['score']:.3f}", f"{theirs['score']:.3f}"],
        ["total time", f"{ours['seconds']:.1f} s", f"{theirs['seconds']:.1f} s"],
        ["ConvergenceWarnings", str(ours["warnings"]), str(theirs["warnings"])],
    ]
    print(format_table(["", *MODELS], rows))
    print(f"\nspeed-up: {theirs['seconds'] / ours['seconds']:.2f}x")


def main():
    """Run the demo: cross-validation on Iris and moons, then a grid search on moons."""
    print(
        f"skscratch {__version__} | scikit-learn {sklearn.__version__} | "
        f"numpy {np.__version__}\n"
    )
    datasets = load_datasets()
    cross_validation(datasets)
    grid_search(datasets)


if __name__ == "__main__":
    main()
