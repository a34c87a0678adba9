"""Models fitted and pickled by skscratch at commit 530eb81 predict as they did then.

``tests/data/models_530eb81.pkl`` (made by ``tests/data/make_models_530eb81.py``, whose
docstring says how) holds 14 small fitted models that together cover every estimator,
solver, layer kind, dtype and input form of 530eb81, each with the X it predicts and
its ``predict`` (and ``predict_proba``) outputs on that X and on its first row alone.
The pickles name the private module paths of 530eb81 (``skscratch._classifier``,
``skscratch._regressor``, ``skscratch._tabular``), so these tests also hold those
paths to loading, as the public classes, after the package is reorganised.

The outputs must be bitwise equal (labels and floats alike, dtype included) on the
numpy major version that made them (1.x, recorded in the file) and on the numpy
versions of ``BITWISE_TOO``, checked to reproduce them bitwise. Checked on this
project's x86-64 machines: numpy 2.4.6 (scipy 1.17.1, scikit-learn 1.9.1, pandas 3.1.1)
and the floor pins (numpy 1.24.1, scipy 1.11.1, scikit-learn 1.6.0, pandas 2.3.3) both
reproduce every output bitwise. On other numpy versions, whose BLAS and ufuncs may
round the last bit differently, floats are held to ``rtol=1e-12`` and labels stay
exact.
"""

import pickle
from pathlib import Path

import numpy as np
import pytest

import skscratch

SAVED = Path(__file__).parent / "data" / "models_530eb81.pkl"

#: numpy versions (major.minor) beyond the maker's major seen to give bitwise-equal
#: outputs.
BITWISE_TOO = ("2.4",)


@pytest.fixture(scope="module")
def saved():
    with open(SAVED, "rb") as f:
        return pickle.load(f)


NAMES = [
    "clf_adam_batchnorm_dropout_strings",
    "clf_sgd_residual_float32",
    "clf_lbfgs_ntk_multilabel",
    "clf_adamw_smoothing_feature_scale",
    "clf_rmsprop_plr_embedding",
    "clf_adam_early_stopping_float32",
    "reg_adam_pbld_target_scaling",
    "reg_sgd_poisson_float32",
    "reg_lbfgs_huber_batchnorm",
    "reg_rmsprop_missing_robust",
    "reg_adamw_missing_smooth_clip_ntk_float32",
    "tabular_clf_frame",
    "tabular_reg_frame_plr",
    "tabular_clf_residual_float32",
]


def _bitwise(saved):
    major = saved["versions"]["numpy"].split(".")[0]
    return np.__version__.split(".")[0] == major or np.__version__.startswith(
        tuple(version + "." for version in BITWISE_TOO)
    )


def _first_row(X):
    return X.iloc[:1] if hasattr(X, "iloc") else X[:1]


def _assert_same(output, expected, bitwise):
    assert output.dtype == expected.dtype and output.shape == expected.shape
    if bitwise or expected.dtype.kind not in "fc":
        np.testing.assert_array_equal(output, expected, strict=True)
    else:
        np.testing.assert_allclose(output, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", NAMES)
def test_a_model_pickled_by_530eb81_predicts_identically(saved, name):
    entry = saved["models"][name]
    model = pickle.loads(entry["model"])
    assert type(model) is getattr(skscratch, entry["estimator"])
    X, bitwise = entry["X"], _bitwise(saved)
    _assert_same(model.predict(X), entry["predict"], bitwise)
    _assert_same(model.predict(_first_row(X)), entry["predict_one"], bitwise)
    if "predict_proba" in entry:
        _assert_same(model.predict_proba(X), entry["predict_proba"], bitwise)
        _assert_same(
            model.predict_proba(_first_row(X)), entry["predict_proba_one"], bitwise
        )
    # Saved again (under today's module paths), it still predicts the same.
    again = pickle.loads(pickle.dumps(model))
    _assert_same(again.predict(X), entry["predict"], bitwise)


def test_the_saved_set_is_whole(saved):
    assert sorted(saved["models"]) == sorted(NAMES)


def test_the_saved_models_cover_every_layer_kind_of_530eb81(saved):
    def kinds(records):
        return {r["kind"] for r in records} | {
            kind for r in records for kind in kinds(r.get("layers", []))
        }

    covered = set()
    for entry in saved["models"].values():
        covered |= kinds(pickle.loads(entry["model"]).layers_)
    assert covered == set(saved["layer_kinds"])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", NAMES)
def test_a_model_pickled_by_530eb81_trains_on(saved, name):
    entry = saved["models"][name]
    model = pickle.loads(entry["model"])
    X, y = saved["data"][entry["X_fit"]], saved["y"][entry["y_fit"]]
    epochs = len(model.history_)
    if model.solver == "lbfgs":  # no partial_fit: a warm fit of two iterations
        loss = model.loss_
        model.set_params(warm_start=True, max_iter=2).fit(X, y)
        # It went on from the saved weights: L-BFGS's steps only lower the loss.
        assert model.n_iter_ == 2 and model.loss_curve_[0] <= loss
    elif model.early_stopping is True:  # no partial_fit either: a warm fit of 2 epochs
        model.set_params(warm_start=True, max_iter=2).fit(X, y)
        assert len(model.history_) == epochs + 2
    else:
        t = model.t_
        model.partial_fit(X, y)
        assert len(model.history_) == epochs + 1 and model.t_ == t + len(y)
    output = model.predict(entry["X"])
    assert output.shape == entry["predict"].shape
    if output.dtype.kind == "f":
        assert np.isfinite(output).all()


def test_every_old_module_path_is_importable_and_reads_as_before():
    # Code (and skops or pickle files) written against the flat modules of
    # 530eb81 and before: import them and reach their names as then.
    import importlib

    import skscratch
    from skscratch._utils.old_paths import OLD_MODULES

    for old, new in OLD_MODULES.items():
        assert importlib.import_module(old) is importlib.import_module(new)
    assert skscratch._classifier.ScratchMLPClassifier is skscratch.ScratchMLPClassifier
    assert skscratch._tabular.TabularMLPRegressor is skscratch.TabularMLPRegressor
    assert callable(skscratch._spec.training_config)
