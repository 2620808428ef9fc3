"""Two contenders of ``bench_quality.py``'s results, data set by data set.

``bench_quality.py`` counts a data set as a win, a tie or a loss by the folds'
differences: a tie within one standard error of them. A difference that is
tiny but of one sign over the five folds then counts as much as a large one.
This script reads the same results files and prints, for each data set both
contenders completed, the relative difference of their errors (the primary
metric as an error, as the report's "gap": log-loss, 1 - accuracy, 1 - R2),
how many data sets each is better on, and a Wilcoxon signed-rank test of the
differences across data sets (two-sided; exact ties, the data sets where both
got the same input, drop out of it). It fits nothing::

    python benchmarks/compare_pair.py skdropout-cv-raw skdropout-cv \\
        --from results/quality-A.json results/quality-B.json --split development
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse

import _datasets
import bench_quality as bq
import numpy as np
from scipy.stats import wilcoxon


def relative_differences(records, first, second, split, clf_metric, folds=5):
    """{data set: (error of first - error of second) / error of second} over
    the data sets of ``split`` (None: all) both completed, the mean errors
    over the folds; where the second's error is 0, the difference itself."""
    groups = bq._complete(records, folds)
    out = {}
    for name in sorted({dataset for dataset, _ in groups}):
        if split is not None and _datasets.split_of(name) != split:
            continue
        a, b = groups.get((name, first)), groups.get((name, second))
        if a is None or b is None:
            continue
        metric = bq.primary(_datasets.KNOWN[name].task, clf_metric)
        error_a = np.mean([bq.error(metric, r["scores"][metric]) for r in a])
        error_b = np.mean([bq.error(metric, r["scores"][metric]) for r in b])
        difference = error_a - error_b
        out[name] = difference / error_b if error_b > 0 else difference
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("first")
    p.add_argument("second")
    p.add_argument("--from", dest="paths", nargs="+", required=True, metavar="FILE")
    p.add_argument("--split", choices=["development", "confirmation", "all"])
    p.add_argument("--clf-metric", choices=["log_loss", "accuracy"], default="log_loss")
    p.add_argument("--rename", action="append", default=[], metavar="NAME=NEW")
    p.add_argument("--max-rows", type=int, default=10_000)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    _, records = bq.read_results(args.paths, bq._renames(args.rename))
    protocol = (args.folds, args.max_rows, args.seed)
    everyone = [r for r in records if bq._protocol(r) == protocol]
    records = [r for r in everyone if r["contender"] in (args.first, args.second)]
    bq._check_pairing(records, links=everyone)
    split = None if args.split in (None, "all") else args.split
    diffs = relative_differences(
        records, args.first, args.second, split, args.clf_metric, args.folds
    )
    if not diffs:
        raise SystemExit("no data set has both contenders with every fold")
    width = max(len(name) for name in diffs)
    print(f"relative error difference, {args.first} against {args.second} "
          f"({args.clf_metric} for classification, 1 - R2 for regression; "
          "- = the first is better)")  # fmt: skip
    for name, d in sorted(diffs.items(), key=lambda item: item[1]):
        print(f"  {name:<{width}}  {d:+.4f}")
    d = np.array(list(diffs.values()))
    differing = d[d != 0]
    line = (
        f"{len(d)} data sets: {args.first} better on {int((d < 0).sum())}, worse "
        f"on {int((d > 0).sum())}, the same on {int((d == 0).sum())}; median "
        f"{np.median(d):+.4f}, mean {d.mean():+.4f}"
    )
    if len(differing) >= 2:
        line += f"; Wilcoxon signed-rank p = {wilcoxon(differing).pvalue:.2f}"
    print(line)


if __name__ == "__main__":
    main()
