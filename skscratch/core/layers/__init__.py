"""Layers: each one step of the forward pass, with its backward step beside it.

A network is a list of layers that share one interface; each family has a
module of its own, every class with its ``forward`` and ``backward`` side by
side, in the user guide's symbols:

* :mod:`~skscratch.core.layers.base`: the interface (:class:`Layer`,
  :class:`Mode`), the passes through a list of layers, and :data:`LAYERS`, the
  kinds by name, which each kind's class enters by :func:`register_layer`;
* :mod:`~skscratch.core.layers.records`: a layer as a fitted model keeps it, a
  record of plain dicts (:func:`to_record`, :func:`from_record`);
* :mod:`~skscratch.core.layers.dense`: :class:`Dense`, :class:`Activation`,
  :class:`FeatureScale`;
* :mod:`~skscratch.core.layers.normalization`: :class:`BatchNorm`;
* :mod:`~skscratch.core.layers.dropout`: :class:`Dropout`;
* :mod:`~skscratch.core.layers.categorical_embedding`: :class:`Embedding`;
* :mod:`~skscratch.core.layers.numeric_embedding`: :class:`PeriodicEmbedding`;
* :mod:`~skscratch.core.layers.inputs`: :class:`ImputeMissing`,
  :class:`RobustScale`;
* :mod:`~skscratch.core.layers.residual`: :class:`Residual`;
* :mod:`~skscratch.core.layers.ensemble`: :class:`EnsembleFork`,
  :class:`EnsembleDense`, :class:`EnsembleOutput` (an ensemble inside one
  network, TabM's BatchEnsemble).

Every name is imported here too (``from skscratch.core.layers import Dense``).
A new kind of layer is a class decorated with :func:`register_layer`, in the
module of its family (a new module is imported below), and its ONNX converter
(``LAYER_CONVERTERS`` in :mod:`skscratch.onnx`).
"""

from .base import (
    BIASES,
    LAYERS,
    PREDICTING,
    STATE_MOMENTUM,
    WEIGHTS,
    Layer,
    Mode,
    backward_pass,
    check_chain,
    count_parameters,
    forward_pass,
    register_layer,
)
from .categorical_embedding import Embedding
from .dense import Activation, Dense, FeatureScale, activation_bound
from .dropout import Dropout
from .ensemble import EnsembleDense, EnsembleFork, EnsembleOutput, ensemble_size
from .inputs import SMOOTH_CLIP_CAP, ImputeMissing, RobustScale
from .normalization import BatchNorm
from .numeric_embedding import PERIODIC_VARIANTS, PeriodicEmbedding
from .records import from_record, to_record, walk_records
from .residual import Residual

__all__ = [
    # base
    "Layer",
    "Mode",
    "PREDICTING",
    "STATE_MOMENTUM",
    "WEIGHTS",
    "BIASES",
    "LAYERS",
    "register_layer",
    "forward_pass",
    "backward_pass",
    "count_parameters",
    "check_chain",
    # records
    "to_record",
    "from_record",
    "walk_records",
    # the families
    "Dense",
    "Activation",
    "FeatureScale",
    "activation_bound",
    "BatchNorm",
    "Dropout",
    "Embedding",
    "PeriodicEmbedding",
    "PERIODIC_VARIANTS",
    "ImputeMissing",
    "RobustScale",
    "SMOOTH_CLIP_CAP",
    "Residual",
    "EnsembleFork",
    "EnsembleDense",
    "EnsembleOutput",
    "ensemble_size",
]
