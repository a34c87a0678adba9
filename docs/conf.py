"""Sphinx configuration for skscratch's documentation.

Build from the repository root with::

    pip install ".[docs]"
    python -m sphinx -b html docs docs/_build/html
"""

import skscratch

project = "skscratch"
author = "the skscratch developers"
copyright = "the skscratch developers, BSD-3-Clause"
release = skscratch.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
]

# numpydoc renders the Parameters / Attributes sections; one page per class is
# enough, so no autosummary stub pages for every method and attribute.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autodoc_member_order = "bysource"

exclude_patterns = ["_build"]
html_theme = "alabaster"
