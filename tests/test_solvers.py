"""The estimators' side of training (_solvers): optimizers built from the
registry, the stopping policy chosen from the parameters, and the History
assigned to the fitted attributes in one place."""

import inspect

import numpy as np
import pytest
from sklearn.datasets import make_classification

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor
from skdropout._engine import History
from skdropout._optimizers import OPTIMIZERS
from skdropout._solvers import OPTIMIZER_PARAMETERS, EpochRun

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_every_optimizer_has_its_parameters_mapped():
    """Each registered optimizer maps every constructor argument (beyond size
    and dtype) to an estimator parameter, and no mapping is left over."""
    assert set(OPTIMIZER_PARAMETERS) == set(OPTIMIZERS)
    estimator_params = set(DropoutMLPClassifier().get_params())
    for name, cls in OPTIMIZERS.items():
        arguments = list(inspect.signature(cls).parameters)[2:]
        assert set(OPTIMIZER_PARAMETERS[name]) == set(arguments), name
        assert set(OPTIMIZER_PARAMETERS[name].values()) <= estimator_params, name


@pytest.mark.parametrize("solver", sorted(OPTIMIZERS))
def test_optimizer_is_built_from_the_registry(solver):
    """The fitted optimizer is the registry's class, with the estimator's
    parameters."""
    X, y = make_classification(n_samples=40, random_state=0)
    clf = DropoutMLPClassifier(
        (4,), solver=solver, learning_rate_init=0.05, max_iter=2, random_state=0
    ).fit(X, y)
    assert type(clf._optimizer) is OPTIMIZERS[solver]
    assert clf._optimizer.learning_rate_init == 0.05


@pytest.mark.parametrize(
    "params, watch, window",
    [
        ({"early_stopping": True}, "validation", 10),
        ({"dropout": 0.0}, "training", None),
        ({"dropout": 0.2, "n_iter_no_change": 4}, "training", 4),
        ({"dropout": 0.2, "n_iter_no_change": np.inf}, "training", None),
        ({"dropout": 0.0, "input_dropout": 0.1, "n_iter_no_change": 3}, "training", 3),
    ],
)
def test_stopping_policy_from_the_parameters(params, watch, window):
    """Early stopping watches validation; otherwise the training loss, through
    a window of n_iter_no_change epochs when training is noisy."""
    est = DropoutMLPRegressor(**params)
    rates = (est.dropout,) if np.ndim(est.dropout) == 0 else tuple(est.dropout)
    est._noise_spec = (rates, est.input_dropout, est.dropout_noise)
    stopping = est._stopping()
    assert (stopping.watch, stopping.window) == (watch, window)
    assert stopping.tol == est.tol and stopping.metric == est.early_stopping_metric


@pytest.mark.parametrize("early_stopping", [False, True])
def test_history_round_trips_through_the_fitted_attributes(early_stopping):
    """The History built from a fitted model's attributes, assigned back,
    leaves every one of them as it was."""
    X, y = make_classification(n_samples=60, random_state=0)
    clf = DropoutMLPClassifier(
        (4,), early_stopping=early_stopping, max_iter=5, random_state=0
    ).fit(X, y)
    names = ["loss_curve_", "validation_scores_", "validation_loss_curve_",
             "best_validation_score_", "best_loss_", "_no_improvement_count",
             "t_", "loss_"]  # fmt: skip
    before = {name: getattr(clf, name) for name in names}
    history = clf._history()
    assert isinstance(history, History) and history.loss is clf.loss_curve_
    history.n_iter = clf.n_iter_
    clf._assign_history(history)
    for name in names:
        np.testing.assert_array_equal(getattr(clf, name), before[name], err_msg=name)


def _epoch_run(Estimator, X, y, **params):
    """A fit opened with _begin_fit and its EpochRun, the caller running the
    epochs."""
    est = Estimator(**params)
    fitting = est._begin_fit(X, y, None, incremental=False, X_val=X[:20], y_val=y[:20])
    return est, fitting, EpochRun(est, fitting)


RUN_PARAMS = dict(
    hidden_layer_sizes=(8,), dropout=0.2, learning_rate="cosine",
    dropout_schedule="flat_cosine", learning_rate_init=0.01, batch_size=16,
    n_iter_no_change=np.inf, max_iter=9, random_state=0,
)  # fmt: skip


@pytest.mark.parametrize("Estimator", [DropoutMLPClassifier, DropoutMLPRegressor])
def test_epochs_run_one_at_a_time_equal_one_run(Estimator):
    """An EpochRun advanced one epoch per call ends with the weights and the
    History of a fit that runs them in one call (the CV search's lockstep)."""
    X, y = make_classification(n_samples=80, random_state=0)
    full = Estimator(**RUN_PARAMS).fit(X, y, X_val=X[:20], y_val=y[:20])
    est, fitting, run = _epoch_run(Estimator, X, y, **RUN_PARAMS)
    for _ in range(RUN_PARAMS["max_iter"]):
        run.run(1)
    est._assign_history(run.history)
    est._end_fit(fitting)
    assert est.loss_curve_ == full.loss_curve_
    assert est.validation_loss_curve_ == full.validation_loss_curve_
    assert est.n_iter_ == full.n_iter_ == RUN_PARAMS["max_iter"]
    for a, b in zip(est.coefs_ + est.intercepts_, full.coefs_ + full.intercepts_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("solver", sorted(OPTIMIZERS))
def test_restoring_a_snapshot_gives_the_model_of_that_epoch(solver):
    """A snapshot taken after epoch e and restored after more epochs gives, bit
    for bit, the model of a fit of e epochs along the same schedules, and
    training on from it repeats the same later epochs."""
    X, y = make_classification(n_samples=80, random_state=1)
    # Room for the epochs run again in the callback task's count of subtasks.
    params = {**RUN_PARAMS, "solver": solver, "max_iter": 20, "schedule_epochs": 9}
    est, fitting, run = _epoch_run(DropoutMLPClassifier, X, y, **params)
    run.run(4)
    kept = run.snapshot()
    later = run.run(3).loss[-3:]
    run.restore(kept)
    assert run.history.n_iter == 4 and len(run.history.loss) == 4
    est._assign_history(run.history)
    short = DropoutMLPClassifier(**{**params, "max_iter": 4, "schedule_epochs": 9})
    short.fit(X, y, X_val=X[:20], y_val=y[:20])
    assert est.loss_curve_ == short.loss_curve_
    for a, b in zip(est.coefs_, short.coefs_):
        np.testing.assert_array_equal(a, b)
    assert run.run(3).loss[-3:] == later
