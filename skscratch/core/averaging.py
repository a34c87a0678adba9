"""An exponential moving average of the weights, for prediction.

Training moves the weights ``theta_t`` step by step; with a decay ``d`` in
[0, 1), :class:`WeightAverage` keeps after every step::

    E_t = d E_{t-1} + (1 - d) theta_t,   w_t = d w_{t-1} + (1 - d),   E_0 = w_0 = 0

and the average is ``E_t / w_t`` (``w_t = 1 - d**t``: Adam's bias
correction), the mean of the steps' weights with weights ``d**(t - s)``: the
last ``1 / (1 - d)`` steps or so count, and the starting weights not at all.
The training loop (``skscratch/_training/loops.py``) predicts, scores the
validation set and ends with the average, while the optimizer keeps stepping
from the weights it reached.

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
    sums : list of array
        ``E_t``, one per vector.
    weight : float
        ``w_t = 1 - d**t`` (kept as a sum, so that a changed ``decay`` carries on).
    """

    def __init__(self, vectors, decay, ops=NUMPY):
        self.vectors = list(vectors)
        self.decay = float(decay)
        self.ops = ops
        self.sums = [ops.zeros(v.shape, v.dtype) for v in self.vectors]
        self.weight = 0.0
        self._held = None  # the trained weights while the average stands in
        self._scratch = [None] * len(self.vectors)

    def update(self):
        """Take the vectors' current values into the average (after a step)."""
        ops, d = self.ops, self.decay
        for i, (E, v) in enumerate(zip(self.sums, self.vectors)):
            if ops.is_numpy and self._scratch[i] is None:
                self._scratch[i] = np.empty_like(v)
            E *= d
            E += ops.multiply(v, 1.0 - d, out=self._scratch[i])
        self.weight = d * self.weight + (1.0 - d)

    def swap_in(self):
        """Put the average into the vectors, keeping their trained values aside.

        Nothing happens before the first :meth:`update`, or while the average
        already stands in.
        """
        if self._held is not None or not self.weight:
            return
        ops = self.ops
        self._held = [ops.copy(v) for v in self.vectors]
        for E, v in zip(self.sums, self.vectors):
            averaged = ops.divide(E, self.weight, out=v if ops.is_numpy else None)
            if not ops.is_numpy:
                v[...] = averaged

    def take_back(self):
        """Put the trained values back into the vectors (after :meth:`swap_in`)."""
        if self._held is None:
            return
        for held, v in zip(self._held, self.vectors):
            v[...] = held
        self._held = None

    def state_dict(self):
        """Copies of the sums, the weight, and the trained values (``None`` when the
        vectors hold them)."""
        held = None if self._held is None else [self.ops.copy(v) for v in self._held]
        return {
            "sums": [self.ops.copy(E) for E in self.sums],
            "weight": self.weight,
            "trained": held,
        }

    def load_state_dict(self, state):
        """Resume from a :meth:`state_dict`: the vectors take the trained values
        back (the average stood in for them) and the average goes on.

        Raises
        ------
        ValueError
            When the saved vectors have other shapes than these.
        """
        shapes = [tuple(E.shape) for E in state["sums"]]
        if shapes != [tuple(v.shape) for v in self.vectors]:
            raise ValueError("The saved weight average is for other vectors.")
        ops = self.ops
        self.sums = [
            ops.copy(ops.asarray(E, dtype=v.dtype))
            for E, v in zip(state["sums"], self.vectors)
        ]
        self.weight = float(state["weight"])
        self._held = None
        if state["trained"] is not None:
            for saved, v in zip(state["trained"], self.vectors):
                v[...] = ops.asarray(saved, dtype=v.dtype)
