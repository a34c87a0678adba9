"""The epoch loops: mini-batch epochs for the stochastic solvers, scipy for lbfgs.

Both loops work on a :class:`~skscratch.core.Network` and a
:class:`~skscratch._state.TrainingState`. They read the estimator's
parameters but never set attributes on it: the estimator commits the network
and the state once training has succeeded. After every epoch (or L-BFGS
iteration) they append a record to ``history_`` and pass it to the callbacks'
``on_epoch_end``, any of which can stop training. The rules that end training
early live in :mod:`skscratch._stopping`.

One batch: :meth:`_Batches.__iter__` -> :meth:`Network.loss_gradient
<skscratch.core.Network.loss_gradient>` (each layer's ``forward``, the loss's
``per_sample_and_delta``, each layer's ``backward``) -> ``optimizer.step``.
"""

import math
import time
import warnings
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from ._stopping import (
    DivergenceGuard,
    check_predictions,
    fall_back,
    raise_nonfinite,
    stop_rule,
    warn_diverged,
)
from .core import minimize_lbfgs
from .core.blas import numpy_blas_threads_for


class TrainingData(NamedTuple):
    """The validated data of a fit, in the network's dtype."""

    X: object
    Y: np.ndarray  #: the encoded targets
    y: np.ndarray  #: the targets as the user gave them (for validation scores)
    sample_weight: object  #: ndarray or None, scaled to a maximum of 1
    alpha: float  #: the L2 penalty, scaled as the weights are
    validation: object = None  #: a Validation set (``X_val``), or None


def _no_notify(hook, *args):
    return False


def fit_lbfgs(est, net, data, state, notify=_no_notify):
    """Full-batch training with L-BFGS; fills ``state``, a TrainingState.

    ``notify(hook, *args)`` passes events to the callbacks and returns True
    when one asks to stop. Raises ValueError when no iterate had a finite
    loss (see :func:`raise_nonfinite`).
    """
    X, Y, sample_weight, alpha = data.X, data.Y, data.sample_weight, data.alpha
    loss_curve = state.loss_curve_
    started = time.perf_counter()
    last_finite = None  # the last accepted iterate, whose loss is finite

    def fun_grad(x):
        net.params[...] = x
        loss = net.loss_gradient(X, Y, sample_weight, alpha)
        return loss, net.grad.astype(np.float64)

    def record(intermediate_result):
        nonlocal started, last_finite
        loss_curve.append(float(intermediate_result.fun))
        if np.isfinite(intermediate_result.fun):
            last_finite = np.array(intermediate_result.x, copy=True)
        if est.verbose:
            print(f"Iteration {len(loss_curve)}, loss = {loss_curve[-1]:.8f}")
        score = validation_loss = None
        if data.validation is not None:  # evaluated at the accepted iterate
            trial = net.params.copy()
            net.params[...] = intermediate_result.x
            validation_loss, score = data.validation.evaluate(net)
            net.params[...] = trial
        stop = state.record_epoch(
            notify, loss_curve[-1], None, started, score, validation_loss
        )
        started = time.perf_counter()
        if stop:
            raise StopIteration  # scipy ends the minimisation and keeps this point

    x0 = net.params.copy()
    # Overflow in a trial step is seen by scipy as an infinite loss and rejected;
    # a non-finite result is reported below.
    with np.errstate(over="ignore", invalid="ignore"):
        result = minimize_lbfgs(
            fun_grad, x0, est.max_iter, est.max_fun, est.tol, callback=record
        )
    if np.isfinite(result.fun) and np.isfinite(result.x).all():
        net.params[...] = result.x
        state.loss_ = float(result.fun)
        if result.status != 0 and not _stopped_by_callback(result):
            warnings.warn(
                f"lbfgs failed to converge after {result.nit} iterations "
                f"({result.message}). Increase max_iter (or max_fun), or scale the data.",
                ConvergenceWarning,
                stacklevel=1,  # this line, in skscratch (see _warn_max_iter)
            )
    elif last_finite is not None:
        net.params[...] = last_finite
        state.loss_ = float(
            next(loss for loss in reversed(loss_curve) if np.isfinite(loss))
        )
        warn_diverged(est, result.nit, result.fun)
    else:
        raise_nonfinite(est, X)
    state.n_iter_ = min(int(result.nit), est.max_iter)
    check_predictions(est, net, X, None)


def _stopped_by_callback(result):
    return "StopIteration" in str(result.message) or "callback" in str(result.message)


