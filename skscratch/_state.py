"""TrainingState: the bookkeeping of a fit, which becomes its fitted attributes.

A fit keeps ``n_iter_``, ``loss_curve_``, ``history_``, the stop rules'
counters and the optimizer's state in one :class:`TrainingState`, under the
names of the fitted attributes they become; the estimator commits them once
training has succeeded. A warm start continues from the previous fit's.
"""

import dataclasses
import operator
import time

import numpy as np


@dataclasses.dataclass
class TrainingState:
    """What a fit records, under the names of the fitted attributes it becomes.

    The fields after ``history_`` belong to the stochastic solvers only; an
    L-BFGS fit leaves them out of :meth:`attributes`.
    """

    n_iter_: int = 0
    t_: int = 0
    loss_: float = None
    loss_curve_: list = dataclasses.field(default_factory=list)
    history_: list = dataclasses.field(default_factory=list)
    _no_improvement_count: int = 0
    validation_scores_: list = None
    best_validation_score_: float = None
    best_loss_: float = None
    _optimizer_state: dict = None

    LBFGS_FIELDS = ("n_iter_", "t_", "loss_", "loss_curve_", "history_")

    @classmethod
    def start(cls, est, first_pass):
        """The state a fit starts from: fresh, or continuing the previous fit's.

        A warm start continues ``loss_curve_``, ``history_`` and ``t_``. The
        stop rule's own counters continue only where the previous fit kept
        the same ones: after an 'lbfgs' fit, or when ``early_stopping`` has
        been switched, they start afresh.
        """
        early = est.early_stopping and est.solver != "lbfgs"
        state = cls(
            validation_scores_=[] if early else None,
            best_validation_score_=-np.inf if early else None,
            best_loss_=None if early or est.solver == "lbfgs" else np.inf,
        )
        if first_pass or est.solver == "lbfgs":
            return state
        state.t_ = getattr(est, "t_", 0)
        state.loss_curve_ = list(getattr(est, "loss_curve_", []))
        state.history_ = list(getattr(est, "history_", []))
        previous_early = getattr(est, "validation_scores_", None) is not None
        if hasattr(est, "_no_improvement_count") and previous_early == early:
            state._no_improvement_count = est._no_improvement_count
            state.best_validation_score_ = est.best_validation_score_
            state.best_loss_ = est.best_loss_
            if early:
                state.validation_scores_ = list(est.validation_scores_)
            state._optimizer_state = getattr(est, "_optimizer_state", None)
        return state

    def attributes(self, solver):
        """The fitted attributes, as a dict of plain numbers, lists and arrays."""
        names = self.LBFGS_FIELDS if solver == "lbfgs" else vars(self)
        return {name: getattr(self, name) for name in names}

    def end_epoch(self, loss, n_samples, verbose):
        """Count an epoch over ``n_samples`` that ended with ``loss``."""
        self.n_iter_ += 1
        self.t_ += n_samples
        self.loss_curve_.append(loss)
        self.loss_ = loss
        if verbose:
            print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")

    def record_epoch(
        self, notify, loss, learning_rate, started, score=None, validation_loss=None
    ):
        """Append the epoch's record to ``history_``; True if a callback asks to stop.

        ``validation_loss`` enters the record only where there is a validation
        set (a held-out part, or ``X_val``).
        """
        record = {
            "epoch": len(self.history_) + 1,
            "loss": loss,
            "validation_score": score,
            "learning_rate": learning_rate,
            "seconds": time.perf_counter() - started,
        }
        if validation_loss is not None:
            record["validation_loss"] = validation_loss
        self.history_.append(record)
        return notify("on_epoch_end", record)

    def checkpoint(self):
        """What :meth:`rollback` needs to undo the epochs after this call."""
        lengths = (len(self.loss_curve_), len(self.history_))
        if self.validation_scores_ is not None:
            lengths += (len(self.validation_scores_),)
        return _ROLLED_BACK(self), lengths

    def rollback(self, checkpoint):
        """Return to a :meth:`checkpoint` (for an interrupted epoch)."""
        scalars, lengths = checkpoint
        for name, value in zip(_ROLLED_BACK_NAMES, scalars):
            setattr(self, name, value)
        for values, length in zip(
            (self.loss_curve_, self.history_, self.validation_scores_), lengths
        ):
            del values[length:]


#: The scalar fields an interrupted epoch rolls back (read at every epoch's end).
_ROLLED_BACK_NAMES = (
    "n_iter_",
    "t_",
    "loss_",
    "_no_improvement_count",
    "best_loss_",
    "best_validation_score_",
)
_ROLLED_BACK = operator.attrgetter(*_ROLLED_BACK_NAMES)
