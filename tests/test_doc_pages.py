"""The user-guide pages run as doctests, so that each page says what the code does."""

import doctest
import importlib.util
import os
from pathlib import Path

import pytest
from helpers import needs_array_api_dispatch

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _run(page):
    options = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    return doctest.testfile(
        str(DOCS / page), module_relative=False, optionflags=options, verbose=False
    )


def test_real_tables_page_examples_run():
    result = _run("real_tables.rst")
    assert result.attempted > 15
    assert result.failed == 0


@needs_array_api_dispatch
@pytest.mark.skipif(
    importlib.util.find_spec("array_api_strict") is None
    or os.environ.get("SCIPY_ARRAY_API") != "1",
    reason="needs array-api-strict (the test extra) and SCIPY_ARRAY_API=1 (conftest.py)",
)
def test_array_api_page_examples_run():
    result = _run("array_api.rst")
    assert result.attempted >= 10
    assert result.failed == 0
