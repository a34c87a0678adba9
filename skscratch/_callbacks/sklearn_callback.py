"""scikit-learn's callbacks (:mod:`sklearn.callback`, 1.9 on) on skscratch's fits.

The estimators inherit :class:`CallbackSupport`, which is scikit-learn's
``CallbackSupportMixin`` where scikit-learn has it (so ``set_callbacks`` works,
and callbacks set on a ``Pipeline`` or ``GridSearchCV`` reach a skscratch step),
and otherwise a class whose ``set_callbacks`` raises AttributeError saying why.
``_fit`` runs training inside :func:`sklearn_fit_task`, which turns skscratch's
own hooks (:mod:`skscratch.callbacks`) into scikit-learn's tree of fit tasks:

* ``fit`` (``partial_fit``) is the root task; it begins once the data are
  validated and the network is built, and ends after the fitted attributes
  are set.
* Each epoch of a stochastic solver is a subtask ``"epoch"``, begun at
  ``on_epoch_begin`` and ended at ``on_epoch_end``; ``max_subtasks`` is
  ``max_iter``. A ``partial_fit`` call trains one epoch: one subtask.
* Each L-BFGS iteration is a subtask ``"lbfgs-iter"``, as in scikit-learn's
  ``LogisticRegression``: scipy reports only the ends of iterations, so the
  next iteration's subtask begins when one ends (the first at the fit's
  start), and the one begun after the last iteration, which never ran, ends
  empty (no data, no ``fitted_estimator``) when the fit ends.

A callback returning True from ``on_fit_task_end`` on an epoch stops training,
as a skscratch callback's ``on_epoch_end`` does. The hooks receive the model
being trained (the fit's private copy) as ``estimator``, the data as given to
``fit`` as ``X`` and ``y``, ``sample_weight`` in ``metadata``, and, where a
callback asks for it, a ``fitted_estimator`` holding a copy of the weights at
that point. Everything that depends on the experimental API is in this module.
"""

import contextlib

import sklearn

from .._training.solvers import STOCHASTIC_SOLVERS
from ..callbacks import copy_weights

try:
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # scikit-learn < 1.9
    CallbackSupportMixin = with_callbacks = None

#: Whether this scikit-learn has :mod:`sklearn.callback`.
AVAILABLE = CallbackSupportMixin is not None

if AVAILABLE:

    class CallbackSupport(CallbackSupportMixin):
        """scikit-learn's callback support (``set_callbacks``), for the estimators."""

else:

    class CallbackSupport:
        """Where scikit-learn has no ``sklearn.callback``: no ``set_callbacks``."""

        @property
        def set_callbacks(self):
            """Absent: ``hasattr`` is False, and calling it says why."""
            raise AttributeError(
                f"{type(self).__name__}.set_callbacks needs scikit-learn's callback API "
                f"(sklearn.callback, new in scikit-learn 1.9); this is scikit-learn "
                f"{sklearn.__version__}. Upgrade scikit-learn, or pass skscratch's own "
                "callbacks in the callbacks parameter."
            )


@contextlib.contextmanager
def sklearn_fit_task(model, X, y, sample_weight, incremental):
    """Run a fit of ``model`` as scikit-learn's fit task, if it has callbacks set.

    Yields the callbacks (in skscratch's protocol) to add to the fit's own:
    none where ``set_callbacks`` set nothing (or scikit-learn has no callback
    API), so that such a fit pays nothing. The root task ends when the body
    has finished without an exception; the callbacks that the fit set up are
    torn down in any case.

    Parameters
    ----------
    model : estimator
        The fit's private copy, the model being trained.
    X, y, sample_weight
        As given to ``fit`` or ``partial_fit`` (the callbacks score on them).
    incremental : bool
        True for ``partial_fit``.
    """
    if not AVAILABLE or not getattr(model, "_skl_callbacks", None):
        yield []
        return
    task = _FitTask(X, y, sample_weight, incremental)
    try:
        yield [task]
        task.end(model)
    finally:
        # with_callbacks tears down, once the method it wraps has run, the
        # callbacks that _init_callback_context set up on the estimator (if it
        # got that far): wrapping a no-op, it tears them down now.
        with_callbacks(_nothing)(model)


def _nothing(model):
    return None


def _fitted_attributes(model):
    """``model``'s fitted attributes as they are now, for a ``fitted_estimator``.

    Training goes on in place (the weights of ``layers_`` are views of the
    network's; ``history_`` and ``loss_curve_`` grow), so the weights are
    copied and the lists' current contents are taken.
    """
    attributes = {
        name: list(value)
        for name, value in vars(model).items()
        if isinstance(value, list) and name.endswith("_") and not name.startswith("_")
    }
    attributes["layers_"] = copy_weights(model)
    return attributes


class _FitTask:
    """skscratch's hooks of one fit, calling scikit-learn's callbacks on its tasks."""

    def __init__(self, X, y, sample_weight, incremental):
        self.X, self.y = X, y
        self.metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self.incremental = incremental
        self.context = self.subtask = None

    def _call(self, context, hook, model):
        """Call ``hook`` of the callbacks on ``context``; True if one asks to stop."""
        return getattr(context, hook)(
            estimator=model,
            X=self.X,
            y=self.y,
            metadata=self.metadata,
            reconstruction_attributes=lambda: _fitted_attributes(model),
        )

    def on_fit_begin(self, model):
        self.stochastic = model.solver in STOCHASTIC_SOLVERS
        self.max_subtasks = 1 if self.incremental else int(model.max_iter)
        self.n_subtasks = 0
        self.context = model._init_callback_context(
            task_name="partial_fit" if self.incremental else "fit",
            max_subtasks=self.max_subtasks,
        )
        self.context.call_on_fit_task_begin(
            estimator=model, X=self.X, y=self.y, metadata=self.metadata
        )
        if not self.stochastic:
            self._begin(model)

    def _begin(self, model):
        name = "epoch" if self.stochastic else "lbfgs-iter"
        self.subtask = self.context.subcontext(task_name=name)
        self.n_subtasks += 1
        self._call(self.subtask, "call_on_fit_task_begin", model)

    def on_epoch_begin(self, model):
        self._begin(model)

    def on_epoch_end(self, model, record):
        stop = self._call(self.subtask, "call_on_fit_task_end", model)
        self.subtask = None
        if not (stop or self.stochastic or self.n_subtasks >= self.max_subtasks):
            self._begin(model)  # the next L-BFGS iteration, if scipy runs one
        return stop

    def on_fit_end(self, model):
        if self.subtask is not None:  # begun, never run (or interrupted): ends empty
            self.subtask.call_on_fit_task_end(estimator=model)
            self.subtask = None

    def end(self, model):
        """End the root task, on the fitted model."""
        if self.context is not None:
            self._call(self.context, "call_on_fit_task_end", model)
