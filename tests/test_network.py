"""Tests of the pure forward and backward passes in skdropout._network."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skdropout._activations import ACTIVATIONS, HIDDEN_ACTIVATIONS
from skdropout._dropout import ALPHA_SATURATION, AlphaMask, draw_mask
from skdropout._network import backward, forward, loss_and_grads, predict_raw

N_SAMPLES, N_FEATURES, HIDDEN = 7, 3, (5, 4)
ALPHA = 0.3
EPS = 1e-6
# Margin kept between every ReLU pre-activation and the kink at 0, far larger than
# the change a perturbation of EPS can cause, so the function is smooth around the
# point where the finite differences are taken.
KINK_MARGIN = 1e-4
# Seed of the data, parameters and masks, chosen so that every ReLU case keeps that
# margin and has active and inactive units in each hidden layer (both asserted).
SEED = 3

# (loss, number of outputs); binary_log_loss also with a single output column.
LOSS_CASES = [
    ("squared_error", 2),
    ("poisson", 2),
    ("log_loss", 3),
    ("binary_log_loss", 2),
    ("binary_log_loss", 1),
]
MASK_SETTINGS = ["none", "hidden", "input+hidden", "gaussian", "alpha"]
# Activations whose derivative jumps at 0: the finite differences must not
# straddle the kink.
KINKED = {"relu", "leaky_relu", "selu"}


def _targets(rng, loss, n_outputs, n_samples=N_SAMPLES):
    """Targets in the encoding each loss expects."""
    if loss == "squared_error":
        return rng.normal(size=(n_samples, n_outputs))
    if loss == "poisson":
        return rng.poisson(1.5, size=(n_samples, n_outputs)).astype(np.float64)
    if loss == "log_loss":
        return np.eye(n_outputs)[rng.randint(n_outputs, size=n_samples)]
    return rng.randint(2, size=(n_samples, n_outputs)).astype(np.float64)


def _params(rng, n_outputs, dtype=np.float64):
    units = [N_FEATURES, *HIDDEN, n_outputs]
    coefs = [
        rng.normal(scale=0.7, size=(n_in, n_out)).astype(dtype)
        for n_in, n_out in zip(units[:-1], units[1:])
    ]
    intercepts = [
        rng.normal(scale=0.3, size=n_out).astype(dtype) for n_out in units[1:]
    ]
    return coefs, intercepts


def _masks(rng, setting, n_samples=N_SAMPLES, dtype=np.float64):
    """Masks drawn once, to be held fixed: None, hidden only, or input and hidden
    (Bernoulli, Gaussian or alpha noise; the alpha masks with their shifts)."""
    if setting == "none":
        return None
    noise = setting if setting in ("gaussian", "alpha") else "bernoulli"
    input_mask = None
    if setting in ("input+hidden", "gaussian", "alpha"):
        input_mask = draw_mask(rng, (n_samples, N_FEATURES), 0.2, dtype, noise)
    return [input_mask] + [
        draw_mask(rng, (n_samples, h), 0.4, dtype, noise) for h in HIDDEN
    ]


def _noisy(H, mask):
    """H after a mask, written out: times it, or alpha dropout's affine map."""
    if mask is None:
        return H
    if isinstance(mask, AlphaMask):
        return mask.scale * (H - ALPHA_SATURATION) + mask.shift
    return H * mask


def _hidden_pre_activations(X, coefs, intercepts, activation, masks):
    """Pre-activations of every hidden layer, computed directly with NumPy."""
    masks = [None] * len(coefs) if masks is None else masks
    A = _noisy(X, masks[0])
    pre = []
    for i in range(len(coefs) - 1):
        Z = A @ coefs[i] + intercepts[i]
        pre.append(Z)
        A = _noisy(ACTIVATIONS[activation](Z.copy()), masks[i + 1])
    return pre


