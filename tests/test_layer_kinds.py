"""Layer kinds: the registry the class definitions fill, a new kind from outside
skscratch taken everywhere a model goes, and every kind's way out to ONNX.

The new kind is ``tests/layer_kinds/gain.py``: its class (registered by
``@register_layer``) and its ONNX converter, nothing else. The tests place it
after every hidden layer with :func:`skscratch.core.mlp.extra_hidden_layers`
and register the converter in ``skscratch.onnx.LAYER_CONVERTERS``.
"""

import pickle

import numpy as np
import pytest
from layer_kinds.gain import Gain, gain_to_onnx
from sklearn.exceptions import ConvergenceWarning

import skscratch.core.layers as layers_package
from skscratch import ScratchMLPClassifier, check_gradients
from skscratch.core.layers import LAYERS, Dense, FeatureScale, Layer, register_layer
from skscratch.core.mlp import extra_hidden_layers, mlp_layers

cut_short = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _xy(n=60, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


def _kinds(records):
    return [record["kind"] for record in records]


# ------------------------------------------------------------------ the registry
def test_every_layer_class_of_skscratch_is_registered_under_its_kind():
    classes = [
        obj
        for obj in vars(layers_package).values()
        if isinstance(obj, type) and issubclass(obj, Layer) and obj is not Layer
    ]
    assert classes  # the package exports its kinds
    for cls in classes:
        assert LAYERS[cls.kind] is cls, f"{cls.__name__} lacks @register_layer"


def test_a_duplicate_kind_is_refused_and_the_registry_kept():
    before = dict(LAYERS)

    class OtherDense(Layer):
        kind = "dense"

    with pytest.raises(ValueError, match=r"'dense' is registered already, by .*\.Dense"):
        register_layer(OtherDense)
    assert LAYERS == before


def test_a_class_registers_only_with_a_kind_of_its_own():
    class NoKind(Layer):
        pass

    class InheritedKind(Dense):
        pass

    for cls in (NoKind, InheritedKind):
        with pytest.raises(TypeError, match="must set its own kind"):
            register_layer(cls)
    with pytest.raises(TypeError, match="takes a subclass of Layer"):
        register_layer(dict)
    assert LAYERS["dense"] is Dense


# -------------------------------------------------------------- placing a layer
def test_extra_hidden_layers_end_each_hidden_layer_inside_the_block_only():
    def names(layers):
        return [type(layer).__name__ for layer in layers]

    with extra_hidden_layers(Gain):
        with extra_hidden_layers(FeatureScale):
            nested = mlp_layers((3, 4, 4, 2), "relu", residual=True)
        plain = mlp_layers((3, 4, 2), "relu", dropout=0.5)
    assert names(nested) == ["Dense", "Gain", "FeatureScale", "Residual", "Dense"]
    assert names(nested[3].sublayers) == ["Dense", "Gain", "FeatureScale"]
    assert names(plain) == ["Dense", "Dropout", "Gain", "Dense"]
    assert names(mlp_layers((3, 4, 2), "relu")) == ["Dense", "Dense"]
    with pytest.raises(TypeError, match="takes functions width -> Layer"):
        with extra_hidden_layers("gain"):
            pass


# ------------------------------------------------------------ a new layer kind
@cut_short
def test_a_new_layer_kind_works_everywhere_a_model_goes(monkeypatch):
    X, y = _xy()
    with extra_hidden_layers(Gain):
        model = ScratchMLPClassifier((6,), max_iter=20, random_state=0).fit(X, y)
    assert _kinds(model.layers_) == ["dense", "gain", "dense"]
    gains = model.layers_[1]["params"]["g"]
    assert not np.allclose(gains, 1.0)  # trained
    # Prediction reads the layer: scaling its gains changes the output.
    proba = model.predict_proba(X)
    gains *= 3.0
    assert not np.allclose(model.predict_proba(X), proba)
    gains /= 3.0
    # Warm start, partial_fit and the gradient check build the network again.
    with extra_hidden_layers(Gain):
        model.set_params(warm_start=True, max_iter=2).fit(X, y)
        assert len(model.loss_curve_) == 22
        model.partial_fit(X, y)
        assert len(model.loss_curve_) == 23
        assert check_gradients(model, X, y) < 1e-6
    assert _kinds(model.layers_) == ["dense", "gain", "dense"]
    # The pickle holds the records, plain dicts: it names no class of the kind's
    # module, and loads without it; predicting needs the kind registered.
    data = pickle.dumps(model)
    assert Gain.__module__.encode() not in data and b"Gain" not in data
    monkeypatch.delitem(LAYERS, "gain")
    restored = pickle.loads(data)
    with pytest.raises(ValueError, match="Unknown layer kind 'gain'"):
        restored.predict_proba(X)
    monkeypatch.setitem(LAYERS, "gain", Gain)
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    # Outside the block a warm start would build other layers: it is refused.
    with pytest.raises(ValueError, match="previous fit's layers"):
        model.fit(X, y)


def test_a_new_layer_kind_exports_to_onnx_with_its_converter(monkeypatch):
    skscratch_onnx = pytest.importorskip("skscratch.onnx")
    ort = pytest.importorskip("onnxruntime")
    X, y = _xy()
    with extra_hidden_layers(Gain), pytest.warns(ConvergenceWarning):
        model = ScratchMLPClassifier((6,), max_iter=20, random_state=0).fit(X, y)
    with pytest.raises(NotImplementedError, match="Cannot convert a 'gain' layer"):
        skscratch_onnx.to_onnx(model, X[:1])
    monkeypatch.setitem(skscratch_onnx.LAYER_CONVERTERS, "gain", gain_to_onnx)
    onx = skscratch_onnx.to_onnx(model, X[:1], options={"zipmap": False})
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    label, proba = session.run(None, {"X": X})
    np.testing.assert_array_equal(label, model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=1e-9)


# -------------------------------------------------------- every kind's way out
def _export_problem(kind, converters):
    """Why ``kind`` has neither an ONNX converter nor a refusal that names it, or None.

    A kind that cannot be exported says so with an entry of ``LAYER_CONVERTERS``
    that raises, at once, ``NotImplementedError(f"Cannot convert a {kind!r} layer
    to ONNX: <why>")``; probed here without a graph, a converter fails otherwise
    (or returns), and a refusal must name the kind.
    """
    if kind not in converters:
        return f"{kind!r} has no entry in LAYER_CONVERTERS"
    record = {"kind": kind, "config": {}, "params": {}, "state": {}}
    try:
        converters[kind](None, None, record)
    except NotImplementedError as error:
        if repr(kind) not in str(error):
            return f"{kind!r} is refused without being named: {error}"
    except Exception:  # a converter, which needs a graph
        pass
    return None


def test_every_layer_kind_of_skscratch_converts_to_onnx_or_refuses_by_name():
    skscratch_onnx = pytest.importorskip("skscratch.onnx")
    # Kinds that tests register (as the gain) are the tests' own business.
    ours = [kind for kind, cls in LAYERS.items() if cls.__module__.startswith("skscratch.")]
    problems = [_export_problem(kind, skscratch_onnx.LAYER_CONVERTERS) for kind in ours]
    assert [problem for problem in problems if problem] == []


def test_the_onnx_check_fails_a_kind_without_converter_or_named_refusal():
    def refusal(g, a, record):
        raise NotImplementedError("Cannot convert a 'gain' layer to ONNX: no operator.")

    def unnamed_refusal(g, a, record):
        raise NotImplementedError("Not yet.")

    assert "no entry" in _export_problem("gain", {})
    assert "without being named" in _export_problem("gain", {"gain": unnamed_refusal})
    assert _export_problem("gain", {"gain": refusal}) is None
    assert _export_problem("gain", {"gain": gain_to_onnx}) is None
