"""The solvers: each one's optimizer, the parameters it takes, and its traits.

The registry :data:`SOLVERS` gives ``solver``'s allowed values (the parameter
table reads it) and what :func:`~skscratch._training.config.training_config`
needs of the solver chosen. A new optimizer is its class in
:mod:`skscratch.core.optimizers` and one entry here.
"""

import dataclasses
from types import MappingProxyType

from ..core import SGD, Adam, AdamW, RMSprop
from ..core.muon import Muon


@dataclasses.dataclass(frozen=True)
class Solver:
    """A solver's optimizer and traits.

    Attributes
    ----------
    optimizer : class or None
        The step-by-step optimizer of :mod:`skscratch.core.optimizers`; None
        for L-BFGS, which minimises the full-batch loss through scipy.
    arguments : mapping
        Optimizer constructor argument -> estimator parameter it takes.
    decoupled_weight_decay : bool
        The optimizer decays the weights itself, by ``alpha``, instead of an
        L2 term in the loss (AdamW).
    hidden_matrices : bool
        The optimizer takes the hidden weight matrices apart (``matrices=``,
        from :func:`~skscratch._training.config.hidden_matrices`): Muon.
    """

    optimizer: object
    arguments: MappingProxyType = dataclasses.field(default_factory=dict)
    decoupled_weight_decay: bool = False
    hidden_matrices: bool = False

    @property
    def stochastic(self):
        """Mini-batch epochs (and ``partial_fit``), not one full-batch minimisation."""
        return self.optimizer is not None


_ADAM = MappingProxyType({"beta_1": "beta_1", "beta_2": "beta_2", "epsilon": "epsilon"})

#: Solver name -> :class:`Solver`.
SOLVERS = {
    "lbfgs": Solver(None),
    "sgd": Solver(
        SGD, MappingProxyType({"momentum": "momentum", "nesterov": "nesterovs_momentum"})
    ),
    "adam": Solver(Adam, _ADAM),
    "adamw": Solver(AdamW, MappingProxyType({**_ADAM, "weight_decay": "alpha"}), True),
    "rmsprop": Solver(RMSprop, MappingProxyType({"rho": "beta_2", "epsilon": "epsilon"})),
    "muon": Solver(
        Muon,
        MappingProxyType(
            {
                **_ADAM,
                "weight_decay": "alpha",
                "momentum": "momentum",
                "nesterov": "nesterovs_momentum",
            }
        ),
        decoupled_weight_decay=True,
        hidden_matrices=True,
    ),
}

#: The solvers that train in mini-batch epochs (and offer ``partial_fit``).
STOCHASTIC_SOLVERS = tuple(name for name, solver in SOLVERS.items() if solver.stochastic)
