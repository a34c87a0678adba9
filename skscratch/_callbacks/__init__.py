"""The callbacks a user adds, beyond the base class: their code.

``library.py``: :class:`~skscratch.callbacks.Checkpoint`,
:class:`~skscratch.callbacks.EpochScoring` and
:class:`~skscratch.callbacks.HistoryLogger`; ``support.py``: what callbacks
read (:func:`~skscratch.callbacks.fit_data`, a column of ``history_`` to
monitor). The public names are :mod:`skscratch.callbacks`'s, which re-exports
them.

May import: :mod:`skscratch.callbacks` (the base class), :mod:`skscratch._input`,
:mod:`skscratch.core`, :mod:`skscratch._utils` and scikit-learn; never the
estimators or the training loops.
"""
