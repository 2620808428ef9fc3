"""Property-based fuzzing with Hypothesis: generated parameters (edge values) and
generated data (edge shapes, magnitudes, dtypes, containers and labels).

The property: every case ends either in a fitted model whose parameters and
predictions are finite, or in a ValueError or TypeError whose message names the
problem, with the estimator left as it was. Never another exception, never a
RuntimeWarning from NumPy, never a model that predicts NaN. Three tests: a first
fit; a partial_fit on a model in training (after a failed call, the next one
gives what it would have given without it); and every prediction method of
fitted models on hostile X.

Each test runs the Hypothesis profile's ``max_examples`` cases (tests/conftest.py):
the default 'ci' profile gives 3 x 500 = 1,500 cases, the same on every run, in
about 15 s on two cores (``pytest tests/test_fuzz.py --hypothesis-show-statistics``
shows the count and what the cases ended in). Every case is bounded: at most 12
samples, 5 features, 5 hidden layers of 5 units, 3 epochs, 30 L-BFGS evaluations.

Open bugs found here are reproduced by strict xfail tests at the end of the module
and recognised by their symptom in the fuzzing (see KNOWN_BUG_ERRORS and the
``_known_*`` helpers), so that it goes on around them.
"""

import functools
import pickle
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor
from skdropout._activations import HIDDEN_ACTIVATIONS
from skdropout._dropout import NOISES
from skdropout._schedules import DROPOUT_SCHEDULES

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import assume, event, given, note, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# A case must finish well within this (milliseconds); a slow case is a finding.
DEADLINE = 2000

# Messages of errors raised by NumPy or Python deep inside a computation: they
# describe a symptom, not the user's mistake.
INTERNAL_ERRORS = (
    "operands could not be broadcast",
    "index out of bounds",
    "out of bounds for axis",
    "unsupported operand",
    "object of type",
    "NoneType",
    "an integer is required",
    "has no attribute",
    "not subscriptable",
    "is not iterable",
    "unhashable type",
    "positional argument",
    "cannot reshape",
    "not supported between instances",
    "division by zero",
    "must be real number, not",
    "did not contain a loop with signature",
)


# -- strategies: parameters -------------------------------------------------------

RATES = st.one_of(st.sampled_from([0.0, 0.5, 0.99]), st.floats(0.0, 0.99))
LEARNING_RATES = st.one_of(
    st.sampled_from([1e-10, 1e-3, 0.1, 1.0, 1e3, 1e8]),
    st.floats(1e-10, 1e8),
)


@st.composite
def estimators(draw, Estimator, stochastic=False):
    """An unfitted estimator with edge-valued parameters, bounded in cost;
    ``stochastic`` for one that can partial_fit."""
    solver = draw(st.sampled_from(["adam", "sgd"] + ([] if stochastic else ["lbfgs"])))
    sizes = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=5)))
    if solver == "lbfgs":  # needs a deterministic objective
        dropout, input_dropout, max_norm = 0.0, 0.0, None
    else:
        dropout = draw(
            st.one_of(RATES, st.lists(RATES, min_size=len(sizes), max_size=len(sizes)))
        )
        input_dropout = draw(RATES)
        max_norm = draw(st.sampled_from([None, 1e-3, 1.0, 3.0]))
    params = dict(
        hidden_layer_sizes=sizes,
        activation=draw(st.sampled_from(HIDDEN_ACTIVATIONS)),
        solver=solver,
        dropout=dropout,
        input_dropout=input_dropout,
        dropout_noise=draw(st.sampled_from(NOISES)),
        max_norm=max_norm,
        mc_passes=2,
        alpha=draw(st.sampled_from([0.0, 1e-4, 10.0])),
        batch_size=draw(st.one_of(st.just("auto"), st.integers(1, 3), st.just(10**4))),
        learning_rate=draw(
            st.sampled_from(["constant", "invscaling", "adaptive", "cosine"])
        ),
        learning_rate_warmup=draw(st.sampled_from([0.0, 0.5])),
        weight_decay=draw(st.sampled_from([0.0, 1.0, 1e3])),
        dropout_schedule=draw(st.sampled_from(sorted(DROPOUT_SCHEDULES))),
        schedule_epochs=draw(st.sampled_from([None, 1, 5])),
        learning_rate_init=draw(LEARNING_RATES),
        momentum=draw(st.sampled_from([0.0, 0.9, 1.0])),
        nesterovs_momentum=draw(st.booleans()),
        max_iter=draw(st.integers(1, 3)),
        max_fun=draw(st.integers(1, 30)),
        shuffle=draw(st.booleans()),
        early_stopping=False if stochastic else draw(st.booleans()),
        validation_fraction=draw(st.sampled_from([0.1, 0.5])),
        n_iter_no_change=draw(st.integers(1, 3)),
        random_state=draw(st.integers(0, 2**32 - 1)),
    )
    if Estimator is DropoutMLPRegressor:
        params["loss"] = draw(st.sampled_from(["squared_error", "poisson"]))
    else:
        params["class_weight"] = draw(st.sampled_from([None, None, "balanced"]))
        params["label_smoothing"] = draw(st.sampled_from([0.0, 0.0, 0.1, 0.99]))
    return Estimator(**params)


