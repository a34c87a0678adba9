"""The fitted model is its layers: the ``layers_`` records and what derives from them.

A fit leaves on the estimator the records of the layers it trained
(:func:`skscratch.core.layers.to_record`): plain dicts of each layer's kind,
config, parameters and state. Prediction makes the layers again from them
(:func:`~skscratch.core.network.layers_from_records`); scikit-learn's
``coefs_`` and ``intercepts_``, and ``embeddings_``, are views of them.
Models pickled before ``layers_`` existed are converted on loading
(:func:`records_from_legacy`); a model fitted on another array library comes
back to numpy with :func:`to_numpy`.
"""

import copy

import numpy as np

from ..core.activations import HIDDEN_ACTIVATIONS, Identity
from ..core.backend import array_to_numpy, is_array_api_obj
from ..core.layers import LAYERS, Dense, Embedding, Layer, to_record, walk_records


def dense_records(records):
    """The records of every dense layer (nested ones too) in forward order: those
    of kind "dense" and of its subclasses' kinds (an ensemble's layers)."""
    return [
        record
        for record in walk_records(records)
        if issubclass(LAYERS.get(record["kind"], Layer), Dense)
    ]


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
        self._records = dense_records(records)
        self._name, self._attribute = name, attribute
        super().__init__(_dense_array(record, name) for record in self._records)

    def __setitem__(self, index, array):
        if not isinstance(index, int):
            raise TypeError(f"{self._attribute} takes one array at a time, by index.")
        record = self._records[index]
        if self._name not in record["params"]:
            raise ValueError(
                f"{self._attribute}[{index}] belongs to a layer without a bias (batch "
                "normalization follows it, whose beta is the shift): it stays 0."
            )
        _check_shape(record["params"][self._name], array, f"{self._attribute}[{index}]")
        record["params"][self._name] = array
        super().__setitem__(index, array)

    def __reduce__(self):
        return list, (list(self),)


def _dense_array(record, name):
    """A dense layer's ``W`` or ``b``; zeros for the bias of a layer that has none."""
    if name in record["params"]:
        return record["params"][name]
    W = record["params"]["W"]
    return W[0, ...] * 0  # a layer before a batch normalization: its bias is 0


def set_dense_arrays(records, name, arrays, attribute):
    """Replace ``W`` or ``b`` of every dense layer (``coefs_ = ...``), shapes kept.

    Raises
    ------
    ValueError
        When the number of arrays or a shape differs from the model's.
    """
    dense = dense_records(records)
    arrays = list(arrays)
    if len(arrays) != len(dense):
        raise ValueError(
            f"{attribute} needs {len(dense)} arrays, one per dense layer; got "
            f"{len(arrays)}. Refit to change the network."
        )
    for i, (record, array) in enumerate(zip(dense, arrays)):
        _check_shape(_dense_array(record, name), array, f"{attribute}[{i}]")
    for record, array in zip(dense, arrays):
        if name in record["params"]:  # a layer without a bias keeps none
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


def records_in_dtype(records, dtype, ops):
    """Copies of layer records with their arrays in ``dtype`` (numpy's name).

    A fit whose ``training_dtype`` is not X's keeps its model in X's dtype:
    its records, views of the network's vectors while it trains, become
    arrays of their own in that dtype once it has ended (``dtype`` is not
    theirs, so each conversion is a copy).
    """
    converted = []
    for record in records:
        record = dict(record)
        for group in ("params", "state"):
            record[group] = {
                name: ops.astype(array, dtype) for name, array in record[group].items()
            }
        if "layers" in record:
            record["layers"] = records_in_dtype(record["layers"], dtype, ops)
        converted.append(record)
    return converted


def to_numpy(model):
    """A copy of a fitted model with every array on the host, as numpy arrays.

    A model fitted on torch tensors, CuPy arrays or any array API namespace
    (scikit-learn's ``array_api_dispatch``) keeps its fitted arrays where the
    data were; this brings them back for pickle, skops, ONNX export and
    serving on a CPU without the array library. It takes an skscratch
    estimator, or a :class:`~sklearn.pipeline.Pipeline` (or any scikit-learn
    estimator) holding them: every array among the fitted attributes, nested
    in lists, dicts and estimators, is converted.

    Parameters
    ----------
    model : estimator
        Fitted.

    Returns
    -------
    model : estimator
        A copy; ``model`` itself is left as it is.

    Examples
    --------
    >>> import numpy as np
    >>> from skscratch import ScratchMLPClassifier, to_numpy
    >>> X, y = np.random.RandomState(0).normal(size=(20, 2)), np.arange(20) % 2
    >>> model = ScratchMLPClassifier((3,), solver="lbfgs", max_iter=5).fit(X, y)
    >>> type(to_numpy(model).coefs_[0]).__name__
    'ndarray'
    """
    return _on_host(model)


def _on_host(value):
    if isinstance(value, np.ndarray) or value is None or isinstance(value, (str, bytes)):
        return value
    if is_array_api_obj(value):
        return array_to_numpy(value)
    if isinstance(value, dict):
        return {key: _on_host(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(_on_host(item) for item in value)
    if hasattr(value, "get_params") and not isinstance(value, type):
        copied = copy.copy(value)
        copied.__dict__ = {key: _on_host(item) for key, item in vars(value).items()}
        return copied
    return value