def _problem(activation, loss, n_outputs, mask_setting, seed=SEED):
    """A small network, data and fixed masks; for ReLU no pre-activation near 0."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    y = _targets(rng, loss, n_outputs)
    coefs, intercepts = _params(rng, n_outputs)
    masks = _masks(rng, mask_setting)
    return X, y, coefs, intercepts, masks


def _numerical_grads(X, y, coefs, intercepts, activation, loss, sample_weight, masks):
    """Central finite differences of the loss in every parameter."""

    def value():
        return loss_and_grads(
            X,
            y,
            coefs,
            intercepts,
            activation,
            loss,
            alpha=ALPHA,
            sample_weight=sample_weight,
            masks=masks,
        )[0]

    grads = []
    for param in [*coefs, *intercepts]:
        grad = np.empty_like(param)
        for idx in np.ndindex(param.shape):
            original = param[idx]
            param[idx] = original + EPS
            plus = value()
            param[idx] = original - EPS
            minus = value()
            param[idx] = original
            grad[idx] = (plus - minus) / (2 * EPS)
        grads.append(grad)
    return grads


@pytest.mark.parametrize("mask_setting", MASK_SETTINGS)
@pytest.mark.parametrize("loss, n_outputs", LOSS_CASES)
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_gradients_match_finite_differences(
    activation, loss, n_outputs, mask_setting, weighted
):
    """Analytic gradients equal central finite differences, masks held fixed."""
    X, y, coefs, intercepts, masks = _problem(activation, loss, n_outputs, mask_setting)
    sample_weight = None
    if weighted:
        sample_weight = np.random.RandomState(1).uniform(0.2, 3.0, size=N_SAMPLES)
    if activation in KINKED:
        pre = _hidden_pre_activations(X, coefs, intercepts, activation, masks)
        assert min(np.abs(Z).min() for Z in pre) > KINK_MARGIN
        # Each hidden layer has active and inactive units, so the check covers both.
        for Z in pre:
            assert (Z > 0).any() and (Z < 0).any()

    _, coef_grads, intercept_grads, _ = loss_and_grads(
        X,
        y,
        coefs,
        intercepts,
        activation,
        loss,
        alpha=ALPHA,
        sample_weight=sample_weight,
        masks=masks,
    )
    analytic = np.concatenate([g.ravel() for g in [*coef_grads, *intercept_grads]])
    numerical = np.concatenate(
        [
            g.ravel()
            for g in _numerical_grads(
                X, y, coefs, intercepts, activation, loss, sample_weight, masks
            )
        ]
    )
    assert np.abs(analytic).max() > 1e-3  # not a vacuous comparison of zeros
    rel_err = (
        np.abs(numerical - analytic).max()
        / (np.abs(numerical) + np.abs(analytic)).max()
    )
    assert rel_err < 1e-6


def test_loss_value_matches_direct_computation():
    """The returned loss is the data loss of the output plus the L2 penalty."""
    X, y, coefs, intercepts, masks = _problem("tanh", "squared_error", 2, "hidden")
    sample_weight = np.random.RandomState(1).uniform(0.5, 2.0, size=N_SAMPLES)
    value, _, _, y_pred = loss_and_grads(
        X,
        y,
        coefs,
        intercepts,
        "tanh",
        "squared_error",
        alpha=ALPHA,
        sample_weight=sample_weight,
        masks=masks,
    )
    A = X
    for i in range(len(coefs) - 1):
        A = np.tanh(A @ coefs[i] + intercepts[i]) * masks[i + 1]
    expected_pred = A @ coefs[-1] + intercepts[-1]
    assert_allclose(y_pred, expected_pred, rtol=1e-12)
    data = np.sum(sample_weight * 0.5 * ((y - expected_pred) ** 2).sum(axis=1))
    penalty = 0.5 * ALPHA * sum((W**2).sum() for W in coefs)
    assert value == pytest.approx((data + penalty) / sample_weight.sum(), rel=1e-12)


@pytest.mark.parametrize("loss, n_outputs", LOSS_CASES)
def test_dropped_hidden_unit_gets_only_the_penalty_gradient(loss, n_outputs):
    """A unit dropped on every row only gets the L2 term alpha * W / n."""
    X, y, coefs, intercepts, masks = _problem("tanh", loss, n_outputs, "input+hidden")
    dropped = 2
    masks[1][:, dropped] = 0.0
    _, coef_grads, intercept_grads, _ = loss_and_grads(
        X, y, coefs, intercepts, "tanh", loss, alpha=ALPHA, masks=masks
    )
    # Outgoing weights: the unit passes on 0, so only the penalty remains.
    assert_allclose(
        coef_grads[1][dropped], ALPHA * coefs[1][dropped] / N_SAMPLES, rtol=1e-12
    )
    # Incoming weights and bias: no error reaches the unit.
    assert_allclose(
        coef_grads[0][:, dropped], ALPHA * coefs[0][:, dropped] / N_SAMPLES, rtol=1e-12
    )
    assert intercept_grads[0][dropped] == 0.0
    # The units kept get data gradients.
    kept = [j for j in range(HIDDEN[0]) if j != dropped]
    assert not np.allclose(coef_grads[1][kept], ALPHA * coefs[1][kept] / N_SAMPLES)


def test_dropped_input_feature_gets_only_the_penalty_gradient():
    """An input feature dropped on every row only gets the L2 term on its weights."""
    X, y, coefs, intercepts, masks = _problem("relu", "log_loss", 3, "input+hidden")
    masks[0][:, 1] = 0.0
    _, coef_grads, _, _ = loss_and_grads(
        X, y, coefs, intercepts, "relu", "log_loss", alpha=ALPHA, masks=masks
    )
    assert_allclose(coef_grads[0][1], ALPHA * coefs[0][1] / N_SAMPLES, rtol=1e-12)


def test_row_dropping_a_unit_adds_nothing_to_its_outgoing_gradient():
    """A unit dropped on one row only: that row adds 0 to its outgoing gradient."""
    X, y, coefs, intercepts, masks = _problem("logistic", "squared_error", 2, "hidden")
    unit = 0
    masks[1][:, unit] = 2.0
    masks[1][3, unit] = 0.0  # dropped on row 3 only
    _, full, _, _ = loss_and_grads(
        X, y, coefs, intercepts, "logistic", "squared_error", alpha=0.0, masks=masks
    )
    # Zero weight on row 3 removes its contribution; the gradient of the data
    # term through the dropped unit is unchanged by row 3 being there.
    sample_weight = np.ones(N_SAMPLES)
    sample_weight[3] = 0.0
    _, without_row, _, _ = loss_and_grads(
        X,
        y,
        coefs,
        intercepts,
        "logistic",
        "squared_error",
        alpha=0.0,
        sample_weight=sample_weight,
        masks=masks,
    )
    assert_allclose(
        full[1][unit] * N_SAMPLES, without_row[1][unit] * (N_SAMPLES - 1), rtol=1e-12
    )


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_forward_without_masks_equals_masks_of_ones(activation):
    """masks=None, a list of None and masks of ones give the same forward pass."""
    X, _, coefs, intercepts, _ = _problem(activation, "log_loss", 3, "none")
    ones = [np.ones((N_SAMPLES, N_FEATURES))] + [
        np.ones((N_SAMPLES, h)) for h in HIDDEN
    ]
    H_ref, A_ref = forward(X, coefs, intercepts, activation, "softmax")
    for masks in ([None, None, None], ones):
        H, A = forward(X, coefs, intercepts, activation, "softmax", masks)
        assert len(H) == len(A) == len(coefs) + 1
        for got, expected in zip(H + A, H_ref + A_ref):
            assert_allclose(got, expected, rtol=1e-14)
    assert_allclose(A_ref[-1].sum(axis=1), 1.0)


def test_forward_does_not_modify_inputs():
    """Forward with masks leaves X, masks and parameters unchanged."""
    X, _, coefs, intercepts, masks = _problem("relu", "poisson", 2, "input+hidden")
    before = [a.copy() for a in [X, *coefs, *intercepts, *masks]]
    forward(X, coefs, intercepts, "relu", "exp", masks)
    for got, expected in zip([X, *coefs, *intercepts, *masks], before):
        assert_array_equal(got, expected)


def test_backward_with_ones_masks_matches_backward_without_masks():
    """Backward with masks of ones gives the gradients of backward without masks."""
    X, y, coefs, intercepts, _ = _problem("tanh", "log_loss", 3, "none")
    ones = [np.ones((N_SAMPLES, N_FEATURES))] + [
        np.ones((N_SAMPLES, h)) for h in HIDDEN
    ]
    H, A = forward(X, coefs, intercepts, "tanh", "softmax")
    ref = backward(H, A, y, coefs, "tanh", ALPHA)
    H, A = forward(X, coefs, intercepts, "tanh", "softmax", ones)
    got = backward(H, A, y, coefs, "tanh", ALPHA, masks=ones)
    for g, r in zip(got[0] + got[1], ref[0] + ref[1]):
        assert_allclose(g, r, rtol=1e-13)


def _sparse_problem(loss="log_loss", n_outputs=3, activation="tanh"):
    X, y, coefs, intercepts, _ = _problem(activation, loss, n_outputs, "none")
    X[np.random.RandomState(2).uniform(size=X.shape) < 0.5] = 0.0
    X_csr = sp.csr_matrix(X)
    assert 0 < X_csr.nnz < X.size
    return X, X_csr, y, coefs, intercepts


def _assert_same_loss_and_grads(result, expected):
    assert result[0] == pytest.approx(expected[0], rel=1e-12)
    for got, ref in zip(result[1] + result[2], expected[1] + expected[2]):
        assert isinstance(got, np.ndarray)
        assert_allclose(got, ref, rtol=1e-12, atol=1e-15)
    assert_allclose(result[3], expected[3], rtol=1e-12)


@pytest.mark.parametrize("hidden_masks", [False, True])
def test_sparse_input_gives_the_dense_loss_and_gradients(hidden_masks):
    """CSR X gives the loss and gradients of dense X, with no input mask."""
    X, X_csr, y, coefs, intercepts = _sparse_problem()
    masks = None
    if hidden_masks:
        masks = _masks(np.random.RandomState(3), "hidden")
    args = (y, coefs, intercepts, "tanh", "log_loss")
    _assert_same_loss_and_grads(
        loss_and_grads(X_csr, *args, alpha=ALPHA, masks=masks),
        loss_and_grads(X, *args, alpha=ALPHA, masks=masks),
    )


def test_sparse_input_mask_per_stored_entry_equals_dense_mask():
    """An input mask on X.data equals the dense mask at the stored entries."""
    X, X_csr, y, coefs, intercepts = _sparse_problem()
    masks = _masks(np.random.RandomState(3), "input+hidden")
    dense_input_mask = masks[0]
    rows = np.repeat(np.arange(X_csr.shape[0]), np.diff(X_csr.indptr))
    sparse_masks = [dense_input_mask[rows, X_csr.indices], *masks[1:]]
    assert (sparse_masks[0] == 0).any()  # some stored entry really is dropped
    X_csr_before = X_csr.copy()
    args = (y, coefs, intercepts, "tanh", "log_loss")
    _assert_same_loss_and_grads(
        loss_and_grads(X_csr, *args, alpha=ALPHA, masks=sparse_masks),
        loss_and_grads(X, *args, alpha=ALPHA, masks=masks),
    )
    # The mask is applied to a copy: the caller's matrix is unchanged.
    assert_array_equal(X_csr.data, X_csr_before.data)


def test_loss_and_grads_keep_float32():
    """float32 data, parameters, masks and weights give float32 gradients."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES)).astype(np.float32)
    y = _targets(rng, "log_loss", 3).astype(np.float32)
    coefs, intercepts = _params(rng, 3, dtype=np.float32)
    masks = _masks(rng, "input+hidden", dtype=np.float32)
    sample_weight = rng.uniform(0.5, 2, size=N_SAMPLES).astype(np.float32)
    _, coef_grads, intercept_grads, y_pred = loss_and_grads(
        X,
        y,
        coefs,
        intercepts,
        "relu",
        "log_loss",
        alpha=ALPHA,
        sample_weight=sample_weight,
        masks=masks,
    )
    assert y_pred.dtype == np.float32
    for grad in coef_grads + intercept_grads:
        assert grad.dtype == np.float32


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("out_activation", [None, "softmax"])
@pytest.mark.parametrize("chunk_size", [1, 3, 4, 10, 100])
def test_predict_raw_in_chunks_equals_one_pass(chunk_size, out_activation, sparse):
    """predict_raw gives the same output with and without chunk_size."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(10, N_FEATURES))
    X[rng.uniform(size=X.shape) < 0.3] = 0.0
    if sparse:
        X = sp.csr_matrix(X)
    coefs, intercepts = _params(rng, 3)
    expected = predict_raw(X, coefs, intercepts, "relu", out_activation)
    got = predict_raw(X, coefs, intercepts, "relu", out_activation, chunk_size)
    assert got.shape == (10, 3)
    assert_allclose(got, expected, rtol=1e-13)


def test_predict_raw_returns_logits_without_out_activation():
    """predict_raw without out_activation gives logits whose softmax is the output."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(6, N_FEATURES))
    coefs, intercepts = _params(rng, 3)
    logits = predict_raw(X, coefs, intercepts, "tanh")
    proba = predict_raw(X, coefs, intercepts, "tanh", "softmax", chunk_size=4)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert_allclose(proba, expected, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_apply_max_norm(dtype):
    """Columns longer than max_norm are scaled to it, in place; the others and
    the columns' directions are untouched."""
    from skdropout._network import apply_max_norm

    rng = np.random.RandomState(0)
    W = (rng.normal(size=(6, 5)) * np.array([0.1, 1, 3, 0.2, 5])).astype(dtype)
    original = W.copy()
    norms = np.linalg.norm(original, axis=0)
    apply_max_norm([W], 1.5)
    assert W.dtype == dtype
    new_norms = np.linalg.norm(W, axis=0)
    assert np.all(new_norms <= 1.5 * (1 + 1e-6))
    short = norms <= 1.5
    assert_array_equal(W[:, short], original[:, short])
    assert_allclose(new_norms[~short], 1.5, rtol=1e-6)
    assert_allclose(
        W[:, ~short] / new_norms[~short], original[:, ~short] / norms[~short], rtol=1e-5
    )
