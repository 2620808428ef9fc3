"""The engine's epoch loop (run_epochs), its stopping policy (Stopping) and what
it records (History), on made-up epochs: no network needed."""

import numpy as np
import pytest

from skdropout._engine import History, Stopping, StoppingRule, run_epochs
from skdropout._optimizers import SGD


def _epochs(losses, rows=10):
    """A train_epoch that returns the given losses in turn, and the calls."""
    calls = []

    def train_epoch(i):
        calls.append(i)
        return losses[len(calls) - 1], rows

    return train_epoch, calls


class _Hooks:
    """Records what the loop tells it; asks to stop after ``stop_at`` epochs."""

    def __init__(self, stop_at=None):
        self.events, self.stop_at = [], stop_at

    def begin(self):
        self.events.append("begin")

    def report(self, history, seconds):
        self.events.append(("report", history.n_iter, seconds >= 0))

    def end(self, history):
        self.events.append(("end", history.n_iter))
        return history.n_iter == self.stop_at


def test_rule_counts_epochs_without_improvement_by_tol():
    """StoppingRule is scikit-learn's: an epoch not better than the best by tol
    counts one; the rule is exhausted past n_iter_no_change; NaN never improves."""
    rule = StoppingRule(tol=0.1, n_iter_no_change=2)
    assert rule.observe(1.0) and rule.count == 0
    assert rule.observe(1.05) and rule.count == 1  # a new best, not by tol
    assert not rule.observe(np.nan) and rule.count == 2
    assert not rule.exhausted
    assert not rule.observe(0.0) and rule.exhausted and rule.best == 1.05


def test_training_watch_stops_when_the_loss_stalls():
    """Watching the training loss, the loop stops after n_iter_no_change + 1
    epochs without a decrease by tol, and records every epoch it ran."""
    train_epoch, calls = _epochs([5.0, 4.0, 4.0, 4.0, 4.0, 1.0])
    history = History(best_loss=np.inf)
    run_epochs(
        train_epoch,
        history=history,
        stopping=Stopping("training", tol=0.5, n_iter_no_change=2),
        max_epochs=10,
    )
    assert calls == [0, 1, 2, 3, 4]
    assert history.loss == [5.0, 4.0, 4.0, 4.0, 4.0]
    assert history.stopped == "converged" and history.n_iter == 5
    assert history.best_loss == 4.0 and history.no_improvement_count == 3
    assert history.n_samples_seen == 50


def test_training_watch_with_a_window_watches_the_moving_mean():
    """With a window, the rule watches the mean of the last epochs' losses."""
    losses = [4.0, 2.0, 3.0, 1.0]
    history = History(best_loss=np.inf)
    run_epochs(
        _epochs(losses)[0],
        history=history,
        stopping=Stopping("training", n_iter_no_change=2, window=2),
        max_epochs=4,
    )
    means = [4.0, 3.0, 2.5, 2.0]
    assert history.best_loss == min(means)
    assert history.stopped is None


def test_validation_watch_keeps_the_best_epochs_snapshot():
    """Watching validation, the snapshot taken is the best epoch's, whose number
    is recorded; the score is the loss negated with metric='loss'."""
    val_losses = iter([3.0, 1.0, 2.0, 2.5, 2.6])
    state = {"epoch": 0}

    def train_epoch(i):
        state["epoch"] += 1
        return 1.0, 10

    def evaluate():
        return 0.5, next(val_losses)

    history = History()
    run_epochs(
        train_epoch,
        history=history,
        stopping=Stopping("validation", n_iter_no_change=2, metric="loss"),
        max_epochs=10,
        evaluate=evaluate,
        snapshot=lambda: {"epoch": state["epoch"]},
    )
    assert history.best_weights == {"epoch": 2} and history.best_epoch == 2
    assert history.best_validation_score == -1.0
    assert history.validation_loss == [3.0, 1.0, 2.0, 2.5, 2.6]
    assert history.stopped == "converged" and history.n_iter == 5


def test_validation_starting_later_is_padded_with_nan():
    """Validation that starts after earlier epochs records NaN for them."""
    history = History(loss=[9.0, 8.0], best_loss=np.inf)
    run_epochs(
        _epochs([1.0])[0],
        history=history,
        stopping=Stopping("training"),
        max_epochs=1,
        evaluate=lambda: (0.7, 0.3),
    )
    assert np.isnan(history.validation_score[:2]).all()
    assert history.validation_score[2:] == [0.7]
    assert history.validation_loss[2:] == [0.3]
    assert history.best_validation_score == 0.7  # recorded without early stopping


