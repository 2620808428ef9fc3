"""The fits of the CV estimators' search, one candidate on one fold: the fit,
its score and held-out predictions, the checks of the folds and of the
candidate weight decays, and the choice of the number of epochs on the folds'
validation curves."""

# SPDX-License-Identifier: BSD-3-Clause

import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import product
from numbers import Real

import numpy as np
from joblib import delayed
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skdropout._cv_scoring import UNSCORED, score_member
from skdropout._solvers import interrupts_propagate


@dataclass(frozen=True)
class FoldFit:
    """One fit of a candidate: the model, its score and out-of-fold predictions
    on its fold's held-out part (None for a fit that waits for its epochs to be
    chosen, and for a refit on all the rows), its fit time in seconds, and the
    seconds that scoring it and its out-of-fold predictions took (0 where the
    score was read from its validation curve)."""

    model: object
    score: float | None
    predictions: np.ndarray | None
    fit_time: float
    score_time: float = 0.0


def fold_data(X, y, sample_weight, *, rows, validation=None):
    """The ``rows`` of a fold fit (None: all of them, a refit) and its keyword
    arguments: their sample weights and, with ``validation`` rows, the
    validation set (``X_val``, ``y_val``, ``sample_weight_val``)."""
    rows = slice(None) if rows is None else rows
    arguments = {} if sample_weight is None else {"sample_weight": sample_weight[rows]}
    if validation is not None:
        arguments.update(X_val=X[validation], y_val=y[validation])
        if sample_weight is not None:
            arguments["sample_weight_val"] = sample_weight[validation]
    return X[rows], y[rows], arguments


def fit_member(
    estimator,
    X,
    y,
    *,
    sample_weight,
    rows,
    limit_threads,
    context,
    caller,
    held_out=None,
    validation=None,
    scorer=None,
    announce=None,
):
    """Fit one candidate on the ``rows`` of one fold (None: all the rows, a
    refit) and score it on its ``held_out`` rows (None: no score). With
    ``validation`` rows, they are the fit's validation set (its loss and score
    are recorded after every epoch). ``announce``, if given, is printed with
    the score, the epochs and the time."""
    start = time.perf_counter()
    X_fit, y_fit, arguments = fold_data(
        X, y, sample_weight, rows=rows, validation=validation
    )
    with context.propagate_callback_context(estimator), planned_max_iter():
        # The task is the meta-estimator's, as in GridSearchCV.
        context.call_on_fit_task_begin(estimator=caller)
        with threadpool_limits(1 if limit_threads else None), interrupts_propagate():
            estimator.fit(X_fit, y_fit, **arguments)
        context.call_on_fit_task_end(estimator=caller)
    fit_time = time.perf_counter() - start
    scored = UNSCORED
    if held_out is not None:
        scored = score_member(
            estimator, X, y, sample_weight=sample_weight, test=held_out, scorer=scorer
        )
    if announce:
        shown = "" if scored.score is None else f"score={scored.score:.6g}, "
        print(f"{announce}: {shown}{estimator.n_iter_} epochs, {fit_time:.2f}s")
    return FoldFit(
        estimator, scored.score, scored.predictions, fit_time, scored.seconds
    )


