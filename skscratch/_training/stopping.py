"""The built-in rules that end training early, as callbacks on the loop's hooks.

The training loop calls the same hooks (``on_fit_begin``, ``on_epoch_begin``,
``on_epoch_end``, ``on_fit_end``; see :mod:`skscratch.callbacks`) on these
rules first, then on the user's callbacks, so a user's callback can do what
they do (and replace one: early stopping on another score is a callback, see
:class:`skscratch.callbacks.EarlyStopping`):

- :class:`DivergenceGuard`: the loss or the weights stopped being finite, or
  the loss exploded; the weights that started the best epoch come back and
  training stops;
- :class:`ValidationMonitor`: scores a validation set (a held-out part, or the
  user's ``X_val``) into each epoch's record;
- :class:`NoImprovement`: the training loss has not improved by ``tol`` for
  ``n_iter_no_change`` epochs (or, with the 'adaptive' schedule, the rate is
  lowered instead);
- :class:`ValidationNoImprovement`: the same on the validation score, ending with the
  weights of the best-scoring epoch.

They read the :class:`~skscratch._training.state.TrainingState` and work on the
network directly (a snapshot is two vector copies). A fit whose final weights
overflow on the training data falls back too (:func:`check_predictions`) or
raises (:func:`raise_nonfinite`).
"""

import math

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import train_test_split

from .._utils.warnings import convergence
from ..callbacks import Callback, epochs_without_improvement
from ..core.activations import Identity
from ..core.backend import ops_for
from ..core.network import predict_chunked

#: ``validation_scoring`` for the network's own loss on the validation set:
#: :meth:`Validation.evaluate` scores the negated loss.
OWN_LOSS = "loss"


class Validation:
    """A validation set, evaluated after every epoch.

    Parameters
    ----------
    task : ClassificationTask or RegressionTask
        Supplies the score (accuracy or R^2).
    X : ndarray of shape (n_samples, n_features)
        As the network reads it, in its dtype.
    Y : ndarray of shape (n_samples, n_outputs)
        The encoded targets, for the loss.
    y : ndarray
        The targets as the user gave them, for the score.
    sample_weight : ndarray of shape (n_samples,) or None
    rows : ndarray of int, default=None
        For a set held out of the training data: the indices of its rows there.
    """

    def __init__(self, task, X, Y, y, sample_weight, rows=None):
        self.task = task
        self.X, self.Y, self.y, self.sample_weight = X, Y, y, sample_weight
        self.rows = rows

    def evaluate(self, net):
        """``(loss, score)`` of the network on this set; NaN where they are not finite.

        The loss is the training loss without its L2 penalty: the
        sample-weighted mean of the per-sample loss.
        """
        ops = net.ops
        with np.errstate(over="ignore", invalid="ignore"):
            logits = predict_chunked(net.layers, Identity, self.X)
            losses = net.loss.per_sample(self.Y, logits, ops)
            loss = ops.average(losses, self.sample_weight)
            # The activation works in place: the logits stay for the scorer.
            output = net.output_activation.forward(ops.copy(logits), ops)
            score = np.nan
            if self.task.scorer == OWN_LOSS:
                score = -loss
            elif ops.all_finite(output):  # scored on the host, where the user's y is
                weights = self.sample_weight
                weights = None if weights is None else ops.to_host(weights)
                score = self.task.score(
                    ops.to_host(output), self.y, weights, self.X, ops.to_host(logits)
                )
        return (loss if np.isfinite(loss) else np.nan), (
            score if np.isfinite(score) else np.nan
        )


def training_split(config, task, data, rng):
    """The data to train on and the validation set, if any.

    With ``early_stopping``, the user's validation set (``X_val``) if there
    is one, else ``validation_fraction`` of the data, held out
    (:func:`split_validation`). Without it, ``X_val`` is only scored.

    Returns
    -------
    train : TrainingData
    validation : Validation or None
    """
    if not config.early_stopping or data.validation is not None:
        return data, data.validation
    return split_validation(config, task, data, rng)


def split_validation(config, task, data, rng):
    """Hold out ``validation_fraction`` of the data for early stopping.

    The split is stratified for single-label classification where a
    stratified split exists (every class has 2 samples or more, and both
    parts have room for every class); otherwise it is drawn without
    stratification, as scikit-learn does for multiclass targets. Only when
    no split leaves at least 2 validation samples and 1 training sample is a
    ValueError raised.

    Returns
    -------
    train : TrainingData
    validation : Validation
    """
    fraction, n_samples = config.validation_fraction, data.X.shape[0]
    # train_test_split's own sizes for a float test_size.
    n_val = math.ceil(fraction * n_samples)
    n_train = n_samples - n_val
    if n_val < 2 or n_train < 1:
        raise ValueError(
            "The validation set is too small: early_stopping=True holds out "
            f"validation_fraction={fraction} of the {n_samples} "
            f"samples, which gives {n_val} validation and {n_train} training "
            "samples; at least 2 and 1 are needed. Increase validation_fraction "
            "or the number of samples, or set early_stopping=False."
        )
    stratify = None
    if task.stratify:
        _, counts = np.unique(data.y, return_counts=True)
        if counts.min() >= 2 and min(n_val, n_train) >= counts.size:
            stratify = data.y
    # The rows are split on the host (the draws are numpy's on every namespace),
    # then taken from the arrays wherever they live.
    rows = train_test_split(
        np.arange(n_samples), random_state=rng, test_size=fraction, stratify=stratify
    )
    train, val = (_rows_of(data, part, ops_for(data.X)) for part in rows)
    return train, Validation(task, val.X, val.Y, val.y, val.sample_weight, rows[1])


