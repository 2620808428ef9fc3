"""Progress and monitoring through scikit-learn's callback API (scikit-learn >= 1.9).

On an older scikit-learn the API does not exist: the estimators must still work,
without set_callbacks.
"""

import importlib.util

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

HAS_CALLBACK_API = importlib.util.find_spec("sklearn.callback") is not None
needs_callbacks = pytest.mark.skipif(
    not HAS_CALLBACK_API, reason="scikit-learn < 1.9 has no sklearn.callback API"
)


class Recorder:
    """A callback that records the tasks it is told about."""

    def __init__(self, stop_after=None):
        self.events = []
        self.stop_after = stop_after
        self.fitted = []

    def setup(self, estimator, context):
        self.events.append(("setup", None, None))

    def teardown(self, estimator, context):
        self.events.append(("teardown", None, None))

    def on_fit_task_begin(self, estimator, context):
        self.events.append(("begin", context.task_name, context.task_id))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.events.append(("end", context.task_name, context.task_id))
        if context.task_name == "epoch":
            self.fitted.append(fitted_estimator)
            return self.stop_after is not None and len(self.fitted) >= self.stop_after
        return False

    def count(self, kind, task_name):
        return sum(e[0] == kind and e[1] == task_name for e in self.events)


class PropagatedRecorder(Recorder):
    """The recorder, propagated from a meta-estimator to its sub-estimators."""

    max_propagation_depth = None


def _data():
    X, y = make_classification(n_samples=100, n_features=5, random_state=0)
    return X, y


def _clf(**params):
    return DropoutMLPClassifier(
        **{"hidden_layer_sizes": (8,), "max_iter": 4, "random_state": 0, **params}
    )


def test_estimators_work_with_or_without_the_api():
    """set_callbacks exists exactly when scikit-learn has the callback API, and
    fitting works either way."""
    X, y = _data()
    clf = _clf().fit(X, y)
    assert hasattr(clf, "set_callbacks") == HAS_CALLBACK_API
    assert clf.n_iter_ == 4


@needs_callbacks
def test_callback_records_every_epoch():
    """A callback is set up, told about the fit and each of its epochs in order,
    and torn down."""
    X, y = _data()
    recorder = Recorder()
    clf = _clf().set_callbacks(recorder).fit(X, y)
    epochs = [("begin", "epoch", i) for i in range(4)]
    ends = [("end", "epoch", i) for i in range(4)]
    expected = [("setup", None, None), ("begin", "fit", 0)]
    for begin, end in zip(epochs, ends):
        expected += [begin, end]
    expected += [("end", "fit", 0), ("teardown", None, None)]
    assert recorder.events == expected
    assert clf.n_iter_ == 4


@needs_callbacks
def test_fitted_estimator_at_each_epoch():
    """The fitted_estimator handed to a callback predicts with the weights of
    that epoch; the last one predicts like the final model."""
    X, y = _data()
    recorder = Recorder()
    clf = _clf().set_callbacks(recorder).fit(X, y)
    first, last = recorder.fitted[0], recorder.fitted[-1]
    assert_array_equal(last.predict_proba(X), clf.predict_proba(X))
    assert not np.array_equal(first.coefs_[0], clf.coefs_[0])
    # Its curves are those of its epochs, copies the fit does not change, and
    # its loss_ and t_ are those of its epoch.
    assert [len(f.loss_curve_) for f in recorder.fitted] == [1, 2, 3, 4]
    assert [f.loss_ for f in recorder.fitted] == clf.loss_curve_
    assert [f.t_ for f in recorder.fitted] == [len(X) * k for k in (1, 2, 3, 4)]
    first.loss_curve_.clear()
    assert len(clf.loss_curve_) == clf.n_iter_ == 4


@needs_callbacks
def test_fitted_regressor_at_each_epoch_has_its_own_noise():
    """A regressor's fitted_estimator gives predict(X, return_std=True) with
    the noise of its epoch's weights (it had none in a first fit, and the last
    fit's in a warm-started one); the last one's is the final model's."""
    X, y = make_regression(n_samples=100, n_features=5, random_state=0)
    y = y / y.std()
    recorder = Recorder()
    reg = DropoutMLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    reg.set_callbacks(recorder).fit(X, y)
    noises = [f.noise_variance_ for f in recorder.fitted]
    assert len({float(n[0]) for n in noises}) == 3
    assert_array_equal(noises[-1], reg.noise_variance_)
    mean, std = recorder.fitted[0].predict(X[:3], return_std=True)
    assert np.isfinite(std).all()


@needs_callbacks
def test_callback_can_stop_training():
    """A callback returning True at the end of an epoch stops the fit there."""
    X, y = _data()
    clf = _clf(max_iter=50).set_callbacks(Recorder(stop_after=2)).fit(X, y)
    assert clf.n_iter_ == 2


@needs_callbacks
def test_partial_fit_is_one_epoch_task():
    """Each partial_fit call is a fit task with one epoch."""
    X, y = _data()
    recorder = Recorder()
    clf = _clf().set_callbacks(recorder)
    clf.partial_fit(X, y, classes=[0, 1])
    clf.partial_fit(X, y)
    assert recorder.count("begin", "fit") == 2
    assert recorder.count("end", "epoch") == 2


@needs_callbacks
def test_lbfgs_iterations_are_tasks():
    """With lbfgs each iteration is a task, as in LogisticRegression."""
    X, y = _data()
    recorder = Recorder()
    clf = _clf(solver="lbfgs", dropout=0, max_iter=30).set_callbacks(recorder)
    clf.fit(X, y)
    # scipy reports n_iter_ iterations; one more task is opened and closed empty.
    assert recorder.count("end", "iteration") == clf.n_iter_ + 1


