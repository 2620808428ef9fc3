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
from dataclasses import dataclass, field

import numpy as np
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from skdropout._engine import StoppingRule


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
        """The mean held-out figure of the last epoch, higher is better."""
        if self.metric == "loss":
            values = [run.history.validation_loss[-1] for run in self.runs]
        else:
            values = [run.history.validation_score[-1] for run in self.runs]
        mean = float(np.mean(self.shares * np.asarray(values, dtype=float)))
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

    Returns
    -------
    results : list of CandidateEpochs
        Per candidate. Each fold run is left at its candidate's best epoch.
    """
    states = [
        _Candidate(runs, metric, tol, n_iter_no_change, shares) for runs in candidates
    ]
    rungs = [] if halving is None else halving.rungs(max_epochs)
    parallel = Parallel(n_jobs=n_jobs, prefer="threads")
    limit = 1 if n_jobs not in (None, 1) else None
    for until in [*rungs, max_epochs]:
        running = [s for s in states if s.result.stopped == "max_epochs"]
        with threadpool_limits(limit):
            parallel(delayed(s.advance)(until) for s in running)
        if until == max_epochs:
            break
        still = [s for s in running if s.result.stopped == "max_epochs"]
        keep = math.ceil(len(still) / halving.factor)
        # The best figure so far; ties keep the earlier candidate.
        ranked = sorted(still, key=lambda s: -s.rule.best)
        for s in ranked[keep:]:
            s.result.stopped = "halving"
    for s in states:
        s.rewind()
    return [s.result for s in states]
