"""The epoch loops: mini-batch epochs for the stochastic solvers, scipy for lbfgs.

Both loops work on a :class:`~skscratch.core.Network`, a
:class:`~skscratch._training.config.TrainingConfig` and a
:class:`~skscratch._training.state.TrainingState`; they never see the estimator. They
call the fit's hooks (:class:`~skscratch.callbacks.Hooks`): the built-in
rules of :mod:`skscratch._training.stopping` first, then the user's callbacks, which
receive the model being trained. After every epoch (or L-BFGS iteration)
they append a record to ``history_`` and pass it to ``on_epoch_end``, where
any callback can stop training.

One batch: :meth:`Batches.__iter__` -> :meth:`Network.loss_gradient
<skscratch.core.Network.loss_gradient>` (each layer's ``forward``, the loss's
``per_sample_and_delta``, each layer's ``backward``) -> ``optimizer.step``.
"""

import contextlib
import math
import time
from typing import NamedTuple

import numpy as np

from .._utils.warnings import convergence, warn
from ..core import minimize_lbfgs
from ..core.averaging import WeightAverage
from ..core.blas import numpy_blas_threads_for
from ..core.layers import Dropout, PeriodicEmbedding
from .stopping import (
    ValidationMonitor,
    check_predictions,
    raise_nonfinite,
    stochastic_rules,
    training_split,
    warn_diverged,
)

#: Layers whose per-row work runs on one thread whatever BLAS does (core.blas).
SERIAL_LAYERS = (Dropout, PeriodicEmbedding)


class TrainingData(NamedTuple):
    """The validated data of a fit, in the network's dtype and namespace.

    ``X``, ``Y`` and ``sample_weight`` are on the network's device; ``y`` and
    ``host_sample_weight`` are numpy arrays, for the scores and the batches'
    weight sums, which the host computes without asking the device.
    """

    X: object
    Y: object  #: the encoded targets
    y: np.ndarray  #: the targets as the user gave them (for validation scores)
    sample_weight: object  #: or None, scaled to a maximum of 1
    alpha: float  #: the L2 penalty, scaled as the weights are
    validation: object = None  #: a Validation set (``X_val``), or None
    host_sample_weight: object = None  #: ``sample_weight`` on the host (numpy)
    #: the fitted model's dtype, where training computes in another (the
    #: estimator's ``training_dtype``); None: the network's own
    model_dtype: object = None


def fit_lbfgs(config, net, data, state, hooks):
    """Full-batch training with L-BFGS; fills ``state``, a TrainingState.

    After every iteration the network holds the accepted iterate (and, with
    batch normalization, the running statistics of the whole data at it)
    while the hooks run. Raises ValueError when no iterate had a finite loss
    (see :func:`~skscratch._training.stopping.raise_nonfinite`).
    """
    X, Y, sample_weight, alpha = data.X, data.Y, data.sample_weight, data.alpha
    if data.validation is not None:
        hooks = hooks.after([ValidationMonitor(data.validation, net, state)])
    started = time.perf_counter()
    last_finite = None  # the last accepted iterate, whose loss is finite

    to_device, to_host = net.ops.asarray, net.ops.to_host

    def fun_grad(x):  # scipy's float64 vectors on the host; the network's on its device
        net.params[...] = to_device(x, dtype=net.dtype)
        loss = net.loss_gradient(X, Y, sample_weight, alpha, state_momentum=None)
        return float(loss), to_host(net.grad).astype(np.float64)

    def iteration_end(intermediate_result):
        nonlocal started, last_finite
        loss = float(intermediate_result.fun)
        if np.isfinite(loss):
            last_finite = np.array(intermediate_result.x, copy=True)
        net.params[...] = to_device(
            intermediate_result.x, dtype=net.dtype
        )  # (fun_grad sets its own)
        net.fit_state(X, sample_weight)
        state.end_epoch(loss, 0, config.verbose)
        stop = hooks("on_epoch_end", state.record_epoch(loss, None, started))
        started = time.perf_counter()
        if stop:
            raise StopIteration  # scipy ends the minimisation and keeps this point

    hooks("on_fit_begin")
    x0 = net.ops.to_host(net.params)  # scipy works on the host, in float64
    # Overflow in a trial step is seen by scipy as an infinite loss and rejected;
    # a non-finite result is reported below.
    with np.errstate(over="ignore", invalid="ignore"):
        result = minimize_lbfgs(
            fun_grad, x0, config.max_iter, config.max_fun, config.tol, iteration_end
        )
    _lbfgs_result(config, net, data, state, result, last_finite)
    hooks("on_fit_end")
    check_predictions(net, X, None, stochastic=False)


