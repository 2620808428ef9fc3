"""fit_blocks on in-memory blocks (no dask needed): the same epoch loop and
stopping policy as fit, over partial_fit calls. The dask sources and the
cluster are tested in test_distributed.py."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification

from skdropout import DropoutMLPClassifier, fit_blocks

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ROWS, N_BLOCKS = 30, 5


def _blocks():
    X, y = make_classification(n_samples=ROWS * N_BLOCKS, n_features=6, random_state=0)
    return [
        (X[i * ROWS : (i + 1) * ROWS], y[i * ROWS : (i + 1) * ROWS])
        for i in range(N_BLOCKS)
    ]


def _clf():
    return DropoutMLPClassifier(
        hidden_layer_sizes=(8,), batch_size=10, learning_rate_init=0.01, random_state=0
    )


def _same_weights(a, b):
    for wa, wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(wa, wb)


def test_epochs_are_partial_fit_per_block_in_the_recorded_order():
    """Each epoch is one partial_fit per block, in the order recorded; the
    epoch's loss is the mean of the blocks' losses weighted by their rows."""
    blocks = _blocks()
    estimator, history = fit_blocks(
        _clf(), blocks, epochs=3, random_state=0, return_history=True
    )
    by_hand, losses = _clf(), []
    for order in history.block_order:
        total = 0.0
        for i in order:
            by_hand.partial_fit(*blocks[i], classes=[0, 1])
            total += by_hand.loss_ * ROWS
        losses.append(total / (ROWS * len(order)))
    _same_weights(estimator, by_hand)
    assert history.loss == pytest.approx(losses, rel=1e-12)
    assert history.validation_score == [] and history.best_epoch is None


def test_early_stopping_keeps_the_best_epoch():
    """With held-out data, training stops n_iter_no_change + 1 epochs after the
    best score and the best epoch's weights are restored: those of a twin
    trained for exactly that many epochs."""
    blocks = _blocks()
    validation = blocks.pop()
    stopped, history = fit_blocks(
        _clf(), blocks, epochs=60, validation=validation, n_iter_no_change=2,
        tol=0.0, random_state=0, return_history=True,
    )  # fmt: skip
    scores = history.validation_score
    assert len(scores) == len(history.loss) < 60
    assert history.best_epoch == int(np.argmax(scores)) + 1
    assert len(scores) == history.best_epoch + 2 + 1
    assert stopped.score(*validation) == max(scores)
    twin = fit_blocks(
        _clf(), blocks, epochs=history.best_epoch, validation=validation,
        n_iter_no_change=np.inf, random_state=0,
    )  # fmt: skip
    _same_weights(stopped, twin)


def test_an_empty_epoch_is_an_error_naming_it():
    """A source that yields no block in an epoch is a clear error."""
    with pytest.raises(ValueError, match="yielded no data in epoch 1"):
        fit_blocks(_clf(), lambda: iter([]), classes=[0, 1], shuffle=False)


def test_a_failed_call_leaves_the_estimator_as_it_was():
    """A source that fails at its second block, or an empty block, leaves an
    already fitted estimator exactly as it was (weights, curves, optimizer,
    random stream), as a failed fit does; the empty block is named as such."""
    import pickle

    blocks = _blocks()
    fitted = fit_blocks(_clf(), blocks, epochs=2, random_state=0)
    before = pickle.dumps(fitted)

    def failing():
        yield blocks[0]
        raise OSError("block 2 could not be read")

    with pytest.raises(OSError, match="block 2"):
        fit_blocks(fitted, failing, epochs=1, shuffle=False)
    assert pickle.dumps(fitted) == before
    empty = [blocks[0], (blocks[1][0][:0], blocks[1][1][:0])]
    with pytest.raises(ValueError, match="at least one row; got a block of X of"):
        fit_blocks(fitted, empty, epochs=1, random_state=0)
    assert pickle.dumps(fitted) == before
