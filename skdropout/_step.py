"""The training step: loss and summed gradients of one minibatch, with fresh
dropout masks, on buffers allocated once per fit.

It computes what ``_network.loss_and_grads`` computes before the L2 term and the
mean (``_update`` finishes the gradients; ``tests/test_step.py`` compares the two on
the same masks), with less work beside the matrix products:

- every array a minibatch needs is allocated when the step is built, once per fit,
  and reused by every minibatch, so a step allocates almost nothing;
- how each hidden layer is handled is chosen once, when the step is built (a
  :class:`_Layer` subclass per case, picked by :func:`_layer`), not tested at
  every minibatch;
- the forward pass stores, per hidden layer, a *gate*: the mask times the
  activation's derivative. The backward pass then multiplies the error by the
  gate once, instead of by the mask and then by the derivative. For relu with
  Bernoulli dropout the gate is made from bytes (kept and positive), and no
  mask array is made at all. For an activation whose derivative reads the
  pre-activation (``DERIVATIVE_FROM_PRE_ACTIVATION``: gelu, silu, mish) the gate
  is written from ``Z`` before the activation overwrites it, in the same buffer;
- masks are drawn from as few random bits as the rate needs, in the order of
  ``_dropout.draw_masks`` (the input's first, then each hidden layer's);
- with one output (a regression, a binary classifier) the error sent back to the
  last hidden layer is an outer product, made by ``np.multiply`` (the same one
  product per entry as the matrix product, without its cost for an inner
  dimension of 1), and the squared error is taken from that error, not from a
  second difference;
- alpha dropout's masks (``_dropout.AlphaMask``) shift as well as scale: the
  gate takes the scale, and ``_dropout.apply_alpha_mask`` maps ``Z`` in place,
  as the reference maths does.

Names follow ``_network``: ``A[i]`` is what layer ``i`` passes on (after its
activation and dropout), ``A[0]`` the (masked) input.

A step is an argument of the training loop, never kept on an estimator, so that
prediction (which does not use it) stays safe to run from several threads.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import scipy.sparse as sp

from skdropout._activations import (
    ACTIVATIONS,
    DERIVATIVE_FROM_PRE_ACTIVATION,
    DERIVATIVES,
    GATES,
)
from skdropout._dropout import (
    AlphaMask,
    apply_alpha_mask,
    check_sparse_input_noise,
    draw_mask,
    keep_decisions,
)
from skdropout._losses import LOSSES, OUTPUT_ACTIVATIONS, squared_residual_loss


class _Layer:
    """How one hidden layer's output and its error are treated in a step.

    ``forward(Z, rng)`` applies the activation and the dropout to the
    pre-activation ``Z`` in place (``Z`` becomes what the layer passes on);
    ``backward(delta, A)`` multiplies the error reaching the layer's
    pre-activation in place by the derivative and the mask. Each case is a
    subclass, chosen once by :func:`_layer`; this base is the identity without
    dropout, whose derivative is 1.
    """

    def __init__(self, activation, rate, noise, n_rows, units, dtype):
        self.activation = ACTIVATIONS[activation]
        self.rate, self.noise = rate, noise
        self.scale = dtype.type(1.0 / (1.0 - rate))
        self.shape, self.dtype = (n_rows, units), dtype
        self._gate = None  # what backward multiplies the error by

    def _rows(self, dtype=None):
        return np.empty(self.shape, dtype=self.dtype if dtype is None else dtype)

    def forward(self, Z, rng):
        self.activation(Z)

    def backward(self, delta, A):
        pass


class _MaskedLayer(_Layer):
    """The identity with dropout: the error is multiplied by the mask."""

    def __init__(self, activation, rate, noise, n_rows, units, dtype):
        super().__init__(activation, rate, noise, n_rows, units, dtype)
        self.mask = self._rows() if rate else None

    def forward(self, Z, rng):
        self.activation(Z)
        self._gate = self._drop(Z, rng, None)

    def backward(self, delta, A):
        delta *= self._gate

    def _drop(self, Z, rng, gate):
        """Draw the layer's mask, apply it to ``Z`` and fold it into ``gate``;
        return what the error is multiplied by: the gate, else the mask."""
        mask = draw_mask(
            rng, Z.shape, self.rate, Z.dtype, self.noise, out=self.mask[: Z.shape[0]]
        )
        shifted = None
        if isinstance(mask, AlphaMask):  # an affine map, whose slope is scale
            mask, shifted = mask.scale, mask
        if gate is not None:
            gate *= mask
        if shifted is not None:
            apply_alpha_mask(Z, shifted, out=Z)
        else:
            Z *= mask
        return mask if gate is None else gate


class _GatedLayer(_MaskedLayer):
    """The derivative read from the output and written out as a gate, times the
    mask if there is dropout."""

    def __init__(self, activation, rate, noise, n_rows, units, dtype):
        super().__init__(activation, rate, noise, n_rows, units, dtype)
        self.gate_into = GATES[activation]
        self.gate = self._rows()

    def forward(self, Z, rng):
        gate = self.gate[: Z.shape[0]]
        self.activation(Z)
        self.gate_into(Z, gate)
        self._gate = gate if self.mask is None else self._drop(Z, rng, gate)


class _GatedFromZLayer(_GatedLayer):
    """The gate written from ``Z`` before the activation overwrites it
    (``DERIVATIVE_FROM_PRE_ACTIVATION``), times the mask if there is dropout."""

    def forward(self, Z, rng):
        gate = self.gate[: Z.shape[0]]
        self.gate_into(Z, gate)
        self.activation(Z)
        self._gate = gate if self.mask is None else self._drop(Z, rng, gate)


class _ReluBytesLayer(_Layer):
    """relu with Bernoulli dropout: the gate, 1 / (1 - p) where the unit is
    kept and positive, else 0, is decided on bytes; no mask array is made."""

    def __init__(self, activation, rate, noise, n_rows, units, dtype):
        super().__init__(activation, rate, noise, n_rows, units, dtype)
        self.gate = self._rows()
        self.flags = self._rows(bool)

    def forward(self, Z, rng):
        n = Z.shape[0]
        keep = keep_decisions(rng, Z.size, self.rate).reshape(Z.shape)
        flags = np.greater(Z, 0, out=self.flags[:n])
        np.logical_and(flags, keep, out=flags)
        gate = np.multiply(flags, self.scale, out=self.gate[:n], dtype=Z.dtype)
        self._gate = gate
        # The relu before the gate only matters for a -inf (overflowed) input,
        # which the gate's 0 would turn into NaN.
        self.activation(Z)
        Z *= gate

    def backward(self, delta, A):
        delta *= self._gate


class _DerivativeLayer(_Layer):
    """logistic without dropout: the derivative is left to ``DERIVATIVES`` in
    the backward pass, which rounds exactly as scikit-learn's MLP does."""

    def __init__(self, activation, rate, noise, n_rows, units, dtype):
        super().__init__(activation, rate, noise, n_rows, units, dtype)
        self.derivative = DERIVATIVES[activation]

    def backward(self, delta, A):
        self.derivative(A, delta)


