"""DropoutMLPRegressor: losses, multi-output targets, target validation."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import make_regression

from skdropout import DropoutMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n_targets=1, n_samples=150):
    X, y = make_regression(
        n_samples=n_samples, n_features=5, n_targets=n_targets, noise=1.0,
        random_state=0,
    )  # fmt: skip
    return X / X.std(axis=0), y / y.std(axis=0)


def _reg(**params):
    defaults = dict(hidden_layer_sizes=(32,), max_iter=30, random_state=0)
    return DropoutMLPRegressor(**{**defaults, **params})


def test_multi_output():
    """Several targets fit together and predict a 2-D array."""
    X, Y = _data(n_targets=3)
    reg = _reg(max_iter=200, learning_rate_init=0.01, dropout=0.1).fit(X, Y)
    assert reg.n_outputs_ == 3
    assert reg.predict(X).shape == Y.shape
    assert reg.score(X, Y) > 0.8


def test_single_output_is_1d():
    """A 1-D y predicts a 1-D array; a column y warns and predicts 1-D too."""
    from sklearn.exceptions import DataConversionWarning

    X, y = _data()
    assert _reg().fit(X, y).predict(X).shape == (len(X),)
    with pytest.warns(DataConversionWarning):
        reg = _reg().fit(X, y[:, None])
    assert reg.predict(X).shape == (len(X),)


def test_multi_output_loss_is_summed():
    """The reported loss of several outputs is the sum over outputs of the
    single-output losses (the function whose gradient is followed)."""
    X, Y = _data(n_targets=2)
    reg = _reg(max_iter=1, dropout=0, alpha=0, shuffle=False, batch_size=len(X))
    reg.fit(X, Y)
    # After one full-batch epoch, recompute the epoch's loss at the start weights.
    start = _reg(max_iter=1, dropout=0, alpha=0, shuffle=False, batch_size=len(X))
    start.set_params(learning_rate_init=1e-300).fit(X, Y)
    output = start._predict_output(X)
    expected = 0.5 * ((Y - output) ** 2).sum(axis=1).mean()
    assert start.loss_ == pytest.approx(expected, rel=1e-10)


def test_poisson():
    """The Poisson loss predicts positive values and fits counts."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3))
    y = rng.poisson(np.exp(0.5 * X[:, 0] + 0.3 * X[:, 1]))
    reg = _reg(loss="poisson", max_iter=200, learning_rate_init=0.01, dropout=0.1)
    reg.fit(X, y)
    assert reg.out_activation_ == "exp"
    assert (reg.predict(X) > 0).all()
    from sklearn.metrics import d2_tweedie_score

    assert d2_tweedie_score(y, reg.predict(X), power=1) > 0.2


def test_poisson_negative_targets_refused():
    """loss='poisson' refuses negative y and y_val, naming the loss."""
    X, y = _data()
    with pytest.raises(ValueError, match=r"loss='poisson' requires y >= 0"):
        _reg(loss="poisson").fit(X, y)
    y_pos = np.abs(y)
    with pytest.raises(ValueError, match=r"loss='poisson' requires y_val >= 0"):
        _reg(loss="poisson").fit(X, y_pos, X_val=X[:5], y_val=-y_pos[:5] - 1)


def test_y_val_output_count():
    """y_val must have as many outputs as y."""
    X, Y = _data(n_targets=2)
    with pytest.raises(ValueError, match="y_val has 1 output"):
        _reg().fit(X, Y, X_val=X[:5], y_val=Y[:5, 0])


def test_float32_targets():
    """float32 X makes the targets and the loss float32 too."""
    X, y = _data()
    reg = _reg(max_iter=3).fit(X.astype(np.float32), y)
    assert reg.predict(X.astype(np.float32)).dtype == np.float32
    assert_allclose(
        reg.predict(X.astype(np.float32)),
        _reg(max_iter=3).fit(X, y).predict(X),
        rtol=1e-3,
        atol=1e-3,
    )


def test_non_numeric_y_refused():
    """String targets are refused with a clear message."""
    X, _ = _data()
    with pytest.raises(ValueError, match="could not convert|numeric"):
        _reg().fit(X, np.array(["a"] * len(X)))
