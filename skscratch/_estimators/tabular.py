"""TabularMLPClassifier and TabularMLPRegressor: the same MLPs, defaults for real tables.

They are :class:`~skscratch.ScratchMLPClassifier` and
:class:`~skscratch.ScratchMLPRegressor` with other defaults: those of
:data:`RECIPE`, each value with its reason, written down once in the
parameter table (:mod:`skscratch._estimators.parameters`, each entry's ``recipe``). A
raw table goes straight in: a pandas or polars dataframe (or a numpy array)
with numeric columns, text, boolean and Categorical columns, and missing
values; the network's own input layers impute and
indicate the missing numbers and scale the numeric columns
(:mod:`skscratch._input.input_layers`), and an embedding table per categorical column
turns categories into vectors. Every parameter of the drop-in classes is a
parameter here, so ``TabularMLPClassifier(dropout=0.2)`` changes one
ingredient, and the benchmark (``benchmarks/bench_tabular.py``) measures the
recipe as it is written here.
"""

from .classifier import ScratchMLPClassifier
from .docstrings import fill
from .parameters import recipe, store
from .regressor import ScratchMLPRegressor

#: The recipe: each default that differs from the drop-in estimators', with its
#: reason (the ``recipe`` of the parameter table, :mod:`skscratch._estimators.parameters`).
RECIPE = recipe()

#: The regressor's further ingredients.
REGRESSION_RECIPE = {
    name: why for name, why in recipe("regressor").items() if name not in RECIPE
}

#: The defaults alone; the Tabular estimators' signatures read theirs from here.
DEFAULTS = {name: value for name, (value, _) in {**RECIPE, **REGRESSION_RECIPE}.items()}


class TabularMLPClassifier(ScratchMLPClassifier):
    """Multi-layer perceptron classifier for real tables, raw dataframes in.

    :class:`ScratchMLPClassifier` with defaults chosen for tabular data
    instead of scikit-learn's: it takes a pandas or polars dataframe (or an
    array) as it comes, with numeric, text, boolean and Categorical columns
    and missing values, and needs no pipeline in front. Only the defaults
    differ; every parameter, attribute and method is the drop-in class's.

    The recipe (each value is a parameter; its default here, and why):

    {recipe}
    Parameters
    ----------
    {parameters}
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel targets, the label indices).

    {attributes}
    See Also
    --------
    TabularMLPRegressor : The same recipe for regression.
    ScratchMLPClassifier : The drop-in class, with scikit-learn's defaults.
    sklearn.ensemble.HistGradientBoostingClassifier : The other model that
        takes missing values and categorical columns natively.

    Notes
    -----
    The medians, spreads, missing-value columns and categories are learned
    in the first fit (``warm_start`` and ``partial_fit`` keep them); they
    are part of ``layers_`` (the input layers ``impute_missing`` and
    ``robust_scale``) and of the ONNX graph, which, exported from a sample
    of the table (``skscratch.onnx.to_onnx(model, X[:1])``), takes one input
    per column, text included (``skscratch.onnx.frame_inputs`` feeds it a frame).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skscratch import TabularMLPClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = pd.DataFrame({
    ...     "income": rng.lognormal(10, 1, 400),
    ...     "city": rng.choice(["Oslo", "Lima", "Pune"], 400),
    ... })
    >>> y = (X["income"] > 22_000) ^ (X["city"] == "Lima")
    >>> X.loc[::10, "income"] = np.nan
    >>> model = TabularMLPClassifier(random_state=0).fit(X, y)
    >>> model.is_categorical_.tolist(), model.categories_[0].tolist()
    ([False, True], ['Lima', 'Oslo', 'Pune'])
    >>> bool(model.score(X, y) > 0.9)
    True
    """

    __doc__ = fill(__doc__, "classifier", tabular=True)

    def __init__(
        self,
        hidden_layer_sizes=DEFAULTS["hidden_layer_sizes"],
        activation="relu",
        *,
        solver=DEFAULTS["solver"],
        alpha=0.0001,
        batch_size=DEFAULTS["batch_size"],
        learning_rate=DEFAULTS["learning_rate"],
        learning_rate_init=DEFAULTS["learning_rate_init"],
        power_t=0.5,
        max_iter=DEFAULTS["max_iter"],
        shuffle=True,
        random_state=None,
        tol=DEFAULTS["tol"],
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=DEFAULTS["early_stopping"],
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=DEFAULTS["n_iter_no_change"],
        max_fun=15000,
        dropout=DEFAULTS["dropout"],
        callbacks=None,
        categorical_features=DEFAULTS["categorical_features"],
        embedding_dim=None,
        batch_norm=False,
        residual=False,
        feature_scale=False,
        numeric_embedding=DEFAULTS["numeric_embedding"],
        numeric_embedding_frequencies=16,
        numeric_embedding_sigma=0.1,
        numeric_embedding_dim=4,
        parametrization="standard",
        validation_scoring=DEFAULTS["validation_scoring"],
        label_smoothing=0.0,
        handle_missing=DEFAULTS["handle_missing"],
        numeric_scaling=DEFAULTS["numeric_scaling"],
        ema_decay=DEFAULTS["ema_decay"],
        ensemble_size=1,
        training_dtype=DEFAULTS["training_dtype"],
        class_weight=None,
    ):
        store(self, locals())


