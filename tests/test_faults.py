"""Faults: divergence, KeyboardInterrupt and exceptions injected mid-fit, failed
partial_fit calls, exact resumption from a pickle at any point of a training
sequence, and numerical robustness (huge logits, float32 on unscaled inputs).

Faults are injected by wrapping the training step (``TrainingStep.__call__``, one
minibatch), ``skdropout._solvers.loss_and_grads`` (one L-BFGS evaluation) or the
update (``Update.__call__``), so that they strike at a chosen call, mid-epoch."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import log_expit, log_softmax
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

import skdropout._solvers as solvers
from skdropout import DropoutMLPClassifier, DropoutMLPRegressor
from skdropout._step import TrainingStep
from skdropout._update import Update

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N_SAMPLES, BATCH = 60, 20  # three minibatches per epoch


def _classification(n_samples=N_SAMPLES, random_state=0):
    X, y = make_classification(
        n_samples=n_samples, n_features=5, n_informative=3, n_classes=3,
        random_state=random_state,
    )  # fmt: skip
    return StandardScaler().fit_transform(X), y


def _regression(n_samples=N_SAMPLES, random_state=0):
    X, y = make_regression(
        n_samples=n_samples, n_features=5, noise=1.0, random_state=random_state
    )
    return StandardScaler().fit_transform(X), y / y.std()


CASES = [
    pytest.param(DropoutMLPClassifier, _classification, id="classifier"),
    pytest.param(DropoutMLPRegressor, _regression, id="regressor"),
]


def _small(Estimator, **params):
    defaults = dict(
        hidden_layer_sizes=(8, 4), max_iter=4, batch_size=BATCH, random_state=0
    )
    return Estimator(**{**defaults, **params})


def _weights(est):
    return est.coefs_ + est.intercepts_


def _first_call(Estimator, y):
    """partial_fit's first-call arguments: the classes, for a classifier."""
    return {"classes": np.unique(y)} if Estimator is DropoutMLPClassifier else {}


def _content(value):
    """A value's content, for exact comparison: arrays as their dtype, shape and
    bytes; containers and plain objects element by element; anything else
    pickled. (Pickles of an object and of its unpickled copy can differ in
    their memo, such as whether two arrays share one dtype object, not in their
    content.)"""
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_content(v) for v in value])
    if isinstance(value, dict):
        return ("dict", {k: _content(v) for k, v in value.items()})
    if hasattr(value, "__dict__") and not isinstance(value, np.random.RandomState):
        return (type(value).__qualname__, _content(vars(value)))
    return pickle.dumps(value)


def _state(est):
    """Every attribute's content: equal states mean bit-identical weights,
    curves, generator and optimizer."""
    return {key: _content(value) for key, value in vars(est).items()}


def _target(target):
    """The owner and name of a function to wrap: the training step, or one of
    ``skdropout._solvers``' functions."""
    if target == "train_step":
        return TrainingStep, "__call__"
    return solvers, target


def _fail_at(monkeypatch, k, exc, target="train_step"):
    """Make the k-th call (from 1) of ``target`` (see ``_target``) raise ``exc``,
    or, if ``exc`` is a float, return it as the loss (its first value)."""
    owner, name = _target(target)
    original = getattr(owner, name)
    calls = [0]

    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] == k and not isinstance(exc, float):
            raise exc
        result = original(*args, **kwargs)
        if calls[0] != k:
            return result
        return (exc, *result[1:]) if isinstance(result, tuple) else exc

    monkeypatch.setattr(owner, name, wrapper)
    return calls


def _fail_mid_update(monkeypatch, k, exc):
    """Make the k-th update raise ``exc`` after it has updated the first piece
    of its first block only (the weights, not the intercepts): a half-made
    step."""
    calls = [0]
    original = Update.__call__

    def update(self, *args, **kwargs):
        calls[0] += 1
        if calls[0] == k:
            blocks = self.blocks
            start, _, pieces = blocks[0]
            assert len(pieces) > 1  # the weights have a penalty: a piece of their own
            self.blocks = [(start, pieces[0][1], pieces[:1])]
            try:
                original(self, *args, **kwargs)
            finally:
                self.blocks = blocks
            raise exc
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Update, "__call__", update)
    return calls


