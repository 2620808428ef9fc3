"""Dask: hyperparameter search through joblib's dask backend, and fit_blocks,
training by blocks of rows that are computed one at a time."""

import os
import tracemalloc

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor, fit_blocks

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    # Older dask warns when local threads compute while a client exists, which
    # the local_scheduler fixture asks for on purpose.
    pytest.mark.filterwarnings("ignore:Running on a single-machine scheduler"),
]

ROWS = 40  # rows per block
N_BLOCKS = 6


@pytest.fixture(scope="module")
def client():
    """Two single-threaded in-process workers on loopback; the environment
    variables the cluster sets are undone when the module's tests end."""
    environ = dict(os.environ)
    try:
        with (
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=False,
                protocol="tcp",
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
                timeout="30s",
            ) as cluster,
            distributed.Client(cluster, set_as_default=False, timeout="30s") as client,
        ):
            yield client
    finally:
        os.environ.clear()
        os.environ.update(environ)


@pytest.fixture(autouse=True)
def local_scheduler():
    """dask computes on local threads unless a test says otherwise: a client
    that exists, even one that is not the default, would be used instead."""
    with dask.config.set(scheduler="threads"):
        yield


def _classification():
    X, y = make_classification(
        n_samples=ROWS * N_BLOCKS, n_features=8, n_informative=5, n_classes=3,
        random_state=0,
    )  # fmt: skip
    return StandardScaler().fit_transform(X), y


def _regression():
    X, y = make_regression(
        n_samples=ROWS * N_BLOCKS, n_features=8, noise=1.0, random_state=0
    )
    return StandardScaler().fit_transform(X), y / y.std()


_SMALL = {
    "hidden_layer_sizes": (16,),
    "batch_size": 20,
    "learning_rate_init": 0.01,
    "random_state": 0,
}


def _classifier(**params):
    return DropoutMLPClassifier(**{**_SMALL, **params})


def _regressor(**params):
    return DropoutMLPRegressor(**{**_SMALL, **params})


def _by_hand(estimator, X, y, block_order, **fit_params):
    """partial_fit on in-memory blocks of ROWS rows, in the order given."""
    for order in block_order:
        for i in order:
            rows = slice(i * ROWS, (i + 1) * ROWS)
            estimator.partial_fit(X[rows], y[rows], **fit_params)
    return estimator


def _assert_same_weights(a, b):
    for wa, wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(wa, wb)


# -- hyperparameter search on a cluster ------------------------------------------


@pytest.mark.parametrize(
    "make_search",
    [
        lambda est, grid: GridSearchCV(est, grid, cv=3),
        lambda est, grid: RandomizedSearchCV(est, grid, n_iter=4, cv=3, random_state=0),
    ],
    ids=["grid", "randomized"],
)
def test_search_on_dask_equals_sequential(client, make_search):
    """A search through joblib's dask backend gives the sequential search's
    scores and best parameters, bit for bit."""
    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16, y[:300]
    grid = {"dropout": [0, 0.3], "input_dropout": [0, 0.2], "alpha": [1e-4, 1e-2]}
    estimator = _classifier(max_iter=5)
    # In-process workers share this process's BLAS: one thread each, as the
    # documentation advises against oversubscription.
    with threadpool_limits(1):
        sequential = make_search(estimator, grid).fit(X, y)
        with (
            joblib.parallel_config(backend="dask", client=client),
            distributed.get_task_stream(client) as tasks,
        ):
            on_dask = make_search(estimator, grid).fit(X, y)
    assert tasks.data  # the fits ran on the workers
    assert_array_equal(
        on_dask.cv_results_["mean_test_score"],
        sequential.cv_results_["mean_test_score"],
    )
    assert on_dask.cv_results_["params"] == sequential.cv_results_["params"]
    assert on_dask.best_params_ == sequential.best_params_


