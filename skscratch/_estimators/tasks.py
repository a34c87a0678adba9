"""What differs between classification and regression, in one small object each.

A fit asks its task (:class:`ClassificationTask` or :class:`RegressionTask`)
for the loss, the encoded targets (label-smoothed, for a classifier with
``label_smoothing``), the per-sample weights, the validation score (the
task's own, or a scikit-learn scorer's: ``validation_scoring``) and whether
the early-stopping split is stratified; the training loop and the stop rules
see the task, never the estimator.
"""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, get_scorer, r2_score
from sklearn.preprocessing import LabelBinarizer, label_binarize
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)

from .._training.stopping import OWN_LOSS
from ..core import OUTPUT_ACTIVATIONS
from ..core.backend import NUMPY, ops_for

MULTILABEL = "multilabel-indicator"


def resolve_scorer(scoring):
    """A scorer ``scorer(estimator, X, y)`` for ``scoring``, or None for the task's own.

    Parameters
    ----------
    scoring : str, callable or None
        A scikit-learn scorer name (:func:`sklearn.metrics.get_scorer_names`)
        or a callable; None keeps the task's score (accuracy, R^2);
        :data:`OWN_LOSS` stays as it is: the validation set scores the
        negated loss itself (:class:`~skscratch._training.stopping.Validation`).
    """
    if scoring is None or scoring == OWN_LOSS:
        return scoring
    return get_scorer(scoring)


def scored(scorer, stand_in, X, y, sample_weight):
    """``scorer`` applied to a model that predicts as ``stand_in`` does.

    Raises
    ------
    ValueError
        Naming ``validation_scoring`` when the scorer fails on the validation
        set (e.g. log-loss on a set that lacks some of the classes).
    """
    kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
    try:
        return float(scorer(stand_in, X, y, **kwargs))
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"validation_scoring={scorer!r} could not score the validation set: {error}"
        ) from error


class RegressorOutput(RegressorMixin, BaseEstimator):
    """A regressor that predicts outputs already computed, whatever ``X`` is.

    What a scikit-learn scorer is given in place of the model being trained,
    which predicts from the user's features (the validation set the network
    scores is already in the network's own form).

    Parameters
    ----------
    prediction : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    """

    def __init__(self, prediction):
        self.prediction = prediction

    def predict(self, X):
        """The outputs, as the regressor's ``predict`` gives them."""
        return self.prediction


class ClassifierOutput(ClassifierMixin, BaseEstimator):
    """A classifier that predicts from probabilities already computed (see
    :class:`RegressorOutput`).

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        As the classifier's ``predict_proba`` gives them.
    classes : ndarray
    y_type : str
    """

    def __init__(self, proba, classes, y_type):
        self.proba, self.classes, self.y_type = proba, classes, y_type
        self.classes_ = classes

    def predict_proba(self, X):
        """The probabilities, in the order of ``classes_``."""
        return self.proba

    def predict(self, X):
        """The labels the probabilities predict."""
        if self.y_type == MULTILABEL:
            return decode_labels(self.proba, self.classes, self.y_type)
        return self.classes[np.argmax(self.proba, axis=1)]


