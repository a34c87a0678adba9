"""The Tabular recipe with an ensemble inside the network: ``ensemble_size`` k and
the variant (TabM-mini's fork and heads, or TabM's adapters on every layer).

On tuning sets of ``bench_tabular.py`` only, with its protocol (75/25 split,
stratified for classification, seed 0; ROC-AUC, one-vs-rest macro ROC-AUC or
R²; regression targets standardized), one BLAS thread; fit CPU seconds.
The variant is the module constant ``skscratch._training.config.ENSEMBLE_VARIANT``,
switched here for the measurement::

    nice -n 10 python benchmarks/bench_ensemble.py --datasets concrete hpc_jobs \
        --configs 1 mini8 full8 mini32 full32
"""

import argparse
import os
import sys
import time
import warnings
from unittest import mock

from sklearn.compose import TransformedTargetRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tabular_datasets  # noqa: E402  (beside this script)
from bench_tabular import TUNING, splits, test_score  # noqa: E402

import skscratch._training.config as training_config  # noqa: E402
from skscratch import TabularMLPClassifier, TabularMLPRegressor  # noqa: E402


def config(name):
    """``"1"`` -> (1, "mini"); ``"full8"`` -> (8, "full")."""
    variant = "full" if name.startswith("full") else "mini"
    return int(name.removeprefix(variant)), variant


def fit_and_score(dataset, k, variant, X, y, train, test, seed=0):
    if dataset.task == "regression":
        model = TransformedTargetRegressor(
            regressor=TabularMLPRegressor(random_state=seed, ensemble_size=k),
            transformer=StandardScaler(),
        )
    else:
        model = TabularMLPClassifier(random_state=seed, ensemble_size=k)
    with (
        mock.patch.object(training_config, "ENSEMBLE_VARIANT", variant),
        threadpool_limits(1),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        start = time.process_time()
        model.fit(X.iloc[train], y[train])
        cpu = time.process_time() - start
    fitted = model.regressor_ if dataset.task == "regression" else model
    score = test_score(dataset.task, model, X.iloc[test], y[test])
    return score, cpu, fitted.n_iter_


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["concrete"], choices=TUNING)
    parser.add_argument("--configs", nargs="+", default=["1", "mini8", "full8"])
    args = parser.parse_args()
    print(f"{'set':10} {'k':>3} {'variant':7} {'score':>6} {'fit CPU s':>9} {'epochs':>6}")
    for name in args.datasets:
        dataset = tabular_datasets.DATASETS[name]
        X, y = tabular_datasets.load(name)
        train, test = splits(dataset.task, X, y, 1)[0]
        for key in args.configs:
            k, variant = config(key)
            score, cpu, epochs = fit_and_score(dataset, k, variant, X, y, train, test)
            shown = variant if k > 1 else "-"
            print(
                f"{name:10} {k:3d} {shown:7} {score:6.3f} {cpu:9.1f} {epochs:6d}",
                flush=True,
            )


if __name__ == "__main__":
    main()