def _layer(activation, rate, noise, n_rows, units, dtype):
    """The layer of the case that ``activation``, ``rate`` and ``noise`` make."""
    if rate and activation == "relu" and noise == "bernoulli":
        case = _ReluBytesLayer
    elif activation in DERIVATIVE_FROM_PRE_ACTIVATION:
        case = _GatedFromZLayer
    elif activation not in GATES:  # identity: the derivative is 1
        case = _MaskedLayer if rate else _Layer
    elif not rate and activation == "logistic":
        case = _DerivativeLayer
    else:
        case = _GatedLayer
    return case(activation, rate, noise, n_rows, units, dtype)


class TrainingStep:
    """Loss and summed gradients of one minibatch, with fresh dropout masks.

    Built once per fit, for the largest minibatch; smaller ones use the first rows
    of each buffer.

    Parameters
    ----------
    layout : _packing.Layout
        The network's parameter layout: the gradients are packed in it.
    n_rows : int
        The largest minibatch.
    activation, loss : str
        The hidden activation and the loss (which fixes the output activation).
    rates : sequence of float
        The drop rate of each hidden layer.
    input_rate : float
        The drop rate of the input.
    noise : str
        The kind of noise, a key of ``_dropout.NOISES``.

    Attributes
    ----------
    grads : ndarray
        The packed gradients of the last minibatch's *summed* loss (see
        :meth:`__call__`); ``coef_grads`` and ``intercept_grads`` are its views.
    """

    def __init__(self, layout, n_rows, activation, loss, *, rates, input_rate, noise):
        dtype = layout.dtype
        units = [shape[0] for shape in layout.coef_shapes]
        units.append(layout.coef_shapes[-1][1])
        self.loss = loss
        self.out_activation = ACTIVATIONS[OUTPUT_ACTIVATIONS[loss]]
        self.activation, self.noise = activation, noise
        self._units, self._n_rows, self._dtype = units, n_rows, dtype
        self.rates = self.input_rate = None
        self.set_rates(rates, input_rate)
        self.X = np.empty((n_rows, units[0]), dtype=dtype)
        self.Y = np.empty((n_rows, units[-1]), dtype=dtype)
        self.A = [np.empty((n_rows, width), dtype=dtype) for width in units[1:]]
        self.deltas = [np.empty_like(A) for A in self.A]
        self.grads = layout.zeros()
        self.coef_grads, self.intercept_grads = layout.views(self.grads)

    def set_rates(self, rates, input_rate):
        """Drop rates for the next minibatches (a dropout schedule changes them
        between epochs); each layer's case is chosen again only if they
        changed."""
        rates, input_rate = tuple(rates), float(input_rate)
        if (rates, input_rate) == (self.rates, self.input_rate):
            return
        self.rates, self.input_rate = rates, input_rate
        self.layers = [
            _layer(self.activation, rate, self.noise, self._n_rows, width, self._dtype)
            for width, rate in zip(self._units[1:-1], rates)
        ]
        shape = (self._n_rows, self._units[0])
        self.input = np.empty(shape, dtype=self._dtype) if input_rate else None
        # Alpha noise maps X affinely: its scale needs a buffer of its own.
        alpha_input = input_rate and self.noise == "alpha"
        self.input_scale = np.empty(shape, dtype=self._dtype) if alpha_input else None

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

    def __call__(self, X, Y, sample_weight, coefs, intercepts, rng):
        """Run the minibatch forward and backward.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_rows, n_features)
        Y : ndarray of shape (n_rows, n_outputs)
            Targets in the network's encoding.
        sample_weight : ndarray of shape (n_rows,) or None
        coefs, intercepts : list of ndarray
            The parameters (only read).
        rng : numpy.random.RandomState
            Draws the masks.

        Returns
        -------
        loss_value : float
            The weighted mean loss, without the L2 penalty.
        sw_sum : float
            The minibatch's weight: its number of rows, or the sum of its sample
            weights. ``grads`` holds the gradients of the weighted *sum* of the
            losses.
        """
        n = X.shape[0]
        A = X
        sparse = sp.issparse(X)  # only the input can be: it decides layer 1's products
        if self.input_rate:
            if sparse:  # one mask value per stored entry
                check_sparse_input_noise(X, self.input_rate, self.noise)
                A = X.copy()
                A.data *= draw_mask(rng, X.nnz, self.input_rate, X.dtype, self.noise)
            elif self.input_scale is not None:  # alpha noise
                mask = draw_mask(
                    rng,
                    X.shape,
                    self.input_rate,
                    X.dtype,
                    self.noise,
                    out=self.input_scale[:n],
                )
                A = apply_alpha_mask(X, mask, out=self.input[:n])
            else:
                A = draw_mask(
                    rng,
                    X.shape,
                    self.input_rate,
                    X.dtype,
                    self.noise,
                    out=self.input[:n],
                )
                A *= X
        inputs = [A]  # A[i]: what enters layer i + 1
        for i, (W, b) in enumerate(zip(coefs, intercepts)):
            Z = self.A[i][:n]
            if sparse and i == 0:
                Z[...] = A @ W
            else:
                np.matmul(A, W, out=Z)
            Z += b
            if i < len(self.layers):
                self.layers[i].forward(Z, rng)
                inputs.append(Z)
            A = Z
        output = self.out_activation(A)

        sw_sum = n if sample_weight is None else sample_weight.sum()
        # Each loss is paired with its canonical output activation: the error at
        # the output's pre-activation is y_pred - y.
        delta = np.subtract(output, Y, out=self.deltas[-1][:n])
        if self.loss == "squared_error":
            # The same square as (y - y_pred) ** 2, without a second difference.
            value = squared_residual_loss(delta, sample_weight)
        else:
            value = LOSSES[self.loss](Y, output, sample_weight)
        if sample_weight is not None:
            delta *= sample_weight.reshape(-1, 1)
        for i in range(len(coefs) - 1, -1, -1):
            if sparse and i == 0:
                self.coef_grads[i][...] = inputs[i].T @ delta
            else:
                np.matmul(inputs[i].T, delta, out=self.coef_grads[i])
            np.add.reduce(delta, axis=0, out=self.intercept_grads[i])
            if i > 0:
                previous = self.deltas[i - 1][:n]
                if delta.shape[1] == 1:
                    # An outer product: one multiplication per entry, as the
                    # matrix product does it, at a fifth of its cost.
                    np.multiply(delta, coefs[i].T, out=previous)
                else:
                    np.matmul(delta, coefs[i].T, out=previous)
                self.layers[i - 1].backward(previous, inputs[i])
                delta = previous
        return value, sw_sum
