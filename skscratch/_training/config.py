"""Estimator parameters -> a training configuration; the network and optimizer it trains.

:func:`training_config` reads the estimator's parameters once and resolves
them into a :class:`TrainingConfig` (per-layer choices, the batch size of
this fit, the solver's traits from :data:`SOLVERS`). Everything after that,
the network (:func:`build`), the optimizer (:func:`make_optimizer`), the
training loops and the stop rules, reads the configuration, not the
estimator. ``fit`` and :func:`~skscratch.check_gradients` both call
:func:`build`, so the network a gradient check examines is the one a fit
would train.

A new step-by-step optimizer is a class in :mod:`skscratch.core.optimizers`
plus one line in :data:`SOLVERS`, which also gives the ``solver`` parameter
its allowed values.
"""

import dataclasses
import math
import os
from numbers import Integral
from types import MappingProxyType

import numpy as np

from .._estimators.parameters import LAYER_SHAPING, config_copies
from .._utils.warnings import warn
from ..core import Network, make_schedule
from ..core.backend import ops_for
from ..core.layers import Embedding, FeatureScale, PeriodicEmbedding, count_parameters
from ..core.losses import LOSSES
from ..core.mlp import (
    check_residual_widths,
    ensemble_layers,
    init_factors,
    per_hidden_layer_activations,
    per_hidden_layer_dropout,
    per_hidden_layer_flags,
    stack_layers,
)
from ..core.network import describe
from .solvers import SOLVERS, STOCHASTIC_SOLVERS, Solver  # noqa: F401 (re-exported)

#: The variant of the estimators' ensemble (``ensemble_size``): TabM-mini's
#: fork and heads around shared hidden layers, or "full", an adapter per hidden
#: layer too (:func:`~skscratch.core.mlp.ensemble_layers`).
ENSEMBLE_VARIANT = "mini"

#: learning_rate values that apply to every stochastic solver (skscratch's
#: additions, and a callable); scikit-learn applies its own schedules
#: (invscaling, adaptive) to sgd only, and adam keeps a constant rate.
SCHEDULES_FOR_EVERY_SOLVER = ("cosine", "coslog4", "one_cycle")


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    """Everything a fit reads of the estimator's parameters, resolved once.

    Built by :func:`training_config`; the fields named as the parameters
    mean what those parameters mean.

    Attributes
    ----------
    stochastic, decoupled_weight_decay : bool
        The solver's traits (:class:`Solver`).
    hidden_layer_sizes, activations, dropout, batch_norm : tuple
        One entry per hidden layer.
    init_fallback : str
        The activation whose Glorot factor the output layer takes when there
        is no hidden layer (scikit-learn's rule).
    batch_size : int
        The mini-batch size of this fit ('auto' resolved, clipped to the data).
    learning_rate : str or callable
        The schedule the optimizer follows ('constant' where scikit-learn
        keeps the rate constant).
    optimizer_arguments : mapping
        The optimizer's constructor arguments from the estimator's parameters.
    max_iter : int
        Epochs (or L-BFGS iterations), 'auto' resolved (:func:`epochs`).
    planned_epochs : bool
        Whether ``max_iter`` was 'auto': the number of epochs is then a plan
        that training is meant to reach, and reaching it raises no
        ConvergenceWarning.
    numeric_embedding : str or None
        The :class:`~skscratch.core.layers.PeriodicEmbedding` variant, with
        ``numeric_embedding_frequencies``, ``numeric_embedding_dim`` and
        ``numeric_embedding_sigma``; None for none.
    ema_decay : float or None
        The decay of the moving average of the weights that a stochastic
        fit predicts with (:class:`~skscratch.core.averaging.WeightAverage`);
        None for none, and for 'lbfgs'.
    ensemble_size : int
        The members of the ensemble inside the network (1: none), of
        :data:`ENSEMBLE_VARIANT`.
    """

    solver: str
    stochastic: bool
    decoupled_weight_decay: bool
    hidden_layer_sizes: tuple
    activations: tuple
    dropout: tuple
    batch_norm: tuple
    residual: bool
    feature_scale: bool
    numeric_embedding: object
    numeric_embedding_frequencies: int
    numeric_embedding_sigma: float
    numeric_embedding_dim: int
    parametrization: str
    ensemble_size: int
    init_fallback: str
    embedding_dim: object
    alpha: float
    batch_size: int
    learning_rate: object
    learning_rate_init: float
    power_t: float
    optimizer_arguments: MappingProxyType
    max_iter: int
    max_fun: int
    tol: float
    n_iter_no_change: float
    shuffle: bool
    verbose: bool
    early_stopping: bool
    validation_fraction: float
    ema_decay: object = None
    planned_epochs: bool = False


