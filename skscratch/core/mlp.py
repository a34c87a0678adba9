"""The layers of a multi-layer perceptron, from per-hidden-layer choices.

:func:`mlp_layers` turns the choices of the estimators' parameters (units,
activation, dropout, batch normalization, residual skips) into a list of
layers (:mod:`skscratch.core.layers`) that :meth:`Network.from_layers
<skscratch.core.network.Network.from_layers>` trains. Each choice is checked
here once, by its ``per_hidden_layer_*`` function. :func:`init_factors` gives
the Glorot factor of each dense layer.

A hidden layer ``l`` is, in forward order::

    Dense(f_l)                                   # a = f_l(a_in @ W + b)
    Dense(identity, no bias), BatchNorm, Activation(f_l)  # with batch norm
    ... then Dropout(rate_l) where rate_l > 0

and with ``residual=True`` each hidden layer after the first is wrapped in a
:class:`~skscratch.core.layers.Residual` block, ``a = a_in + layer(a_in)``.
The output layer is a dense layer without activation: its ``z`` are the logits.
Inside :func:`extra_hidden_layers`, each hidden layer ends with the layers it
is given: the way a layer kind from outside skscratch enters the estimators'
networks.

:func:`ensemble_layers` makes such a list ``k`` members of an ensemble
inside one network (TabM's BatchEnsemble): a fork in front, a head per
member at the end, and in the full variant rank-1 adapters on every hidden
dense layer.

Two parametrizations of the dense layers (:data:`PARAMETRIZATIONS`):
"standard", ``z = a_in @ W + b`` with Glorot's uniform draw
(:func:`init_factors`, scikit-learn's), and "ntk", ``z = (a_in @ W) / sqrt(n_in)
+ b`` with ``W`` and ``b`` drawn from N(0, 1) and the output layer starting
at zero (:func:`ntk_weight_scale`, :func:`initialize_ntk`; RealMLP-TD's).
"""

import contextlib

import numpy as np

from .activations import HIDDEN_ACTIVATIONS, Identity
from .backend import NUMPY
from .layers import (
    Activation,
    BatchNorm,
    Dense,
    Dropout,
    EnsembleDense,
    EnsembleFork,
    EnsembleOutput,
    Residual,
)

#: The parametrizations of the dense layers.
PARAMETRIZATIONS = ("standard", "ntk")

#: The variants of :func:`ensemble_layers`: TabM's names, without the prefix.
ENSEMBLE_VARIANTS = ("mini", "full")

#: What :func:`extra_hidden_layers` adds to each hidden layer: ``make(width)``
#: functions, empty outside its ``with`` block.
_extra_hidden_layers = ()


def mlp_layers(
    layer_sizes,
    hidden_activations,
    dropout=0.0,
    rng=None,
    batch_norm=False,
    residual=False,
    parametrization="standard",
):
    """The layers of a multi-layer perceptron, for :meth:`Network.from_layers`.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input and output included.
    hidden_activations : str or sequence of str
        One name for every hidden layer, or one name per hidden layer.
    dropout : float or sequence of float, default=0.0
        One rate for every hidden layer, or one per hidden layer.
    rng : numpy.random.Generator, default=None
        Draws the dropout masks, shared by every dropout layer.
    batch_norm : bool or sequence of bool, default=False
        Normalize the pre-activations of every hidden layer, or of those marked.
    residual : bool, default=False
        Identity skips around the hidden layers after the first, which must
        all have the first one's width.
    parametrization : {"standard", "ntk"}, default="standard"
        "ntk" scales each dense layer's ``a_in @ W`` by ``1 / sqrt(n_in)``.

    Returns
    -------
    layers : list of Layer
    """
    check_parametrization(parametrization)
    layer_sizes = [int(n) for n in layer_sizes]
    n_hidden = len(layer_sizes) - 2
    names = per_hidden_layer_activations(hidden_activations, n_hidden)
    rates = per_hidden_layer_dropout(dropout, n_hidden)
    norms = per_hidden_layer_flags(batch_norm, n_hidden, "batch_norm")
    if residual:
        check_residual_widths(layer_sizes[1:-1])
    return stack_layers(layer_sizes, names, rates, norms, residual, rng, parametrization)


