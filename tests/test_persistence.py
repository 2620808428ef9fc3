"""Safe persistence with skops.io: the only types a file of a fitted estimator
asks to trust are skdropout's own; trusting them loads a model that predicts and
resumes training exactly; a file edited to reference another module's object is
refused.

pickle (and joblib) run arbitrary code from the file they load; skops.io stores a
schema of plain types and rebuilds only the types its caller trusts."""

import io
import json
import os
import pickle
import warnings
import zipfile

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

sio = pytest.importorskip("skops.io")
from skops.io.exceptions import UntrustedTypesFoundException  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: Everything a skops file of a skdropout model asks to trust: the estimators and
#: the optimizers kept for partial_fit and warm_start. numpy, scipy and
#: scikit-learn types (arrays, RandomState, LabelBinarizer, StandardScaler in a
#: Pipeline) are on skops' default trusted list.
SKDROPOUT_TYPES = [
    "skdropout._classifier.DropoutMLPClassifier",
    "skdropout._optimizers.Adam",
    "skdropout._optimizers.SGD",
    "skdropout._regressor.DropoutMLPRegressor",
]


def _classification(n_samples=80):
    X, y = make_classification(n_samples=n_samples, n_features=5, n_informative=3,
                               n_classes=3, random_state=0)  # fmt: skip
    return StandardScaler().fit_transform(X), y


def _regression(n_samples=80):
    X, y = make_regression(n_samples=n_samples, n_features=5, noise=1.0,
                           random_state=0)  # fmt: skip
    return StandardScaler().fit_transform(X), y / y.std()


