"""One source of randomness: the same seed gives the same model, a refit
starts again from it, and NumPy's global generator is never used."""

import numpy as np
import pytest
from _cases import (
    CASES,
    _assert_same_weights,
    _first_call_kwargs,
    _small,
    _weights,
)
from numpy.testing import assert_array_equal

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_same_seed_same_model(Estimator, make_data):
    """Two fits with the same seed and data give bit-identical weights."""
    X, y = make_data()
    a = _small(Estimator, input_dropout=0.2).fit(X, y)
    b = _small(Estimator, input_dropout=0.2).fit(X, y)
    _assert_same_weights(a, b)
    assert a.loss_curve_ == b.loss_curve_


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_refit_reseeds(Estimator, make_data):
    """A second fit without warm_start starts again from the seed."""
    X, y = make_data()
    est = _small(Estimator).fit(X, y)
    first = [w.copy() for w in _weights(est)]
    est.fit(X, y)
    for w0, w1 in zip(first, _weights(est)):
        assert_array_equal(w0, w1)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_different_seeds_differ(Estimator, make_data):
    """Different seeds give different models."""
    X, y = make_data()
    a = _small(Estimator, random_state=0).fit(X, y)
    b = _small(Estimator, random_state=1).fit(X, y)
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_global_random_state_untouched(Estimator, make_data):
    """An int seed never draws from NumPy's global generator."""
    X, y = make_data()
    # The legacy global generator is exactly what must stay untouched.
    before = np.random.get_state()  # noqa: NPY002
    _small(Estimator, input_dropout=0.2).fit(X, y)
    after = np.random.get_state()  # noqa: NPY002
    assert_array_equal(before[1], after[1])
    assert before[2] == after[2]


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_masks_change_between_calls(Estimator, make_data):
    """partial_fit continues the random stream: consecutive calls on the same
    data, from the same weights, draw different masks and shuffles."""
    X, y = make_data()
    kwargs = _first_call_kwargs(Estimator, y)
    est = _small(Estimator, learning_rate_init=1e-12).partial_fit(X, y, **kwargs)
    # With a negligible learning rate, the loss differs only through the masks.
    est.partial_fit(X, y)
    est.partial_fit(X, y)
    assert len(set(est.loss_curve_)) == 3
