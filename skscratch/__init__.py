"""skscratch: neural-network estimators for scikit-learn, written from scratch on numpy."""

from ._classifier import ScratchMLPClassifier
from ._gradient_check import check_gradients
from ._regressor import ScratchMLPRegressor
from ._tabular import TabularMLPClassifier, TabularMLPRegressor

__version__ = "0.1.0"

__all__ = [
    "ScratchMLPClassifier",
    "ScratchMLPRegressor",
    "TabularMLPClassifier",
    "TabularMLPRegressor",
    "check_gradients",
    "__version__",
]
