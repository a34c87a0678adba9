"""The fitted model is its layers: the ``layers_`` records and what derives from them.

A fit leaves on the estimator the records of the layers it trained
(:func:`skscratch.core.layers.to_record`): plain dicts of each layer's kind,
config, parameters and state. Prediction makes the layers again from them
(:func:`~skscratch.core.network.layers_from_records`); scikit-learn's
``coefs_`` and ``intercepts_``, and ``embeddings_``, are views of them.
Models pickled before ``layers_`` existed are converted on loading
(:func:`records_from_legacy`).
"""

import numpy as np

from .core.activations import HIDDEN_ACTIVATIONS, Identity
from .core.layers import Dense, Embedding, to_record, walk_records


def records_of_kind(records, kind):
    """The records of every layer of ``kind`` (nested ones too) in forward order."""
    return [record for record in walk_records(records) if record["kind"] == kind]


class LayerArrays(list):
    """``coefs_`` or ``intercepts_``: every dense layer's ``W`` or ``b``, in forward order.

    A plain list of the arrays the layer records hold, but for item
    assignment, which writes through to the record, so that ``predict`` uses
    it (``model.coefs_[-1] = W`` works as with scikit-learn's MLP). It pickles
    as a plain list.
    """

    def __init__(self, records, name, attribute):
        self._records = records_of_kind(records, "dense")
        self._name, self._attribute = name, attribute
        super().__init__(record["params"][name] for record in self._records)

    def __setitem__(self, index, array):
        if not isinstance(index, int):
            raise TypeError(f"{self._attribute} takes one array at a time, by index.")
        record = self._records[index]
        _check_shape(record["params"][self._name], array, f"{self._attribute}[{index}]")
        record["params"][self._name] = array
        super().__setitem__(index, array)

    def __reduce__(self):
        return list, (list(self),)


def set_dense_arrays(records, name, arrays, attribute):
    """Replace ``W`` or ``b`` of every dense layer (``coefs_ = ...``), shapes kept.

    Raises
    ------
    ValueError
        When the number of arrays or a shape differs from the model's.
    """
    dense = records_of_kind(records, "dense")
    arrays = list(arrays)
    if len(arrays) != len(dense):
        raise ValueError(
            f"{attribute} needs {len(dense)} arrays, one per dense layer; got "
            f"{len(arrays)}. Refit to change the network."
        )
    for i, (record, array) in enumerate(zip(dense, arrays)):
        _check_shape(record["params"][name], array, f"{attribute}[{i}]")
    for record, array in zip(dense, arrays):
        record["params"][name] = array


def _check_shape(old, new, what):
    if np.shape(old) != np.shape(new):
        raise ValueError(
            f"{what} must keep the fitted shape {np.shape(old)}; got {np.shape(new)}. "
            "Refit to change the network."
        )


def embedding_tables(records):
    """The embedding tables of the model, one per categorical feature; [] if none."""
    return [
        record["params"][f"E{j}"]
        for record in records_of_kind(records, "embedding")
        for j in range(len(record["config"]["dims"]))
    ]


def records_from_legacy(state):
    """``layers_`` for the fitted state of a model pickled before it existed.

    Such a model kept ``coefs_``, ``intercepts_``, ``_hidden_activations_``
    (or only the ``activation`` parameter) and ``embeddings_``; they are
    removed from ``state``, which gains ``layers_``.

    Parameters
    ----------
    state : dict
        The unpickled ``__dict__``, modified in place.
    """
    coefs, intercepts = state.pop("coefs_"), state.pop("intercepts_")
    names = state.pop("_hidden_activations_", None)
    if names is None:  # older still: one activation name or one per layer
        activation = state["activation"]
        names = (
            [activation] * (len(coefs) - 1) if isinstance(activation, str) else activation
        )
    activations = [HIDDEN_ACTIVATIONS[name] for name in names] + [Identity]
    layers = []
    for W, b, activation in zip(coefs, intercepts, activations):
        layer = Dense(W.shape[0], W.shape[1], activation)
        layer.bind({"W": W, "b": b}, None)
        layers.append(layer)
    tables = state.pop("embeddings_", None) or []
    if tables:
        embedding = Embedding(
            state["n_features_in_"] - len(tables),
            [E.shape[0] for E in tables],
            [E.shape[1] for E in tables],
        )
        embedding.bind({f"E{j}": E for j, E in enumerate(tables)}, None)
        layers.insert(0, embedding)
    state["layers_"] = [to_record(layer) for layer in layers]
