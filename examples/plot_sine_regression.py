"""
===========================================
Fitting a curve: 0.4 sin(x) + 0.5 on [0, 7]
===========================================

One of the from-scratch networks skscratch grew out of learned the curve
``0.4 sin(x) + 0.5`` on ``[0, 7]`` with a ``(1, 10, 10, 10, 1)`` network of
logistic units, 10,000 epochs of full-batch gradient descent, and reached a mean
absolute error of 0.0003. It also showed what such a network cannot do: outside
the range it was trained on, it does not continue the wave.

Here the same architecture is a :class:`~skscratch.ScratchMLPRegressor` with
three hidden layers of 10 logistic units, trained with Adam in mini-batches of 50
for 3,000 epochs while a cosine schedule (``learning_rate="cosine"``) anneals the
step size to 0, which settles the weights into the fit.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np

from skscratch import ScratchMLPRegressor


def truth(x):
    return 0.4 * np.sin(x) + 0.5


x_train = np.linspace(0, 7, 200)
y_train = truth(x_train)

model = ScratchMLPRegressor(
    hidden_layer_sizes=(10, 10, 10),
    activation="logistic",
    alpha=0.0,
    learning_rate_init=0.01,
    learning_rate="cosine",
    batch_size=50,
    max_iter=3000,
    tol=0,
    n_iter_no_change=np.inf,  # run all 3000 epochs: the schedule decides
    random_state=0,
)
start = time.perf_counter()
with warnings.catch_warnings():
    # Reaching max_iter is the plan with a cosine schedule, not a failure.
    warnings.simplefilter("ignore", category=UserWarning)
    model.fit(x_train[:, np.newaxis], y_train)
print(f"{model.n_iter_} epochs in {time.perf_counter() - start:.2f} s")

# %%
# Inside the training range
# -------------------------
# On 1,000 fresh points of ``[0, 7]`` the fitted curve is within about
# 0.0005 of the truth on average (the seed reached 0.0003 after 10,000 epochs).
x_test = np.linspace(0, 7, 1000)
error = np.abs(model.predict(x_test[:, np.newaxis]) - truth(x_test))
print(f"mean absolute error on [0, 7]: {error.mean():.5f} (largest {error.max():.5f})")

# %%
# And beyond it
# -------------
# Past ``x = 7`` the logistic units saturate and the prediction flattens out:
# a network fits the data it saw, it does not find the formula.
x_wide = np.linspace(-1, 14, 1500)
fig, (top, bottom) = plt.subplots(
    2, 1, figsize=(9, 6), sharex=True, height_ratios=[3, 1], layout="constrained"
)
top.axvspan(0, 7, color="0.92", label="training range")
top.plot(x_wide, truth(x_wide), color="black", lw=1, ls="--", label="0.4 sin(x) + 0.5")
top.plot(x_wide, model.predict(x_wide[:, np.newaxis]), color="C0", lw=2, label="fitted")
top.plot(x_train[::10], y_train[::10], "o", color="C1", ms=4, label="training points")
top.set_ylabel("y")
top.set_title("ScratchMLPRegressor: 3 hidden layers of 10 logistic units, Adam, cosine")
top.set_ylim(0, 1.45)
top.legend(loc="upper left", ncols=2)
bottom.axvspan(0, 7, color="0.92")
bottom.plot(x_wide, model.predict(x_wide[:, np.newaxis]) - truth(x_wide), color="C0")
bottom.axhline(0, color="black", lw=0.8)
bottom.set_ylim(-0.1, 0.1)
bottom.set_xlabel("x")
bottom.set_ylabel("fitted - truth")
plt.show()