def _lbfgs_result(config, net, data, state, result, last_finite):
    """Keep L-BFGS's result (or its last finite iterate, with a warning)."""
    to_device = net.ops.asarray
    if np.isfinite(result.fun) and np.isfinite(result.x).all():
        net.params[...] = to_device(result.x, dtype=net.dtype)
        state.loss_ = float(result.fun)
        if result.status != 0 and not _stopped_by_callback(result):
            convergence(
                f"lbfgs failed to converge after {result.nit} iterations "
                f"({result.message}). Increase max_iter (or max_fun), or scale the data."
            )
    elif last_finite is not None:
        net.params[...] = to_device(last_finite, dtype=net.dtype)
        state.loss_ = next(
            loss for loss in reversed(state.loss_curve_) if np.isfinite(loss)
        )
        warn_diverged(result.nit, result.fun, stochastic=False)
    else:
        raise_nonfinite(data.X, stochastic=False)
    net.fit_state(data.X, data.sample_weight)
    state.n_iter_ = min(int(result.nit), config.max_iter)


def _stopped_by_callback(result):
    return "StopIteration" in str(result.message) or "callback" in str(result.message)


def fit_stochastic(
    config, task, net, optimizer, data, rng, state, hooks, incremental=False
):
    """Mini-batch training with a stochastic solver (sgd, adam, adamw, rmsprop, muon).

    Parameters
    ----------
    config : TrainingConfig
    task : ClassificationTask or RegressionTask
        Scores the validation set and says whether its split is stratified.
    net : Network
    optimizer : optimizer from :func:`skscratch._training.config.make_optimizer`
    data : TrainingData
    rng : numpy.random.RandomState
        Shuffles the batches and draws the early-stopping split.
    state : TrainingState
        Updated in place.
    hooks : Hooks
        The user's callbacks; the built-in rules are called before them.
    incremental : bool, default=False
        True for ``partial_fit``: one epoch, optimizer state carried over.

    Notes
    -----
    With ``config.ema_decay`` the network holds the moving average of the
    weights (:class:`~skscratch.core.averaging.WeightAverage`) from the end
    of each epoch until the next begins: the hooks (validation score, early
    stopping's best epoch, the user's callbacks) and the fitted model see
    the average, and the optimizer steps on from the weights it reached,
    which ``partial_fit`` keeps beside its state (a warm start starts from
    the fitted, averaged weights, with a new optimizer and a new average).

    A KeyboardInterrupt (Ctrl-C) during training ends it with a warning, as
    in scikit-learn, keeping the weights and bookkeeping of the epochs
    completed before it (the optimizer's moments, which the interrupted
    epoch had moved, are dropped, so a later ``partial_fit`` starts them
    afresh); an interrupt before any epoch of this call completed is
    re-raised. Raises ValueError when the first epoch already diverges (see
    :func:`~skscratch._training.stopping.raise_nonfinite`).
    """
    average = weight_average(config, net)
    if incremental and state._optimizer_state is not None:
        optimizer.load_state_dict(state._optimizer_state)
        saved = state._optimizer_state.get("weight_average")
        if average is not None and saved is not None:
            average.load_state_dict(saved)
    train, validation = training_split(config, task, data, rng)
    if validation is not None and validation.rows is not None:
        hooks.hold_out(validation.rows)  # for the callbacks' fit_data
    guard, rules = stochastic_rules(
        config, state, net, optimizer.schedule, train.X, validation
    )
    hooks = hooks.after(rules)
    X_front, first = net.fixed_front(train.X)  # the input layers, once
    train_front = train._replace(X=X_front)
    batches = Batches(train_front, config.batch_size, config.shuffle, net.ops, first)
    hooks("on_fit_begin")
    done = state.checkpoint()
    # Small products on one BLAS thread, large ones on the default (core.blas);
    # a diverging epoch overflows, which the guard detects and reports.
    blas_threads = contextlib.nullcontext()
    if net.ops.is_numpy:
        products = sum(layer.n_in * layer.n_out for layer in net.dense_layers)
        serial = any(isinstance(leaf, SERIAL_LAYERS) for leaf in net.leaves)
        blas_threads = numpy_blas_threads_for(batches.batch_size * products, serial)
    with blas_threads, np.errstate(over="ignore", invalid="ignore"):
        try:
            for _ in range(config.max_iter):
                done = state.checkpoint()
                if _epoch(
                    config, net, optimizer, batches, train.alpha, rng, state, hooks, average
                ):
                    break
                if incremental:
                    break
            else:
                if not config.planned_epochs:
                    convergence(
                        f"Stochastic Optimizer: Maximum iterations ({config.max_iter}) "
                        "reached and the optimization hasn't converged yet."
                    )
        except KeyboardInterrupt:
            state.rollback(done)
            if state.n_iter_ == 0:
                raise  # nothing of this call to keep: the estimator stays as it was
            warn("Training interrupted by user.", UserWarning)
            net.restore(guard.epoch_start)  # the weights the guard kept at its start
            optimizer = None  # its moments moved in the interrupted epoch
    hooks("on_fit_end")
    check_predictions(net, train.X, guard.fallback)
    state._optimizer_state = None if optimizer is None else optimizer.state_dict()
    if average is not None and optimizer is not None and not state.diverged:
        state._optimizer_state["weight_average"] = average.state_dict()


