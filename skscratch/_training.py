"""The training loops: mini-batch epochs for the stochastic solvers, scipy for lbfgs.

Both loops work on a :class:`~skscratch.core.Network` and a dict ``state`` of
bookkeeping attributes (``loss_curve_``, ``history_``, ``n_iter_`` ...). They
read the estimator's parameters but never set attributes on it: the estimator
commits the network and the state once training has succeeded. After every
epoch (or L-BFGS iteration) they append a record to ``history_`` and pass it
to the callbacks' ``on_epoch_end``, any of which can stop training.
"""

import math
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from .core import SGD, Adam, AdamW, RMSprop, make_schedule, minimize_lbfgs


def _no_notify(hook, *args):
    return False


def _record_epoch(state, notify, loss, learning_rate, started, score=None):
    """Append the epoch's record to ``history_``; True if a callback asks to stop."""
    record = {
        "epoch": len(state["history_"]) + 1,
        "loss": loss,
        "validation_score": score,
        "learning_rate": learning_rate,
        "seconds": time.perf_counter() - started,
    }
    state["history_"].append(record)
    return notify("on_epoch_end", record)


def fit_lbfgs(est, net, X, Y, sample_weight, alpha, state, notify=_no_notify):
    """Full-batch training with L-BFGS; fills ``state``.

    ``notify(hook, *args)`` passes events to the callbacks and returns True
    when one asks to stop. Raises ValueError when no iterate had a finite
    loss (see :func:`raise_nonfinite`).
    """
    loss_curve = state["loss_curve_"]
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
        stop = _record_epoch(state, notify, loss_curve[-1], None, started)
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
        state["loss_"] = float(result.fun)
        if result.status != 0 and not _stopped_by_callback(result):
            warnings.warn(
                f"lbfgs failed to converge after {result.nit} iterations "
                f"({result.message}). Increase max_iter (or max_fun), or scale the data.",
                ConvergenceWarning,
                stacklevel=5,
            )
    elif last_finite is not None:
        net.params[...] = last_finite
        state["loss_"] = float(
            next(loss for loss in reversed(loss_curve) if np.isfinite(loss))
        )
        _warn_diverged(est, result.nit, result.fun)
    else:
        raise_nonfinite(est, X)
    state["n_iter_"] = min(int(result.nit), est.max_iter)
    check_predictions(est, net, X, None)


def _stopped_by_callback(result):
    return "StopIteration" in str(result.message) or "callback" in str(result.message)


def _make_optimizer(est, net):
    # scikit-learn applies its schedules (invscaling, adaptive) to sgd only and
    # adam keeps a constant rate; skscratch's additions ('cosine' and a
    # callable) apply to every stochastic solver.
    scheduled = est.solver == "sgd" or est.learning_rate == "cosine"
    scheduled = scheduled or callable(est.learning_rate)
    schedule = make_schedule(
        est.learning_rate if scheduled else "constant",
        est.learning_rate_init,
        power_t=est.power_t,
        max_iter=est.max_iter,
    )
    n, dtype = net.params.size, net.dtype
    if est.solver == "sgd":
        return SGD(
            n, schedule, momentum=est.momentum, nesterov=est.nesterovs_momentum, dtype=dtype
        )
    if est.solver == "rmsprop":
        return RMSprop(n, schedule, rho=est.beta_2, epsilon=est.epsilon, dtype=dtype)
    adam = {"beta_1": est.beta_1, "beta_2": est.beta_2, "epsilon": est.epsilon}
    if est.solver == "adamw":
        decay = slice(0, net.n_coef)  # the weights, not the biases
        return AdamW(
            n, schedule, weight_decay=est.alpha, decay_slice=decay, **adam, dtype=dtype
        )
    return Adam(n, schedule, **adam, dtype=dtype)


