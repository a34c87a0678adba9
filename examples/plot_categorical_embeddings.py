"""
===================================================
Learned embeddings for a high-cardinality category
===================================================

A categorical column with hundreds of levels is awkward for an MLP: one-hot
encoded, each level is an input of its own with its own weights, and nothing
is shared between levels that behave alike. skscratch's MLPs give each level
of a categorical column a short vector instead (an *embedding*), learned with
the rest of the network. A pandas Categorical column is enough to ask for it
(``categorical_features="from_dtype"``, the default, as in
:class:`~sklearn.ensemble.HistGradientBoostingClassifier`).

The data come from :func:`skscratch.datasets.make_high_cardinality`: each of
300 levels has a hidden position ``(u, v)``, and the label depends on it
through ``sin(2u)`` (the slope of a numeric column) and ``cos(2v)`` (an
offset). The first figure compares held-out accuracy with embeddings, with a
one-hot encoding into the same MLP (about as accurate here, with a first
layer of 300 inputs where the embedding's table feeds 40), and without the
column. Each model stops early on the same validation set, given to ``fit``
as ``X_val`` and ``y_val`` (nothing else is held out), which also gives the
learning curves. The second figure looks inside: projected onto their two
principal directions, the learned vectors of the levels line up with the
hidden values the network was never shown.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder

from skscratch import ScratchMLPClassifier
from skscratch.datasets import make_high_cardinality

X, y, latent = make_high_cardinality(
    12_000, n_levels=300, as_frame=True, return_latent=True, random_state=0
)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
X_train, X_val, y_train, y_val = train_test_split(
    X_train, y_train, test_size=0.2, random_state=0
)
settings = dict(
    hidden_layer_sizes=(32,),
    alpha=1e-3,
    max_iter=40,
    early_stopping=True,
    n_iter_no_change=4,
    random_state=0,
)

embedded = ScratchMLPClassifier(**settings)
embedded.fit(X_train, y_train, X_val=X_val, y_val=y_val)

# The same MLP on a one-hot encoding of the level (its validation set encoded
# alike), and without the level at all.
encoder = ColumnTransformer(
    [("level", OneHotEncoder(handle_unknown="ignore"), ["level"])],
    remainder="passthrough",
).fit(X_train)
one_hot = ScratchMLPClassifier(**settings).fit(
    encoder.transform(X_train),
    y_train,
    X_val=encoder.transform(X_val),
    y_val=y_val,
)
numeric = ["x0", "x1", "x2", "x3"]
numeric_only = ScratchMLPClassifier(**settings).fit(
    X_train[numeric], y_train, X_val=X_val[numeric], y_val=y_val
)

scores = {
    "embeddings": embedded.score(X_test, y_test),
    "one-hot": one_hot.score(encoder.transform(X_test), y_test),
    "level left out": numeric_only.score(X_test[numeric], y_test),
}
for name, score in scores.items():
    print(f"{name:>15}: held-out accuracy {score:.3f}")
table = embedded.embeddings_[0]
print(f"embedding table: {table.shape[0] - 1} levels + 1 unknown, {table.shape[1]} wide")

# %%
# Held-out accuracy, and the losses of the embedding model epoch by epoch.
fig, (ax_scores, ax_history) = plt.subplots(1, 2, figsize=(10, 4))
ax_scores.barh(list(scores), list(scores.values()), color=["C0", "C1", "C7"])
ax_scores.set_xlim(0.5, max(scores.values()) + 0.05)
ax_scores.set_xlabel("held-out accuracy")
ax_scores.invert_yaxis()
for i, score in enumerate(scores.values()):
    ax_scores.text(score + 0.003, i, f"{score:.3f}", va="center")
epochs = [record["epoch"] for record in embedded.history_]
ax_history.plot(epochs, [r["loss"] for r in embedded.history_], label="training loss")
ax_history.plot(
    epochs,
    [r["validation_loss"] for r in embedded.history_],
    label="validation loss (X_val)",
)
ax_history.set_xlabel("epoch")
ax_history.set_ylabel("log-loss")
ax_history.legend()
fig.tight_layout()

# %%
# The learned vectors, one point per level seen in training, projected onto
# their two principal directions and coloured by the hidden value behind each
# level's effect. Rare levels have had few rows to learn from; the marker
# size shows how many.
levels = embedded.categories_[0]
codes = np.array([int(name[1:]) for name in levels])  # "L0042" -> 42
vectors = table[:-1] - table[:-1].mean(axis=0)  # the last row is "unknown"
_, _, directions = np.linalg.svd(vectors, full_matrices=False)
projected = vectors @ directions[:2].T
counts = X_train["level"].value_counts().reindex(levels).to_numpy()
u, v = latent[codes].T
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), sharex=True, sharey=True)
for ax, hidden, title in zip(
    axes, (np.sin(2 * u), np.cos(2 * v)), ("sin(2u): slope of x0", "cos(2v): offset")
):
    points = ax.scatter(
        projected[:, 0], projected[:, 1], c=hidden, s=4 + counts / 4, cmap="coolwarm"
    )
    fig.colorbar(points, ax=ax, label=title)
    ax.set_xlabel("first principal direction")
axes[0].set_ylabel("second principal direction")
fig.suptitle("Learned level vectors, coloured by the hidden values behind the label")
fig.tight_layout()
plt.show()
