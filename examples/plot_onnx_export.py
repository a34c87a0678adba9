"""
=============================
Deploying a model with ONNX
=============================

A fitted :class:`skscratch.ScratchMLPClassifier`, scaler included, exported to
ONNX and run by onnxruntime, which needs neither scikit-learn nor skscratch (nor
Python) where the model is served. Importing :mod:`skscratch.onnx` teaches
skl2onnx to convert skscratch's estimators, so ``skl2onnx.to_onnx`` takes the whole
pipeline, as it would take scikit-learn's own ``MLPClassifier``.

The network mixes activations per layer (GELU, then ELU), two that ONNX's own
operators cannot run in float64 on onnxruntime; the export composes them from
operators that can. The figure draws the decision regions twice, once from
``predict_proba`` and once from the ONNX model, and the differences between the two.

Needs the onnx extra: ``pip install ".[onnx]"`` from a checkout.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
from sklearn.datasets import make_moons
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skscratch.onnx
from skscratch import ScratchMLPClassifier

X, y = make_moons(n_samples=500, noise=0.25, random_state=0)
model = make_pipeline(
    StandardScaler(),
    ScratchMLPClassifier(
        (16, 16),
        activation=["gelu", "elu"],
        learning_rate_init=0.01,
        max_iter=500,
        random_state=0,
    ),
).fit(X, y)
print(f"{model[-1].n_iter_} epochs, training accuracy {model.score(X, y):.3f}")

# %%
# Export and load
# ---------------
# ``X[:1]`` tells the converter the input's width and type: float64 here, so the
# graph computes in float64. ``zipmap=False`` asks for the probabilities as one
# float64 tensor (the default, as for scikit-learn's classifiers, is a list of
# ``{class: probability}`` dictionaries, whose values ONNX holds in float32).
onx = skscratch.onnx.to_onnx(model, X[:1], options={id(model[-1]): {"zipmap": False}})
data = onx.SerializeToString()  # the bytes to ship, e.g. to a file "moons.onnx"
print(f"ONNX model: {len(data) / 1024:.1f} KiB, {len(onx.graph.node)} nodes")
session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
for kind, nodes in [("input", session.get_inputs()), ("output", session.get_outputs())]:
    for node in nodes:
        print(f"{kind} {node.name!r}: {node.type}, shape {node.shape}")

# %%
# Same predictions
# ----------------
# On a grid over the plane, onnxruntime and skscratch agree to rounding error:
# the same labels, and probabilities within a few units in the last place of
# float64. (onnxruntime is not faster here: each GELU layer is some 80 small
# element-wise operations in the graph, where numpy calls scipy's ``erf`` once.)
xx, yy = np.meshgrid(np.linspace(-2, 3, 300), np.linspace(-1.5, 2, 300))
grid = np.column_stack([xx.ravel(), yy.ravel()])

start = time.perf_counter()
expected_proba = model.predict_proba(grid)
numpy_seconds = time.perf_counter() - start
start = time.perf_counter()
label, proba = session.run(None, {"X": grid})  # labels and probabilities at once
onnx_seconds = time.perf_counter() - start
expected_label = model.predict(grid)

difference = np.abs(proba - expected_proba)[:, 1]
print(f"{len(grid)} points: labels equal: {np.array_equal(label, expected_label)}")
print(f"largest difference of probabilities: {difference.max():.1e}")
print(
    f"predict_proba {numpy_seconds * 1e3:.0f} ms, onnxruntime {onnx_seconds * 1e3:.0f} ms"
)

# %%
# The picture
# -----------
fig, axes = plt.subplots(1, 3, figsize=(13, 4), layout="constrained")
for ax, p, title in [
    (axes[0], expected_proba[:, 1], "skscratch predict_proba"),
    (axes[1], proba[:, 1], "onnxruntime"),
]:
    contour = ax.contourf(xx, yy, p.reshape(xx.shape), levels=20, cmap="RdBu_r", alpha=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolors="k", s=12)
    ax.set_title(title)
fig.colorbar(contour, ax=axes[:2], label="probability of class 1")
differences = axes[2].imshow(
    np.maximum(difference, 1e-18).reshape(xx.shape),
    origin="lower",
    extent=(-2, 3, -1.5, 2),
    norm="log",
    cmap="viridis",
    aspect="auto",
)
fig.colorbar(differences, ax=axes[2], label="|ONNX - numpy|")
axes[2].set_title("difference (float64)")
plt.show()
