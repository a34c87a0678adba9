"""L-BFGS: scipy's quasi-Newton minimiser over the network's flat parameter vector.

Unlike the step-by-step optimizers, L-BFGS takes the whole loss-and-gradient
function and decides itself where to evaluate it (line searches included).

scipy's L-BFGS-B does its vector algebra with scipy's own OpenBLAS, while the
loss and gradient run on numpy's; for the duration of the minimisation scipy's
pool is held to one thread and numpy's at the process's count, whatever fits
in other threads hold (see :mod:`skscratch.core.blas`).
"""

import numpy as np
import scipy.optimize

from .blas import numpy_blas_default_threads, scipy_blas_single_threaded


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
    with numpy_blas_default_threads(), scipy_blas_single_threaded():
        return scipy.optimize.minimize(
            fun_grad,
            np.asarray(x0, dtype=np.float64),
            method="L-BFGS-B",
            jac=True,
            callback=callback,
            options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
        )
