"""The engine of stochastic training: the epoch loop, its stopping policy and
what it records.

Everything here takes its inputs as arguments and returns its outputs; nothing reads
an estimator. The estimators (``_solvers``), ``fit_blocks`` and the CV search build
these pieces from their parameters and keep what they return as fitted attributes:

- :func:`run_epochs` is the one epoch loop: it trains epoch after epoch, records
  the training and validation loss and score in a :class:`History`, applies one
  :class:`Stopping` policy and stops when it says so;
- :class:`Stopping` says what the loop watches (the validation score or loss,
  keeping the best epoch's weights; the training loss, or its moving mean; or
  nothing) and when it stops, by :class:`StoppingRule`, scikit-learn's rule;
- :class:`Trainer` runs the minibatches of one epoch: it owns the packed
  parameters (a ``_packing.Layout`` buffer and its views), the training step and
  the update, and returns the epoch's mean loss.
"""

# SPDX-License-Identifier: BSD-3-Clause

import time
from dataclasses import dataclass, field

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
        self,
        coefs,
        intercepts,
        optimizer_factory,
        *,
        n_rows,
        activation,
        loss,
        rates,
        input_rate,
        noise,
        alpha,
        max_norm,
        weight_decay=0.0,
        horizon=1,
        lr_schedule=None,
        dropout_schedule=None,
    ):
        layer_units = [coefs[0].shape[0], *(c.shape[1] for c in coefs)]
        self.layout = Layout(layer_units, coefs[0].dtype)
        self.params = self.layout.pack(coefs, intercepts)
        self.coefs, self.intercepts = self.layout.views(self.params)
        self.optimizer = optimizer_factory(self.layout.size, self.layout.dtype)
        self.step = TrainingStep(
            self.layout,
            n_rows,
            activation,
            loss,
            rates=rates,
            input_rate=input_rate,
            noise=noise,
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

    def epoch(self, X, Y, sample_weight, *, batch_size, order, rng, done=0):
        """One pass over the rows in ``order`` (an index array, or None for the
        rows as they are), a step per minibatch of ``batch_size`` rows, after
        ``done`` epochs of the schedules' ``horizon``.

        Returns
        -------
        loss : float
            The mean over the rows of the minibatches' losses, each with its
            L2 term on the weights it saw (a minibatch whose weights are all
            zero is skipped, and its rows not counted).
        """
        n_samples = X.shape[0]
        if self.dropout_schedule is not None:
            factor = self.dropout_schedule(done / self.horizon)
            rates = [r * factor for r in self.rates]
            self.step.set_rates(rates, self.input_rate * factor)
        n_batches = -(-n_samples // batch_size)
        total, rows = 0.0, 0
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
            rows += X_batch.shape[0]
            if self.max_norm is not None:
                apply_max_norm(self.coefs[:-1], self.max_norm)
        return total / rows if rows else 0.0


@dataclass
class History:
    """What a model's epochs did, carried from call to call (``fit``,
    ``partial_fit``, a warm-started ``fit``, ``fit_blocks``).

    :func:`run_epochs` updates it in place. An estimator builds one from its
    fitted attributes before a call (sharing their lists, so that they grow
    epoch by epoch) and assigns it back to them after the call.

    Attributes
    ----------
    loss : list of float
        The mean training loss of every epoch.
    validation_score, validation_loss : list of float or None
        The validation score and loss after every epoch, NaN for an epoch
        without validation data (or whose training loss diverged); None while
        no epoch had any.
    best_validation_score : float or None
        The best validation score (minus the best validation loss where the
        rule watches the loss); None before any validation.
    best_loss : float or None
        The best training loss the rule watched (when it watches training).
    no_improvement_count : int
        The rule's count of epochs without improvement.
    best_weights : dict or None
        The snapshot of the epoch with the best validation figure, when the rule
        watches the validation data.
    best_epoch : int or None
        That epoch's number, counted from 1 over every call.
    n_iter : int
        The epochs of the fit in progress (0 in a new History): several calls
        of :func:`run_epochs` for one fit add up.
    n_samples_seen : int
        The training rows seen over every epoch.
    stopped : str or None
        Why the last call stopped before its ``max_epochs``: 'converged' (the
        stopping rule), 'callback', 'diverged' (a non-finite training loss);
        None if it ran them all.
    """

    loss: list = field(default_factory=list)
    validation_score: list | None = None
    validation_loss: list | None = None
    best_validation_score: float | None = None
    best_loss: float | None = None
    no_improvement_count: int = 0
    best_weights: dict | None = None
    best_epoch: int | None = None
    n_iter: int = 0
    n_samples_seen: int = 0
    stopped: str | None = None


@dataclass(frozen=True)
class Stopping:
    """The stopping policy of a run of epochs: what it watches, when it stops,
    which weights it keeps.

    Parameters
    ----------
    watch : {'validation', 'training', None}
        'validation': the validation score (or, with ``metric='loss'``, minus the
        validation loss), and the weights of its best epoch are kept
        (scikit-learn's ``early_stopping=True``); 'training': the training loss,
        or its mean over the last ``window`` epochs (scikit-learn's rule without
        early stopping); None: nothing, every epoch runs.
    tol : float, default=0.0
    n_iter_no_change : int or float, default=np.inf
        scikit-learn's rule (:class:`StoppingRule`).
    metric : {'score', 'loss'}, default='score'
        The validation figure watched, and recorded as ``best_validation_score``
        (also when training is watched).
    window : int or None, default=None
        With 'training', how many last epochs' mean loss is watched: a noisy
        loss's running minimum is set by lucky epochs, which later ones rarely
        beat by ``tol`` even while the loss still falls. None: the last epoch's.
    """

    watch: str | None
    tol: float = 0.0
    n_iter_no_change: float = np.inf
    metric: str = "score"
    window: int | None = None

    def rule(self, history):
        """The rule, resuming the best and the count of the earlier calls."""
        if self.watch == "validation":
            best = history.best_validation_score
        elif self.watch == "training" and history.best_loss is not None:
            best = -history.best_loss
        else:
            best = None
        if best is None:
            best = -np.inf
        patience = self.n_iter_no_change if self.watch else np.inf
        return StoppingRule(self.tol, patience, best, history.no_improvement_count)

    def observe(self, rule, history, validated, snapshot):
        """Count the last epoch of ``history`` in; with ``watch='validation'``,
        keep its weights (``snapshot()``) if it is the best so far."""
        if validated:
            if self.metric == "loss":
                score = -history.validation_loss[-1]
            else:
                score = history.validation_score[-1]
            if self.watch == "validation":
                if rule.observe(score):
                    history.best_weights = snapshot()
                    history.best_epoch = len(history.loss)
                history.best_validation_score = rule.best
            elif score > history.best_validation_score:
                history.best_validation_score = score
        if self.watch == "training":
            rule.observe(-self._watched_loss(history.loss))
            history.best_loss = -rule.best
        history.no_improvement_count = rule.count

    def _watched_loss(self, losses):
        if self.window is None:
            return losses[-1]
        return float(np.mean(losses[-self.window :]))

    def message(self):
        """Why the rule is exhausted, in scikit-learn's words."""
        watched = "Validation score" if self.watch == "validation" else "Training loss"
        return "%s did not improve more than tol=%f for %d consecutive epochs." % (
            watched,
            self.tol,
            self.n_iter_no_change,
        )


def run_epochs(
    train_epoch,
    *,
    history,
    stopping,
    max_epochs,
    evaluate=None,
    snapshot=None,
    optimizer=None,
    hooks=None,
    verbose=False,
):
    """Run up to ``max_epochs`` epochs and record them in ``history``.

    Per epoch: train (``train_epoch``), record the loss, evaluate on the
    validation data, count the epoch into the stopping rule, tell ``hooks``,
    and stop where the policy, a hook or a diverged loss says so.

    Parameters
    ----------
    train_epoch : callable
        ``train_epoch(i)`` trains the ``i``-th epoch of this call (from 0) and
        returns ``(loss, n_rows)``, its mean training loss and the rows it saw.
    history : History
        Updated in place (and returned): the epochs of earlier calls, the
        rule's state.
    stopping : Stopping
        The policy.
    max_epochs : int
    evaluate : callable or None, default=None
        ``evaluate()`` returns the validation ``(score, loss)`` of the current
        weights; None when there is no validation data.
    snapshot : callable or None, default=None
        ``snapshot()`` returns the weights and what belongs to them, kept for
        the best validated epoch (needed with ``stopping.watch='validation'``).
    optimizer : optimizer or None, default=None
        Told the rows seen at the end of every epoch (``iteration_ends``), and
        asked whether to stop when the rule is exhausted (``trigger_stopping``:
        sgd's adaptive rate lowers its step instead); None stops then.
    hooks : object or None, default=None
        ``hooks.begin()`` before an epoch; ``hooks.report(history, seconds)``
        once it is recorded; ``hooks.end(history)`` after the rule counted it,
        returning True to stop (the callback API's tasks, verbose lines).
    verbose : bool, default=False
        Passed to ``optimizer.trigger_stopping``.

    Returns
    -------
    history : History
        ``stopped`` says why the run ended early. A diverged training loss
        stops it at once, unrecorded beyond the loss, unless the validation
        data is watched: then the epoch is recorded with NaN validation
        figures, and the best weights are in ``best_weights``.
    """
    if evaluate is not None and history.validation_score is None:
        # One entry per epoch of loss: NaN where there was no validation data.
        history.validation_score = [np.nan] * len(history.loss)
        history.validation_loss = [np.nan] * len(history.loss)
        history.best_validation_score = -np.inf
    rule = stopping.rule(history)
    history.stopped = None
    for i in range(max_epochs):
        if hooks is not None:
            hooks.begin()
        start = time.perf_counter()
        loss, n_rows = train_epoch(i)
        history.n_iter += 1
        history.n_samples_seen += n_rows
        history.loss.append(loss)
        diverged = not np.isfinite(loss)
        if diverged and stopping.watch != "validation":
            history.stopped = "diverged"
            break
        if evaluate is not None:
            score, val_loss = (np.nan, np.nan) if diverged else evaluate()
            history.validation_score.append(score)
            history.validation_loss.append(val_loss)
        elif history.validation_score is not None:
            history.validation_score.append(np.nan)
            history.validation_loss.append(np.nan)
        if hooks is not None:
            hooks.report(history, time.perf_counter() - start)
        stopping.observe(rule, history, evaluate is not None, snapshot)
        if diverged:
            history.stopped = "diverged"
            break
        stop = hooks is not None and hooks.end(history)
        if optimizer is not None:
            optimizer.iteration_ends(history.n_samples_seen)
        if stop:
            history.stopped = "callback"
            break
        if rule.exhausted:
            if optimizer is None or optimizer.trigger_stopping(
                stopping.message(), verbose
            ):
                history.stopped = "converged"
                break
            rule.count = history.no_improvement_count = 0
    return history
