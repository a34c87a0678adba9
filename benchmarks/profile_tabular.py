"""Where one fit of a Tabular estimator spends its time, and what its levers cost.

Two modes, both at one BLAS thread and on the process's CPU clock (a loaded
machine's wall clock says little):

``profile`` (the default)
    Fits ``TabularMLPClassifier`` / ``TabularMLPRegressor`` (defaults, or the
    ``--variant`` settings) on one split of each named set of
    ``tabular_datasets.py``, as ``bench_tabular.py`` fits it (the raw frame;
    regression targets standardized), twice: once plain, timing the training
    epochs apart from the rest of the fit, then under cProfile, whose top
    entries it prints with the per-step cost of each piece of one step. In
    between it times the matrix products of one step alone, on the fitted
    network's shapes at the fit's batch size and dtype (the floor under a step).
``levers``
    Fits each ``--variant`` (and HistGradientBoosting's defaults) on every
    split of each set and prints the test score (ROC-AUC or R², as
    ``bench_tabular.py``) and the fit's CPU seconds.

Only the benchmark's tuning sets belong here (``bench_tabular.TUNING``: credit,
hpc_jobs, concrete, ames, carseats, taxi, default, diamonds, cps_wages): a recipe
is measured on them, never on the held-out sets::

    nice -n 10 python benchmarks/profile_tabular.py --datasets credit concrete
    nice -n 10 python benchmarks/profile_tabular.py levers --datasets credit concrete \
        --splits 2 --variant "" --variant "training_dtype='float32' batch_size=256"
"""

import argparse
import cProfile
import functools
import math
import os
import pstats
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_tabular  # noqa: E402  (beside this script)
import tabular_datasets  # noqa: E402

from skscratch import TabularMLPClassifier, TabularMLPRegressor  # noqa: E402
from skscratch._training import loops  # noqa: E402
from skscratch.core import backend  # noqa: E402
from skscratch.core.network import layers_from_records  # noqa: E402

#: What the per-step table groups, by the profiled function's name.
PIECES = {
    "matrix products (np.dot, np.matmul)": ("dot", "matmul", "matmul_into"),
    "periodic embedding, forward + backward": (
        "PeriodicEmbedding.forward",
        "PeriodicEmbedding.backward",
    ),
    "dropout, forward + backward": ("Dropout.forward", "Dropout.backward"),
    "optimizer step": ("Adam.step", "AdamW.step", "SGD.step", "RMSprop.step"),
    "dense layers, forward + backward": ("Dense.forward", "Dense.backward"),
    "categorical embedding, forward + backward": (
        "Embedding.forward",
        "Embedding.backward",
    ),
    "input layers (impute, scale)": ("ImputeMissing.forward", "RobustScale.forward"),
    "loss and its delta": ("per_sample_and_delta",),
    "batch rows (take)": ("Batches.__iter__",),
}


def build(task, seed, params):
    """The Tabular estimator of ``params`` as ``bench_tabular.py`` fits it."""
    kind = TabularMLPRegressor if task == "regression" else TabularMLPClassifier
    accepted = kind().get_params()
    estimator = kind(
        random_state=seed, **{k: v for k, v in params.items() if k in accepted}
    )
    model = bench_tabular.Model(
        "variant", "raw", lambda *_: estimator, lambda *_: estimator
    )
    return bench_tabular.build_pipeline(model, task, None, seed, 1)


def split_data(name, split):
    X, y = tabular_datasets.load(name)
    task = tabular_datasets.DATASETS[name].task
    train, test = bench_tabular.splits(task, X, y, split + 1)[split]
    return task, X.iloc[train], y[train], X.iloc[test], y[test]


def estimator_of(pipeline):
    """The Tabular estimator inside a fitted pipeline."""
    return getattr(pipeline, "regressor_", pipeline)


class EpochTimer:
    """Wraps ``loops.run_epoch``: CPU seconds in the epochs' batches and the steps taken."""

    def __init__(self):
        self.seconds, self.steps, self.batch_size, self.dtype = 0.0, 0, None, None
        self.original = loops.run_epoch

    def __enter__(self):
        @functools.wraps(self.original)
        def timed(net, optimizer, batches, *args):
            start = time.process_time()
            try:
                return self.original(net, optimizer, batches, *args)
            finally:
                self.seconds += time.process_time() - start
                self.steps += math.ceil(batches.n_samples / batches.batch_size)
                self.batch_size, self.dtype = batches.batch_size, net.dtype

        loops.run_epoch = timed
        return self

    def __exit__(self, *exc):
        loops.run_epoch = self.original


