"""The graph's input: one numeric tensor ``X``, or one input per column of a
raw table; each categorical column's value coded as the estimator codes it
(``LabelEncoder`` for text, exact comparison for numbers).
"""

import numpy as np
from onnx import TensorProto
from skl2onnx.common.data_types import (
    BooleanTensorType,
    DoubleTensorType,
    FloatTensorType,
    Int32TensorType,
    Int64TensorType,
    StringTensorType,
)
from skl2onnx.common.utils import check_input_and_output_types
from sklearn.pipeline import Pipeline

from .._estimators.classifier import ScratchMLPClassifier
from .._estimators.regressor import ScratchMLPRegressor


def _network_input(g, X, model):
    """The network's input from one tensor ``X``: its numeric columns, then each
    categorical column's code, as the estimator codes it (``skscratch._input.categorical``).

    Each code is :func:`_category_code` of the column in the graph's type.
    """
    mask = np.asarray(model.is_categorical_)
    for j, values in zip(np.flatnonzero(mask), model.categories_):
        if _has_text(values):
            raise NotImplementedError(
                f"Cannot convert categorical feature {j} to ONNX with one numeric input "
                "tensor: its categories are text. Pass the table itself, e.g. "
                "skscratch.onnx.to_onnx(model, X_frame[:1]), for one input per column."
            )

    def columns(indices):
        return g.node("Gather", X, g.const(indices, dtype=np.int64), axis=1)

    parts = [columns(np.flatnonzero(~mask))]
    for j, values in zip(np.flatnonzero(mask), model.categories_):
        code = _category_code(g, columns([j]), values, g.dtype)
        parts.append(g.node("Cast", code, to=g.proto))  # (n_samples, 1)
    return g.node("Concat", *parts, axis=1)


def _has_text(categories):
    """Whether a categorical feature's categories are text (not numbers)."""
    return np.asarray(categories).dtype.kind != "f"


_PROTO = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE}


def _category_code(g, column, values, dtype):
    """Code of each value of ``column`` (n_samples, 1) among numeric categories.

    ``column`` holds ``dtype`` (float32 or float64), in which the values are
    compared with the categories ``values``: ``ArgMax`` over ``[value == category
    for each category | isnan(value) if missing values are a category | 0.5]`` is
    the first match, or the last slot, the unknown code. Returns int64 codes of
    shape (n_samples, 1).
    """
    proto = _PROTO[np.dtype(dtype)]
    values = np.asarray(values, dtype=np.float64)
    known = values[~np.isnan(values)]
    slots = [g.node("Equal", column, g.const(known, dtype=dtype, shape=(1, -1)))]
    if len(known) < len(values):
        slots.append(g.node("IsNaN", column))
    # A column of 0.5 (from IsNaN, which a NaN in the column cannot turn into NaN).
    no = g.node("Cast", g.node("IsNaN", column), to=proto)
    unknown = g.node(
        "Add", g.node("Mul", no, g.const(0, dtype=dtype)), g.const(0.5, dtype=dtype)
    )
    matches = g.node("Concat", *(g.node("Cast", s, to=proto) for s in slots), axis=1)
    return g.node("ArgMax", g.node("Concat", matches, unknown, axis=1), axis=1)


# ------------------------------------------------------ one input per column
#: The input types a numeric column, or a categorical one of numbers, may have.
_NUMBER_TYPES = (
    FloatTensorType,
    DoubleTensorType,
    Int64TensorType,
    Int32TensorType,
    BooleanTensorType,
)


def _takes_columns(operator):
    """Whether the operator's inputs are the table's columns rather than one tensor."""
    return _are_columns(operator.inputs)


def _are_columns(inputs):
    """Whether ``inputs`` are columns: several of them, or a single text or boolean
    one (the column of a one-feature model), which one numeric tensor cannot be."""
    return len(inputs) > 1 or isinstance(
        inputs[0].type, (StringTensorType, BooleanTensorType)
    )


