"""Messages as scikit-learn prints them: verbose lines per epoch, the
ConvergenceWarning, the clipped batch_size warning."""

import io
import re
from contextlib import redirect_stdout

import pytest
from _cases import (
    CASES,
    _small,
)
from sklearn.exceptions import ConvergenceWarning

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


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
