"""Sections 4 and 5 of the MLP benchmark: time and peak memory as the rows grow.

Section 4 (``scaling``) times one epoch of adam on n x 100 float64 data for
n in 10k, 100k and 1M rows (``--scaling-rows``, capped by ``--max-rows``):
seconds per epoch, microseconds per row, test accuracy, and the fit's peak
memory. Section 5 (``predict``) times predict_proba on the largest X with
models fitted one epoch on 10,000 rows, and its peak memory.

Peak memory is measured in a fresh subprocess per model and size
(``bench_mlp.py --memory-child SPEC``, :func:`memory_child`): after a small
warm-up fit, the kernel's peak-RSS mark is reset and the reported number is
the new peak minus the RSS just before the call (:func:`harness.measure_peak`),
i.e. everything the call itself held at its worst (numpy, BLAS and PyTorch
allocations alike), not counting the input data.
"""

import functools
import json
import os
import sys

import numpy as np
from harness import (
    DTYPES,
    MIB,
    measure_peak,
    median,
    mib,
    print_table,
    ratio,
    run_json_child,
    set_threads,
    spread,
    time_interleaved,
)

from .competitors import fitter, make_model, model_names
from .data import N_CLASSES, make_teacher, sample, train_test

#: The script whose ``--memory-child`` option runs :func:`memory_child`.
ENTRY_SCRIPT = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench_mlp.py"
)


# ----------------------------------------------------------- peak memory children
def memory_child(spec):
    """Body of the subprocess that measures one peak (see :func:`peak_memory`)."""
    set_threads(spec["threads"])
    teacher = make_teacher(spec["features"], spec["seed"])
    X, y = sample(teacher, spec["rows"], spec["seed"] + 1, DTYPES[spec["dtype"]])
    settings = dict(
        hidden=(spec["hidden"],),
        batch_size=spec["batch_size"],
        max_iter=1,
        seed=spec["seed"],
    )
    n_small = min(spec["rows"], 10_000)
    # A small fit first, so that imports, BLAS buffers and allocator pools are
    # in place before the measurement and not counted in it.
    model = make_model(spec["model"], **settings).fit(X[:n_small], y[:n_small])
    model.predict_proba(X[:1000])
    if spec["task"] == "fit":
        model = make_model(spec["model"], **settings)
        peak, method = measure_peak(lambda: model.fit(X, y))
    else:
        peak, method = measure_peak(lambda: model.predict_proba(X))
    print(json.dumps({"peak_mib": peak, "method": method}))


def peak_memory(task, model, rows, args):
    """Peak extra memory (MiB) of a fit or predict_proba, in a fresh subprocess.

    Parameters
    ----------
    task : {"fit", "predict"}
        ``fit``: one epoch on ``rows`` rows; ``predict``: predict_proba on
        ``rows`` rows with a model fitted one epoch on 10,000 rows.
    model : {"skscratch", "sklearn", "torch"}
    rows : int
    args : argparse.Namespace

    Returns
    -------
    peak_mib : float or None
        None when the subprocess failed (its stderr is printed).
    method : str
    """
    spec = {
        "task": task,
        "model": model,
        "rows": rows,
        "features": args.scaling_features,
        "dtype": args.scaling_dtype,
        "hidden": args.hidden,
        "batch_size": args.batch_size,
        "seed": args.seed,
        "threads": args.threads,
    }
    result = run_json_child(
        [sys.executable, ENTRY_SCRIPT, "--memory-child", json.dumps(spec)]
    )
    if result is None:
        return None, "failed"
    return result["peak_mib"], result["method"]


def optional_peak(task, model, rows, args, methods):
    """:func:`peak_memory` unless ``--no-memory``; adds the method used to ``methods``."""
    if not args.memory:
        return None
    peak, method = peak_memory(task, model, rows, args)
    methods.add(method)
    return peak


def memory_note(methods, task):
    """The line under a table that says how its peak memory was measured."""
    if not methods:
        return "(peak memory not measured: --no-memory)"
    return (
        f"peak MiB: extra resident memory of the {task} call at its worst, over the RSS\n"
        f"just before it (fresh subprocess per cell, {' / '.join(sorted(methods))}; "
        "the input X is not counted)"
    )


