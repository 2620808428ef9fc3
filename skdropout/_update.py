"""One optimizer step on packed parameters, cache block by cache block.

The training step leaves the gradient of the minibatch's *summed* loss. Before an
optimizer's rule can use it, it must be finished: the L2 term ``alpha * W`` added to
the weights' part, and the whole divided by the minibatch's weight, which makes it
the gradient of the mean loss plus the penalty (scikit-learn's operations, in its
order). :class:`Update` does that finishing, once, outside the rules, and then hands
each stretch to the rule.

Both run *one cache block at a time*: an Adam step reads and writes every parameter
a dozen times; one block takes all its passes while it stays in the core's cache,
so main memory sees each array about once. The arithmetic of each element does not
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
        self.spans = layout.spans(alpha, weight_decay)
        self.block = max(1, BLOCK_BYTES // layout.dtype.itemsize)
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
        learning_rate = optimizer.learning_rate_init * optimizer.lr_factor
        sq_norm = 0.0
        for span, decay, weight_decay in self.spans:
            shrink = 1.0 - learning_rate * weight_decay
            for start in range(span.start, span.stop, self.block):
                stop = min(start + self.block, span.stop)
                scratch = self._scratch[:, : stop - start]
                param = params[start:stop]
                sq_norm += finish_gradient(
                    param, grads[start:stop], scratch[0], decay, divisor
                )
                if weight_decay:
                    param *= shrink
                optimizer.apply(
                    param, scratch[0], [s[start:stop] for s in states], scratch[1:]
                )
        return sq_norm
