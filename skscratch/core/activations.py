"""Activation functions: one small class per activation.

Every activation works in place on a pre-allocated buffer, so the training
loop allocates nothing per batch:

* ``forward(z, ops)`` turns the pre-activations ``z`` into ``f(z)`` and
  returns it (for numpy, in ``z``'s own buffer);
* ``backward(a, delta, z, ops)`` multiplies the back-propagated error
  ``delta`` by ``f'(z)`` and returns it (for numpy, in ``delta``'s buffer).
  Most derivatives can be read off the layer's *output* ``a = f(z)``, so the
  network need not keep ``z``; an activation whose derivative needs ``z``
  itself (GELU, Mish) sets ``needs_preactivation`` and the network then keeps
  a copy of ``z`` for it (otherwise ``z`` is None).

``ops`` is the array library's functions (:mod:`skscratch.core.backend`):
numpy's by default, which write into ``out``; another namespace's return new
arrays, which is why the callers use what these functions return.

Adding an activation means writing one such class and registering it in
:data:`HIDDEN_ACTIVATIONS` (hidden layers) or :data:`OUTPUT_ACTIVATIONS`.
"""

import math

from .backend import NUMPY


class Identity:
    """``f(z) = z``; ``f'(z) = 1``."""

    name = "identity"
    needs_preactivation = False

    @staticmethod
    def forward(z, ops=NUMPY):
        return z

    @staticmethod
    def backward(a, delta, z=None, ops=NUMPY):
        return delta


class Logistic:
    """``f(z) = 1 / (1 + exp(-z))``; ``f'(z) = a (1 - a)``."""

    name = "logistic"
    needs_preactivation = False

    @staticmethod
    def forward(z, ops=NUMPY):
        # expit never overflows, unlike the textbook 1 / (1 + exp(-z)).
        return ops.expit(z, out=z)

    @staticmethod
    def backward(a, delta, z=None, ops=NUMPY):
        delta *= a
        delta *= 1 - a
        return delta


class Tanh:
    """``f(z) = tanh(z)``; ``f'(z) = 1 - a**2``."""

    name = "tanh"
    needs_preactivation = False

    @staticmethod
    def forward(z, ops=NUMPY):
        return ops.tanh(z, out=z)

    @staticmethod
    def backward(a, delta, z=None, ops=NUMPY):
        delta *= 1 - a**2
        return delta


class ReLU:
    """``f(z) = max(z, 0)``; ``f'(z) = 1 where a > 0, else 0``."""

    name = "relu"
    needs_preactivation = False

    @staticmethod
    def forward(z, ops=NUMPY):
        return ops.maximum(z, 0, out=z)

    @staticmethod
    def backward(a, delta, z=None, ops=NUMPY):
        # numpy multiplies by the boolean mask: ~10x faster than delta[a <= 0] = 0,
        # whose fancy indexing branches on every element.
        return ops.keep(delta, a > 0, out=delta)


class LeakyReLU:
    """``f(z) = z`` for ``z > 0``, else ``0.01 z``; ``f'`` is 1 or 0.01 (sign of ``a``)."""

    name = "leaky_relu"
    needs_preactivation = False
    slope = 0.01

    @classmethod
    def forward(cls, z, ops=NUMPY):
        return ops.maximum(z, cls.slope * z, out=z)

    @classmethod
    def backward(cls, a, delta, z=None, ops=NUMPY):
        delta *= ops.choose(a < 0, cls.slope, 1.0, like=delta)
        return delta


class ELU:
    """``f(z) = z`` for ``z > 0``, else ``exp(z) - 1``; ``f'`` is 1, or ``a + 1``."""

    name = "elu"
    needs_preactivation = False

    @staticmethod
    def forward(z, ops=NUMPY):
        negative = ops.minimum(z, 0)
        negative = ops.expm1(negative, out=negative)
        z = ops.maximum(z, 0, out=z)
        z += negative
        return z

    @staticmethod
    def backward(a, delta, z=None, ops=NUMPY):
        delta *= ops.minimum(a, 0) + 1
        return delta


class GELU:
    """``f(z) = z Phi(z)``, ``Phi`` the standard normal CDF (exact, not the tanh form).

    ``f'(z) = Phi(z) + z phi(z)`` cannot be recovered from ``a``, so this
    activation asks the network to keep ``z``.
    """

    name = "gelu"
    needs_preactivation = True

    @staticmethod
    def forward(z, ops=NUMPY):
        z *= ops.normal_cdf(z)
        return z

    @staticmethod
    def backward(a, delta, z=None, ops=NUMPY):
        delta *= ops.normal_cdf(z) + z * ops.normal_pdf(z)
        return delta


