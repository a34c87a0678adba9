"""Learning-rate schedules: the rate an optimizer uses, epoch by epoch.

A schedule starts at ``learning_rate_init``; after every epoch the training
loop calls :meth:`ConstantSchedule.epoch_end`, and when the loss stops
improving it calls :meth:`ConstantSchedule.on_plateau`, whose answer decides
whether training stops. :func:`make_schedule` builds one from the estimators'
``learning_rate`` parameter.
"""

import numpy as np


class ConstantSchedule:
    """Keep ``learning_rate_init`` throughout.

    Every schedule counts the epochs it has seen (``epochs_done``) and sets
    ``learning_rate`` for the next one in :meth:`epoch_end`.
    """

    def __init__(self, learning_rate_init):
        self.learning_rate_init = float(learning_rate_init)
        self.learning_rate = self.learning_rate_init
        self.epochs_done = 0

    def epoch_end(self, n_samples_seen):
        """Called after each epoch with the number of samples trained on so far."""
        self.epochs_done += 1
        self._update(n_samples_seen)

    def _update(self, n_samples_seen):
        pass

    def on_plateau(self):
        """Called when the loss stopped improving; return True to stop training."""
        return True


class InvScalingSchedule(ConstantSchedule):
    """``learning_rate_init / (t + 1) ** power_t`` after ``t`` samples, set per epoch."""

    def __init__(self, learning_rate_init, power_t):
        super().__init__(learning_rate_init)
        self.power_t = power_t

    def _update(self, n_samples_seen):
        self.learning_rate = self.learning_rate_init / (n_samples_seen + 1) ** self.power_t


class AdaptiveSchedule(ConstantSchedule):
    """Divide the rate by 5 at each plateau; stop once it is below 1e-6."""

    def on_plateau(self):
        if self.learning_rate <= 1e-6:
            return True
        self.learning_rate /= 5.0
        return False


class CosineSchedule(ConstantSchedule):
    """Anneal from ``learning_rate_init`` towards 0 over ``n_epochs`` on a half cosine.

    ``learning_rate_init * (1 + cos(pi * epoch / n_epochs)) / 2`` for epoch
    ``epoch`` (counting from 0); it stays at 0 after ``n_epochs``.
    """

    def __init__(self, learning_rate_init, n_epochs):
        super().__init__(learning_rate_init)
        self.n_epochs = n_epochs

    def _update(self, n_samples_seen):
        progress = min(self.epochs_done / self.n_epochs, 1.0)
        self.learning_rate = (
            self.learning_rate_init * 0.5 * (1.0 + np.cos(np.pi * progress))
        )


class CallableSchedule(ConstantSchedule):
    """``learning_rate_init * factor(epoch)`` for a user's ``factor(epoch) -> float``.

    ``epoch`` counts from 0, so ``lambda epoch: 1 / (1 + decay * epoch)`` gives
    the classic ``lr / (1 + decay * t)`` decay per epoch.
    """

    def __init__(self, learning_rate_init, factor):
        super().__init__(learning_rate_init)
        self.factor = factor
        self._update(0)

    def _update(self, n_samples_seen):
        value = self.factor(self.epochs_done)
        try:
            value = float(value)
        except (TypeError, ValueError):
            value = np.nan
        if not np.isfinite(value) or value < 0:
            raise ValueError(
                f"The learning_rate callable returned {value!r} for epoch "
                f"{self.epochs_done}; it must return a finite number >= 0."
            )
        self.learning_rate = self.learning_rate_init * value


def make_schedule(learning_rate, learning_rate_init, power_t=0.5, max_iter=200):
    """The schedule named ``learning_rate``, or a :class:`CallableSchedule` for a callable.

    Parameters
    ----------
    learning_rate : {'constant', 'invscaling', 'adaptive', 'cosine'} or callable
    learning_rate_init : float
    power_t : float, default=0.5
        Exponent of 'invscaling'.
    max_iter : int, default=200
        Epochs that 'cosine' anneals over.
    """
    if callable(learning_rate):
        return CallableSchedule(learning_rate_init, learning_rate)
    if learning_rate == "invscaling":
        return InvScalingSchedule(learning_rate_init, power_t)
    if learning_rate == "adaptive":
        return AdaptiveSchedule(learning_rate_init)
    if learning_rate == "cosine":
        return CosineSchedule(learning_rate_init, max_iter)
    return ConstantSchedule(learning_rate_init)
