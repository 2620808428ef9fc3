"""The packed layout of a network's parameters: one flat buffer, and its views.

Training updates every weight and every intercept at every step. Laid end to end in
one buffer (all weights first, then all intercepts), they are two long spans, so an
optimizer step costs a few NumPy calls whatever the number of layers, and the L2
decay, which applies to the weights only, is one span's business.

:class:`Layout` is the one owner of that arrangement: the engine makes one per fit
and hands it to the training step (for the gradients) and to the update (for the
parameters and the optimizer's state). Nothing else slices the buffer.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np


class Layout:
    """Where each layer's weights and intercepts lie in a flat buffer.

    Parameters
    ----------
    layer_units : sequence of int
        Units per layer, input first and output last.
    dtype : numpy dtype

    Attributes
    ----------
    size : int
        Elements in the buffer.
    weights, intercepts : slice
        The span of all weights, then the span of all intercepts.
    """

    def __init__(self, layer_units, dtype):
        self.dtype = np.dtype(dtype)
        self.coef_shapes = list(zip(layer_units[:-1], layer_units[1:]))
        self.intercept_shapes = [(units,) for units in layer_units[1:]]
        n_weights = sum(math.prod(shape) for shape in self.coef_shapes)
        self.size = n_weights + sum(layer_units[1:])
        self.weights = slice(0, n_weights)
        self.intercepts = slice(n_weights, self.size)

    def views(self, flat):
        """The per-layer views of ``flat``: ``(coefs, intercepts)``, two lists of
        C-contiguous arrays that share its memory."""
        if flat.shape != (self.size,) or flat.dtype != self.dtype:
            raise ValueError(
                f"A packed buffer of this layout has shape ({self.size},) and dtype "
                f"{self.dtype}; got {flat.shape} and {flat.dtype}."
            )
        arrays, start = [], 0
        for shape in self.coef_shapes + self.intercept_shapes:
            size = math.prod(shape)
            arrays.append(flat[start : start + size].reshape(shape))
            start += size
        n = len(self.coef_shapes)
        return arrays[:n], arrays[n:]

    def zeros(self):
        """A new buffer of zeros."""
        return np.zeros(self.size, dtype=self.dtype)

    def pack(self, coefs, intercepts):
        """A new buffer holding copies of ``coefs`` and ``intercepts``."""
        flat = np.empty(self.size, dtype=self.dtype)
        for view, array in zip(sum(self.views(flat), []), [*coefs, *intercepts]):
            view[...] = array
        return flat

    def spans(self, alpha, weight_decay=0.0):
        """The spans an update walks, each with its L2 penalty and its decoupled
        weight decay: the weights with ``alpha`` and ``weight_decay``, the
        intercepts with neither (empty spans left out)."""
        spans = [(self.weights, alpha, weight_decay), (self.intercepts, 0.0, 0.0)]
        return [s for s in spans if s[0].stop > s[0].start]
