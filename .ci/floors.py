"""The oldest versions skscratch declares, read from pyproject.toml.

    python .ci/floors.py python         prints requires-python's floor (3.10)
    python .ci/floors.py constraints    prints one pin per dependency (numpy==1.24.1 ...)

.ci/run installs the pins, with that Python, in a second environment and runs
the test suite there, so what pyproject.toml declares is what CI tests. Every
dependency must declare its floor as ``>=``: one without fails here.
"""

import sys
from pathlib import Path

from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: tomli comes with pytest there
    import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def floor(specifier, what):
    """The version of the one ``>=`` clause of ``specifier``."""
    lower = [spec.version for spec in specifier if spec.operator == ">="]
    if len(lower) != 1:
        sys.exit(f"{what} declares no floor (one '>=' clause): {specifier or 'any'}")
    return lower[0]


def main(what):
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    if what == "python":
        print(floor(Requirement(f"python{project['requires-python']}").specifier, "python"))
    elif what == "constraints":
        for line in project["dependencies"]:
            requirement = Requirement(line)
            print(f"{requirement.name}=={floor(requirement.specifier, requirement.name)}")
    else:
        sys.exit(f"usage: python {sys.argv[0]} python|constraints")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) == 2 else "")
