"""The schedules (``_schedules``): each a pure function of training progress,
checked at exact values per step and per epoch, with and without warm-up."""

import math

import pytest

from skdropout import DropoutMLPClassifier
from skdropout._schedules import (
    DROPOUT_SCHEDULES,
    LR_SCHEDULES,
    constant,
    cosine,
    flat_cosine,
    with_warmup,
)

SCHEDULES = {**LR_SCHEDULES, **DROPOUT_SCHEDULES}


def test_schedule_values():
    """cosine, flat_cosine and the warm-up take their formulas' exact values."""
    assert [cosine(p) for p in (0, 0.5, 1, 2)] == [1.0, pytest.approx(0.5), 0.0, 0.0]
    assert cosine(0.25) == pytest.approx(0.5 * (1 + math.cos(math.pi / 4)))
    assert [flat_cosine(p) for p in (0, 0.25, 0.4999)] == [1.0, 1.0, 1.0]
    assert flat_cosine(0.75) == pytest.approx(0.5)
    assert flat_cosine(1.0) == 0.0
    warm = with_warmup(cosine, 0.2)
    assert [warm(p) for p in (0, 0.1)] == [0.0, pytest.approx(0.5)]
    assert warm(0.2) == 1.0 and warm(0.6) == pytest.approx(0.5) and warm(1.0) == 0.0
    assert with_warmup(constant, 0.5)(0.25) == 0.5
    assert with_warmup(cosine, 0) is cosine


@pytest.mark.parametrize("progress", [0.0, 0.3, 0.5, 1.0, 1.7])
def test_constant_is_one_throughout(progress):
    """'constant' is 1 at any progress, past the end too."""
    assert constant(progress) == 1.0


def test_cosine_per_step():
    """At step i of n, cosine is exactly 0.5 * (1 + cos(pi * i / n)): 1 at the
    start, 0.5 half-way, 0 at the end, and symmetric about the middle."""
    n = 12
    values = [cosine(i / n) for i in range(n + 1)]
    assert values == [0.5 * (1 + math.cos(math.pi * (i / n))) for i in range(n + 1)]
    assert values[0] == 1.0 and values[-1] == 0.0
    assert values[n // 2] == pytest.approx(0.5, abs=1e-15)
    for i in range(n + 1):
        assert values[i] + values[n - i] == pytest.approx(1.0, abs=1e-15)


def test_cosine_stays_at_zero_past_the_end():
    """Past progress 1 (a fit longer than its schedule) cosine stays at 0
    instead of rising again."""
    assert [cosine(p) for p in (1.0, 1.25, 1.5, 2.0, 3.0)] == [0.0] * 5


def test_flat_cosine_per_epoch():
    """Over T epochs, flat_cosine is 1 for the epochs of the first half, then
    the cosine of the second half rescaled to the whole: 0.5 * (1 + cos(pi *
    (2 e / T - 1)))."""
    T = 10
    values = [flat_cosine(e / T) for e in range(T + 1)]
    assert values[:5] == [1.0] * 5
    assert values[5:] == [
        0.5 * (1 + math.cos(math.pi * (2 * e / T - 1))) for e in range(5, T + 1)
    ]
    assert values[5] == 1.0 and values[-1] == 0.0


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedules_start_at_one_and_never_rise(name):
    """Every schedule starts at 1 and never rises as training goes on; those
    that decay reach 0 at the end."""
    schedule = SCHEDULES[name]
    values = [schedule(i / 100) for i in range(101)]
    assert values[0] == 1.0
    assert all(b <= a for a, b in zip(values, values[1:]))
    assert values[-1] == (1.0 if schedule is constant else 0.0)


@pytest.mark.parametrize("schedule", [constant, cosine, flat_cosine])
def test_warmup_ramps_linearly_then_runs_the_schedule_over_the_rest(schedule):
    """With a warm-up w, the factor is p / w times the schedule's start for
    p < w, then the schedule at (p - w) / (1 - w): it reaches its start value
    exactly at w and its end value at 1."""
    w = 0.25
    warm = with_warmup(schedule, w)
    for p in (0.0, 0.05, 0.1, 0.2):
        assert warm(p) == p / w * schedule(0.0)
    for p in (0.25, 0.4, 0.625, 0.9, 1.0):
        assert warm(p) == schedule((p - w) / (1 - w))
    assert warm(w) == schedule(0.0) == 1.0
    assert warm(1.0) == schedule(1.0)


def test_no_warmup_returns_the_schedule_itself():
    """A warm-up of 0 (or None) leaves the schedule as it is, the same object."""
    for schedule in (constant, cosine, flat_cosine):
        assert with_warmup(schedule, 0.0) is schedule
        assert with_warmup(schedule, None) is schedule


def test_registries_are_the_parameters_options():
    """The learning-rate and dropout schedules of the registries are options of
    the ``learning_rate`` and ``dropout_schedule`` parameters."""
    constraints = DropoutMLPClassifier._parameter_constraints
    assert set(LR_SCHEDULES) <= constraints["learning_rate"][0].options
    assert set(DROPOUT_SCHEDULES) == constraints["dropout_schedule"][0].options


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_past_the_end_of_the_cosine_schedule_warns():
    """A fit whose cosine schedule ends before max_iter says that the epochs
    after it do not train (partial_fit says so when it runs past the end);
    one whose schedule spans its epochs does not."""
    import warnings

    import numpy as np

    X = np.random.RandomState(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    params = dict(hidden_layer_sizes=(4,), learning_rate="cosine", random_state=0)
    with pytest.warns(UserWarning, match="after the first 2 do not train"):
        DropoutMLPClassifier(**params, schedule_epochs=2, max_iter=4).fit(X, y)
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter reached
        DropoutMLPClassifier(**params, schedule_epochs=4, max_iter=4).fit(X, y)
        DropoutMLPClassifier(**params, max_iter=4).fit(X, y)