def _split_validation(est, X, Y, y, sample_weight, rng):
    """Hold out ``validation_fraction`` of the data for early stopping.

    The split is stratified for single-label classification where a
    stratified split exists (every class has 2 samples or more, and both
    parts have room for every class); otherwise it is drawn without
    stratification, as scikit-learn does for multiclass targets. Only when
    no split leaves at least 2 validation samples and 1 training sample is a
    ValueError raised.
    """
    n_samples = X.shape[0]
    # train_test_split's own sizes for a float test_size.
    n_val = math.ceil(est.validation_fraction * n_samples)
    n_train = n_samples - n_val
    if n_val < 2 or n_train < 1:
        raise ValueError(
            "The validation set is too small: early_stopping=True holds out "
            f"validation_fraction={est.validation_fraction} of the {n_samples} "
            f"samples, which gives {n_val} validation and {n_train} training "
            "samples; at least 2 and 1 are needed. Increase validation_fraction "
            "or the number of samples, or set early_stopping=False."
        )
    stratify = None
    if est._stratify_validation(Y):
        _, counts = np.unique(y, return_counts=True)
        if counts.min() >= 2 and min(n_val, n_train) >= counts.size:
            stratify = y
    arrays = [X, Y, y] + ([sample_weight] if sample_weight is not None else [])
    parts = train_test_split(
        *arrays, random_state=rng, test_size=est.validation_fraction, stratify=stratify
    )
    train, val = parts[0::2], parts[1::2]
    if sample_weight is None:
        train.append(None)
        val.append(None)
    X_train, Y_train, _, sw_train = train
    X_val, _, y_val, sw_val = val
    return (X_train, Y_train, sw_train), (X_val, y_val, sw_val)


