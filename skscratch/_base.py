"""The estimator machinery shared by the classifier and the regressor.

:class:`BaseScratchMLP` holds scikit-learn's MLP parameters and validates
them and the data. One fit's set-up path: ``_fit`` (a private copy, committed
at the end) -> ``_train`` -> ``_training_data`` (the task encodes the
targets) -> :func:`~skscratch._spec.training_config` -> :func:`~skscratch._spec.build`
-> a training loop of :mod:`skscratch._training` -> ``_finish``. The fitted
model is its layer records, ``layers_`` (:mod:`skscratch._model`): plain
arrays and numbers. Subclasses give the task (:mod:`skscratch._tasks`) and
the methods that turn the network's output into predictions.
"""

import dataclasses
import datetime
import inspect
import math
import threading
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.base import BaseEstimator
from sklearn.metrics import get_scorer_names
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    assert_all_finite,
    check_is_fitted,
    check_X_y,
    column_or_1d,
    validate_data,
)

from ._categorical import (
    embedding_dims,
    encode_X,
    fill_unknown_rows,
    learn_categories,
    numeric_columns,
    resolve_categorical_features,
)
from ._inputs import SCALINGS, input_layers, previous_input_layers
from ._model import (
    LayerArrays,
    embedding_tables,
    records_from_legacy,
    set_dense_arrays,
)
from ._sklearn_callbacks import CallbackSupport, sklearn_fit_task
from ._spec import SOLVERS, STOCHASTIC_SOLVERS, build, embedding_layer, training_config
from ._state import TrainingState
from ._stopping import Validation
from ._training import TrainingData, fit_lbfgs, fit_stochastic
from .callbacks import Hooks, check_callbacks
from .core import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from .core.backend import NUMPY, is_array_api_obj, ops_for, to_numpy
from .core.layers import PERIODIC_VARIANTS, ImputeMissing
from .core.mlp import PARAMETRIZATIONS
from .core.network import layers_from_records, predict_chunked

# Held while a fit snapshots an estimator's attributes and while it commits
# its fitted ones: a few dictionary operations, so one lock serves every estimator.
_COMMIT_LOCK = threading.Lock()

#: Inputs that prediction takes without ``validate_data`` (see ``_plain_small_input``).
_PLAIN_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
_PLAIN_INPUT_SIZE = 4096

_TIME_TYPES = (np.datetime64, np.timedelta64, datetime.date, datetime.timedelta)