# -- fit_blocks ------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_estimator, data", [(_classifier, _classification), (_regressor, _regression)]
)
def test_fit_blocks_is_partial_fit_per_block(make_estimator, data):
    """fit_blocks on a dask array equals partial_fit on its blocks by hand, in
    the recorded order: the same weights, bit for bit."""
    X, y = data()
    X_dask, y_dask = da.from_array(X, chunks=(ROWS, -1)), da.from_array(y, ROWS)
    fit_params = {"classes": np.unique(y)} if make_estimator is _classifier else {}
    estimator, history = fit_blocks(
        make_estimator(), X_dask, y_dask, epochs=3, random_state=0,
        return_history=True, **fit_params,
    )  # fmt: skip
    assert len(history.loss) == len(history.block_order) == 3
    for order in history.block_order:
        assert sorted(order) == list(range(N_BLOCKS))
    assert history.validation_score == [] and history.best_epoch is None
    expected = _by_hand(make_estimator(), X, y, history.block_order, **fit_params)
    _assert_same_weights(estimator, expected)
    assert len(estimator.loss_curve_) == 3 * N_BLOCKS  # one per partial_fit

    # The classes are found in y when not given.
    found = fit_blocks(make_estimator(), X_dask, y_dask, epochs=3, random_state=0)
    _assert_same_weights(found, expected)


def test_block_order_follows_the_seed():
    """The order of the blocks is reproducible from random_state, differs
    between seeds, and is the natural one without shuffling."""
    X, y = _classification()
    X, y = da.from_array(X, chunks=(ROWS, -1)), da.from_array(y, ROWS)

    def orders(**params):
        _, history = fit_blocks(
            _classifier(), X, y, epochs=3, return_history=True, **params
        )
        return history.block_order

    assert orders(random_state=0) == orders(random_state=0)
    assert orders(random_state=0) != orders(random_state=1)
    assert orders(shuffle=False) == [list(range(N_BLOCKS))] * 3


def test_early_stopping_on_held_out_block():
    """validation='last-block' never trains on the last block, stops after
    n_iter_no_change + 1 epochs without improvement and keeps the best
    weights."""
    X, y = _classification()
    X_dask, y_dask = da.from_array(X, chunks=(ROWS, -1)), da.from_array(y, ROWS)
    estimator, history = fit_blocks(
        _classifier(), X_dask, y_dask, epochs=100, validation="last-block",
        n_iter_no_change=3, random_state=0, return_history=True,
    )  # fmt: skip
    n_epochs = len(history.loss)
    assert n_epochs < 100
    assert all(N_BLOCKS - 1 not in order for order in history.block_order)
    scores = history.validation_score
    assert len(scores) == n_epochs
    assert history.best_epoch == np.argmax(scores) + 1
    assert n_epochs == history.best_epoch + 3 + 1
    X_val, y_val = X[-ROWS:], y[-ROWS:]
    assert estimator.score(X_val, y_val) == max(scores)

    # The same with the held-out data passed in, as dask arrays.
    val = (X_dask[-ROWS:], y_dask[-ROWS:])
    train = (X_dask[:-ROWS], y_dask[:-ROWS])
    same, same_history = fit_blocks(
        _classifier(), *train, epochs=100, validation=val, n_iter_no_change=3,
        random_state=0, return_history=True,
    )  # fmt: skip
    assert same_history == history
    _assert_same_weights(same, estimator)


def test_early_stopping_keeps_the_noise_estimate_of_the_best_weights():
    """A regressor stopped early keeps, with the best epoch's weights, the
    noise_variance_ estimated with them: that of a twin trained for exactly
    the best epochs."""
    X, y = _regression()
    X_dask, y_dask = da.from_array(X, chunks=(ROWS, -1)), da.from_array(y, ROWS)
    train = (X_dask[:-ROWS], y_dask[:-ROWS])
    params = dict(validation=(X[-ROWS:], y[-ROWS:]), random_state=0)
    stopped, history = fit_blocks(
        _regressor(learning_rate_init=0.05), *train, epochs=100,
        n_iter_no_change=2, return_history=True, **params,
    )  # fmt: skip
    assert history.best_epoch < len(history.loss)  # it did rewind
    twin = fit_blocks(
        _regressor(learning_rate_init=0.05), *train, epochs=history.best_epoch,
        n_iter_no_change=np.inf, **params,
    )  # fmt: skip
    _assert_same_weights(stopped, twin)
    assert_array_equal(stopped.noise_variance_, twin.noise_variance_)