# ------------------------------------------------------------- section 4: scaling
def scaling_rows(args):
    """The row counts of the scaling section, capped by --max-rows."""
    rows = [n for n in args.scaling_rows if args.max_rows is None or n <= args.max_rows]
    return rows or [args.max_rows]


def bench_scaling(args):
    """Section 4: seconds for one epoch and its peak memory as the number of rows grows."""
    names = model_names(args, baseline=False)
    dtype = DTYPES[args.scaling_dtype]
    settings = dict(
        hidden=(args.hidden,), batch_size=args.batch_size, max_iter=1, seed=args.seed
    )
    rows, methods = [], set()
    for n_rows in scaling_rows(args):
        (X, y), (X_test, y_test) = train_test(
            n_rows, args.scaling_features, dtype, args.seed
        )
        runners = {name: fitter(name, X, y, **settings) for name in names}
        times, fitted = time_interleaved(runners, args.repeats, args.warmup, args.clock)
        secs = {name: median(times[name]) for name in names}
        for name in names:
            peak = optional_peak("fit", name, n_rows, args, methods)
            rows.append(
                [
                    f"{n_rows:>9,} {name}",
                    f"{secs[name]:.3f}",
                    spread(times[name]),
                    f"{1e6 * secs[name] / n_rows:.2f}",
                    ratio(secs[name], secs["sklearn"]),
                    ratio(secs[name], secs.get("torch")),
                    mib(peak),
                    f"{fitted[name].score(X_test, y_test):.4f}",
                ]
            )
        del X, y, fitted
    print_table(
        f"4. scaling, {args.scaling_dtype}: n x {args.scaling_features} -> {args.hidden} "
        f"-> {N_CLASSES}, adam, batch {args.batch_size}, 1 epoch, median of {args.repeats}",
        [
            "rows model",
            "s/epoch",
            "spread",
            "us/row",
            "/sklearn",
            "/torch",
            "peak MiB",
            "test acc",
        ],
        rows,
        note=memory_note(methods, "fit"),
    )


# ------------------------------------------------------------- section 5: predict
def bench_predict(args):
    """Section 5: predict_proba rows per second, and its peak memory, on the largest X."""
    names = model_names(args, baseline=False)
    n_rows = max(scaling_rows(args))
    dtype = DTYPES[args.scaling_dtype]
    (X, y), _ = train_test(n_rows, args.scaling_features, dtype, args.seed)
    n_fit = min(n_rows, 10_000)
    settings = dict(
        hidden=(args.hidden,), batch_size=args.batch_size, max_iter=1, seed=args.seed
    )
    models = {name: fitter(name, X[:n_fit], y[:n_fit], **settings)() for name in names}
    runners = {name: functools.partial(models[name].predict_proba, X) for name in names}
    times, probas = time_interleaved(runners, args.repeats, args.warmup, args.clock)
    secs = {name: median(times[name]) for name in names}
    rows, methods = [], set()
    for name in names:
        peak = optional_peak("predict", name, n_rows, args, methods)
        rows.append(
            [
                name,
                f"{secs[name]:.3f}",
                spread(times[name]),
                f"{n_rows / secs[name] / 1e6:.2f}",
                ratio(secs[name], secs["sklearn"]),
                ratio(secs[name], secs.get("torch")),
                mib(peak),
                f"{np.mean(probas[name].argmax(axis=1) == y):.4f}",
            ]
        )
    output_mib = n_rows * N_CLASSES * np.dtype(dtype).itemsize / MIB
    print_table(
        f"5. predict_proba, {args.scaling_dtype}: {n_rows:,} x {args.scaling_features} -> "
        f"{args.hidden} -> {N_CLASSES}, fitted 1 epoch on {n_fit:,} rows, "
        f"median of {args.repeats}",
        ["model", "s", "spread", "Mrows/s", "/sklearn", "/torch", "peak MiB", "acc"],
        rows,
        note=memory_note(methods, "predict_proba")
        + f"\n(the returned probabilities alone take {output_mib:.0f} MiB; "
        "acc: on the predicted rows)",
    )
