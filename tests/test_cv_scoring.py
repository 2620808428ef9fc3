"""How the CV estimators score their fold models with a scikit-learn scorer:
every class counted where a held-out part lacks one, and the sample weights
routed as metadata routing says (as LogisticRegressionCV routes them)."""

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from packaging.version import Version
from sklearn.datasets import make_classification
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.metrics import accuracy_score, get_scorer, log_loss
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold

from skdropout import DropoutMLPClassifierCV, DropoutMLPRegressorCV
from skdropout._cv_scoring import FoldScorer, align_columns

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    # The rare class is the point: fewer rows than folds.
    pytest.mark.filterwarnings("ignore:The least populated class:UserWarning"),
]

SMALL = dict(hidden_layer_sizes=(8,), max_iter=8, batch_size=32, random_state=0)
#: The best candidate's fold models are the members, in the order of the folds.
BEST = dict(ensemble="best", refit=False)


def _rare_class(rows=(0, 45)):
    """90 rows of classes 0 and 1, but ``rows``, of class 2."""
    X, y = make_classification(n_samples=90, n_features=5, n_informative=3,
                               random_state=0)  # fmt: skip
    y = y.copy()
    y[list(rows)] = 2
    return X, y


def _fold_scores(search, splits, score):
    """The best candidate's split scores as ``score(member, test)`` gives them."""
    return [score(m, test) for m, (_, test) in zip(search.estimators_, splits)]


def _split_scores(search):
    i = search.best_index_
    n = search.n_splits_
    return [search.cv_results_[f"split{k}_test_score"][i] for k in range(n)]


def test_held_out_part_without_a_class_is_scored_over_all_classes():
    """With scoring='neg_log_loss', a held-out part that lacks a class (whose
    log_loss alone would refuse: 2 classes against 3 columns) is scored with
    every class, as LogisticRegressionCV scores it."""
    X, y = _rare_class()
    splits = list(StratifiedKFold(3).split(X, y))
    assert any(2 not in y[test] for _, test in splits)
    search = DropoutMLPClassifierCV(
        **SMALL, **BEST, scoring="neg_log_loss", cv=splits
    ).fit(X, y)

    def score(member, test):
        proba = member.predict_proba(X[test])
        return -log_loss(y[test], proba, labels=search.classes_)

    assert_allclose(_split_scores(search), _fold_scores(search, splits, score))


def _brier(y, proba, labels):
    """The multiclass Brier score, as scikit-learn's neg_brier_score."""
    Y = np.asarray(y)[:, None] == labels
    return np.mean(np.sum((proba - Y) ** 2, axis=1))


#: scikit-learn < 1.7's Brier score takes binary targets only.
_MULTICLASS_BRIER = Version(sklearn.__version__) >= Version("1.7")


@pytest.mark.parametrize(
    "scoring, metric",
    [
        ("neg_log_loss", log_loss),
        pytest.param(
            "neg_brier_score",
            _brier,
            marks=pytest.mark.skipif(
                not _MULTICLASS_BRIER,
                reason="scikit-learn < 1.7 has no multiclass Brier score",
            ),
        ),
    ],
)
def test_fold_model_without_a_class_is_scored_with_a_zero_column(scoring, metric):
    """A fold model whose training part lacked a class (both its rows held
    out) is scored as its out-of-fold predictions are: probability 0 for
    that class, which the log-loss and the Brier score count."""
    X, y = _rare_class(rows=(0, 10))
    splits = list(KFold(3).split(X, y))
    lacking = [k for k, (train, _) in enumerate(splits) if 2 not in y[train]]
    assert lacking == [0]  # both rows are held out together
    search = DropoutMLPClassifierCV(**SMALL, **BEST, scoring=scoring, cv=splits)
    search.fit(X, y)
    assert_array_equal(search.estimators_[0].classes_, [0, 1])

    def score(member, test):
        proba = member.predict_proba(X[test])
        proba = align_columns(proba, member.classes_, search.classes_)
        return -metric(y[test], proba, labels=search.classes_)

    assert_allclose(_split_scores(search), _fold_scores(search, splits, score))


