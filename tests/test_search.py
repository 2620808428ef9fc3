"""The lockstep search of epochs (_search): fold runs advanced together, the
epochs chosen on their mean held-out curve, the fold models brought back to it,
successive halving over epochs."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification
from sklearn.model_selection import StratifiedKFold

from skdropout import DropoutMLPClassifier
from skdropout._search import Halving, search_epochs
from skdropout._solvers import EpochRun

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

PARAMS = dict(
    hidden_layer_sizes=(8,), batch_size=16, learning_rate_init=0.02,
    learning_rate="cosine", early_stopping=False, n_iter_no_change=np.inf,
    max_iter=30, random_state=0,
)  # fmt: skip


def _data():
    return make_classification(n_samples=120, n_features=6, random_state=0)


def _folds(X, y):
    return list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))


def _runs(X, y, folds, dropouts):
    """Per candidate (a drop rate), a fit opened on each fold with its held-out
    part as validation data; returns the runs and their (estimator, fitting)."""
    candidates, opened = [], []
    for dropout in dropouts:
        runs, fits = [], []
        for train, test in folds:
            est = DropoutMLPClassifier(**PARAMS, dropout=dropout)
            fitting = est._begin_fit(
                X[train], y[train], None, incremental=False,
                X_val=X[test], y_val=y[test],
            )  # fmt: skip
            runs.append(EpochRun(est, fitting))
            fits.append((est, fitting))
        candidates.append(runs)
        opened.append(fits)
    return candidates, opened


def _held_out_losses(X, y, folds, dropout, epochs):
    """Each fold's held-out loss curve, from plain fits of ``epochs`` epochs."""
    curves = []
    for train, test in folds:
        params = {**PARAMS, "max_iter": epochs, "schedule_epochs": PARAMS["max_iter"]}
        est = DropoutMLPClassifier(**params, dropout=dropout)
        est.fit(X[train], y[train], X_val=X[test], y_val=y[test])
        curves.append(est.validation_loss_curve_)
    return np.mean(curves, axis=0)


def test_epochs_are_chosen_on_the_mean_curve_and_the_models_rewound():
    """The chosen epoch is the lowest mean held-out loss of the epochs run;
    the candidate stops n_iter_no_change epochs after it; each fold model is,
    bit for bit, a plain fit of that many epochs of the same schedules."""
    X, y = _data()
    folds = _folds(X, y)
    candidates, opened = _runs(X, y, folds, [0.2])
    (result,) = search_epochs(
        candidates, max_epochs=30, metric="loss", tol=0.0, n_iter_no_change=3
    )
    expected = _held_out_losses(X, y, folds, 0.2, result.ran)
    np.testing.assert_allclose(result.curve, expected, rtol=1e-12)
    assert result.best_epoch == int(np.argmin(expected)) + 1
    assert result.stopped == "patience" and result.ran < 30
    assert result.ran == result.best_epoch + 3 + 1
    for (est, fitting), run, (train, _) in zip(opened[0], candidates[0], folds):
        assert run.history.n_iter == result.best_epoch
        est._assign_history(run.history)
        est._end_fit(fitting)
        plain = DropoutMLPClassifier(
            **{**PARAMS, "max_iter": result.best_epoch, "schedule_epochs": 30},
            dropout=0.2,
        ).fit(X[train], y[train])
        for a, b in zip(est.coefs_ + est.intercepts_, plain.coefs_ + plain.intercepts_):
            assert_array_equal(a, b)


def test_halving_keeps_the_best_part_at_each_rung():
    """At each rung the candidates still running are ranked by their best mean
    figure; the best ceil(n / factor) go on, the others stop at the rung."""
    X, y = _data()
    dropouts = [0.0, 0.1, 0.3, 0.6]
    candidates, _ = _runs(X, y, _folds(X, y), dropouts)
    halving = Halving(min_epochs=2, factor=2)
    assert halving.rungs(30) == [2, 4, 8, 16]
    results = search_epochs(candidates, max_epochs=30, halving=halving)
    dropped = [r for r in results if r.stopped == "halving"]
    assert len(dropped) == 3
    assert sorted(r.ran for r in dropped) == [2, 2, 4]
    survivor = next(r for r in results if r.stopped != "halving")
    assert survivor.ran > 4
    # Each drop kept the candidates whose best so far was the lowest loss.
    at_two = [min(r.curve[:2]) for r in results]
    kept = [i for i, r in enumerate(results) if r.ran > 2]
    assert sorted(kept) == sorted(np.argsort(at_two, kind="stable")[:2].tolist())


def test_threads_give_the_sequential_result():
    """Candidates trained in parallel threads give the same curves and models."""
    X, y = _data()
    folds = _folds(X, y)
    a, _ = _runs(X, y, folds, [0.0, 0.3])
    b, _ = _runs(X, y, folds, [0.0, 0.3])
    halving = Halving(min_epochs=3)
    first = search_epochs(a, max_epochs=12, halving=halving)
    second = search_epochs(b, max_epochs=12, halving=halving, n_jobs=2)
    assert [r.curve for r in first] == [r.curve for r in second]
    for runs_a, runs_b in zip(a, b):
        for ra, rb in zip(runs_a, runs_b):
            assert_array_equal(ra.trainer.params, rb.trainer.params)


@pytest.mark.parametrize("backend", ["loky", "multiprocessing"])
def test_a_process_backend_set_by_the_user_still_trains_in_threads(backend):
    """The search trains its states in place, so it runs in threads whatever
    joblib backend is set: under a process backend (or dask's) it trained
    copies in other processes and kept untrained fold models."""
    from joblib import parallel_config

    X, y = _data()
    folds = _folds(X, y)
    a, _ = _runs(X, y, folds, [0.0, 0.3])
    b, _ = _runs(X, y, folds, [0.0, 0.3])
    first = search_epochs(a, max_epochs=6, halving=None, n_jobs=2)
    with parallel_config(backend=backend):
        second = search_epochs(b, max_epochs=6, halving=None, n_jobs=2)
    assert [r.curve for r in first] == [r.curve for r in second]
    for runs_a, runs_b in zip(a, b):
        for ra, rb in zip(runs_a, runs_b):
            assert_array_equal(ra.trainer.params, rb.trainer.params)
