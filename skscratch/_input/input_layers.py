"""The network's input layers: missing numeric values and numeric scaling.

``handle_missing="indicator"`` and ``numeric_scaling`` put gradient-free
layers of :mod:`skscratch.core.layers` at the front of the network, whose
state holds statistics of the first fit's training data:

* :class:`~skscratch.core.layers.ImputeMissing`: a NaN becomes its column's
  median, and each numeric column that had NaN in the first fit gets an
  indicator column;
* :class:`~skscratch.core.layers.RobustScale`: ``(x - median) / spread``
  (the interquartile range, or half the range where that is 0), then the
  smooth clip ``u / sqrt(1 + (u / 3)**2)`` for ``"smooth_clip"``.

They are layers rather than a transformer the estimator keeps because the
fitted model is its layers (``layers_``): prediction, pickles, warm starts,
``partial_fit``, callbacks and the ONNX graph read them with no code of their
own, and prediction prepares X chunk by chunk, as it runs the rest of the
network. Their statistics are those of
:class:`~skscratch.preprocessing.SmoothClipScaler` (the same function
computes them), so the two prepare a column alike.

The numeric columns are the first ones of the network's input; category codes
(for the embedding layer) follow and pass through.
"""

import numpy as np
import scipy.sparse as sp

from ..core.backend import array_to_numpy
from ..core.layers import ImputeMissing, RobustScale, from_record
from ..preprocessing import SPREAD_EPS, robust_statistics

#: The smooth clip's bound for ``numeric_scaling="smooth_clip"`` (pytabkit's
#: ``smooth_clip_max_abs_value``).
SMOOTH_CLIP = 3.0

#: numeric_scaling -> the clip of its RobustScale layer.
SCALINGS = {"robust": None, "smooth_clip": SMOOTH_CLIP}

#: handle_missing -> the input layer that takes missing values (None: refused).
MISSING_VALUES = {"error": None, "indicator": ImputeMissing}

#: Columns of a sparse X made dense at once to compute their statistics.
_SPARSE_BLOCK = 256


def input_layers(X, n_numeric, handle_missing, numeric_scaling):
    """The input layers of a first fit on ``X``, with its statistics.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_columns)
        The network's input: ``n_numeric`` numeric columns (NaN for a missing
        value), then category codes.
    n_numeric : int
    handle_missing : {"error", "indicator"}
    numeric_scaling : {"robust", "smooth_clip"} or None

    Returns
    -------
    layers : list of Layer
        Empty when neither option asks for a layer, or without numeric columns.
    """
    if not _kinds(n_numeric, handle_missing, numeric_scaling):
        return []
    center, spread, has_missing = numeric_statistics(X, n_numeric)
    n_codes = X.shape[1] - n_numeric
    layers = []
    impute = MISSING_VALUES[handle_missing]
    if impute is not None:
        indicate = np.flatnonzero(has_missing)
        layers.append(impute(n_numeric, indicate, n_codes, fill=center))
        n_codes += len(indicate)  # the indicators pass through the scaling
    if numeric_scaling is not None:
        factor = np.where(spread > 0, 1.0 / (spread + SPREAD_EPS), 0.0)
        clip = SCALINGS[numeric_scaling]
        layers.append(RobustScale(n_numeric, n_codes, clip, center=center, factor=factor))
    return layers


def numeric_statistics(X, n_numeric):
    """Median, spread and whether any value is missing, of each numeric column.

    The spread is :func:`~skscratch.preprocessing.robust_statistics`'s. A
    sparse ``X`` is made dense a block of columns at a time (its implicit
    zeros are zeros); an array of another namespace comes to the host.

    Returns
    -------
    center, spread : ndarray of shape (n_numeric,), float64
    has_missing : ndarray of bool of shape (n_numeric,)
    """
    if not sp.issparse(X):
        numeric = array_to_numpy(X[:, :n_numeric])
        return (*robust_statistics(numeric), np.isnan(numeric).any(axis=0))
    X = X.tocsc()
    blocks = [
        X[:, start : min(start + _SPARSE_BLOCK, n_numeric)].toarray()
        for start in range(0, n_numeric, _SPARSE_BLOCK)
    ]
    parts = [(*robust_statistics(b), np.isnan(b).any(axis=0)) for b in blocks]
    return tuple(np.concatenate(column) for column in zip(*parts))


def previous_input_layers(records, n_numeric, handle_missing, numeric_scaling):
    """The input layers of an earlier fit (warm start, ``partial_fit``), to keep.

    They carry the earlier fit's statistics, as the categories of categorical
    features are kept.

    Parameters
    ----------
    records : list of dict
        The earlier fit's ``layers_``.
    n_numeric : int
        Numeric columns of the network's input.
    handle_missing, numeric_scaling
        The estimator's options now.

    Returns
    -------
    layers : list of Layer

    Raises
    ------
    ValueError
        When the options now ask for other input layers than the earlier fit made.
    """
    leading = []
    for record in records:
        if record["kind"] not in (ImputeMissing.kind, RobustScale.kind):
            break
        leading.append(record)
    had = [(r["kind"], r["config"].get("clip")) for r in leading]
    if had != _kinds(n_numeric, handle_missing, numeric_scaling):
        raise ValueError(
            "warm_start and partial_fit must keep handle_missing and numeric_scaling "
            f"(the previous fit's input layers were {[kind for kind, _ in had]}); "
            f"got handle_missing={handle_missing!r}, numeric_scaling="
            f"{numeric_scaling!r}."
        )
    return [from_record(record) for record in leading]


def _kinds(n_numeric, handle_missing, numeric_scaling):
    """``[(kind, clip)]`` of the input layers that :func:`input_layers` makes."""
    if n_numeric == 0:
        return []
    impute = MISSING_VALUES[handle_missing]
    kinds = [] if impute is None else [(impute.kind, None)]
    if numeric_scaling is not None:
        kinds.append((RobustScale.kind, SCALINGS[numeric_scaling]))
    return kinds
