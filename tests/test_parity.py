"""Parity with scikit-learn's MLPClassifier and MLPRegressor when dropout is off.

With ``dropout=0`` and ``input_dropout=0`` the estimators draw the same random
numbers in the same order as scikit-learn's MLP (initialisation, early-stopping
split, shuffling) and apply the same arithmetic, so one ``fit`` with the same
``random_state`` learns the same weights. The intended differences are each
tested as the relation they should satisfy:

- for several outputs, the squared error is reported summed over the outputs
  (scikit-learn averages it, while following the gradient of the sum);
- later ``partial_fit`` calls and warm-started refits continue the random stream
  instead of re-seeding it;
- float32 input is computed in float32 throughout (scikit-learn upcasts some
  intermediate arrays, and its L-BFGS returns float64 weights).
"""

import inspect
from functools import lru_cache

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from packaging.version import Version
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.neural_network._base import LOSS_FUNCTIONS as SKLEARN_LOSSES
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N_SAMPLES = 150

SOLVERS = {
    "adam": dict(solver="adam"),
    "sgd-nesterov": dict(solver="sgd", nesterovs_momentum=True),
    "sgd-momentum": dict(solver="sgd", nesterovs_momentum=False),
    "sgd-invscaling": dict(solver="sgd", learning_rate="invscaling"),
    "sgd-adaptive": dict(solver="sgd", learning_rate="adaptive"),
    "lbfgs": dict(solver="lbfgs"),
}

# (scikit-learn class, skdropout class, extra parameters) per task; the data
# come from _task_data.
TASKS = {
    "binary": (MLPClassifier, DropoutMLPClassifier, {}),
    "multiclass": (MLPClassifier, DropoutMLPClassifier, {}),
    "multilabel": (MLPClassifier, DropoutMLPClassifier, {}),
    "squared-1": (MLPRegressor, DropoutMLPRegressor, {}),
    "squared-3": (MLPRegressor, DropoutMLPRegressor, {}),
    "poisson-1": (MLPRegressor, DropoutMLPRegressor, {"loss": "poisson"}),
    "poisson-3": (MLPRegressor, DropoutMLPRegressor, {"loss": "poisson"}),
}

FIT_OPTIONS = {
    "plain": dict(early_stopping=False, sample_weight=False),
    "weighted": dict(early_stopping=False, sample_weight=True),
    "early-stopping": dict(early_stopping=True, sample_weight=False),
    "weighted-early-stopping": dict(early_stopping=True, sample_weight=True),
}


def _task_data(task, dtype=np.float64):
    """Small data for a task, with regression targets of unit scale."""
    rng = np.random.RandomState(0)
    if task == "binary":
        X, y = make_classification(N_SAMPLES, 8, n_informative=5, random_state=0)
    elif task == "multiclass":
        X, y = make_classification(
            N_SAMPLES, 8, n_informative=5, n_classes=3, random_state=0
        )
    elif task == "multilabel":
        X, y = make_multilabel_classification(N_SAMPLES, 8, n_classes=3, random_state=0)
    elif task.startswith("squared"):
        n_targets = int(task[-1])
        X, y = make_regression(
            N_SAMPLES, 8, n_targets=n_targets, noise=1, random_state=0
        )
        y = y / y.std(axis=0)
    else:  # Poisson counts with a log-linear mean
        n_targets = int(task[-1])
        X = rng.randn(N_SAMPLES, 8)
        y = rng.poisson(np.exp(0.5 * X[:, :n_targets])).astype(np.float64)
        y = y.ravel() if n_targets == 1 else y
    return X.astype(dtype), y


def _sample_weight():
    return np.random.RandomState(1).uniform(0.5, 2.0, N_SAMPLES)


_SKLEARN_SQUARED_ERROR = SKLEARN_LOSSES["squared_error"]


def _summed_squared_error(y_true, y_pred, *sample_weight):
    """scikit-learn's squared loss summed, not averaged, over the outputs.

    (Before scikit-learn 1.7 its losses take no sample_weight argument.)"""
    return y_true.shape[1] * _SKLEARN_SQUARED_ERROR(y_true, y_pred, *sample_weight)


# scikit-learn's MLPs gained sample_weight and loss='poisson' in 1.7. On older
# versions (the supported floor is 1.6.1) there is no reference to compare those
# with, so only those cases are skipped there.
_REFERENCE_HAS_SAMPLE_WEIGHT = (
    "sample_weight" in inspect.signature(MLPClassifier.fit).parameters
)
_REFERENCE_HAS_POISSON = "loss" in inspect.signature(MLPRegressor).parameters


