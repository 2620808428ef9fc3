"""Activation functions and their derivatives, as registries of small functions.

Every activation works in place on the array it is given and returns it. Every
derivative takes the activation's *output* ``H`` (not its input) and multiplies the
back-propagated error ``delta`` in place by ``f'(z)`` written as a function of
``H = f(z)``, the trick scikit-learn's MLP uses to avoid storing ``z``.

The exception is :data:`DERIVATIVE_FROM_PRE_ACTIVATION`: activations that are not
monotonic (gelu, silu, mish), so that ``H`` does not determine ``z``. Their
derivative and gate take the pre-activation ``Z`` instead, which the reference
maths keeps for them and the fast step reads before the activation overwrites it.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.special import expit, log_expit, log_softmax, ndtr


def identity(X):
    """Return ``X`` unchanged: f(z) = z."""
    return X


def logistic(X):
    """Logistic sigmoid in place: f(z) = 1 / (1 + exp(-z))."""
    return expit(X, out=X)


def tanh(X):
    """Hyperbolic tangent in place."""
    return np.tanh(X, out=X)


def relu(X):
    """Rectified linear unit in place: f(z) = max(z, 0)."""
    return np.maximum(X, 0, out=X)


#: The slope of leaky_relu for negative inputs (PyTorch's and Keras' default).
LEAKY_SLOPE = 0.01

#: SELU's constants (Klambauer et al., 2017), which make a layer keep inputs of
#: mean 0 and variance 1 at mean 0 and variance 1.
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def leaky_relu(X):
    """Leaky rectified linear unit in place: f(z) = z for z > 0, else 0.01 z."""
    return np.maximum(X, LEAKY_SLOPE * X, out=X)


def selu(X):
    """Scaled exponential linear unit in place: f(z) = scale * z for z > 0, else
    scale * alpha * (exp(z) - 1)."""
    negative = np.minimum(X, 0)
    np.expm1(negative, out=negative)
    negative *= SELU_ALPHA
    np.maximum(X, 0, out=X)
    X += negative
    X *= SELU_SCALE
    return X


def gelu(X):
    """Gaussian error linear unit in place: f(z) = z * Phi(z), Phi the standard
    normal distribution function (Hendrycks and Gimpel, 2016).

    The exact form, ``0.5 z (1 + erf(z / sqrt(2)))`` computed as ``z * ndtr(z)``
    (accurate in the lower tail, where ``1 + erf`` cancels), not the tanh
    approximation; PyTorch's ``nn.GELU()`` default is also the exact form.
    """
    X *= ndtr(X)
    return X


def silu(X):
    """Sigmoid linear unit (swish) in place: f(z) = z * sigmoid(z)."""
    X *= expit(X)
    return X


def _tanh_softplus(X):
    """tanh(log(1 + exp(z))), with the softplus computed as logaddexp(0, z),
    which neither overflows nor loses small values."""
    t = np.logaddexp(0, X)
    return np.tanh(t, out=t)


def mish(X):
    """Mish in place: f(z) = z * tanh(softplus(z)) (Misra, 2019)."""
    X *= _tanh_softplus(X)
    return X


def softmax(X):
    """Row-wise softmax in place, shifted by the row maximum for stability."""
    X -= X.max(axis=1, keepdims=True)
    np.exp(X, out=X)
    X /= X.sum(axis=1, keepdims=True)
    return X


def exp(X):
    """Exponential in place (the inverse of the Poisson loss's log link)."""
    return np.exp(X, out=X)


ACTIVATIONS = {
    "identity": identity,
    "logistic": logistic,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "selu": selu,
    "gelu": gelu,
    "silu": silu,
    "mish": mish,
    "softmax": softmax,
    "exp": exp,
}

#: The activations a hidden layer may use (the ``activation`` parameter).
HIDDEN_ACTIVATIONS = (
    "identity",
    "logistic",
    "tanh",
    "relu",
    "leaky_relu",
    "selu",
    "gelu",
    "silu",
    "mish",
)

#: The activations whose derivative (in ``DERIVATIVES``) and gate (in ``GATES``)
#: take the pre-activation ``Z`` instead of the output ``H``: they are not
#: monotonic, so ``H`` does not give ``Z`` back.
DERIVATIVE_FROM_PRE_ACTIVATION = frozenset({"gelu", "silu", "mish"})


def identity_derivative(H, delta):
    """f'(z) = 1: leave ``delta`` unchanged."""


def logistic_derivative(H, delta):
    """f'(z) = H (1 - H)."""
    delta *= H
    delta *= 1 - H


def tanh_derivative(H, delta):
    """f'(z) = 1 - H**2."""
    delta *= 1 - H**2


def relu_derivative(H, delta):
    """f'(z) = 1 where H > 0, else 0."""
    delta[H <= 0] = 0


def leaky_relu_derivative(H, delta):
    """f'(z) = 1 where H > 0, else 0.01 (H has the sign of z)."""
    delta[H <= 0] *= LEAKY_SLOPE


def selu_derivative(H, delta):
    """f'(z) = scale where H > 0, else scale * alpha * exp(z) = H + scale * alpha."""
    delta *= np.where(H > 0, SELU_SCALE, H + SELU_SCALE * SELU_ALPHA)


def gelu_derivative(Z, delta):
    """f'(z) = Phi(z) + z phi(z), from the pre-activation ``Z``."""
    delta *= gelu_gate(Z, np.empty_like(delta))


def silu_derivative(Z, delta):
    """f'(z) = s (1 + z (1 - s)), s = sigmoid(z), from the pre-activation ``Z``."""
    delta *= silu_gate(Z, np.empty_like(delta))


def mish_derivative(Z, delta):
    """f'(z) = t + z sigmoid(z) (1 - t**2), t = tanh(softplus(z)), from the
    pre-activation ``Z``."""
    delta *= mish_gate(Z, np.empty_like(delta))


DERIVATIVES = {
    "identity": identity_derivative,
    "logistic": logistic_derivative,
    "tanh": tanh_derivative,
    "relu": relu_derivative,
    "leaky_relu": leaky_relu_derivative,
    "selu": selu_derivative,
    "gelu": gelu_derivative,
    "silu": silu_derivative,
    "mish": mish_derivative,
}


def relu_gate(H, out):
    """Write f'(z) for relu (1 where H > 0, else 0) into ``out``."""
    np.greater(H, 0, out=out, casting="unsafe")


def tanh_gate(H, out):
    """Write f'(z) = 1 - H**2 into ``out``."""
    np.multiply(H, H, out=out)
    np.subtract(1, out, out=out)


def logistic_gate(H, out):
    """Write f'(z) = H (1 - H) into ``out``."""
    np.subtract(1, H, out=out)
    out *= H


def leaky_relu_gate(H, out):
    """Write f'(z) for leaky_relu (1 where H > 0, else 0.01) into ``out``."""
    np.greater(H, 0, out=out, casting="unsafe")
    out *= 1 - LEAKY_SLOPE
    out += LEAKY_SLOPE


def selu_gate(H, out):
    """Write f'(z) for selu (scale where H > 0, else H + scale * alpha) into
    ``out``."""
    np.add(H, SELU_SCALE * SELU_ALPHA, out=out)
    np.copyto(out, SELU_SCALE, where=H > 0, casting="unsafe")


_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def gelu_gate(Z, out):
    """Write f'(z) for gelu, Phi(z) + z phi(z), into ``out``; return ``out``.
    Reads the pre-activation ``Z``."""
    np.multiply(Z, Z, out=out)
    out *= -0.5
    np.exp(out, out=out)  # 0, not an overflow, for |z| up to 1e19 in float32
    out *= Z
    out *= _INV_SQRT_2PI
    out += ndtr(Z)
    return out


def silu_gate(Z, out):
    """Write f'(z) for silu, s (1 + z (1 - s)) with s = sigmoid(z), into ``out``;
    return ``out``. Reads the pre-activation ``Z``."""
    s = expit(Z)
    np.subtract(1, s, out=out)
    out *= Z
    out += 1
    out *= s
    return out


def mish_gate(Z, out):
    """Write f'(z) for mish, t + z sigmoid(z) (1 - t**2) with
    t = tanh(softplus(z)), into ``out``; return ``out``. Reads the
    pre-activation ``Z``."""
    t = _tanh_softplus(Z)
    np.multiply(t, t, out=out)
    np.subtract(1, out, out=out)
    out *= expit(Z)
    out *= Z
    out += t
    return out


#: The derivatives written into an array (a "gate" the error is multiplied by),
#: for the fast training step. Identity has none: its derivative is 1. Those of
#: ``DERIVATIVE_FROM_PRE_ACTIVATION`` read ``Z``, the others ``H``.
GATES = {
    "relu": relu_gate,
    "tanh": tanh_gate,
    "logistic": logistic_gate,
    "leaky_relu": leaky_relu_gate,
    "selu": selu_gate,
    "gelu": gelu_gate,
    "silu": silu_gate,
    "mish": mish_gate,
}


def log_logistic_proba(Z):
    """Log-probabilities of the classes of one or more logistic outputs.

    For one output (binary classification) returns ``[log(1 - p), log(p)]``;
    for several (multilabel) returns ``log(p)`` per label. Computed from the
    logits ``Z``, so no ``-inf`` appears where ``p`` rounds to 0 or 1.
    """
    if Z.shape[1] == 1:
        return np.hstack([log_expit(-Z), log_expit(Z)])
    return log_expit(Z)


#: Log of the output activation, computed stably from the logits.
LOG_OUTPUTS = {
    "logistic": log_logistic_proba,
    "softmax": lambda Z: log_softmax(Z, axis=1),
}
