"""Where one fit's time goes, per minibatch: the training step, the optimizer's
step, gathering the rows, and what a fit does once (drawing the weights, checking
the fitted model), beside the matrix products alone.

It wraps skdropout's internals with timers, so it is tied to their names
(``TrainingStep.__call__`` and ``gather``, ``Update.__call__``, ``Trainer.epoch``,
``_initialize``, ``_finite_model``); the figures are those of
``benchmarks/README.md`` ("Where the time goes"). The best of ``--repeats`` fits
is kept, after one fit of warm-up.

Run ``python benchmarks/profile_fit.py --help`` for the options.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import time
import warnings
from collections import defaultdict

import numpy as np
from _common import N_FEATURES, make_X, matrix_products, teacher_classes
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skdropout import DropoutMLPClassifier, _update
from skdropout._base import BaseDropoutMLP
from skdropout._engine import Trainer
from skdropout._step import TrainingStep
from skdropout._update import Update

NETS = {"tiny": (100,), "small": (256,), "large": (1024, 1024)}


def _timed(owner, name, key, spent):
    """Replace ``owner.name`` by a wrapper adding its seconds to spent[key]."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[key] += time.perf_counter() - start

    setattr(owner, name, wrapper)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--net", choices=NETS, default="large")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--epochs", type=int, default=1, help="epochs per fit")
    parser.add_argument("--repeats", type=int, default=3, help="timed fits")
    parser.add_argument("--n-samples", type=int, default=20_000)
    parser.add_argument("--n-features", type=int, default=N_FEATURES)
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads")
    parser.add_argument(
        "--block-bytes",
        type=int,
        default=None,
        help="bytes per array in the update's cache blocks (default: "
        "_update.BLOCK_BYTES; a huge value updates whole spans at once)",
    )
    args = parser.parse_args(argv)
    threadpool_limits(limits=args.threads)
    if args.block_bytes is not None:
        _update.BLOCK_BYTES = args.block_bytes
    warnings.simplefilter("ignore", ConvergenceWarning)

    X = make_X(args.n_samples, n_features=args.n_features, dtype=args.dtype)
    y = teacher_classes(X)
    spent = defaultdict(float)
    _timed(TrainingStep, "__call__", "train_step", spent)
    _timed(Update, "__call__", "optimizer step", spent)
    _timed(TrainingStep, "gather", "gathering the rows", spent)
    _timed(Trainer, "epoch", "epoch loop", spent)
    _timed(BaseDropoutMLP, "_initialize", "drawing the weights", spent)
    _timed(BaseDropoutMLP, "_finite_model", "fitted-model check", spent)

    def fit():
        DropoutMLPClassifier(
            NETS[args.net], dropout=0.5, batch_size=args.batch_size,
            max_iter=args.epochs, tol=0.0, n_iter_no_change=np.inf, random_state=0,
        ).fit(X, y)  # fmt: skip

    fit()
    best = None
    for _ in range(args.repeats):
        spent.clear()
        start = time.perf_counter()
        fit()
        total = time.perf_counter() - start
        if best is None or total < best[0]:
            best = (total, dict(spent))
    total, parts = best
    n_batches = args.epochs * -(-args.n_samples // args.batch_size)
    products = matrix_products(
        [args.n_features, *NETS[args.net], 10], X, args.batch_size
    )
    products(1)  # warm-up
    floor = np.inf
    for _ in range(args.repeats):
        start = time.perf_counter()
        products(args.epochs)
        floor = min(floor, (time.perf_counter() - start) / n_batches)

    print(
        f"{args.net} net {NETS[args.net]}, batch {args.batch_size}, {args.dtype}, "
        f"{args.n_samples}x{args.n_features}, {args.epochs} epoch(s) per fit: "
        "milliseconds per minibatch, best of "
        f"{args.repeats} fits"
    )
    loop = parts.pop("epoch loop")
    inner = sum(
        parts[k] for k in ("train_step", "optimizer step", "gathering the rows")
    )
    rows = [("matrix products alone (the floor)", floor)]
    rows += [(name, parts[name] / n_batches) for name in
             ("train_step", "optimizer step", "gathering the rows")]  # fmt: skip
    rows.append(("rest of the epoch loop", (loop - inner) / n_batches))
    once = ("drawing the weights", "fitted-model check")
    rows += [(name, parts[name] / n_batches) for name in once]
    rest = total - loop - sum(parts[name] for name in once)
    rows.append(("rest of fit (validation...)", rest / n_batches))
    rows.append(("whole fit", total / n_batches))
    for name, seconds in rows:
        print(f"  {name:<36} {1e3 * seconds:8.3f}")
    print(f"  whole fit / floor: {total / n_batches / floor:.2f}")


if __name__ == "__main__":
    main()
