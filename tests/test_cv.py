"""DropoutMLPClassifierCV and DropoutMLPRegressorCV: the search, the kept fold
models and their average, and agreement with GridSearchCV and
cross_val_predict."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_val_predict,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdropout import (
    DropoutMLPClassifier,
    DropoutMLPClassifierCV,
    DropoutMLPRegressor,
    DropoutMLPRegressorCV,
)
from skdropout._cv import PLAIN_ONLY, BaseDropoutMLPCV
from skdropout._cv_scoring import LossScorer

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = dict(hidden_layer_sizes=(8,), max_iter=8, batch_size=32, random_state=0)
# The tests of the best candidate's fold models ask for them (the classifier's
# default, 'greedy', and the regressor's, a refit, have tests of their own).
GRID = dict(dropouts=[0.0, 0.3], weight_decays=[0.0, 0.1], ensemble="best",
            refit=False)  # fmt: skip


def _classification(n_classes=3):
    X, y = make_classification(n_samples=90, n_features=5, n_informative=3,
                               n_classes=n_classes, random_state=0)  # fmt: skip
    return StandardScaler().fit_transform(X), y


def _regression():
    X, y = make_regression(n_samples=90, n_features=5, noise=5.0, random_state=0)
    return StandardScaler().fit_transform(X), y / y.std()


CASES = [
    pytest.param(DropoutMLPClassifierCV, DropoutMLPClassifier, _classification,
                 StratifiedKFold, id="classifier"),
    pytest.param(DropoutMLPRegressorCV, DropoutMLPRegressor, _regression, KFold,
                 id="regressor"),
]  # fmt: skip


def _own(CV):
    """The search is compared with GridSearchCV and the plain fits on y as
    given, so the regressor's normalize_y is off here; its own test shows that
    it is the same search on the standardized target."""
    return {"normalize_y": False} if CV is DropoutMLPRegressorCV else {}


def _output(est, X):
    return est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)


@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_prediction_is_the_mean_of_the_fold_models(CV, Plain, make_data, Splitter):
    """The ensemble of the best candidate's fold models predicts their mean."""
    X, y = make_data()
    search = CV(**SMALL, **_own(CV), **GRID, cv=3).fit(X, y)
    assert len(search.estimators_) == 3
    outputs = np.stack([_output(m, X) for m in search.estimators_])
    assert_allclose(_output(search, X), outputs.mean(axis=0), rtol=1e-13, atol=1e-15)
    for member in search.estimators_:
        assert member.get_params()["dropout"] == search.dropout_
        assert member.get_params()["weight_decay"] == search.weight_decay_


def _loss_scorer(est, X, y):
    return -est._held_out_loss(X, y)


@pytest.mark.parametrize("halving_factor", [None, 1])
@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_refit_equals_grid_search(
    CV, Plain, make_data, Splitter, early_stopping, halving_factor
):
    """refit=True is GridSearchCV over the same candidates, folds and seeds: the
    same split scores, the same choice and the same refitted weights. With
    early stopping the number of epochs is one more searched value: GridSearchCV
    then searches max_iter over 1..8 epochs of the same 8-epoch schedules, and
    each candidate's row is GridSearchCV's at the epochs chosen for it, whether
    the fold models are fitted again to them (None) or rewound (1)."""
    X, y = make_data()
    folds = Splitter(3, shuffle=True, random_state=1)
    params = {**SMALL, "early_stopping": early_stopping}
    params["halving_factor"] = halving_factor
    search = CV(**params, **_own(CV), **{**GRID, "refit": True}, cv=folds).fit(X, y)
    grid_params = {"dropout": GRID["dropouts"], "weight_decay": GRID["weight_decays"]}
    if early_stopping:
        grid_params["max_iter"] = list(range(1, SMALL["max_iter"] + 1))
    grid = GridSearchCV(
        _plain(search, Plain), grid_params, cv=folds, scoring=_loss_scorer
    ).fit(X, y)
    rows = [grid.cv_results_["params"].index(p) for p in search.cv_results_["params"]]
    for k in range(3):
        key = f"split{k}_test_score"
        assert_allclose(search.cv_results_[key], grid.cv_results_[key][rows],
                        rtol=1e-12)  # fmt: skip
    assert search.best_params_ == grid.best_params_
    assert search.best_score_ == pytest.approx(grid.best_score_, rel=1e-12)
    if not early_stopping:
        assert_array_equal(search.cv_results_["rank_test_score"],
                           grid.cv_results_["rank_test_score"])  # fmt: skip
    else:  # the epochs chosen for each candidate are GridSearchCV's best for it
        for c, candidate in enumerate(search.cv_results_["params"]):
            same = [i for i, p in enumerate(grid.cv_results_["params"])
                    if p["dropout"] == candidate["dropout"]
                    and p["weight_decay"] == candidate["weight_decay"]]  # fmt: skip
            scores = grid.cv_results_["mean_test_score"][same]
            assert same[int(np.argmax(scores))] == rows[c]
        assert search.max_iter_ == grid.best_params_["max_iter"]
    for a, b in zip(search.best_estimator_.coefs_, grid.best_estimator_.coefs_):
        assert_array_equal(a, b)
    assert_array_equal(_output(search, X), _output(grid, X))


def _plain(search, Plain, **params):
    """The plain estimator the fold models of ``search`` (without a step
    budget) are, with ``params``."""
    return Plain(**{**search._member_params(n_rows=None), **params})


