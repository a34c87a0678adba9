"""Helpers shared by several test modules (imported as ``helpers``: pytest puts
tests/ on sys.path)."""

import functools
import inspect
from pathlib import Path

import numpy as np
import pytest
import sklearn
from sklearn.neural_network import MLPClassifier

import skscratch
from skscratch import ScratchMLPClassifier
from skscratch._training.gradient_check import central_differences
from skscratch.core.layers import Mode

#: For tests that compare with scikit-learn's MLPs fitted with sample_weight,
#: which their ``fit`` takes from scikit-learn 1.7 on.
needs_sklearn_mlp_sample_weight = pytest.mark.skipif(
    "sample_weight" not in inspect.signature(MLPClassifier.fit).parameters,
    reason=f"scikit-learn {sklearn.__version__}'s MLPs take no sample_weight (1.7 does)",
)


def _array_api_dispatch_refusal():
    """Why scikit-learn refuses ``array_api_dispatch=True`` here (its message),
    or None where it accepts it: it needs array-api-compat and, with
    scikit-learn 1.6, SciPy 1.14 or newer, which the floors do not have."""
    try:
        with sklearn.config_context(array_api_dispatch=True):
            pass
    except ImportError as error:
        return str(error)
    return None


#: Why scikit-learn refuses array API dispatch on this machine, or None.
ARRAY_API_DISPATCH_REFUSAL = _array_api_dispatch_refusal()
if ARRAY_API_DISPATCH_REFUSAL is not None:
    ARRAY_API_DISPATCH_REFUSAL = (
        f"scikit-learn {sklearn.__version__} refuses array_api_dispatch here: "
        f"{ARRAY_API_DISPATCH_REFUSAL}"
    )

#: For tests that switch scikit-learn's array API dispatch on.
needs_array_api_dispatch = pytest.mark.skipif(
    ARRAY_API_DISPATCH_REFUSAL is not None, reason=str(ARRAY_API_DISPATCH_REFUSAL)
)


@functools.cache
def torch_device_refusal(device):
    """Why torch cannot put an array on ``device`` here (torch's error), or None.

    None also where torch is not installed (the tests skip on that themselves).
    PyPI's torch is built with CUDA, and scikit-learn's array API checks skip
    the ``cuda`` device only for a torch built without it: on a machine with no
    GPU driver they fail at their first array, with torch's ``AcceleratorError:
    CUDA error: CUDA driver version is insufficient for CUDA runtime version``.
    The same call here gives the same error, for their skip to say.
    """
    try:
        import torch
    except ImportError:
        return None
    try:
        torch.asarray(np.zeros(1), device=device)  # as scikit-learn's checks move X
    except Exception as error:  # AcceleratorError, RuntimeError ...: whatever torch raises
        first_line = str(error).splitlines()[0] if str(error) else ""
        return (
            f"torch cannot use device {device!r} here: {type(error).__name__}: {first_line}"
        )
    return None


def same_weights(a, b):
    """Whether two fitted estimators have exactly the same weights and biases."""
    pairs = zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_)
    return all(np.array_equal(p, q) for p, q in pairs)


def from_skscratch(warning):
    """Whether a recorded warning is attributed to skscratch's code, as
    scikit-learn's MLP attributes its own to sklearn's (``module=`` filters)."""
    package = Path(skscratch.__file__).resolve().parent
    return Path(warning.filename).resolve().is_relative_to(package)


def small_classifier(**params):
    """A (6, 5) classifier that trains for 10 epochs, seeded."""
    defaults = {"hidden_layer_sizes": (6, 5), "max_iter": 10, "random_state": 0}
    return ScratchMLPClassifier(**{**defaults, **params})


def assert_layer_backward_is_the_derivative(
    layer, x, params, grads, needs_input_grad=True, mode=None
):
    """A layer's backward against central differences of its forward.

    For ``L = sum(g * forward(x))`` in a training ``mode`` (default
    ``Mode(True)``; the layer must be deterministic in it): every parameter's
    gradient in ``grads`` (bound to ``params``) and, with ``needs_input_grad``,
    ``dL/dx``; without it the backward must return None.
    """
    training = Mode(True) if mode is None else mode
    n = x.shape[0]
    layer.needs_input_grad = needs_input_grad
    buf = layer.buffers(n, np.float64, True)
    out = layer.forward(x, buf, training)
    g = np.random.RandomState(5).normal(size=out.shape)
    grad_in = layer.backward(g.copy(), buf)
    if not needs_input_grad:
        assert grad_in is None
    else:
        grad_in = grad_in.copy()

    def loss_of(array):
        def f(flat):
            saved = array.copy()
            array[...] = flat.reshape(array.shape)
            out = layer.forward(x, layer.buffers(n, np.float64, True), training)
            value = float((g * out).sum())
            array[...] = saved
            return value

        return f

    checks = [(params[name], grads[name]) for name in params]
    if needs_input_grad:
        checks.append((x, grad_in))
    for array, analytic in checks:
        numeric = central_differences(loss_of(array), array.ravel().copy())
        np.testing.assert_allclose(analytic.ravel(), numeric, rtol=1e-6, atol=1e-8)
