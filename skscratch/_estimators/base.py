"""The estimator machinery shared by the classifier and the regressor.

:class:`BaseScratchMLP` validates the parameters (:mod:`skscratch._estimators.parameters`)
and the data. One fit's set-up path: ``_fit`` (a private copy, committed
at the end) -> ``_train`` -> ``_training_data`` (the task encodes the
targets) -> :func:`~skscratch._training.config.training_config` ->
:func:`~skscratch._training.config.build` -> a training loop of
:mod:`skscratch._training.loops` -> ``_finish``. The fitted model is its layer
records, ``layers_`` (:mod:`skscratch._estimators.model`): plain arrays and
numbers. Subclasses give the task (:mod:`skscratch._estimators.tasks`) and the
methods that turn the network's output into predictions.
"""

import dataclasses
import inspect
import math
import threading
from abc import ABCMeta, abstractmethod
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._callbacks.sklearn_callback import CallbackSupport, sklearn_fit_task
from .._callbacks.support import fitting
from .._input.categorical import (
    embedding_dims,
    fill_unknown_rows,
)
from .._input.stage import InputStage, input_ops
from .._training.config import (
    SOLVERS,
    STOCHASTIC_SOLVERS,
    build,
    embedding_layer,
    training_config,
)
from .._training.loops import TrainingData, fit_lbfgs, fit_stochastic
from .._training.state import TrainingState
from .._training.stopping import Validation
from .._utils.sklearn_compat import check_sample_weight
from ..callbacks import Hooks, check_callbacks
from ..core import OUTPUT_ACTIVATIONS
from ..core.backend import array_to_numpy
from ..core.network import layers_from_records, predict_chunked
from .model import (
    LayerArrays,
    embedding_tables,
    records_from_legacy,
    records_in_dtype,
    set_dense_arrays,
)
from .parameters import constraints

# Held while a fit snapshots an estimator's attributes and while it commits
# its fitted ones: a few dictionary operations, so one lock serves every estimator.
_COMMIT_LOCK = threading.Lock()


def _check_validation_given(X_val, y_val, sample_weight_val):
    """Raise ValueError unless ``X_val`` and ``y_val`` come together."""
    if (X_val is None) != (y_val is None):
        given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
        raise ValueError(
            f"{given} was given without {missing}: a validation set needs both."
        )
    if X_val is None and sample_weight_val is not None:
        raise ValueError("sample_weight_val was given without X_val and y_val.")


