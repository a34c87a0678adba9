"""How models_530eb81.pkl was made: small models fitted by skscratch at commit 530eb81
(before the package was reorganised, issue 26), pickled with the data they predict and
their outputs, for tests/test_saved_models.py.

    python3.11 -m venv /work/venv126
    /work/venv126/bin/pip install numpy==1.26.4 scikit-learn==1.9.1 scipy==1.14.1 \
        pandas==2.2.3 narwhals threadpoolctl
    mkdir /tmp/old530 && git archive 530eb81 skscratch | tar -x -C /tmp/old530
    cd /tmp && PYTHONPATH=/tmp/old530 /work/venv126/bin/python \
        /path/to/tests/data/make_models_530eb81.py /path/to/tests/data/models_530eb81.pkl

numpy 1 pickles load on numpy 2 as well, numpy 2's do not on numpy 1 (the floor that CI
tests), hence numpy 1.26.4. The versions used are recorded in the file (``versions``).

The models cover every estimator, every solver, every layer kind of 530eb81's
``LAYERS`` (recorded as ``layer_kinds``), every activation and learning-rate schedule,
both parametrizations, target scaling, label smoothing, class weights, multilabel,
string and boolean labels, the three regression losses, float32 and float64 X, and a
pandas frame of numbers with missing values, text, booleans and a Categorical. Each
entry holds the pickled model (bytes, so that one model that cannot load does not stop
the others), the data it was fitted on (60 rows), the data it predicts (the first 8
training rows, then 120 new rows, with missing values in a column that had none and
categories not seen in the fit) and its outputs on all of it and on its first row alone
(the one-row fast path).
"""

import pickle
import platform
import sys
import warnings

import numpy as np


def _data():
    """The training and prediction data, drawn from one seed."""
    import pandas as pd

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    X_new = rng.normal(size=(120, 4))
    y3 = np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)]
    ybin = (X[:, 0] + X[:, 1] > 0).astype(int)
    ymulti = (X[:, :3] > 0).astype(int)
    yreg = np.column_stack([X[:, 0] - X[:, 1], X[:, 2] ** 2])
    ybig = 1000.0 + 300.0 * np.column_stack([X[:, 0] * X[:, 1], X[:, 3]])
    ycount = rng.poisson(np.exp(0.5 * X[:, 0])).astype(float)
    yhuber = 2 * X[:, 0] - X[:, 2]
    yhuber[::10] += 8.0  # outliers

    # Integer codes in column 3 (a categorical feature by index); 7 is never seen in fit.
    Xcodes = X.copy()
    Xcodes[:, 3] = rng.randint(0, 4, size=60)
    Xcodes_new = X_new.copy()
    Xcodes_new[:, 3] = np.resize([0, 1, 2, 3, 7], len(X_new))

    Xnan, Xnan_new = X.copy(), X_new.copy()
    Xnan[::7, 0] = np.nan
    Xnan[3::5, 2] = np.nan
    Xnan_new[::3, 0] = np.nan
    Xnan_new[1::4, 1] = np.nan  # no missing value in this column at fit

    def frame(Z, cities, flags, grades):
        df = pd.DataFrame({"income": np.exp(Z[:, 0] + 3), "age": 40 + 10 * Z[:, 1]})
        df["city"] = pd.array(cities, dtype=object)
        df["member"] = np.asarray(flags, dtype=bool)
        df["grade"] = pd.Categorical(grades, categories=["low", "mid", "high"])
        df["score"] = Z[:, 2]
        return df

    cities = rng.choice(["Oslo", "Lima", "Pune"], size=60).astype(object)
    cities[5::11] = None
    grades = rng.choice(["low", "mid", "high"], size=60).astype(object)
    grades[::9] = np.nan
    df = frame(X, cities, X[:, 3] > 0, grades)
    df.loc[::6, "income"] = np.nan
    df.loc[4::13, "age"] = np.nan
    new_cities = np.resize(
        np.array(["Oslo", "Lima", "Pune", "Kyiv", None], dtype=object), 120
    )
    new_grades = np.resize(np.array(["low", "mid", "high", np.nan], dtype=object), 120)
    df_new = frame(X_new, new_cities, X_new[:, 3] > 0, new_grades)
    df_new.loc[::4, "income"] = np.nan
    df_new.loc[1::5, "score"] = np.nan  # no missing value in this column at fit
    ydf = np.where(df["city"].eq("Lima") ^ (X[:, 0] > 0), "yes", "no")
    ydf_reg = np.nan_to_num(df["income"].to_numpy(), nan=20.0) + 5 * X[:, 1]

    def predict_on(A, A_new):
        if isinstance(A, pd.DataFrame):
            return pd.concat([A.iloc[:8], A_new], ignore_index=True)
        return np.concatenate([A[:8], A_new])

    data = {
        "X": (X, X_new),
        "X32": (X.astype(np.float32), X_new.astype(np.float32)),
        "Xcodes": (Xcodes, Xcodes_new),
        "Xnan": (Xnan, Xnan_new),
        "Xnan32": (Xnan.astype(np.float32), Xnan_new.astype(np.float32)),
        "df": (df, df_new),
    }
    data = {name: (A, predict_on(A, A_new)) for name, (A, A_new) in data.items()}
    targets = {
        "y3": y3,
        "ybin": ybin,
        "ybool": ybin.astype(bool),
        "ymulti": ymulti,
        "yreg": yreg,
        "ybig": ybig,
        "ycount": ycount,
        "yhuber": yhuber,
        "ydf": ydf,
        "ydf_reg": ydf_reg,
    }
    return data, targets