def _fit(Estimator, make_data, how="fit", y_map=None, sparse=False, **params):
    X, y = make_data()
    if y_map is not None:
        y = y_map(y)
    if sparse:
        X = sp.csr_matrix(np.where(np.abs(X) < 0.5, 0.0, X))
    est = Estimator(hidden_layer_sizes=(8, 4), max_iter=5, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if how == "partial_fit":
            classifier = Estimator is DropoutMLPClassifier
            est.partial_fit(X, y, **({"classes": np.unique(y)} if classifier else {}))
        else:
            est.fit(X, y)
    return est, X, y


MODELS = {
    "classifier-adam": lambda: _fit(DropoutMLPClassifier, _classification),
    "classifier-strings-sgd": lambda: _fit(
        DropoutMLPClassifier,
        _classification,
        solver="sgd",
        y_map=lambda y: np.array(["ant", "bee", "cat"])[y],
    ),  # fmt: skip
    "classifier-multilabel-float32": lambda: _fit(
        DropoutMLPClassifier,
        lambda: (
            _classification()[0].astype(np.float32),
            np.eye(3, dtype=int)[_classification()[1]],
        ),
    ),  # fmt: skip
    "classifier-early-stopping": lambda: _fit(
        DropoutMLPClassifier,
        _classification,
        early_stopping=True,
        n_iter_no_change=2,
        max_norm=2.0,
    ),  # fmt: skip
    "classifier-lbfgs-sparse": lambda: _fit(
        DropoutMLPClassifier,
        _classification,
        solver="lbfgs",
        dropout=0.0,
        sparse=True,
    ),  # fmt: skip
    "classifier-partial-fit": lambda: _fit(
        DropoutMLPClassifier,
        _classification,
        how="partial_fit",
        dropout=[0.3, 0.1],
    ),  # fmt: skip
    "regressor-adam-gaussian": lambda: _fit(
        DropoutMLPRegressor, _regression, dropout_noise="gaussian", input_dropout=0.2
    ),
    "regressor-sgd-early-stopping": lambda: _fit(
        DropoutMLPRegressor,
        _regression,
        solver="sgd",
        early_stopping=True,
        learning_rate="adaptive",
    ),  # fmt: skip
    "regressor-poisson-partial-fit": lambda: _fit(
        DropoutMLPRegressor,
        lambda: (_regression()[0], np.abs(_regression()[1])),
        how="partial_fit",
        loss="poisson",
    ),  # fmt: skip
}


def _same_state(a, b):
    """The same attributes, equal bit for bit (a generator by its state)."""
    assert vars(a).keys() == vars(b).keys()
    for key, value in vars(a).items():
        other = vars(b)[key]
        if isinstance(value, np.random.RandomState):
            for part, other_part in zip(value.get_state(), other.get_state()):
                assert_array_equal(part, other_part, err_msg=key)
        else:
            assert pickle.dumps(value) == pickle.dumps(other), key


def _predictions(est, X):
    out = [est.predict(X), est.predict_mc(X, n_passes=3)]
    if isinstance(est, DropoutMLPClassifier):
        out += [est.predict_proba(X), est.predict_log_proba(X)]
    else:
        out += list(est.predict(X, return_std=True))
    return out


@pytest.mark.parametrize("name", MODELS)
def test_only_skdropout_types_need_trust(name):
    """get_untrusted_types lists only skdropout's estimators and optimizers."""
    est, _, _ = MODELS[name]()
    untrusted = sio.get_untrusted_types(data=sio.dumps(est))
    assert type(est).__module__ + "." + type(est).__name__ in untrusted
    assert set(untrusted) <= set(SKDROPOUT_TYPES), untrusted


@pytest.mark.parametrize("name", MODELS)
def test_round_trip_predicts_and_resumes_identically(name):
    """Loaded with skdropout's types trusted, the model has the same state, bit
    for bit, predicts identically with every method, and goes on training
    exactly as the original does (generator and optimizer state kept)."""
    est, X, y = MODELS[name]()
    loaded = sio.loads(sio.dumps(est), trusted=SKDROPOUT_TYPES)
    _same_state(est, loaded)
    for ours, theirs in zip(_predictions(est, X), _predictions(loaded, X)):
        assert_array_equal(ours, theirs)
    if est.solver == "lbfgs":
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for model in (est, loaded):
            if model.early_stopping:
                model.set_params(warm_start=True).fit(X, y)
            else:
                model.partial_fit(X, y)
                model.partial_fit(X, y)
    _same_state(est, loaded)


def test_partial_fit_resumes_exactly_through_a_skops_file(tmp_path):
    """Two partial_fit calls, a skops file on disk, two more calls: exactly the
    weights, curve and generator state of four uninterrupted calls."""
    X, y = _classification()
    first = {"classes": np.unique(y)}
    straight = DropoutMLPClassifier(hidden_layer_sizes=(8,), input_dropout=0.1,
                                    random_state=0)  # fmt: skip
    resumed = DropoutMLPClassifier(**straight.get_params())
    for i in range(4):
        straight.partial_fit(X, y, **(first if i == 0 else {}))
    for i in range(2):
        resumed.partial_fit(X, y, **(first if i == 0 else {}))
    path = tmp_path / "model.skops"
    sio.dump(resumed, path)
    assert set(sio.get_untrusted_types(file=path)) <= set(SKDROPOUT_TYPES)
    resumed = sio.load(path, trusted=SKDROPOUT_TYPES)
    for _ in range(2):
        resumed.partial_fit(X, y)
    _same_state(straight, resumed)


def test_pipeline_needs_only_skdropout_types():
    """In a Pipeline with a StandardScaler, only skdropout's types need trust."""
    X, y = _classification()
    pipe = make_pipeline(StandardScaler(), DropoutMLPClassifier(max_iter=3))
    pipe.fit(X, y)
    data = sio.dumps(pipe)
    assert set(sio.get_untrusted_types(data=data)) <= set(SKDROPOUT_TYPES)
    assert_array_equal(
        sio.loads(data, trusted=SKDROPOUT_TYPES).predict_proba(X), pipe.predict_proba(X)
    )


def _fit_with_progress_bar():
    """A classifier fitted with a ProgressBar set, and its data."""
    pytest.importorskip("sklearn.callback")
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    X, y = _classification()
    est = DropoutMLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    return est.set_callbacks(ProgressBar()).fit(X, y), X, y


def test_skops_file_leaves_callbacks_out():
    """Callbacks stay out of a skops file, which loads with skdropout's types only."""
    est, X, y = _fit_with_progress_bar()
    data = sio.dumps(est)
    assert set(sio.get_untrusted_types(data=data)) <= set(SKDROPOUT_TYPES)
    loaded = sio.loads(data, trusted=SKDROPOUT_TYPES)
    assert len(est._skl_callbacks) == 1  # dumping changed nothing
    without = pickle.loads(pickle.dumps(est)).set_callbacks()
    _same_state(without, loaded)
    for ours, theirs in zip(_predictions(est, X), _predictions(loaded, X)):
        assert_array_equal(ours, theirs)
    for model in (without, loaded):
        model.partial_fit(X, y)
    _same_state(without, loaded)
    loaded.set_callbacks(*est._skl_callbacks).fit(X, y)
    assert_array_equal(loaded.coefs_[0], clone(est).fit(X, y).coefs_[0])


def test_pickle_keeps_callbacks():
    """pickle keeps the callbacks, as for scikit-learn's estimators, and refits."""
    from sklearn.linear_model import LogisticRegression

    est, X, y = _fit_with_progress_bar()
    restored = pickle.loads(pickle.dumps(est))
    _same_state(est, restored)
    assert type(restored._skl_callbacks[0]) is type(est._skl_callbacks[0])
    sklearn_est = LogisticRegression().set_callbacks(type(est._skl_callbacks[0])())
    assert len(pickle.loads(pickle.dumps(sklearn_est))._skl_callbacks) == 1
    assert_array_equal(restored.fit(X, y).coefs_[0], est.coefs_[0])


def _tamper(data, edit):
    """A skops file whose schema.json went through ``edit``, other files kept."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "schema.json":
                schema = json.loads(content)
                edit(schema)
                content = json.dumps(schema).encode()
            target.writestr(item, content)
    return out.getvalue()


def _swap_root(module, name):
    def edit(schema):
        schema["__module__"], schema["__class__"] = module, name

    return edit


def _swap_optimizer(module, name):
    def edit(schema):
        node = schema["content"]["content"]["_optimizer"]
        node["__module__"], node["__class__"] = module, name

    return edit


def _add_function(module, name):
    def edit(schema):  # a function is stored as a reference to its name
        schema["content"]["content"]["verbose"] = {
            "__class__": name,
            "__module__": module,
            "__loader__": "TypeNode",
            "__id__": 1,
        }

    return edit


@pytest.mark.parametrize(
    "edit, foreign",
    [
        (_swap_root("os", "system"), "os.system"),
        (_swap_optimizer("subprocess", "Popen"), "subprocess.Popen"),
        (_add_function("os", "system"), "os.system"),
    ],
    ids=["root-os.system", "optimizer-subprocess.Popen", "function-os.system"],
)
def test_tampered_file_is_refused(edit, foreign):
    """A file edited to reference another module's function or class is
    reported by get_untrusted_types and refused by loads, also when
    skdropout's types are trusted; never is the foreign object built."""
    est, _, _ = MODELS["classifier-adam"]()
    data = _tamper(sio.dumps(est), edit)
    assert foreign in sio.get_untrusted_types(data=data)
    for trusted in (None, SKDROPOUT_TYPES):
        with pytest.raises(UntrustedTypesFoundException, match=foreign):
            sio.loads(data, trusted=trusted)


def test_trust_is_the_only_barrier():
    """The edited file is otherwise valid: trusting the foreign name does put
    os.system into the loaded estimator. Trust skdropout's types, nothing else."""
    est, _, _ = MODELS["classifier-adam"]()
    data = _tamper(sio.dumps(est), _add_function("os", "system"))
    loaded = sio.loads(data, trusted=[*SKDROPOUT_TYPES, "os.system"])
    assert loaded.verbose is os.system


def test_a_model_trained_without_early_stopping_saves_no_second_copy_of_weights():
    """Only early stopping keeps its best weights: without it the saved state
    holds the network once (it held a dead copy of the initial weights), and
    a later warm-started fit with early stopping starts from the weights as
    they are."""
    from sklearn.exceptions import ConvergenceWarning

    X, y = make_regression(n_samples=80, n_features=4, random_state=0)
    y = y / y.std()
    est = DropoutMLPRegressor(hidden_layer_sizes=(32,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
        assert est.__getstate__()["_best_weights"] is None
        est.set_params(warm_start=True, early_stopping=True).fit(X, y)
    assert est.__getstate__()["_best_weights"] is not None


def test_a_splitter_given_to_a_cv_estimator_is_a_type_to_trust_too():
    """A CV estimator saves the splitter given as ``cv``: skops asks to trust
    its type beside skdropout's, as the README says, and loads with both."""
    from sklearn.model_selection import GroupKFold

    from skdropout import DropoutMLPClassifierCV

    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    est = DropoutMLPClassifierCV(
        hidden_layer_sizes=(4,), max_iter=2, cv=GroupKFold(3), random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y, groups=np.arange(60) % 3)
    data = sio.dumps(est)
    splitter = "sklearn.model_selection._split.GroupKFold"
    ours = [
        "skdropout._classifier_cv.DropoutMLPClassifierCV",
        "skdropout._classifier.DropoutMLPClassifier",
        "skdropout._optimizers.Adam",
    ]
    assert set(sio.get_untrusted_types(data=data)) == {splitter, *ours}
    loaded = sio.loads(data, trusted=[*ours, splitter])
    assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


def test_a_model_loaded_memory_mapped_resumes_training(tmp_path):
    """joblib.load(..., mmap_mode='r') maps the optimizer's state read-only:
    partial_fit copies what it updates (scikit-learn's MLP fails there) and
    trains to the weights of a model loaded into memory."""
    joblib = pytest.importorskip("joblib")
    X, y = _classification()
    est = DropoutMLPClassifier(hidden_layer_sizes=(64,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    path = tmp_path / "model.joblib"
    joblib.dump(est, path)
    mapped, loaded = joblib.load(path, mmap_mode="r"), joblib.load(path)
    for model in (mapped, loaded):
        model.partial_fit(X, y)
    for a, b in zip(mapped.coefs_, loaded.coefs_):
        assert_array_equal(a, b)


def test_a_copy_keeps_what_the_user_set_on_the_estimator():
    """Loading a file of an older format drops parameters the class no longer
    takes; a copy (copy, deepcopy, the callback API's), which is this format,
    keeps every attribute, one the user set too."""
    import copy

    est = DropoutMLPClassifier(hidden_layer_sizes=(4,))
    est.note = "trained on the 2026 data"
    assert copy.deepcopy(est).note == copy.copy(est).note == est.note
    assert pickle.loads(pickle.dumps(est)).note == est.note