class RegressionTask:
    """One or several real targets, fitted with ``loss``, standardized or not.

    Parameters
    ----------
    loss : {"squared_error", "poisson", "huber"}
    scoring : str, callable or None, default=None
        The validation score: a scikit-learn scorer (name or callable), or
        None for R^2.
    target_scaling : {"standard"} or None, default=None
        "standard": the network fits ``(y - offset) / scale``, each output's
        mean and standard deviation (for 'poisson', which needs non-negative
        targets: offset 0 and scale the mean), and its outputs are mapped
        back by :meth:`decode`.
    target_stats : tuple of ndarray, default=None
        ``(offset, scale)`` of an earlier fit, which later calls keep.
    """

    y_numeric = True
    stratify = False

    def __init__(self, loss, scoring=None, target_scaling=None, target_stats=None):
        self.loss_name = loss
        self.scorer = resolve_scorer(scoring)
        self.target_scaling = target_scaling
        self.target_stats = target_stats

    def check_y(self, y):
        """Reject ``y`` as the user gave it (nothing to check for regression)."""

    def encode(self, y, first_pass=True, incremental=False, classes=None):
        """The target matrix of shape (n_samples, n_outputs), standardized with
        ``target_scaling`` (by statistics of ``y`` on a first pass)."""
        if self.loss_name == "poisson" and (y < 0).any():
            raise ValueError("loss='poisson' needs non-negative targets y; got y < 0.")
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if self.target_scaling is None:
            return Y
        if first_pass or self.target_stats is None:
            self.target_stats = self._statistics(Y)
        offset, scale = self.target_stats
        if Y.shape[1] != offset.size:
            raise ValueError(
                f"y has {Y.shape[1]} outputs; the model was fitted on {offset.size}."
            )
        return (Y - offset) / scale

    def _statistics(self, Y):
        """``(offset, scale)`` of each output: mean and standard deviation (1
        where that is 0), or for 'poisson' 0 and the mean (1 where that is 0)."""
        Y = np.asarray(Y, dtype=np.float64)
        mean = Y.mean(axis=0)
        if self.loss_name == "poisson":
            return np.zeros_like(mean), np.where(mean > 0, mean, 1.0)
        std = Y.std(axis=0)
        return mean, np.where(std > 0, std, 1.0)

    def decode(self, output):
        """The network's output in the units of ``y`` (unchanged without scaling)."""
        if self.target_stats is None:
            return output
        ops = ops_for(output)
        dtype = ops.numpy_dtype(output.dtype)
        offset, scale = (ops.asarray(v, dtype=dtype) for v in self.target_stats)
        return output * scale + offset

    def encode_validation(self, y_val, n_outputs):
        """``y_val`` encoded as the training targets, with as many outputs."""
        Y_val = y_val.reshape(-1, 1) if y_val.ndim == 1 else y_val
        if Y_val.shape[1] != n_outputs:
            raise ValueError(
                f"y_val has {Y_val.shape[1]} outputs per sample; y has {n_outputs}."
            )
        return self.encode(y_val, first_pass=False)

    def sample_weight(self, y, sample_weight, incremental=False):
        """The per-sample weights training uses."""
        return sample_weight

    def score(self, output, y, sample_weight=None, X=None, logits=None):
        """R^2 (or the scorer's value) of the network's output, in the units of
        ``y``, against the targets.

        ``X`` is what the scorer is given as the features: the set as the
        network reads it (the stand-in model predicts the output whatever it is).
        ``logits`` is not needed: a regressor predicts its output.
        """
        output = self.decode(output)
        prediction = output.ravel() if output.shape[1] == 1 else output
        if self.scorer is not None:
            return scored(self.scorer, RegressorOutput(prediction), X, y, sample_weight)
        return r2_score(y, prediction, sample_weight=sample_weight)

    def attributes(self, ops=NUMPY):
        """The fitted attributes this task sets: the target statistics, if any,
        in the namespace and on the device of ``ops`` (that of X)."""
        if self.target_stats is None:
            return {}
        offset, scale = (ops.asarray(v) for v in self.target_stats)
        return {"target_offset_": offset, "target_scale_": scale}


