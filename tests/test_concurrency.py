"""Prediction from many threads at once on one fitted estimator.

predict, predict_proba, predict_log_proba, predict_mc and the regressor's
predict(X, return_std=True) keep no state on the estimator (each call makes its
own buffers and, for Monte Carlo passes, its own generator), so 8 threads started
together by a barrier, over several rounds, must get exactly the single-threaded
results. Prediction runs in small row chunks here and Python switches threads
often, so that the threads interleave inside the calls."""

import pickle
import sys
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import skdropout._prediction as prediction
from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

N_THREADS = 8
N_ROUNDS = 4


@pytest.fixture(autouse=True)
def interleave(monkeypatch):
    """Chunks of 64 rows (for a layer of 32 units) and a thread switch every
    microsecond; one BLAS thread per Python thread, on a small machine."""
    monkeypatch.setattr(prediction, "_PREDICT_CHUNK_VALUES", 64 * 32)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    with threadpool_limits(1):
        yield
    sys.setswitchinterval(interval)


def _fitted(Estimator, sparse):
    make = make_classification if Estimator is DropoutMLPClassifier else make_regression
    X, y = make(n_samples=600, n_features=10, random_state=0)
    X = StandardScaler().fit_transform(X)
    if Estimator is DropoutMLPRegressor:
        y = y / y.std()
    if sparse:
        X[np.abs(X) < 0.8] = 0.0
        X = sp.csr_matrix(X)
    est = Estimator(hidden_layer_sizes=(32, 16), dropout=0.3, input_dropout=0.1,
                    mc_passes=5, max_iter=5, random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return est.fit(X, y), X


def _methods(est):
    """Each prediction method as a function of X."""
    methods = {
        "predict": est.predict,
        "predict_mc": lambda X: est.predict_mc(X, n_passes=3),
        "predict_mc_seeded": lambda X: est.predict_mc(X, n_passes=2, random_state=7),
    }
    if isinstance(est, DropoutMLPClassifier):
        methods["predict_proba"] = est.predict_proba
        methods["predict_log_proba"] = est.predict_log_proba
    else:
        methods["predict_return_std"] = lambda X: np.stack(
            est.predict(X, return_std=True)
        )
    return methods


def _run_together(tasks):
    """Run ``tasks[i]()`` in thread i, all released at once by a barrier, for
    N_ROUNDS rounds; return each thread's list of results."""
    barrier = threading.Barrier(len(tasks))

    def worker(task):
        results = []
        for _ in range(N_ROUNDS):
            barrier.wait()
            results.append(task())
        return results

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        return list(pool.map(worker, tasks))


CASES = [
    pytest.param(DropoutMLPClassifier, False, id="classifier-dense"),
    pytest.param(DropoutMLPClassifier, True, id="classifier-sparse"),
    pytest.param(DropoutMLPRegressor, False, id="regressor-dense"),
    pytest.param(DropoutMLPRegressor, True, id="regressor-sparse"),
]


def _shuffled(X, n):
    """n row permutations of X: inputs of one shape and different contents, so
    that a buffer shared between calls would show."""
    rng = np.random.RandomState(0)
    return [X[rng.permutation(X.shape[0])] for _ in range(n)]


@pytest.mark.parametrize("Estimator, sparse", CASES)
def test_each_method_from_eight_threads(Estimator, sparse):
    """Each prediction method, from 8 threads at once on inputs of one shape,
    gives exactly its single-threaded result in every thread and round."""
    est, X = _fitted(Estimator, sparse)
    inputs = _shuffled(X, N_THREADS)
    for name, method in _methods(est).items():
        expected = [method(X_i) for X_i in inputs]
        tasks = [partial(method, X_i) for X_i in inputs]
        for thread, wanted in zip(_run_together(tasks), expected):
            for result in thread:
                assert_array_equal(result, wanted, err_msg=name)


@pytest.mark.parametrize("Estimator, sparse", CASES)
def test_all_methods_mixed_from_eight_threads(Estimator, sparse):
    """All the prediction methods at once, thread i running method i (cycling)
    on its own input, give exactly the single-threaded results."""
    est, X = _fitted(Estimator, sparse)
    methods = list(_methods(est).values())
    tasks = [
        partial(methods[i % len(methods)], X_i)
        for i, X_i in enumerate(_shuffled(X, N_THREADS))
    ]
    expected = [task() for task in tasks]
    for thread, wanted in zip(_run_together(tasks), expected):
        for result in thread:
            assert_array_equal(result, wanted)


def test_prediction_leaves_the_estimator_unchanged():
    """Concurrent prediction does not touch the training generator or any
    fitted attribute: training continues as if nothing had been predicted."""
    est, X = _fitted(DropoutMLPClassifier, False)
    twin = pickle.loads(pickle.dumps(est))
    _run_together([partial(m, X) for m in _methods(est).values()] * 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est.partial_fit(X, est.predict(X))
        twin.partial_fit(X, twin.predict(X))
    for a, b in zip(est.coefs_, twin.coefs_):
        assert_array_equal(a, b)
