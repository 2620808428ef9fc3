"""Dropout rates and masks.

A mask is the array that multiplies a layer's output during one training step: 0
for a dropped unit and ``1 / (1 - p)`` for a kept one ("inverted" dropout), so the
expected value of every unit is unchanged and prediction needs no rescaling. The
backward pass multiplies the error by the very same array. Gaussian dropout uses
normal noise of mean 1 and the same variance instead.

Alpha dropout (Klambauer et al., 2017), meant for selu, is affine rather than
multiplicative: a dropped unit takes SELU's negative saturation value instead of
0, and an affine map keeps inputs of mean 0 and variance 1 at mean 0 and
variance 1. Its mask is an :class:`AlphaMask`, whose ``scale`` is what the error
is multiplied by, as with the other masks.

Bernoulli masks are derived from raw random bits of the generator, as few as the
rate needs (one per unit for p = 0.5): many times cheaper than float uniforms.
"""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Real
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from skdropout._activations import SELU_ALPHA, SELU_SCALE

_N_BITS = 32


def check_rates(dropout, n_hidden, name="dropout"):
    """Validate a drop rate given as one float or one value per hidden layer.

    Parameters
    ----------
    dropout : float or array-like of float
        The drop probability, in [0, 1).
    n_hidden : int
        The number of hidden layers.
    name : str, default="dropout"
        The parameter's name, for error messages.

    Returns
    -------
    rates : tuple of float, of length ``n_hidden``
    """
    if isinstance(dropout, Real) and not isinstance(dropout, bool):
        rates = (float(dropout),) * n_hidden
    else:
        rates = np.asarray(dropout)
        # Only real numbers: no strings (even numeric ones), None, objects or bools.
        if rates.dtype.kind not in "iuf":
            raise TypeError(
                f"{name} must be a float in [0, 1) or a sequence of such floats, "
                f"one per hidden layer; got {dropout!r}."
            )
        if rates.ndim != 1 or rates.shape[0] != n_hidden:
            raise ValueError(
                f"{name} must be a float or have one value per hidden layer "
                f"({n_hidden} here); got {dropout!r}."
            )
        rates = tuple(float(r) for r in rates)
    for rate in rates:
        if not 0.0 <= rate < 1.0:  # also catches NaN
            raise ValueError(
                f"{name} must be in the range [0, 1) (it is a drop probability); "
                f"got {dropout!r}."
            )
    return rates


#: The kinds of multiplicative noise, each with mean 1 (see ``draw_mask``).
MULTIPLICATIVE_NOISES = ("bernoulli", "gaussian")

#: Every kind of noise (the ``dropout_noise`` parameter): the multiplicative ones
#: and alpha dropout.
NOISES = (*MULTIPLICATIVE_NOISES, "alpha")

#: The value alpha dropout gives a dropped unit: SELU's negative saturation,
#: ``-scale * alpha`` (alpha' in Klambauer et al., 2017).
ALPHA_SATURATION = -SELU_SCALE * SELU_ALPHA


def alpha_affine(rate):
    """The affine map ``a x + b`` of alpha dropout at drop rate p.

    With keep probability q = 1 - p and alpha' = ``ALPHA_SATURATION``,
    ``a = (q + alpha'**2 q (1 - q))**-0.5`` and ``b = -a (1 - q) alpha'``, which
    give ``a (d x + (1 - d) alpha') + b``, d the keep indicator, mean 0 and
    variance 1 when x has mean 0 and variance 1 (Klambauer et al., 2017,
    section "New Dropout Technique"; PyTorch's AlphaDropout and Keras'
    AlphaDropout use the same constants).

    Returns
    -------
    a, b : float
    """
    keep = 1.0 - rate
    a = (keep + ALPHA_SATURATION**2 * keep * rate) ** -0.5
    return a, -a * rate * ALPHA_SATURATION


class AlphaMask(NamedTuple):
    """The noise of alpha dropout on one layer.

    The layer passes on ``scale * (H - ALPHA_SATURATION) + shift``, which is
    ``a (d H + (1 - d) alpha') + b`` written as a mask and one constant:
    ``scale = a d`` (``a`` where the unit is kept, 0 where it is dropped) and
    ``shift = a alpha' + b = a q alpha'``. Its derivative in ``H`` is ``scale``:
    the backward pass multiplies the error by it, as by any mask.
    """

    scale: np.ndarray
    shift: float


def apply_alpha_mask(H, mask, out=None):
    """``mask.scale * (H - ALPHA_SATURATION) + mask.shift``, into ``out`` (which
    may be ``H``): the one place this is computed, for the reference maths and
    the fast step alike."""
    out = np.subtract(H, ALPHA_SATURATION, out=out)
    out *= mask.scale
    out += mask.shift
    return out


def check_sparse_input_noise(X, input_rate, noise):
    """Raise if alpha dropout would apply to a sparse input: it sets a dropped
    entry, a zero included, to ``ALPHA_SATURATION``, which makes X dense."""
    if sp.issparse(X) and input_rate and noise == "alpha":
        raise ValueError(
            "input_dropout with dropout_noise='alpha' does not accept sparse X: "
            "alpha dropout sets dropped entries, zeros included, to "
            f"{ALPHA_SATURATION:.4f}, which would make X dense. Pass a dense X, "
            "or set input_dropout=0 or "
            f"another dropout_noise. Got input_dropout={input_rate!r}."
        )


