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
from skdropout._solvers import OPTIMIZER_PARAMETERS

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
