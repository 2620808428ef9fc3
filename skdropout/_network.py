"""Forward and backward passes of a multilayer perceptron with dropout masks.

Pure functions over lists of arrays: they never see an estimator, and the masks are
an argument, so the same masks serve the forward and the backward pass (and a
gradient check can hold them fixed).

Notation, for a network with layers ``0..L`` (input 0, output L):

- ``coefs[i]``, ``intercepts[i]``: the weights from layer i to layer i + 1;
- ``H[i]``: the output of layer i before dropout (``H[0]`` is ``X``), what the
  activation's derivative reads; for an activation of
  ``DERIVATIVE_FROM_PRE_ACTIVATION`` (whose derivative the output does not
  give) a hidden layer's ``H[i]`` is its pre-activation instead;
- ``A[i] = H[i] * masks[i]`` (``masks[i].scale * (H[i] - alpha') + masks[i].shift``
  for alpha dropout's masks): what layer i passes on (``A[i] is H[i]`` without a
  mask; the activation of the pre-activation, times the mask, where ``H[i]`` is
  the pre-activation); the output layer is never masked, ``A[L] = H[L]``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import scipy.sparse as sp
from sklearn.utils.extmath import safe_sparse_dot

from skdropout._activations import (
    ACTIVATIONS,
    DERIVATIVE_FROM_PRE_ACTIVATION,
    DERIVATIVES,
)
from skdropout._dropout import AlphaMask, apply_alpha_mask
from skdropout._losses import LOSSES, OUTPUT_ACTIVATIONS, l2_penalty


def _apply_mask(H, mask):
    if mask is None:
        return H
    if isinstance(mask, AlphaMask):
        return apply_alpha_mask(H, mask)
    if sp.issparse(H):  # the mask holds one value per stored entry
        A = H.copy()
        A.data *= mask
        return A
    return H * mask


def _mask_derivative(mask):
    """d A / d H: the mask itself, or an alpha mask's scale."""
    return mask.scale if isinstance(mask, AlphaMask) else mask


def forward(X, coefs, intercepts, activation, out_activation, masks=None):
    """Run the network forward, optionally with dropout masks.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    coefs, intercepts : list of ndarray
        The weights and biases of each layer.
    activation : str
        Name of the hidden activation, a key of ``ACTIVATIONS``.
    out_activation : str
        Name of the output activation; ``None`` leaves the output linear (logits).
    masks : list of ndarray, AlphaMask or None, default=None
        ``masks[i]`` multiplies the output of layer i (``masks[0]`` the input),
        or, an ``_dropout.AlphaMask``, maps it affinely; None anywhere means no
        dropout there.

    Returns
    -------
    H : list of arrays
        What the derivative of every layer reads, ``H[0] = X``: its output
        before dropout, or for an activation of
        ``DERIVATIVE_FROM_PRE_ACTIVATION`` a hidden layer's pre-activation.
    A : list of arrays
        What every layer passes on after dropout; ``A[-1]`` is the network output.
    """
    n_layers = len(coefs)
    if masks is None:
        masks = [None] * n_layers
    hidden = ACTIVATIONS[activation]
    keep_pre_activation = activation in DERIVATIVE_FROM_PRE_ACTIVATION
    H = [X]
    A = [_apply_mask(X, masks[0])]
    for i in range(n_layers):
        Z = safe_sparse_dot(A[i], coefs[i])
        Z += intercepts[i]
        if i < n_layers - 1:
            if keep_pre_activation:
                H.append(Z)
                Z = hidden(Z.copy())
            else:
                H.append(hidden(Z))
            A.append(_apply_mask(Z, masks[i + 1]))
        else:
            if out_activation is not None:
                ACTIVATIONS[out_activation](Z)
            H.append(Z)
            A.append(Z)
    return H, A


def backward(H, A, y, coefs, activation, alpha, *, sample_weight=None, masks=None):
    """Back-propagate the error of a forward pass made with the same masks.

    The output layer's activation must be the canonical one of the loss, so that the
    error at its pre-activation is ``A[-1] - y``.

    Returns
    -------
    coef_grads, intercept_grads : list of ndarray
        Gradient of ``loss(y, A[-1]) + l2_penalty(coefs, alpha, sw_sum)`` with
        respect to each layer's weights and biases, ``sw_sum`` being the sum of
        ``sample_weight`` (the number of rows when it is None).
    """
    n_layers = len(coefs)
    if masks is None:
        masks = [None] * n_layers
    derivative = DERIVATIVES[activation]
    if sample_weight is None:
        sw_sum = A[0].shape[0]
    else:
        sw_sum = sample_weight.sum()
    coef_grads = [None] * n_layers
    intercept_grads = [None] * n_layers

    delta = A[-1] - y
    if sample_weight is not None:
        delta *= sample_weight.reshape(-1, 1)
    for i in range(n_layers - 1, -1, -1):
        grad = safe_sparse_dot(A[i].T, delta)
        grad += alpha * coefs[i]
        grad /= sw_sum
        coef_grads[i] = grad
        intercept_grads[i] = np.sum(delta, axis=0) / sw_sum
        if i > 0:
            delta = safe_sparse_dot(delta, coefs[i].T)
            if masks[i] is not None:
                delta *= _mask_derivative(masks[i])
            derivative(H[i], delta)
    return coef_grads, intercept_grads


