"""Training on data larger than memory, one block of rows at a time: fit_blocks.

Dask is optional: it is imported only when a dask collection is passed in.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_classifier
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import (
    Interval,
    Options,
    StrOptions,
    validate_params,
)
from sklearn.utils.multiclass import unique_labels

from skdropout._engine import History, Stopping, run_epochs
from skdropout._solvers import interrupts_propagate
from skdropout._transaction import fit_transaction


@validate_params(
    {
        "estimator": "no_validation",
        "X": "no_validation",
        "y": "no_validation",
        "sample_weight": "no_validation",
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "classes": ["array-like", None],
        "validation": [StrOptions({"last-block"}), tuple, list, None],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
            None,
        ],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "return_history": ["boolean"],
    },
    # The estimator's own parameters are still validated by its partial_fit.
    prefer_skip_nested_validation=False,
)
def fit_blocks(
    estimator,
    X,
    y=None,
    *,
    sample_weight=None,
    epochs=10,
    classes=None,
    validation=None,
    shuffle=True,
    random_state=None,
    n_iter_no_change=None,
    tol=None,
    return_history=False,
):
    """Train an estimator on data larger than memory, one block of rows at a time.

    Each epoch calls ``estimator.partial_fit`` once per block of rows, the
    blocks in a new random order, and computes each block only when it is
    needed: memory holds one block (and the validation data), never the whole
    data set. With validation data, the score is computed after every epoch
    and training stops early, as ``fit`` does with ``early_stopping=True``.

    Parameters
    ----------
    estimator : DropoutMLPClassifier or DropoutMLPRegressor
        The estimator to train, with ``solver='adam'`` or ``'sgd'`` and
        ``early_stopping=False`` (here early stopping is done on
        ``validation``). It is updated in place: if it is already fitted,
        training continues from its current weights, optimizer state and random
        stream, as ``partial_fit`` does; pass ``sklearn.base.clone(estimator)``
        to start afresh. If the call fails (a source that raises, a bad
        block), the estimator is left as it was before it.

    X : dask array, sequence of blocks, iterable of blocks or callable
        The training data, in one of three forms:

        - a 2-D dask array: its blocks along the rows (``X.chunks[0]``) are the
          blocks; ``y`` (and ``sample_weight``) are then dask arrays with the
          same row chunks;
        - a sequence (list or tuple) of blocks, each a pair ``(X_block,
          y_block)`` or a triple ``(X_block, y_block, sample_weight_block)`` of
          arrays (or of dask arrays, computed when the block is used);
        - a callable returning a new iterator of such blocks on every call,
          called once per epoch (a generator function that reads files, for
          instance); a re-iterable object is used the same way. An iterator
          can be read only once, so it is accepted only with ``epochs=1``. The
          blocks come in the order the iterator yields them: shuffle them there
          and pass ``shuffle=False``.

    y : dask array of shape (n_samples,) or (n_samples, n_outputs), default=None
        The targets, when ``X`` is a dask array; chunked like ``X`` along the
        rows. Must be None otherwise (the blocks hold the targets).

    sample_weight : dask array of shape (n_samples,), default=None
        Sample weights, when ``X`` is a dask array; chunked like ``X`` along the
        rows.

    epochs : int, default=10
        The maximum number of passes over the training blocks.

    classes : array-like of shape (n_classes,), default=None
        All the class labels, for a classifier that is not fitted yet (its
        first ``partial_fit`` needs them). If None, they are found in one pass
        over ``y`` (``dask.array.unique(y)`` for a dask array, the targets of
        every block for a sequence), which computes the blocks that ``y``
        depends on; pass them to save that pass. A callable source is not read
        twice: there they must be given (except for multilabel targets).

    validation : tuple, 'last-block' or None, default=None
        Held-out data scored after every epoch with ``estimator.score``:
        ``(X_val, y_val)`` or ``(X_val, y_val, sample_weight_val)`` (dask arrays
        are computed once, so they must fit in memory), or ``'last-block'`` to
        hold out the last block of a dask array or sequence. If None, no score
        is computed and every epoch runs.

    shuffle : bool, default=True
        Whether to visit the blocks in a new random order every epoch (dask
        arrays and sequences; a callable source must shuffle itself and be
        given ``shuffle=False``). The rows within a block are shuffled by the
        estimator's own ``shuffle`` parameter.

    random_state : int, RandomState instance or None, default=None
        Seeds the order of the blocks, and nothing else: the weights, the order
        of rows within blocks and the dropout masks come from the estimator's
        own ``random_state``. Pass an int for a reproducible order.

    n_iter_no_change : int or np.inf, default=None
        Early stopping's patience: training stops when the validation score has
        not improved on the best by at least ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs. None takes the estimator's
        ``n_iter_no_change``; ``np.inf`` never stops early.

    tol : float, default=None
        Early stopping's tolerance; None takes the estimator's ``tol``.

    return_history : bool, default=False
        Whether to return the per-epoch record along with the estimator.

    Returns
    -------
    estimator : object
        The trained estimator. With validation data, its ``coefs_`` and
        ``intercepts_`` are those of the epoch with the best validation score.

    history : :class:`~sklearn.utils.Bunch`
        Returned if ``return_history=True``, with, per epoch run:

        - ``loss``: the mean training loss (with dropout, the L2 term included)
          over the epoch's blocks, weighted by their numbers of rows;
        - ``validation_score``: the validation score (empty without validation);
        - ``block_order``: the indices of the blocks in the order they were
          trained on (None for a callable source; for a dask array, ``i`` of
          ``X.blocks[i]``: its blocks without rows, as a filter leaves them,
          are not trained on).

        and ``best_epoch``, the epoch (counted from 1) whose weights were kept,
        None without validation.

    See Also
    --------
    DropoutMLPClassifier.partial_fit : What each block is passed to.

    Notes
    -----
    **Memory.** A block is computed when it is its turn, with one
    ``dask.compute`` call for its ``X``, ``y`` and ``sample_weight`` blocks
    together (tasks they share run once), trained on and released before the
    next one is computed. Peak memory is about one block, the validation data
    and the model: choose the row chunks so that a block fits with room to
    spare. Blocks are not computed ahead of time, so training waits while a
    block is read. The blocks are computed by dask's current scheduler: a
    ``distributed.Client``, if one is the default, computes them on its workers
    and sends them to this process, where the model is trained.

    **Reproducibility.** With an int ``random_state`` here and on the
    estimator, the result is the same bit for bit on every run: it is exactly
    that of calling ``estimator.partial_fit`` on the blocks in the order of
    ``history.block_order``. The estimator's random stream continues from call
    to call, so every block and every epoch draws new dropout masks.

    **Schedules.** ``partial_fit`` advances the estimator's schedules (of
    ``learning_rate='cosine'``, ``dropout_schedule``) one epoch per call, so
    here one per block: set ``schedule_epochs`` to ``epochs`` times the
    number of blocks. With the cosine learning rate a call past the end of
    its schedule trains at a rate of 0, and warns.

    **Early stopping** follows scikit-learn's rule (as ``fit`` does with
    ``early_stopping=True``): an epoch whose score is below the best so far
    plus ``tol`` adds one to a count that an improving epoch resets; training
    stops when the count exceeds ``n_iter_no_change``, and the weights of the
    best epoch are restored. The optimizer's state and the random stream are
    not rewound. The estimator's ``loss_curve_`` gains one entry per block (one
    per ``partial_fit`` call); ``history.loss`` has one per epoch. For
    :class:`DropoutMLPRegressor`, ``noise_variance_`` (used by
    ``predict(X, return_std=True)``) is the one estimated on the last block the
    kept weights were trained on, with those weights: with early stopping, the
    last block of the best epoch.

    **Comparison with dask-ml.** ``dask_ml.wrappers.Incremental(estimator,
    shuffle_blocks=True, random_state=seed).fit(X, y, classes=classes)`` also
    calls ``partial_fit`` once per block of a dask array, in an order shuffled
    from a seed. It differs in that it clones the estimator, makes one pass
    per call (repeated ``partial_fit`` calls with an int seed visit the blocks
    in the same order every time), has no validation or early stopping, and
    runs the chain of ``partial_fit`` calls as dask tasks, so the model travels
    to the blocks on the workers and the scheduler may compute several blocks
    ahead. Here the blocks travel to the model and are computed one at a time,
    and dask-ml is not needed. To predict on a dask array, map the estimator
    over its blocks: ``X.map_blocks(estimator.predict, drop_axis=1,
    dtype=...)``.

    **Dask and threads.** The same estimators parallelize a hyperparameter
    search on a Dask cluster through joblib: ``with
    joblib.parallel_config(backend="dask"): search.fit(X, y)`` with a
    ``distributed.Client`` open runs each of ``GridSearchCV``'s fits as a task
    on the workers, and gives the results of the sequential search for a fixed
    ``random_state``. Each fit's matrix products use the BLAS thread pool
    (OpenBLAS or MKL, one thread per core by default). Workers that each run
    a multithreaded BLAS ask for more threads than there are cores, which
    slows everything down (oversubscription). Give each core one worker thread
    and one BLAS thread: worker processes started by a nanny
    (``LocalCluster(processes=True)``, ``dask worker``) get
    ``OMP_NUM_THREADS=1``, ``OPENBLAS_NUM_THREADS=1`` and
    ``MKL_NUM_THREADS=1`` by default (dask's
    ``distributed.nanny.pre-spawn-environ`` setting), so start them with
    ``threads_per_worker=1`` and as many workers as cores; in-process workers
    (``LocalCluster(processes=False)``) share this process's BLAS, so limit it
    with ``threadpoolctl.threadpool_limits(1)``. The example
    ``examples/distributed_grid_search.py`` shows both.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from skdropout import DropoutMLPClassifier, fit_blocks
    >>> X, y = make_classification(n_samples=600, random_state=0)
    >>> blocks = [(X[i : i + 100], y[i : i + 100]) for i in range(0, 600, 100)]
    >>> clf = DropoutMLPClassifier(
    ...     hidden_layer_sizes=(32,), batch_size=25, learning_rate_init=0.01,
    ...     random_state=0,
    ... )
    >>> clf, history = fit_blocks(
    ...     clf, blocks, epochs=30, validation="last-block", random_state=0,
    ...     return_history=True,
    ... )
    >>> len(history.block_order[0])  # five blocks trained on, one held out
    5
    >>> len(history.loss), history.best_epoch  # stopped early, best kept
    (20, 9)
    >>> print(f"{clf.score(*blocks[-1]):.2f}")
    0.93

    With dask, ``X`` and ``y`` are dask arrays chunked alike along the rows:

    >>> import dask.array as da  # doctest: +SKIP
    >>> X_big = da.from_zarr("X.zarr")  # doctest: +SKIP
    >>> y_big = da.from_zarr("y.zarr").rechunk({0: X_big.chunks[0]})  # doctest: +SKIP
    >>> clf = fit_blocks(clf, X_big, y_big, epochs=5)  # doctest: +SKIP
    """
    if not hasattr(estimator, "partial_fit"):
        detail = ""
        if getattr(estimator, "solver", None) == "lbfgs":
            detail = " (solver='lbfgs' has none: use solver='adam' or 'sgd')"
        raise ValueError(
            f"fit_blocks trains by partial_fit, which {type(estimator).__name__} "
            f"does not have{detail}."
        )
    if getattr(estimator, "early_stopping", False):
        raise ValueError(
            "fit_blocks stops early on its own validation data; partial_fit does "
            "not support the estimator's early_stopping=True. Set "
            "early_stopping=False and pass validation=(X_val, y_val) or "
            "validation='last-block'."
        )
    params = estimator.get_params(deep=False)
    if n_iter_no_change is None:
        n_iter_no_change = params.get("n_iter_no_change", 10)
    if tol is None:
        tol = params.get("tol", 1e-4)

    blocks, stream = _block_source(X, y, sample_weight, epochs)
    if stream is not None and shuffle:
        raise ValueError(
            "The blocks of an iterable or callable come in the order it yields "
            "them, which fit_blocks cannot shuffle: shuffle them in the source "
            "and pass shuffle=False, or pass a dask array or a list of blocks."
        )
    n_train = None if blocks is None else len(blocks)
    val = None
    if isinstance(validation, str):  # 'last-block'
        if blocks is None:
            raise ValueError(
                "validation='last-block' needs a dask array or a sequence of "
                "blocks; with an iterable or callable, pass validation=(X_val, "
                "y_val)."
            )
        if n_train < 2:
            raise ValueError(
                "validation='last-block' needs at least 2 blocks, got "
                f"{n_train}: one to hold out, at least one to train on."
            )
        n_train -= 1
        val = _block(blocks[n_train], "validation='last-block'")
    elif validation is not None:
        val = _block(validation, "validation")

    if classes is None and is_classifier(estimator):
        if not hasattr(estimator, "classes_"):
            classes = _find_classes(X, y, blocks)
    fit_params = {} if classes is None else {"classes": classes}

    rng = check_random_state(random_state)
    block_order = []

    def train_epoch(i):
        """partial_fit on every training block; the epoch's mean loss."""
        if blocks is None:
            order = None
            epoch_blocks = (_block(b, "each block") for b in stream())
        else:
            order = rng.permutation(n_train) if shuffle else np.arange(n_train)
            epoch_blocks = (_block(blocks[i], "each block") for i in order)
        total_loss, n_rows = 0.0, 0
        for block in epoch_blocks:
            weights = {} if len(block) == 2 else {"sample_weight": block[2]}
            try:
                estimator.partial_fit(block[0], block[1], **weights, **fit_params)
            except ValueError as error:
                if str(error).startswith("classes must be passed"):
                    raise ValueError(
                        f"{error} fit_blocks found none to pass: a callable "
                        "source is read once an epoch, not once more to find "
                        "them. Pass classes= to fit_blocks."
                    ) from None
                raise
            rows = len(block[1])
            total_loss += estimator.loss_ * rows
            n_rows += rows
            del block, weights  # release the block before computing the next
        if n_rows == 0:
            raise ValueError(f"The source of blocks yielded no data in epoch {i + 1}.")
        if order is not None and isinstance(blocks, _DaskBlocks):
            order = np.asarray(blocks.chunks)[order]  # X.blocks[i]'s i
        block_order.append(None if order is None else order.tolist())
        return total_loss / n_rows, n_rows

    def evaluate():
        return estimator.score(*val), np.nan

    # Everything that goes with the weights is kept for the best epoch (the
    # regressor's noise estimate, made on the epoch's last block, too). On an
    # error (a source that fails, a bad block), the estimator is left as it
    # was before the call, as after a failed fit.
    with fit_transaction(estimator, in_place=True), interrupts_propagate():
        epochs_run = run_epochs(
            train_epoch,
            history=History(),
            stopping=Stopping(
                None if val is None else "validation",
                tol=tol,
                n_iter_no_change=n_iter_no_change,
            ),
            max_epochs=epochs,
            evaluate=None if val is None else evaluate,
            snapshot=estimator._snapshot_weights,
        )
        if epochs_run.best_weights is not None:
            estimator._restore_weights(epochs_run.best_weights)
    history = Bunch(
        loss=epochs_run.loss,
        validation_score=epochs_run.validation_score or [],
        block_order=block_order,
        best_epoch=epochs_run.best_epoch,
    )
    return (estimator, history) if return_history else estimator


