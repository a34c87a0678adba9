"""
===========================
Dropout against overfitting
===========================

A network with far more weights than training points learns the noise of its
training set: its training loss keeps falling while its loss on fresh data turns
back up. Dropout (``dropout=p``) zeroes each hidden unit with probability ``p``
at every training step, and scales the others by ``1 / (1 - p)``, so no unit can
rely on a particular other one; prediction uses the whole network unchanged (see
the :doc:`user guide <../user_guide>`).

Here two hidden layers of 128 units learn 100 noisy points of two half-moons,
with and without dropout, one epoch per ``partial_fit`` so that both losses can
be measured after every epoch.

``random_state`` is a :class:`~numpy.random.RandomState` instance here, not an
int: with an int, every ``partial_fit`` call starts the random stream afresh
(as scikit-learn's MLP does), so each epoch would draw the very same dropout
masks, in the same batch order; an instance carries on from call to call.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.metrics import log_loss

from skscratch import ScratchMLPClassifier

X_train, y_train = make_moons(100, noise=0.35, random_state=0)
X_test, y_test = make_moons(500, noise=0.35, random_state=1)
N_EPOCHS = 100

# %%
# Training, epoch by epoch
# ------------------------
models, losses = {}, {}
for rate in (0.0, 0.5):
    model = ScratchMLPClassifier(
        (128, 128),
        dropout=rate,
        learning_rate_init=0.01,
        batch_size=50,
        random_state=np.random.RandomState(0),
    )
    train, test = [], []
    for _ in range(N_EPOCHS):
        model.partial_fit(X_train, y_train, classes=[0, 1])
        train.append(log_loss(y_train, model.predict_proba(X_train)))
        test.append(log_loss(y_test, model.predict_proba(X_test)))
    models[rate], losses[rate] = model, (train, test)
    best = int(np.argmin(test))
    print(
        f"dropout={rate}: test log-loss {test[-1]:.3f} after {N_EPOCHS} epochs "
        f"(lowest {test[best]:.3f}, epoch {best + 1})\n"
        f"    accuracy train {model.score(X_train, y_train):.3f}, "
        f"test {model.score(X_test, y_test):.3f}"
    )

# %%
# Losses and decision boundaries
# ------------------------------
# Without dropout the test loss (solid) turns up after some twenty epochs while
# the training loss (dashed) keeps falling; with dropout the two stay closer and
# the boundary is smoother.
fig, axes = plt.subplots(1, 3, figsize=(15, 4.3), layout="constrained")
epochs = np.arange(1, N_EPOCHS + 1)
for rate, color in [(0.0, "C3"), (0.5, "C0")]:
    train, test = losses[rate]
    axes[0].plot(epochs, train, color=color, ls="--", label=f"dropout={rate}, training")
    axes[0].plot(epochs, test, color=color, label=f"dropout={rate}, test")
axes[0].set_yscale("log")
axes[0].set_xlabel("epoch")
axes[0].set_ylabel("log-loss")
axes[0].set_title("training and test loss")
axes[0].legend()
for ax, rate in zip(axes[1:], (0.0, 0.5)):
    DecisionBoundaryDisplay.from_estimator(
        models[rate],
        X_test,
        ax=ax,
        response_method="predict_proba",
        cmap="RdBu",
        alpha=0.5,
        eps=0.2,
    )
    ax.scatter(*X_train.T, c=y_train, cmap="RdBu", edgecolor="k", linewidth=0.5, s=20)
    ax.set_title(f"dropout={rate}: test accuracy {models[rate].score(X_test, y_test):.3f}")
plt.show()