class ClassificationTask:
    """Class labels: binary, multiclass or multilabel, optionally class-weighted.

    Parameters
    ----------
    class_weight : dict, "balanced" or None
    classes : ndarray, default=None
        The classes of an earlier fit (``classes_``), which later calls keep.
    y_type : str, default=None
        The earlier fit's kind of targets (``"binary"``, ``"multiclass"``,
        ``"multilabel-indicator"``).
    scoring : str, callable or None, default=None
        The validation score: a scikit-learn scorer (name or callable), or
        None for accuracy.
    label_smoothing : float in [0, 1), default=0.0
        ``eps``: the targets the loss sees are ``(1 - eps) y + eps / K``
        (:meth:`smooth`).
    """

    y_numeric = False

    def __init__(
        self,
        class_weight=None,
        classes=None,
        y_type=None,
        scoring=None,
        label_smoothing=0.0,
    ):
        self.class_weight = class_weight
        self.classes = classes
        self.y_type = y_type
        self.scorer = resolve_scorer(scoring)
        self.label_smoothing = float(label_smoothing)

    @property
    def loss_name(self):
        return "log_loss" if self.y_type == "multiclass" else "binary_log_loss"

    @property
    def stratify(self):
        return self.y_type != MULTILABEL

    def check_y(self, y):
        """Reject labels of mixed kinds before validation converts them."""
        check_label_types(y, "y")

    def encode(self, y, first_pass=True, incremental=False, classes=None):
        """The labels one-hot encoded (a sparse matrix), fixing the classes on a first pass.

        Parameters
        ----------
        y : ndarray
            Validated labels, or a multilabel indicator matrix.
        first_pass : bool
            Whether the fit starts afresh: the classes are set from ``classes``
            (or ``y``); otherwise ``y`` must keep the earlier fit's.
        incremental : bool
            ``partial_fit``, which needs ``classes`` on its first call.
        classes : array-like, default=None
            ``partial_fit``'s ``classes``.
        """
        check_classification_targets(y)
        if classes is not None:
            classes = self._given_classes(classes, first_pass)
        if first_pass:
            self.classes, self.y_type = fit_classes(y, classes, incremental)
        elif (type_of_target(y) == MULTILABEL) != (self.y_type == MULTILABEL):
            raise ValueError(
                f"y is {type_of_target(y)!r} but the model was fitted on "
                f"{self.y_type!r} targets."
            )
        else:
            self._check_later_labels(y, warm_start=not incremental)
        if self.y_type == MULTILABEL:
            return self.smooth(np.asarray(y))
        # label_binarize, not LabelBinarizer().fit(classes).transform(y): half
        # the time (0.38 against 0.78 ms on Iris's labels, two Iris iterations)
        one_hot = label_binarize(y, classes=self.classes, sparse_output=True)
        return self.smooth(one_hot)

    def smooth(self, Y):
        """The targets the loss sees: ``(1 - eps) Y + eps / K``, ``eps`` = label_smoothing.

        ``K`` is the number of classes for a softmax output (several
        classes), and 2 for each logistic output (two classes, or each label
        of a multilabel target), whose target is the probability of one of
        two outcomes. Without smoothing ``Y`` is returned as it is (sparse
        one-hot labels stay sparse).
        """
        eps = self.label_smoothing
        if not eps:
            return Y
        Y = Y.toarray() if sp.issparse(Y) else np.asarray(Y, dtype=np.float64)
        n_outcomes = 2 if Y.shape[1] == 1 or self.y_type == MULTILABEL else Y.shape[1]
        return (1.0 - eps) * Y + eps / n_outcomes

    def _given_classes(self, classes, first_pass):
        check_label_types(classes, "classes")
        classes = unique_labels(np.asarray(classes))
        if not first_pass and not np.array_equal(classes, self.classes):
            raise ValueError(
                f"classes={classes.tolist()} is not the same as on the first call "
                f"to partial_fit (or fit): classes_ is {self.classes.tolist()}. "
                "partial_fit must keep the classes it started with."
            )
        return classes

    def _check_later_labels(self, y, warm_start):
        """``y`` of a warm start or a later ``partial_fit`` against the fitted classes."""
        if self.y_type == MULTILABEL:
            if y.shape[1] != len(self.classes):
                raise ValueError(
                    f"y has {y.shape[1]} labels; the model was fitted on "
                    f"{len(self.classes)}."
                )
            return
        present = unique_labels(y)
        if warm_start and set(present) != set(self.classes):
            # scikit-learn's words, which its tests match.
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as "
                f"in the previous call to fit. Previously got {self.classes}, "
                f"`y` has {present}"
            )
        unseen = np.setdiff1d(present, self.classes)
        if unseen.size:
            raise ValueError(
                f"y has classes {unseen.tolist()} not in classes_ "
                f"{self.classes.tolist()}; partial_fit must keep the classes of "
                "the first fit."
            )

    def encode_validation(self, y_val, n_outputs):
        """``y_val`` one-hot encoded (and smoothed) as the training labels (dense)."""
        if (type_of_target(y_val) == MULTILABEL) != (self.y_type == MULTILABEL):
            raise ValueError(
                f"y_val is {type_of_target(y_val)!r} but y is {self.y_type!r}."
            )
        if self.y_type == MULTILABEL:
            if y_val.shape[1] != n_outputs:
                raise ValueError(
                    f"y_val has {y_val.shape[1]} labels per sample; y has {n_outputs}."
                )
            return self.smooth(y_val)
        unseen = np.setdiff1d(unique_labels(y_val), self.classes)
        if unseen.size:
            raise ValueError(
                f"y_val has labels {unseen.tolist()} that y does not have "
                f"(classes_ is {self.classes.tolist()})."
            )
        Y_val = label_binarize(y_val, classes=self.classes)
        if Y_val.shape[1] != n_outputs:  # a single class: one column of zeros
            Y_val = np.zeros((len(y_val), n_outputs))
        return self.smooth(Y_val)

    def sample_weight(self, y, sample_weight, incremental=False):
        """``sample_weight`` times the class weights."""
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

    def score(self, output, y, sample_weight=None, X=None, logits=None):
        """Accuracy (or the scorer's value) of the network's output.

        The scorer sees a stand-in model whose ``predict_proba`` is the
        classifier's, computed from the ``logits`` (:func:`class_probabilities`),
        and ``X`` (the set as the network reads it) as the features.
        """
        if self.scorer is not None:
            proba = class_probabilities(logits.copy(), self.classes, self.y_type)
            stand_in = ClassifierOutput(proba, self.classes, self.y_type)
            return scored(self.scorer, stand_in, X, y, sample_weight)
        predicted = decode_labels(output, self.classes, self.y_type)
        return accuracy_score(y, predicted, sample_weight=sample_weight)

    def attributes(self, ops=NUMPY):
        """The fitted attributes this task sets (the labels stay on the host,
        whatever ``ops``: they may be strings)."""
        return {"classes_": self.classes, "_y_type": self.y_type}


