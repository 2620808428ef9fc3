"""Tests of dropout masks and drop-rate validation in skdropout._dropout."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skdropout._activations import SELU_ALPHA, SELU_SCALE
from skdropout._dropout import (
    MULTIPLICATIVE_NOISES,
    NOISES,
    AlphaMask,
    alpha_affine,
    check_rates,
    draw_mask,
    draw_masks,
)

RATES = [0.1, 0.5, 0.8]
DTYPES = [np.float32, np.float64]
N_LARGE = 200_000


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rate", RATES)
def test_keep_rate_matches_one_minus_rate(rate, dtype):
    """The fraction of kept entries is 1 - p within 4 standard errors."""
    mask = draw_mask(np.random.RandomState(0), N_LARGE, rate, dtype)
    keep = np.count_nonzero(mask) / N_LARGE
    std_err = np.sqrt(rate * (1 - rate) / N_LARGE)
    assert abs(keep - (1 - rate)) < 4 * std_err


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rate", RATES)
def test_mask_values_are_zero_or_inverse_keep_probability(rate, dtype):
    """Kept entries equal 1 / (1 - p) in the mask's dtype, dropped ones exactly 0."""
    mask = draw_mask(np.random.RandomState(0), (1000, 7), rate, dtype)
    assert mask.dtype == np.dtype(dtype)
    assert mask.shape == (1000, 7)
    scale = dtype(1 / (1 - rate))
    assert set(np.unique(mask)) == {dtype(0), scale}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rate", RATES)
def test_scaled_mask_has_mean_one_per_unit(rate, dtype):
    """Each column of the scaled mask averages 1 within 4 standard errors."""
    n_rows, n_units = 20_000, 10
    mask = draw_mask(np.random.RandomState(1), (n_rows, n_units), rate, dtype)
    std_err = np.sqrt(rate / (1 - rate) / n_rows)
    column_means = mask.mean(axis=0, dtype=np.float64)
    assert np.all(np.abs(column_means - 1) < 4 * std_err)


@pytest.mark.parametrize("rate", RATES)
def test_units_are_uncorrelated(rate):
    """Columns, and neighbouring entries in a row, are uncorrelated."""
    n_rows = 50_000
    mask = draw_mask(np.random.RandomState(2), (n_rows, 4), rate, np.float64)
    corr = np.corrcoef(mask, rowvar=False)
    off_diagonal = corr[~np.eye(4, dtype=bool)]
    # The sample correlation of independent variables has standard error 1/sqrt(n).
    assert np.all(np.abs(off_diagonal) < 4 / np.sqrt(n_rows))
    flat = mask.ravel()
    lag_one = np.corrcoef(flat[:-1], flat[1:])[0, 1]
    assert abs(lag_one) < 4 / np.sqrt(flat.size)


@pytest.mark.parametrize(
    "make_rng", [np.random.RandomState, np.random.default_rng], ids=["RS", "Gen"]
)
def test_successive_masks_differ(make_rng):
    """Masks drawn one after another from one generator are different."""
    rng = make_rng(0)
    first = draw_mask(rng, (50, 20), 0.5, np.float64)
    second = draw_mask(rng, (50, 20), 0.5, np.float64)
    assert not np.array_equal(first, second)


@pytest.mark.parametrize(
    "make_rng", [np.random.RandomState, np.random.default_rng], ids=["RS", "Gen"]
)
def test_same_seed_gives_same_masks(make_rng):
    """Two generators seeded alike produce identical sequences of masks."""
    rng_a, rng_b = make_rng(42), make_rng(42)
    for shape in [(30, 5), (30, 8)]:
        assert_array_equal(
            draw_mask(rng_a, shape, 0.3, np.float32),
            draw_mask(rng_b, shape, 0.3, np.float32),
        )


def test_different_seeds_give_different_masks():
    """Generators with different seeds give different masks."""
    a = draw_mask(np.random.RandomState(0), (40, 10), 0.5, np.float64)
    b = draw_mask(np.random.RandomState(1), (40, 10), 0.5, np.float64)
    assert not np.array_equal(a, b)


