"""Training curves from ``history_``.

They need matplotlib: ``pip install ".[plot]"`` from a checkout of skscratch.

For decision boundaries use scikit-learn's
:class:`~sklearn.inspection.DecisionBoundaryDisplay`, which works with
skscratch's estimators as they are.
"""


def plot_history(model, ax=None):
    """Plot the training loss per epoch and, when recorded, the validation loss and score.

    The validation loss (recorded whenever there was a validation set: the
    part ``early_stopping`` holds out, or ``X_val`` given to ``fit``) shares
    the loss axes; it is the training loss without the L2 penalty.

    Parameters
    ----------
    model : fitted ScratchMLPClassifier or ScratchMLPRegressor, or its ``history_``
    ax : matplotlib Axes, default=None
        Where to draw; a new figure's axes by default.

    Returns
    -------
    ax : matplotlib Axes
        The loss axes; the validation score, if any, is on a twin axis
        (``ax.right_ax``).
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
    scores = [record["validation_score"] for record in history]
    ax.right_ax = None
    if any(score is not None for score in scores):
        right = ax.twinx()
        right.plot(epochs, scores, color="C1", label="validation score")
        right.set_ylabel("validation score")
        ax.right_ax = right
    return ax
