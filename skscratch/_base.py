"""The estimator machinery shared by the classifier and the regressor.

:class:`BaseScratchMLP` holds scikit-learn's MLP parameters, validates them
and the data, builds a :class:`~skscratch.core.Network`, hands it to a
training loop (:mod:`skscratch._training`) and keeps only plain arrays and
numbers as fitted state. Subclasses say how targets are encoded and decoded.
"""

import datetime
import os
import threading
from abc import ABCMeta, abstractmethod
from functools import partial
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
    column_or_1d,
    validate_data,
)

from ._training import fit_lbfgs, fit_stochastic
from .core import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, Network, predict_output

STOCHASTIC_SOLVERS = ("sgd", "adam", "adamw", "rmsprop")
CALLBACK_HOOKS = ("on_fit_begin", "on_epoch_end", "on_fit_end")

# Held while a fit snapshots an estimator's attributes and while it commits
# its fitted ones: a few dictionary operations, so one lock serves every estimator.
_COMMIT_LOCK = threading.Lock()

_TIME_TYPES = (np.datetime64, np.timedelta64, datetime.date, datetime.timedelta)

# Fitted attributes only a stochastic solver keeps.
_STOCHASTIC_STATE = (
    "_no_improvement_count",
    "validation_scores_",
    "best_validation_score_",
    "best_loss_",
    "_optimizer_state",
)


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


