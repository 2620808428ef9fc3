"""Training speed of skdropout against the GEMM floor, scikit-learn and PyTorch.

For each configuration (network, task, batch size, dtype) four contenders train for
a few epochs on the same synthetic data:

- ``skdropout``: ``DropoutMLPClassifier`` / ``DropoutMLPRegressor`` with
  ``dropout=0.5``, adam;
- ``floor``: the matrix products of the same epochs alone, on preallocated arrays:
  per minibatch and layer the forward ``A @ W``, the backward ``A.T @ dZ`` and,
  except for the first layer, ``dZ @ W.T``, each into its output with
  ``np.matmul(..., out=...)``; what a NumPy MLP cannot avoid;
- ``sklearn``: ``MLPClassifier`` / ``MLPRegressor``, same network and batch size,
  no dropout;
- ``torch``: a plain PyTorch CPU loop over ``nn.Sequential(Linear, ReLU,
  Dropout(0.5), ..., Linear)`` with Adam, when torch imports.

The contenders take turns (round-robin, the starting one rotating) over several
rounds after an uncounted warm-up round, so that a slow drift of the machine's
speed touches all of them alike. Two BLAS threads on two cores slow down many
times over when another process takes a core, so every run reads ``/proc/stat``:
a run during which other processes kept a core busy is run again once the machine
is quiet, within a budget of waiting, and if still disturbed is kept but left out
of the figures whenever quiet runs exist. Reported: the median seconds per epoch
of each contender, and ratios, each the median over rounds of the ratio within a
round. The run always exits 0: the PASS/MISS marks of the goals are information.

Run ``python benchmarks/bench_speed.py --help`` for the options.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import fnmatch
import gc
import itertools
import os
import statistics
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
from _common import (
    N_CLASSES,
    N_FEATURES,
    N_OUTPUTS,
    machine_info,
    make_X,
    matrix_products,
    teacher_classes,
    teacher_targets,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from threadpoolctl import threadpool_limits

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

try:
    import torch
except ImportError:
    torch = None

try:
    import resource
except ImportError:  # Windows: the load of other processes is not checked
    resource = None

# "tiny" is the network of a typical tabular problem; time it on few features with
# --configs 'tiny-*' --n-features 20 --n-samples 10000. It is not in the default
# run, whose data has 784 features.
NETS = {"tiny": (100,), "small": (256,), "large": (1024, 1024)}
TASKS = ("clf", "reg")
BATCH_SIZES = (200, 1024)
DTYPES = {"f32": np.float32, "f64": np.float64}
CONTENDERS = ("floor", "skdropout", "sklearn", "torch")
DROPOUT = 0.5
ALPHA = 1e-4  # scikit-learn's default L2 penalty, used by all contenders
LEARNING_RATE = 1e-3
NEVER = 10**9  # n_iter_no_change that never stops a fit early

# Epochs per contender per round when --epochs is not given: a round of the small
# network is short, so it trains longer to keep the timer's relative error small.
DEFAULT_EPOCHS = {"tiny": 10, "small": 3, "large": 1}


@dataclass(frozen=True)
class Config:
    net: str
    task: str
    batch_size: int
    dtype: str

    @property
    def name(self):
        return f"{self.net}-{self.task}-b{self.batch_size}-{self.dtype}"

    @property
    def hidden(self):
        return NETS[self.net]


ALL_CONFIGS = [
    Config(*values) for values in itertools.product(NETS, TASKS, BATCH_SIZES, DTYPES)
]
# Regression is timed on the small network only unless asked for: the large
# network's hidden layers cost the same whatever the output.
DEFAULT_PATTERNS = ["small-*", "large-clf-*"]

# The goals of the speed issue: (label, contender in the denominator, target,
# which configurations it is judged on).
GOALS = [
    ("large net, f32, vs floor", "floor", 1.10, "large-*-f32"),
    ("small net, f32, vs floor", "floor", 1.25, "small-*-f32"),
    ("vs PyTorch CPU", "torch", 0.70, "*"),
    ("vs scikit-learn, f64", "sklearn", 0.85, "*-f64"),
    ("vs scikit-learn, f32", "sklearn", 0.85, "*-f32"),
]


# -- the contenders -------------------------------------------------------------
# Each factory takes the configuration and its data and returns a function of the
# number of epochs that trains from scratch and returns the seconds it took and
# the load of other processes meanwhile.


def _timed(train):
    def run(n_epochs):
        gc.collect()
        before = cpu_snapshot()
        start = time.perf_counter()
        train(n_epochs)
        seconds = time.perf_counter() - start
        return seconds, foreign_load(before, cpu_snapshot())

    return run


def _estimator_params(cfg, n_epochs):
    return dict(
        hidden_layer_sizes=cfg.hidden,
        solver="adam",
        alpha=ALPHA,
        batch_size=cfg.batch_size,
        learning_rate_init=LEARNING_RATE,
        max_iter=n_epochs,
        shuffle=True,
        tol=0.0,
        n_iter_no_change=NEVER,
        random_state=0,
    )


def skdropout_contender(cfg, X, y):
    cls = DropoutMLPClassifier if cfg.task == "clf" else DropoutMLPRegressor

    def train(n_epochs):
        cls(dropout=DROPOUT, **_estimator_params(cfg, n_epochs)).fit(X, y)

    return _timed(train)


def sklearn_contender(cfg, X, y):
    cls = MLPClassifier if cfg.task == "clf" else MLPRegressor

    def train(n_epochs):
        cls(**_estimator_params(cfg, n_epochs)).fit(X, y)

    return _timed(train)


def floor_contender(cfg, X, y):
    """The matrix products of training epochs, on preallocated arrays."""
    n_outputs = N_CLASSES if cfg.task == "clf" else y.shape[1]
    return _timed(
        matrix_products([X.shape[1], *cfg.hidden, n_outputs], X, cfg.batch_size)
    )


def torch_contender(cfg, X, y):
    """A plain PyTorch training loop; the L2 penalty as Adam's weight decay."""
    nn = torch.nn
    X_t = torch.from_numpy(X)
    y_t = torch.from_numpy(y)
    n_outputs = N_CLASSES if cfg.task == "clf" else y.shape[1]
    torch_dtype = X_t.dtype
    n_samples = X.shape[0]

    def train(n_epochs):
        torch.manual_seed(0)
        layers, fan_in = [], X.shape[1]
        for units in cfg.hidden:
            layers += [nn.Linear(fan_in, units), nn.ReLU(), nn.Dropout(DROPOUT)]
            fan_in = units
        layers.append(nn.Linear(fan_in, n_outputs))
        model = nn.Sequential(*layers).to(torch_dtype)
        model.train()
        # scikit-learn adds alpha * W / batch_size to the mean gradient.
        optimizer = torch.optim.Adam(
            model.parameters(), lr=LEARNING_RATE, weight_decay=ALPHA / cfg.batch_size
        )
        loss_fn = nn.CrossEntropyLoss() if cfg.task == "clf" else nn.MSELoss()
        for _ in range(n_epochs):
            perm = torch.randperm(n_samples)
            total = 0.0  # the epoch's loss, which the estimators compute too
            for start in range(0, n_samples, cfg.batch_size):
                idx = perm[start : start + cfg.batch_size]
                optimizer.zero_grad(set_to_none=True)
                loss = loss_fn(model(X_t[idx]), y_t[idx])
                loss.backward()
                optimizer.step()
                total += loss.item() * len(idx)

    return _timed(train)


