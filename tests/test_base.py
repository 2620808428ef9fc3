"""Behaviour shared by both estimators: randomness, resuming, validation sets,
errors, dtypes, input containers and scikit-learn tooling."""

import io
import pickle
import re
from contextlib import redirect_stdout

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor
from skdropout._packing import Layout

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _classification(n_samples=120, random_state=0):
    X, y = make_classification(
        n_samples=n_samples, n_features=6, n_informative=4, n_classes=3,
        random_state=random_state,
    )  # fmt: skip
    return StandardScaler().fit_transform(X), y


def _regression(n_samples=120, random_state=0):
    X, y = make_regression(
        n_samples=n_samples, n_features=6, noise=1.0, random_state=random_state
    )
    return StandardScaler().fit_transform(X), y / y.std()


CASES = [
    pytest.param(DropoutMLPClassifier, _classification, id="classifier"),
    pytest.param(DropoutMLPRegressor, _regression, id="regressor"),
]


def _small(Estimator, **params):
    defaults = dict(hidden_layer_sizes=(16, 8), max_iter=5, random_state=0)
    return Estimator(**{**defaults, **params})


def _weights(est):
    return est.coefs_ + est.intercepts_


def _first_call_kwargs(Estimator, y):
    """What the first partial_fit call needs: the classes, for a classifier."""
    return {"classes": np.unique(y)} if Estimator is DropoutMLPClassifier else {}


def _assert_same_weights(a, b):
    for wa, wb in zip(_weights(a), _weights(b)):
        assert_array_equal(wa, wb)


# -- randomness ------------------------------------------------------------------


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
def test_stochastic_fits_pack_the_parameters(Estimator, make_data):
    """After a stochastic fit, partial_fit or warm-started fit, the weights and
    intercepts are views of one buffer, laid out by the fit's Layout; an
    unpickled model's separate arrays are packed again by its next call."""
    X, y = make_data()
    est = _small(Estimator, warm_start=True)
    for call in (est.fit, est.partial_fit, est.fit):
        call(X, y)
        params = est.coefs_ + est.intercepts_
        flat = params[0].base
        assert flat is not None and flat.ndim == 1
        assert all(a.base is flat for a in params)
        coefs, intercepts = Layout(_units(est), flat.dtype).views(flat)
        for a, b in zip(params, coefs + intercepts):
            assert np.shares_memory(a, b) and a.shape == b.shape
    copy = pickle.loads(pickle.dumps(est))
    assert copy.coefs_[0].base is not copy.coefs_[1].base
    copy.partial_fit(X, y)
    assert all(a.base is copy.coefs_[0].base for a in copy.coefs_ + copy.intercepts_)


def _units(est):
    return [est.coefs_[0].shape[0], *(c.shape[1] for c in est.coefs_)]


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


# -- dropout parameters --------------------------------------------------------


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_dropout_changes_training_not_prediction_randomness(Estimator, make_data):
    """Dropout changes the fitted model; predictions are deterministic."""
    X, y = make_data()
    with_dropout = _small(Estimator, dropout=0.5).fit(X, y)
    without = _small(Estimator, dropout=0.0).fit(X, y)
    assert not np.array_equal(with_dropout.coefs_[0], without.coefs_[0])
    assert_array_equal(with_dropout.predict(X), with_dropout.predict(X))


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_per_layer_rates(Estimator, make_data):
    """A per-layer list equal to a float gives the same model as the float."""
    X, y = make_data()
    a = _small(Estimator, dropout=0.3).fit(X, y)
    b = _small(Estimator, dropout=[0.3, 0.3]).fit(X, y)
    c = _small(Estimator, dropout=(0.3, 0.0)).fit(X, y)
    _assert_same_weights(a, b)
    assert not np.array_equal(a.coefs_[1], c.coefs_[1])


