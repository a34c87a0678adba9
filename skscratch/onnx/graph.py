"""The graph being built: :class:`_Graph`, which names nodes and constants in
one skl2onnx scope, and the classifier's converter options.
"""

import numpy as np
from onnx import TensorProto

#: Options the classifier's converter accepts, as for scikit-learn's MLPClassifier.
CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "output_class_labels": [False, True],
    "nocl": [True, False],
}


# ----------------------------------------------------------------- the graph
class _Graph:
    """Adds nodes and constants of one dtype to skl2onnx's container."""

    def __init__(self, scope, container, dtype):
        self.scope = scope
        self.container = container
        self.dtype = np.dtype(dtype)
        self.proto = TensorProto.DOUBLE if self.dtype == np.float64 else TensorProto.FLOAT
        self._constants = {}

    def node(self, op_type, *inputs, output=None, **attrs):
        """Add ``op_type(*inputs)``; return the name of its output."""
        output = output or self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(
            op_type,
            list(inputs),
            output,
            name=self.scope.get_unique_operator_name(op_type),
            **attrs,
        )
        return output

    def const(self, value, dtype=None, shape=None):
        """Name of an initializer holding ``value`` (the graph's dtype unless given)."""
        array = np.asarray(value, dtype=dtype or self.dtype)
        if shape is not None:
            array = array.reshape(shape)
        key = (array.dtype.str, array.shape, array.tobytes())
        if key not in self._constants:
            name = self.scope.get_unique_variable_name("c")
            proto = {
                np.dtype(np.float32): TensorProto.FLOAT,
                np.dtype(np.float64): TensorProto.DOUBLE,
                np.dtype(np.int64): TensorProto.INT64,
            }[array.dtype]
            self.container.add_initializer(name, proto, list(array.shape), array.ravel())
            self._constants[key] = name
        return self._constants[key]
