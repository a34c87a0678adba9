"""skscratch: neural-network estimators for scikit-learn, written from scratch on numpy.

The package's layout follows the data: ``_estimators`` (what a user
constructs) uses ``_input`` (what fit learns about X) and ``_training`` (the
configuration, the loops, the stop rules), which use ``core`` (the
back-propagation engine, which knows nothing of estimators or scikit-learn).
``callbacks``, ``onnx``, ``preprocessing``, ``datasets`` and ``plotting`` are
public modules; "How skscratch is built" in the user guide walks the tree.
"""

from ._estimators.classifier import ScratchMLPClassifier
from ._estimators.model import to_numpy
from ._estimators.regressor import ScratchMLPRegressor
from ._estimators.tabular import TabularMLPClassifier, TabularMLPRegressor
from ._training.gradient_check import check_gradients
from ._utils import old_paths

__version__ = "0.1.0"

# Pickles name a class's module: the public one survives reorganisations.
for _estimator in (
    ScratchMLPClassifier,
    ScratchMLPRegressor,
    TabularMLPClassifier,
    TabularMLPRegressor,
):
    _estimator.__module__ = __name__
del _estimator
old_paths.install()

__all__ = [
    "ScratchMLPClassifier",
    "ScratchMLPRegressor",
    "TabularMLPClassifier",
    "TabularMLPRegressor",
    "check_gradients",
    "to_numpy",
    "__version__",
]
