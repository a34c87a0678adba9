"""Sections 6 to 8 of the MLP benchmark: what a user's code waits for.

Section 6 (``fit``) is a whole fit as a user writes it, every parameter at
its default but ``max_iter`` and ``random_state``, on float64 20,000 x 784
(input validation, label encoding and the end-of-fit checks are in the time).
Section 7 (``search``) is ``GridSearchCV(n_jobs=2, cv=3)`` over 4 candidates on
20,000 x 100, and checks that every candidate's cross-validated score equals
scikit-learn's. Section 8 (``latency``) is predict_proba on a single row, as
a service answering one request calls it, in microseconds per call.
"""

import functools

import numpy as np
from harness import median, print_table, ratio, spread, time_interleaved
from sklearn.model_selection import GridSearchCV

from .competitors import CLASSES, fitter, model_names
from .data import train_test


def bench_fit(args):
    """Section 6: a whole fit as a user writes it, defaults but ``max_iter``.

    ``hidden_layer_sizes=(100,)``, adam, ``batch_size='auto'``, ``tol=1e-4``:
    nothing is set but ``max_iter``, ``random_state`` and the solver
    (``--fit-solver``, adam by default), on float64 X as numpy makes it by
    default. Validation, label encoding and the end-of-fit checks
    are in the time, as they are in what a user waits for.
    """
    names = model_names(args, with_torch=False)
    (X, y), (X_test, y_test) = train_test(
        args.fit_rows, args.features, np.float64, args.seed
    )
    runners = {
        name: (
            lambda cls=CLASSES[name]: cls(
                solver=args.fit_solver, max_iter=args.fit_epochs, random_state=args.seed
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
