"""The numpy back-propagation engine behind skscratch's estimators.

It imports numpy and scipy only. One training step reads::

    loss = network.loss_gradient(X_batch, y_batch, sample_weight, alpha)
    optimizer.step(network.params, network.grad)
"""

from .activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from .losses import LOSSES
from .network import Network, predict_output
from .optimizers import SGD, Adam, AdamW, RMSprop, make_schedule, minimize_lbfgs

__all__ = [
    "HIDDEN_ACTIVATIONS",
    "LOSSES",
    "OUTPUT_ACTIVATIONS",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "make_schedule",
    "Network",
    "minimize_lbfgs",
    "predict_output",
]
