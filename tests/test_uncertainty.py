"""Monte Carlo dropout: predict_mc and predict(X, return_std=True)."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _f(x):
    return np.sin(2 * x)


def _noisy_1d(x, seed, noise=0.2):
    rng = np.random.RandomState(seed)
    return x.reshape(-1, 1), _f(x) + rng.normal(0, noise, len(x))


def _regressor(**params):
    defaults = dict(
        hidden_layer_sizes=(128, 128), dropout=0.1, learning_rate_init=0.01,
        max_iter=300, early_stopping=True, random_state=0,
    )  # fmt: skip
    return DropoutMLPRegressor(**{**defaults, **params})


@pytest.fixture(scope="module")
def fitted_1d():
    """A regressor fitted on sin(2x) + N(0, 0.2^2) noise for x in [-2, 2]."""
    x = np.random.RandomState(0).uniform(-2, 2, 400)
    return _regressor().fit(*_noisy_1d(x, seed=1))


def test_std_grows_outside_the_training_range(fitted_1d):
    """The predictive std far outside the training range is clearly larger than
    inside it."""
    _, std_inside = fitted_1d.predict(np.linspace(-1.5, 1.5, 50)[:, None], True)
    _, std_outside = fitted_1d.predict(np.array([[-5.0], [-4.0], [4.0], [5.0]]), True)
    assert std_outside.min() > 1.5 * std_inside.max()


def test_intervals_cover_held_out_targets(fitted_1d):
    """On held-out data from the same noisy function, mean +/- 1.96 std holds
    between 85% and 99% of the targets (95% nominal)."""
    x = np.random.RandomState(2).uniform(-2, 2, 2000)
    X_test, y_test = _noisy_1d(x, seed=3)
    mean, std = fitted_1d.predict(X_test, return_std=True)
    coverage = np.mean(np.abs(y_test - mean) <= 1.96 * std)
    assert 0.85 <= coverage <= 0.99


def test_noise_variance_estimates_the_noise(fitted_1d):
    """noise_variance_ is close to the true noise variance (0.2^2)."""
    assert fitted_1d.noise_variance_.shape == (1,)
    assert 0.7 * 0.04 < fitted_1d.noise_variance_[0] < 1.3 * 0.04


def test_std_combines_model_and_noise_variance(fitted_1d):
    """std**2 is the variance of the MC passes plus the noise variance."""
    X = np.linspace(-3, 3, 20)[:, None]
    _, std = fitted_1d.predict(X, return_std=True)
    passes = fitted_1d.predict_mc(X)[:, :, 0]
    assert_allclose(std**2, passes.var(axis=0) + fitted_1d.noise_variance_[0])


def test_gap_uncertainty_is_understated():
    """The known weakness (Foong et al. 2019), measured: between two clusters of
    training data the model's MC std is no larger than on the data, although the
    error there is several times larger."""
    rng = np.random.RandomState(0)
    x = np.concatenate([rng.uniform(-2, -1, 200), rng.uniform(1, 2, 200)])
    reg = _regressor().fit(*_noisy_1d(x, seed=1))
    on_data = np.r_[np.linspace(-2, -1, 30), np.linspace(1, 2, 30)]
    in_gap = np.linspace(-0.5, 0.5, 30)

    def model_std(x):
        return reg.predict_mc(x[:, None]).std(axis=0).mean()

    def error(x):
        return np.abs(reg.predict(x[:, None]) - _f(x)).mean()

    assert error(in_gap) > 2.5 * error(on_data)
    assert model_std(in_gap) < 1.5 * model_std(on_data)


def test_predict_mc_is_reproducible_and_leaves_the_model_alone(fitted_1d):
    """predict_mc is reproducible from its seed, differs between seeds, and
    changes nothing in the estimator (the training generator is not used)."""
    X = np.linspace(-2, 2, 30)[:, None]
    before = pickle.dumps(fitted_1d)
    a = fitted_1d.predict_mc(X, n_passes=7, random_state=5)
    b = fitted_1d.predict_mc(X, n_passes=7, random_state=5)
    c = fitted_1d.predict_mc(X, n_passes=7, random_state=6)
    assert a.shape == (7, 30, 1)
    assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert pickle.dumps(fitted_1d) == before


def test_predict_mc_default_passes(fitted_1d):
    """n_passes defaults to mc_passes."""
    X = np.zeros((3, 1))
    assert fitted_1d.predict_mc(X).shape == (fitted_1d.mc_passes, 3, 1)
    with pytest.raises(ValueError, match="n_passes must be a positive integer"):
        fitted_1d.predict_mc(X, n_passes=0)


def test_predict_mc_in_chunks(fitted_1d, monkeypatch):
    """Small chunks give passes with the same statistics as one chunk."""
    import skdropout._prediction

    X = np.linspace(-2, 2, 50)[:, None]
    whole = fitted_1d.predict_mc(X, n_passes=400)
    monkeypatch.setattr(skdropout._prediction, "_PREDICT_CHUNK_VALUES", 128 * 7)
    chunked = fitted_1d.predict_mc(X, n_passes=400)
    assert not np.array_equal(whole, chunked)  # other masks...
    # ... of the same distribution: means agree within a few standard errors.
    se = whole.std(axis=0) / np.sqrt(400)
    assert (np.abs(whole.mean(axis=0) - chunked.mean(axis=0)) < 5 * se + 1e-12).all()


def test_mean_of_passes_close_to_deterministic_prediction(fitted_1d):
    """The MC mean is close to the weight-scaled deterministic prediction
    (the approximation dropout relies on), relative to the noise level."""
    X = np.linspace(-2, 2, 40)[:, None]
    mc_mean = fitted_1d.predict_mc(X, n_passes=300).mean(axis=0)[:, 0]
    assert np.abs(mc_mean - fitted_1d.predict(X)).max() < 0.1


def test_return_std_through_pipeline():
    """Pipeline.predict(X, return_std=True) reaches the regressor."""
    x = np.random.RandomState(0).uniform(-2, 2, 200)
    X, y = _noisy_1d(x, seed=1)
    pipe = make_pipeline(StandardScaler(), _regressor(max_iter=30)).fit(X * 10, y)
    mean, std = pipe.predict(X * 10, return_std=True)
    assert mean.shape == std.shape == (200,)
    assert_allclose(mean, pipe.predict(X * 10))
    assert (std > 0).all()


def test_without_dropout_std_is_the_noise():
    """Without dropout the passes agree and the std is the noise's alone."""
    x = np.random.RandomState(0).uniform(-2, 2, 200)
    reg = _regressor(dropout=0, max_iter=30).fit(*_noisy_1d(x, seed=1))
    X = np.linspace(-3, 3, 10)[:, None]
    passes = reg.predict_mc(X, n_passes=5)
    assert_allclose(passes, np.broadcast_to(passes[0], passes.shape))
    _, std = reg.predict(X, return_std=True)
    assert_allclose(std, np.sqrt(reg.noise_variance_[0]))