@pytest.mark.parametrize(
    "make_rng", [np.random.RandomState, np.random.default_rng], ids=["RS", "Gen"]
)
def test_zero_rate_returns_none_and_consumes_no_randomness(make_rng):
    """rate=0 gives None and leaves the generator's state untouched."""
    rng, untouched = make_rng(7), make_rng(7)
    assert draw_mask(rng, (10, 4), 0, np.float64) is None
    assert draw_mask(rng, (10, 4), 0.0, np.float32) is None
    assert_array_equal(rng.bytes(64), untouched.bytes(64))


def test_integer_shape_gives_a_vector():
    """An integer shape gives a 1-d mask of that length."""
    mask = draw_mask(np.random.RandomState(0), 13, 0.5, np.float64)
    assert mask.shape == (13,)


def test_draw_masks_shapes_per_layer():
    """draw_masks gives an input mask and an (n_samples, units) mask per layer."""
    layer_units = [3, 5, 4, 2]
    masks = draw_masks(
        np.random.RandomState(0), 6, layer_units, (0.5, 0.2), 0.1, np.float32
    )
    assert len(masks) == len(layer_units) - 1
    assert [m.shape for m in masks] == [(6, 3), (6, 5), (6, 4)]
    assert all(m.dtype == np.float32 for m in masks)


def test_draw_masks_none_where_rate_is_zero():
    """draw_masks puts None where the input or a hidden layer's rate is 0."""
    masks = draw_masks(np.random.RandomState(0), 6, [3, 5, 4, 2], (0.0, 0.3), 0.0, "f8")
    assert masks[0] is None
    assert masks[1] is None
    assert masks[2].shape == (6, 4)
    masks = draw_masks(np.random.RandomState(0), 6, [3, 5, 2], (0.0,), 0.0, "f8")
    assert masks == [None, None]


def test_draw_masks_sparse_input_mask_covers_stored_entries():
    """For sparse X the input mask has one value per stored entry."""
    X = sp.random(8, 6, density=0.3, format="csr", random_state=0)
    masks = draw_masks(
        np.random.RandomState(0), 8, [6, 5, 2], (0.5,), 0.2, np.float64, X=X
    )
    assert masks[0].shape == (X.nnz,)
    assert masks[1].shape == (8, 5)


def test_draw_masks_is_reproducible():
    """Two generators seeded alike give the same masks for a minibatch."""
    a = draw_masks(np.random.RandomState(3), 5, [3, 4, 2], (0.5,), 0.2, np.float64)
    b = draw_masks(np.random.RandomState(3), 5, [3, 4, 2], (0.5,), 0.2, np.float64)
    for mask_a, mask_b in zip(a, b):
        assert_array_equal(mask_a, mask_b)


@pytest.mark.parametrize("dropout", [0, 0.25, np.float32(0.5)])
def test_check_rates_broadcasts_a_float(dropout):
    """A single number becomes one float rate per hidden layer."""
    rates = check_rates(dropout, 3)
    assert rates == (float(dropout),) * 3
    assert all(type(r) is float for r in rates)


@pytest.mark.parametrize("dropout", [[0.1, 0.5], (0.0, 0.2), np.array([0.3, 0.9])])
def test_check_rates_accepts_one_value_per_layer(dropout):
    """A sequence with one rate per hidden layer is returned as a tuple of floats."""
    rates = check_rates(dropout, 2)
    assert rates == tuple(float(r) for r in dropout)
    assert all(type(r) is float for r in rates)


@pytest.mark.parametrize("dropout", [[0.1], [0.1, 0.2, 0.3], [[0.1, 0.2]]])
def test_check_rates_wrong_length_raises(dropout):
    """A sequence without exactly one rate per hidden layer raises a ValueError."""
    with pytest.raises(ValueError, match="dropout"):
        check_rates(dropout, 2)


def test_check_rates_error_names_the_parameter():
    """The error message uses the parameter name it is given."""
    with pytest.raises(ValueError, match="input_dropout"):
        check_rates(1.5, 1, name="input_dropout")


