"""The fast training step and update compute what the reference maths computes.

``_network.loss_and_grads`` is the reference; ``_step.TrainingStep`` (forward and
backward on preallocated buffers, gates instead of masks and derivatives) with the
finishing of ``_update`` (L2 decay, mean) must agree with it in six places: the
derivatives (gates), the decay and the mean, the loss's L2 term, the order in which
masks consume random numbers, sparse input masks, and the output error. Each test
below iterates the registries (``HIDDEN_ACTIVATIONS``, ``LOSSES``, ``NOISES``,
``OPTIMIZERS``), so a new entry is checked without touching this file.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skdropout._activations import (
    ACTIVATIONS,
    DERIVATIVE_FROM_PRE_ACTIVATION,
    DERIVATIVES,
    GATES,
    HIDDEN_ACTIVATIONS,
)
from skdropout._dropout import NOISES, draw_masks
from skdropout._losses import LOSSES, OUTPUT_ACTIVATIONS, l2_term
from skdropout._network import loss_and_grads
from skdropout._optimizers import OPTIMIZERS
from skdropout._packing import Layout
from skdropout._step import TrainingStep
from skdropout._update import Update, finish_gradient

UNITS = [5, 7, 6, 3]
N_ROWS = 13


def _fast_path(X, Y, sw, coefs, intercepts, activation, loss, alpha, rng, rates,
               input_rate, noise, n_rows=20):  # fmt: skip
    """A TrainingStep, then the gradients finished span by span as the update
    finishes them: the loss and the gradients of ``loss_and_grads``."""
    layout = Layout([coefs[0].shape[0], *(c.shape[1] for c in coefs)], X.dtype)
    step = TrainingStep(
        layout,
        n_rows,
        activation,
        loss,
        rates=rates,
        input_rate=input_rate,
        noise=noise,
    )
    value, sw_sum = step(X, Y, sw, coefs, intercepts, rng)
    params = layout.pack(coefs, intercepts)
    finished = np.empty_like(params)
    sq_norm = 0.0
    for span, decay, _ in layout.spans(alpha):
        sq_norm += finish_gradient(params[span], step.grads[span], finished[span],
                                   decay, sw_sum)  # fmt: skip
    coef_grads, intercept_grads = layout.views(finished)
    return value + l2_term(sq_norm, alpha, sw_sum), coef_grads + intercept_grads


def _targets(loss, rng, n_outputs, dtype):
    """Targets valid for ``loss``: the output activation of random logits (soft
    one-hot rows for softmax, values in (0, 1) for logistic, positive values for
    exp), so every registered loss is covered without a list of its own."""
    logits = rng.normal(size=(N_ROWS, n_outputs))
    return ACTIVATIONS[OUTPUT_ACTIVATIONS[loss]](logits).astype(dtype)


def _problem(loss, dtype, seed=0, units=UNITS):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(N_ROWS, units[0])).astype(dtype)
    Y = _targets(loss, rng, units[-1], dtype)
    coefs = [rng.normal(scale=0.5, size=s).astype(dtype) for s in zip(units, units[1:])]
    intercepts = [rng.normal(scale=0.1, size=u).astype(dtype) for u in units[1:]]
    return X, Y, coefs, intercepts


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("noise", NOISES)
@pytest.mark.parametrize(
    "rates, input_rate",
    # Hidden rates whose keep decisions take 1 bit (0.5), 8 bits (0.25), 16 bits
    # (1/1024) and 32 bits (0.2, 0.3) per unit: each a branch of the relu gate.
    [((0, 0), 0), ((0.5, 0.2), 0), ((0.3, 0.5), 0.25), ((0.25, 1 / 1024), 0)],
)
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_step_matches_reference(activation, loss, rates, input_rate, noise, dtype):
    """Same loss and gradients as loss_and_grads with the same masks (drawn from
    the same seed in the same order), in buffers larger than the batch (as for
    the last, short minibatch)."""
    X, Y, coefs, intercepts = _problem(loss, dtype)
    sw = np.random.RandomState(1).uniform(0.5, 2, len(X)).astype(dtype)
    masks = draw_masks(np.random.RandomState(7), len(X), UNITS, rates, input_rate,
                       dtype, noise=noise)  # fmt: skip
    expected = loss_and_grads(X, Y, coefs, intercepts, activation, loss,
                              alpha=0.1, sample_weight=sw, masks=masks)  # fmt: skip
    value, grads = _fast_path(X, Y, sw, coefs, intercepts, activation, loss, 0.1,
                              np.random.RandomState(7), rates, input_rate,
                              noise)  # fmt: skip
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    assert value == pytest.approx(expected[0], rel=rtol)
    for fast, reference in zip(grads, expected[1] + expected[2]):
        assert fast.dtype == dtype
        assert_allclose(fast, reference, rtol=rtol, atol=rtol * 1e-2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("rates", [(0, 0), (0.3, 0.5)])
@pytest.mark.parametrize("loss", ["squared_error", "poisson", "binary_log_loss"])
def test_step_with_one_output_matches_reference(loss, rates, dtype):
    """With one output (a regression, a binary classifier) the error sent back
    to the last hidden layer is an outer product: the same loss and gradients as
    loss_and_grads, weighted or not."""
    units = [*UNITS[:-1], 1]
    X, Y, coefs, intercepts = _problem(loss, dtype, units=units)
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    for sw in (None, np.random.RandomState(1).uniform(0.5, 2, len(X)).astype(dtype)):
        masks = draw_masks(np.random.RandomState(7), len(X), units, rates, 0, dtype)
        expected = loss_and_grads(X, Y, coefs, intercepts, "relu", loss, alpha=0.1,
                                  sample_weight=sw, masks=masks)  # fmt: skip
        value, grads = _fast_path(X, Y, sw, coefs, intercepts, "relu", loss, 0.1,
                                  np.random.RandomState(7), rates, 0,
                                  "bernoulli")  # fmt: skip
        assert value == pytest.approx(expected[0], rel=rtol)
        for fast, reference in zip(grads, expected[1] + expected[2]):
            assert fast.dtype == dtype
            assert_allclose(fast, reference, rtol=rtol, atol=rtol * 1e-2)


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_gate_is_the_derivative(activation):
    """Each hidden activation's gate (the derivative the fast step writes out) is
    what its DERIVATIVES entry multiplies an error by, both reading the output
    (or the pre-activation, for DERIVATIVE_FROM_PRE_ACTIVATION); without a gate,
    the derivative must be 1 (the step then leaves the error alone)."""
    H = np.random.RandomState(0).normal(size=(6, 5))
    if activation not in DERIVATIVE_FROM_PRE_ACTIVATION:
        H = ACTIVATIONS[activation](H)
    expected = np.ones_like(H)
    DERIVATIVES[activation](H, expected)
    if activation not in GATES:
        assert_array_equal(expected, np.ones_like(H))
        return
    gate = np.empty_like(H)
    GATES[activation](H, gate)
    assert_allclose(gate, expected, rtol=1e-15)


@pytest.mark.parametrize("noise", NOISES)
@pytest.mark.parametrize("input_rate", [0, 0.3])
def test_step_on_sparse_input(input_rate, noise):
    """Sparse input gives the reference's numbers (input masks per stored entry);
    alpha noise on a sparse input, which would make it dense, is refused by both."""
    X, Y, coefs, intercepts = _problem("log_loss", np.float64)
    X[np.abs(X) < 0.8] = 0
    X = sp.csr_matrix(X)
    if noise == "alpha" and input_rate:
        with pytest.raises(ValueError, match="input_dropout.*sparse X"):
            draw_masks(np.random.RandomState(3), X.shape[0], UNITS, (0.5, 0.5),
                       input_rate, np.float64, X=X, noise=noise)  # fmt: skip
        with pytest.raises(ValueError, match="input_dropout.*sparse X"):
            rng = np.random.RandomState(3)
            _fast_path(X, Y, None, coefs, intercepts, "relu", "log_loss", 1e-3,
                       rng, (0.5, 0.5), input_rate, noise)  # fmt: skip
        return
    masks = draw_masks(np.random.RandomState(3), X.shape[0], UNITS, (0.5, 0.5),
                       input_rate, np.float64, X=X, noise=noise)  # fmt: skip
    expected = loss_and_grads(X, Y, coefs, intercepts, "relu", "log_loss",
                              alpha=1e-3, masks=masks)  # fmt: skip
    value, grads = _fast_path(X, Y, None, coefs, intercepts, "relu", "log_loss",
                              1e-3, np.random.RandomState(3), (0.5, 0.5), input_rate,
                              noise)  # fmt: skip
    assert value == pytest.approx(expected[0], rel=1e-12)
    for fast, reference in zip(grads, expected[1] + expected[2]):
        assert_allclose(fast, reference, rtol=1e-12, atol=1e-14)


def test_relu_step_on_overflowing_input():
    """A pre-activation that overflows to -inf (float32 inputs of 1e30) is cut
    by relu to 0, as in the reference, not turned into NaN by a dropped unit."""
    X = np.full((5, 3), 0.5, dtype=np.float32)
    X[:, 0] = 1e30
    Y = np.eye(2, dtype=np.float32)[[0, 1, 0, 1, 0]]
    coefs = [np.full((3, 4), 0.1, np.float32), np.ones((4, 2), np.float32)]
    coefs[0][0, 0] = -1e9  # unit 0 gets -inf
    intercepts = [np.zeros(4, np.float32), np.zeros(2, np.float32)]
    masks = draw_masks(np.random.RandomState(0), 5, [3, 4, 2], (0.5,), 0, np.float32)
    with np.errstate(over="ignore"):
        expected = loss_and_grads(X, Y, coefs, intercepts, "relu", "log_loss",
                                  alpha=0.0, masks=masks)  # fmt: skip
        value, grads = _fast_path(X, Y, None, coefs, intercepts, "relu", "log_loss",
                                  0.0, np.random.RandomState(0), (0.5,), 0,
                                  "bernoulli", n_rows=5)  # fmt: skip
    assert np.isfinite(expected[0]) and value == pytest.approx(expected[0])
    for fast, reference in zip(grads, expected[1] + expected[2]):
        assert_array_equal(np.isnan(fast), np.isnan(reference))


def test_gather_equals_indexing():
    """TrainingStep.gather returns the indexed rows, for arrays and slices."""
    X, Y, coefs, _ = _problem("squared_error", np.float64)
    layout = Layout(UNITS, np.float64)
    step = TrainingStep(
        layout,
        8,
        "relu",
        "squared_error",
        rates=(0, 0),
        input_rate=0,
        noise="bernoulli",
    )
    idx = np.array([4, 0, 12, 3])
    X_batch, Y_batch = step.gather(X, Y, idx)
    assert_array_equal(X_batch, X[idx])
    assert_array_equal(Y_batch, Y[idx])
    X_batch, _ = step.gather(X, Y, slice(2, 6))
    assert np.shares_memory(X_batch, X)  # a slice is a view, no copy


def test_step_without_hidden_layers():
    """A network without hidden layers (hidden_layer_sizes=()) steps too."""
    rng = np.random.RandomState(0)
    X, Y = rng.normal(size=(9, 4)), rng.normal(size=(9, 2))
    coefs, intercepts = [rng.normal(size=(4, 2))], [np.zeros(2)]
    expected = loss_and_grads(
        X, Y, coefs, intercepts, "relu", "squared_error", alpha=0.0
    )
    value, grads = _fast_path(X, Y, None, coefs, intercepts, "relu", "squared_error",
                              0.0, rng, (), 0, "bernoulli", n_rows=9)  # fmt: skip
    assert value == pytest.approx(expected[0])
    assert_allclose(grads[0], expected[1][0])


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_update_feeds_the_rule_the_reference_gradient(name):
    """An Update takes the rule's step on the reference gradient (decay on the
    weights only, then the mean), for every registered optimizer, and returns the
    weights' squared norm that the loss's L2 term needs."""
    X, Y, coefs, intercepts = _problem("log_loss", np.float64)
    alpha = 0.3
    _, coef_grads, intercept_grads, _ = loss_and_grads(
        X, Y, coefs, intercepts, "tanh", "log_loss", alpha=alpha
    )
    layout = Layout(UNITS, np.float64)
    step = TrainingStep(
        layout,
        N_ROWS,
        "tanh",
        "log_loss",
        rates=(0, 0),
        input_rate=0,
        noise="bernoulli",
    )
    _, sw_sum = step(X, Y, None, coefs, intercepts, None)

    params = layout.pack(coefs, intercepts)
    optimizer = OPTIMIZERS[name](layout.size, np.float64)
    sq_norm = Update(layout, optimizer, alpha)(params, step.grads, sw_sum)

    expected = layout.pack(coefs, intercepts)
    reference = OPTIMIZERS[name](layout.size, np.float64)
    reference.start_step()
    scratch = np.empty((reference.n_scratch, layout.size))
    state = [getattr(reference, s) for s in reference.state]
    reference.apply(expected, layout.pack(coef_grads, intercept_grads), state, scratch)
    assert_allclose(params, expected, rtol=1e-12, atol=1e-15)
    assert not np.allclose(params, layout.pack(coefs, intercepts))
    assert sq_norm == pytest.approx(sum(float((c**2).sum()) for c in coefs))
