"""skscratch._utils.sklearn_compat: the private scikit-learn names, and their fallback.

These run at the floor (scikit-learn 1.6) and the newest scikit-learn alike:
the fallback of ``_check_sample_weight`` must do what scikit-learn's does for
every way skscratch calls it, so that losing the private name changes nothing.
"""

import re

import numpy as np
import pytest
from sklearn.utils.validation import _check_sample_weight

from skscratch._utils import sklearn_compat
from skscratch._utils.sklearn_compat import _check_sample_weight_fallback

X = np.zeros((4, 2))


@pytest.mark.parametrize(
    "sample_weight",
    [None, 2.0, 3, [1, 2, 3, 4], np.array([0.5, 0.0, 1.0, 2.0], dtype=np.float32)],
)
@pytest.mark.parametrize("dtype", [None, np.float64, np.float32])
def test_the_fallback_gives_what_scikit_learn_gives(sample_weight, dtype):
    ours = _check_sample_weight_fallback(
        sample_weight, X, dtype=dtype, ensure_non_negative=True
    )
    theirs = _check_sample_weight(sample_weight, X, dtype=dtype, ensure_non_negative=True)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize(
    "sample_weight",
    [[1, 2, 3], [[1, 2, 3, 4]], [0, 0, 0, 0], [1, -1, 1, 1], ["a", "b", "c", "d"]],
)
def test_the_fallback_refuses_what_scikit_learn_refuses(sample_weight):
    try:
        _check_sample_weight(sample_weight, X, ensure_non_negative=True)
    except ValueError as error:
        theirs = error
    else:  # all zero: scikit-learn refuses them from 1.7 on (skscratch does anyway)
        assert not np.any(sample_weight)
        with pytest.raises(ValueError, match="at least one non-zero"):
            _check_sample_weight_fallback(sample_weight, X, ensure_non_negative=True)
        return
    with pytest.raises(ValueError, match=re.escape(str(theirs)[:30])):
        _check_sample_weight_fallback(sample_weight, X, ensure_non_negative=True)


def test_only_this_module_imports_private_scikit_learn_names():
    import pathlib

    package = pathlib.Path(sklearn_compat.__file__).parents[1]
    private = re.compile(r"from sklearn[\w.]*\._\w+ import|from sklearn[\w.]* import _\w")
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "sklearn_compat.py" and private.search(path.read_text())
    ]
    assert offenders == []
