"""Input data: float32 end to end, sparse matrices, DataFrames, and the
caller's arrays left untouched."""

import numpy as np
import pytest
import scipy.sparse as sp
from _cases import CASES, _small, _weights
from numpy.testing import assert_array_equal

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


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
