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
"""

import numpy as np
from scipy.special import xlogy

from .activations import Exp, Identity, Logistic, Softmax


class Loss:
    """Base class: a per-sample loss and the output activation it pairs with."""

    name = None
    out_activation = None

    def per_sample(self, y, z):
        """Loss of each sample, summed over outputs, from logits ``z``."""
        raise NotImplementedError

    def delta(self, y, z, sample_weight=None):
        """Turn logits ``z`` into the output delta ``f_out(z) - y``, in place.

        Each row is multiplied by its sample weight when weights are given.
        Returns ``z``, which now holds the delta.
        """
        self.out_activation.forward(z)
        z -= y
        if sample_weight is not None:
            z *= sample_weight[:, np.newaxis]
        return z

    def per_sample_and_delta(self, y, z, sample_weight=None):
        """:meth:`per_sample` and then :meth:`delta`: what one training step needs.

        A loss can override it to share work between the two (see LogLoss).

        Returns
        -------
        losses : ndarray of shape (n_samples,)
            Each sample's loss, unweighted.
        delta : ndarray of shape (n_samples, n_outputs)
            ``z`` itself, overwritten with the (weighted) output delta.
        """
        losses = self.per_sample(y, z)
        return losses, self.delta(y, z, sample_weight)


class SquaredError(Loss):
    """Half squared error ``0.5 * sum_k (z_k - y_k)**2``, identity output."""

    name = "squared_error"
    out_activation = Identity

    def per_sample(self, y, z):
        return 0.5 * ((z - y) ** 2).sum(axis=1)


class Poisson(Loss):
    """Half Poisson deviance ``y log(y / mu) - y + mu`` with ``mu = exp(z)``."""

    name = "poisson"
    out_activation = Exp

    def per_sample(self, y, z):
        mu = Exp.forward(z.copy())
        return (xlogy(y, y) - y * z - y + mu).sum(axis=1)


class LogLoss(Loss):
    """Multiclass cross-entropy ``logsumexp(z) - sum_k y_k z_k``, softmax output."""

    name = "log_loss"
    out_activation = Softmax

    def per_sample(self, y, z):
        return self.per_sample_and_delta(y, z.copy())[0]

    def per_sample_and_delta(self, y, z, sample_weight=None):
        # One softmax serves both: the loss is logsumexp(z) - sum(y * z), and
        # the delta softmax(z) - y.
        losses = -np.einsum("ij,ij->i", y, z)
        losses += Softmax.forward_logsumexp(z)
        z -= y
        if sample_weight is not None:
            z *= sample_weight[:, np.newaxis]
        return losses, z


class BinaryLogLoss(Loss):
    """Binary cross-entropy per output ``log(1 + exp(z)) - y z``, logistic output.

    Used for two classes (one output) and for multilabel targets (one output
    per label).
    """

    name = "binary_log_loss"
    out_activation = Logistic

    def per_sample(self, y, z):
        return (np.logaddexp(0, z) - y * z).sum(axis=1)


class Huber(Loss):
    """Huber loss with threshold ``delta = 1``, identity output.

    ``0.5 r**2`` for a residual ``|r| <= delta`` and ``delta (|r| - delta / 2)``
    beyond, summed over outputs: quadratic near the fit, linear for outliers,
    whose pull on the weights is therefore capped. It is not a canonical
    pair, so its delta is the clipped residual rather than ``f_out(z) - y``.
    """

    name = "huber"
    out_activation = Identity
    delta_threshold = 1.0

    def per_sample(self, y, z):
        d = self.delta_threshold
        r = np.abs(z - y)
        return np.where(r <= d, 0.5 * r**2, d * (r - 0.5 * d)).sum(axis=1)

    def delta(self, y, z, sample_weight=None):
        z -= y
        np.clip(z, -self.delta_threshold, self.delta_threshold, out=z)
        if sample_weight is not None:
            z *= sample_weight[:, np.newaxis]
        return z


LOSSES = {cls.name: cls for cls in (SquaredError, Poisson, LogLoss, BinaryLogLoss, Huber)}
"""Losses by name."""
