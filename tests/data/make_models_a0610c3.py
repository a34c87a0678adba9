"""How models_a0610c3.pkl was made: small models fitted by skscratch at commit a0610c3
(before ``layers_``), pickled with their outputs, for tests/test_model.py.

    mkdir /tmp/old && git archive a0610c3 skscratch | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old python tests/data/make_models_a0610c3.py \
        tests/data/models_a0610c3.pkl

in a Python 3.11 environment with numpy 1.26.4, scikit-learn 1.9.1, scipy 1.14.1 and
pandas 2.2.3: numpy 1 pickles load on numpy 2 as well, numpy 2's do not on numpy 1 (the
floor that CI tests).
"""

import pickle
import sys
import warnings

import numpy as np


def main(path):
    import pandas as pd

    from skscratch import ScratchMLPClassifier, ScratchMLPRegressor

    warnings.simplefilter("ignore")
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    y3 = np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)]
    yreg = np.column_stack([X[:, 0] - X[:, 1], X[:, 2] ** 2])
    ymulti = (X[:, :3] > 0).astype(int)
    codes = rng.randint(0, 5, size=60)
    frame = pd.DataFrame(X[:, :3], columns=["p", "q", "r"])
    frame["kind"] = pd.Categorical(codes.astype(float))
    ycat = (X[:, 0] + (codes % 2) > 0.5).astype(int)
    models = {
        "adam_warm_dropout": (
            ScratchMLPClassifier(
                (8,), dropout=0.2, warm_start=True, max_iter=20, random_state=0
            ).fit(X, y3),
            X,
        ),
        "rmsprop_regressor": (
            ScratchMLPRegressor(
                hidden_layer_sizes=(6, 5),
                solver="rmsprop",
                activation=["tanh", "gelu"],
                max_iter=20,
                random_state=0,
            ).fit(X, yreg),
            X,
        ),
        "lbfgs_strings": (
            ScratchMLPClassifier(
                (7,), solver="lbfgs", activation="logistic", max_iter=50, random_state=0
            ).fit(X, y3),
            X,
        ),
        "sgd_multilabel": (
            ScratchMLPClassifier((6,), solver="sgd", max_iter=20, random_state=0).fit(
                X, ymulti
            ),
            X,
        ),
        "embedding": (
            ScratchMLPClassifier((8,), max_iter=20, random_state=0).fit(frame, ycat),
            frame,
        ),
        "early_stopping_float32": (
            ScratchMLPClassifier(
                (8,), early_stopping=True, max_iter=30, random_state=0
            ).fit(X.astype(np.float32), y3),
            X.astype(np.float32),
        ),
    }
    out = {}
    for name, (model, data) in models.items():
        expected = (
            model.predict_proba(data)
            if hasattr(model, "predict_proba")
            else model.predict(data)
        )
        out[name] = {
            "model": pickle.dumps(model),
            "X": data,
            "expected": expected,
            "predict": model.predict(data),
        }
    with open(path, "wb") as f:
        pickle.dump(
            {
                "commit": "a0610c3",
                "models": out,
                "y": {"y3": y3, "yreg": yreg, "ymulti": ymulti, "ycat": ycat},
            },
            f,
        )
    print({k: len(v["model"]) for k, v in out.items()})


if __name__ == "__main__":
    main(sys.argv[1])