def test_scorer_of_labels_keeps_its_own_averages():
    """A scorer of predicted labels (f1_macro) is not given every class: its
    macro average counts the classes present, as GridSearchCV's does."""
    from sklearn.metrics import f1_score

    X, y = _rare_class()
    splits = list(StratifiedKFold(3).split(X, y))
    search = DropoutMLPClassifierCV(**SMALL, **BEST, scoring="f1_macro", cv=splits).fit(
        X, y
    )

    def score(member, test):
        return f1_score(y[test], member.predict(X[test]), average="macro")

    assert_allclose(_split_scores(search), _fold_scores(search, splits, score))
    # The rule itself: labels for metrics of probabilities, not of labels.
    classes = np.array([0, 1, 2])
    f1 = get_scorer("f1_macro")
    assert FoldScorer(f1, classes=classes).scorer is f1
    given = FoldScorer(get_scorer("neg_log_loss"), classes=classes).scorer
    assert_array_equal(given._kwargs["labels"], classes)


def _weighted_accuracy(X, y, weights):
    def score(member, test):
        w = None if weights is None else weights[test]
        return accuracy_score(y[test], member.predict(X[test]), sample_weight=w)

    return score


@pytest.mark.parametrize("request_weights", [True, False])
def test_scorer_request_says_whether_scores_are_weighted(request_weights):
    """With metadata routing on, the scorer gets the sample weights when it
    requests them and not when it refuses them; the fold models train with
    them either way."""
    X, y = _rare_class()
    y = np.minimum(y, 1)
    weights = np.random.RandomState(0).uniform(0.1, 3.0, len(y))
    splits = list(StratifiedKFold(3).split(X, y))
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = get_scorer("accuracy")
        scorer = scorer.set_score_request(sample_weight=request_weights)
        search = DropoutMLPClassifierCV(**SMALL, **BEST, scoring=scorer, cv=splits).fit(
            X, y, sample_weight=weights
        )
    expected = _weighted_accuracy(X, y, weights if request_weights else None)
    assert_allclose(_split_scores(search), _fold_scores(search, splits, expected))
    # The same fold models as without routing, where the scorer is weighted.
    plain = DropoutMLPClassifierCV(**SMALL, **BEST, scoring="accuracy", cv=splits)
    plain.fit(X, y, sample_weight=weights)
    for ours, theirs in zip(search.estimators_, plain.estimators_):
        assert_array_equal(ours.coefs_[0], theirs.coefs_[0])
    weighted = _weighted_accuracy(X, y, weights)
    assert_allclose(_split_scores(plain), _fold_scores(plain, splits, weighted))


def test_unset_scorer_request_is_treated_as_logistic_regression_cv_treats_it():
    """With routing on, sample weights and a scorer that has not said whether
    it takes them: scikit-learn's UnsetMetadataPassedError where the installed
    scikit-learn's scorers list sample_weight in their request (as then
    LogisticRegressionCV raises it), else no error, as there. The default
    scoring, the estimator's own loss, always weighs and needs no request."""
    X, y = _rare_class()
    weights = np.ones(len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        refused = "sample_weight" in repr(get_scorer("accuracy").get_metadata_routing())
        search = DropoutMLPClassifierCV(**SMALL, scoring="accuracy", cv=3)
        if refused:
            with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
                search.fit(X, y, sample_weight=weights)
        else:
            search.fit(X, y, sample_weight=weights)
        DropoutMLPClassifierCV(**SMALL, cv=3).fit(X, y, sample_weight=weights)


@pytest.mark.parametrize("CV", [DropoutMLPClassifierCV, DropoutMLPRegressorCV])
def test_routing_lists_the_scorer_and_the_splitter(CV):
    """get_metadata_routing routes fit's groups to the splitter and its sample
    weights to a scorer of ``scoring``; with routing on, groups reach a group
    splitter as they do with it off."""
    scoring = "accuracy" if CV is DropoutMLPClassifierCV else "r2"
    routing = repr(CV(scoring=scoring, cv=GroupKFold(3)).get_metadata_routing())
    assert "'splitter'" in routing and "'groups': True" in routing
    assert "'scorer'" in routing
    assert "'scorer'" not in repr(CV().get_metadata_routing())

    X, y = _rare_class()
    groups = np.arange(len(y)) % 9
    search = CV(**SMALL, cv=GroupKFold(3))
    without = search.fit(X, y, groups=groups).oof_predictions_
    with sklearn.config_context(enable_metadata_routing=True):
        routed = search.fit(X, y, groups=groups).oof_predictions_
    assert_array_equal(routed, without)
