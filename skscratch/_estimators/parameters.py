"""The estimators' parameters, each written once.

:data:`PARAMETERS` is the table: one :class:`Parameter` per parameter of the
four estimators, in the order of their signatures, with its default, the
Tabular estimators' default and the reason for it (``recipe``), its
constraint (scikit-learn's ``_parameter_constraints`` form, allowed values
from the registries), its docstring entry, and the training-configuration
field it feeds (``config``). From it come:

* each estimator's ``_parameter_constraints`` (:func:`constraints`);
* the Parameters sections of the four docstrings, and the Tabular ones'
  recipe (:func:`parameters_section`, :func:`recipe_section`, through
  :func:`skscratch._estimators.docstrings.fill`);
* the Tabular recipe and defaults (:func:`recipe`;
  ``skscratch._estimators.tabular.RECIPE``);
* the plain copies of :func:`skscratch._training.config.training_config`
  (:func:`config_copies`), and the parameters its warm-start error names
  (:data:`LAYER_SHAPING`).

The ``__init__`` signatures stay explicit, as scikit-learn reads them
(``get_params``, ``clone``); ``tests/test_parameters.py`` holds them, the
docstrings and the constraints to this table.

To add a parameter:

1. its :class:`Parameter` here, at the place it takes in the signatures
   (``only=`` for one estimator kind; ``recipe=(value, why)`` for a Tabular
   default of its own; ``shapes_layers=True`` if changing it changes the
   layers' shapes);
2. a line in the signature of each estimator that takes it: the drop-in
   classifier and regressor and the Tabular ones (``_estimators/tabular.py``, reading a
   recipe default from ``DEFAULTS``); the test names a line that is missing,
   out of place or of another default;
3. the code that uses it, reading ``est.<name>``; or, for the training loops,
   ``config=float`` (``int``, ``bool``, :func:`_as_given`) and the
   :class:`~skscratch._training.config.TrainingConfig` field of its name, which
   :func:`~skscratch._training.config.training_config` then fills.

A new allowed value of a parameter whose values are a registry's names (a
solver, an activation, a schedule, a loss ...) is the registry's entry, and
its mention in the parameter's ``doc`` (a test checks). The module is long
because it holds the parameters' reference text.
"""

import dataclasses
import textwrap
from numbers import Integral, Real

import numpy as np
from sklearn.metrics import get_scorer_names

from .._input.input_layers import MISSING_VALUES, SCALINGS
from .._training.solvers import SOLVERS
from .._utils.sklearn_compat import Interval, Options, StrOptions
from ..core.activations import HIDDEN_ACTIVATIONS
from ..core.layers import PERIODIC_VARIANTS
from ..core.losses import REGRESSION_LOSSES
from ..core.mlp import PARAMETRIZATIONS
from ..core.schedules import SCHEDULES


@dataclasses.dataclass(frozen=True)
class Parameter:
    """One estimator parameter: everything written about it.

    Attributes
    ----------
    name : str
    default : object
        The default of the drop-in estimators (scikit-learn's, for its
        parameters).
    constraint : list
        Its entry of ``_parameter_constraints``.
    type, doc : str
        Its docstring entry: ``name : type, default=...`` and the description
        (indented as it likes; it is dedented).
    only : {'classifier', 'regressor'} or None, default=None
        The one estimator kind that takes it; None: both.
    positional : bool, default=False
        Whether the signature takes it before ``*``.
    recipe : (object, str) or None, default=None
        The Tabular estimators' default and the reason for it; None: the
        drop-in default.
    config : callable or None, default=None
        For a parameter that :class:`~skscratch._training.config.TrainingConfig` holds
        as given: the conversion of its value into the field of its name
        (``float``, ``int``, ``bool``, :func:`_as_given`). None: the
        configuration does not copy it (it resolves it, or never reads it).
    shapes_layers : bool, default=False
        Whether the fitted layers' shapes depend on it, so that
        ``warm_start`` and ``partial_fit`` must keep it.
    """

    name: str
    default: object
    constraint: list
    type: str
    doc: str
    only: str = None
    positional: bool = False
    recipe: tuple = None
    config: object = None
    shapes_layers: bool = False


def _as_given(value):
    """The value itself: a configuration field that takes the parameter unconverted."""
    return value


