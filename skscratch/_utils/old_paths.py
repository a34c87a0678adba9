"""The private module paths of earlier skscratch versions, kept importable.

A pickle (or a skops file) names the module of each object's class. Models
saved before the package was arranged into ``_estimators``, ``_input``,
``_training`` and ``_utils`` name the old flat modules, for example
``skscratch._classifier.ScratchMLPClassifier``; each old name stays an alias
of the module that holds its code now, so those files keep loading. The
estimators now pickle under their public name (``skscratch.ScratchMLPClassifier``),
which no later reorganisation needs to move.
"""

import importlib
import sys

#: Old module -> the module its code lives in now. ``skscratch._training`` is
#: missing: it is the training package itself now, and no pickle named a
#: function of the old loops module.
OLD_MODULES = {
    "skscratch._base": "skscratch._estimators.base",
    "skscratch._classifier": "skscratch._estimators.classifier",
    "skscratch._regressor": "skscratch._estimators.regressor",
    "skscratch._tabular": "skscratch._estimators.tabular",
    "skscratch._docstrings": "skscratch._estimators.docstrings",
    "skscratch._tasks": "skscratch._estimators.tasks",
    "skscratch._model": "skscratch._estimators.model",
    "skscratch._categorical": "skscratch._input.categorical",
    "skscratch._inputs": "skscratch._input.input_layers",
    "skscratch._spec": "skscratch._training.config",
    "skscratch._state": "skscratch._training.state",
    "skscratch._stopping": "skscratch._training.stopping",
    "skscratch._gradient_check": "skscratch._training.gradient_check",
    "skscratch._tables": "skscratch._utils.tables",
    "skscratch._warnings": "skscratch._utils.warnings",
}


def install():
    """Make every old module name an alias of its module: in ``sys.modules`` (what
    pickle and ``import`` look up) and as an attribute of the package (what
    ``skscratch._classifier.ScratchMLPClassifier`` reads)."""
    for old, new in OLD_MODULES.items():
        module = sys.modules.setdefault(old, importlib.import_module(new))
        package, _, name = old.rpartition(".")
        if not hasattr(sys.modules[package], name):
            setattr(sys.modules[package], name, module)
