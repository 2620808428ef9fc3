"""How the CV estimators score a fold model on its held-out part: the default
scoring (the estimator's own loss), a scikit-learn scorer as the search calls
it, and the class probabilities of a fold model over all the classes."""

# SPDX-License-Identifier: BSD-3-Clause

import inspect
import time
from numbers import Real
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import make_scorer

from skdropout._losses import LOSSES


class Scored(NamedTuple):
    """A fold model on its held-out part: its score, its outputs (the
    out-of-fold predictions) and the seconds they took."""

    score: float | None
    predictions: np.ndarray | None
    seconds: float


#: A fit not scored (it waits for its epochs to be chosen, or is a refit).
UNSCORED = Scored(None, None, 0.0)


def score_member(estimator, X, y, *, sample_weight, test, scorer):
    """A fold model's score (a number, as GridSearchCV requires) and outputs
    on its held-out part, timed (``Scored``)."""
    start = time.perf_counter()
    X_test = X[test]
    if sample_weight is None:
        score = scorer(estimator, X_test, y[test])
    else:
        score = scorer(estimator, X_test, y[test], sample_weight=sample_weight[test])
    if hasattr(score, "item"):  # a NumPy scalar or 0-d array
        try:
            score = score.item()
        except ValueError:
            pass
    if not isinstance(score, Real):
        raise ValueError(  # scikit-learn's words
            f"scoring must return a number, got {score!r} ({type(score)}) "
            f"instead. (scorer={scorer!r})"
        )
    predictions = estimator._ensemble_output(X_test)
    return Scored(score, predictions, time.perf_counter() - start)


def align_columns(proba, model_classes, classes, fill=0.0):
    """A fold model's class probabilities over all the ``classes``: the column
    of a class that its training part lacked is ``fill`` (0; ``-inf`` for
    log-probabilities)."""
    if np.array_equal(model_classes, classes):
        return proba
    full = np.full((proba.shape[0], len(classes)), fill, dtype=proba.dtype)
    full[:, np.searchsorted(classes, model_classes)] = proba
    return full


def class_log_loss(y, proba, classes, sample_weight=None):
    """The log-loss of probabilities over ``classes`` for the labels ``y``."""
    Y = (np.asarray(y).reshape(-1, 1) == classes).astype(float)
    return LOSSES["log_loss"](Y, proba, sample_weight)


class LossScorer:
    """The default scoring: minus the estimator's own loss on held-out data (the
    log-loss, the squared error or the Poisson deviance, as its training loss
    without the L2 term). With ``classes`` (single-output classification), a
    fold model that lacks some of them is scored over all of them, as its
    out-of-fold predictions are: a class it never saw has probability 0 (the
    loss clips it), where its own loss would not count that class's rows."""

    def __init__(self, classes=None):
        self.classes = classes

    def __call__(self, estimator, X, y, sample_weight=None):
        if self.classes is None or np.array_equal(estimator.classes_, self.classes):
            return -estimator._held_out_loss(X, y, sample_weight)
        proba = estimator.predict_proba(X)
        proba = align_columns(proba, estimator.classes_, self.classes)
        return -class_log_loss(y, proba, self.classes, sample_weight)


class FoldScorer:
    """A scikit-learn scorer (any ``scoring`` but 'loss') as the search calls
    it on a fold model's held-out part.

    With ``classes`` (single-output classification) every fold model is
    scored over all of them, as its out-of-fold predictions are: a metric of
    probabilities or thresholds that takes ``labels`` (the log-loss, the Brier
    score, ROC AUC, top-k accuracy) is given them, as LogisticRegressionCV
    gives them, since a held-out part may lack a class; and a fold model whose
    training part lacked one is seen with a column of zeros for it. With
    ``weighted=False`` (metadata routing, where the scorer does not request
    them) the sample weights are not passed on."""

    def __init__(self, scorer, *, classes=None, weighted=True):
        self.scorer = scorer
        self.classes = classes
        self.weighted = weighted
        if classes is not None:
            self.scorer = _given_labels(scorer, classes)

    def __call__(self, estimator, X, y, sample_weight=None):
        if (
            self.classes is not None
            and hasattr(self.scorer, "_score_func")  # not a user's function
            and not np.array_equal(estimator.classes_, self.classes)
        ):
            estimator = AllClasses(estimator, self.classes)
        if self.weighted and sample_weight is not None:
            return self.scorer(estimator, X, y, sample_weight=sample_weight)
        return self.scorer(estimator, X, y)

    def __repr__(self):
        return repr(self.scorer)


def _given_labels(scorer, classes):
    """``scorer`` with ``labels=classes`` where it scores probabilities or
    thresholds with a metric that takes them (and the user did not set them);
    a scorer of predicted labels, whose metric needs no column of a class
    absent from the held-out part, is left as it is (its macro averages keep
    counting the classes present, as GridSearchCV's do)."""
    score_func = getattr(scorer, "_score_func", None)
    response = getattr(scorer, "_response_method", "predict")
    if score_func is None or response == "predict":
        return scorer
    if "labels" not in inspect.signature(score_func).parameters:
        return scorer
    return make_scorer(
        score_func,
        greater_is_better=scorer._sign > 0,
        response_method=response,
        **{"labels": classes, **scorer._kwargs},
    )


class AllClasses(ClassifierMixin, BaseEstimator):
    """A fold ``model`` seen by a scorer over all the ``classes``: its
    probabilities get a column of zeros for a class its training part lacked
    (its log-probabilities, one of ``-inf``)."""

    def __init__(self, model, classes):
        self.model = model
        self.classes = classes

    @property
    def classes_(self):
        return self.classes

    def predict(self, X):
        return self.model.predict(X)

    def predict_proba(self, X):
        proba = self.model.predict_proba(X)
        return align_columns(proba, self.model.classes_, self.classes)

    def predict_log_proba(self, X):
        log_proba = self.model.predict_log_proba(X)
        return align_columns(log_proba, self.model.classes_, self.classes, -np.inf)
