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
so that neither stops early and both run every epoch. Sections:

1. ``throughput``: seconds per epoch on MNIST-shaped data (60,000 x 784,
   10 classes) in float32 and float64, and the test accuracy reached.
2. ``throughput`` also times the floor of that epoch: its matrix products
   alone, at the real batch shapes, in the same interleaved run.
3. ``iris``: full-batch adam and lbfgs on standardized Iris, time per iteration.
4. ``scaling``: seconds per epoch and peak memory at 10k, 100k and 1M rows.
5. ``predict``: predict_proba rows per second and its peak memory.
6. ``fit``: a whole fit on 20,000 x 784 as a user writes it (defaults but max_iter).
7. ``search``: GridSearchCV(n_jobs=2) over 4 candidates on 20,000 x 100, and
   whether every candidate's cross-validated score equals scikit-learn's.
8. ``latency``: predict_proba on a single row, microseconds per call.

``--baseline COMMIT`` adds that commit's skscratch as a fourth competitor,
"baseline", to sections 1 to 3 and 6, so that a change is timed before and after in
one interleaved run rather than in two runs on a machine whose speed drifts.

Peak memory is measured in a fresh subprocess per model and size: after a
small warm-up fit, the kernel's peak-RSS mark is reset (``/proc/self/clear_refs``)
and the reported number is the new peak minus the RSS just before the call,
i.e. everything the call itself held at its worst (numpy, BLAS and PyTorch
allocations alike), not counting the input data.
"""

import argparse
import functools
import gc
import importlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import sklearn
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

import skscratch
from skscratch import ScratchMLPClassifier
from skscratch._tables import format_table

try:
    import torch
except ImportError:  # the comparison with PyTorch is optional
    torch = None

N_CLASSES = 10
N_TEST = 10_000
MIB = 2**20
DTYPES = {"float32": np.float32, "float64": np.float64}
SECTIONS = ("throughput", "iris", "scaling", "predict", "fit", "search", "latency")
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
#: Estimator classes by competitor name; "baseline" is added by --baseline.
CLASSES = {"skscratch": ScratchMLPClassifier, "sklearn": MLPClassifier}


# ----------------------------------------------------------------------- data
def make_teacher(n_features, seed):
    """Weights of a random linear teacher: ``y = argmax((X - 0.5) @ W)``.

    Parameters
    ----------
    n_features : int
    seed : int

    Returns
    -------
    W : ndarray of shape (n_features, N_CLASSES)
    """
    return np.random.default_rng(seed).standard_normal((n_features, N_CLASSES))


def sample(teacher, n_rows, seed, dtype):
    """Inputs uniform on [0, 1) like MNIST pixels, labelled by ``teacher``.

    The numbers are drawn in float64 and cast, so both dtypes get the same data.

    Parameters
    ----------
    teacher : ndarray of shape (n_features, N_CLASSES)
    n_rows : int
    seed : int
    dtype : numpy dtype

    Returns
    -------
    X : ndarray of shape (n_rows, n_features), C-contiguous, of ``dtype``
    y : ndarray of shape (n_rows,), int64 labels in ``range(N_CLASSES)``
    """
    X = np.random.default_rng(seed).random((n_rows, teacher.shape[0]))
    # (X - 0.5) @ W without an (n_rows, n_features) temporary.
    y = np.argmax(X @ teacher - 0.5 * teacher.sum(axis=0), axis=1)
    return X.astype(dtype, copy=False), y


def train_test(n_rows, n_features, dtype, seed):
    """A training set of ``n_rows`` and a test set of N_TEST rows from one teacher."""
    teacher = make_teacher(n_features, seed)
    train = sample(teacher, n_rows, seed + 1, dtype)
    return train, sample(teacher, N_TEST, seed + 2, dtype)


# --------------------------------------------------------------------- models
class TorchMLP:
    """The same MLP as a PyTorch ``nn.Sequential``, trained by a plain CPU loop.

    Adam with scikit-learn's defaults (lr=1e-3, betas (0.9, 0.999), eps=1e-8),
    CrossEntropyLoss, shuffled mini-batches. scikit-learn's L2 term
    ``alpha / 2 * ||W||**2 / batch_size`` on the weights (not the biases) is
    Adam's coupled ``weight_decay=alpha / batch_size`` on the weights only. The
    starting weights are drawn as scikit-learn draws them (Glorot uniform, same
    ``random_state``), so all three start from the same point; only the shuffle
    order differs.

    Parameters
    ----------
    hidden : tuple of int
    batch_size : int
    max_iter : int
        Epochs.
    random_state : int
    alpha : float, default=1e-4
    learning_rate_init : float, default=1e-3
    """

    def __init__(
        self,
        hidden,
        batch_size,
        max_iter,
        random_state,
        alpha=1e-4,
        learning_rate_init=1e-3,
    ):
        self.hidden = tuple(hidden)
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.random_state = random_state
        self.alpha = alpha
        self.learning_rate_init = learning_rate_init

    def _build(self, n_features, n_classes, dtype):
        sizes = [n_features, *self.hidden, n_classes]
        rng = np.random.RandomState(self.random_state)
        layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            linear = torch.nn.Linear(n_in, n_out, dtype=dtype)
            bound = np.sqrt(6.0 / (n_in + n_out))
            weight = rng.uniform(-bound, bound, (n_in, n_out)).T  # torch stores W.T
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(weight))
                linear.bias.copy_(torch.from_numpy(rng.uniform(-bound, bound, n_out)))
            layers += [linear, torch.nn.ReLU()]
        return torch.nn.Sequential(*layers[:-1])

    def fit(self, X, y):
        """Train for ``max_iter`` epochs; ``X`` is shared with numpy, not copied."""
        X_t = torch.from_numpy(X)
        y_t = torch.from_numpy(np.asarray(y, dtype=np.int64))
        self.model_ = self._build(X.shape[1], int(y.max()) + 1, X_t.dtype)
        linears = [m for m in self.model_ if isinstance(m, torch.nn.Linear)]
        decay = self.alpha / self.batch_size
        optimizer = torch.optim.Adam(
            [
                {"params": [m.weight for m in linears], "weight_decay": decay},
                {"params": [m.bias for m in linears], "weight_decay": 0.0},
            ],
            lr=self.learning_rate_init,
            betas=(0.9, 0.999),
            eps=1e-8,
        )
        loss_fn = torch.nn.CrossEntropyLoss()
        generator = torch.Generator().manual_seed(self.random_state)
        n = X_t.shape[0]
        for _ in range(self.max_iter):
            order = torch.randperm(n, generator=generator)
            for start in range(0, n, self.batch_size):
                idx = order[start : start + self.batch_size]
                optimizer.zero_grad(set_to_none=True)
                loss = loss_fn(self.model_(X_t[idx]), y_t[idx])
                loss.backward()
                optimizer.step()
        self.n_iter_ = self.max_iter
        return self

    def predict_proba(self, X):
        """Softmax of the network's output, in one pass over ``X``."""
        with torch.inference_mode():
            return torch.softmax(self.model_(torch.from_numpy(X)), dim=1).numpy()

    def score(self, X, y):
        """Accuracy."""
        return float(np.mean(self.predict_proba(X).argmax(axis=1) == y))


