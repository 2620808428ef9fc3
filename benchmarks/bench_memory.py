"""Peak memory of skdropout's fit, predict and predict_proba as n_samples grows.

Each measurement runs in a fresh Python process, which makes X (float32,
n_samples x 784), fits the model if the method measured is not ``fit`` (on a small
separate training set), then measures one call:

- ``extra``: the peak of the memory allocated during the call, from ``tracemalloc``
  (NumPy reports its array buffers to it since NumPy 1.22), so X itself, made
  before, is not counted;
- ``output``: what the call returns (``predict``, ``predict_proba``) or, for
  ``fit``, what it leaves allocated (weights, optimizer state);
- ``extra - output``: the working memory. For prediction it should not grow with
  n_samples: the network runs over chunks of rows;
- ``RSS growth``: the peak resident set during the call less the resident set
  before it (Linux: ``VmHWM`` after resetting it through ``/proc/self/clear_refs``),
  which also sees memory that tracemalloc does not (BLAS buffers, fragmentation).

Run ``python benchmarks/bench_memory.py --help`` for the options.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import gc
import json
import subprocess
import sys
import time
import tracemalloc
import warnings

import numpy as np
from _common import machine_info, make_X, teacher_classes

MIB = 2**20
METHODS = ("fit", "predict", "predict_proba", "cv-fit")
N_TRAIN = 2000  # rows of the training set of the model that predicts

# Prediction's working memory counts as independent of n_samples when it grows by
# less than this many bytes per row: no array with one value per row is made
# besides the output.
MAX_BYTES_PER_ROW = 1.0


# -- the child process: one measurement ------------------------------------------


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _reset_peak_rss():
    """Reset the kernel's peak resident set (Linux >= 4.0); False if impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def measure_one(method, n_samples, hidden):
    """Measure one call in this process; return a dict of byte counts."""
    from sklearn.exceptions import ConvergenceWarning

    from skdropout import DropoutMLPClassifier, DropoutMLPClassifierCV

    warnings.simplefilter("ignore", ConvergenceWarning)
    X = make_X(n_samples, dtype=np.float32)
    model = DropoutMLPClassifier(
        hidden_layer_sizes=hidden, dropout=0.5, max_iter=1, random_state=0
    )
    if method == "cv-fit":
        # The CV classifier's defaults (5 folds, 4 candidates, their 20 fold
        # models open at once in the lockstep search), one epoch each.
        model = DropoutMLPClassifierCV(
            hidden_layer_sizes=hidden, max_iter=1, random_state=0
        )
    if method in ("fit", "cv-fit"):
        y = teacher_classes(X)

        def call():
            return model.fit(X, y)

    else:
        X_train = make_X(N_TRAIN, dtype=np.float32, seed=1)
        model.fit(X_train, teacher_classes(X_train))
        del X_train

        def call():
            return getattr(model, method)(X)

    gc.collect()
    rss_known = _reset_peak_rss()
    rss_before = _status_kib("VmRSS") if rss_known else 0
    tracemalloc.start()
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = (_status_kib("VmHWM") - rss_before) * 1024 if rss_known else None
    output = retained if method in ("fit", "cv-fit") else result.nbytes
    return {
        "method": method,
        "n_samples": n_samples,
        "X": X.nbytes,
        "output": output,
        "extra": peak,
        "rss_growth": rss_growth,
        "seconds": seconds,
    }


# -- the parent process: the table ------------------------------------------------


def run_child(method, n_samples, hidden):
    spec = json.dumps({"method": method, "n_samples": n_samples, "hidden": hidden})
    proc = subprocess.run(
        [sys.executable, __file__, "--child", spec],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.exit(f"The measurement {spec} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def mib(n_bytes):
    return "n/a" if n_bytes is None else f"{n_bytes / MIB:.1f}"


def print_header():
    print("  MiB, except n_samples and seconds; for fit, output = what fit leaves")
    print("  allocated (weights, optimizer state and the like)")
    print(
        f"  {'method':<14} {'n_samples':>9} {'X':>8} {'output':>8} {'extra':>8} "
        f"{'extra-output':>12} {'RSS growth':>10} {'seconds':>8}"
    )


def print_row(r):
    print(
        f"  {r['method']:<14} {r['n_samples']:>9} {mib(r['X']):>8} "
        f"{mib(r['output']):>8} {mib(r['extra']):>8} "
        f"{mib(r['extra'] - r['output']):>12} {mib(r['rss_growth']):>10} "
        f"{r['seconds']:8.2f}",
        flush=True,
    )


def print_verdicts(rows):
    """The working memory at each n_samples, and its growth per row between the
    two largest: a fixed offset at the smallest, where the chunks are few, does
    not count."""
    print("== Working memory (extra - output) against n_samples")
    for method in METHODS:
        mine = sorted(
            (r for r in rows if r["method"] == method), key=lambda r: r["n_samples"]
        )
        if len(mine) < 2:
            continue
        work = [r["extra"] - r["output"] for r in mine]
        sizes = [r["n_samples"] for r in mine]
        per_row = (work[-1] - work[-2]) / (sizes[-1] - sizes[-2])
        line = (
            f"  {method:<14} {', '.join(mib(w) for w in work)} MiB at "
            f"{', '.join(str(n) for n in sizes)} rows: {per_row:+.1f} bytes per row "
            "between the two largest"
        )
        if method in ("fit", "cv-fit"):
            line += " (informational)"
        else:
            mark = "PASS" if per_row < MAX_BYTES_PER_ROW else "MISS"
            line += f"; independent of n_samples: {mark}"
        print(line)
    print(
        f"  (PASS: less than {MAX_BYTES_PER_ROW:g} byte per row, that is no array "
        "with a value per row besides the output; the rows must exceed one "
        "prediction chunk, 2**21 values of the widest layer)"
    )


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--n-samples",
        type=int,
        nargs="+",
        default=[10_000, 50_000, 200_000],
        help="rows of X, one fresh process per value and method",
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        choices=METHODS,
        default=list(METHODS[:3]),
        help="cv-fit: DropoutMLPClassifierCV's fit with its defaults, one epoch "
        "a fold model (opt-in: it holds 20 networks and the folds' rows)",
    )
    parser.add_argument(
        "--hidden",
        type=int,
        nargs="+",
        default=[1024, 1024],
        help="hidden_layer_sizes of the model",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 10000, 40000 and 100000 rows, hidden_layer_sizes=(256,)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.n_samples, args.hidden = [10_000, 40_000, 100_000], [256]
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        spec = json.loads(args.child)
        result = measure_one(spec["method"], spec["n_samples"], tuple(spec["hidden"]))
        print(json.dumps(result))
        return

    print("== Machine")
    for line in machine_info():
        print("  " + line)
    print()
    print(
        f"== DropoutMLPClassifier(hidden_layer_sizes={tuple(args.hidden)}, "
        f"dropout=0.5), float32 X with 784 features, 10 classes; predicting "
        f"models fitted on {N_TRAIN} rows; fit: one epoch, adam, batch_size=200",
        flush=True,
    )
    if "cv-fit" in args.methods:
        print(
            "   cv-fit: DropoutMLPClassifierCV with the same hidden layers and its "
            "defaults otherwise (5 folds x 4 candidates in lockstep), one epoch each"
        )
    start = time.perf_counter()
    print_header()
    rows = []
    for method in args.methods:
        for n_samples in args.n_samples:
            rows.append(run_child(method, n_samples, args.hidden))
            print_row(rows[-1])
    print()
    print_verdicts(rows)
    print()
    print(f"Total time: {time.perf_counter() - start:.0f} s.")


if __name__ == "__main__":
    main()