def fit_classes(y, classes=None, incremental=False):
    """The classes and kind of targets a first fit sets, from ``y`` or ``classes``.

    Returns
    -------
    classes : ndarray
    y_type : str
    """
    multilabel = type_of_target(y) == MULTILABEL
    if incremental and classes is None and not multilabel:
        raise ValueError("classes must be passed on the first call to partial_fit.")
    binarizer = LabelBinarizer().fit(y if classes is None or multilabel else classes)
    if (
        classes is not None
        and multilabel
        and not np.array_equal(classes, binarizer.classes_)
    ):
        raise ValueError(
            f"y is a multilabel indicator matrix of {y.shape[1]} columns, "
            f"whose classes are {binarizer.classes_.tolist()}; got "
            f"classes={classes.tolist()}."
        )
    if classes is not None and not multilabel:
        unseen = np.setdiff1d(np.unique(y), binarizer.classes_)
        if unseen.size:
            raise ValueError(
                f"y has classes {unseen.tolist()} that are not in classes="
                f"{binarizer.classes_.tolist()}."
            )
    # A single class is fitted as scikit-learn does (all targets 0 for a
    # logistic output) and predicted whatever X is.
    return binarizer.classes_, MULTILABEL if multilabel else binarizer.y_type_


def class_probabilities(z, classes, y_type, ops=NUMPY):
    """``predict_proba`` from the logits ``z``: the one place it is computed.

    The classifier's ``predict_proba``, the validation score (a scorer's
    stand-in model) and the ONNX graph all compute it so. A single logistic
    output of two classes gives ``[expit(-z), expit(z)]``: ``1 - expit(z)``
    would round to 0 from ``z = 37`` on (float64), where ``expit(-z)`` keeps
    the class's small probability. A single class gives 1; several classes
    the softmax; multilabel outputs ``expit(z)``. With numpy, ``z`` may be
    overwritten.
    """
    if y_type == MULTILABEL:
        return ops.expit(z, out=z)
    if len(classes) == 1:
        return ops.xp.ones_like(z)
    if z.shape[1] == 1:
        return ops.expit(ops.concat([-z, z], axis=1))
    return OUTPUT_ACTIVATIONS["softmax"].forward(z, ops)


def decode_labels(output, classes, y_type, ops=NUMPY):
    """The labels that the network's ``output`` (probabilities) predicts.

    Off numpy, the labels come back in the output's namespace and device where
    the classes are numbers (chosen on the device, looked up on the host);
    string classes can only be a numpy array.
    """
    xp = ops.xp
    if y_type == MULTILABEL:
        return ops.astype(output > 0.5, np.int64)
    if len(classes) == 1:
        return ops.asarray(np.repeat(classes, output.shape[0]))
    if output.shape[1] == 1:
        index = ops.astype(output[:, 0] > 0.5, np.int64)
    else:
        index = xp.argmax(output, axis=1)
    labels = classes[ops.to_host(index)]
    return ops.asarray(labels) if labels.dtype.kind in "biuf" else labels


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


def check_label_types(labels, name):
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