class BaseScratchMLP(CallbackSupport, BaseEstimator, metaclass=ABCMeta):
    """Base class of the skscratch MLPs; use a subclass."""

    #: The parameters both estimator kinds take (from the table, :mod:`.parameters`);
    #: each subclass has its own dict, with its kind's parameters.
    _parameter_constraints: ClassVar[dict] = constraints()

    # ------------------------------------------------------- subclass contract
    @abstractmethod
    def _task(self, first_pass):
        """The task of this fit (:mod:`skscratch._estimators.tasks`): afresh on a first
        pass, else carrying the fitted target attributes (``classes_`` ...)."""

    # ---------------------------------------------------------- the fitted model
    @property
    def coefs_(self):
        return LayerArrays(self.layers_, "W", "coefs_")

    @coefs_.setter
    def coefs_(self, coefs):
        set_dense_arrays(self.layers_, "W", coefs, "coefs_")

    @property
    def intercepts_(self):
        return LayerArrays(self.layers_, "b", "intercepts_")

    @intercepts_.setter
    def intercepts_(self, intercepts):
        set_dense_arrays(self.layers_, "b", intercepts, "intercepts_")

    @property
    def embeddings_(self):
        return embedding_tables(self.layers_)

    # --------------------------------------------------------------- fitting
    def _fit(
        self, X, y, sample_weight=None, incremental=False, classes=None, validation=None
    ):
        """Train on a private copy, then commit every fitted attribute at once.

        The fit reads and writes a copy of the estimator made from one
        snapshot of its attributes, so nothing on ``self`` changes until
        training has succeeded: any exception (bad input, a diverged fit, an
        interrupt before the first epoch ended) leaves a previously fitted
        model as it was, and two fits of one estimator in two threads cannot
        end with attributes of both. The callbacks see the copy, the model
        being trained; so do scikit-learn's (``set_callbacks``), through
        :func:`~skscratch._callbacks.sklearn_callback.sklearn_fit_task`.
        """
        with _COMMIT_LOCK:
            snapshot = dict(self.__dict__)
        work = object.__new__(type(self))
        work.__dict__.update(snapshot)
        callbacks = check_callbacks(self.callbacks)
        with (
            fitting(work, X, y, validation),  # the data callbacks read (fit_data)
            sklearn_fit_task(work, X, y, sample_weight, incremental) as sklearn_hooks,
        ):
            callbacks += sklearn_hooks  # scikit-learn's callbacks, as skscratch's
            work._train(X, y, sample_weight, incremental, classes, callbacks, validation)
        params = set(self._get_param_names())
        fitted = {
            name: value for name, value in work.__dict__.items() if name not in params
        }
        with _COMMIT_LOCK:
            current = {
                name: value for name, value in self.__dict__.items() if name in params
            }
            self.__dict__ = {**current, **fitted}
        return self

    def _train(self, X, y, sample_weight, incremental, classes, callbacks, validation):
        """Validate, train and set the fitted attributes on this (private) copy."""
        self._validate_params()
        self._check_fit_options(incremental, validation)
        first_pass = not hasattr(self, "layers_") or (
            not self.warm_start and not incremental
        )
        task = self._task(first_pass)
        data = self._training_data(
            task, X, y, sample_weight, incremental, classes, first_pass
        )
        if validation is not None and validation["X_val"] is not None:
            data = data._replace(validation=self._validation_set(task, data, **validation))
        config = training_config(self, data.X.shape[0])
        if isinstance(self.early_stopping, str):  # "auto"
            config = dataclasses.replace(
                config, early_stopping=_auto_early_stopping(config, data, incremental)
            )
        rng = check_random_state(self.random_state)
        previous = None if first_pass else self.layers_
        net, optimizer = self._network(config, task, data, rng, previous)
        state = TrainingState.start(config, None if first_pass else vars(self))
        hooks = self._hooks(callbacks, net, state, config)
        if config.stochastic:
            fit_stochastic(
                config, task, net, optimizer, data, rng, state, hooks, incremental
            )
        else:
            fit_lbfgs(config, net, data, state, hooks)
        self._finish(state, config)
        if data.model_dtype is not None:  # trained in training_dtype: kept in X's
            self.layers_ = records_in_dtype(self.layers_, data.model_dtype, net.ops)

    def _network(self, config, task, data, rng, previous=None):
        """The network (and optimizer) this estimator trains on ``data``
        (:func:`~skscratch._training.config.build`): the input layers of
        ``handle_missing`` and ``numeric_scaling`` (from the input stage), and
        the embeddings of its categories."""
        categories = getattr(self, "categories_", [])
        inputs = InputStage(self).input_layers(data.X, previous)
        n_columns = inputs[-1].n_out if inputs else data.X.shape[1]
        embedding = embedding_layer(
            categories, embedding_dims(categories, config.embedding_dim), n_columns
        )
        return build(
            config,
            data.X,
            data.Y.shape[1],
            task.loss_name,
            rng,
            embedding,
            previous,
            inputs,
        )

    def _check_fit_options(self, incremental, validation):
        """Raise ValueError for options that cannot go together."""
        explicit = self.early_stopping and not isinstance(self.early_stopping, str)
        if incremental and explicit:
            raise ValueError("partial_fit does not support early_stopping=True.")
        given = validation is not None and validation["X_val"] is not None
        if explicit and self.validation_fraction == 0 and not given:
            raise ValueError(
                "early_stopping=True needs validation_fraction > 0 to hold out data, "
                "or a validation set given to fit (X_val, y_val)."
            )
        if validation is not None:
            _check_validation_given(**validation)

    def _hooks(self, callbacks, net, state, config):
        """The fit's hooks; this copy becomes the model they see, from the network on.

        Its fitted attributes are set now (``layers_`` as live views of the
        network) and the state's are brought up to date before every hook.
        """
        self.layers_ = net.records()
        self.n_layers_ = net.n_layers
        self.n_outputs_ = net.layer_sizes[-1]
        self.out_activation_ = net.output_activation.name
        for name in TrainingState.STOCHASTIC_FIELDS:
            # A previous stochastic fit's bookkeeping does not describe an lbfgs one.
            self.__dict__.pop(name, None)
        attributes = vars(self)

        def publish():
            attributes.update(state.attributes(config.stochastic))

        return Hooks(callbacks, self, publish if callbacks else None)

    def _finish(self, state, config):
        """The fitted attributes once training has ended."""
        tables = self.embeddings_
        if tables:
            fill_unknown_rows(tables, self._category_counts)
        vars(self).update(state.attributes(config.stochastic))

    def _training_data(
        self, task, X, y, sample_weight, incremental, classes, first_pass, dtype=None
    ):
        """Validate and encode the data; set the target attributes (``classes_`` ...).

        Parameters
        ----------
        task : ClassificationTask or RegressionTask
        X, y, sample_weight, incremental, classes
            As given to ``fit`` or ``partial_fit``.
        first_pass : bool
            Whether the fit starts afresh (``validate_data``'s ``reset``).
        dtype : dtype, default=None
            Cast X to this dtype (``check_gradients`` works in float64);
            by default to ``training_dtype``, and where that is None X keeps
            its float dtype. The model is kept in X's own (``model_dtype``).

        Returns
        -------
        data : TrainingData
        """
        task.check_y(y)
        X, y = InputStage(self).training(task, X, y, reset=first_pass)
        ops = input_ops(X)
        model_dtype = ops.numpy_dtype(X.dtype)
        if dtype is None and self.training_dtype is not None:
            dtype = np.dtype(self.training_dtype)
        if dtype is not None:
            X = ops.astype(X, dtype)
        np_dtype = ops.numpy_dtype(X.dtype)
        Y = _targets_in_dtype(task.encode(y, first_pass, incremental, classes), y, np_dtype)
        vars(self).update(task.attributes(ops))
        if sample_weight is not None:  # on the host, where the weights are prepared
            sample_weight = array_to_numpy(
                check_sample_weight(
                    sample_weight, X, dtype=X.dtype, ensure_non_negative=True
                )
            )
        sample_weight = task.sample_weight(y, sample_weight, incremental)
        sample_weight, alpha = self._normalized_weights(sample_weight, np_dtype)
        on_device = None if sample_weight is None else ops.asarray(sample_weight)
        return TrainingData(
            X,
            ops.asarray(Y),
            y,
            on_device,
            alpha,
            host_sample_weight=sample_weight,
            model_dtype=None if model_dtype == np_dtype else model_dtype,
        )

    def _validation_set(self, task, data, X_val, y_val, sample_weight_val):
        """The user's validation set, checked against the training data.

        Called after the training data are validated, so that ``X_val`` is
        checked against the features (number, names, categories) and
        ``y_val`` against the targets (``classes_`` ...) of this fit.
        """
        try:
            task.check_y(y_val)
            X_val, y_val, ops = InputStage(self).validation(task, X_val, y_val, data.X)
            Y_val = task.encode_validation(y_val, data.Y.shape[1])
            if sample_weight_val is not None:
                sample_weight_val = array_to_numpy(
                    check_sample_weight(sample_weight_val, X_val, ensure_non_negative=True)
                )
        except ValueError as error:
            raise ValueError(
                f"The validation set (X_val, y_val) is refused: {error}"
            ) from None
        np_dtype = ops.numpy_dtype(data.X.dtype)
        Y_val = ops.asarray(np.asarray(Y_val, dtype=np_dtype))
        sample_weight_val = task.sample_weight(y_val, sample_weight_val)
        if sample_weight_val is not None:
            if not np.sum(sample_weight_val) > 0:
                raise ValueError(
                    "sample_weight_val (times class_weight) must not be all zero."
                )
            sample_weight_val = ops.asarray(sample_weight_val, dtype=np_dtype)
        return Validation(task, X_val, Y_val, y_val, sample_weight_val)

    def _normalized_weights(self, sample_weight, dtype):
        """Sample weights scaled to a maximum of 1, and ``alpha`` scaled to match.

        Only the weights' ratios matter to the data term, while the L2 penalty
        is divided by their sum; dividing both the weights and ``alpha`` by
        the largest weight keeps the objective and keeps sums from overflowing.
        A decoupled weight decay (AdamW) does not involve the weights at all.
        """
        alpha = 0.0 if SOLVERS[self.solver].decoupled_weight_decay else self.alpha
        if sample_weight is None:
            return None, alpha
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        largest = sample_weight.max()
        if not largest > 0:
            raise ValueError("sample_weight (times class_weight) must not be all zero.")
        return (sample_weight / largest).astype(dtype, copy=False), float(alpha / largest)

    def set_params(self, **params):
        """Set parameters; on an invalid name, none of them is changed.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
        """
        before = self.get_params(deep=False)
        try:
            return super().set_params(**params)
        except BaseException:
            for name, value in before.items():
                setattr(self, name, value)
            raise

    # ------------------------------------------------------------ prediction
    def _forward(self, X, output_activation=None, method="predict"):
        """Network output (after the output activation) for validated ``X``."""
        layers = layers_from_records(self.layers_)
        InputStage(self).check_namespace(layers, X, method)
        return predict_chunked(
            layers, OUTPUT_ACTIVATIONS[output_activation or self.out_activation_], X
        )

    def _logits(self, X, method="predict_proba"):
        """The last layer's pre-activations ``z`` for validated ``X``."""
        return self._forward(X, "identity", method)

    def _predict_output(self, X, method="predict"):
        check_is_fitted(self)
        return self._forward(InputStage(self).prediction(X), method=method)

    def _check_solver(self):
        if self.solver not in STOCHASTIC_SOLVERS:
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers; "
                f"{self.solver!r} is not stochastic."
            )
        return True

    def __setstate__(self, state):
        """Unpickle; a model saved by an earlier skscratch predicts and trains on.

        Parameters added since take their defaults, and a model saved before
        ``layers_`` gets it from its ``coefs_``, ``intercepts_`` and
        ``embeddings_``.
        """
        state = dict(state)
        if "coefs_" in state and "layers_" not in state:
            records_from_legacy(state)
        super().__setstate__(state)
        for name, parameter in inspect.signature(type(self).__init__).parameters.items():
            if parameter.default is not parameter.empty and name not in self.__dict__:
                setattr(self, name, parameter.default)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = InputStage(self).allows_nan()
        tags.array_api_support = True
        return tags


