"""Tests of the stochastic optimizers in skdropout._optimizers."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from skdropout import _blockwise
from skdropout._blockwise import BlockRunner, is_packed, packed, spans
from skdropout._optimizers import SGD, Adam

SHAPES = [(3, 4), (4,), (4, 2), (2,)]
N_STEPS = 6


def _params(seed=0, dtype=np.float64):
    rng = np.random.RandomState(seed)
    return [rng.normal(size=shape).astype(dtype) for shape in SHAPES]


def _grad_sequence(seed=1, dtype=np.float64):
    rng = np.random.RandomState(seed)
    return [
        [rng.normal(size=shape).astype(dtype) for shape in SHAPES]
        for _ in range(N_STEPS)
    ]


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_matches_scikit_learn(momentum, nesterov):
    """SGD takes scikit-learn's steps for the same parameters and gradients."""
    grads = _grad_sequence()
    kwargs = dict(
        learning_rate_init=0.05,
        lr_schedule="constant",
        momentum=momentum,
        nesterov=nesterov,
        power_t=0.5,
    )
    ours = _params()
    theirs = _params()
    sgd = SGD(ours, **kwargs)
    reference = SGDOptimizer(theirs, **kwargs)
    for step in grads:
        sgd.update(ours, step)
        reference.update_params(theirs, step)
    for got, expected, start in zip(ours, theirs, _params()):
        assert not np.allclose(got, start)  # the parameters did move
        assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_sgd_invscaling_matches_scikit_learn_across_epochs():
    """With invscaling, learning rates and steps follow scikit-learn across epochs."""
    kwargs = dict(learning_rate_init=0.1, lr_schedule="invscaling", power_t=0.25)
    ours, theirs = _params(), _params()
    sgd, reference = SGD(ours, **kwargs), SGDOptimizer(theirs, **kwargs)
    time_step = 0
    for epoch in range(3):
        for step in _grad_sequence(seed=10 + epoch):
            sgd.update(ours, step)
            reference.update_params(theirs, step)
        time_step += 20
        sgd.iteration_ends(time_step)
        reference.iteration_ends(time_step)
        assert sgd.learning_rate == reference.learning_rate
    for got, expected in zip(ours, theirs):
        assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "kwargs",
    [{}, dict(learning_rate_init=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6)],
    ids=["defaults", "custom"],
)
def test_adam_matches_scikit_learn(kwargs):
    """Adam takes scikit-learn's steps for the same parameters and gradients."""
    ours, theirs = _params(), _params()
    adam, reference = Adam(ours, **kwargs), AdamOptimizer(theirs, **kwargs)
    for step in _grad_sequence():
        adam.update(ours, step)
        reference.update_params(theirs, step)
        assert adam.learning_rate == pytest.approx(reference.learning_rate, rel=1e-15)
    assert adam.t == reference.t == N_STEPS
    for got, expected, start in zip(ours, theirs, _params()):
        assert not np.allclose(got, start)
        assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_sgd_first_step_is_minus_learning_rate_times_gradient():
    """From zero velocity, plain SGD moves by -lr * grad, Nesterov by -(1+m) lr grad."""
    grads = _grad_sequence()[0]
    plain, nesterov = _params(), _params()
    SGD(plain, 0.1, momentum=0.9, nesterov=False).update(plain, grads)
    SGD(nesterov, 0.1, momentum=0.9, nesterov=True).update(nesterov, grads)
    for p, n, start, g in zip(plain, nesterov, _params(), grads):
        assert_allclose(p, start - 0.1 * g, rtol=1e-14)
        assert_allclose(n, start - 1.9 * 0.1 * g, rtol=1e-14)


def test_adam_first_step_has_size_learning_rate():
    """Adam's first step is -lr * sign(grad) up to epsilon."""
    grads = _grad_sequence()[0]
    params = _params()
    Adam(params, learning_rate_init=0.01, epsilon=1e-12).update(params, grads)
    for p, start, g in zip(params, _params(), grads):
        assert_allclose(p, start - 0.01 * np.sign(g), rtol=1e-9)


def test_update_is_in_place():
    """update modifies the given arrays rather than rebinding them."""
    for optimizer_class in (SGD, Adam):
        params = _params()
        ids = [id(p) for p in params]
        optimizer = optimizer_class(params)
        optimizer.update(params, _grad_sequence()[0])
        assert [id(p) for p in params] == ids
        assert not np.allclose(params[0], _params()[0])


def test_invscaling_learning_rate_formula():
    """invscaling sets lr = lr_init / (t + 1) ** power_t at the end of an epoch."""
    sgd = SGD(_params(), learning_rate_init=0.2, lr_schedule="invscaling", power_t=0.5)
    assert sgd.learning_rate == 0.2
    sgd.iteration_ends(99)
    assert sgd.learning_rate == pytest.approx(0.2 / 10)
    sgd.iteration_ends(399)
    assert sgd.learning_rate == pytest.approx(0.2 / 20)


