"""Tests of the stochastic optimizers (``_optimizers``) and of the update that
finishes gradients and applies them block by block (``_update``)."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from skdropout import _update
from skdropout._optimizers import OPTIMIZERS, SGD, Adam
from skdropout._packing import Layout
from skdropout._update import Update

LAYER_UNITS = [3, 4, 2]
N_STEPS = 6


def _layout(dtype=np.float64):
    return Layout(LAYER_UNITS, dtype)


def _params(seed=0, dtype=np.float64):
    """Packed parameters: weights (3, 4), (4, 2), then intercepts (4,), (2,)."""
    size = _layout().size
    return np.random.RandomState(seed).normal(size=size).astype(dtype)


def _grad_sequence(seed=1, dtype=np.float64):
    rng = np.random.RandomState(seed)
    return [_params(rng.randint(1 << 30), dtype) for _ in range(N_STEPS)]


def _arrays(flat):
    """The per-layer views of packed parameters, as scikit-learn's lists."""
    coefs, intercepts = _layout(flat.dtype).views(flat)
    return coefs + intercepts


def _step(optimizer, params, grad, alpha=0.0, divisor=1.0):
    """One update of packed ``params`` from summed gradients ``grad``."""
    return Update(_layout(params.dtype), optimizer, alpha)(params, grad, divisor)


def _make(name, params, **kwargs):
    return OPTIMIZERS[name](params.size, params.dtype, **kwargs)


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_matches_scikit_learn(momentum, nesterov):
    """SGD takes scikit-learn's steps for the same parameters and gradients."""
    kwargs = dict(
        learning_rate_init=0.05,
        lr_schedule="constant",
        momentum=momentum,
        nesterov=nesterov,
        power_t=0.5,
    )
    ours, theirs = _params(), _params()
    sgd = _make("sgd", ours, **kwargs)
    reference = SGDOptimizer(_arrays(theirs), **kwargs)
    for grad in _grad_sequence():
        _step(sgd, ours, grad)
        reference.update_params(_arrays(theirs), _arrays(grad))
    assert not np.allclose(ours, _params())  # the parameters did move
    assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_sgd_invscaling_matches_scikit_learn_across_epochs():
    """With invscaling, learning rates and steps follow scikit-learn across epochs."""
    kwargs = dict(learning_rate_init=0.1, lr_schedule="invscaling", power_t=0.25)
    ours, theirs = _params(), _params()
    sgd = _make("sgd", ours, **kwargs)
    reference = SGDOptimizer(_arrays(theirs), **kwargs)
    time_step = 0
    for epoch in range(3):
        for grad in _grad_sequence(seed=10 + epoch):
            _step(sgd, ours, grad)
            reference.update_params(_arrays(theirs), _arrays(grad))
        time_step += 20
        sgd.iteration_ends(time_step)
        reference.iteration_ends(time_step)
        assert sgd.learning_rate == reference.learning_rate
    assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "kwargs",
    [{}, dict(learning_rate_init=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6)],
    ids=["defaults", "custom"],
)
def test_adam_matches_scikit_learn(kwargs):
    """Adam takes scikit-learn's steps for the same parameters and gradients."""
    ours, theirs = _params(), _params()
    adam = _make("adam", ours, **kwargs)
    reference = AdamOptimizer(_arrays(theirs), **kwargs)
    for grad in _grad_sequence():
        _step(adam, ours, grad)
        reference.update_params(_arrays(theirs), _arrays(grad))
        assert adam.learning_rate == pytest.approx(reference.learning_rate, rel=1e-15)
    assert adam.t == reference.t == N_STEPS
    assert not np.allclose(ours, _params())
    assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_sgd_first_step_is_minus_learning_rate_times_gradient():
    """From zero velocity, plain SGD moves by -lr * grad, Nesterov by -(1+m) lr grad."""
    grad = _grad_sequence()[0]
    plain, nesterov = _params(), _params()
    _step(_make("sgd", plain, learning_rate_init=0.1, nesterov=False), plain, grad)
    _step(_make("sgd", nesterov, learning_rate_init=0.1, nesterov=True), nesterov, grad)
    assert_allclose(plain, _params() - 0.1 * grad, rtol=1e-14)
    assert_allclose(nesterov, _params() - 1.9 * 0.1 * grad, rtol=1e-14)


def test_adam_first_step_has_size_learning_rate():
    """Adam's first step is -lr * sign(grad) up to epsilon."""
    grad = _grad_sequence()[0]
    params = _params()
    _step(_make("adam", params, learning_rate_init=0.01, epsilon=1e-12), params, grad)
    assert_allclose(params, _params() - 0.01 * np.sign(grad), rtol=1e-9)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_update_is_in_place(name):
    """An update modifies the given buffer (and so its views) in place, and only
    reads the gradients."""
    params, grad = _params(), _grad_sequence()[0]
    views, kept = _arrays(params), grad.copy()
    _step(_make(name, params), params, grad)
    assert not np.allclose(params, _params())
    assert_array_equal(np.concatenate([v.ravel() for v in views[:2]]),
                       params[: 12 + 8])  # fmt: skip
    assert_array_equal(grad, kept)


