"""Records: a layer as a fitted model keeps it, and back.

A fitted model keeps each layer as a *record* (:func:`to_record`): its kind,
config, parameters and state as plain dicts of arrays, so that a pickled model
names no layer class. :func:`from_record` makes the layer again through
:data:`~skscratch.core.layers.base.LAYERS`, so prediction, warm starts, pickles
and ONNX export (one converter per kind, in :mod:`skscratch.onnx`) work for
every kind registered there.
"""

from .base import LAYERS


def to_record(layer):
    """A layer as a fitted model keeps it: plain dicts of its kind, config and arrays.

    The arrays are the layer's own (views into a network's flat vectors
    while it trains), not copies.

    Returns
    -------
    record : dict
        ``{"kind", "config", "params", "state"}``, and ``"layers"`` (the
        records of the layers it holds) for a container.
    """
    record = {
        "kind": layer.kind,
        "config": layer.config(),
        "params": dict(layer.params),
        "state": dict(layer.state),
    }
    if layer.sublayers:
        record["layers"] = [to_record(sublayer) for sublayer in layer.sublayers]
    return record


def from_record(record):
    """The layer a :func:`to_record` record describes, reading the record's arrays.

    Raises
    ------
    ValueError
        For a kind that is not in :data:`LAYERS`.
    """
    if record["kind"] not in LAYERS:
        raise ValueError(
            f"Unknown layer kind {record['kind']!r}; known kinds: {sorted(LAYERS)}."
        )
    sublayers = [from_record(sub) for sub in record.get("layers", ())]
    layer = LAYERS[record["kind"]].from_config(record["config"], sublayers)
    if record["params"]:
        layer.bind(record["params"], None)
    if record["state"]:
        layer.bind_state(record["state"])
    return layer


def walk_records(records):
    """Every record of ``records`` and of the layers they hold, in forward order."""
    for record in records:
        yield record
        yield from walk_records(record.get("layers", ()))
