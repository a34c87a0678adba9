"""Sections 1 and 2 of the MLP benchmark: seconds per epoch, and the floor under them.

Section 1 (``throughput``) fits every competitor for a few epochs of adam on
MNIST-shaped data (60,000 x 784, 10 classes, one hidden layer), in float32
and in float64, and reports seconds per epoch and the test accuracy reached.
Section 2 times, in the same interleaved run, the floor of that epoch: its
five matrix products alone, at the real batch shapes, into buffers allocated
beforehand (:func:`gemm_floor`); then each product alone. A model's "x floor"
is its epoch over the floor's. :func:`profile_epoch` (``--profile``) profiles
one skscratch epoch of the same case.
"""

import functools

import numpy as np
from harness import DTYPES, median, print_table, ratio, spread, time_interleaved

from .competitors import fitter, model_names
from .data import N_CLASSES, train_test


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