@pytest.mark.parametrize(
    "dropout", [1, 1.0, 1.5, -0.1, np.nan, [0.2, 1.0], [np.nan, 0.0]]
)
def test_check_rates_out_of_range_raises(dropout):
    """A rate of 1 or more, below 0, or NaN raises a ValueError."""
    with pytest.raises(ValueError, match=r"dropout.*\[0, 1\)"):
        check_rates(dropout, 2)


@pytest.mark.parametrize(
    "dropout", ["half", ["a", "b"], ["0.5", "0.2"], None, True], ids=repr
)
def test_check_rates_non_numeric_raises_type_error(dropout):
    """Values that are not numbers (strings, None, booleans) raise a TypeError."""
    with pytest.raises(TypeError, match="dropout"):
        check_rates(dropout, 2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rate", RATES)
def test_gaussian_noise_mean_and_variance(rate, dtype):
    """Gaussian dropout noise has mean 1 and variance p / (1 - p), within 4
    standard errors, in the requested dtype."""
    n = 200_000
    mask = draw_mask(np.random.RandomState(0), n, rate, dtype, noise="gaussian")
    assert mask.dtype == dtype
    variance = rate / (1 - rate)
    assert abs(mask.mean() - 1) < 4 * np.sqrt(variance / n)
    # The sample variance of n normals has standard error variance * sqrt(2 / n).
    assert abs(mask.var() - variance) < 4 * variance * np.sqrt(2 / n)


def test_gaussian_noise_is_normal():
    """Gaussian noise is normal: its skewness and excess kurtosis are near 0,
    unlike the Bernoulli mask of the same variance."""
    from scipy.stats import kurtosis, skew

    rng = np.random.RandomState(0)
    gaussian = draw_mask(rng, 100_000, 0.5, np.float64, noise="gaussian")
    assert abs(skew(gaussian)) < 0.05 and abs(kurtosis(gaussian)) < 0.1
    bernoulli = draw_mask(rng, 100_000, 0.5, np.float64)
    assert kurtosis(bernoulli) < -1.5  # two points: far from normal


def test_draw_masks_gaussian_input_and_hidden():
    """draw_masks passes the noise kind to every mask, the sparse input's too."""
    X = sp.random(20, 6, density=0.3, format="csr", random_state=0)
    masks = draw_masks(
        np.random.RandomState(0), 20, [6, 4, 3, 2], [0.5, 0.5], 0.2, np.float64,
        X=X, noise="gaussian",
    )  # fmt: skip
    assert masks[0].shape == (X.nnz,)
    for mask in masks:
        assert not np.isin(mask, [0.0, 2.0]).all()  # not Bernoulli values


def test_every_noise_is_checked_for_its_distribution():
    """Each noise kind is either multiplicative (checked for mean 1 and the
    dropout variance below) or alpha dropout (checked for keeping mean 0 and
    variance 1): a new kind must join one of the two tests."""
    assert set(NOISES) == set(MULTIPLICATIVE_NOISES) | {"alpha"}
    assert "alpha" not in MULTIPLICATIVE_NOISES


@pytest.mark.parametrize("noise", MULTIPLICATIVE_NOISES)
@pytest.mark.parametrize("rate", RATES)
def test_every_noise_has_mean_one_and_the_dropout_variance(noise, rate):
    """Every multiplicative noise kind multiplies by noise of mean 1 (prediction
    needs no rescaling) and variance p / (1 - p), within 4 standard errors, and
    draw_masks gives it the same stream as draw_mask (input mask first)."""
    n = 200_000
    mask = draw_mask(np.random.RandomState(0), n, rate, np.float64, noise=noise)
    variance = rate / (1 - rate)
    assert abs(mask.mean() - 1) < 4 * np.sqrt(variance / n)
    # The spread around the known mean 1, within 4 of its standard errors.
    squares = (mask - 1) ** 2
    assert abs(squares.mean() - variance) <= 4 * squares.std() / np.sqrt(n) + 1e-12
    masks = draw_masks(np.random.RandomState(0), 100, [20, 30, 2], [rate], rate,
                       np.float64, noise=noise)  # fmt: skip
    rng = np.random.RandomState(0)
    for mask, shape in zip(masks, [(100, 20), (100, 30)]):
        assert_array_equal(mask, draw_mask(rng, shape, rate, np.float64, noise=noise))


@pytest.mark.parametrize("inputs", ["normal", "selu"])
@pytest.mark.parametrize("rate", RATES)
def test_alpha_noise_keeps_mean_zero_and_variance_one(rate, inputs):
    """Alpha dropout of inputs of mean 0 and variance 1 (standard normal values,
    or SELU of normal pre-activations, which SELU's fixed point makes so) has
    mean 0 and variance 1, within 4 standard errors; the same mask as the
    paper's formula, and the same keep decisions as the Bernoulli mask."""
    from skdropout._network import _apply_mask

    n = 400_000
    H = np.random.RandomState(5).standard_normal(n)
    if inputs == "selu":
        # SELU maps N(0, 1) pre-activations to mean 0, variance 1 only nearly:
        # standardize what remains so that the test is on the noise alone.
        from skdropout._activations import selu

        H = selu(H)
        H = (H - H.mean()) / H.std()
    mask = draw_mask(np.random.RandomState(0), n, rate, np.float64, noise="alpha")
    assert isinstance(mask, AlphaMask)
    bernoulli = draw_mask(np.random.RandomState(0), n, rate, np.float64)
    assert_array_equal(mask.scale != 0, bernoulli != 0)
    A = _apply_mask(H, mask)
    a, b = alpha_affine(rate)
    d = bernoulli != 0
    assert_allclose(A, a * np.where(d, H, -SELU_SCALE * SELU_ALPHA) + b, atol=1e-12)
    # The sample mean of n values of variance 1 has standard error 1 / sqrt(n);
    # the sample variance has standard error std((A - 0)**2) / sqrt(n).
    assert abs(A.mean()) < 4 / np.sqrt(n)
    squares = A**2
    assert abs(squares.mean() - 1) < 4 * squares.std() / np.sqrt(n)


def test_alpha_constants_match_pytorch_and_keras():
    """a, b and the saturation are PyTorch's (ATen's alpha_dropout:
    a = 1 / sqrt((alpha**2 p + 1) (1 - p)), b = alpha a p with alpha =
    1.7580993408473766, the value of a dropped unit being -alpha) and Keras'."""
    alpha = 1.7580993408473766
    for p in (0.05, 0.1, 0.5, 0.8):
        a, b = alpha_affine(p)
        assert a == pytest.approx(1 / np.sqrt((alpha**2 * p + 1) * (1 - p)), rel=1e-14)
        assert b == pytest.approx(alpha * a * p, rel=1e-14)
    assert -SELU_SCALE * SELU_ALPHA == pytest.approx(-alpha, rel=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_alpha_mask_values_and_stream(dtype):
    """The alpha mask's scale is a or 0 in the requested dtype, its shift
    a q alpha', and draw_masks gives it the stream of draw_mask."""
    rate = 0.2
    mask = draw_mask(np.random.RandomState(0), (500, 7), rate, dtype, noise="alpha")
    a, b = alpha_affine(rate)
    assert mask.scale.dtype == dtype
    assert set(np.unique(mask.scale)) == {dtype(0), dtype(a)}
    assert mask.shift == pytest.approx(a * (1 - rate) * -SELU_SCALE * SELU_ALPHA)
    masks = draw_masks(np.random.RandomState(0), 100, [20, 30, 2], [rate], rate,
                       dtype, noise="alpha")  # fmt: skip
    rng = np.random.RandomState(0)
    for mask, shape in zip(masks, [(100, 20), (100, 30)]):
        expected = draw_mask(rng, shape, rate, dtype, noise="alpha")
        assert_array_equal(mask.scale, expected.scale)
        assert mask.shift == expected.shift
