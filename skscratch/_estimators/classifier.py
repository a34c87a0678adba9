"""ScratchMLPClassifier: class labels in, probabilities and labels out."""

from typing import ClassVar

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._input.stage import InputStage
from ..core import OUTPUT_ACTIVATIONS
from ..core.backend import ops_for
from .base import BaseScratchMLP
from .docstrings import fill
from .parameters import constraints, store
from .tasks import MULTILABEL, ClassificationTask, class_probabilities, decode_labels


class ScratchMLPClassifier(ClassifierMixin, BaseScratchMLP):
    """Multi-layer perceptron classifier trained by skscratch's numpy backprop.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`:
    the same parameters, defaults and fitted attributes. It minimises the
    log-loss with a softmax output for several classes and a logistic output
    for two classes or for multilabel targets.

    Parameters
    ----------
    {parameters}
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel targets, the label indices).

    {attributes}
    See Also
    --------
    ScratchMLPRegressor : The same network for regression.
    sklearn.neural_network.MLPClassifier : scikit-learn's MLP, which this mirrors.

    Notes
    -----
    Losses are computed from the logits, so ``loss_`` can differ from
    scikit-learn's (which clips probabilities) when a prediction is very confident.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skscratch import ScratchMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_pipeline(
    ...     StandardScaler(), ScratchMLPClassifier(max_iter=1000, random_state=0)
    ... )
    >>> scores = cross_val_score(model, X, y, cv=5)
    >>> bool(scores.mean() > 0.9)
    True
    """

    __doc__ = fill(__doc__, "classifier")

    _parameter_constraints: ClassVar[dict] = constraints("classifier")

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        callbacks=None,
        categorical_features="from_dtype",
        embedding_dim=None,
        batch_norm=False,
        residual=False,
        feature_scale=False,
        numeric_embedding=None,
        numeric_embedding_frequencies=16,
        numeric_embedding_sigma=0.1,
        numeric_embedding_dim=4,
        parametrization="standard",
        validation_scoring=None,
        label_smoothing=0.0,
        handle_missing="error",
        numeric_scaling=None,
        ema_decay=None,
        ensemble_size=1,
        training_dtype=None,
        class_weight=None,
    ):
        store(self, locals())

    def fit(
        self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None
    ):
        """Fit the model to data ``X`` and labels ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a binary indicator matrix for multilabel targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.
        X_val : {array-like, sparse matrix} of shape (n_val_samples, n_features), \
default=None
            A validation set of your own (e.g. the latest rows of a time-ordered
            split), as in :class:`~sklearn.ensemble.HistGradientBoostingClassifier`.
            With ``early_stopping=True`` it is the set early stopping scores, and
            nothing of ``X`` is held out; otherwise it is only evaluated. Either
            way every record of ``history_`` gains its ``validation_loss`` (and
            ``validation_score``). Needs ``y_val``; its features must be those
            of ``X``. Passed through a pipeline with metadata routing:
            ``set_fit_request(X_val=True, y_val=True)``.
        y_val : array-like of shape (n_val_samples,) or (n_val_samples, n_labels), \
default=None
            The labels of ``X_val``, among those of ``y``.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation samples (times ``class_weight``).

        Returns
        -------
        self : ScratchMLPClassifier
            The fitted model.
        """
        validation = {
            "X_val": X_val,
            "y_val": y_val,
            "sample_weight_val": sample_weight_val,
        }
        return self._fit(X, y, sample_weight, incremental=False, validation=validation)

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with one epoch over ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.
        classes : array-like of shape (n_classes,), default=None
            Every class that any call will see. Required on the first call
            (for a multilabel indicator ``y``, optional: the column indices).
            Later calls, and calls after ``fit``, may omit it; if given, it
            must hold the same classes as ``classes_`` (ValueError otherwise).

        Returns
        -------
        self : ScratchMLPClassifier
            The updated model.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _task(self, first_pass):
        options = {
            "scoring": self.validation_scoring,
            "label_smoothing": self.label_smoothing,
        }
        if first_pass:
            return ClassificationTask(self.class_weight, **options)
        return ClassificationTask(self.class_weight, self.classes_, self._y_type, **options)

    def _decode(self, output):
        return decode_labels(output, self.classes_, self._y_type, ops_for(output))

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted classes (an indicator matrix for multilabel models).
        """
        return self._decode(self._predict_output(X))

    def predict_proba(self, X):
        """Probability of each class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_`` (all 1 for a model
            fitted on a single class).
        """
        check_is_fitted(self)
        return self._proba(self._logits(InputStage(self).prediction(X)))

    def _proba(self, z):
        """Probabilities from the logits ``z`` (overwritten, for numpy)."""
        return class_probabilities(z, self.classes_, self._y_type, ops_for(z))

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, finite wherever the logits are.

        ``log(predict_proba(X))`` is ``-inf`` where a probability underflows
        to 0 (logits some 745 apart in float64). There the result comes from
        the logits ``z`` instead: ``z - logsumexp(z)`` (log-softmax) for
        several classes, ``-log(1 + exp(-z))`` (log-sigmoid) for two classes
        or multilabel targets. Elsewhere it is ``log(predict_proba(X))``, so
        the two methods agree.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities in the order of ``classes_``.
        """
        check_is_fitted(self)
        z = self._logits(InputStage(self).prediction(X), "predict_log_proba")
        ops = ops_for(z)
        xp = ops.xp
        proba = self._proba(ops.copy(z))
        if len(self.classes_) == 1 and self._y_type != MULTILABEL:
            return xp.zeros_like(proba)
        if self._y_type == MULTILABEL:
            from_logits = -ops.logaddexp(0, -z)
        elif z.shape[1] == 1:
            from_logits = -ops.logaddexp(0, ops.concat([z, -z], axis=1))
        else:
            softmax = OUTPUT_ACTIVATIONS["softmax"]
            from_logits = z - softmax.forward_logsumexp(ops.copy(z), ops)[1][:, None]
        # Below the smallest normal float a probability has lost digits (or is 0).
        accurate = proba >= float(xp.finfo(proba.dtype).smallest_normal)
        with np.errstate(divide="ignore"):
            return ops.where(accurate, ops.log(proba), from_logits)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
