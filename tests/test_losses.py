"""Tests of the loss registry and the L2 penalty in skdropout._losses."""

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from packaging.version import Version

from skdropout._activations import ACTIVATIONS
from skdropout._losses import (
    LOSSES,
    OUTPUT_ACTIVATIONS,
    _sum_of_means,
    l2_penalty,
    squared_residual_loss,
)

N_SAMPLES = 6


def _case(loss, n_outputs=3, seed=0):
    """Targets and predictions in the range each loss expects."""
    rng = np.random.RandomState(seed)
    shape = (N_SAMPLES, n_outputs)
    if loss == "squared_error":
        return rng.normal(size=shape), rng.normal(size=shape)
    if loss == "poisson":
        y = rng.poisson(1.0, size=shape).astype(np.float64)
        y[0, 0] = 0.0  # a zero count: y log(y / mu) is 0 there
        return y, rng.uniform(0.1, 3.0, size=shape)
    if loss == "log_loss":
        y = np.eye(n_outputs)[rng.randint(n_outputs, size=N_SAMPLES)]
        p = rng.uniform(0.05, 1.0, size=shape)
        return y, p / p.sum(axis=1, keepdims=True)
    return (
        rng.randint(2, size=shape).astype(np.float64),
        rng.uniform(0.05, 0.95, size=shape),
    )


def _per_sample(loss, y, p):
    """Each sample's loss summed over outputs, by the textbook formula."""
    if loss == "squared_error":
        terms = 0.5 * (y - p) ** 2
    elif loss == "poisson":
        with np.errstate(divide="ignore", invalid="ignore"):
            y_log_y = np.where(y > 0, y * np.log(y / p), 0.0)
        terms = y_log_y - y + p
    elif loss == "log_loss":
        terms = -y * np.log(p)
    else:
        terms = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return terms.sum(axis=1)


@pytest.mark.parametrize(
    "loss, n_outputs",
    [
        (loss, n)
        for loss in sorted(LOSSES)
        for n in (1, 3)
        if n > 1 or loss != "log_loss"
    ],
)
def test_loss_matches_formula(loss, n_outputs):
    """Each loss is the mean over samples of the per-sample loss summed over outputs."""
    y, p = _case(loss, n_outputs)
    value = LOSSES[loss](y, p)
    assert type(value) is float
    assert value == pytest.approx(_per_sample(loss, y, p).mean(), rel=1e-12)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_weighted_loss_matches_formula(loss):
    """With sample_weight the loss is sum(w * loss_i) / sum(w)."""
    y, p = _case(loss)
    w = np.random.RandomState(5).uniform(0.1, 4.0, size=N_SAMPLES)
    expected = np.sum(w * _per_sample(loss, y, p)) / w.sum()
    assert LOSSES[loss](y, p, sample_weight=w) == pytest.approx(expected, rel=1e-12)
    assert LOSSES[loss](y, p, sample_weight=np.ones(N_SAMPLES)) == pytest.approx(
        LOSSES[loss](y, p), rel=1e-14
    )


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_integer_sample_weight_equals_repeating_rows(loss):
    """Integer sample weights give the loss of the rows repeated that many times."""
    y, p = _case(loss)
    w = np.array([1, 3, 0, 2, 1, 4])
    repeated = LOSSES[loss](np.repeat(y, w, axis=0), np.repeat(p, w, axis=0))
    assert LOSSES[loss](y, p, sample_weight=w) == pytest.approx(repeated, rel=1e-12)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_regression_losses_vanish_at_the_target(loss):
    """Squared error and Poisson deviance are 0 when the prediction is the target."""
    y, _ = _case(loss)
    if loss == "poisson":
        y = y + 1.0  # a mean of 0 is outside the exp link's range
    assert LOSSES[loss](y, y.copy()) == pytest.approx(0.0, abs=1e-15)
    assert LOSSES[loss](y, y + 0.1) > 0


