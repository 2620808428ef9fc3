"""The plain estimators on small data, shared by the test modules that check
behaviour common to both (randomness, resuming, validation, early stopping,
data, failures, messages, tooling)."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor


def _classification(n_samples=120, random_state=0):
    X, y = make_classification(
        n_samples=n_samples, n_features=6, n_informative=4, n_classes=3,
        random_state=random_state,
    )  # fmt: skip
    return StandardScaler().fit_transform(X), y


def _regression(n_samples=120, random_state=0):
    X, y = make_regression(
        n_samples=n_samples, n_features=6, noise=1.0, random_state=random_state
    )
    return StandardScaler().fit_transform(X), y / y.std()


CASES = [
    pytest.param(DropoutMLPClassifier, _classification, id="classifier"),
    pytest.param(DropoutMLPRegressor, _regression, id="regressor"),
]


def _small(Estimator, **params):
    defaults = dict(hidden_layer_sizes=(16, 8), max_iter=5, random_state=0)
    return Estimator(**{**defaults, **params})


def _weights(est):
    return est.coefs_ + est.intercepts_


def _first_call_kwargs(Estimator, y):
    """What the first partial_fit call needs: the classes, for a classifier."""
    return {"classes": np.unique(y)} if Estimator is DropoutMLPClassifier else {}


def _assert_same_weights(a, b):
    for wa, wb in zip(_weights(a), _weights(b)):
        assert_array_equal(wa, wb)
