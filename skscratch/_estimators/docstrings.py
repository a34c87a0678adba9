"""The estimators' docstrings: the Parameters sections from the parameter table,
and the attribute descriptions both estimators share."""

from .parameters import parameters_section, recipe_section

SHARED_ATTRIBUTES = """\
    loss_ : float
        The loss (data term plus L2 penalty) at the end of training.

    best_loss_ : float or None
        The lowest training loss seen (the stochastic solvers 'sgd', 'adam',
        'adamw', 'rmsprop', 'muon', without early stopping); None with early
        stopping.
        'lbfgs' models have no ``best_loss_``.

    loss_curve_ : list of float
        The loss after each epoch (the stochastic solvers 'sgd', 'adam',
        'adamw', 'rmsprop', 'muon') or iteration ('lbfgs').

    validation_scores_ : list of float or None
        The validation score (accuracy, R^2, or ``validation_scoring``'s) after
        each epoch, with ``early_stopping=True``.

    best_validation_score_ : float or None
        The best of ``validation_scores_``, with ``early_stopping=True``: the
        score of the epoch whose weights the model keeps.

    history_ : list of dict
        One record per epoch (or 'lbfgs' iteration) across fits that continue
        one another (``warm_start``, ``partial_fit``): ``epoch``, ``loss``,
        ``validation_score`` (None without a validation set), ``learning_rate``
        (None for 'lbfgs') and ``seconds``; with a validation set (the part
        ``early_stopping`` holds out, or ``X_val``), also ``validation_loss``,
        the loss on it without the L2 penalty. ``pandas.DataFrame(model.history_)``
        makes it a table.

    t_ : int
        The number of training samples seen by the stochastic solvers.

    layers_ : list of dict
        The fitted model: one record per layer in forward order, ``{"kind",
        "config", "params", "state"}`` (and ``"layers"`` for a residual block),
        of plain numbers, strings and arrays; with ``handle_missing`` or
        ``numeric_scaling`` it starts with their input layers, whose state
        holds the medians and spreads. Prediction, warm starts,
        ``partial_fit``, pickles and ONNX export all read it; ``coefs_``,
        ``intercepts_`` and ``embeddings_`` are views of it.

    coefs_ : list of ndarray
        ``coefs_[i]`` holds the weights from layer ``i`` to layer ``i + 1``
        (every dense layer's, in forward order). With
        ``parametrization='ntk'`` the layer multiplies ``a @ coefs_[i]`` by
        ``1 / sqrt(coefs_[i].shape[0])``.

    intercepts_ : list of ndarray
        ``intercepts_[i]`` holds the biases of layer ``i + 1``.

    n_features_in_ : int
        Number of features seen during fit.

    is_categorical_ : ndarray of bool of shape (n_features,) or None
        Which features are categorical; None when none is.

    categories_ : list of ndarray
        The categories of each categorical feature (in column order): the
        values seen in the first fit, sorted, then ``nan`` if missing values
        were among them. Empty without categorical features.

    embeddings_ : list of ndarray
        The learned embedding table of each categorical feature ``j``, of
        shape ``(len(categories_[j]) + 1, width)``: row ``i`` is the vector of
        ``categories_[j][i]``, the last row the unknown one.
        Empty without categorical features.

    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen during fit, when X had string column names.

    n_iter_ : int
        Number of epochs or iterations run.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of output units.

    out_activation_ : str
        Name of the output activation.
"""


def fill(docstring, estimator, tabular=False):
    """Insert the generated sections in place of a docstring's placeholder lines.

    A placeholder line is ``{parameters}``, ``{recipe}`` or ``{attributes}``
    indented like the rest of the docstring (ruff format indents it); the
    inserted text carries its own indentation.

    Parameters
    ----------
    docstring : str
    estimator : {'classifier', 'regressor'}
        Whose parameters the Parameters section lists.
    tabular : bool, default=False
        Whether the defaults shown are the Tabular ones.
    """
    sections = {
        "parameters": parameters_section(estimator, tabular),
        "recipe": recipe_section(estimator) if tabular else "",
        "attributes": SHARED_ATTRIBUTES,
    }
    for name, text in sections.items():
        docstring = docstring.replace(f"    {{{name}}}\n", text + "\n")
    return docstring