def training_config(est, n_samples):
    """The :class:`TrainingConfig` of ``est``'s parameters for a fit on ``n_samples``.

    The fields that hold a parameter as given come from the parameter table
    (its ``config`` column); the others are resolved here. Checks the
    per-layer parameters (ValueError or TypeError naming the parameter), and
    warns when ``batch_size`` exceeds ``n_samples``.
    """
    solver = SOLVERS[est.solver]
    hidden = hidden_layer_sizes(est.hidden_layer_sizes)
    n_hidden = len(hidden)
    if est.residual:
        check_residual_widths(hidden)
    scheduled = est.solver == "sgd" or callable(est.learning_rate)
    scheduled = scheduled or est.learning_rate in SCHEDULES_FOR_EVERY_SOLVER
    max_iter = epochs(est, n_samples)
    return TrainingConfig(
        **config_copies(est),  # the parameters it holds as given
        stochastic=solver.stochastic,
        decoupled_weight_decay=solver.decoupled_weight_decay,
        hidden_layer_sizes=tuple(hidden),
        activations=tuple(per_hidden_layer_activations(est.activation, n_hidden)),
        dropout=tuple(per_hidden_layer_dropout(est.dropout, n_hidden)),
        batch_norm=tuple(per_hidden_layer_flags(est.batch_norm, n_hidden, "batch_norm")),
        numeric_embedding=numeric_embedding(est),
        init_fallback=est.activation if isinstance(est.activation, str) else "identity",
        batch_size=batch_size(est.batch_size, n_samples, solver.stochastic),
        max_iter=max_iter,
        planned_epochs=est.max_iter == "auto",
        n_iter_no_change=patience(est, max_iter),
        learning_rate=est.learning_rate if scheduled else "constant",
        optimizer_arguments=MappingProxyType(
            {name: getattr(est, param) for name, param in solver.arguments.items()}
        ),
        early_stopping=bool(est.early_stopping) and solver.stochastic,
        ema_decay=ema_decay(est, solver),
    )


def ema_decay(est, solver):
    """``ema_decay`` as a float for a stochastic solver; None without one or for lbfgs.

    An estimator of a version without the parameter reads as None.
    """
    decay = getattr(est, "ema_decay", None)
    return None if decay is None or not solver.stochastic else float(decay)


def numeric_embedding(est):
    """``numeric_embedding``, checked against ``numeric_embedding_dim``."""
    if est.numeric_embedding == "pbld" and est.numeric_embedding_dim < 2:
        raise ValueError(
            "numeric_embedding='pbld' keeps each numeric feature beside its "
            f"numeric_embedding_dim - 1 learned columns, so numeric_embedding_dim must "
            f"be at least 2; got {est.numeric_embedding_dim}."
        )
    return est.numeric_embedding


#: ``max_iter='auto'``: epochs for about this many optimizer steps ...
AUTO_STEPS = 2000
#: ... but at least and at most this many epochs (lbfgs: the most, as iterations).
AUTO_EPOCHS = (10, 200)


