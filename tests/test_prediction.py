"""What a fitted network computes (``_prediction``): outputs in row chunks equal
to one pass, the decoded predictions assembled chunk by chunk, the held-out loss,
and Monte Carlo dropout passes."""

import numpy as np
import pytest
from _cases import CASES, _classification, _regression, _small
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import log_loss

import skdropout._prediction
from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_predict_in_chunks(Estimator, make_data, monkeypatch):
    """Chunked prediction equals one-shot prediction (to rounding: BLAS may sum
    in another order for another number of rows)."""
    import skdropout._prediction

    X, y = make_data()
    est = _small(Estimator).fit(X, y)
    expected_output, expected = est._forward(X), est.predict(X)
    monkeypatch.setattr(skdropout._prediction, "_PREDICT_CHUNK_VALUES", 7 * 16)
    np.testing.assert_allclose(est._forward(X), expected_output, rtol=1e-12)
    if Estimator is DropoutMLPClassifier:
        assert_array_equal(est.predict(X), expected)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_one_row_chunks_equal_one_pass(Estimator, make_data, monkeypatch):
    """With chunks of a single row, every public prediction (predict,
    predict_proba, predict_log_proba, the regressor's mean) equals the one-pass
    prediction to rounding, and the classes exactly."""
    X, y = make_data()
    est = _small(Estimator).fit(X, y)
    names = ["predict", "predict_proba", "predict_log_proba"]
    methods = [getattr(est, name) for name in names if hasattr(est, name)]
    expected = [method(X) for method in methods]
    monkeypatch.setattr(skdropout._prediction, "_PREDICT_CHUNK_VALUES", 1)
    for method, one_pass in zip(methods, expected):
        got = method(X)
        assert got.shape == one_pass.shape and got.dtype == one_pass.dtype
        if got.dtype.kind == "f":
            assert_allclose(got, one_pass, rtol=1e-12, atol=1e-15)
        else:
            assert_array_equal(got, one_pass)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_decoded_predictions_keep_the_output_dtype(dtype, monkeypatch):
    """Predictions assembled from chunks have the dtype of the network's output
    (float32 for float32 input) and one row per input row."""
    X, y = _regression()
    est = _small(DropoutMLPRegressor).fit(X.astype(dtype), y)
    monkeypatch.setattr(skdropout._prediction, "_PREDICT_CHUNK_VALUES", 16 * 5)
    prediction = est.predict(X.astype(dtype))
    assert prediction.dtype == dtype and prediction.shape == (len(X),)


def test_held_out_loss_of_the_classifier_is_the_log_loss():
    """The held-out loss (the CV estimators' default score, negated) is the
    log-loss of predict_proba, sample weights included."""
    X, y = _classification()
    est = _small(DropoutMLPClassifier).fit(X[:80], y[:80])
    weights = np.linspace(0.5, 2.0, 40)
    proba = est.predict_proba(X[80:])
    assert est._held_out_loss(X[80:], y[80:]) == pytest.approx(
        log_loss(y[80:], proba), rel=1e-10
    )
    assert est._held_out_loss(X[80:], y[80:], weights) == pytest.approx(
        log_loss(y[80:], proba, sample_weight=weights), rel=1e-10
    )


def test_held_out_loss_of_the_regressor_is_half_the_squared_error():
    """The regressor's held-out loss is half the mean squared error of predict."""
    X, y = _regression()
    est = _small(DropoutMLPRegressor).fit(X[:80], y[:80])
    expected = 0.5 * np.mean((y[80:] - est.predict(X[80:])) ** 2)
    assert est._held_out_loss(X[80:], y[80:]) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_predict_mc_passes(Estimator, make_data):
    """predict_mc runs ``mc_passes`` passes by default and ``n_passes`` when
    given; a seed gives the same passes, another seed others, and the passes
    differ from each other."""
    X, y = make_data()
    est = _small(Estimator, dropout=0.3, mc_passes=7).fit(X, y)
    default = est.predict_mc(X[:10])
    assert default.shape[:2] == (7, 10)
    first = est.predict_mc(X[:10], n_passes=5, random_state=1)
    assert first.shape[:2] == (5, 10)
    assert_array_equal(first, est.predict_mc(X[:10], n_passes=5, random_state=1))
    assert not np.array_equal(first, est.predict_mc(X[:10], n_passes=5, random_state=2))
    assert not np.array_equal(first[0], first[1])


@pytest.mark.parametrize("n_passes", [0, -1, 2.5, True, "3"])
def test_predict_mc_refuses_a_bad_number_of_passes(n_passes):
    """n_passes must be a positive integer (a bool is not one)."""
    X, y = _regression()
    est = _small(DropoutMLPRegressor).fit(X, y)
    with pytest.raises(ValueError, match="n_passes must be a positive integer"):
        est.predict_mc(X, n_passes=n_passes)


def test_predict_mc_without_dropout_repeats_the_prediction():
    """Without dropout every Monte Carlo pass is the deterministic network."""
    X, y = _regression()
    est = _small(DropoutMLPRegressor, dropout=0.0).fit(X, y)
    passes = est.predict_mc(X, n_passes=3)
    for sample in passes:
        assert_allclose(sample.ravel(), est.predict(X), rtol=1e-12)
