"""One optimizer step on packed parameters, cache block by cache block.

The training step leaves the gradient of the minibatch's *summed* loss. Before an
optimizer's rule can use it, it must be finished: the L2 term ``alpha * W`` added to
the weights' part, and the whole divided by the minibatch's weight, which makes it
the gradient of the mean loss plus the penalty (scikit-learn's operations, in its
order). :class:`Update` does that finishing, once, outside the rules, and then hands
the finished stretch to the rule.

Both run *one cache block at a time*: an Adam step reads and writes every parameter
a dozen times; one block takes all its passes while it stays in the core's cache,
so main memory sees each array about once. A block may hold weights and
intercepts: each stretch is finished with its own penalty, and the rule runs once
over the block, since a call on the few intercepts costs as much as one on a
block of weights. The arithmetic of each element does not
depend on the blocks, so results are the same bit for bit whatever their size
(``tests/test_optimizers.py``). ``benchmarks/README.md`` ("Where the time goes")
has the figures that keep it.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

#: Bytes per array in a cache block: a block of the four arrays an Adam step
#: touches, plus its scratch, stays in the 1 MiB L2 cache of a recent core.
BLOCK_BYTES = 1 << 18


def finish_gradient(param, grad, out, decay, divisor):
    """Write ``(grad + decay * param) / divisor`` into ``out``.

    ``grad`` is only read, so memory sees it once. Returns the sum of the squared
    parameters when ``decay`` is nonzero (what the loss's L2 term needs), else 0.
    """
    if not decay:
        np.divide(grad, divisor, out=out)
        return 0.0
    sq_norm = float(np.dot(param, param))
    np.multiply(param, decay, out=out)
    out += grad
    out /= divisor
    return sq_norm


class Update:
    """Finish packed gradients and apply an optimizer's rule, block by block.

    Parameters
    ----------
    layout : _packing.Layout
        The arrangement of the parameters, gradients and optimizer state.
    optimizer : object
        A rule of ``_optimizers``, its state flat arrays of ``layout.size``.
    alpha : float
        The L2 penalty of the weights (the intercepts are not decayed).
    weight_decay : float, default=0.0
        Decoupled weight decay (Loshchilov and Hutter, 2019): before the rule's
        step, the weights are multiplied by ``1 - lr * weight_decay``, ``lr``
        being the optimizer's ``learning_rate_init`` times its ``lr_factor``
        (as PyTorch's AdamW). The intercepts are not decayed.
    """

    def __init__(self, layout, optimizer, alpha, weight_decay=0.0):
        self.optimizer = optimizer
        self.block = max(1, BLOCK_BYTES // layout.dtype.itemsize)
        self.blocks = _blocks(layout.spans(alpha, weight_decay), self.block)
        width = min(self.block, layout.size)
        # The finished gradient, then the rule's own scratch.
        self._scratch = np.empty((1 + optimizer.n_scratch, width), dtype=layout.dtype)

    def __call__(self, params, grads, divisor):
        """Take one step: ``params`` (flat) is updated in place from the summed
        gradients ``grads`` (flat, only read) of a minibatch of weight
        ``divisor``.

        Returns
        -------
        sq_norm : float
            The sum of the squares of the decayed weights before the step.
        """
        optimizer = self.optimizer
        optimizer.start_step()
        states = [getattr(optimizer, name) for name in optimizer.state]
        learning_rate = optimizer.decay_rate
        sq_norm = 0.0
        for start, stop, pieces in self.blocks:
            scratch = self._scratch[:, : stop - start]
            finished = scratch[0]
            for lo, hi, decay, weight_decay in pieces:
                param = params[lo:hi]
                into = finished[lo - start : hi - start]
                sq_norm += finish_gradient(param, grads[lo:hi], into, decay, divisor)
                if weight_decay:
                    param *= 1.0 - learning_rate * weight_decay
            # One call of the rule per block, whatever its pieces: the rule's
            # arithmetic is elementwise, and its dozen passes cost as much on
            # the few intercepts as on a block of weights.
            state = [s[start:stop] for s in states]
            optimizer.apply(params[start:stop], finished, state, scratch[1:])
        return sq_norm


def _blocks(spans, block):
    """The cache blocks of the flat parameters that ``spans`` cover, in order:
    ``(start, stop, pieces)``, each piece a ``(lo, hi, decay, weight_decay)``
    stretch of the block within one span (adjacent spans with the same settings
    make one piece). The spans are contiguous and start at 0."""
    merged = []
    for span, decay, weight_decay in spans:
        if merged and tuple(merged[-1][2:]) == (decay, weight_decay):
            merged[-1][1] = span.stop
        else:
            merged.append([span.start, span.stop, decay, weight_decay])
    size = merged[-1][1] if merged else 0
    blocks = []
    for start in range(0, size, block):
        stop = min(start + block, size)
        pieces = [
            (max(lo, start), min(hi, stop), decay, weight_decay)
            for lo, hi, decay, weight_decay in merged
            if lo < stop and hi > start
        ]
        blocks.append((start, stop, pieces))
    return blocks
