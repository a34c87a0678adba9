"""Learning-rate schedules: the rate an optimizer uses, epoch by epoch.

A schedule starts at ``learning_rate_init`` (those planned over a number of
epochs, :class:`PlannedSchedule`, at their first epoch's rate); after every
epoch the training loop calls :meth:`ConstantSchedule.epoch_end`, and when the
loss stops improving it calls :meth:`ConstantSchedule.on_plateau`, whose answer
decides whether training stops. :func:`make_schedule` builds one from the estimators'
``learning_rate`` parameter, by its name in :data:`SCHEDULES`.
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


class PlannedSchedule(ConstantSchedule):
    """A rate ``learning_rate_init * factor(t)`` planned over ``n_epochs`` epochs.

    Set once per epoch, like every schedule here, from the progress
    ``t = (epoch + 1/2) / n_epochs`` at the middle of the epoch (``epoch``
    counting from 0; ``t`` stays at 1 after ``n_epochs``). By the midpoint
    rule that is the epoch's mean of a rate changed at every step, to second
    order in the epoch's share of training, and the first epoch does not get
    the rate at ``t = 0``, which is 0 for 'coslog4'. Subclasses define
    :meth:`factor`.
    """

    def __init__(self, learning_rate_init, n_epochs):
        super().__init__(learning_rate_init)
        self.n_epochs = n_epochs
        self._update(0)

    def progress(self):
        """``t`` of the coming epoch, in (0, 1]."""
        return min((self.epochs_done + 0.5) / self.n_epochs, 1.0)

    def factor(self, t):
        """The rate's multiple of ``learning_rate_init`` at progress ``t``."""
        raise NotImplementedError

    def _update(self, n_samples_seen):
        self.learning_rate = self.learning_rate_init * float(self.factor(self.progress()))


class CoslogSchedule(PlannedSchedule):
    """RealMLP's "coslog" schedule: ``n_cycles`` cosine cycles, each twice as long.

    ``factor(t) = (1 - cos(2 pi log2(1 + (2**n_cycles - 1) t))) / 2`` at
    progress ``t``, the definition of ``CoslogFunc`` in pytabkit
    (``pytabkit/models/training/scheduling.py``; Holzmueller et al., "Better
    by default", NeurIPS 2024), whose RealMLP-TD uses ``n_cycles = 4``
    ('coslog4'). The rate starts at 0, rises to ``learning_rate_init`` and
    falls back to 0 once per cycle; cycle ``k`` (from 0) spans
    ``t`` in ``[(2**k - 1), (2**(k+1) - 1)] / (2**n_cycles - 1)``, so with 4
    cycles they take 1/15, 2/15, 4/15 and 8/15 of training. pytabkit sets the
    rate at every step from the fraction of epochs done; here it is set once
    per epoch, at the epoch's midpoint (see :class:`PlannedSchedule`), so the
    first cycle, ``n_epochs / 15`` epochs long, wants ``n_epochs`` of 100 or
    more to be more than a few epochs (RealMLP-TD trains 256).

    Parameters
    ----------
    learning_rate_init : float
        The peak rate.
    n_epochs : int
        Epochs the cycles span (the estimators' ``max_iter``).
    n_cycles : int, default=4
    """

    def __init__(self, learning_rate_init, n_epochs, n_cycles=4):
        self.n_cycles = n_cycles
        super().__init__(learning_rate_init, n_epochs)

    def factor(self, t):
        cycles = np.log2(1.0 + (2.0**self.n_cycles - 1.0) * t)
        return 0.5 * (1.0 - np.cos(2.0 * np.pi * cycles))


class OneCycleSchedule(PlannedSchedule):
    """One cycle (Smith & Topin, 2017): warm up to ``learning_rate_init``, then anneal.

    In fastai's form, which pytabkit's 'one_cycle' also takes: for the first
    ``warmup = 0.25`` of training the factor rises on a half cosine from
    ``start = 0.04`` (fastai's ``div = 25``) to 1, then falls on a half cosine
    to ``end = 1e-5`` (fastai's ``div_final = 1e5``)::

        factor(t) = start + (1 - start) (1 - cos(pi t / warmup)) / 2      t < warmup
        factor(t) = end + (1 - end) (1 + cos(pi (t - warmup) / (1 - warmup))) / 2

    Smith and Topin's cycle is linear up and down, then a short final
    annihilation; this form has the same phases with no kinks, ends as close
    to 0, and is the default of fastai's ``fit_one_cycle`` and pytabkit's
    'one_cycle', so results compare with both. Set once per epoch, at the
    epoch's midpoint (see :class:`PlannedSchedule`).

    Parameters
    ----------
    learning_rate_init : float
        The peak rate.
    n_epochs : int
        Epochs the cycle spans (the estimators' ``max_iter``).
    """

    warmup, start, end = 0.25, 0.04, 1e-5

    def factor(self, t):
        if t < self.warmup:
            rise = 0.5 * (1.0 - np.cos(np.pi * t / self.warmup))
            return self.start + (1.0 - self.start) * rise
        fall = 0.5 * (1.0 + np.cos(np.pi * (t - self.warmup) / (1.0 - self.warmup)))
        return self.end + (1.0 - self.end) * fall


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


#: ``learning_rate`` name -> the schedule it makes, from ``(learning_rate_init,
#: power_t, max_iter)``; the names are the estimators' allowed values.
SCHEDULES = {
    "constant": lambda init, power_t, max_iter: ConstantSchedule(init),
    "invscaling": lambda init, power_t, max_iter: InvScalingSchedule(init, power_t),
    "adaptive": lambda init, power_t, max_iter: AdaptiveSchedule(init),
    "cosine": lambda init, power_t, max_iter: CosineSchedule(init, max_iter),
    "coslog4": lambda init, power_t, max_iter: CoslogSchedule(init, max_iter, n_cycles=4),
    "one_cycle": lambda init, power_t, max_iter: OneCycleSchedule(init, max_iter),
}


def make_schedule(learning_rate, learning_rate_init, power_t=0.5, max_iter=200):
    """The schedule named ``learning_rate``, or a :class:`CallableSchedule` for a callable.

    Parameters
    ----------
    learning_rate : {'constant', 'invscaling', 'adaptive', 'cosine', 'coslog4', \
'one_cycle'} or callable
        A name of :data:`SCHEDULES`.
    learning_rate_init : float
    power_t : float, default=0.5
        Exponent of 'invscaling'.
    max_iter : int, default=200
        Epochs that 'cosine', 'coslog4' and 'one_cycle' span.

    Raises
    ------
    ValueError
        For a name that is not a schedule's.
    """
    if callable(learning_rate):
        return CallableSchedule(learning_rate_init, learning_rate)
    if learning_rate not in SCHEDULES:
        raise ValueError(
            f"Unknown learning-rate schedule {learning_rate!r}; the schedules are "
            f"{sorted(SCHEDULES)}, or a callable factor(epoch)."
        )
    return SCHEDULES[learning_rate](learning_rate_init, power_t, max_iter)
