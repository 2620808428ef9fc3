"""DropoutMLPRegressorCV: the regressor with the search built in."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import _check_sample_weight

from skdropout._cv import BaseDropoutMLPCV, search_constraints
from skdropout._losses import LOSSES
from skdropout._regressor import DropoutMLPRegressor


class DropoutMLPRegressorCV(RegressorMixin, BaseDropoutMLPCV):
    """Dropout MLP regressor with the search of the drop rate and the weight
    decay built in.

    Every candidate (a drop rate of ``dropouts`` and a weight decay of
    ``weight_decays``) is fitted on the training part of every fold and scored
    on the fold's held-out part; with ``early_stopping`` the number of epochs
    is chosen on the held-out parts too. Greedy ensemble selection then picks
    candidates on their out-of-fold predictions (or the best candidate alone,
    ``ensemble='best'``), each picked candidate is refitted on all the data,
    and ``predict`` averages these networks with the selection's weights
    (``refit=True``; with ``ensemble='best'`` this is ``GridSearchCV``'s
    refit). With ``refit=False`` the picked candidates' fold models are kept
    and averaged instead: no refit. ``predict(X, return_std=True)`` adds the
    members' spread to their Monte Carlo dropout uncertainty.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        The loss of every member (see :class:`~skdropout.DropoutMLPRegressor`).

    dropouts : array-like, default=(0.0, 0.3)
        The candidate drop rates of the hidden units: each a float or one value
        per hidden layer (as ``dropout``).

    weight_decays : array-like of float, default=(0.0, 1.0)
        The candidate decoupled weight decays (as ``weight_decay``). Every
        pair of a drop rate and a weight decay is a candidate. At the default
        learning rate a decay of order 1 shrinks the weights noticeably over a
        fit (a factor of about ``exp(-lr * weight_decay * steps / 2)`` on its
        own); 0.1 changes almost nothing.

    alphas : array-like of float or None, default=None
        The candidate strengths of the L2 penalty (as ``alpha``: added to each
        minibatch's loss as ``alpha / 2 * ||W||^2`` divided by the minibatch's
        weight, so its pull against the mean loss is the same on small and
        large data, unlike a decoupled weight decay's, which acts once per
        step). None: not searched, every member takes ``alpha``. Given, every
        combination of a drop rate, a weight decay and an ``alpha`` is a
        candidate, and ``alpha`` is not used. scikit-learn's
        ``MLPClassifier`` with ``alpha`` tuned by ``GridSearchCV`` searches
        ``np.logspace(-4, 1, 6)`` at 200 rows a minibatch; at 64 rows the same
        penalty per row is about a third of each of those values.

    preprocessing : 'auto', transformer or None, default='auto'
        What turns X into the numbers the networks read, fitted on the data
        given to ``fit`` (its ``fit_transform``, with the targets) and applied
        at predict time. 'auto': a :class:`~skdropout.TabularPreprocessor` when
        X is a pandas or polars DataFrame, so that a table with strings,
        categories, booleans and missing values fits as it comes (an unseen
        category at predict time encodes as zeros), and nothing for arrays and
        sparse matrices, which are used as they are. None: nothing, X must be
        numbers. A transformer (such as ``TabularPreprocessor(...)`` with other
        options): a clone of it. A :class:`~skdropout.TabularPreprocessor` with
        ``target_type="auto"``, the one 'auto' builds included, is told the
        target's type for its target encoding: "continuous" for the regressor
        (a target of whole numbers is still a number to regress), the classes'
        type ("binary" or "multiclass", also for labels stored as floats) for
        the classifier; one with ``random_state=None`` is seeded by the
        estimator's ``random_state``, as the one 'auto' builds is.
        ``n_features_in_`` and ``feature_names_in_`` are those of X as given.
        A model with a preprocessor exports to ONNX with it (see
        :func:`~skdropout.tabular_onnx_inputs`).

    normalize_y : bool, default=True
        Whether the members learn the target standardized, as
        :class:`~sklearn.gaussian_process.GaussianProcessRegressor`'s
        ``normalize_y``: each output less its mean and divided by its standard
        deviation (1 for a constant output), weighted by ``sample_weight``,
        from the data given to ``fit`` (the preprocessing's target encoding
        sees it so too); with ``loss='poisson'``, divided by its mean alone
        (the deviance of a scaled target is the scaled deviance, so the best
        fit is the same). The networks start with outputs of order 1 and learn
        at the default rates whatever the target's units (a price in
        dollars), which a network on the raw target does not: on a table of
        house prices it predicts worse than the mean. ``predict``, its
        ``return_std`` and ``oof_predictions_`` are in the target's units; the
        members (``estimators_``) predict the standardized target, and the
        scores in ``cv_results_`` (``best_score_``, the held-out loss) are
        those of the standardized target. ``target_offset_`` and
        ``target_scale_`` hold the transformation. False: the members learn
        ``y`` as it is, as :class:`DropoutMLPRegressor` does.

    cv : int, cross-validation generator or iterable, default=3
        The folds, as scikit-learn's ``check_cv`` reads them, except that an
        int is a *shuffled* KFold of that many folds, seeded by
        ``random_state``: the fold models are the ensemble, and on data sorted
        by time or group, contiguous folds would train each on a different part
        of the population. A group splitter (``GroupKFold``) takes the rows'
        groups from ``fit(X, y, groups=...)``.

    scoring : 'loss', str or callable, default='loss'
        How a candidate's fold model is scored on the fold's held-out part
        (higher is better): 'loss' is minus the network's loss there
        (the squared error or the Poisson deviance, without dropout or L2
        term); any other value is a scikit-learn scorer (``check_scoring``).

    refit : bool, default=True
        False: predict with the fold models that ``ensemble`` keeps, each
        trained on its fold's training part ((k-1)/k of the data), weighted as
        ``ensemble_weights_`` says (as pytabkit's RealMLP bags its fold models and
        as ``LogisticRegressionCV(refit=False)`` averages its folds). True: refit
        on all the data every candidate that the ensemble uses, each for its
        chosen number of epochs, and predict with these networks instead, with the
        same weights: with ``ensemble='best'`` the best candidate alone, which is
        ``GridSearchCV``'s refit; with ``'greedy'`` each candidate that the
        selection picked (AutoGluon's ``refit_full``). Each network then sees all
        the data, but the ensemble has one member per candidate instead of one
        per fold, and the cross-validated scores estimate the fold models' error,
        not the refits'. Costs one fit on all the data per candidate used.
        True is the regressor's default: for the squared error, networks that
        each saw all the data predicted better on the benchmark than the
        average of fold models that saw two thirds of it (see the user guide's
        recipe page).

    ensemble : {'best', 'greedy'}, default='greedy'
        Which candidates the prediction uses: 'best' the best candidate alone; 'greedy'
        those picked by greedy ensemble selection with replacement (Caruana et al.,
        2004), 25 picks: the best candidate, then 24 rounds each adding the candidate
        whose fold models' out-of-fold predictions most lower the squared error or the
        Poisson deviance of the average; ``candidate_weights_`` gives each candidate's
        share. The prediction averages their refits on all the data (``refit=True``, the
        default) or their fold models. With ``refit=True``, 'greedy' refits every
        candidate picked (up to all of them, one fit on all the data each); 'best'
        refits one network, which costs what ``GridSearchCV``'s refit does, and
        predicted worse on the benchmark (see the user guide's recipe page).

    n_jobs : int, default=None
        Fits run in parallel with joblib (-1: all cores). With more than one
        job, each fit is held to one BLAS thread, so that the jobs do not
        oversubscribe the cores.

    halving_factor : float or None, default=None
        How the number of epochs is searched when ``early_stopping`` chooses
        it. None: each search fit runs until ``n_iter_no_change`` epochs after
        its own fold's best, and the fold models kept are fitted again up to
        the epochs chosen. A number (at least 1; 1 halves nothing): each
        candidate's fold models are trained together, epoch by epoch; the
        candidate stops ``n_iter_no_change`` epochs after the best of the mean
        over its folds of the held-out figure, and its fold models are brought
        back to that epoch from a copy kept when it was reached, so nothing is
        fitted twice. Above 1, successive halving over epochs: after
        ``halving_min_epochs`` epochs, then after ``halving_factor`` times as
        many, and so on, only the best ``1 / halving_factor`` of the candidates
        still running go on (the others keep their best epoch so far, and
        greedy ensemble selection may still pick them), which needs
        ``early_stopping=True``. Candidates train in parallel threads with
        ``n_jobs``. Without ``early_stopping``, None and 1 are the same: every
        fit runs to ``max_iter``.

    halving_min_epochs : int, default=5
        The epochs every candidate runs before the first halving (with
        ``halving_factor`` above 1).

    max_steps : int, "auto" or None, default=None
        A budget of optimizer steps (minibatches) per fit. Where ``max_iter``
        epochs of a fit's rows would take more, the fit runs as many whole
        epochs as the budget holds (at least one), and its schedules (the
        learning rate's and the drop rate's, over ``schedule_epochs``) shrink
        in proportion, so that it runs its whole plan, faster: large data
        then costs about what data of ``max_steps * batch_size / max_iter``
        rows does. The search's fits share the plan of the largest fold's
        training part; a refit on all the rows gets its own, and runs the
        same share of it that its candidate's chosen epochs are of the
        search's. ``"auto"``: the steps of ``max_iter`` epochs of 10,000
        rows, so a fit on at most 10,000 rows runs as with None, and one on
        more costs what one on 10,000 rows does. None: every fit plans
        ``max_iter`` epochs. The L-BFGS solver has no epochs and ignores it.
        A trade of quality for time, off by default: the user guide's recipe
        page says what it cost on the benchmark.

    early_stopping : bool, default=False
        Whether the number of epochs is chosen like the candidates, on the
        folds' held-out parts: every search fit has its fold's held-out part as
        validation set (its loss or score after every epoch, as
        ``early_stopping_metric`` says) and stops ``n_iter_no_change`` epochs after
        its best there (or at ``max_iter``); each candidate gets the number of
        epochs whose mean over the folds is best, within what all its folds ran
        (``max_iter`` in ``cv_results_['params']``); and the fold models kept are
        brought back to it with, bit for bit, the weights their search fits had
        then: rewound from a copy kept when it was reached (``halving_factor``
        1 or more), or refitted for that many epochs of the same schedules
        (``halving_factor=None``; ``schedule_epochs``).
        ``validation_fraction`` is not used: the held-out parts are the validation
        sets. False: the fold models run to ``max_iter`` (or their training-loss
        rule) and keep their last epoch. True refuses ``learning_rate='adaptive'``,
        whose cuts of the rate, made when a fit's loss stalls, the fold models
        brought back to the chosen epochs could not replay.

    hidden_layer_sizes, activation, ... : see :class:`~skdropout.DropoutMLPRegressor`
        Every other parameter of :class:`~skdropout.DropoutMLPRegressor`, with the same
        meaning, except ``dropout`` and ``weight_decay``, which the candidates
        set, ``warm_start`` (each member is a new fit), and ``early_stopping``
        (above). The defaults differ: they are the training recipe of the best
        tabular MLPs (see Notes), not scikit-learn's. ``validation_fraction=0.2``
        is not used: the folds' held-out parts are the validation sets.
        ``early_stopping_metric='loss'`` chooses the number of epochs on the
        held-out loss when ``early_stopping=True``.

    Attributes
    ----------
    dropout_ : float or tuple
        The drop rate of the best candidate.

    weight_decay_ : float
        The weight decay of the best candidate.

    alpha_ : float
        The L2 penalty of the best candidate (``alpha`` when ``alphas`` is
        None).

    preprocessor_ : transformer or None
        The fitted preprocessing (see ``preprocessing``), or None.

    max_iter_ : int
        The epochs planned for the best candidate's fold models: the number
        chosen on the held-out parts with ``early_stopping``, else
        ``max_iter`` (or fewer, within ``max_steps``). Without
        ``early_stopping`` a fold model that its training-loss rule stopped
        sooner ran fewer: ``n_iter_`` has the epochs each fold model ran.

    best_params_ : dict
        The best candidate: ``{'dropout': ..., 'weight_decay': ...}``, with
        its ``'alpha'`` when ``alphas`` is given, and with ``early_stopping``
        its number of epochs, ``'max_iter'``.

    best_index_ : int
        Its index in ``cv_results_['params']``.

    best_score_ : float
        Its mean cross-validated score.

    cv_results_ : dict of ndarray
        As ``GridSearchCV``'s: ``params``, ``param_dropout``, ``param_weight_decay``,
        ``split{k}_test_score``, ``mean_test_score``, ``std_test_score``,
        ``rank_test_score``, ``mean_fit_time``, ``std_fit_time`` (with
        ``halving_factor=None``, a fold model's refit to its chosen epochs included),
        ``mean_score_time``, ``std_score_time`` (scoring a fold model and its
        out-of-fold predictions; 0 where its score is read off its validation curve),
        ``param_max_iter`` (with ``early_stopping``: each candidate's chosen number of
        epochs) and the epochs each fold model ran in the search (``split{k}_n_iter``,
        ``mean_n_iter``; also ``n_iter_``).

    estimators_ : list of DropoutMLPRegressor
        The members whose outputs are averaged: the fold models of the chosen
        candidate(s), or, with ``refit=True`` (the default), their refits on
        all the data (one per chosen candidate).

    ensemble_weights_ : ndarray of shape (`len(estimators_)`,)
        Each member's weight in the average (they sum to 1).

    candidate_weights_ : ndarray of shape (n_candidates,)
        Each candidate's share of the average, of its fold models or of its
        refit (1 for the best with ``ensemble='best'``).

    oof_predictions_ : ndarray
        Out-of-fold predictions, of shape (n_samples,) or (n_samples,
        n_outputs): each sample's from the fold models that did not train on
        it, averaged with ``candidate_weights_``.

    target_offset_ : ndarray of shape (n_outputs,)
        What is subtracted from each output of ``y`` before the members learn
        it: its mean with ``normalize_y`` (0 with ``loss='poisson'``), else 0.

    target_scale_ : ndarray of shape (n_outputs,)
        What each output is then divided by: its standard deviation with
        ``normalize_y`` (its mean with ``loss='poisson'``), else 1. The
        prediction is ``target_scale_`` times the members' average, plus
        ``target_offset_``.

    best_estimator_ : DropoutMLPRegressor
        The best candidate refitted on all the data (one of ``estimators_``);
        only with ``refit=True``.

    refit_time_ : float
        Seconds spent refitting on all the data; only with ``refit=True``.

    n_splits_ : int
        The number of folds.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during fit; defined only when ``X`` has feature names
        that are all strings.

    See Also
    --------
    DropoutMLPRegressor : One network, with the drop rate given.
    DropoutMLPClassifierCV : The same search for classification.
    sklearn.linear_model.RidgeCV : The idiom followed here.

    Notes
    -----
    **The defaults** are the training recipe measured by the package's quality
    benchmark (see the user guide's recipe page):
    ``hidden_layer_sizes=(256,)``, ``batch_size=64``,
    ``learning_rate='cosine'`` from ``learning_rate_init=0.001``,
    ``dropout_schedule='flat_cosine'``, ``alpha=0``, ``max_iter=100``, no early
    stopping and ``n_iter_no_change=np.inf``: the whole schedule runs, and the
    network of its last epoch (learning rate and drop rate both decayed to 0)
    is kept; the candidates that greedy ensemble selection picks are then
    refitted on all the data (``refit=True``). Choosing the number of epochs on
    the held-out parts (``early_stopping=True`` with ``max_iter=200`` and
    ``n_iter_no_change=20``, as the classifier does) predicted worse on the
    benchmark's regressions more often than better, for more fit time.

    **Honest scores.** Each fold model is trained on its fold's training part
    alone; the fold's held-out part only scores it (and, with
    ``early_stopping``, chooses the number of epochs of all the folds at
    once, as a searched value, see :class:`DropoutMLPClassifierCV`): the
    cross-validated scores in ``cv_results_`` are estimates of the error on new data, as
    ``GridSearchCV``'s are, not scores the search was tuned on. The score of
    the chosen candidate (``best_score_``) is, like any maximum over
    candidates, slightly optimistic.

    **Cost.** ``len(dropouts) * len(weight_decays) * n_splits`` fits; with
    ``early_stopping``, the kept fold models that ran longer than their chosen
    epochs are refitted up to them (those of the best candidate; of every
    candidate with another ``scoring`` or ``ensemble='greedy'``); with
    ``refit=True`` (the default), one fit on all the data per candidate the
    ensemble uses (up to all of them; one with ``ensemble='best'``).
    Prediction runs every member.

    References
    ----------
    .. [1] N. Srivastava, G. Hinton, A. Krizhevsky, I. Sutskever and R.
       Salakhutdinov, "Dropout: A Simple Way to Prevent Neural Networks from
       Overfitting", JMLR 15, 2014.
    .. [2] R. Caruana, A. Niculescu-Mizil, G. Crew and A. Ksikes, "Ensemble
       Selection from Libraries of Models", ICML 2004.
    .. [3] D. Holzmueller, L. Grinsztajn and I. Steinwart, "Better by Default:
       Strong Pre-Tuned MLPs and Boosted Trees on Tabular Data", NeurIPS 2024.

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdropout import DropoutMLPRegressorCV
    >>> X, y = make_friedman1(n_samples=300, noise=1.0, random_state=0)
    >>> reg = make_pipeline(
    ...     StandardScaler(),
    ...     DropoutMLPRegressorCV(
    ...         hidden_layer_sizes=(32,), dropouts=[0.0, 0.3], cv=3, max_iter=20,
    ...         random_state=0,
    ...     ),
    ... ).fit(X, y)
    >>> mean, std = reg.predict(X[:2], return_std=True)
    >>> mean.shape, std.shape
    ((2,), (2,))
    """

    _plain = DropoutMLPRegressor
    _parameter_constraints: dict = {
        **search_constraints(DropoutMLPRegressor),
        "normalize_y": ["boolean"],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(256,),
        activation="relu",
        *,
        dropouts=(0.0, 0.3),
        weight_decays=(0.0, 1.0),
        alphas=None,
        preprocessing="auto",
        normalize_y=True,
        cv=3,
        scoring="loss",
        refit=True,
        ensemble="greedy",
        n_jobs=None,
        halving_factor=None,
        halving_min_epochs=5,
        max_steps=None,
        input_dropout=0.0,
        dropout_noise="bernoulli",
        max_norm=None,
        mc_passes=100,
        solver="adam",
        alpha=0.0,
        batch_size=64,
        learning_rate="cosine",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=100,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.2,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=np.inf,
        max_fun=15000,
        learning_rate_warmup=0.0,
        dropout_schedule="flat_cosine",
        schedule_epochs=None,
        early_stopping_metric="loss",
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropouts = dropouts
        self.weight_decays = weight_decays
        self.alphas = alphas
        self.preprocessing = preprocessing
        self.normalize_y = normalize_y
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.ensemble = ensemble
        self.n_jobs = n_jobs
        self.halving_factor = halving_factor
        self.halving_min_epochs = halving_min_epochs
        self.max_steps = max_steps
        self.input_dropout = input_dropout
        self.dropout_noise = dropout_noise
        self.max_norm = max_norm
        self.mc_passes = mc_passes
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.learning_rate_warmup = learning_rate_warmup
        self.dropout_schedule = dropout_schedule
        self.schedule_epochs = schedule_epochs
        self.early_stopping_metric = early_stopping_metric

    def _scale_target(self, y, sample_weight):
        """The target as the members learn it (``normalize_y``); sets
        ``target_offset_`` and ``target_scale_``. Standardized as
        :class:`~sklearn.preprocessing.StandardScaler` does (its mean and
        scale, then ``(y - mean) / scale``), so that the members see the same
        numbers as inside a ``TransformedTargetRegressor`` with one."""
        # The plain regressor's errors, in the target's units, before scaling.
        if y.dtype.kind not in "biuf":
            raise ValueError(
                f"y must be numeric for a regressor; got values of dtype {y.dtype}."
            )
        self._plain(loss=self.loss)._check_targets(y, "y")
        Y = y.reshape(len(y), -1)
        n_outputs = Y.shape[1]
        if not self.normalize_y:
            self.target_offset_ = np.zeros(n_outputs)
            self.target_scale_ = np.ones(n_outputs)
            return y
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, Y, ensure_non_negative=True
            )
            if not sample_weight.any():  # scikit-learn < 1.7 lets them through
                raise ValueError(
                    "Sample weights must contain at least one non-zero number."
                )
        if self.loss == "poisson":
            mean = np.average(Y, axis=0, weights=sample_weight)
            self.target_offset_ = np.zeros(n_outputs)
            self.target_scale_ = np.where(mean > 0, mean, 1.0)
        else:
            with np.errstate(over="ignore", invalid="ignore"):
                scaler = StandardScaler().fit(Y, sample_weight=sample_weight)
            if not np.isfinite(scaler.var_).all():
                # StandardScaler then divides by 1 (or NaN): the fit would
                # diverge on a target it did not scale.
                raise ValueError(
                    "y holds values too large to standardize (its variance "
                    "overflows float64, above about 1e154): rescale it, "
                    "dividing it by a power of ten for instance."
                )
            self.target_offset_, self.target_scale_ = scaler.mean_, scaler.scale_
        return ((Y - self.target_offset_) / self.target_scale_).reshape(y.shape)

    def _upgrade_saved(self, state):
        """A fitted model saved before ``normalize_y`` (0.1.0.dev0) learned its
        target as given: ``normalize_y`` False, as the fit left it."""
        super()._upgrade_saved(state)
        if "estimators_" in state and "target_scale_" not in state:
            self.normalize_y = False
            n_outputs = self.estimators_[0].n_outputs_
            self.target_offset_ = np.zeros(n_outputs)
            self.target_scale_ = np.ones(n_outputs)

    def _unscale(self, output):
        """The members' output in the units of ``y``."""
        unscaled = output * self.target_scale_ + self.target_offset_
        return unscaled.astype(output.dtype, copy=False)

    def _oof_loss(self, y, predictions, sample_weight=None):
        Y = np.asarray(y, dtype=float).reshape(len(y), -1)
        return LOSSES[self.loss](Y, predictions.reshape(len(y), -1), sample_weight)

    def predict(self, X, return_std=False):
        """The average of the members' predictions.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        return_std : bool, default=False
            Whether to return the predictive standard deviation too: the
            members' own (Monte Carlo dropout and observation noise, see
            :meth:`DropoutMLPRegressor.predict`) combined with their spread,
            ``var = sum_i w_i (std_i**2 + (mean_i - mean)**2)``, in the units
            of ``y`` (with ``loss='poisson'`` the noise term is the predicted
            mean in those units, whatever ``normalize_y`` divided ``y`` by).

        Returns
        -------
        y_mean : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The averaged predictions.

        y_std : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predictive standard deviation; only with ``return_std=True``.
        """
        if not return_std:
            return self._unscale(self._averaged_output(X))
        X = self._validate_X(X)
        scale = self.target_scale_
        # The members learn y / scale, and their spread and Monte Carlo
        # variance are scale**2 times theirs in y's units. Not the Poisson
        # noise: its variance is the mean, whose value in y's units is scale
        # times the members', so it is counted divided by scale here.
        noise_scale = 1 / scale if self.loss == "poisson" else 1.0
        pairs = [
            member._mean_and_std(member._validate_X(X), noise_scale)
            for member in self.estimators_
        ]
        weights = self.ensemble_weights_
        mean = sum(m.dtype.type(w) * m for w, (m, _) in zip(weights, pairs))
        variance = sum(
            w * (s.astype(np.float64) ** 2 + (m - mean) ** 2)
            for w, (m, s) in zip(weights, pairs)
        )
        std = np.sqrt(variance) * scale
        return self._unscale(mean), std.astype(mean.dtype)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