def _is_dask(obj):
    """Whether obj follows the dask collection protocol (no dask import needed)."""
    return hasattr(obj, "__dask_graph__")


def _block(parts, what):
    """Check a block of 2 or 3 aligned arrays; compute its dask parts together."""
    if not isinstance(parts, (tuple, list)) or len(parts) not in (2, 3):
        raise ValueError(
            f"{what} must be a pair (X, y) or a triple (X, y, sample_weight); got "
            f"{type(parts).__name__}"
            + (f" of length {len(parts)}." if isinstance(parts, (tuple, list)) else ".")
        )
    if any(_is_dask(p) for p in parts):
        import dask

        parts = dask.compute(*parts)
    if len(parts[1]) == 0:
        raise ValueError(
            f"{what} must hold at least one row; got a block of X of shape "
            f"{getattr(parts[0], 'shape', None)}."
        )
    return tuple(parts)


def _block_source(X, y, sample_weight, epochs):
    """Return (blocks, stream): an indexable of blocks, or a function returning a
    new iterator of blocks per epoch; the other is None."""
    if _is_dask(X):
        return _DaskBlocks(X, y, sample_weight), None
    if hasattr(X, "shape") or sp.issparse(X):
        raise TypeError(
            f"X is an in-memory array ({type(X).__name__}): train on it with "
            "estimator.fit, or wrap it in a dask array with row chunks, "
            "dask.array.from_array(X, chunks=(rows, -1)), to train by blocks."
        )
    if y is not None or sample_weight is not None:
        raise ValueError(
            "y and sample_weight are passed separately only with a dask array X; "
            "a sequence or iterable of blocks holds them in its blocks, as "
            "(X, y) or (X, y, sample_weight)."
        )
    if isinstance(X, (list, tuple)):
        if not X:
            raise ValueError("X is an empty sequence of blocks.")
        return X, None
    if callable(X):
        return None, X
    if not hasattr(X, "__iter__"):
        raise TypeError(
            "X must be a dask array, a sequence of blocks, an iterable of blocks "
            f"or a callable returning one; got {type(X).__name__}."
        )
    if iter(X) is X and epochs > 1:
        raise ValueError(
            f"X is an iterator, which can be read only once, and epochs={epochs}. "
            "Pass a function that returns a new iterator of blocks (it is called "
            "once per epoch), or a list of blocks."
        )
    return None, lambda: iter(X)


