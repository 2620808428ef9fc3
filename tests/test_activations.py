"""Tests of the activation and derivative registries in skdropout._activations."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import norm

from skdropout._activations import (
    ACTIVATIONS,
    DERIVATIVE_FROM_PRE_ACTIVATION,
    DERIVATIVES,
    GATES,
    HIDDEN_ACTIVATIONS,
    LOG_OUTPUTS,
)

# Direct formulas, written independently of the implementation.
FORMULAS = {
    "identity": lambda z: z,
    "logistic": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "selu": lambda z: (
        1.0507009873554805 * np.where(z > 0, z, 1.6732632423543772 * (np.exp(z) - 1))
    ),
    "gelu": lambda z: z * norm.cdf(z),
    "silu": lambda z: z / (1.0 + np.exp(-z)),
    "mish": lambda z: z * np.tanh(np.log1p(np.exp(z))),
    "softmax": lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True),
    "exp": np.exp,
}


# Overflow, invalid results and division by zero raise; underflow of exp(-1e4) to 0
# is the expected, harmless outcome.
NO_OVERFLOW = dict(over="raise", invalid="raise", divide="raise", under="ignore")


def _logits(dtype=np.float64, shape=(6, 4), seed=0):
    z = np.random.RandomState(seed).uniform(-3, 3, size=shape).astype(dtype)
    # Keep clear of the ReLU kink so its finite difference is well defined.
    z[np.abs(z) < 0.1] = 0.5
    return z


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_formula_in_place(name, dtype):
    """Each activation equals its formula and overwrites and returns its input."""
    z = _logits(dtype)
    expected = FORMULAS[name](z.astype(np.float64))
    X = z.copy()
    out = ACTIVATIONS[name](X)
    assert out is X
    assert out.dtype == dtype
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    assert_allclose(out, expected, rtol=rtol, atol=rtol)


def test_relu_zeroes_negative_values_only():
    """ReLU maps negative entries to 0 and leaves positive ones unchanged."""
    z = np.array([[-2.0, -1e-300, 0.0, 1e-300, 3.0]])
    assert_array_equal(ACTIVATIONS["relu"](z.copy()), [[0.0, 0.0, 0.0, 1e-300, 3.0]])


def test_every_hidden_activation_has_a_derivative():
    """The hidden activations all have derivatives; the output-only ones need none."""
    assert set(HIDDEN_ACTIVATIONS) <= set(ACTIVATIONS)
    assert set(DERIVATIVES) == set(HIDDEN_ACTIVATIONS)


def _derivative_argument(name, z):
    """What the derivative reads: the pre-activation for the activations of
    DERIVATIVE_FROM_PRE_ACTIVATION, else the output."""
    if name in DERIVATIVE_FROM_PRE_ACTIVATION:
        return z.copy()
    return ACTIVATIONS[name](z.copy())


def test_pre_activation_derivatives_are_hidden_activations_with_gates():
    """Every activation whose derivative reads the pre-activation is a hidden
    activation with a gate (the fast step has no other way to handle it)."""
    assert DERIVATIVE_FROM_PRE_ACTIVATION <= set(HIDDEN_ACTIVATIONS)
    assert DERIVATIVE_FROM_PRE_ACTIVATION <= set(GATES)


@pytest.mark.parametrize("name", HIDDEN_ACTIVATIONS)
def test_derivative_matches_finite_difference(name):
    """derivative(f(z), delta) equals delta * (f(z + e) - f(z - e)) / 2e (with z
    for the activations that read the pre-activation)."""
    z = _logits()
    delta = np.random.RandomState(1).normal(size=z.shape)
    eps = 1e-6
    f = ACTIVATIONS[name]
    numerical = (f(z + eps) - f(z - eps)) / (2 * eps) * delta
    result = delta.copy()
    assert DERIVATIVES[name](_derivative_argument(name, z), result) is None
    assert_allclose(result, numerical, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", HIDDEN_ACTIVATIONS)
def test_derivative_does_not_modify_its_argument(name):
    """The derivative reads H (or Z) without changing it."""
    H = _derivative_argument(name, _logits())
    H_before = H.copy()
    DERIVATIVES[name](H, np.ones_like(H))
    assert_array_equal(H, H_before)


# f'(z) written independently of the implementation: the product rule on the
# formulas above, with scipy.stats.norm's density for gelu.
def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


PRE_ACTIVATION_DERIVATIVES = {
    "gelu": lambda z: norm.cdf(z) + z * norm.pdf(z),
    "silu": lambda z: _sigmoid(z) * (1 + z * (1 - _sigmoid(z))),
    "mish": lambda z: (
        np.tanh(np.log1p(np.exp(z)))
        + z * _sigmoid(z) / np.cosh(np.log1p(np.exp(z))) ** 2
    ),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(DERIVATIVE_FROM_PRE_ACTIVATION))
def test_pre_activation_derivative_matches_formula(name, dtype):
    """gelu, silu and mish's derivatives (and gates) equal their formulas at
    points across [-8, 8], in float32 and float64."""
    z = np.linspace(-8, 8, 81).reshape(9, 9).astype(dtype)
    expected = PRE_ACTIVATION_DERIVATIVES[name](z.astype(np.float64))
    delta = np.ones_like(z)
    DERIVATIVES[name](z, delta)
    gate = np.empty_like(z)
    GATES[name](z, gate)
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    for result in (delta, gate):
        assert result.dtype == dtype
        assert_allclose(result, expected, rtol=rtol, atol=rtol)


def test_pre_activation_values_at_known_points():
    """gelu, silu and mish at 0, 1 and -1 equal hand-computed values, and gelu
    is z * Phi(z), not the tanh approximation (which differs by ~1e-4 at 1)."""
    z = np.array([[0.0, 1.0, -1.0]])
    phi_1 = 0.8413447460685429  # Phi(1)
    assert_allclose(
        ACTIVATIONS["gelu"](z.copy()), [[0, phi_1, -(1 - phi_1)]], rtol=1e-15
    )
    tanh_form = 0.5 * (1 + np.tanh(np.sqrt(2 / np.pi) * (1 + 0.044715)))
    assert abs(ACTIVATIONS["gelu"](z.copy())[0, 1] - tanh_form) > 1e-5
    s = 1 / (1 + np.exp(-1.0))
    assert_allclose(ACTIVATIONS["silu"](z.copy()), [[0, s, -(1 - s)]], rtol=1e-15)
    t_plus, t_minus = np.tanh(np.log(1 + np.e)), np.tanh(np.log(1 + 1 / np.e))
    assert_allclose(ACTIVATIONS["mish"](z.copy()), [[0, t_plus, -t_minus]], rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", HIDDEN_ACTIVATIONS)
def test_hidden_activation_and_derivative_are_finite_for_huge_inputs(name, dtype):
    """Activations, derivatives and gates of pre-activations of +/-1e4 are
    finite, raise no warning, and have their limits: f(z) ~ z (or its
    saturation) and f'(z) -> its slope at +/-infinity."""
    z = np.array([[1e4, -1e4, 1e3, -1e3, 40.0, -40.0]], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(**NO_OVERFLOW):
        warnings.simplefilter("error")
        H = ACTIVATIONS[name](z.copy())
        delta = np.ones_like(z)
        DERIVATIVES[name](_derivative_argument(name, z), delta)
        gate = np.empty_like(z)
        if name in GATES:
            GATES[name](_derivative_argument(name, z), gate)
    assert H.dtype == dtype and np.isfinite(H).all() and np.isfinite(delta).all()
    if name in GATES:
        assert np.isfinite(gate).all()
    if name in DERIVATIVE_FROM_PRE_ACTIVATION:
        # All three tend to relu: z for large z, 0 for very negative z, with
        # slopes 1 and 0.
        assert_allclose(H[0, [0, 2, 4]], z[0, [0, 2, 4]], rtol=1e-6)
        assert_allclose(H[0, [1, 3]], 0, atol=1e-30)
        assert_allclose(delta[0, :4], [1, 0, 1, 0], atol=1e-6)
        assert_allclose(gate, delta, rtol=1e-6)


def test_softmax_rows_sum_to_one_and_are_shift_invariant():
    """Softmax rows are probabilities, unchanged when a row is shifted."""
    z = _logits()
    p = ACTIVATIONS["softmax"](z.copy())
    assert np.all(p > 0)
    assert_allclose(p.sum(axis=1), 1.0, rtol=1e-14)
    shifted = ACTIVATIONS["softmax"](z + np.arange(z.shape[0])[:, None] * 100.0)
    assert_allclose(shifted, p, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_is_stable_for_huge_logits(dtype):
    """Softmax of logits of size 1e4 is finite, sums to 1 and raises no warning."""
    z = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4], [-1e4, -1e4 + 1, -1e4]], dtype)
    with warnings.catch_warnings(), np.errstate(**NO_OVERFLOW):
        warnings.simplefilter("error")
        p = ACTIVATIONS["softmax"](z.copy())
    assert np.all(np.isfinite(p))
    assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    assert_allclose(p[0], [1.0, 0.0, 0.0])
    assert_allclose(p[1], [1 / 3] * 3, rtol=1e-6)
    expected = np.exp([0.0, 1.0, 0.0]) / np.exp([0.0, 1.0, 0.0]).sum()
    assert_allclose(p[2], expected, rtol=1e-5)


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_log_logistic_outputs_are_finite_for_huge_logits(n_outputs):
    """Log-probabilities of logistic outputs stay finite for logits of +/-1e4."""
    z = np.tile([[1e4], [-1e4], [0.0]], (1, n_outputs))
    with warnings.catch_warnings(), np.errstate(**NO_OVERFLOW):
        warnings.simplefilter("error")
        log_p = LOG_OUTPUTS["logistic"](z)
    assert np.all(np.isfinite(log_p))
    expected_cols = 2 if n_outputs == 1 else n_outputs
    assert log_p.shape == (3, expected_cols)
    # log(p) of a logit of -1e4 is -1e4 (to first order), not -inf.
    assert_allclose(log_p[1, -1], -1e4)
    assert_allclose(log_p[0, -1], 0.0, atol=1e-300)


