"""What skscratch imports is what pyproject.toml declares.

An import that ``import skscratch`` (or any of its modules) runs must come from
a dependency; one inside a function, or under ``try`` (an optional feature, as
``skscratch.onnx``), from a dependency or an extra. .ci/run then installs the
dependencies at their declared floors and runs this suite there.
"""

import ast
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import skscratch

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: tomli comes with pytest there
    import tomli as tomllib

PACKAGE = Path(skscratch.__file__).parent
PYPROJECT = PACKAGE.parent / "pyproject.toml"

#: The distribution of each imported module whose name is not its own. A new one
#: fails the test below until it is added here (importlib.metadata cannot say on
#: every Python: 3.10 reads only the top_level.txt that many wheels lack).
DISTRIBUTIONS = {"sklearn": "scikit-learn"}


def _project():
    if not PYPROJECT.is_file():
        pytest.skip(f"skscratch is imported from {PACKAGE}, without pyproject.toml")
    return tomllib.loads(PYPROJECT.read_text())["project"]


def _names(requirements):
    return {canonicalize_name(Requirement(line).name) for line in requirements}


def _imports(tree):
    """``(top-level module, optional)`` for each absolute import in ``tree``.

    Optional: inside a function or a ``try`` block, so not run by importing
    the module, or handled when it fails.
    """
    found = []

    def visit(node, optional):
        if isinstance(node, ast.Import):
            found.extend((alias.name.split(".")[0], optional) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.append((node.module.split(".")[0], optional))
        inside = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Try))
        for child in ast.iter_child_nodes(node):
            visit(child, optional or inside)

    visit(tree, False)
    return found


def _guarded_by_package(path):
    """The modules that the ``__init__`` of ``path``'s package (or of a package
    above it, inside skscratch) imports in a ``try`` block: every module of the
    package is imported after that guard, which fails with the install hint."""
    guarded = set()
    folder = path.parent
    while folder != PACKAGE and PACKAGE in folder.parents:
        init = folder / "__init__.py"
        if init.is_file() and init != path:
            tree = ast.parse(init.read_text(), filename=str(init))
            guarded |= {module for module, optional in _imports(tree) if optional}
        folder = folder.parent
    return guarded


def _third_party_imports():
    """``{distribution: (optional, [files])}`` for what skscratch's modules import."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        guarded = _guarded_by_package(path)
        for module, optional in _imports(tree):
            optional = optional or module in guarded
            if module in sys.stdlib_module_names or module == "skscratch":
                continue
            name = canonicalize_name(DISTRIBUTIONS.get(module, module))
            was_optional, files = found.get(name, (True, []))
            found[name] = (was_optional and optional, files + [path.name])
    return found


def test_every_import_comes_from_a_declared_distribution():
    project = _project()
    required = _names(project["dependencies"])
    extras = set().union(*map(_names, project["optional-dependencies"].values()))
    imports = _third_party_imports()
    assert {"numpy", "scipy", "scikit-learn"} <= set(imports)  # the scan sees them
    undeclared = {
        name: files
        for name, (optional, files) in imports.items()
        if name not in required and not (optional and name in extras)
    }
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_the_import_scan_tells_required_from_optional():
    tree = ast.parse(
        "import numpy as np\n"
        "from scipy.special import expit\n"
        "from . import core\n"
        "try:\n    import onnx\nexcept ImportError:\n    pass\n"
        "def plot():\n    import matplotlib.pyplot as plt\n"
    )
    assert _imports(tree) == [
        ("numpy", False),
        ("scipy", False),
        ("onnx", True),
        ("matplotlib", True),
    ]


def test_ci_runs_the_readme_commands_exactly():
    # The README's two set-up lines are what a new user pastes; .ci/run must run
    # those very lines, so that CI fails where they would.
    root = PACKAGE.parent
    readme, ci = root / "README.md", root / ".ci" / "run"
    if not (readme.is_file() and ci.is_file()):
        pytest.skip("not a checkout of skscratch")
    commands = [
        line
        for line in readme.read_text().splitlines()
        if line.startswith("pip install ") and "&& python -m " in line
    ]
    assert len(commands) == 2, commands  # the demo, and the tests
    ci_lines = {line.strip() for line in ci.read_text().splitlines()}
    assert [c for c in commands if c not in ci_lines] == []