def draw_mask(rng, shape, rate, dtype, noise="bernoulli", out=None):
    """Draw one dropout mask: multiplicative noise of mean 1, or alpha dropout's.

    Parameters
    ----------
    rng : numpy.random.RandomState or numpy.random.Generator
        The source of randomness.
    shape : int or tuple of int
        The mask's shape.
    rate : float
        The drop probability p, in [0, 1).
    dtype : numpy dtype
        The floating dtype of the mask.
    noise : {'bernoulli', 'gaussian', 'alpha'}, default='bernoulli'
        'bernoulli': ``1 / (1 - p)`` where the unit is kept (probability ``1 - p``)
        and 0 where it is dropped, decided from raw random bits (see
        :func:`keep_decisions`). 'gaussian': normal with mean 1 and variance
        ``p / (1 - p)``, the variance of the Bernoulli mask (Srivastava et al.
        2014, section 10; Keras' GaussianDropout). 'alpha': an
        :class:`AlphaMask`, its ``scale`` ``a`` where the unit is kept and 0
        where it is dropped (the same keep decisions as 'bernoulli'), its
        ``shift`` from :func:`alpha_affine`.
    out : ndarray, default=None
        A C-contiguous array of ``shape`` and ``dtype`` to write the mask (the
        alpha mask's ``scale``) into.

    Returns
    -------
    mask : ndarray of ``shape`` and ``dtype``, AlphaMask, or None when ``rate == 0``
    """
    if rate == 0:
        return None
    dtype = np.dtype(dtype)
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    if out is None:
        out = np.empty(shape, dtype=dtype)
    if noise == "gaussian":
        out[...] = rng.standard_normal(shape)
        out *= dtype.type(np.sqrt(rate / (1.0 - rate)))
        out += dtype.type(1.0)
        return out
    keep = keep_decisions(rng, out.size, rate).reshape(shape)
    if noise == "alpha":
        a, b = alpha_affine(rate)
        np.multiply(keep, dtype.type(a), out=out)
        return AlphaMask(out, a * ALPHA_SATURATION + b)
    np.multiply(keep, dtype.type(1.0 / (1.0 - rate)), out=out)
    return out


def keep_decisions(rng, size, rate):
    """``size`` independent keep decisions, each true with probability 1 - rate.

    Drawn from as few raw random bits as the rate allows: one bit per unit when
    ``rate == 0.5``, 8 or 16 bits when ``1 - rate`` is a multiple of 2**-8 or
    2**-16, else 32 bits (the keep probability is then ``1 - rate`` rounded to a
    multiple of 2**-32). All are exact for the rate they use.

    Returns
    -------
    keep : ndarray of shape (size,), of bool or of uint8 zeros and ones
    """
    keep = 1.0 - rate
    if keep == 0.5:
        packed = np.frombuffer(rng.bytes((size + 7) // 8), dtype=np.uint8)
        return np.unpackbits(packed, count=size)
    for n_bits, code in ((8, "<u1"), (16, "<u2")):
        threshold = keep * 2**n_bits
        if threshold == int(threshold):
            bits = np.frombuffer(rng.bytes(size * n_bits // 8), dtype=code)
            return bits < int(threshold)
    bits = np.frombuffer(rng.bytes(4 * size), dtype="<u4")
    return bits < np.uint32(min(round(keep * 2**_N_BITS), 2**_N_BITS - 1))


def draw_masks(
    rng, n_samples, layer_units, rates, input_rate, dtype, *, X=None, noise="bernoulli"
):
    """Draw the masks of one minibatch.

    Parameters
    ----------
    rng : numpy.random.RandomState or numpy.random.Generator
    n_samples : int
        Rows in the minibatch.
    layer_units : sequence of int
        Units per layer, input first and output last.
    rates : sequence of float
        Drop rate of each hidden layer.
    input_rate : float
        Drop rate of the input features.
    dtype : numpy dtype
    X : sparse matrix, default=None
        The minibatch when it is sparse: its input mask then covers only the stored
        entries (dropping a zero changes nothing), one value per entry of ``X.data``.
        Alpha noise on a sparse input raises a ValueError.
    noise : {'bernoulli', 'gaussian', 'alpha'}, default='bernoulli'
        The kind of mask, see :func:`draw_mask`.

    Returns
    -------
    masks : list of length ``len(layer_units) - 1``
        ``masks[0]`` multiplies the input, ``masks[i]`` the output of hidden layer i;
        an entry is None where the rate is 0.
    """
    dtype = np.dtype(dtype)
    check_sparse_input_noise(X, input_rate, noise)
    input_shape = X.nnz if X is not None else (n_samples, layer_units[0])
    masks = [draw_mask(rng, input_shape, input_rate, dtype, noise)]
    for units, rate in zip(layer_units[1:-1], rates):
        masks.append(draw_mask(rng, (n_samples, units), rate, dtype, noise))
    return masks
