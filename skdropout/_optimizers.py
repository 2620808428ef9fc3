"""Stochastic optimizers: update a list of parameter arrays in place from a list of
gradients. They know nothing of networks; their state is a few arrays shaped like
the parameters, so it pickles with the estimator and a resumed fit continues exactly.

The update rules and learning-rate schedules are scikit-learn's (same arithmetic in
the same order), so a zero-dropout fit reproduces MLPClassifier's weights. An update
also finishes the gradients (L2 decay, then the division that makes a mean), and
runs in place, block by block, each block taking all its passes while it is in the
cache (see ``_blockwise``). The state is packed in one buffer per kind, so that
packed parameters (as the estimators keep them) are updated as one array per
decay value, whatever the number of layers.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np

from skdropout._blockwise import BlockRunner, packed, spans


def _finish_gradient(param, grad, out, decay, divisor):
    """Write a block's gradient for the step into ``out``: the summed gradient
    plus the L2 term ``decay * param``, divided by ``divisor`` (scikit-learn's
    operations in its order). ``grad`` is only read, so memory sees it once.
    Return the sum of the squared parameters when ``decay`` is nonzero, else 0."""
    if not decay:
        np.divide(grad, divisor, out=out)
        return 0.0
    sq_norm = float(np.dot(param, param))
    np.multiply(param, decay, out=out)
    out += grad
    out /= divisor
    return sq_norm


class _Optimizer:
    """The update protocol shared by SGD and Adam."""

    #: State arrays shaped like the parameters, and scratch arrays per block.
    _state = ()
    _n_scratch = 2

    def update(self, params, grads, runner=None, decay=None, divisor=1.0):
        """Apply one step to ``params`` in place.

        Parameters
        ----------
        params, grads : list of ndarray
            The parameters and their gradients, of the same shapes.
        runner : BlockRunner, default=None
            Runs the update block by block and keeps its scratch arrays from one
            step to the next; None makes one for this step.
        decay : list of float, default=None
            Per parameter, an L2 weight decay: ``decay[i] * params[i]`` is added to
            the gradient first (``grads`` is left as it is).
        divisor : float, default=1.0
            The gradients, decay included, are divided by it: the summed
            gradients of a minibatch become means.

        Returns
        -------
        sq_norm : float
            The sum of the squares, before the step, of the parameters with a
            nonzero decay: what the L2 penalty of the loss needs.
        """
        return self.step(self.plan(params, grads, decay), runner, divisor)

    def plan(self, params, grads, decay=None):
        """The work of :meth:`update` for these arrays, to pass to :meth:`step`
        at every step that updates them. Where the parameters, the gradients and
        the optimizer's state are each packed (``_blockwise.packed``), the
        parameters of equal decay are updated as one array."""
        decay = [0.0] * len(params) if decay is None else list(decay)
        return spans([params, grads, *self._states()], decay)

    def step(self, plan, runner=None, divisor=1.0):
        """Apply one step to the arrays of ``plan`` (see :meth:`update`)."""
        self._begin_step()
        if runner is None:
            runner = BlockRunner()
        groups = [group for group, _ in plan]
        args = [(decay, divisor) for _, decay in plan]
        return runner.run(self._block, groups, self._n_scratch, args)

    def __setstate__(self, state):
        # Unpickled state arrays are separate copies: pack them again.
        vars(self).update(state)
        for name in self._state:
            setattr(self, name, packed(getattr(self, name)))

    def _states(self):
        return [getattr(self, name) for name in self._state]

    def _begin_step(self):
        """Whatever changes once per step, before the blocks are updated."""


class SGD(_Optimizer):
    """Stochastic gradient descent with (Nesterov) momentum.

    Parameters
    ----------
    params : list of ndarray
        The parameters to update; only their shapes and dtypes are read here.
    learning_rate_init : float
    lr_schedule : {'constant', 'invscaling', 'adaptive'}
    momentum : float
    nesterov : bool
    power_t : float
    """

    def __init__(
        self,
        params,
        learning_rate_init=0.1,
        lr_schedule="constant",
        momentum=0.9,
        nesterov=True,
        power_t=0.5,
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocities = packed([p.shape for p in params], params[0].dtype)

    _state = ("velocities",)

    def _block(self, block, scratch, arg):
        param, summed, velocity = block
        grad, scaled = scratch
        sq_norm = _finish_gradient(param, summed, grad, *arg)
        np.multiply(grad, self.learning_rate, out=scaled)
        velocity *= self.momentum
        velocity -= scaled
        if self.nesterov:
            step = np.multiply(velocity, self.momentum, out=grad)
            step -= scaled
            param += step
        else:
            param += velocity
        return sq_norm

    def iteration_ends(self, time_step):
        """Update the learning rate after an epoch; ``time_step`` counts samples."""
        if self.lr_schedule == "invscaling":
            self.learning_rate = (
                float(self.learning_rate_init) / (time_step + 1) ** self.power_t
            )

    def trigger_stopping(self, msg, verbose):
        """Return True to stop; with the 'adaptive' schedule, first divide the
        learning rate by 5 until it falls below 1e-6."""
        if self.lr_schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + " Setting learning rate to %f" % self.learning_rate)
        return False


class Adam(_Optimizer):
    """Adam (Kingma and Ba, 2014).

    Parameters
    ----------
    params : list of ndarray
    learning_rate_init : float
    beta_1, beta_2 : float
    epsilon : float
    """

    def __init__(
        self, params, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.ms = packed([p.shape for p in params], params[0].dtype)
        self.vs = packed([p.shape for p in params], params[0].dtype)

    _state = ("ms", "vs")

    def _begin_step(self):
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        # A Python float, so that float32 parameters are not upcast.
        self.learning_rate = (
            self.learning_rate_init * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        )

    def _block(self, block, scratch, arg):
        param, summed, m, v = block
        grad, tmp = scratch
        sq_norm = _finish_gradient(param, summed, grad, *arg)
        b1, b2 = self.beta_1, self.beta_2
        m *= b1
        m += np.multiply(grad, 1 - b1, out=tmp)
        v *= b2
        np.multiply(grad, grad, out=tmp)
        v += np.multiply(tmp, 1 - b2, out=tmp)
        np.sqrt(v, out=tmp)
        tmp += self.epsilon
        step = np.multiply(m, self.learning_rate, out=grad)
        step /= tmp
        param -= step
        return sq_norm

    def iteration_ends(self, time_step):
        """Adam keeps its own step-size schedule."""

    def trigger_stopping(self, msg, verbose):
        """Return True: Adam stops when the loss stops improving."""
        if verbose:
            print(msg + " Stopping.")
        return True
