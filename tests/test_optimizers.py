"""skscratch.core.optimizers against reference updates written out, and the solvers
they serve. (Schedules: test_schedules.py; L-BFGS: test_lbfgs.py.)"""

import pickle

import numpy as np
import pytest
from helpers import same_weights, small_classifier

from skscratch import ScratchMLPClassifier
from skscratch.core import SGD, Adam, AdamW, RMSprop, make_schedule
from skscratch.core.schedules import ConstantSchedule

N_PARAMS = 7


def _grads(n_steps, seed=0, dtype=np.float64):
    rng = np.random.RandomState(seed)
    return [rng.normal(size=N_PARAMS).astype(dtype) for _ in range(n_steps)]


def _start(dtype=np.float64):
    return np.random.RandomState(42).normal(size=N_PARAMS).astype(dtype)


@pytest.mark.parametrize("nesterov", [True, False])
@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_sgd_matches_reference(nesterov, momentum):
    lr = 0.1
    opt = SGD(N_PARAMS, ConstantSchedule(lr), momentum=momentum, nesterov=nesterov)
    params = _start()
    ref, v = params.copy(), np.zeros(N_PARAMS)
    for g in _grads(3):
        opt.step(params, g)
        # scikit-learn's SGDOptimizer, written out.
        v = momentum * v - lr * g
        ref = ref + (momentum * v - lr * g if nesterov else v)
        np.testing.assert_allclose(params, ref, rtol=1e-14, atol=1e-15)


def test_sgd_without_momentum_is_gradient_descent():
    opt = SGD(N_PARAMS, ConstantSchedule(0.25), momentum=0.0, nesterov=False)
    params = _start()
    g = _grads(1)[0]
    expected = params - 0.25 * g
    opt.step(params, g)
    np.testing.assert_allclose(params, expected, rtol=1e-15)


@pytest.mark.parametrize("beta_1, beta_2, epsilon", [(0.9, 0.999, 1e-8), (0.5, 0.9, 1e-3)])
def test_adam_matches_reference(beta_1, beta_2, epsilon):
    lr = 0.01
    opt = Adam(N_PARAMS, ConstantSchedule(lr), beta_1, beta_2, epsilon)
    params = _start()
    ref, m, v = params.copy(), np.zeros(N_PARAMS), np.zeros(N_PARAMS)
    for t, g in enumerate(_grads(3), start=1):
        opt.step(params, g)
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        lr_t = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        ref = ref - lr_t * m / (np.sqrt(v) + epsilon)
        np.testing.assert_allclose(params, ref, rtol=1e-13, atol=1e-15)
    assert opt.t == 3


def test_adamw_decays_weights_then_steps():
    lr, decay = 0.01, 0.1
    opt = AdamW(N_PARAMS, ConstantSchedule(lr), weight_decay=decay, decay_slice=slice(0, 4))
    params = _start()
    ref, m, v = params.copy(), np.zeros(N_PARAMS), np.zeros(N_PARAMS)
    for t, g in enumerate(_grads(3), start=1):
        opt.step(params, g)
        ref[:4] *= 1 - lr * decay  # decoupled: only the slice, not through the gradient
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g**2
        ref = ref - lr * np.sqrt(1 - 0.999**t) / (1 - 0.9**t) * m / (np.sqrt(v) + 1e-8)
        np.testing.assert_allclose(params, ref, rtol=1e-13, atol=1e-15)


def test_rmsprop_matches_reference():
    lr, rho, eps = 0.01, 0.9, 1e-8
    opt = RMSprop(N_PARAMS, ConstantSchedule(lr), rho=rho, epsilon=eps)
    params = _start()
    ref, v = params.copy(), np.zeros(N_PARAMS)
    for g in _grads(3):
        opt.step(params, g)
        v = rho * v + (1 - rho) * g**2
        ref = ref - lr * g / (np.sqrt(v) + eps)
        np.testing.assert_allclose(params, ref, rtol=1e-13, atol=1e-15)


def test_adam_first_step_is_lr_times_sign():
    # Bias correction makes the first step lr * g / (|g| + eps'), about lr * sign(g).
    opt = Adam(N_PARAMS, ConstantSchedule(0.01))
    params = np.zeros(N_PARAMS)
    g = _grads(1)[0]
    opt.step(params, g)
    np.testing.assert_allclose(params, -0.01 * np.sign(g), rtol=1e-6)


@pytest.mark.parametrize("optimizer", [SGD, Adam, AdamW, RMSprop])
def test_float32_state_and_params(optimizer):
    opt = optimizer(N_PARAMS, ConstantSchedule(0.1), dtype=np.float32)
    params = _start(np.float32)
    for g in _grads(3, dtype=np.float32):
        opt.step(params, g)
    assert params.dtype == np.float32
    state = opt.state_dict()
    arrays = [value for value in state.values() if isinstance(value, np.ndarray)]
    assert arrays and all(a.dtype == np.float32 for a in arrays)