def make_model(name, *, hidden, batch_size, max_iter, seed, solver="adam", tol=0.0):
    """One of the three competitors, with identical settings.

    With ``tol=0`` the MLPs also get ``n_iter_no_change=max_iter``, so they run
    all ``max_iter`` epochs.

    Parameters
    ----------
    name : {"skscratch", "baseline", "sklearn", "torch"}
    hidden : tuple of int
    batch_size : int
    max_iter : int
    seed : int
    solver : {"adam", "lbfgs"}, default="adam"
        "torch" supports adam only.
    tol : float, default=0.0
    """
    if name == "torch":
        return TorchMLP(hidden, batch_size, max_iter, seed)
    return CLASSES[name](
        hidden_layer_sizes=hidden,
        solver=solver,
        batch_size=batch_size,
        max_iter=max_iter,
        tol=tol,
        n_iter_no_change=max_iter if tol == 0 else 10,
        random_state=seed,
    )


def fitter(name, X, y, **settings):
    """A zero-argument callable that builds a fresh model and fits it on ``X, y``.

    ``settings`` are the keyword arguments of :func:`make_model`.
    """
    return lambda: make_model(name, **settings).fit(X, y)


# --------------------------------------------------------------------- timing
def time_interleaved(runners, repeats, warmup=1, clock="wall"):
    """Time each runner ``repeats`` times, interleaved, after ``warmup`` untimed rounds.

    Repeat ``r`` starts with runner ``r mod k``, so no runner always follows
    the same other one.

    Parameters
    ----------
    runners : dict of str to callable
        Zero-argument callables; the last value each returns is kept.
    repeats : int
    warmup : int, default=1
    clock : {"wall", "cpu"}, default="wall"
        Wall-clock time, or the CPU time of the whole process (all its threads),
        which leaves out the time other processes held the CPU.

    Returns
    -------
    times : dict of str to list of float
        Seconds per call.
    results : dict of str to object
        What each runner returned on its last call.
    """
    names = list(runners)
    now = CLOCKS[clock]
    times = {name: [] for name in names}
    results = {}
    for _ in range(warmup):
        for name in names:
            runners[name]()
    for r in range(repeats):
        for k in range(len(names)):
            name = names[(r + k) % len(names)]
            gc.collect()
            start = now()
            results[name] = runners[name]()
            times[name].append(now() - start)
    return times, results


