"""The user guide's worked example and gradient check run as a doctest.

docs/user_guide.rst prints every number of one SGD step on a 2-2-1 network,
by hand and from skscratch.core; running it here keeps the page and the code
in agreement.
"""

import doctest
from pathlib import Path

import numpy as np

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "user_guide.rst"


def test_user_guide_examples_run():
    options = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    saved = np.get_printoptions()
    try:
        result = doctest.testfile(
            str(GUIDE), module_relative=False, optionflags=options, verbose=False
        )
    finally:
        # The guide changes them; never leak into other tests (a bare
        # np.set_printoptions() changes nothing).
        np.set_printoptions(**saved)
    assert result.attempted > 30
    assert result.failed == 0
