"""TabularMLPClassifier and TabularMLPRegressor: the same MLPs, defaults for real tables.

They are :class:`~skscratch.ScratchMLPClassifier` and
:class:`~skscratch.ScratchMLPRegressor` with other defaults: those of
:data:`RECIPE`, the one place where the recipe is written down (each value
with its reason). A raw table goes straight in: a pandas or polars dataframe
(or a numpy array) with numeric columns, text, boolean and Categorical
columns, and missing values; the network's own input layers impute and
indicate the missing numbers and scale the numeric columns
(:mod:`skscratch._input.input_layers`), and an embedding table per categorical column
turns categories into vectors. Every parameter of the drop-in classes is a
parameter here, so ``TabularMLPClassifier(dropout=0.2)`` changes one
ingredient, and the benchmark (``benchmarks/bench_tabular.py``) measures the
recipe as it is written here.
"""

import re
import textwrap

from .classifier import ScratchMLPClassifier
from .docstrings import fill
from .regressor import ScratchMLPRegressor

#: The recipe: each default that differs from scikit-learn's, with its reason.
#: The Tabular estimators' signatures read their defaults from here.
RECIPE = {
    "hidden_layer_sizes": (
        (256, 256),
        "two wide layers: room for interactions between columns; dropout and early "
        "stopping hold the capacity in check on small tables",
    ),
    "solver": (
        "adamw",
        "Adam with decoupled weight decay (alpha): the decay does not depend on the "
        "gradient's scale, as an L2 term under Adam does (Loshchilov & Hutter, 2019)",
    ),
    "learning_rate": (
        "cosine",
        "annealed to 0 over max_iter epochs: large steps first, small ones to settle",
    ),
    "batch_size": (
        64,
        "more steps per epoch than 200 on tables of a few thousand rows, and the noise "
        "of small batches regularizes",
    ),
    "dropout": (
        0.2,
        "a regularizer for the wide layers (0.2 rather than 0.1: better on three of "
        "the four tuning sets)",
    ),
    "early_stopping": (
        "auto",
        "10% of the rows held out (stratified for classification); training stops when "
        "their score stalls for n_iter_no_change epochs (below) and keeps the best "
        "epoch's weights; 'auto' "
        "rather than True so that tables of under 20 rows and partial_fit train "
        "without it instead of raising",
    ),
    "n_iter_no_change": (
        20,
        "early stopping waits 20 epochs without a better validation score (not 10): "
        "the held-out tenth of a small table is noisy, and the best epoch is kept",
    ),
    "categorical_features": (
        "auto",
        "text, boolean and Categorical columns are categories, each with an embedding "
        "table: no one-hot encoding to set up",
    ),
    "handle_missing": (
        "indicator",
        "missing numbers are taken, as gradient boosting takes them: the median stands "
        "in, and an indicator column tells the network the value was missing",
    ),
    "numeric_scaling": (
        "smooth_clip",
        "raw columns need no scaler: median and interquartile range, then outliers "
        "squashed smoothly into (-3, 3) (RealMLP-TD's preprocessing)",
    ),
    "numeric_embedding": (
        "pbld",
        "each numeric column becomes 4 columns, cos(2 pi c x + phi) of 16 learned "
        "frequencies through a learned map, beside x itself (RealMLP-TD's PBLD "
        "embedding): the piece that helped most on the tuning sets (R^2 of concrete "
        "0.885 -> 0.901)",
    ),
}

#: The regressor's further ingredient.
REGRESSION_RECIPE = {
    "target_scaling": (
        "standard",
        "the network fits standardized targets, so prices and counts in the "
        "thousands train as fast as targets of unit scale (RealMLP-TD does the same)",
    ),
}

#: The defaults alone.
DEFAULTS = {name: value for name, (value, _) in {**RECIPE, **REGRESSION_RECIPE}.items()}


def _recipe_docstring(docstring, recipe):
    """``docstring`` with the recipe's defaults in its parameter lines, and the recipe.

    The parameter descriptions are the drop-in class's (one text for both);
    each parameter of ``recipe`` gets its default here. A ``{recipe}`` line
    becomes the list of the recipe's values and reasons.
    """
    for name, (value, _) in recipe.items():
        header = re.search(rf"\n    {name} : .*?default=[^\n]*", docstring, re.DOTALL)
        start = header.start() + header.group().rindex("default=")
        docstring = docstring[:start] + f"default={value!r}" + docstring[header.end() :]
    recipe = "".join(
        textwrap.fill(
            f"* ``{name}={value!r}``: {why}.",
            width=80,
            initial_indent="    ",
            subsequent_indent="      ",
        )
        + "\n"
        for name, (value, why) in recipe.items()
    )
    return docstring.replace("    {recipe}\n", recipe + "\n")


def _arguments(constructor_locals):
    """A constructor's arguments, from its ``locals()``, for the parent's constructor."""
    return {k: v for k, v in constructor_locals.items() if k not in ("self", "__class__")}


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
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``: a dict
        ``{label: weight}``, or 'balanced' for ``n_samples / (n_classes *
        count(label))``. 'balanced' is not available to ``partial_fit``.

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
    ``robust_scale``) and of the ONNX graph. Text categories cannot be
    exported to ONNX, whose graph reads one numeric tensor: code them as
    numbers (a pandas Categorical of integers) to export.

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

    __doc__ = _recipe_docstring(fill(__doc__), RECIPE)

    def __init__(
        self,
        hidden_layer_sizes=DEFAULTS["hidden_layer_sizes"],
        activation="relu",
        *,
        solver=DEFAULTS["solver"],
        alpha=0.0001,
        batch_size=DEFAULTS["batch_size"],
        learning_rate=DEFAULTS["learning_rate"],
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
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
        validation_scoring=None,
        label_smoothing=0.0,
        handle_missing=DEFAULTS["handle_missing"],
        numeric_scaling=DEFAULTS["numeric_scaling"],
        ensemble_size=1,
        class_weight=None,
    ):
        super().__init__(**_arguments(locals()))


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
    loss : {'squared_error', 'poisson', 'huber'}, default='squared_error'
        The loss to minimise. 'poisson' needs non-negative targets and predicts
        ``exp`` of the last layer. 'huber' is quadratic up to a residual of 1
        and linear beyond.

    {parameters}
    target_scaling : {'standard'} or None, default='standard'
        'standard': the network fits standardized targets, ``(y -
        target_offset_) / target_scale_`` with each output's mean and standard
        deviation in the first fit (for 'poisson': the mean as the scale, no
        offset), and ``predict`` maps its outputs back. ``loss_`` and the
        validation loss are those of the standardized targets. None: the
        targets as given.

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
    are part of ``layers_`` and of the ONNX graph (numeric categories only).

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

    __doc__ = _recipe_docstring(fill(__doc__), {**RECIPE, **REGRESSION_RECIPE})

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
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
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
        validation_scoring=None,
        handle_missing=DEFAULTS["handle_missing"],
        numeric_scaling=DEFAULTS["numeric_scaling"],
        ensemble_size=1,
        target_scaling=DEFAULTS["target_scaling"],
    ):
        super().__init__(**_arguments(locals()))
