"""Loss functions, each paired with the output activation that makes its gradient
with respect to the output layer's pre-activation equal to ``y_pred - y``.

Each loss returns the sample-weighted mean over samples of the loss summed over
outputs. That is exactly the function whose gradient the network computes, also for
several outputs. scikit-learn's MLPRegressor averages its squared error over the
outputs while its gradient sums over them (scikit-learn issue #8349; the open fix,
PR #34830, sums as here). Its adam and sgd steps are therefore the same as here, but
its L-BFGS line search and its ``tol`` see a loss ``n_outputs`` times smaller.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.special import xlogy


def _sum_of_means(terms, sample_weight):
    """The sample-weighted mean over samples (rows) of ``terms``, summed over
    outputs (columns): the mean over samples of the loss summed over outputs,
    in scikit-learn's order of operations (a mean per output, then their sum),
    so that at dropout 0 its L-BFGS, which follows the loss's value, takes the
    same steps. Without weights, ``np.average``'s arithmetic without its
    checks."""
    if sample_weight is None:
        means = np.add.reduce(terms, axis=0) / terms.shape[0]
    else:
        means = np.average(terms, weights=sample_weight, axis=0)
    return float(means.sum())


def squared_error(y_true, y_pred, sample_weight=None):
    """Half the squared error: mean over samples of 0.5 * sum_k (y - y_pred)**2."""
    return squared_residual_loss(y_true - y_pred, sample_weight)


def squared_residual_loss(residual, sample_weight=None):
    """:func:`squared_error` from the residual ``y - y_pred`` (or ``y_pred - y``,
    whose squares are the same numbers)."""
    return 0.5 * _sum_of_means(residual**2, sample_weight)


def poisson(y_true, y_pred, sample_weight=None):
    """Half the Poisson deviance y log(y / y_pred) - y + y_pred, summed over outputs."""
    terms = xlogy(y_true, y_true / y_pred) - y_true + y_pred
    return _sum_of_means(terms, sample_weight)


def _clip_proba(y_prob):
    eps = np.finfo(y_prob.dtype).eps
    return np.clip(y_prob, eps, 1 - eps)


def log_loss(y_true, y_prob, sample_weight=None):
    """Categorical cross-entropy of softmax probabilities and one-hot targets."""
    return -_sum_of_means(xlogy(y_true, _clip_proba(y_prob)), sample_weight)


def binary_log_loss(y_true, y_prob, sample_weight=None):
    """Binary cross-entropy of logistic outputs, summed over labels."""
    y_prob = _clip_proba(y_prob)
    terms = xlogy(y_true, y_prob) + xlogy(1 - y_true, 1 - y_prob)
    return -_sum_of_means(terms, sample_weight)


LOSSES = {
    "squared_error": squared_error,
    "poisson": poisson,
    "log_loss": log_loss,
    "binary_log_loss": binary_log_loss,
}

#: The canonical output activation of each loss (its inverse link).
OUTPUT_ACTIVATIONS = {
    "squared_error": "identity",
    "poisson": "exp",
    "log_loss": "softmax",
    "binary_log_loss": "logistic",
}


def l2_term(sq_norm, alpha, sw_sum):
    """The L2 term added to a batch's loss, from the weights' squared norm:
    ``0.5 * alpha * sq_norm / sw_sum`` (the training engine gets ``sq_norm``
    from the update, which reads the weights anyway)."""
    return (0.5 * alpha) * sq_norm / sw_sum


def l2_penalty(coefs, alpha, sw_sum):
    """The L2 term added to a batch's loss: 0.5 * alpha * sum ||W||^2 / sw_sum."""
    sq_norm = sum(float(np.dot(W.ravel(), W.ravel())) for W in coefs)
    return l2_term(sq_norm, alpha, sw_sum)
