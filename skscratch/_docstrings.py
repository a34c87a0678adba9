"""Parameter and attribute descriptions shared by both estimators' docstrings."""

SHARED_PARAMETERS = """\
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of units in the ith hidden layer.

    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation function of the hidden layers: ``z``, ``1 / (1 + exp(-z))``,
        ``tanh(z)`` or ``max(z, 0)``.

    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        The weight optimizer: scipy's quasi-Newton L-BFGS-B (full batch; often
        best on small data), mini-batch stochastic gradient descent, or Adam.

    alpha : float, default=0.0001
        Strength of the L2 penalty on the weights (not the biases). It is
        divided by the sum of sample weights of the batch, as in scikit-learn.

    batch_size : int or 'auto', default='auto'
        Mini-batch size for 'sgd' and 'adam'; 'auto' means
        ``min(200, n_samples)``. Ignored by 'lbfgs'.

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule for 'sgd': keep ``learning_rate_init``; use
        ``learning_rate_init / (t + 1) ** power_t`` after ``t`` samples; or divide
        the rate by 5 each time the loss (or validation score) stalls for
        ``n_iter_no_change`` epochs.

    learning_rate_init : float, default=0.001
        Initial step size of 'sgd' and 'adam'.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs ('sgd', 'adam') or iterations ('lbfgs').

    shuffle : bool, default=True
        Whether to shuffle the samples every epoch ('sgd', 'adam').

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, the early-stopping split and the
        shuffling. An int gives bit-identical models from run to run.

    tol : float, default=1e-4
        Training stops when the loss (or the validation score with early
        stopping) has not improved by ``tol`` for ``n_iter_no_change`` epochs.
        For 'lbfgs' it is the gradient tolerance.

    verbose : bool, default=False
        Print the loss after every epoch.

    warm_start : bool, default=False
        Start ``fit`` from the previous solution instead of a new random one.

    momentum : float, default=0.9
        Momentum of 'sgd', in [0, 1].

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum ('sgd' with ``momentum > 0``).

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, stop when its
        score stalls, and keep the weights that scored best.

    validation_fraction : float, default=0.1
        Fraction of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Decay rate of Adam's first-moment estimate, in [0, 1).

    beta_2 : float, default=0.999
        Decay rate of Adam's second-moment estimate, in [0, 1).

    epsilon : float, default=1e-8
        Adam's numerical-stability constant.

    n_iter_no_change : int, default=10
        Epochs without an improvement of ``tol`` before stopping ('sgd', 'adam').

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.
"""

SHARED_ATTRIBUTES = """\
    loss_ : float
        The loss (data term plus L2 penalty) at the end of training.

    best_loss_ : float or None
        The lowest training loss seen ('sgd' and 'adam' without early stopping).

    loss_curve_ : list of float
        The loss after each epoch ('sgd', 'adam') or iteration ('lbfgs').

    validation_scores_ : list of float or None
        The held-out score after each epoch, with ``early_stopping=True``.

    best_validation_score_ : float or None
        The best of ``validation_scores_``, with ``early_stopping=True``.

    t_ : int
        The number of training samples seen by the stochastic solvers.

    coefs_ : list of ndarray
        ``coefs_[i]`` holds the weights from layer ``i`` to layer ``i + 1``.

    intercepts_ : list of ndarray
        ``intercepts_[i]`` holds the biases of layer ``i + 1``.

    n_features_in_ : int
        Number of features seen during fit.

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


def fill(docstring):
    """Insert the shared sections in place of a docstring's placeholder lines.

    A placeholder line is ``{parameters}`` or ``{attributes}`` indented like the
    rest of the docstring (ruff format indents it); the shared text carries its
    own indentation.
    """
    return docstring.replace("    {parameters}\n", SHARED_PARAMETERS + "\n").replace(
        "    {attributes}\n", SHARED_ATTRIBUTES + "\n"
    )