def _start(Estimator, make_data, how, **params):
    """An estimator fitted once, ready for a second call made ``how``."""
    X, y = make_data()
    est = _small(Estimator, warm_start=how == "warm_start", **params)
    if how == "partial_fit":
        est.partial_fit(X, y, **_first_call(Estimator, y))
    else:
        est.fit(X, y)
    return est, X, y


def _call(est, how, X, y):
    return est.partial_fit(X, y) if how == "partial_fit" else est.fit(X, y)


# -- divergence ---------------------------------------------------------------------


@pytest.mark.parametrize("Estimator, make_data", CASES)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("how", ["fit", "warm_start", "partial_fit"])
def test_divergence_mid_fit_leaves_model_untouched(
    Estimator, make_data, solver, how, monkeypatch
):
    """A loss that turns NaN in the second epoch (after a first epoch of updates)
    raises a ValueError naming the epoch and the remedies, and leaves the fitted
    model byte for byte as it was; the next call proceeds as if it never was."""
    est, X, y = _start(Estimator, make_data, how, solver=solver, dropout=0.2)
    twin = pickle.loads(pickle.dumps(est))
    before = pickle.dumps(est)
    # partial_fit runs one epoch: strike its last minibatch instead.
    _fail_at(monkeypatch, 3 if how == "partial_fit" else 5, float("nan"))
    with pytest.raises(ValueError, match="Solver produced non-finite") as info:
        _call(est, how, X, y)
    epoch = 1 if how == "partial_fit" else 2
    assert f"at epoch {epoch}" in str(info.value)
    for remedy in ("left as it was", "StandardScaler", "learning_rate_init"):
        assert remedy in str(info.value)
    assert pickle.dumps(est) == before
    monkeypatch.undo()
    _call(est, how, X, y)
    _call(twin, how, X, y)
    assert _state(est) == _state(twin)


@pytest.mark.parametrize("validation", ["split", "X_val"])
def test_a_model_that_overflows_on_its_validation_rows_is_an_error(validation):
    """A fit whose model overflows only on rows held out for validation (here a
    huge input under the Poisson loss's exp link) raises the non-finite error
    and leaves the estimator unfitted, as one overflowing on its training rows
    does. Found by the fuzz test."""
    X, y = np.array([[1e30], [0.0], [0.0]]), np.zeros(3)
    est = DropoutMLPRegressor(
        hidden_layer_sizes=(1,), activation="identity", loss="poisson",
        learning_rate_init=1e-10, max_iter=1, early_stopping=True,
        validation_fraction=0.5, shuffle=False, random_state=0,
    )  # fmt: skip
    if validation == "X_val":
        fit = lambda: est.fit(X[1:], y[1:], X_val=X[:2], y_val=y[:2])  # noqa: E731
    else:
        fit = lambda: est.fit(X, y)  # noqa: E731
    with pytest.raises(ValueError, match="training or validation data, overflow"):
        fit()
    assert not hasattr(est, "coefs_")


