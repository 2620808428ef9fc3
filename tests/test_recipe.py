"""The training recipe's parameters: schedules (exact values per step and epoch),
decoupled weight decay and label smoothing (against hand-computed updates and
finite differences), and early stopping on the validation loss."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor
from skdropout._losses import LOSSES, OUTPUT_ACTIVATIONS
from skdropout._network import forward, loss_and_grads
from skdropout._packing import Layout
from skdropout._schedules import cosine, flat_cosine, with_warmup
from skdropout._solvers import SolverMixin
from skdropout._step import TrainingStep
from skdropout._update import Update

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _classification(n_samples=60):
    X, y = make_classification(n_samples=n_samples, n_features=5, n_informative=3,
                               n_classes=3, random_state=0)  # fmt: skip
    return StandardScaler().fit_transform(X), y


def _regression(n_samples=60):
    X, y = make_regression(n_samples=n_samples, n_features=5, random_state=0)
    return StandardScaler().fit_transform(X), y / y.std()


# -- schedules ----------------------------------------------------------------------


def _record(monkeypatch, owner, name, read):
    """Record ``read(self)`` at every call of ``owner.name``."""
    original, seen = getattr(owner, name), []

    def wrapper(self, *args, **kwargs):
        seen.append(read(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return seen


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("warmup", [0.0, 0.25])
def test_cosine_learning_rate_per_step(solver, warmup, monkeypatch):
    """With learning_rate='cosine', minibatch i of epoch e steps with the factor
    schedule((e + i / n_batches) / max_iter), warm-up first."""
    X, y = _classification()
    seen = _record(monkeypatch, Update, "__call__", lambda u: u.optimizer.lr_factor)
    DropoutMLPClassifier(
        (8,), solver=solver, learning_rate="cosine", learning_rate_warmup=warmup,
        batch_size=20, max_iter=4, tol=0, n_iter_no_change=100, random_state=0,
    ).fit(X, y)  # fmt: skip
    schedule = with_warmup(cosine, warmup)
    expected = [schedule((e + i / 3) / 4) for e in range(4) for i in range(3)]
    assert seen == expected


def test_warmup_alone_ramps_a_constant_rate(monkeypatch):
    """learning_rate_warmup with the constant schedule ramps up, then keeps 1."""
    X, y = _classification()
    seen = _record(monkeypatch, Update, "__call__", lambda u: u.optimizer.lr_factor)
    DropoutMLPClassifier((8,), learning_rate_warmup=0.5, batch_size=30, max_iter=2,
                         random_state=0).fit(X, y)  # fmt: skip
    assert seen == [0.0, 0.5, 1.0, 1.0]


def test_flat_cosine_dropout_per_epoch(monkeypatch):
    """dropout_schedule='flat_cosine' sets the rates of epoch e to the full rates
    times flat_cosine(e / max_iter); MC dropout keeps the full rates."""
    X, y = _classification()
    seen = _record(monkeypatch, TrainingStep, "gather",
                   lambda s: (s.rates, s.input_rate))  # fmt: skip
    clf = DropoutMLPClassifier(
        (8, 4), dropout=[0.5, 0.2], input_dropout=0.1, dropout_schedule="flat_cosine",
        batch_size=60, max_iter=8, tol=0, n_iter_no_change=100, random_state=0,
    ).fit(X, y)  # fmt: skip
    for e, (rates, input_rate) in enumerate(seen):
        factor = flat_cosine(e / 8)
        assert rates == (0.5 * factor, 0.2 * factor)
        assert input_rate == 0.1 * factor
    assert len(seen) == 8
    assert seen[7][0][0] < seen[6][0][0] < seen[5][0][0] < seen[4][0][0] == 0.5
    assert clf._noise_spec[:2] == ((0.5, 0.2), 0.1)


def test_partial_fit_continues_the_schedules(monkeypatch):
    """Each partial_fit call is the next epoch of the schedules."""
    X, y = _classification()
    seen = _record(monkeypatch, Update, "__call__", lambda u: u.optimizer.lr_factor)
    clf = DropoutMLPClassifier((8,), learning_rate="cosine", batch_size=60,
                               max_iter=4, random_state=0)  # fmt: skip
    for _ in range(4):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.warns(UserWarning, match="schedule_epochs=4 epochs"):
        clf.partial_fit(X, y)  # past the end of the schedule: said so
    assert seen == [cosine(e / 4) for e in range(5)]


def test_partial_fit_past_the_cosine_schedule_warns_and_does_not_learn():
    """A partial_fit call after schedule_epochs calls trains at a learning
    rate of 0 (fit_blocks makes one call per block): it warns, and the
    weights do not move; schedule_epochs set to the calls planned trains."""
    X, y = _classification()
    clf = DropoutMLPClassifier((8,), learning_rate="cosine", dropout=0,
                               max_iter=2, random_state=0)  # fmt: skip
    clf.partial_fit(X, y, classes=[0, 1, 2])
    clf.partial_fit(X, y)
    before = [w.copy() for w in clf.coefs_]
    with pytest.warns(UserWarning, match="with fit_blocks, epochs times"):
        clf.partial_fit(X, y)
    for a, b in zip(before, clf.coefs_):
        assert_array_equal(a, b)
    planned = DropoutMLPClassifier((8,), learning_rate="cosine", max_iter=2,
                                   schedule_epochs=3, random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        for _ in range(3):
            planned.partial_fit(X, y, classes=[0, 1, 2])


def test_dropping_the_schedule_restores_the_full_rate(monkeypatch):
    """partial_fit after set_params(learning_rate='constant') steps at the full
    rate, whatever factor the cosine schedule had left on the optimizer."""
    X, y = _classification()
    clf = DropoutMLPClassifier((8,), learning_rate="cosine", batch_size=60,
                               max_iter=2, random_state=0)  # fmt: skip
    for _ in range(2):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    assert clf._optimizer.lr_factor == cosine(1 / 2)
    seen = _record(monkeypatch, Update, "__call__", lambda u: u.optimizer.lr_factor)
    clf.set_params(learning_rate="constant").partial_fit(X, y)
    assert seen == [1.0]


@pytest.mark.parametrize("Estimator, make_data", [
    (DropoutMLPClassifier, _classification), (DropoutMLPRegressor, _regression),
])  # fmt: skip
def test_schedule_epochs_sets_the_schedules_length(Estimator, make_data, monkeypatch):
    """schedule_epochs=H: the learning rate follows cosine((e + i / n) / H) and the
    rates flat_cosine(e / H), whatever max_iter is."""
    X, y = make_data()
    lr = _record(monkeypatch, Update, "__call__", lambda u: u.optimizer.lr_factor)
    rates = _record(monkeypatch, TrainingStep, "gather", lambda s: s.rates)
    est = Estimator(
        hidden_layer_sizes=(8,), dropout=0.4, learning_rate="cosine",
        dropout_schedule="flat_cosine", batch_size=20, max_iter=5, schedule_epochs=8,
        tol=0, n_iter_no_change=100, random_state=0,
    ).fit(X, y)  # fmt: skip
    assert est.n_iter_ == 5
    assert lr == [cosine((e + i / 3) / 8) for e in range(5) for i in range(3)]
    assert rates == [(0.4 * flat_cosine(e / 8),) for e in range(5) for _ in range(3)]


@pytest.mark.parametrize("Estimator, make_data", [
    (DropoutMLPClassifier, _classification), (DropoutMLPRegressor, _regression),
])  # fmt: skip
def test_a_shorter_fit_stops_part_way_along_the_schedules(
    Estimator, make_data, monkeypatch
):
    """max_iter=e with schedule_epochs=H gives, bit for bit, the weights that a fit
    of H epochs has after epoch e."""
    X, y = make_data(200)
    params = dict(hidden_layer_sizes=(16,), dropout=0.2, learning_rate="cosine",
                  dropout_schedule="flat_cosine", learning_rate_init=0.01,
                  tol=0, n_iter_no_change=100, random_state=0)  # fmt: skip
    # The weights after every epoch: read when the epoch's validation is recorded.
    weights = _record(monkeypatch, SolverMixin, "_evaluate",
                      lambda est: [c.copy() for c in est.coefs_])  # fmt: skip
    full = Estimator(**params, max_iter=12).fit(X, y, X_val=X[:50], y_val=y[:50])
    short = Estimator(**params, max_iter=5, schedule_epochs=12).fit(X, y)
    assert full.n_iter_ == 12 and short.n_iter_ == 5
    assert short.loss_curve_ == full.loss_curve_[:5]
    for a, b in zip(short.coefs_, weights[4]):
        assert_array_equal(a, b)


# -- weight decay -------------------------------------------------------------------


@pytest.mark.parametrize("learning_rate", ["constant", "cosine"])
def test_weight_decay_against_a_hand_computed_sgd_step(learning_rate):
    """One full-batch sgd step without momentum, with weight decay, is
    W1 = W0 (1 - lr wd) - lr grad(W0) for the weights and b1 = b0 - lr grad(b0)
    for the intercepts (lr the scheduled rate: the full rate at the first step)."""
    X, y = _regression()
    params = dict(hidden_layer_sizes=(6,), dropout=0, solver="sgd", momentum=0.0,
                  learning_rate=learning_rate, learning_rate_init=0.05, alpha=0.01,
                  batch_size=60, shuffle=False, max_iter=1, random_state=0)  # fmt: skip
    start = DropoutMLPRegressor(**params, max_norm=None)
    start._random_state = np.random.RandomState(0)
    start._initialize(y.reshape(-1, 1), [5, 6, 1], np.float64)
    coefs, intercepts = start.coefs_, start.intercepts_
    _, coef_grads, intercept_grads, _ = loss_and_grads(
        X, y.reshape(-1, 1), coefs, intercepts, "relu", "squared_error", alpha=0.01
    )
    reg = DropoutMLPRegressor(**params, weight_decay=0.3).fit(X, y)
    for W1, W0, g in zip(reg.coefs_, coefs, coef_grads):
        assert_allclose(W1, W0 * (1 - 0.05 * 0.3) - 0.05 * g, rtol=1e-12)
    for b1, b0, g in zip(reg.intercepts_, intercepts, intercept_grads):
        assert_allclose(b1, b0 - 0.05 * g, rtol=1e-12)


def test_weight_decay_shrinks_the_weights():
    """Stronger decoupled weight decay gives smaller weights; 0 is the default
    fit exactly."""
    X, y = _classification(200)
    norms = []
    for wd in (0.0, 1.0, 10.0):
        clf = DropoutMLPClassifier((16,), weight_decay=wd, max_iter=30,
                                   random_state=0).fit(X, y)  # fmt: skip
        norms.append(sum(float((W**2).sum()) for W in clf.coefs_))
    assert norms[0] > norms[1] > norms[2]
    default = DropoutMLPClassifier((16,), max_iter=30, random_state=0).fit(X, y)
    assert sum(float((W**2).sum()) for W in default.coefs_) == norms[0]


# -- label smoothing ----------------------------------------------------------------


@pytest.mark.parametrize("loss", ["log_loss", "binary_log_loss"])
def test_smoothed_targets_gradient_matches_finite_differences(loss):
    """With soft (smoothed) targets the gradient of the loss is still
    y_pred - y_smooth at the logits: finite differences agree."""
    rng = np.random.RandomState(0)
    n_out = 3 if loss == "log_loss" else 2
    Y = (np.eye(n_out)[rng.randint(n_out, size=8)] if loss == "log_loss"
         else rng.randint(2, size=(8, n_out)).astype(float))  # fmt: skip
    k = n_out if loss == "log_loss" else 2
    Y_smooth = Y * 0.8 + 0.2 / k
    X = rng.normal(size=(8, 4))
    coefs = [rng.normal(size=(4, 5)), rng.normal(size=(5, n_out))]
    intercepts = [rng.normal(size=5), rng.normal(size=n_out)]
    _, grads, _, _ = loss_and_grads(
        X, Y_smooth, coefs, intercepts, "tanh", loss, alpha=0.0
    )

    def value():
        H, A = forward(X, coefs, intercepts, "tanh", OUTPUT_ACTIVATIONS[loss])
        return LOSSES[loss](Y_smooth, A[-1])

    for W, grad in zip(coefs, grads):
        for idx in np.ndindex(W.shape):
            original = W[idx]
            W[idx] = original + 1e-6
            plus = value()
            W[idx] = original - 1e-6
            minus = value()
            W[idx] = original
            assert (plus - minus) / 2e-6 == pytest.approx(grad[idx], rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_label_smoothing_against_a_hand_computed_step(n_classes, monkeypatch):
    """One full-batch sgd step with label smoothing is the step on the targets
    (1 - eps) y + eps / K, K = n_classes (2 per logistic output)."""
    X, y = make_classification(n_samples=40, n_features=4, n_informative=3,
                               n_redundant=0, n_classes=n_classes,
                               random_state=0)  # fmt: skip
    params = dict(hidden_layer_sizes=(6,), dropout=0, solver="sgd", momentum=0.0,
                  learning_rate_init=0.1, batch_size=40, shuffle=False, max_iter=1,
                  random_state=0)  # fmt: skip
    start = []
    original = Update.__call__

    def update(self, params, *args):
        start.append(params.copy())  # the parameters before the step
        return original(self, params, *args)

    monkeypatch.setattr(Update, "__call__", update)
    clf = DropoutMLPClassifier(**params, label_smoothing=0.3).fit(X, y)
    coefs, intercepts = ([v.copy() for v in views] for views in _views(clf, start[-1]))
    if n_classes == 2:
        Y, loss = y.reshape(-1, 1).astype(float), "binary_log_loss"
        Y_smooth = Y * 0.7 + 0.3 / 2
    else:
        Y, loss = np.eye(3)[y], "log_loss"
        Y_smooth = Y * 0.7 + 0.3 / 3
    _, coef_grads, _, _ = loss_and_grads(X, Y_smooth, coefs, intercepts, "relu",
                                         loss, alpha=1e-4)  # fmt: skip
    for W1, W0, g in zip(clf.coefs_, coefs, coef_grads):
        assert_allclose(W1, W0 - 0.1 * g, rtol=1e-12)


def _views(est, flat):
    """The per-layer views of a packed copy of ``est``'s parameters."""
    units = [est.coefs_[0].shape[0], *(c.shape[1] for c in est.coefs_)]
    return Layout(units, flat.dtype).views(flat)