@needs_callbacks
def test_lbfgs_iteration_copies_count_their_iterations():
    """The fitted_estimator of L-BFGS's k-th iteration says n_iter_ = k (it
    said 0, the value before the fit's end)."""

    class Iterations(Recorder):
        def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
            if context.task_name == "iteration" and fitted_estimator is not None:
                self.fitted.append(fitted_estimator.n_iter_)
            return False

    X, y = _data()
    recorder = Iterations()
    clf = _clf(solver="lbfgs", dropout=0, max_iter=30).set_callbacks(recorder)
    clf.fit(X, y)
    assert recorder.fitted == list(range(1, clf.n_iter_ + 1))


@needs_callbacks
def test_regressor_callbacks():
    """The regressor reports its epochs too."""
    X, y = make_regression(n_samples=80, n_features=4, random_state=0)
    recorder = Recorder()
    DropoutMLPRegressor(max_iter=3, random_state=0).set_callbacks(recorder).fit(X, y)
    assert recorder.count("end", "epoch") == 3


@needs_callbacks
def test_grid_search_propagates_to_epochs():
    """A callback set on GridSearchCV reaches the epochs of every fit it runs."""
    X, y = _data()
    recorder = PropagatedRecorder()
    search = GridSearchCV(_clf(max_iter=3), {"dropout": [0, 0.5]}, cv=2)
    search.set_callbacks(recorder).fit(X, y)
    n_fits = 2 * 2 + 1  # candidates x folds, plus the refit
    assert recorder.count("begin", "fit") >= n_fits
    assert recorder.count("end", "epoch") == 3 * n_fits


@needs_callbacks
def test_failed_fit_tears_down_and_keeps_callbacks():
    """A fit that fails still tears its callbacks down, and they stay set."""
    X, y = make_regression(n_samples=80, n_features=4, random_state=0)
    recorder = Recorder()
    reg = DropoutMLPRegressor(
        solver="sgd", learning_rate_init=1e12, momentum=0, max_iter=5, random_state=0
    ).set_callbacks(recorder)
    with pytest.raises(ValueError, match="diverged|non-finite"):
        reg.fit(X * 1e3, y)
    assert recorder.events[-1] == ("teardown", None, None)
    assert not hasattr(reg, "coefs_")
    reg.set_params(learning_rate_init=0.001).fit(X, y)
    assert recorder.count("setup", None) == 2


@needs_callbacks
def test_progress_bar(capsys):
    """ProgressBar (rich) runs over a fit and over a grid search."""
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    X, y = _data()
    _clf().set_callbacks(ProgressBar()).fit(X, y)
    search = GridSearchCV(_clf(max_iter=2), {"dropout": [0, 0.5]}, cv=2)
    search.set_callbacks(ProgressBar(max_propagation_depth=None)).fit(X, y)
    assert search.best_estimator_.n_iter_ == 2


@needs_callbacks
@pytest.mark.parametrize("halving_factor", [None, 1])
@pytest.mark.parametrize("refit", [False, True])
def test_cv_estimator_propagates_to_every_fit(refit, halving_factor):
    """A callback set on DropoutMLPClassifierCV reaches each candidate's fit on
    each fold (and the refit), epoch by epoch, as on GridSearchCV, whether the
    fold models are fitted again to their chosen epochs (None) or trained in
    lockstep and rewound to them (1, the default); the fold models keep no
    callback after the fit."""
    from skdropout import DropoutMLPClassifierCV

    X, y = _data()
    recorder = PropagatedRecorder()
    search = DropoutMLPClassifierCV(hidden_layer_sizes=(8,), dropouts=[0, 0.5],
                                    weight_decays=[0.0], ensemble="best",
                                    cv=2, max_iter=3, refit=refit,
                                    halving_factor=halving_factor,
                                    random_state=0)  # fmt: skip
    search.set_callbacks(recorder).fit(X, y)
    # The search's 2 x 2 fits, (None:) the best candidate's 2 fold models
    # refitted to their chosen epochs (early stopping is on by default), and
    # the refit.
    refits = 2 if halving_factor is None else 0
    n_fits = 2 * 2 + refits + refit
    assert recorder.count("begin", "fit") == 1 + n_fits  # its own, and each fit's
    assert recorder.count("begin", "search") == 1
    assert recorder.count("begin", "epochs-refit") == (halving_factor is None)
    chosen = search.max_iter_
    assert recorder.count("end", "epoch") == 3 * 4 + chosen * (refits + refit)
    assert recorder.events[-1] == ("teardown", None, None)
    # Every task that began ended (the lockstep search began each fold task
    # outside its propagation, which added a begin without an end).
    kinds = [kind for kind, _, _ in recorder.events]
    assert kinds.count("begin") == kinds.count("end")
    for member in search.estimators_:
        assert not hasattr(member, "_callback_fit_ctx")
        assert not getattr(member, "_skl_callbacks", [])


@needs_callbacks
def test_progress_bar_on_the_cv_estimator():
    """ProgressBar runs over a CV estimator's fits, the refits on all the data
    (the regressor's default) included."""
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    from skdropout import DropoutMLPRegressorCV

    X, y = make_regression(n_samples=80, n_features=4, random_state=0)
    search = DropoutMLPRegressorCV(hidden_layer_sizes=(8,), dropouts=[0, 0.5],
                                   cv=2, max_iter=2, random_state=0)  # fmt: skip
    search.set_callbacks(ProgressBar(max_propagation_depth=None)).fit(X, y / y.std())
    assert len(search.estimators_) == np.count_nonzero(search.candidate_weights_)
    assert [m.n_iter_ for m in search.estimators_] == [2] * len(search.estimators_)