def test_invscaling_learning_rate_formula():
    """invscaling sets lr = lr_init / (t + 1) ** power_t at the end of an epoch."""
    sgd = SGD(
        _params().size,
        np.float64,
        learning_rate_init=0.2,
        lr_schedule="invscaling",
        power_t=0.5,
    )
    assert sgd.learning_rate == 0.2
    sgd.iteration_ends(99)
    assert sgd.learning_rate == pytest.approx(0.2 / 10)
    sgd.iteration_ends(399)
    assert sgd.learning_rate == pytest.approx(0.2 / 20)


@pytest.mark.parametrize("schedule", ["constant", "adaptive"])
def test_other_schedules_keep_the_rate_at_epoch_end(schedule):
    """constant and adaptive schedules leave the learning rate alone at epoch end."""
    sgd = SGD(_params().size, np.float64, learning_rate_init=0.2, lr_schedule=schedule)
    sgd.iteration_ends(1000)
    assert sgd.learning_rate == 0.2


def test_adaptive_divides_by_five_then_stops_below_1e_6(capsys):
    """adaptive divides the rate by 5 on each trigger and stops once it is <= 1e-6."""
    sgd = SGD(
        _params().size, np.float64, learning_rate_init=0.1, lr_schedule="adaptive"
    )
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
    sgd = SGD(
        _params().size, np.float64, learning_rate_init=2e-6, lr_schedule="adaptive"
    )
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
    sgd = SGD(_params().size, np.float64, learning_rate_init=0.1, lr_schedule=schedule)
    assert sgd.trigger_stopping("No improvement.", verbose=True)
    assert sgd.learning_rate == 0.1
    assert capsys.readouterr().out == "No improvement. Stopping.\n"


