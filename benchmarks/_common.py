"""What the benchmark scripts share: synthetic data and a description of the machine.

Not a benchmark itself; ``bench_speed.py`` and ``bench_memory.py`` import it (they
run as scripts, so this folder is on ``sys.path``).
"""

# SPDX-License-Identifier: BSD-3-Clause

import os
import platform
import sys
from importlib.metadata import PackageNotFoundError, version

import numpy as np
from sklearn.utils import gen_batches

N_FEATURES = 784  # as many as MNIST's pixels
N_CLASSES = 10
N_OUTPUTS = 3  # regression targets


def make_X(n_samples, n_features=N_FEATURES, dtype=np.float64, seed=0):
    """Standard normal features, drawn directly in ``dtype`` (no float64 copy)."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n_samples, n_features), dtype=dtype)


def teacher_classes(X, n_classes=N_CLASSES, seed=1):
    """Labels 0..n_classes-1 from a fixed random linear teacher plus noise."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((X.shape[1], n_classes)).astype(X.dtype)
    logits = X @ W / np.sqrt(X.shape[1])
    logits += 0.5 * rng.standard_normal(logits.shape).astype(X.dtype)
    return logits.argmax(axis=1)


def teacher_targets(X, n_outputs=N_OUTPUTS, seed=2):
    """Continuous targets of shape (n_samples, n_outputs), in X's dtype: a fixed
    random linear teacher plus noise, with unit variance."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((X.shape[1], n_outputs)).astype(X.dtype)
    Y = X @ W / np.sqrt(X.shape[1])
    Y += 0.1 * rng.standard_normal(Y.shape).astype(X.dtype)
    return Y


def _version(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info(torch=None):
    """Lines describing the machine, the library versions and the thread pools.

    Pass the imported ``torch`` module, if any, so its threads are reported too.
    """
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    lines = [
        f"python {platform.python_version()} on {platform.platform()}",
        f"cpu: {_cpu_model()}; {os.cpu_count()} logical cores, {usable} usable",
    ]
    if hasattr(os, "getloadavg"):
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        lines.append(f"load average (1, 5, 15 min) at start: {load}")
    names = ["numpy", "scipy", "scikit-learn", "skdropout", "threadpoolctl"]
    lines.append("versions: " + ", ".join(f"{n} {_version(n)}" for n in names))
    if torch is not None:
        lines.append(
            f"torch {torch.__version__}: {torch.get_num_threads()} intra-op threads"
        )
    env = [
        f"{k}={os.environ[k]}"
        for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
        if k in os.environ
    ]
    lines.append("thread variables: " + (", ".join(env) if env else "none set"))
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        lines.append("thread pools: threadpoolctl not installed")
    else:
        for pool in threadpool_info():
            details = [
                f"{pool.get('internal_api')} {pool.get('version') or ''}".strip(),
                f"{pool.get('num_threads')} threads",
            ]
            for key in ("threading_layer", "architecture"):
                if pool.get(key):
                    details.append(f"{key} {pool[key]}")
            lib = os.path.basename(pool.get("filepath", ""))
            lines.append(f"thread pool: {', '.join(details)} ({lib})")
    lines.append(f"command: {' '.join([os.path.basename(sys.executable)] + sys.argv)}")
    return lines


def matrix_products(units, X, batch_size):
    """The floor of a training epoch: a function of a number of epochs that runs
    their matrix products alone, on preallocated arrays. Per minibatch and layer:
    the forward ``A @ W``, the backward ``A.T @ dZ`` and, except for the first
    layer, ``dZ @ W.T``, each into its output with ``np.matmul(..., out=...)``."""
    rng = np.random.default_rng(0)
    dtype = X.dtype
    coefs = [
        (rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)).astype(dtype)
        for fan_in, fan_out in zip(units[:-1], units[1:])
    ]
    coef_grads = [np.empty_like(c) for c in coefs]
    batches = list(gen_batches(X.shape[0], batch_size))

    # Buffers per distinct minibatch size (the last minibatch may be smaller):
    # Z[i] the output of layer i + 1, dZ[i] the error there (fixed values: only
    # the time matters), dA[i] the error back-propagated to layer i.
    def buffers(rows):
        return {
            "Z": [np.empty((rows, u), dtype) for u in units[1:]],
            "dZ": [
                (0.1 * rng.standard_normal((rows, u))).astype(dtype) for u in units[1:]
            ],
            "dA": [None] + [np.empty((rows, u), dtype) for u in units[1:-1]],
        }

    by_rows = {rows: buffers(rows) for rows in {b.stop - b.start for b in batches}}

    def train(n_epochs):
        for _ in range(n_epochs):
            for batch in batches:
                buf = by_rows[batch.stop - batch.start]
                inputs = [X[batch], *buf["Z"][:-1]]
                for i, coef in enumerate(coefs):
                    np.matmul(inputs[i], coef, out=buf["Z"][i])
                for i in range(len(coefs) - 1, -1, -1):
                    np.matmul(inputs[i].T, buf["dZ"][i], out=coef_grads[i])
                    if i > 0:
                        np.matmul(buf["dZ"][i], coefs[i].T, out=buf["dA"][i])

    return train