@contextmanager
def planned_max_iter():
    """Silence the warning that a fit reached max_iter: the recipe runs every
    epoch of its schedule, and a chosen number of epochs is run to the end;
    reaching max_iter is the plan, not a failure to converge."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "Stochastic Optimizer: Maximum iter", ConvergenceWarning
        )
        yield


def best_epoch(curves, metric, shares):
    """The number of epochs whose mean over the folds of the validation
    ``curves`` (one per fold, as long as the shortest) is best: lowest for the
    'loss', highest for the 'score'; NaN (a diverged epoch) is never best. A
    fold's curve counts with its ``share`` of its held-out part's weight (less
    than 1 where the fold's validation set leaves out rows of classes its
    training part lacks, whose loss and score do not change with the epochs)."""
    n = min(len(curve) for curve in curves)
    weighted = [
        share * np.asarray(c[:n], dtype=float) for share, c in zip(shares, curves)
    ]
    mean = np.mean(weighted, axis=0)
    if metric == "loss":
        mean = -mean
    return nan_argmax(mean) + 1


def nan_argmax(values):
    """The index of the first highest value; NaN counts as lowest."""
    values = np.asarray(values, dtype=float)
    return int(np.argmax(np.where(np.isnan(values), -np.inf, values)))


def check_splits(splits, n_samples, sample_weight):
    """The splits of ``cv`` as (train, test) arrays of row indices, checked:
    at least one, indices in range, and some weight in every part."""
    if not splits:
        raise ValueError(  # GridSearchCV's words, then the likely cause
            "No fits were performed. Was the CV iterator empty? cv gave no "
            "splits; a generator of splits is used up by the first fit: pass a "
            "list of (train, test) pairs or a splitter such as KFold."
        )
    splits = [_check_split(split, n_samples, k) for k, split in enumerate(splits)]
    for k, parts in enumerate(splits if sample_weight is not None else []):
        for name, rows in zip(("training", "held-out"), parts):
            if not sample_weight[rows].sum() > 0:
                raise ValueError(
                    f"The sample weights of the {name} part of split {k} of cv "
                    "are all zero: a fold needs some weight to fit and to score "
                    "the candidates. Choose folds in which every part has rows "
                    "of positive weight."
                )
    return splits


def _check_split(split, n_samples, k):
    """Split ``k`` of ``cv`` as two arrays of row indices, or a clear error."""
    try:
        parts = [np.asarray(part) for part in split]
    except TypeError:
        parts = []
    if len(parts) != 2:
        raise ValueError(
            "cv must give (train, test) pairs of index arrays; split "
            f"{k} is {split!r:.200}."
        )
    for i, (name, rows) in enumerate(zip(("training", "held-out"), parts)):
        if rows.dtype == bool and rows.shape == (n_samples,):  # a mask
            rows = parts[i] = np.flatnonzero(rows)
        if rows.ndim != 1 or rows.size == 0 or rows.dtype.kind not in "iu":
            raise ValueError(
                f"The {name} part of split {k} of cv must be a non-empty 1-D "
                f"array of row indices; got {rows!r}."
            )
        outside = rows[(rows < 0) | (rows >= n_samples)]
        if outside.size:
            raise ValueError(
                f"The {name} part of split {k} of cv has indices out of range "
                f"for {n_samples} samples: {outside[:5].tolist()}."
            )
    return tuple(parts)


def check_penalties(values, name):
    """Candidate penalties (``weight_decays``, ``alphas``) as floats, or an
    error naming the parameter and the list."""
    for value in values:
        if isinstance(value, bool) or not isinstance(value, Real):
            raise TypeError(
                f"{name} must hold non-negative finite numbers; got {values!r}."
            )
        if not 0 <= value < np.inf:  # also catches NaN
            raise ValueError(
                f"{name} must hold non-negative finite numbers; got {values!r}."
            )
    return [float(v) for v in values]


def greedy_weights(oof, *, best_index, loss, rounds=25):
    """Caruana et al.'s ensemble selection with replacement: each candidate's
    share of the average of out-of-fold predictions ``oof`` (one array per
    candidate), built from the best candidate by adding, for ``rounds`` - 1
    rounds, the one whose addition gives the lowest ``loss`` of the average."""
    counts = np.zeros(len(oof))
    counts[best_index] = 1
    total = oof[best_index].copy()
    for n in range(1, rounds):
        losses = [loss((total + member) / (n + 1)) for member in oof]
        best = int(np.nanargmin(losses))
        counts[best] += 1
        total += oof[best]
    return counts / counts.sum()


def search_results(candidates, *, scores, times, score_times, epochs):
    """GridSearchCV's ``cv_results_`` from the candidates and the scores, fit
    and score times and epochs of their fits (arrays of shape (n_candidates,
    n_splits)), with the epochs of every fit; its warning if a mean score is
    not finite."""
    n_candidates, n_splits = scores.shape
    mean = scores.mean(axis=1)
    if not np.isfinite(mean).all():  # GridSearchCV's warning
        warnings.warn(
            f"One or more of the test scores are non-finite: {mean}",
            category=UserWarning,
        )
    # Plain arrays where GridSearchCV has masked ones: a skops file then
    # needs no numpy.ma type trusted.
    dropouts = np.empty(n_candidates, dtype=object)
    dropouts[:] = [c["dropout"] for c in candidates]
    if all(isinstance(d, (int, float)) for d in dropouts):
        dropouts = dropouts.astype(float)
    results = {
        "params": candidates,
        "param_dropout": dropouts,
        "param_weight_decay": np.array([c["weight_decay"] for c in candidates]),
    }
    if "alpha" in candidates[0]:  # searched
        results["param_alpha"] = np.array([c["alpha"] for c in candidates])
    if "max_iter" in candidates[0]:  # the epochs chosen for each candidate
        results["param_max_iter"] = np.array([c["max_iter"] for c in candidates])
    for k in range(n_splits):
        results[f"split{k}_test_score"] = scores[:, k]
    results["mean_test_score"] = mean
    results["std_test_score"] = scores.std(axis=1)
    ranks = np.empty(n_candidates, dtype=np.int32)
    ranks[:] = dense_ranks(mean)
    results["rank_test_score"] = ranks
    results["mean_fit_time"] = times.mean(axis=1)
    results["std_fit_time"] = times.std(axis=1)
    results["mean_score_time"] = score_times.mean(axis=1)
    results["std_score_time"] = score_times.std(axis=1)
    for k in range(n_splits):
        results[f"split{k}_n_iter"] = epochs[:, k]
    results["mean_n_iter"] = epochs.mean(axis=1)
    return results


def dense_ranks(values):
    """scikit-learn's test-score ranks: 1 for the best, ties share the lowest
    rank (``scipy.stats.rankdata(-values, method='min')``), NaN last."""
    from scipy.stats import rankdata

    filled = np.where(np.isnan(values), -np.inf, values)
    return rankdata(-filled, method="min").astype(np.int32)


def refit_to_chosen_epochs(
    candidates, splits, results, *, member, shares, scorer, run, caller
):
    """For the CV estimator ``caller``: choose each candidate's number of
    epochs on the mean over the folds of its fold models' validation curves
    (the held-out parts' loss or score after every epoch), and bring the fold
    models that are needed (the best candidate's; every candidate's for
    another scoring, the greedy ensemble, or folds whose training part lacks
    a class) to it. Returns the candidates, each with its ``max_iter``, and
    the fits' results at those epochs: a needed fold model is refitted (as
    ``member``, a plain estimator) for that many epochs of the same
    schedules, which gives the weights its search fit had then."""
    n_splits = len(splits)
    fits = dict(zip(product(range(len(candidates)), range(n_splits)), results))
    metric = caller.early_stopping_metric

    def curve(c, k):
        model = fits[c, k].model
        if metric == "loss":
            return model.validation_loss_curve_
        return model.validation_scores_

    # A fold without validation rows has a constant curve: it cannot
    # choose; if none can, every candidate runs max_iter epochs.
    kept = [k for k in range(n_splits) if shares[k] > 0]
    epochs = [
        best_epoch([curve(c, k) for k in kept], metric, [shares[k] for k in kept])
        if kept
        else member.max_iter
        for c in range(len(candidates))
    ]
    candidates = [{**cand, "max_iter": e} for cand, e in zip(candidates, epochs)]
    scores = {}
    if caller.scoring in (None, "loss") and metric == "loss" and min(shares) == 1:
        # The curves hold the default score: minus the held-out loss.
        scores = {(c, k): -curve(c, k)[epochs[c] - 1] for c, k in fits}
    needed = range(len(candidates))
    if scores and caller.ensemble == "best":
        means = [
            np.mean([scores[c, k] for k in range(n_splits)])
            for c in range(len(candidates))
        ]
        needed = [nan_argmax(means)]
    refits = [(c, k) for c in needed for k in range(n_splits)]
    context = run.callbacks.subcontext(
        task_name="epochs-refit",
        max_subtasks=len(refits),
        sequential_subtasks=False,
    ).call_on_fit_task_begin(estimator=caller)
    name = type(caller).__name__
    refitted = run.parallel(
        delayed(run.fit)(
            clone(member).set_params(**candidates[c]),
            rows=splits[k][0],
            held_out=splits[k][1],
            scorer=scorer,
            context=context.subcontext(task_name="candidate-split-fit", task_id=i),
            announce=caller.verbose
            and f"[{name}] candidate {c + 1}/{len(candidates)} refitted "
            f"to its {epochs[c]} epochs, fold {k + 1}/{n_splits}",
        )
        for i, (c, k) in enumerate(refits)
    )
    context.call_on_fit_task_end(estimator=caller)
    results = {
        pair: FoldFit(fit.model, scores.get(pair), None, fit.fit_time, fit.score_time)
        for pair, fit in fits.items()
    }
    for pair, fit in zip(refits, refitted):
        fit_time = fits[pair].fit_time + fit.fit_time
        score = scores.get(pair, fit.score)
        results[pair] = replace(fit, score=score, fit_time=fit_time)
    return candidates, list(results.values())
