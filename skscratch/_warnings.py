"""Warnings attributed to the caller's line, however deep inside skscratch they arise."""

import os
import sys
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


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
