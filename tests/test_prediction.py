"""What a fitted network computes (``_prediction``): outputs in row chunks equal
to one pass."""

import numpy as np
import pytest
from _cases import CASES, _small
from numpy.testing import assert_array_equal

from skdropout import DropoutMLPClassifier

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
