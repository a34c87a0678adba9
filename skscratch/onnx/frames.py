"""Raw tables and the graph: the input types of one input per column, and
:func:`frame_inputs`, which feeds onnxruntime from a dataframe.
"""

from numbers import Real

import narwhals as nw
import numpy as np
from onnx import TensorProto
from skl2onnx.common.data_types import (
    BooleanTensorType,
    DoubleTensorType,
    FloatTensorType,
    StringTensorType,
)
from sklearn.pipeline import Pipeline

from .._estimators.classifier import ScratchMLPClassifier
from .._estimators.regressor import ScratchMLPRegressor
from .._input.categorical import _is_missing
from .inputs import _has_text, _model_dtype

_NETWORKS = (ScratchMLPClassifier, ScratchMLPRegressor)


def _first_network(model):
    """The skscratch estimator that reads the graph's inputs, or None."""
    if isinstance(model, Pipeline):
        model = model.steps[0][1]
    return model if isinstance(model, _NETWORKS) else None


def _takes_table(network, X):
    """Whether the graph takes one input per column (see :func:`to_onnx`)."""
    if getattr(network, "is_categorical_", None) is None:
        return False
    return nw.dependencies.is_into_dataframe(X) or any(
        _has_text(values) for values in network.categories_
    )


def _column_types(network, X):
    """``initial_types`` of one input per column, as :func:`to_onnx` describes them."""
    n_features = network.n_features_in_
    names = getattr(network, "feature_names_in_", None)
    frame = None
    if X is not None and nw.dependencies.is_into_dataframe(X):
        frame = nw.from_native(X, eager_only=True)
        columns = {str(name): name for name in frame.columns}
        if names is None:
            names = list(columns)
        absent = [str(name) for name in names if str(name) not in columns]
        if absent or len(columns) != n_features:
            raise ValueError(
                f"X has the columns {list(columns)}, but the model was fitted on "
                f"{list(names)}: pass a sample of the table it was fitted on."
            )
    if names is None:
        names = [f"x{j}" for j in range(n_features)]

    def numpy_bool(name):
        if frame is not None:
            dtype = getattr(frame.get_column(columns[str(name)]).to_native(), "dtype", None)
        else:
            dtype = getattr(X, "dtype", None)
        return isinstance(dtype, np.dtype) and dtype == np.bool_

    number = DoubleTensorType if _model_dtype(network) == np.float64 else FloatTensorType
    mask = network.is_categorical_
    categories = iter(network.categories_)
    types = []
    for j, name in enumerate(names):
        if not mask[j]:
            column_type = number
        elif _has_text(next(categories)):
            column_type = StringTensorType
        elif numpy_bool(name):
            column_type = BooleanTensorType
        else:
            column_type = DoubleTensorType
        types.append((str(name), column_type([None, 1])))
    return types


#: numpy's type for each ONNX input type that :func:`frame_inputs` fills.
_INPUT_DTYPES = {
    TensorProto.FLOAT: np.dtype(np.float32),
    TensorProto.DOUBLE: np.dtype(np.float64),
    TensorProto.INT64: np.dtype(np.int64),
    TensorProto.INT32: np.dtype(np.int32),
    TensorProto.BOOL: np.dtype(np.bool_),
    TensorProto.STRING: np.dtype(object),
}
_RUNTIME_TYPES = {
    "tensor(float)": TensorProto.FLOAT,
    "tensor(double)": TensorProto.DOUBLE,
    "tensor(int64)": TensorProto.INT64,
    "tensor(int32)": TensorProto.INT32,
    "tensor(bool)": TensorProto.BOOL,
    "tensor(string)": TensorProto.STRING,
}


