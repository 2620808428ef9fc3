"""Models outlive a release: the files every release wrote still load, predict the
outputs saved beside them bit for bit and resume training to the saved weights;
a file in a format this code does not read fails on loading with an error that
names the versions.

Each folder of tests/fixtures/persistence/ holds what one release wrote (made by
make_fixtures.py there, at that release, and never rewritten; MANIFEST.json says
what each file is and which versions wrote it). A refactor that changes the saved
state, or the arithmetic of prediction or training, fails here.
"""

import json
import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from _skops_types import _remainder_types
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, InconsistentVersionWarning

import skdropout
from skdropout import (
    DropoutMLPClassifier,
    DropoutMLPRegressorCV,
    PiecewiseLinearEncoder,
    TabularPreprocessor,
)
from skdropout import _persistence as persistence

sio = pytest.importorskip("skops.io")
packaging_version = pytest.importorskip("packaging.version")

#: The types a skops file of a skdropout estimator asks to trust: the estimators
#: (the CV ones hold plain ones) and the optimizers kept for resuming.
SKDROPOUT_TYPES = [
    "skdropout._classifier.DropoutMLPClassifier",
    "skdropout._classifier_cv.DropoutMLPClassifierCV",
    "skdropout._optimizers.Adam",
    "skdropout._optimizers.SGD",
    "skdropout._regressor.DropoutMLPRegressor",
    "skdropout._regressor_cv.DropoutMLPRegressorCV",
]

FIXTURES = Path(__file__).parent / "fixtures" / "persistence"
MANIFESTS = {
    folder.name: json.loads((folder / "MANIFEST.json").read_text())
    for folder in sorted(FIXTURES.iterdir())
    if (folder / "MANIFEST.json").is_file()
}
CASES = [
    pytest.param(release, model, how, id=f"{release}-{model}-{how}")
    for release, manifest in MANIFESTS.items()
    for model in manifest["models"]
    for how in ("pickle", "skops")
]


def _installed():
    from importlib.metadata import version

    return {name: version(name) for name in ("numpy", "scipy", "scikit-learn", "skops")}


def _blas():
    from threadpoolctl import threadpool_info

    return [
        f"{p.get('internal_api')} {p.get('version')} {p.get('architecture', '')}"
        for p in threadpool_info()
    ]


def _skip_if_older_than_writer(manifest):
    """A file is read by the libraries that wrote it or newer ones: NumPy < 1.26
    cannot unpickle a NumPy 2 array, nor an older skops read a newer protocol."""
    parse = packaging_version.Version
    for name, installed in _installed().items():
        if parse(installed) < parse(manifest["versions"][name]):
            pytest.skip(f"written with {name} {manifest['versions'][name]}, "
                        f"{installed} installed")  # fmt: skip


def _comparison(manifest):
    """Bit for bit with the NumPy and BLAS (library, version and CPU kernels)
    that wrote the file. Another BLAS may sum in another order: then a tight
    tolerance (labels stay exact)."""
    same_numpy = manifest["versions"]["numpy"] == _installed()["numpy"]
    if same_numpy and set(manifest["blas"]) <= set(_blas()):
        return assert_array_equal

    def close(actual, expected, err_msg=""):
        if np.issubdtype(np.asarray(expected).dtype, np.inexact):
            assert_allclose(actual, expected, rtol=1e-9, atol=1e-12, err_msg=err_msg)
        else:
            assert_array_equal(actual, expected, err_msg=err_msg)

    return close


def _load(path, how):
    with warnings.catch_warnings():
        # The scikit-learn objects inside (a LabelBinarizer, a StandardScaler)
        # warn when the installed scikit-learn is not the one that wrote them.
        warnings.simplefilter("ignore", InconsistentVersionWarning)
        if how == "pickle":
            with open(path, "rb") as f:
                return pickle.load(f)
        untrusted = sio.get_untrusted_types(file=path)
        assert set(untrusted) <= set(SKDROPOUT_TYPES), untrusted
        return sio.load(path, trusted=SKDROPOUT_TYPES)


def _predictions(est, X):
    if hasattr(est, "predict_proba"):
        return {"predict": est.predict(X), "predict_proba": est.predict_proba(X)}
    mean, std = est.predict(X, return_std=True)
    return {"predict": est.predict(X), "predict_mean": mean, "predict_std": std}


