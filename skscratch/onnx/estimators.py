"""The estimators' converters and shape calculators, registered with skl2onnx
when this module is imported, and :func:`to_onnx`.
"""

import numpy as np
import skl2onnx
from onnx import TensorProto
from skl2onnx._parse import _parse_sklearn_classifier
from skl2onnx.common.data_types import (
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)
from skl2onnx.common.utils import (
    check_input_and_output_numbers,
)

from .._estimators.classifier import ScratchMLPClassifier
from .._estimators.regressor import ScratchMLPRegressor
from .._estimators.tabular import TabularMLPClassifier, TabularMLPRegressor
from .activations import OUTPUT_CONVERTERS
from .frames import _column_types, _first_network, _takes_table
from .graph import CLASSIFIER_OPTIONS, _Graph
from .inputs import _are_columns, _check_inputs, _graph_dtype, _model_dtype
from .layers import _logits, _network


def _is_multilabel(model):
    return model.out_activation_ == "logistic" and model.coefs_[-1].shape[-1] > 1


def _class_labels(model):
    """``classes_`` as an ONNX-ready array: int64, or bytes for string labels."""
    classes = np.asarray(model.classes_)
    if classes.dtype.kind in "iub":
        return classes.astype(np.int64)
    if classes.dtype.kind == "f":
        if not np.array_equal(classes, np.round(classes)):
            raise ValueError(
                f"ONNX class labels must be integers or strings; classes_ are "
                f"{classes.tolist()}. Fit on integer or string labels."
            )
        return classes.astype(np.int64)
    if all(isinstance(label, str) for label in classes):
        return np.array([label.encode("utf-8") for label in classes], dtype=object)
    if all(isinstance(label, (int, np.integer)) for label in classes):
        return classes.astype(np.int64)
    raise ValueError(
        f"ONNX class labels must be integers or strings; classes_ are {classes.tolist()}."
    )


# ------------------------------------------------- shape calculators, converters
def _classifier_shapes(operator):
    check_input_and_output_numbers(
        operator, input_count_range=[1, None], output_count_range=2
    )
    _check_inputs(operator)
    model = operator.raw_operator
    n_samples = operator.inputs[0].get_first_dimension()
    n_classes = len(model.classes_)
    if _is_multilabel(model):
        operator.outputs[0].type = Int64TensorType(shape=[n_samples, n_classes])
    elif _class_labels(model).dtype == object:
        operator.outputs[0].type = StringTensorType(shape=[n_samples])
    else:
        operator.outputs[0].type = Int64TensorType(shape=[n_samples])
    in_double = _graph_dtype(operator) == np.float64 and not _zipmap_follows(operator)
    proba_type = DoubleTensorType if in_double else FloatTensorType
    operator.outputs[1].type = proba_type(shape=[n_samples, n_classes])


def _zipmap_follows(operator):
    """True when skl2onnx puts a ZipMap (option ``zipmap=True``) after the classifier.

    ONNX's ZipMap takes float probabilities only, and skl2onnx declares the
    dictionaries' values with its input's type; so a double graph hands ZipMap
    its probabilities cast to float (the labels are still chosen in double).
    """
    options = operator.scope_inst.get_options(operator.raw_operator, {"zipmap": True})
    return options["zipmap"] not in (False, "columns")


def _convert_classifier(scope, operator, container):
    model = operator.raw_operator
    g = _Graph(scope, container, _graph_dtype(operator))
    label_name, proba_name = operator.outputs[0].full_name, operator.outputs[1].full_name
    z = _logits(g, operator, model)
    output = OUTPUT_CONVERTERS[model.out_activation_](g, z)
    to_float = g.dtype == np.float64 and _zipmap_follows(operator)

    def probabilities(proba):
        if to_float:  # for ZipMap, as the shape calculator declared
            g.node("Cast", proba, to=TensorProto.FLOAT, output=proba_name)
        else:
            g.node("Identity", proba, output=proba_name)

    if _is_multilabel(model):
        # predict: the indicator matrix output > 0.5
        probabilities(output)
        g.node(
            "Cast",
            g.node("Greater", output, g.const(0.5)),
            to=TensorProto.INT64,
            output=label_name,
        )
        return
    if model.out_activation_ == "logistic":
        # one column, the positive class: predict_proba is [expit(-z), expit(z)],
        # as skscratch computes it (1 - p would round to 0 from z = 37 on)
        negative = OUTPUT_CONVERTERS["logistic"](g, g.node("Neg", z))
        probabilities(g.node("Concat", negative, output, axis=1))
        index = g.node(
            "Cast", g.node("Greater", output, g.const(0.5)), to=TensorProto.INT64
        )
        index = g.node("Reshape", index, g.const([-1], dtype=np.int64))
    else:
        probabilities(output)
        index = g.node("ArgMax", output, axis=1, keepdims=0)  # the first maximum, as numpy
    classes = _class_labels(model)
    if classes.dtype == object:
        name = scope.get_unique_variable_name("classes")
        container.add_initializer(
            name, TensorProto.STRING, [len(classes)], classes.tolist()
        )
    else:
        name = g.const(classes, dtype=np.int64)
    g.node("Gather", name, index, axis=0, output=label_name)


