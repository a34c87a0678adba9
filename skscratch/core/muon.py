"""Muon: momentum orthogonalized by Newton-Schulz, for the hidden weight matrices.

Muon (Jordan et al., 2024) keeps a momentum of each hidden weight matrix's
gradient, as SGD does, and replaces it by (nearly) the nearest orthogonal
matrix before stepping: every direction of the update then moves by the same
amount, however small its part of the gradient was. The orthogonalization is
a few Newton-Schulz iterations, matrix products only
(:func:`newton_schulz`). Every other parameter (biases, embeddings, scales,
the output layer) takes an AdamW step, as in the Muon literature.

The user guide's section "Muon" derives the iteration.
"""

import math

import numpy as np

from .backend import NUMPY
from .optimizers import AdamW, _Optimizer

#: The quintic Newton-Schulz coefficients ``(a, b, c)`` of Jordan et al. (2024):
#: ``p(s) = a s + b s**3 + c s**5`` grows a small singular value 3.4445 times a
#: step, and keeps every value of [0.68, 1.13] in that band.
NEWTON_SCHULZ_COEFFICIENTS = (3.4445, -4.7750, 2.0315)

#: Muon's update is scaled to the root mean square of AdamW's (Liu et al., 2025).
RMS_MATCH = 0.2


def newton_schulz(G, steps=5, ops=NUMPY, work=None):
    """An approximation of ``U @ V.T`` for ``G = U @ diag(s) @ V.T``: the
    orthogonal polar factor of ``G``, with its singular values near 1.

    ``G`` is divided by its Frobenius norm (its singular values then lie in
    (0, 1]), then each step maps ``X`` to ``a X + (b A + c A @ A) @ X`` with
    ``A = X @ X.T``: the same singular vectors, and each singular value ``s``
    becomes ``a s + b s**3 + c s**5``. After 5 steps every singular value at
    least 1% of the Frobenius norm lies in [0.68, 1.13]; smaller ones (of a
    nearly rank-deficient ``G``) have grown 3.4 times a step.

    Parameters
    ----------
    G : array of shape (m, n)
    steps : int, default=5
    ops : NumpyOps or ArrayAPIOps, default=NUMPY
        ``G``'s array library.
    work : dict, default=None
        Buffers kept between calls, by shape (numpy only): pass the same dict
        at every step so that no step allocates.

    Returns
    -------
    Q : array of shape (m, n), in ``G``'s dtype
        On numpy, a view of a buffer of ``work`` that the next call overwrites.
    """
    a, b, c = NEWTON_SCHULZ_COEFFICIENTS
    rows, cols = G.shape
    wide = rows <= cols  # X @ X.T then has the smaller side
    r, k = (rows, cols) if wide else (cols, rows)
    buf = _buffers(work, (r, k), G.dtype, ops)
    flat = ops.xp.reshape(G, (-1,))
    norm = ops.dot_value(flat, flat) ** 0.5  # a float, or a 0-d array on a device
    X = ops.divide(G if wide else ops.permute(G, (1, 0)), norm + 1e-7, out=buf.X)
    for _ in range(steps):
        A = ops.matmul(X, ops.permute(X, (1, 0)), out=buf.A)
        AA = ops.matmul(A, A, out=buf.AA)
        AA = ops.multiply(AA, c, out=AA)
        A = ops.multiply(A, b, out=A)
        A = ops.add(A, AA, out=A)  # b A + c A @ A
        BX = ops.matmul(A, X, out=buf.BX)
        X = ops.multiply(X, a, out=X)
        X = ops.add(X, BX, out=X)
    return X if wide else ops.permute(X, (1, 0))


class _Work:
    """Newton-Schulz buffers for one shape (numpy); None elsewhere."""

    def __init__(self, shape, dtype, ops):
        r, k = shape
        numpy = ops.is_numpy
        self.X = np.empty((r, k), dtype) if numpy else None
        self.BX = np.empty((r, k), dtype) if numpy else None
        self.A = np.empty((r, r), dtype) if numpy else None
        self.AA = np.empty((r, r), dtype) if numpy else None


