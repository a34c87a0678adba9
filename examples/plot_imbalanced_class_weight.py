"""
==========================================
Class weights on an imbalanced problem
==========================================

scikit-learn's MLP has no ``class_weight``; skscratch's classifier does. On a
95/5 problem a plain fit mostly predicts the majority class, while
``class_weight="balanced"`` weighs each class by ``n_samples / (n_classes *
count)`` and finds more of the minority class, at some cost in precision. In
the loss a class weight multiplies the sample weights :math:`s_i` of that
class's samples, and with them the output delta (see the :doc:`user guide
<../user_guide>`).

The data have two features, so the figure can show how the weights move the
decision boundary into the majority class.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.metrics import precision_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier

# Two overlapping Gaussian clouds: 1,900 points of the majority class around the
# origin, 100 of the minority class off to one side.
rng = np.random.RandomState(0)
X = np.vstack([rng.normal(0.0, 1.0, (1900, 2)), rng.normal([1.5, 1.0], 0.6, (100, 2))])
y = np.repeat([0, 1], [1900, 100])
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
print(f"minority class: {y_train.mean():.1%} of {len(y_train)} training samples\n")

# %%
# Three weightings
# ----------------
models = {}
print(f"{'class_weight':<14}{'minority recall':>17}{'minority precision':>20}")
for class_weight in (None, "balanced", {0: 1, 1: 5}):
    model = make_pipeline(
        StandardScaler(),
        # A larger step than Adam's default 0.001 converges within max_iter.
        ScratchMLPClassifier(
            (20,),
            class_weight=class_weight,
            learning_rate_init=0.01,
            max_iter=500,
            random_state=0,
        ),
    )
    model.fit(X_train, y_train)
    predicted = model.predict(X_test)
    recall, precision = recall_score(y_test, predicted), precision_score(y_test, predicted)
    models[str(class_weight)] = (model, recall, precision)
    print(f"{class_weight!s:<14}{recall:>17.3f}{precision:>20.3f}")

# %%
# Where each model draws the line
# -------------------------------
# The shaded region is where the model predicts the minority class; the test
# points are drawn over it, the minority class in orange.
fig, axes = plt.subplots(1, 3, figsize=(14, 4.3), sharey=True, layout="constrained")
for ax, (name, (model, recall, precision)) in zip(axes, models.items()):
    DecisionBoundaryDisplay.from_estimator(
        model, X, ax=ax, response_method="predict", cmap="Oranges", alpha=0.35, eps=0.3
    )
    majority, minority = X_test[y_test == 0], X_test[y_test == 1]
    ax.scatter(*majority.T, s=8, color="tab:blue", alpha=0.5, label="majority (95%)")
    ax.scatter(*minority.T, s=18, color="tab:orange", edgecolor="k", label="minority (5%)")
    ax.set_title(
        f"class_weight={name}\nminority recall {recall:.2f}, precision {precision:.2f}"
    )
axes[0].legend(loc="lower left")
plt.show()