def _auto_early_stopping(config, data, incremental):
    """Whether ``early_stopping="auto"`` stops early in this fit.

    It does wherever ``early_stopping=True`` could: in ``fit`` (not
    ``partial_fit``, whose one epoch has nothing to stop), with a stochastic
    solver, on the validation set given to ``fit`` or else on a hold-out of
    ``validation_fraction`` that leaves at least 2 validation samples and 1
    training sample (as :func:`~skscratch._training.stopping.split_validation` needs).
    """
    if incremental or not config.early_stopping:
        return False
    if data.validation is not None:
        return True
    n_samples = data.X.shape[0]
    n_val = math.ceil(config.validation_fraction * n_samples)
    return n_val >= 2 and n_samples - n_val >= 1


def _targets_in_dtype(Y, y, dtype):
    """The encoded targets as a dense array of X's dtype; ValueError if they overflow it."""
    with np.errstate(over="ignore"):
        Y = Y.astype(dtype, copy=False)
    if sp.issparse(Y):
        # Classes come one-hot encoded as a sparse matrix, made dense only
        # now, in X's dtype: one (n_samples, n_classes) array, not two.
        # Its 0s and 1s cannot overflow, so it needs no finiteness scan.
        return Y.toarray()
    if not np.isfinite(Y).all():
        raise ValueError(
            f"y has values (up to {np.abs(y).max():.3g}) beyond the range of "
            f"X's dtype {dtype}; scale y or pass X as float64."
        )
    return Y