def stack_layers(
    layer_sizes,
    activations,
    rates,
    batch_norms,
    residual,
    rng=None,
    parametrization="standard",
):
    """The layers of :func:`mlp_layers` from choices already checked, one per hidden layer.

    Parameters
    ----------
    layer_sizes : list of int
    activations : sequence of str
    rates : sequence of float
    batch_norms : sequence of bool
    residual : bool
    rng : numpy.random.Generator, default=None
        For the dropout layers; a fresh one where there are some and it is None.
    parametrization : {"standard", "ntk"}, default="standard"

    Returns
    -------
    layers : list of Layer
    """
    if any(rates) and rng is None:
        rng = np.random.default_rng()
    ntk = parametrization == "ntk"
    layers = []
    for i, (name, rate, norm) in enumerate(zip(activations, rates, batch_norms)):
        n_in, n_out = layer_sizes[i], layer_sizes[i + 1]
        scale = ntk_weight_scale(n_in) if ntk else 1.0
        block = hidden_layer(n_in, n_out, name, rate, norm, rng, scale)
        layers.extend([Residual(block)] if residual and i > 0 else block)
    scale = ntk_weight_scale(layer_sizes[-2]) if ntk else 1.0
    layers.append(Dense(layer_sizes[-2], layer_sizes[-1], Identity, weight_scale=scale))
    return layers


def hidden_layer(n_in, n_out, activation, rate, batch_norm, rng, weight_scale=1.0):
    """The layers of one hidden layer: affine map, (batch norm,) activation, (dropout)."""
    f = HIDDEN_ACTIVATIONS[activation]
    if batch_norm:
        layers = [
            Dense(n_in, n_out, Identity, bias=False, weight_scale=weight_scale),
            BatchNorm(n_out),
            Activation(n_out, f),
        ]
    else:
        layers = [Dense(n_in, n_out, f, weight_scale=weight_scale)]
    if rate:
        layers.append(Dropout(n_out, rate, rng))
    layers.extend(make(n_out) for make in _extra_hidden_layers)
    return layers


def ensemble_layers(layers, n_members, output_activation, variant="mini"):
    """The layers of a multi-layer perceptron made ``n_members`` members of an ensemble.

    The members share every weight matrix and differ by their adapters
    (TabM's BatchEnsemble, :mod:`~skscratch.core.layers.ensemble`): an
    :class:`~skscratch.core.layers.EnsembleFork` copies the batch for each
    member and scales member ``m``'s copy by ``r_m``; the output layer
    becomes an :class:`~skscratch.core.layers.EnsembleOutput`, a head per
    member, averaged at prediction. With ``variant="mini"`` (TabM-mini) the
    hidden layers stay as they are, shared by every member; with "full"
    (TabM) each hidden dense layer becomes an
    :class:`~skscratch.core.layers.EnsembleDense` with its own ``s_m`` and
    ``b_m`` per member (and ``r_m``, but for the first, whose ``r`` is the
    fork's).

    Parameters
    ----------
    layers : list of Layer
        A multi-layer perceptron's layers (:func:`mlp_layers`,
        :func:`stack_layers`), the last a :class:`~skscratch.core.layers.Dense`
        output layer.
    n_members : int
        ``k``, at least 1 (1 gives a single member, with the adapters).
    output_activation : activation class
        The loss's output activation, which prediction averages through.
    variant : {"mini", "full"}, default="mini"

    Returns
    -------
    layers : list of Layer

    Examples
    --------
    >>> from skscratch.core.activations import Softmax
    >>> from skscratch.core.mlp import ensemble_layers, mlp_layers
    >>> layers = ensemble_layers(mlp_layers((4, 8, 3), "relu"), 16, Softmax, "full")
    >>> [type(layer).__name__ for layer in layers]
    ['EnsembleFork', 'EnsembleDense', 'EnsembleOutput']
    """
    if variant not in ENSEMBLE_VARIANTS:
        raise ValueError(
            f"Unknown ensemble variant {variant!r}; choose from {ENSEMBLE_VARIANTS}."
        )
    *hidden, output = layers
    first = True

    def member_layer(layer):
        nonlocal first
        if isinstance(layer, Residual):
            return Residual([member_layer(inner) for inner in layer.sublayers])
        if variant == "full" and type(layer) is Dense:
            adapted = EnsembleDense(
                layer.n_in,
                layer.n_out,
                n_members,
                layer.activation,
                bias=layer.bias,
                input_scale=not first,
                weight_scale=layer.weight_scale,
            )
            first = False
            return adapted
        return layer

    heads = EnsembleOutput(
        output.n_in,
        output.n_out,
        n_members,
        output_activation,
        weight_scale=output.weight_scale,
    )
    return [EnsembleFork(layers[0].n_in, n_members), *map(member_layer, hidden), heads]