def _regressor_shapes(operator):
    check_input_and_output_numbers(
        operator, input_count_range=[1, None], output_count_range=1
    )
    _check_inputs(operator)
    model = operator.raw_operator
    n_samples = operator.inputs[0].get_first_dimension()
    output_type = (
        DoubleTensorType if _graph_dtype(operator) == np.float64 else FloatTensorType
    )
    operator.outputs[0].type = output_type(shape=[n_samples, model.coefs_[-1].shape[-1]])


def _convert_regressor(scope, operator, container):
    model = operator.raw_operator
    g = _Graph(scope, container, _graph_dtype(operator))
    output = _network(g, operator, model)
    if hasattr(model, "target_scale_"):  # target_scaling: back to the units of y
        scale = g.const(model.target_scale_, shape=(1, -1))
        output = g.node("Add", g.node("Mul", output, scale), g.const(model.target_offset_))
    g.node("Identity", output, output=operator.outputs[0].full_name)


def _parse_classifier(scope, model, inputs, custom_parsers=None):
    """skl2onnx's parser of classifiers, with ``zipmap="columns"``'s outputs typed
    as the graph's probabilities where the inputs are columns.

    skl2onnx types those outputs after the first input, which for columns may be
    text, or float64 in a float32 model; the probabilities are of the model's type.
    """
    outputs = _parse_sklearn_classifier(scope, model, inputs, custom_parsers=custom_parsers)
    zipmap = scope.get_options(model, {"zipmap": True})["zipmap"]
    if zipmap == "columns" and _are_columns(inputs):
        proba_type = (
            DoubleTensorType if _model_dtype(model) == np.float64 else FloatTensorType
        )
        for variable in outputs[1:]:
            variable.type = proba_type(variable.type.shape)
    return outputs


skl2onnx.update_registered_converter(
    ScratchMLPClassifier,
    "SkscratchMLPClassifier",
    _classifier_shapes,
    _convert_classifier,
    options=CLASSIFIER_OPTIONS,
    parser=_parse_classifier,
)
skl2onnx.update_registered_converter(
    ScratchMLPRegressor, "SkscratchMLPRegressor", _regressor_shapes, _convert_regressor
)
skl2onnx.update_registered_converter(
    TabularMLPClassifier,
    "SkscratchTabularMLPClassifier",
    _classifier_shapes,
    _convert_classifier,
    options=CLASSIFIER_OPTIONS,
    parser=_parse_classifier,
)
skl2onnx.update_registered_converter(
    TabularMLPRegressor,
    "SkscratchTabularMLPRegressor",
    _regressor_shapes,
    _convert_regressor,
)


# ---------------------------------------------------------------- public API