def _unknown_chunks(array):
    """The array with its row chunk sizes unknown, as a dask DataFrame's
    to_dask_array() leaves them."""
    return array.map_blocks(
        lambda block: block, chunks=((np.nan,) * N_BLOCKS, *array.chunks[1:])
    )


@pytest.mark.parametrize(
    "arrays, error, match",
    [
        (lambda X, y: (X, y.rechunk(ROWS // 2)), ValueError, "chunked alike"),
        (
            lambda X, y: (X, y, da.ones(len(y), chunks=ROWS // 2)),
            ValueError,
            "X and sample_weight must be chunked alike along the rows",
        ),
        (
            lambda X, y: (_unknown_chunks(X), _unknown_chunks(y)),
            ValueError,
            "unknown chunk sizes",
        ),
        (lambda X, y: (X, y.compute()), TypeError, "y must be a dask array"),
        (lambda X, y: (X, None), ValueError, "y is required"),
    ],
    ids=["y", "sample_weight", "unknown", "numpy-y", "no-y"],
)
def test_misaligned_dask_arrays_raise(arrays, error, match):
    """X, y and sample_weight must be dask arrays with the same, known row
    chunks."""
    X, y = _classification()
    X, y, *sw = arrays(da.from_array(X, chunks=(ROWS, -1)), da.from_array(y, ROWS))
    sw = sw[0] if sw else None
    with pytest.raises(error, match=match):
        fit_blocks(_classifier(), X, y, sample_weight=sw, classes=[0, 1, 2])


def test_iterable_and_sequence_sources():
    """A list of blocks and a function returning a generator of blocks train
    as the dask array of the same blocks does."""
    X, y = _classification()
    classes = np.unique(y)
    blocks = [
        (X[i * ROWS : (i + 1) * ROWS], y[i * ROWS : (i + 1) * ROWS])
        for i in range(N_BLOCKS)
    ]
    X_dask, y_dask = da.from_array(X, chunks=(ROWS, -1)), da.from_array(y, ROWS)
    expected = fit_blocks(
        _classifier(), X_dask, y_dask, epochs=2, classes=classes, random_state=0
    )
    from_list = fit_blocks(_classifier(), blocks, epochs=2, random_state=0)
    _assert_same_weights(from_list, expected)

    def generate():
        yield from blocks

    unshuffled = fit_blocks(
        _classifier(), X_dask, y_dask, epochs=2, classes=classes, shuffle=False
    )
    from_stream = fit_blocks(
        _classifier(), generate, epochs=2, classes=classes, shuffle=False
    )
    _assert_same_weights(from_stream, unshuffled)

    # Blocks with sample weights of 1 train as blocks without.
    weighted = [(Xb, yb, np.ones(len(yb))) for Xb, yb in blocks]
    from_weighted = fit_blocks(_classifier(), weighted, epochs=2, random_state=0)
    _assert_same_weights(from_weighted, from_list)

    with pytest.raises(ValueError, match="shuffle=False"):
        fit_blocks(_classifier(), generate, classes=classes)
    with pytest.raises(ValueError, match="iterator, which can be read only once"):
        fit_blocks(_classifier(), generate(), epochs=2, shuffle=False)
    with pytest.raises(ValueError, match="'last-block' needs a dask array or a"):
        fit_blocks(_classifier(), generate, shuffle=False, validation="last-block")
    with pytest.raises(ValueError, match="classes must be passed"):
        fit_blocks(_classifier(), generate, shuffle=False)
    with pytest.raises(ValueError, match="must be a pair"):
        fit_blocks(_classifier(), [X[:ROWS]])


def test_estimators_fit_blocks_cannot_train():
    """An L-BFGS estimator, one with early_stopping=True and in-memory X are
    refused with a message that says what to do."""
    X, y = _classification()
    blocks = [(X, y)]
    with pytest.raises(ValueError, match="solver='lbfgs' has none"):
        fit_blocks(_classifier(solver="lbfgs", dropout=0), blocks)
    with pytest.raises(ValueError, match="early_stopping=False and pass validation"):
        fit_blocks(_classifier(early_stopping=True), blocks)
    with pytest.raises(TypeError, match="train on it with estimator.fit"):
        fit_blocks(_classifier(), X, y)


def test_fit_blocks_computes_one_block_at_a_time():
    """Each block is computed once per epoch, alone, and released before the
    next: peak memory is a few blocks, not the data set."""
    n_blocks, rows, n_features = 24, 2000, 50
    block_bytes = rows * n_features * 8  # 800 kB; 19.2 MB in all
    made = []

    def make(i):
        X_block = np.random.default_rng(i).standard_normal((rows, n_features))
        made.append(i)
        return X_block, (X_block[:, 0] > 0).astype(np.int64)

    parts = [dask.delayed(make, pure=True)(i) for i in range(n_blocks)]
    X = da.concatenate(
        [da.from_delayed(p[0], (rows, n_features), np.float64) for p in parts]
    )
    y = da.concatenate([da.from_delayed(p[1], (rows,), np.int64) for p in parts])
    tracemalloc.start()
    try:
        _, history = fit_blocks(
            _classifier(batch_size=200), X, y, epochs=2, classes=[0, 1],
            validation="last-block", random_state=0, return_history=True,
        )  # fmt: skip
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The validation block once, then each epoch's blocks in their order.
    assert made == [n_blocks - 1] + [i for order in history.block_order for i in order]
    # About 3 (the validation block, a training block, partial_fit's working
    # arrays and dask's graphs) against 24 for the data set.
    assert peak < 6 * block_bytes


def test_fit_blocks_with_blocks_computed_on_the_cluster(client):
    """With a distributed client as dask's scheduler, the blocks are computed
    on the workers and the result is the same as with local threads."""
    X, y = _regression()
    X_dask = da.from_array(X, chunks=(ROWS, -1)) * 1.0  # tasks for the workers
    y_dask = da.from_array(y, ROWS)
    expected = fit_blocks(_regressor(), X_dask, y_dask, epochs=2, random_state=0)
    with dask.config.set(scheduler=client):
        on_cluster = fit_blocks(_regressor(), X_dask, y_dask, epochs=2, random_state=0)
    _assert_same_weights(on_cluster, expected)


def test_empty_blocks_of_a_dask_array_are_left_out():
    """A filtered dask array has blocks without rows: they are left out, the
    others train as the same blocks without them do, and block_order names
    the blocks of X it trained on."""
    X, y = _classification()
    X_dask, y_dask = da.from_array(X, chunks=(ROWS, -1)), da.from_array(y, ROWS)
    rows = (ROWS, 0, *[ROWS] * (N_BLOCKS - 1), 0)
    holes_X = da.from_array(X, chunks=(rows, X.shape[1]))
    holes_y = da.from_array(y, chunks=(rows,))
    assert holes_X.chunks[0] == rows
    expected = fit_blocks(_classifier(), X_dask, y_dask, epochs=2, random_state=0)
    model, history = fit_blocks(
        _classifier(), holes_X, holes_y, epochs=2, random_state=0,
        return_history=True,
    )  # fmt: skip
    _assert_same_weights(model, expected)
    nonempty = [i for i, rows in enumerate(holes_X.chunks[0]) if rows]
    assert all(sorted(order) == nonempty for order in history.block_order)
