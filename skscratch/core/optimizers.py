"""Optimizers that update a flat parameter vector in place.

A stochastic optimizer has one job: ``step(params, grad)`` moves ``params``
against ``grad``. Each works on whole vectors, so its cost is a handful of
numpy calls whatever the depth of the network. Learning-rate schedules
(:mod:`skscratch.core.schedules`) are separate objects that the optimizer
asks for the current rate.

L-BFGS is not a step-by-step optimizer: it lives in :mod:`skscratch.core.lbfgs`.

The vectors live in the parameters' array library and device (``ops``, see
:mod:`skscratch.core.backend`): the updates are in-place operators, which every
namespace has, and numpy's ``out=`` for the temporaries.
"""

import math

import numpy as np

from .backend import NUMPY


# ----------------------------------------------------------------- optimizers
class _Optimizer:
    """Shared plumbing: a schedule, a scratch vector, and state as a plain dict.

    Subclasses list in ``_state_names`` the attributes that make up their state
    (moment vectors, step count); :meth:`state_dict` returns them with the
    current learning rate, as plain arrays and numbers that pickle and skops
    store without trusting any skscratch class.
    """

    _state_names = ()

    def __init__(self, schedule, ops=NUMPY):
        self.schedule = schedule
        self.ops = ops
        self._scratch = None

    def state_dict(self):
        """The optimizer's state: copies of its arrays, its step count, its rate."""
        state = {name: self._copy(getattr(self, name)) for name in self._state_names}
        state["learning_rate"] = self.schedule.learning_rate
        state["epochs_done"] = self.schedule.epochs_done
        return state

    def load_state_dict(self, state):
        """Resume from a :meth:`state_dict`.

        A state saved before the moments were stored scaled (keys ``m`` and
        ``v`` instead of ``M`` and ``V``) is converted.
        """
        state = dict(state)
        for old, new in (("m", "M"), ("v", "V")):
            if new in self._state_names and new not in state and old in state:
                setattr(self, old, state.pop(old))  # the properties rescale it
                state[new] = getattr(self, new)
        for name in self._state_names:
            setattr(self, name, self._copy(state[name], device=True))
        self.schedule.learning_rate = state["learning_rate"]
        self.schedule.epochs_done = state["epochs_done"]

    @property
    def learning_rate(self):
        """The current learning rate, as the schedule gives it (a Python float)."""
        return float(self.schedule.learning_rate)

    def _copy(self, value, device=False):
        """A copy of an array of the state (moved onto the device when loading it)."""
        if not hasattr(value, "shape"):
            return value  # the step count
        return self.ops.copy(self.ops.asarray(value) if device else value)

    def _scratch_like(self, params, n=1):
        """``n`` work vectors shaped like ``params``, allocated once and reused.

        Every update below writes into them with ``out=`` rather than letting
        numpy allocate a temporary per operation and per batch (another
        namespace returns new arrays instead: ``None`` here).
        """
        if not self.ops.is_numpy:
            return None if n == 1 else [None] * n
        if self._scratch is None or self._scratch[0].shape != params.shape:
            self._scratch = [np.empty_like(params) for _ in range(2)]
        return self._scratch[0] if n == 1 else self._scratch[:n]


class SGD(_Optimizer):
    """Stochastic gradient descent with (Nesterov) momentum.

    ``v <- momentum * v - lr * g``, then ``params += v`` (classical momentum)
    or ``params += momentum * v - lr * g`` (Nesterov's look-ahead).

    Parameters
    ----------
    n_params : int
        Length of the parameter vector.
    schedule : schedule object
        Gives the learning rate; see :func:`make_schedule`.
    momentum : float, default=0.9
    nesterov : bool, default=True
    dtype : dtype, default=np.float64
    ops : NumpyOps or ArrayAPIOps, default=NUMPY
        The parameters' array library and device.
    """

    def __init__(
        self, n_params, schedule, momentum=0.9, nesterov=True, dtype=np.float64, ops=NUMPY
    ):
        super().__init__(schedule, ops)
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocity = ops.zeros(n_params, dtype)

    _state_names = ("velocity",)

    def step(self, params, grad):
        """Update ``params`` in place from ``grad``."""
        ops, (lr_grad, step) = self.ops, self._scratch_like(params, 2)
        v = self.velocity
        lr_grad = ops.multiply(grad, self.learning_rate, out=lr_grad)
        v *= self.momentum
        v -= lr_grad
        if self.nesterov:
            step = ops.multiply(v, self.momentum, out=step)
            step -= lr_grad
            params += step
        else:
            params += v