@pytest.mark.parametrize("Estimator, make_data", CASES)
@pytest.mark.parametrize("validation", ["split", "X_val"])
def test_divergence_with_early_stopping_keeps_the_best_epoch(
    Estimator, make_data, validation, monkeypatch
):
    """With early stopping on, a loss that turns NaN in epoch 3 stops training
    there with a ConvergenceWarning (as scikit-learn does since #29504): NaN is
    recorded as that epoch's validation score and loss, and the model returned
    has the weights of the best earlier epoch, those of a fit of 2 epochs."""
    X, y = make_data()
    fit_params = {}
    if validation == "X_val":
        X, X_val, y, y_val = X[:45], X[45:], y[:45], y[45:]
        fit_params = dict(X_val=X_val, y_val=y_val)
    params = dict(early_stopping=True, max_iter=10, n_iter_no_change=20)
    twin = _small(Estimator, **{**params, "max_iter": 2}).fit(X, y, **fit_params)
    # Three minibatches per epoch (54 or 45 training rows): 7 is epoch 3's first.
    _fail_at(monkeypatch, 7, float("nan"))
    est = _small(Estimator, **params)
    with pytest.warns(ConvergenceWarning, match="diverged") as record:
        est.fit(X, y, **fit_params)
    message = str(record[0].message)
    for advice in ("epoch 3", "best validation score", "learning_rate_init"):
        assert advice in message
    assert est.n_iter_ == 3 and np.isnan(est.loss_curve_[-1])
    assert np.isnan(est.validation_scores_[-1])
    assert np.isnan(est.validation_loss_curve_[-1])
    assert np.isfinite(est.validation_scores_[:2]).all()
    for got, expected in zip(_weights(est), _weights(twin)):
        assert_array_equal(got, expected)
    assert np.isfinite(est.predict(X)).all()


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_real_divergence_in_partial_fit_and_warm_start(Estimator, make_data):
    """On unscaled data that really blow training up, partial_fit and
    warm-started fits raise within a few calls, and the failing call leaves the
    model as it was."""
    for how in ("partial_fit", "warm_start"):
        # Identity units: relu units could all die instead of diverging.
        # (Adam's steps are bounded by its learning rate: it does not blow up.)
        est, X, y = _start(
            Estimator, make_data, how, solver="sgd", activation="identity",
            learning_rate_init=0.1,
        )  # fmt: skip
        for _ in range(5):
            before = pickle.dumps(est)
            try:
                _call(est, how, X * 1e6, y)
            except ValueError as exc:
                assert "diverged" in str(exc) or "non-finite" in str(exc)
                break
        else:
            pytest.fail(f"{how} never diverged")
        assert pickle.dumps(est) == before


# -- KeyboardInterrupt --------------------------------------------------------------


def _assert_usable(est, X):
    """Finite weights and predictions."""
    for w in est.coefs_ + est.intercepts_:
        assert np.isfinite(w).all()
    if isinstance(est, DropoutMLPClassifier):
        assert np.isin(est.predict(X), est.classes_).all()
        assert np.isfinite(est.predict_proba(X)).all()
    else:
        assert np.isfinite(est.predict(X)).all()


@pytest.mark.parametrize("Estimator, make_data", CASES)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("k", [1, 5, 7])  # first step, mid-epoch 2, start of epoch 3
def test_keyboard_interrupt_keeps_usable_model(
    Estimator, make_data, solver, k, monkeypatch
):
    """A KeyboardInterrupt at the k-th minibatch stops training with the warning
    'Training interrupted by user.' and leaves a fitted, usable model that
    counts the epochs it completed, as scikit-learn's MLP does."""
    X, y = make_data()
    est = _small(Estimator, solver=solver)
    _fail_at(monkeypatch, k, KeyboardInterrupt())
    with pytest.warns(UserWarning, match=r"^Training interrupted by user\.$"):
        est.fit(X, y)
    completed = (k - 1) // (N_SAMPLES // BATCH)
    assert est.n_iter_ == completed == len(est.loss_curve_)
    _assert_usable(est, X)
    monkeypatch.undo()
    est.partial_fit(X, y)  # training can go on
    _assert_usable(est, X)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_keyboard_interrupt_mid_step_and_in_partial_fit(
    Estimator, make_data, monkeypatch
):
    """An interrupt inside an optimizer step of partial_fit, after it updated
    only the first layer, still ends in the warning and a usable model."""
    est, X, y = _start(Estimator, make_data, "partial_fit")
    _fail_mid_update(monkeypatch, 2, KeyboardInterrupt())
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est.partial_fit(X, y)
    _assert_usable(est, X)


