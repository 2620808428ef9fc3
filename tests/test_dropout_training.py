"""What the dropout parameters do to training: rates per layer, the noise
kinds (Bernoulli, Gaussian, alpha) and the max-norm constraint."""

import numpy as np
import pytest
from _cases import CASES, _assert_same_weights, _small
from numpy.testing import assert_array_equal

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


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
