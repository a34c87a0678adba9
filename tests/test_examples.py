"""The gallery's scripts, checked without running them (the docs build runs them).

Each example must be a page sphinx-gallery can build warning-free and must plot
what it is about: a module docstring that opens with a title whose over- and
underline match it, and a figure shown with ``plt.show()``.
"""

import ast
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("plot_*.py"))


def test_there_are_examples():
    assert len(EXAMPLES) >= 11


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_has_a_title_and_a_figure(path):
    source = path.read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(source), clean=False)
    assert docstring, f"{path.name} needs a module docstring"
    overline, title, underline = docstring.strip("\n").splitlines()[:3]
    assert set(overline) == {"="} and overline == underline, path.name
    assert len(overline) >= len(title.rstrip()), f"{path.name}: title longer than its line"
    assert "plt.show()" in source, f"{path.name} draws no figure"