def loss_and_grads(
    X, y, coefs, intercepts, activation, loss, *, alpha, sample_weight=None, masks=None
):
    """Loss and gradients of one minibatch, with the given dropout masks.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_outputs)
        Targets in the network's encoding (one-hot for classes).
    coefs, intercepts : list of ndarray
    activation : str
        Hidden activation.
    loss : str
        A key of ``LOSSES``; fixes the output activation.
    alpha : float
        L2 penalty.
    sample_weight : ndarray of shape (n_samples,), default=None
    masks : list, default=None
        As for :func:`forward`.

    Returns
    -------
    loss_value : float
        The weighted mean loss plus the L2 penalty.
    coef_grads, intercept_grads : list of ndarray
    y_pred : ndarray
        The network's output on ``X``.
    """
    H, A = forward(X, coefs, intercepts, activation, OUTPUT_ACTIVATIONS[loss], masks)
    coef_grads, intercept_grads = backward(
        H, A, y, coefs, activation, alpha, sample_weight=sample_weight, masks=masks
    )
    sw_sum = X.shape[0] if sample_weight is None else sample_weight.sum()
    value = LOSSES[loss](y, A[-1], sample_weight) + l2_penalty(coefs, alpha, sw_sum)
    return value, coef_grads, intercept_grads, A[-1]


def _output(X, coefs, intercepts, activation, out_activation, masks=None):
    return forward(X, coefs, intercepts, activation, out_activation, masks)[1][-1]


def _chunks(n_samples, chunk_size):
    if chunk_size is None:
        chunk_size = n_samples
    for start in range(0, n_samples, max(chunk_size, 1)):
        yield slice(start, min(start + chunk_size, n_samples))


def predict_raw(X, coefs, intercepts, activation, out_activation=None, chunk_size=None):
    """The network's output without dropout, optionally in row chunks.

    With ``out_activation=None`` the logits are returned.
    """
    if chunk_size is None or X.shape[0] <= chunk_size:
        return _output(X, coefs, intercepts, activation, out_activation)
    out = np.empty((X.shape[0], coefs[-1].shape[1]), dtype=coefs[-1].dtype)
    for rows in _chunks(X.shape[0], chunk_size):
        out[rows] = _output(X[rows], coefs, intercepts, activation, out_activation)
    return out


def sample_outputs(
    X,
    coefs,
    intercepts,
    activation,
    out_activation,
    *,
    draw_masks,
    n_passes,
    chunk_size=None,
):
    """Monte Carlo dropout: ``n_passes`` stochastic forward passes.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    coefs, intercepts : list of ndarray
    activation, out_activation : str
    draw_masks : callable
        ``draw_masks(X_chunk)`` returns the masks of one pass over a row chunk.
    n_passes : int
    chunk_size : int, default=None
        Rows per chunk: the memory of the passes does not grow with n_samples.

    Returns
    -------
    outputs : ndarray of shape (n_passes, n_samples, n_outputs)
    """
    out = np.empty(
        (n_passes, X.shape[0], coefs[-1].shape[1]),
        dtype=np.result_type(X.dtype, coefs[-1].dtype),
    )
    for rows in _chunks(X.shape[0], chunk_size):
        X_chunk = X[rows]
        for t in range(n_passes):
            masks = draw_masks(X_chunk)
            out[t, rows] = _output(
                X_chunk, coefs, intercepts, activation, out_activation, masks
            )
    return out


def apply_max_norm(coefs, max_norm):
    """Rescale, in place, every column of each matrix in ``coefs`` whose L2 norm
    exceeds ``max_norm`` down to that norm.

    Column j of ``coefs[i]`` is the incoming weight vector of unit j of layer
    i + 1; the constraint of Srivastava et al. (2014) bounds it, not the bias.
    """
    for W in coefs:
        norms = np.sqrt(np.einsum("ij,ij->j", W, W))
        too_long = norms > max_norm
        if too_long.any():
            W[:, too_long] *= (max_norm / norms[too_long]).astype(W.dtype)
