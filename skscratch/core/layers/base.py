"""The layer interface, the passes through a list of layers, and the registry of kinds.

Every layer has the same interface, so a network is a list of them:

* ``kind`` is its name in :data:`LAYERS`, and ``config()`` the constructor
  arguments (plain numbers, strings and lists) that rebuild it;
* ``param_shapes()`` names the parameters, their shapes and their group
  (``"weights"``, penalised by L2, or ``"biases"``); the network packs every
  layer's parameters into one flat vector and gives each layer views into
  it (:meth:`Layer.bind`), and likewise for the gradient;
* ``state_shapes()`` names the state that is not trained, such as batch
  normalization's running statistics: the network keeps it in a second
  flat vector (:meth:`Layer.bind_state`), saved and restored with the
  parameters;
* ``buffers(n_rows, dtype, training, ops)`` allocates what one batch needs,
  once, and keeps ``ops``, the array library's functions
  (:mod:`skscratch.core.backend`): numpy's write into the buffers, another
  namespace's return new arrays, so the layers use what they return;
* ``forward(a_in, buf, mode)`` returns the layer's output; ``mode``
  (:class:`Mode`) says whether it is training, with which row weights, and
  whether to update the running statistics;
* ``backward(grad, buf)`` takes ``dL/d(output)``, writes the layer's
  parameter gradients and returns ``dL/d(input)`` (None for the first layer,
  whose input is the data);
* ``rows_out(n_rows, training)`` is the number of rows of the output for
  ``n_rows`` rows in: the same for every layer but an ensemble's fork (``k``
  copies of the batch) and output (back to ``n_rows / k`` at prediction),
  :mod:`~skscratch.core.layers.ensemble`; the network sizes each layer's
  buffers by the rows it takes;
* ``output_bound(bound)`` bounds ``|output|`` given a bound on ``|input|``;
* ``initialize(random_state)`` sets the starting parameters and state of a
  layer that :meth:`Network.initialize
  <skscratch.core.network.Network.initialize>` does not draw itself (the
  dense layers' Glorot draw is the network's, to keep scikit-learn's order);
* ``sublayers`` lists the layers a layer holds (a :class:`Residual` block).

Each kind's class enters :data:`LAYERS` where it is defined, by the decorator
:func:`register_layer`; a fitted model's records name their kind, and
:func:`~skscratch.core.layers.records.from_record` looks it up there.
"""

import types
from typing import NamedTuple

import numpy as np

from ..backend import NUMPY

WEIGHTS, BIASES = "weights", "biases"

#: Fraction of a training batch's statistics mixed into batch normalization's
#: running statistics at each step (PyTorch's default, a decay of 0.9).
STATE_MOMENTUM = 0.1


class Mode(NamedTuple):
    """How a forward pass runs.

    Attributes
    ----------
    training : bool
        Training (dropout active, batch statistics) or prediction.
    weights : ndarray of shape (n_rows,) or None
        Each row's share of the batch, summing to 1 (the sample weights
        divided by their sum); None for equal shares. Batch normalization
        weighs its batch statistics by them.
    state_momentum : float or None
        Fraction of the batch statistics mixed into the running statistics
        (1 replaces them); None leaves the state alone.
    """

    training: bool
    weights: object = None
    state_momentum: object = None


#: The mode of prediction: no dropout, running statistics, no update.
PREDICTING = Mode(False)