def _buffers(work, shape, dtype, ops):
    if work is None:
        return _Work(shape, dtype, ops)
    key = (shape, np.dtype(dtype).name if ops.is_numpy else None)
    if key not in work:
        work[key] = _Work(shape, dtype, ops)
    return work[key]


class Muon(_Optimizer):
    """Muon on the hidden weight matrices, AdamW on every other parameter.

    For each matrix ``W`` of ``matrices``, with ``g`` its gradient::

        B <- momentum * B + g
        U = g + momentum * B  (Nesterov's look-ahead; ``U = B`` without it)
        W <- (1 - lr * weight_decay) * W - lr * 0.2 * sqrt(max(m, n)) * NS(U)

    where ``NS(U)`` is :func:`newton_schulz` and ``(m, n)`` is ``W``'s shape.
    An orthogonal ``m x n`` matrix has a root mean square entry of
    ``1 / sqrt(max(m, n))``, so the factor ``0.2 sqrt(max(m, n))`` gives the
    update an RMS of ``0.2 lr``, about that of an AdamW step (the rule of Liu
    et al., 2025; "match_rms_adamw" in PyTorch's Muon): one
    ``learning_rate_init`` and one ``alpha`` then serve both parts, at the
    values that suit AdamW. The rest of ``params`` takes
    :class:`~skscratch.core.optimizers.AdamW`'s step, with the same decay of
    the entries of ``decay_slice``.

    Parameters
    ----------
    n_params : int
        Length of the parameter vector.
    schedule : schedule object
    matrices : sequence of (slice, tuple)
        Where each matrix lies in the flat parameter vector (a contiguous
        slice, row-major) and its shape ``(m, n)``; the slices must not overlap.
    momentum : float, default=0.95
    nesterov : bool, default=True
    weight_decay : float, default=0.01
        Decoupled decay of the entries of ``decay_slice`` (the matrices among them).
    decay_slice : slice, default=slice(None)
    beta_1, beta_2, epsilon : float
        AdamW's, for the parameters outside ``matrices``.
    ns_steps : int, default=5
        Newton-Schulz iterations.
    dtype : dtype, default=np.float64
    ops : NumpyOps or ArrayAPIOps, default=NUMPY

    Attributes
    ----------
    B : list of array
        The momentum of each matrix, in its shape.
    adamw : list of (slice, AdamW)
        The AdamW optimizer of each stretch of ``params`` between the matrices.
    """

    def __init__(
        self,
        n_params,
        schedule,
        matrices=(),
        momentum=0.95,
        nesterov=True,
        weight_decay=0.01,
        decay_slice=slice(None),
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        ns_steps=5,
        dtype=np.float64,
        ops=NUMPY,
    ):
        super().__init__(schedule, ops)
        self.matrices = _checked(matrices, n_params)
        self.momentum = momentum
        self.nesterov = nesterov
        self.weight_decay = weight_decay
        self.decay_slice = decay_slice
        self.ns_steps = ns_steps
        self.B = [ops.zeros(shape, dtype) for _, shape in self.matrices]
        decayed = range(n_params)[decay_slice]
        self.adamw = [
            (
                rest,
                AdamW(
                    rest.stop - rest.start,
                    schedule,
                    weight_decay,
                    _within(rest, decayed, relative=True),
                    beta_1,
                    beta_2,
                    epsilon,
                    dtype,
                    ops,
                ),
            )
            for rest in _gaps(self.matrices, n_params)
        ]
        self._decayed = [_within(where, decayed) for where, _ in self.matrices]
        self._work = {}

    def state_dict(self):
        """The momenta ``B``, each AdamW part's state, the rate."""
        return {
            "B": [self._copy(B) for B in self.B],
            "adamw": [optimizer.state_dict() for _, optimizer in self.adamw],
            "learning_rate": self.schedule.learning_rate,
            "epochs_done": self.schedule.epochs_done,
        }

    def load_state_dict(self, state):
        """Resume from a :meth:`state_dict` of a Muon of the same matrices."""
        shapes = [tuple(np.shape(B)) for B in state["B"]]
        if shapes != [shape for _, shape in self.matrices] or len(state["adamw"]) != len(
            self.adamw
        ):
            raise ValueError("The saved Muon state is for other matrices.")
        self.B = [self._copy(B, device=True) for B in state["B"]]
        for (_, optimizer), saved in zip(self.adamw, state["adamw"]):
            optimizer.load_state_dict(saved)
        self.schedule.learning_rate = state["learning_rate"]
        self.schedule.epochs_done = state["epochs_done"]

    def step(self, params, grad):
        """Update ``params`` in place from ``grad``."""
        for rest, optimizer in self.adamw:
            optimizer.step(params[rest], grad[rest])
        ops, xp, lr, mu = self.ops, self.ops.xp, self.learning_rate, self.momentum
        for k, ((where, shape), decayed) in enumerate(zip(self.matrices, self._decayed)):
            g = xp.reshape(grad[where], shape)
            B = ops.multiply(self.B[k], mu, out=self.B[k])
            B = self.B[k] = ops.add(B, g, out=B)
            U = B
            if self.nesterov:
                U = ops.multiply(B, mu, out=self._scratch_for(shape))
                U = ops.add(U, g, out=U)
            Q = newton_schulz(U, self.ns_steps, ops, self._work)
            if self.weight_decay and decayed.stop > decayed.start:
                params[decayed] *= 1.0 - lr * self.weight_decay
            Q = ops.multiply(Q, lr * RMS_MATCH * math.sqrt(max(shape)), out=Q)
            if ops.is_numpy:
                W = params[where].reshape(shape)  # a view
                W -= Q
            else:
                params[where] -= xp.reshape(Q, (-1,))

    def _scratch_for(self, shape):
        """A work matrix of ``shape`` (numpy), reused; None elsewhere."""
        if not self.ops.is_numpy:
            return None
        if self._scratch is None:
            self._scratch = {}
        if shape not in self._scratch:
            self._scratch[shape] = np.empty(shape, self.B[0].dtype)
        return self._scratch[shape]


