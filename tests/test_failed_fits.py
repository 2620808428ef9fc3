"""A fit that fails (divergence, non-finite weights, bad data for partial_fit)
raises scikit-learn's message and leaves the model as it was."""

import pickle
import re

import numpy as np
import pytest
from _cases import (
    CASES,
    _assert_same_weights,
    _first_call_kwargs,
    _regression,
    _small,
    _weights,
)
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.neural_network import MLPRegressor

from skdropout import DropoutMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_divergence_raises_and_keeps_previous_model(Estimator, make_data):
    """A fit that diverges raises a ValueError and leaves the previously fitted
    model exactly as it was."""
    X, y = make_data()
    est = _small(Estimator, solver="sgd", momentum=0.0).fit(X, y)
    before = pickle.dumps(est)
    weights = [w.copy() for w in _weights(est)]
    est.set_params(learning_rate_init=1e12)
    with pytest.raises(ValueError, match="diverged|non-finite"):
        est.fit(X * 1e3, y)
    for w0, w1 in zip(weights, _weights(est)):
        assert_array_equal(w0, w1)
    est.set_params(learning_rate_init=0.001)
    assert pickle.dumps(est) == before


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_divergence_on_unfitted_leaves_it_unfitted(Estimator, make_data):
    """A first fit that diverges leaves no fitted attribute behind."""
    from sklearn.exceptions import NotFittedError

    X, y = make_data()
    est = _small(Estimator, solver="sgd", learning_rate_init=1e12, momentum=0.0)
    with pytest.raises(ValueError, match="diverged|non-finite"):
        est.fit(X * 1e3, y)
    assert not hasattr(est, "coefs_")
    with pytest.raises(NotFittedError):
        est.predict(X)


def test_non_finite_weights_message_starts_as_sklearns():
    """Weights that overflow raise a message that begins with scikit-learn's."""
    X, y = _regression()
    params = dict(hidden_layer_sizes=(16, 8), solver="sgd", momentum=0.0,
                  learning_rate_init=1e300, batch_size=len(X), max_iter=1,
                  random_state=0)  # fmt: skip
    with np.errstate(all="ignore"), pytest.raises(ValueError) as info:
        MLPRegressor(**params).fit(X * 1e10, y)
    assert str(info.value).startswith("Solver produced non-finite parameter weights")
    with pytest.raises(ValueError, match="^" + re.escape(str(info.value))):
        DropoutMLPRegressor(dropout=0, **params).fit(X * 1e10, y)


def test_divergence_message_starts_as_sklearns():
    """A loss that overflows mid-training raises scikit-learn's message first."""
    X, y = _regression()
    params = dict(hidden_layer_sizes=(16, 8), solver="sgd", momentum=0.0,
                  learning_rate_init=1e12, max_iter=5, random_state=0)  # fmt: skip
    with np.errstate(all="ignore"), pytest.raises(ValueError) as info:
        MLPRegressor(**params).fit(X * 1e3, y)
    with pytest.raises(ValueError, match="^" + re.escape(str(info.value))):
        DropoutMLPRegressor(dropout=0, **params).fit(X * 1e3, y)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_failed_partial_fit_keeps_model(Estimator, make_data):
    """A partial_fit that fails on its data leaves the model, its generator and
    its optimizer unchanged, so the next call is as if it never happened."""
    X, y = make_data()
    kwargs = _first_call_kwargs(Estimator, y)
    a = _small(Estimator).partial_fit(X, y, **kwargs)
    b = clone(a).partial_fit(X, y, **kwargs)
    bad_X = X.copy()
    bad_X[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        a.partial_fit(bad_X, y)
    with pytest.raises(ValueError, match="features"):
        a.partial_fit(X[:, :2], y)
    a.partial_fit(X, y)
    b.partial_fit(X, y)
    _assert_same_weights(a, b)


def test_a_failed_partial_fit_truncates_the_curves_it_grew():
    """The transaction restores the epoch curves by their lengths, not by a copy:
    a partial_fit that fails after its epoch was recorded leaves loss_curve_
    (the same list) as it was, and training goes on from there."""
    from sklearn.datasets import make_classification

    from skdropout import DropoutMLPClassifier

    X, y = make_classification(n_samples=40, random_state=0)
    clf = DropoutMLPClassifier((4,), random_state=0)
    for _ in range(3):
        clf.partial_fit(X, y, classes=[0, 1])
    curve, before = clf.loss_curve_, list(clf.loss_curve_)

    def fail(*args, **kwargs):
        raise RuntimeError("after the epoch")

    clf._after_fit = fail  # runs once the epoch is in loss_curve_
    with pytest.raises(RuntimeError, match="after the epoch"):
        clf.partial_fit(X, y)
    del clf._after_fit
    assert clf.loss_curve_ is curve and clf.loss_curve_ == before
    clf.partial_fit(X, y)
    assert len(clf.loss_curve_) == 4
