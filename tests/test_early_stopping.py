"""Validation sets and early stopping: X_val or a validation_fraction split,
the curves recorded per epoch, the best weights kept, and the errors."""

import re

import numpy as np
import pytest
from _cases import CASES, _classification, _first_call_kwargs, _small
from sklearn.neural_network import MLPClassifier

from skdropout import DropoutMLPClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_validation_loss_curve(Estimator, make_data):
    """With early stopping, the validation loss and score are recorded once per
    epoch, the loss without dropout (it equals the loss of predictions)."""
    X, y = make_data(200)
    est = _small(Estimator, early_stopping=True, max_iter=15, n_iter_no_change=50)
    est.fit(X, y)
    assert len(est.validation_loss_curve_) == est.n_iter_ == 15
    assert len(est.validation_scores_) == est.n_iter_
    assert est.best_loss_ is None
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert all(np.isfinite(est.validation_loss_curve_))


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_no_validation_set(Estimator, make_data):
    """Without a validation set the validation attributes are None, and
    best_loss_ is the lowest mean training loss over n_iter_no_change epochs
    (with dropout; the lowest epoch loss without)."""
    X, y = make_data()
    est = _small(Estimator).fit(X, y)
    assert getattr(est, "validation_scores_", None) is None
    assert est.validation_loss_curve_ is None
    assert est.best_validation_score_ is None
    curve = est.loss_curve_
    means = [np.mean(curve[max(0, i - 9) : i + 1]) for i in range(len(curve))]
    assert est.best_loss_ == pytest.approx(min(means), rel=1e-12)
    plain = _small(Estimator, dropout=0).fit(X, y)
    assert plain.best_loss_ == min(plain.loss_curve_)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_X_val_replaces_validation_fraction(Estimator, make_data):
    """X_val/y_val are the early-stopping set: all of X trains, and the recorded
    validation loss is the loss of the final model's predictions on X_val."""
    X, y = make_data(200)
    X_val, y_val = X[150:], y[150:]
    est = _small(
        Estimator, early_stopping=True, max_iter=8, n_iter_no_change=50, alpha=0
    )
    est.fit(X[:150], y[:150], X_val=X_val, y_val=y_val)
    assert est.t_ == 150 * est.n_iter_  # no validation_fraction split
    # The best validation score is the final model's score on X_val.
    assert est.score(X_val, y_val) == pytest.approx(est.best_validation_score_)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_X_val_without_early_stopping_records_curves(Estimator, make_data):
    """A validation set without early stopping is monitored, not used to stop,
    and the last recorded validation loss is that of the returned model."""
    X, y = make_data(200)
    est = _small(Estimator, max_iter=6, alpha=0)
    est.fit(X[:150], y[:150], X_val=X[150:], y_val=y[150:])
    assert len(est.validation_loss_curve_) == 6
    assert est.score(X[150:], y[150:]) == pytest.approx(est.validation_scores_[-1])


def test_validation_loss_equals_log_loss_of_predictions():
    """The classifier's validation loss is the log-loss of predict_proba."""
    from sklearn.metrics import log_loss

    X, y = _classification(200)
    est = _small(DropoutMLPClassifier, max_iter=4, alpha=0)
    est.fit(X[:150], y[:150], X_val=X[150:], y_val=y[150:])
    expected = log_loss(y[150:], est.predict_proba(X[150:]))
    assert est.validation_loss_curve_[-1] == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("Estimator, make_data", CASES)
@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(X_val="X"), "y_val was not provided"),
        (dict(y_val="y"), "X_val was not provided"),
        (dict(sample_weight_val="w"), "X_val and y_val were not"),
    ],
)
def test_validation_set_errors(Estimator, make_data, kwargs, message):
    """An incomplete validation set is a clear error."""
    X, y = make_data()
    values = {"X": X[:10], "y": y[:10], "w": np.ones(10)}
    kwargs = {k: values[v] for k, v in kwargs.items()}
    with pytest.raises(ValueError, match=message):
        _small(Estimator).fit(X, y, **kwargs)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_X_val_wrong_features(Estimator, make_data):
    """X_val with the wrong number of features is refused."""
    X, y = make_data()
    with pytest.raises(ValueError, match="features"):
        _small(Estimator).fit(X, y, X_val=X[:10, :3], y_val=y[:10])


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_X_val_errors_name_it(Estimator, make_data):
    """NaN in X_val, or no rows, are errors that name X_val, not X."""
    X, y = make_data()
    with pytest.raises(ValueError, match="Input X_val contains NaN"):
        _small(Estimator).fit(X, y, X_val=np.full_like(X[:5], np.nan), y_val=y[:5])
    with pytest.raises(ValueError, match="X_val has no rows"):
        _small(Estimator).fit(X, y, X_val=X[:0], y_val=y[:0])


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_lbfgs_says_it_does_not_use_X_val(Estimator, make_data):
    """L-BFGS has no epochs to validate: a validation set given warns that it
    is not used, instead of being ignored without a word."""
    X, y = make_data()
    est = _small(Estimator, solver="lbfgs", dropout=0)
    with pytest.warns(UserWarning, match="X_val and y_val are not used"):
        est.fit(X, y, X_val=X[:10], y_val=y[:10])
    assert getattr(est, "validation_scores_", None) is None


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_early_stopping_needs_validation_data(Estimator, make_data):
    """early_stopping with validation_fraction=0 and no X_val is refused."""
    X, y = make_data()
    est = _small(Estimator, early_stopping=True, validation_fraction=0.0)
    with pytest.raises(ValueError, match="validation_fraction > 0"):
        est.fit(X, y)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_early_stopping_stops_and_restores_best(Estimator, make_data):
    """Early stopping stops before max_iter and keeps the best epoch's weights."""
    X, y = make_data(200)
    est = _small(
        Estimator, early_stopping=True, max_iter=500, n_iter_no_change=3,
        learning_rate_init=0.01,
    )  # fmt: skip
    X_tr, y_tr, X_val, y_val = X[:150], y[:150], X[150:], y[150:]
    est.fit(X_tr, y_tr, X_val=X_val, y_val=y_val)
    assert est.n_iter_ < 500
    assert est.score(X_val, y_val) == pytest.approx(est.best_validation_score_)