@pytest.mark.parametrize("schedule", ["constant", "adaptive"])
def test_other_schedules_keep_the_rate_at_epoch_end(schedule):
    """constant and adaptive schedules leave the learning rate alone at epoch end."""
    sgd = SGD(_params(), learning_rate_init=0.2, lr_schedule=schedule)
    sgd.iteration_ends(1000)
    assert sgd.learning_rate == 0.2


def test_adaptive_divides_by_five_then_stops_below_1e_6(capsys):
    """adaptive divides the rate by 5 on each trigger and stops once it is <= 1e-6."""
    sgd = SGD(_params(), learning_rate_init=0.1, lr_schedule="adaptive")
    rates = [sgd.learning_rate]
    while not sgd.trigger_stopping("No improvement.", verbose=False):
        rates.append(sgd.learning_rate)
        assert len(rates) < 100
    assert_allclose(np.array(rates[1:]) / np.array(rates[:-1]), 0.2)
    assert rates[-1] <= 1e-6 < rates[-2]
    # Once stopped it keeps answering True without changing the rate.
    assert sgd.trigger_stopping("No improvement.", verbose=False)
    assert sgd.learning_rate == rates[-1]
    assert capsys.readouterr().out == ""


def test_adaptive_verbose_messages(capsys):
    """adaptive reports the new rate, then that it is too small to go on."""
    sgd = SGD(_params(), learning_rate_init=2e-6, lr_schedule="adaptive")
    assert not sgd.trigger_stopping("No improvement.", verbose=True)
    assert sgd.trigger_stopping("No improvement.", verbose=True)
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "No improvement. Setting learning rate to 0.000000",
        "No improvement. Learning rate too small. Stopping.",
    ]


@pytest.mark.parametrize("schedule", ["constant", "invscaling"])
def test_non_adaptive_sgd_stops_at_once(schedule, capsys):
    """constant and invscaling stop at the first trigger and keep the rate."""
    sgd = SGD(_params(), learning_rate_init=0.1, lr_schedule=schedule)
    assert sgd.trigger_stopping("No improvement.", verbose=True)
    assert sgd.learning_rate == 0.1
    assert capsys.readouterr().out == "No improvement. Stopping.\n"


def test_adam_stops_at_once(capsys):
    """Adam stops at the first trigger and has no epoch schedule."""
    adam = Adam(_params(), learning_rate_init=0.01)
    adam.iteration_ends(1000)
    assert adam.learning_rate == 0.01
    assert adam.trigger_stopping("No improvement.", verbose=False)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda p: SGD(p, 0.05, momentum=0.9, nesterov=True),
        lambda p: SGD(p, 0.05, lr_schedule="invscaling", momentum=0.5, nesterov=False),
        lambda p: Adam(p, 0.01),
    ],
    ids=["sgd-nesterov", "sgd-invscaling", "adam"],
)
def test_float32_parameters_stay_float32(make_optimizer):
    """float32 parameters and optimizer state stay float32 and track float64."""
    params32 = _params(dtype=np.float32)
    params64 = _params(dtype=np.float64)
    opt32, opt64 = make_optimizer(params32), make_optimizer(params64)
    for epoch, grads in enumerate(_grad_sequence(dtype=np.float32)):
        opt32.update(params32, grads)
        opt64.update(params64, [g.astype(np.float64) for g in grads])
        opt32.iteration_ends(10 * (epoch + 1))
        opt64.iteration_ends(10 * (epoch + 1))
        # A Python float (np.float64 would be a strong type and upcast the step).
        assert type(opt32.learning_rate) is float
    state = opt32.velocities if isinstance(opt32, SGD) else opt32.ms + opt32.vs
    for array in params32 + state:
        assert array.dtype == np.float32
    for p32, p64 in zip(params32, params64):
        assert_allclose(p32, p64, rtol=1e-4, atol=1e-5)


def test_zero_gradient_leaves_parameters_unchanged():
    """With zero gradients from the start, no optimizer moves the parameters."""
    zeros = [np.zeros(shape) for shape in SHAPES]
    for optimizer_class in (SGD, Adam):
        params = _params()
        optimizer = optimizer_class(params)
        for _ in range(3):
            optimizer.update(params, zeros)
        for got, start in zip(params, _params()):
            assert_array_equal(got, start)


