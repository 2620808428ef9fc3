"""Hostile inputs to the CV estimators, as tests/test_faults.py and
tests/test_fuzz.py are for the plain ones: bad parameters, targets, weights and
folds, members and refits that fail, persistence and threads.

Every case either fits a usable model or raises an error of a stated type and
message; after a failure, the fitted attributes are exactly what they were
before the call (fitted or not)."""

import pickle
import threading
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import GroupKFold, KFold
from sklearn.utils._param_validation import InvalidParameterError

from skdropout import (
    DropoutMLPClassifier,
    DropoutMLPClassifierCV,
    DropoutMLPRegressor,
    DropoutMLPRegressorCV,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning",
    "ignore:Got `batch_size`:UserWarning",
)

N = 60
SMALL = dict(
    hidden_layer_sizes=(4,),
    max_iter=3,
    batch_size=32,
    random_state=0,
    dropouts=[0.0, 0.2],
    weight_decays=[0.0],
    cv=2,
)


def _data(CV):
    X, y = make_classification(
        n_samples=N,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        random_state=0,
    )
    if CV is DropoutMLPRegressorCV:
        y = X @ np.array([1.0, -0.5, 0.3, 0.0])
    return X, y


def _small(CV, **params):
    return CV(**{**SMALL, **params})


CASES = [
    pytest.param(DropoutMLPClassifierCV, id="classifier"),
    pytest.param(DropoutMLPRegressorCV, id="regressor"),
]


def _content(value):
    """A value's content, for exact comparison (arrays as bytes; containers and
    estimators element by element; anything else pickled)."""
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return ("objects", value.shape, [_content(v) for v in value.ravel()])
        return ("ndarray", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_content(v) for v in value])
    if isinstance(value, dict):
        return ("dict", {k: _content(v) for k, v in value.items()})
    if hasattr(value, "__dict__") and not isinstance(
        value, (np.random.RandomState, type)
    ):
        return (type(value).__qualname__, _content(vars(value)))
    return pickle.dumps(value)


def _state(est):
    """The fitted attributes (all but the parameters), by content."""
    return _content({k: v for k, v in vars(est).items() if k not in est.get_params()})


def _model(est):
    """The fitted model without the fit and score times (which two runs never
    share)."""
    fitted = {k: v for k, v in vars(est).items() if k not in est.get_params()}
    fitted.pop("refit_time_", None)
    fitted["cv_results_"] = {
        k: v for k, v in fitted["cv_results_"].items() if not k.endswith("_time")
    }
    return _content(fitted)


def _output(est, X):
    return est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)


def _fails_unchanged(est, fit, error, match):
    """``fit()`` raises ``error`` matching ``match`` and leaves ``est`` as it was."""
    before = _state(est)
    with pytest.raises(error, match=match):
        fit()
    assert _state(est) == before, "a failed fit changed the estimator"


def _assert_usable(est, X):
    """Finite predictions of the right shape from every member's average."""
    output = _output(est, X)
    assert np.isfinite(output).all()
    assert output.shape[0] == X.shape[0]
    assert est.ensemble_weights_.sum() == pytest.approx(1.0)


@pytest.fixture(scope="module")
def fitted():
    """One fitted estimator of each kind, copied for each test that fails it."""
    kinds = (DropoutMLPClassifierCV, DropoutMLPRegressorCV)
    models = {CV: _small(CV).fit(*_data(CV)) for CV in kinds}
    return lambda CV: pickle.loads(pickle.dumps(models[CV]))


# -- parameters ---------------------------------------------------------------------

