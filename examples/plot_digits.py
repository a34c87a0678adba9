"""
====================================================
Handwritten digits with the seed's 784-16-10 network
====================================================

One of the from-scratch networks skscratch grew out of read MNIST's 28 x 28
handwritten digits with a ``784-16-10`` network: 16 ReLU units, mini-batches of
64, two thirds of the images to train on and one third to validate, and 94%
validation accuracy after 50 epochs.

The same network here is a :class:`~skscratch.ScratchMLPClassifier` with
``hidden_layer_sizes=(16,)`` and ``batch_size=64``. MNIST comes from OpenML
through :func:`~sklearn.datasets.fetch_openml`, which needs the network (or a
copy that an earlier run left in scikit-learn's data folder); where it cannot be
had, within a few seconds, the example falls back on scikit-learn's own
:func:`~sklearn.datasets.load_digits`, 1,797 digits of 8 x 8 pixels that ship
with scikit-learn, and the network becomes ``64-16-10``. The output says which
data set it used.

The seed's output layer was 10 logistic units; the classifier's is a softmax
with the cross-entropy loss, as scikit-learn's ``MLPClassifier`` has it.
"""

import socket
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import fetch_openml, load_digits
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import train_test_split

from skscratch import ScratchMLPClassifier


def load_data(timeout=5.0):
    """MNIST from OpenML if it can be fetched in time, else scikit-learn's digits."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)  # fetch_openml has no timeout of its own
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its "network error, retrying" note
            X, y = fetch_openml(
                "mnist_784", version=1, return_X_y=True, as_frame=False, n_retries=1
            )
        return X / 255.0, y.astype(int), "MNIST (OpenML)", 28
    except Exception as error:  # no network, a timeout, a server error ...
        print(f"MNIST could not be fetched ({type(error).__name__}): using load_digits")
        X, y = load_digits(return_X_y=True)
        return X / 16.0, y, "scikit-learn's load_digits", 8
    finally:
        socket.setdefaulttimeout(previous)


X, y, source, side = load_data()
X_train, X_val, y_train, y_val = train_test_split(
    X, y, test_size=1 / 3, stratify=y, random_state=0
)
print(f"data: {source}, {X.shape[0]} images of {side} x {side} pixels")
print(
    f"network: {X.shape[1]}-16-10; {len(X_train)} images to train, {len(X_val)} to validate"
)

# %%
# Fifty epochs, one ``partial_fit`` each
# --------------------------------------
# ``partial_fit`` runs one epoch over the data it is given (shuffled, in
# mini-batches of ``batch_size``), so a loop over it is the seed's own training
# loop, with the validation accuracy measured after every epoch. MNIST is 40
# times larger than the digits; on it the loop stops after 15 epochs to stay short.
model = ScratchMLPClassifier(
    hidden_layer_sizes=(16,), batch_size=64, learning_rate_init=0.003, random_state=0
)
n_epochs = 50 if side == 8 else 15
classes = np.unique(y)
accuracy = []
start = time.perf_counter()
for _ in range(n_epochs):
    model.partial_fit(X_train, y_train, classes=classes)
    accuracy.append(model.score(X_val, y_val))
print(f"{n_epochs} epochs in {time.perf_counter() - start:.1f} s")
print(f"validation accuracy after {n_epochs} epochs: {accuracy[-1]:.3f}")

# %%
# What the network learned
# ------------------------
# Left: training loss and validation accuracy per epoch. Middle: where it errs,
# as a confusion matrix of the validation images. Right: the first validation
# images with their predicted labels, the wrong ones in red.
predicted = model.predict(X_val)
fig = plt.figure(figsize=(13, 4.2), layout="constrained")
curves, matrix, examples = fig.subfigures(1, 3, width_ratios=[1.1, 1, 1])
ax = curves.subplots()
ax.plot(range(1, n_epochs + 1), model.loss_curve_, color="C0")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss", color="C0")
right = ax.twinx()
right.plot(range(1, n_epochs + 1), accuracy, color="C1")
right.set_ylabel("validation accuracy", color="C1")
ax.set_title(f"{source}: {X.shape[1]}-16-10")
ConfusionMatrixDisplay.from_predictions(
    y_val, predicted, ax=matrix.subplots(), colorbar=False
)
for image, label, true, axis in zip(
    X_val, predicted, y_val, examples.subplots(4, 6).ravel()
):
    axis.imshow(image.reshape(side, side), cmap="gray_r")
    axis.set_title(str(label), color="black" if label == true else "red", fontsize=10)
    axis.set_axis_off()
examples.suptitle(f"accuracy {np.mean(predicted == y_val):.3f}")
plt.show()