class VisibleProducts:
    """numpy's ``matmul`` ufunc behind a Python function, so that cProfile sees it."""

    def __enter__(self):
        ops = type(backend.NUMPY)
        self.saved = {name: ops.__dict__[name] for name in ("matmul", "matmul_into")}

        def matmul(a, b, out=None):
            return np.matmul(a, b, out=out)

        ops.matmul = ops.matmul_into = staticmethod(matmul)
        return self

    def __exit__(self, *exc):
        for name, value in self.saved.items():
            setattr(type(backend.NUMPY), name, value)


def product_floor(records, batch_size, dtype, n_steps=300):
    """CPU seconds of one step's matrix products alone, on the network's shapes.

    Per dense layer: ``a_in @ W``, ``a_in.T @ delta``, ``ones @ delta`` (the
    bias gradient) and, above the first layer with parameters,
    ``delta @ W.T``; per periodic embedding its three batched products. Into
    buffers allocated beforehand, in ``dtype`` (the one training computed in).
    """
    layers = layers_from_records(records)
    rng = np.random.default_rng(0)
    products = []
    below_params = False  # a layer with parameters before this one
    for layer in layers:
        kind = layer.kind
        if kind == "dense":
            n_in, n_out = layer.W.shape
            a = rng.standard_normal((batch_size, n_in)).astype(dtype)
            d = rng.standard_normal((batch_size, n_out)).astype(dtype)
            W, ones = layer.W.astype(dtype), np.ones(batch_size, dtype)
            z, dW, db = np.empty_like(d), np.empty_like(W), np.empty(n_out, dtype)
            products += [
                functools.partial(np.dot, a, W, out=z),
                functools.partial(np.dot, a.T, d, out=dW),
                functools.partial(np.dot, ones, d, out=db),
            ]
            if below_params:
                products.append(functools.partial(np.dot, d, W.T, out=np.empty_like(a)))
        elif kind == "periodic_embedding":
            m, waves, n_linear = layer.W.shape
            v = rng.standard_normal((m, batch_size, waves)).astype(dtype)
            dh = rng.standard_normal((m, batch_size, n_linear)).astype(dtype)
            W = layer.W.astype(dtype)
            products += [
                functools.partial(np.matmul, v, W, out=np.empty_like(dh)),
                functools.partial(
                    np.matmul, v.transpose(0, 2, 1), dh, out=np.empty_like(W)
                ),
                functools.partial(
                    np.matmul, dh, W.transpose(0, 2, 1), out=np.empty_like(v)
                ),
            ]
        if getattr(layer, "param_shapes", lambda: [])():
            below_params = True
    for product in products:  # warm up
        product()
    start = time.process_time()
    for _ in range(n_steps):
        for product in products:
            product()
    return (time.process_time() - start) / n_steps


def per_step_pieces(stats, n_steps):
    """``{piece: ms per step}`` from cProfile's stats: cumulative time of the
    pieces' functions (the matrix products: their own time)."""
    rows = {}
    for piece, names in PIECES.items():
        total = 0.0
        for (filename, _, func), (_, _, tottime, cumtime, _) in stats.stats.items():
            qualified = func
            if piece.startswith("matrix"):
                # numpy's dot behind backend.dot, its matmul behind VisibleProducts
                if (func == "dot" and filename.endswith("backend.py")) or (
                    func == "matmul" and filename.endswith("profile_tabular.py")
                ):
                    total += tottime
                continue
            if any(qualified == n.split(".")[-1] and _owner(filename, n) for n in names):
                # an optimizer's step calls its parent's: the outer one only
                total = (
                    max(total, cumtime) if piece == "optimizer step" else total + cumtime
                )
        rows[piece] = 1000 * total / n_steps
    return rows


def _owner(filename, qualified):
    """Whether the function ``qualified`` (``Class.method``) lives in ``filename``."""
    owners = {
        "PeriodicEmbedding": "numeric_embedding.py",
        "Dropout": "dropout.py",
        "Adam": "optimizers.py",
        "AdamW": "optimizers.py",
        "SGD": "optimizers.py",
        "RMSprop": "optimizers.py",
        "Dense": "dense.py",
        "Embedding": "categorical_embedding.py",
        "ImputeMissing": "inputs.py",
        "RobustScale": "inputs.py",
        "Batches": "loops.py",
    }
    owner = qualified.split(".")[0] if "." in qualified else None
    if owner is None:
        return "losses.py" in filename
    return filename.endswith(owners[owner])


