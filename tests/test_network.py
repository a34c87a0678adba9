"""Network: parameter layout and views, initialisation, forward/predict, chunking,
and back-propagation against finite differences."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

import skscratch.core.network as network_module
from skscratch._training.gradient_check import central_differences
from skscratch.core import (
    HIDDEN_ACTIVATIONS,
    LOSSES,
    OUTPUT_ACTIVATIONS,
    Network,
    layers_from_records,
    predict_chunked,
)

SIZES = (4, 6, 5, 3)


def _net(sizes=SIZES, activation="tanh", loss="log_loss", dtype=np.float64, seed=0):
    net = Network(sizes, activation, loss, dtype=dtype)
    net.initialize(np.random.RandomState(seed))
    return net


def _data(n=11, n_features=4, n_outputs=3, seed=0, dtype=np.float64):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, n_features)).astype(dtype)
    Y = np.eye(n_outputs, dtype=dtype)[rng.randint(n_outputs, size=n)]
    return X, Y


def test_shapes():
    net = _net()
    n_params = 4 * 6 + 6 * 5 + 5 * 3 + 6 + 5 + 3
    assert net.params.shape == net.grad.shape == (n_params,)
    assert net.n_layers == 4
    assert [c.shape for c in net.coefs] == [(4, 6), (6, 5), (5, 3)]
    assert [b.shape for b in net.intercepts] == [(6,), (5,), (3,)]
    assert [c.shape for c in net.coef_grads] == [(4, 6), (6, 5), (5, 3)]
    assert [b.shape for b in net.intercept_grads] == [(6,), (5,), (3,)]
    assert net.output_activation is OUTPUT_ACTIVATIONS["softmax"]


def test_no_hidden_layer_is_a_linear_model():
    net = _net(sizes=(4, 3))
    assert [c.shape for c in net.coefs] == [(4, 3)]
    X, _ = _data()
    expected = np.exp(X @ net.coefs[0] + net.intercepts[0])
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(net.predict(X), expected, rtol=1e-12)


def test_params_layout_is_sklearns_packing():
    # All weights (layer by layer, row-major) then all biases, like sklearn's _pack.
    net = _net()
    packed = np.concatenate([c.ravel() for c in net.coefs] + net.intercepts)
    np.testing.assert_array_equal(net.params, packed)


def test_layer_arrays_are_views_of_the_flat_vectors():
    net = _net()
    for c, b in zip(net.coefs, net.intercepts):
        assert np.shares_memory(c, net.params) and np.shares_memory(b, net.params)
    for c, b in zip(net.coef_grads, net.intercept_grads):
        assert np.shares_memory(c, net.grad) and np.shares_memory(b, net.grad)

    net.params[:] = np.arange(net.params.size)
    assert net.coefs[0][0, 1] == 1
    assert net.intercepts[-1][-1] == net.params.size - 1
    net.coefs[1][2, 3] = -7.0
    assert net.params[4 * 6 + 2 * 5 + 3] == -7.0
    net.params *= 0
    assert not any(c.any() for c in net.coefs + net.intercepts)


def test_gradient_is_written_into_grad_views():
    net = _net()
    X, Y = _data()
    grad_id = id(net.grad)
    net.loss_gradient(X, Y)
    assert id(net.grad) == grad_id
    for c, b in zip(net.coef_grads, net.intercept_grads):
        assert np.shares_memory(c, net.grad) and np.shares_memory(b, net.grad)
    packed = np.concatenate([c.ravel() for c in net.coef_grads] + net.intercept_grads)
    np.testing.assert_array_equal(net.grad, packed)
    assert np.abs(net.grad).sum() > 0


def test_a_network_needs_an_input_and_an_output_layer():
    # The names and rates per hidden layer are checked by the estimators
    # (tests/test_spec.py), with messages in their parameters' terms.
    with pytest.raises(ValueError, match="at least an input and an output"):
        Network((3,), "relu", "squared_error")


def test_per_layer_activations():
    net = Network((4, 6, 5, 3), ["relu", "logistic"], "log_loss")
    net.initialize(np.random.RandomState(0))
    X, _ = _data()
    a = np.maximum(X @ net.coefs[0] + net.intercepts[0], 0)
    a = 1 / (1 + np.exp(-(a @ net.coefs[1] + net.intercepts[1])))
    z = a @ net.coefs[2] + net.intercepts[2]
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(net.predict(X), expected, rtol=1e-12)


@pytest.mark.parametrize("activation", sorted(HIDDEN_ACTIVATIONS))
def test_initialize_glorot_bounds_and_reproducible(activation):
    net = _net(activation=activation, seed=3)
    factor = 2.0 if activation == "logistic" else 6.0
    for c, b in zip(net.coefs, net.intercepts):
        bound = np.sqrt(factor / sum(c.shape))
        assert np.all(np.abs(c) <= bound) and np.all(np.abs(b) <= bound)
        assert np.abs(c).max() > bound / 2  # drawn from the whole interval
    np.testing.assert_array_equal(net.params, _net(activation=activation, seed=3).params)
    assert not np.array_equal(net.params, _net(activation=activation, seed=4).params)


def test_set_weights_copies():
    src = _net(seed=1)
    dst = _net(seed=2)
    dst.set_weights(src.coefs, src.intercepts)
    np.testing.assert_array_equal(dst.params, src.params)
    src.params += 1  # dst holds copies, not references
    assert not np.array_equal(dst.params, src.params)


def _manual_predict(net, X):
    act = HIDDEN_ACTIVATIONS["tanh"]
    a = X
    for i, (W, b) in enumerate(zip(net.coefs, net.intercepts)):
        a = a @ W + b
        if i < len(net.coefs) - 1:
            a = act.forward(a)
    return net.output_activation.forward(a)


def test_predict_matches_manual_forward():
    net = _net()
    X, _ = _data()
    np.testing.assert_allclose(net.predict(X), _manual_predict(net, X), rtol=1e-12)


def test_loss_gradient_loss_value_with_penalty():
    net = _net()
    X, Y = _data()
    sw = np.random.RandomState(5).uniform(0.5, 2.0, size=X.shape[0])
    alpha = 0.3
    p = net.predict(X)
    data_loss = np.average(-(Y * np.log(p)).sum(axis=1), weights=sw)
    penalty = 0.5 * alpha * sum((c**2).sum() for c in net.coefs) / sw.sum()
    loss = net.loss_gradient(X, Y, sw, alpha)
    assert loss == pytest.approx(data_loss + penalty, rel=1e-12)


def test_gradient_is_not_accumulated_between_calls():
    net = _net()
    X, Y = _data()
    net.loss_gradient(X, Y, alpha=0.1)
    first = net.grad.copy()
    net.loss_gradient(X, Y, alpha=0.1)
    np.testing.assert_array_equal(net.grad, first)


def test_reused_buffers_give_fresh_results():
    # A batch smaller than an earlier one reuses the first rows of its buffers.
    X, Y = _data(n=20)
    net = _net()
    net.loss_gradient(X, Y)
    loss_small = net.loss_gradient(X[:7], Y[:7], alpha=0.2)
    grad_small = net.grad.copy()
    fresh = _net()
    assert fresh.loss_gradient(X[:7], Y[:7], alpha=0.2) == loss_small
    np.testing.assert_array_equal(fresh.grad, grad_small)
    # And a larger one after a smaller one.
    assert net.loss_gradient(X, Y) == _net().loss_gradient(X, Y)


def test_loss_gradient_leaves_inputs_unchanged():
    net = _net()
    X, Y = _data()
    X0, Y0 = X.copy(), Y.copy()
    net.loss_gradient(X, Y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_same_as_dense(fmt):
    X, Y = _data(n=15)
    X[X < 0.3] = 0.0
    Xs = sp.csr_matrix(X).asformat(fmt)
    dense, sparse = _net(), _net()
    loss_dense = dense.loss_gradient(X, Y, alpha=0.1)
    loss_sparse = sparse.loss_gradient(Xs, Y, alpha=0.1)
    assert loss_sparse == pytest.approx(loss_dense, rel=1e-12)
    np.testing.assert_allclose(sparse.grad, dense.grad, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(sparse.predict(Xs), dense.predict(X), rtol=1e-12)


def test_float32_network_stays_float32():
    net = _net(dtype=np.float32)
    X, Y = _data(dtype=np.float32)
    assert net.params.dtype == net.grad.dtype == np.float32
    assert all(c.dtype == np.float32 for c in net.coefs + net.intercepts)
    loss = net.loss_gradient(X, Y, alpha=0.1)
    assert np.isfinite(loss)
    assert net.grad.dtype == np.float32
    assert net.predict(X).dtype == np.float32
    # Close to the same computation in float64.
    net64 = _net()
    loss64 = net64.loss_gradient(X.astype(np.float64), Y.astype(np.float64), alpha=0.1)
    assert loss == pytest.approx(loss64, rel=1e-5)
    np.testing.assert_allclose(net.grad, net64.grad, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("chunk_elements", [1, 7, 13, 60])
@pytest.mark.parametrize("sparse", [False, True])
def test_predict_output_chunks_give_the_same_result(monkeypatch, chunk_elements, sparse):
    net = _net()
    X, _ = _data(n=23)
    if sparse:
        X = sp.csr_matrix(np.where(X > 0, X, 0))
    whole = net.predict(X)
    # widest layer = 6: chunks of 1, 1, 2 and 10 rows, none dividing 23.
    monkeypatch.setattr(network_module, "PREDICT_CHUNK_ELEMENTS", chunk_elements)
    chunked = net.predict(X)
    # BLAS may round a 1-row product differently from a many-row one: allow an ulp.
    np.testing.assert_allclose(chunked, whole, rtol=1e-14, atol=1e-16)


def test_prediction_from_records_reads_only():
    # Read-only inputs work: nothing is written into X or the weights, so one
    # fitted model can predict from many threads.
    net = _net()
    X, _ = _data()
    records = net.records()
    for record in records:
        record["params"] = {name: a.copy() for name, a in record["params"].items()}
        for array in record["params"].values():
            array.flags.writeable = False
    X.flags.writeable = False
    layers = layers_from_records(records)
    out = predict_chunked(layers, OUTPUT_ACTIVATIONS["softmax"], X)
    np.testing.assert_allclose(out, net.predict(X.copy()), rtol=1e-15)


def test_predict_output_empty_input():
    net = _net()
    out = net.predict(np.empty((0, 4)))
    assert out.shape == (0, 3)


def test_dropout_is_training_only():
    X, Y = _data()
    plain = _net()
    dropped = Network(SIZES, "tanh", "log_loss", dropout=0.5, random_state=0)
    dropped.initialize(np.random.RandomState(0))
    # Prediction uses every unit: inverted dropout needs no rescaling.
    np.testing.assert_array_equal(dropped.predict(X), plain.predict(X))
    # Training draws fresh masks at each call.
    first = dropped.loss_gradient(X, Y)
    assert dropped.loss_gradient(X, Y) != first
    # Rate 0 is the plain network.
    zero = Network(SIZES, "tanh", "log_loss", dropout=0.0, random_state=0)
    zero.initialize(np.random.RandomState(0))
    assert zero.loss_gradient(X, Y) == plain.loss_gradient(X, Y)
    np.testing.assert_array_equal(zero.grad, plain.grad)


@pytest.mark.parametrize("activation", sorted(HIDDEN_ACTIVATIONS))
@pytest.mark.parametrize("sizes", [(4, 3), (4, 6, 3), (4, 6, 5, 3), (4, 7, 6, 5, 3)])
def test_output_bound_bounds_every_layer(activation, sizes):
    net = _net(sizes, activation, seed=3)
    for W in net.coefs:
        W *= 5.0  # larger weights than at initialisation, so that the bound is tested
    X, _ = _data(n=200, seed=4)
    X *= 10.0
    bound = net.output_bound(np.abs(X).max())
    a = X
    for i, (W, b) in enumerate(zip(net.coefs, net.intercepts)):
        z = a @ W + b
        assert np.abs(z).max() <= bound
        if i < len(net.hidden_activation_names):
            a = HIDDEN_ACTIVATIONS[net.hidden_activation_names[i]].forward(z.copy())


def test_predicts_finite_falls_back_on_the_forward_pass():
    net = Network((2, 1), [], "squared_error", dtype=np.float32)
    X = np.ones((3, 2), dtype=np.float32)
    net.set_weights([np.array([[1e37], [-1e37]])], [np.zeros(1)])
    # The bound (2e37) is too close to float32's largest value to decide,
    # but the two weights cancel: the output is 0.
    assert net.output_bound(1.0) > 1e-3 * np.finfo(np.float32).max
    assert net.predicts_finite(X)
    net.set_weights([np.array([[3e38], [3e38]])], [np.zeros(1)])
    assert not net.predicts_finite(X)
    assert net.predicts_finite(np.zeros((3, 2), dtype=np.float32))
    assert net.predicts_finite(sp.csr_matrix((3, 2), dtype=np.float32))



def test_checking_the_input_bound_copies_nothing_the_size_of_X():
    # Each epoch's divergence check reads max |X|; an abs(X) temporary there
    # cost a tenth of an MNIST epoch (60,000 x 784 float64 is 376 MB).
    net = Network((2_000, 1), [], "squared_error")
    net.set_weights([np.zeros((2_000, 1))], [np.zeros(1)])
    X = np.linspace(-5.0, 3.0, 1_000 * 2_000).reshape(1_000, 2_000)  # 16 MB
    tracemalloc.start()
    try:
        assert net.predicts_finite(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 10
    assert net.ops.abs_max(X) == 5.0
    assert np.isnan(net.ops.abs_max(np.array([np.nan, 1.0])))
    assert net.ops.abs_max(np.empty((0, 3))) == 0.0

# ----------------------------------------- backprop against finite differences
# Back-propagation against central finite differences, in float64.
#
# Every hidden activation x every loss x 0-3 hidden layers, with and without
# sample weights, always with an L2 penalty. The nets are tiny so that the
# finite differences (two loss evaluations per parameter) stay fast. Inputs
# are Gaussian, so no pre-activation sits within the step of a ReLU kink.
HIDDEN = (5, 4, 3)
N_SAMPLES, N_FEATURES, N_OUTPUTS = 7, 3, 3
ALPHA = 0.3
STEP = 1e-6


def _problem(loss, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    if loss == "squared_error":
        Y = rng.normal(size=(N_SAMPLES, N_OUTPUTS))
    elif loss == "huber":  # residuals on both sides of the threshold 1
        Y = rng.normal(scale=2.0, size=(N_SAMPLES, N_OUTPUTS))
    elif loss == "poisson":
        Y = rng.poisson(1.5, size=(N_SAMPLES, N_OUTPUTS)).astype(float)
    elif loss == "log_loss":
        Y = np.eye(N_OUTPUTS)[rng.randint(N_OUTPUTS, size=N_SAMPLES)]
    else:  # binary_log_loss, as for multilabel targets
        Y = rng.randint(2, size=(N_SAMPLES, N_OUTPUTS)).astype(float)
    sw = rng.uniform(0.2, 3.0, size=N_SAMPLES)
    return X, Y, sw


def _relative_error(analytic, numeric):
    return np.linalg.norm(analytic - numeric) / max(
        np.linalg.norm(analytic), np.linalg.norm(numeric), 1e-300
    )


def _check(net, X, Y, sw, alpha):
    net.initialize(np.random.RandomState(1))
    params = net.params.copy()
    net.loss_gradient(X, Y, sw, alpha)
    analytic = net.grad.copy()

    def loss_at(p):
        net.params[...] = p
        return net.loss_gradient(X, Y, sw, alpha)

    numeric = central_differences(loss_at, params, epsilon=STEP)
    assert np.linalg.norm(numeric) > 1e-3  # a gradient worth comparing
    assert _relative_error(analytic, numeric) < 1e-6


# Without hidden layers the activation plays no part: depth 0 runs once per loss.
ARCHITECTURES = [("identity", 0)] + [
    (activation, depth) for activation in sorted(HIDDEN_ACTIVATIONS) for depth in (1, 2, 3)
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize(
    "activation, depth", ARCHITECTURES, ids=[f"{a}-{d}" for a, d in ARCHITECTURES]
)
def test_backprop_matches_finite_differences(activation, depth, loss, weighted):
    X, Y, sw = _problem(loss)
    net = Network((N_FEATURES, *HIDDEN[:depth], N_OUTPUTS), activation, loss)
    _check(net, X, Y, sw if weighted else None, ALPHA)


def test_mixed_activations_per_layer():
    X, Y, sw = _problem("log_loss", seed=4)
    names = sorted(HIDDEN_ACTIVATIONS)[:3]
    net = Network((N_FEATURES, 4, 3, 5, N_OUTPUTS), names, "log_loss")
    _check(net, X, Y, sw, ALPHA)


@pytest.mark.parametrize("loss", ["squared_error", "binary_log_loss"])
def test_sparse_input_gradient(loss):
    X, Y, sw = _problem(loss, seed=2)
    X[np.abs(X) < 0.7] = 0.0
    net = Network((N_FEATURES, 4, N_OUTPUTS), "tanh", loss)
    _check(net, sp.csr_matrix(X), Y, sw, ALPHA)


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_dropout_gradient_with_fixed_masks(activation):
    # Each loss_gradient call draws new masks; a network rebuilt with the same
    # random_state draws the same ones, which makes the loss a function of the
    # parameters that finite differences can check.
    X, Y, sw = _problem("log_loss", seed=3)
    sizes = (N_FEATURES, 6, 5, N_OUTPUTS)

    def fresh():
        return Network(sizes, activation, "log_loss", dropout=[0.3, 0.5], random_state=7)

    net = fresh()
    net.initialize(np.random.RandomState(1))
    params = net.params.copy()
    net.loss_gradient(X, Y, sw, ALPHA)
    analytic = net.grad.copy()

    def loss_at(p):
        other = fresh()
        other.params[...] = p
        return other.loss_gradient(X, Y, sw, ALPHA)

    numeric = central_differences(loss_at, params, epsilon=STEP)
    assert _relative_error(analytic, numeric) < 1e-6


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_float32_gradient_close_to_float64(loss):
    X, Y, sw = _problem(loss, seed=5)
    grads = {}
    for dtype in (np.float64, np.float32):
        net = Network((N_FEATURES, 5, 4, N_OUTPUTS), "tanh", loss, dtype=dtype)
        net.initialize(np.random.RandomState(1))
        net.loss_gradient(X.astype(dtype), Y.astype(dtype), sw.astype(dtype), ALPHA)
        assert net.grad.dtype == dtype
        grads[dtype] = net.grad.astype(np.float64)
    assert _relative_error(grads[np.float32], grads[np.float64]) < 1e-5


@pytest.mark.parametrize(
    "activations, dropout, match",
    [
        (["relu"], 0.0, "1 names for 2 hidden layers"),
        (["relu", "relu", "tanh"], 0.0, "3 names for 2 hidden layers"),
        (["relu", "swish"], 0.0, "Unknown activation 'swish'"),
        ("relu", [0.1], r"one rate in \[0, 1\) per hidden layer \(2\)"),
        ("relu", 1.0, r"one rate in \[0, 1\)"),
    ],
)
def test_network_refuses_options_that_do_not_fit_its_layers(activations, dropout, match):
    # The core is public: a caller without an estimator gets the same checks.
    with pytest.raises(ValueError, match=match):
        Network((3, 4, 4, 1), activations, "squared_error", dropout=dropout)


def test_output_bound_holds_where_selu_exceeds_its_input():
    # SELU gives 1.0507 z above 0: with unit weights the logit of x = 10 is 11.04,
    # past a bound of max(|z|, 1) per layer.
    net = Network((1, 1, 1, 1), "selu", "squared_error")
    net.params[: net.n_coef] = 1.0
    net.params[net.n_coef :] = 0.0
    X = np.array([[10.0], [-10.0]])
    assert np.abs(net.predict(X)).max() == pytest.approx(10 * 1.0507009873554805**2)
    assert np.abs(net.predict(X)).max() <= net.output_bound(10.0)
