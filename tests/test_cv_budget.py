"""The CV estimators' step budget (``max_steps``): the plan of a fit on n rows,
exact per case, and the fits that follow it (search fits, kept fold models,
refits), with and without epochs chosen on the held-out folds."""

import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import StandardScaler

from skdropout import (
    DropoutMLPClassifier,
    DropoutMLPClassifierCV,
    DropoutMLPRegressor,
    DropoutMLPRegressorCV,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = dict(hidden_layer_sizes=(8,), batch_size=32, random_state=0)


def _regression(n_samples=120):
    X, y = make_regression(n_samples=n_samples, n_features=5, noise=5.0,
                           random_state=0)  # fmt: skip
    return StandardScaler().fit_transform(X), y / y.std()


def _classification(n_samples=120):
    X, y = make_classification(n_samples=n_samples, n_features=5, n_informative=3,
                               n_classes=3, random_state=0)  # fmt: skip
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize(
    "params, n_rows, plan",
    [
        # 90 rows in batches of 32: 3 steps an epoch.
        (dict(batch_size=32, max_iter=8, max_steps=12), 90, (4, None)),
        (dict(batch_size=32, max_iter=8, max_steps=13), 90, (4, None)),
        (dict(batch_size=32, max_iter=8, max_steps=24), 90, (8, None)),
        (dict(batch_size=32, max_iter=8, max_steps=10**9), 90, (8, None)),
        # At least one epoch, however small the budget.
        (dict(batch_size=32, max_iter=8, max_steps=1), 90, (1, None)),
        # A batch above the rows is one step an epoch (the fit clips it).
        (dict(batch_size=500, max_iter=8, max_steps=5), 90, (5, None)),
        # 'auto' is min(200, rows): 450 rows take 3 steps.
        (dict(batch_size="auto", max_iter=8, max_steps=6), 450, (2, None)),
        # A schedule set apart from max_iter shrinks in proportion ...
        (
            dict(batch_size=32, max_iter=8, max_steps=12, schedule_epochs=16),
            90,
            (4, 8),
        ),  # fmt: skip
        # ... and is left as it is where the budget does not bind.
        (
            dict(batch_size=32, max_iter=8, max_steps=24, schedule_epochs=16),
            90,
            (8, 16),
        ),  # fmt: skip
        # 'auto': the steps of max_iter epochs of 10,000 rows (157 steps of 64),
        # so nothing changes up to 10,000 rows, and above it the epochs shrink.
        (dict(batch_size=64, max_iter=100, max_steps="auto"), 6_667, (100, None)),
        (dict(batch_size=64, max_iter=100, max_steps="auto"), 10_000, (100, None)),
        (dict(batch_size=64, max_iter=100, max_steps="auto"), 10_050, (99, None)),
        (dict(batch_size=64, max_iter=100, max_steps="auto"), 40_000, (25, None)),
        (dict(batch_size=64, max_iter=200, max_steps="auto"), 10_000, (200, None)),
        # ... with batch_size='auto' (200 rows at 10,000): 50 steps an epoch.
        (dict(batch_size="auto", max_iter=10, max_steps="auto"), 20_000, (5, None)),
        # No budget; no rows (the plan without the budget); L-BFGS has no epochs.
        (dict(batch_size=32, max_iter=8, max_steps=None), 90, (8, None)),
        (dict(batch_size=32, max_iter=8, max_steps=12), None, (8, None)),
        (
            dict(batch_size=32, max_iter=8, max_steps=12, solver="lbfgs"),
            90,
            (8, None),
        ),  # fmt: skip
    ],
)
@pytest.mark.parametrize("CV", [DropoutMLPClassifierCV, DropoutMLPRegressorCV])
def test_plan(CV, params, n_rows, plan):
    """max_iter and schedule_epochs of a fit on n_rows, case by case."""
    assert CV(**params)._plan(n_rows) == plan


def _steps(rows, batch_size):
    return -(-rows // min(batch_size, rows))


@pytest.mark.parametrize(
    "CV, make_data, Splitter",
    [
        (DropoutMLPClassifierCV, _classification, StratifiedKFold),
        (DropoutMLPRegressorCV, _regression, KFold),
    ],
)
def test_every_fit_keeps_to_the_budget(CV, make_data, Splitter):
    """Without early stopping, every search fit runs the plan of the largest
    training part and every refit the plan of all the rows: the most whole
    epochs within max_steps."""
    X, y = make_data()
    folds = list(Splitter(3).split(X, y))
    search = CV(**SMALL, max_iter=30, max_steps=40, cv=folds, refit=True,
                early_stopping=False, dropouts=[0.0, 0.3],
                weight_decays=[0.0]).fit(X, y)  # fmt: skip
    fold_rows = max(len(train) for train, _ in folds)  # 80 rows: 3 steps
    fold_epochs = 40 // _steps(fold_rows, 32)
    assert fold_epochs < 30
    assert_array_equal(search.n_iter_, fold_epochs)
    assert search.max_iter_ == fold_epochs
    refit_epochs = 40 // _steps(len(y), 32)  # 120 rows: 4 steps, 10 epochs
    for member in search.estimators_:
        assert member.n_iter_ == refit_epochs
        assert member.n_iter_ * _steps(len(y), 32) <= 40


@pytest.mark.parametrize(
    "CV, Plain, make_data",
    [
        (DropoutMLPClassifierCV, DropoutMLPClassifier, _classification),
        (DropoutMLPRegressorCV, DropoutMLPRegressor, _regression),
    ],
)
def test_refit_is_the_plain_fit_of_its_plan(CV, Plain, make_data):
    """GridSearchCV's refit, within the budget: the best candidate fitted on
    all the rows for the epochs of its plan, with the schedules spanning
    them, gives the same weights bit for bit."""
    X, y = make_data()
    search = CV(**SMALL, max_iter=30, max_steps=40, cv=3, refit=True,
                ensemble="best", early_stopping=False, dropouts=[0.0, 0.3],
                weight_decays=[0.0]).fit(X, y)  # fmt: skip
    params = {**search._plain_params(), **search.best_params_, "max_iter": 10}
    if hasattr(search, "target_scale_"):  # the regressor's members learn y so
        y = (y - search.target_offset_) / search.target_scale_
    expected = Plain(**params).fit(X, y)
    assert search.best_estimator_.n_iter_ == 10
    for a, b in zip(search.best_estimator_.coefs_, expected.coefs_):
        assert_array_equal(a, b)


@pytest.mark.parametrize("CV, make_data", [
    (DropoutMLPClassifierCV, _classification),
    (DropoutMLPRegressorCV, _regression),
])  # fmt: skip
@pytest.mark.parametrize("halving_factor", [None, 1])
def test_a_budget_that_does_not_bind_changes_nothing(CV, make_data, halving_factor):
    """A budget above every fit's steps gives the same models as None."""
    X, y = make_data()
    common = dict(**SMALL, max_iter=6, cv=3, early_stopping=True,
                  halving_factor=halving_factor, dropouts=[0.0, 0.3],
                  weight_decays=[0.0])  # fmt: skip
    free = CV(**common).fit(X, y)
    budget = CV(**common, max_steps=6 * 4).fit(X, y)  # 120 rows: 4 steps
    assert_array_equal(free.n_iter_, budget.n_iter_)
    assert_array_equal(
        free.cv_results_["mean_test_score"], budget.cv_results_["mean_test_score"]
    )
    for a, b in zip(free.estimators_, budget.estimators_):
        for wa, wb in zip(a.coefs_, b.coefs_):
            assert_array_equal(wa, wb)


@pytest.mark.parametrize("halving_factor", [None, 1])
def test_chosen_epochs_stay_within_the_plan(halving_factor):
    """With epochs chosen on the held-out folds, the search fits stop at the
    plan's epochs at the latest; the kept fold models' schedules span the
    plan; a refit runs the same share of its own plan."""
    X, y = _classification()
    # A learning rate that overfits early, so that the chosen epochs are
    # fewer than the plan's.
    search = DropoutMLPClassifierCV(
        **{**SMALL, "hidden_layer_sizes": (32,)}, learning_rate_init=0.05,
        max_iter=40, max_steps=60, cv=3, early_stopping=True,
        n_iter_no_change=100, halving_factor=halving_factor, refit=True,
        dropouts=[0.0], weight_decays=[0.0],
    ).fit(X, y)  # fmt: skip
    fold_epochs = 60 // 3  # training parts of 80 rows: 3 steps an epoch
    assert search.n_iter_.max() == fold_epochs
    chosen = search.best_params_["max_iter"]
    assert chosen < fold_epochs
    refit_epochs = 60 // 4  # all 120 rows: 4 steps an epoch
    (member,) = search.estimators_
    assert member.schedule_epochs == refit_epochs
    assert member.n_iter_ == max(1, round(chosen / fold_epochs * refit_epochs))
