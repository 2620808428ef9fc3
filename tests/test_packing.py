"""The packed layout (``_packing.Layout``): the estimators' parameters living in
one flat buffer."""

import pickle

import numpy as np
import pytest
from _cases import CASES, _small

from skdropout._packing import Layout

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


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
