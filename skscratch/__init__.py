"""skscratch: neural-network estimators for scikit-learn, written from scratch on numpy."""

from ._classifier import ScratchMLPClassifier
from ._gradient_check import check_gradients
from ._model import to_numpy
from ._regressor import ScratchMLPRegressor
from ._tabular import TabularMLPClassifier, TabularMLPRegressor

__version__ = "0.1.0"

__all__ = [
    "ScratchMLPClassifier",
    "ScratchMLPRegressor",
    "TabularMLPClassifier",
    "TabularMLPRegressor",
    "check_gradients",
    "to_numpy",
    "__version__",
]