class SELU:
    """Scaled ELU: ``f(z) = lam z`` for ``z > 0``, else ``lam alpha (exp(z) - 1)``.

    The constants are those of Klambauer et al., "Self-Normalizing Neural
    Networks" (NeurIPS 2017), ``alpha ~ 1.6733`` and ``lam ~ 1.0507``: the
    values for which a standard normal ``z`` gives ``f(z)`` of mean 0 and
    variance 1, so that activations keep those moments from layer to layer.
    ``f'`` is ``lam`` where ``a >= 0`` (so ``f'(0) = lam``, the right
    derivative) and ``lam alpha exp(z) = a + lam alpha`` where ``a < 0``
    (read off ``a``, this is accurate to a rounding of ``lam alpha``, about
    4e-16, which is relative precision except far in the flat tail).
    """

    name = "selu"
    needs_preactivation = False
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946

    @classmethod
    def forward(cls, z, ops=NUMPY):
        negative = ops.minimum(z, 0)
        negative = ops.expm1(negative, out=negative)
        negative *= cls.scale * cls.alpha
        z = ops.maximum(z, 0, out=z)
        z *= cls.scale
        z += negative
        return z

    @classmethod
    def backward(cls, a, delta, z=None, ops=NUMPY):
        delta *= ops.where(a < 0, a + cls.scale * cls.alpha, cls.scale)
        return delta

    @classmethod
    def bound(cls, z_bound):
        """At most ``lam z`` for ``|z| <= z_bound``, and ``lam alpha`` below 0."""
        return max(cls.scale * z_bound, cls.scale * cls.alpha)


class Mish:
    """``f(z) = z tanh(softplus(z))``, ``softplus(z) = log(1 + exp(z))`` (Misra, 2019).

    softplus is ``np.logaddexp(0, z)``, that is ``max(z, 0) + log1p(exp(-|z|))``,
    which never overflows and keeps its relative precision far below 0, where
    ``f(z) ~ z exp(z)``. ``f'(z) = t + z sigmoid(z) (1 - t**2)`` with
    ``t = tanh(softplus(z))``. Mish is not monotonic, so ``z`` cannot be read
    off ``a``, and this activation asks the network to keep ``z``.
    """

    name = "mish"
    needs_preactivation = True

    @staticmethod
    def forward(z, ops=NUMPY):
        z *= ops.tanh(ops.logaddexp(0, z))
        return z

    @staticmethod
    def backward(a, delta, z=None, ops=NUMPY):
        t = ops.tanh(ops.logaddexp(0, z))
        slope = 1 - t * t
        slope *= ops.expit(z)
        slope *= z
        slope += t
        delta *= slope
        return delta


class Softmax:
    """``f(z)_k = exp(z_k) / sum_j exp(z_j)``, row by row (output layer only).

    The row maximum is subtracted first, so ``exp`` never overflows.
    """

    name = "softmax"

    @staticmethod
    def forward(z, ops=NUMPY):
        return Softmax.forward_logsumexp(z, ops)[0]

    @staticmethod
    def forward_logsumexp(z, ops=NUMPY):
        """``f(z)`` (for numpy in ``z``'s buffer) and ``log(sum_j exp(z_j))`` per row.

        The one place skscratch computes a log-sum-exp (for the log-loss and
        ``predict_log_proba``): with ``m`` the row maximum,
        ``logsumexp(z) = m + log(sum_j exp(z_j - m))`` and
        ``f(z) = exp(z - m) / sum_j exp(z_j - m)`` share the sum.
        scipy.special.logsumexp computes the same, but its array-API dispatch
        costs about 5 times more than the arithmetic on a (200, 10) batch.

        Parameters
        ----------
        z : ndarray of shape (n_samples, n_classes)
            Overwritten (numpy).

        Returns
        -------
        softmax : ndarray of shape (n_samples, n_classes)
        logsumexp : ndarray of shape (n_samples,)
        """
        top = ops.row_max(z)
        z -= top
        z = ops.exp(z, out=z)
        total = ops.row_sums(z, keepdims=True)
        z /= total
        return z, ops.log(total[:, 0]) + top[:, 0]


class Exp:
    """``f(z) = exp(z)``: the inverse link of the Poisson loss (output layer only).

    ``z`` is clipped just below the log of the largest float of its dtype so that
    the result stays finite.
    """

    name = "exp"

    @staticmethod
    def forward(z, ops=NUMPY):
        z = ops.minimum(z, math.log(ops.finfo_max(z.dtype)) - 1, out=z)
        return ops.exp(z, out=z)


HIDDEN_ACTIVATIONS = {
    cls.name: cls
    for cls in (Identity, Logistic, Tanh, ReLU, LeakyReLU, ELU, GELU, SELU, Mish)
}
"""Activations usable in hidden layers, by name."""

OUTPUT_ACTIVATIONS = {cls.name: cls for cls in (Identity, Logistic, Softmax, Exp)}
"""Activations usable in the output layer, by name."""
