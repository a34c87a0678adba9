"""Loss functions, each paired with its output activation.

Most losses here are the *canonical* partner of their output activation
(squared error with identity, Poisson deviance with exp, log-loss with
softmax or logistic). For such a pair the derivative of the loss with respect
to the output layer's pre-activation ``z`` collapses to one expression::

    dL/dz = f_out(z) - y

which is the output-layer delta that back-propagation starts from. A loss
that is not canonical (Huber) overrides :meth:`Loss.delta`. Losses
are computed from the logits ``z`` rather than from ``f_out(z)``, so that a
confident wrong prediction gives a large finite loss instead of ``log(0)``.

The loss of a batch is the (sample-weighted) mean over samples of each
sample's loss summed over outputs. Its L2 penalty is added by the network.
``ops`` is the array library's functions (:mod:`skscratch.core.backend`);
the methods return their results (for numpy, in ``z``'s buffer).
"""

from .activations import Exp, Identity, Logistic, Softmax
from .backend import NUMPY


class Loss:
    """Base class: a per-sample loss and the output activation it pairs with.

    ``regression``: whether it fits real-valued targets (a regressor's
    ``loss``), rather than labels.
    """

    name = None
    out_activation = None
    regression = False

    def per_sample(self, y, z, ops=NUMPY):
        """Loss of each sample, summed over outputs, from logits ``z``."""
        raise NotImplementedError

    def delta(self, y, z, sample_weight=None, ops=NUMPY):
        """Turn logits ``z`` into the output delta ``f_out(z) - y`` (numpy: in place).

        Each row is multiplied by its sample weight when weights are given.
        Returns the delta (for numpy, ``z`` itself).
        """
        z = self.out_activation.forward(z, ops)
        z -= y
        if sample_weight is not None:
            z *= sample_weight[:, None]
        return z

    def per_sample_and_delta(self, y, z, sample_weight=None, ops=NUMPY):
        """:meth:`per_sample` and then :meth:`delta`: what one training step needs.

        A loss can override it to share work between the two (see LogLoss).

        Returns
        -------
        losses : ndarray of shape (n_samples,)
            Each sample's loss, unweighted.
        delta : ndarray of shape (n_samples, n_outputs)
            ``z`` itself, overwritten with the (weighted) output delta.
        """
        losses = self.per_sample(y, z, ops)
        return losses, self.delta(y, z, sample_weight, ops)


class SquaredError(Loss):
    """Half squared error ``0.5 * sum_k (z_k - y_k)**2``, identity output."""

    name = "squared_error"
    regression = True
    out_activation = Identity

    def per_sample(self, y, z, ops=NUMPY):
        return 0.5 * ops.row_sums((z - y) ** 2)


class Poisson(Loss):
    """Half Poisson deviance ``y log(y / mu) - y + mu`` with ``mu = exp(z)``."""

    name = "poisson"
    regression = True
    out_activation = Exp

    def per_sample(self, y, z, ops=NUMPY):
        mu = Exp.forward(ops.copy(z), ops)
        return ops.row_sums(ops.xlogy(y, y) - y * z - y + mu)


class LogLoss(Loss):
    """Multiclass cross-entropy ``logsumexp(z) - sum_k y_k z_k``, softmax output."""

    name = "log_loss"
    out_activation = Softmax

    def per_sample(self, y, z, ops=NUMPY):
        return self.per_sample_and_delta(y, ops.copy(z), ops=ops)[0]

    def per_sample_and_delta(self, y, z, sample_weight=None, ops=NUMPY):
        # One softmax serves both: the loss is logsumexp(z) - sum(y * z), and
        # the delta softmax(z) - y.
        losses = -ops.rowdot(y, z)
        z, logsumexp = Softmax.forward_logsumexp(z, ops)
        losses += logsumexp
        z -= y
        if sample_weight is not None:
            z *= sample_weight[:, None]
        return losses, z


class BinaryLogLoss(Loss):
    """Binary cross-entropy per output ``log(1 + exp(z)) - y z``, logistic output.

    Used for two classes (one output) and for multilabel targets (one output
    per label).
    """

    name = "binary_log_loss"
    out_activation = Logistic

    def per_sample(self, y, z, ops=NUMPY):
        return ops.row_sums(ops.logaddexp(0, z) - y * z)


class Huber(Loss):
    """Huber loss with threshold ``delta = 1``, identity output.

    ``0.5 r**2`` for a residual ``|r| <= delta`` and ``delta (|r| - delta / 2)``
    beyond, summed over outputs: quadratic near the fit, linear for outliers,
    whose pull on the weights is therefore capped. It is not a canonical
    pair, so its delta is the clipped residual rather than ``f_out(z) - y``.
    """

    name = "huber"
    regression = True
    out_activation = Identity
    delta_threshold = 1.0

    def per_sample(self, y, z, ops=NUMPY):
        d = self.delta_threshold
        r = abs(z - y)
        return ops.row_sums(ops.where(r <= d, 0.5 * r**2, d * (r - 0.5 * d)))

    def delta(self, y, z, sample_weight=None, ops=NUMPY):
        z -= y
        z = ops.clip(z, -self.delta_threshold, self.delta_threshold, out=z)
        if sample_weight is not None:
            z *= sample_weight[:, None]
        return z


LOSSES = {cls.name: cls for cls in (SquaredError, Poisson, LogLoss, BinaryLogLoss, Huber)}
"""Losses by name."""

REGRESSION_LOSSES = tuple(name for name, cls in LOSSES.items() if cls.regression)
"""The names of the losses of real-valued targets."""