def test_adam_stops_at_once(capsys):
    """Adam stops at the first trigger and has no epoch schedule."""
    adam = Adam(_params().size, np.float64, learning_rate_init=0.01)
    adam.iteration_ends(1000)
    assert adam.learning_rate == 0.01
    assert adam.trigger_stopping("No improvement.", verbose=False)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_float_parameters_keep_their_dtype(name, dtype):
    """float32 parameters and optimizer state stay float32 and track float64."""
    p32, p64 = _params(dtype=np.float32), _params(dtype=np.float64)
    opt32, opt64 = (
        _make(name, p32, learning_rate_init=0.01),
        _make(name, p64, learning_rate_init=0.01),
    )
    for epoch, grad in enumerate(_grad_sequence(dtype=np.float32)):
        _step(opt32, p32, grad)
        _step(opt64, p64, grad.astype(np.float64))
        opt32.iteration_ends(10 * (epoch + 1))
        # A Python float (np.float64 would be a strong type and upcast the step).
        assert type(opt32.learning_rate) is float
    for array in [p32] + [getattr(opt32, s) for s in opt32.state]:
        assert array.dtype == np.float32
    assert_allclose(p32, p64, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_zero_gradient_leaves_parameters_unchanged(name):
    """With zero gradients from the start, no optimizer moves the parameters."""
    params = _params()
    optimizer = _make(name, params)
    for _ in range(3):
        _step(optimizer, params, np.zeros_like(params))
    assert_array_equal(params, _params())


SKLEARN = {
    "sgd": lambda p: SGDOptimizer(p, 0.1, "constant", 0.9, True, 0.5),
    "adam": lambda p: AdamOptimizer(p, 0.001),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(SKLEARN))
def test_update_finishes_gradients_as_scikit_learn(name, dtype):
    """With decay and divisor, an update takes scikit-learn's step on the gradient
    ``(summed + decay * W) / divisor`` for the weights and ``summed / divisor``
    for the intercepts (bit for bit in float64; scikit-learn's Adam computes
    float32 steps in float64), and returns the squared norm of the weights."""
    ours, theirs = _params(dtype=dtype), _params(dtype=dtype)
    optimizer, reference = _make(name, ours), SKLEARN[name](_arrays(theirs))
    n_weights = _layout().weights.stop
    for summed in _grad_sequence(dtype=dtype):
        expected_sq = float(np.dot(ours[:n_weights], ours[:n_weights]))
        finished = summed.copy()
        finished[:n_weights] += 0.3 * theirs[:n_weights]
        finished /= 7.0
        sq_norm = _step(optimizer, ours, summed, alpha=0.3, divisor=7.0)
        reference.update_params(_arrays(theirs), _arrays(finished))
        assert sq_norm == pytest.approx(expected_sq, rel=1e-6)
    assert ours.dtype == dtype
    if dtype == np.float64:
        assert_array_equal(ours, theirs)
    else:
        assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("weight_decay", [0.0, 0.5])
@pytest.mark.parametrize("alpha", [0.0, 0.1])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_blocks_do_not_change_the_step(name, alpha, weight_decay, monkeypatch):
    """Updating in cache blocks of 5 elements (ragged last blocks, a block that
    holds the end of the weights and the first intercepts) gives the
    whole-buffer update, bit for bit."""
    whole, blocked = _params(), _params()
    opt_whole, opt_blocked = _make(name, whole), _make(name, blocked)
    sq_whole, sq_blocked = [], []
    for summed in _grad_sequence():
        update = Update(_layout(), opt_whole, alpha, weight_decay)
        assert len(update.blocks) == 1
        sq_whole.append(update(whole, summed, 3.0))
        with monkeypatch.context() as patch:
            patch.setattr(_update, "BLOCK_BYTES", 5 * 8)
            update = Update(_layout(), opt_blocked, alpha, weight_decay)
            assert update.block == 5
            sq_blocked.append(update(blocked, summed, 3.0))
    assert not np.allclose(whole, _params())  # the parameters did move
    assert_array_equal(blocked, whole)
    assert_allclose(sq_blocked, sq_whole, rtol=1e-13)


@pytest.mark.parametrize("block", [1, 5, 14, 1000])
@pytest.mark.parametrize("alpha, weight_decay", [(0.0, 0.0), (0.1, 0.0), (0.0, 0.5)])
def test_blocks_tile_the_parameters(alpha, weight_decay, block):
    """The blocks tile the flat parameters in order; each block's pieces tile
    the block, each within one span and with its settings; the weights and the
    intercepts make one piece where their settings are the same (no penalty)."""
    layout = _layout()
    blocks = _update._blocks(layout.spans(alpha, weight_decay), block)
    assert [b[0] for b in blocks] == list(range(0, layout.size, block))
    assert [b[1] for b in blocks] == [min(b[0] + block, layout.size) for b in blocks]
    settings = np.empty(layout.size, dtype=object)
    settings[layout.weights] = [(alpha, weight_decay)] * layout.weights.stop
    settings[layout.intercepts] = [(0.0, 0.0)] * (layout.size - layout.weights.stop)
    for start, stop, pieces in blocks:
        assert pieces[0][0] == start and pieces[-1][1] == stop
        for (_, hi, *_), (lo, *_) in zip(pieces, pieces[1:]):
            assert hi == lo
        for lo, hi, *kept in pieces:
            assert all(s == tuple(kept) for s in settings[lo:hi])
    n_pieces = sum(len(pieces) for _, _, pieces in blocks)
    crossings = -(-layout.size // block)
    if alpha or weight_decay:
        assert n_pieces == crossings + (layout.weights.stop % block != 0)
    else:
        assert n_pieces == crossings


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_pickled_optimizer_resumes_exactly(name):
    """An unpickled optimizer takes the very steps the original takes."""
    params = _params()
    optimizer = _make(name, params, learning_rate_init=0.01)
    _step(optimizer, params, _grad_sequence()[0])
    copy, params_copy = pickle.loads(pickle.dumps(optimizer)), params.copy()
    for grad in _grad_sequence(seed=5):
        _step(optimizer, params, grad)
        _step(copy, params_copy, grad)
    assert_array_equal(params, params_copy)


@pytest.mark.parametrize(
    "name, kwargs, rate",
    [
        # SGD decays at its current rate: after 99 samples, invscaling's
        # 0.1 / (99 + 1) ** 0.5 = 0.01; after an adaptive cut, a fifth.
        ("sgd", dict(learning_rate_init=0.1, lr_schedule="invscaling"), 0.01),
        ("sgd", dict(learning_rate_init=0.1, lr_schedule="adaptive"), 0.02),
        # Adam decays at its rate before the bias correction, as AdamW.
        ("adam", dict(learning_rate_init=0.1), 0.1),
    ],
)
def test_weight_decay_steps_at_the_current_rate(name, kwargs, rate, capsys):
    """A decoupled weight decay multiplies the weights by 1 - lr * wd, lr the
    optimizer's current rate (times the schedule's factor, here 0.5), as the
    docstrings say; the intercepts are not decayed."""
    params = _params()
    optimizer = _make(name, params, **kwargs)
    if kwargs.get("lr_schedule") == "invscaling":
        optimizer.iteration_ends(99)
    elif kwargs.get("lr_schedule") == "adaptive":
        optimizer.trigger_stopping("", verbose=False)
    optimizer.lr_factor = 0.5
    before = params.copy()
    Update(_layout(), optimizer, 0.0, weight_decay=1.0)(
        params, np.zeros_like(params), 1.0
    )
    weights = _layout().weights
    assert_allclose(params[weights], before[weights] * (1 - 0.5 * rate), rtol=1e-15)
    assert_array_equal(params[weights.stop :], before[weights.stop :])
