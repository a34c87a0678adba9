"""The numpy back-propagation engine behind skscratch's estimators; public API.

It imports numpy, scipy and threadpoolctl, and array-api-compat where it is
installed (for arrays of other libraries, :mod:`skscratch.core.backend`);
never scikit-learn. A network,
a loss and an optimizer are all a training loop needs: one step is
``loss_gradient`` (forward pass, loss, backward pass into ``network.grad``)
then ``optimizer.step``.

Examples
--------
Learn XOR with no estimator around the network:

>>> import numpy as np
>>> from skscratch.core import Adam, Network, make_schedule
>>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
>>> y = np.array([[0.0], [1.0], [1.0], [0.0]])
>>> network = Network((2, 8, 1), "tanh", "binary_log_loss")
>>> network.initialize(np.random.RandomState(0))
>>> optimizer = Adam(network.params.size, make_schedule("constant", 0.05))
>>> for step in range(500):
...     loss = network.loss_gradient(X, y)
...     optimizer.step(network.params, network.grad)
>>> bool(loss < 0.05)
True
>>> (network.predict(X) > 0.5).astype(int).ravel().tolist()
[0, 1, 1, 0]
"""

from .activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from .averaging import WeightAverage
from .layers import LAYERS
from .lbfgs import minimize_lbfgs
from .losses import LOSSES
from .muon import Muon
from .network import Network, layers_from_records, predict_chunked
from .optimizers import SGD, Adam, AdamW, RMSprop
from .schedules import make_schedule

__all__ = [
    "HIDDEN_ACTIVATIONS",
    "LAYERS",
    "LOSSES",
    "OUTPUT_ACTIVATIONS",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Muon",
    "WeightAverage",
    "Network",
    "make_schedule",
    "layers_from_records",
    "minimize_lbfgs",
    "predict_chunked",
]