def weight_average(config, net):
    """The moving average of ``net``'s weights and state that ``config.ema_decay``
    asks for, or None."""
    if config.ema_decay is None:
        return None
    return WeightAverage((net.params, net.state), config.ema_decay, net.ops)


def _epoch(config, net, optimizer, batches, alpha, rng, state, hooks, average=None):
    """One epoch and its hooks; True when training should stop.

    With a weight ``average``, the epoch trains from the weights the optimizer
    reached, and the average stands in for them during ``on_epoch_end``.
    """
    if average is not None:
        average.take_back()
    hooks("on_epoch_begin")
    batches.shuffle(rng)
    started, learning_rate = time.perf_counter(), optimizer.learning_rate
    loss = run_epoch(net, optimizer, batches, alpha, average)
    if average is not None:
        average.swap_in()
    state.end_epoch(loss, batches.n_samples, config.verbose)
    stop = hooks("on_epoch_end", state.record_epoch(loss, learning_rate, started))
    if state.diverged:
        return True
    optimizer.schedule.epoch_end(state.t_)
    return stop


class Batches:
    """The mini-batches of one epoch, in ``order``; shuffled ones go into reused buffers.

    The order is drawn on the host, and each batch's weight sum computed
    there, so that a device is never asked for them.

    Parameters
    ----------
    data : TrainingData
    batch_size : int
    shuffle : bool
    ops : NumpyOps or ArrayAPIOps
        The network's array library (:mod:`skscratch.core.backend`).
    first_layer : int, default=0
        The network's layers that ``data.X`` has been through already
        (:meth:`Network.fixed_front <skscratch.core.Network.fixed_front>`);
        each batch starts at the next one.
    """

    def __init__(self, data, batch_size, shuffle, ops, first_layer=0):
        X, Y, sample_weight = data.X, data.Y, data.sample_weight
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.host_weight = data.host_sample_weight
        if self.host_weight is None and sample_weight is not None:
            self.host_weight = ops.to_host(sample_weight)
        self.ops = ops
        self.batch_size = batch_size
        self.first_layer = first_layer
        self.n_samples = X.shape[0]
        self.draws = shuffle
        # One batch of every sample gives the same gradient in any order (up to
        # rounding), so a full-batch epoch skips the shuffle and its copies of X.
        shuffled = self.shuffled = shuffle and batch_size < self.n_samples
        self.order = np.arange(X.shape[0])
        self._X_buf = self._Y_buf = self._sw_buf = None
        if shuffled and ops.is_numpy:
            if isinstance(X, np.ndarray):  # not a sparse X
                self._X_buf = np.empty((batch_size, X.shape[1]), X.dtype)
            self._Y_buf = np.empty((batch_size, Y.shape[1]), Y.dtype)
            if sample_weight is not None:
                self._sw_buf = np.empty(batch_size, sample_weight.dtype)

    def shuffle(self, rng):
        """Draw the next epoch's order (when ``shuffle`` is on)."""
        if self.draws:
            # The same draws as sklearn.utils.shuffle, whose argument checks
            # cost more than a small data set's whole epoch. A full batch
            # draws them too, unused, so that a RandomState shared with other
            # estimators ends where scikit-learn's MLP leaves it.
            permutation = rng.permutation(self.n_samples)
            if self.shuffled:
                self.order = self.order[permutation]

    def __iter__(self):
        """``(X, Y, sample_weight, weight)`` per batch; ``weight`` is its weight
        sum (its number of rows without sample weights), a float on the host."""
        X, Y, sw, host_sw = self.X, self.Y, self.sample_weight, self.host_weight
        n = X.shape[0]
        for start in range(0, n, self.batch_size):
            batch = slice(start, min(start + self.batch_size, n))  # in range: the standard
            if not self.shuffled:
                rows = self.ops.rows
                if sw is None:
                    yield rows(X, batch), rows(Y, batch), None, None
                else:
                    yield (
                        rows(X, batch),
                        rows(Y, batch),
                        rows(sw, batch),
                        float(host_sw[batch].sum()),
                    )
                continue
            idx = self.order[batch]
            n_rows = idx.shape[0]
            take = self.ops.take_rows
            X_batch = take(
                X, idx, out=None if self._X_buf is None else self._X_buf[:n_rows]
            )
            Y_batch = take(
                Y, idx, out=None if self._Y_buf is None else self._Y_buf[:n_rows]
            )
            if sw is None:
                yield X_batch, Y_batch, None, None
                continue
            sw_batch = take(
                sw, idx, out=None if self._sw_buf is None else self._sw_buf[:n_rows]
            )
            yield X_batch, Y_batch, sw_batch, float(host_sw[idx].sum())