def to_onnx(
    model, X=None, *, initial_types=None, target_opset=None, options=None, name=None
):
    """Convert a fitted skscratch model, or a pipeline holding one, to ONNX.

    A thin layer over :func:`skl2onnx.to_onnx`, which converts skscratch's
    estimators too once this module is imported. It chooses the graph's inputs
    (unless ``initial_types`` are given):

    * **One input per column** where the model has categorical features and
      ``X`` is a dataframe (pandas or polars), and wherever a categorical
      feature's categories are text (which one numeric tensor cannot hold),
      from the model alone if ``X`` is None. Each input is named after its
      column (``feature_names_in_``; ``"x0"``, ``"x1"`` ... for a model fitted
      without names) and has shape (None, 1) and a type that depends on what
      the column holds:

      - numbers: the model's type, float32 or float64, NaN for a missing value
        (taken as ``handle_missing`` takes it);
      - text, and a Categorical of strings: string, the empty string for a
        missing value (None, NaN, ``pd.NA``);
      - booleans: bool where ``X``'s column has numpy's ``bool`` dtype (which
        cannot hold missing values), else float64 as below;
      - a Categorical of numbers, and other numeric categories: float64, in which
        every value compares exactly with the fitted categories, NaN for a
        missing value.

      Unseen categories, and missing values where the fit saw none, get the
      code ``predict`` gives them. The graph computes in the model's type, as
      ``predict`` does on a table of that type. :func:`frame_inputs` turns a
      table into these inputs.
    * **One tensor** ``"X"`` of shape (None, ``n_features_in_``) otherwise: the
      type of ``X`` (an array, or a dataframe turned into one), in which the
      graph then computes; without ``X``, float64 if the network was fitted on
      float64 data and float32 otherwise.

    Parameters
    ----------
    model : ScratchMLPClassifier, ScratchMLPRegressor or Pipeline
        The fitted model (the Tabular estimators included). A pipeline's other
        steps need converters of their own (skl2onnx has them for scikit-learn's
        transformers); a pipeline takes one input per column only where its
        first step is a skscratch estimator.
    X : array-like or dataframe of shape (n_samples, n_features), default=None
        Sample input (one row is enough), as the model was fitted on: the
        table, whose columns' types decide the inputs' as said above, or an
        array, from which skl2onnx infers the type and width of ``"X"``.
    initial_types : list of (str, skl2onnx type), default=None
        The inputs, e.g. ``[("X", FloatTensorType([None, 4]))]``, where ``X`` is
        None; or one ``(column name, type of shape [None, 1])`` per feature.
    target_opset : int or dict, default=None
        The ONNX opset to target; skl2onnx's latest supported one if None.
    options : dict, default=None
        Converter options, as for :func:`skl2onnx.to_onnx`. For a classifier,
        ``{"zipmap": False}`` gives two tensors, ``label`` and ``probabilities``,
        instead of the default ``output_label`` and ``output_probability`` (a
        list of ``{class: probability}`` dictionaries, float32 also for float64
        input, since ONNX's ZipMap takes float only); ``"columns"`` gives one
        output per class. In a pipeline, a plain dict applies to every step
        that accepts the option; ``{id(pipe[-1]): {"zipmap": False}}`` aims at one.
    name : str, default=None
        Name of the ONNX graph.

    Returns
    -------
    onnx_model : onnx.ModelProto
        The model; ``onnx_model.SerializeToString()`` gives the bytes that
        ``onnxruntime.InferenceSession`` loads.

    Raises
    ------
    ValueError
        Where ``X`` lacks a column the model was fitted on, or a text feature
        has the empty string as a category (the graph reads missing text as
        the empty string).

    See Also
    --------
    skl2onnx.to_onnx : The conversion this calls.
    frame_inputs : A table as the graph's inputs.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklearn.datasets import load_iris
    >>> from skscratch import ScratchMLPClassifier
    >>> from skscratch.onnx import to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> model = ScratchMLPClassifier(
    ...     (8,), activation="tanh", solver="lbfgs", max_iter=500, random_state=0
    ... ).fit(X, y)
    >>> onx = to_onnx(model, options={"zipmap": False})
    >>> [i.name for i in onx.graph.input], [o.name for o in onx.graph.output]
    (['X'], ['label', 'probabilities'])
    >>> session = ort.InferenceSession(
    ...     onx.SerializeToString(), providers=["CPUExecutionProvider"]
    ... )
    >>> label, proba = session.run(None, {"X": X})
    >>> bool((label == model.predict(X)).all())
    True
    >>> bool(np.allclose(proba, model.predict_proba(X), rtol=1e-9, atol=1e-12))
    True
    """
    network = _first_network(model)
    if initial_types is None and network is not None and _takes_table(network, X):
        initial_types, X = _column_types(network, X), None
    if X is None and initial_types is None:
        n_features = getattr(model, "n_features_in_", None)
        if n_features is None:
            raise ValueError("Pass X or initial_types: the model has no n_features_in_.")
        tensor_type = (
            DoubleTensorType if _model_dtype(model) == np.float64 else FloatTensorType
        )
        initial_types = [("X", tensor_type([None, int(n_features)]))]
    if X is not None:
        X = np.asarray(X)
    onnx_model = skl2onnx.to_onnx(
        model,
        X,
        initial_types=initial_types,
        target_opset=target_opset,
        options=options,
        name=name,
    )
    return onnx_model