# -- strategies: data ---------------------------------------------------------------

# Each list holds the valid kinds first; a case drawn as "hostile" picks from the
# whole list, a valid one from the valid part, so that about half the cases train.
SCALES = [1.0, 1.0, 1.0, 1e3, 1e-3, 1e30, 1e-30, 1e150, 1e300]
CONTAINERS = (
    ["float64"] * 4 + ["float32"] * 2 + ["int", "bool", "object", "list"]
    + ["csr_explicit_zeros", "csr", "csc", "coo"]
    + ["object_str", "1d", "3d", "nan", "inf"]
)  # fmt: skip
N_VALID_CONTAINERS = CONTAINERS.index("object_str")
CLASS_LABELS = (
    ["int"] * 4 + ["str", "bool", "single", "multilabel", "column"]
    + ["mixed", "continuous", "wrong_length"]
)  # fmt: skip
N_VALID_LABELS = CLASS_LABELS.index("mixed")
TARGETS = ["1d"] * 4 + ["column", "2d"] + ["nan", "str", "wrong_length"]
N_VALID_TARGETS = TARGETS.index("nan")
WEIGHTS = [None] * 4 + ["random", "some_zeros"]
WEIGHTS += ["negative", "zeros", "nan", "wrong_length"]
N_VALID_WEIGHTS = WEIGHTS.index("negative")


def _kind(draw, kinds, n_valid, hostile):
    return draw(st.sampled_from(kinds if hostile else kinds[:n_valid]))


def _as_container(X, kind, position):
    """X (float64) in another dtype, container or shape, or with a non-finite
    value at ``position``."""
    with np.errstate(all="ignore"):  # casting 1e300 to int is part of the test
        if kind in ("nan", "inf") and X.size:
            X = X.copy()
            X.flat[position % X.size] = np.nan if kind == "nan" else -np.inf
        elif kind == "float32":
            return X.astype(np.float32)
        elif kind == "int":
            return X.astype(np.int64)
        elif kind == "bool":
            return X > 0
        elif kind in ("object", "object_str"):
            X = X.astype(object)
            if kind == "object_str" and X.size:
                X.flat[position % X.size] = "a"
        elif kind == "list":
            return X.tolist()
        elif kind == "csr_explicit_zeros":
            X = sp.csr_matrix(X)
            X.data[::2] = 0.0  # stored zeros
        elif kind in ("csr", "csc", "coo"):
            return sp.csr_matrix(X).asformat(kind)
        elif kind == "1d":
            return X.ravel()
        elif kind == "3d":
            return X[:, :, None]
        return X


@st.composite
def features(draw, n_samples, n_features, hostile):
    """X with edge magnitudes, a constant column, and (when hostile) non-finite
    values, strings and wrong dimensions, in various dtypes and containers."""
    X = draw(
        hnp.arrays(
            np.float64,
            (n_samples, n_features),
            elements=st.floats(-3, 3, allow_subnormal=False),
        )
    )
    X = X * draw(st.sampled_from(SCALES))
    if X.size and draw(st.booleans()):
        X[:, 0] = X[0, 0]  # a constant column
    kind = _kind(draw, CONTAINERS, N_VALID_CONTAINERS, hostile)
    return _as_container(X, kind, draw(st.integers(0, 100)))


