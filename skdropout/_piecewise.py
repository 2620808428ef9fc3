"""PiecewiseLinearEncoder: the piecewise-linear encoding of numerical features
(Gorishniy, Rubachev and Babenko, 2022) with bin edges at training quantiles."""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from skdropout._persistence import SavedFormat


def quantile_bin_edges(column, n_bins):
    """The distinct quantiles of ``column`` at 0, 1/n_bins, ..., 1: the edges of
    at most ``n_bins`` bins (fewer where quantiles coincide, none for a constant
    column, which has a single edge), in the column's dtype."""
    quantiles = np.quantile(column, np.linspace(0.0, 1.0, n_bins + 1))
    return np.unique(quantiles.astype(column.dtype))


def piecewise_linear(X, *, feature, left, width, lower, upper):
    """The ramps of every output column at once.

    Output column j encodes feature ``feature[j]`` on the bin that starts at
    ``left[j]`` and is ``width[j]`` wide: ``(x - left) / width`` clipped to
    ``[lower[j], upper[j]]``, which is [0, 1] for an inner bin, (-inf, 1] for a
    feature's first bin, [0, inf) for its last and (-inf, inf) for a feature's
    only bin.
    """
    ramps = (X[:, feature] - left) / width
    return np.clip(ramps, lower, upper, out=ramps)


class PiecewiseLinearEncoder(SavedFormat, TransformerMixin, BaseEstimator):
    """Piecewise-linear encoding of numerical features on quantile bins.

    Each feature is cut into bins whose edges are quantiles of its training
    values, and each value becomes one number per bin: 0 in the bins above it,
    1 in the bins below it and its relative position inside the bin that holds
    it. A network reading this encoding can learn a different slope on each
    bin, which helps multilayer perceptrons on tabular data (Gorishniy et al.,
    2022).

    Parameters
    ----------
    n_bins : int, default=48
        The number of quantile bins per feature, at least 2: the edges are the
        quantiles at 0, 1/n_bins, ..., 1 of the feature's training values
        (linear interpolation, :func:`numpy.quantile`'s default). Quantiles
        that coincide are merged, so a feature with few distinct values gets
        fewer bins, and a constant feature gets none: it adds no column to the
        output. The default is that of the authors' reference package,
        ``rtdl_num_embeddings.compute_bins``. The output has up to
        ``n_bins * n_features`` columns.

    Attributes
    ----------
    bin_edges_ : list of ndarray
        The edges of each feature's bins, increasing, in the dtype of the
        training data; ``len(bin_edges_[i]) - 1`` bins for feature i.

    n_bins_ : ndarray of shape (``n_features_in_``,)
        The number of bins of each feature after merging equal edges (0 for a
        constant feature).

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during ``fit``, defined only when ``X`` has
        feature names that are all strings.

    See Also
    --------
    sklearn.preprocessing.KBinsDiscretizer : Quantile bins with a one-hot or
        ordinal (step) encoding instead of ramps.
    TabularPreprocessor : Imputes, scales and (with
        ``numerical_encoding="piecewise_linear"``) applies this encoding to the
        numerical columns of a table.

    Notes
    -----
    For a feature with edges :math:`b_0 < b_1 < \\dots < b_T` (T bins), bin t
    (t = 1, ..., T) encodes x as

    .. math::

        e_t(x) = \\mathrm{clip}\\left(\\frac{x - b_{t-1}}{b_t - b_{t-1}},
        0, 1\\right),

    that is 0 for :math:`x < b_{t-1}`, 1 for :math:`x \\ge b_t` and the
    linear ramp in between. As in the paper (its Equation 1) and its
    reference implementation, the first bin is not clipped below and the last
    not clipped above: for x under the lowest training value :math:`e_1(x) <
    0`, for x over the highest :math:`e_T(x) > 1`, so values outside the
    training range keep their distance instead of all encoding alike. A
    feature with a single bin is the linear map :math:`(x - b_0) / (b_1 -
    b_0)`, unclipped. Inside the training range the sum of the ramps is the
    position of x among the bins: :math:`\\sum_t e_t(x) = (t - 1) + e_t(x)` for
    x in bin t.

    Missing values (NaN) and infinite values are refused: impute first, as
    :class:`TabularPreprocessor` does. The output is dense: about half of its
    values are 1 (every bin below the value), so a sparse matrix would save
    nothing.

    References
    ----------
    Gorishniy, Y., Rubachev, I. and Babenko, A. (2022). On embeddings for
    numerical features in tabular deep learning. Advances in Neural Information
    Processing Systems 35.

    Examples
    --------
    >>> import numpy as np
    >>> from skdropout import PiecewiseLinearEncoder
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    >>> encoder = PiecewiseLinearEncoder(n_bins=2).fit(X)
    >>> encoder.bin_edges_
    [array([0., 2., 4.])]
    >>> encoder.transform([[-1.0], [1.0], [3.0], [5.0]])
    array([[-0.5,  0. ],
           [ 0.5,  0. ],
           [ 1. ,  0.5],
           [ 1. ,  1.5]])
    >>> encoder.get_feature_names_out()
    array(['x0_bin0', 'x0_bin1'], dtype=object)
    """

    _parameter_constraints: dict = {
        "n_bins": [Interval(Integral, 2, None, closed="left")],
    }

    def __init__(self, n_bins=48):
        self.n_bins = n_bins

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the bin edges of each feature from its quantiles.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training data, without missing or infinite values.

        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted encoder.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        self.bin_edges_ = [quantile_bin_edges(column, self.n_bins) for column in X.T]
        self.n_bins_ = np.array([len(edges) - 1 for edges in self.bin_edges_])
        return self

    def _ramps(self):
        """Per output column: its feature, the left edge and width of its bin,
        and the clipping bounds."""
        feature, left, width, lower, upper = [], [], [], [], []
        for i, edges in enumerate(self.bin_edges_):
            n = len(edges) - 1
            feature += [i] * n
            left.append(edges[:-1])
            width.append(np.diff(edges))
            low, high = np.zeros(n), np.ones(n)
            if n:
                low[0], high[-1] = -np.inf, np.inf
            lower.append(low)
            upper.append(high)
        return dict(
            feature=np.array(feature, dtype=np.intp),
            left=np.concatenate(left),
            width=np.concatenate(width),
            lower=np.concatenate(lower),
            upper=np.concatenate(upper),
        )

    def transform(self, X):
        """Encode each value as its ramps over the bins of its feature.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to encode, without missing or infinite values.

        Returns
        -------
        X_out : ndarray of shape (n_samples, ``n_bins_.sum()``)
            The ramps, feature after feature, in the dtype of ``X`` (float32 or
            float64; other types become float64).
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        ramps = {
            key: value if key == "feature" else value.astype(X.dtype)
            for key, value in self._ramps().items()
        }
        return piecewise_linear(X, **ramps)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: ``<feature>_bin<t>``, t from 0.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            The input feature names; ``feature_names_in_`` if fitted on named
            columns, else ``x0``, ``x1``, ...

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output column.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        pairs = zip(names, self.n_bins_)
        return np.array(
            [f"{name}_bin{t}" for name, n in pairs for t in range(n)], dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