def _skip_if_reference_lacks(params, sample_weight):
    if sample_weight is not None and not _REFERENCE_HAS_SAMPLE_WEIGHT:
        pytest.skip("scikit-learn < 1.7: its MLP has no sample_weight to compare with")
    if params.get("loss") == "poisson" and not _REFERENCE_HAS_POISSON:
        pytest.skip("scikit-learn < 1.7: its MLPRegressor has no Poisson loss")


def _fit_pair(task, params, X, y, sample_weight=None, sum_sklearn_outputs=False):
    """Fit scikit-learn's MLP and the zero-dropout estimator with the same params."""
    sk_class, our_class, task_params = TASKS[task]
    params = {**task_params, **params}
    _skip_if_reference_lacks(params, sample_weight)
    fit_params = {} if sample_weight is None else {"sample_weight": sample_weight}
    with pytest.MonkeyPatch.context() as patch:
        if sum_sklearn_outputs and task == "squared-3":
            # For several outputs scikit-learn reports (and hands L-BFGS) the
            # squared error averaged over outputs, while its gradient is that of
            # the sum; skdropout uses the sum for both. With the reference's loss
            # made the sum too, everything is comparable, L-BFGS included (the
            # unpatched relations are checked in test_multioutput_squared_error_*).
            patch.setitem(SKLEARN_LOSSES, "squared_error", _summed_squared_error)
        theirs = sk_class(**params).fit(X, y, **fit_params)
    ours = our_class(dropout=0, **params).fit(X, y, **fit_params)
    return ours, theirs


def _assert_same_weights(ours, theirs, rtol, atol):
    for name in ("coefs_", "intercepts_"):
        for mine, ref in zip(getattr(ours, name), getattr(theirs, name)):
            assert_allclose(mine, ref, rtol=rtol, atol=atol, err_msg=name)


def _assert_same_predictions(ours, theirs, X, atol):
    if isinstance(ours, DropoutMLPClassifier):
        assert_array_equal(ours.predict(X), theirs.predict(X))
        assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=atol)
    else:
        assert_allclose(ours.predict(X), theirs.predict(X), rtol=atol, atol=atol)


#: scikit-learn computes its losses as skdropout does (a mean per output, then
#: their sum) since 1.7; before, it summed everything and divided, which
#: differs in the last bits.
SKLEARN_LOSS_ORDER = Version(sklearn.__version__) >= Version("1.7")


def _tolerances(solver, dtype, task):
    """(weight rtol, weight atol, loss rtol) for comparing against scikit-learn:
    none in float64, where the weights, losses and outputs are scikit-learn's
    bit for bit, L-BFGS's too, but for the regression of several outputs,
    whose loss scikit-learn averages over the outputs (the module's
    docstring)."""
    if dtype == np.float32:
        # (float32 L-BFGS is compared on its loss and predictions instead.)
        # scikit-learn upcasts some float32 intermediates to float64 (Adam's
        # step size is a NumPy float64, the regressor keeps y in float64),
        # skdropout stays in float32: rounding at float32's eps (1e-7) builds up
        # over the epochs.
        return 1e-5, 1e-6, 1e-5
    if task != "squared-3" and SKLEARN_LOSS_ORDER:
        return 0, 0, 0
    if solver == "lbfgs":
        # Its loss, summed over outputs here, averaged there and multiplied
        # back, differs in its last bits; L-BFGS's line search branches on it.
        return 1e-6, 1e-9, 1e-9
    return 1e-7, 1e-12, 1e-10


def _fit_cases():
    for solver in SOLVERS:
        for task in TASKS:
            for dtype in (np.float64, np.float32):
                for option, spec in FIT_OPTIONS.items():
                    if solver == "lbfgs" and spec["early_stopping"]:
                        continue  # L-BFGS has no early stopping
                    yield pytest.param(
                        solver,
                        task,
                        dtype,
                        option,
                        id=f"{solver}-{task}-{np.dtype(dtype).name}-{option}",
                    )