def test_a_later_call_resumes_the_rules_best_and_count():
    """A second call continues the count of the first (partial_fit's case)."""
    stopping = Stopping("training", n_iter_no_change=1)
    history = History(best_loss=np.inf)
    for loss in [2.0, 3.0]:
        run_epochs(_epochs([loss])[0], history=history, stopping=stopping, max_epochs=1)
    assert history.no_improvement_count == 1 and history.stopped is None
    run_epochs(_epochs([3.0])[0], history=history, stopping=stopping, max_epochs=1)
    assert history.stopped == "converged" and history.loss == [2.0, 3.0, 3.0]


def test_diverged_loss_stops_at_once_unless_validation_is_watched():
    """A non-finite training loss stops the loop before anything else is
    recorded; watching validation, the epoch is recorded with NaN figures and
    the best weights are those of an earlier epoch."""
    history = History(best_loss=np.inf)
    hooks = _Hooks()
    run_epochs(
        _epochs([1.0, np.inf, 0.5])[0],
        history=history,
        stopping=Stopping("training"),
        max_epochs=3,
        evaluate=lambda: (1.0, 1.0),
        hooks=hooks,
    )
    assert history.stopped == "diverged" and history.n_iter == 2
    assert history.validation_score == [1.0]  # nothing recorded for epoch 2
    assert hooks.events[-1] == "begin"

    history = History()
    run_epochs(
        _epochs([1.0, np.nan])[0],
        history=history,
        stopping=Stopping("validation", n_iter_no_change=5),
        max_epochs=3,
        evaluate=lambda: (0.9, 0.1),
        snapshot=lambda: "first",
    )
    assert history.stopped == "diverged"
    assert history.validation_score[0] == 0.9 and np.isnan(history.validation_score[1])
    assert history.best_weights == "first" and history.best_epoch == 1


def test_hooks_are_told_each_epoch_and_can_stop_it():
    """begin, report, end per epoch in that order; end returning True stops."""
    hooks = _Hooks(stop_at=2)
    history = run_epochs(
        _epochs([3.0, 2.0, 1.0])[0],
        history=History(best_loss=np.inf),
        stopping=Stopping("training", n_iter_no_change=10),
        max_epochs=3,
        hooks=hooks,
    )
    assert hooks.events == [
        "begin", ("report", 1, True), ("end", 1),
        "begin", ("report", 2, True), ("end", 2),
    ]  # fmt: skip
    assert history.stopped == "callback" and history.n_iter == 2


def test_adaptive_sgd_lowers_its_rate_instead_of_stopping():
    """When the rule is exhausted, an optimizer that declines to stop (sgd's
    adaptive rate) divides its rate and the count starts again."""
    sgd = SGD(3, np.float64, learning_rate_init=0.1, lr_schedule="adaptive")
    history = History(best_loss=np.inf)
    run_epochs(
        _epochs([1.0] * 5)[0],
        history=history,
        stopping=Stopping("training", tol=0.1, n_iter_no_change=1),
        max_epochs=5,
        optimizer=sgd,
    )
    # Exhausted after epochs 3 and 5: the rate divided by 5 twice.
    assert history.stopped is None and history.n_iter == 5
    assert sgd.learning_rate == pytest.approx(0.1 / 25)
    assert history.no_improvement_count == 0


def test_nothing_watched_runs_every_epoch():
    """watch=None never stops early, whatever the losses."""
    history = run_epochs(
        _epochs([1.0, 2.0, 3.0, 4.0])[0],
        history=History(),
        stopping=Stopping(None, n_iter_no_change=0),
        max_epochs=4,
    )
    assert history.n_iter == 4 and history.stopped is None


def test_message_names_what_the_rule_watched():
    """The message is scikit-learn's, naming the score or the loss."""
    assert Stopping("validation", tol=0.01, n_iter_no_change=3).message() == (
        "Validation score did not improve more than tol=0.010000 for 3 "
        "consecutive epochs."
    )
    assert (
        Stopping("training", tol=0.0, n_iter_no_change=3)
        .message()
        .startswith("Training loss did not improve")
    )