class _DaskBlocks:
    """The blocks of rows of aligned dask arrays, computed one at a time."""

    def __init__(self, X, y, sample_weight):
        import dask.array as da

        arrays = {"X": X, "y": y}
        if sample_weight is not None:
            arrays["sample_weight"] = sample_weight
        for name, array in arrays.items():
            if array is None:
                raise ValueError("y is required when X is a dask array.")
            if not isinstance(array, da.Array):
                raise TypeError(
                    f"{name} must be a dask array when X is one, got "
                    f"{type(array).__name__}. "
                    + (
                        "Convert a dask DataFrame with to_dask_array(lengths=True)."
                        if _is_dask(array)
                        else f"Wrap it with dask.array.from_array({name}, "
                        "chunks=X.chunks[0])."
                    )
                )
            if any(math.isnan(c) for c in array.chunks[0]):
                raise ValueError(
                    f"{name} has unknown chunk sizes along its rows; compute them "
                    f"with {name}.compute_chunk_sizes(), or convert a dask "
                    "DataFrame with to_dask_array(lengths=True)."
                )
        if X.ndim != 2:
            raise ValueError(f"X must be a 2-D dask array, got {X.ndim} dimension(s).")
        for name, array in arrays.items():
            if array.chunks[0] != X.chunks[0]:
                raise ValueError(
                    f"X and {name} must be chunked alike along the rows, so that "
                    f"block i of each holds the same samples; got X.chunks[0]="
                    f"{X.chunks[0]} and {name}.chunks[0]={array.chunks[0]}. "
                    f"Rechunk with {name}.rechunk({{0: X.chunks[0]}})."
                )
        # A block of rows in one piece along the other axes (lazily merged).
        self._arrays = [
            array.rechunk({axis: -1 for axis in range(1, array.ndim)})
            for array in arrays.values()
        ]
        # The blocks with rows: a filtered array has empty ones, left out.
        self.chunks = [i for i, rows in enumerate(X.chunks[0]) if rows > 0]

    def __len__(self):
        return len(self.chunks)

    def __getitem__(self, i):
        # As delayed objects: computing them gives each block as its task made
        # it, without the copy into a new array that computing X.blocks[i]
        # makes; computed together, the tasks they share run once.
        return [
            array.blocks[self.chunks[i]].to_delayed(optimize_graph=False).item()
            for array in self._arrays
        ]


def _find_classes(X, y, blocks):
    """All the labels of 1-D targets in one pass; None where partial_fit needs
    none (multilabel targets) or the source cannot be read twice."""
    if isinstance(blocks, _DaskBlocks):
        if y.ndim == 2 and y.shape[1] == 1:  # a column: the labels of 1-D y
            y = y[:, 0]
        if y.ndim != 1:
            return None
        import dask.array as da

        return da.unique(y).compute()
    if blocks is None:
        return None  # a callable: read once an epoch, not twice
    targets = [_block(b, "each block")[1] for b in blocks]
    if np.ndim(targets[0]) == 2 and np.shape(targets[0])[1] == 1:
        targets = [np.ravel(t) for t in targets]
    if np.ndim(targets[0]) != 1:
        return None
    return unique_labels(*targets)