@pytest.mark.parametrize("solver, task, dtype, option", list(_fit_cases()))
def test_fit_matches_sklearn(solver, task, dtype, option):
    """With dropout off, one fit learns scikit-learn's weights, losses and outputs."""
    X, y = _task_data(task, dtype)
    spec = FIT_OPTIONS[option]
    params = dict(
        hidden_layer_sizes=(10, 5),
        batch_size=32,  # several minibatches per epoch, so their order matters
        max_iter=20,
        random_state=0,
        early_stopping=spec["early_stopping"],
        **SOLVERS[solver],
    )
    if solver.startswith("sgd"):
        params["learning_rate_init"] = 0.01
    sample_weight = _sample_weight() if spec["sample_weight"] else None
    ours, theirs = _fit_pair(
        task, params, X, y, sample_weight, sum_sklearn_outputs=True
    )

    assert ours.coefs_[0].dtype == dtype  # float32 in, float32 weights out
    if solver == "lbfgs" and dtype == np.float32:
        # scikit-learn runs L-BFGS on float64 copies of the weights, skdropout in
        # float32. L-BFGS amplifies that rounding along its path by an amount that
        # depends on the SciPy version (with SciPy 1.10 the multilabel weights
        # part by 0.08 on flat directions), so the objective reached and the
        # predictions are compared, not the weights.
        assert_allclose(ours.loss_, theirs.loss_, rtol=2e-3)
        if isinstance(ours, DropoutMLPClassifier):
            assert np.mean(ours.predict(X) == theirs.predict(X)) >= 0.98
        else:
            assert_allclose(ours.predict(X), theirs.predict(X), atol=1e-2)
        return

    rtol, atol, loss_rtol = _tolerances(solver, dtype, task)
    _assert_same_weights(ours, theirs, rtol, atol)
    assert ours.n_iter_ == theirs.n_iter_
    assert_allclose(ours.loss_, theirs.loss_, rtol=loss_rtol)
    if solver != "lbfgs":
        assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=loss_rtol)
        assert ours.t_ == theirs.t_
    if spec["early_stopping"]:
        # Scores (accuracy, R2) are of unit scale and may be close to 0.
        for name in ("validation_scores_", "best_validation_score_"):
            assert_allclose(
                getattr(ours, name),
                getattr(theirs, name),
                rtol=loss_rtol,
                atol=loss_rtol,
                err_msg=name,
            )
    _assert_same_predictions(ours, theirs, X, atol=max(atol, 1e-10))


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_fit_matches_sklearn_for_each_activation(activation, solver):
    """With dropout off, every hidden activation learns scikit-learn's weights."""
    X, y = _task_data("multiclass")
    params = dict(
        hidden_layer_sizes=(10, 5),
        activation=activation,  # 'logistic' also changes the initial scale
        batch_size=32,
        max_iter=20,
        random_state=0,
        **SOLVERS[solver],
    )
    ours, theirs = _fit_pair("multiclass", params, X, y)

    rtol, atol, loss_rtol = _tolerances(solver, np.float64, "multiclass")
    _assert_same_weights(ours, theirs, rtol, atol)
    assert ours.n_iter_ == theirs.n_iter_
    assert_allclose(ours.loss_, theirs.loss_, rtol=loss_rtol)


@pytest.mark.parametrize("solver", ["adam", "sgd-nesterov", "lbfgs"])
@pytest.mark.parametrize("task", ["multiclass", "squared-1"])
def test_fit_on_sparse_input_matches_sklearn(solver, task):
    """With dropout off, a fit on CSR input learns scikit-learn's weights."""
    X, y = _task_data(task)
    X[np.abs(X) < 1] = 0  # keeps a third to a half of the entries
    X = sp.csr_matrix(X)
    params = dict(
        hidden_layer_sizes=(15,),
        batch_size=32,
        max_iter=20,
        random_state=0,
        **SOLVERS[solver],
    )
    ours, theirs = _fit_pair(task, params, X, y)

    rtol, atol, loss_rtol = _tolerances(solver, np.float64, task)
    _assert_same_weights(ours, theirs, rtol, atol)
    assert ours.n_iter_ == theirs.n_iter_
    assert_allclose(ours.loss_, theirs.loss_, rtol=loss_rtol)
    _assert_same_predictions(ours, theirs, X, atol=1e-10)


@pytest.mark.parametrize("solver", ["adam", "sgd-nesterov"])
def test_multioutput_squared_error_reports_summed_loss(solver):
    """For several outputs the loss is scikit-learn's times n_outputs, weights same."""
    X, y = _task_data("squared-3")
    # alpha=0: neither library scales the L2 term by the number of outputs, so
    # with a penalty the factor would hold for the data term only.
    params = dict(
        hidden_layer_sizes=(10, 5),
        batch_size=32,
        max_iter=20,
        alpha=0.0,
        random_state=0,
        **SOLVERS[solver],
    )
    ours, theirs = _fit_pair("squared-3", params, X, y)

    _assert_same_weights(ours, theirs, rtol=1e-7, atol=1e-12)
    assert ours.n_iter_ == theirs.n_iter_
    n_outputs = y.shape[1]
    assert ours.n_outputs_ == n_outputs
    assert_allclose(
        ours.loss_curve_, n_outputs * np.asarray(theirs.loss_curve_), rtol=1e-10
    )