def test_step_updates_in_place():
    for optimizer in (SGD, Adam, AdamW, RMSprop):
        opt = optimizer(N_PARAMS, ConstantSchedule(0.1))
        params = _start()
        view = params[2:4]
        before = view.copy()
        opt.step(params, _grads(1)[0])
        assert not np.array_equal(view, before)  # the caller's array (and views) moved


# ---------------------------------------------------------------- schedules


def test_sgd_follows_its_schedule():
    schedule = make_schedule("invscaling", 0.5, 0.5)
    opt = SGD(N_PARAMS, schedule, momentum=0.0, nesterov=False)
    schedule.epoch_end(3)
    assert opt.learning_rate == 0.25
    params = np.zeros(N_PARAMS)
    g = np.ones(N_PARAMS)
    opt.step(params, g)
    np.testing.assert_allclose(params, -0.25)


# ------------------------------------------------------------ state dicts
@pytest.mark.parametrize("optimizer", [SGD, Adam, AdamW, RMSprop])
def test_state_dict_round_trip(optimizer):
    def make():
        return optimizer(N_PARAMS, make_schedule("adaptive", 0.05, 0.5))

    grads = _grads(5, seed=3)
    a = make()
    params_a = _start()
    for g in grads[:3]:
        a.step(params_a, g)
    a.schedule.on_plateau()  # the rate is part of the state
    state = pickle.loads(pickle.dumps(a.state_dict()))  # plain, picklable

    b = make()
    b.load_state_dict(state)
    assert b.learning_rate == a.learning_rate == 0.01
    params_b = params_a.copy()
    for g in grads[3:]:
        a.step(params_a, g)
        b.step(params_b, g)
    np.testing.assert_array_equal(params_a, params_b)


def test_state_dict_is_a_copy():
    opt = Adam(N_PARAMS, ConstantSchedule(0.1))
    params = _start()
    opt.step(params, _grads(1)[0])
    state = opt.state_dict()
    saved = {k: np.copy(v) for k, v in state.items()}
    opt.step(params, _grads(1, seed=1)[0])
    for key, value in state.items():
        np.testing.assert_array_equal(value, saved[key])
    assert set(state) >= {"learning_rate", "t", "M", "V"}


@pytest.mark.parametrize("optimizer", [Adam, RMSprop])
def test_state_saved_in_the_textbook_scale_still_loads(optimizer):
    # Models pickled before the moments were stored scaled hold "m" and "v".
    a = optimizer(N_PARAMS, ConstantSchedule(0.1))
    params_a = _start()
    for g in _grads(3):
        a.step(params_a, g)
    old_state = a.state_dict()
    old_state.pop("V")
    if optimizer is Adam:
        old_state.pop("M")
        old_state["m"] = a.m
    old_state["v"] = a.v
    b = optimizer(N_PARAMS, ConstantSchedule(0.1))
    b.load_state_dict(old_state)
    params_b = params_a.copy()
    for g in _grads(2, seed=5):
        a.step(params_a, g)
        b.step(params_b, g)
    np.testing.assert_allclose(params_b, params_a, rtol=1e-14)


# ------------------------------------------------------------------ L-BFGS


def test_adam_moments_of_another_dtype_than_params():
    # Moments kept in float64 for float32 parameters must still be updated
    # in place, not in a converted copy.
    params = _start(np.float32)
    reference = Adam(N_PARAMS, make_schedule("constant", 0.01))
    mixed = Adam(N_PARAMS, make_schedule("constant", 0.01), dtype=np.float64)
    expected = params.astype(np.float64)
    for grad in _grads(5, dtype=np.float32):
        mixed.step(params, grad)
        reference.step(expected, grad.astype(np.float64))
    np.testing.assert_allclose(mixed.m, reference.m, rtol=1e-6)
    np.testing.assert_allclose(params, expected, rtol=1e-5)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["adamw", "rmsprop"])
def test_new_solvers_learn(iris, solver):
    X, y = iris
    model = ScratchMLPClassifier((20,), solver=solver, max_iter=1000, random_state=0)
    assert model.fit(X, y).score(X, y) > 0.95
    assert model.partial_fit(X, y).n_iter_ == 1


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_adamw_decay_shrinks_weights(iris):
    X, y = iris
    norms = []
    for alpha in (0.0, 1.0):
        model = ScratchMLPClassifier((20,), solver="adamw", alpha=alpha, random_state=0)
        model.fit(X, y)
        norms.append(sum(np.square(w).sum() for w in model.coefs_))
    assert norms[1] < 0.8 * norms[0]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_adamw_without_decay_is_adam(iris):
    assert same_weights(
        small_classifier(solver="adamw", alpha=0.0).fit(*iris),
        small_classifier(alpha=0.0).fit(*iris),
    )
    # With alpha > 0 the decay is decoupled from the gradient: another path.
    decoupled = small_classifier(solver="adamw", alpha=0.1).fit(*iris)
    assert not same_weights(decoupled, small_classifier(alpha=0.1).fit(*iris))
