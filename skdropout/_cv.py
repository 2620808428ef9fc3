"""The search built in: cross-validated dropout MLPs whose fold models are kept
and averaged.

The plain estimators' fit is reused as it is (as ``LogisticRegressionCV`` reuses
``LogisticRegression``'s path): every candidate of the grid of dropout rates and
weight decays is fitted on the training part of every fold and scored on the
fold's held-out part, which it never trained on. With early stopping, the number
of epochs is one more searched value: the held-out parts' validation curves,
averaged over the folds, choose it for each candidate, and the fold models kept
are refitted up to it along the same schedules (``schedule_epochs``), which gives
the weights they had at that epoch without keeping every epoch's copy. The fold
models of the best candidate are kept and their predictions averaged: no refit
on all the data is needed. ``ensemble='greedy'`` builds the average from all
candidates by greedy ensemble selection on the out-of-fold predictions (Caruana
et al., 2004). ``refit=True`` refits each candidate that the average uses on all
the data, for its chosen epochs, and predicts with these networks, with the same
weights (with ``ensemble='best'``, GridSearchCV's refit).
"""

# SPDX-License-Identifier: BSD-3-Clause

import copy
import time
import warnings
from contextlib import contextmanager
from itertools import product
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, _fit_context, clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)
from threadpoolctl import threadpool_limits

from skdropout._callbacks import CallbackSupport, root_context
from skdropout._dropout import check_rates

#: The parameters the CV estimators add to those of the plain ones.
CV_PARAMETERS = ("dropouts", "weight_decays", "cv", "scoring", "refit",
                 "ensemble", "n_jobs")  # fmt: skip

#: Ensemble selection: rounds of adding one member (with replacement).
_GREEDY_ROUNDS = 25


def _fit_member(
    estimator, X, y, sample_weight, train, test, scorer, limit_threads, context,
    announce, caller, validate=False,
):  # fmt: skip
    """Fit one candidate on one fold; return the model, its held-out score, its
    out-of-fold predictions and its fit time. ``announce``, if not None, is
    printed with the score, the epochs and the time. With ``validate`` the
    held-out part is the fit's validation set (its loss and score are recorded
    after every epoch), and the score and predictions are None: they wait for
    the number of epochs to be chosen. ``train=None`` (and ``test=None``) is a
    refit on all the rows: the score and predictions are None."""
    start = time.perf_counter()
    rows = slice(None) if train is None else train  # None: a refit on all rows
    weights = {}
    if sample_weight is not None:
        weights = {"sample_weight": sample_weight[rows]}
    if validate:
        weights.update(X_val=X[test], y_val=y[test])
        if sample_weight is not None:
            weights["sample_weight_val"] = sample_weight[test]
    with context.propagate_callback_context(estimator), _planned_max_iter():
        # The task is the meta-estimator's, as in GridSearchCV.
        context.call_on_fit_task_begin(estimator=caller)
        with threadpool_limits(1 if limit_threads else None):
            estimator.fit(X[rows], y[rows], **weights)
        context.call_on_fit_task_end(estimator=caller)
    fit_time = time.perf_counter() - start
    if validate or train is None:
        if announce is not None:
            print(f"{announce}: {estimator.n_iter_} epochs, {fit_time:.2f}s")
        return estimator, None, None, fit_time
    score, predictions = _score_member(estimator, X, y, sample_weight, test, scorer)
    if announce is not None:
        print(f"{announce}: score={score:.6g}, {estimator.n_iter_} epochs, "
              f"{fit_time:.2f}s")  # fmt: skip
    return estimator, score, predictions, fit_time


@contextmanager
def _planned_max_iter():
    """Silence the warning that a fit reached max_iter: the recipe runs every
    epoch of its schedule, and a chosen number of epochs is run to the end;
    reaching max_iter is the plan, not a failure to converge."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Stochastic Optimizer: Maximum iter",
                                ConvergenceWarning)  # fmt: skip
        yield


def _score_member(estimator, X, y, sample_weight, test, scorer):
    """A fold model's score and outputs on its held-out part."""
    X_test = X[test]
    if sample_weight is None:
        score = scorer(estimator, X_test, y[test])
    else:
        score = scorer(estimator, X_test, y[test], sample_weight=sample_weight[test])
    return score, estimator._ensemble_output(X_test)


