"""PiecewiseLinearEncoder: the bin edges are training quantiles, and the ramps
are the paper's (exact values, monotone, summing to the bin position, open
first and last bins); the transformer API and persistence."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdropout import PiecewiseLinearEncoder

X_TRAIN = np.c_[np.arange(9.0), np.arange(9.0) ** 2]


@parametrize_with_checks([PiecewiseLinearEncoder(), PiecewiseLinearEncoder(n_bins=3)])
def test_sklearn_compatible_estimator(estimator, check):
    """Each of scikit-learn's API checks passes."""
    check(estimator)


def test_edges_are_training_quantiles():
    """The edges of each feature are its quantiles at 0, 1/n_bins, ..., 1."""
    encoder = PiecewiseLinearEncoder(n_bins=4).fit(X_TRAIN)
    assert_array_equal(encoder.bin_edges_[0], [0, 2, 4, 6, 8])
    for column, edges in zip(X_TRAIN.T, encoder.bin_edges_):
        assert_allclose(edges, np.quantile(column, [0, 0.25, 0.5, 0.75, 1]))
    assert_array_equal(encoder.n_bins_, [4, 4])


def test_exact_values_on_hand_computed_edges():
    """With edges 0, 2, 4, 6, 8: 3 encodes as (1, 0.5, 0, 0), 8 as (1, 1, 1,
    1), and outside the range the first ramp goes below 0, the last above 1."""
    encoder = PiecewiseLinearEncoder(n_bins=4).fit(X_TRAIN[:, :1])
    out = encoder.transform([[3.0], [8.0], [0.0], [-2.0], [12.0], [4.0]])
    assert_allclose(
        out,
        [
            [1, 0.5, 0, 0],
            [1, 1, 1, 1],
            [0, 0, 0, 0],
            [-1, 0, 0, 0],  # (−2 − 0) / 2: the first bin is open below
            [1, 1, 1, 3],  # (12 − 6) / 2: the last bin is open above
            [1, 1, 0, 0],
        ],
    )


def test_inner_ramps_stay_in_unit_interval():
    """Every ramp but the first is >= 0 and every ramp but the last is <= 1,
    however far the value is from the training range."""
    encoder = PiecewiseLinearEncoder(n_bins=5).fit(X_TRAIN)
    out = encoder.transform(np.linspace(-100, 200, 301)[:, None].repeat(2, axis=1))
    first = out[:, :5]
    assert (first[:, 1:] >= 0).all() and (first[:, :-1] <= 1).all()
    assert first[:, 0].min() < 0 and first[:, -1].max() > 1


def test_ramps_are_monotone_and_sum_to_the_bin_position():
    """As x grows each ramp grows; inside the range the sum of a row's ramps
    is t + (x - b_t) / (b_{t+1} - b_t) for x in bin t (from 0)."""
    encoder = PiecewiseLinearEncoder(n_bins=4).fit(X_TRAIN)
    grid = np.linspace(0, 8, 97)
    out = encoder.transform(np.c_[grid, grid])[:, :4]
    assert (np.diff(out, axis=0) >= 0).all()
    edges = encoder.bin_edges_[0]
    t = np.clip(np.searchsorted(edges, grid, side="right") - 1, 0, 3)
    position = t + (grid - edges[t]) / (edges[t + 1] - edges[t])
    assert_allclose(out.sum(axis=1), position)


def test_duplicate_edges_merge_and_constant_features_vanish():
    """A feature with few distinct values gets fewer bins; a constant feature
    gets none, and a feature with a single bin is the unclipped linear map."""
    X = np.c_[[0, 0, 0, 0, 0, 4, 4, 8.0], np.full(8, 5.0), [0, 0, 0, 0, 0, 0, 0, 1.0]]
    encoder = PiecewiseLinearEncoder(n_bins=4).fit(X)
    assert_array_equal(encoder.n_bins_, [2, 0, 1])
    assert_array_equal(encoder.bin_edges_[0], [0, 4, 8])
    assert_array_equal(
        encoder.get_feature_names_out(), ["x0_bin0", "x0_bin1", "x2_bin0"]
    )
    out = encoder.transform([[2.0, 5.0, -1.0], [10.0, 7.0, 3.0]])
    assert_allclose(out, [[0.5, 0, -1], [1, 1.5, 3]])


def test_float32_is_kept():
    """float32 data gives float32 edges and output; integers give float64."""
    encoder = PiecewiseLinearEncoder(n_bins=3).fit(X_TRAIN.astype(np.float32))
    assert encoder.bin_edges_[0].dtype == np.float32
    assert encoder.transform(X_TRAIN.astype(np.float32)).dtype == np.float32
    assert encoder.transform(X_TRAIN.astype(int)).dtype == np.float64


def test_missing_values_are_refused():
    """NaN in fit or transform raises a ValueError that says so."""
    X = X_TRAIN.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        PiecewiseLinearEncoder().fit(X)
    encoder = PiecewiseLinearEncoder().fit(X_TRAIN)
    with pytest.raises(ValueError, match="NaN"):
        encoder.transform(X)


def test_feature_names_from_a_dataframe():
    """Output names are <column>_bin<t> for named columns."""
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(X_TRAIN, columns=["age", "income"])
    encoder = PiecewiseLinearEncoder(n_bins=2).fit(X)
    assert_array_equal(
        encoder.get_feature_names_out(),
        ["age_bin0", "age_bin1", "income_bin0", "income_bin1"],
    )


def test_pickle_and_skops_round_trips():
    """pickle and skops (trusting only the encoder) restore identical output."""
    sio = pytest.importorskip("skops.io")
    encoder = PiecewiseLinearEncoder(n_bins=3).fit(X_TRAIN)
    expected = encoder.transform(X_TRAIN)
    data = sio.dumps(encoder)
    assert sio.get_untrusted_types(data=data) == [
        "skdropout._piecewise.PiecewiseLinearEncoder"
    ]
    for loaded in (
        sio.loads(data, trusted=["skdropout._piecewise.PiecewiseLinearEncoder"]),
        pickle.loads(pickle.dumps(encoder)),
    ):
        assert_array_equal(loaded.transform(X_TRAIN), expected)
