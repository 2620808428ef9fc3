"""The packed layout (``_packing.Layout``): one flat buffer holding all weights
then all intercepts, per-layer views that alias it, packing and the spans an
update walks; and the estimators' parameters living in such a buffer."""

import pickle

import numpy as np
import pytest
from _cases import CASES, _small
from numpy.testing import assert_array_equal

from skdropout._packing import Layout

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

LAYER_UNITS = [3, 4, 2]


def _layout(dtype=np.float64):
    return Layout(LAYER_UNITS, dtype)


def _arrays(layout, seed=0):
    """Random coefs and intercepts of the layout's shapes, in its dtype."""
    rng = np.random.RandomState(seed)
    coefs = [rng.normal(size=s).astype(layout.dtype) for s in layout.coef_shapes]
    intercepts = [
        rng.normal(size=s).astype(layout.dtype) for s in layout.intercept_shapes
    ]
    return coefs, intercepts


def test_layout_views_share_the_buffer_in_order():
    """A layout's views lie in its buffer: all weights, then all intercepts."""
    layout = _layout()
    flat = np.arange(layout.size, dtype=np.float64)
    coefs, intercepts = layout.views(flat)
    assert [c.shape for c in coefs] == [(3, 4), (4, 2)]
    assert [b.shape for b in intercepts] == [(4,), (2,)]
    assert all(np.shares_memory(a, flat) for a in coefs + intercepts)
    assert_array_equal(flat[layout.weights], np.concatenate([c.ravel() for c in coefs]))
    assert_array_equal(flat[layout.intercepts], np.concatenate(intercepts))
    assert_array_equal(layout.pack(coefs, intercepts), flat)
    with pytest.raises(ValueError, match="shape"):
        layout.views(flat[:-1])


def test_size_and_spans_cover_the_buffer():
    """The weights span and the intercepts span tile the buffer, in that order,
    and its size counts every weight and intercept."""
    layout = _layout()
    assert layout.size == 3 * 4 + 4 * 2 + 4 + 2
    assert (layout.weights.start, layout.weights.stop) == (0, 20)
    assert (layout.intercepts.start, layout.intercepts.stop) == (20, layout.size)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_views_alias_the_buffer_both_ways(dtype):
    """Writing through a view changes the buffer and writing the buffer changes
    the views: they are the same memory, C-contiguous, in the layout's dtype."""
    layout = _layout(dtype)
    flat = layout.zeros()
    assert flat.shape == (layout.size,) and flat.dtype == dtype
    coefs, intercepts = layout.views(flat)
    for array in coefs + intercepts:
        assert array.dtype == dtype and array.flags.c_contiguous
    coefs[1][2, 1] = 5.0
    intercepts[0][3] = -2.0
    assert flat[3 * 4 + 2 * 2 + 1] == 5.0
    assert flat[20 + 3] == -2.0
    assert np.count_nonzero(flat) == 2
    flat[:] = 7.0
    assert all((array == 7.0).all() for array in coefs + intercepts)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pack_then_views_round_trip(dtype):
    """``views(pack(coefs, intercepts))`` gives back the arrays exactly, and the
    packed buffer is a copy: changing the originals leaves it alone."""
    layout = _layout(dtype)
    coefs, intercepts = _arrays(layout)
    flat = layout.pack(coefs, intercepts)
    assert flat.dtype == dtype
    got_coefs, got_intercepts = layout.views(flat)
    for got, expected in zip(got_coefs + got_intercepts, coefs + intercepts):
        assert_array_equal(got, expected)
        assert not np.shares_memory(got, expected)
    before = flat.copy()
    coefs[0][...] = 0.0
    assert_array_equal(flat, before)
    assert_array_equal(layout.pack(*layout.views(flat)), flat)


def test_views_refuse_a_buffer_of_another_dtype():
    """A buffer of the right size but another dtype is refused, naming both."""
    layout = _layout(np.float32)
    with pytest.raises(ValueError, match="float32.*float64"):
        layout.views(np.zeros(layout.size))


def test_spans_carry_the_penalties_of_the_weights_only():
    """The weights span carries alpha and the weight decay, the intercepts span
    neither; spans with no element are left out."""
    layout = _layout()
    assert layout.spans(0.1, 0.01) == [
        (layout.weights, 0.1, 0.01),
        (layout.intercepts, 0.0, 0.0),
    ]
    assert layout.spans(0.1) == [(layout.weights, 0.1, 0.0), (layout.intercepts, 0, 0)]
    assert Layout([3], np.float64).spans(0.1, 0.01) == []  # no layer: no parameter


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
