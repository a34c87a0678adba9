"""ScratchMLPRegressor: real-valued targets, one or several outputs."""

from typing import ClassVar

from sklearn.base import RegressorMixin
from sklearn.utils.metaestimators import available_if

from ..core.backend import array_to_numpy, ops_for
from .base import BaseScratchMLP
from .docstrings import fill
from .parameters import constraints, store
from .tasks import RegressionTask

#: The fitted attributes of ``target_scaling``.
TARGET_STATISTICS = ("target_offset_", "target_scale_")


class ScratchMLPRegressor(RegressorMixin, BaseScratchMLP):
    """Multi-layer perceptron regressor trained by skscratch's numpy backprop.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`:
    the same parameters, defaults and fitted attributes. It minimises half the
    squared error with an identity output, or half the Poisson deviance with
    an exponential output.

    Parameters
    ----------
    {parameters}
    Attributes
    ----------
    target_offset_, target_scale_ : ndarray of shape (n_outputs,)
        With ``target_scaling='standard'``: the targets' statistics, the
        network fitting ``(y - target_offset_) / target_scale_``.

    {attributes}
    See Also
    --------
    ScratchMLPClassifier : The same network for classification.
    sklearn.neural_network.MLPRegressor : scikit-learn's MLP, which this mirrors.

    Notes
    -----
    With several outputs the loss sums the outputs' losses, so that the loss
    and its gradient agree. scikit-learn reports their mean but descends the
    gradient of the sum; the data term of ``loss_`` is therefore ``n_outputs``
    times scikit-learn's, ``tol`` acts on that larger loss, and L-BFGS (which
    needs the two to agree) can end at different weights.

    Examples
    --------
    >>> import numpy as np
    >>> from skscratch import ScratchMLPRegressor
    >>> X = np.linspace(0, 7, 200).reshape(-1, 1)
    >>> y = 0.4 * np.sin(X.ravel()) + 0.5
    >>> model = ScratchMLPRegressor(
    ...     hidden_layer_sizes=(20, 20), solver="lbfgs", max_iter=2000, random_state=0
    ... ).fit(X, y)
    >>> bool(model.score(X, y) > 0.99)
    True
    """

    __doc__ = fill(__doc__, "regressor")

    _parameter_constraints: ClassVar[dict] = constraints("regressor")

    def __init__(
        self,
        loss="squared_error",
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
        handle_missing="error",
        numeric_scaling=None,
        ema_decay=None,
        ensemble_size=1,
        training_dtype=None,
        target_scaling=None,
    ):
        store(self, locals())

    def fit(
        self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None
    ):
        """Fit the model to data ``X`` and targets ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.
        X_val : {array-like, sparse matrix} of shape (n_val_samples, n_features), \
default=None
            A validation set of your own (e.g. the latest rows of a time-ordered
            split), as in :class:`~sklearn.ensemble.HistGradientBoostingRegressor`.
            With ``early_stopping=True`` it is the set early stopping scores, and
            nothing of ``X`` is held out; otherwise it is only evaluated. Either
            way every record of ``history_`` gains its ``validation_loss`` (and
            ``validation_score``). Needs ``y_val``; its features must be those
            of ``X``. Passed through a pipeline with metadata routing:
            ``set_fit_request(X_val=True, y_val=True)``.
        y_val : array-like of shape (n_val_samples,) or (n_val_samples, n_outputs), \
default=None
            The targets of ``X_val``, with as many outputs as ``y``.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation samples.

        Returns
        -------
        self : ScratchMLPRegressor
            The fitted model.
        """
        validation = {
            "X_val": X_val,
            "y_val": y_val,
            "sample_weight_val": sample_weight_val,
        }
        return self._fit(X, y, sample_weight, incremental=False, validation=validation)

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : ScratchMLPRegressor
            The updated model.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _task(self, first_pass):
        if first_pass:
            for name in TARGET_STATISTICS:  # a previous fit's, if it scaled
                vars(self).pop(name, None)
            return RegressionTask(self.loss, self.validation_scoring, self.target_scaling)
        stats = self._target_statistics()
        if (stats is None) != (self.target_scaling is None):
            raise ValueError(
                "warm_start and partial_fit must keep target_scaling: the previous fit "
                f"{'did not scale' if stats is None else 'scaled'} its targets; "
                f"target_scaling is now {self.target_scaling!r}."
            )
        return RegressionTask(
            self.loss, self.validation_scoring, self.target_scaling, stats
        )

    def _target_statistics(self):
        """``(target_offset_, target_scale_)`` of the fitted model on the host, or None."""
        if not hasattr(self, "target_scale_"):
            return None
        return array_to_numpy(self.target_offset_), array_to_numpy(self.target_scale_)

    def predict(self, X):
        """Predict target values.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values.
        """
        output = self._predict_output(X)
        stats = self._target_statistics()
        if stats is not None:
            output = RegressionTask(self.loss, target_stats=stats).decode(output)
        return ops_for(output).xp.reshape(output, (-1,)) if output.shape[1] == 1 else output

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
