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
accuracy and log-loss on held-out rows.

Usage::

    python benchmarks/bench_embeddings.py                 # 10-80 s on 2 shared cores
    python benchmarks/bench_embeddings.py --threads 1 --repeats 3   # the table in README.md
    python benchmarks/bench_embeddings.py --threads 1 --hidden 256
    python benchmarks/bench_embeddings.py --n-train 100000 --models a b
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

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


def make_data(n_train, n_test, n_levels, seed=0):
    from skscratch.datasets import make_high_cardinality

    X, y = make_high_cardinality(
        n_train + n_test, n_levels=n_levels, as_frame=True, random_state=seed
    )
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def make_model(key, hidden=64):
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

    from skscratch import ScratchMLPClassifier

    def one_hot():
        return ColumnTransformer(
            [("level", OneHotEncoder(handle_unknown="ignore"), ["level"])],
            remainder="passthrough",
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
    encode = ColumnTransformer([("level", ordinal, ["level"])], remainder="passthrough")
    hgb = HistGradientBoostingClassifier(categorical_features=[0], random_state=0)
    return make_pipeline(encode, hgb)


def _status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def measure_peak(call):
    """Run ``call()``; return the extra peak resident memory in MiB (see the module)."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        method = "clear_refs"
    except OSError:
        method = "ru_maxrss"
    before = _status_kib("VmRSS")
    call()
    if method == "ru_maxrss":
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    else:
        peak = _status_kib("VmHWM")
    return (peak - before) / 1024


def child(key, args):
    """Fit one model (in its own process) and print its numbers as JSON."""
    from sklearn.metrics import log_loss
    from threadpoolctl import threadpool_limits

    if args.threads:
        threadpool_limits(args.threads)

    X, y, X_test, y_test = make_data(args.n_train, args.n_test, args.n_levels)
    make_model(key, args.hidden).fit(X[:1000], y[:1000])  # warm-up: imports, pools
    model = make_model(key, args.hidden)
    start = time.perf_counter()
    peak = measure_peak(lambda: model.fit(X, y))
    times = [time.perf_counter() - start]
    for _ in range(args.repeats - 1):
        start = time.perf_counter()
        make_model(key, args.hidden).fit(X, y)
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
    }
    print(json.dumps(result))


def run_child(key, args):
    command = [sys.executable, __file__, "--child", key]
    command += ["--n-train", str(args.n_train), "--n-test", str(args.n_test)]
    command += ["--n-levels", str(args.n_levels), "--repeats", str(args.repeats)]
    command += ["--threads", str(args.threads or 0), "--hidden", str(args.hidden)]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode:
        print(proc.stderr, file=sys.stderr)
        raise RuntimeError(f"model {key} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-train", type=int, default=30_000)
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
    if args.child:
        return child(args.child, args)

    import sklearn

    import skscratch
    from skscratch._tables import format_table

    X, y, X_test, y_test = make_data(args.n_train, args.n_test, args.n_levels)
    seen = set(X["level"].astype(str))
    unseen = float(np.mean([level not in seen for level in X_test["level"].astype(str)]))
    print("skscratch embeddings benchmark")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, scikit-learn "
        f"{sklearn.__version__}, nproc {os.cpu_count()}; skscratch from "
        f"{os.path.dirname(skscratch.__file__)}"
    )
    print(
        f"make_high_cardinality: {args.n_train:,} training rows, {args.n_test:,} "
        f"held out; 4 numeric columns and 1 categorical of {args.n_levels:,} levels "
        f"({len(seen):,} seen in training; {unseen:.1%} of held-out rows have a level "
        f"unseen in training); positive rate {y.mean():.3f}"
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
                f"{result['fit_s']:.2f}",
                str(result["epochs"]),
                f"{result['params']:,}" if result["params"] else "-",
                f"{result['peak_mib']:.0f}",
            ]
        )
    header = ["model", "test acc", "log-loss", "fit s", "iters", "weights", "peak MiB"]
    print(format_table(header, rows))


if __name__ == "__main__":
    main()