def _reject_datetime(X):
    """Raise TypeError for dates or durations in ``X``.

    ``validate_data`` would turn them into floats of their raw tick counts
    (days, nanoseconds ...) and train on those without a word.
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is not None and hasattr(dtypes, "items"):  # a pandas DataFrame
        columns = [
            name
            for name, dtype in dtypes.items()
            if getattr(dtype, "kind", "") in ("m", "M")
        ]
        kinds = {str(dtypes[name]) for name in columns}
        where = f"columns {columns} of dtype {', '.join(sorted(kinds))}"
    else:
        dtype = getattr(X, "dtype", None)
        if dtype is None:  # a list: look at its first element
            first = X
            for _ in range(2):
                if isinstance(first, (list, tuple)) and len(first):
                    first = first[0]
            dtype = np.asarray(first).dtype if isinstance(first, _TIME_TYPES) else None
        columns = (
            [] if dtype is None or getattr(dtype, "kind", "") not in ("m", "M") else [0]
        )
        where = f"dtype {dtype}"
    if columns:
        raise TypeError(
            f"X has {where} (dates or durations), which would be trained on as "
            "raw tick counts. Convert them to numbers first, e.g. elapsed seconds "
            "with (X - X.min()) / np.timedelta64(1, 's')."
        )


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

    _parameter_constraints: ClassVar[dict] = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS)), "array-like"],
        "solver": [StrOptions(set(SOLVERS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [
            StrOptions(
                {"constant", "invscaling", "adaptive", "cosine", "coslog4", "one_cycle"}
            ),
            callable,
        ],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "callbacks": [None, list],
        "categorical_features": ["array-like", StrOptions({"from_dtype", "auto"}), None],
        "embedding_dim": [None, Interval(Integral, 1, None, closed="left"), "array-like"],
        "batch_norm": ["boolean", "array-like"],
        "residual": ["boolean"],
        "feature_scale": ["boolean"],
        "numeric_embedding": [None, StrOptions(set(PERIODIC_VARIANTS))],
        "numeric_embedding_frequencies": [Interval(Integral, 1, None, closed="left")],
        "numeric_embedding_sigma": [Interval(Real, 0, None, closed="neither")],
        "numeric_embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "parametrization": [StrOptions(set(PARAMETRIZATIONS))],
        "validation_scoring": [None, StrOptions(set(get_scorer_names())), callable],
        "handle_missing": [StrOptions({"error", "indicator"})],
        "numeric_scaling": [StrOptions(set(SCALINGS)), None],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
        dropout,
        callbacks,
        categorical_features,
        embedding_dim,
        batch_norm,
        residual,
        feature_scale,
        numeric_embedding,
        numeric_embedding_frequencies,
        numeric_embedding_sigma,
        numeric_embedding_dim,
        parametrization,
        validation_scoring,
        handle_missing,
        numeric_scaling,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.callbacks = callbacks
        self.categorical_features = categorical_features
        self.embedding_dim = embedding_dim
        self.batch_norm = batch_norm
        self.residual = residual
        self.feature_scale = feature_scale
        self.numeric_embedding = numeric_embedding
        self.numeric_embedding_frequencies = numeric_embedding_frequencies
        self.numeric_embedding_sigma = numeric_embedding_sigma
        self.numeric_embedding_dim = numeric_embedding_dim
        self.parametrization = parametrization
        self.validation_scoring = validation_scoring
        self.handle_missing = handle_missing
        self.numeric_scaling = numeric_scaling

    # ------------------------------------------------------- subclass contract
    @abstractmethod
    def _task(self, first_pass):
        """The task of this fit (:mod:`skscratch._tasks`): afresh on a first
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
    def _categorical_X(self, X, reset, allow_nan=False):
        """``X`` for a network with embeddings (numeric columns, then category
        codes), or None when no feature is categorical.

        At ``reset`` the categorical features are found (``is_categorical_``)
        and their categories learned; later calls keep them. Categories are
        coded on the host: an array of another namespace comes to numpy first
        (and ``_validate_X_y`` moves the result back to its device).
        ``allow_nan``: whether the numeric columns may hold missing values.
        """
        if is_array_api_obj(X) and not isinstance(X, np.ndarray):
            X = to_numpy(X)  # torch, CuPy ... (with array API dispatch on or off)
        if reset:
            self.is_categorical_ = resolve_categorical_features(
                X, self.categorical_features
            )
        mask = getattr(self, "is_categorical_", None)
        if mask is None:
            return None
        _reject_datetime(numeric_columns(X, mask))
        if sp.issparse(X):
            raise ValueError(
                f"{type(self).__name__} was fitted with categorical features, which a "
                "sparse X cannot hold; pass X dense, or as a dataframe."
            )
        validate_data(self, X, skip_check_array=True, reset=reset)  # names and count
        if reset:
            self.categories_, self._category_counts = learn_categories(X, mask)
        return encode_X(X, mask, self.categories_, allow_nan)

    def _validate_X(self, X, reset):
        """``X`` for the fitted network (prediction): NaN only if it imputes them."""
        if not reset and self._plain_small_input(X):
            return X
        ops = input_ops(X)
        allow_nan = self._imputes_missing()
        X_network = self._categorical_X(X, reset, allow_nan)
        if X_network is not None:
            return ops.asarray(X_network)  # coded on the host, back where X was
        _reject_datetime(X)
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=_float_dtypes(ops),
            ensure_all_finite="allow-nan" if allow_nan else True,
            reset=reset,
        )
        if sp.issparse(X):
            X = X.tocsr()
        return X

    def _imputes_missing(self):
        """Whether the fitted network imputes missing numeric values itself."""
        return any(r["kind"] == ImputeMissing.kind for r in getattr(self, "layers_", ()))

    def _plain_small_input(self, X):
        """True for what a service predicting row by row sends: a few finite rows.

        A C-ordered float64 or float32 ndarray of at most ``_PLAIN_INPUT_SIZE``
        values, with the fitted number of columns, to a model fitted without
        feature names or categorical features: ``validate_data`` would return
        it unchanged, after checks that cost several times the forward pass of
        one row. Anything else (and anything wrong) takes the full validation
        and its messages.
        """
        return (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in _PLAIN_DTYPES
            and 0 < X.size <= _PLAIN_INPUT_SIZE
            and X.flags.c_contiguous
            and X.shape[1] == getattr(self, "n_features_in_", None)
            and not hasattr(self, "feature_names_in_")
            and getattr(self, "is_categorical_", None) is None  # codes to look up
            and bool(np.isfinite(X).all())
        )

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
        :func:`~skscratch._sklearn_callbacks.sklearn_fit_task`.
        """
        with _COMMIT_LOCK:
            snapshot = dict(self.__dict__)
        work = object.__new__(type(self))
        work.__dict__.update(snapshot)
        callbacks = check_callbacks(self.callbacks)
        with sklearn_fit_task(work, X, y, sample_weight, incremental) as sklearn_hooks:
            callbacks += sklearn_hooks
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

    def _network(self, config, task, data, rng, previous=None):
        """The network (and optimizer) this estimator trains on ``data``
        (:func:`~skscratch._spec.build`): the input layers of ``handle_missing``
        and ``numeric_scaling`` (from ``data``, or kept from ``previous``), and
        the embeddings of its categories."""
        categories = getattr(self, "categories_", [])
        n_numeric = data.X.shape[1] - len(categories)
        options = self.handle_missing, self.numeric_scaling
        if previous is None:
            inputs = input_layers(data.X, n_numeric, *options)
        else:
            inputs = previous_input_layers(previous, n_numeric, *options)
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
            by default X keeps its float dtype.

        Returns
        -------
        data : TrainingData
        """
        task.check_y(y)
        X, y = self._validate_X_y(task, X, y, reset=first_pass)
        if first_pass and getattr(self, "is_categorical_", None) is None:
            self.categories_, self._category_counts = [], []
        ops = input_ops(X)
        if dtype is not None:
            X = X.astype(dtype, copy=False)
        np_dtype = ops.numpy_dtype(X.dtype)
        Y = _targets_in_dtype(task.encode(y, first_pass, incremental, classes), y, np_dtype)
        vars(self).update(task.attributes(ops))
        if sample_weight is not None:  # on the host, where the weights are prepared
            sample_weight = to_numpy(
                _check_sample_weight(
                    sample_weight, X, dtype=X.dtype, ensure_non_negative=True
                )
            )
        sample_weight = task.sample_weight(y, sample_weight, incremental)
        sample_weight, alpha = self._normalized_weights(sample_weight, np_dtype)
        on_device = None if sample_weight is None else ops.asarray(sample_weight)
        return TrainingData(
            X, ops.asarray(Y), y, on_device, alpha, host_sample_weight=sample_weight
        )

    def _validation_set(self, task, data, X_val, y_val, sample_weight_val):
        """The user's validation set, checked against the training data.

        Called after the training data are validated, so that ``X_val`` is
        checked against the features (number, names, categories) and
        ``y_val`` against the targets (``classes_`` ...) of this fit.
        """
        try:
            task.check_y(y_val)
            X_val, y_val = self._validate_X_y(task, X_val, y_val, reset=False)
            Y_val = task.encode_validation(y_val, data.Y.shape[1])
            if sample_weight_val is not None:
                sample_weight_val = to_numpy(
                    _check_sample_weight(sample_weight_val, X_val, ensure_non_negative=True)
                )
            ops = _same_ops(data.X, X_val)
        except ValueError as error:
            raise ValueError(
                f"The validation set (X_val, y_val) is refused: {error}"
            ) from None
        np_dtype = ops.numpy_dtype(data.X.dtype)
        X_val = ops.astype(X_val, np_dtype)
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

    def _validate_X_y(self, task, X, y, reset):
        """Validated ``X`` (in its namespace and device, where array API dispatch
        is on; NaN where ``handle_missing`` takes them) and ``y`` (on the host,
        where the targets are encoded)."""
        ops = input_ops(X)
        y = to_numpy(y) if input_ops(y) is not NUMPY else y
        allow_nan = self.handle_missing == "indicator"
        finite = "allow-nan" if allow_nan else True
        X_network = self._categorical_X(X, reset, allow_nan)
        if X_network is not None:
            X, y = check_X_y(
                X_network,
                y,
                multi_output=True,
                y_numeric=task.y_numeric,
                ensure_all_finite=finite,
                estimator=self,
            )
            X = ops.asarray(X)
        else:
            _reject_datetime(X)
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse=["csr", "csc"],
                multi_output=True,
                dtype=_float_dtypes(ops),
                ensure_all_finite=finite,
                y_numeric=task.y_numeric,
                reset=reset,
            )
            y = to_numpy(y)
        if sp.issparse(X):
            X = X.tocsr()
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if task.y_numeric and y.dtype.kind not in "fiub":
            # validate_data converts only object arrays; numpy strings need this.
            try:
                y = y.astype(np.float64)
            except ValueError as error:
                raise ValueError(f"y must be numeric for regression: {error}") from None
            assert_all_finite(y, input_name="y")
        return X, y

    # ------------------------------------------------------------ prediction
    def _forward(self, X, output_activation=None, method="predict"):
        """Network output (after the output activation) for validated ``X``."""
        layers = layers_from_records(self.layers_)
        _check_same_ops(self, layers, X, method)
        return predict_chunked(
            layers, OUTPUT_ACTIVATIONS[output_activation or self.out_activation_], X
        )

    def _logits(self, X, method="predict_proba"):
        """The last layer's pre-activations ``z`` for validated ``X``."""
        return self._forward(X, "identity", method)

    def _predict_output(self, X, method="predict"):
        check_is_fitted(self)
        return self._forward(self._validate_X(X, reset=False), method=method)

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
        tags.input_tags.allow_nan = self.handle_missing == "indicator"
        tags.array_api_support = True
        return tags