def epochs(est, n_samples):
    """``max_iter`` as a number: 'auto' plans about :data:`AUTO_STEPS` steps.

    With 'auto' a stochastic solver gets ``ceil(AUTO_STEPS / steps_per_epoch)``
    epochs, clipped to :data:`AUTO_EPOCHS`, where ``steps_per_epoch`` counts
    the mini-batches of the rows it trains on (``n_samples`` less the
    early-stopping hold-out, when ``early_stopping`` is not False): a table of
    300 rows gets 200 short epochs, one of 20,000 rows about 30 long ones, and
    a schedule planned over ``max_iter`` epochs ('cosine') anneals over that
    budget. L-BFGS gets the largest number of epochs as its iterations.
    """
    if est.max_iter != "auto":
        return est.max_iter
    low, high = AUTO_EPOCHS
    solver = SOLVERS[est.solver]
    if not solver.stochastic:
        return high
    n_fit = n_samples
    if est.early_stopping:  # True or 'auto': a tenth (validation_fraction) held out
        n_fit = max(1, math.floor(n_samples * (1 - est.validation_fraction)))
    steps_per_epoch = math.ceil(n_fit / named_batch_size(est.batch_size, n_fit))
    return int(np.clip(math.ceil(AUTO_STEPS / steps_per_epoch), low, high))


#: ``n_iter_no_change='auto'``: a tenth of the epochs, within these bounds.
AUTO_PATIENCE = (5, 12)


def patience(est, max_iter):
    """``n_iter_no_change`` as a number: 'auto' is a tenth of ``max_iter``.

    ``ceil(max_iter / 10)`` epochs, clipped to :data:`AUTO_PATIENCE`
    (``max_iter`` as resolved, 'auto' included): 12 where 120 or more
    epochs are planned (a small table's), 5 where 50 or fewer are (a large
    table's long epochs, scored on a large and less noisy validation set).
    """
    if est.n_iter_no_change != "auto":
        return est.n_iter_no_change
    low, high = AUTO_PATIENCE
    return int(np.clip(math.ceil(max_iter / 10), low, high))


#: ``batch_size='scaled'``: an eighth of the rows, within these bounds.
SCALED_BATCH = (16, 256)