def test_log_logistic_single_output_gives_both_classes():
    """For one logistic output the columns are log(1 - p) and log(p)."""
    z = np.array([[-3.0], [-0.5], [0.0], [2.0], [6.0]])
    p = 1 / (1 + np.exp(-z))
    log_p = LOG_OUTPUTS["logistic"](z)
    assert_allclose(log_p, np.hstack([np.log(1 - p), np.log(p)]), rtol=1e-12)
    assert_allclose(np.exp(log_p).sum(axis=1), 1.0, rtol=1e-14)


def test_log_logistic_several_outputs_gives_log_of_each_probability():
    """For several logistic outputs each column is log(p) of its label."""
    z = _logits(shape=(5, 3))
    expected = np.log(1 / (1 + np.exp(-z)))
    assert_allclose(LOG_OUTPUTS["logistic"](z), expected, rtol=1e-12)


def test_log_softmax_matches_log_of_softmax():
    """log-softmax equals the log of softmax probabilities that are not tiny."""
    z = _logits()
    p = FORMULAS["softmax"](z)
    assert_allclose(LOG_OUTPUTS["softmax"](z), np.log(p), rtol=1e-12)


def test_log_softmax_is_finite_for_huge_logits():
    """log-softmax is finite for logits of +/-1e4 and exact for the dominant class."""
    z = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]])
    with warnings.catch_warnings(), np.errstate(**NO_OVERFLOW):
        warnings.simplefilter("error")
        log_p = LOG_OUTPUTS["softmax"](z)
    assert np.all(np.isfinite(log_p))
    assert_allclose(log_p[0], [0.0, -1e4, -2e4], atol=1e-9)
    assert_allclose(log_p[1], np.log(1 / 3) * np.ones(3), rtol=1e-12)
    # The inputs are logits, not modified in place.
    assert_array_equal(z, [[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", HIDDEN_ACTIVATIONS)
def test_every_hidden_activation_trains_an_estimator(name, dtype):
    """An estimator with each hidden activation and dropout fits: its loss
    falls, its weights keep the data's dtype, and the same seed gives the same
    weights."""
    from sklearn.datasets import make_classification

    from skdropout import DropoutMLPClassifier

    X, y = make_classification(n_samples=80, n_features=5, random_state=0)
    X = X.astype(dtype)
    params = dict(hidden_layer_sizes=(8, 6), activation=name, dropout=0.2,
                  max_iter=15, random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter=15
        first = DropoutMLPClassifier(**params).fit(X, y)
        second = DropoutMLPClassifier(**params).fit(X, y)
    assert first.loss_curve_[-1] < first.loss_curve_[0]
    for a, b in zip(first.coefs_, second.coefs_):
        assert a.dtype == dtype
        assert_array_equal(a, b)