def _specs():
    """name -> (estimator, parameters, X name, y name, what the model covers)."""
    small = {"max_iter": 8, "random_state": 0}
    return {
        "clf_adam_batchnorm_dropout_strings": (
            "ScratchMLPClassifier",
            dict(
                hidden_layer_sizes=(8, 6),
                activation=["relu", "tanh"],
                batch_norm=[True, False],
                dropout=[0.1, 0.2],
                batch_size=16,
                **small,
            ),
            "X",
            "y3",
            "adam; dense, batch_norm (per layer), activation list, dropout list; "
            "string labels; float64",
        ),
        "clf_sgd_residual_float32": (
            "ScratchMLPClassifier",
            dict(
                hidden_layer_sizes=(6, 6, 6),
                activation="elu",
                solver="sgd",
                learning_rate="invscaling",
                learning_rate_init=0.05,
                residual=True,
                batch_size=20,
                **small,
            ),
            "X32",
            "ybin",
            "sgd (Nesterov), invscaling; residual; elu; binary int labels; float32",
        ),
        "clf_lbfgs_ntk_multilabel": (
            "ScratchMLPClassifier",
            dict(
                hidden_layer_sizes=(7,),
                activation="gelu",
                solver="lbfgs",
                parametrization="ntk",
                max_iter=30,
                random_state=0,
            ),
            "X",
            "ymulti",
            "lbfgs; parametrization='ntk'; gelu; multilabel",
        ),
        "clf_adamw_smoothing_feature_scale": (
            "ScratchMLPClassifier",
            dict(
                hidden_layer_sizes=(8,),
                activation="selu",
                solver="adamw",
                alpha=0.01,
                learning_rate="cosine",
                learning_rate_init=0.01,
                label_smoothing=0.1,
                feature_scale=True,
                class_weight={"a": 1.0, "b": 2.0, "c": 0.5},
                **small,
            ),
            "X",
            "y3",
            "adamw, cosine; label_smoothing; feature_scale; class_weight; selu",
        ),
        "clf_rmsprop_plr_embedding": (
            "ScratchMLPClassifier",
            dict(
                hidden_layer_sizes=(8,),
                activation="mish",
                solver="rmsprop",
                learning_rate="one_cycle",
                learning_rate_init=0.01,
                numeric_embedding="plr",
                numeric_embedding_frequencies=3,
                numeric_embedding_dim=3,
                categorical_features=[3],
                embedding_dim=2,
                **small,
            ),
            "Xcodes",
            "ybin",
            "rmsprop, one_cycle; periodic_embedding 'plr'; embedding of integer codes "
            "(an unseen code at predict); mish",
        ),
        "clf_adam_early_stopping_float32": (
            "ScratchMLPClassifier",
            dict(
                hidden_layer_sizes=(8,),
                activation="leaky_relu",
                early_stopping=True,
                validation_scoring="neg_log_loss",
                learning_rate_init=0.01,
                **small,
            ),
            "X32",
            "y3",
            "adam; early stopping on neg_log_loss (best weights kept); leaky_relu; "
            "string labels; float32",
        ),
        "reg_adam_pbld_target_scaling": (
            "ScratchMLPRegressor",
            dict(
                hidden_layer_sizes=(6,),
                activation="logistic",
                learning_rate="coslog4",
                learning_rate_init=0.01,
                numeric_embedding="pbld",
                numeric_embedding_frequencies=4,
                numeric_embedding_dim=3,
                target_scaling="standard",
                **small,
            ),
            "X",
            "ybig",
            "adam, coslog4; periodic_embedding 'pbld'; target_scaling; logistic; 2 outputs",
        ),
        "reg_sgd_poisson_float32": (
            "ScratchMLPRegressor",
            dict(
                hidden_layer_sizes=(5,),
                solver="sgd",
                loss="poisson",
                learning_rate="adaptive",
                nesterovs_momentum=False,
                target_scaling="standard",
                **small,
            ),
            "X32",
            "ycount",
            "sgd (momentum), adaptive; Poisson loss with target_scaling; float32",
        ),
        "reg_lbfgs_huber_batchnorm": (
            "ScratchMLPRegressor",
            dict(
                hidden_layer_sizes=(6, 4),
                activation="tanh",
                solver="lbfgs",
                loss="huber",
                batch_norm=True,
                max_iter=25,
                random_state=0,
            ),
            "X",
            "yhuber",
            "lbfgs; Huber loss; batch_norm (full batch); tanh",
        ),
        "reg_rmsprop_missing_robust": (
            "ScratchMLPRegressor",
            dict(
                hidden_layer_sizes=(6,),
                activation="identity",
                solver="rmsprop",
                handle_missing="indicator",
                numeric_scaling="robust",
                **small,
            ),
            "Xnan",
            "yreg",
            "rmsprop; impute_missing (NaN in X, also in a column without NaN at fit); "
            "robust_scale 'robust'; identity; 2 outputs",
        ),
        "reg_adamw_missing_smooth_clip_ntk_float32": (
            "ScratchMLPRegressor",
            dict(
                hidden_layer_sizes=(6, 6),
                solver="adamw",
                handle_missing="indicator",
                numeric_scaling="smooth_clip",
                parametrization="ntk",
                learning_rate_init=0.04,
                dropout=0.1,
                **small,
            ),
            "Xnan32",
            "yhuber",
            "adamw; impute_missing and robust_scale 'smooth_clip'; ntk; dropout; "
            "float32 with NaN",
        ),
        "tabular_clf_frame": (
            "TabularMLPClassifier",
            dict(hidden_layer_sizes=(8, 8), batch_size=16, **small),
            "df",
            "ydf",
            "TabularMLPClassifier's recipe (adamw, cosine, dropout, early stopping, "
            "impute_missing, smooth_clip, pbld, embeddings) on a pandas frame with "
            "NaN, text (with None), bool and Categorical (with NaN) columns; unseen "
            "categories at predict",
        ),
        "tabular_reg_frame_plr": (
            "TabularMLPRegressor",
            dict(hidden_layer_sizes=(6,), numeric_embedding="plr", batch_size=16, **small),
            "df",
            "ydf_reg",
            "TabularMLPRegressor's recipe (target_scaling too) with 'plr' on the frame",
        ),
        "tabular_clf_residual_float32": (
            "TabularMLPClassifier",
            dict(
                hidden_layer_sizes=(6, 6),
                residual=True,
                batch_norm=True,
                batch_size=16,
                **small,
            ),
            "Xnan32",
            "ybool",
            "TabularMLPClassifier on a float32 array with NaN; residual with batch_norm "
            "inside; boolean labels",
        ),
    }


