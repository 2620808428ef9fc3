"""The epochs of a cross-validated search, trained in lockstep.

Each candidate's fold models are advanced together, one epoch at a time
(``_solvers.EpochRun``), and the mean over the folds of their held-out figure
(the loss, or a score) is the candidate's curve. The number of epochs is chosen
where that curve is best, and the fold models are brought back to it from a
snapshot kept when it was reached: no fit is run again to reach it, and no
other epoch's weights are kept. A candidate stops ``n_iter_no_change`` epochs
after its best (scikit-learn's rule, on the mean curve). With ``halving``,
successive halving over epochs (scikit-learn's ``HalvingGridSearchCV`` idea,
with epochs as the resource): at each rung the candidates still running are
ranked by their best figure so far, and only the best ``1 / factor`` of them
go on.

Nothing here reads a CV estimator's parameters: the caller makes the fold runs
and says how to stop.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import product

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from skdropout._callbacks import close_fit_task
from skdropout._cv_folds import FoldFit, fold_data, planned_max_iter
from skdropout._cv_scoring import score_member
from skdropout._engine import StoppingRule
from skdropout._solvers import EpochRun


@dataclass(frozen=True)
class Halving:
    """Successive halving over epochs.

    Parameters
    ----------
    min_epochs : int
        The first rung: every candidate runs this many epochs.
    factor : float, default=3
        Rung ``i`` is at ``min_epochs * factor**i`` epochs, and keeps the best
        ``ceil(n / factor)`` of the ``n`` candidates still running.
    """

    min_epochs: int
    factor: float = 3

    def rungs(self, max_epochs):
        """The epochs after which candidates are dropped."""
        rungs, epoch = [], self.min_epochs
        while epoch < max_epochs:
            rungs.append(int(epoch))
            epoch = math.ceil(epoch * self.factor)
        return rungs


@dataclass
class CandidateEpochs:
    """What the lockstep search did with one candidate.

    Attributes
    ----------
    curve : list of float
        The mean over the folds of the held-out figure after each epoch run.
    best_epoch : int or None
        The epoch (from 1) where the curve was best; None if no epoch had a
        finite figure.
    ran : int
        The epochs run.
    stopped : str
        'patience' (n_iter_no_change epochs after the best), 'halving' (dropped
        at a rung), 'diverged' (a fold's training loss), 'max_epochs'.
    fit_time : list of float
        Seconds spent training each fold model.
    """

    curve: list = field(default_factory=list)
    best_epoch: int | None = None
    ran: int = 0
    stopped: str = "max_epochs"
    fit_time: list = field(default_factory=list)


class _Candidate:
    """One candidate's fold runs, their rule and the snapshots of its best."""

    def __init__(self, runs, metric, tol, n_iter_no_change, shares):
        self.runs = runs
        self.metric = metric
        self.shares = np.ones(len(runs)) if shares is None else np.asarray(shares)
        self.rule = StoppingRule(tol, n_iter_no_change)
        self.best = None
        self.result = CandidateEpochs(fit_time=[0.0] * len(runs))

    def figure(self):
        """The mean held-out figure of the last epoch, higher is better, over the
        folds with a share of validation rows (NaN if none has)."""
        kept = [(s, run) for s, run in zip(self.shares, self.runs) if s > 0]
        if not kept:
            return np.nan
        if self.metric == "loss":
            values = [s * run.history.validation_loss[-1] for s, run in kept]
        else:
            values = [s * run.history.validation_score[-1] for s, run in kept]
        mean = float(np.mean(values))
        return -mean if self.metric == "loss" else mean

    def advance(self, until):
        """Train the folds in lockstep until epoch ``until`` or a stop."""
        result = self.result
        while result.ran < until and result.stopped == "max_epochs":
            for k, run in enumerate(self.runs):
                start = time.perf_counter()
                run.run(1)
                result.fit_time[k] += time.perf_counter() - start
            result.ran += 1
            if any(run.history.stopped == "diverged" for run in self.runs):
                result.stopped = "diverged"
                break
            figure = self.figure()
            result.curve.append(-figure if self.metric == "loss" else figure)
            if self.rule.observe(figure):
                self.best = [run.snapshot() for run in self.runs]
                result.best_epoch = result.ran
            if self.rule.exhausted:
                result.stopped = "patience"
        return self

    def rewind(self):
        """Bring every fold run back to the best epoch (if there was one)."""
        if self.best is not None:
            for run, snapshot in zip(self.runs, self.best):
                run.restore(snapshot)
        self.best = None  # the memory of the snapshots is no longer needed


def search_epochs(
    candidates,
    *,
    max_epochs,
    metric="loss",
    tol=0.0,
    n_iter_no_change=np.inf,
    halving=None,
    shares=None,
    n_jobs=None,
    announce=None,
):
    """Train every candidate's fold runs in lockstep and choose their epochs.

    Parameters
    ----------
    candidates : list of list of EpochRun
        Per candidate, its fold runs, each with the fold's held-out part as
        validation data and no stopping rule of its own.
    max_epochs : int
    metric : {'loss', 'score'}, default='loss'
        The held-out figure: the loss (lower is better) or the score.
    tol, n_iter_no_change : float, default=0.0, np.inf
        scikit-learn's rule on the mean held-out figure: a candidate stops
        ``n_iter_no_change`` epochs after its best.
    halving : Halving or None, default=None
        Successive halving over epochs; None runs every candidate until its
        rule stops it.
    shares : array-like of shape (n_folds,) or None, default=None
        Each fold's weight in the mean (where a fold's held-out figure covers
        only part of its held-out rows); None: 1 each.
    n_jobs : int or None, default=None
        Candidates trained in parallel threads between rungs (each thread held
        to one BLAS thread); the result does not depend on it.
    announce : callable or None, default=None
        Called as ``announce(index, result)`` when a candidate stops (its rule,
        a rung, or ``max_epochs``), with its :class:`CandidateEpochs`.

    Returns
    -------
    results : list of CandidateEpochs
        Per candidate. Each fold run is left at its candidate's best epoch.
    """
    states = [
        _Candidate(runs, metric, tol, n_iter_no_change, shares) for runs in candidates
    ]
    rungs = [] if halving is None else halving.rungs(max_epochs)
    # advance() trains the states in place: threads, whatever backend is set.
    parallel = Parallel(n_jobs=n_jobs, require="sharedmem")
    limit = 1 if n_jobs not in (None, 1) else None

    def advance(i, until):
        states[i].advance(until)
        stopped = states[i].result.stopped != "max_epochs"
        if announce is not None and (stopped or until == max_epochs):
            announce(i, states[i].result)

    for until in [*rungs, max_epochs]:
        running = [i for i, s in enumerate(states) if s.result.stopped == "max_epochs"]
        with threadpool_limits(limit):
            parallel(delayed(advance)(i, until) for i in running)
        if until == max_epochs:
            break
        still = [i for i in running if states[i].result.stopped == "max_epochs"]
        keep = math.ceil(len(still) / halving.factor)
        # The best figure so far; ties keep the earlier candidate.
        for i in sorted(still, key=lambda i: -states[i].rule.best)[keep:]:
            states[i].result.stopped = "halving"
            if announce is not None:
                announce(i, states[i].result)
    for s in states:
        s.rewind()
    return [s.result for s in states]


def lockstep_fold_fits(
    member,
    candidates,
    splits,
    *,
    data,
    validation,
    shares,
    scorer,
    stopping,
    halving,
    n_jobs,
    contexts,
    caller,
):
    """The CV estimators' search of epochs by :func:`search_epochs`: every
    candidate fitted on every fold as ``member`` (a plain estimator without a
    stopping rule of its own) with the fold's ``validation`` rows as
    validation data, its epochs chosen on the folds' mean curve, each fold
    model rewound to them and scored on the fold's held-out part.

    Parameters
    ----------
    member : BaseDropoutMLP
        Cloned for each fit, with the candidate's parameters.
    candidates : list of dict
    splits : list of (train, test) index arrays
    data : tuple
        ``(X, y, sample_weight)``.
    validation : list of index arrays or None
        Per fold, the rows validated on (None: none, the fold does not vote).
    shares : list of float
        Per fold, its weight in the mean curve.
    scorer : callable
    stopping : tuple
        ``(metric, tol, n_iter_no_change, max_epochs)``.
    halving : Halving or None
    n_jobs : int or None
    contexts : list
        The callback task of each (candidate, fold), candidate by candidate.
    caller : estimator
        The CV estimator, which the callback tasks belong to.

    Returns
    -------
    candidates : list of dict
        Each with its chosen ``max_iter``.
    fits : list of FoldFit
        Candidate by candidate, fold by fold.
    epochs : list of int
        The epochs each fit ran.
    """
    metric, tol, n_iter_no_change, max_epochs = stopping
    if not any(share > 0 for share in shares):
        halving, n_iter_no_change = None, np.inf  # no fold can choose
    n_splits = len(splits)
    # Each fold model gets the callbacks of its (candidate, fold) task, as a
    # fit does in fit_member, for the whole of its life: opened here, closed
    # after the search.
    with ExitStack() as propagated:
        opened = _open_fold_runs(
            member,
            candidates,
            splits,
            data=data,
            validation=validation,
            contexts=contexts,
            caller=caller,
            propagated=propagated,
        )
        runs = [
            [run for _, _, run in opened[c * n_splits : (c + 1) * n_splits]]
            for c in range(len(candidates))
        ]
        results = search_epochs(
            runs,
            max_epochs=max_epochs,
            metric=metric,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            halving=halving,
            shares=shares,
            n_jobs=n_jobs,
            announce=_announcer(caller, candidates, n_splits),
        )
        return _close_fold_runs(
            opened,
            results,
            candidates,
            splits,
            data=data,
            scorer=scorer,
            contexts=contexts,
            caller=caller,
        )


def _open_fold_runs(
    member, candidates, splits, *, data, validation, contexts, caller, propagated
):
    """Begin the fit of every (candidate, fold), candidate by candidate: a
    clone of ``member`` with the candidate's parameters, its callbacks
    propagated for as long as ``propagated`` (an ExitStack) is open, and its
    :class:`EpochRun`. Returns (estimator, fitting, run) triples."""
    X, y, sample_weight = data
    # One copy of each fold's rows, which its candidates' fits share
    # (they only read it), not one per fit: the fits are all open at once.
    folds = []
    for (train, _), rows in zip(splits, validation):
        X_fit, y_fit, arguments = fold_data(
            X, y, sample_weight, rows=train, validation=rows
        )
        weights = arguments.pop("sample_weight", None)
        folds.append((X_fit, y_fit, weights, arguments))
    opened = []
    pairs = product(range(len(candidates)), range(len(splits)))
    for (c, k), context in zip(pairs, contexts):
        X_fit, y_fit, weights, arguments = folds[k]
        estimator = clone(member).set_params(**candidates[c])
        # As in fit_member: the task begins within the propagation.
        propagated.enter_context(context.propagate_callback_context(estimator))
        context.call_on_fit_task_begin(estimator=caller)
        fitting = estimator._begin_fit(
            X_fit, y_fit, weights, incremental=False, **arguments
        )
        opened.append((estimator, fitting, EpochRun(estimator, fitting)))
    return opened


def _announcer(caller, candidates, n_splits):
    """With ``caller.verbose``, what prints a line as a candidate stops."""
    if not caller.verbose:
        return None
    name = type(caller).__name__

    def announce(c, result):
        print(
            f"[{name}] candidate {c + 1}/{len(candidates)} {candidates[c]}, "
            f"{n_splits} folds in lockstep: {result.ran} epochs, best "
            f"{result.best_epoch} (stopped: {result.stopped})",
            flush=True,
        )

    return announce


def _close_fold_runs(
    opened, results, candidates, splits, *, data, scorer, contexts, caller
):
    """End every fit at its candidate's chosen epoch (where
    :func:`search_epochs` left it), close its callback task and score it on
    its fold's held-out part. Returns the candidates with their chosen
    ``max_iter``, the fits and the epochs each ran."""
    X, y, sample_weight = data
    n_splits = len(splits)
    chosen, fits, epochs = [], [], []
    for i, ((estimator, fitting, run), context) in enumerate(zip(opened, contexts)):
        c, k = divmod(i, n_splits)
        result = results[c]
        best = result.best_epoch or result.ran
        if k == 0:
            chosen.append({**candidates[c], "max_iter": best})
        estimator._assign_history(run.history)
        estimator.set_params(max_iter=best)
        with planned_max_iter():  # the epochs chosen are the plan
            estimator._end_fit(fitting)
        close_fit_task(estimator)
        scored = score_member(
            estimator,
            X,
            y,
            sample_weight=sample_weight,
            test=splits[k][1],
            scorer=scorer,
        )
        fits.append(
            FoldFit(
                estimator,
                scored.score,
                scored.predictions,
                result.fit_time[k],
                scored.seconds,
            )
        )
        epochs.append(result.ran)
        context.call_on_fit_task_end(estimator=caller)
    return chosen, fits, epochs
