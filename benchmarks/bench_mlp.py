"""Time skscratch's MLP against scikit-learn's, and against PyTorch when it is installed.

Run ``python benchmarks/bench_mlp.py`` for the full benchmark or add ``--quick``
for a smaller one (about 2 minutes); ``--help`` lists the sizes and sections.
On a small machine shared with other work, ``--threads 1 --clock cpu`` gives
steadier numbers (see benchmarks/README.md). ``--profile`` profiles one
skscratch epoch instead.

Every section times the competitors in one process, interleaved: repeat 1
runs A, B, C, repeat 2 runs B, C, A, and so on, so that noise on a shared
machine falls on all of them alike; one untimed warm-up round comes first.
Tables give medians over the repeats, their spread ((max - min) / median),
and ratios of the medians: a ratio is always time / time, so below 1 means
faster. Both MLPs get identical settings: architecture, solver, batch size,
``max_iter``, ``random_state``, and ``tol=0`` with ``n_iter_no_change=max_iter``
so that neither stops early and both run every epoch. Sections, and the
module of ``benchmarks/mlp/`` that runs them:

1. ``throughput`` (``mlp/throughput.py``): seconds per epoch on MNIST-shaped
   data (60,000 x 784, 10 classes) in float32 and float64, and the test
   accuracy reached.
2. ``throughput`` also times the floor of that epoch: its matrix products
   alone, at the real batch shapes, in the same interleaved run.
3. ``iris`` (``mlp/iris.py``): full-batch adam and lbfgs on standardized Iris,
   time per iteration.
4. ``scaling`` (``mlp/scaling.py``): seconds per epoch and peak memory at 10k,
   100k and 1M rows.
5. ``predict`` (``mlp/scaling.py``): predict_proba rows per second and its
   peak memory.
6. ``fit`` (``mlp/user.py``): a whole fit on 20,000 x 784 as a user writes it
   (defaults but max_iter).
7. ``search`` (``mlp/user.py``): GridSearchCV(n_jobs=2) over 4 candidates on
   20,000 x 100, and whether every candidate's cross-validated score equals
   scikit-learn's.
8. ``latency`` (``mlp/user.py``): predict_proba on a single row, microseconds
   per call.

``--baseline COMMIT`` adds that commit's skscratch as a fourth competitor,
"baseline", to sections 1 to 3 and 6, so that a change is timed before and after in
one interleaved run rather than in two runs on a machine whose speed drifts.

Peak memory is measured in a fresh subprocess per model and size (this script
with the hidden option ``--memory-child``; see ``mlp/scaling.py``). The data
are in ``mlp/data.py``, the competitors in ``mlp/competitors.py``, and the
timing, threads, tables, peak memory and baseline machinery that other
benchmark scripts share in ``harness.py``.
"""

import argparse
import json
import time
import warnings

from harness import (
    CLOCKS,
    DTYPES,
    describe_machine,
    measure_peak,  # noqa: F401 (scripts that import it from here)
    set_threads,
)
from mlp.competitors import add_baseline
from mlp.iris import bench_iris
from mlp.scaling import bench_predict, bench_scaling, memory_child
from mlp.throughput import bench_throughput, profile_epoch
from mlp.user import bench_fit, bench_latency, bench_search
from sklearn.exceptions import ConvergenceWarning

#: The sections in the order they run, by their ``--sections`` name.
SECTIONS = {
    "throughput": bench_throughput,
    "iris": bench_iris,
    "scaling": bench_scaling,
    "predict": bench_predict,
    "fit": bench_fit,
    "search": bench_search,
    "latency": bench_latency,
}


def parse_args(argv=None):
    """Command-line options; ``--quick`` replaces the sizes by smaller ones."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--sections",
        nargs="+",
        choices=list(SECTIONS),
        default=list(SECTIONS),
        help="sections to run (throughput prints tables 1 and 2)",
    )
    p.add_argument("--quick", action="store_true", help="smaller sizes, about 1-2 minutes")
    p.add_argument("--repeats", type=int, default=5, help="timed repeats per cell")
    p.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None, help="BLAS and torch threads")
    p.add_argument(
        "--clock",
        choices=list(CLOCKS),
        default="wall",
        help="wall time, or the process's CPU time (robust to other processes "
        "with --threads 1; counts spinning threads otherwise)",
    )
    p.add_argument("--hidden", type=int, default=128, help="units of the one hidden layer")
    p.add_argument("--batch-size", type=int, default=200)
    p.add_argument("--rows", type=int, default=60_000, help="throughput: training rows")
    p.add_argument("--features", type=int, default=784, help="throughput: features")
    p.add_argument("--epochs", type=int, default=3, help="throughput: epochs per fit")
    p.add_argument("--dtypes", nargs="+", choices=list(DTYPES), default=list(DTYPES))
    p.add_argument("--iris-iter", type=int, default=2000, help="iris: adam iterations")
    p.add_argument("--lbfgs-max-iter", type=int, default=10_000, help="iris: lbfgs cap")
    p.add_argument(
        "--scaling-rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000]
    )
    p.add_argument("--max-rows", type=int, default=None, help="cap on scaling/predict rows")
    p.add_argument("--scaling-features", type=int, default=100)
    p.add_argument("--scaling-dtype", choices=list(DTYPES), default="float64")
    p.add_argument(
        "--no-torch", dest="torch", action="store_false", help="leave out PyTorch"
    )
    p.add_argument(
        "--no-memory", dest="memory", action="store_false", help="no peak memory"
    )
    p.add_argument(
        "--profile", action="store_true", help="only profile one skscratch float32 epoch"
    )
    p.add_argument(
        "--baseline",
        metavar="COMMIT",
        help="also time this commit's skscratch in sections 1-3 and 6 (git archive)",
    )
    p.add_argument("--fit-rows", type=int, default=20_000, help="fit: training rows")
    p.add_argument("--fit-epochs", type=int, default=20, help="fit: max_iter")
    p.add_argument("--fit-solver", choices=["adam", "sgd", "lbfgs"], default="adam")
    p.add_argument("--search-rows", type=int, default=20_000, help="search: rows")
    p.add_argument("--search-epochs", type=int, default=10, help="search: max_iter")
    p.add_argument("--search-jobs", type=int, default=2, help="search: n_jobs")
    p.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.rows = min(args.rows, 20_000)
        args.epochs = min(args.epochs, 2)
        args.repeats = min(args.repeats, 3)
        args.iris_iter = min(args.iris_iter, 500)
        args.max_rows = min(args.max_rows or 100_000, 100_000)
        args.fit_rows = min(args.fit_rows, 5_000)
        args.search_rows = min(args.search_rows, 5_000)
    return args


def main(argv=None):
    """Run the chosen sections (or the profile, or one memory child)."""
    args = parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    if args.memory_child:
        memory_child(json.loads(args.memory_child))
        return
    set_threads(args.threads)
    if args.profile:
        profile_epoch(args)
        return
    if args.baseline:
        where = add_baseline(args.baseline)
        print(f"baseline: skscratch at {args.baseline}, extracted to {where}")
    describe_machine("skscratch MLP benchmark", torch_column=args.torch)
    start = time.perf_counter()
    for name in args.sections:
        SECTIONS[name](args)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
