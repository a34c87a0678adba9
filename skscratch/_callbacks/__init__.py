"""The callbacks a user adds, beyond the base class: their code.

``library.py``: :class:`~skscratch.callbacks.Checkpoint`,
:class:`~skscratch.callbacks.EpochScoring` and
:class:`~skscratch.callbacks.HistoryLogger`; ``support.py``: what callbacks read
(:func:`~skscratch.callbacks.fit_data`, a column of ``history_`` to monitor);
``sklearn_callback.py``: scikit-learn 1.9's experimental callback API
(``set_callbacks``) on the fits, everything that depends on it in one place. The
public names are :mod:`skscratch.callbacks`'s, which re-exports them.

May import: :mod:`skscratch.callbacks` (the base class),
:mod:`skscratch._input`, :mod:`skscratch.core`, :mod:`skscratch._utils` and
scikit-learn, and of the training only its solver registry; never the estimators.
"""