@pytest.mark.parametrize("Estimator, make_data", CASES)
@pytest.mark.parametrize(
    "params, message",
    [
        (dict(dropout=1.0), r"'dropout' parameter .* range \[0.0, 1.0\)"),
        (dict(dropout=-0.1), r"'dropout' parameter .* range \[0.0, 1.0\)"),
        (dict(dropout=[0.5]), r"one value per hidden layer \(2 here\)"),
        (dict(dropout=[0.5, 1.5]), r"dropout must be in the range \[0, 1\)"),
        (dict(dropout=[0.5, np.nan]), r"dropout must be in the range \[0, 1\)"),
        (dict(input_dropout=1.0), r"'input_dropout' parameter .* range"),
        (dict(solver="lbfgs"), "solver='lbfgs' cannot be used with dropout"),
        (dict(solver="lbfgs", dropout=0, input_dropout=0.2), "input_dropout=0.2"),
        (dict(hidden_layer_sizes=(4, 0)), "hidden_layer_sizes must be > 0"),
        (dict(hidden_layer_sizes=(4, 2.5)), "hidden_layer_sizes must be positive"),
        (dict(alpha=-1), "'alpha' parameter"),
    ],
)
def test_bad_parameters(Estimator, make_data, params, message):
    """Bad parameters raise a ValueError naming the parameter."""
    X, y = make_data()
    with pytest.raises(ValueError, match=message):
        _small(Estimator, **params).fit(X, y)


def test_non_positive_layer_size_message_is_sklearns():
    """A hidden layer of size 0 is refused with scikit-learn's exact message."""
    X, y = _classification()
    with pytest.raises(ValueError) as info:
        MLPClassifier(hidden_layer_sizes=(4, 0)).fit(X, y)
    with pytest.raises(ValueError, match="^" + re.escape(str(info.value)) + "$"):
        DropoutMLPClassifier(hidden_layer_sizes=(4, 0)).fit(X, y)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_dropout_list_of_strings_is_type_error(Estimator, make_data):
    """A non-numeric dropout sequence raises a TypeError naming dropout."""
    X, y = make_data()
    with pytest.raises(TypeError, match="dropout must be a float"):
        _small(Estimator, dropout=["a", "b"]).fit(X, y)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_lbfgs_without_dropout(Estimator, make_data):
    """lbfgs works with dropout off and has no partial_fit."""
    X, y = make_data()
    est = _small(Estimator, solver="lbfgs", dropout=0, max_iter=50).fit(X, y)
    assert est.score(X, y) > 0.5
    assert not hasattr(est, "partial_fit")


# -- validation sets and early stopping ------------------------------------------


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
    assert est.validation_scores_ is None
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


# -- failures leave the model intact ----------------------------------------------


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


# -- data ------------------------------------------------------------------------


