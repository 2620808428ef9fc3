"""The engine of stochastic training: epochs of minibatches, and the stopping rule.

Everything here takes its inputs as arguments and returns its outputs; nothing reads
an estimator. The estimators (``_solvers``) and ``fit_blocks`` build these pieces
from their parameters and keep what they return as fitted attributes:

- :class:`Trainer` runs the epochs of one fit: it owns the packed parameters (a
  ``_packing.Layout`` buffer and its views), the training step and the update,
  and returns each epoch's mean loss;
- :class:`StoppingRule` is scikit-learn's rule for stopping, the one rule used
  for the training loss, the validation score and ``fit_blocks``' score.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils import gen_batches

from skdropout._losses import l2_term
from skdropout._network import apply_max_norm
from skdropout._packing import Layout
from skdropout._step import TrainingStep
from skdropout._update import Update


class StoppingRule:
    """scikit-learn's rule: count the epochs whose score fails to beat the best
    by ``tol``; the rule is exhausted when the count exceeds ``n_iter_no_change``.

    Scores are higher-is-better; pass a loss negated. A NaN score counts as no
    improvement.

    Parameters
    ----------
    tol : float
    n_iter_no_change : int or float
    best : float, default=-inf
        The best score so far (from earlier calls).
    count : int, default=0
        The epochs without improvement so far (from earlier calls).
    """

    def __init__(self, tol, n_iter_no_change, best=-np.inf, count=0):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.best = best
        self.count = count

    def observe(self, score):
        """Count ``score`` in; return whether it is a new best."""
        if np.isnan(score) or score < self.best + self.tol:
            self.count += 1
        else:
            self.count = 0
        if score > self.best:
            self.best = score
            return True
        return False

    @property
    def exhausted(self):
        """Whether training should stop (or, with sgd's adaptive schedule, lower
        its learning rate)."""
        return self.count > self.n_iter_no_change


class Trainer:
    """The minibatch epochs of one fit, on packed parameters.

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        The starting parameters; copied into one packed buffer, whose views
        :attr:`coefs` and :attr:`intercepts` are then trained in place.
    optimizer_factory : callable
        ``optimizer_factory(size, dtype)`` makes a new optimizer (or returns the
        one to continue, whose state has ``size`` elements).
    n_rows : int
        The largest minibatch.
    activation, loss : str
    rates, input_rate, noise
        The dropout of the hidden layers and the input, and its kind.
    alpha : float
        The L2 penalty.
    max_norm : float or None
        The bound of each hidden unit's incoming weights, after every step.
    weight_decay : float, default=0.0
        Decoupled weight decay (see ``_update.Update``).
    horizon : int, default=1
        The epochs over which the schedules run: progress is 1 after them.
    lr_schedule : callable or None, default=None
        The learning rate's factor as a function of progress, set on the
        optimizer before every step; None leaves the optimizer's own.
    dropout_schedule : callable or None, default=None
        The drop rates' factor as a function of progress, set before every
        epoch; None keeps ``rates`` and ``input_rate``.
    """

    def __init__(
        self, coefs, intercepts, optimizer_factory, n_rows, activation, loss,
        rates, input_rate, noise, alpha, max_norm, weight_decay=0.0, horizon=1,
        lr_schedule=None, dropout_schedule=None,
    ):  # fmt: skip
        layer_units = [coefs[0].shape[0], *(c.shape[1] for c in coefs)]
        self.layout = Layout(layer_units, coefs[0].dtype)
        self.params = self.layout.pack(coefs, intercepts)
        self.coefs, self.intercepts = self.layout.views(self.params)
        self.optimizer = optimizer_factory(self.layout.size, self.layout.dtype)
        self.step = TrainingStep(
            self.layout, n_rows, activation, loss, rates, input_rate, noise
        )
        self.update = Update(self.layout, self.optimizer, alpha, weight_decay)
        self.alpha = alpha
        self.max_norm = max_norm
        self.rates, self.input_rate = tuple(rates), input_rate
        self.horizon = horizon
        self.lr_schedule, self.dropout_schedule = lr_schedule, dropout_schedule
        if lr_schedule is None:
            # A continued optimizer may carry a factor from a scheduled fit.
            self.optimizer.lr_factor = 1.0

    def epoch(self, X, Y, sample_weight, batch_size, order, rng, done=0):
        """One pass over the rows in ``order`` (an index array, or None for the
        rows as they are), a step per minibatch of ``batch_size`` rows, after
        ``done`` epochs of the schedules' ``horizon``.

        Returns
        -------
        loss : float
            The mean over the rows of the minibatches' losses, each with its
            L2 term on the weights it saw.
        """
        n_samples = X.shape[0]
        if self.dropout_schedule is not None:
            factor = self.dropout_schedule(done / self.horizon)
            self.step.set_rates([r * factor for r in self.rates],
                                self.input_rate * factor)  # fmt: skip
        n_batches = -(-n_samples // batch_size)
        total = 0.0
        for i, batch in enumerate(gen_batches(n_samples, batch_size)):
            if self.lr_schedule is not None:
                progress = (done + i / n_batches) / self.horizon
                self.optimizer.lr_factor = self.lr_schedule(progress)
            idx = batch if order is None else order[batch]
            sw_batch = None if sample_weight is None else sample_weight[idx]
            if sw_batch is not None and not sw_batch.sum() > 0:
                continue  # all weights zero: nothing to learn from
            X_batch, Y_batch = self.step.gather(X, Y, idx)
            loss, sw_sum = self.step(
                X_batch, Y_batch, sw_batch, self.coefs, self.intercepts, rng
            )
            sq_norm = self.update(self.params, self.step.grads, sw_sum)
            loss += l2_term(sq_norm, self.alpha, sw_sum)
            total += loss * X_batch.shape[0]
            if self.max_norm is not None:
                apply_max_norm(self.coefs[:-1], self.max_norm)
        return total / n_samples
