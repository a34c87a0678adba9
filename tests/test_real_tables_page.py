"""docs/real_tables.rst runs as a doctest, so the page says what the code does."""

import doctest
from pathlib import Path

PAGE = Path(__file__).resolve().parents[1] / "docs" / "real_tables.rst"


def test_real_tables_page_examples_run():
    options = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testfile(
        str(PAGE), module_relative=False, optionflags=options, verbose=False
    )
    assert result.attempted > 15
    assert result.failed == 0