def test_multi_output_and_sparse_input_dropout():
    """Several outputs give per-output stds; sparse input with input dropout
    samples as dense input does in distribution."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    X[np.abs(X) < 0.7] = 0
    Y = np.c_[X.sum(axis=1), X[:, 0] - X[:, 1]] + rng.normal(0, 0.1, (200, 2))
    reg = _regressor(input_dropout=0.2, max_iter=30).fit(sp.csr_matrix(X), Y)
    mean, std = reg.predict(sp.csr_matrix(X), return_std=True)
    assert mean.shape == std.shape == (200, 2)
    assert reg.noise_variance_.shape == (2,)
    sparse = reg.predict_mc(sp.csr_matrix(X), n_passes=200).mean(axis=0)
    dense = reg.predict_mc(X, n_passes=200).mean(axis=0)
    assert np.abs(sparse - dense).mean() < 0.1 * np.abs(dense).mean()


def test_poisson_std_includes_count_variance():
    """With the Poisson loss the noise variance is the predicted mean."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2))
    y = rng.poisson(np.exp(0.5 * X[:, 0]))
    reg = _regressor(loss="poisson", max_iter=30).fit(X, y)
    _, std = reg.predict(X, return_std=True)
    passes = reg.predict_mc(X)[:, :, 0]
    assert_allclose(std**2, passes.var(axis=0) + passes.mean(axis=0))


def test_gaussian_dropout_uncertainty(fitted_1d):
    """Gaussian dropout samples with Gaussian noise of the training rate."""
    x = np.random.RandomState(0).uniform(-2, 2, 400)
    reg = _regressor(dropout_noise="gaussian").fit(*_noisy_1d(x, seed=1))
    X = np.linspace(-1.5, 1.5, 20)[:, None]
    assert (reg.predict_mc(X).std(axis=0) > 0).all()


# -- classifier ------------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_predict_mc(n_classes):
    """predict_mc gives per-pass class probabilities whose mean is close to
    predict_proba."""
    X, y = make_classification(
        n_samples=200, n_features=5, n_informative=3, n_classes=n_classes,
        random_state=0,
    )  # fmt: skip
    clf = DropoutMLPClassifier(dropout=0.3, max_iter=50, random_state=0).fit(X, y)
    proba = clf.predict_mc(X, n_passes=200)
    assert proba.shape == (200, 200, n_classes)
    assert_allclose(proba.sum(axis=2), 1)
    assert np.abs(proba.mean(axis=0) - clf.predict_proba(X)).mean() < 0.05
    assert proba.std(axis=0).mean() > 0


def test_classifier_predict_mc_multilabel():
    """Multilabel predict_mc gives each label's probability per pass."""
    from sklearn.datasets import make_multilabel_classification

    X, Y = make_multilabel_classification(n_samples=60, n_classes=3, random_state=0)
    clf = DropoutMLPClassifier(max_iter=10, random_state=0).fit(X, Y)
    assert clf.predict_mc(X, n_passes=4).shape == (4, 60, 3)


def test_predict_mc_before_fit():
    """predict_mc before fit raises NotFittedError."""
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        DropoutMLPClassifier().predict_mc(np.zeros((2, 2)))
