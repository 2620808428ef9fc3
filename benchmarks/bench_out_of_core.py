"""Out-of-core training: fit_blocks on a data set several times larger than the
memory the process may use.

The data set is a lazy dask array of float32 features, each block drawn from a
generator seeded by the block's index, with labels from a fixed random linear
teacher plus noise, so it is never stored anywhere. A child process caps its own
address space with ``resource.setrlimit(RLIMIT_AS)`` (every byte it maps counts:
the interpreter, the libraries, the thread stacks, the blocks), checks that the
whole data set cannot be allocated under that cap, then trains a
``DropoutMLPClassifier`` on it with ``fit_blocks`` (the last block held out for
validation) and reports its peak resident memory (``getrusage().ru_maxrss``)
against the data set's size.

The child runs with one BLAS thread (``OPENBLAS_NUM_THREADS=1`` and the like):
the matrices of a minibatch are small, and a multithreaded BLAS only waits on
its threads, the more so on a loaded machine.

Run from the repository's root (Linux; dask needed: ``pip install
"skdropout[distributed]"``)::

    python benchmarks/bench_out_of_core.py            # 6 GiB under a 1 GiB cap
    python benchmarks/bench_out_of_core.py --help     # the options

The default run takes one to two minutes on two cores.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from importlib.metadata import version

GIB = 2**30
MIB = 2**20
N_CLASSES = 10


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--gib", type=float, default=6.0, help="data set size in GiB (default 6)"
    )
    parser.add_argument(
        "--cap-gib",
        type=float,
        default=1.0,
        help="address-space cap of the training process in GiB (default 1)",
    )
    parser.add_argument(
        "--block-mib", type=float, default=64.0, help="block size in MiB (default 64)"
    )
    parser.add_argument("--features", type=int, default=100, help="default 100")
    parser.add_argument("--epochs", type=int, default=2, help="default 2")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def lazy_data(n_blocks, rows, n_features):
    """A (n_blocks * rows, n_features) float32 dask array and its labels, each
    block computed from its index alone."""
    import dask.array as da
    import numpy as np

    teacher = np.random.default_rng(0).standard_normal((n_features, N_CLASSES))
    teacher = (teacher / np.sqrt(n_features)).astype(np.float32)

    def features(block_info=None):
        block = block_info[None]["chunk-location"][0]
        rng = np.random.default_rng([1, block])
        return rng.standard_normal((rows, n_features), dtype=np.float32)

    def labels(X_block, block_info=None):
        block = block_info[None]["chunk-location"][0]
        noise = np.random.default_rng([2, block]).standard_normal(
            (rows, N_CLASSES), dtype=np.float32
        )
        return (X_block @ teacher + 0.5 * noise).argmax(axis=1)

    X = da.map_blocks(
        features,
        chunks=((rows,) * n_blocks, (n_features,)),
        dtype=np.float32,
        meta=np.empty((0, 0), np.float32),
    )
    y = X.map_blocks(labels, drop_axis=1, dtype=np.int64)
    return X, y


def vm_status():
    """Peak address space and peak resident set of this process, in bytes."""
    status = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmPeak", "VmHWM"):
                status[key] = int(value.split()[0]) * 1024
    return status


def child(args):
    """Train under the cap and print one JSON line of measurements."""
    cap = int(args.cap_gib * GIB)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))  # before any import

    import numpy as np

    from skdropout import DropoutMLPClassifier, fit_blocks

    rows = int(args.block_mib * MIB) // (4 * args.features)
    n_blocks = max(2, round(args.gib * GIB / (rows * 4 * args.features)))
    X, y = lazy_data(n_blocks, rows, args.features)
    after_imports = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    try:  # maps the addresses without touching the pages: RSS does not grow
        np.empty(X.shape, X.dtype)
        fits_in_memory = True
    except MemoryError:
        fits_in_memory = False

    clf = DropoutMLPClassifier(
        hidden_layer_sizes=(64,), dropout=0.2, batch_size=200, random_state=0
    )
    start = time.perf_counter()
    clf, history = fit_blocks(
        clf, X, y, epochs=args.epochs, classes=np.arange(N_CLASSES),
        validation="last-block", random_state=0, return_history=True,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    result = {
        "rows": int(X.shape[0]),
        "block_rows": rows,
        "n_blocks": n_blocks,
        "block_bytes": rows * args.features * 4,
        "data_bytes": int(X.nbytes),
        "cap_bytes": cap,
        "fits_in_memory": fits_in_memory,
        "rss_after_imports": after_imports,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        **vm_status(),
        "seconds": seconds,
        "epochs": len(history.loss),
        "loss": history.loss,
        "validation_score": history.validation_score,
    }
    print(json.dumps(result))


def main(args):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _common import machine_info

    env = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"
    env["MALLOC_ARENA_MAX"] = "2"  # glibc reserves 64 MiB of addresses per arena
    command = [sys.executable, os.path.abspath(__file__), "--child"]
    command += [
        f"--gib={args.gib}", f"--cap-gib={args.cap_gib}",
        f"--block-mib={args.block_mib}", f"--features={args.features}",
        f"--epochs={args.epochs}",
    ]  # fmt: skip
    for line in machine_info():
        print(line)
    print(f"dask {version('dask')}")
    print("training process: one BLAS thread, MALLOC_ARENA_MAX=2\n")
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"the training process failed:\n{done.stderr}")
    r = json.loads(done.stdout.strip().splitlines()[-1])

    data, cap, block = r["data_bytes"], r["cap_bytes"], r["block_bytes"]
    print(
        f"data set: {data / GIB:.2f} GiB, {r['rows']:,} rows x {args.features} "
        f"float32 features, in {r['n_blocks']} blocks of {block / MIB:.1f} MiB "
        "(the last held out for validation)"
    )
    print(
        f"address-space cap (RLIMIT_AS): {cap / GIB:.2f} GiB; the data set is "
        f"{data / cap:.1f} times the cap; allocating it in the training process "
        + ("succeeded (the cap does not bind!)" if r["fits_in_memory"] else "fails")
    )
    print(
        f"peak RSS: {r['peak_rss'] / MIB:.0f} MiB = {r['peak_rss'] / data:.1%} of "
        f"the data set (after imports: {r['rss_after_imports'] / MIB:.0f} MiB; "
        f"training added {(r['peak_rss'] - r['rss_after_imports']) / block:.1f} "
        f"blocks); peak address space: {r['VmPeak'] / GIB:.2f} GiB"
    )
    rows_trained = (r["n_blocks"] - 1) * r["block_rows"] * r["epochs"]
    print(
        f"time: {r['seconds']:.1f} s for {r['epochs']} epoch(s), "
        f"{rows_trained / r['seconds']:,.0f} rows/s"
    )
    for epoch, (loss, score) in enumerate(
        zip(r["loss"], r["validation_score"]), start=1
    ):
        print(f"epoch {epoch}: loss {loss:.4f}, validation accuracy {score:.4f}")


if __name__ == "__main__":
    arguments = parse_args()
    child(arguments) if arguments.child else main(arguments)