BAD_PARAMETERS = [
    (dict(dropouts=[]), ValueError, "need at least one value each"),
    (dict(dropouts=[1.5]), ValueError, r"dropouts must be in the range \[0, 1\)"),
    (dict(dropouts=["a"]), TypeError, "dropouts must be a float in"),
    (dict(dropouts=[[0.1, 0.2]]), ValueError, "dropouts must be a float or have one"),
    (dict(weight_decays=[]), ValueError, "need at least one value each"),
    (dict(weight_decays=["a"]), TypeError, "weight_decays must hold non-negative"),
    (dict(weight_decays=[None]), TypeError, "weight_decays must hold non-negative"),
    (dict(weight_decays=[[0.1]]), TypeError, "weight_decays must hold non-negative"),
    (dict(weight_decays=[-1.0]), ValueError, "weight_decays must hold non-negative"),
    (dict(weight_decays=[np.inf]), ValueError, r"weight_decays .* got \[inf\]"),
    (dict(weight_decays=[np.nan]), ValueError, "weight_decays must hold non-negative"),
    (dict(weight_decays=0.1), InvalidParameterError, "'weight_decays' parameter"),
    (dict(alphas=[]), ValueError, "need at least one value each"),
    (dict(alphas=["a"]), TypeError, "alphas must hold non-negative"),
    (dict(alphas=[-1e-4]), ValueError, "alphas must hold non-negative"),
    (dict(alphas=[np.inf]), ValueError, r"alphas .* got \[inf\]"),
    (dict(alphas=0.1), InvalidParameterError, "'alphas' parameter"),
    (dict(halving_factor=0.5), InvalidParameterError, "'halving_factor' parameter"),
    (dict(halving_min_epochs=0), InvalidParameterError, "'halving_min_epochs'"),
    (dict(ensemble="stacking"), InvalidParameterError, "'ensemble' parameter"),
    (dict(cv="five"), InvalidParameterError, "'cv' parameter"),
    (dict(cv=1), InvalidParameterError, "'cv' parameter"),
    (dict(cv=100), ValueError, "Cannot have number of splits n_splits=100"),
    (dict(n_jobs="two"), InvalidParameterError, "'n_jobs' parameter"),
    (dict(scoring="no_such_score"), InvalidParameterError, "'scoring' parameter of"),
    (dict(scoring=lambda est, X, y: "high"), ValueError,
     "scoring must return a number, got 'high'"),
    (dict(scoring=lambda est, X, y: np.ones(2)), ValueError,
     "scoring must return a number, got array"),
    (dict(hidden_layer_sizes=(0,)), ValueError, "hidden_layer_sizes must be > 0"),
    (dict(solver="lbfgs", dropouts=[0.3]), ValueError,
     "solver='lbfgs' cannot be used with dropout"),
    # The refits to the chosen epochs cannot replay the adaptive rate's cuts.
    (dict(solver="sgd", learning_rate="adaptive", early_stopping=True), ValueError,
     "learning_rate='adaptive' divides the rate"),
]  # fmt: skip


@pytest.mark.parametrize("CV", CASES)
@pytest.mark.parametrize("params, error, match", BAD_PARAMETERS)
def test_bad_parameters_fail_clearly_and_change_nothing(
    CV, params, error, match, fitted
):
    """Each bad parameter raises an error naming it, on a fitted estimator
    and on a new one, and changes neither."""
    X, y = _data(CV)
    for est in (fitted(CV), _small(CV)):
        est.set_params(**params)
        _fails_unchanged(est, lambda est=est: est.fit(X, y), error, match)


@pytest.mark.parametrize("CV", CASES)
def test_warm_start_is_not_a_parameter(CV):
    """The members are fresh clones: the CV estimators take no warm_start."""
    assert "warm_start" not in CV().get_params()
    with pytest.raises(ValueError, match="Invalid parameter 'warm_start'"):
        CV().set_params(warm_start=True)
    with pytest.raises(TypeError, match="warm_start"):
        CV(warm_start=True)


@pytest.mark.parametrize("CV", CASES)
def test_non_finite_scores_warn_as_grid_search_does(CV):
    """A scoring that gives NaN: GridSearchCV's UserWarning, and a fitted model."""
    X, y = _data(CV)
    est = _small(CV, scoring=lambda est, X, y: np.nan)
    with pytest.warns(UserWarning, match="One or more of the test scores are non-"):
        est.fit(X, y)
    assert np.isnan(est.cv_results_["mean_test_score"]).all()
    _assert_usable(est, X)


