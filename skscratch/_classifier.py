"""ScratchMLPClassifier: class labels in, probabilities and labels out."""

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from scipy.special import expit
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import check_is_fitted

from ._base import BaseScratchMLP
from ._docstrings import fill
from .core import OUTPUT_ACTIVATIONS

MULTILABEL = "multilabel-indicator"


def _label_kind(label_type):
    if issubclass(label_type, (str, bytes)):
        return "str"
    if label_type is type(None):
        return "None"
    if issubclass(label_type, (bool, np.bool_, Integral)):
        return "int"
    if issubclass(label_type, (Real, np.floating)):
        return "float"
    return label_type.__name__


def _check_label_types(labels, name):
    """Raise a ValueError naming the mix when labels are of several kinds.

    numpy sorts labels to find the classes and cannot order, say, strings
    and numbers (a list such as ``['a', 1]`` it would even turn into the
    strings ``'a'`` and ``'1'``); integers and floats mix fine.
    """
    if isinstance(labels, (list, tuple)):
        values = labels
    elif getattr(getattr(labels, "dtype", None), "kind", None) == "O":  # array, Series
        values = np.asarray(labels).ravel()
    else:
        return
    types = set(map(type, values))  # one pass in C; the common case is one type
    if len(types) < 2 or any(issubclass(t, (list, tuple, np.ndarray)) for t in types):
        return  # nested (multilabel) targets are validated by type_of_target
    kinds = {_label_kind(t) for t in types}
    if len(kinds) > 1 and not kinds <= {"int", "float"}:
        examples = {}
        for label in values:
            examples.setdefault(_label_kind(type(label)), label)
        mix = ", ".join(f"{kind} (e.g. {example!r})" for kind, example in examples.items())
        raise ValueError(
            f"{name} mixes label types: {mix}. Give every label the same type "
            "(e.g. all strings), and drop or label the samples whose label is missing."
        )


