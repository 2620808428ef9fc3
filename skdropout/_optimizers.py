"""Stochastic optimizers: update rules on flat arrays.

An optimizer knows nothing of networks, losses or gradients' origins: it is given a
stretch of the parameters, the matching stretch of a *finished* gradient (the mean
over the minibatch, decay included: see ``_update``) and the matching stretches of
its own state, and updates the parameters in place. Its state is flat arrays of the
parameters' size and dtype, so it pickles with the estimator and a resumed fit
continues exactly. Its schedule (``start_step``, ``iteration_ends``,
``trigger_stopping``) changes numbers between steps, never inside one.

The update rules and learning-rate schedules are scikit-learn's (same arithmetic in
the same order), so a zero-dropout fit reproduces MLPClassifier's weights.

To add an optimizer: a class with ``state`` (the names of its flat state arrays),
``n_scratch``, ``start_step``, ``apply``, ``decay_rate`` (the rate that a
decoupled weight decay's step uses), ``iteration_ends`` and
``trigger_stopping``, registered in ``OPTIMIZERS``; ``tests/test_optimizers.py``
runs every entry through the checks that do not compare with scikit-learn.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np


class SGD:
    """Stochastic gradient descent with (Nesterov) momentum.

    ``lr_factor`` (1 unless a schedule sets it before a step) multiplies the
    learning rate.

    Parameters
    ----------
    size : int
        Number of parameters.
    dtype : numpy dtype
        The parameters' dtype, which the state takes.
    learning_rate_init : float
    lr_schedule : {'constant', 'invscaling', 'adaptive'}
    momentum : float
    nesterov : bool
    power_t : float
    """

    state = ("velocities",)
    n_scratch = 1
    lr_factor = 1.0

    def __init__(
        self,
        size,
        dtype,
        *,
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
        self.velocities = np.zeros(size, dtype=dtype)

    def start_step(self):
        """Nothing changes from one step to the next within an epoch."""

    def apply(self, param, grad, state, scratch):
        """Update ``param`` in place from the finished ``grad`` (which it may
        overwrite); ``state`` and ``scratch`` are stretches of the same size."""
        (velocity,) = state
        (scaled,) = scratch
        np.multiply(grad, self.learning_rate * self.lr_factor, out=scaled)
        velocity *= self.momentum
        velocity -= scaled
        if self.nesterov:
            step = np.multiply(velocity, self.momentum, out=grad)
            step -= scaled
            param += step
        else:
            param += velocity

    @property
    def decay_rate(self):
        """The rate of a decoupled weight decay's step: the current one (after
        'invscaling' or 'adaptive' changed it, and the schedule's factor)."""
        return self.learning_rate * self.lr_factor

    def iteration_ends(self, time_step):
        """Update the learning rate after an epoch; ``time_step`` counts samples."""
        if self.lr_schedule == "invscaling":
            try:
                decay = (time_step + 1) ** self.power_t
            except OverflowError:  # beyond float64: the rate's limit, 0
                decay = math.inf
            self.learning_rate = float(self.learning_rate_init) / decay

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


class Adam:
    """Adam (Kingma and Ba, 2014).

    ``lr_factor`` (1 unless a schedule sets it before a step) multiplies the
    step size.

    Parameters
    ----------
    size : int
    dtype : numpy dtype
    learning_rate_init : float
    beta_1, beta_2 : float
    epsilon : float
    """

    state = ("ms", "vs")
    n_scratch = 1
    lr_factor = 1.0

    def __init__(
        self,
        size,
        dtype,
        *,
        learning_rate_init=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.ms = np.zeros(size, dtype=dtype)
        self.vs = np.zeros(size, dtype=dtype)

    @property
    def decay_rate(self):
        """The rate of a decoupled weight decay's step: before the bias
        correction, as in AdamW (with the schedule's factor)."""
        return self.learning_rate_init * self.lr_factor

    def start_step(self):
        """Count the step and make its bias-corrected step size."""
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        # A Python float, so that float32 parameters are not upcast.
        self.learning_rate = (
            self.learning_rate_init
            * self.lr_factor
            * math.sqrt(1 - b2**self.t)
            / (1 - b1**self.t)
        )

    def apply(self, param, grad, state, scratch):
        """Update ``param`` in place from the finished ``grad`` (which it may
        overwrite); ``state`` and ``scratch`` are stretches of the same size."""
        m, v = state
        (tmp,) = scratch
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

    def iteration_ends(self, time_step):
        """Adam keeps its own step-size schedule."""

    def trigger_stopping(self, msg, verbose):
        """Return True: Adam stops when the loss stops improving."""
        if verbose:
            print(msg + " Stopping.")
        return True


#: The stochastic solvers, by the name the ``solver`` parameter takes.
OPTIMIZERS = {"sgd": SGD, "adam": Adam}