FACTORIES = {
    "floor": floor_contender,
    "skdropout": skdropout_contender,
    "sklearn": sklearn_contender,
    "torch": torch_contender,
}


# -- measuring ------------------------------------------------------------------


def cpu_snapshot():
    """(wall seconds, busy CPU seconds of the whole machine, CPU seconds of this
    process), or None where ``/proc/stat`` is missing (not Linux)."""
    if resource is None:
        return None
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), busy, usage.ru_utime + usage.ru_stime


def foreign_load(before, after):
    """Cores kept busy by other processes (and the hypervisor's steal) between two
    snapshots, less two clock ticks for the resolution of ``/proc/stat``; None
    when unknown."""
    if before is None or after is None:
        return None
    wall = after[0] - before[0]
    foreign = (after[1] - before[1]) - (after[2] - before[2])
    return max(0.0, foreign - 2 / os.sysconf("SC_CLK_TCK")) / wall


class QuietWaiter:
    """Waits for a quiet machine, within one budget of seconds for the whole run,
    so that a busy machine cannot stretch the run without end."""

    def __init__(self, max_foreign, max_wait, budget):
        self.max_foreign = max_foreign
        self.max_wait = max_wait
        self.left = budget

    def wait(self):
        """Sleep until other processes have kept at most ``max_foreign`` cores
        busy for two seconds in a row, for at most ``max_wait`` seconds and what
        is left of the budget; return the seconds waited."""
        start = time.perf_counter()
        limit = min(self.max_wait, self.left)
        quiet = 0
        while quiet < 2 and time.perf_counter() - start < limit:
            before = cpu_snapshot()
            time.sleep(1.0)
            load = foreign_load(before, cpu_snapshot())
            quiet = quiet + 1 if load is None or load <= self.max_foreign else 0
        waited = time.perf_counter() - start
        self.left -= waited
        return waited