@pytest.mark.parametrize("halving_factor", [None, 1])
@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_oof_predictions_equal_cross_val_predict(
    CV, Plain, make_data, Splitter, early_stopping, halving_factor
):
    """The out-of-fold predictions are cross_val_predict's for the chosen
    candidate (with its chosen number of epochs) on the same folds."""
    X, y = make_data()
    folds = Splitter(3, shuffle=True, random_state=2)
    search = CV(**SMALL, **_own(CV), **GRID, cv=folds, early_stopping=early_stopping,
                halving_factor=halving_factor).fit(X, y)  # fmt: skip
    chosen = _plain(search, Plain, **search.best_params_)
    method = "predict_proba" if hasattr(search, "predict_proba") else "predict"
    expected = cross_val_predict(chosen, X, y, cv=folds, method=method)
    assert_allclose(search.oof_predictions_, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_another_scoring_scores_the_fold_models_at_their_epochs(
    CV, Plain, make_data, Splitter
):
    """With another scoring and early_stopping_metric='score', each candidate's
    epochs maximize its mean validation score, and its split scores are the
    scorer's on its fold models at those epochs: GridSearchCV's over max_iter."""
    X, y = make_data()
    folds = Splitter(3, shuffle=True, random_state=3)
    scoring = "accuracy" if hasattr(CV, "predict_proba") else "r2"
    search = CV(**SMALL, **_own(CV), **GRID, cv=folds, early_stopping=True,
                early_stopping_metric="score", scoring=scoring).fit(X, y)  # fmt: skip
    grid = GridSearchCV(
        _plain(search, Plain),
        {"dropout": GRID["dropouts"], "weight_decay": GRID["weight_decays"],
         "max_iter": list(range(1, SMALL["max_iter"] + 1))},
        cv=folds, scoring=scoring,
    ).fit(X, y)  # fmt: skip
    params, means = grid.cv_results_["params"], grid.cv_results_["mean_test_score"]
    for c, candidate in enumerate(search.cv_results_["params"]):
        row = params.index(candidate)
        for k in range(3):
            key = f"split{k}_test_score"
            assert search.cv_results_[key][c] == pytest.approx(
                grid.cv_results_[key][row]
            )
        same = [i for i, p in enumerate(params)
                if (p["dropout"], p["weight_decay"])
                == (candidate["dropout"], candidate["weight_decay"])]  # fmt: skip
        assert means[row] == pytest.approx(max(means[same]))
    assert [m.n_iter_ for m in search.estimators_] == [search.max_iter_] * 3


@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_search_fits_stop_n_iter_no_change_epochs_after_their_best(
    CV, Plain, make_data, Splitter
):
    """With early stopping, a search fit stops once its held-out loss has not
    improved for n_iter_no_change epochs; a candidate's epochs are chosen
    within what all its folds ran, and its kept fold models train exactly
    that many epochs."""
    X, y = make_data()
    search = CV(hidden_layer_sizes=(32,), max_iter=60, batch_size=16,
                learning_rate_init=0.05, early_stopping=True, n_iter_no_change=3,
                tol=0.0, cv=3, random_state=0, **GRID).fit(X, y)  # fmt: skip
    results = search.cv_results_
    ran = np.stack([results[f"split{k}_n_iter"] for k in range(3)])
    assert ran.min() < 60  # some fits stopped early
    assert np.all(results["param_max_iter"] <= ran.min(axis=0))
    assert [m.n_iter_ for m in search.estimators_] == [search.max_iter_] * 3
    assert all(m.get_params()["max_iter"] == search.max_iter_
               for m in search.estimators_)  # fmt: skip


@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_cv_results_have_grid_search_keys(CV, Plain, make_data, Splitter):
    """cv_results_ has GridSearchCV's keys, one entry per candidate, and the
    epochs of every fold model; best_* and the chosen values agree."""
    X, y = make_data()
    search = CV(**SMALL, **_own(CV), **GRID, cv=2).fit(X, y)
    results = search.cv_results_
    for key in ("params", "split0_test_score", "split1_test_score",
                "mean_test_score", "std_test_score", "rank_test_score",
                "mean_fit_time", "std_fit_time", "mean_score_time",
                "std_score_time", "split0_n_iter", "mean_n_iter",
                "param_dropout", "param_weight_decay"):  # fmt: skip
        assert len(results[key]) == 4, key
    # Every candidate's fold models were scored (or read off their curves).
    assert np.all(results["mean_score_time"] >= 0)
    assert results["mean_score_time"][search.best_index_] > 0
    best = search.best_index_
    assert results["rank_test_score"][best] == 1
    assert search.best_score_ == results["mean_test_score"][best]
    assert search.best_params_ == results["params"][best]
    chosen = results["params"][best]
    assert (search.dropout_, search.weight_decay_) == (
        chosen["dropout"],
        chosen["weight_decay"],
    )
    assert np.all((results["split0_n_iter"] >= 1) & (results["split0_n_iter"] <= 8))
    if search.early_stopping:  # the epochs are chosen like the candidates
        assert search.max_iter_ == chosen["max_iter"] == results["param_max_iter"][best]
        assert np.all((results["param_max_iter"] >= 1)
                      & (results["param_max_iter"] <= 8))  # fmt: skip
        assert [m.n_iter_ for m in search.estimators_] == [search.max_iter_] * 2
    else:
        assert set(chosen) == {"dropout", "weight_decay"}
        assert search.max_iter_ == 8


@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_greedy_ensemble_lowers_the_oof_loss(CV, Plain, make_data, Splitter):
    """ensemble='greedy' weights candidates (summing to 1) so that the averaged
    out-of-fold predictions' loss is at most the best single candidate's."""
    X, y = make_data()
    best = CV(**SMALL, **_own(CV), **GRID, cv=3).fit(X, y)
    greedy = CV(**SMALL, **_own(CV), **{**GRID, "ensemble": "greedy"}, cv=3).fit(X, y)
    assert greedy.candidate_weights_.sum() == pytest.approx(1.0)
    assert greedy.ensemble_weights_.sum() == pytest.approx(1.0)
    assert len(greedy.estimators_) == 3 * np.count_nonzero(greedy.candidate_weights_)
    assert (
        greedy._oof_loss(y, greedy.oof_predictions_)
        <= best._oof_loss(y, best.oof_predictions_) + 1e-12
    )
    outputs = [w * _output(m, X) for w, m in
               zip(greedy.ensemble_weights_, greedy.estimators_)]  # fmt: skip
    assert_allclose(_output(greedy, X), np.sum(outputs, axis=0), rtol=1e-12)


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_refit_of_the_greedy_ensemble(CV, Plain, make_data, Splitter, early_stopping):
    """refit=True with ensemble='greedy' refits on all the data every candidate
    that the selection picked, for its chosen epochs, and keeps its weight:
    each member is the plain estimator with that candidate's parameters fitted
    on all the data, and the prediction is their weighted mean."""
    X, y = make_data()
    # A grid and seeds with which these data make the selection mix candidates
    # (the first assertion checks it).
    seed = 2 if CV is DropoutMLPClassifierCV else 1
    params = {**SMALL, "dropouts": [0.0, 0.1], "weight_decays": [0.0, 1.0],
              "learning_rate_init": 0.01, "random_state": seed, "cv": 3,
              "ensemble": "greedy", "early_stopping": early_stopping}  # fmt: skip
    fold_models = CV(**params, **_own(CV), refit=False).fit(X, y)
    search = CV(**params, **_own(CV), refit=True).fit(X, y)
    assert_array_equal(search.candidate_weights_, fold_models.candidate_weights_)
    chosen = np.flatnonzero(search.candidate_weights_)
    assert len(chosen) >= 2  # these data make the selection mix candidates
    assert_array_equal(search.ensemble_weights_, search.candidate_weights_[chosen])
    assert len(search.estimators_) == len(chosen)
    for c, member in zip(chosen, search.estimators_):
        expected = _plain(search, Plain, **search.cv_results_["params"][c]).fit(X, y)
        assert member.n_iter_ == expected.n_iter_
        for a, b in zip(member.coefs_, expected.coefs_):
            assert_array_equal(a, b)
    best = list(chosen).index(search.best_index_)
    assert search.best_estimator_ is search.estimators_[best]
    outputs = [w * _output(m, X) for w, m in
               zip(search.ensemble_weights_, search.estimators_)]  # fmt: skip
    assert_allclose(_output(search, X), np.sum(outputs, axis=0), rtol=1e-12)


def test_regressor_std_combines_members_and_their_spread():
    """predict(X, return_std=True): var = sum w (std_i^2 + (mean_i - mean)^2)."""
    X, y = _regression()
    search = DropoutMLPRegressorCV(
        **SMALL, **_own(DropoutMLPRegressorCV), dropouts=[0.3], cv=3
    ).fit(X, y)
    mean, std = search.predict(X[:5], return_std=True)
    pairs = [m.predict(X[:5], return_std=True) for m in search.estimators_]
    means = np.array([p[0] for p in pairs])
    variance = np.mean([p[1] ** 2 for p in pairs], axis=0) + means.var(axis=0)
    assert_allclose(mean, means.mean(axis=0), rtol=1e-13)
    assert_allclose(std, np.sqrt(variance), rtol=1e-12)
    assert (std > 0).all()


@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_parallel_fits_equal_sequential_ones(CV, Plain, make_data, Splitter):
    """n_jobs=2 gives the sequential search's scores and predictions."""
    X, y = make_data()
    one = CV(**SMALL, **_own(CV), **GRID, cv=2).fit(X, y)
    two = CV(**SMALL, **_own(CV), **GRID, cv=2, n_jobs=2).fit(X, y)
    assert_array_equal(one.cv_results_["mean_test_score"],
                       two.cv_results_["mean_test_score"])  # fmt: skip
    assert_array_equal(_output(one, X), _output(two, X))


@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_pipeline_clone_pickle_and_cross_validate(CV, Plain, make_data, Splitter):
    """In a Pipeline, cloned, pickled, and inside cross_validate."""
    X, y = make_data()
    pipe = make_pipeline(
        StandardScaler(), CV(**SMALL, **_own(CV), dropouts=[0.0, 0.2], cv=2)
    )
    fitted = clone(pipe).fit(X, y)
    copy = pickle.loads(pickle.dumps(fitted))
    assert_array_equal(copy.predict(X), fitted.predict(X))
    scores = cross_validate(pipe, X, y, cv=2)["test_score"]
    assert np.isfinite(scores).all()


def test_skops_round_trip_needs_only_skdropout_types():
    """A fitted CV estimator saved with skops asks to trust only skdropout's
    own types, and loads to the same predictions."""
    sio = pytest.importorskip("skops.io", reason="skops is in the test extra")
    X, y = _classification()
    search = DropoutMLPClassifierCV(**SMALL, dropouts=[0.0, 0.2], cv=2).fit(X, y)
    dumped = sio.dumps(search)
    untrusted = sio.get_untrusted_types(data=dumped)
    assert all(name.startswith("skdropout.") for name in untrusted), untrusted
    loaded = sio.loads(dumped, trusted=untrusted)
    assert_array_equal(loaded.predict_proba(X), search.predict_proba(X))


def test_verbose_names_each_candidate_and_fold(capsys):
    """verbose=True prints one line per fit naming the candidate and the fold:
    the search's, then the fold models refitted to their chosen epochs."""
    X, y = _classification()
    DropoutMLPClassifierCV(
        **SMALL, dropouts=[0.0, 0.2], weight_decays=[0.0], cv=2, verbose=True,
        ensemble="greedy", halving_factor=None,
    ).fit(X, y)  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert "2 candidates x 2 folds = 4 fits" in lines[0]
    search = [line for line in lines if "candidate 2/2 {" in line]
    assert sum("fold 2/2" in line for line in search) == 1
    refits = [line for line in lines if "refitted to its" in line]
    assert len(refits) == 4  # greedy needs every candidate at its epochs
    assert sum("candidate 2/2" in r and "fold 2/2" in r for r in refits) == 1
    assert not any(line.startswith("Iteration") for line in lines)


@pytest.mark.parametrize("factor", [1, 2])
def test_verbose_names_each_candidate_in_lockstep(capsys, factor):
    """verbose=True in lockstep prints one line per candidate when it stops,
    with its epochs, its best epoch and why it stopped."""
    X, y = _classification()
    DropoutMLPClassifierCV(
        **SMALL, dropouts=[0.0, 0.2], weight_decays=[0.0], cv=2, verbose=True,
        early_stopping=True, halving_factor=factor, halving_min_epochs=2,
    ).fit(X, y)  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert "2 candidates x 2 folds = 4 fits" in lines[0]
    stops = [line for line in lines if "2 folds in lockstep" in line]
    assert sorted(line.split(" {")[0][-3:] for line in stops) == ["1/2", "2/2"]
    dropped = [line for line in stops if line.endswith("(stopped: halving)")]
    if factor == 2:  # one candidate is dropped at the rung of 2 epochs
        assert len(dropped) == 1 and "lockstep: 2 epochs, best" in dropped[0]
    else:
        assert not dropped


@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(dropouts=[]), ValueError, "dropouts"),
        (dict(dropouts=[1.5]), ValueError, "dropouts"),
        (dict(weight_decays=[-1.0]), ValueError, "weight_decays"),
        (dict(ensemble="stacking"), ValueError, "ensemble"),
        (dict(cv="five"), ValueError, "cv"),
    ],
)
def test_bad_search_parameters(params, error, match):
    """Bad candidate lists or options raise errors that name the parameter."""
    X, y = _classification()
    with pytest.raises(error, match=match):
        DropoutMLPClassifierCV(**{**SMALL, **params}).fit(X, y)


