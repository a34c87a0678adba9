"""scikit-learn's own estimator checks, on both estimators and several solvers."""

import numpy as np
import pytest
from helpers import ARRAY_API_DISPATCH_REFUSAL, torch_device_refusal
from sklearn.utils.estimator_checks import parametrize_with_checks

from skscratch import (
    ScratchMLPClassifier,
    ScratchMLPRegressor,
    TabularMLPClassifier,
    TabularMLPRegressor,
)


def inverse_time_decay(epoch):
    """The seeds' lr / (1 + decay * t) schedule; a module-level function pickles."""
    return 1 / (1 + 0.01 * epoch)


def expected_failures(estimator):
    """Checks that cannot hold for a configuration, each with the reason."""
    failures, reasons = {}, []
    if estimator.early_stopping is True:  # not 'auto', which partial_fit accepts
        partial_fit = (
            "partial_fit refuses early_stopping=True, as scikit-learn's MLP does "
            "(one epoch has no validation curve to stop on)"
        )
        failures["check_fit_score_takes_y"] = partial_fit
        failures["check_n_features_in_after_fitting"] = partial_fit
        failures["check_estimators_partial_fit_n_features"] = partial_fit
    if np.any(np.asarray(estimator.dropout) > 0):
        reasons.append(
            "dropout draws an independent mask per row, so a row of weight 2 and "
            "two copies of it are trained differently; equivalent only in expectation"
        )
    if estimator.early_stopping:
        reasons.append(
            "early stopping holds out rows at random, so a row of weight 2 and two "
            "copies of it (which may land on both sides) make different splits"
        )
    inputs = estimator.handle_missing != "error" or estimator.numeric_scaling is not None
    if inputs or getattr(estimator, "target_scaling", None) is not None:
        reasons.append(
            "the medians, spreads and target statistics of the input layers and "
            "target_scaling are those of the rows, unweighted (as a RobustScaler or "
            "StandardScaler in a pipeline computes them): two copies of a row move "
            "them, a weight of 2 does not"
        )
    if reasons:
        reason = "; ".join(reasons)
        failures["check_sample_weight_equivalence_on_dense_data"] = reason
        failures["check_sample_weight_equivalence_on_sparse_data"] = reason
    return failures


ESTIMATORS = [
    # Default networks with max_iter=100, as scikit-learn checks its own MLPs.
    ScratchMLPClassifier(max_iter=100),
    ScratchMLPRegressor(max_iter=100),
    # Full-batch L-BFGS: a different training loop. A small network keeps it fast.
    ScratchMLPClassifier(hidden_layer_sizes=(10,), solver="lbfgs", max_iter=30),
    ScratchMLPRegressor(hidden_layer_sizes=(10,), solver="lbfgs", max_iter=30),
    # Mini-batch SGD through two tanh layers.
    ScratchMLPClassifier(
        hidden_layer_sizes=(8, 8), activation="tanh", solver="sgd", max_iter=50
    ),
    # skscratch's additions (class_weight is set by sklearn's own
    # check_class_weight_classifiers on every classifier above and below).
    ScratchMLPClassifier(
        hidden_layer_sizes=(16, 8),
        activation=["gelu", "elu"],
        solver="adamw",
        learning_rate="cosine",
        max_iter=200,
    ),
    ScratchMLPRegressor(
        loss="huber",
        hidden_layer_sizes=(16,),
        activation="leaky_relu",
        solver="rmsprop",
        learning_rate=inverse_time_decay,
        max_iter=100,
    ),
    ScratchMLPClassifier(hidden_layer_sizes=(16,), dropout=0.2, max_iter=200),
    # Batch normalization (weighted batch statistics, so the sample-weight checks
    # hold) and residual blocks, with every solver's two loops.
    ScratchMLPClassifier(hidden_layer_sizes=(16, 16), batch_norm=True, max_iter=100),
    ScratchMLPRegressor(
        hidden_layer_sizes=(16, 16, 16), batch_norm=True, residual=True, max_iter=100
    ),
    ScratchMLPClassifier(
        hidden_layer_sizes=(8, 8),
        batch_norm=True,
        residual=True,
        solver="lbfgs",
        max_iter=30,
    ),
    # The tabular pieces: a learned scale per column, periodic embeddings of the
    # numeric columns (both variants), the NTK parametrization, label smoothing.
    ScratchMLPClassifier(
        hidden_layer_sizes=(16,),
        feature_scale=True,
        numeric_embedding="pbld",
        parametrization="ntk",
        label_smoothing=0.1,
        learning_rate_init=0.01,
        max_iter=100,
    ),
    ScratchMLPRegressor(
        hidden_layer_sizes=(16,),
        feature_scale=True,
        numeric_embedding="plr",
        parametrization="ntk",
        solver="lbfgs",
        max_iter=30,
    ),
    # Best-epoch selection by a scorer over the whole schedule.
    ScratchMLPClassifier(
        hidden_layer_sizes=(16,),
        early_stopping=True,
        validation_fraction=0.3,
        # Through the scorer (RealMLP's choice); log-loss and AUC are tested in
        # test_tabular_pieces.py: scikit-learn's log_loss warns on the multilabel
        # checks' probabilities, and AUC is undefined on some of their tiny sets.
        validation_scoring="accuracy",
        n_iter_no_change=np.inf,
        learning_rate_init=0.01,
        max_iter=50,
    ),
    ScratchMLPRegressor(
        hidden_layer_sizes=(16,),
        early_stopping=True,
        validation_fraction=0.3,
        validation_scoring="r2",
        n_iter_no_change=np.inf,
        learning_rate_init=0.01,
        max_iter=50,
    ),
    # The Tabular estimators with their defaults (the recipe; NaN allowed), and
    # the drop-in regressor with the recipe's input layers and target scaling.
    TabularMLPClassifier(),
    TabularMLPRegressor(),
    ScratchMLPRegressor(
        hidden_layer_sizes=(16,),
        handle_missing="indicator",
        numeric_scaling="smooth_clip",
        target_scaling="standard",
        max_iter=100,
    ),
]


# The checks train on small data with the max_iter above, which does not always
# converge: the ConvergenceWarning is expected there and is all that is silenced.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_sklearn_compatible(estimator, check):
    # scikit-learn's array API checks switch dispatch on, which it refuses with
    # SciPy older than 1.14 (the floors): they skip there, with its reason. On
    # torch's CUDA device, which PyPI's torch is built for, they skip with
    # torch's error where torch cannot use it (no GPU driver).
    name = getattr(check, "func", check).__name__
    if name == "check_array_api_input" and ARRAY_API_DISPATCH_REFUSAL is not None:
        pytest.skip(ARRAY_API_DISPATCH_REFUSAL)
    options = getattr(check, "keywords", {})
    if name.startswith("check_array_api") and _on_torch_cuda(options):
        refusal = torch_device_refusal("cuda")
        if refusal is not None:
            pytest.skip(refusal)
    check(estimator)


def _on_torch_cuda(options):
    """Whether the options of an array API check put an array on torch's CUDA
    device: its ``array_namespace`` and ``device_name`` (``device`` in older
    scikit-learn), or a ``NamespaceAndDevice`` pair of the mixed-input checks.
    (scikit-learn skips its other torch devices itself where they are missing.)"""
    pairs = [(options.get("array_namespace"), options.get("device_name"))]
    pairs.append((options.get("array_namespace"), options.get("device")))
    pairs += [(v.xp, v.device) for v in options.values() if hasattr(v, "xp")]
    return ("torch", "cuda") in pairs