def fit_stochastic(
    est, net, X, Y, y, sample_weight, alpha, rng, incremental, state, notify=_no_notify
):
    """Mini-batch training with a stochastic solver (sgd, adam, adamw, rmsprop).

    Parameters
    ----------
    est : BaseScratchMLP
        Supplies the hyper-parameters and ``_score_output`` for early stopping.
    net : Network
    X, Y : training inputs and encoded targets (in the network's dtype).
    y : ndarray
        The targets as the user gave them (for the validation score).
    sample_weight : ndarray or None
    alpha : float
        The L2 penalty (0 for adamw, which decays the weights itself).
    rng : numpy.random.RandomState
    incremental : bool
        True for ``partial_fit``: one epoch, optimizer state carried over.
    state : dict
        Bookkeeping attributes; updated in place.
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
    optimizer = _make_optimizer(est, net)
    if incremental and state["_optimizer_state"] is not None:
        optimizer.load_state_dict(state["_optimizer_state"])

    if est.early_stopping:
        (X, Y, sample_weight), validation = _split_validation(
            est, X, Y, y, sample_weight, rng
        )
    n_samples = X.shape[0]
    if est.batch_size == "auto":
        batch_size = min(200, n_samples)
    else:
        if est.batch_size > n_samples:
            warnings.warn(
                f"batch_size={est.batch_size} is larger than the {n_samples} training "
                "samples; it is clipped to that number.",
                stacklevel=5,
            )
        batch_size = int(np.clip(est.batch_size, 1, n_samples))
    # One batch of every sample gives the same gradient in any order (up to
    # rounding), so a full-batch epoch skips the shuffle and its copies of X.
    shuffle = est.shuffle and batch_size < n_samples
    batches = _Batches(X, Y, sample_weight, batch_size, shuffle)
    loss_curve = state["loss_curve_"]
    best_params = net.params.copy() if est.early_stopping else None
    guard = _DivergenceGuard(net.params)

    state["n_iter_"] = 0
    done = _EpochsDone(state)
    interrupted = False
    try:
        for _ in range(est.max_iter):
            if est.shuffle:
                # The same draws as sklearn.utils.shuffle, whose argument checks
                # cost more than a small data set's whole epoch. A full batch
                # draws them too, unused, so that a RandomState shared with
                # other estimators ends where scikit-learn's MLP leaves it.
                permutation = rng.permutation(n_samples)
                if shuffle:
                    batches.order = batches.order[permutation]
            started, learning_rate = time.perf_counter(), optimizer.learning_rate
            # A diverging epoch overflows; it is detected below and reported as such.
            with np.errstate(over="ignore", invalid="ignore"):
                loss = _run_epoch(net, optimizer, batches, alpha)

            state["n_iter_"] += 1
            state["t_"] += n_samples
            loss_curve.append(loss)
            if est.verbose:
                print(f"Iteration {state['n_iter_']}, loss = {loss:.8f}")
            if guard.diverged(loss, net.params):
                if np.isnan(guard.loss):
                    raise_nonfinite(est, X)
                net.params[...] = guard.params
                state["loss_"] = guard.loss
                score = None
                if est.early_stopping:
                    # The epoch's weights are thrown away: its score is not a
                    # number (scikit-learn's ends in NaN too), and
                    # validation_scores_ keeps one entry per epoch.
                    score = np.nan
                    state["validation_scores_"].append(score)
                _warn_diverged(est, state["n_iter_"], loss)
                _record_epoch(state, notify, loss, learning_rate, started, score)
                break
            guard.update(loss)
            state["loss_"] = loss

            score = None
            if est.early_stopping:
                with np.errstate(over="ignore", invalid="ignore"):
                    improved = _track_validation(est, net, validation, state)
                score = state["validation_scores_"][-1]
                if improved:
                    best_params[...] = net.params
            else:
                _track_loss(est, state)
            optimizer.schedule.epoch_end(state["t_"])
            stop = _record_epoch(state, notify, loss, learning_rate, started, score)

            if not stop and state["_no_improvement_count"] > est.n_iter_no_change:
                what = "Validation score" if est.early_stopping else "Training loss"
                message = (
                    f"{what} did not improve more than tol={est.tol:f} for "
                    f"{est.n_iter_no_change} consecutive epochs."
                )
                if optimizer.schedule.on_plateau():
                    if est.verbose:
                        print(message + " Stopping.")
                    stop = True
                else:
                    state["_no_improvement_count"] = 0
                    if est.verbose:
                        print(
                            message
                            + " Setting learning rate to "
                            + f"{optimizer.schedule.learning_rate:f}"
                        )
            guard.start_epoch(net.params)
            done.save(state)
            if stop or incremental:
                break
            if state["n_iter_"] == est.max_iter:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached "
                    "and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                    stacklevel=5,
                )
    except KeyboardInterrupt:
        if done.n_iter == 0:
            raise  # nothing of this call to keep: the estimator stays as it was
        warnings.warn("Training interrupted by user.", UserWarning, stacklevel=5)
        net.params[...] = guard.epoch_start
        done.restore(state)
        interrupted = True

    if est.early_stopping:
        net.params[...] = best_params
    fallback = None if np.isnan(guard.loss) else guard.params
    check_predictions(est, net, X, fallback)
    state["_optimizer_state"] = None if interrupted else optimizer.state_dict()


class _EpochsDone:
    """The bookkeeping of the epochs completed, to roll an interrupted one back."""

    SCALARS = (
        "n_iter_",
        "t_",
        "loss_",
        "_no_improvement_count",
        "best_loss_",
        "best_validation_score_",
    )
    LISTS = ("loss_curve_", "history_", "validation_scores_")

    def __init__(self, state):
        self.save(state)

    @property
    def n_iter(self):
        return self.scalars["n_iter_"]

    def save(self, state):
        self.scalars = {name: state.get(name) for name in self.SCALARS}
        self.lengths = {
            name: len(state[name]) for name in self.LISTS if state[name] is not None
        }

    def restore(self, state):
        state.update(self.scalars)
        for name, length in self.lengths.items():
            del state[name][length:]


class _Batches:
    """The mini-batches of one epoch, in ``order``; shuffled ones go into reused buffers."""

    def __init__(self, X, Y, sample_weight, batch_size, shuffled):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.batch_size = batch_size
        self.shuffled = shuffled
        self.order = np.arange(X.shape[0])
        self.weight_total = X.shape[0] if sample_weight is None else sample_weight.sum()
        if shuffled:
            dense = not sp.issparse(X)
            self._X_buf = np.empty((batch_size, X.shape[1]), X.dtype) if dense else None
            self._Y_buf = np.empty((batch_size, Y.shape[1]), Y.dtype)
            if sample_weight is not None:
                self._sw_buf = np.empty(batch_size, sample_weight.dtype)

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
    """One pass over the batches; returns the mean loss, or the first non-finite one."""
    accumulated = 0.0
    for X_batch, Y_batch, sw_batch in batches:
        if sw_batch is not None and not sw_batch.any():
            continue  # a batch of zero weight carries no gradient
        batch_loss = net.loss_gradient(X_batch, Y_batch, sw_batch, alpha)
        if not math.isfinite(batch_loss):
            return batch_loss
        weight = Y_batch.shape[0] if sw_batch is None else sw_batch.sum()
        accumulated += batch_loss * weight
        optimizer.step(net.params, net.grad)
    return float(accumulated / batches.weight_total)


class _DivergenceGuard:
    """Weights to fall back on if training diverges.

    Training has diverged when the loss or the weights stop being finite, or
    when the loss grows past ``EXPLOSION`` times its first epoch's (a finite
    blow-up that the plateau rule would otherwise end in silence; measuring
    from the first epoch, not the best, lets a loss near 0 wobble). The fallback is the
    weights that *started* the best epoch: an epoch's loss is measured along
    its way, and the weights it ends with have not been evaluated yet.
    """

    EXPLOSION = 1e3

    def __init__(self, params):
        self.params = params.copy()
        self.epoch_start = params.copy()
        self.loss = np.nan  # no epoch has been seen yet
        self.first_loss = np.nan

    def start_epoch(self, params):
        """Keep the weights the next epoch starts from: those of the epochs done."""
        np.copyto(self.epoch_start, params)

    def diverged(self, loss, params):
        if not (np.isfinite(loss) and np.isfinite(params).all()):
            return True
        return loss > self.EXPLOSION * self.first_loss

    def update(self, loss):
        if np.isnan(self.first_loss):
            self.first_loss = loss
        if not loss >= self.loss:  # also true while self.loss is nan
            self.loss = loss
            np.copyto(self.params, self.epoch_start)


def check_predictions(est, net, X, fallback):
    """Fall back to ``fallback`` weights if the final ones overflow on the training data.

    The last step of a fit is never evaluated by the loss, so its weights
    can be finite yet blow up a forward pass; prediction must not. Without
    a fallback that predicts finite values, the fit has no model to keep.
    """
    if net.predicts_finite(X):
        return
    if fallback is not None:
        net.params[...] = fallback
        if net.predicts_finite(X):
            _warn_diverged(est, None, np.inf, stacklevel=7)
            return
    raise_nonfinite(est, X)


def raise_nonfinite(est, X=None):
    """Raise scikit-learn's ValueError for a fit that ends with no finite weights.

    The estimator's ``_fit`` commits nothing after an exception, so an
    earlier fit is left as it was.
    """
    largest = ""
    if X is not None and X.size:
        data = X.data if sp.issparse(X) else X
        largest = f" (|X| up to {float(abs(data).max()):.3g})"
    advice = "Scale X, e.g. with StandardScaler"
    if est.solver != "lbfgs":
        advice += ", or lower learning_rate_init"
    raise ValueError(
        "Solver produced non-finite parameter weights. The input data may contain "
        "large values and need to be preprocessed. No epoch of this fit ended with "
        f"finite weights and predictions{largest}, so the estimator is left as it "
        f"was. {advice}."
    )


def _warn_diverged(est, epoch, loss, stacklevel=6):
    where = "at the end of training" if epoch is None else f"at iteration {epoch}"
    warnings.warn(
        f"Training diverged {where}: the loss became {loss}. The weights of the "
        "best iteration before that are kept. Scale the data (e.g. with "
        "StandardScaler)"
        + ("." if est.solver == "lbfgs" else " or lower learning_rate_init."),
        ConvergenceWarning,
        stacklevel=stacklevel,
    )


def _track_validation(est, net, validation, state):
    """Score the held-out set; return True when it is the best so far."""
    X_val, y_val, sw_val = validation
    output = net.predict(X_val)
    score = np.nan
    if np.all(np.isfinite(output)):
        score = est._score_output(output, y_val, sw_val)
        if not np.isfinite(score):
            score = np.nan
    state["validation_scores_"].append(score)
    if est.verbose:
        print(f"Validation score: {score:f}")
    best = state["best_validation_score_"]
    if score < best + est.tol:
        state["_no_improvement_count"] += 1
    else:
        state["_no_improvement_count"] = 0
    if score > best:
        state["best_validation_score_"] = score
        return True
    return False


def _track_loss(est, state):
    loss = state["loss_curve_"][-1]
    if loss > state["best_loss_"] - est.tol:
        state["_no_improvement_count"] += 1
    else:
        state["_no_improvement_count"] = 0
    state["best_loss_"] = min(state["best_loss_"], loss)
