"""Where skscratch's warnings point: at skscratch, or at the caller's line.

A ConvergenceWarning is skscratch's own report, as scikit-learn's MLP makes it:
it is attributed to skscratch's module (:func:`convergence`), so
``warnings.filterwarnings("ignore", category=ConvergenceWarning,
module="skscratch")`` silences it whoever called ``fit`` (a script, a
Pipeline, ``cross_val_score``). A warning about how skscratch was called
(:func:`warn`) points at the caller's line instead.
"""

import os
import sys
import warnings

from sklearn.exceptions import ConvergenceWarning

#: skscratch's own directory: frames in files under it are skscratch's.
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def warn(message, category=UserWarning):
    """``warnings.warn`` with the stack level of the first frame outside skscratch.

    Training code warns from several calls deep; counting the levels by
    hand breaks whenever the code between the user and the warning moves.
    """
    frame, level = sys._getframe(1), 2  # level 2 is warn's caller
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
        _PACKAGE_DIR + os.sep
    ):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def convergence(message):
    """A ConvergenceWarning from the skscratch module that calls this."""
    warnings.warn(message, ConvergenceWarning, stacklevel=2)