def fit_stochastic(est, net, optimizer, data, rng, incremental, state, notify=_no_notify):
    """Mini-batch training with a stochastic solver (sgd, adam, adamw, rmsprop).

    Parameters
    ----------
    est : BaseScratchMLP
        Supplies the hyper-parameters (and ``_score_output`` for early stopping).
    net : Network
    optimizer : optimizer from :func:`skscratch._spec.make_optimizer`
    data : TrainingData
    rng : numpy.random.RandomState
        Shuffles the batches and draws the early-stopping split.
    incremental : bool
        True for ``partial_fit``: one epoch, optimizer state carried over.
    state : TrainingState
        Updated in place.
    notify : callable, default=no callbacks
        ``notify(hook, *args)`` passes events to the callbacks; True when one
        of them asks to stop.

    Notes
    -----
    A KeyboardInterrupt (Ctrl-C) during training ends it with a warning, as
    in scikit-learn, keeping the weights and bookkeeping of the epochs
    completed before it (the optimizer's moments, which the interrupted
    epoch had moved, are dropped, so a later ``partial_fit`` starts them
    afresh); an interrupt before any epoch of this call completed is
    re-raised. Raises ValueError when the first epoch already diverges (see
    :func:`raise_nonfinite`).
    """
    if incremental and state._optimizer_state is not None:
        optimizer.load_state_dict(state._optimizer_state)
    rule, (X, Y, sw) = stop_rule(est, state, net, *data[:4], rng, data.validation)
    batches = _Batches(X, Y, sw, _batch_size(est, X.shape[0]), est.shuffle)
    guard = DivergenceGuard(net.params)
    state.n_iter_, done = 0, state.checkpoint()
    # Small products on one BLAS thread, large ones on the default (core.blas);
    # a diverging epoch overflows, which the guard detects and reports.
    blas_threads = numpy_blas_threads_for(batches.batch_size * net.n_coef)
    with blas_threads, np.errstate(over="ignore", invalid="ignore"):
        try:
            for _ in range(est.max_iter):
                batches.shuffle(rng)
                started, learning_rate = time.perf_counter(), optimizer.learning_rate
                loss = _run_epoch(net, optimizer, batches, data.alpha)
                state.end_epoch(loss, batches.n_samples, est.verbose)
                if guard.diverged(loss, net.params):
                    score = fall_back(est, net, state, guard, rule, X)
                    state.record_epoch(
                        notify, loss, learning_rate, started, score, rule.validation_loss
                    )
                    break
                guard.update(loss)
                score = rule.update(net, loss)
                optimizer.schedule.epoch_end(state.t_)
                stop = state.record_epoch(
                    notify, loss, learning_rate, started, score, rule.validation_loss
                )
                stop = stop or rule.plateau(optimizer.schedule)
                guard.start_epoch(net.params)
                done = state.checkpoint()
                if stop or incremental:
                    break
            else:
                _warn_max_iter(est)
        except KeyboardInterrupt:
            state.rollback(done)
            if state.n_iter_ == 0:
                raise  # nothing of this call to keep: the estimator stays as it was
            warnings.warn("Training interrupted by user.", UserWarning, stacklevel=5)
            net.params[...] = guard.epoch_start
            optimizer = None  # its moments moved in the interrupted epoch
    rule.finish(net)
    check_predictions(est, net, X, guard.fallback)
    state._optimizer_state = None if optimizer is None else optimizer.state_dict()


def _warn_max_iter(est):
    # Attributed to this module, as scikit-learn's MLP attributes it to sklearn's,
    # so that filterwarnings(..., module="skscratch") silences it whoever calls
    # fit (a script, a Pipeline, cross_val_score).
    warnings.warn(
        f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached "
        "and the optimization hasn't converged yet.",
        ConvergenceWarning,
        stacklevel=1,
    )


def _batch_size(est, n_samples):
    """``batch_size`` for ``n_samples`` training samples: 'auto' is min(200, n)."""
    if est.batch_size == "auto":
        return min(200, n_samples)
    if est.batch_size > n_samples:
        warnings.warn(
            f"batch_size={est.batch_size} is larger than the {n_samples} training "
            "samples; it is clipped to that number.",
            stacklevel=6,
        )
    return int(np.clip(est.batch_size, 1, n_samples))


class _Batches:
    """The mini-batches of one epoch, in ``order``; shuffled ones go into reused buffers."""

    def __init__(self, X, Y, sample_weight, batch_size, shuffle):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.batch_size = batch_size
        self.n_samples = X.shape[0]
        self.draws = shuffle
        # One batch of every sample gives the same gradient in any order (up to
        # rounding), so a full-batch epoch skips the shuffle and its copies of X.
        shuffled = self.shuffled = shuffle and batch_size < self.n_samples
        self.order = np.arange(X.shape[0])
        if shuffled:
            dense = not sp.issparse(X)
            self._X_buf = np.empty((batch_size, X.shape[1]), X.dtype) if dense else None
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
        X, Y, sw = self.X, self.Y, self.sample_weight
        for start in range(0, X.shape[0], self.batch_size):
            batch = slice(start, start + self.batch_size)
            if not self.shuffled:
                yield X[batch], Y[batch], None if sw is None else sw[batch]
                continue
            idx = self.order[batch]
            n = idx.shape[0]
            # mode="clip" (the indices are in range by construction) lets np.take
            # write straight into ``out``; the default "raise" goes through a
            # temporary copy and takes 4x longer.
            if self._X_buf is None:
                X_batch = X[idx]
            else:
                X_batch = np.take(X, idx, axis=0, out=self._X_buf[:n], mode="clip")
            Y_batch = np.take(Y, idx, axis=0, out=self._Y_buf[:n], mode="clip")
            if sw is None:
                sw_batch = None
            else:
                sw_batch = np.take(sw, idx, out=self._sw_buf[:n], mode="clip")
            yield X_batch, Y_batch, sw_batch


def _run_epoch(net, optimizer, batches, alpha):
    """One pass over the batches; returns the mean loss, or the first non-finite one.

    The mean weights each batch's loss by its number of rows, also with
    ``sample_weight``, as scikit-learn's MLP does: the same ``loss_curve_``,
    so ``tol`` stops at the same epoch.
    """
    accumulated, n_rows = 0.0, 0
    for X_batch, Y_batch, sw_batch in batches:
        if sw_batch is not None and not sw_batch.any():
            continue  # no gradient, and no loss to average (scikit-learn raises)
        batch_loss = net.loss_gradient(X_batch, Y_batch, sw_batch, alpha)
        if not math.isfinite(batch_loss):
            return batch_loss
        accumulated += batch_loss * Y_batch.shape[0]
        n_rows += Y_batch.shape[0]
        optimizer.step(net.params, net.grad)
    return float(accumulated / n_rows) if n_rows else math.nan  # no weight to train on
