"""The estimator machinery shared by the classifier and the regressor.

:class:`BaseScratchMLP` holds scikit-learn's MLP parameters, validates them
and the data, builds a :class:`~skscratch.core.Network`, hands it to a
training loop (:mod:`skscratch._training`) and keeps only plain arrays and
numbers as fitted state. Subclasses say how targets are encoded and decoded.
"""

import datetime
import inspect
import threading
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
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
    encode_X,
    fill_unknown_rows,
    numeric_columns,
    resolve_categorical_features,
)
from ._spec import SOLVERS, STOCHASTIC_SOLVERS, build, embedding_tables
from ._state import TrainingState
from ._stopping import Validation
from ._training import TrainingData, fit_lbfgs, fit_stochastic
from .callbacks import check_callbacks, notify
from .core import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, predict_output

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


class BaseScratchMLP(BaseEstimator, metaclass=ABCMeta):
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
        "early_stopping": ["boolean"],
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
        "categorical_features": ["array-like", StrOptions({"from_dtype"}), None],
        "embedding_dim": [None, Interval(Integral, 1, None, closed="left"), "array-like"],
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

    # ------------------------------------------------------- subclass contract
    @abstractmethod
    def _encode_targets(self, y, incremental, first_pass, classes=None):
        """Validate ``y`` and return ``(Y, info)``: a 2-D target matrix (dense,
        or a sparse one-hot matrix) and a dict of target attributes
        (``classes_`` ...) that the fit sets."""

    @abstractmethod
    def _loss_name(self):
        """Name of the core loss, once the target attributes are set."""

    def _check_y(self, y):
        """Reject ``y`` as the user gave it, before validation converts it."""

    def _training_weights(self, y, sample_weight, incremental):
        """The per-sample weights training uses (the classifier adds class weights)."""
        return sample_weight

    @abstractmethod
    def _stratify_validation(self, Y):
        """Whether the early-stopping split should be stratified on the labels."""

    @abstractmethod
    def _score_output(self, output, y, sample_weight):
        """Score (accuracy or R^2) of raw network output against original targets."""

    # --------------------------------------------------------------- fitting
    def _categorical_X(self, X, reset):
        """``X`` for a network with embeddings (numeric columns, then category
        codes), or None when no feature is categorical.

        At ``reset`` the categorical features are found (``is_categorical_``)
        and their categories learned; later calls keep them.
        """
        if reset:
            self.is_categorical_ = resolve_categorical_features(
                X, self.categorical_features
            )
        if getattr(self, "is_categorical_", None) is None:
            return None
        _reject_datetime(numeric_columns(X, self.is_categorical_))
        return encode_X(self, X, reset)

    def _validate_X(self, X, reset):
        if not reset and self._plain_small_input(X):
            return X
        X_network = self._categorical_X(X, reset)
        if X_network is not None:
            return X_network
        _reject_datetime(X)
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if sp.issparse(X):
            X = X.tocsr()
        return X

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
        end with attributes of both. Callbacks are notified with ``self``.
        """
        with _COMMIT_LOCK:
            snapshot = dict(self.__dict__)
        work = object.__new__(type(self))
        work.__dict__.update(snapshot)
        callbacks = check_callbacks(self.callbacks)

        def tell_callbacks(hook, *args):
            return notify(callbacks, hook, self, *args)

        work._train(X, y, sample_weight, incremental, classes, tell_callbacks, validation)
        params = set(self._get_param_names())
        fitted = {
            name: value for name, value in work.__dict__.items() if name not in params
        }
        with _COMMIT_LOCK:
            current = {
                name: value for name, value in self.__dict__.items() if name in params
            }
            self.__dict__ = {**current, **fitted}
        tell_callbacks("on_fit_end")
        return self

    def _train(
        self, X, y, sample_weight, incremental, classes, tell_callbacks, validation=None
    ):
        """Validate, train and set the fitted attributes on this (private) copy."""
        self._validate_params()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True.")
        given = validation is not None and validation["X_val"] is not None
        if self.early_stopping and self.validation_fraction == 0 and not given:
            raise ValueError(
                "early_stopping=True needs validation_fraction > 0 to hold out data, "
                "or a validation set given to fit (X_val, y_val)."
            )
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        if validation is not None:
            _check_validation_given(**validation)
        data = self._training_data(X, y, sample_weight, incremental, classes, first_pass)
        if validation is not None and validation["X_val"] is not None:
            data = data._replace(validation=self._validation_set(data, **validation))
        rng = check_random_state(self.random_state)
        previous = None
        if not first_pass:
            previous = (self.coefs_, self.intercepts_, getattr(self, "embeddings_", []))
        net, optimizer = build(self, data.X, data.Y, rng, previous)
        state = TrainingState.start(self, first_pass)
        tell_callbacks("on_fit_begin")
        if optimizer is None:
            fit_lbfgs(self, net, data, state, tell_callbacks)
        else:
            fit_stochastic(
                self, net, optimizer, data, rng, incremental, state, tell_callbacks
            )

        self.coefs_ = net.coefs
        self.intercepts_ = net.intercepts
        self.embeddings_ = embedding_tables(net)
        if self.embeddings_:
            fill_unknown_rows(self.embeddings_, self._category_counts)
        else:
            self.categories_, self._category_counts = [], []
        self.n_layers_ = net.n_layers
        self.n_outputs_ = data.Y.shape[1]
        self.out_activation_ = net.output_activation.name
        self._hidden_activations_ = [act.name for act in net.hidden_activations]
        for name in vars(state):
            # A previous stochastic fit's bookkeeping does not describe an lbfgs one.
            self.__dict__.pop(name, None)
        self.__dict__.update(state.attributes(self.solver))

    def _training_data(
        self, X, y, sample_weight, incremental, classes, first_pass, dtype=None
    ):
        """Validate and encode the data; set the target attributes (``classes_`` ...).

        Parameters
        ----------
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
        self._check_y(y)
        X, y = self._validate_X_y(X, y, reset=first_pass)
        if dtype is not None:
            X = X.astype(dtype, copy=False)
        Y, info = self._encode_targets(y, incremental, first_pass, classes)
        with np.errstate(over="ignore"):
            Y = Y.astype(X.dtype, copy=False)
        if sp.issparse(Y):
            # Classes come one-hot encoded as a sparse matrix, made dense only
            # now, in X's dtype: one (n_samples, n_classes) array, not two.
            # Its 0s and 1s cannot overflow, so it needs no finiteness scan.
            Y = Y.toarray()
        elif not np.isfinite(Y).all():
            raise ValueError(
                f"y has values (up to {np.abs(y).max():.3g}) beyond the range of "
                f"X's dtype {X.dtype}; scale y or pass X as float64."
            )
        for name, value in info.items():
            setattr(self, name, value)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
        sample_weight = self._training_weights(y, sample_weight, incremental)
        sample_weight, alpha = self._normalized_weights(sample_weight, X.dtype)
        return TrainingData(X, Y, y, sample_weight, alpha)

    def _validation_set(self, data, X_val, y_val, sample_weight_val):
        """The user's validation set, checked against the training data.

        Called after the training data are validated, so that ``X_val`` is
        checked against the features (number, names, categories) and
        ``y_val`` against the targets (``classes_`` ...) of this fit.
        """
        try:
            self._check_y(y_val)
            X_val, y_val = self._validate_X_y(X_val, y_val, reset=False)
            Y_val = self._encode_validation_targets(y_val, data.Y.shape[1])
            if sample_weight_val is not None:
                sample_weight_val = _check_sample_weight(
                    sample_weight_val, X_val, dtype=data.X.dtype, ensure_non_negative=True
                )
        except ValueError as error:
            raise ValueError(
                f"The validation set (X_val, y_val) is refused: {error}"
            ) from None
        X_val = X_val.astype(data.X.dtype, copy=False)
        Y_val = np.asarray(Y_val, dtype=data.X.dtype)
        sample_weight_val = self._training_weights(y_val, sample_weight_val, False)
        if sample_weight_val is not None and not np.sum(sample_weight_val) > 0:
            raise ValueError("sample_weight_val (times class_weight) must not be all zero.")
        return Validation(self, X_val, Y_val, y_val, sample_weight_val)

    def _normalized_weights(self, sample_weight, dtype):
        """Sample weights scaled to a maximum of 1, and ``alpha`` scaled to match.

        Only the weights' ratios matter to the data term, while the L2 penalty
        is divided by their sum; dividing both the weights and ``alpha`` by
        the largest weight keeps the objective and keeps sums from overflowing.
        AdamW's decoupled decay does not involve the weights at all.
        """
        alpha = 0.0 if self.solver == "adamw" else self.alpha
        if sample_weight is None:
            return None, alpha
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        largest = sample_weight.max()
        if not largest > 0:
            raise ValueError("sample_weight (times class_weight) must not be all zero.")
        return (sample_weight / largest).astype(dtype, copy=False), alpha / largest

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

    def _validate_X_y(self, X, y, reset):
        X_network = self._categorical_X(X, reset)
        if X_network is not None:
            X, y = check_X_y(
                X_network,
                y,
                multi_output=True,
                y_numeric=self._y_numeric,
                estimator=self,
            )
        else:
            _reject_datetime(X)
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse=["csr", "csc"],
                multi_output=True,
                dtype=(np.float64, np.float32),
                y_numeric=self._y_numeric,
                reset=reset,
            )
        if sp.issparse(X):
            X = X.tocsr()
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self._y_numeric and y.dtype.kind not in "fiub":
            # validate_data converts only object arrays; numpy strings need this.
            try:
                y = y.astype(np.float64)
            except ValueError as error:
                raise ValueError(f"y must be numeric for regression: {error}") from None
            assert_all_finite(y, input_name="y")
        return X, y

    # ------------------------------------------------------------ prediction
    def _forward(self, X, output_activation=None):
        """Network output (after the output activation) for validated ``X``."""
        hidden = [HIDDEN_ACTIVATIONS[name] for name in self._hidden_activations_]
        tables = getattr(self, "embeddings_", [])
        return predict_output(
            X,
            self.coefs_,
            self.intercepts_,
            hidden,
            OUTPUT_ACTIVATIONS[output_activation or self.out_activation_],
            embedding=(X.shape[1] - len(tables), tables) if tables else None,
        )

    def _logits(self, X):
        """The last layer's pre-activations ``z`` for validated ``X``."""
        return self._forward(X, "identity")

    def _predict_output(self, X):
        check_is_fitted(self)
        return self._forward(self._validate_X(X, reset=False))

    def _check_solver(self):
        if self.solver not in STOCHASTIC_SOLVERS:
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers; "
                f"{self.solver!r} is not stochastic."
            )
        return True

    def __setstate__(self, state):
        """Unpickle; parameters added to skscratch since the model was saved
        take their defaults, so an older model predicts and trains on."""
        super().__setstate__(state)
        for name, parameter in inspect.signature(type(self).__init__).parameters.items():
            if parameter.default is not parameter.empty and name not in self.__dict__:
                setattr(self, name, parameter.default)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
