"""DropoutMLPClassifierCV: the classifier with the search built in."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import type_of_target, unique_labels

from skdropout._classifier import DropoutMLPClassifier, _check_targets
from skdropout._cv import BaseDropoutMLPCV, search_constraints
from skdropout._cv_scoring import align_columns, class_log_loss
from skdropout._losses import LOSSES


class DropoutMLPClassifierCV(ClassifierMixin, BaseDropoutMLPCV):
    """Dropout MLP classifier with the search of the drop rate and the weight
    decay built in, and its fold models averaged.

    Every candidate (a drop rate of ``dropouts`` and a weight decay of
    ``weight_decays``) is fitted on the training part of every fold and scored
    on the fold's held-out part; with ``early_stopping`` the number of epochs
    is chosen on the held-out parts too. The fold models of the candidates
    that greedy ensemble selection picks on their out-of-fold predictions (or
    of the best candidate alone, ``ensemble='best'``) are kept, and
    ``predict_proba`` averages their probabilities with the selection's
    weights: the models that cross-validation trains are used instead of
    thrown away, and no refit is needed.

    Parameters
    ----------
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

    cv : int, cross-validation generator or iterable, default=5
        The folds, as scikit-learn's ``check_cv`` reads them, except that an
        int is a *shuffled* StratifiedKFold of that many folds, seeded by
        ``random_state``: the fold models are the ensemble, and on data sorted
        by time or group, contiguous folds would train each on a different part
        of the population. With 5 folds each fold model trains on four fifths
        of the rows (two thirds with 3) and the ensemble has 5 members per
        candidate, for twice the rows trained on of 3 folds.
        A group splitter (``GroupKFold``) takes the rows' groups from
        ``fit(X, y, groups=...)``.

    scoring : 'loss', str or callable, default='loss'
        How a candidate's fold model is scored on the fold's held-out part
        (higher is better): 'loss' is minus the network's loss there
        (the log-loss, without dropout or L2 term); any other value is a
        scikit-learn scorer (``check_scoring``).

    refit : bool, default=False
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
        False is the classifier's default: log-loss rewards the average of
        several networks' probabilities, and on the benchmark the fold models'
        average predicted better than a refit (see the user guide's recipe
        page).

    ensemble : {'best', 'greedy'}, default='greedy'
        Which candidates the prediction uses: 'best' the best candidate alone; 'greedy'
        those picked by greedy ensemble selection with replacement (Caruana et al.,
        2004), 25 picks: the best candidate, then 24 rounds each adding the candidate
        whose fold models' out-of-fold predictions most lower the log-loss of the
        average; ``candidate_weights_`` gives each candidate's share. The prediction
        averages their fold models (or their refits with ``refit=True``). It is the
        default: on the benchmark it predicted better than 'best' more often than worse
        (see the user guide's recipe page), for more fit time (with ``early_stopping``
        and ``halving_factor=None``, every candidate's fold models are refitted to its
        chosen epochs) and a prediction that runs the fold models of every candidate
        picked.

    n_jobs : int, default=None
        Fits run in parallel with joblib (-1: all cores). With more than one
        job, each fit is held to one BLAS thread, so that the jobs do not
        oversubscribe the cores.

    halving_factor : float or None, default=1
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

    early_stopping : bool, default=True
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

    hidden_layer_sizes, activation, ... : see :class:`~skdropout.DropoutMLPClassifier`
        Every other parameter of :class:`~skdropout.DropoutMLPClassifier`, with the same
        meaning, except ``dropout`` and ``weight_decay``, which the candidates
        set, ``warm_start`` (each member is a new fit), and ``early_stopping``
        (above). The defaults differ: they are the training recipe of the best
        tabular MLPs (see Notes), not scikit-learn's. ``validation_fraction=0.2``
        is not used: the folds' held-out parts are the validation sets.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel targets, the label indices).

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

    estimators_ : list of DropoutMLPClassifier
        The members whose outputs are averaged: the fold models of the chosen
        candidate(s), or, with ``refit=True``, their refits on all the data
        (one per chosen candidate).

    ensemble_weights_ : ndarray of shape (`len(estimators_)`,)
        Each member's weight in the average (they sum to 1).

    candidate_weights_ : ndarray of shape (n_candidates,)
        Each candidate's share of the average, of its fold models or of its
        refit (1 for the best with ``ensemble='best'``).

    oof_predictions_ : ndarray
        Out-of-fold class probabilities, of shape (n_samples, n_classes):
        each sample's from the fold models that did not train on it, averaged
        with ``candidate_weights_``.

    best_estimator_ : DropoutMLPClassifier
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
    DropoutMLPClassifier : One network, with the drop rate given.
    DropoutMLPRegressorCV : The same search for regression.
    sklearn.linear_model.LogisticRegressionCV : The idiom followed here.

    Notes
    -----
    **The defaults** are the training recipe measured by the package's quality
    benchmark (see the user guide's recipe page):
    ``hidden_layer_sizes=(256,)``, ``batch_size=64``,
    ``learning_rate='cosine'`` from ``learning_rate_init=0.001``,
    ``dropout_schedule='flat_cosine'``, ``alpha=0``, and the number of epochs
    chosen where the held-out log-loss, averaged over the folds, is lowest
    (``early_stopping=True``, ``early_stopping_metric='loss'``; a search fit
    stops ``n_iter_no_change=20`` epochs after its best): without it, the
    probabilities of a network trained to the end grow over-confident and the
    log-loss suffers, most on small data. ``max_iter=200`` is a cap that
    should not bind: the search stops on the held-out curves, and only small
    training sets whose loss still falls run long (a cap of 100 stopped some
    of them at the end of a cosine schedule that had all but stopped
    learning). Stopping a search fit 20 epochs after its best costs far less
    than running it to ``max_iter``, for a small loss of quality; 10 epochs
    stopped too early. Five folds (``cv=5``) rather than three give each fold
    model more rows and the ensemble more members; their fold models train
    in lockstep (``halving_factor=1``), so the search pays for its epochs
    once.

    **Honest scores.** The number of epochs is chosen as the drop rate and the
    weight decay are: one for all the folds of a candidate, on the mean of
    their held-out scores. Each split score is that of a model that never saw
    the fold's held-out part in training, and the search is GridSearchCV's
    over (candidate, number of epochs) (``tests/test_cv.py`` checks it):
    ``cv_results_`` estimates the error on new data as GridSearchCV's does, and
    ``best_score_`` is, like any maximum over candidates, slightly optimistic.
    Keeping each fold model's own best epoch on its held-out part would score
    it on the data that chose it; an inner validation split of each training
    part (this estimator's first version) cost small training sets a fifth
    of their rows and chose the epoch on a handful of them.

    **Cost.** ``len(dropouts) * len(weight_decays) * n_splits`` fits (20 by
    default), each stopped ``n_iter_no_change`` epochs after its candidate's
    best and rewound to it (``halving_factor=1``; with ``halving_factor=None``
    the kept fold models that ran longer than their chosen epochs are fitted
    again up to them: those of the best candidate, of every candidate with
    another ``scoring`` or ``ensemble='greedy'``); no refit on all the data
    unless ``refit=True`` (then one fit per candidate the ensemble uses).
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
    >>> from sklearn.datasets import load_wine
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdropout import DropoutMLPClassifierCV
    >>> X, y = load_wine(return_X_y=True)
    >>> clf = make_pipeline(
    ...     StandardScaler(),
    ...     DropoutMLPClassifierCV(
    ...         hidden_layer_sizes=(32,), dropouts=[0.0, 0.3], cv=3, max_iter=20,
    ...         random_state=0,
    ...     ),
    ... ).fit(X, y)
    >>> search = clf[-1]
    >>> len(search.estimators_), search.cv_results_["mean_test_score"].shape
    (3, (4,))
    >>> sorted(search.best_params_)
    ['dropout', 'max_iter', 'weight_decay']
    >>> 1 <= search.max_iter_ <= 20
    True
    """

    _plain = DropoutMLPClassifier
    _parameter_constraints: dict = search_constraints(DropoutMLPClassifier)

    def __init__(
        self,
        hidden_layer_sizes=(256,),
        activation="relu",
        *,
        dropouts=(0.0, 0.3),
        weight_decays=(0.0, 1.0),
        alphas=None,
        preprocessing="auto",
        cv=5,
        scoring="loss",
        refit=False,
        ensemble="greedy",
        n_jobs=None,
        halving_factor=1,
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
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=True,
        validation_fraction=0.2,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=20,
        max_fun=15000,
        learning_rate_warmup=0.0,
        dropout_schedule="flat_cosine",
        schedule_epochs=None,
        early_stopping_metric="loss",
        class_weight=None,
        label_smoothing=0.0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropouts = dropouts
        self.weight_decays = weight_decays
        self.alphas = alphas
        self.preprocessing = preprocessing
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
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def _set_output_space(self, y):
        _check_targets(y, "y")
        self._multilabel = type_of_target(y).startswith("multilabel")
        self.classes_ = np.arange(y.shape[1]) if self._multilabel else unique_labels(y)

    def _scored_classes(self):
        return None if self._multilabel else self.classes_

    def _validation_rows(self, y, train, test):
        # A search fit validates on the held-out rows of the classes it
        # trains on: a class its training part lacks has probability 0 at
        # every epoch, so its rows do not change which epoch is best (the
        # fold's curve counts with the share of the rows it has).
        if self._multilabel:
            return test
        return test[np.isin(y[test], y[train])]

    def _align(self, model, output, fill=0.0):
        if self._multilabel:
            return output
        return align_columns(output, model.classes_, self.classes_, fill)

    def _oof_loss(self, y, proba, sample_weight=None):
        if self._multilabel:
            return LOSSES["binary_log_loss"](y, proba, sample_weight)
        return class_log_loss(y, proba, self.classes_, sample_weight)

    def predict_proba(self, X):
        """The average of the members' probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of ``classes_``.
        """
        return self._averaged_output(X)

    def predict_log_proba(self, X):
        """The log of :meth:`predict_proba`, computed stably from the members'
        log-probabilities (the log-sum-exp of their weighted mixture).

        Unlike ``np.log(predict_proba(X))`` it stays finite where a probability
        rounds to 0; it is ``-inf`` only for a class that no member with a
        positive weight was trained on.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            The log-probability of each class, in the order of ``classes_``.
        """
        X = self._validate_X(X)
        total = None
        for weight, member in zip(self.ensemble_weights_, self.estimators_):
            if weight == 0:
                continue
            log_proba = self._align(member, member.predict_log_proba(X), -np.inf)
            term = log_proba.dtype.type(np.log(weight)) + log_proba
            total = term if total is None else np.logaddexp(total, term)
        return total

    def predict(self, X):
        """The class of highest averaged probability (for multilabel targets,
        each label whose averaged probability exceeds 0.5).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            The predicted classes.
        """
        proba = self.predict_proba(X)
        if self._multilabel:
            return (proba > 0.5).astype(int)
        return self.classes_[np.argmax(proba, axis=1)]
