"""TrainingState: the bookkeeping of a fit, which becomes its fitted attributes.

A fit keeps ``n_iter_``, ``loss_curve_``, ``history_``, the stop rules'
counters and the optimizer's state in one :class:`TrainingState`, under the
names of the fitted attributes they become; the estimator publishes them to
the model its callbacks see after every epoch, and commits them once
training has succeeded. A warm start continues from the previous fit's.
"""

import dataclasses
import operator
import time

import numpy as np


@dataclasses.dataclass
class TrainingState:
    """What a fit records, under the names of the fitted attributes it becomes.

    The fields from ``_no_improvement_count`` to ``_optimizer_state`` belong
    to the stochastic solvers only; an L-BFGS fit leaves them out of
    :meth:`attributes`. ``diverged`` is the divergence guard's mark for the
    rules after it, not an attribute.
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
    diverged: bool = False

    LBFGS_FIELDS = ("n_iter_", "t_", "loss_", "loss_curve_", "history_")
    STOCHASTIC_FIELDS = (
        *LBFGS_FIELDS,
        "_no_improvement_count",
        "validation_scores_",
        "best_validation_score_",
        "best_loss_",
        "_optimizer_state",
    )

    @classmethod
    def start(cls, config, previous=None):
        """The state a fit starts from: fresh, or continuing the previous fit's.

        Parameters
        ----------
        config : TrainingConfig
        previous : dict, default=None
            The fitted attributes of the fit this one continues (warm start,
            ``partial_fit``); None for a fit that starts afresh.

        A warm start continues ``loss_curve_``, ``history_`` and ``t_``. The
        stop rule's own counters continue only where the previous fit kept
        the same ones: after an 'lbfgs' fit, or when ``early_stopping`` has
        been switched, they start afresh.
        """
        early = config.early_stopping
        state = cls(
            validation_scores_=[] if early else None,
            best_validation_score_=-np.inf if early else None,
            best_loss_=None if early or not config.stochastic else np.inf,
        )
        if previous is None or not config.stochastic:
            return state
        state.t_ = previous.get("t_", 0)
        state.loss_curve_ = list(previous.get("loss_curve_", []))
        state.history_ = list(previous.get("history_", []))
        previous_early = previous.get("validation_scores_") is not None
        if "_no_improvement_count" in previous and previous_early == early:
            for name in ("_no_improvement_count", "best_validation_score_", "best_loss_"):
                setattr(state, name, previous[name])
            if early:
                state.validation_scores_ = list(previous["validation_scores_"])
            state._optimizer_state = previous.get("_optimizer_state")
        return state

    def attributes(self, stochastic=True):
        """The fitted attributes, as a dict of plain numbers, lists and arrays."""
        names = self.STOCHASTIC_FIELDS if stochastic else self.LBFGS_FIELDS
        return {name: getattr(self, name) for name in names}

    def end_epoch(self, loss, n_samples, verbose):
        """Count an epoch over ``n_samples`` that ended with ``loss``."""
        self.n_iter_ += 1
        self.t_ += n_samples
        self.loss_curve_.append(loss)
        self.loss_ = loss
        if verbose:
            print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")

    def record_epoch(self, loss, learning_rate, started):
        """Append the epoch's record to ``history_`` and return it.

        The validation monitor fills ``validation_score`` (and adds
        ``validation_loss``) where there is a validation set.
        """
        record = {
            "epoch": len(self.history_) + 1,
            "loss": loss,
            "validation_score": None,
            "learning_rate": learning_rate,
            "seconds": time.perf_counter() - started,
        }
        self.history_.append(record)
        return record

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