OPTIMIZERS = {
    "sgd-nesterov": (
        lambda p: SGD(p, 0.05, momentum=0.9, nesterov=True),
        lambda p: SGDOptimizer(p, 0.05, "constant", 0.9, True, 0.5),
    ),
    "sgd-plain": (
        lambda p: SGD(p, 0.05, momentum=0.5, nesterov=False),
        lambda p: SGDOptimizer(p, 0.05, "constant", 0.5, False, 0.5),
    ),
    "adam": (lambda p: Adam(p, 0.01), lambda p: AdamOptimizer(p, 0.01)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_update_finishes_gradients_as_scikit_learn(name, dtype):
    """With decay and divisor, an update takes scikit-learn's step on the gradient
    ``(summed + decay * param) / divisor`` (bit for bit in float64; scikit-learn's
    Adam computes float32 steps in float64), leaves the summed gradients alone
    and returns the squared norm of the decayed parameters."""
    ours, theirs = _params(dtype=dtype), _params(dtype=dtype)
    make_ours, make_theirs = OPTIMIZERS[name]
    optimizer, reference = make_ours(ours), make_theirs(theirs)
    decay = [0.3, 0.0, 0.3, 0.0]  # weights decay, intercepts do not
    for summed in _grad_sequence(dtype=dtype):
        kept = [g.copy() for g in summed]
        expected_sq = sum(float(np.dot(p.ravel(), p.ravel())) for p in ours[::2])
        finished = [(g + d * p) / 7.0 if d else g / 7.0 for g, d, p in
                    zip(summed, decay, theirs)]  # fmt: skip
        sq_norm = optimizer.update(ours, summed, decay=decay, divisor=7.0)
        reference.update_params(theirs, finished)
        assert sq_norm == pytest.approx(expected_sq, rel=1e-6)
        for g, k in zip(summed, kept):
            assert_array_equal(g, k)
    for got, expected in zip(ours, theirs):
        assert got.dtype == dtype
        if dtype == np.float64:
            assert_array_equal(got, expected)
        else:
            assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_blocks_do_not_change_the_step(name, monkeypatch):
    """Updating in blocks of 5 elements (blocks cut across rows, ragged last
    blocks) gives the whole-array update, bit for bit."""
    make_optimizer = OPTIMIZERS[name][0]
    whole, blocked = _params(), _params()
    opt_whole, opt_blocked = make_optimizer(whole), make_optimizer(blocked)
    decay = [0.1, 0.0, 0.1, 0.0]
    sq_whole, sq_blocked = [], []
    for summed in _grad_sequence():
        sq_whole.append(opt_whole.update(whole, summed, decay=decay, divisor=3.0))
        with monkeypatch.context() as patch:
            patch.setattr(_blockwise, "BLOCK_BYTES", 5 * 8)
            runner = BlockRunner()
            sq_blocked.append(
                opt_blocked.update(blocked, summed, runner, decay, divisor=3.0)
            )
            assert len(runner._scratch[np.dtype(np.float64)][0]) == 5
    for got, expected in zip(blocked, whole):
        assert_array_equal(got, expected)
    assert_allclose(sq_blocked, sq_whole, rtol=1e-13)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_packed_arrays_are_stepped_as_one(name):
    """Packed parameters, gradients and state make a plan of one group per
    decay value, and take the step of separate arrays, bit for bit."""
    make_optimizer = OPTIMIZERS[name][0]
    decay = [0.1, 0.0, 0.1, 0.0]
    # Packed in the estimator's order: weights first, then intercepts.
    order = [0, 2, 1, 3]
    separate = _params()
    packed_params = packed([separate[i] for i in order])
    opt_separate = make_optimizer(separate)
    opt_packed = make_optimizer(packed_params)
    assert is_packed(opt_packed.ms if name == "adam" else opt_packed.velocities)
    grads = _grad_sequence()
    plan = opt_packed.plan(
        packed_params, packed([grads[0][i] for i in order]), [decay[i] for i in order]
    )
    assert [key for _, key in plan] == [0.1, 0.0]
    for summed in grads:
        packed_grads = packed([summed[i] for i in order])
        sq_separate = opt_separate.update(separate, summed, decay=decay, divisor=3.0)
        sq_packed = opt_packed.update(
            packed_params, packed_grads, decay=[decay[i] for i in order], divisor=3.0
        )
        assert sq_packed == pytest.approx(sq_separate, rel=1e-13)
    for i, j in enumerate(order):
        assert_array_equal(packed_params[i], separate[j])


def test_unpickled_state_is_packed_again():
    """An unpickled optimizer's state arrays are packed again (pickling copies
    each view on its own), with their values."""
    params = packed(_params())
    adam = Adam(params, 0.01)
    adam.update(params, _grad_sequence()[0])
    copy = pickle.loads(pickle.dumps(adam))
    for before, after in ((adam.ms, copy.ms), (adam.vs, copy.vs)):
        assert is_packed(after)
        for a, b in zip(before, after):
            assert_array_equal(a, b)


def test_spans_merges_only_runs_that_follow_in_every_kind():
    """spans merges consecutive arrays only where, in every kind, each starts
    where the last ends in one buffer, and only with equal keys."""
    a = packed([np.ones(3), np.ones(2), np.ones(4)])
    b = packed([np.ones(3), np.ones(2), np.ones(4)])
    loose = [np.ones(3), np.ones(2), np.ones(4)]
    assert [g[0].size for g, _ in spans([a, b], [0, 0, 0])] == [9]
    assert [g[0].size for g, _ in spans([a, b], [0, 0, 1])] == [5, 4]
    assert [g[0].size for g, _ in spans([a, loose], [0, 0, 0])] == [3, 2, 4]
    (group, key), *_ = spans([a, b], [0, 0, 0])
    assert np.shares_memory(group[0], a[2]) and np.shares_memory(group[1], b[0])