@contextlib.contextmanager
def extra_hidden_layers(*makers):
    """End every hidden layer made inside the ``with`` block with ``make(width)``.

    The supported way to place a layer kind that skscratch does not build
    itself (one defined outside it, or before it has an estimator parameter)
    into the estimators' networks. While the block is open, each hidden layer
    that :func:`hidden_layer` makes (for :func:`mlp_layers`,
    :class:`~skscratch.core.network.Network` and every estimator's ``fit``,
    ``partial_fit`` and :func:`~skscratch.check_gradients`) ends, after its
    activation and dropout, with ``make(n_out)`` for each maker, in order; with
    ``residual=True`` they sit inside its residual block. Blocks nest, and the
    setting is the process's, not the thread's.

    A fitted model keeps these layers in its records (``layers_``), so
    ``predict``, pickles and ONNX export need no block; a warm start,
    ``partial_fit`` or gradient check builds the network again from the
    parameters, so it needs the block again (else it refuses the previous
    fit's layers as different).

    Parameters
    ----------
    *makers : callable
        ``make(width) -> Layer``: a layer of a kind registered in
        :data:`~skscratch.core.layers.base.LAYERS` that takes and gives ``width``
        units.

    Examples
    --------
    >>> from skscratch.core.layers import FeatureScale
    >>> from skscratch.core.mlp import extra_hidden_layers, mlp_layers
    >>> with extra_hidden_layers(FeatureScale):
    ...     layers = mlp_layers((4, 8, 8, 2), "relu")
    >>> [type(layer).__name__ for layer in layers]
    ['Dense', 'FeatureScale', 'Dense', 'FeatureScale', 'Dense']
    """
    global _extra_hidden_layers
    for make in makers:
        if not callable(make):
            raise TypeError(
                f"extra_hidden_layers takes functions width -> Layer; got {make!r}."
            )
    before = _extra_hidden_layers
    _extra_hidden_layers = (*before, *makers)
    try:
        yield
    finally:
        _extra_hidden_layers = before


def per_hidden_layer_activations(activation, n_hidden):
    """One activation name per hidden layer: the names' only check.

    Parameters
    ----------
    activation : str or sequence of str
        One name for every hidden layer, or one name per hidden layer (keys of
        :data:`skscratch.core.activations.HIDDEN_ACTIVATIONS`).
    n_hidden : int

    Returns
    -------
    names : list of str
    """
    names = [activation] * n_hidden if isinstance(activation, str) else list(activation)
    unknown = [name for name in names if not isinstance(name, str)]
    unknown = unknown or [name for name in names if name not in HIDDEN_ACTIVATIONS]
    if unknown:
        raise ValueError(
            f"Unknown activation {unknown[0]!r} in activation={activation!r}; choose "
            f"from {sorted(HIDDEN_ACTIVATIONS)}."
        )
    if len(names) != n_hidden:
        raise ValueError(
            f"activation lists {len(names)} names for {n_hidden} hidden layers; "
            "give one per layer."
        )
    return names


def per_hidden_layer_dropout(dropout, n_hidden):
    """One dropout rate in [0, 1) per hidden layer: the rates' only check.

    Parameters
    ----------
    dropout : float or sequence of float
    n_hidden : int

    Returns
    -------
    rates : list of float
    """
    if np.ndim(dropout) == 0:
        rates = [dropout] * n_hidden
    else:
        try:
            rates = np.asarray(dropout, dtype=float).ravel().tolist()
        except (TypeError, ValueError):
            rates = None
    try:
        valid = len(rates) == n_hidden and all(0 <= float(r) < 1 for r in rates)
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValueError(
            f"dropout needs one rate in [0, 1) per hidden layer ({n_hidden}); "
            f"got {dropout!r}."
        )
    return [float(r) for r in rates]