def profile(args):
    params = bench_tabular.parse_settings(args.variant_settings)
    for name in args.datasets:
        task, X, y, _, _ = split_data(name, args.split)
        print(
            f"== {name}, split {args.split}: {X.shape[0]} training rows, "
            f"{X.shape[1]} columns; settings {params or 'defaults'}"
        )
        with threadpool_limits(1):
            pipeline = build(task, args.split, params)
            start = time.process_time()
            with EpochTimer() as epochs:
                pipeline.fit(X, y)
            fit_s = time.process_time() - start
            est = estimator_of(pipeline)
            dtype = epochs.dtype
            step_ms = 1000 * epochs.seconds / epochs.steps
            print(
                f"fit {fit_s:.2f} CPU s, {est.n_iter_} epochs, {epochs.steps} steps of "
                f"batch {epochs.batch_size} ({dtype}); epochs {epochs.seconds:.2f} s "
                f"({step_ms:.3f} ms per step), the rest of the fit "
                f"{fit_s - epochs.seconds:.2f} s"
            )
            floor_ms = 1000 * product_floor(est.layers_, epochs.batch_size, dtype)
            print(
                f"matrix products alone: {floor_ms:.3f} ms per step; a step is "
                f"{step_ms / floor_ms:.2f}x its products"
            )
            if args.no_profile:
                continue
            pipeline = build(task, args.split, params)
            profiler = cProfile.Profile(time.process_time)
            with VisibleProducts(), EpochTimer() as epochs:
                profiler.enable()
                pipeline.fit(X, y)
                profiler.disable()
        stats = pstats.Stats(profiler)
        total = stats.total_tt
        print(
            f"under cProfile: {total:.2f} CPU s, {epochs.steps} steps "
            f"({1000 * epochs.seconds / epochs.steps:.3f} ms per step)"
        )
        print("per step (cProfile's cumulative times, ms):")
        for piece, ms in per_step_pieces(stats, epochs.steps).items():
            print(f"  {piece:<44} {ms:7.3f}")
        print(f"top {args.top} by own time:")
        stats.sort_stats("tottime").print_stats(args.top)


def levers(args):
    variants = [bench_tabular.parse_settings(v.split()) for v in args.variants] or [{}]
    rows = []
    for name in args.datasets:
        task = tabular_datasets.DATASETS[name].task
        for label, params in [("hgb", None)] + [(_label(p), p) for p in variants]:
            scores, seconds, epochs = [], [], []
            for split in range(args.splits):
                _, X, y, X_test, y_test = split_data(name, split)
                with threadpool_limits(1):
                    if params is None:
                        model = bench_tabular.MODELS["hgb"]
                        pipeline = bench_tabular.build_pipeline(model, task, X, split, 1)
                    else:
                        pipeline = build(task, split, params)
                    start = time.process_time()
                    pipeline.fit(X, y)
                    seconds.append(time.process_time() - start)
                    scores.append(bench_tabular.test_score(task, pipeline, X_test, y_test))
                if params is not None:
                    epochs.append(estimator_of(pipeline).n_iter_)
            row = (name, label, np.mean(scores), sum(seconds), epochs)
            rows.append(row)
            print(
                f"{name:<10} {label:<60} score {row[2]:.4f}  fit {row[3]:6.2f} CPU s  "
                f"epochs {epochs}  ({', '.join(f'{s:.4f}' for s in scores)})",
                flush=True,
            )
    return rows


def _label(params):
    return ", ".join(f"{k}={v!r}" for k, v in params.items()) or "defaults"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", nargs="?", default="profile", choices=("profile", "levers"))
    parser.add_argument(
        "--datasets",
        nargs="+",
        default=["credit", "concrete"],
        choices=bench_tabular.TUNING,
        help="tuning sets only (default: credit concrete)",
    )
    parser.add_argument("--split", type=int, default=0, help="profile: the split (0-2)")
    parser.add_argument("--splits", type=int, default=3, help="levers: splits per set")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        dest="variants",
        help="levers: one variant, space-separated name=value settings "
        "(repeat for more; an empty one is the defaults); profile: "
        "the settings of the one fit",
    )
    parser.add_argument("--top", type=int, default=20, help="profile: entries printed")
    parser.add_argument(
        "--no-profile", action="store_true", help="profile: the plain timings only"
    )
    args = parser.parse_args(argv)
    args.variant_settings = " ".join(args.variants).split()
    return args


def main(argv=None):
    args = parse_args(argv)
    print(
        f"skscratch from {os.path.dirname(bench_tabular.skscratch.__file__)}; "
        f"numpy {np.__version__}; one BLAS thread; CPU time"
    )
    if args.mode == "profile":
        profile(args)
    else:
        levers(args)


if __name__ == "__main__":
    main()