@pytest.mark.parametrize("Estimator, make_data", CASES)
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_float32_end_to_end(Estimator, make_data, solver):
    """float32 input trains and stores float32 weights and optimizer state, and
    predicts in float32; float64 stays float64."""
    X, y = make_data()
    dropout = 0 if solver == "lbfgs" else 0.5
    for dtype in (np.float32, np.float64):
        est = _small(Estimator, solver=solver, dropout=dropout)
        est.fit(X.astype(dtype), y)
        assert all(w.dtype == dtype for w in _weights(est))
        if solver != "lbfgs":
            # Moments, velocities and scratch buffers (lists, maybe nested).
            arrays, todo = [], list(vars(est._optimizer).values())
            while todo:
                value = todo.pop()
                if isinstance(value, list):
                    todo.extend(value)
                elif isinstance(value, np.ndarray):
                    arrays.append(value)
            assert arrays and all(a.dtype == dtype for a in arrays)
        output = est._forward(X.astype(dtype))
        assert output.dtype == dtype


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_float32_close_to_float64(Estimator, make_data):
    """float32 training follows float64 training closely over a few epochs."""
    X, y = make_data()
    a = _small(Estimator, max_iter=3).fit(X.astype(np.float32), y)
    b = _small(Estimator, max_iter=3).fit(X, y)
    np.testing.assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("Estimator, make_data", CASES)
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_equals_dense(Estimator, make_data, fmt):
    """Sparse X gives the same model as dense X (without input dropout)."""
    X, y = make_data()
    X[np.abs(X) < 0.5] = 0
    dense = _small(Estimator).fit(X, y)
    sparse = _small(Estimator).fit(sp.csr_matrix(X).asformat(fmt), y)
    for wa, wb in zip(_weights(dense), _weights(sparse)):
        np.testing.assert_allclose(wa, wb, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        dense.predict(X), sparse.predict(sp.csr_matrix(X).asformat(fmt))
    )


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_sparse_input_dropout(Estimator, make_data):
    """Input dropout works on sparse X and leaves the caller's X untouched."""
    X, y = make_data()
    X[np.abs(X) < 0.5] = 0
    X_sparse = sp.csr_matrix(X)
    data = X_sparse.data.copy()
    est = _small(Estimator, input_dropout=0.3).fit(X_sparse, y)
    assert_array_equal(X_sparse.data, data)
    assert np.isfinite(est.coefs_[0]).all()


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_caller_data_not_modified(Estimator, make_data):
    """fit, partial_fit and predict never write into the caller's arrays."""
    X, y = make_data()
    X_copy, y_copy = X.copy(), y.copy()
    est = _small(Estimator, input_dropout=0.3).fit(X, y)
    est.predict(X)
    assert_array_equal(X, X_copy)
    assert_array_equal(y, y_copy)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_pandas_feature_names(Estimator, make_data):
    """DataFrame input keeps feature names and warns on unnamed predict input."""
    pd = pytest.importorskip("pandas")
    X, y = make_data()
    columns = [f"f{i}" for i in range(X.shape[1])]
    df = pd.DataFrame(X, columns=columns)
    est = _small(Estimator).fit(df, pd.Series(y))
    assert list(est.feature_names_in_) == columns
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        assert_array_equal(est.predict(df), est.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        est.predict(df[columns[::-1]])


@pytest.mark.parametrize("Estimator, make_data", CASES)
@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda X, y: (np.where(X > 1, np.nan, X), y), "Input X contains NaN"),
        (lambda X, y: (np.where(X > 1, np.inf, X), y), "Input X contains infinity"),
        (lambda X, y: (X, np.where(np.arange(len(y)) == 3, np.nan, y)), "NaN"),
        (lambda X, y: (X[:, 0], y), "Expected 2D array"),
        (lambda X, y: (X[:10], y), "inconsistent numbers of samples"),
        (lambda X, y: (X[:0], y[:0]), "0 sample"),
    ],
)
def test_bad_data(Estimator, make_data, corrupt, message):
    """Bad data raises a ValueError that names the problem."""
    X, y = corrupt(*make_data())
    with pytest.raises(ValueError, match=message):
        _small(Estimator).fit(X, y)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_predict_wrong_feature_count(Estimator, make_data):
    """predict with the wrong number of features is a clear ValueError."""
    X, y = make_data()
    est = _small(Estimator).fit(X, y)
    with pytest.raises(ValueError, match="X has 5 features, but .* is expecting 6"):
        est.predict(X[:, :5])


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_warm_start_shape_change_is_clear(Estimator, make_data):
    """Changing the architecture under warm_start raises a clear error."""
    X, y = make_data()
    est = _small(Estimator, warm_start=True).fit(X, y)
    est.set_params(hidden_layer_sizes=(16, 4))
    with pytest.raises(ValueError, match="network's shape changed"):
        est.fit(X, y)


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


# -- messages --------------------------------------------------------------------


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_verbose_lines_and_convergence_warning(Estimator, make_data):
    """verbose prints one line per epoch that starts like scikit-learn's
    ('Iteration N, loss = ...') and ends with the epoch's time; hitting max_iter
    warns with ConvergenceWarning."""
    X, y = make_data()
    out = io.StringIO()
    with redirect_stdout(out), pytest.warns(ConvergenceWarning, match="Maximum"):
        est = _small(Estimator, verbose=True, max_iter=3).fit(X, y)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    for i, (line, loss) in enumerate(zip(lines, est.loss_curve_)):
        prefix = "Iteration %d, loss = %.8f" % (i + 1, loss)
        assert re.fullmatch(re.escape(prefix) + r", time = \d+\.\d\ds", line)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_verbose_early_stopping_lines(Estimator, make_data):
    """With a validation set, each epoch's line also shows the validation loss
    and score."""
    X, y = make_data(200)
    out = io.StringIO()
    with redirect_stdout(out):
        est = _small(Estimator, verbose=1, max_iter=2, early_stopping=True).fit(X, y)
    first = out.getvalue().splitlines()[0]
    expected = "validation loss = %.8f, validation score = %.6f" % (
        est.validation_loss_curve_[0],
        est.validation_scores_[0],
    )
    assert expected in first


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_verbose_lbfgs_lines(Estimator, make_data):
    """lbfgs prints one line per iteration too."""
    X, y = make_data()
    out = io.StringIO()
    with redirect_stdout(out):
        est = _small(Estimator, solver="lbfgs", dropout=0, verbose=True, max_iter=200)
        est.fit(X, y)
    lines = out.getvalue().splitlines()
    assert len(lines) == est.n_iter_
    assert re.fullmatch(r"Iteration 1, loss = \d+\.\d{8}, time = \d+\.\d\ds", lines[0])


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_lbfgs_convergence_warning(Estimator, make_data):
    """lbfgs stopping at max_iter warns with ConvergenceWarning."""
    X, y = make_data()
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        _small(Estimator, solver="lbfgs", dropout=0, max_iter=2).fit(X, y)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_batch_size_clipped_warning(Estimator, make_data):
    """batch_size larger than the data is clipped with scikit-learn's warning."""
    X, y = make_data()
    with pytest.warns(UserWarning, match="batch_size"):
        _small(Estimator, batch_size=1000).fit(X, y)


