"""The input stage: what ``fit`` learns about X and applies at every later call.

Which columns are categorical and their categories (``categorical.py``), and
the input layers of ``handle_missing`` and ``numeric_scaling`` with the first
fit's statistics (``input_layers.py``).

May import: :mod:`skscratch.core`, :mod:`skscratch.preprocessing`,
:mod:`skscratch._utils` and scikit-learn; never the estimators or the training.
"""
