"""Section 3 of the MLP benchmark: full-batch fits on Iris, time per iteration.

On standardized Iris (150 rows, 4 features, 3 classes), where a step is small
and the per-call overhead of each library shows: adam for a fixed number of
iterations (``tol=0``), and lbfgs to convergence (PyTorch has no lbfgs
competitor here). Time per iteration is the fit's time over its ``n_iter_``.
"""

from harness import median, print_table, ratio, spread, time_interleaved
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from .competitors import fitter, model_names


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