def _physical_memory():
    """This machine's physical memory in bytes, or None where it cannot be read."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


class BaseScratchMLP(BaseEstimator, metaclass=ABCMeta):
    """Base class of the skscratch MLPs; use a subclass."""

    _parameter_constraints: ClassVar[dict] = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS)), "array-like"],
        "solver": [StrOptions({"lbfgs", *STOCHASTIC_SOLVERS})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [
            StrOptions({"constant", "invscaling", "adaptive", "cosine"}),
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
    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        if not all(isinstance(n, Integral) and not isinstance(n, bool) for n in sizes):
            raise TypeError(f"hidden_layer_sizes must hold integers, got {sizes!r}.")
        if any(n <= 0 for n in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(n) for n in sizes]

    def _hidden_activations(self, n_hidden):
        """One activation name per hidden layer, from ``activation``."""
        if isinstance(self.activation, str):
            return [self.activation] * n_hidden
        names = list(self.activation)
        unknown = [name for name in names if not isinstance(name, str)]
        unknown = unknown or [name for name in names if name not in HIDDEN_ACTIVATIONS]
        if unknown:
            raise ValueError(
                f"Unknown activation {unknown[0]!r} in activation={names!r}; choose "
                f"from {sorted(HIDDEN_ACTIVATIONS)}."
            )
        if len(names) != n_hidden:
            raise ValueError(
                f"activation lists {len(names)} names for {n_hidden} hidden layers "
                f"(hidden_layer_sizes={self.hidden_layer_sizes!r}); give one per layer."
            )
        return names

    def _dropout_rates(self, n_hidden):
        """One dropout rate per hidden layer, from ``dropout``."""
        rates = self.dropout
        if np.ndim(rates) == 0:
            return [float(rates)] * n_hidden
        try:
            rates = np.asarray(rates, dtype=float).ravel().tolist()
        except (TypeError, ValueError):
            rates = None
        if rates is None or len(rates) != n_hidden or not all(0 <= r < 1 for r in rates):
            raise ValueError(
                f"dropout needs one rate in [0, 1) per hidden layer ({n_hidden}); "
                f"got {self.dropout!r}."
            )
        return rates

    def _check_callbacks(self):
        callbacks = list(self.callbacks or [])
        for callback in callbacks:
            if not any(callable(getattr(callback, hook, None)) for hook in CALLBACK_HOOKS):
                raise TypeError(
                    f"Callback {callback!r} has none of the methods {CALLBACK_HOOKS}."
                )
        return callbacks

    def _notify(self, callbacks, hook, *args):
        """Call ``hook`` on every callback that has it; True if one asked to stop."""
        stop = False
        for callback in callbacks:
            method = getattr(callback, hook, None)
            if method is not None:
                stop = bool(method(self, *args)) or stop
        return stop

    def _validate_X(self, X, reset):
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

    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None):
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
        callbacks = work._check_callbacks()
        work._train(
            X, y, sample_weight, incremental, classes, partial(self._notify, callbacks)
        )
        params = set(self._get_param_names())
        fitted = {
            name: value for name, value in work.__dict__.items() if name not in params
        }
        with _COMMIT_LOCK:
            current = {
                name: value for name, value in self.__dict__.items() if name in params
            }
            self.__dict__ = {**current, **fitted}
        self._notify(callbacks, "on_fit_end")
        return self

    def _train(self, X, y, sample_weight, incremental, classes, notify):
        """Validate, train and set the fitted attributes on this (private) copy."""
        self._validate_params()
        hidden_sizes = self._hidden_layer_sizes()
        activations = self._hidden_activations(len(hidden_sizes))
        dropout = self._dropout_rates(len(hidden_sizes))
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True.")
        if self.early_stopping and self.validation_fraction == 0:
            raise ValueError(
                "early_stopping=True needs validation_fraction > 0 to hold out data."
            )

        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        self._check_y(y)
        X, y = self._validate_X_y(X, y, reset=first_pass)
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
        layer_sizes = [X.shape[1], *hidden_sizes, Y.shape[1]]
        self._check_network_size(layer_sizes, X.dtype, X.shape[0])
        net = self._build_network(layer_sizes, activations, dropout, X.dtype, first_pass)
        state = self._training_state(first_pass)
        rng = check_random_state(self.random_state)
        if first_pass:
            net.initialize(rng, self._init_factors(activations))
        if any(dropout):
            # Drawn only with dropout, so that fits without it consume the
            # random stream exactly as scikit-learn's MLP does.
            net.dropout_rng = np.random.default_rng(rng.randint(2**31 - 1))
        notify("on_fit_begin")
        if self.solver == "lbfgs":
            fit_lbfgs(self, net, X, Y, sample_weight, alpha, state, notify)
            for name in _STOCHASTIC_STATE:
                # A previous stochastic fit's bookkeeping does not describe this one.
                self.__dict__.pop(name, None)
        else:
            fit_stochastic(
                self, net, X, Y, y, sample_weight, alpha, rng, incremental, state, notify
            )

        self.coefs_ = net.coefs
        self.intercepts_ = net.intercepts
        self.n_layers_ = net.n_layers
        self.n_outputs_ = Y.shape[1]
        self.out_activation_ = net.output_activation.name
        self._hidden_activations_ = activations
        for name, value in state.items():
            setattr(self, name, value)

    def _check_network_size(self, layer_sizes, dtype, n_samples):
        """Refuse, before allocating it, a network larger than this machine's memory.

        Counts the parameters and what training holds per parameter (the
        weights, their gradient and up to two optimizer moments; L-BFGS keeps
        about twenty vectors of that size) plus one batch of activations.
        """
        n_params = sum(a * b + b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
        vectors = 22 if self.solver == "lbfgs" else 4
        batch = n_samples if self.solver == "lbfgs" else min(200, n_samples)
        if self.batch_size != "auto" and self.solver != "lbfgs":
            batch = min(int(self.batch_size), n_samples)
        itemsize = np.dtype(dtype).itemsize
        needed = (vectors * n_params + 3 * batch * sum(layer_sizes[1:])) * itemsize
        available = _physical_memory()
        if available is not None and needed > available:
            raise MemoryError(
                f"hidden_layer_sizes={self.hidden_layer_sizes!r} makes a network of "
                f"{n_params:,} parameters ({n_params * itemsize / 2**30:,.1f} GiB as "
                f"{np.dtype(dtype).name}); training it with solver={self.solver!r} needs "
                f"about {needed / 2**30:,.1f} GiB, more than this machine's "
                f"{available / 2**30:,.1f} GiB of memory. Use fewer or smaller hidden "
                "layers."
            )

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

    def _init_factors(self, activations):
        if isinstance(self.activation, str):
            # scikit-learn's choice: every layer uses 2 for a logistic network, else 6.
            factor = 2.0 if self.activation == "logistic" else 6.0
            return [factor] * (len(activations) + 1)
        return None  # per layer, from each layer's own activation

    def _build_network(self, layer_sizes, activations, dropout, dtype, first_pass):
        net = Network(
            layer_sizes, activations, self._loss_name(), dtype=dtype, dropout=dropout
        )
        if not first_pass:
            old_sizes = [c.shape[0] for c in self.coefs_] + [self.coefs_[-1].shape[1]]
            if old_sizes != layer_sizes:
                raise ValueError(
                    f"The network has layer sizes {old_sizes} from the previous fit but "
                    f"this call needs {layer_sizes}; warm_start and partial_fit must keep "
                    "hidden_layer_sizes and the number of features and outputs."
                )
            net.set_weights(self.coefs_, self.intercepts_)
        return net

    def _training_state(self, first_pass):
        """The bookkeeping attributes a fit starts from (fresh, or the previous fit's).

        A warm start continues ``loss_curve_``, ``history_`` and ``t_``. The
        stopping rule's own counters continue only where the previous fit
        kept the same ones: after an 'lbfgs' fit, or when ``early_stopping``
        has been switched, they start afresh.
        """
        if self.solver == "lbfgs":
            return {"n_iter_": 0, "t_": 0, "loss_curve_": [], "history_": []}
        fresh = {
            "n_iter_": 0,
            "t_": 0,
            "loss_curve_": [],
            "history_": [],
            "_no_improvement_count": 0,
            "validation_scores_": [] if self.early_stopping else None,
            "best_validation_score_": -np.inf if self.early_stopping else None,
            "best_loss_": None if self.early_stopping else np.inf,
            "_optimizer_state": None,
        }
        if first_pass:
            return fresh
        state = dict(fresh)
        state["t_"] = getattr(self, "t_", 0)
        state["loss_curve_"] = list(getattr(self, "loss_curve_", []))
        state["history_"] = list(getattr(self, "history_", []))
        previous_early_stopping = getattr(self, "validation_scores_", None) is not None
        if (
            hasattr(self, "_no_improvement_count")
            and previous_early_stopping == self.early_stopping
        ):
            for name in ("_no_improvement_count", "best_validation_score_", "best_loss_"):
                state[name] = getattr(self, name)
            if self.early_stopping:
                state["validation_scores_"] = list(self.validation_scores_)
            state["_optimizer_state"] = getattr(self, "_optimizer_state", None)
        return state

    # ------------------------------------------------------------ prediction
    def _forward(self, X):
        """Network output (after the output activation) for validated ``X``."""
        hidden = [HIDDEN_ACTIVATIONS[name] for name in self._hidden_activations_]
        return predict_output(
            X,
            self.coefs_,
            self.intercepts_,
            hidden,
            OUTPUT_ACTIVATIONS[self.out_activation_],
        )

    def _logits(self, X):
        """The last layer's pre-activations ``z`` for validated ``X``."""
        hidden = [HIDDEN_ACTIVATIONS[name] for name in self._hidden_activations_]
        return predict_output(
            X, self.coefs_, self.intercepts_, hidden, OUTPUT_ACTIVATIONS["identity"]
        )

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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
