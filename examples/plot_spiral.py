"""
==========================================
The 3-class spiral, with a decaying step
==========================================

One of the from-scratch networks skscratch grew out of learned three
interleaved spiral arms with its own ``Dense``, ``ReLU`` and softmax classes and
gradient descent whose learning rate decays as ``lr / (1 + decay * t)``; it named
momentum and Adam as the next step.

Here that network is a :class:`~skscratch.ScratchMLPClassifier` with two hidden
layers of 64 ReLU units, trained full-batch by Adam, and the decay is a callable
``learning_rate``: ``lambda epoch: 1 / (1 + 1e-3 * epoch)`` multiplies
``learning_rate_init`` epoch by epoch. scikit-learn's ``MLPClassifier`` with its
defaults stops at 200 epochs on a constant step and finds little of the spiral;
the figure draws both models' decision regions over the training points and the
schedule, read back from ``history_``.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skscratch import ScratchMLPClassifier
from skscratch.datasets import make_spiral

X, y = make_spiral(100, 3, noise=0.2, random_state=0)
X_test, y_test = make_spiral(1000, 3, noise=0.2, random_state=1)

DECAY = 1e-3
models = {
    "scikit-learn, defaults": MLPClassifier(random_state=0),
    "skscratch, (64, 64), decaying step": ScratchMLPClassifier(
        (64, 64),
        learning_rate_init=0.02,
        learning_rate=lambda epoch: 1 / (1 + DECAY * epoch),
        batch_size=300,  # the whole data set: full-batch, as in the seed
        max_iter=2000,
        tol=0,
        n_iter_no_change=np.inf,  # run all 2000 epochs
        random_state=0,
    ),
}
for name, model in models.items():
    with warnings.catch_warnings():
        # Both run to max_iter: the decaying schedule by design, and
        # scikit-learn's defaults stop at 200 epochs before converging.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    print(f"{name:<36} accuracy on 3000 fresh points: {model.score(X_test, y_test):.3f}")

# %%
# Decision regions and the schedule
# ---------------------------------
# Each model's predicted class on a grid over the plane, with the training points
# on top. The last panel reads the learning rate and the loss of
# every epoch from ``history_``; full-batch Adam makes the odd jump in the loss
# early on, which the shrinking step then keeps from recurring.
colors = ["tab:blue", "tab:orange", "tab:green"]
levels = [-0.5, 0.5, 1.5, 2.5]  # one band per class label
xx, yy = np.meshgrid(np.linspace(-1.15, 1.15, 300), np.linspace(-1.15, 1.15, 300))
grid = np.column_stack([xx.ravel(), yy.ravel()])
fig, axes = plt.subplots(1, 3, figsize=(14, 4.4), layout="constrained")
for ax, (name, model) in zip(axes, models.items()):
    ax.contourf(
        xx,
        yy,
        model.predict(grid).reshape(xx.shape),
        levels=levels,
        colors=colors,
        alpha=0.3,
    )
    ax.scatter(X[:, 0], X[:, 1], c=np.take(colors, y), s=12, edgecolor="k", linewidth=0.3)
    ax.set_title(f"{name}\naccuracy on fresh points {model.score(X_test, y_test):.2f}")
    ax.set_aspect("equal")
history = models["skscratch, (64, 64), decaying step"].history_
epochs = [record["epoch"] for record in history]
ax = axes[2]
ax.plot(epochs, [record["learning_rate"] for record in history], color="C0")
ax.set_xlabel("epoch")
ax.set_ylabel("learning rate: 0.02 / (1 + 0.001 epoch)", color="C0")
loss_ax = ax.twinx()
loss_ax.plot(epochs, [record["loss"] for record in history], color="C3")
loss_ax.set_yscale("log")
loss_ax.set_ylabel("training loss", color="C3")
ax.set_title("skscratch's history_")
plt.show()