def median(values):
    """Median of a list of timings."""
    return statistics.median(values)


def spread(values):
    """(max - min) / median of a list of timings, in percent, as text."""
    return f"{100 * (max(values) - min(values)) / median(values):.0f}%"


def ratio(a, b):
    """``a / b`` as text, or '-' when ``b`` is missing."""
    return "-" if b is None or a is None else f"{a / b:.2f}"


def mib(value):
    """MiB as text, '-' when not measured."""
    if value is None:
        return "-"
    return f"{value:.1f}" if abs(value) < 10 else f"{value:.0f}"


def print_table(title, headers, rows, note=None):
    """Print a titled plain-text table (skscratch's own table format) and flush."""
    print()
    print(title)
    if note:
        print(note)
    print(format_table(headers, rows))
    sys.stdout.flush()


def model_names(args, baseline=True, with_torch=True):
    """The competitors of this run: skscratch, the baseline when given, sklearn,
    and torch when present."""
    names = ["skscratch"]
    if baseline and "baseline" in CLASSES:
        names.append("baseline")
    names.append("sklearn")
    return names + ["torch"] if with_torch and torch is not None and args.torch else names


def load_baseline(commit):
    """Import ``commit``'s skscratch as the package ``skscratch_baseline``.

    ``git archive`` extracts the package into a temporary folder under that
    name (skscratch imports itself only relatively), so both versions live in
    this one process.

    Returns
    -------
    path : str
        Where the baseline was extracted.
    """
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = tempfile.mkdtemp(prefix="skscratch_baseline_")
    archive = subprocess.run(
        ["git", "-C", root, "archive", commit, "skscratch"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", target], input=archive, check=True)
    os.rename(os.path.join(target, "skscratch"), os.path.join(target, "skscratch_baseline"))
    sys.path.insert(0, target)
    module = importlib.import_module("skscratch_baseline")
    CLASSES["baseline"] = module.ScratchMLPClassifier
    return target


# ---------------------------------------------------- sections 1 and 2: throughput
def gemm_floor(X, hidden, batch_size):
    """The matrix products of one epoch, and nothing else, at the real batch shapes.

    Per batch: forward ``X_b @ W1`` and ``H @ W2``; backward ``H.T @ D2`` (output
    weight gradient), ``D2 @ W2.T`` (back-propagated delta) and ``X_b.T @ D1``
    (input weight gradient). X's own delta is not needed and not computed.
    Batches are contiguous row slices; every product writes into a buffer
    allocated beforehand.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
    hidden : int
    batch_size : int

    Returns
    -------
    run_epoch : callable
        ``run_epoch(only=None)`` runs the epoch's products; ``only`` names one
        of them (a key of ``run_epoch.products``) to run that product alone.
    """
    rng = np.random.default_rng(0)
    n_features = X.shape[1]

    def buf(*shape):
        return rng.standard_normal(shape).astype(X.dtype)

    W1, W2 = buf(n_features, hidden), buf(hidden, N_CLASSES)
    H, Z = buf(batch_size, hidden), buf(batch_size, N_CLASSES)
    D1, D2 = buf(batch_size, hidden), buf(batch_size, N_CLASSES)
    G1, G2 = buf(n_features, hidden), buf(hidden, N_CLASSES)
    products = {
        "X_b@W1": lambda Xb, n: np.dot(Xb, W1, out=H[:n]),
        "H@W2": lambda Xb, n: np.dot(H[:n], W2, out=Z[:n]),
        "H.T@D2": lambda Xb, n: np.dot(H[:n].T, D2[:n], out=G2),
        "D2@W2.T": lambda Xb, n: np.dot(D2[:n], W2.T, out=D1[:n]),
        "X_b.T@D1": lambda Xb, n: np.dot(Xb.T, D1[:n], out=G1),
    }

    def run_epoch(only=None):
        todo = list(products.values()) if only is None else [products[only]]
        for start in range(0, X.shape[0], batch_size):
            Xb = X[start : start + batch_size]
            n = Xb.shape[0]
            for product in todo:
                product(Xb, n)

    run_epoch.products = list(products)
    return run_epoch


def bench_throughput(args):
    """Sections 1 and 2: seconds per epoch, accuracy, and the GEMM floor, per dtype."""
    names = model_names(args)
    settings = dict(
        hidden=(args.hidden,),
        batch_size=args.batch_size,
        max_iter=args.epochs,
        seed=args.seed,
    )
    for dtype_name in args.dtypes:
        dtype = DTYPES[dtype_name]
        (X, y), (X_test, y_test) = train_test(args.rows, args.features, dtype, args.seed)
        floor = gemm_floor(X, args.hidden, args.batch_size)
        runners = {name: fitter(name, X, y, **settings) for name in names}
        runners["floor"] = floor
        times, fitted = time_interleaved(runners, args.repeats, args.warmup, args.clock)
        per_epoch = {name: median(times[name]) / args.epochs for name in names}
        floor_epoch = median(times["floor"])

        rows = [
            [
                name,
                f"{per_epoch[name]:.3f}",
                spread(times[name]),
                ratio(per_epoch[name], per_epoch["sklearn"]),
                ratio(per_epoch[name], per_epoch.get("torch")),
                ratio(per_epoch[name], floor_epoch),
                f"{fitted[name].score(X_test, y_test):.4f}",
            ]
            for name in names
        ]
        print_table(
            f"1. throughput, {dtype_name}: {args.rows:,} x {args.features} -> "
            f"{args.hidden} -> {N_CLASSES}, adam, batch {args.batch_size}, "
            f"{args.epochs} epochs per fit, median of {args.repeats}",
            ["model", "s/epoch", "spread", "/sklearn", "/torch", "x floor", "test acc"],
            rows,
        )

        print_floor(args, dtype_name, floor, times["floor"], per_epoch)


def print_floor(args, dtype_name, floor, floor_times, per_epoch):
    """Section 2: the floor, each of its products timed alone, and the models against it.

    Parameters
    ----------
    args : argparse.Namespace
    dtype_name : str
    floor : callable
        From :func:`gemm_floor`.
    floor_times : list of float
        The floor's timings from the interleaved run of section 1.
    per_epoch : dict of str to float
        Each model's median seconds per epoch in that run.
    """
    floor_epoch = median(floor_times)
    # Each product alone, interleaved with the others.
    parts, _ = time_interleaved(
        {name: functools.partial(floor, only=name) for name in floor.products},
        args.repeats,
        args.warmup,
        args.clock,
    )
    rows = [["all 5 GEMMs (the floor)", f"{floor_epoch:.3f}", spread(floor_times), "1.00"]]
    for name, t in parts.items():
        rows.append(
            [
                f"  {name} alone",
                f"{median(t):.3f}",
                spread(t),
                ratio(median(t), floor_epoch),
            ]
        )
    for name, seconds in per_epoch.items():
        rows.append([name, f"{seconds:.3f}", "", ratio(seconds, floor_epoch)])
    print_table(
        f"2. floor, {dtype_name}: the same epoch's matrix products alone, "
        f"{-(-args.rows // args.batch_size)} batches of {args.batch_size}",
        ["", "s/epoch", "spread", "x floor"],
        rows,
    )


# ---------------------------------------------------------------- section 3: iris
def bench_iris(args):
    """Section 3: full-batch adam for a fixed number of iterations; lbfgs to convergence."""
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    common = dict(hidden=(args.hidden,), batch_size=X.shape[0], seed=args.seed)
    lbfgs_names = model_names(args, with_torch=False)
    cases = [
        ("adam", dict(max_iter=args.iris_iter, tol=0.0), model_names(args)),
        ("lbfgs", dict(max_iter=args.lbfgs_max_iter, tol=1e-4), lbfgs_names),
    ]
    for solver, case, names in cases:
        runners = {
            name: fitter(name, X, y, solver=solver, **case, **common) for name in names
        }
        times, fitted = time_interleaved(runners, args.repeats, args.warmup, args.clock)
        per_iter = {name: median(times[name]) / fitted[name].n_iter_ for name in names}
        rows = [
            [
                name,
                fitted[name].n_iter_,
                f"{median(times[name]):.3f}",
                spread(times[name]),
                f"{1e6 * per_iter[name]:.0f}",
                ratio(per_iter[name], per_iter["sklearn"]),
                ratio(per_iter[name], per_iter.get("torch")),
                f"{fitted[name].score(X, y):.4f}",
            ]
            for name in names
        ]
        if case["tol"] == 0:
            what = f"{case['max_iter']} iterations, tol=0"
        else:
            what = f"to convergence (tol={case['tol']}, max_iter={case['max_iter']})"
        print_table(
            f"3. iris (standardized), {solver}, full batch ({X.shape[0]}), {what}, "
            f"median of {args.repeats}",
            [
                "model",
                "n_iter",
                "fit s",
                "spread",
                "us/iter",
                "/sklearn",
                "/torch",
                "train acc",
            ],
            rows,
        )


# ----------------------------------------------------------- peak memory children
def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def measure_peak(call):
    """Run ``call()`` and return (peak extra MiB, method).

    The peak-RSS mark is reset through ``/proc/self/clear_refs`` where Linux
    allows it; the result is the new peak minus the RSS just before the call.
    Elsewhere it falls back on ``ru_maxrss`` minus that RSS, which is only
    right when nothing before the call peaked higher.
    """
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        method = "VmHWM after clear_refs"
    except OSError:
        method = "ru_maxrss"
    before = _status_kib("VmRSS")
    call()
    if method == "ru_maxrss":
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    else:
        peak = _status_kib("VmHWM")
    return (peak - before) / 1024, method


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
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--memory-child", json.dumps(spec)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return None, "failed"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
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


# --------------------------------------------------- section 6: a user's fit
def bench_fit(args):
    """Section 6: a whole fit as a user writes it, defaults but ``max_iter``.

    ``hidden_layer_sizes=(100,)``, adam, ``batch_size='auto'``, ``tol=1e-4``:
    nothing is set but ``max_iter`` and ``random_state``, on float64 X as numpy
    makes it by default. Validation, label encoding and the end-of-fit checks
    are in the time, as they are in what a user waits for.
    """
    names = model_names(args, with_torch=False)
    (X, y), (X_test, y_test) = train_test(
        args.fit_rows, args.features, np.float64, args.seed
    )
    runners = {
        name: (
            lambda cls=CLASSES[name]: cls(
                max_iter=args.fit_epochs, random_state=args.seed
            ).fit(X, y)
        )
        for name in names
    }
    times, fitted = time_interleaved(runners, args.repeats, args.warmup, args.clock)
    rows = [
        [
            name,
            fitted[name].n_iter_,
            f"{median(times[name]):.2f}",
            spread(times[name]),
            ratio(median(times[name]), median(times["sklearn"])),
            f"{fitted[name].score(X_test, y_test):.4f}",
        ]
        for name in names
    ]
    print_table(
        f"6. a user's fit, float64: {args.fit_rows:,} x {args.features}, every parameter "
        f"at its default but solver={args.fit_solver!r}, max_iter={args.fit_epochs}, "
        f"median of {args.repeats}",
        ["model", "n_iter", "fit s", "spread", "/sklearn", "test acc"],
        rows,
    )


# ----------------------------------------------- section 7: parallel grid search
def bench_search(args):
    """Section 7: GridSearchCV(n_jobs=2) over 4 candidates, and whether the scores agree.

    joblib's worker processes and each worker's BLAS threads share the
    machine's cores; this is what a user's parallel search runs into.
    """
    names = model_names(args, baseline=False, with_torch=False)
    (X, y), _ = train_test(args.search_rows, args.scaling_features, np.float64, args.seed)
    grid = {"hidden_layer_sizes": [(50,), (100,)], "alpha": [1e-4, 1e-2]}

    def search(cls):
        estimator = cls(max_iter=args.search_epochs, random_state=args.seed)
        return GridSearchCV(estimator, grid, cv=3, n_jobs=args.search_jobs).fit(X, y)

    runners = {name: functools.partial(search, CLASSES[name]) for name in names}
    times, searches = time_interleaved(runners, args.repeats, args.warmup, args.clock)
    reference = searches["sklearn"].cv_results_["mean_test_score"]
    rows = []
    for name in names:
        scores = searches[name].cv_results_["mean_test_score"]
        rows.append(
            [
                name,
                f"{median(times[name]):.2f}",
                spread(times[name]),
                ratio(median(times[name]), median(times["sklearn"])),
                f"{searches[name].best_score_:.4f}",
                "yes" if np.array_equal(scores, reference) else "no",
                f"{np.max(np.abs(scores - reference)):.1e}",
            ]
        )
    print_table(
        f"7. GridSearchCV(n_jobs={args.search_jobs}, cv=3), 4 candidates, float64: "
        f"{args.search_rows:,} x {args.scaling_features}, max_iter={args.search_epochs}, "
        f"median of {args.repeats}",
        ["model", "search s", "spread", "/sklearn", "best", "= sklearn", "max |diff|"],
        rows,
        note="= sklearn: mean_test_score of every candidate equal to scikit-learn's",
    )


# ------------------------------------------------ section 8: one-row latency
def bench_latency(args):
    """Section 8: predict_proba on one row, as a service answering one request does."""
    names = model_names(args, baseline=False, with_torch=False)
    (X, y), (X_test, _) = train_test(10_000, args.scaling_features, np.float64, args.seed)
    settings = dict(hidden=(100,), batch_size=args.batch_size, max_iter=1, seed=args.seed)
    models = {name: fitter(name, X, y, **settings)() for name in names}
    row = X_test[:1]
    calls = 2_000

    def many(model):
        for _ in range(calls):
            model.predict_proba(row)

    runners = {name: functools.partial(many, models[name]) for name in names}
    times, _ = time_interleaved(runners, args.repeats, args.warmup, args.clock)
    per_call = {name: median(times[name]) / calls for name in names}
    rows = [
        [
            name,
            f"{1e6 * per_call[name]:.1f}",
            spread(times[name]),
            ratio(per_call[name], per_call["sklearn"]),
        ]
        for name in names
    ]
    print_table(
        f"8. predict_proba latency, one row of {args.scaling_features} float64 features, "
        f"(100,) hidden, {calls:,} calls per repeat, median of {args.repeats}",
        ["model", "us/call", "spread", "/sklearn"],
        rows,
    )


# --------------------------------------------------------------------- profile
def profile_epoch(args):
    """Profile one skscratch epoch of the throughput case in float32 and print it.

    Uses pyinstrument when it is installed, cProfile otherwise.
    """
    (X, y), _ = train_test(args.rows, args.features, np.float32, args.seed)
    settings = dict(
        hidden=(args.hidden,), batch_size=args.batch_size, max_iter=1, seed=args.seed
    )
    fitter("skscratch", X[:1000], y[:1000], **settings)()  # first-call costs out of the way
    fit = fitter("skscratch", X, y, **settings)
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(fit)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    fit()
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False))


