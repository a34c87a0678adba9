"""Export fitted skscratch models to ONNX, through skl2onnx.

The package: ``graph.py`` (the graph being built), ``activations.py``,
``layers.py`` (one converter per layer kind, ``LAYER_CONVERTERS``),
``inputs.py`` (one tensor, or one input per column of a raw table),
``estimators.py`` (the converters skl2onnx calls, and :func:`to_onnx`) and
``frames.py`` (:func:`frame_inputs`).

Importing this module registers a shape calculator and a converter for
:class:`~skscratch.ScratchMLPClassifier` and :class:`~skscratch.ScratchMLPRegressor`
(and the Tabular estimators, the same classes with other defaults) with
skl2onnx, so that ``skl2onnx.to_onnx(model, X[:1])`` converts them alone or
inside a :class:`~sklearn.pipeline.Pipeline`, the way it converts scikit-learn's
own MLP. :func:`to_onnx` does the same and can build the input type from the model.

The graph is built from the fitted model, what ``predict`` reads: the layer
records of ``layers_``, each converted by the function of its kind in
``LAYER_CONVERTERS`` (the input layers of ``handle_missing``, ``IsNaN`` and
``Where`` with the fitted medians, and of ``numeric_scaling``, the scaling and
the smooth clip; dense layers, in either parametrization, activations, batch
normalization with its running statistics, dropout as the identity,
embeddings, residual blocks, the per-feature scale, the numeric features'
periodic embeddings with ``Sin`` and ``Cos``; in double ``Cos`` is composed from ``Sin``),
then ``out_activation_``, ``classes_`` for the labels, and for a regressor
with ``target_scaling`` the mapping back to the units of ``y``. For categorical
features (``is_categorical_``, ``categories_``) each categorical column's
value is first matched against its categories (an unseen one, or a missing
value the fit did not see, takes the unknown code, as in ``predict``) and the
embedding layer takes its table row by a ``Gather``.

A model fitted on a table takes it as it was fitted, one input per column
(the way skl2onnx converts a ``ColumnTransformer``), where :func:`to_onnx` is
given a dataframe sample or the categories are text: text columns as strings,
coded by an ONNX-ML ``LabelEncoder``; numbers (and numeric categories) with
NaN for missing values; booleans as bools. :func:`to_onnx` says which type each
input has, and :func:`frame_inputs` makes a dataframe into those inputs. Such
a graph computes in the model's type. Otherwise the input is one numeric
tensor ``X`` (whose categories must then be numbers), and the graph computes
in its type: float32 in, float32 arithmetic (weights rounded to float32);
float64 in, float64 arithmetic.
Every activation is written with operators that onnxruntime runs in both float
and double; those whose ONNX operator lacks a double kernel there, or loses
precision, are composed:

* ``leaky_relu``: ``Max(z, 0.01 z)``, as skscratch computes it;
* ``elu``: ``Relu(z) + expm1(Min(z, 0))`` with an accurate ``expm1`` (Kahan's
  ``(u - 1) z / log(u)``, ``u = exp(z)``) rather than ``exp(z) - 1``, which loses
  the digits of small negative ``z``;
* ``gelu`` (exact, ``z Phi(z)`` with the normal CDF ``Phi``): ``Phi`` from a
  Chebyshev series of the scaled complementary error function, in double for
  float32 models too (as numpy computes it), accurate to about 1e-13 relative
  even far in the tails, where ``1 + erf`` loses every digit. It costs about 80
  element-wise operations per GELU layer.
* ``selu``: ``lam Relu(z) + lam alpha expm1(Min(z, 0))`` with elu's ``expm1``
  (onnxruntime's ``Selu`` computes double in float, and float32's ``exp(z) - 1``);
* ``mish``: ``z t`` with ``t = tanh(softplus(z)) = (w**2 + 2 w) / (w**2 + 2 w + 2)``,
  ``w = exp(z)``, written in ``e = exp(-|z|)`` so that it neither overflows nor
  loses the digits of very negative ``z`` (onnxruntime's ``Mish`` returns 0
  from about z = -37 on in double, and ONNX has no ``log1p`` for skscratch's
  ``tanh(logaddexp(0, z))``).

``logistic`` is ``1 / (1 + exp(-z))``, scipy's ``expit``, rather than the
``Sigmoid`` operator, whose onnxruntime kernel is only absolutely accurate: small
probabilities come out with relative errors up to 25% in float32 (5e-10 in
float64), and as 0 from about z = -16 in float32 (-37 in float64) on.

Classifier outputs are those skl2onnx gives scikit-learn's ``MLPClassifier``:
``label`` then ``probabilities``, turned by default (option ``zipmap=True``)
into ``output_label`` and ``output_probability``, a list of ``{class: probability}``
dictionaries. ONNX's ``ZipMap`` takes float only, so in a float64 graph those
dictionaries hold the probabilities rounded to float32 (the labels are still
chosen in float64; scikit-learn's MLPClassifier converted by skl2onnx gives a
graph that onnxruntime refuses to load there). Pass ``options={"zipmap": False}``
for two plain tensors: ``label`` of shape (n_samples,) and ``probabilities`` of
shape (n_samples, n_classes), in the order of ``classes_``; ``zipmap="columns"``
gives one output per class. Labels are int64 for integer (or bool, or integral
float) classes and strings for string classes. A multilabel model's ``label`` is
the int64 indicator matrix of shape (n_samples, n_labels) and its
``probabilities`` one column per label.
Regressors give ``variable`` of shape (n_samples, n_outputs).

This module needs skl2onnx and onnx (and onnxruntime to run the result):
``pip install ".[onnx]"`` from a checkout of skscratch.
"""

try:
    import onnx  # noqa: F401
    import skl2onnx  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised without the extra
    raise ImportError(
        f"skscratch.onnx needs skl2onnx and onnx ({error}). From a checkout of "
        'skscratch, install them with: pip install ".[onnx]"'
    ) from error

from .activations import HIDDEN_CONVERTERS, OUTPUT_CONVERTERS
from .estimators import to_onnx
from .frames import frame_inputs
from .graph import CLASSIFIER_OPTIONS
from .layers import LAYER_CONVERTERS

__all__ = [
    "CLASSIFIER_OPTIONS",
    "HIDDEN_CONVERTERS",
    "LAYER_CONVERTERS",
    "OUTPUT_CONVERTERS",
    "frame_inputs",
    "to_onnx",
]
