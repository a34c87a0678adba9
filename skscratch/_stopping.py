"""The rules that end training early, and what happens when training diverges.

The stop rules read and update a :class:`~skscratch._state.TrainingState`
once per epoch:

- :class:`NoImprovement`: the training loss has not improved by ``tol`` for
  ``n_iter_no_change`` epochs;
- :class:`EarlyStopping`: the same on a validation score (a held-out part, or
  the user's ``X_val``, see :class:`Validation`), keeping the
  weights of the best-scoring epoch;
- :class:`DivergenceGuard`: the loss or the weights stopped being finite, or
  the loss exploded; training falls back to the last good weights
  (:func:`fall_back`), and a fit whose final weights overflow on the training
  data falls back too (:func:`check_predictions`) or raises
  (:func:`raise_nonfinite`).
"""

import math
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from .core.activations import Identity
from .core.network import predict_chunked


class Validation:
    """A validation set, evaluated after every epoch.

    Parameters
    ----------
    est : estimator
        Supplies ``_score_output`` (accuracy or R^2).
    X : ndarray of shape (n_samples, n_features)
        As the network reads it, in its dtype.
    Y : ndarray of shape (n_samples, n_outputs)
        The encoded targets, for the loss.
    y : ndarray
        The targets as the user gave them, for the score.
    sample_weight : ndarray of shape (n_samples,) or None
    """

    def __init__(self, est, X, Y, y, sample_weight):
        self.score_output = est._score_output
        self.X, self.Y, self.y, self.sample_weight = X, Y, y, sample_weight

    def evaluate(self, net):
        """``(loss, score)`` of the network on this set; NaN where they are not finite.

        The loss is the training loss without its L2 penalty: the
        sample-weighted mean of the per-sample loss.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            logits = predict_chunked(net.layers, Identity, self.X)
            losses = net.loss.per_sample(self.Y, logits)
            loss = float(np.average(losses, weights=self.sample_weight))
            output = net.output_activation.forward(logits)
            score = np.nan
            if np.isfinite(output).all():
                score = self.score_output(output, self.y, self.sample_weight)
        return (loss if np.isfinite(loss) else np.nan), (
            score if np.isfinite(score) else np.nan
        )


class NoImprovement:
    """Stop when the training loss has not improved by ``tol`` for a while.

    "A while" is ``n_iter_no_change`` epochs.

    Parameters
    ----------
    est : estimator
        Supplies ``tol``, ``n_iter_no_change`` and ``verbose``.
    state : TrainingState
        Holds the count and the best loss, which a warm start carries on.
    validation : Validation, default=None
        A validation set (``X_val``) that is only evaluated and recorded.

    Attributes
    ----------
    validation_loss : float or None
        The loss on the validation set after the last epoch (None without one).
    """

    what = "Training loss"

    def __init__(self, est, state, validation=None):
        self.tol, self.patience, self.verbose = est.tol, est.n_iter_no_change, est.verbose
        self.state = state
        self.validation = validation
        self.validation_loss = None

    def update(self, net, loss):
        """Count the epoch that ended with ``loss``; returns its validation score
        (None without a validation set)."""
        state = self.state
        if loss > state.best_loss_ - self.tol:
            state._no_improvement_count += 1
        else:
            state._no_improvement_count = 0
        state.best_loss_ = min(state.best_loss_, loss)
        return self.evaluate(net)

    def evaluate(self, net):
        """Score the validation set, keeping its loss; None without one."""
        if self.validation is None:
            return None
        self.validation_loss, score = self.validation.evaluate(net)
        return score

    def diverged(self):
        """Note an epoch thrown away as diverged; returns its score (None, or NaN
        with a validation set)."""
        if self.validation is None:
            return None
        self.validation_loss = np.nan
        return np.nan

    def plateau(self, schedule):
        """True when training should stop; an adaptive schedule lowers its rate instead."""
        if self.state._no_improvement_count <= self.patience:
            return False
        message = (
            f"{self.what} did not improve more than tol={self.tol:f} for "
            f"{self.patience} consecutive epochs."
        )
        if schedule.on_plateau():
            if self.verbose:
                print(message + " Stopping.")
            return True
        self.state._no_improvement_count = 0
        if self.verbose:
            print(message + f" Setting learning rate to {schedule.learning_rate:f}")
        return False

    def finish(self, net):
        """Set the weights training ends with (the last ones, here)."""


class EarlyStopping(NoImprovement):
    """Stop when the score on held-out data has not improved by ``tol`` for a while.

    Training ends with the weights of the best-scoring epoch.

    Parameters
    ----------
    est : estimator
        Supplies the rule's parameters.
    state : TrainingState
    net : Network
    validation : Validation
        The held-out data, or the user's ``X_val``.
    """

    what = "Validation score"

    def __init__(self, est, state, net, validation):
        super().__init__(est, state, validation)
        self.best_params = net.params.copy()

    def update(self, net, loss):
        """Score the held-out set; keep the weights if it is the best score so far."""
        score = self.evaluate(net)
        state = self.state
        state.validation_scores_.append(score)
        if self.verbose:
            print(f"Validation score: {score:f}")
        if score < state.best_validation_score_ + self.tol:
            state._no_improvement_count += 1
        else:
            state._no_improvement_count = 0
        if score > state.best_validation_score_:
            state.best_validation_score_ = score
            self.best_params[...] = net.params
        return score

    def diverged(self):
        # The epoch's weights are thrown away: its score is not a number
        # (scikit-learn's ends in NaN too), and validation_scores_ keeps one
        # entry per epoch.
        self.state.validation_scores_.append(np.nan)
        return super().diverged()

    def finish(self, net):
        net.params[...] = self.best_params


def stop_rule(est, state, net, X, Y, y, sample_weight, rng, validation=None):
    """The plateau rule of a stochastic fit, and the data it trains on.

    With ``early_stopping`` the rule is :class:`EarlyStopping`, on the
    user's ``validation`` set if there is one, else on ``validation_fraction``
    of the data, held out. Without it, a ``validation`` set is only evaluated.

    Returns
    -------
    rule : NoImprovement or EarlyStopping
    train : tuple
        ``(X, Y, sample_weight)`` to train on.
    """
    if not est.early_stopping:
        return NoImprovement(est, state, validation), (X, Y, sample_weight)
    train = (X, Y, sample_weight)
    if validation is None:
        train, validation = split_validation(est, X, Y, y, sample_weight, rng)
    return EarlyStopping(est, state, net, validation), train


def split_validation(est, X, Y, y, sample_weight, rng):
    """Hold out ``validation_fraction`` of the data for early stopping.

    The split is stratified for single-label classification where a
    stratified split exists (every class has 2 samples or more, and both
    parts have room for every class); otherwise it is drawn without
    stratification, as scikit-learn does for multiclass targets. Only when
    no split leaves at least 2 validation samples and 1 training sample is a
    ValueError raised.

    Returns
    -------
    train : tuple
        ``(X, Y, sample_weight)``.
    validation : Validation
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
    X_val, Y_val, y_val, sw_val = val
    return (X_train, Y_train, sw_train), Validation(est, X_val, Y_val, y_val, sw_val)