def test_keyboard_interrupt_like_scikit_learn(monkeypatch):
    """The interrupted model and warning match MLPClassifier's for the same
    interrupt (dropout=0, the same random_state: the same weights)."""
    X, y = _classification()
    params = dict(hidden_layer_sizes=(8,), max_iter=4, batch_size=BATCH,
                  random_state=0, solver="sgd")  # fmt: skip
    ours = DropoutMLPClassifier(dropout=0.0, **params)
    theirs = MLPClassifier(**params)
    _fail_at(monkeypatch, 5, KeyboardInterrupt())
    with pytest.warns(UserWarning, match=r"^Training interrupted by user\.$"):
        ours.fit(X, y)
    monkeypatch.undo()

    # scikit-learn's MLP calls self._backprop once per minibatch.
    calls = [0]
    backprop = MLPClassifier._backprop

    def interrupted(self, *args, **kwargs):
        calls[0] += 1
        if calls[0] == 5:
            raise KeyboardInterrupt
        return backprop(self, *args, **kwargs)

    monkeypatch.setattr(MLPClassifier, "_backprop", interrupted)
    with pytest.warns(UserWarning, match=r"^Training interrupted by user\.$"):
        theirs.fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 1
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_keyboard_interrupt_in_lbfgs(Estimator, make_data, monkeypatch):
    """An interrupt during an L-BFGS refit either stops with the warning and a
    usable model, or propagates with the previous model left untouched."""
    X, y = make_data()
    est = _small(Estimator, solver="lbfgs", dropout=0.0).fit(X, y)
    before = pickle.dumps(est)
    _fail_at(monkeypatch, 3, KeyboardInterrupt(), target="loss_and_grads")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est.fit(X[:, :3], y)
        except KeyboardInterrupt:
            assert pickle.dumps(est) == before, "the interrupted fit changed the model"
            return
    assert any("interrupted" in str(w.message) for w in caught)
    _assert_usable(est, X[:, :3])


# -- a failed fit or partial_fit leaves the model as it was -------------------------


class Injected(RuntimeError):
    """The fault injected by these tests."""


@pytest.mark.parametrize("Estimator, make_data", CASES)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("how", ["fit", "warm_start", "partial_fit"])
@pytest.mark.parametrize("where", ["train_step", "mid_update"])
def test_exception_mid_epoch_restores_everything(
    Estimator, make_data, solver, how, where, monkeypatch
):
    """An exception at the 2nd minibatch, in the step or halfway through an
    optimizer update, propagates and leaves the fitted model, its generator and
    optimizer byte for byte as they were: the next call gives what it gives
    without the failed one."""
    est, X, y = _start(
        Estimator, make_data, how, solver=solver, input_dropout=0.1,
        dropout_noise="gaussian", max_norm=2.0,
    )  # fmt: skip
    twin = pickle.loads(pickle.dumps(est))
    before = pickle.dumps(est)
    if where == "train_step":
        calls = _fail_at(monkeypatch, 2, Injected("injected"))
    else:
        calls = _fail_mid_update(monkeypatch, 2, Injected("injected"))
    with pytest.raises(Injected):
        _call(est, how, X, y)
    assert calls[0] == 2
    assert pickle.dumps(est) == before
    monkeypatch.undo()
    for _ in range(2):
        _call(est, how, X, y)
        _call(twin, how, X, y)
    assert _state(est) == _state(twin)


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_exception_in_first_fit_leaves_estimator_unfitted(
    Estimator, make_data, monkeypatch
):
    """An exception mid-way through a first fit leaves no fitted attribute."""
    X, y = make_data()
    est = _small(Estimator)
    before = pickle.dumps(est)
    _fail_at(monkeypatch, 4, Injected("injected"))
    with pytest.raises(Injected):
        est.fit(X, y)
    assert pickle.dumps(est) == before
    assert not [key for key in vars(est) if key.endswith("_") or key.startswith("_")]