# ------------------------------------------------------------------------ main
def set_threads(threads):
    """Limit BLAS (through threadpoolctl) and PyTorch to ``threads``; None leaves them."""
    if threads is None:
        return
    threadpool_limits(limits=threads)
    if torch is not None:
        torch.set_num_threads(threads)


def skscratch_source():
    """Where skscratch was imported from, and its git commit when that is a checkout."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(skscratch.__file__)))

    def git(*command):
        return subprocess.run(
            ["git", "-C", root, *command], capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "skscratch")
    except (OSError, subprocess.CalledProcessError):
        return f"{root} (not a git checkout)"
    return f"{root} at {commit}" + (
        ", with uncommitted changes in skscratch/" if dirty else ""
    )


def describe_machine(args):
    """Print what the timings ran on: CPUs, library versions, BLAS and threads."""
    print("skscratch MLP benchmark")
    print(
        f"python {platform.python_version()}, {platform.machine()}, nproc {os.cpu_count()}"
    )
    versions = f"numpy {np.__version__}, scikit-learn {sklearn.__version__}"
    if torch is not None:
        versions += f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
    elif args.torch:
        versions += ", torch not installed (no PyTorch column)"
    print(versions)
    print(f"skscratch from {skscratch_source()}")
    for info in threadpool_info():
        print(
            f"{info['user_api']}: {info['internal_api']} {info.get('version')} "
            f"({info.get('architecture')}), {info['num_threads']} threads, "
            f"{os.path.join(*info['filepath'].split(os.sep)[-2:])}"
        )
    print(f"options: {' '.join(sys.argv[1:]) or '(defaults)'}")


def parse_args(argv=None):
    """Command-line options; ``--quick`` replaces the sizes by smaller ones."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--sections",
        nargs="+",
        choices=SECTIONS,
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
        where = load_baseline(args.baseline)
        print(f"baseline: skscratch at {args.baseline}, extracted to {where}")
    describe_machine(args)
    start = time.perf_counter()
    runs = dict(
        zip(
            SECTIONS,
            (
                bench_throughput,
                bench_iris,
                bench_scaling,
                bench_predict,
                bench_fit,
                bench_search,
                bench_latency,
            ),
        )
    )
    for name in args.sections:
        runs[name](args)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
