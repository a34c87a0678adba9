"""Training: from the estimator's parameters to a trained network.

The solver registry (``solvers.py``); the training configuration, building
the network and its optimizer (``config.py``); the epoch loops, which see the
configuration, the network and the hooks, never the estimator
(``loops.py``); the bookkeeping a fit fills (``state.py``); the built-in stop
rules as callbacks (``stopping.py``); and :func:`~skscratch.check_gradients`
(``gradient_check.py``).

May import: :mod:`skscratch.core`, :mod:`skscratch.callbacks`,
:mod:`skscratch._input` (``check_gradients`` reads X as the fitted model
does), :mod:`skscratch._utils`, scikit-learn, and of the estimators only their
parameter table (``config.py`` copies the parameters it marks); the loops
never see an estimator (a fit passes what they need as arguments).
"""
