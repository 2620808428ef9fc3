"""The fast training step computes what the straightforward reference computes."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skdropout._activations import HIDDEN_ACTIVATIONS
from skdropout._blockwise import BlockRunner
from skdropout._dropout import draw_masks
from skdropout._network import loss_and_grads
from skdropout._optimizers import _finish_gradient
from skdropout._step import Workspace, train_step


def _fast_path(ws, X, Y, sw, coefs, intercepts, activation, loss, alpha, *args):
    """train_step, then the gradients finished as an optimizer's update finishes
    them (L2 decay, division by the batch weight, block by block): the loss and
    the gradients of ``loss_and_grads``."""
    value, sw_sum = train_step(ws, X, Y, sw, coefs, intercepts, activation, loss,
                               *args)  # fmt: skip
    params = coefs + intercepts
    grads = ws.coef_grads + ws.intercept_grads
    decay = [alpha] * len(coefs) + [0.0] * len(intercepts)
    finished = [np.empty_like(g) for g in grads]
    sq_norm = BlockRunner().run(
        lambda block, scratch, arg: _finish_gradient(*block, *arg),
        list(zip(params, grads, finished)),
        args=[(d, sw_sum) for d in decay],
    )
    return value + (0.5 * alpha) * sq_norm / sw_sum, finished


LOSS_OUTPUTS = {"squared_error": 2, "poisson": 2, "log_loss": 3, "binary_log_loss": 1}
UNITS = [5, 7, 6]


def _problem(loss, dtype, seed=0):
    rng = np.random.RandomState(seed)
    n_outputs = LOSS_OUTPUTS[loss]
    units = [*UNITS, n_outputs]
    X = rng.normal(size=(13, units[0])).astype(dtype)
    if loss == "log_loss":
        Y = np.eye(n_outputs)[rng.randint(n_outputs, size=13)]
    elif loss == "binary_log_loss":
        Y = rng.randint(2, size=(13, n_outputs))
    elif loss == "poisson":
        Y = rng.poisson(1.0, size=(13, n_outputs))
    else:
        Y = rng.normal(size=(13, n_outputs))
    coefs = [rng.normal(scale=0.5, size=s).astype(dtype) for s in zip(units, units[1:])]
    intercepts = [rng.normal(scale=0.1, size=u).astype(dtype) for u in units[1:]]
    return units, X, Y.astype(dtype), coefs, intercepts


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("noise", ["bernoulli", "gaussian"])
@pytest.mark.parametrize(
    "rates, input_rate",
    # Hidden rates whose keep decisions take 1 bit (0.5), 8 bits (0.25), 16 bits
    # (1/1024) and 32 bits (0.2, 0.3) per unit: each a branch of the relu gate.
    [((0, 0), 0), ((0.5, 0.2), 0), ((0.3, 0.5), 0.25), ((0.25, 1 / 1024), 0)],
)
@pytest.mark.parametrize("loss", list(LOSS_OUTPUTS))
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_step_matches_reference(activation, loss, rates, input_rate, noise, dtype):
    """Same loss and gradients as loss_and_grads with the same masks, in a
    workspace larger than the batch (as for the last, short minibatch)."""
    units, X, Y, coefs, intercepts = _problem(loss, dtype)
    sw = np.random.RandomState(1).uniform(0.5, 2, len(X)).astype(dtype)
    masks = draw_masks(np.random.RandomState(7), len(X), units, rates, input_rate,
                       dtype, noise=noise)  # fmt: skip
    expected = loss_and_grads(X, Y, coefs, intercepts, activation, loss, 0.1, sw, masks)
    ws = Workspace(units, 20, dtype, rates, input_rate)
    value, grads = _fast_path(ws, X, Y, sw, coefs, intercepts, activation, loss, 0.1,
                              np.random.RandomState(7), rates, input_rate,
                              noise)  # fmt: skip
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    assert value == pytest.approx(expected[0], rel=rtol)
    for fast, reference in zip(grads, expected[1] + expected[2]):
        assert fast.dtype == dtype
        assert_allclose(fast, reference, rtol=rtol, atol=rtol * 1e-2)


def test_relu_step_on_overflowing_input():
    """A pre-activation that overflows to -inf (float32 inputs of 1e30) is cut
    by relu to 0, as in the reference, not turned into NaN by a dropped unit."""
    units = [3, 4, 2]
    X = np.full((5, 3), 0.5, dtype=np.float32)
    X[:, 0] = 1e30
    Y = np.eye(2, dtype=np.float32)[[0, 1, 0, 1, 0]]
    coefs = [np.full((3, 4), 0.1, np.float32), np.ones((4, 2), np.float32)]
    coefs[0][0, 0] = -1e9  # unit 0 gets -inf
    intercepts = [np.zeros(4, np.float32), np.zeros(2, np.float32)]
    masks = draw_masks(np.random.RandomState(0), 5, units, (0.5,), 0, np.float32)
    ws = Workspace(units, 5, np.float32, (0.5,), 0)
    with np.errstate(over="ignore"):
        expected = loss_and_grads(X, Y, coefs, intercepts, "relu", "log_loss", 0.0,
                                  None, masks)  # fmt: skip
        value, grads = _fast_path(ws, X, Y, None, coefs, intercepts, "relu",
                                  "log_loss", 0.0, np.random.RandomState(0), (0.5,),
                                  0, "bernoulli")  # fmt: skip
    assert np.isfinite(expected[0]) and value == pytest.approx(expected[0])
    for fast, reference in zip(grads, expected[1] + expected[2]):
        assert_array_equal(np.isnan(fast), np.isnan(reference))


@pytest.mark.parametrize("input_rate", [0, 0.3])
def test_step_on_sparse_input(input_rate):
    """Sparse input gives the reference's numbers (input masks per stored entry)."""
    units, X, Y, coefs, intercepts = _problem("log_loss", np.float64)
    X[np.abs(X) < 0.8] = 0
    X = sp.csr_matrix(X)
    masks = draw_masks(np.random.RandomState(3), X.shape[0], units, (0.5, 0.5),
                       input_rate, np.float64, X=X)  # fmt: skip
    expected = loss_and_grads(X, Y, coefs, intercepts, "relu", "log_loss", 1e-3,
                              None, masks)  # fmt: skip
    ws = Workspace(units, X.shape[0], np.float64, (0.5, 0.5), input_rate)
    rng = np.random.RandomState(3)
    value, grads = _fast_path(ws, X, Y, None, coefs, intercepts, "relu", "log_loss",
                              1e-3, rng, (0.5, 0.5), input_rate,
                              "bernoulli")  # fmt: skip
    assert value == pytest.approx(expected[0], rel=1e-12)
    for fast, reference in zip(grads, expected[1] + expected[2]):
        assert_allclose(fast, reference, rtol=1e-12, atol=1e-14)