def test_classes_and_multilabel():
    """String labels come back as strings; multilabel targets average each
    label's probability and threshold it at 0.5."""
    X, y = _classification()
    labels = np.array(["a", "b", "c"])[y]
    search = DropoutMLPClassifierCV(**SMALL, dropouts=[0.1], cv=2).fit(X, labels)
    assert_array_equal(search.classes_, ["a", "b", "c"])
    assert set(search.predict(X)) <= {"a", "b", "c"}
    Y = np.column_stack([y == 0, y == 1]).astype(int)
    multi = DropoutMLPClassifierCV(**SMALL, dropouts=[0.1], cv=2).fit(X, Y)
    proba = multi.predict_proba(X)
    assert proba.shape == (90, 2)
    assert_array_equal(multi.predict(X), (proba > 0.5).astype(int))


@pytest.mark.parametrize(
    "params", [{}, {"refit": True}, {"ensemble": "best", "refit": False}]
)
def test_predict_log_proba_is_the_log_of_the_mixture(params):
    """predict_log_proba is the log of predict_proba for a greedy ensemble, a
    refit and the best candidate's fold models, for two and three classes and
    multilabel targets; a class that a fold model never saw is -inf in that
    member alone; far from the data, where probabilities round to 0, it stays
    finite and its exponential sums to 1."""
    X, y = _classification()
    y_missing = _one_member_class()[1]
    targets = {
        "binary": (y == 0).astype(int),
        "multiclass": y,
        "multilabel": np.column_stack([y == 0, y == 1]).astype(int),
    }
    for kind, target in targets.items():
        search = DropoutMLPClassifierCV(**SMALL, cv=3, **params).fit(X, target)
        log_proba = search.predict_log_proba(X)
        assert log_proba.shape == search.predict_proba(X).shape
        assert_allclose(log_proba, np.log(search.predict_proba(X)), rtol=1e-12)
        X_far = X * 1e4
        if kind != "multilabel":
            assert (search.predict_proba(X_far) == 0).any()
            assert np.isfinite(search.predict_log_proba(X_far)).all()
            assert_allclose(np.exp(search.predict_log_proba(X_far)).sum(axis=1), 1)
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    with pytest.warns(UserWarning, match="The least populated class"):
        search = DropoutMLPClassifierCV(**SMALL, cv=folds, refit=False)
        search.fit(X, y_missing)
    log_proba = search.predict_log_proba(X)
    assert_allclose(log_proba, np.log(search.predict_proba(X)), rtol=1e-12)
    lacking = [m for m in search.estimators_ if 3 not in m.classes_]
    assert lacking and np.isfinite(log_proba).all()