@pytest.mark.parametrize("loss", ["log_loss", "binary_log_loss"])
def test_log_losses_are_finite_for_probabilities_of_zero_and_one(loss):
    """Probabilities of exactly 0 or 1 on the wrong label give a large finite loss."""
    if loss == "log_loss":
        y = np.array([[1.0, 0.0], [0.0, 1.0]])
        p = np.array([[0.0, 1.0], [0.0, 1.0]])
    else:
        y = np.array([[1.0], [0.0]])
        p = np.array([[0.0], [0.0]])
    value = LOSSES[loss](y, p)
    assert np.isfinite(value)
    # The wrong row costs at least -log(eps) / 2 averaged over two rows.
    assert value >= -np.log(np.finfo(np.float64).eps) / 2 - 1e-9


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_output_activation_makes_the_gradient_prediction_minus_target(loss):
    """d loss(y, g(z)) / dz = (g(z) - y) / n for the loss's output activation g."""
    y, _ = _case(loss)
    z = np.random.RandomState(3).normal(size=y.shape)
    activation = ACTIVATIONS[OUTPUT_ACTIVATIONS[loss]]
    eps = 1e-6
    numerical = np.empty_like(z)
    for idx in np.ndindex(z.shape):
        z_plus, z_minus = z.copy(), z.copy()
        z_plus[idx] += eps
        z_minus[idx] -= eps
        numerical[idx] = (
            LOSSES[loss](y, activation(z_plus)) - LOSSES[loss](y, activation(z_minus))
        ) / (2 * eps)
    expected = (activation(z.copy()) - y) / N_SAMPLES
    assert_allclose(numerical, expected, rtol=1e-6, atol=1e-9)


def test_l2_penalty_formula():
    """l2_penalty is 0.5 * alpha * (sum of squared weights) / sw_sum."""
    rng = np.random.RandomState(0)
    coefs = [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))]
    squares = sum(float(np.sum(W * W)) for W in coefs)
    value = l2_penalty(coefs, 0.7, 5.5)
    assert type(value) is float
    assert value == pytest.approx(0.5 * 0.7 * squares / 5.5, rel=1e-12)
    assert l2_penalty(coefs, 0.0, 5.5) == 0.0


def test_l2_penalty_float32_weights():
    """l2_penalty of float32 weights is accurate and a Python float."""
    coefs = [np.full((10, 10), 0.1, dtype=np.float32)]
    value = l2_penalty(coefs, 2.0, 4)
    assert type(value) is float
    assert value == pytest.approx(0.5 * 2.0 * 100 * 0.01 / 4, rel=1e-6)


@pytest.mark.parametrize("n_outputs", [1, 4])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sum_of_means_is_scikit_learns_arithmetic(dtype, weighted, n_outputs):
    """The mean over samples of each output, summed, is scikit-learn's
    ``np.average(terms, weights=w, axis=0).sum()``, bit for bit, also in float32,
    over several outputs and over more rows than the pairwise sum's first
    block (the mean of the per-sample sums differs in the last bits, which
    L-BFGS's line search turned into other weights on long fits)."""
    rng = np.random.RandomState(0)
    for n in (1, 7, 200, 1000):
        terms = rng.lognormal(size=(n, n_outputs)).astype(dtype)
        w = rng.uniform(0.1, 3.0, size=n).astype(dtype) if weighted else None
        expected = float(np.average(terms, weights=w, axis=0).sum())
        assert _sum_of_means(terms, w) == expected


@pytest.mark.skipif(
    Version(sklearn.__version__) < Version("1.7"),
    reason="scikit-learn < 1.7 has no sample weights in these losses and sums "
    "them in another order",
)
@pytest.mark.parametrize("loss", ["log_loss", "binary_log_loss", "poisson"])
@pytest.mark.parametrize("weighted", [False, True])
def test_losses_are_scikit_learns_bit_for_bit(loss, weighted):
    """The classification and Poisson losses equal scikit-learn's functions
    bit for bit, with several outputs too (its squared error differs by
    design: it averages over outputs, see the module's docstring)."""
    from sklearn.neural_network import _base

    rng = np.random.RandomState(0)
    n, k = 300, 4
    w = rng.uniform(0.1, 3.0, size=n) if weighted else None
    if loss == "poisson":
        y_true, y_pred = (
            rng.poisson(2.0, size=(n, k)).astype(float),
            rng.lognormal(size=(n, k)),
        )
        theirs = _base.poisson_loss
    else:
        logits = rng.normal(size=(n, k))
        if loss == "log_loss":
            y_pred = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
            y_true = np.eye(k)[rng.randint(k, size=n)]
        else:
            y_pred = 1 / (1 + np.exp(-logits))
            y_true = (rng.uniform(size=(n, k)) < 0.5).astype(float)
        theirs = getattr(_base, loss)
    assert LOSSES[loss](y_true, y_pred, w) == theirs(y_true, y_pred, w)


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_squared_residual_loss_takes_either_sign(n_outputs):
    """The squared error from y_pred - y or y - y_pred is squared_error's, bit
    for bit, weighted or not."""
    y, p = _case("squared_error", n_outputs)
    w = np.random.RandomState(2).uniform(0.1, 3.0, size=N_SAMPLES)
    for sample_weight in (None, w):
        expected = LOSSES["squared_error"](y, p, sample_weight)
        assert squared_residual_loss(p - y, sample_weight) == expected
        assert squared_residual_loss(y - p, sample_weight) == expected
