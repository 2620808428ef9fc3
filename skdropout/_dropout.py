"""Dropout rates and masks.

A mask is the array that multiplies a layer's output during one training step: 0
for a dropped unit and ``1 / (1 - p)`` for a kept one ("inverted" dropout), so the
expected value of every unit is unchanged and prediction needs no rescaling. The
backward pass multiplies the error by the very same array. Gaussian dropout uses
normal noise of mean 1 and the same variance instead.

Masks are derived from raw 32-bit random integers of the generator: a unit is kept
when its integer is below ``round((1 - p) * 2**32)``, so the keep probability is
``1 - p`` up to 2**-33. This is several times cheaper than drawing float uniforms.
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


def draw_mask(rng, shape, rate, dtype, noise="bernoulli"):
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
        and 0 where it is dropped; drawn from the raw 32-bit integers of
        ``rng.bytes``. 'gaussian': normal with mean 1 and variance ``p / (1 - p)``,
        the variance of the Bernoulli mask (Srivastava et al. 2014, section 10;
        Keras' GaussianDropout).

    Returns
    -------
    mask : ndarray of ``shape`` and ``dtype``, or None when ``rate == 0``
    """
    if rate == 0:
        return None
    dtype = np.dtype(dtype)
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    if noise == "gaussian":
        mask = rng.standard_normal(shape).astype(dtype, copy=False)
        mask *= dtype.type(np.sqrt(rate / (1.0 - rate)))
        mask += dtype.type(1.0)
        return mask
    size = int(np.prod(shape))
    bits = np.frombuffer(rng.bytes(4 * size), dtype="<u4").reshape(shape)
    threshold = np.uint32(min(round((1.0 - rate) * 2**_N_BITS), 2**_N_BITS - 1))
    mask = np.less(bits, threshold).astype(dtype)
    mask *= dtype.type(1.0 / (1.0 - rate))
    return mask


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