def _rows_of(data, rows, ops):
    """The rows ``rows`` (a host array of indices) of the training data."""
    sw, host_sw = data.sample_weight, data.host_sample_weight
    return data._replace(
        X=ops.take_rows(data.X, rows),
        Y=ops.take_rows(data.Y, rows),
        y=data.y[rows],
        sample_weight=None if sw is None else ops.take_rows(sw, rows),
        host_sample_weight=None if host_sw is None else host_sw[rows],
    )


def stochastic_rules(config, state, net, schedule, X, validation=None):
    """The built-in rules of a stochastic fit, in the order they run.

    Returns
    -------
    guard : DivergenceGuard
        Also consulted after training, by :func:`check_predictions`.
    rules : list of Callback
        ``guard`` first, then the validation monitor (with a validation set),
        then :class:`ValidationNoImprovement` or :class:`NoImprovement`.
    """
    guard = DivergenceGuard(net, state, X, config.stochastic)
    rules = [guard]
    if validation is not None:
        rules.append(ValidationMonitor(validation, net, state))
    rule = ValidationNoImprovement if config.early_stopping else NoImprovement
    rules.append(rule(config, state, schedule, net))
    return guard, rules


class DivergenceGuard(Callback):
    """Weights to fall back on, and the stop, when training diverges.

    Training has diverged when the loss or the weights stop being finite, or
    when the loss grows past ``EXPLOSION`` times its first epoch's (a finite
    blow-up that the plateau rule would otherwise end in silence; measuring
    from the first epoch, not the best, lets a loss near 0 wobble). The
    fallback is the weights that *started* the best epoch: an epoch's loss is
    measured along its way, and the weights it ends with have not been
    evaluated yet. The guard marks the epoch (``state.diverged``) for the
    rules after it.

    Parameters
    ----------
    net : Network
    state : TrainingState
    X : ndarray or sparse matrix
        The training data, for the error when no epoch was finite.
    stochastic : bool
        The solver's trait, for the advice in the messages.
    """

    EXPLOSION = 1e3

    def __init__(self, net, state, X, stochastic=True):
        self.net, self.state, self.X, self.stochastic = net, state, X, stochastic
        self.epoch_start = net.snapshot()
        self.best_start = net.snapshot()
        self.loss = np.nan  # no epoch has been seen yet
        self.first_loss = np.nan

    def on_epoch_begin(self, estimator):
        """Keep the weights the epoch starts from."""
        self.net.snapshot(out=self.epoch_start)

    def on_epoch_end(self, estimator, record):
        """Note a finite epoch; on divergence fall back, warn and stop."""
        loss = record["loss"]
        if not self._diverged(loss):
            if math.isnan(self.first_loss):
                self.first_loss = loss
            if not loss >= self.loss:  # also true while self.loss is nan
                self.loss = loss
                for best, start in zip(self.best_start, self.epoch_start):
                    best[...] = start
            return False
        if self.fallback is None:
            raise_nonfinite(self.X, self.stochastic)
        self.net.restore(self.best_start)
        self.state.loss_ = self.loss
        self.state.diverged = True
        warn_diverged(self.state.n_iter_, loss, self.stochastic)
        return True

    def _diverged(self, loss):
        if not (math.isfinite(loss) and self.net.ops.all_finite(self.net.params)):
            return True
        return loss > self.EXPLOSION * self.first_loss

    @property
    def fallback(self):
        """The best epoch's starting weights (a snapshot); None before a finite epoch."""
        return None if np.isnan(self.loss) else self.best_start


class ValidationMonitor(Callback):
    """Score a validation set after every epoch, into the record's
    ``validation_score`` and ``validation_loss`` (NaN for a diverged epoch)."""

    def __init__(self, validation, net, state):
        self.validation, self.net, self.state = validation, net, state

    def on_epoch_end(self, estimator, record):
        if self.state.diverged:
            loss = score = np.nan
        else:
            loss, score = self.validation.evaluate(self.net)
        record["validation_loss"], record["validation_score"] = loss, score
        return False