def test_label_smoothing_keeps_probabilities_away_from_0_and_1():
    """Smoothing bounds how confident the fitted network gets on separable data."""
    X, y = make_classification(
        n_samples=120, n_features=5, n_classes=3, n_informative=3, class_sep=3,
        random_state=0,
    )  # fmt: skip
    sharp = DropoutMLPClassifier((32,), dropout=0, max_iter=300,
                                 random_state=0).fit(X, y)  # fmt: skip
    smooth = DropoutMLPClassifier((32,), dropout=0, max_iter=300, label_smoothing=0.3,
                                  random_state=0).fit(X, y)  # fmt: skip
    confidence = [est.predict_proba(X).max(axis=1).mean() for est in (smooth, sharp)]
    assert confidence[0] < 0.85 < 0.95 < confidence[1]


# -- early stopping on the validation loss ------------------------------------------


@pytest.mark.parametrize("Estimator, make_data", [
    (DropoutMLPClassifier, _classification), (DropoutMLPRegressor, _regression),
])  # fmt: skip
def test_early_stopping_on_the_validation_loss(Estimator, make_data):
    """With early_stopping_metric='loss' the rule watches the validation loss:
    best_validation_score_ is minus its minimum, and the weights kept are those
    of the epoch that reached it (a fit stopped there has them)."""
    X, y = make_data(200)
    params = dict(hidden_layer_sizes=(16,), dropout=0.2, early_stopping=True,
                  early_stopping_metric="loss", n_iter_no_change=5, max_iter=200,
                  learning_rate_init=0.01,
                  random_state=0)  # fmt: skip
    est = Estimator(**params).fit(X, y)
    losses = est.validation_loss_curve_
    best = int(np.argmin(losses))
    assert est.best_validation_score_ == -losses[best]
    assert best + 1 < est.n_iter_ < 200  # it stopped, after its best epoch
    twin = Estimator(**{**params, "max_iter": best + 1}).fit(X, y)
    for a, b in zip(est.coefs_, twin.coefs_):
        assert_array_equal(a, b)