#: The table, in signature order (the regressor's ``loss`` first).
PARAMETERS = (
    Parameter(
        "loss",
        default="squared_error",
        only="regressor",
        positional=True,
        constraint=[StrOptions(set(REGRESSION_LOSSES))],
        type="{'squared_error', 'poisson', 'huber'}",
        doc="""
            The loss to minimise. 'poisson' needs non-negative targets and predicts
            ``exp`` of the last layer, so predictions are always positive. 'huber'
            (not in scikit-learn's MLP) is quadratic up to a residual of 1 and
            linear beyond, so outliers pull less.
        """,
    ),
    Parameter(
        "hidden_layer_sizes",
        default=(100,),
        positional=True,
        constraint=["array-like", Interval(Integral, 1, None, closed="left")],
        type="array-like of shape (n_layers - 2,)",
        doc="""
            The ith element is the number of units in the ith hidden layer.
        """,
        recipe=(
            (128, 128),
            """
            two layers of 128: room for interactions between columns at a
            quarter of (256, 256)'s arithmetic in the second layer; on the tuning
            sets, with the rest of the recipe, within 0.02 of (256, 256)'s scores
            (0.02 lower on carseats and taxi) in 56% of its fit time
            """,
        ),
        shapes_layers=True,
    ),
    Parameter(
        "activation",
        default="relu",
        positional=True,
        constraint=[StrOptions(set(HIDDEN_ACTIVATIONS)), "array-like"],
        type="str or sequence of str",
        doc="""
            Activation of the hidden layers, one name for all or one per hidden
            layer: 'identity' ``z``, 'logistic' ``1 / (1 + exp(-z))``, 'tanh',
            'relu' ``max(z, 0)`` (scikit-learn's four), and skscratch's
            'leaky_relu' (slope 0.01 below 0), 'elu' (``exp(z) - 1`` below 0),
            'gelu' (``z * Phi(z)``, exact), 'selu' (ELU scaled to keep unit
            variance, Klambauer et al. 2017) and 'mish' (``z * tanh(log(1 +
            exp(z)))``).
        """,
    ),
    Parameter(
        "solver",
        default="adam",
        constraint=[StrOptions(set(SOLVERS))],
        type="{'lbfgs', 'sgd', 'adam', 'adamw', 'rmsprop', 'muon'}",
        doc="""
            The weight optimizer: scipy's quasi-Newton L-BFGS-B (full batch; often
            best on small data), mini-batch stochastic gradient descent, Adam, and
            skscratch's AdamW (Adam with decoupled weight decay ``alpha``),
            RMSprop (decay rate ``beta_2``) and Muon (Jordan et al., 2024): the
            momentum (``momentum``, ``nesterovs_momentum``) of each hidden weight
            matrix, every dense layer's but the output layer's, orthogonalized by
            5 Newton-Schulz iterations and scaled by ``0.2 * sqrt(max(rows,
            columns))`` so that a step moves the weights about as much as AdamW's
            at the same ``learning_rate_init`` (Liu et al., 2025); AdamW's step
            for the output layer, embeddings, scales and biases; the decoupled
            decay ``alpha`` for all weights. Each step costs 15 products of the
            matrix's smaller side squared by its larger side: more than a batch's
            forward and backward pass for batches smaller than the layers.
        """,
        recipe=(
            "adamw",
            """
            Adam with decoupled weight decay (alpha): the decay does not depend on
            the gradient's scale, as an L2 term under Adam does (Loshchilov &
            Hutter, 2019)
            """,
        ),
        config=_as_given,
    ),
    Parameter(
        "alpha",
        default=0.0001,
        constraint=[Interval(Real, 0, None, closed="left")],
        type="float",
        doc="""
            Strength of the L2 penalty on the weights (not the biases). It is
            divided by the sum of sample weights of the batch, as in scikit-learn.
            With 'adamw' and 'muon' it is instead the decoupled weight decay: each step
            shrinks the weights by ``learning_rate * alpha``, and the loss has no
            penalty term.
        """,
        config=float,
    ),
    Parameter(
        "batch_size",
        default="auto",
        constraint=[
            StrOptions({"auto", "scaled"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        type="int, 'auto' or 'scaled'",
        doc="""
            Mini-batch size of the stochastic solvers ('sgd', 'adam', 'adamw',
            'rmsprop', 'muon'); 'auto' means ``min(200, n_samples)``; 'scaled'
            (skscratch's) an eighth of ``n_samples``, between 16 and 256 (and at
            most ``n_samples``): at least 8 steps an epoch on a small table, 256
            rows a step from 2,048 rows on. Ignored by 'lbfgs'.
        """,
        recipe=(
            "scaled",
            """
            256 rows a step from 2,048 rows on: a step of 256 rows costs little
            more than one of 64 on a CPU (the products are larger, the per-step
            costs the same), so an epoch takes a quarter of the steps; an eighth
            of a smaller table, so that every epoch still has 8 noisy steps (with
            256 on a table of 197 rows every step took the whole table; one
            held-out split reached R^2 0.39 where batches of 64 had reached 0.77)
            """,
        ),
    ),
    Parameter(
        "learning_rate",
        default="constant",
        constraint=[StrOptions(set(SCHEDULES)), callable],
        type=(
            "{'constant', 'invscaling', 'adaptive', 'cosine', 'coslog4', 'one_cycle'} "
            "or callable"
        ),
        doc="""
            Learning-rate schedule, set once per epoch. For 'sgd' only, as in
            scikit-learn: keep ``learning_rate_init``; use
            ``learning_rate_init / (t + 1) ** power_t`` after ``t`` samples; or
            divide the rate by 5 each time the stopping rule of ``tol`` and
            ``n_iter_no_change`` would stop training (until the rate is 1e-6 or
            below, then stop). For every stochastic solver: 'cosine' anneals the
            rate to 0 over ``max_iter`` epochs on a half cosine; 'coslog4'
            (RealMLP's) runs 4 cosine cycles from 0 up to ``learning_rate_init``
            and back, each twice as long as the one before
            (``(1 - cos(2 pi log2(1 + 15 t))) / 2`` at the fraction ``t`` of
            ``max_iter`` done); 'one_cycle' warms up from 0.04 times
            ``learning_rate_init`` over the first quarter of ``max_iter``, then
            anneals to 1e-5 times it, both on half cosines; and a callable
            ``factor(epoch) -> float`` (epochs counted from 0) sets the rate to
            ``learning_rate_init * factor(epoch)``, e.g.
            ``lambda epoch: 1 / (1 + 0.01 * epoch)``. The stopping rule still
            applies to all of them: ``n_iter_no_change=np.inf`` runs the whole
            schedule.
        """,
        recipe=(
            "cosine",
            """
            annealed to 0 over max_iter epochs: large steps first, small ones to
            settle
            """,
        ),
    ),
    Parameter(
        "learning_rate_init",
        default=0.001,
        constraint=[Interval(Real, 0, None, closed="neither")],
        recipe=(
            0.003,
            """
            three times Adam's usual rate, for batches four times larger, annealed
            to 0 by the cosine schedule
            """,
        ),
        type="float",
        doc="""
            Initial step size of the stochastic solvers ('sgd', 'adam', 'adamw',
            'rmsprop', 'muon'). Ignored by 'lbfgs'.
        """,
        config=float,
    ),
    Parameter(
        "power_t",
        default=0.5,
        constraint=[Interval(Real, 0, None, closed="left")],
        type="float",
        doc="""
            Exponent of the 'invscaling' schedule.
        """,
        config=float,
    ),
    Parameter(
        "max_iter",
        default=200,
        constraint=[Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        type="int or 'auto'",
        doc="""
            Maximum number of epochs (the stochastic solvers 'sgd', 'adam',
            'adamw', 'rmsprop', 'muon') or iterations ('lbfgs'). 'auto'
            (skscratch's) plans the epochs for about 2,000 optimizer steps,
            between 10 and 200 epochs: many short epochs on a small table, a
            few long ones on a large table; a schedule planned over
            ``max_iter`` ('cosine', 'coslog4', 'one_cycle') anneals over them,
            and reaching the last one is the plan, so it raises no
            ConvergenceWarning. 'lbfgs' takes 200 iterations.
        """,
        recipe=(
            "auto",
            """
            a budget of about 2,000 steps over which the cosine schedule anneals:
            a table of 400 rows gets 200 epochs, one of 20,000 rows about 30
            (200 epochs of a cosine planned over 200 were rarely reached: early
            stopping ended most fits while the rate was still near its start)
            """,
        ),
    ),
    Parameter(
        "shuffle",
        default=True,
        constraint=["boolean"],
        type="bool",
        doc="""
            Whether to shuffle the samples every epoch (the stochastic solvers
            'sgd', 'adam', 'adamw', 'rmsprop', 'muon').
        """,
        config=bool,
    ),
    Parameter(
        "random_state",
        default=None,
        constraint=["random_state"],
        type="int, RandomState instance or None",
        doc="""
            Seeds weight initialisation, the early-stopping split and the
            shuffling. An int gives bit-identical models from run to run.
        """,
    ),
    Parameter(
        "tol",
        default=1e-4,
        constraint=[Interval(Real, 0, None, closed="left")],
        type="float",
        doc="""
            The stochastic solvers stop after ``n_iter_no_change + 1`` consecutive
            epochs whose loss is not below the best loss so far minus ``tol``
            (with early stopping: whose validation score is not above the best
            score so far plus ``tol``), as scikit-learn does. For 'lbfgs' it is
            the gradient tolerance.
        """,
        config=float,
        recipe=(
            1e-3,
            """
            the weight average's validation loss falls smoothly, by less and
            less: an epoch counts as better only if it gains 0.001. On the
            tuning sets, against 0.0001: the same scores on six of nine, ames
            +0.001, diamonds -0.0005 and concrete -0.016, in 26% less time
            """,
        ),
    ),
    Parameter(
        "verbose",
        default=False,
        constraint=["verbose"],
        type="bool",
        doc="""
            Print the loss after every epoch.
        """,
        config=bool,
    ),
    Parameter(
        "warm_start",
        default=False,
        constraint=["boolean"],
        type="bool",
        doc="""
            Start ``fit`` from the previous solution instead of a new random one,
            also after switching ``solver``. ``y`` must have the same classes as
            in the previous fit.
        """,
    ),
    Parameter(
        "momentum",
        default=0.9,
        constraint=[Interval(Real, 0, 1, closed="both")],
        type="float",
        doc="""
            Momentum of 'sgd', and of the hidden weight matrices of 'muon', in [0, 1].
        """,
    ),
    Parameter(
        "nesterovs_momentum",
        default=True,
        constraint=["boolean"],
        type="bool",
        doc="""
            Use Nesterov's momentum ('sgd' and 'muon' with ``momentum > 0``).
        """,
    ),
    Parameter(
        "early_stopping",
        default=False,
        constraint=["boolean", StrOptions({"auto"})],
        type="bool or 'auto'",
        doc="""
            Hold out ``validation_fraction`` of the training data, stop when its
            score stalls, and keep the weights that scored best (the stochastic
            solvers 'sgd', 'adam', 'adamw', 'rmsprop', 'muon'; 'lbfgs' ignores
            it). For a single-label classifier the hold-out is stratified where
            every class can have a place in both parts, and drawn at random
            otherwise. With a validation set given to ``fit`` (``X_val``,
            ``y_val``), that set is scored instead and nothing is held out. The
            score is accuracy or R^2, or that of ``validation_scoring``. 'auto'
            (skscratch's) stops early wherever True could without an error: in
            ``fit`` when the hold-out leaves at least 2 validation samples and 1
            training sample (or ``X_val`` is given), and not in ``partial_fit``,
            whose epoch then trains on every row given.
        """,
        recipe=(
            "auto",
            """
            10% of the rows held out (stratified for classification); training
            stops when their score stalls for n_iter_no_change epochs (below) and
            keeps the best epoch's weights; 'auto' rather than True so that tables
            of under 20 rows and partial_fit train without it instead of raising
            """,
        ),
    ),
    Parameter(
        "validation_fraction",
        default=0.1,
        constraint=[Interval(Real, 0, 1, closed="left")],
        type="float",
        doc="""
            Fraction of the training data held out for early stopping (unless
            ``fit`` gets ``X_val``); it must leave at least 2 validation samples
            and 1 training sample.
        """,
        config=float,
    ),
    Parameter(
        "beta_1",
        default=0.9,
        constraint=[Interval(Real, 0, 1, closed="left")],
        type="float",
        doc="""
            Decay rate of the first-moment estimate of 'adam' and 'adamw' (and of
            Muon's, for the parameters outside its matrices), in [0, 1).
        """,
    ),
    Parameter(
        "beta_2",
        default=0.999,
        constraint=[Interval(Real, 0, 1, closed="left")],
        type="float",
        doc="""
            Decay rate of the second-moment estimate of 'adam', 'adamw' and
            Muon's AdamW part, and of the squared-gradient average of
            'rmsprop', in [0, 1).
        """,
    ),
    Parameter(
        "epsilon",
        default=1e-8,
        constraint=[Interval(Real, 0, None, closed="neither")],
        type="float",
        doc="""
            Numerical-stability constant of 'adam', 'adamw', 'rmsprop' and
            Muon's AdamW part.
        """,
    ),
    Parameter(
        "n_iter_no_change",
        default=10,
        constraint=[
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
            StrOptions({"auto"}),
        ],
        type="int or 'auto'",
        doc="""
            Training stops once more than ``n_iter_no_change`` consecutive epochs
            have not improved on the best loss (or validation score) so far by
            ``tol``; see ``tol``. Every stochastic solver ('sgd', 'adam', 'adamw',
            'rmsprop', 'muon'). 'auto' (skscratch's) waits a tenth of the
            epochs (``max_iter``, as 'auto' plans it), between 5 and 12.
        """,
        recipe=(
            "auto",
            """
            early stopping waits a tenth of the planned epochs, between 5 and 12:
            12 on a small table (its held-out tenth scores noisily, and the best
            epoch is kept), 5 on a large one, whose epochs are long and whose
            validation set is large (on the tuning sets of 10,000 to 28,000
            rows, 6 epochs gave the scores of 12 to 0.001 in two thirds of the
            time; 16 rather than 12 on the small ones, the same scores on five
            and 0.001 more R^2 on concrete in 11% to 19% more time)
            """,
        ),
    ),
    Parameter(
        "max_fun",
        default=15000,
        constraint=[Interval(Integral, 1, None, closed="left")],
        type="int",
        doc="""
            Maximum number of loss evaluations of 'lbfgs'.
        """,
        config=int,
    ),
    Parameter(
        "dropout",
        default=0.0,
        constraint=[Interval(Real, 0, 1, closed="left"), "array-like"],
        type="float or sequence of float",
        doc="""
            Probability of dropping each hidden unit during training, for all
            hidden layers or one rate per hidden layer, in [0, 1). Inverted
            dropout: kept units are scaled by ``1 / (1 - rate)`` while training,
            so prediction uses the whole network unchanged. Masks are drawn from
            ``random_state``, 16 random bits per unit: the rate in effect is
            ``rate`` rounded to a multiple of ``2**-16``, and the scale is its
            keep rate's inverse.
        """,
        recipe=(
            0.1,
            """
            a regularizer for the wide layers; 0.1 beside the weight average
            (``ema_decay``), which smooths too: with the average, every tuning
            set scored higher than with 0.2 and no average; with the average
            and no dropout, six of the nine scored lower than with 0.1
            """,
        ),
    ),
    Parameter(
        "callbacks",
        default=None,
        constraint=[None, list],
        type="list of objects",
        doc="""
            Objects notified during ``fit`` and ``partial_fit``: each may define
            ``on_fit_begin(estimator)``, ``on_epoch_begin(estimator)``,
            ``on_epoch_end(estimator, record)`` (after each epoch, or each 'lbfgs'
            iteration, with the record just added to ``history_``; return True to
            stop training) and ``on_fit_end(estimator)``. ``estimator`` is the
            model being trained: it predicts with that epoch's weights, and its
            fitted attributes agree with them (a private copy, committed to this
            estimator when the fit succeeds). See :mod:`skscratch.callbacks`:
            ``EpochScoring``, ``Checkpoint``, ``HistoryLogger``, ``ProgressBar``,
            ``EarlyStopping`` on a score of your own, ``copy_weights`` and
            ``restore_weights``.
        """,
    ),
    Parameter(
        "categorical_features",
        default="from_dtype",
        constraint=["array-like", StrOptions({"from_dtype", "auto"}), None],
        type="array-like of {bool, int, str}, 'from_dtype', 'auto' or None",
        doc="""
            The categorical features, read as
            :class:`~sklearn.ensemble.HistGradientBoostingClassifier` reads them:
            'from_dtype' takes the Categorical and Enum columns of a pandas or
            polars dataframe (no column of a numpy array or sparse matrix); a
            boolean mask, integer indices or feature names name them; None: none.
            'auto' (skscratch's) takes the Categorical and Enum columns and the
            columns of strings or booleans: string, object-of-text and boolean
            columns of a dataframe, and the columns of a numpy object (or str)
            array that hold strings; columns of numbers stay numeric.
            Each categorical feature's categories (the values seen in the first
            fit; missing values NaN, None, ``pd.NA`` are a category of their own)
            get a learned vector each, in an embedding table placed before the
            first dense layer and trained with the other weights (every solver,
            L2, dropout after it). A value not seen in the first fit takes the
            unknown vector, the categories' mean weighted by how often they
            occurred in that fit. At most 10,000 categories per feature.
            Categories may be strings or numbers (e.g. integer codes in a numpy
            array, named by index); ``warm_start`` and ``partial_fit`` keep the
            first fit's categories.
        """,
        recipe=(
            "auto",
            """
            text, boolean and Categorical columns are categories, each with an
            embedding table: no one-hot encoding to set up
            """,
        ),
    ),
    Parameter(
        "embedding_dim",
        default=None,
        constraint=[None, Interval(Integral, 1, None, closed="left"), "array-like"],
        type="int, array-like of int or None",
        doc="""
            Width of the embedding vectors: one width for every categorical
            feature, or one per feature. None: ``min(50, ceil(1.6 * n ** 0.56))``
            for a feature of ``n`` categories (fastai's rule of thumb, capped at
            50): 3 for 2 categories, 6 for 10, 22 for 100, 50 from 451 on.
        """,
        config=_as_given,
        shapes_layers=True,
    ),
    Parameter(
        "batch_norm",
        default=False,
        constraint=["boolean", "array-like"],
        type="bool or sequence of bool",
        doc="""
            Batch normalization of the hidden layers' pre-activations (all of
            them, or one flag per hidden layer): while training, each unit is
            standardized by the mean and variance of its mini-batch (weighted by
            ``sample_weight``; epsilon 1e-5), then scaled and shifted by learned
            parameters (not penalised by ``alpha``); the running statistics
            (momentum 0.1) stand in for the batch's at prediction. 'lbfgs' trains
            on the full batch, whose statistics it predicts with.
        """,
        shapes_layers=True,
    ),
    Parameter(
        "residual",
        default=False,
        constraint=["boolean"],
        type="bool",
        doc="""
            Identity skips around every hidden layer after the first,
            ``a = a_in + f(a_in @ W + b)`` (the "ResNet" MLP of Gorishniy et
            al., 2021). Needs two or more hidden layers of one width.
        """,
        config=bool,
        shapes_layers=True,
    ),
    Parameter(
        "feature_scale",
        default=False,
        constraint=["boolean"],
        type="bool",
        doc="""
            A learned scale per column right before the first dense layer,
            ``a = x * s`` (RealMLP-TD's front scale, Holzmüller et al., 2024):
            one ``s_j``, starting at 1, for each column that layer reads (after
            the numeric and categorical embeddings), so that training can weigh
            the columns up or down. ``s`` is penalised by ``alpha`` (and decayed
            by 'adamw') like the weights, so that the first layer's penalty
            cannot be dodged by moving size from its weights into ``s``.
        """,
        config=bool,
        shapes_layers=True,
    ),
    Parameter(
        "numeric_embedding",
        default=None,
        constraint=[None, StrOptions(set(PERIODIC_VARIANTS))],
        type="{'plr', 'pbld'} or None",
        doc="""
            Periodic embeddings of the numeric features (Gorishniy et al., 2022),
            before the first dense layer: each numeric column ``x_j`` becomes
            ``numeric_embedding_dim`` columns of its own, from
            ``numeric_embedding_frequencies`` learned frequencies ``c_jk`` and a
            learned linear map per feature. 'plr' (the paper's PLR):
            ``[sin(2 pi c_jk x_j), cos(2 pi c_jk x_j)]`` over ``k``, the linear
            map, then ReLU. 'pbld' (RealMLP-TD's): ``cos(2 pi c_jk x_j + phi_jk)``
            with learned phases, the linear map to ``numeric_embedding_dim - 1``
            columns, and ``x_j`` itself beside them. The categorical features
            keep their own embeddings (``categorical_features``); a sparse X is
            made dense one batch at a time.
        """,
        recipe=(
            "pbld",
            """
            each numeric column becomes 4 columns, cos(2 pi c x + phi) of 16
            learned frequencies through a learned map, beside x itself
            (RealMLP-TD's PBLD embedding): the piece that helped most on the
            tuning sets (R^2 of concrete 0.885 -> 0.901)
            """,
        ),
        shapes_layers=True,
    ),
    Parameter(
        "numeric_embedding_frequencies",
        default=16,
        constraint=[Interval(Integral, 1, None, closed="left")],
        type="int",
        doc="""
            Frequencies per numeric feature of ``numeric_embedding``.
        """,
        config=int,
        shapes_layers=True,
    ),
    Parameter(
        "numeric_embedding_sigma",
        default=0.1,
        constraint=[Interval(Real, 0, None, closed="neither")],
        type="float",
        doc="""
            Standard deviation of the normal draw of the starting frequencies:
            on standardized columns, 0.1 starts with periods of about 10
            standard deviations (smooth functions of ``x_j``) that training
            sharpens where the data asks.
        """,
        config=float,
    ),
    Parameter(
        "numeric_embedding_dim",
        default=4,
        constraint=[Interval(Integral, 1, None, closed="left")],
        type="int",
        doc="""
            Columns per numeric feature of ``numeric_embedding`` (for 'pbld',
            ``x_j`` itself included, so at least 2). The defaults of these three
            are RealMLP-TD's, chosen there to work without tuning.
        """,
        config=int,
        shapes_layers=True,
    ),
    Parameter(
        "parametrization",
        default="standard",
        constraint=[StrOptions(set(PARAMETRIZATIONS))],
        type="{'standard', 'ntk'}",
        doc="""
            How the dense layers' weights enter the pre-activations. 'standard'
            (scikit-learn's): ``z = a @ W + b``, Glorot's uniform start. 'ntk'
            (RealMLP-TD's): ``z = (a @ W) / sqrt(fan_in) + b``, ``W`` and ``b``
            drawn from N(0, 1) and the output layer starting at 0. The gradient
            of ``W`` then carries the factor ``1 / sqrt(fan_in)`` too, so that
            Adam's step on the effective weights ``W / sqrt(fan_in)`` is
            ``learning_rate_init / sqrt(fan_in)`` (RealMLP-TD pairs it with
            ``learning_rate_init=0.04``) and SGD's ``learning_rate_init /
            fan_in``. ``coefs_`` holds ``W``; ``alpha`` penalises ``W``, which is
            ``fan_in`` times the penalty on the effective weights.
        """,
        config=_as_given,
        shapes_layers=True,
    ),
    Parameter(
        "validation_scoring",
        default=None,
        constraint=[None, StrOptions(set(get_scorer_names()) | {"loss"}), callable],
        type="str, callable or None",
        doc="""
            The score of the validation set (the part ``early_stopping`` holds
            out, or ``X_val``): None for accuracy or R^2 (scikit-learn's);
            'loss' (skscratch's) for the training loss on the validation set,
            negated and without the L2 penalty (log-loss, label-smoothed where
            ``label_smoothing`` is, or the regression loss on the scaled
            targets); a scikit-learn scorer name such as 'neg_log_loss',
            'roc_auc', 'accuracy', 'r2'; or a callable
            ``scorer(estimator, X, y)`` (e.g. from
            :func:`~sklearn.metrics.make_scorer`), which gets a stand-in that
            predicts the validation set (``predict``, and ``predict_proba`` for
            a classifier). Greater is better. With ``early_stopping=True``
            training keeps the weights of the best-scoring epoch, and
            ``n_iter_no_change=np.inf`` then never stops early: best-epoch
            selection over the whole schedule, as RealMLP-TD does.
        """,
        recipe=(
            "loss",
            """
            early stopping follows the validation log-loss (or squared error), not
            accuracy: on an imbalanced table accuracy stays at the majority
            class's rate and stopped training after n_iter_no_change epochs
            (the tuning set taxi, 8% tipped: AUC 0.550 with accuracy, 0.598 with
            the loss)
            """,
        ),
    ),
    Parameter(
        "label_smoothing",
        default=0.0,
        only="classifier",
        constraint=[Interval(Real, 0, 1, closed="left")],
        type="float in [0, 1)",
        doc="""
            The log-loss is taken against ``(1 - eps) y + eps / K`` in place of
            the one-hot targets ``y`` (``eps`` = label_smoothing; ``K`` the number
            of classes for several classes, 2 for each logistic output: two
            classes, or each label of a multilabel target). The output delta
            stays ``softmax(z) - y_smoothed``; no target asks for a probability
            of exactly 0 or 1, so the logits stay bounded (RealMLP-TD uses
            0.1). ``loss_``, ``loss_curve_`` and ``validation_loss`` are this
            smoothed loss, the objective training minimises, whose least value
            is the smoothed targets' entropy, not 0. Not in scikit-learn's MLP.
        """,
    ),
    Parameter(
        "handle_missing",
        default="error",
        constraint=[StrOptions(set(MISSING_VALUES))],
        type="{'error', 'indicator'}",
        doc="""
            Missing values (NaN) in the numeric columns: 'error' refuses them,
            as scikit-learn's MLP does; 'indicator' takes them, as
            HistGradientBoosting does, and the network's first layer replaces
            each NaN by its column's median in the first fit's training data and
            appends an indicator column (1 where the value was missing) for each
            numeric column that had missing values then. The medians and the
            columns indicated are part of the fitted model (``layers_``), applied
            by ``predict`` and the ONNX graph; inf is refused either way. Missing
            values of categorical features are a category of their own whatever
            this is.
        """,
        recipe=(
            "indicator",
            """
            missing numbers are taken, as gradient boosting takes them: the median
            stands in, and an indicator column tells the network the value was
            missing
            """,
        ),
    ),
    Parameter(
        "numeric_scaling",
        default=None,
        constraint=[StrOptions(set(SCALINGS)), None],
        type="{'robust', 'smooth_clip'} or None",
        doc="""
            Scaling of the numeric columns inside the network, so that raw
            columns need no scaler: 'robust' maps ``x`` to ``u = (x - median) /
            spread``, the spread being the interquartile range (half the range
            where that is 0; a constant column becomes 0), both from the first
            fit's training data; 'smooth_clip' then squashes ``u`` into (-3, 3)
            by ``u / sqrt(1 + (u / 3)**2)``, which keeps outliers in order but
            bounded (RealMLP-TD's preprocessing, as
            :class:`~skscratch.preprocessing.SmoothClipScaler`). A layer without
            parameters whose statistics are part of the fitted model. None: the
            columns as given (scale them first, e.g. with a ``StandardScaler``).
            Missing-value indicators and category codes are not scaled.
        """,
        recipe=(
            "smooth_clip",
            """
            raw columns need no scaler: median and interquartile range, then
            outliers squashed smoothly into (-3, 3) (RealMLP-TD's preprocessing)
            """,
        ),
    ),
    Parameter(
        "ema_decay",
        default=None,
        constraint=[None, Interval(Real, 0, 1, closed="left")],
        type="float or None",
        doc="""
            Predict with an exponential moving average of the weights, in [0, 1)
            (the stochastic solvers; 'lbfgs' ignores it). After every optimizer
            step the average takes in the weights ``W``, ``E <- ema_decay * E +
            (1 - ema_decay) * W``, and is divided by ``1 - ema_decay ** t``
            after ``t`` steps (Adam's bias correction), so that it weighs the
            last ``1 / (1 - ema_decay)`` steps or so and not the random start:
            0.99 averages about the last 100 steps. The fitted ``coefs_`` and
            ``intercepts_``, the validation score of ``early_stopping`` (and the
            epoch it keeps), and the model that callbacks see at the end of each
            epoch are the average, while training steps on from the weights it
            reached. ``partial_fit`` keeps those weights and the average for
            its next call; a warm start begins from the fitted (averaged)
            weights with a new average. Batch normalization's running
            statistics are averaged alike. 0 keeps the last step's weights, as
            None (scikit-learn's) does.
        """,
        recipe=(
            0.98,
            """
            the last 50 steps or so averaged: with ``dropout=0.1``, higher
            scores on all nine tuning sets than 0.2 and no average (concrete
            R^2 +0.018, carseats +0.026); 0.99 and 0.95 no better
            """,
        ),
    ),
    Parameter(
        "ensemble_size",
        default=1,
        constraint=[Interval(Integral, 1, None, closed="left")],
        type="int",
        doc="""
            The number ``k`` of members of an ensemble trained inside one
            network (TabM-mini, Gorishniy et al., ICLR 2025): every batch is
            copied ``k`` times, member ``m``'s copy scaled column by column by
            ``r_m`` (random signs at the start), then all members run through
            the same hidden layers (shared weights; their own dropout masks)
            into an output layer of their own. The loss is the mean of the
            members' losses, and ``predict``, ``predict_proba`` and the
            validation score average their outputs (probabilities for a
            classifier, predictions for a regressor). A step costs about ``k``
            times the arithmetic of one network. ``r`` is penalised by
            ``alpha`` like the weights. ``coefs_`` then ends with the heads'
            weights, of shape ``(k, n_units, n_outputs)``. 1: one network, as
            scikit-learn's.
        """,
        config=int,
        shapes_layers=True,
    ),
    Parameter(
        "training_dtype",
        default=None,
        constraint=[StrOptions({"float32", "float64"}), None],
        type="{'float32', 'float64'} or None",
        doc="""
            The float type training computes in. None: X's (float32 data trains
            in float32, anything else in float64). 'float32' halves the memory
            and, on a CPU, takes about half the time of float64 per step (more
            with periodic numeric embeddings, whose sines and cosines numpy
            vectorizes in float32 only). Whatever the training's type, the
            fitted model is kept in X's: trained in float32 on float64 data, its
            weights are float32 numbers stored as float64 (exactly), and
            ``predict``, ``predict_proba``, ``coefs_``, pickles and the ONNX
            graph are float64, as without it. What training in float32 gives up
            is the last digits of each step (float32 keeps about 7 significant
            digits): the same seed then trains another model than in float64,
            of the same quality on tables, not bit for bit the same one. Not in
            scikit-learn's MLP.
        """,
        recipe=(
            "float32",
            """
            about half the time of float64 a step on a CPU, for the same scores on
            the tuning sets (within 0.006, three higher and three lower); the
            fitted model is still float64
            """,
        ),
    ),
    Parameter(
        "class_weight",
        default=None,
        only="classifier",
        constraint=[None, StrOptions({"balanced"}), dict],
        type="dict, 'balanced' or None",
        doc="""
            Weights of the classes, multiplied into ``sample_weight``: a dict
            ``{label: weight}``, or 'balanced' for ``n_samples / (n_classes *
            count(label))``. Not in scikit-learn's MLP. 'balanced' is not available
            to ``partial_fit``.
        """,
    ),
    Parameter(
        "target_scaling",
        default=None,
        only="regressor",
        constraint=[StrOptions({"standard"}), None],
        type="{'standard'} or None",
        doc="""
            Not in scikit-learn's MLP. 'standard': the network fits standardized
            targets, ``(y - target_offset_) / target_scale_`` with each output's
            mean and standard deviation in the first fit (for 'poisson': the mean
            as the scale, no offset, so targets stay non-negative), and
            ``predict`` maps its outputs back; as a
            :class:`~sklearn.compose.TransformedTargetRegressor` with a
            :class:`~sklearn.preprocessing.StandardScaler` does, without the
            wrapper. Targets of any scale (prices, counts in the thousands) then
            train as fast as those of unit scale, and the learning rate, ``tol``
            and Huber's threshold of 1 keep their meaning; ``loss_`` and the
            validation loss are those of the standardized targets. None: the
            targets as given.
        """,
        recipe=(
            "standard",
            """
            the network fits standardized targets, so prices and counts in the
            thousands train as fast as targets of unit scale (RealMLP-TD does the
            same)
            """,
        ),
    ),
)

#: The parameters the fitted layers' shapes depend on.
LAYER_SHAPING = tuple(p.name for p in PARAMETERS if p.shapes_layers)


def parameters(estimator=None):
    """The entries of an estimator kind's parameters, in signature order.

    Parameters
    ----------
    estimator : {'classifier', 'regressor'} or None, default=None
        None: the parameters both kinds take.
    """
    return [p for p in PARAMETERS if p.only in (None, estimator)]


def defaults(estimator=None, tabular=False):
    """``{name: default}`` of ``estimator``'s parameters (the Tabular ones'
    with ``tabular``)."""
    return {
        p.name: p.recipe[0] if tabular and p.recipe else p.default
        for p in parameters(estimator)
    }


def constraints(estimator=None):
    """``_parameter_constraints`` of ``estimator`` (a new dict: a class may patch it)."""
    return {p.name: p.constraint for p in parameters(estimator)}


def recipe(estimator=None):
    """``{name: (Tabular default, reason)}`` of ``estimator``'s parameters whose
    Tabular default differs from the drop-in one; the reason as one line."""
    return {
        p.name: (p.recipe[0], " ".join(p.recipe[1].split()))
        for p in parameters(estimator)
        if p.recipe
    }


def config_copies(est):
    """The :class:`~skscratch._training.config.TrainingConfig` fields that copy a parameter
    of ``est``, converted."""
    return {p.name: p.config(getattr(est, p.name)) for p in PARAMETERS if p.config}


def parameters_section(estimator, tabular=False):
    """The entries of a docstring's Parameters section, indented by 4 spaces.

    Each entry: ``name : type, default=...`` (the Tabular default with
    ``tabular``), then its description indented by 8; a blank line after each.
    """
    shown = defaults(estimator, tabular)
    return "\n".join(
        f"    {p.name} : {p.type}, default={shown[p.name]!r}\n"
        + textwrap.indent(textwrap.dedent(p.doc).strip("\n"), " " * 8)
        + "\n"
        for p in parameters(estimator)
    )


def recipe_section(estimator):
    """The Tabular recipe as a bulleted list: ``* ``name=value``: reason.``"""
    return "".join(
        textwrap.fill(
            f"* ``{name}={value!r}``: {why}.",
            width=80,
            initial_indent="    ",
            subsequent_indent="      ",
        )
        + "\n"
        for name, (value, why) in recipe(estimator).items()
    )


def store(est, arguments):
    """Set each constructor argument on ``est`` under its name, as scikit-learn's
    estimators do (``get_params`` reads them back).

    ``arguments`` is the constructor's ``locals()``, so the signature stays
    the one place that lists them.
    """
    for name, value in arguments.items():
        if name != "self":
            setattr(est, name, value)