def test_gather_equals_indexing():
    """Workspace.gather returns the indexed rows, for arrays and slices."""
    units, X, Y, *_ = _problem("squared_error", np.float64)
    ws = Workspace(units, 8, np.float64, (0, 0), 0)
    idx = np.array([4, 0, 12, 3])
    X_batch, Y_batch = ws.gather(X, Y, idx)
    assert_array_equal(X_batch, X[idx])
    assert_array_equal(Y_batch, Y[idx])
    X_batch, _ = ws.gather(X, Y, slice(2, 6))
    assert np.shares_memory(X_batch, X)  # a slice is a view, no copy


def test_step_without_hidden_layers():
    """A network without hidden layers (hidden_layer_sizes=()) steps too."""
    rng = np.random.RandomState(0)
    X, Y = rng.normal(size=(9, 4)), rng.normal(size=(9, 2))
    coefs, intercepts = [rng.normal(size=(4, 2))], [np.zeros(2)]
    expected = loss_and_grads(X, Y, coefs, intercepts, "relu", "squared_error", 0.0)
    ws = Workspace([4, 2], 9, np.float64, (), 0)
    value, grads = _fast_path(ws, X, Y, None, coefs, intercepts, "relu",
                              "squared_error", 0.0, rng, (), 0,
                              "bernoulli")  # fmt: skip
    assert value == pytest.approx(expected[0])
    assert_allclose(grads[0], expected[1][0])