def input_ops(X):
    """The array library of ``X`` for this call: its own where scikit-learn's array
    API dispatch is on and ``X`` is an array API array (torch, CuPy ...), numpy's
    otherwise (numpy arrays, dataframes, lists, sparse matrices)."""
    if not get_config()["array_api_dispatch"] or not is_array_api_obj(X):
        return NUMPY
    return ops_for(X)


def _float_dtypes(ops):
    """``validate_data``'s dtype: X's float dtype kept, else float64 (float32 where
    the device has no float64)."""
    return tuple(
        ops.dtype(name)
        for name in ("float64", "float32")
        if hasattr(ops.xp, name) and _supports(ops, name)
    )


def _supports(ops, name):
    if ops.is_numpy or name != "float64":
        return True
    info = getattr(ops.xp, "__array_namespace_info__", None)
    try:
        return "float64" in info().dtypes(device=ops.device)
    except Exception:  # a library that cannot tell: let it try
        return True


def _same_ops(X, X_other):
    """The ops of ``X``; ValueError where ``X_other`` lives elsewhere."""
    ops, other = ops_for(X), ops_for(X_other)
    if ops != other:
        raise ValueError(
            f"X_val is in {_where(other)} but X in {_where(ops)}: pass both in the "
            "same namespace and on the same device."
        )
    return ops


def _where(ops):
    return "numpy" if ops.is_numpy else f"{ops.xp.__name__} on {ops.device}"


def _check_same_ops(estimator, layers, X, method):
    """Raise scikit-learn's ValueError when ``X`` is not where the model was fitted."""
    fitted, given = ops_for(layers[-1].W), ops_for(X)
    if fitted == given:
        return
    raise ValueError(
        f"Inputs passed to {type(estimator).__name__}.{method}() must use the same "
        "namespace and the same device as those passed to fit(). The model was "
        f"fitted in {_where(fitted)}; X is in {_where(given)}. Move X there, or the "
        "model to numpy with skscratch.to_numpy(model) (then predict on numpy X)."
    )


def _auto_early_stopping(config, data, incremental):
    """Whether ``early_stopping="auto"`` stops early in this fit.

    It does wherever ``early_stopping=True`` could: in ``fit`` (not
    ``partial_fit``, whose one epoch has nothing to stop), with a stochastic
    solver, on the validation set given to ``fit`` or else on a hold-out of
    ``validation_fraction`` that leaves at least 2 validation samples and 1
    training sample (as :func:`~skscratch._stopping.split_validation` needs).
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
