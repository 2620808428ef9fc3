"""scikit-learn tooling: GridSearchCV and Pipeline (metadata routing of
X_val), clone, pickle and joblib."""

import pickle

import joblib
import pytest
from _cases import (
    CASES,
    _classification,
    _small,
)
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_grid_search_over_dropout_in_pipeline():
    """GridSearchCV over the dropout rate of a Pipeline fits and ranks the rates."""
    X, y = _classification(150)
    clf = DropoutMLPClassifier(
        hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=50, random_state=0
    )
    pipe = make_pipeline(StandardScaler(), clf)
    grid = GridSearchCV(
        pipe, {"dropoutmlpclassifier__dropout": [0, 0.2, 0.5]}, cv=3
    ).fit(X, y)
    assert sorted(grid.cv_results_["param_dropoutmlpclassifier__dropout"]) == [
        0,
        0.2,
        0.5,
    ]
    assert grid.best_estimator_[-1].dropout in (0, 0.2, 0.5)
    assert grid.score(X, y) > 0.5


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_clone_pickle_joblib_round_trips(Estimator, make_data, tmp_path):
    """clone refits identically; pickle and joblib copies predict identically."""
    X, y = make_data()
    est = _small(Estimator).fit(X, y)
    assert_array_equal(clone(est).fit(X, y).predict(X), est.predict(X))
    assert_array_equal(pickle.loads(pickle.dumps(est)).predict(X), est.predict(X))
    joblib.dump(est, tmp_path / "model.joblib")
    assert_array_equal(
        joblib.load(tmp_path / "model.joblib").predict(X), est.predict(X)
    )


def test_X_val_routed_through_pipeline():
    """With metadata routing, Pipeline(transform_input=["X_val"]) scales X_val
    like X before the estimator sees it."""
    import sklearn
    from sklearn.pipeline import Pipeline

    X, y = _classification(200)
    X = X * 100 + 50  # far from scaled, so an untransformed X_val would show
    with sklearn.config_context(enable_metadata_routing=True):
        clf = _small(DropoutMLPClassifier).set_fit_request(X_val=True, y_val=True)
        pipe = Pipeline(
            [("scale", StandardScaler()), ("mlp", clf)], transform_input=["X_val"]
        )
        pipe.fit(X[:150], y[:150], X_val=X[150:], y_val=y[150:])
    assert pipe[-1].validation_scores_[-1] == pipe.score(X[150:], y[150:])
