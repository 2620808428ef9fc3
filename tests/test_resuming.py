"""Resuming training: partial_fit and warm_start continue the random stream
and the optimizer, across pickling too."""

import pickle

import numpy as np
import pytest
from _cases import CASES, _assert_same_weights, _first_call_kwargs, _small
from sklearn.base import clone

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.parametrize("Estimator, make_data", CASES)
@pytest.mark.parametrize("k", [1, 3])
def test_partial_fit_pickle_resume_is_exact(Estimator, make_data, k):
    """k partial_fit calls, a pickle round trip and k more calls give exactly the
    weights of 2k uninterrupted calls (generator and optimizer state persist)."""
    X, y = make_data()
    kwargs = _first_call_kwargs(Estimator, y)
    straight = _small(Estimator, input_dropout=0.1)
    resumed = clone(straight)
    for i in range(2 * k):
        straight.partial_fit(X, y, **(kwargs if i == 0 else {}))
    for i in range(k):
        resumed.partial_fit(X, y, **(kwargs if i == 0 else {}))
    resumed = pickle.loads(pickle.dumps(resumed))
    for _ in range(k):
        resumed.partial_fit(X, y)
    _assert_same_weights(straight, resumed)
    assert straight.loss_curve_ == resumed.loss_curve_


@pytest.mark.parametrize("Estimator, make_data", CASES)
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_warm_start_continues_stream(Estimator, make_data, solver):
    """warm_start fits continue the random stream instead of re-seeding, and a
    pickled warm-started model resumes identically."""
    X, y = make_data()
    est = _small(Estimator, solver=solver, warm_start=True, max_iter=3)
    est.fit(X, y)
    copy = pickle.loads(pickle.dumps(est))
    est.fit(X, y)
    copy.fit(X, y)
    _assert_same_weights(est, copy)
    assert len(est.loss_curve_) == 6
    # The second fit drew new masks: its epochs are not the first fit's again.
    assert est.loss_curve_[3:] != est.loss_curve_[:3]


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_warm_start_shape_change_is_clear(Estimator, make_data):
    """Changing the architecture under warm_start raises a clear error."""
    X, y = make_data()
    est = _small(Estimator, warm_start=True).fit(X, y)
    est.set_params(hidden_layer_sizes=(16, 4))
    with pytest.raises(ValueError, match="network's shape changed"):
        est.fit(X, y)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_validation_curves_stay_aligned_across_warm_starts(Estimator, make_data):
    """Validation curves keep one entry per epoch of loss_curve_, NaN where a
    warm-started fit had no validation set."""
    X, y = make_data(200)
    est = _small(Estimator, warm_start=True, max_iter=4)
    est.fit(X, y)
    est.fit(X[:150], y[:150], X_val=X[150:], y_val=y[150:])
    est.fit(X, y)
    for curve in (est.validation_scores_, est.validation_loss_curve_):
        assert len(curve) == len(est.loss_curve_) == 12
        assert np.isnan(curve[:4]).all() and np.isnan(curve[8:]).all()
        assert np.isfinite(curve[4:8]).all()


@pytest.mark.parametrize("Estimator, make_data", CASES)
@pytest.mark.parametrize(
    "first, then", [(np.float64, np.float32), (np.float32, np.float64)]
)
def test_data_of_the_other_float_dtype_is_cast_to_the_weights(
    Estimator, make_data, first, then
):
    """A fit that goes on (partial_fit, a warm start) with data of the other
    float dtype trains the weights in their own dtype, as the same data cast
    to it would: it used to fail inside NumPy ("Cannot cast array data")."""
    X, y = make_data()
    kwargs = _first_call_kwargs(Estimator, y)
    model = _small(Estimator).partial_fit(X.astype(first), y, **kwargs)
    cast = pickle.loads(pickle.dumps(model))
    model.partial_fit(X.astype(then), y)
    cast.partial_fit(X.astype(then).astype(first), y)
    assert model.coefs_[0].dtype == first
    _assert_same_weights(model, cast)
    warm = _small(Estimator, warm_start=True).fit(X.astype(first), y)
    warm.fit(X.astype(then), y)
    assert warm.coefs_[0].dtype == first
