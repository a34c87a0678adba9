"""An exponential moving average of the weights, for prediction.

Training moves the weights ``theta_t`` step by step; with a decay ``d`` in
[0, 1), :class:`WeightAverage` keeps after every step the bias-corrected
average ``A_t = E_t / w_t`` of::

    E_t = d E_{t-1} + (1 - d) theta_t,   w_t = d w_{t-1} + (1 - d),   E_0 = w_0 = 0

(``w_t = 1 - d**t``: Adam's bias correction), the mean of the steps' weights
with weights ``d**(t - s)``: the last ``1 / (1 - d)`` steps or so count, and
the starting weights not at all. It is kept as the mean itself, updated by
``A_t = A_{t-1} + (1 - d) / w_t * (theta_t - A_{t-1})`` (the same numbers), so
that a value that does not move (an input layer's median) stays exactly
itself. The training loop (``skscratch/_training/loops.py``) predicts, scores
the validation set and ends with the average, while the optimizer keeps
stepping from the weights it reached.

The user guide's section "A moving average of the weights" derives it.
"""

import numpy as np

from .backend import NUMPY


class WeightAverage:
    """The bias-corrected exponential moving average of some vectors (a network's
    ``params`` and ``state``), updated in place after every optimizer step.

    Parameters
    ----------
    vectors : sequence of array
        The arrays to average, e.g. ``(net.params, net.state)``; they are
        read at every :meth:`update` and written by :meth:`swap_in` and
        :meth:`take_back`.
    decay : float
        ``d`` in [0, 1); 0 keeps the last step's weights.
    ops : NumpyOps or ArrayAPIOps, default=NUMPY
        The vectors' array library.

    Attributes
    ----------
    means : list of array
        ``A_t``, one per vector (0 before the first :meth:`update`).
    weight : float
        ``w_t = 1 - d**t`` (kept as a sum, so that a changed ``decay`` carries on).
    """

    def __init__(self, vectors, decay, ops=NUMPY):
        self.vectors = list(vectors)
        self.decay = float(decay)
        self.ops = ops
        self.means = [ops.zeros(v.shape, v.dtype) for v in self.vectors]
        self.weight = 0.0
        self._held = None  # the trained weights while the average stands in
        self._scratch = [None] * len(self.vectors)

    def update(self):
        """Take the vectors' current values into the average (after a step)."""
        ops, d = self.ops, self.decay
        self.weight = d * self.weight + (1.0 - d)
        # 1 at the first update, which makes the average the vectors themselves.
        rate = (1.0 - d) / self.weight
        for i, (A, v) in enumerate(zip(self.means, self.vectors)):
            if ops.is_numpy and self._scratch[i] is None:
                self._scratch[i] = np.empty_like(v)
            change = ops.subtract(v, A, out=self._scratch[i])
            change *= rate
            A += change

    def swap_in(self):
        """Put the average into the vectors, keeping their trained values aside.

        Nothing happens before the first :meth:`update`, or while the average
        already stands in.
        """
        if self._held is not None or not self.weight:
            return
        self._held = [self.ops.copy(v) for v in self.vectors]
        for A, v in zip(self.means, self.vectors):
            v[...] = A

    def take_back(self):
        """Put the trained values back into the vectors (after :meth:`swap_in`)."""
        if self._held is None:
            return
        for held, v in zip(self._held, self.vectors):
            v[...] = held
        self._held = None

    def state_dict(self):
        """Copies of the averages, the weight, and the trained values (``None``
        when the vectors hold them)."""
        held = None if self._held is None else [self.ops.copy(v) for v in self._held]
        return {
            "means": [self.ops.copy(A) for A in self.means],
            "weight": self.weight,
            "trained": held,
        }

    def load_state_dict(self, state):
        """Resume from a :meth:`state_dict`: the vectors take the trained values
        back (the average stood in for them) and the average goes on.

        A state saved before the averages were kept as means (its ``"sums"``,
        ``E_t``) is read as ``E_t / w_t``.

        Raises
        ------
        ValueError
            When the saved vectors have other shapes than these.
        """
        ops, weight = self.ops, float(state["weight"])
        if "means" in state:
            means = [ops.asarray(A) for A in state["means"]]
        else:
            means = [ops.asarray(E) / (weight or 1.0) for E in state["sums"]]
        if [tuple(A.shape) for A in means] != [tuple(v.shape) for v in self.vectors]:
            raise ValueError("The saved weight average is for other vectors.")
        self.means = [
            ops.copy(ops.asarray(A, dtype=v.dtype)) for A, v in zip(means, self.vectors)
        ]
        self.weight = weight
        self._held = None
        if state["trained"] is not None:
            for saved, v in zip(state["trained"], self.vectors):
                v[...] = ops.asarray(saved, dtype=v.dtype)
