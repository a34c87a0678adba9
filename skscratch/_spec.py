"""Estimator parameters -> the network and optimizer a fit trains; the solver registry.

:func:`build` is the one place that turns an estimator's parameters and its
validated data into a :class:`~skscratch.core.Network` (and an optimizer):
``fit`` and :func:`~skscratch.check_gradients` both call it, so the network a
gradient check examines is the one a fit would train.

A new step-by-step optimizer is a class in :mod:`skscratch.core.optimizers`
plus one line in :data:`SOLVERS`, which also gives the ``solver`` parameter
its allowed values.
"""

import os
from numbers import Integral

import numpy as np

from ._categorical import embedding_dims
from .core import SGD, Adam, AdamW, Network, RMSprop, make_schedule
from .core.layers import Embedding
from .core.network import (
    init_factors,
    mlp_layers,
    per_hidden_layer_activations,
    per_hidden_layer_dropout,
)


def _weights_only(est, net):
    return slice(0, net.n_coef)  # the weights are packed before the biases


_ADAM = {"beta_1": "beta_1", "beta_2": "beta_2", "epsilon": "epsilon"}

#: Solver name -> ``(optimizer class, {constructor argument: estimator parameter})``;
#: an argument may instead map to ``f(estimator, network)``. 'lbfgs' is not
#: step by step: it minimises through scipy (:mod:`skscratch.core.lbfgs`).
SOLVERS = {
    "lbfgs": None,
    "sgd": (SGD, {"momentum": "momentum", "nesterov": "nesterovs_momentum"}),
    "adam": (Adam, _ADAM),
    # AdamW decays the weights itself (not the biases), by alpha.
    "adamw": (AdamW, {**_ADAM, "weight_decay": "alpha", "decay_slice": _weights_only}),
    "rmsprop": (RMSprop, {"rho": "beta_2", "epsilon": "epsilon"}),
}

#: The solvers that train in mini-batch epochs (and offer ``partial_fit``).
STOCHASTIC_SOLVERS = tuple(name for name, entry in SOLVERS.items() if entry is not None)


def build(est, X, Y, rng, previous=None):
    """The network (and optimizer) that ``est`` trains on validated ``X`` and ``Y``.

    Parameters
    ----------
    est : BaseScratchMLP
        Its parameters, and its target attributes (which fix the loss).
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Its dtype is the network's. With categorical features
        (``est.is_categorical_``), the numeric columns then one column of
        category codes per categorical feature, which an
        :class:`~skscratch.core.layers.Embedding` layer before the first dense
        layer turns into learned vectors.
    Y : ndarray of shape (n_samples, n_outputs)
        The encoded targets.
    rng : numpy.random.RandomState
        Draws the initial weights (unless ``previous`` is given), then the seed
        of the dropout masks (only with dropout, so that a fit without it
        consumes the random stream exactly as scikit-learn's MLP does).
    previous : tuple (coefs, intercepts) or (coefs, intercepts, tables), default=None
        Weights (and embedding tables) to start from (warm start,
        ``partial_fit``), which must fit the layer sizes.

    Returns
    -------
    net : Network
    optimizer : optimizer or None
        None for 'lbfgs'.
    """
    hidden = hidden_layer_sizes(est)
    activations = per_hidden_layer_activations(est.activation, len(hidden))
    dropout = per_hidden_layer_dropout(est.dropout, len(hidden))
    embedding = embedding_layer(est, X)
    n_inputs = X.shape[1] if embedding is None else embedding.n_out
    layer_sizes = [n_inputs, *hidden, Y.shape[1]]
    _check_memory(est, layer_sizes, X.dtype, X.shape[0], embedding)
    if embedding is None:
        net = Network(layer_sizes, activations, est._loss_name(), X.dtype, dropout)
    else:
        layers = [embedding, *mlp_layers(layer_sizes, activations, dropout)]
        net = Network.from_layers(layers, est._loss_name(), X.dtype)
    if previous is None:
        # With no hidden layer the output layer has no activation before it to
        # take its factor from; scikit-learn then uses the `activation`
        # parameter (2 for 'logistic'), which skscratch follows.
        fallback = est.activation if isinstance(est.activation, str) else "identity"
        net.initialize(rng, init_factors(activations, fallback))
    else:
        coefs, intercepts, *tables = previous
        tables = tables[0] if tables else []
        old_sizes = [W.shape[0] for W in coefs] + [coefs[-1].shape[1]]
        old_tables = [E.shape for E in tables]
        new_tables = [E.shape for E in embedding_tables(net)]
        if old_sizes != layer_sizes or old_tables != new_tables:
            raise ValueError(
                f"The network has layer sizes {old_sizes} (embedding tables "
                f"{old_tables}) from the previous fit but this call needs "
                f"{layer_sizes} (tables {new_tables}); warm_start and partial_fit "
                "must keep hidden_layer_sizes, embedding_dim and the number of "
                "features and outputs."
            )
        net.set_weights(coefs, intercepts)
        for E, E_previous in zip(embedding_tables(net), tables):
            E[...] = E_previous
    if any(dropout):
        net.seed_dropout(rng.randint(2**31 - 1))
    return net, make_optimizer(est, net)