def test_default_metric_watches_the_score():
    """The default early_stopping_metric='score' is scikit-learn's rule: the best
    validation score is the maximum of validation_scores_."""
    X, y = _classification(200)
    est = DropoutMLPClassifier((16,), early_stopping=True, max_iter=40,
                               random_state=0).fit(X, y)  # fmt: skip
    assert est.best_validation_score_ == max(est.validation_scores_)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(weight_decay=-1.0), "weight_decay"),
        (dict(learning_rate_warmup=1.0), "learning_rate_warmup"),
        (dict(dropout_schedule="linear"), "dropout_schedule"),
        (dict(early_stopping_metric="accuracy"), "early_stopping_metric"),
        (dict(learning_rate="exponential"), "learning_rate"),
        (dict(label_smoothing=1.0), "label_smoothing"),
        (dict(schedule_epochs=0), "schedule_epochs"),
    ],
)
def test_bad_recipe_parameters(params, match):
    """Out-of-range recipe parameters raise an error that names them."""
    X, y = _classification()
    with pytest.raises(ValueError, match=match):
        DropoutMLPClassifier(**params).fit(X, y)


def test_recipe_fit_is_reproducible():
    """All recipe parameters at once: the same seed gives the same model."""
    X, y = _classification(100)
    params = dict(hidden_layer_sizes=(16,), dropout=0.15, weight_decay=0.01,
                  learning_rate="cosine", learning_rate_warmup=0.1,
                  dropout_schedule="flat_cosine", label_smoothing=0.1,
                  early_stopping=True, early_stopping_metric="loss", max_iter=20,
                  random_state=0)  # fmt: skip
    with pytest.warns(ConvergenceWarning):
        a = DropoutMLPClassifier(**params).fit(X, y)
    b = DropoutMLPClassifier(**params).fit(X, y)
    for wa, wb in zip(a.coefs_, b.coefs_):
        assert_array_equal(wa, wb)