def _kinds(records):
    kinds = set()
    for record in records:
        kinds.add(record["kind"])
        kinds |= _kinds(record.get("layers", []))
    return kinds


def main(path):
    import narwhals
    import pandas as pd
    import scipy
    import sklearn
    import threadpoolctl
    from sklearn.exceptions import ConvergenceWarning

    import skscratch
    from skscratch.core.layers import LAYERS

    # Few epochs on purpose: the models need not converge, only be fitted.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    warnings.filterwarnings("error", category=RuntimeWarning)
    data, targets = _data()
    out, covered = {}, set()
    for name, (estimator, params, X_name, y_name, covers) in _specs().items():
        model = getattr(skscratch, estimator)(**params).fit(
            data[X_name][0], targets[y_name]
        )
        X = data[X_name][1]
        first = X.iloc[:1] if isinstance(X, pd.DataFrame) else X[:1]
        entry = {
            "estimator": estimator,
            "covers": covers,
            "X_fit": X_name,
            "y_fit": y_name,
            "model": pickle.dumps(model),
            "X": X,
            "predict": model.predict(X),
            "predict_one": model.predict(first),
        }
        if hasattr(model, "predict_proba"):
            entry["predict_proba"] = model.predict_proba(X)
            entry["predict_proba_one"] = model.predict_proba(first)
        covered |= _kinds(model.layers_)
        out[name] = entry
    if covered != set(LAYERS):
        raise RuntimeError(f"layer kinds not covered: {sorted(set(LAYERS) - covered)}")
    blas = [
        {key: info.get(key) for key in ("internal_api", "version", "architecture")}
        for info in threadpoolctl.threadpool_info()
    ]
    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "pandas": pd.__version__,
        "narwhals": narwhals.__version__,
        "blas": blas,
    }
    with open(path, "wb") as f:
        pickle.dump(
            {
                "commit": "530eb81",
                "versions": versions,
                "layer_kinds": sorted(LAYERS),
                "data": {name: fit for name, (fit, _) in data.items()},
                "y": targets,
                "models": out,
            },
            f,
            protocol=4,
        )
    print(versions)
    print({name: len(entry["model"]) for name, entry in out.items()})


if __name__ == "__main__":
    main(sys.argv[1])