# -- targets ------------------------------------------------------------------------


def _nan_at_3(y):
    y = y.astype(float)
    y[3] = np.nan
    return y


BAD_TARGETS = [
    (DropoutMLPClassifierCV, _nan_at_3, ValueError, "Input y contains NaN"),
    (DropoutMLPClassifierCV, lambda y: np.linspace(0, 1, len(y)), ValueError,
     "Unknown label type: continuous"),
    (DropoutMLPClassifierCV, lambda y: np.array(["a", 1] * (len(y) // 2), object),
     ValueError, "y mixes labels of types"),
    (DropoutMLPClassifierCV, lambda y: y[:-1], ValueError, "inconsistent numbers"),
    (DropoutMLPRegressorCV, _nan_at_3, ValueError, "Input y contains NaN"),
    (DropoutMLPRegressorCV, lambda y: np.where(y > 0, np.inf, y), ValueError,
     "Input y contains infinity"),
    (DropoutMLPRegressorCV, lambda y: np.array(["a", "b"] * (len(y) // 2)),
     ValueError, "numeric"),
    # Missing labels where scikit-learn fails inside pandas or calls the type
    # unknown: named, with their number and first row.
    (DropoutMLPClassifierCV, lambda y: _missing_at_3(y, "string"), ValueError,
     "y holds 1 missing value.*row 3"),
    (DropoutMLPClassifierCV, lambda y: _missing_at_3(y, object), ValueError,
     "y holds 1 missing value.*row 3"),
    (DropoutMLPClassifierCV, lambda y: _missing_at_3(y, "category"), ValueError,
     "y holds 1 missing value.*row 3"),
    (DropoutMLPRegressorCV, lambda y: _missing_at_3(y, "Float64"), ValueError,
     "y holds 1 missing value.*row 3"),
]  # fmt: skip


def _missing_at_3(y, dtype):
    """y with a missing value at row 3: a pandas Series of ``dtype``, or a
    NumPy array of objects."""
    pd = pytest.importorskip("pandas")
    values = [None if i == 3 else v for i, v in enumerate(y.tolist())]
    if dtype != "Float64":
        values = [None if v is None else f"c{v}" for v in values]
    if dtype is object:
        return np.array(values, dtype=object)
    return pd.Series(values, dtype=dtype)


@pytest.mark.parametrize("CV, target, error, match", BAD_TARGETS)
def test_bad_targets_fail_clearly_and_change_nothing(CV, target, error, match, fitted):
    """NaN, continuous, mixed-type, short or non-numeric targets: a clear error,
    and the fitted model is unchanged."""
    X, y = _data(CV)
    est = fitted(CV)
    _fails_unchanged(est, lambda: est.fit(X, target(y)), error, match)


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize(
    "target, classes",
    [
        (lambda y: np.zeros_like(y), [0]),
        (lambda y: np.array(["no", "yes", "maybe"])[y], ["maybe", "no", "yes"]),
        (lambda y: np.column_stack([y == 0, y == 1]).astype(int), [0, 1]),
    ],
    ids=["one-class", "strings", "multilabel"],
)
def test_unusual_targets_fit(target, classes, early_stopping):
    """One class, string labels and multilabel targets give usable models."""
    X, y = _data(DropoutMLPClassifierCV)
    est = _small(DropoutMLPClassifierCV, early_stopping=early_stopping)
    est.fit(X, target(y))
    assert_array_equal(est.classes_, classes)
    _assert_usable(est, X)
    assert set(np.unique(est.predict(X))) <= set(np.unique(target(y)))


# -- weights ------------------------------------------------------------------------


def _weights(values, at=slice(0, 1)):
    weights = np.ones(N)
    weights[at] = values
    return weights


BAD_WEIGHTS = [
    (_weights(-1.0), "Negative values in data passed to `sample_weight`"),
    (_weights(np.nan), "Input sample_weight contains NaN"),
    # scikit-learn >= 1.7 refuses all-zero weights itself; on 1.6 the CV
    # estimator's own check of the folds does.
    (
        np.zeros(N),
        "Sample weights must contain at least one non-zero number"
        "|training part of split 0 of cv are all zero",
    ),
    (np.ones(N - 1), r"sample_weight.shape == \(59,\), expected \(60,\)"),
    # KFold(2): rows 0-29 are the held-out part of split 0, the training of 1.
    (_weights(0.0, slice(0, 30)), "the held-out part of split 0 of cv are all zero"),
    (_weights(0.0, slice(30, 60)), "the training part of split 0 of cv are all zero"),
]


@pytest.mark.parametrize("CV", CASES)
@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("weights, match", BAD_WEIGHTS)
def test_bad_weights_fail_clearly_and_change_nothing(
    CV, weights, match, early_stopping, fitted
):
    """Negative, NaN, all-zero or misshapen weights, and a fold part whose
    weights are all zero: the same clear ValueError for both estimators, with
    or without early stopping, and nothing changed."""
    X, y = _data(CV)
    est = fitted(CV).set_params(cv=KFold(2), early_stopping=early_stopping)
    _fails_unchanged(est, lambda: est.fit(X, y, weights), ValueError, match)


@pytest.mark.parametrize("weights, match", BAD_WEIGHTS[:4])
def test_bad_weights_with_the_poisson_loss(weights, match, fitted):
    """The Poisson regressor, whose normalize_y takes the weighted mean of the
    target first, gives the same errors and changes nothing."""
    X, y = _data(DropoutMLPRegressorCV)
    est = fitted(DropoutMLPRegressorCV)
    est.set_params(loss="poisson", cv=KFold(2))
    counts = np.abs(y)
    _fails_unchanged(est, lambda: est.fit(X, counts, weights), ValueError, match)


def test_a_negative_poisson_target_is_named_in_its_own_units():
    """A negative target with the Poisson loss is refused before normalize_y
    scales it: the error gives its minimum as given."""
    X, y = _data(DropoutMLPRegressorCV)
    est = _small(DropoutMLPRegressorCV, loss="poisson")
    counts = 100 * np.abs(y)
    counts[7] = -250.0
    with pytest.raises(ValueError, match=r"requires y >= 0 .* min\(y\) = -250.0"):
        est.fit(X, counts)


@pytest.mark.parametrize("CV", CASES)
def test_zero_weights_in_part_of_a_fold_fit(CV):
    """Some zero weights in every part: a usable model."""
    X, y = _data(CV)
    est = _small(CV).fit(X, y, _weights(0.0, slice(0, N, 3)))
    _assert_usable(est, X)


# -- folds --------------------------------------------------------------------------


def _halves():
    return [(np.arange(30, 60), np.arange(30)), (np.arange(30), np.arange(30, 60))]


BAD_FOLDS = [
    ([], "No fits were performed. Was the CV iterator empty?"),
    ([(np.arange(30), np.arange(30, 61))],
     r"held-out part of split 0 of cv has indices out of range for 60 .*\[60\]"),
    ([(np.arange(-1, 30), np.arange(30, 60))],
     r"training part of split 0 of cv has indices out of range .*\[-1\]"),
    ([(np.arange(60), np.array([], dtype=int))],
     "held-out part of split 0 of cv must be a non-empty 1-D array"),
    ([(np.arange(30.0), np.arange(30, 60))],
     "training part of split 0 of cv must be a non-empty 1-D array"),
    ([(np.arange(30), np.arange(30, 60), None)],
     r"cv must give \(train, test\) pairs of index arrays; split 0"),
    ([3], r"cv must give \(train, test\) pairs of index arrays; split 0 is 3"),
]  # fmt: skip


@pytest.mark.parametrize("CV", CASES)
@pytest.mark.parametrize("folds, match", BAD_FOLDS)
def test_bad_folds_fail_clearly_and_change_nothing(CV, folds, match, fitted):
    """No splits, indices out of range, empty or non-integer parts, or splits
    that are not pairs: a clear ValueError, and nothing changed."""
    X, y = _data(CV)
    est = fitted(CV).set_params(cv=folds)
    _fails_unchanged(est, lambda: est.fit(X, y), ValueError, match)


@pytest.mark.parametrize("CV", CASES)
def test_a_generator_of_splits_serves_one_fit(CV, fitted):
    """A generator of splits fits once as its list does; the second fit finds
    it used up: GridSearchCV's error, and the first fit's model kept."""
    X, y = _data(CV)
    by_list = _small(CV, cv=_halves()).fit(X, y)
    est = _small(CV, cv=(split for split in _halves())).fit(X, y)
    assert _model(est) == _model(by_list)
    _fails_unchanged(est, lambda: est.fit(X, y), ValueError, "Was the CV iterator")


@pytest.mark.parametrize("CV", CASES)
def test_index_pairs_and_masks_are_the_splitter(CV):
    """A list of index pairs, or of boolean masks, gives the model of the
    splitter that made them."""
    X, y = _data(CV)
    splitter = KFold(3, shuffle=True, random_state=0)
    by_splitter = _small(CV, cv=splitter).fit(X, y)
    pairs = list(splitter.split(X, y))
    by_pairs = _small(CV, cv=pairs).fit(X, y)
    masks = [(np.isin(np.arange(N), a), np.isin(np.arange(N), b)) for a, b in pairs]
    by_masks = _small(CV, cv=masks).fit(X, y)
    assert _model(by_pairs) == _model(by_splitter) == _model(by_masks)


@pytest.mark.parametrize("CV", CASES)
def test_overlapping_folds_fit(CV):
    """Held-out parts that overlap, and a held-out part that overlaps its own
    training part (GridSearchCV accepts both): a usable model."""
    X, y = _data(CV)
    folds = [(np.arange(40), np.arange(30, 60)), (np.arange(20, 60), np.arange(30))]
    _assert_usable(_small(CV, cv=folds).fit(X, y), X)


def _one_member_class(y):
    y = y.copy()
    y[0] = 3
    return y


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("ensemble", ["best", "greedy"])
@pytest.mark.parametrize(
    "folds",
    [
        lambda X, y: 3,  # a StratifiedKFold: class 3 has one member
        lambda X, y: KFold(3),  # unshuffled, on sorted labels
        lambda X, y: list(GroupKFold(3).split(X, y, groups=np.arange(N) % 3)),
    ],
    ids=["one-member-class", "sorted-kfold", "group-kfold"],
)
def test_folds_whose_training_part_lacks_a_class_fit(folds, ensemble, early_stopping):
    """Folds whose training part lacks a class fit with and without early
    stopping: a usable model over all the classes, finite scores, and the
    missing class has probability 0 in that fold model's held-out rows."""
    X, y = _data(DropoutMLPClassifierCV)
    y = _one_member_class(y)
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    est = _small(
        DropoutMLPClassifierCV,
        cv=folds(X, y),
        ensemble=ensemble,
        early_stopping=early_stopping,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        est.fit(X, y)
    assert_array_equal(est.classes_, [0, 1, 2, 3])
    assert np.isfinite(est.cv_results_["mean_test_score"]).all()
    row = np.flatnonzero(y == 3)[0]
    assert est.oof_predictions_[row, 3] == 0.0
    _assert_usable(est, X)


def test_a_class_with_fewer_members_than_folds_warns_once_as_scikit_learn():
    """StratifiedKFold's warning about a class with too few members surfaces
    (once), and the fit goes on."""
    X, y = _data(DropoutMLPClassifierCV)
    y = _one_member_class(y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _small(DropoutMLPClassifierCV, cv=3, early_stopping=True).fit(X, y)
    least = [
        w
        for w in caught
        if "The least populated class in y has only 1" in str(w.message)
    ]
    assert len(least) == 1


# -- failures inside the fit --------------------------------------------------------


def _count_fits(monkeypatch, Plain):
    """Count the calls of the plain estimator's fit."""
    calls = [0]
    original = Plain.fit

    def counting(self, *args, **kwargs):
        calls[0] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Plain, "fit", counting)
    return calls


def _fail_at(monkeypatch, owner, k, exc, method="fit"):
    """Make the k-th call of ``owner.method`` (the plain estimator's fit by
    default) raise ``exc``; returns the list holding the count of calls."""
    calls = [0]
    original = getattr(owner, method)

    def failing(self, *args, **kwargs):
        calls[0] += 1
        if calls[0] == k:
            raise exc
        return original(self, *args, **kwargs)

    monkeypatch.setattr(owner, method, failing)
    return calls


PLAIN = {
    DropoutMLPClassifierCV: DropoutMLPClassifier,
    DropoutMLPRegressorCV: DropoutMLPRegressor,
}


@pytest.mark.parametrize("CV", CASES)
@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
@pytest.mark.parametrize("when", ["first", "epochs-refit", "refit"])
@pytest.mark.parametrize("was_fitted", [False, True])
def test_a_failure_inside_the_fit_changes_nothing(
    CV, exc, when, was_fitted, fitted, monkeypatch
):
    """A member fit that raises (an exception or KeyboardInterrupt) in the
    search, in the refits to the chosen epochs, or in the refit on all the
    data: the error goes through and the estimator is as it was, fitted or
    not. (The search that fits its fold models again to their epochs,
    halving_factor=None; the lockstep search has its own test below.)"""
    X, y = _data(CV)
    params = dict(early_stopping=True, refit=True, halving_factor=None)
    with monkeypatch.context() as counting:
        calls = _count_fits(counting, PLAIN[CV])
        _small(CV, **params).fit(X, y)
    n_search = 4  # 2 candidates x 2 folds, then the epochs refits, then the refit
    k = {"first": 1, "epochs-refit": n_search + 1, "refit": calls[0]}[when]
    assert k < calls[0] or when == "refit"
    est = fitted(CV).set_params(**params) if was_fitted else _small(CV, **params)
    _fail_at(monkeypatch, PLAIN[CV], k, exc)
    match = "boom" if isinstance(exc, RuntimeError) else None
    _fails_unchanged(est, lambda: est.fit(X, y), type(exc), match)


@pytest.mark.parametrize("CV", CASES)
@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
@pytest.mark.parametrize("k", [1, 5])
@pytest.mark.parametrize("was_fitted", [False, True])
def test_a_failure_in_the_lockstep_search_changes_nothing(
    CV, exc, k, was_fitted, fitted, monkeypatch
):
    """An epoch of a fold model that raises in the lockstep search (the first
    epoch of the first fold model, or a later one: the 5th epoch run): the
    error goes through and the estimator is as it was, fitted or not."""
    from skdropout._solvers import EpochRun

    X, y = _data(CV)
    params = dict(early_stopping=True, halving_factor=1)
    est = fitted(CV).set_params(**params) if was_fitted else _small(CV, **params)
    calls = _fail_at(monkeypatch, EpochRun, k, exc, method="run")
    match = "boom" if isinstance(exc, RuntimeError) else None
    _fails_unchanged(est, lambda: est.fit(X, y), type(exc), match)
    assert calls[0] == k


@pytest.mark.parametrize("CV", CASES)
def test_a_failed_fit_on_other_data_keeps_the_features(CV):
    """Fitted on a DataFrame, a second fit on an array of another width that
    fails keeps feature_names_in_ and n_features_in_: the model still
    predicts the DataFrame, without a warning."""
    pd = pytest.importorskip("pandas")
    X, y = _data(CV)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    est = _small(CV).fit(frame, y)
    expected = _output(est, frame)
    est.set_params(cv=[])
    _fails_unchanged(est, lambda: est.fit(X[:, :3], y), ValueError, "CV iterator")
    assert_array_equal(est.feature_names_in_, ["a", "b", "c", "d"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_array_equal(_output(est, frame), expected)


# -- prediction ---------------------------------------------------------------------


@pytest.mark.parametrize("CV", CASES)
def test_prediction_checks_x_as_the_plain_estimator(CV):
    """Fitted on a DataFrame: no warning on the same columns; scikit-learn's
    errors, as the plain estimator raises them, for reordered or missing
    columns and another number of features; its warning for an array."""
    pd = pytest.importorskip("pandas")
    X, y = _data(CV)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    est = _small(CV).fit(frame, y)
    plain = PLAIN[CV](hidden_layer_sizes=(4,), max_iter=2).fit(frame, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _output(est, frame)
    for bad in (frame[["d", "c", "b", "a"]], frame[["a", "b", "c"]]):
        with pytest.raises(ValueError) as expected:
            plain.predict(bad)
        with pytest.raises(ValueError, match="Feature names") as raised:
            est.predict(bad)
        assert str(raised.value) == str(expected.value)
    with warnings.catch_warnings():  # the array's warning, then the error
        warnings.filterwarnings("ignore", "X does not have valid feature names")
        with pytest.raises(ValueError, match=f"X has 3 features, but {CV.__name__}"):
            est.predict(X[:, :3])
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        est.predict(X)


# -- persistence and threads --------------------------------------------------------


@pytest.mark.parametrize("CV", CASES)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_pickle_and_skops_round_trips(CV, early_stopping):
    """A fitted CV estimator comes back from pickle with the same state, and
    from skops (trusting skdropout's types only) with the same predictions."""
    sio = pytest.importorskip("skops.io", reason="skops is in the test extra")
    X, y = _data(CV)
    est = _small(CV, early_stopping=early_stopping, refit=True).fit(X, y)
    copy = pickle.loads(pickle.dumps(est))
    assert _state(copy) == _state(est)
    dumped = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=dumped)
    assert all(name.startswith("skdropout.") for name in untrusted), untrusted
    loaded = sio.loads(dumped, trusted=untrusted)
    for other in (copy, loaded):
        assert_array_equal(other.predict(X), est.predict(X))
        assert_array_equal(_output(other, X), _output(est, X))


@pytest.mark.parametrize("CV", CASES)
def test_two_fits_in_threads_give_the_same_model(CV):
    """Two clones fitted at once in two threads give the model of a fit alone."""
    X, y = _data(CV)
    alone = _small(CV).fit(X, y)
    clones = [clone(alone) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors = []

    def fit(est):
        barrier.wait()
        try:
            est.fit(X, y)
        except Exception as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=fit, args=(est,)) for est in clones]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert _model(clones[0]) == _model(clones[1]) == _model(alone)


@pytest.mark.parametrize("halving_factor", [None, 1])
def test_folds_of_one_held_out_row_with_r2_curves_are_named(halving_factor):
    """Leave-one-out folds hold out one row, on which R^2 is undefined: with
    early_stopping_metric='score' the regressor names the fold and cv (its
    fold fits refused their one-row validation set naming X_val), and with
    the loss it fits."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(12, 3)), rng.normal(size=12)
    params = dict(hidden_layer_sizes=(4,), max_iter=3, cv=KFold(12),
                  early_stopping=True, halving_factor=halving_factor,
                  random_state=0)  # fmt: skip
    est = DropoutMLPRegressorCV(**params, early_stopping_metric="score")
    with pytest.raises(ValueError, match="Split 0 of cv holds out one row"):
        est.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        DropoutMLPRegressorCV(**params, early_stopping_metric="loss").fit(X, y)
