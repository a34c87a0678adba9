"""
============================================
Training on data that does not fit in memory
============================================

``partial_fit`` trains on one chunk of rows at a time, so a data set need never
be in memory all at once. A Dask array describes such data as blocks that are
read (here: generated) only when a task needs them, and dask-ml's
:class:`~dask_ml.wrappers.Incremental` wrapper calls ``partial_fit`` on them block
after block: one call to its ``partial_fit`` is one pass over the data, holding
one block at a time.

The figure follows held-out accuracy as the rows go by, block by block, for a
plain loop over the blocks, for ``Incremental`` and, as the yardstick, for the
same network trained on the whole array in memory, which this small example can
still afford.

Needs the distributed extra: ``pip install ".[distributed]"`` from a checkout.
"""

import time

import dask
import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from dask_ml.wrappers import Incremental

from skscratch import ScratchMLPClassifier

N_BLOCKS, BLOCK_ROWS, N_FEATURES, PASSES = 20, 10_000, 20, 4

# A fixed random 'teacher' network labels every block, so all blocks follow one
# distribution.
teacher = np.random.RandomState(0)
A, B = teacher.normal(size=(N_FEATURES, 16)), teacher.normal(size=(16, 4))


def make_block(seed):
    """One block of rows and labels; stands for reading a file or a query."""
    X = np.random.RandomState(seed).normal(size=(BLOCK_ROWS, N_FEATURES))
    return X, np.argmax(np.tanh(X @ A) @ B, axis=1)


# %%
# A lazy Dask array
# -----------------
# Nothing is computed yet: each block is a task that makes it on demand.
blocks = [dask.delayed(make_block)(seed) for seed in range(1, N_BLOCKS + 1)]
X = da.concatenate(
    [da.from_delayed(b[0], (BLOCK_ROWS, N_FEATURES), np.float64) for b in blocks]
)
y = da.concatenate([da.from_delayed(b[1], (BLOCK_ROWS,), np.int64) for b in blocks])
print(
    f"X: {X.shape}, {X.nbytes / 2**20:.0f} MiB in {X.numblocks[0]} blocks of "
    f"{X.chunksize[0] * N_FEATURES * 8 / 2**20:.1f} MiB"
)
X_test, y_test = make_block(seed=0)
classes = np.arange(4)


def network():
    return ScratchMLPClassifier((64,), learning_rate_init=0.003, random_state=0)


# %%
# Block by block, by hand
# -----------------------
# What ``Incremental`` does, in a loop: compute one block, ``partial_fit`` on it
# (one epoch over its rows, in mini-batches of 200), forget it.
by_hand, curve = network(), []
start = time.perf_counter()
for _ in range(PASSES):
    for X_block, y_block in zip(X.to_delayed().ravel(), y.to_delayed()):
        X_block, y_block = dask.compute(X_block, y_block)
        by_hand.partial_fit(X_block, y_block, classes=classes)
        curve.append(by_hand.score(X_test, y_test))
print(f"by hand: {time.perf_counter() - start:.1f} s, accuracy {curve[-1]:.3f}")

# %%
# With dask-ml's Incremental
# --------------------------
# Each ``partial_fit`` of the wrapper is one pass over all blocks, in a shuffled
# order; the wrapped network is ``estimator_``.
incremental, incremental_scores = Incremental(network(), random_state=0), []
start = time.perf_counter()
for _ in range(PASSES):
    incremental.partial_fit(X, y, classes=classes)
    incremental_scores.append(incremental.estimator_.score(X_test, y_test))
print(
    f"Incremental: {time.perf_counter() - start:.1f} s, "
    f"accuracy {incremental_scores[-1]:.3f}"
)

# %%
# In memory, for comparison
# -------------------------
# The same network and the same number of epochs over all rows at once, in
# mini-batches drawn from the whole array.
X_all, y_all = dask.compute(X, y)
in_memory, in_memory_scores = network(), []
start = time.perf_counter()
for _ in range(PASSES):
    in_memory.partial_fit(X_all, y_all, classes=classes)
    in_memory_scores.append(in_memory.score(X_test, y_test))
print(
    f"in memory: {time.perf_counter() - start:.1f} s, accuracy {in_memory_scores[-1]:.3f}"
)

# %%
# Accuracy as the rows go by
# --------------------------
# All three take the same number of optimizer steps; only the order of the
# mini-batches differs, and with it the noise of stochastic gradient descent.
# ``Incremental`` visits the blocks in a shuffled order (with
# ``shuffle_blocks=False`` it repeats the loop by hand exactly); while the
# network is still learning, another order moves the accuracy by a percent or
# two, which is why the points do not sit on the line.
rows = np.arange(1, len(curve) + 1) * BLOCK_ROWS / 1e3
passes = np.arange(1, PASSES + 1) * N_BLOCKS * BLOCK_ROWS / 1e3
fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
ax.plot(rows, curve, color="0.5", label="partial_fit per block, by hand")
ax.plot(passes, incremental_scores, "o", ms=8, label="dask-ml Incremental, per pass")
ax.plot(passes, in_memory_scores, "s", ms=6, label="in memory, per epoch")
for boundary in passes[:-1]:
    ax.axvline(boundary, color="0.85", zorder=0)
ax.set_xlabel("rows trained on (thousands)")
ax.set_ylabel("held-out accuracy")
ax.set_title(f"{N_BLOCKS} blocks of {BLOCK_ROWS:,} rows, {PASSES} passes")
ax.legend(loc="lower right")
plt.show()