class Layer:
    """The interface every layer implements; the defaults suit a layer without parameters.

    Attributes
    ----------
    kind : str
        The layer's name in :data:`LAYERS`, set by its class (which
        :func:`register_layer` enters there) and carried by its records.
    n_in, n_out : int
        Width of the layer's input and output.
    needs_input_grad : bool
        Whether :meth:`backward` must return ``dL/d(input)``; the network sets
        it to False for each layer up to the first with parameters (their
        input is the data, or made from it alone).
    fixed : bool
        True for a layer whose output training cannot change: no parameters,
        a state set before training, the same output in training and
        prediction (the input layers). A network's leading fixed layers give
        every row the same output at every epoch, so a stochastic fit runs
        them once over the training data (:meth:`Network.fixed_front
        <skscratch.core.network.Network.fixed_front>`).
    sublayers : tuple of Layer
        The layers this one holds (none but for containers such as :class:`Residual`).
    params, grads, state : dict of ndarray
        The views :meth:`bind` and :meth:`bind_state` gave the layer, by name.
    """

    kind = None
    needs_input_grad = True
    fixed = False
    sublayers = ()
    params = grads = state = types.MappingProxyType({})

    def config(self):
        """The constructor arguments, as plain numbers, strings and lists."""
        return {}

    @classmethod
    def from_config(cls, config, sublayers=()):
        """The layer that :meth:`config` (and the held layers) describe."""
        return cls(**config)

    def param_shapes(self):
        """``[(name, shape, group), ...]`` of the layer's parameters, in packing order."""
        return []

    def state_shapes(self):
        """``[(name, shape), ...]`` of the layer's untrained state (running statistics)."""
        return []

    def bind(self, params, grads):
        """Take the views of the flat parameter and gradient vectors, by parameter name.

        ``grads`` is None for a layer that only predicts.
        """
        self.params, self.grads = params, grads

    def bind_state(self, state):
        """Take the views of the flat state vector, by name."""
        self.state = state

    def leaves(self):
        """This layer, or the layers it holds, flattened: what owns parameters."""
        if not self.sublayers:
            return [self]
        return [leaf for layer in self.sublayers for leaf in layer.leaves()]

    def initialize(self, random_state, ops=NUMPY):
        """Set the starting parameters and state (dense layers are drawn by the network).

        Random draws come from ``random_state`` (numpy, on the host) and move
        to the parameters' device through ``ops``.
        """

    def buffers(self, n_rows, dtype, training, ops=NUMPY):
        """The arrays one batch of ``n_rows`` needs, allocated once and reused."""
        return types.SimpleNamespace(ops=ops)

    def forward(self, a_in, buf, mode):
        """The layer's output for the batch ``a_in``."""
        raise NotImplementedError

    def backward(self, grad, buf):
        """Write the parameter gradients; return ``dL/d(input)`` from ``dL/d(output)``."""
        raise NotImplementedError

    def rows_out(self, n_rows, training):
        """The rows of the output for ``n_rows`` rows of input (the same, but
        for an ensemble's fork and output)."""
        return n_rows

    def output_bound(self, bound, ops=NUMPY):
        """A bound on ``|output|`` for inputs with ``|a_in| <= bound``."""
        return bound


def forward_pass(layers, a, buffers, mode):
    """The one forward pass: each layer's output is the next one's input.

    Training and prediction both run it; prediction with :data:`PREDICTING`
    and buffers of its own, so that it only reads the layers' parameters.
    """
    for layer, buf in zip(layers, buffers):
        a = layer.forward(a, buf, mode)
    return a


def backward_pass(layers, grad, buffers):
    """Back-propagate ``grad`` through ``layers``, last to first; ``dL/d(input)``."""
    for layer, buf in zip(reversed(layers), reversed(buffers)):
        grad = layer.backward(grad, buf)
    return grad


def _allocator(ops, dtype):
    """``empty(shape)``: a buffer for numpy, whose functions write into it; None
    for another namespace, whose functions return new arrays."""
    if ops.is_numpy:
        return lambda shape: np.empty(shape, dtype)
    return lambda shape: None


def count_parameters(layers):
    """The number of parameters of ``layers`` (nested ones too), before any is allocated."""
    return sum(
        int(np.prod(shape))
        for layer in layers
        for leaf in layer.leaves()
        for _, shape, _ in leaf.param_shapes()
    )


def check_chain(layers):
    """Raise ValueError unless each layer takes as many units as the one before gives."""
    for below, above in zip(layers[:-1], layers[1:]):
        if below.n_out != above.n_in:
            raise ValueError(
                f"{type(below).__name__} gives {below.n_out} units to "
                f"{type(above).__name__}, which takes {above.n_in}."
            )


LAYERS = {}
"""Layer kinds by name: what :func:`~skscratch.core.layers.records.from_record`
makes a record into. Each kind's class enters it by :func:`register_layer`."""


def register_layer(cls):
    """Enter the layer class ``cls`` in :data:`LAYERS` under its ``kind``; return it.

    The decorator of every layer kind's class definition::

        @register_layer
        class Gain(Layer):
            kind = "gain"

    Raises
    ------
    TypeError
        If ``cls`` is not a subclass of :class:`Layer`, or does not set its own
        ``kind``, a non-empty string.
    ValueError
        If another class has that kind already.
    """
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise TypeError(f"register_layer takes a subclass of Layer; got {cls!r}.")
    kind = vars(cls).get("kind")
    if not isinstance(kind, str) or not kind:
        raise TypeError(
            f"{cls.__qualname__} must set its own kind, a non-empty string (the name "
            f"its records carry); got {kind!r}."
        )
    if kind in LAYERS:
        other = LAYERS[kind]
        raise ValueError(
            f"Layer kind {kind!r} is registered already, by {other.__module__}."
            f"{other.__qualname__}; give {cls.__module__}.{cls.__qualname__} a kind "
            "of its own."
        )
    LAYERS[kind] = cls
    return cls