def _best_epoch(curves, metric):
    """The number of epochs whose mean over the folds of the validation
    ``curves`` (one per fold, as long as the shortest) is best: lowest for the
    'loss', highest for the 'score'; NaN (a diverged epoch) is never best."""
    n = min(len(curve) for curve in curves)
    mean = np.mean([np.asarray(curve[:n], dtype=float) for curve in curves], axis=0)
    if metric == "loss":
        mean = -mean
    return _nan_argmax(mean) + 1


def _nan_argmax(values):
    """The index of the first highest value; NaN counts as lowest."""
    values = np.asarray(values, dtype=float)
    return int(np.argmax(np.where(np.isnan(values), -np.inf, values)))


class BaseDropoutMLPCV(CallbackSupport, BaseEstimator):
    """Shared machinery of the CV estimators: the search over (dropout,
    weight_decay), the kept fold models and the averaged predictions. The
    subclasses name the plain estimator (``_plain``) and how outputs average."""

    _cv_constraints = {
        "dropouts": ["array-like"],
        "weight_decays": ["array-like"],
        "cv": ["cv_object"],
        "scoring": [StrOptions({"loss"}), callable, str, None],
        "refit": ["boolean"],
        "ensemble": [StrOptions({"best", "greedy"})],
        "n_jobs": [Integral, None],
    }

    # -- the search ---------------------------------------------------------------

    def _plain_params(self):
        """The members' parameters: every one of the plain estimator's but the
        two the candidates set; members print their epochs only with
        ``verbose > 1``."""
        names = set(self._plain._get_param_names()) - {"dropout", "weight_decay"}
        params = {name: getattr(self, name) for name in names}
        params["verbose"] = int(self.verbose) > 1
        return params

    def _chooses_epochs(self):
        """Whether the number of epochs is chosen like the candidates, on the
        held-out folds (with early stopping; L-BFGS has no epochs)."""
        return bool(self.early_stopping) and self.solver != "lbfgs"

    def _member_params(self):
        """The parameters of the kept fold models (and of a refit): the plain
        estimator's, but when the number of epochs is chosen on the held-out
        folds, they train for the chosen number (a candidate's ``max_iter``)
        without a validation split or a stopping rule of their own, and
        ``schedule_epochs`` keeps the schedules' length."""
        params = self._plain_params()
        if self._chooses_epochs():
            params["early_stopping"] = False
            params["n_iter_no_change"] = np.inf
            params["schedule_epochs"] = self.schedule_epochs or self.max_iter
        return params

    def _search_params(self):
        """The parameters of the search's fits. When the number of epochs is
        chosen, each fits with its fold's held-out part as validation set and
        stops ``n_iter_no_change`` epochs after that part's best loss (or
        score); its curve then ends there."""
        params = self._member_params()
        if self._chooses_epochs():
            params["early_stopping"] = True
            params["n_iter_no_change"] = self.n_iter_no_change
        return params

    def _candidates(self, n_hidden):
        dropouts = list(self.dropouts)
        weight_decays = [float(w) for w in self.weight_decays]
        if not dropouts or not weight_decays:
            raise ValueError(
                "dropouts and weight_decays need at least one value each; got "
                f"dropouts={self.dropouts!r}, weight_decays={self.weight_decays!r}."
            )
        for dropout in dropouts:
            check_rates(dropout, n_hidden, "dropouts")
        for weight_decay in weight_decays:
            if not weight_decay >= 0:
                raise ValueError(
                    "weight_decays must hold non-negative numbers; got "
                    f"{self.weight_decays!r}."
                )
        return [
            {"dropout": d, "weight_decay": w}
            for d, w in product(dropouts, weight_decays)
        ]

    def _scorer(self):
        if self.scoring in (None, "loss"):
            return _LossScorer()
        return check_scoring(self._plain(), scoring=self.scoring)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit every candidate on every fold, keep the fold models and choose.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights: each fold model is fitted with those of its
            training part and scored with those of its held-out part.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            y_numeric=not is_classifier(self),
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, ensure_non_negative=True
            )
        base = self._plain(**self._search_params())
        member = self._plain(**self._member_params())
        n_hidden = len(base._hidden_layer_sizes())
        candidates = self._candidates(n_hidden)
        choose_epochs = self._chooses_epochs()
        cv = check_cv(self.cv, y, classifier=is_classifier(self))
        if isinstance(self.cv, Integral):
            # Shuffled (scikit-learn's int cv is not): the fold models are the
            # ensemble, and on data sorted by time or group, contiguous folds
            # would train each on a different part of the population.
            cv.shuffle = True
            cv.random_state = copy.deepcopy(self.random_state)
        splits = list(cv.split(X, y))
        scorer = self._scorer()
        pairs = list(product(range(len(candidates)), range(len(splits))))
        # As GridSearchCV: a search task whose fits are its subtasks (made
        # here, not in the parallel loop), then the refit.
        callbacks = root_context(self, 1 + choose_epochs + bool(self.refit))
        callbacks.call_on_fit_task_begin(estimator=self, X=X, y=y)
        search = callbacks.subcontext(
            task_name="search", max_subtasks=len(pairs), sequential_subtasks=False
        ).call_on_fit_task_begin(estimator=self)
        contexts = [
            search.subcontext(task_name="candidate-split-fit", task_id=i)
            for i in range(len(pairs))
        ]
        parallel = Parallel(n_jobs=self.n_jobs)
        limit_threads = self.n_jobs not in (None, 1)
        if self.verbose:
            print(
                f"[{type(self).__name__}] {len(candidates)} candidates x "
                f"{len(splits)} folds = {len(pairs)} fits"
            )
        name = type(self).__name__
        results = parallel(
            delayed(_fit_member)(
                clone(base).set_params(**candidates[c]), X, y, sample_weight,
                *splits[k], scorer, limit_threads, context,
                f"[{name}] candidate {c + 1}/{len(candidates)} {candidates[c]}, "
                f"fold {k + 1}/{len(splits)}" if self.verbose else None,
                self, choose_epochs,
            )
            for (c, k), context in zip(pairs, contexts)
        )  # fmt: skip
        search.call_on_fit_task_end(estimator=self)
        search_epochs = [result[0].n_iter_ for result in results]
        if choose_epochs:
            candidates, results = self._choose_epochs(
                candidates, splits, pairs, results, member, X, y, sample_weight,
                scorer, callbacks, parallel, limit_threads,
            )  # fmt: skip
        self._record(
            candidates, splits, pairs, results, y, sample_weight, search_epochs
        )

        if self.refit:
            self._refit(member, X, y, sample_weight, callbacks, parallel, limit_threads)
        callbacks.call_on_fit_task_end(estimator=self, X=X, y=y)
        return self

    def _refit(self, member, X, y, sample_weight, callbacks, parallel, limit_threads):
        """Refit on all the data every candidate that the ensemble uses (the best
        alone with ``ensemble='best'``: GridSearchCV's refit), each for its
        chosen epochs, and make them the members, with the same weights."""
        chosen = np.flatnonzero(self.candidate_weights_)
        params = self.cv_results_["params"]
        context = callbacks.subcontext(
            task_name="refit", max_subtasks=len(chosen), sequential_subtasks=False
        ).call_on_fit_task_begin(estimator=self)
        name = type(self).__name__
        start = time.perf_counter()
        refitted = parallel(
            delayed(_fit_member)(
                clone(member).set_params(**params[c]), X, y, sample_weight,
                None, None, None, limit_threads,
                context.subcontext(task_name="refit-fit", task_id=i),
                f"[{name}] candidate {c + 1}/{len(params)} refitted on all the "
                "data" if self.verbose else None,
                self,
            )
            for i, c in enumerate(chosen)
        )  # fmt: skip
        context.call_on_fit_task_end(estimator=self)
        self.refit_time_ = time.perf_counter() - start
        self.estimators_ = [model for model, *_ in refitted]
        self.ensemble_weights_ = self.candidate_weights_[chosen]
        self.best_estimator_ = self.estimators_[list(chosen).index(self.best_index_)]

    def _choose_epochs(
        self, candidates, splits, pairs, results, member, X, y, sample_weight,
        scorer, callbacks, parallel, limit_threads,
    ):  # fmt: skip
        """Choose each candidate's number of epochs on the mean over the folds of
        its fold models' validation curves (the held-out parts' loss or score
        after every epoch), and bring the fold models that are needed (the
        best candidate's; every candidate's for another scoring or the greedy
        ensemble) to it. Returns the candidates, each with its ``max_iter``,
        and the fits' results at those epochs: a needed fold model is refitted
        (as ``member``, a plain estimator) for that many epochs of the same
        schedules, which gives the weights its search fit had then."""
        n_splits = len(splits)
        models = {pair: result[0] for pair, result in zip(pairs, results)}
        times = {pair: result[3] for pair, result in zip(pairs, results)}
        metric = self.early_stopping_metric

        def curve(c, k):
            model = models[c, k]
            if metric == "loss":
                return model.validation_loss_curve_
            return model.validation_scores_

        epochs = [
            _best_epoch([curve(c, k) for k in range(n_splits)], metric)
            for c in range(len(candidates))
        ]
        candidates = [{**cand, "max_iter": e} for cand, e in zip(candidates, epochs)]
        scores = {}
        if self.scoring in (None, "loss") and metric == "loss":
            # The curves hold the default score: minus the held-out loss.
            scores = {(c, k): -curve(c, k)[epochs[c] - 1] for c, k in pairs}
        needed = range(len(candidates))
        if scores and self.ensemble == "best":
            means = [np.mean([scores[c, k] for k in range(n_splits)])
                     for c in range(len(candidates))]  # fmt: skip
            needed = [_nan_argmax(means)]
        refits = [(c, k) for c in needed for k in range(n_splits)]
        context = callbacks.subcontext(
            task_name="epochs-refit", max_subtasks=len(refits),
            sequential_subtasks=False,
        ).call_on_fit_task_begin(estimator=self)  # fmt: skip
        name = type(self).__name__
        refitted = parallel(
            delayed(_fit_member)(
                clone(member).set_params(**candidates[c]), X, y, sample_weight,
                *splits[k], scorer, limit_threads,
                context.subcontext(task_name="candidate-split-fit", task_id=i),
                f"[{name}] candidate {c + 1}/{len(candidates)} refitted to its "
                f"{epochs[c]} epochs, fold {k + 1}/{n_splits}"
                if self.verbose else None,
                self,
            )
            for i, (c, k) in enumerate(refits)
        )  # fmt: skip
        context.call_on_fit_task_end(estimator=self)
        results = {
            pair: (models[pair], scores.get(pair), None, times[pair]) for pair in pairs
        }
        for pair, (model, score, predictions, fit_time) in zip(refits, refitted):
            results[pair] = (
                model,
                scores.get(pair, score),
                predictions,
                times[pair] + fit_time,
            )
        return candidates, [results[pair] for pair in pairs]

    def _record(
        self, candidates, splits, pairs, results, y, sample_weight, search_epochs
    ):
        """cv_results_, the choice, the members and the out-of-fold
        predictions, from the fits' results."""
        n_candidates, n_splits = len(candidates), len(splits)
        scores = np.empty((n_candidates, n_splits))
        times = np.empty((n_candidates, n_splits))
        epochs = np.empty((n_candidates, n_splits), dtype=int)
        models = [[None] * n_splits for _ in range(n_candidates)]
        self._set_output_space(y)
        oof = None
        for (c, k), (model, score, predictions, fit_time), n_iter in zip(
            pairs, results, search_epochs
        ):
            scores[c, k], times[c, k], epochs[c, k] = score, fit_time, n_iter
            models[c][k] = model
            if predictions is None:  # a candidate no ensemble needs
                continue
            predictions = self._align(model, predictions)
            if oof is None:
                oof = np.zeros((n_candidates, len(y), *predictions.shape[1:]))
            oof[c, splits[k][1]] = predictions
        mean = scores.mean(axis=1)
        # Plain arrays where GridSearchCV has masked ones: a skops file then
        # needs no numpy.ma type trusted.
        dropouts = np.empty(n_candidates, dtype=object)
        dropouts[:] = [c["dropout"] for c in candidates]
        if all(isinstance(d, (int, float)) for d in dropouts):
            dropouts = dropouts.astype(float)
        results_ = {
            "params": candidates,
            "param_dropout": dropouts,
            "param_weight_decay": np.array([c["weight_decay"] for c in candidates]),
        }
        if "max_iter" in candidates[0]:  # the epochs chosen for each candidate
            results_["param_max_iter"] = np.array([c["max_iter"] for c in candidates])
        for k in range(n_splits):
            results_[f"split{k}_test_score"] = scores[:, k]
        results_["mean_test_score"] = mean
        results_["std_test_score"] = scores.std(axis=1)
        ranks = np.empty(n_candidates, dtype=np.int32)
        ranks[:] = _dense_ranks(mean)
        results_["rank_test_score"] = ranks
        results_["mean_fit_time"] = times.mean(axis=1)
        results_["std_fit_time"] = times.std(axis=1)
        for k in range(n_splits):
            results_[f"split{k}_n_iter"] = epochs[:, k]
        results_["mean_n_iter"] = epochs.mean(axis=1)
        self.cv_results_ = results_
        # As LogisticRegressionCV's: the epochs of every fit.
        self.n_iter_ = epochs

        self.best_index_ = _nan_argmax(mean)
        self.best_params_ = dict(candidates[self.best_index_])
        self.best_score_ = float(mean[self.best_index_])
        self.dropout_ = self.best_params_["dropout"]
        self.weight_decay_ = self.best_params_["weight_decay"]
        self.max_iter_ = self.best_params_.get("max_iter", self.max_iter)
        self.n_splits_ = n_splits
        if self.ensemble == "greedy":
            weights = self._greedy_weights(oof, y, sample_weight)
        else:
            weights = np.zeros(n_candidates)
            weights[self.best_index_] = 1.0
        self.candidate_weights_ = weights
        chosen = np.flatnonzero(weights)
        self.estimators_ = [models[c][k] for c in chosen for k in range(n_splits)]
        self.ensemble_weights_ = np.repeat(weights[chosen], n_splits) / n_splits
        self.oof_predictions_ = np.tensordot(weights, oof, axes=1)

    def _greedy_weights(self, oof, y, sample_weight):
        """Caruana et al.'s ensemble selection with replacement: start from the
        best candidate, then repeatedly add the one whose addition gives the
        lowest loss of the averaged out-of-fold predictions."""
        counts = np.zeros(len(oof))
        counts[self.best_index_] = 1
        total = oof[self.best_index_].copy()
        for n in range(1, _GREEDY_ROUNDS):
            losses = [
                self._oof_loss(y, (total + member) / (n + 1), sample_weight)
                for member in oof
            ]
            best = int(np.nanargmin(losses))
            counts[best] += 1
            total += oof[best]
        return counts / counts.sum()

    # -- prediction ---------------------------------------------------------------

    def _averaged_output(self, X):
        check_is_fitted(self)
        total = None
        for weight, member in zip(self.ensemble_weights_, self.estimators_):
            output = weight * self._align(member, member._ensemble_output(X))
            total = output if total is None else total + output
        return total

    def _set_output_space(self, y):
        """Hook: the classifier fixes its classes here."""

    def _align(self, model, output):
        """Hook: the classifier maps a member's columns onto ``classes_``."""
        return output

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # As the plain estimators': alpha input dropout refuses a sparse X.
        alpha_input = self.dropout_noise == "alpha" and self.input_dropout
        tags.input_tags.sparse = not alpha_input
        return tags


def _dense_ranks(values):
    """scikit-learn's test-score ranks: 1 for the best, ties share the lowest
    rank (``scipy.stats.rankdata(-values, method='min')``), NaN last."""
    from scipy.stats import rankdata

    filled = np.where(np.isnan(values), -np.inf, values)
    return rankdata(-filled, method="min").astype(np.int32)


class _LossScorer:
    """The default scoring: minus the estimator's own loss on held-out data (the
    log-loss, the squared error or the Poisson deviance, as its training loss
    without the L2 term)."""

    def __call__(self, estimator, X, y, sample_weight=None):
        return -estimator._held_out_loss(X, y, sample_weight)