def test_multioutput_squared_error_stops_like_sklearn_with_tol_over_n_outputs():
    """For several outputs, tol applies to the summed loss: sklearn stops alike at
    tol / n_outputs."""
    X, y = _task_data("squared-3")
    n_outputs = y.shape[1]
    params = dict(
        hidden_layer_sizes=(10, 5),
        learning_rate_init=0.01,
        max_iter=1000,
        alpha=0.0,
        tol=1e-4,
        random_state=0,
    )
    ours = DropoutMLPRegressor(dropout=0, **params).fit(X, y)
    theirs = MLPRegressor(**{**params, "tol": params["tol"] / n_outputs}).fit(X, y)

    assert ours.n_iter_ < params["max_iter"]  # stopped on tol, not on max_iter
    assert ours.n_iter_ == theirs.n_iter_
    _assert_same_weights(ours, theirs, rtol=1e-7, atol=1e-12)


# -- accuracy on real data -------------------------------------------------------------

CLASSIFICATION_DATASETS = {
    "digits": load_digits,
    "iris": load_iris,
    "breast_cancer": load_breast_cancer,
}

CLASSIFIER_PARAMS = dict(hidden_layer_sizes=(64,), max_iter=200, random_state=0)


@lru_cache
def _classification_split(name):
    X, y = CLASSIFICATION_DATASETS[name](return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@lru_cache
def _sklearn_accuracy(name):
    X_train, X_test, y_train, y_test = _classification_split(name)
    model = MLPClassifier(**CLASSIFIER_PARAMS).fit(X_train, y_train)
    return model.score(X_test, y_test)


@pytest.mark.parametrize("name", list(CLASSIFICATION_DATASETS))
def test_accuracy_matches_sklearn_on_real_data(name):
    """With dropout off, test accuracy on a real data set equals scikit-learn's."""
    X_train, X_test, y_train, y_test = _classification_split(name)
    ours = DropoutMLPClassifier(dropout=0, **CLASSIFIER_PARAMS).fit(X_train, y_train)
    score, reference = ours.score(X_test, y_test), _sklearn_accuracy(name)

    assert abs(score - reference) <= 0.01
    assert score == reference  # same weights, so the very same predictions


@pytest.mark.parametrize("name", list(CLASSIFICATION_DATASETS))
def test_dropout_keeps_accuracy_close_to_sklearn(name):
    """With dropout=0.2, test accuracy stays within 0.05 of scikit-learn's MLP."""
    X_train, X_test, y_train, y_test = _classification_split(name)
    ours = DropoutMLPClassifier(dropout=0.2, **CLASSIFIER_PARAMS).fit(X_train, y_train)

    assert ours.score(X_test, y_test) >= _sklearn_accuracy(name) - 0.05


@pytest.mark.parametrize("early_stopping", [False, True])
def test_r2_matches_sklearn_on_diabetes(early_stopping):
    """With dropout off, test R2 on the diabetes data equals scikit-learn's."""
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    mean, std = y_train.mean(), y_train.std()
    y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
    params = dict(
        hidden_layer_sizes=(32,),
        learning_rate_init=0.01,
        max_iter=500,
        early_stopping=early_stopping,
        random_state=0,
    )
    ours = DropoutMLPRegressor(dropout=0, **params).fit(X_train, y_train)
    theirs = MLPRegressor(**params).fit(X_train, y_train)
    score, reference = ours.score(X_test, y_test), theirs.score(X_test, y_test)

    assert abs(score - reference) <= 0.01
    assert score == reference
    assert ours.n_iter_ == theirs.n_iter_


# -- partial_fit and warm_start --------------------------------------------------------


def _partial_fit_pair(task, solver, shuffle, sklearn_random_state=0):
    sk_class, our_class, _ = TASKS[task]
    params = dict(
        hidden_layer_sizes=(15,), batch_size=32, shuffle=shuffle, **SOLVERS[solver]
    )
    if solver.startswith("sgd"):
        params["learning_rate_init"] = 0.01
    theirs = sk_class(random_state=sklearn_random_state, **params)
    ours = our_class(dropout=0, random_state=0, **params)
    return ours, theirs


def _partial_fit(model, X, y, classes=None):
    if classes is None:
        return model.partial_fit(X, y)
    return model.partial_fit(X, y, classes=classes)


def _halves(task):
    X, y = _task_data(task)
    classes = np.unique(y) if task == "multiclass" else None
    half = N_SAMPLES // 2
    return (X[:half], y[:half]), (X[half:], y[half:]), classes


@pytest.mark.parametrize("solver", ["adam", "sgd-nesterov"])
@pytest.mark.parametrize("task", ["multiclass", "squared-1"])
def test_first_partial_fit_matches_sklearn(task, solver):
    """With dropout off, a first partial_fit learns scikit-learn's weights."""
    (X1, y1), _, classes = _halves(task)
    ours, theirs = _partial_fit_pair(task, solver, shuffle=True)
    _partial_fit(ours, X1, y1, classes)
    _partial_fit(theirs, X1, y1, classes)

    _assert_same_weights(ours, theirs, rtol=1e-7, atol=1e-12)
    assert_allclose(ours.loss_, theirs.loss_, rtol=1e-10)
    assert ours.n_iter_ == theirs.n_iter_ == 1
    assert ours.t_ == theirs.t_
    if classes is not None:
        assert_array_equal(ours.classes_, theirs.classes_)


@pytest.mark.parametrize("solver", ["adam", "sgd-nesterov"])
@pytest.mark.parametrize("task", ["multiclass", "squared-1"])
def test_later_partial_fit_continues_the_random_stream(task, solver):
    """A second shuffled partial_fit continues the random stream, by design.

    scikit-learn calls check_random_state(random_state) on every partial_fit, so
    an int seed restarts the stream: with dropout every call would reuse the first
    call's masks and shuffles. skdropout keeps its generator, so its second call
    differs from scikit-learn's with the same int seed and equals scikit-learn's
    given a RandomState instance (which check_random_state returns as is, so it
    is not re-seeded either).
    """
    (X1, y1), (X2, y2), classes = _halves(task)
    ours, reseeded = _partial_fit_pair(task, solver, shuffle=True)
    _, continued = _partial_fit_pair(
        task, solver, shuffle=True, sklearn_random_state=np.random.RandomState(0)
    )
    for model in (ours, reseeded, continued):
        _partial_fit(model, X1, y1, classes)
        _partial_fit(model, X2, y2)

    diffs = [np.abs(a - b).max() for a, b in zip(ours.coefs_, reseeded.coefs_)]
    assert max(diffs) > 1e-6
    _assert_same_weights(ours, continued, rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("solver", ["adam", "sgd-nesterov"])
@pytest.mark.parametrize("task", ["multiclass", "squared-1"])
def test_partial_fit_without_randomness_matches_sklearn(task, solver):
    """Without shuffling or dropout, repeated partial_fit calls match scikit-learn."""
    (X1, y1), (X2, y2), classes = _halves(task)
    ours, theirs = _partial_fit_pair(task, solver, shuffle=False)
    _partial_fit(ours, X1, y1, classes)
    _partial_fit(theirs, X1, y1, classes)
    for X, y in [(X2, y2), (X1, y1), (X2, y2)]:
        _partial_fit(ours, X, y)
        _partial_fit(theirs, X, y)
        _assert_same_weights(ours, theirs, rtol=1e-7, atol=1e-12)
        assert_allclose(ours.loss_, theirs.loss_, rtol=1e-10)

    assert ours.t_ == theirs.t_ == 2 * N_SAMPLES


@pytest.mark.parametrize("task", ["multiclass", "squared-1"])
def test_warm_start_refit_continues_the_random_stream(task):
    """A warm-started refit continues the stream, like sklearn given a RandomState."""
    # Same design as for partial_fit: an int random_state seeds the generator on
    # the first fit only, so a resumed fit draws new shuffles (and masks).
    X, y = _task_data(task)
    sk_class, our_class, _ = TASKS[task]
    params = dict(hidden_layer_sizes=(10, 5), batch_size=32, max_iter=5)
    ours = our_class(dropout=0, warm_start=True, random_state=0, **params)
    reseeded = sk_class(warm_start=True, random_state=0, **params)
    continued = sk_class(
        warm_start=True, random_state=np.random.RandomState(0), **params
    )
    for model in (ours, reseeded, continued):
        model.fit(X, y).fit(X, y)

    diffs = [np.abs(a - b).max() for a, b in zip(ours.coefs_, reseeded.coefs_)]
    assert max(diffs) > 1e-6
    _assert_same_weights(ours, continued, rtol=1e-7, atol=1e-12)
    assert ours.n_iter_ == continued.n_iter_
