"""A binary class's probability is computed one way everywhere: from the logit.

``1 - expit(z)`` rounds to 0 from ``z = 37`` on (float64), so a confident
model would report a probability of exactly 0 for the other class, and a
log-loss scorer would see an infinitely wrong prediction where the
classifier's ``predict_proba`` gives ``expit(-z)``, a small positive number.
"""

import numpy as np
import pytest

from skscratch import ScratchMLPClassifier
from skscratch._estimators.tasks import ClassificationTask


def _confident_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 2))
    y = (X[:, 0] > 0).astype(int)
    return X * 30.0, y  # large inputs: logits beyond 37 after a few epochs


def _likelihood(proba, y):
    return float(np.log(proba[np.arange(len(y)), y]).sum())


def _log_likelihood(estimator, X, y):
    """The log-likelihood of ``y``, unclipped (log_loss clips at machine epsilon)."""
    return _likelihood(estimator.predict_proba(X), y)


def test_the_validation_scorer_sees_predict_proba_at_large_logits():
    X, y = _confident_data()
    X_val, y_val = X[:20].copy(), y[:20].copy()
    y_val[0] = 1 - y_val[0]  # one confidently wrong validation point
    seen = []

    class Record:
        def on_epoch_end(self, estimator, record):
            logits = estimator._logits(X_val)
            proba = estimator.predict_proba(X_val)
            seen.append((np.abs(logits).max(), record["validation_score"], proba))

    model = ScratchMLPClassifier(
        (8,),
        learning_rate_init=0.05,
        max_iter=30,
        early_stopping=True,
        n_iter_no_change=1000,
        validation_scoring=_log_likelihood,
        callbacks=[Record()],
        random_state=0,
    )
    with pytest.warns(Warning):  # it runs to max_iter without converging
        model.fit(X[20:], y[20:], X_val=X_val, y_val=y_val)
    # Where 1 - expit(z) would round a probability to 0, predict_proba has none
    # at 0, and every epoch's validation score is the log-loss of predict_proba.
    assert any(40 < largest < 700 and proba.min() > 0 for largest, _, proba in seen)
    for _, score, proba in seen:
        assert np.isfinite(score)
        np.testing.assert_allclose(score, _likelihood(proba, y_val), rtol=1e-12)


@pytest.mark.parametrize("z", [-50.0, -38.0, 0.0, 38.0, 50.0, 700.0])
def test_the_task_scores_from_logits_as_predict_proba_does(z):
    task = ClassificationTask(
        classes=np.array([0, 1]), y_type="binary", scoring=_log_likelihood
    )
    y = np.array([0, 1])
    logits = np.array([[z], [z]])
    with np.errstate(over="ignore"):
        output = 1.0 / (1.0 + np.exp(-logits))
        proba = np.column_stack([1.0 / (1.0 + np.exp(z)), 1.0 / (1.0 + np.exp(-z))])
    score = task.score(output, y, logits=logits)
    expected = _likelihood(np.repeat(proba, 2, axis=0), y)
    if np.isfinite(expected):
        np.testing.assert_allclose(score, expected, rtol=1e-12)
    else:  # z = 700: expit(-700) is below float64's smallest number
        assert score == expected


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_onnx_graph_gives_predict_proba_at_large_logits(dtype):
    skscratch_onnx = pytest.importorskip("skscratch.onnx")
    ort = pytest.importorskip("onnxruntime")
    X, y = _confident_data()
    X = X.astype(dtype)
    model = ScratchMLPClassifier(
        (8,), learning_rate_init=0.05, max_iter=30, random_state=0
    ).fit(X, y)
    logits = np.abs(model._logits(X))
    small = (logits > 40) & (logits < 80)  # expit(-z) > 0 where 1 - expit(z) is 0
    assert small.any()
    onx = skscratch_onnx.to_onnx(model, X[:1], options={"zipmap": False})
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    _, proba = session.run(None, {"X": X})
    expected = model.predict_proba(X)
    rows = small.ravel()
    assert (expected[rows].min(axis=1) > 0).all()
    assert (proba[rows].min(axis=1) > 0).all()
    tolerance = 1e-9 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(proba, expected, rtol=tolerance)