def _bad_calls(Estimator, X, y):
    """partial_fit calls that must fail, with the message they must give."""
    calls = [
        ("NaN", (np.where(X > 1.5, np.nan, X), y), {}),
        ("features", (X[:, :2], y), {}),
        ("inconsistent numbers of samples", (X, y[:-1]), {}),
        ("sample_weight", (X, y), {"sample_weight": np.ones(3)}),
        ("sample_weight", (X, y), {"sample_weight": np.full(len(y), np.inf)}),
        ("0 sample", (X[:0], y[:0]), {}),
    ]
    if Estimator is DropoutMLPClassifier:
        calls += [
            ("classes not in", (X, np.where(y == 2, 7, y)), {}),
            ("not the same as on last call", (X, y), {"classes": [0, 1]}),
            ("Unknown label type", (X, y + 0.5), {}),
        ]
    else:
        calls += [
            ("shape changed", (X, np.column_stack([y, y])), {}),
            ("NaN", (X, np.where(y > 1, np.nan, y)), {}),
        ]
    return calls


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_failed_partial_fit_calls_change_nothing(Estimator, make_data):
    """partial_fit calls with bad data, unseen labels or a changed class set each
    raise a clear ValueError; after all of them, training continues exactly as a
    sequence that never made them."""
    X, y = make_data()
    est = _small(Estimator, dropout=0.3, input_dropout=0.1)
    est.partial_fit(X, y, **_first_call(Estimator, y))
    twin = pickle.loads(pickle.dumps(est))
    before = pickle.dumps(est)
    for message, args, kwargs in _bad_calls(Estimator, X, y):
        with pytest.raises(ValueError, match=message):
            est.partial_fit(*args, **kwargs)
        assert pickle.dumps(est) == before, message
    for _ in range(2):
        est.partial_fit(X, y)
        twin.partial_fit(X, y)
    assert _state(est) == _state(twin)


# -- exact resume from a pickle at any point --------------------------------------

RESUME_PARAMS = [
    pytest.param(dict(solver="sgd"), id="sgd"),
    pytest.param(dict(solver="adam"), id="adam"),
    pytest.param(
        dict(solver="adam", dropout_noise="gaussian", input_dropout=0.2),
        id="adam-gaussian",
    ),
    pytest.param(
        dict(
            solver="sgd", learning_rate="invscaling", max_norm=1.0, dropout=[0.5, 0.1]
        ),
        id="sgd-invscaling-max_norm",
    ),
]