def _resume(est, arrays, manifest):
    """Train on as the release did after saving, if the model was saved to
    resume: partial_fit calls on the saved batch, or a warm-start fit."""
    if "X_resume" in arrays:
        for _ in range(manifest["resume_partial_fit_calls"]):
            est.partial_fit(arrays["X_resume"], arrays["y_resume"])
        return True
    if "resumed_coefs_0" in arrays:
        assert est.warm_start
        est.fit(arrays["X"], arrays["y"])
        return True
    return False


@pytest.mark.parametrize("release, model, how", CASES)
def test_saved_model_predicts_and_resumes_as_saved(release, model, how):
    """A model a release saved loads, predicts the saved outputs and resumes
    training to the saved weights, bit for bit with the same NumPy and BLAS."""
    manifest = MANIFESTS[release]
    _skip_if_older_than_writer(manifest)
    entry = manifest["models"][model]
    folder = FIXTURES / release
    est = _load(folder / entry[how], how)
    assert type(est).__name__ == entry["class"]
    same = _comparison(manifest)
    with np.load(folder / entry["arrays"], allow_pickle=False) as saved:
        arrays = dict(saved)
    for name, output in _predictions(est, arrays["X"]).items():
        same(output, arrays[name], err_msg=name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if not _resume(est, arrays, manifest):
            return
    for i, (coef, intercept) in enumerate(zip(est.coefs_, est.intercepts_)):
        same(coef, arrays[f"resumed_coefs_{i}"], err_msg=f"coefs_[{i}]")
        same(intercept, arrays[f"resumed_intercepts_{i}"], err_msg=f"intercepts_[{i}]")


def test_fixture_of_each_release_is_complete():
    """Every model of a fixture has its pickle, skops and arrays files, and the
    folder is named by the version that wrote it."""
    assert MANIFESTS, "no fixture folder"
    for release, manifest in MANIFESTS.items():
        assert manifest["skdropout"] == release
        for entry in manifest["models"].values():
            for key in ("pickle", "skops", "arrays"):
                assert (FIXTURES / release / entry[key]).is_file()


def _fitted(Estimator):
    X = np.random.default_rng(0).standard_normal((40, 3))
    y = (X[:, 0] > 0).astype(int)
    if Estimator is PiecewiseLinearEncoder:
        return Estimator(n_bins=4).fit(X)
    if Estimator is TabularPreprocessor:
        pd = pytest.importorskip("pandas")
        frame = pd.DataFrame({"x": X[:, 0], "c": np.where(y, "a", "b")})
        return Estimator().fit(frame, y)
    params = dict(hidden_layer_sizes=(4,), batch_size=20, max_iter=2, random_state=0)
    if Estimator is DropoutMLPRegressorCV:
        params.update(dropouts=(0.0,), weight_decays=(0.0,), cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Estimator(**params).fit(X, y)


def _dumps(how):
    return pickle.dumps if how == "pickle" else sio.dumps


def _loads(how):
    if how == "pickle":
        return pickle.loads

    def loads(data):
        # scikit-learn < 1.7 adds a list type of its own (test_tabular's rule).
        untrusted = sio.get_untrusted_types(data=data)
        trusted = SKDROPOUT_TYPES + TRANSFORMER_TYPES + _remainder_types(untrusted)
        return sio.loads(data, trusted=trusted)

    return loads


#: What a skops file of the two transformers asks to trust besides
#: scikit-learn's own (the README's list).
TRANSFORMER_TYPES = [
    "numpy.dtype",
    "skdropout._piecewise.PiecewiseLinearEncoder",
    "skdropout._tabular.TabularPreprocessor",
]
#: Every estimator and transformer of skdropout: each carries the format.
SAVED = [
    DropoutMLPClassifier,
    DropoutMLPRegressorCV,
    TabularPreprocessor,
    PiecewiseLinearEncoder,
]


@pytest.mark.parametrize("how", ["pickle", "skops"])
@pytest.mark.parametrize("Estimator", SAVED)
def test_state_carries_the_format_and_loads_unchanged(Estimator, how):
    """The saved state carries the format number and the version; the loaded
    estimator has exactly the attributes of the saved one."""
    est = _fitted(Estimator)
    state = est.__getstate__()
    assert state["_skdropout_format"] == persistence.FORMAT
    assert state["_skdropout_version"] == skdropout.__version__
    loaded = _loads(how)(_dumps(how)(est))
    assert vars(loaded).keys() == vars(est).keys()


@pytest.mark.parametrize("how", ["pickle", "skops"])
@pytest.mark.parametrize("Estimator", SAVED)
@pytest.mark.parametrize(
    "saved_format, problem", [(99, "is newer than"), (0, "is no longer read by")]
)
def test_unreadable_format_raises_naming_the_versions(
    Estimator, how, saved_format, problem, monkeypatch
):
    """A file written in a format newer than this code reads, or in one it no
    longer reads, raises a ValueError naming the format and both versions."""
    est = _fitted(Estimator)
    with monkeypatch.context() as m:  # a file written by another release
        m.setattr(persistence, "FORMAT", saved_format)
        m.setattr(skdropout, "__version__", "9.9.9")
        data = _dumps(how)(est)
    message = re.escape(
        f" in this file was saved by skdropout 9.9.9 in format {saved_format}, "
        f"which {problem} skdropout {skdropout.__version__} (it reads formats 1 to 1)"
    )
    # The first object built raises: a CV estimator's first fold model.
    name = Estimator.__name__.removesuffix("CV")
    with pytest.raises(ValueError, match=f"^The {name}(CV)?{message}"):
        _loads(how)(data)


@pytest.mark.parametrize("saved_format", ["2", None, 1.5, True])
def test_a_format_number_that_is_no_format_is_named(saved_format):
    """A format that is not an integer (a damaged file) raises a ValueError
    that says so, not a TypeError from comparing it."""
    state = _fitted(DropoutMLPClassifier).__getstate__()
    state["_skdropout_format"] = saved_format
    loaded = DropoutMLPClassifier.__new__(DropoutMLPClassifier)
    with pytest.raises(ValueError, match=f"carries {re.escape(repr(saved_format))}"):
        loaded.__setstate__(state)


@pytest.mark.parametrize("Estimator", SAVED)
def test_parameter_added_after_saving_takes_its_default(Estimator):
    """A state saved before a parameter existed (here: one removed from the
    state) loads with that parameter at its default, so get_params, clone
    and repr work."""
    est = _fitted(Estimator)
    state = est.__getstate__()
    name = sorted(est.get_params(deep=False))[-1]
    del state[name]
    loaded = Estimator.__new__(Estimator)
    loaded.__setstate__(state)
    default = Estimator().get_params(deep=False)[name]
    assert loaded.get_params(deep=False)[name] == default
    assert clone(loaded).get_params(deep=False).keys() == (
        est.get_params(deep=False).keys()
    )


def test_state_without_format_number_is_format_1():
    """A state without the format number (0.1.0.dev0 wrote none) loads."""
    est = _fitted(DropoutMLPClassifier)
    state = est.__getstate__()
    del state["_skdropout_format"], state["_skdropout_version"]
    loaded = DropoutMLPClassifier.__new__(DropoutMLPClassifier)
    loaded.__setstate__(state)
    X = np.ones((2, 3))
    assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


@pytest.mark.parametrize("release, model, how", CASES)
def test_saved_model_has_every_current_parameter(release, model, how):
    """A parameter added after a file was written takes its default on
    loading: get_params, clone and repr work on every saved model, and a
    parameter the class no longer takes is not among them."""
    manifest = MANIFESTS[release]
    _skip_if_older_than_writer(manifest)
    entry = manifest["models"][model]
    est = _load(FIXTURES / release / entry[how], how)
    params = est.get_params(deep=False)
    assert set(params) == set(type(est)().get_params(deep=False))
    assert clone(est).get_params(deep=False) == params
    assert type(est).__name__ in repr(est)


@pytest.mark.parametrize("how", ["pickle", "skops"])
@pytest.mark.parametrize("model", ["classifier_cv", "regressor_cv"])
def test_a_cv_model_of_the_first_release_keeps_how_it_was_fitted(model, how):
    """The CV models 0.1.0.dev0 saved, before ``preprocessing``, ``alphas``
    and ``normalize_y``, load with the values of those that their fit had
    (no preprocessing; the regressor's target as given), so that a clone fits
    the same model again, and with the fitted attributes documented since."""
    manifest = MANIFESTS["0.1.0.dev0"]
    _skip_if_older_than_writer(manifest)
    entry = manifest["models"][model]
    folder = FIXTURES / "0.1.0.dev0"
    est = _load(folder / entry[how], how)
    with np.load(folder / entry["arrays"], allow_pickle=False) as saved:
        arrays = dict(saved)
    assert est.preprocessing is None and est.preprocessor_ is None
    assert est.alpha_ == est.alpha
    assert np.isnan(est.cv_results_["mean_score_time"]).all()
    assert "warm_start" not in vars(est)
    if model == "regressor_cv":
        assert est.normalize_y is False
        assert_array_equal(est.target_scale_, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        again = clone(est).fit(arrays["X"], arrays["y"])
    _comparison(manifest)(again.predict(arrays["X"]), arrays["predict"])