# -- the training-loss rule under dropout -------------------------------------------


def _stop_epoch(values, tol, patience):
    """scikit-learn's rule on a sequence: the epoch (from 1) at which it stops."""
    best, count = np.inf, 0
    for epoch, value in enumerate(values, start=1):
        count = count + 1 if value > best - tol else 0
        best = min(best, value)
        if count > patience:
            return epoch
    return len(values)


@pytest.mark.parametrize("dropout, input_dropout", [(0.5, 0.0), (0.0, 0.2)])
def test_noisy_training_loss_rule_watches_the_window_mean(dropout, input_dropout):
    """With dropout, the training-loss rule is scikit-learn's rule applied to
    the mean loss of the last n_iter_no_change epochs: it stops exactly where
    that rule stops on the window means, and best_loss_ is their minimum."""
    X, y = _regression(200)
    reg = DropoutMLPRegressor(
        hidden_layer_sizes=(16,), dropout=dropout, input_dropout=input_dropout,
        n_iter_no_change=5, tol=1e-4, learning_rate_init=0.003, max_iter=300,
        random_state=0,
    ).fit(X, y)  # fmt: skip
    curve = reg.loss_curve_
    means = [np.mean(curve[max(0, i - 4) : i + 1]) for i in range(len(curve))]
    assert reg.n_iter_ < 300
    assert reg.n_iter_ == _stop_epoch(means, 1e-4, 5)
    assert reg.best_loss_ == pytest.approx(min(means), rel=1e-12)
    assert reg.n_iter_ > _stop_epoch(curve, 1e-4, 5)  # the raw rule stops sooner


def test_deterministic_training_loss_rule_is_scikit_learns():
    """Without dropout the rule watches each epoch's loss, as scikit-learn."""
    X, y = _regression(200)
    reg = DropoutMLPRegressor(
        hidden_layer_sizes=(16,), dropout=0, n_iter_no_change=3, tol=1e-3,
        max_iter=300, random_state=0,
    ).fit(X, y)  # fmt: skip
    assert reg.n_iter_ == _stop_epoch(reg.loss_curve_, 1e-3, 3) < 300
    assert reg.best_loss_ == min(reg.loss_curve_)