@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_sample_weight_reaches_the_fits_and_the_scores(CV, Plain, make_data, Splitter):
    """Unit weights give the unweighted search exactly; other weights are
    passed to each fold model's fit (its own weights), to its score, and to
    the refit on all the data (all of them)."""
    X, y = make_data()
    folds = Splitter(3, shuffle=True, random_state=0)
    params = dict(**SMALL, dropouts=[0.2], weight_decays=[0.0], cv=folds)
    plain = CV(**params, **_own(CV), refit=False).fit(X, y)
    ones = CV(**params, **_own(CV), refit=False).fit(X, y, np.ones(len(y)))
    assert_array_equal(_output(plain, X), _output(ones, X))
    weights = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    weighted = CV(**params, **_own(CV), refit=False).fit(X, y, weights)
    train, test = next(folds.split(X, y))
    member = _plain(weighted, Plain, **weighted.best_params_)
    member.fit(X[train], y[train], sample_weight=weights[train])
    assert_array_equal(_output(weighted.estimators_[0], X), _output(member, X))
    expected = -member._held_out_loss(X[test], y[test], weights[test])
    assert weighted.cv_results_["split0_test_score"][0] == pytest.approx(expected)
    refitted = CV(**params, **_own(CV), refit=True).fit(X, y, weights)
    alone = _plain(refitted, Plain, **refitted.best_params_)
    alone.fit(X, y, sample_weight=weights)
    assert_array_equal(_output(refitted, X), _output(alone, X))