def per_hidden_layer_flags(flags, n_hidden, name):
    """One bool per hidden layer, from one bool or a sequence: ``name``'s only check.

    Parameters
    ----------
    flags : bool or sequence of bool
    n_hidden : int
    name : str
        The parameter, for the error message.

    Returns
    -------
    flags : list of bool
    """
    values = [flags] * n_hidden if np.ndim(flags) == 0 else list(np.ravel(flags))
    if not all(isinstance(v, (bool, np.bool_)) for v in values) or len(values) != n_hidden:
        raise ValueError(
            f"{name} needs True, False or one bool per hidden layer ({n_hidden}); "
            f"got {flags!r}."
        )
    return [bool(v) for v in values]


def check_residual_widths(hidden_sizes):
    """Raise ValueError unless residual skips fit ``hidden_sizes``: two or more, equal."""
    hidden_sizes = list(hidden_sizes)
    if len(hidden_sizes) < 2 or len(set(hidden_sizes)) > 1:
        raise ValueError(
            "residual=True adds each hidden layer's input to its output, from the "
            "second hidden layer on, so it needs at least two hidden layers of one "
            f"width; hidden_layer_sizes is {tuple(hidden_sizes)}. Use e.g. "
            "(256, 256, 256), or residual=False."
        )


def init_factors(hidden_activation_names, fallback="identity"):
    """Glorot's factor per dense layer: 2 after a logistic layer, else 6.

    Each hidden layer takes the factor of its own activation, and the output
    layer that of the last hidden layer (scikit-learn's rule).

    Parameters
    ----------
    hidden_activation_names : sequence of str
    fallback : str, default="identity"
        The output layer's activation name to use when there is no hidden
        layer to follow. scikit-learn uses its ``activation`` parameter
        there (so 2 for ``hidden_layer_sizes=()`` with
        ``activation="logistic"``); the estimators pass it.

    Returns
    -------
    factors : list of float
    """
    names = list(hidden_activation_names)
    names.append(names[-1] if names else fallback)
    return [2.0 if name == "logistic" else 6.0 for name in names]


def check_parametrization(parametrization):
    """Raise ValueError unless ``parametrization`` is one of :data:`PARAMETRIZATIONS`."""
    if parametrization not in PARAMETRIZATIONS:
        raise ValueError(
            f"Unknown parametrization {parametrization!r}; choose from {PARAMETRIZATIONS}."
        )


def ntk_weight_scale(n_in):
    """The NTK parametrization's factor on ``a_in @ W``: ``1 / sqrt(n_in)``.

    With ``W`` drawn from N(0, 1), each unit's ``(a_in @ W) / sqrt(n_in)``
    then has the variance of its inputs' mean square, whatever the width.
    """
    return 1.0 / np.sqrt(n_in)


def initialize_ntk(dense_layers, random_state, ops=NUMPY):
    """The NTK parametrization's start: hidden ``W``, ``b`` from N(0, 1), the output 0.

    RealMLP-TD-S's data-free initialisation (pytabkit's ``weight_param='ntk'``,
    normal weights and biases, ``last_layer_config`` zeros): the output is 0
    (probabilities ``1 / K``, regression at the intercept) until training
    moves the output layer, and the hidden biases place each ReLU's kink at
    a random point of the standardized inputs' range rather than all at 0.
    Drawn per layer, weights then biases, as :meth:`Network.initialize
    <skscratch.core.network.Network.initialize>` draws Glorot's.

    Parameters
    ----------
    dense_layers : list of Dense
        In forward order; the last is the output layer.
    random_state : numpy.random.RandomState
        The draws are the host's, moved to the parameters' device by ``ops``.
    ops : NumpyOps or ArrayAPIOps, default=NUMPY
    """
    *hidden, output = dense_layers
    for layer in hidden:
        for array in (layer.W, layer.b):
            if array is not None:  # no bias before a batch normalization
                draw = random_state.standard_normal(array.shape)
                array[...] = ops.asarray(draw, dtype=ops.numpy_dtype(array.dtype))
    output.W[...] = 0.0
    output.b[...] = 0.0