@st.composite
def class_labels(draw, n_samples, hostile):
    kind = _kind(draw, CLASS_LABELS, N_VALID_LABELS, hostile)
    n_classes = draw(st.integers(2, 4))
    codes = draw(
        hnp.arrays(np.int64, n_samples, elements=st.integers(0, n_classes - 1))
    )
    if kind == "str":
        return np.array(["ab", "c", "d", "e"])[codes]
    if kind == "bool":
        return codes.astype(bool)
    if kind == "single":
        return np.full(n_samples, 7)
    if kind == "multilabel":
        return np.column_stack([codes % 2, codes // 2 % 2])
    if kind == "column":
        return codes.reshape(-1, 1)
    if kind == "mixed":
        return np.array([1, "a", 2.5, None], dtype=object)[codes]
    if kind == "continuous":
        return codes + 0.5
    if kind == "wrong_length":
        return np.append(codes, 0)
    return codes


@st.composite
def regression_targets(draw, n_samples, hostile):
    kind = _kind(draw, TARGETS, N_VALID_TARGETS, hostile)
    y = draw(
        hnp.arrays(
            np.float64,
            (n_samples, 2 if kind == "2d" else 1),
            elements=st.floats(0, 3, allow_subnormal=False),
        )
    )
    y = y * draw(st.sampled_from(SCALES)) * draw(st.sampled_from([1, 1, -1]))
    if kind == "nan" and y.size:
        y[0] = np.nan
    if kind == "str":
        return np.array(["x"] * n_samples)
    if kind == "wrong_length":
        return y[1:, 0]
    return y if kind in ("column", "2d") else y[:, 0]


@st.composite
def sample_weights(draw, n_samples, hostile):
    kind = _kind(draw, WEIGHTS, N_VALID_WEIGHTS, hostile)
    if kind is None:
        return None
    w = draw(hnp.arrays(np.float64, n_samples, elements=st.floats(0.01, 10)))
    if kind == "some_zeros":
        w[::2] = 0
    elif kind == "negative" and n_samples:
        w[0] = -w[0]
    elif kind == "zeros":
        w[:] = 0
    elif kind == "nan" and n_samples:
        w[0] = np.nan
    elif kind == "wrong_length":
        w = w[1:]
    return w


N_SAMPLES = [1, 2, 3, 3, 5, 5, 8, 8, 12, 12, 0]
N_FEATURES = [1, 1, 2, 2, 3, 3, 5, 5, 0]


@st.composite
def data(draw, Estimator, n_features=None):
    """(X, y, sample_weight), valid or (half the time) hostile; ``n_features`` a
    strategy for the number of features."""
    hostile = draw(st.booleans())
    n_samples = draw(st.sampled_from(N_SAMPLES if hostile else N_SAMPLES[:-1]))
    if n_features is None:
        n_features = st.sampled_from(N_FEATURES if hostile else N_FEATURES[:-1])
    n_features = draw(n_features)
    X = draw(features(n_samples, n_features, hostile))
    if Estimator is DropoutMLPClassifier:
        y = draw(class_labels(n_samples, hostile))
    else:
        y = draw(regression_targets(n_samples, hostile))
    return X, y, draw(sample_weights(n_samples, hostile))


ESTIMATORS = st.sampled_from([DropoutMLPClassifier, DropoutMLPRegressor])


# -- the property -------------------------------------------------------------------


@contextmanager
def _runtime_warnings():
    """Collect the RuntimeWarnings (NumPy's overflow or invalid value) raised in
    the block, to be asserted on after it. ConvergenceWarning and other
    UserWarnings (batch_size clipped, a column vector y) are expected; as in
    pyproject's filters, FutureWarning and DeprecationWarning are errors."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("always", RuntimeWarning)
        warnings.simplefilter("error", FutureWarning)
        warnings.simplefilter("error", DeprecationWarning)
        runtime = []
        yield runtime
    runtime.extend(
        str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)
    )


# Bugs this fuzzing found are fixed; each is reproduced by a test at the end of
# this module. Symptoms to tolerate while a newly found bug is open go here, with
# a strict xfail test reproducing it (so the list is empty when all are fixed).
KNOWN_BUG_ERRORS = {}


def _known_bug_error(exc):
    return any(
        isinstance(exc, kind) and fragment in str(exc)
        for fragment, kind in KNOWN_BUG_ERRORS.items()
    )


def _mc_refused(est, X):
    """Whether Monte Carlo passes on X overflow: predict_mc then refuses X with a
    ValueError asking to scale it (dropout scales kept units by up to 1 / (1 - p),
    so a pass can overflow where the deterministic network does not)."""
    try:
        est.predict_mc(X)
    except ValueError as exc:
        assert "overflowed" in str(exc)
        return True
    return False


def _has_negative(sample_weight):
    """Negative sample weights are accepted; a negative total gives a negative
    noise_variance_ and a NaN std (test_negative_sample_weights_refused)."""
    return sample_weight is not None and bool(np.any(np.asarray(sample_weight) < 0))


def _assert_clear_error(exc):
    message = str(exc)
    note(f"{type(exc).__name__}: {message}")
    assert isinstance(exc, (ValueError, TypeError)), repr(exc)
    assert message.strip(), f"empty message: {exc!r}"
    for internal in INTERNAL_ERRORS:
        assert internal not in message, f"internal error leaked: {exc!r}"


def _state(est):
    """The estimator's attributes, each pickled (a whole pickle of an unpickled
    copy can differ in its memo, not in its content)."""
    return {key: pickle.dumps(value) for key, value in vars(est).items()}


def _n_rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _assert_usable(est, X):
    """Finite parameters, and finite predictions of every kind on X (the training
    data), of the right shapes."""
    for w in est.coefs_ + est.intercepts_:
        assert np.isfinite(w).all()
    n = _n_rows(X)
    classifier = isinstance(est, DropoutMLPClassifier)
    if classifier:
        assert np.isin(est.predict(X), est.classes_).all()
        proba = est.predict_proba(X)
        assert np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()
        assert np.isfinite(est.predict_log_proba(X)).all()
        expected = (n, len(est.classes_))
        assert proba.shape == expected
    else:
        mean = est.predict(X)
        assert np.isfinite(mean).all()
        expected = (n, est.n_outputs_)
    if _mc_refused(est, X):
        event("Monte Carlo passes overflow: refused")
        return
    passes = est.predict_mc(X, n_passes=2)
    assert np.isfinite(passes).all()
    if classifier:
        assert ((passes >= 0) & (passes <= 1)).all()
        assert passes.shape == (2, *expected)
    else:
        assert passes.shape == (2, *expected)
        mean, std = est.predict(X, return_std=True)
        # inf where the passes' spread overflows; never NaN.
        assert not np.isnan(std).any() and (std >= 0).all()
        assert std.shape == mean.shape


def _fit_or_clear_error(fit, est, X, negative_weights=False):
    """Run ``fit()``. If it raises, check that the error is clear and that ``est``
    is exactly as it was; else check that the model is usable on X, with no
    RuntimeWarning on the way. Return whether the fit succeeded."""
    before = pickle.dumps(est)
    with _runtime_warnings() as runtime:
        try:
            fit()
        except Exception as exc:
            assert pickle.dumps(est) == before, "a failed fit changed the estimator"
            if _known_bug_error(exc):
                event(f"known bug: {type(exc).__name__}")
            else:
                event(f"refused with {type(exc).__name__}")
                _assert_clear_error(exc)
            return False
        event("fitted")
        assert not negative_weights, "negative sample weights were accepted"
        _assert_usable(est, X)
    assert not runtime
    return True


@settings(deadline=DEADLINE)
@given(st.data(), ESTIMATORS)
def test_fit_gives_usable_model_or_clear_error(data_, Estimator):
    """A first fit on any parameters and data (and, in a quarter of the cases, a
    validation set X_val, y_val) gives a model with finite weights and
    predictions, or a clear ValueError/TypeError that leaves it unfitted."""
    est = data_.draw(estimators(Estimator), label="estimator")
    X, y, sample_weight = data_.draw(data(Estimator), label="X, y, sample_weight")
    val = {}
    if data_.draw(st.integers(0, 3), label="validation set") == 0:
        shape = X.shape if sp.issparse(X) else np.shape(X)
        n_features = st.just(shape[1] if len(shape) == 2 else 1)
        X_val, y_val, sw_val = data_.draw(data(Estimator, n_features), label="val")
        val = dict(X_val=X_val, y_val=y_val, sample_weight_val=sw_val)
    negative = _has_negative(sample_weight) or _has_negative(
        val.get("sample_weight_val")
    )
    fit = lambda: est.fit(X, y, sample_weight, **val)  # noqa: E731
    _fit_or_clear_error(fit, est, X, negative_weights=negative)


@settings(deadline=DEADLINE)
@given(st.data(), ESTIMATORS)
def test_partial_fit_updates_or_changes_nothing(data_, Estimator):
    """partial_fit with any data on a model in training updates it to a usable
    model, or raises a clear error and leaves it exactly as it was: the next call
    then gives what it would have given had the failed one never been made."""
    est = data_.draw(estimators(Estimator, stochastic=True), label="estimator")
    rng = np.random.RandomState(0)
    X0 = rng.standard_normal((6, 3))
    y0 = np.array([0, 1, 2, 0, 1, 2]) if Estimator is DropoutMLPClassifier else X0[:, 0]
    first = {"classes": [0, 1, 2]} if Estimator is DropoutMLPClassifier else {}
    assume(_fit_or_clear_error(lambda: est.partial_fit(X0, y0, **first), est, X0))
    twin = pickle.loads(pickle.dumps(est))

    n_features = st.sampled_from([3, 3, 3, 3, 2])
    X, y, sw = data_.draw(data(Estimator, n_features), label="X, y, sample_weight")
    kwargs = {}
    if Estimator is DropoutMLPClassifier:
        classes = data_.draw(
            st.sampled_from([None, None, [0, 1, 2], [2, 1, 0], [0, 1]])
        )
        if classes is not None:
            kwargs["classes"] = classes
    partial_fit = lambda: est.partial_fit(X, y, sw, **kwargs)  # noqa: E731
    if _fit_or_clear_error(partial_fit, est, X, negative_weights=_has_negative(sw)):
        return
    outcomes = []
    with _runtime_warnings():
        for model in (est, twin):
            try:
                model.partial_fit(X0, y0)
                outcomes.append("fitted")
            except ValueError as exc:  # a divergence: the same for both
                outcomes.append(str(exc))
    assert outcomes[0] == outcomes[1]
    assert _state(est) == _state(twin)


# -- prediction on hostile data -------------------------------------------------


def _train(Estimator, y_kind, dtype=np.float64, sparse=False, **params):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((40, 3)).astype(dtype)
    y = {
        "multiclass": X[:, 0].round().clip(-1, 1).astype(int),
        "binary_str": np.where(X[:, 1] > 0, "yes", "no"),
        "multilabel": (X > 0).astype(int),
        "continuous": X @ [1.0, -2.0, 0.5],
        "two_outputs": X[:, :2] * 3,
        "counts": np.exp(X[:, 0]).round(),
    }[y_kind]
    est = Estimator(hidden_layer_sizes=(8, 4), max_iter=30, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return est.fit(sp.csr_matrix(X) if sparse else X, y)


# name: (estimator, target, parameters of _train)
MODELS = {
    "multiclass": (DropoutMLPClassifier, "multiclass", {}),
    "binary_str_float32": (DropoutMLPClassifier, "binary_str", {"dtype": np.float32}),
    "multilabel_input_dropout": (
        DropoutMLPClassifier, "multilabel", {"input_dropout": 0.2}
    ),
    "sparse_gaussian": (
        DropoutMLPClassifier, "multiclass",
        {"sparse": True, "dropout_noise": "gaussian"},
    ),
    "regressor": (DropoutMLPRegressor, "continuous", {}),
    "regressor_two_outputs_float32": (
        DropoutMLPRegressor, "two_outputs", {"dtype": np.float32}
    ),
    "poisson": (DropoutMLPRegressor, "counts", {"loss": "poisson"}),
}  # fmt: skip


@functools.cache
def _fitted(name):
    """The fitted model ``name``, made on first use and shared by all cases."""
    Estimator, y_kind, params = MODELS[name]
    return _train(Estimator, y_kind, **params)


def _predictions(est, X):
    """Every prediction method of ``est`` on X."""
    out = {"predict": est.predict(X), "predict_mc": est.predict_mc(X, n_passes=2)}
    if isinstance(est, DropoutMLPClassifier):
        out["predict_proba"] = est.predict_proba(X)
        out["predict_log_proba"] = est.predict_log_proba(X)
    else:
        out["predict_std"] = est.predict(X, return_std=True)[1]
    return out


@settings(deadline=DEADLINE)
@given(st.data(), st.sampled_from(sorted(MODELS)))
def test_predict_gives_finite_output_or_clear_error(data_, name):
    """Every prediction method, on any data, gives output without NaN (finite
    for probabilities) of the right shape, or a clear ValueError/TypeError; it
    never changes the model."""
    est = _fitted(name)
    before = _state(est)
    n_features = st.sampled_from([3, 3, 3, 3, 2, 0])
    X, _, _ = data_.draw(data(DropoutMLPClassifier, n_features), label="X")
    with _runtime_warnings() as runtime:
        try:
            out = _predictions(est, X)
        except Exception as exc:
            event(f"refused with {type(exc).__name__}")
            _assert_clear_error(exc)
            return
    assert _state(est) == before
    if _overflows(est, X):
        event("known bug: the network overflows on huge X")
        return
    assert not runtime
    event("predicted")
    n = _n_rows(X)
    for method, y in out.items():
        assert y.shape[-2 if method == "predict_mc" else 0] == n
        if isinstance(est, DropoutMLPClassifier) and method == "predict":
            assert np.isin(y, est.classes_).all()
        else:
            assert np.isfinite(y).all(), method


def _overflows(est, X):
    """Finite X so large that the network's activations overflow gives NaN
    predictions and RuntimeWarnings (test_predict_on_huge_inputs), or Monte Carlo
    passes too large for return_std."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        out = _predictions(est, X)
    out.pop("predict")  # labels
    return _mc_refused(est, X) or not all(np.isfinite(y).all() for y in out.values())


# -- bugs found by the fuzzing (fixed), one reproduction each ---------------------


def _xy(n=6):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((n, 3))
    return X, np.arange(n) % 3


def test_mixed_label_types_give_clear_error():
    """y mixing strings and numbers is refused with a ValueError naming the mix."""
    with pytest.raises(ValueError, match="(?i)mix|type"):
        DropoutMLPClassifier(max_iter=1).fit(
            np.zeros((2, 1)), np.array(["a", 1], dtype=object)
        )


def test_unseen_labels_of_another_type():
    """partial_fit with string labels on a model of integer classes (and the
    reverse) is refused with a ValueError naming them, and nothing else."""
    X, y = _xy()
    clf = DropoutMLPClassifier(hidden_layer_sizes=(4,), max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clf.partial_fit(X, y, classes=[0, 1, 2])
        with pytest.raises(ValueError, match="classes not in"):
            clf.partial_fit(X[:1], np.array(["ab"]))
        with pytest.raises(ValueError, match="y_val has labels"):
            clf.fit(X, y, X_val=X[:1], y_val=np.array(["ab"]))


def test_poisson_string_targets_give_clear_error():
    """String targets are refused with a ValueError, whatever the loss."""
    with pytest.raises(ValueError, match="(?i)numeric|string|convert"):
        DropoutMLPRegressor(loss="poisson", max_iter=1).fit(
            np.zeros((3, 1)), np.array(["x", "y", "z"])
        )


@pytest.mark.parametrize("Estimator", [DropoutMLPClassifier, DropoutMLPRegressor])
def test_minibatch_of_zero_weights(Estimator):
    """Zero sample weights (valid: they drop a sample) train with any batch size."""
    X, y = _xy()
    est = Estimator(max_iter=2, batch_size=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est.fit(X, y, sample_weight=[0.0, 1, 1, 1, 1, 1])
    assert all(np.isfinite(w).all() for w in est.coefs_)


def test_negative_sample_weights_refused():
    """Negative sample weights are refused with a ValueError."""
    X, y = _xy(2)
    with pytest.raises(ValueError, match="(?i)negative"):
        DropoutMLPRegressor(max_iter=1).fit(X, y, sample_weight=[-2.0, 1.0])


_OVERFLOWING_FITS = [
    pytest.param(
        DropoutMLPClassifier,
        dict(solver="sgd", dropout=0.0, max_iter=2),
        1e100,
        1,
        id="classifier-sgd",
    ),
    pytest.param(
        DropoutMLPRegressor,
        dict(solver="sgd", dropout=0.0, max_iter=2),
        1e30,
        1,
        id="regressor-sgd",
    ),
    pytest.param(
        DropoutMLPRegressor,
        dict(solver="lbfgs", dropout=0.0, max_iter=20),
        1,
        1e300,
        id="regressor-lbfgs",
    ),
]


@pytest.mark.parametrize("Estimator, params, x_scale, y_scale", _OVERFLOWING_FITS)
def test_fit_refuses_model_that_overflows(Estimator, params, x_scale, y_scale):
    """fit either raises or returns a model whose loss and predictions on its own
    training data are finite."""
    rng = np.random.RandomState(0)
    X = rng.standard_normal((20, 3))
    y = rng.randint(0, 3, 20) if Estimator is DropoutMLPClassifier else X[:, 0]
    est = Estimator(hidden_layer_sizes=(5,), random_state=0, **params)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", UserWarning)
        try:
            est.fit(X * x_scale, y * y_scale)
        except ValueError:
            return
        if Estimator is DropoutMLPClassifier:
            assert np.isfinite(est.predict_proba(X * x_scale)).all()
        else:
            assert np.isfinite(est.loss_)
            assert np.isfinite(est.predict(X * x_scale, return_std=True)).all()


def test_predict_mc_of_two_labels():
    """predict_mc of a multilabel model gives one probability per label, as
    predict_proba does."""
    X, _ = _xy(30)
    Y = (X[:, :2] > 0).astype(int)
    clf = DropoutMLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clf.fit(X, Y)
    assert clf.predict_proba(X).shape == (30, 2)
    assert clf.predict_mc(X, n_passes=4).shape == (4, 30, 2)


def test_single_class_probabilities():
    """Trained on one class, the classifier either refuses it or gives that class
    probability 1, in one column, from predict_proba and predict_mc."""
    X, _ = _xy()
    clf = DropoutMLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            clf.fit(X, np.full(6, "only"))
        except ValueError as exc:
            assert "class" in str(exc)
            return
    assert (clf.predict(X) == "only").all()
    assert_allclose(clf.predict_proba(X), np.ones((6, 1)))
    assert_allclose(clf.predict_mc(X, n_passes=2), np.ones((2, 6, 1)))


@pytest.mark.parametrize(
    "loss, dtype, scale",
    [("poisson", np.float64, 1e3), ("squared_error", np.float32, 1e20)],
)
def test_return_std_of_large_passes(loss, dtype, scale):
    """On inputs far from the training data, return_std gives a std without NaN,
    finite where the std itself is representable, or (where a pass itself
    overflows, as exp does for the Poisson loss) a clear ValueError; never a
    RuntimeWarning."""
    X, _ = _xy(40)
    X = X.astype(dtype)
    y = np.exp(X[:, 0]).round() if loss == "poisson" else X[:, 0]
    reg = DropoutMLPRegressor(loss=loss, hidden_layer_sizes=(8,), max_iter=20,
                              random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        reg.fit(X, y)
    X_far = np.full((1, 3), scale, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        if loss == "poisson":  # exp of the passes overflows
            with pytest.raises(ValueError, match="overflowed"):
                reg.predict(X_far, return_std=True)
            return
        mean, std = reg.predict(X_far, return_std=True)
    assert np.isfinite(std).all()  # the passes themselves are finite


def test_mc_passes_that_overflow():
    """On finite inputs so large that a dropout pass overflows, predict_mc raises
    a clear ValueError or gives probabilities without NaN, and no warning."""
    clf = _fitted("multiclass")
    X_huge = np.full((1, 3), 1e308)
    assert np.isfinite(clf.predict_proba(X_huge)).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            passes = clf.predict_mc(X_huge, n_passes=20)
        except ValueError:
            return
    assert not np.isnan(passes).any()


def test_predict_mc_refuses_boolean_n_passes():
    """n_passes=True is refused like any other non-integer."""
    X, y = _xy()
    clf = DropoutMLPClassifier(hidden_layer_sizes=(4,), max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clf.fit(X, y)
    with pytest.raises(ValueError, match="n_passes"):
        clf.predict_mc(X, n_passes=True)


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_all_zero_sample_weights_refused(solver):
    """Sample weights that are all zero are refused with a clear ValueError (lbfgs
    divided by their zero sum); scikit-learn >= 1.7 already says so itself."""
    X, y = _xy()
    est = DropoutMLPClassifier(solver=solver, dropout=0, max_iter=2)
    with pytest.raises(ValueError, match="all zero|at least one non-zero"):
        est.fit(X, y, sample_weight=np.zeros(len(y)))
