"""Stochastic optimizers: update a list of parameter arrays in place from a list of
gradients. They know nothing of networks; their state is a few arrays shaped like
the parameters, so it pickles with the estimator and a resumed fit continues exactly.

The update rules and learning-rate schedules are scikit-learn's (same arithmetic in
the same order), so a zero-dropout fit reproduces MLPClassifier's weights. The
updates run in place, in scratch buffers made once and left out of pickles.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np


class _Scratch:
    """Scratch buffers shaped like the parameters, made on first use and not
    pickled (they hold nothing between steps)."""

    def _scratch(self, params, n):
        buffers = self.__dict__.get("_buffers")
        if (
            buffers is None
            or len(buffers) != n
            or buffers[0][0].dtype != params[0].dtype
        ):
            buffers = [[np.empty_like(p) for p in params] for _ in range(n)]
            self._buffers = buffers
        return buffers

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_buffers", None)
        return state


class SGD(_Scratch):
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
        self.velocities = [np.zeros_like(p) for p in params]

    def update(self, params, grads):
        """Apply one step to ``params`` in place."""
        lr, momentum = self.learning_rate, self.momentum
        scaled_grads, steps = self._scratch(params, 2)
        for param, grad, velocity, scaled, step in zip(
            params, grads, self.velocities, scaled_grads, steps
        ):
            np.multiply(grad, lr, out=scaled)
            velocity *= momentum
            velocity -= scaled
            if self.nesterov:
                np.multiply(velocity, momentum, out=step)
                step -= scaled
                param += step
            else:
                param += velocity

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


class Adam(_Scratch):
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
        self.ms = [np.zeros_like(p) for p in params]
        self.vs = [np.zeros_like(p) for p in params]

    def update(self, params, grads):
        """Apply one step to ``params`` in place."""
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        # A Python float, so that float32 parameters are not upcast.
        self.learning_rate = (
            self.learning_rate_init * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        )
        tmps, steps = self._scratch(params, 2)
        for param, grad, m, v, tmp, step in zip(
            params, grads, self.ms, self.vs, tmps, steps
        ):
            m *= b1
            m += np.multiply(grad, 1 - b1, out=tmp)
            v *= b2
            np.multiply(grad, grad, out=tmp)
            v += np.multiply(tmp, 1 - b2, out=tmp)
            np.sqrt(v, out=tmp)
            tmp += self.epsilon
            np.multiply(m, self.learning_rate, out=step)
            step /= tmp
            param -= step

    def iteration_ends(self, time_step):
        """Adam keeps its own step-size schedule."""

    def trigger_stopping(self, msg, verbose):
        """Return True: Adam stops when the loss stops improving."""
        if verbose:
            print(msg + " Stopping.")
        return True