@pytest.mark.parametrize("labels", [[0, 1], ["no", "yes"]], ids=["int", "str"])
def test_stratified_split_too_few_members_message_is_sklearns(labels):
    """A class too small for the stratified split gets scikit-learn's exact error."""
    X = [[1, 2], [2, 3], [3, 4], [4, 5]]
    y = np.array(labels)[[0, 0, 0, 1]]
    with pytest.raises(ValueError) as info:
        MLPClassifier(early_stopping=True).fit(X, y)
    # The class-naming sentence came in a later scikit-learn; the floor's
    # message has only the first part. Either way, skdropout's is the same.
    assert "too few" in str(info.value)
    with pytest.raises(ValueError, match="^" + re.escape(str(info.value)) + "$"):
        DropoutMLPClassifier(early_stopping=True).fit(X, y)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_partial_fit_refuses_early_stopping(Estimator, make_data):
    """partial_fit with early_stopping=True raises, as in scikit-learn."""
    X, y = make_data()
    kwargs = _first_call_kwargs(Estimator, y)
    with pytest.raises(ValueError, match="early_stopping"):
        _small(Estimator, early_stopping=True).partial_fit(X, y, **kwargs)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_warm_start_early_stopping_keeps_earlier_best(Estimator, make_data):
    """A warm-started early-stopping fit that only gets worse returns the best
    weights of the earlier fit, not the degraded ones."""
    X, y = make_data(200)
    val = dict(X_val=X[150:], y_val=y[150:])
    est = _small(
        Estimator, solver="sgd", early_stopping=True, warm_start=True,
        max_iter=20, n_iter_no_change=2, learning_rate_init=0.01,
    )  # fmt: skip
    est.fit(X[:150], y[:150], **val)
    best = est.best_validation_score_
    est.set_params(learning_rate_init=50.0, max_iter=3)  # every step makes it worse
    est.fit(X[:150], y[:150], **val)
    assert max(est.validation_scores_[-3:]) <= best  # no new best
    assert est.score(X[150:], y[150:]) == pytest.approx(best)


@pytest.mark.parametrize("kind", ["binary", "multiclass-strings", "multilabel"])
@pytest.mark.parametrize("weighted", [False, True])
def test_validation_score_is_accuracy_score(kind, weighted):
    """The classifier's validation score, computed without accuracy_score's
    checks, is accuracy_score's value bit for bit: of a fitted model's held-out
    predictions, and of predictions that are all right or all wrong."""
    from sklearn.metrics import accuracy_score

    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 4))
    if kind == "binary":
        y = (X[:, 0] > 0).astype(int)
    elif kind == "multiclass-strings":
        y = np.array(["a", "b", "c"])[np.digitize(X[:, 0], [-0.5, 0.5])]
    else:
        y = (X[:, :3] > 0).astype(int)
    sw = rng.uniform(0.5, 2.0, size=40) if weighted else None
    est = _small(DropoutMLPClassifier, max_iter=3, alpha=0)
    est.fit(X[:80], y[:80], X_val=X[80:], y_val=y[80:], sample_weight_val=sw)
    pred = est.predict(X[80:])
    assert est.validation_scores_[-1] == accuracy_score(y[80:], pred, sample_weight=sw)
    wrong = y[80:][::-1] if kind != "multilabel" else 1 - y[80:]
    for y_pred in (pred, y[80:], wrong):
        expected = accuracy_score(y[80:], y_pred, sample_weight=sw)
        assert est._score_predictions(y[80:], y_pred, sw) == expected