class Adam(_Optimizer):
    """Adam (Kingma & Ba, 2014) with bias correction folded into the step size.

    ``m <- b1 m + (1 - b1) g``; ``v <- b2 v + (1 - b2) g**2``;
    ``params -= lr * sqrt(1 - b2**t) / (1 - b1**t) * m / (sqrt(v) + eps)``.

    The moments are stored divided by their constant factors,
    ``M = m / (1 - b1)`` and ``V = v / (1 - b2)``, so that their updates
    ``M <- b1 M + g`` and ``V <- b2 V + g**2`` take one pass over memory fewer
    each; the factors move into the step::

        params -= lr_t * (1 - b1) / sqrt(1 - b2) * M / (sqrt(V) + eps / sqrt(1 - b2))

    (the same update; the parameter vector is beyond the cache, so every pass
    counts). :attr:`m` and :attr:`v` give the moments in the textbook's scale.

    Parameters
    ----------
    n_params : int
    schedule : schedule object
    beta_1, beta_2, epsilon : float
    dtype : dtype, default=np.float64
    ops : NumpyOps or ArrayAPIOps, default=NUMPY
    """

    def __init__(
        self,
        n_params,
        schedule,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        dtype=np.float64,
        ops=NUMPY,
    ):
        super().__init__(schedule, ops)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.M = ops.zeros(n_params, dtype)
        self.V = ops.zeros(n_params, dtype)

    _state_names = ("t", "M", "V")

    @property
    def m(self):
        """The first moment ``m`` (a copy, in the textbook's scale)."""
        return self.M * (1 - self.beta_1)

    @m.setter
    def m(self, value):
        self.M = self.ops.asarray(value) / (1 - self.beta_1)

    @property
    def v(self):
        """The second moment ``v`` (a copy, in the textbook's scale)."""
        return self.V * (1 - self.beta_2)

    @v.setter
    def v(self, value):
        self.V = self.ops.asarray(value) / (1 - self.beta_2)

    def step(self, params, grad):
        """Update ``params`` in place from ``grad``."""
        self.t += 1
        ops, b1, b2, s = self.ops, self.beta_1, self.beta_2, self._scratch_like(params)
        M, V = self.M, self.V
        M *= b1
        M += grad
        s = ops.square(grad, out=s)
        V *= b2
        V += s
        root = math.sqrt(1 - b2)
        lr_t = self.learning_rate * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        s = ops.sqrt(V, out=s)
        s += self.epsilon / root
        s = ops.divide(M, s, out=s)
        s *= lr_t * (1 - b1) / root
        params -= s


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Before each Adam step the weights shrink by ``lr * weight_decay * W``
    instead of an L2 term entering the gradient, so the decay is not rescaled
    by Adam's per-parameter step sizes. Only ``params[decay_slice]`` decays
    (the network's weights, not its biases).

    Parameters
    ----------
    n_params : int
    schedule : schedule object
    weight_decay : float, default=0.01
    decay_slice : slice, default=slice(None)
    beta_1, beta_2, epsilon : float
    dtype : dtype, default=np.float64
    ops : NumpyOps or ArrayAPIOps, default=NUMPY
    """

    def __init__(
        self,
        n_params,
        schedule,
        weight_decay=0.01,
        decay_slice=slice(None),
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        dtype=np.float64,
        ops=NUMPY,
    ):
        super().__init__(n_params, schedule, beta_1, beta_2, epsilon, dtype, ops)
        self.weight_decay = weight_decay
        self.decay_slice = decay_slice

    def step(self, params, grad):
        """Decay the weights, then take an Adam step, in place."""
        if self.weight_decay:
            params[self.decay_slice] *= 1.0 - self.learning_rate * self.weight_decay
        super().step(params, grad)


class RMSprop(_Optimizer):
    """RMSprop (Hinton, 2012): divide the step by a running RMS of the gradient.

    ``v <- rho v + (1 - rho) g**2``; ``params -= lr * g / (sqrt(v) + eps)``.
    As in :class:`Adam`, ``V = v / (1 - rho)`` is stored instead, updated by
    ``V <- rho V + g**2`` (a pass fewer), and
    ``params -= lr / sqrt(1 - rho) * g / (sqrt(V) + eps / sqrt(1 - rho))``.

    Parameters
    ----------
    n_params : int
    schedule : schedule object
    rho : float, default=0.9
    epsilon : float, default=1e-8
    dtype : dtype, default=np.float64
    ops : NumpyOps or ArrayAPIOps, default=NUMPY
    """

    def __init__(
        self, n_params, schedule, rho=0.9, epsilon=1e-8, dtype=np.float64, ops=NUMPY
    ):
        super().__init__(schedule, ops)
        self.rho = rho
        self.epsilon = epsilon
        self.V = ops.zeros(n_params, dtype)

    _state_names = ("V",)

    @property
    def v(self):
        """The running mean of ``g**2`` (a copy, in the textbook's scale)."""
        return self.V * (1 - self.rho)

    @v.setter
    def v(self, value):
        self.V = self.ops.asarray(value) / (1 - self.rho)

    def step(self, params, grad):
        """Update ``params`` in place from ``grad``."""
        ops, s, V = self.ops, self._scratch_like(params), self.V
        root = math.sqrt(1 - self.rho)
        V *= self.rho
        s = ops.square(grad, out=s)
        V += s
        s = ops.sqrt(V, out=s)
        s += self.epsilon / root
        s = ops.divide(grad, s, out=s)
        s *= self.learning_rate / root
        params -= s