@pytest.mark.parametrize("Estimator, make_data", CASES)
@pytest.mark.parametrize("params", RESUME_PARAMS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_partial_fit_resumes_exactly_from_any_point(
    Estimator, make_data, params, dtype
):
    """A partial_fit sequence pickled after any of its calls and resumed ends in
    exactly the state of the uninterrupted sequence: weights, curves, generator
    and optimizer state, bit for bit (sparse input in the last calls)."""
    X, y = make_data()
    X = X.astype(dtype)
    batches = [X[:30], X[30:], sp.csr_matrix(X[:30]), sp.csr_matrix(X[30:])]
    targets = [y[:30], y[30:], y[:30], y[30:]]
    first = _first_call(Estimator, y)

    def run(est, start, stop):
        for i in range(start, stop):
            est.partial_fit(batches[i], targets[i], **(first if i == 0 else {}))
        return est

    straight = run(_small(Estimator, **params), 0, len(batches))
    assert straight.coefs_[0].dtype == dtype
    for k in range(len(batches)):
        resumed = pickle.loads(pickle.dumps(run(_small(Estimator, **params), 0, k)))
        assert _state(run(resumed, k, len(batches))) == _state(straight), k


@pytest.mark.parametrize("Estimator, make_data", CASES)
@pytest.mark.parametrize("params", RESUME_PARAMS)
@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_warm_start_resumes_exactly_from_any_point(
    Estimator, make_data, params, early_stopping, dtype
):
    """Three warm-started fits (with early stopping: each re-splits its
    validation set from the continuing stream, and keeps its best weights apart)
    pickled after any fit and resumed end exactly as the uninterrupted run."""
    X, y = make_data(90)
    X = X.astype(dtype)
    params = dict(params, warm_start=True, max_iter=3, early_stopping=early_stopping,
                  validation_fraction=0.2, n_iter_no_change=2)  # fmt: skip
    n_fits = 3

    def run(est, n):
        for _ in range(n):
            est.fit(X, y)
        return est

    straight = run(_small(Estimator, **params), n_fits)
    if early_stopping:
        assert len(straight.validation_scores_) == len(straight.loss_curve_)
    for k in range(1, n_fits):
        resumed = pickle.loads(pickle.dumps(run(_small(Estimator, **params), k)))
        assert _state(run(resumed, n_fits - k)) == _state(straight), k


# -- numerical robustness -----------------------------------------------------------


def _logits(est, X):
    """The output layer's logits, computed here in float64 (relu network)."""
    A = np.asarray(X, dtype=np.float64)
    for i, (W, b) in enumerate(zip(est.coefs_, est.intercepts_)):
        A = A @ W.astype(np.float64) + b
        if i < len(est.coefs_) - 1:
            A = np.maximum(A, 0)
    return A


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_predict_log_proba_of_huge_logits(target, dtype):
    """With logits of size 1e4, predict_proba and predict_log_proba raise no
    RuntimeWarning, log-probabilities are finite (about -1e4 where the
    probability rounds to 0) and match the log-softmax / log-sigmoid."""
    X, y = _classification()
    y = {
        "binary": y % 2,
        "multiclass": y,
        "multilabel": np.column_stack([y == 0, y == 1]),
    }[target]
    X = X.astype(dtype)
    clf = DropoutMLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    clf.fit(X, y.astype(int))
    scale = 1e4 / np.abs(_logits(clf, X)).max()
    clf.coefs_[-1] *= dtype(scale)
    clf.intercepts_[-1] *= dtype(scale)
    logits = _logits(clf, X)
    assert 0.9e4 < np.abs(logits).max() <= 1.01e4
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        proba = clf.predict_proba(X)
        log_proba = clf.predict_log_proba(X)
    assert (proba == 0).any() and np.isfinite(proba).all()
    assert np.isfinite(log_proba).all()
    if target == "multiclass":
        expected = log_softmax(logits, axis=1)
    elif target == "binary":
        expected = np.hstack([log_expit(-logits), log_expit(logits)])
    else:
        expected = log_expit(logits)
    rtol = 1e-4 if dtype == np.float32 else 1e-9
    assert_allclose(log_proba, expected, rtol=rtol, atol=rtol)
    assert log_proba.min() < -1e3


def _strict(monkeypatch, target):
    """Run every call of ``target`` (see ``_target``) with NumPy's overflow,
    invalid-value and divide-by-zero errors raised (fit itself runs under
    np.errstate(all='ignore'), so this is how they can be seen)."""
    owner, name = _target(target)
    original = getattr(owner, name)

    def strict(*args, **kwargs):
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, strict)


@pytest.mark.parametrize(
    "Estimator, solver, min_score",
    [
        (DropoutMLPClassifier, "adam", 0.95),
        (DropoutMLPClassifier, "sgd", 0.95),
        (DropoutMLPRegressor, "lbfgs", 0.9),
    ],
)
def test_float32_training_on_unscaled_inputs(Estimator, solver, min_score, monkeypatch):
    """float32 training on inputs of size 1e3 (no scaling) overflows nowhere,
    keeps float32 finite weights, scores well, and matches float64."""
    if Estimator is DropoutMLPClassifier:
        X, y = make_classification(n_samples=200, n_features=4, class_sep=2,
                                   random_state=0)  # fmt: skip
    else:
        X, y = make_regression(n_samples=100, n_features=4, noise=1.0, random_state=0)
        y = y / y.std()
    X = X * 1e3
    _strict(monkeypatch, "loss_and_grads" if solver == "lbfgs" else "train_step")
    params = dict(solver=solver, max_iter=100, random_state=0)
    if solver == "lbfgs":
        params.update(hidden_layer_sizes=(8,), dropout=0.0)
    else:
        params.update(hidden_layer_sizes=(16,), dropout=0.2)
    scores = {}
    for dtype in (np.float32, np.float64):
        est = Estimator(**params).fit(X.astype(dtype), y)
        assert all(w.dtype == dtype and np.isfinite(w).all() for w in est.coefs_)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            scores[dtype] = est.score(X.astype(dtype), y)
    assert scores[np.float32] >= min_score
    assert scores[np.float32] == pytest.approx(scores[np.float64], abs=0.02)


