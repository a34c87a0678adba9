"""Activation functions: one small class per activation.

Every activation works in place on a pre-allocated buffer, so the training
loop allocates nothing per batch:

* ``forward(z)`` overwrites the pre-activations ``z`` with ``f(z)`` and
  returns the same array;
* ``backward(a, delta)`` multiplies the back-propagated error ``delta`` by
  ``f'(z)`` in place, written in terms of the layer's *output* ``a = f(z)``.
  All activations here have a derivative that can be read off the output,
  which is why the network does not have to keep ``z`` once ``a`` is known.

Adding an activation means writing one such class and registering it in
:data:`HIDDEN_ACTIVATIONS` (hidden layers) or :data:`OUTPUT_ACTIVATIONS`.
"""

import numpy as np
from scipy.special import expit


class Identity:
    """``f(z) = z``; ``f'(z) = 1``."""

    name = "identity"

    @staticmethod
    def forward(z):
        return z

    @staticmethod
    def backward(a, delta):
        return delta


class Logistic:
    """``f(z) = 1 / (1 + exp(-z))``; ``f'(z) = a (1 - a)``."""

    name = "logistic"

    @staticmethod
    def forward(z):
        # scipy's expit never overflows, unlike the textbook 1 / (1 + exp(-z)).
        return expit(z, out=z)

    @staticmethod
    def backward(a, delta):
        delta *= a
        delta *= 1 - a
        return delta


class Tanh:
    """``f(z) = tanh(z)``; ``f'(z) = 1 - a**2``."""

    name = "tanh"

    @staticmethod
    def forward(z):
        return np.tanh(z, out=z)

    @staticmethod
    def backward(a, delta):
        delta *= 1 - a**2
        return delta


class ReLU:
    """``f(z) = max(z, 0)``; ``f'(z) = 1 where a > 0, else 0``."""

    name = "relu"

    @staticmethod
    def forward(z):
        return np.maximum(z, 0, out=z)

    @staticmethod
    def backward(a, delta):
        delta[a <= 0] = 0
        return delta


class Softmax:
    """``f(z)_k = exp(z_k) / sum_j exp(z_j)``, row by row (output layer only).

    The row maximum is subtracted first, so ``exp`` never overflows.
    """

    name = "softmax"

    @staticmethod
    def forward(z):
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z


class Exp:
    """``f(z) = exp(z)``: the inverse link of the Poisson loss (output layer only).

    ``z`` is clipped just below the log of the largest float of its dtype so that
    the result stays finite.
    """

    name = "exp"

    @staticmethod
    def forward(z):
        np.minimum(z, np.log(np.finfo(z.dtype).max) - 1, out=z)
        return np.exp(z, out=z)


HIDDEN_ACTIVATIONS = {cls.name: cls for cls in (Identity, Logistic, Tanh, ReLU)}
"""Activations usable in hidden layers, by name."""

OUTPUT_ACTIVATIONS = {cls.name: cls for cls in (Identity, Logistic, Softmax, Exp)}
"""Activations usable in the output layer, by name."""