class NoImprovement(Callback):
    """Stop when the training loss has not improved by ``tol`` for a while.

    "A while" is ``n_iter_no_change`` epochs; the count and the best loss
    live in the state, so a warm start carries them on. With the 'adaptive'
    schedule a plateau divides the learning rate by 5 instead of stopping.

    Parameters
    ----------
    config : TrainingConfig
        Supplies ``tol``, ``n_iter_no_change`` and ``verbose``.
    state : TrainingState
    schedule : learning-rate schedule
        Asked what a plateau means
        (:meth:`~skscratch.core.schedules.ConstantSchedule.on_plateau`).
    net : Network
    """

    what = "Training loss"

    def __init__(self, config, state, schedule, net):
        self.tol, self.patience = config.tol, config.n_iter_no_change
        self.verbose = config.verbose
        self.state, self.schedule, self.net = state, schedule, net

    def on_epoch_end(self, estimator, record):
        """Count the epoch; True when training should stop."""
        if self.state.diverged:
            return False
        self.count(record)
        return self.plateau()

    def count(self, record):
        """Count an epoch without improvement (or reset the count)."""
        state, loss = self.state, record["loss"]
        if loss > state.best_loss_ - self.tol:
            state._no_improvement_count += 1
        else:
            state._no_improvement_count = 0
        state.best_loss_ = min(state.best_loss_, loss)

    def plateau(self):
        """True when training should stop; an adaptive schedule lowers its rate instead."""
        if self.state._no_improvement_count <= self.patience:
            return False
        message = (
            f"{self.what} did not improve more than tol={self.tol:f} for "
            f"{self.patience} consecutive epochs."
        )
        if self.schedule.on_plateau():
            if self.verbose:
                print(message + " Stopping.")
            return True
        self.state._no_improvement_count = 0
        if self.verbose:
            print(message + f" Setting learning rate to {self.schedule.learning_rate:f}")
        return False


class ValidationNoImprovement(NoImprovement):
    """Stop when the validation score has not improved by ``tol`` for a while,
    and end with the weights of the best-scoring epoch.

    It reads the score that :class:`ValidationMonitor` put in the record (the
    task's: accuracy, R^2, or the ``validation_scoring`` scorer's), and counts
    as :class:`skscratch.callbacks.EarlyStopping` does
    (:func:`~skscratch.callbacks.epochs_without_improvement`). With
    ``n_iter_no_change=np.inf`` it never stops training and only keeps the
    best epoch: best-epoch selection over the whole schedule.
    """

    what = "Validation score"

    def __init__(self, config, state, schedule, net):
        super().__init__(config, state, schedule, net)
        self.best = net.snapshot()

    def on_epoch_end(self, estimator, record):
        if self.state.diverged:
            # The epoch's weights are thrown away: its score is not a number
            # (scikit-learn's ends in NaN too), and validation_scores_ keeps one
            # entry per epoch.
            self.state.validation_scores_.append(np.nan)
            return False
        return super().on_epoch_end(estimator, record)

    def count(self, record):
        """Keep the weights if the score is the best so far; count otherwise."""
        score, state = record["validation_score"], self.state
        state.validation_scores_.append(score)
        if self.verbose:
            print(f"Validation score: {score:f}")
        state._no_improvement_count = epochs_without_improvement(
            score, state.best_validation_score_, state._no_improvement_count, self.tol
        )
        if score > state.best_validation_score_:
            state.best_validation_score_ = score
            self.net.snapshot(out=self.best)

    def on_fit_end(self, estimator):
        """Back to the weights of the best-scoring epoch."""
        self.net.restore(self.best)


def check_predictions(net, X, fallback, stochastic=True):
    """Fall back to ``fallback`` weights if the final ones overflow on the training data.

    The last step of a fit is never evaluated by the loss, so its weights
    can be finite yet blow up a forward pass; prediction must not. Without
    a fallback that predicts finite values, the fit has no model to keep.

    Parameters
    ----------
    net : Network
    X : ndarray or sparse matrix
    fallback : snapshot or None
        From :attr:`DivergenceGuard.fallback`.
    stochastic : bool
    """
    if net.predicts_finite(X):
        return
    if fallback is not None:
        net.restore(fallback)
        if net.predicts_finite(X):
            warn_diverged(None, np.inf, stochastic)
            return
    raise_nonfinite(X, stochastic)


def raise_nonfinite(X=None, stochastic=True):
    """Raise scikit-learn's ValueError for a fit that ends with no finite weights.

    The estimator's ``_fit`` commits nothing after an exception, so an
    earlier fit is left as it was.
    """
    largest = ""
    if X is not None and math.prod(X.shape):
        data = X.data if sp.issparse(X) else X
        largest = f" (|X| up to {ops_for(data).abs_max(data):.3g})"
    advice = "Scale X, e.g. with StandardScaler"
    if stochastic:
        advice += ", or lower learning_rate_init"
    raise ValueError(
        "Solver produced non-finite parameter weights. The input data may contain "
        "large values and need to be preprocessed. No epoch of this fit ended with "
        f"finite weights and predictions{largest}, so the estimator is left as it "
        f"was. {advice}."
    )


def warn_diverged(epoch, loss, stochastic=True):
    """Warn that training diverged at ``epoch`` (None: at the end) with ``loss``."""
    where = "at the end of training" if epoch is None else f"at iteration {epoch}"
    convergence(
        f"Training diverged {where}: the loss became {loss}. The weights of the "
        "best iteration before that are kept. Scale the data (e.g. with "
        "StandardScaler)" + (" or lower learning_rate_init." if stochastic else ".")
    )