def test_convergence_warning_is_the_only_warning_of_a_normal_fit():
    """A normal fit that stops at max_iter warns ConvergenceWarning and nothing
    else (no RuntimeWarning leaks out of training or prediction)."""
    X, y = _classification()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = _small(DropoutMLPClassifier, dropout_noise="gaussian").fit(X, y)
        clf.predict_log_proba(X)
        clf.predict_mc(X, n_passes=3)
    assert [w.category for w in caught] == [ConvergenceWarning]
    assert_array_equal(clf.predict(X), clf.classes_[clf.predict_proba(X).argmax(1)])


# -- found by an audit of numerical robustness ---------------------------------------


@pytest.mark.filterwarnings("ignore:R\\^2 score is not well-defined")
def test_one_validation_row_is_refused_where_its_score_is_undefined():
    """R^2 is undefined on one row: a regressor's X_val of one row is refused
    when early stopping watches the score (every epoch scored NaN, and the fit
    went back to its initial weights); the loss, or accuracy, is defined."""
    X, y = _regression()
    with pytest.raises(ValueError, match="X_val has one row.*R\\^2"):
        _small(DropoutMLPRegressor, early_stopping=True).fit(
            X, y, X_val=X[:1], y_val=y[:1]
        )
    loss = _small(
        DropoutMLPRegressor, early_stopping=True, early_stopping_metric="loss"
    )
    loss.fit(X, y, X_val=X[:1], y_val=y[:1])
    X, y = _classification()
    _small(DropoutMLPClassifier, early_stopping=True).fit(
        X, y, X_val=X[:1], y_val=y[:1]
    )


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_minibatches_of_zero_weight_do_not_count_in_the_epoch_loss(
    Estimator, make_data
):
    """An epoch whose minibatches but one have weights all zero reports that
    one minibatch's loss, not a tenth of it: the same as a fit on its rows."""
    X, y = make_data()
    weights = np.r_[np.zeros(40), np.ones(20)]  # minibatches of 20, in order
    params = dict(max_iter=1, shuffle=False, dropout=0.0)
    est = _small(Estimator, **params).fit(X, y, sample_weight=weights)
    alone = _small(Estimator, **params).fit(X[40:], y[40:])
    assert_allclose(est.loss_curve_, alone.loss_curve_, rtol=1e-12)


def test_a_weight_decay_that_would_grow_the_weights_is_refused():
    """Each step multiplies the weights by 1 - lr * weight_decay: a product of
    1 or more is refused, by name, in the plain and the CV estimators."""
    from skdropout import DropoutMLPRegressorCV

    X, y = _regression()
    with pytest.raises(ValueError, match="weight_decay=1000.0 with learning_rate"):
        _small(DropoutMLPRegressor, weight_decay=1000.0).fit(X, y)
    with pytest.raises(ValueError, match="weight_decays holds 2000.0 with learning"):
        DropoutMLPRegressorCV(weight_decays=(0.0, 2000.0)).fit(X, y)
    _small(DropoutMLPRegressor, weight_decay=999.0).fit(X, y)  # shrinks, slowly
    _small(DropoutMLPRegressor, weight_decay=1e6, solver="lbfgs", dropout=0.0).fit(X, y)


def test_predicting_on_rows_the_network_overflows_warns():
    """A regressor's output that overflows warns, naming the rows (scikit-learn's
    MLP warns through NumPy); the classifier's probabilities reach their limits
    and do not."""
    X, y = _regression()
    est = _small(DropoutMLPRegressor, activation="identity").fit(X, y)
    big = np.abs(X[:3]) * 1e308
    with pytest.warns(RuntimeWarning, match="not finite on [1-3] row.*first at") as w:
        assert not np.isfinite(est.predict(big)).all()
    # It points at the caller's line, so the default filter shows it per line.
    assert {record.filename for record in w} == {__file__}
    X, y = _classification()
    clf = _small(DropoutMLPClassifier, activation="identity").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(clf.predict_proba(np.abs(X[:3]) * 1e307)).all()