class TabularMLPRegressor(ScratchMLPRegressor):
    """Multi-layer perceptron regressor for real tables, raw dataframes in.

    :class:`ScratchMLPRegressor` with defaults chosen for tabular data
    instead of scikit-learn's: it takes a pandas or polars dataframe (or an
    array) as it comes, with numeric, text, boolean and Categorical columns
    and missing values, and needs no pipeline in front. Only the defaults
    differ; every parameter, attribute and method is the drop-in class's.

    The recipe (each value is a parameter; its default here, and why):

    {recipe}
    Parameters
    ----------
    {parameters}
    Attributes
    ----------
    target_offset_, target_scale_ : ndarray of shape (n_outputs,)
        With ``target_scaling='standard'``: the targets' statistics.

    {attributes}
    See Also
    --------
    TabularMLPClassifier : The same recipe for classification.
    ScratchMLPRegressor : The drop-in class, with scikit-learn's defaults.
    sklearn.ensemble.HistGradientBoostingRegressor : The other model that
        takes missing values and categorical columns natively.

    Notes
    -----
    The medians, spreads, missing-value columns and categories are learned
    in the first fit (``warm_start`` and ``partial_fit`` keep them); they
    are part of ``layers_`` and of the ONNX graph (one input per column).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skscratch import TabularMLPRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = pd.DataFrame({
    ...     "area": rng.uniform(20, 200, 400),
    ...     "heated": rng.choice([True, False], 400),
    ... })
    >>> y = X["area"] / 50 + X["heated"] + rng.normal(0, 0.1, 400)
    >>> X.loc[::10, "area"] = np.nan
    >>> model = TabularMLPRegressor(random_state=0).fit(X, y)
    >>> [record["kind"] for record in model.layers_][:3]
    ['impute_missing', 'robust_scale', 'embedding']
    >>> bool(model.score(X, y) > 0.8)
    True
    """

    __doc__ = fill(__doc__, "regressor", tabular=True)

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=DEFAULTS["hidden_layer_sizes"],
        activation="relu",
        *,
        solver=DEFAULTS["solver"],
        alpha=0.0001,
        batch_size=DEFAULTS["batch_size"],
        learning_rate=DEFAULTS["learning_rate"],
        learning_rate_init=DEFAULTS["learning_rate_init"],
        power_t=0.5,
        max_iter=DEFAULTS["max_iter"],
        shuffle=True,
        random_state=None,
        tol=DEFAULTS["tol"],
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=DEFAULTS["early_stopping"],
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=DEFAULTS["n_iter_no_change"],
        max_fun=15000,
        dropout=DEFAULTS["dropout"],
        callbacks=None,
        categorical_features=DEFAULTS["categorical_features"],
        embedding_dim=None,
        batch_norm=False,
        residual=False,
        feature_scale=False,
        numeric_embedding=DEFAULTS["numeric_embedding"],
        numeric_embedding_frequencies=16,
        numeric_embedding_sigma=0.1,
        numeric_embedding_dim=4,
        parametrization="standard",
        validation_scoring=DEFAULTS["validation_scoring"],
        handle_missing=DEFAULTS["handle_missing"],
        numeric_scaling=DEFAULTS["numeric_scaling"],
        ema_decay=DEFAULTS["ema_decay"],
        ensemble_size=1,
        training_dtype=DEFAULTS["training_dtype"],
        target_scaling=DEFAULTS["target_scaling"],
    ):
        store(self, locals())
