"""
==================================================
One model, two array libraries: training on torch
==================================================

With scikit-learn's ``array_api_dispatch=True``, skscratch trains in the
namespace and on the device of its input. This example fits the same pipeline
(a ``StandardScaler`` and a ``ScratchMLPClassifier``) on the digits twice:
once on numpy arrays, once on torch tensors (on the GPU when torch sees one,
else on its CPU), or on array-api-strict arrays when torch is not installed.
The random draws (initial weights, shuffles) are numpy's on the host in both
fits, so the two models are the same one to rounding: their loss curves lie
on top of each other, and their probabilities agree to float64's rounding.

:func:`skscratch.to_numpy` then brings the torch-fitted pipeline back to
numpy arrays, to pickle it or serve it on a CPU without torch.
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")  # before scipy is imported

import warnings  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skscratch import ScratchMLPClassifier, to_numpy  # noqa: E402

try:
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    library = f"torch on {device}"

    def to_namespace(array):
        return torch.asarray(array, device=device)

except ImportError:  # the standard itself, which the test extra installs
    import array_api_strict

    library = "array-api-strict"
    to_namespace = array_api_strict.asarray

X, y = load_digits(return_X_y=True)


def pipeline():
    return make_pipeline(
        StandardScaler(), ScratchMLPClassifier((64,), max_iter=30, random_state=0)
    )


with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # 30 epochs on purpose
    # scikit-learn's StandardScaler divides 0 by 0 in its first variance update
    # off numpy (harmless: it replaces the result), which array-api-strict reports.
    warnings.filterwarnings("ignore", "invalid value encountered in divide")
    on_numpy = pipeline().fit(X, y)
    with sklearn.config_context(array_api_dispatch=True):
        X_other, y_other = to_namespace(X), to_namespace(y)
        on_other = pipeline().fit(X_other, y_other)
        proba_other = on_other.predict_proba(X_other)

coefs = on_other[-1].coefs_[0]
print(
    f"fitted on {library}: coefs_[0] is a {type(coefs).__module__}.{type(coefs).__name__}"
)
host = to_numpy(on_other)
difference = np.abs(host.predict_proba(X) - on_numpy.predict_proba(X)).max()
print(f"largest difference of predict_proba from the numpy fit: {difference:.1e}")
print(
    f"training accuracy: numpy {on_numpy.score(X, y):.4f}, {library} {host.score(X, y):.4f}"
)

# %%
# The two loss curves
# -------------------
# Epoch by epoch, the mean training loss of each fit; the right panel shows
# how far apart they are (float64 rounding, summed in other orders).
numpy_curve = np.asarray(on_numpy[-1].loss_curve_)
other_curve = np.asarray(host[-1].loss_curve_)
epochs = np.arange(1, len(numpy_curve) + 1)
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
left.plot(epochs, numpy_curve, lw=4, alpha=0.4, label="numpy")
left.plot(epochs, other_curve, "k--", lw=1, label=library)
left.set(xlabel="epoch", ylabel="training loss", yscale="log", title="the same curve")
left.legend()
right.semilogy(epochs, np.abs(numpy_curve - other_curve) / numpy_curve + 1e-18, "o-")
right.set(xlabel="epoch", ylabel="relative difference", title="and how far apart")
plt.show()
