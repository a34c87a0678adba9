"""
==========================================
Class weights on an imbalanced problem
==========================================

scikit-learn's MLP has no ``class_weight``; skscratch's classifier does. On a
95/5 problem a plain fit mostly predicts the majority class, while
``class_weight="balanced"`` weighs each class by ``n_samples / (n_classes *
count)`` and finds more of the minority class, at some cost in precision.
"""

from sklearn.datasets import make_classification
from sklearn.metrics import precision_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier

X, y = make_classification(
    4000, n_features=10, weights=[0.95], flip_y=0, class_sep=0.3, random_state=0
)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
print(f"minority class: {y_train.mean():.1%} of {len(y_train)} training samples\n")

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
    print(
        f"{class_weight!s:<14}{recall_score(y_test, predicted):>17.3f}"
        f"{precision_score(y_test, predicted):>20.3f}"
    )
