"""Training curves from ``history_``.

They need matplotlib: ``pip install ".[plot]"`` from a checkout of skscratch.

For decision boundaries use scikit-learn's
:class:`~sklearn.inspection.DecisionBoundaryDisplay`, which works with
skscratch's estimators as they are.
"""

from numbers import Real

import numpy as np


def plot_history(model, ax=None):
    """Plot the training loss per epoch and, when recorded, the validation loss and scores.

    The validation loss (recorded whenever there was a validation set: the
    part ``early_stopping`` holds out, or ``X_val`` given to ``fit``) shares
    the loss axes; it is the training loss without the L2 penalty. The
    validation score and the columns that callbacks add (an
    :class:`~skscratch.callbacks.EpochScoring`'s scores, any column of
    numbers) share a second axis.

    Parameters
    ----------
    model : fitted ScratchMLPClassifier or ScratchMLPRegressor, or its ``history_``
    ax : matplotlib Axes, default=None
        Where to draw; a new figure's axes by default.

    Returns
    -------
    ax : matplotlib Axes
        The loss axes; the scores, if any, are on a twin axis
        (``ax.right_ax``), with a legend when there are several.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            'plot_history needs matplotlib: pip install ".[plot]" from a checkout of '
            "skscratch (or pip install matplotlib)"
        ) from error
    history = getattr(model, "history_", model)
    if not history:
        raise ValueError("The history is empty: fit the model first.")
    if ax is None:
        _, ax = plt.subplots()
    epochs = [record["epoch"] for record in history]
    ax.plot(epochs, [record["loss"] for record in history], color="C0", label="loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    if any("validation_loss" in record for record in history):
        losses = [record.get("validation_loss", float("nan")) for record in history]
        ax.plot(epochs, losses, color="C0", linestyle="--", label="validation loss")
        ax.set_ylabel("loss")
        ax.legend(loc="upper center")
    scores = {"validation score": [record["validation_score"] for record in history]}
    for column in _added_columns(history):
        scores[column] = [record.get(column) for record in history]
    scores = {
        label: [np.nan if v is None else v for v in values]
        for label, values in scores.items()
        if any(value is not None for value in values)
    }
    ax.right_ax = None
    if scores:
        right = ax.twinx()
        for color, (label, values) in enumerate(scores.items(), start=1):
            right.plot(epochs, values, color=f"C{color}", label=label)
        right.set_ylabel("validation score" if len(scores) == 1 else "score")
        if len(scores) > 1:
            right.legend(loc="lower center")
        ax.right_ax = right
    return ax


_OWN_COLUMNS = (
    "epoch",
    "loss",
    "validation_loss",
    "validation_score",
    "learning_rate",
    "seconds",
)


def _added_columns(history):
    """The columns of numbers that callbacks added to the records, in order."""
    columns = {}
    for record in history:
        for key, value in record.items():
            if key not in _OWN_COLUMNS:
                number = isinstance(value, Real) and not isinstance(value, bool)
                columns[key] = columns.get(key, True) and (number or value is None)
    return [key for key, numbers in columns.items() if numbers]
