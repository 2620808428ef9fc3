"""
==========================================
Grid-searching dropout on a Dask cluster
==========================================

:class:`~sklearn.model_selection.GridSearchCV` runs its fits through joblib, and
joblib's ``"dask"`` backend sends them to the workers of a Dask cluster. Nothing
in the search changes: the same estimator, grid and ``cv`` give the same scores,
bit for bit, as the search run in one process, because each fit is seeded by
``random_state`` and not by where it runs.

Here the cluster is a :class:`distributed.LocalCluster` on this machine's
loopback interface, one single-threaded worker process per core; against a
remote cluster only the ``Client(...)`` line changes. Run it with::

    pip install "skdropout[distributed]"
    python examples/distributed_grid_search.py

It runs the search twice, on the cluster and then in this process, and prints
both wall-clock times. (This script is shown in the gallery but not run there:
it starts worker processes.)
"""

# %%
# Threads: one per core, not one per core per worker
# ---------------------------------------------------
# Each fit spends its time in matrix products, which NumPy hands to a BLAS
# library (OpenBLAS or MKL) that starts one thread per core by default. With
# several workers on a machine, each running such fits, the threads outnumber
# the cores: they compete for them and everything slows down
# (oversubscription). The cure is one BLAS thread per worker thread:
#
# - worker *processes* started by a nanny (``LocalCluster(processes=True)``, the
#   default, or ``dask worker`` on a remote machine) get ``OMP_NUM_THREADS=1``,
#   ``OPENBLAS_NUM_THREADS=1`` and ``MKL_NUM_THREADS=1`` before they import
#   NumPy (dask's ``distributed.nanny.pre-spawn-environ`` setting), so start one
#   worker per core with ``threads_per_worker=1``;
# - workers without a nanny can be limited after the fact with
#   ``client.run(limit_blas)``, ``limit_blas`` calling
#   ``threadpoolctl.threadpool_limits(1)``;
# - in-process workers (``LocalCluster(processes=False)``) share this process's
#   BLAS: wrap the search in ``with threadpoolctl.threadpool_limits(1):``.
#
# The script below checks the first point: it asks every worker how many
# threads its BLAS uses.

import os
import time

import joblib
import numpy as np
from distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info

from skdropout import DropoutMLPClassifier


def blas_threads():
    """The number of threads of each BLAS library loaded in this process."""
    return [pool["num_threads"] for pool in threadpool_info()]


def make_search():
    pipe = make_pipeline(
        StandardScaler(),
        DropoutMLPClassifier(
            hidden_layer_sizes=(128,), early_stopping=True, random_state=0
        ),
    )
    grid = {
        "dropoutmlpclassifier__dropout": [0, 0.2, 0.5],
        "dropoutmlpclassifier__input_dropout": [0, 0.2],
    }
    return GridSearchCV(pipe, grid, cv=5)


# %%
# The search, on the cluster and in one process
# ---------------------------------------------
# Worker processes are started by importing this script again, hence the
# ``if __name__ == "__main__":`` guard.

if __name__ == "__main__":
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    n_cores = (
        len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count()
    )
    with (
        LocalCluster(
            n_workers=n_cores,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",  # reachable from this machine only
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        Client(cluster) as client,
    ):
        print(f"{n_cores} workers; BLAS threads per worker:")
        for worker, threads in client.run(blas_threads).items():
            print(f"  {worker}: {threads}")

        start = time.perf_counter()
        with joblib.parallel_config(backend="dask"):
            on_dask = make_search().fit(X_train, y_train)
        dask_seconds = time.perf_counter() - start

    start = time.perf_counter()
    sequential = make_search().fit(X_train, y_train)
    sequential_seconds = time.perf_counter() - start

    # The results, and the check that they are the sequential search's.
    results = on_dask.cv_results_
    print("\ndropout  input_dropout  CV accuracy  CV std  rank")
    for params, mean, std, rank in zip(
        results["params"],
        results["mean_test_score"],
        results["std_test_score"],
        results["rank_test_score"],
    ):
        print(
            f"{params['dropoutmlpclassifier__dropout']:>7}  "
            f"{params['dropoutmlpclassifier__input_dropout']:>13}  "
            f"{mean:11.4f}  {std:6.4f}  {rank:4d}"
        )
    print(f"\nbest parameters: {on_dask.best_params_}")
    test_accuracy = on_dask.score(X_test, y_test)
    print(f"test accuracy of the refitted best model: {test_accuracy:.4f}")
    same = np.array_equal(
        on_dask.cv_results_["mean_test_score"],
        sequential.cv_results_["mean_test_score"],
    )
    print(f"same scores as the search in one process: {same}")
    print(
        f"wall-clock time: {dask_seconds:.1f} s on the cluster, "
        f"{sequential_seconds:.1f} s in one process"
    )
