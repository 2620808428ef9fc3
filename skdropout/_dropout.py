"""Dropout rates and masks.

A mask is the array that multiplies a layer's output during one training step: 0
for a dropped unit and ``1 / (1 - p)`` for a kept one ("inverted" dropout), so the
expected value of every unit is unchanged and prediction needs no rescaling. The
backward pass multiplies the error by the very same array. Gaussian dropout uses
normal noise of mean 1 and the same variance instead.

Bernoulli masks are derived from raw random bits of the generator, as few as the
rate needs (one per unit for p = 0.5): many times cheaper than float uniforms.
"""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Real

import numpy as np

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
NOISES = ("bernoulli", "gaussian")


def draw_mask(rng, shape, rate, dtype, noise="bernoulli", out=None):
    """Draw one dropout mask: multiplicative noise of mean 1.

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
    noise : {'bernoulli', 'gaussian'}, default='bernoulli'
        'bernoulli': ``1 / (1 - p)`` where the unit is kept (probability ``1 - p``)
        and 0 where it is dropped, decided from raw random bits (see
        :func:`keep_decisions`). 'gaussian': normal with mean 1 and variance
        ``p / (1 - p)``, the variance of the Bernoulli mask (Srivastava et al.
        2014, section 10; Keras' GaussianDropout).
    out : ndarray, default=None
        A C-contiguous array of ``shape`` and ``dtype`` to write the mask into.

    Returns
    -------
    mask : ndarray of ``shape`` and ``dtype``, or None when ``rate == 0``
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
    rng, n_samples, layer_units, rates, input_rate, dtype, X=None, noise="bernoulli"
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
    noise : {'bernoulli', 'gaussian'}, default='bernoulli'
        The kind of mask, see :func:`draw_mask`.

    Returns
    -------
    masks : list of length ``len(layer_units) - 1``
        ``masks[0]`` multiplies the input, ``masks[i]`` the output of hidden layer i;
        an entry is None where the rate is 0.
    """
    dtype = np.dtype(dtype)
    input_shape = X.nnz if X is not None else (n_samples, layer_units[0])
    masks = [draw_mask(rng, input_shape, input_rate, dtype, noise)]
    for units, rate in zip(layer_units[1:-1], rates):
        masks.append(draw_mask(rng, (n_samples, units), rate, dtype, noise))
    return masks