class DivergenceGuard:
    """Weights to fall back on if training diverges.

    Training has diverged when the loss or the weights stop being finite, or
    when the loss grows past ``EXPLOSION`` times its first epoch's (a finite
    blow-up that the plateau rule would otherwise end in silence; measuring
    from the first epoch, not the best, lets a loss near 0 wobble). The
    fallback is the weights that *started* the best epoch: an epoch's loss is
    measured along its way, and the weights it ends with have not been
    evaluated yet.
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
        """True when ``loss`` or ``params`` is not finite, or the loss exploded."""
        if not (math.isfinite(loss) and np.isfinite(params).all()):
            return True
        return loss > self.EXPLOSION * self.first_loss

    def update(self, loss):
        """Note a finite epoch's loss; keep its starting weights if it is the best."""
        if math.isnan(self.first_loss):
            self.first_loss = loss
        if not loss >= self.loss:  # also true while self.loss is nan
            self.loss = loss
            np.copyto(self.params, self.epoch_start)

    @property
    def fallback(self):
        """The best epoch's starting weights, or None before any finite epoch."""
        return None if np.isnan(self.loss) else self.params


def fall_back(est, net, state, guard, rule, X):
    """Training diverged: back to the best epoch's weights; the epoch's score.

    Raises ValueError when no epoch had a finite loss (see :func:`raise_nonfinite`).
    """
    if guard.fallback is None:
        raise_nonfinite(est, X)
    net.params[...] = guard.fallback
    state.loss_ = guard.loss
    warn_diverged(est, state.n_iter_, state.loss_curve_[-1])
    return rule.diverged()


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
            warn_diverged(est, None, np.inf)
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


def warn_diverged(est, epoch, loss):
    # From skscratch's module, whoever called fit (see _training._warn_max_iter).
    where = "at the end of training" if epoch is None else f"at iteration {epoch}"
    warnings.warn(
        f"Training diverged {where}: the loss became {loss}. The weights of the "
        "best iteration before that are kept. Scale the data (e.g. with "
        "StandardScaler)"
        + ("." if est.solver == "lbfgs" else " or lower learning_rate_init."),
        ConvergenceWarning,
        stacklevel=1,
    )
