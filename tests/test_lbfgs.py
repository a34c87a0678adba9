"""skscratch.core.lbfgs: scipy's L-BFGS-B on a quadratic."""

import numpy as np
import pytest

from skscratch.core import minimize_lbfgs


def _quadratic(n=6, seed=0):
    rng = np.random.RandomState(seed)
    M = rng.normal(size=(n, n))
    A = M @ M.T + n * np.eye(n)
    b = rng.normal(size=n)

    def fun_grad(x):
        return 0.5 * x @ A @ x - b @ x, A @ x - b

    return fun_grad, np.linalg.solve(A, b)


def test_lbfgs_minimizes_a_quadratic():
    fun_grad, solution = _quadratic()
    seen = []

    def callback(intermediate_result):  # scipy passes an OptimizeResult to this name
        seen.append(intermediate_result)

    result = minimize_lbfgs(
        fun_grad, np.zeros(6), max_iter=200, max_fun=1000, tol=1e-10, callback=callback
    )
    assert result.success
    # scipy also stops on a relative loss decrease below ftol (2.2e-9), so the
    # minimum value is reached more closely than the minimiser.
    assert result.fun == pytest.approx(fun_grad(solution)[0], rel=1e-8)
    np.testing.assert_allclose(result.x, solution, rtol=1e-3, atol=1e-6)
    assert len(seen) == result.nit  # the callback runs once per iteration
    assert seen[-1].fun == pytest.approx(result.fun)


def test_lbfgs_respects_max_iter_and_float32_start():
    fun_grad, _ = _quadratic(n=30, seed=1)
    result = minimize_lbfgs(
        fun_grad, np.ones(30, dtype=np.float32), max_iter=2, max_fun=1000, tol=1e-12
    )
    assert result.nit == 2
    assert not result.success
    assert result.x.dtype == np.float64