def frame_inputs(X, onnx_model):
    """A table as the inputs of a graph that :func:`to_onnx` exported.

    Each of the graph's inputs gets the column of its name (for a dataframe;
    for an array, the column at its position), of shape (n_samples, 1) and of
    the input's type, with missing values (None, NaN, ``pd.NA``) as the graph
    reads them: NaN for numbers, the empty string for text. A graph that takes
    one tensor gets the whole table, as numbers of its type.

    Parameters
    ----------
    X : dataframe or array-like of shape (n_samples, n_features)
        The table, as ``predict`` takes it: a pandas or polars dataframe, or an
        array (of dtype object where it holds text).
    onnx_model : onnx.ModelProto or onnxruntime.InferenceSession
        The exported model, or a session that runs it.

    Returns
    -------
    inputs : dict of str to ndarray
        The ``input_feed`` of ``session.run``.

    Raises
    ------
    ValueError
        Where ``X`` lacks a column the graph takes, or holds a missing value
        where the graph's input cannot (a boolean or integer input).
    TypeError
        Where a column holds values its input cannot take (numbers for a text
        input, text for a numeric one), or ``onnx_model`` is neither.

    Examples
    --------
    >>> import onnxruntime as ort
    >>> import pandas as pd
    >>> from skscratch import ScratchMLPClassifier
    >>> from skscratch.onnx import frame_inputs, to_onnx
    >>> X = pd.DataFrame(
    ...     {"size": [1.0, 2.5, None, 4.0, 0.5, 3.0] * 5,
    ...      "colour": ["red", "blue", "red", None, "green", "blue"] * 5}
    ... )
    >>> y = [0, 1, 0, 1, 0, 1] * 5
    >>> model = ScratchMLPClassifier(
    ...     (4,), categorical_features="auto", handle_missing="indicator",
    ...     solver="lbfgs", max_iter=50, random_state=0,
    ... ).fit(X, y)
    >>> onx = to_onnx(model, X[:1], options={"zipmap": False})
    >>> [(i.name, i.type.tensor_type.elem_type) for i in onx.graph.input]
    [('size', 11), ('colour', 8)]
    >>> session = ort.InferenceSession(
    ...     onx.SerializeToString(), providers=["CPUExecutionProvider"]
    ... )
    >>> X_new = pd.DataFrame({"size": [2.0, None], "colour": ["purple", None]})
    >>> frame_inputs(X_new, session)["colour"].ravel().tolist()
    ['purple', '']
    >>> label, proba = session.run(None, frame_inputs(X_new, session))
    >>> bool((label == model.predict(X_new)).all())
    True
    """
    inputs = _graph_inputs(onnx_model)
    if nw.dependencies.is_into_dataframe(X):
        frame = nw.from_native(X, eager_only=True)
        native_names = {str(name): name for name in frame.columns}
        names = list(native_names)

        def column(j):
            return frame.get_column(native_names[names[j]]).to_numpy()

    else:
        X = X if hasattr(X, "shape") else np.asarray(X, dtype=object)  # a list of rows
        if np.ndim(X) != 2:
            raise ValueError(f"X must be a table of 2 dimensions; got shape {np.shape(X)}.")
        names = [f"x{j}" for j in range(X.shape[1])]

        def column(j):
            return np.asarray(X[:, j])

    input_names = [name for name, _, _ in inputs]
    if len(inputs) == 1 and inputs[0][2][1:] != [1]:  # one tensor: the whole table
        name, elem_type, _ = inputs[0]
        values = [_as_input(column(j), elem_type, names[j]) for j in range(len(names))]
        return {name: np.hstack(values)}
    position = {name: j for j, name in enumerate(names)}
    if all(name in position for name in input_names):
        positions = [position[name] for name in input_names]
    elif not nw.dependencies.is_into_dataframe(X) and len(inputs) == len(names):
        positions = range(len(names))  # an array's columns, in the graph's order
    else:
        absent = [name for name in input_names if name not in position]
        raise ValueError(
            f"X has no column {absent}; the graph's inputs are {input_names} and X's "
            f"columns {names}."
        )
    return {
        name: _as_input(column(j), elem_type, names[j])
        for (name, elem_type, _), j in zip(inputs, positions)
    }


def _graph_inputs(onnx_model):
    """``[(name, onnx element type, shape)]`` of the graph's inputs."""
    if hasattr(onnx_model, "get_inputs"):  # an onnxruntime session
        return [
            (i.name, _RUNTIME_TYPES.get(i.type, i.type), list(i.shape))
            for i in onnx_model.get_inputs()
        ]
    graph = getattr(onnx_model, "graph", None)
    if graph is None:
        raise TypeError(
            "onnx_model must be an onnx.ModelProto or an onnxruntime.InferenceSession; "
            f"got {type(onnx_model).__name__}."
        )
    initializers = {tensor.name for tensor in graph.initializer}
    return [
        (
            i.name,
            i.type.tensor_type.elem_type,
            [d.dim_value or None for d in i.type.tensor_type.shape.dim],
        )
        for i in graph.input
        if i.name not in initializers
    ]


def _as_input(values, elem_type, name):
    """One column's values as an input of ONNX type ``elem_type``, of shape (n, 1)."""
    dtype = _INPUT_DTYPES.get(elem_type)
    if dtype is None:
        raise TypeError(
            f"The graph's input for column {name!r} has type {elem_type}, which "
            "frame_inputs cannot fill."
        )
    values = np.asarray(values)
    missing = _is_missing(values)
    present = values[~missing]
    kind, accepted = {
        "O": ("a text", str),
        "b": ("a boolean", (bool, np.bool_)),
    }.get(dtype.kind, ("a numeric", (Real, np.bool_)))
    # An array of one type is checked by its first value, an object array by each.
    sample = present if values.dtype.kind == "O" else present[:1].tolist()
    wrong = next((v for v in sample if not isinstance(v, accepted)), None)
    if wrong is not None:
        raise TypeError(
            f"Column {name!r} feeds {kind} input, but holds {type(wrong).__name__} "
            f"values such as {wrong!r}."
        )
    if missing.any() and dtype.kind in "biu":
        raise ValueError(
            f"Column {name!r} has missing values, which the graph's {dtype} input "
            "cannot hold. Export from a sample whose column can hold them (e.g. "
            "pandas' nullable 'boolean' dtype), for an input of numbers with NaN."
        )
    out = np.empty(len(values), dtype=dtype)
    out[~missing] = present
    if missing.any():  # only where the type holds them (checked above)
        out[missing] = "" if dtype.kind == "O" else np.nan
    return out.reshape(-1, 1)