@dataclass
class Result:
    """The runs of one configuration: seconds per epoch, per contender and round,
    and whether other processes left each run alone."""

    times: dict
    clean: dict
    redone: int

    def used(self, name):
        """The undisturbed runs of a contender, or all of them if none is."""
        runs = zip(self.times[name], self.clean[name])
        return [t for t, ok in runs if ok] or self.times[name]

    def ratio(self, numerator, denominator):
        """The median over rounds of the ratio within a round, over the rounds in
        which both ran undisturbed (all rounds if there is none), and the number
        of such rounds; None if either did not run."""
        if numerator not in self.times or denominator not in self.times:
            return None, 0
        pairs = list(
            zip(
                self.times[numerator],
                self.times[denominator],
                self.clean[numerator],
                self.clean[denominator],
            )
        )
        good = [a / b for a, b, clean_a, clean_b in pairs if clean_a and clean_b]
        return statistics.median(good or [a / b for a, b, *_ in pairs]), len(good)


def measure(runners, n_epochs, args, waiter):
    """Time every runner over ``args.rounds`` rounds after a warm-up round.

    Every round runs every runner once, starting with a different one each time;
    ``args.settle`` seconds of sleep before each run let the idle threads of the
    library used before stop spinning. A run during which other processes kept
    more than ``args.max_foreign`` cores busy is run again once the machine is
    quiet, at most ``args.retries`` times in a row and while the waiter's budget
    lasts; if it is still disturbed, it is kept and marked so.
    """
    names = list(runners)
    for name in names:  # warm-up: one epoch each, not counted
        time.sleep(args.settle)
        runners[name](1)
    times = {name: [] for name in names}
    clean = {name: [] for name in names}
    redone = 0
    for round_ in range(args.rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            for attempt in range(args.retries + 1):
                time.sleep(args.settle)
                seconds, load = runners[name](n_epochs)
                quiet = load is None or load <= args.max_foreign
                if quiet or attempt == args.retries or waiter.left <= 0:
                    break
                redone += 1
                waited = waiter.wait()
                print(
                    f"  {name} disturbed: other processes kept {load:.2f} cores "
                    f"busy; waited {waited:.0f} s for quiet, again",
                    flush=True,
                )
            times[name].append(seconds / n_epochs)
            clean[name].append(quiet)
    return Result(times, clean, redone)


def describe(cfg, n_samples, n_features, n_epochs, n_rounds, n_outputs=N_OUTPUTS):
    target = f"{N_CLASSES} classes" if cfg.task == "clf" else f"{n_outputs} outputs"
    task = "classification" if cfg.task == "clf" else "regression"
    return (
        f"== {cfg.name}: hidden={cfg.hidden}, {task}, batch_size={cfg.batch_size}, "
        f"{np.dtype(DTYPES[cfg.dtype]).name}, {n_samples}x{n_features} -> {target}; "
        f"{n_epochs} epoch(s) x {n_rounds} round(s) + warm-up"
    )


def print_table(result, skipped):
    rounds = len(next(iter(result.times.values())))
    print(
        f"  {'contender':<10} {'s/epoch':>9} {'min':>9} {'max':>9} {'quiet':>6} "
        f"{'x floor':>8}"
    )
    floor = statistics.median(result.used("floor")) if "floor" in result.times else 0
    for name in CONTENDERS:
        if name in skipped:
            print(f"  {name:<10} skipped: {skipped[name]}")
            continue
        if name not in result.times:
            continue
        t = result.used(name)
        med = statistics.median(t)
        quiet = f"{sum(result.clean[name])}/{rounds}"
        rel = f"{med / floor:8.2f}" if floor else f"{'n/a':>8}"
        print(f"  {name:<10} {med:9.4f} {min(t):9.4f} {max(t):9.4f} {quiet:>6} {rel}")
    parts = []
    for other in ("floor", "sklearn", "torch"):
        ratio, n_good = result.ratio("skdropout", other)
        if ratio is not None:
            parts.append(f"skdropout/{other} {ratio:.2f} ({n_good})")
    print(
        "  ratios, median of per-round ratios (quiet rounds): "
        + (", ".join(parts) or "n/a")
    )
    if result.redone:
        print(f"  runs disturbed by other processes and run again: {result.redone}")


def print_goals(results, skipped, enough):
    print("== Goals (informational: ratios of this run; the script exits 0)")
    print(f"  {'goal':<26} {'target':>7} {'configuration':<22} {'ratio':>6}  mark")
    for label, other, target, pattern in GOALS:
        names = [n for n in results if fnmatch.fnmatchcase(n, pattern)]
        bound = f"<={target:.2f}"
        if not names:
            print(f"  {label:<26} {bound:>7} (no configuration run)")
        for name in names:
            ratio, n_good = results[name].ratio("skdropout", other)
            if ratio is None:
                why = skipped.get(other) or skipped.get("skdropout") or "not run"
                cells = f"{'n/a':>6}  ({why})"
            else:
                cells = f"{ratio:6.2f}  {'PASS' if ratio <= target else 'MISS'}"
                if n_good < enough:  # a tentative mark
                    cells += f"? (disturbed: {n_good} quiet rounds, rerun it)"
            print(f"  {label:<26} {bound:>7} {name:<22} {cells}")
    print(
        "  predict's extra peak memory independent of n_samples: see "
        "benchmarks/bench_memory.py"
    )


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    names = ", ".join(c.name for c in ALL_CONFIGS)
    parser.add_argument(
        "--configs",
        nargs="+",
        metavar="PATTERN",
        default=DEFAULT_PATTERNS,
        help=f"shell-style patterns of the configurations to run, among: {names}",
    )
    parser.add_argument(
        "--contenders",
        nargs="+",
        choices=CONTENDERS,
        default=list(CONTENDERS),
        help="contenders to time",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="epochs per contender per round (default: "
        + ", ".join(f"{k} net {v}" for k, v in DEFAULT_EPOCHS.items())
        + ")",
    )
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds")
    parser.add_argument("--n-samples", type=int, default=20_000, help="rows of X")
    parser.add_argument(
        "--n-features", type=int, default=N_FEATURES, help="columns of X"
    )
    parser.add_argument(
        "--n-outputs",
        type=int,
        default=N_OUTPUTS,
        help="targets of the regressions (1: a tabular regression's)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=2,
        help="threads of the BLAS and OpenMP pools (threadpoolctl) and of torch",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=0.2,
        help="seconds of sleep before each run, so that the idle threads of the "
        "previous contender's library (OpenBLAS spins about 0.1 s) stop spinning",
    )
    parser.add_argument(
        "--max-foreign",
        type=float,
        default=0.2,
        help="a run during which other processes keep more cores than this busy "
        "(read from /proc/stat) is run again",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=3,
        help="times a disturbed run is run again, at most",
    )
    parser.add_argument(
        "--wait-budget",
        type=float,
        default=300.0,
        help="seconds spent waiting for quiet, at most, over the whole run, shared "
        "out among the configurations (what one leaves unused carries on); when "
        "it is spent, disturbed runs are kept as they are",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=30.0,
        help="seconds to wait, at most, for a quiet machine before a disturbed run "
        "is repeated",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run (about 15 s): 1024 rows, 1 epoch, 1 round, settle 0.05 s, "
        "no retries",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.n_samples, args.epochs, args.rounds = 1024, 1, 1
        args.settle, args.retries = 0.05, 0
    return args


def main(argv=None):
    args = parse_args(argv)
    configs = [
        cfg
        for cfg in ALL_CONFIGS
        if any(fnmatch.fnmatchcase(cfg.name, p) for p in args.configs)
    ]
    if not configs:
        sys.exit(f"No configuration matches {args.configs}.")

    skipped = {}
    if torch is None:
        skipped["torch"] = "torch not installed"
    else:
        torch.set_num_threads(args.threads)
    contenders = [c for c in args.contenders if c not in skipped]
    threadpool_limits(limits=args.threads)

    print("== Machine")
    for line in machine_info(torch):
        print("  " + line)
    if torch is None:
        print("  torch: skipped: torch not installed")
    print(flush=True)

    start = time.perf_counter()
    data = {}
    for dtype in {cfg.dtype for cfg in configs}:
        X = make_X(args.n_samples, n_features=args.n_features, dtype=DTYPES[dtype])
        data[dtype, "clf"] = X, teacher_classes(X)
        data[dtype, "reg"] = X, teacher_targets(X, n_outputs=args.n_outputs)

    warnings.simplefilter("ignore", ConvergenceWarning)
    waiter = QuietWaiter(args.max_foreign, args.max_wait, 0.0)
    results = {}
    for cfg in configs:
        waiter.left += args.wait_budget / len(configs)  # what is unused carries on
        n_epochs = args.epochs or DEFAULT_EPOCHS[cfg.net]
        print(
            describe(
                cfg,
                args.n_samples,
                args.n_features,
                n_epochs,
                args.rounds,
                args.n_outputs,
            ),
            flush=True,
        )
        X, y = data[cfg.dtype, cfg.task]
        runners = {name: FACTORIES[name](cfg, X, y) for name in contenders}
        results[cfg.name] = measure(runners, n_epochs, args, waiter)
        print_table(results[cfg.name], skipped)
        print(flush=True)

    print_goals(results, skipped, enough=(args.rounds + 1) // 2)
    print()
    waited = args.wait_budget - waiter.left
    print(
        f"Total time: {time.perf_counter() - start:.0f} s, of which {waited:.0f} s "
        "waiting for other processes to stop."
    )


if __name__ == "__main__":
    main()