@pytest.mark.parametrize("Estimator, make_data", CASES)
def test_a_non_finite_lbfgs_objective_is_an_error_and_changes_nothing(
    Estimator, make_data
):
    """An alpha whose L2 term overflows: L-BFGS stopped at once with a NaN loss
    and the initial weights; now the non-finite error, the model unchanged."""
    X, y = make_data()
    est = _small(Estimator, solver="lbfgs", dropout=0.0).fit(X, y)
    before = pickle.dumps(est)
    with pytest.raises(ValueError, match="non-finite.*L-BFGS objective.*alpha"):
        est.set_params(alpha=1e300).fit(X, y)
    assert pickle.dumps(est.set_params(alpha=1e-4)) == before


def test_an_invscaling_rate_beyond_float64_is_zero():
    """(t + 1) ** power_t beyond float64: the rate is its limit, 0, where the
    division raised OverflowError (as in scikit-learn)."""
    X, y = _regression()
    est = _small(
        DropoutMLPRegressor, solver="sgd", learning_rate="invscaling", power_t=1e3
    ).fit(X, y)
    assert est._optimizer.learning_rate == 0.0
    assert all(np.isfinite(c).all() for c in est.coefs_)


def test_the_noise_variance_rows_and_dtype():
    """noise_variance_ is the mean squared residual of at most 10,000 evenly
    spaced rows (19,999 rows: every second), in the weights' dtype."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(19_999, 2))
    y = X[:, 0] + rng.normal(size=len(X))
    est = DropoutMLPRegressor(hidden_layer_sizes=(4,), max_iter=1, random_state=0)
    est.fit(X, y)
    residual = y[::2] - est.predict(X[::2])
    assert_allclose(est.noise_variance_, np.mean(residual**2), rtol=1e-12)
    X32, y32 = X[:200].astype(np.float32), y[:200].astype(np.float32)
    for weights in (None, np.ones(200)):
        est = DropoutMLPRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
        assert (
            est.fit(X32, y32, sample_weight=weights).noise_variance_.dtype == np.float32
        )


def test_mc_passes_is_named_when_it_is_the_bad_value():
    """predict(X, return_std=True) with a bad mc_passes names mc_passes."""
    X, y = _regression()
    est = _small(DropoutMLPRegressor).fit(X, y)
    with pytest.raises(ValueError, match="mc_passes must be a positive integer"):
        est.set_params(mc_passes=0).predict(X, return_std=True)
    with pytest.raises(ValueError, match="n_passes must be a positive integer"):
        est.predict_mc(X, n_passes=0)


def _interrupted_call(kind, X, y):
    """(call, estimator) of a CV fit whose fold fits run the plain fit, or of
    fit_blocks."""
    from skdropout import DropoutMLPClassifierCV, DropoutMLPRegressorCV, fit_blocks

    small = dict(hidden_layer_sizes=(4,), max_iter=3, cv=2, random_state=0)
    if kind == "classifier-cv":
        est = DropoutMLPClassifierCV(**small, halving_factor=None, batch_size=20)
        return (lambda: est.fit(X, y)), est
    if kind == "regressor-cv":
        est = DropoutMLPRegressorCV(**small, batch_size=20)
        return (lambda: est.fit(X, y.astype(float))), est
    est = DropoutMLPClassifier(hidden_layer_sizes=(4,), random_state=0)
    blocks = [(X[:30], y[:30]), (X[30:], y[30:])]
    return (lambda: fit_blocks(est, blocks, epochs=3)), est


@pytest.mark.parametrize("kind", ["classifier-cv", "regressor-cv", "fit-blocks"])
def test_a_keyboard_interrupt_ends_a_cv_fit_or_fit_blocks(kind, monkeypatch):
    """An interrupt in a fold fit or in a block's partial_fit ends the whole
    call, leaving the estimator as it was; a plain fit alone keeps
    scikit-learn's warning (above). They went on to the next fit or block."""
    X, y = _classification()
    call, est = _interrupted_call(kind, X, y)
    _fail_at(monkeypatch, 2, KeyboardInterrupt())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(KeyboardInterrupt):
            call()
    assert not [w for w in caught if "interrupted by user" in str(w.message)]
    assert not hasattr(est, "n_features_in_")