def _checked(matrices, n_params):
    """``matrices`` as a sorted list of ``(slice, shape)``; ValueError if they are not
    contiguous, in range, of their shape's size, and disjoint."""
    checked = []
    for where, shape in matrices:
        start, stop, step = where.indices(n_params)
        shape = tuple(int(n) for n in shape)
        if step != 1 or len(shape) != 2 or stop - start != math.prod(shape):
            raise ValueError(
                f"A matrix must be a contiguous slice of its shape's size; got {where} "
                f"for shape {shape}."
            )
        checked.append((slice(start, stop), shape))
    checked.sort(key=lambda entry: entry[0].start)
    for (first, _), (second, _) in zip(checked, checked[1:]):
        if second.start < first.stop:
            raise ValueError(f"The matrices at {first} and {second} overlap.")
    return checked


def _gaps(matrices, n_params):
    """The slices of ``range(n_params)`` that no matrix covers, in order."""
    gaps, start = [], 0
    for where, _ in matrices:
        if where.start > start:
            gaps.append(slice(start, where.start))
        start = where.stop
    if start < n_params:
        gaps.append(slice(start, n_params))
    return gaps


def _within(part, whole, relative=False):
    """The entries of the range ``whole`` that lie in the slice ``part``, as a slice
    of the whole vector (or, ``relative``, from ``part``'s start); may be empty."""
    start = max(part.start, whole.start) if len(whole) else part.stop
    stop = max(start, min(part.stop, whole.stop)) if len(whole) else part.stop
    shift = part.start if relative else 0
    return slice(start - shift, stop - shift)