def embedding_layer(est, X):
    """The :class:`~skscratch.core.layers.Embedding` layer for ``est``'s categorical
    features (one table row per category, plus the unknown one), or None."""
    categories = getattr(est, "categories_", None)
    if getattr(est, "is_categorical_", None) is None or not categories:
        return None
    n_levels = [len(values) + 1 for values in categories]  # + the unknown category
    dims = embedding_dims(categories, est.embedding_dim)
    return Embedding(X.shape[1] - len(categories), n_levels, dims)


def embedding_tables(net):
    """The embedding tables of ``net`` (views into its parameters); [] if none."""
    return [E for layer in net.layers if isinstance(layer, Embedding) for E in layer.E]


def make_optimizer(est, net):
    """The optimizer of ``est.solver`` for ``net``, from :data:`SOLVERS`; None for lbfgs."""
    entry = SOLVERS[est.solver]
    if entry is None:
        return None
    cls, arguments = entry
    # scikit-learn applies its schedules (invscaling, adaptive) to sgd only and
    # adam keeps a constant rate; skscratch's additions ('cosine', 'coslog4',
    # 'one_cycle' and a callable) apply to every stochastic solver.
    scheduled = est.learning_rate in ("cosine", "coslog4", "one_cycle")
    scheduled = scheduled or est.solver == "sgd" or callable(est.learning_rate)
    schedule = make_schedule(
        est.learning_rate if scheduled else "constant",
        est.learning_rate_init,
        power_t=est.power_t,
        max_iter=est.max_iter,
    )
    kwargs = {
        name: source(est, net) if callable(source) else getattr(est, source)
        for name, source in arguments.items()
    }
    return cls(net.params.size, schedule, dtype=net.dtype, **kwargs)


def hidden_layer_sizes(est):
    """``hidden_layer_sizes`` as a list of positive ints."""
    sizes = est.hidden_layer_sizes
    if not hasattr(sizes, "__iter__"):
        sizes = [sizes]
    sizes = list(sizes)
    if not all(isinstance(n, Integral) and not isinstance(n, bool) for n in sizes):
        raise TypeError(f"hidden_layer_sizes must hold integers, got {sizes!r}.")
    if any(n <= 0 for n in sizes):
        raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
    return [int(n) for n in sizes]


def _check_memory(est, layer_sizes, dtype, n_samples, embedding=None):
    """Refuse, before allocating it, a network larger than this machine's memory.

    Counts the parameters and what training holds per parameter (the
    weights, their gradient and up to two optimizer moments; L-BFGS keeps
    about twenty vectors of that size) plus one batch of activations.
    """
    n_params = sum(a * b + b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
    if embedding is not None:
        n_params += sum(n * d for n, d in zip(embedding.n_levels, embedding.dims))
    vectors = 22 if est.solver == "lbfgs" else 4
    batch = n_samples if est.solver == "lbfgs" else min(200, n_samples)
    if est.batch_size != "auto" and est.solver != "lbfgs":
        batch = min(int(est.batch_size), n_samples)
    itemsize = np.dtype(dtype).itemsize
    needed = (vectors * n_params + 3 * batch * sum(layer_sizes[1:])) * itemsize
    available = _physical_memory()
    if available is not None and needed > available:
        raise MemoryError(
            f"hidden_layer_sizes={est.hidden_layer_sizes!r} makes a network of "
            f"{n_params:,} parameters ({n_params * itemsize / 2**30:,.1f} GiB as "
            f"{np.dtype(dtype).name}); training it with solver={est.solver!r} needs "
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