@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_float32_input_gives_float32_output(CV, Plain, make_data, Splitter):
    """Fitted on float32, the CV estimators predict in float32, as their
    members and the plain estimators do: the members' weighted average,
    within float32 rounding of its float64 value."""
    X, y = make_data()
    X = X.astype(np.float32)
    search = CV(**SMALL, cv=3).fit(X, y)
    members = np.stack([_output(m, X).astype(np.float64) for m in search.estimators_])
    expected = np.tensordot(search.ensemble_weights_, members, axes=1)
    if CV is DropoutMLPRegressorCV:
        outputs = [search.predict(X), *search.predict(X, return_std=True)]
        expected = expected * search.target_scale_ + search.target_offset_
    else:
        outputs = [search.predict_proba(X), search.predict_log_proba(X)]
    assert all(output.dtype == np.float32 for output in outputs)
    assert_allclose(outputs[0], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_groups_go_to_the_splitter(CV, Plain, make_data, Splitter):
    """fit(X, y, groups=...) splits as the splitter splits with those groups:
    the same model as its splits given as a list; without groups a group
    splitter refuses, a splitter that ignores them warns, and groups of
    another length are refused."""
    from sklearn.model_selection import GroupKFold

    X, y = make_data()
    groups = np.arange(len(y)) % 9
    folds = GroupKFold(3)
    search = CV(**SMALL, **_own(CV), cv=folds).fit(X, y, groups=groups)
    given = CV(**SMALL, **_own(CV), cv=list(folds.split(X, y, groups))).fit(X, y)
    assert_array_equal(_output(search, X), _output(given, X))
    with pytest.raises(ValueError, match="'groups' parameter should not be None"):
        CV(**SMALL, cv=folds).fit(X, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        CV(**SMALL, cv=folds).fit(X, y, groups=groups[:-1])
    with pytest.warns(UserWarning, match="groups parameter is ignored"):
        CV(**SMALL, cv=2).fit(X, y, groups=groups)


@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_int_cv_is_shuffled_with_random_state(CV, Plain, make_data, Splitter):
    """cv=3 means Splitter(3, shuffle=True, random_state=random_state): the
    out-of-fold predictions are those of that splitter's folds."""
    X, y = make_data()
    by_int = CV(**SMALL, **_own(CV), dropouts=[0.2], cv=3).fit(X, y)
    folds = Splitter(3, shuffle=True, random_state=0)
    by_splitter = CV(**SMALL, **_own(CV), dropouts=[0.2], cv=folds).fit(X, y)
    assert_array_equal(by_int.oof_predictions_, by_splitter.oof_predictions_)
    unshuffled = CV(**SMALL, **_own(CV), dropouts=[0.2], cv=Splitter(3)).fit(X, y)
    assert not np.array_equal(by_int.oof_predictions_, unshuffled.oof_predictions_)


@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_running_the_chosen_epochs_is_not_a_convergence_warning(
    CV, Plain, make_data, Splitter
):
    """Fold models and the refit run their planned epochs to max_iter without a
    ConvergenceWarning saying so."""
    X, y = make_data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CV(
            **SMALL, **_own(CV), **{**GRID, "refit": True}, cv=2, early_stopping=True
        ).fit(X, y)
    assert not [w for w in caught if "Maximum iter" in str(w.message)]


@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_parameters_are_the_plain_ones_but_plain_only_and_the_search(
    CV, Plain, make_data, Splitter
):
    """A CV estimator takes every parameter of its plain estimator but
    PLAIN_ONLY, and adds exactly its search's; its constraints cover them all,
    and its members get all of theirs but PLAIN_ONLY."""
    cv_params, plain_params = set(CV().get_params()), set(Plain().get_params())
    assert plain_params - cv_params == PLAIN_ONLY
    own = {"normalize_y"} if CV is DropoutMLPRegressorCV else set()
    assert cv_params - plain_params == set(BaseDropoutMLPCV._cv_constraints) | own
    assert set(CV._parameter_constraints) == cv_params
    assert set(CV()._plain_params()) == plain_params - PLAIN_ONLY


def _one_member_class():
    """Three classes and a fourth with one member: a StratifiedKFold warns, and
    the fold that holds it out never trains on it."""
    X, y = _classification()
    y = y.copy()
    y[0] = 3
    return X, y


@pytest.mark.parametrize("early_stopping", [False, True])
def test_a_fold_without_a_class_is_scored_over_all_the_classes(early_stopping):
    """A fold whose training part lacks a class fits with early stopping as
    without it, and its held-out rows are scored over all the classes (the
    missing one at probability 0, clipped, as in the out-of-fold loss): the
    search is GridSearchCV's with that scoring, over max_iter with early
    stopping."""
    X, y = _one_member_class()
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    with pytest.warns(UserWarning, match="The least populated class in y has only 1"):
        search = DropoutMLPClassifierCV(
            **SMALL, **GRID, cv=folds, early_stopping=early_stopping
        ).fit(X, y)
    grid_params = {"dropout": GRID["dropouts"], "weight_decay": GRID["weight_decays"]}
    if early_stopping:
        grid_params["max_iter"] = list(range(1, SMALL["max_iter"] + 1))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        grid = GridSearchCV(
            _plain(search, DropoutMLPClassifier),
            grid_params,
            cv=folds,
            scoring=LossScorer(search.classes_),
        ).fit(X, y)
    assert search.best_params_ == grid.best_params_
    assert search.best_score_ == pytest.approx(grid.best_score_, rel=1e-12)
    rows = [grid.cv_results_["params"].index(p) for p in search.cv_results_["params"]]
    for k in range(3):
        key = f"split{k}_test_score"
        expected = grid.cv_results_[key][rows]
        assert_allclose(search.cv_results_[key], expected, rtol=1e-12)
    # The fold that held out the lone member of class 3 gave it probability 0,
    # and its loss (-log eps) counts in that fold's score.
    assert search.oof_predictions_[0, 3] == 0.0
    assert search.cv_results_["mean_test_score"].max() < -30 / len(y)


def test_no_fold_that_can_choose_epochs_runs_max_iter():
    """Unshuffled folds on sorted labels: every fold's training part lacks the
    class it holds out, so no fold can choose the epochs: each candidate runs
    max_iter, and the fit succeeds as without early stopping."""
    X, y = _classification()
    order = np.argsort(y, kind="stable")
    search = DropoutMLPClassifierCV(**SMALL, **GRID, cv=KFold(3)).fit(
        X[order], y[order]
    )
    assert_array_equal(search.cv_results_["param_max_iter"], [SMALL["max_iter"]] * 4)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_a_used_up_generator_of_splits_is_grid_search_error(
    CV, Plain, make_data, Splitter
):
    """cv=[] or a generator that a first fit used up: GridSearchCV's error, and
    the fitted model unchanged."""
    X, y = make_data()
    search = CV(
        **SMALL, **_own(CV), dropouts=[0.2], cv=iter(list(Splitter(2).split(X, y)))
    )
    search.fit(X, y)
    fitted = pickle.dumps(search.cv_results_), search.estimators_
    with pytest.raises(ValueError, match="No fits were performed. Was the CV iter"):
        search.fit(X, y)
    assert (pickle.dumps(search.cv_results_), search.estimators_) == fitted
    with pytest.raises(ValueError, match="No fits were performed. Was the CV iter"):
        clone(search).set_params(cv=[]).fit(X, y)


@pytest.mark.parametrize("factor", [1, 2])
@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_halving_search_is_grid_search_over_the_epochs_it_ran(
    CV, Plain, make_data, Splitter, factor
):
    """With halving_factor, the fold models train in lockstep and are rewound
    to their chosen epochs: every candidate's split scores and chosen epochs
    are GridSearchCV's over (candidate, max_iter) for the epochs it ran, and
    the refit is the plain fit of the best. factor=1 runs every candidate
    (here all 8 epochs); factor=2 with rungs at 2 and 4 epochs keeps 2 of the
    4 candidates after 2 epochs and 1 after 4."""
    X, y = make_data()
    folds = Splitter(3, shuffle=True, random_state=1)
    search = CV(
        **{**SMALL, "early_stopping": True},
        **{**GRID, "refit": True},
        **_own(CV),
        halving_factor=factor,
        halving_min_epochs=2,
        cv=folds,
    ).fit(X, y)
    results = search.cv_results_
    ran = results["split0_n_iter"]
    for k in range(3):
        assert_array_equal(results[f"split{k}_n_iter"], ran)  # lockstep
    expected = [8, 8, 8, 8] if factor == 1 else [2, 2, 4, 8]
    assert sorted(ran.tolist()) == expected
    grid = GridSearchCV(
        _plain(search, Plain),
        {"dropout": GRID["dropouts"], "weight_decay": GRID["weight_decays"],
         "max_iter": list(range(1, SMALL["max_iter"] + 1))},
        cv=folds, scoring=_loss_scorer,
    ).fit(X, y)  # fmt: skip
    params, means = grid.cv_results_["params"], grid.cv_results_["mean_test_score"]
    for c, candidate in enumerate(results["params"]):
        row = params.index(candidate)
        for k in range(3):
            key = f"split{k}_test_score"
            assert results[key][c] == pytest.approx(
                grid.cv_results_[key][row], rel=1e-12
            )
        run = [i for i, p in enumerate(params)
               if (p["dropout"], p["weight_decay"])
               == (candidate["dropout"], candidate["weight_decay"])
               and p["max_iter"] <= ran[c]]  # fmt: skip
        assert means[row] == max(means[run])
    refit = _plain(search, Plain, **search.best_params_).fit(X, y)
    for a, b in zip(search.best_estimator_.coefs_, refit.coefs_):
        assert_array_equal(a, b)


@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_halving_needs_the_epochs_chosen(CV, Plain, make_data, Splitter):
    """halving_factor above 1 without early stopping is refused, naming both;
    halving_factor=1 (no halving) then fits as None does, every fit to
    max_iter."""
    X, y = make_data()
    with pytest.raises(ValueError, match="halving_factor.*early_stopping=True"):
        CV(**SMALL, **_own(CV), **GRID, early_stopping=False, halving_factor=2).fit(
            X, y
        )
    params = {**SMALL, **GRID, "early_stopping": False, "cv": 2}
    one = CV(**params, **_own(CV), halving_factor=1).fit(X, y)
    none = CV(**params, **_own(CV), halving_factor=None).fit(X, y)
    assert np.all(one.cv_results_["split0_n_iter"] == SMALL["max_iter"])
    assert_array_equal(_output(one, X), _output(none, X))


@pytest.mark.parametrize("CV, Plain, make_data, Splitter", CASES)
def test_alphas_are_searched_as_grid_search_searches_alpha(
    CV, Plain, make_data, Splitter
):
    """alphas adds the L2 penalty to the grid: the split scores, the choice and
    the refit are GridSearchCV's over (dropout, weight_decay, alpha);
    param_alpha and alpha_ report it."""
    X, y = make_data()
    folds = Splitter(3, shuffle=True, random_state=4)
    alphas = [1e-4, 3.0]
    params = {**SMALL, "early_stopping": False}
    search = CV(
        **params, **_own(CV), **{**GRID, "refit": True}, alphas=alphas, cv=folds
    )
    search.fit(X, y)
    grid = GridSearchCV(
        _plain(search, Plain),
        {"dropout": GRID["dropouts"], "weight_decay": GRID["weight_decays"],
         "alpha": alphas},
        cv=folds, scoring=_loss_scorer,
    ).fit(X, y)  # fmt: skip
    results = search.cv_results_
    assert len(results["params"]) == 8
    assert_array_equal(results["param_alpha"], [p["alpha"] for p in results["params"]])
    rows = [grid.cv_results_["params"].index(p) for p in results["params"]]
    for k in range(3):
        key = f"split{k}_test_score"
        assert_allclose(results[key], grid.cv_results_[key][rows], rtol=1e-12)
    assert search.best_params_ == grid.best_params_
    assert search.alpha_ == grid.best_params_["alpha"]
    for a, b in zip(search.best_estimator_.coefs_, grid.best_estimator_.coefs_):
        assert_array_equal(a, b)


def _standardized(y, sample_weight=None):
    Y = y.reshape(len(y), -1)
    scaler = StandardScaler().fit(Y, sample_weight=sample_weight)
    return scaler.transform(Y).reshape(y.shape), scaler.mean_, scaler.scale_


@pytest.mark.parametrize("refit, ensemble", [(True, "greedy"), (False, "best")])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_normalize_y_is_the_search_on_the_standardized_target(
    refit, ensemble, weighted, n_outputs
):
    """normalize_y=True (the default) is, bit for bit, the search with
    normalize_y=False on y standardized as StandardScaler does (weighted by
    sample_weight, each output apart): the same members and scores, and the
    predictions, their std and the out-of-fold ones scaled back."""
    X, y = _regression()
    y = 1e4 * y + 3e5  # a target in other units than the inputs'
    if n_outputs == 2:
        y = np.column_stack([y, -2e-3 * y])
    weights = np.random.RandomState(0).uniform(0.5, 2, len(y)) if weighted else None
    params = dict(SMALL, dropouts=[0.0, 0.3], cv=3, refit=refit, ensemble=ensemble)
    search = DropoutMLPRegressorCV(**params).fit(X, y, weights)
    y_std, mean, scale = _standardized(y, weights)
    plain = DropoutMLPRegressorCV(**params, normalize_y=False).fit(X, y_std, weights)
    assert_array_equal(search.target_offset_, mean)
    assert_array_equal(search.target_scale_, scale)
    assert_array_equal(plain.target_offset_, np.zeros(n_outputs))
    assert_array_equal(plain.target_scale_, np.ones(n_outputs))
    assert_array_equal(
        search.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )
    for ours, theirs in zip(search.estimators_, plain.estimators_):
        for a, b in zip(ours.coefs_, theirs.coefs_):
            assert_array_equal(a, b)
    assert_array_equal(search.predict(X), plain.predict(X) * scale + mean)
    assert_array_equal(search.oof_predictions_, plain.oof_predictions_ * scale + mean)
    mean_ours, std_ours = search.predict(X, return_std=True)
    mean_plain, std_plain = plain.predict(X, return_std=True)
    assert_array_equal(mean_ours, mean_plain * scale + mean)
    assert_array_equal(std_ours, std_plain * scale)


@pytest.mark.parametrize("huge", [1e160, 1e200])
def test_a_target_too_large_to_standardize_is_refused(huge):
    """A target whose variance overflows (StandardScaler then divides by 1,
    or by NaN) is refused naming y, not left unscaled to diverge."""
    X, y = _regression()
    y = y.copy()
    y[0] = huge
    with pytest.raises(ValueError, match="y holds values too large to standardize"):
        DropoutMLPRegressorCV(**SMALL, cv=3).fit(X, y)


def test_poisson_std_is_that_of_the_counts():
    """With loss='poisson' the members learn y / mean(y), but the noise of
    return_std is the Poisson variance of y itself, the predicted mean, as
    for the plain regressor: one member without dropout (no model variance,
    no spread) gives std = sqrt(mean); with dropout, the model's variance and
    the spread scale as y squared, the noise as y."""
    X, y = _regression()
    counts = np.random.RandomState(0).poisson(np.exp(1 + 0.5 * np.tanh(y)) * 20)
    params = dict(SMALL, loss="poisson", weight_decays=[0.0], cv=3)
    search = DropoutMLPRegressorCV(**params, dropouts=[0.0]).fit(X, counts)
    assert search.target_scale_[0] > 20 and len(search.estimators_) == 1
    mean, std = search.predict(X[:5], return_std=True)
    assert_allclose(std, np.sqrt(mean), rtol=1e-6)

    search = DropoutMLPRegressorCV(**params, dropouts=[0.3], refit=False)
    search.fit(X, counts)
    scale = search.target_scale_[0]
    mean, std = search.predict(X[:5], return_std=True)
    model, noise, means = [], [], []
    for member in search.estimators_:
        samples = member.predict_mc(X[:5])[..., 0]
        model.append(samples.var(axis=0))
        noise.append(samples.mean(axis=0))
        means.append(member.predict(X[:5]))
    w = search.ensemble_weights_[:, None]
    expected = np.sum(
        w * (scale**2 * (np.array(model) + (np.array(means) - mean / scale) ** 2)
             + scale * np.array(noise)),
        axis=0,
    )  # fmt: skip
    assert_allclose(std, np.sqrt(expected), rtol=1e-6)


def test_normalize_y_is_a_transformed_target_regressor_inside():
    """Fitted on a raw target, the default regressor predicts, bit for bit, as
    normalize_y=False inside a TransformedTargetRegressor with a
    StandardScaler (which the package's benchmark used before normalize_y)."""
    X, y = _regression()
    y = 1e4 * y + 3e5
    ours = DropoutMLPRegressorCV(**SMALL, cv=3).fit(X, y)
    theirs = TransformedTargetRegressor(
        DropoutMLPRegressorCV(**SMALL, cv=3, normalize_y=False),
        transformer=StandardScaler(),
    ).fit(X, y)
    assert_array_equal(ours.predict(X), theirs.predict(X))


def test_normalize_y_makes_the_model_independent_of_the_target_units():
    """With normalize_y, the same data in other units (y in cents instead of
    dollars, shifted) gives the same model up to rounding, and predictions in
    those units; without it, the fit differs with the units."""
    X, y = _regression()
    dollars = DropoutMLPRegressorCV(**SMALL, cv=3).fit(X, y)
    cents = DropoutMLPRegressorCV(**SMALL, cv=3).fit(X, 100 * y + 7e4)
    assert_allclose(cents.predict(X), 100 * dollars.predict(X) + 7e4, rtol=1e-9)
    assert_allclose(cents.best_score_, dollars.best_score_, rtol=1e-9)
    raw = DropoutMLPRegressorCV(**SMALL, cv=3, normalize_y=False)
    raw_cents = clone(raw).fit(X, 100 * y + 7e4)
    raw_dollars = clone(raw).fit(X, y)
    assert not np.allclose(raw_cents.predict(X), 100 * raw_dollars.predict(X) + 7e4)


def test_normalize_y_with_the_poisson_loss_divides_by_the_mean():
    """With loss='poisson' the target is divided by its (weighted) mean, not
    centred (a Poisson target must stay >= 0); a target of zeros is left as
    it is."""
    X, y = _regression()
    counts = np.round(np.exp(y / 2) * 40)
    weights = np.random.RandomState(0).uniform(0.5, 2, len(y))
    search = DropoutMLPRegressorCV(**SMALL, loss="poisson", cv=3)
    search.fit(X, counts, weights)
    assert_array_equal(search.target_offset_, [0.0])
    assert_allclose(search.target_scale_, [np.average(counts, weights=weights)])
    plain = DropoutMLPRegressorCV(**SMALL, loss="poisson", cv=3, normalize_y=False)
    plain.fit(X, counts / search.target_scale_, weights)
    assert_array_equal(search.predict(X), plain.predict(X) * search.target_scale_)
    zeros = clone(search).fit(X, np.zeros(len(y)))
    assert_array_equal(zeros.target_scale_, [1.0])
