"""Parameter and attribute descriptions shared by both estimators' docstrings."""

SHARED_PARAMETERS = """\
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of units in the ith hidden layer.

    activation : str or sequence of str, default='relu'
        Activation of the hidden layers, one name for all or one per hidden
        layer: 'identity' ``z``, 'logistic' ``1 / (1 + exp(-z))``, 'tanh',
        'relu' ``max(z, 0)`` (scikit-learn's four), and skscratch's
        'leaky_relu' (slope 0.01 below 0), 'elu' (``exp(z) - 1`` below 0),
        'gelu' (``z * Phi(z)``, exact), 'selu' (ELU scaled to keep unit
        variance, Klambauer et al. 2017) and 'mish' (``z * tanh(log(1 +
        exp(z)))``).

    solver : {'lbfgs', 'sgd', 'adam', 'adamw', 'rmsprop'}, default='adam'
        The weight optimizer: scipy's quasi-Newton L-BFGS-B (full batch; often
        best on small data), mini-batch stochastic gradient descent, Adam, and
        skscratch's AdamW (Adam with decoupled weight decay ``alpha``) and
        RMSprop (decay rate ``beta_2``).

    alpha : float, default=0.0001
        Strength of the L2 penalty on the weights (not the biases). It is
        divided by the sum of sample weights of the batch, as in scikit-learn.
        With 'adamw' it is instead the decoupled weight decay: each step
        shrinks the weights by ``learning_rate * alpha``, and the loss has no
        penalty term.

    batch_size : int or 'auto', default='auto'
        Mini-batch size of the stochastic solvers ('sgd', 'adam', 'adamw',
        'rmsprop'); 'auto' means ``min(200, n_samples)``. Ignored by 'lbfgs'.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'cosine', 'coslog4', \
'one_cycle'} or callable, default='constant'
        Learning-rate schedule, set once per epoch. For 'sgd' only, as in
        scikit-learn: keep ``learning_rate_init``; use
        ``learning_rate_init / (t + 1) ** power_t`` after ``t`` samples; or
        divide the rate by 5 each time the stopping rule of ``tol`` and
        ``n_iter_no_change`` would stop training (until the rate is 1e-6 or
        below, then stop). For every stochastic solver: 'cosine' anneals the
        rate to 0 over ``max_iter`` epochs on a half cosine; 'coslog4'
        (RealMLP's) runs 4 cosine cycles from 0 up to ``learning_rate_init``
        and back, each twice as long as the one before
        (``(1 - cos(2 pi log2(1 + 15 t))) / 2`` at the fraction ``t`` of
        ``max_iter`` done); 'one_cycle' warms up from 0.04 times
        ``learning_rate_init`` over the first quarter of ``max_iter``, then
        anneals to 1e-5 times it, both on half cosines; and a callable
        ``factor(epoch) -> float`` (epochs counted from 0) sets the rate to
        ``learning_rate_init * factor(epoch)``, e.g.
        ``lambda epoch: 1 / (1 + 0.01 * epoch)``. The stopping rule still
        applies to all of them: ``n_iter_no_change=np.inf`` runs the whole
        schedule.

    learning_rate_init : float, default=0.001
        Initial step size of the stochastic solvers ('sgd', 'adam', 'adamw',
        'rmsprop'). Ignored by 'lbfgs'.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs (the stochastic solvers 'sgd', 'adam',
        'adamw', 'rmsprop') or iterations ('lbfgs').

    shuffle : bool, default=True
        Whether to shuffle the samples every epoch (the stochastic solvers
        'sgd', 'adam', 'adamw', 'rmsprop').

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, the early-stopping split and the
        shuffling. An int gives bit-identical models from run to run.

    tol : float, default=1e-4
        The stochastic solvers stop after ``n_iter_no_change + 1`` consecutive
        epochs whose loss is not below the best loss so far minus ``tol``
        (with early stopping: whose validation score is not above the best
        score so far plus ``tol``), as scikit-learn does. For 'lbfgs' it is
        the gradient tolerance.

    verbose : bool, default=False
        Print the loss after every epoch.

    warm_start : bool, default=False
        Start ``fit`` from the previous solution instead of a new random one,
        also after switching ``solver``. ``y`` must have the same classes as
        in the previous fit.

    momentum : float, default=0.9
        Momentum of 'sgd', in [0, 1].

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum ('sgd' with ``momentum > 0``).

    early_stopping : bool or 'auto', default=False
        Hold out ``validation_fraction`` of the training data, stop when its
        score stalls, and keep the weights that scored best (the stochastic
        solvers 'sgd', 'adam', 'adamw', 'rmsprop'; 'lbfgs' ignores it). For
        a single-label classifier the hold-out is stratified where every class
        can have a place in both parts, and drawn at random otherwise. With a
        validation set given to ``fit`` (``X_val``, ``y_val``), that set is
        scored instead and nothing is held out. The score is accuracy or R^2,
        or that of ``validation_scoring``. 'auto' (skscratch's) stops
        early wherever True could without an error: in ``fit`` when the
        hold-out leaves at least 2 validation samples and 1 training sample
        (or ``X_val`` is given), and not in ``partial_fit``, whose epoch then
        trains on every row given.

    validation_fraction : float, default=0.1
        Fraction of the training data held out for early stopping (unless
        ``fit`` gets ``X_val``); it must leave at least 2 validation samples
        and 1 training sample.

    beta_1 : float, default=0.9
        Decay rate of the first-moment estimate of 'adam' and 'adamw', in [0, 1).

    beta_2 : float, default=0.999
        Decay rate of the second-moment estimate of 'adam' and 'adamw', and
        of the squared-gradient average of 'rmsprop', in [0, 1).

    epsilon : float, default=1e-8
        Numerical-stability constant of 'adam', 'adamw' and 'rmsprop'.

    n_iter_no_change : int, default=10
        Training stops once more than ``n_iter_no_change`` consecutive epochs
        have not improved on the best loss (or validation score) so far by
        ``tol``; see ``tol``. Every stochastic solver ('sgd', 'adam', 'adamw',
        'rmsprop').

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.

    dropout : float or sequence of float, default=0.0
        Probability of dropping each hidden unit during training, for all
        hidden layers or one rate per hidden layer, in [0, 1). Inverted
        dropout: kept units are scaled by ``1 / (1 - rate)`` while training,
        so prediction uses the whole network unchanged. Masks are drawn from
        ``random_state``.

    callbacks : list of objects, default=None
        Objects notified during ``fit`` and ``partial_fit``: each may define
        ``on_fit_begin(estimator)``, ``on_epoch_begin(estimator)``,
        ``on_epoch_end(estimator, record)`` (after each epoch, or each 'lbfgs'
        iteration, with the record just added to ``history_``; return True to
        stop training) and ``on_fit_end(estimator)``. ``estimator`` is the
        model being trained: it predicts with that epoch's weights, and its
        fitted attributes agree with them (a private copy, committed to this
        estimator when the fit succeeds). See :mod:`skscratch.callbacks`:
        ``ProgressBar``, ``EarlyStopping`` on a score of your own,
        ``copy_weights`` and ``restore_weights``.

    categorical_features : array-like of {bool, int, str}, 'from_dtype', 'auto' or \
None, default='from_dtype'
        The categorical features, read as
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier` reads them:
        'from_dtype' takes the Categorical and Enum columns of a pandas or
        polars dataframe (no column of a numpy array or sparse matrix); a
        boolean mask, integer indices or feature names name them; None: none.
        'auto' (skscratch's) takes the Categorical and Enum columns and the
        columns of strings or booleans: string, object-of-text and boolean
        columns of a dataframe, and the columns of a numpy object (or str)
        array that hold strings; columns of numbers stay numeric.
        Each categorical feature's categories (the values seen in the first
        fit; missing values NaN, None, ``pd.NA`` are a category of their own)
        get a learned vector each, in an embedding table placed before the
        first dense layer and trained with the other weights (every solver,
        L2, dropout after it). A value not seen in the first fit takes the
        unknown vector, the categories' mean weighted by how often they
        occurred in that fit. At most 10,000 categories per feature.
        Categories may be strings or numbers (e.g. integer codes in a numpy
        array, named by index); ``warm_start`` and ``partial_fit`` keep the
        first fit's categories.

    embedding_dim : int, array-like of int or None, default=None
        Width of the embedding vectors: one width for every categorical
        feature, or one per feature. None: ``min(50, ceil(1.6 * n ** 0.56))``
        for a feature of ``n`` categories (fastai's rule of thumb, capped at
        50): 3 for 2 categories, 6 for 10, 22 for 100, 50 from 451 on.

    batch_norm : bool or sequence of bool, default=False
        Batch normalization of the hidden layers' pre-activations (all of
        them, or one flag per hidden layer): while training, each unit is
        standardized by the mean and variance of its mini-batch (weighted by
        ``sample_weight``; epsilon 1e-5), then scaled and shifted by learned
        parameters (not penalised by ``alpha``); the running statistics
        (momentum 0.1) stand in for the batch's at prediction. 'lbfgs' trains
        on the full batch, whose statistics it predicts with.

    residual : bool, default=False
        Identity skips around every hidden layer after the first,
        ``a = a_in + f(a_in @ W + b)`` (the "ResNet" MLP of Gorishniy et
        al., 2021). Needs two or more hidden layers of one width.

    feature_scale : bool, default=False
        A learned scale per column right before the first dense layer,
        ``a = x * s`` (RealMLP-TD's front scale, Holzmüller et al., 2024):
        one ``s_j``, starting at 1, for each column that layer reads (after
        the numeric and categorical embeddings), so that training can weigh
        the columns up or down. ``s`` is penalised by ``alpha`` (and decayed
        by 'adamw') like the weights, so that the first layer's penalty
        cannot be dodged by moving size from its weights into ``s``.

    numeric_embedding : {'plr', 'pbld'} or None, default=None
        Periodic embeddings of the numeric features (Gorishniy et al., 2022),
        before the first dense layer: each numeric column ``x_j`` becomes
        ``numeric_embedding_dim`` columns of its own, from
        ``numeric_embedding_frequencies`` learned frequencies ``c_jk`` and a
        learned linear map per feature. 'plr' (the paper's PLR):
        ``[sin(2 pi c_jk x_j), cos(2 pi c_jk x_j)]`` over ``k``, the linear
        map, then ReLU. 'pbld' (RealMLP-TD's): ``cos(2 pi c_jk x_j + phi_jk)``
        with learned phases, the linear map to ``numeric_embedding_dim - 1``
        columns, and ``x_j`` itself beside them. The categorical features
        keep their own embeddings (``categorical_features``); a sparse X is
        made dense one batch at a time.

    numeric_embedding_frequencies : int, default=16
        Frequencies per numeric feature of ``numeric_embedding``.

    numeric_embedding_sigma : float, default=0.1
        Standard deviation of the normal draw of the starting frequencies:
        on standardized columns, 0.1 starts with periods of about 10
        standard deviations (smooth functions of ``x_j``) that training
        sharpens where the data asks.

    numeric_embedding_dim : int, default=4
        Columns per numeric feature of ``numeric_embedding`` (for 'pbld',
        ``x_j`` itself included, so at least 2). The defaults of these three
        are RealMLP-TD's, chosen there to work without tuning.

    parametrization : {'standard', 'ntk'}, default='standard'
        How the dense layers' weights enter the pre-activations. 'standard'
        (scikit-learn's): ``z = a @ W + b``, Glorot's uniform start. 'ntk'
        (RealMLP-TD's): ``z = (a @ W) / sqrt(fan_in) + b``, ``W`` and ``b``
        drawn from N(0, 1) and the output layer starting at 0. The gradient
        of ``W`` then carries the factor ``1 / sqrt(fan_in)`` too, so that
        Adam's step on the effective weights ``W / sqrt(fan_in)`` is
        ``learning_rate_init / sqrt(fan_in)`` (RealMLP-TD pairs it with
        ``learning_rate_init=0.04``) and SGD's ``learning_rate_init /
        fan_in``. ``coefs_`` holds ``W``; ``alpha`` penalises ``W``, which is
        ``fan_in`` times the penalty on the effective weights.

    validation_scoring : str, callable or None, default=None
        The score of the validation set (the part ``early_stopping`` holds
        out, or ``X_val``): None for accuracy or R^2 (scikit-learn's); a
        scikit-learn scorer name such as 'neg_log_loss', 'roc_auc',
        'accuracy', 'r2'; or a callable ``scorer(estimator, X, y)`` (e.g. from
        :func:`~sklearn.metrics.make_scorer`), which gets a stand-in that
        predicts the validation set (``predict``, and ``predict_proba`` for
        a classifier). Greater is better. With ``early_stopping=True``
        training keeps the weights of the best-scoring epoch, and
        ``n_iter_no_change=np.inf`` then never stops early: best-epoch
        selection over the whole schedule, as RealMLP-TD does.
    handle_missing : {'error', 'indicator'}, default='error'
        Missing values (NaN) in the numeric columns: 'error' refuses them,
        as scikit-learn's MLP does; 'indicator' takes them, as
        HistGradientBoosting does, and the network's first layer replaces
        each NaN by its column's median in the first fit's training data and
        appends an indicator column (1 where the value was missing) for each
        numeric column that had missing values then. The medians and the
        columns indicated are part of the fitted model (``layers_``), applied
        by ``predict`` and the ONNX graph; inf is refused either way. Missing
        values of categorical features are a category of their own whatever
        this is.

    numeric_scaling : {'robust', 'smooth_clip'} or None, default=None
        Scaling of the numeric columns inside the network, so that raw
        columns need no scaler: 'robust' maps ``x`` to ``u = (x - median) /
        spread``, the spread being the interquartile range (half the range
        where that is 0; a constant column becomes 0), both from the first
        fit's training data; 'smooth_clip' then squashes ``u`` into (-3, 3)
        by ``u / sqrt(1 + (u / 3)**2)``, which keeps outliers in order but
        bounded (RealMLP-TD's preprocessing, as
        :class:`~skscratch.preprocessing.SmoothClipScaler`). A layer without
        parameters whose statistics are part of the fitted model. None: the
        columns as given (scale them first, e.g. with a ``StandardScaler``).
        Missing-value indicators and category codes are not scaled.

    ensemble_size : int, default=1
        The number ``k`` of members of an ensemble trained inside one network
        (TabM-mini, Gorishniy et al., ICLR 2025): every batch is copied ``k``
        times, member ``m``'s copy scaled column by column by ``r_m`` (random
        signs at the start), then all members run through the same hidden
        layers (shared weights; their own dropout masks) into an output layer
        of their own. The loss is the mean of the members' losses, and
        ``predict``, ``predict_proba`` and the validation score average their
        outputs (probabilities for a classifier, predictions for a regressor).
        A step costs about ``k`` times the arithmetic of one network. ``r``
        is penalised by ``alpha`` like the weights. ``coefs_`` then ends with
        the heads' weights, of shape ``(k, n_units, n_outputs)``. 1: one
        network, as scikit-learn's.
"""

SHARED_ATTRIBUTES = """\
    loss_ : float
        The loss (data term plus L2 penalty) at the end of training.

    best_loss_ : float or None
        The lowest training loss seen (the stochastic solvers 'sgd', 'adam',
        'adamw', 'rmsprop', without early stopping); None with early stopping.
        'lbfgs' models have no ``best_loss_``.

    loss_curve_ : list of float
        The loss after each epoch (the stochastic solvers 'sgd', 'adam',
        'adamw', 'rmsprop') or iteration ('lbfgs').

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


def fill(docstring):
    """Insert the shared sections in place of a docstring's placeholder lines.

    A placeholder line is ``{parameters}`` or ``{attributes}`` indented like the
    rest of the docstring (ruff format indents it); the shared text carries its
    own indentation.
    """
    return docstring.replace("    {parameters}\n", SHARED_PARAMETERS + "\n").replace(
        "    {attributes}\n", SHARED_ATTRIBUTES + "\n"
    )