def _input_columns(operator, model):
    """The input variables in the order of the model's features, each checked.

    With ``feature_names_in_`` the inputs are matched to the features by name,
    else by position. Raises ValueError for a wrong count, name or shape and
    TypeError for a type the feature cannot take (text for a numeric feature,
    numbers for a feature whose categories are text).
    """
    inputs = list(operator.inputs)
    n_features = model.n_features_in_
    if len(inputs) != n_features:
        raise ValueError(
            f"The graph has {len(inputs)} inputs {[v.raw_name for v in inputs]}, but "
            f"the model was fitted on {n_features} features: with one input per "
            "column, give one for each."
        )
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        by_name = {v.raw_name: v for v in inputs}
        absent = [str(name) for name in names if name not in by_name]
        if absent:
            raise ValueError(
                f"No input is named after the features {absent}: with one input per "
                "column, the inputs are named after the columns the model was fitted "
                f"on, {list(names)}; got {list(by_name)}."
            )
        inputs = [by_name[name] for name in names]
    mask = getattr(model, "is_categorical_", None)
    categories = iter(getattr(model, "categories_", []))
    for j, variable in enumerate(inputs):
        shape = variable.type.shape
        if len(shape) != 2 or (isinstance(shape[1], int) and shape[1] != 1):
            raise ValueError(
                f"Input {variable.raw_name!r} has shape {shape}; with one input per "
                "column, each has shape [None, 1]."
            )
        text = mask is not None and mask[j] and _has_text(next(categories))
        allowed = (StringTensorType,) if text else _NUMBER_TYPES
        if not isinstance(variable.type, allowed):
            what = "text categories" if text else "numbers"
            raise TypeError(
                f"Input {variable.raw_name!r} is a {type(variable.type).__name__}, but "
                f"feature {j} holds {what}: its input must be one of "
                f"{[t.__name__ for t in allowed]}."
            )
    return inputs


def _columns_network_input(g, operator, model):
    """The network's input from one input per column, as ``encode_X`` makes it.

    The numeric columns cast to the graph's type, then each categorical column's
    code: text through an ONNX-ML ``LabelEncoder`` (:func:`_text_code`), numbers
    (and booleans) compared with the categories in double (:func:`_category_code`),
    which holds every input type's values exactly.
    """
    columns = _input_columns(operator, model)
    mask = getattr(model, "is_categorical_", None)
    mask = np.zeros(len(columns), dtype=bool) if mask is None else np.asarray(mask)
    parts = [
        g.node("Cast", v.full_name, to=g.proto)
        for v, categorical in zip(columns, mask)
        if not categorical
    ]
    categorical = [v for v, m in zip(columns, mask) if m]
    for variable, values in zip(categorical, model.categories_):
        if _has_text(values):
            code = _text_code(g, variable, values)
        else:
            column = g.node("Cast", variable.full_name, to=TensorProto.DOUBLE)
            code = _category_code(g, column, values, np.float64)
        parts.append(g.node("Cast", code, to=g.proto))  # (n_samples, 1)
    return parts[0] if len(parts) == 1 else g.node("Concat", *parts, axis=1)


def _text_code(g, variable, values):
    """Code of each string of ``variable`` among text categories: a ``LabelEncoder``.

    Each category maps to its position, the empty string (how the graph reads a
    missing value) to the missing values' code, ``len(values) - 1`` where the fit
    saw missing values and the unknown code ``len(values)`` otherwise, as
    ``predict`` codes them; any other string to the unknown code.
    """
    known = [value for value in values if isinstance(value, str)]
    unknown = len(values)
    if "" in known:
        raise ValueError(
            f"Categorical feature {variable.raw_name!r} has the empty string as a "
            "category; the graph reads a missing text value as the empty string and "
            "could not tell the two apart. Replace the empty strings (e.g. by "
            "'(empty)') and refit."
        )
    missing = unknown - 1 if len(known) < len(values) else unknown
    return g.node(
        "LabelEncoder",
        variable.full_name,
        op_domain="ai.onnx.ml",
        op_version=2,
        keys_strings=[*known, ""],
        values_int64s=[*range(len(known)), missing],
        default_int64=unknown,
    )


def _graph_dtype(operator):
    """The type the graph computes in: the input's for one tensor, else the model's."""
    if _takes_columns(operator):
        return _model_dtype(operator.raw_operator)
    return (
        np.float64 if isinstance(operator.inputs[0].type, DoubleTensorType) else np.float32
    )


def _check_inputs(operator):
    """The input types one tensor may have, or the columns' (:func:`_input_columns`)."""
    if _takes_columns(operator):
        _input_columns(operator, operator.raw_operator)
    else:
        check_input_and_output_types(
            operator, good_input_types=[FloatTensorType, DoubleTensorType, Int64TensorType]
        )


def _model_dtype(model):
    """dtype of the first skscratch network in ``model`` (float32 if none)."""
    if isinstance(model, Pipeline):
        for _, step in model.steps:
            if isinstance(step, (ScratchMLPClassifier, ScratchMLPRegressor)):
                return step.coefs_[0].dtype
        return np.dtype(np.float32)
    coefs = getattr(model, "coefs_", None)
    return coefs[0].dtype if coefs else np.dtype(np.float32)