# -- scikit-learn tooling ----------------------------------------------------------


def test_grid_search_over_dropout_in_pipeline():
    """GridSearchCV over the dropout rate of a Pipeline fits and ranks the rates."""
    X, y = _classification(150)
    clf = DropoutMLPClassifier(
        hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=50, random_state=0
    )
    pipe = make_pipeline(StandardScaler(), clf)
    grid = GridSearchCV(
        pipe, {"dropoutmlpclassifier__dropout": [0, 0.2, 0.5]}, cv=3
    ).fit(X, y)
    assert sorted(grid.cv_results_["param_dropoutmlpclassifier__dropout"]) == [
        0,
        0.2,
        0.5,
    ]
    assert grid.best_estimator_[-1].dropout in (0, 0.2, 0.5)
    assert grid.score(X, y) > 0.5


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_clone_pickle_joblib_round_trips(Estimator, make_data, tmp_path):
    """clone refits identically; pickle and joblib copies predict identically."""
    X, y = make_data()
    est = _small(Estimator).fit(X, y)
    assert_array_equal(clone(est).fit(X, y).predict(X), est.predict(X))
    assert_array_equal(pickle.loads(pickle.dumps(est)).predict(X), est.predict(X))
    joblib.dump(est, tmp_path / "model.joblib")
    assert_array_equal(
        joblib.load(tmp_path / "model.joblib").predict(X), est.predict(X)
    )


def test_X_val_routed_through_pipeline():
    """With metadata routing, Pipeline(transform_input=["X_val"]) scales X_val
    like X before the estimator sees it."""
    import sklearn
    from sklearn.pipeline import Pipeline

    X, y = _classification(200)
    X = X * 100 + 50  # far from scaled, so an untransformed X_val would show
    with sklearn.config_context(enable_metadata_routing=True):
        clf = _small(DropoutMLPClassifier).set_fit_request(X_val=True, y_val=True)
        pipe = Pipeline(
            [("scale", StandardScaler()), ("mlp", clf)], transform_input=["X_val"]
        )
        pipe.fit(X[:150], y[:150], X_val=X[150:], y_val=y[150:])
    assert pipe[-1].validation_scores_[-1] == pipe.score(X[150:], y[150:])


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


# -- max-norm and Gaussian dropout ------------------------------------------------


