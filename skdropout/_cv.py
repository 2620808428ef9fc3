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
weights (with ``ensemble='best'``, GridSearchCV's refit). With ``halving_factor``
the epochs are searched in lockstep instead (``_search``): each candidate's fold
models train together and are rewound to the chosen epoch, and successive
halving over epochs drops the candidates that fall behind.
"""

# SPDX-License-Identifier: BSD-3-Clause

import copy
import time
import warnings
from dataclasses import dataclass
from functools import partial
from itertools import product
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, _fit_context, clone, is_classifier
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from skdropout._base import check_decay_step
from skdropout._callbacks import CallbackSupport, root_context
from skdropout._cv_folds import (
    check_penalties,
    check_splits,
    fit_member,
    greedy_weights,
    nan_argmax,
    refit_to_chosen_epochs,
    search_results,
)
from skdropout._cv_input import fit_input, predict_input
from skdropout._cv_scoring import FoldScorer, LossScorer
from skdropout._dropout import check_rates
from skdropout._search import Halving, lockstep_fold_fits
from skdropout._transaction import fit_transaction

#: The plain estimators' parameters that the CV estimators do not take: the
#: candidates set the first two, and a member is always a fresh clone, so a
#: warm start could not be honoured (LogisticRegressionCV has none either).
PLAIN_ONLY = frozenset({"dropout", "weight_decay", "warm_start"})

#: ``max_steps="auto"``: a fit on more rows than this runs the optimizer steps
#: of ``max_iter`` epochs of this many rows, no more. The CV estimators'
#: defaults were chosen on data sets of at most 10,000 rows (the benchmark's
#: cap), so above it their cost stops growing with the rows.
AUTO_STEPS_ROWS = 10_000


def search_constraints(plain):
    """A CV estimator's ``_parameter_constraints``: those of its ``plain``
    estimator but ``PLAIN_ONLY``, and those of the search."""
    constraints = plain._parameter_constraints
    kept = {k: v for k, v in constraints.items() if k not in PLAIN_ONLY}
    return {**kept, **BaseDropoutMLPCV._cv_constraints}


@dataclass(frozen=True)
class _Run:
    """What the fits of one call to ``fit`` share: the callback context, the
    joblib pool, and ``fit_member`` with the data bound."""

    callbacks: object
    parallel: Parallel
    fit: partial


class BaseDropoutMLPCV(CallbackSupport, BaseEstimator):
    """Shared machinery of the CV estimators: the search over (dropout,
    weight_decay), the kept fold models and the averaged predictions. The
    subclasses name the plain estimator (``_plain``) and how outputs average."""

    _cv_constraints = {
        "dropouts": ["array-like"],
        "weight_decays": ["array-like"],
        "cv": ["cv_object"],
        "scoring": [StrOptions({"loss", *get_scorer_names()}), callable, None],
        "refit": ["boolean"],
        "ensemble": [StrOptions({"best", "greedy"})],
        "alphas": ["array-like", None],
        "preprocessing": [StrOptions({"auto"}), HasMethods(["fit", "transform"]), None],
        "n_jobs": [Integral, None],
        "halving_factor": [Interval(Real, 1, None, closed="left"), None],
        "halving_min_epochs": [Interval(Integral, 1, None, closed="left")],
        "max_steps": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
            None,
        ],
    }

    # -- the search ---------------------------------------------------------------

    def _plain_params(self):
        """The members' parameters: every one of the plain estimator's but
        ``PLAIN_ONLY``; members print their epochs only with ``verbose > 1``."""
        names = set(self._plain._get_param_names()) - PLAIN_ONLY
        params = {name: getattr(self, name) for name in names}
        params["verbose"] = int(self.verbose) > 1
        return params

    def _chooses_epochs(self):
        """Whether the number of epochs is chosen like the candidates, on the
        held-out folds (with early stopping; L-BFGS has no epochs)."""
        return bool(self.early_stopping) and self.solver != "lbfgs"

    def _plan(self, n_rows):
        """``max_iter`` and ``schedule_epochs`` of a fit on ``n_rows`` rows:
        the estimator's, or, where ``max_iter`` epochs would take more than
        ``max_steps`` optimizer steps, as many whole epochs as the budget
        holds (at least one), with a schedule shrunk in proportion (by
        default it spans ``max_iter``, so it spans the shorter fit). None
        rows: the plan without the budget."""
        epochs, schedule = self.max_iter, self.schedule_epochs
        if self.max_steps is None or n_rows is None or self.solver == "lbfgs":
            return epochs, schedule
        budget = self.max_steps
        if budget == "auto":  # the steps of max_iter epochs of AUTO_STEPS_ROWS rows
            budget = self.max_iter * self._steps_per_epoch(AUTO_STEPS_ROWS)
        epochs = int(min(epochs, max(1, budget // self._steps_per_epoch(n_rows))))
        if schedule is not None and epochs < self.max_iter:
            schedule = max(1, round(schedule * epochs / self.max_iter))
        return epochs, schedule

    def _steps_per_epoch(self, n_rows):
        """Minibatches in an epoch of ``n_rows`` rows."""
        with warnings.catch_warnings():  # a batch above the rows: the fit warns
            warnings.simplefilter("ignore", UserWarning)
            batch = self._plain(batch_size=self.batch_size)._batch_size(n_rows)
        return -(-n_rows // batch)

    def _member_params(self, n_rows):
        """The parameters of the kept fold models (and of a refit) on
        ``n_rows`` rows: the plain estimator's, within the step budget
        (``_plan``), but when the number of epochs is chosen on the held-out
        folds, they train for the chosen number (a candidate's ``max_iter``)
        without a validation split or a stopping rule of their own, and
        ``schedule_epochs`` keeps the schedules' length."""
        params = self._plain_params()
        params["max_iter"], params["schedule_epochs"] = self._plan(n_rows)
        if self._chooses_epochs():
            params["early_stopping"] = False
            params["n_iter_no_change"] = np.inf
            params["schedule_epochs"] = params["schedule_epochs"] or params["max_iter"]
        return params

    def _search_params(self, n_rows):
        """The parameters of the search's fits on ``n_rows`` rows. When the
        number of epochs is chosen, each fits with its fold's held-out part as
        validation set and stops ``n_iter_no_change`` epochs after that part's
        best loss (or score); its curve then ends there."""
        params = self._member_params(n_rows)
        if self._chooses_epochs():
            params["early_stopping"] = True
            params["n_iter_no_change"] = self.n_iter_no_change
        return params

    def _candidates(self, n_hidden):
        dropouts = list(self.dropouts)
        weight_decays = check_penalties(list(self.weight_decays), "weight_decays")
        for weight_decay in weight_decays:
            given = f"weight_decays holds {weight_decay!r}"
            check_decay_step(weight_decay, self, given)
        alphas = [None]  # not searched: the members take ``alpha``
        if self.alphas is not None:
            alphas = check_penalties(list(self.alphas), "alphas")
        if not dropouts or not weight_decays or not alphas:
            raise ValueError(
                "dropouts, weight_decays and alphas need at least one value each; "
                f"got dropouts={self.dropouts!r}, weight_decays="
                f"{self.weight_decays!r}, alphas={self.alphas!r}."
            )
        for dropout in dropouts:
            check_rates(dropout, n_hidden, "dropouts")
        return [
            {"dropout": d, "weight_decay": w, **({} if a is None else {"alpha": a})}
            for d, w, a in product(dropouts, weight_decays, alphas)
        ]

    def _scorer(self):
        """The scikit-learn scorer of ``scoring``; None for the default."""
        if self.scoring in (None, "loss"):
            return None
        return check_scoring(self._plain(), scoring=self.scoring)

    def _routed(self, sample_weight, groups):
        """How the fold models are scored, and the groups for the splitter.
        With metadata routing on, ``sample_weight`` goes to the scorer and
        ``groups`` to the splitter as they request them (scikit-learn's error
        for a scorer that has not said); off, both go wherever they are taken,
        as LogisticRegressionCV passes them. The default scoring, the
        estimator's own loss, always weighs."""
        scorer = self._scorer()
        weighted = True
        if _routing_enabled():
            routed = process_routing(
                self, "fit", sample_weight=sample_weight, groups=groups
            )
            groups = routed.splitter.split.get("groups")
            weighted = scorer is None or "sample_weight" in routed.scorer.score
        classes = self._scored_classes()
        if scorer is None:
            return LossScorer(classes), groups
        return FoldScorer(scorer, classes=classes, weighted=weighted), groups

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        Please check :ref:`User Guide <metadata_routing>` on how the routing
        mechanism works: with it on, ``fit`` passes ``sample_weight`` to a
        scorer of ``scoring`` that requests it, and ``groups`` to the
        splitter of ``cv`` that requests it (a group splitter does); the
        fold models always train with the sample weights.

        Returns
        -------
        routing : MetadataRouter
            A :class:`~sklearn.utils.metadata_routing.MetadataRouter`
            encapsulating routing information.
        """
        router = MetadataRouter(owner=type(self).__name__).add_self_request(self)
        router.add(
            splitter=self.cv,
            method_mapping=MethodMapping().add(caller="fit", callee="split"),
        )
        scorer = self._scorer()
        if scorer is not None:
            router.add(
                scorer=scorer,
                method_mapping=MethodMapping().add(caller="fit", callee="score"),
            )
        return router

    def _splits(self, X, y, sample_weight, groups=None):
        """The folds of ``cv`` as (train, test) arrays of row indices, checked:
        at least one, indices in range, and some weight in every part.
        ``groups`` goes to the splitter, as GridSearchCV passes it."""
        if hasattr(self.cv, "__iter__") and not hasattr(self.cv, "split"):
            # (train, test) pairs, as check_cv reads them, checked one by one
            return check_splits(list(self.cv), len(y), sample_weight)
        cv = check_cv(self.cv, y, classifier=is_classifier(self))
        if isinstance(self.cv, Integral):
            # Shuffled (scikit-learn's int cv is not): the fold models are the
            # ensemble, and on data sorted by time or group, contiguous folds
            # would train each on a different part of the population.
            cv.shuffle = True
            cv.random_state = copy.deepcopy(self.random_state)
        if groups is None:
            folds = cv.split(X, y)
        else:  # a splitter that ignores them says so (scikit-learn's warning)
            groups = column_or_1d(groups)
            check_consistent_length(y, groups)
            folds = cv.split(X, y, groups)
        return check_splits(list(folds), len(y), sample_weight)

    def _validation(self, y, sample_weight, splits):
        """The validation rows of each fold's search fits (see
        ``_validation_rows``; None where no row with weight is left: that
        fold's search fit runs to ``max_iter``), and their share of the
        held-out part's weight."""
        validation, shares = [], []
        weights = np.ones(len(y)) if sample_weight is None else sample_weight
        r2_curves = not is_classifier(self) and self.early_stopping_metric == "score"
        for k, (train, test) in enumerate(splits):
            rows = self._validation_rows(y, train, test)
            if r2_curves and len(rows) == 1:
                raise ValueError(
                    f"Split {k} of cv holds out one row, on which R^2 (the "
                    "held-out curves of early_stopping_metric='score') is "
                    "undefined: use folds of at least two held-out rows, or "
                    "early_stopping_metric='loss'."
                )
            share = float(weights[rows].sum() / weights[test].sum())
            validation.append(rows if share > 0 else None)
            shares.append(1.0 if len(rows) == len(test) else share)
        return validation, shares

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, groups=None):
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
        groups : array-like of shape (n_samples,), default=None
            Group labels of the rows, passed to the splitter of ``cv`` as
            GridSearchCV passes them: with ``cv=GroupKFold(5)``, the rows of
            a group (a patient, a school) are held out together, so the
            choice is made on groups the fold models never saw. A splitter
            that does not use groups (an int ``cv`` included) warns that it
            ignores them.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        # A transaction, as the plain estimators' fit: on any error (a
        # KeyboardInterrupt too) the fitted attributes are left as they were.
        # The members are fresh clones, so nothing is changed in place.
        with fit_transaction(self):
            return self._fit(X, y, sample_weight, groups)

    def _fit(self, X, y, sample_weight, groups):
        X, y, self.preprocessor_ = fit_input(self, X, y, sample_weight)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, ensure_non_negative=True
            )
        self._set_output_space(y)
        scorer, groups = self._routed(sample_weight, groups)
        splits = self._splits(X, y, sample_weight, groups)
        # One plan for every fold (their training parts differ by a row at
        # most), so that their validation curves line up epoch by epoch.
        n_rows = max(len(train) for train, _ in splits)
        base = self._plain(**self._search_params(n_rows))
        member = self._plain(**self._member_params(n_rows))
        candidates = self._candidates(len(base._hidden_layer_sizes()))
        choose_epochs = self._chooses_epochs()
        halving = self.halving_factor is not None and self.halving_factor > 1
        if choose_epochs and self.solver == "sgd" and self.learning_rate == "adaptive":
            raise ValueError(
                "learning_rate='adaptive' divides the rate each time a fit's "
                "loss stalls, and with early_stopping=True the fold models are "
                "brought back to the epochs chosen on the held-out folds, which "
                "cannot replay those divisions: cv_results_ would not describe "
                "the models kept. Use another learning_rate ('constant', "
                "'invscaling', 'cosine') or early_stopping=False."
            )
        if halving and not choose_epochs:
            raise ValueError(
                "halving_factor above 1 halves the candidates on their held-out "
                "curves, which needs early_stopping=True and a stochastic solver; "
                f"got early_stopping={self.early_stopping!r}, "
                f"solver={self.solver!r}. Set halving_factor=None or 1."
            )
        # Without epochs to choose there is nothing to train in lockstep: every
        # fit runs to max_iter, as with halving_factor=None.
        lockstep = self.halving_factor is not None and choose_epochs
        validation, shares = [None] * len(splits), [1.0] * len(splits)
        if choose_epochs:
            validation, shares = self._validation(y, sample_weight, splits)
        pairs = list(product(range(len(candidates)), range(len(splits))))
        # As GridSearchCV: a search task whose fits are its subtasks (made
        # here, not in the parallel loop), the refits to the chosen epochs,
        # then the refit.
        epochs_refit = choose_epochs and not lockstep
        callbacks = root_context(self, 1 + epochs_refit + bool(self.refit))
        callbacks.call_on_fit_task_begin(estimator=self, X=X, y=y)
        search = callbacks.subcontext(
            task_name="search", max_subtasks=len(pairs), sequential_subtasks=False
        ).call_on_fit_task_begin(estimator=self)
        contexts = [
            search.subcontext(task_name="candidate-split-fit", task_id=i)
            for i in range(len(pairs))
        ]
        # The fit with the arguments every fit shares; each call adds its own.
        fit = partial(fit_member, X=X, y=y, sample_weight=sample_weight, caller=self)
        fit = partial(fit, limit_threads=self.n_jobs not in (None, 1))
        run = _Run(callbacks, Parallel(n_jobs=self.n_jobs), fit)
        name = type(self).__name__
        if self.verbose:
            print(
                f"[{name}] {len(candidates)} candidates x {len(splits)} folds "
                f"= {len(pairs)} fits"
            )
        if lockstep:
            candidates, results, epochs = self._lockstep(
                member,
                candidates,
                splits,
                data=(X, y, sample_weight),
                validation=validation,
                shares=shares,
                scorer=scorer,
                contexts=contexts,
            )
        else:
            results = run.parallel(
                delayed(run.fit)(
                    clone(member if validation[k] is None else base).set_params(
                        **candidates[c]
                    ),
                    rows=splits[k][0],
                    held_out=None if choose_epochs else splits[k][1],
                    validation=validation[k],
                    scorer=scorer,
                    context=context,
                    announce=self.verbose
                    and f"[{name}] candidate {c + 1}/{len(candidates)} "
                    f"{candidates[c]}, fold {k + 1}/{len(splits)}",
                )
                for (c, k), context in zip(pairs, contexts)
            )
            epochs = [result.model.n_iter_ for result in results]
        search.call_on_fit_task_end(estimator=self)
        if epochs_refit:
            candidates, results = refit_to_chosen_epochs(
                candidates,
                splits,
                results,
                member=member,
                shares=shares,
                scorer=scorer,
                run=run,
                caller=self,
            )
        self._record(
            candidates, splits, results, y=y, sample_weight=sample_weight, epochs=epochs
        )
        self.oof_predictions_ = self._unscale(self.oof_predictions_)
        self.max_iter_ = self.best_params_.get("max_iter", member.max_iter)
        if self.refit:
            self._refit(run, n_rows=len(y), fold_epochs=member.max_iter)
        callbacks.call_on_fit_task_end(estimator=self, X=X, y=y)
        return self

    def _lockstep(self, member, candidates, splits, **context):
        """The search of epochs of ``halving_factor`` (``_search``): every
        candidate's fold models trained together, rewound to the epoch of
        their best mean held-out figure; candidates halved at the rungs."""
        halving = None
        if self.halving_factor > 1:
            halving = Halving(self.halving_min_epochs, self.halving_factor)
        metric = self.early_stopping_metric
        stopping = (metric, self.tol, self.n_iter_no_change, member.max_iter)
        return lockstep_fold_fits(
            member,
            candidates,
            splits,
            stopping=stopping,
            halving=halving,
            n_jobs=self.n_jobs,
            caller=self,
            **context,
        )

    def _refit(self, run, *, n_rows, fold_epochs):
        """Refit on all the ``n_rows`` rows every candidate that the ensemble
        uses (the best alone with ``ensemble='best'``: GridSearchCV's refit),
        each for its chosen epochs, and make them the members, with the same
        weights. Within a step budget that binds (``_plan``), a refit runs
        the share of its own plan that its candidate's chosen epochs are of
        the ``fold_epochs`` the search planned."""
        chosen = np.flatnonzero(self.candidate_weights_)
        member = self._plain(**self._member_params(n_rows))
        params = [dict(p) for p in self.cv_results_["params"]]
        if member.max_iter < fold_epochs:
            for p in params:
                if "max_iter" in p:
                    share = p["max_iter"] / fold_epochs
                    p["max_iter"] = max(1, round(share * member.max_iter))
        context = run.callbacks.subcontext(
            task_name="refit", max_subtasks=len(chosen), sequential_subtasks=False
        ).call_on_fit_task_begin(estimator=self)
        name = type(self).__name__
        start = time.perf_counter()
        refitted = run.parallel(
            delayed(run.fit)(
                clone(member).set_params(**params[c]),
                rows=None,
                context=context.subcontext(task_name="refit-fit", task_id=i),
                announce=self.verbose
                and f"[{name}] candidate {c + 1}/{len(params)} refitted on "
                "all the data",
            )
            for i, c in enumerate(chosen)
        )
        context.call_on_fit_task_end(estimator=self)
        self.refit_time_ = time.perf_counter() - start
        self.estimators_ = [result.model for result in refitted]
        self.ensemble_weights_ = self.candidate_weights_[chosen]
        self.best_estimator_ = self.estimators_[list(chosen).index(self.best_index_)]

    def _record(self, candidates, splits, results, *, y, sample_weight, epochs):
        """cv_results_, the choice, the members and the out-of-fold
        predictions, from the fits' ``results`` (each candidate's on each
        fold, candidate by candidate) and the ``epochs`` their search ran."""
        n_candidates, n_splits = len(candidates), len(splits)
        shape = (n_candidates, n_splits)
        scores = np.array([fit.score for fit in results], dtype=float).reshape(shape)
        times = np.array([fit.fit_time for fit in results]).reshape(shape)
        score_times = np.array([fit.score_time for fit in results]).reshape(shape)
        epochs = np.reshape(epochs, shape)
        oof = None
        for i, fit in enumerate(results):
            c, k = divmod(i, n_splits)
            if fit.predictions is None:  # a candidate no ensemble needs
                continue
            predictions = self._align(fit.model, fit.predictions)
            if oof is None:
                oof = np.zeros((n_candidates, len(y), *predictions.shape[1:]))
            oof[c, splits[k][1]] = predictions
        self.cv_results_ = search_results(
            candidates,
            scores=scores,
            times=times,
            score_times=score_times,
            epochs=epochs,
        )
        mean = self.cv_results_["mean_test_score"]
        # As LogisticRegressionCV's: the epochs of every fit.
        self.n_iter_ = epochs

        self.best_index_ = nan_argmax(mean)
        self.best_params_ = dict(candidates[self.best_index_])
        self.best_score_ = float(mean[self.best_index_])
        self.dropout_ = self.best_params_["dropout"]
        self.weight_decay_ = self.best_params_["weight_decay"]
        self.alpha_ = self.best_params_.get("alpha", self.alpha)
        self.n_splits_ = n_splits
        if self.ensemble == "greedy":
            weights = greedy_weights(
                oof,
                best_index=self.best_index_,
                loss=lambda p: self._oof_loss(y, p, sample_weight),
            )
        else:
            weights = np.zeros(n_candidates)
            weights[self.best_index_] = 1.0
        self.candidate_weights_ = weights
        chosen = np.flatnonzero(weights)
        self.estimators_ = [
            results[c * n_splits + k].model for c in chosen for k in range(n_splits)
        ]
        self.ensemble_weights_ = np.repeat(weights[chosen], n_splits) / n_splits
        self.oof_predictions_ = np.tensordot(weights, oof, axes=1)

    # -- saved models of older releases ---------------------------------------------

    def _upgrade_saved(self, state):
        """A fitted CV estimator saved before ``preprocessing`` and ``alphas``
        (0.1.0.dev0) preprocessed nothing and searched no ``alpha``: its
        ``preprocessing`` is None (a clone fits as it did) and it gets the
        fitted attributes of that (``preprocessor_`` None, ``alpha_`` the
        members' ``alpha``, no score times measured)."""
        if "estimators_" not in state:
            return
        if "preprocessing" not in state:
            self.preprocessing = None
            self.preprocessor_ = None
        if "alpha_" not in state:
            self.alpha_ = self.alpha
        results = getattr(self, "cv_results_", None)
        if results is not None and "mean_score_time" not in results:
            results["mean_score_time"] = np.full(len(results["params"]), np.nan)
            results["std_score_time"] = np.full(len(results["params"]), np.nan)

    # -- prediction ---------------------------------------------------------------

    def _validate_X(self, X):
        """X checked against the fit's (scikit-learn's errors for other feature
        names or another number of features) and preprocessed as in the fit,
        as an array: the members, fitted on arrays, then take it without a
        warning."""
        check_is_fitted(self)
        return predict_input(self, X)

    def _averaged_output(self, X):
        X = self._validate_X(X)
        total = None
        for weight, member in zip(self.ensemble_weights_, self.estimators_):
            output = self._align(member, member._ensemble_output(X))
            output = output.dtype.type(weight) * output  # the members' dtype
            total = output if total is None else total + output
        return total

    def _set_output_space(self, y):
        """Hook: the classifier fixes its classes here."""

    def _scale_target(self, y, sample_weight):
        """Hook: the targets as the members learn them (the regressor's
        ``normalize_y``), from the validated ``y``, before preprocessing."""
        return y

    def _unscale(self, output):
        """Hook: the members' (averaged) output in the units of ``y``."""
        return output

    def _scored_classes(self):
        """Hook: the classes the default scoring counts (the classifier's)."""
        return None

    def _validation_rows(self, y, train, test):
        """Hook: the held-out rows that a search fit validates on (the
        classifier leaves out those of classes its training part lacks)."""
        return test

    def _align(self, model, output):
        """Hook: the classifier maps a member's columns onto ``classes_``."""
        return output

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # As the plain estimators': alpha input dropout refuses a sparse X.
        alpha_input = self.dropout_noise == "alpha" and self.input_dropout
        tags.input_tags.sparse = not alpha_input
        if hasattr(self.preprocessing, "__sklearn_tags__"):
            # X goes to the preprocessing: it says what X may hold ('auto'
            # leaves arrays alone, so its tags are the members').
            given = get_tags(self.preprocessing).input_tags
            tags.input_tags.sparse = given.sparse and not alpha_input
            tags.input_tags.allow_nan = given.allow_nan
            tags.input_tags.string = given.string
            tags.input_tags.categorical = given.categorical
        return tags