def run_epoch(net, optimizer, batches, alpha, average=None):
    """One pass over the batches; returns the mean loss, or the first non-finite one.

    A weight ``average`` (:class:`~skscratch.core.averaging.WeightAverage`)
    takes in the weights after every step.

    The mean weights each batch's loss by its number of rows, also with
    ``sample_weight``, as scikit-learn's MLP does: the same ``loss_curve_``,
    so ``tol`` stops at the same epoch. Off numpy, the batch losses add up on
    the device and are read once, at the epoch's end (a non-finite one then
    makes the epoch's loss non-finite).
    """
    accumulated, n_rows, numpy = 0.0, 0, net.ops.is_numpy
    for X_batch, Y_batch, sw_batch, weight in batches:
        if weight is not None and not weight > 0:
            continue  # no gradient, and no loss to average (scikit-learn raises)
        batch_loss = net.loss_gradient(
            X_batch, Y_batch, sw_batch, alpha, weight_sum=weight, first=batches.first_layer
        )
        if numpy and not math.isfinite(batch_loss):
            return batch_loss
        accumulated = accumulated + batch_loss * Y_batch.shape[0]
        n_rows += Y_batch.shape[0]
        optimizer.step(net.params, net.grad)
        if average is not None:
            average.update()
    return float(accumulated / n_rows) if n_rows else math.nan  # no weight to train on
