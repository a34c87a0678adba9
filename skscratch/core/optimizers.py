"""Optimizers that update a flat parameter vector in place, and learning-rate schedules.

A stochastic optimizer has one job: ``step(params, grad)`` moves ``params``
against ``grad``. Each works on whole vectors, so its cost is a handful of
numpy calls whatever the depth of the network. Learning-rate schedules are
separate objects that the optimizer asks for the current rate.

L-BFGS is not a step-by-step optimizer: :func:`minimize_lbfgs` hands the
whole loss-and-gradient function to :func:`scipy.optimize.minimize`.
"""

import copy

import numpy as np
import scipy.optimize


# ------------------------------------------------------------------ schedules
class ConstantSchedule:
    """Keep ``learning_rate_init`` throughout."""

    def __init__(self, learning_rate_init):
        self.learning_rate = float(learning_rate_init)

    def epoch_end(self, n_samples_seen):
        """Called after each epoch with the number of samples trained on so far."""

    def on_plateau(self):
        """Called when the loss stopped improving; return True to stop training."""
        return True


class InvScalingSchedule(ConstantSchedule):
    """``learning_rate_init / (t + 1) ** power_t`` after ``t`` samples, set per epoch."""

    def __init__(self, learning_rate_init, power_t):
        super().__init__(learning_rate_init)
        self.learning_rate_init = float(learning_rate_init)
        self.power_t = power_t

    def epoch_end(self, n_samples_seen):
        self.learning_rate = self.learning_rate_init / (n_samples_seen + 1) ** self.power_t


class AdaptiveSchedule(ConstantSchedule):
    """Divide the rate by 5 at each plateau; stop once it is below 1e-6."""

    def on_plateau(self):
        if self.learning_rate <= 1e-6:
            return True
        self.learning_rate /= 5.0
        return False


SCHEDULES = {
    "constant": lambda lr, power_t: ConstantSchedule(lr),
    "invscaling": InvScalingSchedule,
    "adaptive": lambda lr, power_t: AdaptiveSchedule(lr),
}
"""Schedule factories by name, each called as ``factory(learning_rate_init, power_t)``."""


# ----------------------------------------------------------------- optimizers
class _Optimizer:
    """Shared plumbing: a schedule, a scratch vector, and state as a plain dict.

    Subclasses list in ``_state_names`` the attributes that make up their state
    (moment vectors, step count); :meth:`state_dict` returns them with the
    current learning rate, as plain arrays and numbers that pickle and skops
    store without trusting any skscratch class.
    """

    _state_names = ()

    def __init__(self, schedule):
        self.schedule = schedule
        self._scratch = None

    def state_dict(self):
        """The optimizer's state: copies of its arrays, its step count, its rate."""
        state = {name: copy.copy(getattr(self, name)) for name in self._state_names}
        state["learning_rate"] = self.schedule.learning_rate
        return state

    def load_state_dict(self, state):
        """Resume from a :meth:`state_dict`."""
        for name in self._state_names:
            setattr(self, name, copy.copy(state[name]))
        self.schedule.learning_rate = state["learning_rate"]

    @property
    def learning_rate(self):
        """The current learning rate, as the schedule gives it."""
        return self.schedule.learning_rate

    def _scratch_like(self, params):
        if self._scratch is None or self._scratch.shape != params.shape:
            self._scratch = np.empty_like(params)
        return self._scratch


class SGD(_Optimizer):
    """Stochastic gradient descent with (Nesterov) momentum.

    ``v <- momentum * v - lr * g``, then ``params += v`` (classical momentum)
    or ``params += momentum * v - lr * g`` (Nesterov's look-ahead).

    Parameters
    ----------
    n_params : int
        Length of the parameter vector.
    schedule : schedule object
        Gives the learning rate; see :data:`SCHEDULES`.
    momentum : float, default=0.9
    nesterov : bool, default=True
    dtype : dtype, default=np.float64
    """

    def __init__(self, n_params, schedule, momentum=0.9, nesterov=True, dtype=np.float64):
        super().__init__(schedule)
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocity = np.zeros(n_params, dtype=dtype)

    _state_names = ("velocity",)

    def step(self, params, grad):
        """Update ``params`` in place from ``grad``."""
        lr_grad = np.multiply(grad, self.learning_rate, out=self._scratch_like(params))
        self.velocity *= self.momentum
        self.velocity -= lr_grad
        if self.nesterov:
            params += self.momentum * self.velocity
            params -= lr_grad
        else:
            params += self.velocity


class Adam(_Optimizer):
    """Adam (Kingma & Ba, 2014) with bias correction folded into the step size.

    ``m <- b1 m + (1 - b1) g``; ``v <- b2 v + (1 - b2) g**2``;
    ``params -= lr * sqrt(1 - b2**t) / (1 - b1**t) * m / (sqrt(v) + eps)``.

    Parameters
    ----------
    n_params : int
    schedule : schedule object
    beta_1, beta_2, epsilon : float
    dtype : dtype, default=np.float64
    """

    def __init__(
        self, n_params, schedule, beta_1=0.9, beta_2=0.999, epsilon=1e-8, dtype=np.float64
    ):
        super().__init__(schedule)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.m = np.zeros(n_params, dtype=dtype)
        self.v = np.zeros(n_params, dtype=dtype)

    _state_names = ("t", "m", "v")

    def step(self, params, grad):
        """Update ``params`` in place from ``grad``."""
        self.t += 1
        b1, b2, s = self.beta_1, self.beta_2, self._scratch_like(params)
        self.m *= b1
        self.m += np.multiply(grad, 1 - b1, out=s)
        self.v *= b2
        np.multiply(grad, grad, out=s)
        s *= 1 - b2
        self.v += s
        step_size = self.learning_rate * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        np.sqrt(self.v, out=s)
        s += self.epsilon
        np.divide(self.m, s, out=s)
        s *= step_size
        params -= s


# --------------------------------------------------------------------- L-BFGS
def minimize_lbfgs(fun_grad, x0, max_iter, max_fun, tol, callback=None):
    """Minimise ``fun_grad(x) -> (loss, grad)`` with scipy's L-BFGS-B.

    Parameters
    ----------
    fun_grad : callable
        Returns the loss and its gradient (float64 vector) at ``x``.
    x0 : ndarray of shape (n_params,)
        Starting point.
    max_iter, max_fun : int
        Limits on iterations and on calls of ``fun_grad``.
    tol : float
        Projected-gradient tolerance (``gtol``).
    callback : callable, default=None
        Called after each iteration with scipy's ``intermediate_result``.

    Returns
    -------
    result : scipy.optimize.OptimizeResult
    """
    return scipy.optimize.minimize(
        fun_grad,
        np.asarray(x0, dtype=np.float64),
        method="L-BFGS-B",
        jac=True,
        callback=callback,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
    )
