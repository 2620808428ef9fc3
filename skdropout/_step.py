"""The training step on preallocated buffers: the fast path of stochastic training.

With the optimizer's update, which adds the L2 term and makes the means block by
block (see ``_optimizers``), it computes what ``_network.loss_and_grads`` computes
(the tests compare the two on the same masks) with less work beside the matrix
products:

- every array a minibatch needs lives in a :class:`Workspace`, allocated once per
  fit and reused by every minibatch, so a step allocates almost nothing;
- the forward pass stores, per hidden layer, a *gate*: the mask times the
  activation's derivative. The backward pass then multiplies the error by the
  gate once, instead of by the mask and then by the derivative. For relu with
  Bernoulli dropout the gate is made from bytes (kept and positive), and no
  mask array is made at all;
- masks are drawn from as few random bits as the rate needs.

The workspace is an argument, never kept on an estimator, so that prediction (which
does not use it) stays safe to run from several threads.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import scipy.sparse as sp

from skdropout._activations import ACTIVATIONS, DERIVATIVES, GATES
from skdropout._blockwise import packed
from skdropout._dropout import draw_mask, keep_decisions
from skdropout._losses import LOSSES, OUTPUT_ACTIVATIONS


class Workspace:
    """The buffers of training steps for one network, batch size and dtype.

    Parameters
    ----------
    layer_units : sequence of int
        Units per layer, input first and output last.
    n_rows : int
        The largest minibatch; smaller ones use the first rows of each buffer.
    dtype : numpy dtype
    rates : sequence of float
        Drop rate of each hidden layer (a mask buffer only where it is nonzero).
    input_rate : float
        Drop rate of the input.
    """

    def __init__(self, layer_units, n_rows, dtype, rates, input_rate):
        dtype = np.dtype(dtype)

        def rows(width):
            return np.empty((n_rows, width), dtype=dtype)

        hidden = layer_units[1:-1]
        self.X = rows(layer_units[0])
        self.Y = rows(layer_units[-1])
        self.input = rows(layer_units[0]) if input_rate else None
        self.outputs = [rows(units) for units in layer_units[1:]]
        self.deltas = [rows(units) for units in layer_units[1:]]
        self.gates = [rows(units) for units in hidden]
        self.masks = [
            rows(units) if rate else None for units, rate in zip(hidden, rates)
        ]
        self.flags = [
            np.empty((n_rows, units), dtype=bool) if rate else None
            for units, rate in zip(hidden, rates)
        ]
        # Packed like the parameters the estimator trains, so that an
        # optimizer's step sees all gradients of equal decay as one array.
        shapes = list(zip(layer_units[:-1], layer_units[1:]))
        grads = packed(shapes + [(shape[1],) for shape in shapes], dtype)
        self.coef_grads, self.intercept_grads = (
            grads[: len(shapes)],
            grads[len(shapes) :],
        )

    def gather(self, X, Y, idx):
        """The minibatch of rows ``idx`` (an index array or a slice)."""
        if isinstance(idx, slice):
            return X[idx], Y[idx]
        n = len(idx)
        # The indices are valid rows: mode="clip" spares take the buffered copy
        # that checking them costs when it writes into ``out`` (3 times slower).
        if sp.issparse(X):
            X_batch = X[idx]
        else:
            X_batch = np.take(X, idx, axis=0, out=self.X[:n], mode="clip")
        return X_batch, np.take(Y, idx, axis=0, out=self.Y[:n], mode="clip")


def train_step(
    ws, X, Y, sample_weight, coefs, intercepts, activation, loss, rng, rates,
    input_rate, noise,
):  # fmt: skip
    """Loss and summed gradients of one minibatch, with fresh dropout masks.

    The L2 term and the division by the minibatch's weight are left to the
    optimizer's update, which makes them block by block with the step (the
    gradients are then those of ``_network.loss_and_grads``).

    Parameters
    ----------
    ws : Workspace
    X : {ndarray, sparse matrix} of shape (n_rows, n_features)
    Y : ndarray of shape (n_rows, n_outputs)
        Targets in the network's encoding.
    sample_weight : ndarray of shape (n_rows,) or None
    coefs, intercepts : list of ndarray
    activation, loss : str
        Hidden activation and loss (which fixes the output activation).
    rng : numpy.random.RandomState
        Draws the masks: the input's first, then each hidden layer's, as
        ``_dropout.draw_masks`` does.
    rates, input_rate, noise
        The dropout of the hidden layers and the input, and its kind.

    Returns
    -------
    loss_value : float
        The weighted mean loss, without the L2 penalty.
    sw_sum : float
        The minibatch's weight: its number of rows, or the sum of its sample
        weights. ``ws.coef_grads`` and ``ws.intercept_grads`` hold the gradients
        of the weighted *sum* of the losses.
    """
    n = X.shape[0]
    n_layers = len(coefs)
    dtype = coefs[0].dtype
    hidden, gate_into = ACTIVATIONS[activation], GATES.get(activation)
    fuse_relu = activation == "relu" and noise == "bernoulli"
    scales = [dtype.type(1.0 / (1.0 - rate)) for rate in rates]

    A = X
    if input_rate:
        if sp.issparse(X):
            A = X.copy()
            A.data *= draw_mask(rng, X.nnz, input_rate, dtype, noise)
        else:
            A = draw_mask(rng, X.shape, input_rate, dtype, noise, out=ws.input[:n])
            A *= X
    inputs = [A]  # what enters each layer
    gates = []
    for i in range(n_layers):
        Z = ws.outputs[i][:n]
        if sp.issparse(A):
            Z[...] = A @ coefs[i]
        else:
            np.matmul(A, coefs[i], out=Z)
        Z += intercepts[i]
        if i == n_layers - 1:
            ACTIVATIONS[OUTPUT_ACTIVATIONS[loss]](Z)
            break
        if rates[i] and fuse_relu:
            # The gate is 1 / (1 - p) where the unit is kept and positive, else 0,
            # decided on bytes. The relu before it only matters for a -inf
            # (overflowed) input, which the gate's 0 would turn into NaN.
            keep = keep_decisions(rng, Z.size, rates[i]).reshape(Z.shape)
            flags = np.greater(Z, 0, out=ws.flags[i][:n])
            np.logical_and(flags, keep, out=flags)
            gate = np.multiply(flags, scales[i], out=ws.gates[i][:n], dtype=dtype)
            hidden(Z)
            Z *= gate
            gates.append(gate)
            inputs.append(Z)
            A = Z
            continue
        hidden(Z)
        mask = None
        if rates[i]:
            mask = draw_mask(rng, Z.shape, rates[i], dtype, noise, out=ws.masks[i][:n])
        gate = ws.gates[i][:n]
        if gate_into is None:  # identity: the derivative is 1
            gate = mask
        elif mask is None and activation == "logistic":
            # Left to DERIVATIVES in the backward pass, which rounds exactly as
            # scikit-learn's MLP does.
            gate = None
        else:
            gate_into(Z, gate)
            if mask is not None:
                gate *= mask
        if mask is not None:
            Z *= mask
        gates.append(gate)
        inputs.append(Z)
        A = Z

    output = ws.outputs[-1][:n]
    sw_sum = n if sample_weight is None else sample_weight.sum()
    value = LOSSES[loss](Y, output, sample_weight)

    delta = np.subtract(output, Y, out=ws.deltas[-1][:n])
    if sample_weight is not None:
        delta *= sample_weight.reshape(-1, 1)
    for i in range(n_layers - 1, -1, -1):
        grad = ws.coef_grads[i]
        if sp.issparse(inputs[i]):
            grad[...] = inputs[i].T @ delta
        else:
            np.matmul(inputs[i].T, delta, out=grad)
        np.sum(delta, axis=0, out=ws.intercept_grads[i])
        if i > 0:
            previous = np.matmul(delta, coefs[i].T, out=ws.deltas[i - 1][:n])
            if gates[i - 1] is not None:
                previous *= gates[i - 1]
            else:
                DERIVATIVES[activation](inputs[i], previous)
            delta = previous
    return value, sw_sum
