"""Soak test: memory over many partial_fit, predict and predict_proba calls.

A long-lived service trains a model in small steps (``partial_fit`` on each new
batch) and answers ``predict`` and ``predict_proba`` calls one small batch at a
time, for days. Memory that grows a little on every call then ends the process.
One ``DropoutMLPClassifier((64,), dropout=0.5)`` gets 10,000 ``partial_fit`` calls
of 32 rows, then 10,000 rounds of one ``predict`` and one ``predict_proba`` call
on 32 rows. Every 1,000 calls (after ``gc.collect()``) it reports:

- ``traced``: the memory allocated and still held, from ``tracemalloc`` (NumPy
  reports its array buffers to it), and ``peak``: its highest value since the
  previous report;
- ``RSS``: the resident set (Linux: ``VmRSS`` of ``/proc/self/status``; elsewhere
  ``resource``'s peak resident set, which can only grow), which also sees what
  tracemalloc does not (BLAS buffers, the allocator's slack);
- ``history``: what the model's per-call records hold (``loss_curve_`` gains one
  value per ``partial_fit`` call, as in scikit-learn's MLP): growth by design.

Then, with tracemalloc off, the time per call of this model and of a fresh one,
taking turns: a cost that grows with the calls made shows as a ratio above 1.

Memory counts as flat when, between the call at a fifth of the run (the 2,000th)
and the last, the traced memory grows by less than ``--max-traced-kib`` beyond the
history's growth and the RSS by less than ``--max-rss-mib``. The PASS/MISS marks
are information: the script exits 0 whatever it finds. The times per call include
tracemalloc's overhead. Run ``python benchmarks/bench_soak.py --help`` for the
options.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import gc
import sys
import time
import tracemalloc
import warnings
from dataclasses import dataclass

import numpy as np
from _common import machine_info, make_X, teacher_classes

KIB, MIB = 2**10, 2**20
N_FEATURES = 20
N_CLASSES = 5
BATCH = 32
POOL = 4096  # rows the batches cycle through


def rss_bytes():
    """The resident set now (Linux), else the peak resident set so far."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * KIB
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * KIB  # bytes on macOS


def history_bytes(model):
    """What the model's lists of per-call records hold (list and values)."""
    total = 0
    for value in vars(model).values():
        if isinstance(value, list) and value and np.isscalar(value[0]):
            total += sys.getsizeof(value) + sum(sys.getsizeof(v) for v in value)
    return total


@dataclass
class Point:
    calls: int
    traced: int
    peak: int
    rss: int
    history: int
    seconds: float


def run_phase(name, calls, every, step, model):
    """Call ``step(i)`` for i in range(calls); a Point every ``every`` calls."""
    print(f"== {name}")
    print(f"  {'calls':>6} {'traced MiB':>11} {'peak MiB':>9} {'RSS MiB':>8} "
          f"{'history KiB':>12} {'ms/call':>8}")  # fmt: skip
    points = []
    tracemalloc.reset_peak()
    start = time.perf_counter()
    for i in range(calls):
        step(i)
        if (i + 1) % every == 0:
            elapsed = time.perf_counter() - start
            gc.collect()
            traced, peak = tracemalloc.get_traced_memory()
            point = Point(i + 1, traced, peak, rss_bytes(), history_bytes(model),
                          elapsed)  # fmt: skip
            points.append(point)
            print(f"  {point.calls:>6} {traced / MIB:>11.3f} {peak / MIB:>9.3f} "
                  f"{point.rss / MIB:>8.1f} {point.history / KIB:>12.1f} "
                  f"{1000 * elapsed / every:>8.3f}", flush=True)  # fmt: skip
            tracemalloc.reset_peak()
            start = time.perf_counter()
    print()
    return points


