"""Parameter and data validation: bad values and combinations are refused
before any fit, with messages that name the parameter (scikit-learn's own
where it has one)."""

import re

import numpy as np
import pytest
import scipy.sparse as sp
from _cases import CASES, _classification, _small
from sklearn.neural_network import MLPClassifier

from skdropout import DropoutMLPClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


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


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_lbfgs_without_dropout(Estimator, make_data):
    """lbfgs works with dropout off and has no partial_fit."""
    X, y = make_data()
    est = _small(Estimator, solver="lbfgs", dropout=0, max_iter=50).fit(X, y)
    assert est.score(X, y) > 0.5
    assert not hasattr(est, "partial_fit")


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_max_norm_with_lbfgs_refused(Estimator, make_data):
    """max_norm with lbfgs is a clear error."""
    X, y = make_data()
    est = _small(Estimator, solver="lbfgs", dropout=0, max_norm=3.0)
    with pytest.raises(ValueError, match="max_norm .* cannot be used with"):
        est.fit(X, y)


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
