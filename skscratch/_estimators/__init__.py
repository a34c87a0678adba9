"""The estimators: what a user constructs, fits and calls.

:class:`~skscratch.ScratchMLPClassifier` and :class:`~skscratch.ScratchMLPRegressor`
(scikit-learn's parameters and defaults), the Tabular estimators (the same
classes with the recipe's defaults), their shared base, the task of each
(classification or regression: targets, loss, score), the parameter
descriptions their docstrings share, and the fitted model as layer records
(``layers_``, with ``coefs_`` and ``intercepts_`` as views of it).

May import: :mod:`skscratch._input`, :mod:`skscratch._training`,
:mod:`skscratch._utils`, :mod:`skscratch.callbacks`, :mod:`skscratch.core` and
scikit-learn. Nothing below it imports it.
"""