def verdict(name, points, max_traced, max_rss):
    """Growth from the point at a fifth of the run to the last; PASS or MISS."""
    first = next(p for p in points if p.calls >= points[-1].calls // 5)
    last = points[-1]
    traced = last.traced - first.traced
    history = last.history - first.history
    rss = last.rss - first.rss
    flat = traced - history < max_traced and rss < max_rss
    per_call = (traced - history) / (last.calls - first.calls)
    every = points[0].calls
    print(f"  {name}, calls {first.calls} to {last.calls}: traced "
          f"{traced / KIB:+.1f} KiB (history {history / KIB:+.1f} KiB, the rest "
          f"{(traced - history) / KIB:+.1f} KiB, {per_call:+.2f} bytes per call), "
          f"RSS {rss / MIB:+.2f} MiB: {'PASS' if flat else 'MISS'} (flat); "
          f"{1000 * first.seconds / every:.2f} then {1000 * last.seconds / every:.2f} "
          "ms per call")  # fmt: skip


def time_per_call(models, step, rounds=7, calls=30):
    """Median seconds per ``step(model, i)`` call of each model, tracemalloc off,
    the models taking turns so that a busy spell on the machine hits them alike."""
    times = [[] for _ in models]
    for _ in range(rounds):
        for model, out in zip(models, times):
            start = time.perf_counter()
            for i in range(calls):
                step(model, i)
            out.append((time.perf_counter() - start) / calls)
    return [float(np.median(t)) for t in times]


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--calls", type=int, default=10_000,
                        help="partial_fit calls, then predict rounds")  # fmt: skip
    parser.add_argument("--every", type=int, default=1_000,
                        help="calls between two reports")  # fmt: skip
    parser.add_argument("--max-traced-kib", type=float, default=64.0,
                        help="flat: traced growth beyond the history")  # fmt: skip
    parser.add_argument("--max-rss-mib", type=float, default=4.0,
                        help="flat: RSS growth")  # fmt: skip
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1,000 calls, a report every 100")  # fmt: skip
    args = parser.parse_args(argv)
    if args.quick:
        args.calls, args.every = 1_000, 100
    return args


def main(argv=None):
    from sklearn.base import clone
    from sklearn.exceptions import ConvergenceWarning

    from skdropout import DropoutMLPClassifier

    args = parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    print("== Machine")
    for line in machine_info():
        print("  " + line)
    print()
    X = make_X(POOL, n_features=N_FEATURES)
    y = teacher_classes(X, n_classes=N_CLASSES)
    batches = [slice(start, start + BATCH) for start in range(0, POOL, BATCH)]
    classes = np.arange(N_CLASSES)
    model = DropoutMLPClassifier(hidden_layer_sizes=(64,), dropout=0.5,
                                 random_state=0)  # fmt: skip
    print(f"== {model!r}: {N_FEATURES} float64 features, {N_CLASSES} classes, "
          f"{BATCH} rows per call, cycling through {POOL} rows")  # fmt: skip
    print()
    model.partial_fit(X[batches[0]], y[batches[0]], classes=classes)  # warm-up
    model.predict_proba(X[batches[0]])

    def train_step(est, i):
        rows = batches[i % len(batches)]
        est.partial_fit(X[rows], y[rows])

    def predict_step(est, i):
        rows = batches[i % len(batches)]
        est.predict(X[rows])
        est.predict_proba(X[rows])

    tracemalloc.start()
    start = time.perf_counter()
    training = run_phase(f"Training: {args.calls} partial_fit calls", args.calls,
                         args.every, lambda i: train_step(model, i), model)  # fmt: skip
    predicting = run_phase(f"Predicting: {args.calls} rounds of predict and "
                           "predict_proba", args.calls, args.every,
                           lambda i: predict_step(model, i), model)  # fmt: skip
    tracemalloc.stop()

    print(f"== Flat? traced growth beyond the history < {args.max_traced_kib:g} KiB "
          f"and RSS growth < {args.max_rss_mib:g} MiB")  # fmt: skip
    max_traced, max_rss = args.max_traced_kib * KIB, args.max_rss_mib * MIB
    verdict("training", training, max_traced, max_rss)
    verdict("predicting", predicting, max_traced, max_rss)
    print()

    fresh = clone(model).partial_fit(X[batches[0]], y[batches[0]], classes=classes)
    print(f"== Time per call, tracemalloc off: a fresh model (1 partial_fit call) "
          f"and this one (over {args.calls} calls), taking turns")  # fmt: skip
    for name, step in (("partial_fit", train_step), ("predict+proba", predict_step)):
        new, old = time_per_call([fresh, model], step)
        print(f"  {name:<14} {1000 * new:.2f} ms fresh, {1000 * old:.2f} ms this "
              f"one: x{old / new:.2f}")  # fmt: skip
    print()
    print(f"Total time: {time.perf_counter() - start:.0f} s.")


if __name__ == "__main__":
    main()