def named_batch_size(batch_size, n_samples):
    """The size a ``batch_size`` of a name gives ``n_samples`` rows; a number as it is.

    'auto' is ``min(200, n)`` (scikit-learn's); 'scaled' is ``n // 8``
    within :data:`SCALED_BATCH` (and at most ``n``): at least 8 steps an
    epoch on a small table, 256 rows a step from 2,048 rows on.
    """
    if batch_size == "auto":
        return min(200, n_samples)
    if batch_size == "scaled":
        low, high = SCALED_BATCH
        return min(int(np.clip(n_samples // 8, low, high)), n_samples)
    return min(batch_size, n_samples)


def batch_size(batch_size, n_samples, stochastic=True):
    """The mini-batch size for ``n_samples``: 'auto' is min(200, n), 'scaled' an
    eighth of n (:func:`named_batch_size`); L-BFGS takes all."""
    if not stochastic:
        return n_samples
    if isinstance(batch_size, str):
        return named_batch_size(batch_size, n_samples)
    if batch_size > n_samples:
        warn(
            f"batch_size={batch_size} is larger than the {n_samples} training "
            "samples; it is clipped to that number."
        )
    return int(np.clip(batch_size, 1, n_samples))


def hidden_layer_sizes(sizes):
    """``hidden_layer_sizes`` as a list of positive ints."""
    if not hasattr(sizes, "__iter__"):
        sizes = [sizes]
    sizes = list(sizes)
    if not all(isinstance(n, Integral) and not isinstance(n, bool) for n in sizes):
        raise TypeError(f"hidden_layer_sizes must hold integers, got {sizes!r}.")
    if any(n <= 0 for n in sizes):
        raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
    return [int(n) for n in sizes]


def build(config, X, n_outputs, loss, rng, embedding=None, previous=None, inputs=()):
    """The network (and optimizer) that a fit with ``config`` trains on ``X``.

    Parameters
    ----------
    config : TrainingConfig
    X : array or sparse matrix of shape (n_samples, n_features)
        The validated data; its dtype, namespace and device are the network's.
        With categorical features, the numeric columns then one column of
        codes per feature.
    n_outputs : int
    loss : str
        The core loss (the task's).
    rng : numpy.random.RandomState
        Draws the initial weights (unless ``previous`` is given), then the seed
        of the dropout masks (only with dropout, so that a fit without it
        consumes the random stream exactly as scikit-learn's MLP does).
    embedding : Embedding, default=None
        The embedding layer of the categorical features, placed first.
    previous : list of dict, default=None
        The layer records of an earlier fit to start from (warm start,
        ``partial_fit``); they must describe the same layers.
    inputs : sequence of Layer, default=()
        Layers without parameters that prepare the data's numeric columns
        (:mod:`skscratch._input.input_layers`), placed first of all.

    With ``config.ensemble_size`` above 1 the layers after the inputs and
    embeddings (which the members share) are made an ensemble's
    (:func:`~skscratch.core.mlp.ensemble_layers`).

    Returns
    -------
    net : Network
    optimizer : optimizer or None
        None for 'lbfgs'.
    """
    n_columns = inputs[-1].n_out if inputs else X.shape[1]
    front = [*inputs, *learned_input_layers(config, n_columns, embedding)]
    n_inputs = front[-1].n_out if front else X.shape[1]
    layer_sizes = [n_inputs, *config.hidden_layer_sizes, n_outputs]
    layers = stack_layers(
        layer_sizes,
        config.activations,
        config.dropout,
        config.batch_norm,
        config.residual,
        parametrization=config.parametrization,
    )
    if config.ensemble_size > 1:
        output_activation = LOSSES[loss].out_activation
        layers = ensemble_layers(
            layers, config.ensemble_size, output_activation, ENSEMBLE_VARIANT
        )
    layers[:0] = front
    ops = ops_for(X)
    dtype = ops.numpy_dtype(X.dtype)
    check_memory(config, layers, dtype)
    net = Network.from_layers(layers, loss, dtype, ops)
    if previous is None:
        factors = init_factors(config.activations, config.init_fallback)
        net.initialize(rng, factors, config.parametrization)
    else:
        _load_previous(net, previous)
    if any(config.dropout):
        net.seed_dropout(rng.randint(2**31 - 1))
    return net, make_optimizer(config, net)


def learned_input_layers(config, n_columns, embedding=None):
    """The layers with parameters before the first dense layer, in forward order.

    The categorical features' :class:`~skscratch.core.layers.Embedding`
    (first: its input holds the codes), the numeric features'
    :class:`~skscratch.core.layers.PeriodicEmbedding` (``numeric_embedding``;
    on the numeric columns, the categorical vectors passed through; none
    without numeric columns), then :class:`~skscratch.core.layers.FeatureScale`
    (``feature_scale``) on every column the first dense layer reads.

    Parameters
    ----------
    config : TrainingConfig
    n_columns : int
        Columns of the network's input.
    embedding : Embedding, default=None

    Returns
    -------
    layers : list of Layer
    """
    layers = [] if embedding is None else [embedding]
    width = n_columns if embedding is None else embedding.n_out
    n_numeric = n_columns if embedding is None else embedding.n_numeric
    if config.numeric_embedding is not None and n_numeric:
        layers.append(
            PeriodicEmbedding(
                n_numeric,
                width - n_numeric,
                config.numeric_embedding_frequencies,
                config.numeric_embedding_dim,
                config.numeric_embedding,
                config.numeric_embedding_sigma,
            )
        )
        width = layers[-1].n_out
    if config.feature_scale:
        layers.append(FeatureScale(width))
    return layers


def _load_previous(net, previous):
    """Start ``net`` from an earlier fit's layer records; ValueError if they differ."""
    try:
        net.load_records(previous)
    except ValueError:
        raise ValueError(
            f"The previous fit's layers ({describe(previous)}) are not those this call "
            f"needs ({describe(net.records())}); warm_start and partial_fit must keep "
            f"{', '.join(LAYER_SHAPING)} and the number of features and outputs."
        ) from None


def embedding_layer(categories, embedding_dims, n_columns):
    """The :class:`~skscratch.core.layers.Embedding` layer for categorical features
    (one table row per category, plus the unknown one), or None without any.

    Parameters
    ----------
    categories : list of ndarray
        Each categorical feature's categories.
    embedding_dims : list of int
        Each feature's vector width.
    n_columns : int
        Columns of the network's input: the numeric ones, then one per feature.
    """
    if not categories:
        return None
    n_levels = [len(values) + 1 for values in categories]  # + the unknown category
    return Embedding(n_columns - len(categories), n_levels, embedding_dims)


def make_optimizer(config, net):
    """The optimizer of ``config.solver`` for ``net`` (None for lbfgs)."""
    solver = SOLVERS[config.solver]
    if not solver.stochastic:
        return None
    schedule = make_schedule(
        config.learning_rate,
        config.learning_rate_init,
        power_t=config.power_t,
        max_iter=config.max_iter,
    )
    kwargs = dict(config.optimizer_arguments)
    if solver.decoupled_weight_decay:
        kwargs["decay_slice"] = slice(0, net.n_coef)  # the weights precede the biases
    if solver.hidden_matrices:
        kwargs["matrices"] = hidden_matrices(net)
    return solver.optimizer(
        net.params.shape[0], schedule, dtype=net.dtype, ops=net.ops, **kwargs
    )


def hidden_matrices(net):
    """``[(slice, shape)]`` of the weight matrices that Muon orthogonalizes.

    Every dense layer's ``W`` but the output layer's, the first layer's
    included (it reads the data or the embeddings as a hidden layer reads
    its input), as in Gorishniy et al. (2026): the output layer, the
    embeddings, the feature scales, the biases and the batch normalizations
    take AdamW's step. A matrix with a side of 1 (one input column, one
    unit) is left to AdamW too: orthogonalizing a vector only normalizes it.
    """
    hidden = {id(layer) for layer in net.dense_layers[:-1]}
    return [
        (where, shape)
        for layer, name, where, shape in net.param_layout()
        if id(layer) in hidden and name == "W" and min(shape) > 1
    ]


def check_memory(config, layers, dtype):
    """Refuse, before allocating it, a network larger than this machine's memory.

    Counts the parameters (:func:`~skscratch.core.layers.count_parameters`)
    and what training holds per parameter (the weights, their gradient and
    up to two optimizer moments; L-BFGS keeps about twenty vectors of that
    size) plus one batch of activations.
    """
    n_params = count_parameters(layers)
    widths, rows = 0, 1  # units per sample (an ensemble's layers hold k rows of each)
    for layer in layers:
        rows = layer.rows_out(rows, True)
        widths += rows * sum(leaf.n_out for leaf in layer.leaves())
    vectors = 4 if config.stochastic else 22
    if config.ema_decay is not None:
        vectors += 3  # the average, and two copies of the trained weights
    itemsize = np.dtype(dtype).itemsize
    needed = (vectors * n_params + 3 * config.batch_size * widths) * itemsize
    available = _physical_memory()
    if available is not None and needed > available:
        raise MemoryError(
            f"hidden_layer_sizes={config.hidden_layer_sizes!r} makes a network of "
            f"{n_params:,} parameters ({n_params * itemsize / 2**30:,.1f} GiB as "
            f"{np.dtype(dtype).name}); training it with solver={config.solver!r} needs "
            f"about {needed / 2**30:,.1f} GiB, more than this machine's "
            f"{available / 2**30:,.1f} GiB of memory. Use fewer or smaller hidden "
            "layers."
        )


def _physical_memory():
    """This machine's physical memory in bytes, or None where it cannot be read."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None