@pytest.mark.parametrize("Estimator, make_data", CASES)
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_max_norm_holds_after_every_step(Estimator, make_data, solver, monkeypatch):
    """With max_norm=c, after every optimizer step each hidden unit's incoming
    weight vector has norm <= c (to 1e-6); the output layer is not constrained."""
    import skdropout._engine

    X, y = make_data()
    X = X * 5  # large inputs and a large learning rate push the norms past c
    norms_after_steps = []
    constrain = skdropout._engine.apply_max_norm

    constrained_layers = set()

    def recording(coefs, max_norm):
        constrain(coefs, max_norm)
        norms_after_steps.append(max(np.linalg.norm(W, axis=0).max() for W in coefs))
        constrained_layers.add(len(coefs))

    monkeypatch.setattr(skdropout._engine, "apply_max_norm", recording)
    est = _small(
        Estimator, solver=solver, max_norm=0.5, learning_rate_init=0.1,
        batch_size=16, max_iter=3,
    )  # fmt: skip
    est.fit(X, y)
    assert len(norms_after_steps) == 3 * int(np.ceil(len(X) / 16))
    assert max(norms_after_steps) <= 0.5 * (1 + 1e-6)
    for W in est.coefs_[:-1]:
        assert np.linalg.norm(W, axis=0).max() <= 0.5 * (1 + 1e-6)
    assert constrained_layers == {len(est.coefs_) - 1}  # hidden layers only


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_max_norm_changes_training(Estimator, make_data):
    """max_norm changes the model only when norms reach the bound."""
    X, y = make_data()
    free = _small(Estimator).fit(X, y)
    loose = _small(Estimator, max_norm=1e6).fit(X, y)
    tight = _small(Estimator, max_norm=0.3).fit(X, y)
    _assert_same_weights(free, loose)
    assert not np.array_equal(free.coefs_[0], tight.coefs_[0])


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_max_norm_with_lbfgs_refused(Estimator, make_data):
    """max_norm with lbfgs is a clear error."""
    X, y = make_data()
    est = _small(Estimator, solver="lbfgs", dropout=0, max_norm=3.0)
    with pytest.raises(ValueError, match="max_norm .* cannot be used with"):
        est.fit(X, y)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_gaussian_dropout_trains(Estimator, make_data):
    """Gaussian dropout trains to a different model than Bernoulli dropout with
    the same rate, and learns."""
    X, y = make_data(200)
    bernoulli = _small(Estimator, max_iter=40, learning_rate_init=0.01).fit(X, y)
    gaussian = _small(
        Estimator, max_iter=40, learning_rate_init=0.01, dropout_noise="gaussian"
    ).fit(X, y)
    assert not np.array_equal(bernoulli.coefs_[0], gaussian.coefs_[0])
    assert gaussian.score(X, y) > 0.6


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_alpha_dropout_trains_reproducibly(Estimator, make_data):
    """Alpha dropout with selu (input dropout too) learns, differs from
    Bernoulli dropout at the same rates, and the same seed gives the same
    model; with another activation it is allowed (as in PyTorch and Keras)."""
    X, y = make_data(200)
    params = dict(max_iter=40, learning_rate_init=0.01, activation="selu",
                  dropout=0.1, input_dropout=0.1)  # fmt: skip
    bernoulli = _small(Estimator, **params).fit(X, y)
    alpha = _small(Estimator, dropout_noise="alpha", **params).fit(X, y)
    again = _small(Estimator, dropout_noise="alpha", **params).fit(X, y)
    _assert_same_weights(alpha, again)
    assert not np.array_equal(bernoulli.coefs_[0], alpha.coefs_[0])
    assert alpha.score(X, y) > 0.6
    relu = _small(Estimator, dropout_noise="alpha", max_iter=5).fit(X, y)
    assert np.isfinite(relu.coefs_[0]).all()


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_alpha_dropout_monte_carlo(Estimator, make_data):
    """Monte Carlo dropout samples alpha noise: the passes are finite, differ
    from each other, and are reproducible from their seed."""
    X, y = make_data(200)
    est = _small(Estimator, activation="selu", dropout=0.05,
                 dropout_noise="alpha", max_iter=40).fit(X, y)  # fmt: skip
    first = est.predict_mc(X[:20], n_passes=30, random_state=0)
    second = est.predict_mc(X[:20], n_passes=30, random_state=0)
    assert_array_equal(first, second)
    assert np.isfinite(first).all()
    assert not np.allclose(first[0], first[1])


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_alpha_input_dropout_on_sparse_x_refused(Estimator, make_data):
    """input_dropout with dropout_noise='alpha' on sparse X (which it would make
    dense) is an error naming both parameters; hidden alpha dropout is fine."""
    X, y = make_data()
    X_sparse = sp.csr_matrix(X)
    est = _small(Estimator, input_dropout=0.2, dropout_noise="alpha")
    with pytest.raises(ValueError, match="input_dropout with dropout_noise='alpha'"):
        est.fit(X_sparse, y)
    assert not hasattr(est, "coefs_")
    _small(Estimator, dropout_noise="alpha").fit(X_sparse, y)
    est.fit(X, y)  # dense X is fine, and predict_mc on sparse X refuses
    with pytest.raises(ValueError, match="input_dropout with dropout_noise='alpha'"):
        est.predict_mc(X_sparse, n_passes=2)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_new_parameters_validated(Estimator, make_data):
    """dropout_noise, max_norm and mc_passes are validated like the others."""
    X, y = make_data()
    for params in (
        dict(dropout_noise="uniform"),
        dict(max_norm=0),
        dict(max_norm=-1.0),
        dict(mc_passes=0),
    ):
        name = next(iter(params))
        with pytest.raises(ValueError, match=f"'{name}' parameter"):
            _small(Estimator, **params).fit(X, y)
