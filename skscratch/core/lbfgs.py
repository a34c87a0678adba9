"""L-BFGS: scipy's quasi-Newton minimiser over the network's flat parameter vector.

Unlike the step-by-step optimizers, L-BFGS takes the whole loss-and-gradient
function and decides itself where to evaluate it (line searches included).

scipy's L-BFGS-B does its vector algebra with scipy's own OpenBLAS, while the
loss and gradient run on numpy's. Each library has its own pool of BLAS
threads, and pools used in turn spin against each other on a small machine;
scipy's vector operations gain nothing from threads, so its pool is held to
one thread for the duration of the minimisation (numpy's keeps its default).
"""

import contextlib
import functools
import os

import numpy as np
import scipy
import scipy.optimize
from threadpoolctl import ThreadpoolController


@functools.cache
def _scipy_blas():
    """threadpoolctl's handle on the BLAS that scipy ships, if it has its own.

    Where scipy and numpy share one BLAS (conda builds, for instance) the
    selection is empty and limiting it does nothing.
    """
    package = os.path.dirname(scipy.__file__)
    # Wheels put the library in scipy.libs beside the package (Linux, Windows)
    # or in the package's own .dylibs (macOS).
    roots = [os.path.realpath(p) for p in (package, package + ".libs")]
    controller = ThreadpoolController()
    own = [
        lib.filepath
        for lib in controller.lib_controllers
        if lib.user_api == "blas"
        and any(os.path.realpath(lib.filepath).startswith(root + os.sep) for root in roots)
    ]
    return controller.select(filepath=own)


def _scipy_blas_single_threaded():
    blas = _scipy_blas()
    return blas.limit(limits=1) if blas.lib_controllers else contextlib.nullcontext()


def minimize_lbfgs(fun_grad, x0, max_iter, max_fun, tol, callback=None):
    """Minimise ``fun_grad(x) -> (loss, grad)`` with scipy's L-BFGS-B.

    Parameters
    ----------
    fun_grad : callable
        Returns the loss and its gradient (float64 vector) at ``x``.
    x0 : ndarray of shape (n_params,)
        Starting point.
    max_iter, max_fun : int
        Limits on iterations and on calls of ``fun_grad``.
    tol : float
        Projected-gradient tolerance (``gtol``).
    callback : callable, default=None
        Called after each iteration. scipy passes its ``OptimizeResult`` only to a
        callback whose parameter is named ``intermediate_result`` (else the
        current ``x``); raising StopIteration ends the minimisation.

    Returns
    -------
    result : scipy.optimize.OptimizeResult
    """
    with _scipy_blas_single_threaded():
        return scipy.optimize.minimize(
            fun_grad,
            np.asarray(x0, dtype=np.float64),
            method="L-BFGS-B",
            jac=True,
            callback=callback,
            options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
        )