class ScratchMLPClassifier(ClassifierMixin, BaseScratchMLP):
    """Multi-layer perceptron classifier trained by skscratch's numpy backprop.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`:
    the same parameters, defaults and fitted attributes. It minimises the
    log-loss with a softmax output for several classes and a logistic output
    for two classes or for multilabel targets.

    Parameters
    ----------
    {parameters}
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``: a dict
        ``{label: weight}``, or 'balanced' for ``n_samples / (n_classes *
        count(label))``. Not in scikit-learn's MLP. 'balanced' is not available
        to ``partial_fit``.

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

    __doc__ = fill(__doc__)

    _parameter_constraints: ClassVar[dict] = {
        **BaseScratchMLP._parameter_constraints,
        "class_weight": [None, StrOptions({"balanced"}), dict],
    }

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
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            dropout=dropout,
            callbacks=callbacks,
        )
        self.class_weight = class_weight

    _y_numeric = False

    def fit(self, X, y, sample_weight=None):
        """Fit the model to data ``X`` and labels ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a binary indicator matrix for multilabel targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : ScratchMLPClassifier
            The fitted model.
        """
        return self._fit(X, y, sample_weight, incremental=False)

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

    def _check_y(self, y):
        _check_label_types(y, "y")

    def _encode_targets(self, y, incremental, first_pass, classes=None):
        check_classification_targets(y)
        y_type = type_of_target(y)
        multilabel = y_type == MULTILABEL
        if classes is not None:
            _check_label_types(classes, "classes")
            classes = unique_labels(np.asarray(classes))
            if not first_pass and not np.array_equal(classes, self.classes_):
                raise ValueError(
                    f"classes={classes.tolist()} is not the same as on the first call "
                    f"to partial_fit (or fit): classes_ is {self.classes_.tolist()}. "
                    "partial_fit must keep the classes it started with."
                )
        if first_pass:
            if incremental and classes is None and not multilabel:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            binarizer = LabelBinarizer(sparse_output=True)
            binarizer.fit(y if classes is None or multilabel else classes)
            if classes is not None and multilabel:
                if not np.array_equal(classes, binarizer.classes_):
                    raise ValueError(
                        f"y is a multilabel indicator matrix of {y.shape[1]} columns, "
                        f"whose classes are {binarizer.classes_.tolist()}; got "
                        f"classes={classes.tolist()}."
                    )
            elif classes is not None:
                unseen = np.setdiff1d(np.unique(y), binarizer.classes_)
                if unseen.size:
                    raise ValueError(
                        f"y has classes {unseen.tolist()} that are not in classes="
                        f"{binarizer.classes_.tolist()}."
                    )
            # A single class is fitted as scikit-learn does (all targets 0 for a
            # logistic output) and predicted whatever X is.
            return binarizer.transform(y), {
                "classes_": binarizer.classes_,
                "_y_type": MULTILABEL if multilabel else binarizer.y_type_,
            }
        if multilabel != (self._y_type == MULTILABEL):
            raise ValueError(
                f"y is {y_type!r} but the model was fitted on {self._y_type!r} targets."
            )
        if multilabel:
            if y.shape[1] != len(self.classes_):
                raise ValueError(
                    f"y has {y.shape[1]} labels; the model was fitted on "
                    f"{len(self.classes_)}."
                )
            return np.asarray(y), {}
        present = unique_labels(y)
        if self.warm_start and not incremental:
            if set(present) != set(self.classes_):
                # scikit-learn's words, which its tests match.
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as "
                    f"in the previous call to fit. Previously got {self.classes_}, "
                    f"`y` has {present}"
                )
        else:
            unseen = np.setdiff1d(present, self.classes_)
            if unseen.size:
                raise ValueError(
                    f"y has classes {unseen.tolist()} not in classes_ "
                    f"{self.classes_.tolist()}; partial_fit must keep the classes of "
                    "the first fit."
                )
        return LabelBinarizer(sparse_output=True).fit(self.classes_).transform(y), {}

    def _training_weights(self, y, sample_weight, incremental):
        if self.class_weight is None:
            return sample_weight
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: the class "
                "frequencies of the whole data are unknown. Pass a dict of weights."
            )
        if isinstance(self.class_weight, dict):
            values = np.asarray(list(self.class_weight.values()), dtype=float)
            if not (np.isfinite(values).all() and (values >= 0).all()):
                raise ValueError(
                    "class_weight must map classes to finite weights >= 0; got "
                    f"{self.class_weight!r}."
                )
        weights = compute_sample_weight(self.class_weight, y)
        return weights if sample_weight is None else weights * sample_weight

    def _loss_name(self):
        return "log_loss" if self._y_type == "multiclass" else "binary_log_loss"

    def _stratify_validation(self, Y):
        return self._y_type != MULTILABEL

    def _decode(self, output):
        if self._y_type == MULTILABEL:
            return (output > 0.5).astype(int)
        if len(self.classes_) == 1:
            return np.repeat(self.classes_, output.shape[0])
        if output.shape[1] == 1:
            return self.classes_[(output[:, 0] > 0.5).astype(int)]
        return self.classes_[np.argmax(output, axis=1)]

    def _score_output(self, output, y, sample_weight):
        return accuracy_score(y, self._decode(output), sample_weight=sample_weight)

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
        return self._proba(self._logits(self._validate_X(X, reset=False)))

    def _proba(self, z):
        """Probabilities from the logits ``z`` (overwritten)."""
        if self._y_type == MULTILABEL:
            return expit(z, out=z)
        if len(self.classes_) == 1:
            return np.ones_like(z)
        if z.shape[1] == 1:
            # expit(-z) rather than 1 - expit(z), which rounds to 0 from z = 37 on.
            return expit(np.hstack([-z, z]))
        return OUTPUT_ACTIVATIONS["softmax"].forward(z)

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
        z = self._logits(self._validate_X(X, reset=False))
        proba = self._proba(z.copy())
        if len(self.classes_) == 1 and self._y_type != MULTILABEL:
            return np.zeros_like(proba)
        if self._y_type == MULTILABEL:
            from_logits = -np.logaddexp(0, -z)
        elif z.shape[1] == 1:
            from_logits = -np.logaddexp(0, np.hstack([z, -z]))
        else:
            softmax = OUTPUT_ACTIVATIONS["softmax"]
            from_logits = z - softmax.forward_logsumexp(z.copy())[:, np.newaxis]
        # Below the smallest normal float a probability has lost digits (or is 0).
        accurate = proba >= np.finfo(proba.dtype).tiny
        with np.errstate(divide="ignore"):
            return np.where(accurate, np.log(proba), from_logits)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
