"""Reading and typing the columns of a table for TabularPreprocessor.

Each column of a pandas DataFrame or a NumPy array is read as a ``_Column``
(what its dtype says it holds, and its values as a 1-D array), then
``resolve_column`` checks it and converts it: numbers to float64, categories to
an object array of strings. A column nothing can encode raises an error that
names it and says what to do."""

# SPDX-License-Identifier: BSD-3-Clause

import datetime
import math
import sys
from dataclasses import dataclass
from numbers import Complex, Integral, Number, Real

import numpy as np
from scipy.sparse import issparse
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array, validate_data


def _value_kind(value):
    """What one value of an object column is: 'missing', 'string', 'number',
    'bool', 'datetime', 'complex', 'nested' or 'other'."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return "missing"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return "missing"
    if isinstance(value, Real):
        return "number"
    if isinstance(value, Complex):
        return "complex"
    if isinstance(value, Number):  # decimal.Decimal
        return "number"
    if isinstance(
        value,
        (
            datetime.date,
            datetime.time,
            datetime.timedelta,
            np.datetime64,
            np.timedelta64,
        ),
    ):
        return "datetime"
    if isinstance(value, (list, tuple, dict, set, frozenset, np.ndarray)):
        return "nested"
    if type(value).__name__ == "Period":  # pandas.Period: a span of time
        return "datetime"
    return "other"


_value_kinds = np.frompyfunc(_value_kind, 1, 1)


@dataclass
class _Column:
    """One input column: its name, what its dtype says it holds ('number',
    'bool', 'string', 'category', 'object', 'datetime', 'complex' or 'other'),
    its dtype (for messages) and its values as a 1-D NumPy array."""

    name: str
    kind: str
    dtype: str
    values: np.ndarray


def pandas_module():
    return sys.modules.get("pandas")


def is_pandas_frame(X):
    pd = pandas_module()
    return pd is not None and isinstance(X, pd.DataFrame)


def is_polars_frame(X):
    pl = sys.modules.get("polars")
    return pl is not None and isinstance(X, pl.DataFrame)


def pandas_column(name, series):
    """A pandas column as a _Column: numbers and booleans as float (missing
    as NaN, integers without missing values kept as they are), everything
    else as an object array with NaN for missing values."""
    pd = pandas_module()
    types = pd.api.types
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype) or _is_arrow_dictionary(dtype):
        kind = "category"
    elif types.is_bool_dtype(dtype):
        kind = "bool"
    elif types.is_complex_dtype(dtype):
        kind = "complex"
    elif types.is_numeric_dtype(dtype):
        kind = "number"
    elif (
        types.is_datetime64_any_dtype(dtype)
        or types.is_timedelta64_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
    ):
        kind = "datetime"
    elif isinstance(dtype, np.dtype) and dtype.kind == "O":
        kind = "object"
    elif types.is_string_dtype(dtype):
        kind = "string"
    elif _is_arrow(dtype, "is_temporal"):  # Arrow dates, times, durations
        kind = "datetime"
    elif _is_arrow(dtype, "is_null"):  # all missing: read as such
        kind = "object"
    else:
        kind = "other"
    # A nullable or Arrow integer column (not a sparse one, read as floats).
    exact_integers = types.is_integer_dtype(dtype) and hasattr(dtype, "numpy_dtype")
    if kind in ("number", "bool"):
        if isinstance(dtype, np.dtype) and dtype.kind in "iu":
            values = series.to_numpy()
        elif exact_integers and not series.hasnans:
            # A nullable (or Arrow) integer column with nothing missing: its
            # integers as they are, not rounded to float64 beyond 2**53.
            values = series.to_numpy(dtype=dtype.numpy_dtype)
        elif exact_integers and (series.abs() >= 2**53).any():
            # With missing values too, integers float64 cannot all hold: the
            # integers themselves, and NaN (each one a level of its own).
            values = series.to_numpy(dtype=object, na_value=np.nan)
        else:
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    elif kind in ("category", "object", "string"):
        values = series.to_numpy(dtype=object, na_value=np.nan)
    else:
        values = series.to_numpy()
    return _Column(name, kind, str(dtype), values)


def _is_arrow_dictionary(dtype):
    """Whether a pandas dtype is an Arrow dictionary (what pandas reads a
    categorical column as with ``dtype_backend="pyarrow"``)."""
    return _is_arrow(dtype, "is_dictionary")


def _is_arrow(dtype, test):
    """Whether a pandas dtype is an Arrow type for which ``pyarrow.types``'
    function ``test`` holds."""
    pd = pandas_module()
    if not isinstance(dtype, getattr(pd, "ArrowDtype", ())):
        return False
    import pyarrow

    return getattr(pyarrow.types, test)(dtype.pyarrow_dtype)


_ARRAY_KINDS = {
    "b": "bool",
    "i": "number",
    "u": "number",
    "f": "number",
    "U": "string",
    "S": "string",
    "O": "object",
    "M": "datetime",
    "m": "datetime",
    "c": "complex",
}


def array_columns(X, names):
    """The columns of a 2-D NumPy array."""
    kind = _ARRAY_KINDS.get(X.dtype.kind, "other")
    values = X.astype(object) if kind == "string" else X
    return [
        _Column(name, kind, str(X.dtype), values[:, i]) for i, name in enumerate(names)
    ]


# -- typing one column -----------------------------------------------------------

_TEXT = ("string", "category")

_DATES = (
    "which TabularPreprocessor does not encode. Convert it to numbers (for "
    "example the year, the day of the week, or the days since a reference date) "
    "or drop it."
)


def _number_strings(values):
    """Floats as strings; whole ones as integers ("1", not "1.0")."""
    whole = (values == np.round(values)) & np.isfinite(values)
    # Beyond 2**53 every float is whole, and exact: spelled as the integer it
    # is, as an int64 column spells it ("9007199254740993" is no float64).
    small = whole & (np.abs(values) < 2**63)
    integers = np.where(small, values, 0).astype(np.int64).astype(str)
    strings = np.where(small, integers, values.astype(str))
    big = np.flatnonzero(whole & ~small)  # beyond int64: up to 309 digits
    if len(big):
        strings = strings.astype(object)
        for i in big:
            strings[i] = str(int(values[i]))
    return strings


def _as_strings(values):
    """The levels of a model fitted before ``_level_strings`` (it spelled
    some values by how their column stored them), kept so that such a model
    still meets the levels it was fitted on."""
    if values.dtype.kind == "f":
        return _number_strings(values)
    return values.astype(str)


def _level_string(value):
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, Integral):
        return str(int(value))
    return str(_number_strings(np.array([float(value)]))[0])


_level_strings_of_objects = np.frompyfunc(_level_string, 1, 1)


def _level_strings(values, kind, strings_only=False):
    """The levels of the present values of a categorical column: one string
    for one value however the column stores it (a category of integers, with
    or without a missing value, or of floats; a number column; objects;
    booleans as a bool column, a category or objects), so that a table stored
    another way at predict time meets the levels seen in fit. Strings stay as
    they are, booleans are "False" and "True", whole numbers integers ("1",
    not "1.0"), other numbers as a float64 prints. ``strings_only``: an
    object array known to hold strings alone."""
    if strings_only:
        return values.astype(str)
    if values.dtype.kind == "b":
        return np.where(values, "True", "False")
    if kind == "bool":  # a pandas bool column, read as 0.0 and 1.0
        return np.where(values != 0, "True", "False")
    if values.dtype.kind in "iu":
        return values.astype(str)
    if values.dtype.kind == "f":
        return _number_strings(values)
    return _level_strings_of_objects(values).astype(str)


def resolve_column(column, *, categorical, fitting, legacy_levels=False):
    """Check one column and convert it: ``("num", float array)`` or ``("cat",
    object array of str, NaN for missing)``.

    ``categorical`` is True or False where the column's type is decided (by
    ``categorical_features``, or in ``transform`` by ``fit``), None to decide
    from its dtype. A column nothing can encode raises an error naming it.
    ``legacy_levels`` spells the levels as a model fitted before
    ``_level_strings`` did.
    """
    name, kind, values = column.name, column.kind, column.values
    where = f"Column {name!r}"
    if kind == "datetime":
        raise TypeError(
            f"{where} holds dates or durations (dtype {column.dtype}), " + _DATES
        )
    if kind == "complex":
        raise ValueError(
            f"{where} holds complex numbers, which TabularPreprocessor does not "
            "encode. Replace it with its real and imaginary parts, or drop it."
        )
    if kind == "other":
        raise TypeError(
            f"{where} has dtype {column.dtype}, which TabularPreprocessor does not "
            "encode: give it numbers, booleans, strings or categories, or drop it."
        )
    if values.dtype == object:
        kinds = _value_kinds(values)
        missing = kinds == "missing"
        present = set(kinds.tolist())
        for bad in ("nested", "datetime", "complex", "other"):
            if bad in present:
                row = int(np.flatnonzero(kinds == bad)[0])
                if bad == "datetime":
                    raise TypeError(
                        f"{where} holds dates or durations (row {row}: "
                        f"{values[row]!r}), " + _DATES
                    )
                error = ValueError if bad == "complex" else TypeError
                raise error(
                    f"{where} holds a value of type {type(values[row]).__name__} "
                    f"(row {row}: {values[row]!r}), which TabularPreprocessor "
                    "cannot encode: each value must be a string, a number, a "
                    "boolean or missing. Convert such values, or drop the column."
                )
        if kind == "object":
            textual = "string" in present
            numeric = bool(present & {"number", "bool"})
            if textual and numeric and categorical is not True:
                text = values[kinds == "string"][0]
                number = values[(kinds == "number") | (kinds == "bool")][0]
                raise ValueError(
                    f"{where} mixes strings and numbers (for example {text!r} and "
                    f"{number!r}). Give it one type: convert its values to strings "
                    "(or list it in categorical_features) to encode it as "
                    "categories, or convert its strings to numbers."
                )
            kind = "string" if textual else "number"
    else:
        missing = np.isnan(values) if values.dtype.kind == "f" else None
    if fitting and missing is not None and missing.all():
        raise ValueError(
            f"{where} has only missing values in the data passed to fit, so it "
            "carries no information: drop it."
        )
    if categorical is None:
        categorical = kind in _TEXT
    if categorical:
        categories = np.full(len(values), np.nan, dtype=object)
        present_rows = slice(None) if missing is None else ~missing
        present_values = values[present_rows]
        categories[present_rows] = (
            _as_strings(present_values)
            if legacy_levels
            else _level_strings(
                present_values,
                column.kind,
                strings_only=values.dtype == object
                and present <= {"string", "missing"},
            )
        )
        return "cat", categories
    if kind in _TEXT and not fitting and missing is not None and missing.all():
        # A numerical column that is all missing here, stored as strings (a
        # polars String column of nulls, a pandas "string" one): imputed.
        return "num", np.full(len(values), np.nan)
    numbers_as_category = (
        kind == "category"
        and values.dtype == object
        and present <= {"number", "bool", "missing"}
    )
    if kind in _TEXT and not numbers_as_category:
        reason = (
            "it was numerical in fit"
            if not fitting
            else ("it is not in categorical_features")
        )
        raise ValueError(
            f"{where} holds strings or categories, but it is encoded as numbers "
            f"because {reason}. List it in categorical_features, or convert it "
            "to numbers."
        )
    if missing is not None and values.dtype == object:
        values = np.where(missing, np.nan, values)
    numbers = values.astype(np.float64)
    if np.isinf(numbers).any():
        raise ValueError(
            f"{where} holds infinite values. Replace them (with NaN, which is "
            "imputed, or with finite numbers) or drop the column."
        )
    return "num", numbers


def check_target_present(y, input_name="y"):
    """Refuse a target with missing values (None, NaN, pandas.NA, a polars
    null) in a column of objects, strings, categories or nullable numbers,
    naming the first row, where scikit-learn's checks fail inside pandas or
    call the target's type unknown. Float NaN in a NumPy array is left to
    scikit-learn's own message."""
    pd = pandas_module()
    pl = sys.modules.get("polars")
    if pd is not None and isinstance(y, (pd.Series, pd.DataFrame)):
        missing = np.asarray(y.isna()).reshape(len(y), -1).any(axis=1)
    elif pl is not None and isinstance(y, (pl.Series, pl.DataFrame)):
        frame = y.to_frame() if isinstance(y, pl.Series) else y
        missing = np.column_stack(
            [frame[name].is_null().to_numpy() for name in frame.columns]
        ).any(axis=1)
    else:
        if y is None or issparse(y):
            return  # scikit-learn's own errors
        values = np.asarray(y)
        if values.dtype != object or values.ndim == 0:
            return
        missing = (_value_kinds(values) == "missing").reshape(len(values), -1)
        missing = missing.any(axis=1)
    if missing.any():
        raise ValueError(
            f"{input_name} holds {int(missing.sum())} missing value(s) (None, "
            f"NaN or pandas.NA; the first at row {int(np.argmax(missing))}): "
            "drop those rows, or fill them, before fitting."
        )


def mixed_labels_error(input_name="y"):
    """The error for labels of types that cannot be compared (str and int):
    NumPy's sort fails on them inside scikit-learn with a bare TypeError."""
    return ValueError(
        f"{input_name} mixes labels of types that cannot be compared with each "
        "other (for example str and int); use labels of one type."
    )


def target_type(y, input_name="y"):
    """scikit-learn's ``type_of_target``, with :func:`mixed_labels_error` for
    labels of types that cannot be compared."""
    try:
        return type_of_target(y, input_name=input_name)
    except TypeError:
        raise mixed_labels_error(input_name) from None


def frequent_levels(categories, min_frequency):
    """The number of one-hot columns OneHotEncoder makes of a column with
    ``min_frequency`` and no cap: its frequent levels (missing is a level),
    plus one for the infrequent ones if there are any."""
    missing = np.array([c is np.nan for c in categories])
    _, counts = np.unique(categories[~missing].astype(str), return_counts=True)
    counts = np.append(counts, missing.sum()) if missing.any() else counts
    if min_frequency is None:
        return len(counts)
    if isinstance(min_frequency, Real) and not isinstance(min_frequency, Integral):
        min_frequency = min_frequency * len(categories)
    frequent = int((counts >= min_frequency).sum())
    return frequent + int(frequent < len(counts))


def read_columns(estimator, X, *, reset):
    """Validate X for ``estimator`` (shape, feature names, as ``validate_data``)
    and return its columns, and whether they come from a DataFrame."""
    polars_dtypes = None
    if is_polars_frame(X):
        validate_data(estimator, X, skip_check_array=True, reset=reset)
        polars_dtypes = [str(dtype) for dtype in X.schema.values()]
        X = _polars_to_pandas(X)
    elif is_pandas_frame(X):
        validate_data(estimator, X, skip_check_array=True, reset=reset)
    else:
        X = validate_data(
            estimator, X, dtype=None, ensure_all_finite=False, reset=reset
        )
        return array_columns(X, column_names(estimator, X.shape[1])), False
    check_table(estimator, X)
    names = column_names(estimator, X.shape[1])
    columns = [pandas_column(name, X.iloc[:, i]) for i, name in enumerate(names)]
    if polars_dtypes is not None:  # errors name the dtype the user gave
        for column, dtype in zip(columns, polars_dtypes):
            column.dtype = f"{dtype} (polars)"
    return columns, True


def check_table(estimator, X):
    """scikit-learn's errors for a table that is not two-dimensional (a row
    or a column given alone, as a Series or a 1-D array: "Reshape your
    data") or has no rows or columns, naming ``estimator`` (the CV
    estimator, not the preprocessor inside it, where the table is theirs)."""
    shape = getattr(X, "shape", None)
    if shape is None:
        return
    if len(shape) != 2:  # check_array's errors for it
        check_array(X, dtype=None, ensure_all_finite=False, estimator=estimator)
        return
    for count, what in zip(shape, ("sample", "feature")):
        if count == 0:
            raise ValueError(
                f"Found array with 0 {what}(s) (shape={tuple(shape)}) while a "
                f"minimum of 1 is required by {type(estimator).__name__}."
            )


def _polars_to_pandas(X):
    """A polars DataFrame as pandas; a column that polars cannot convert
    (a dtype Arrow does not know, as Int128) is refused by name."""
    try:
        return X.to_pandas()
    except ImportError as error:
        raise ImportError(
            "TabularPreprocessor reads a polars DataFrame through "
            "polars.DataFrame.to_pandas, which needs pandas and pyarrow: "
            "`pip install pandas pyarrow`."
        ) from error
    except Exception:
        for name, dtype in X.schema.items():
            try:
                X.select(name).head(1).to_pandas()
            except Exception as error:
                raise TypeError(
                    f"Column {name!r} has the polars dtype {dtype}, which "
                    "TabularPreprocessor cannot read (polars could not convert "
                    "it to pandas). Cast it (for example to Int64, Float64 or "
                    "String) or drop it."
                ) from error
        raise


def column_names(estimator, n_features):
    """The columns' names: ``feature_names_in_``, else x0, x1, ..."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        return [f"x{i}" for i in range(n_features)]
    return [str(name) for name in names]


def declared_categorical(estimator, n_features):
    """Per column: True (categorical), False (numerical) or None (from its
    dtype), from ``estimator.categorical_features``."""
    spec = estimator.categorical_features
    if isinstance(spec, str):  # "from_dtype"
        return [None] * n_features
    if spec is None:
        return [False] * n_features
    spec = np.asarray(spec)
    if spec.size == 0:
        return [False] * n_features
    if spec.dtype.kind == "b":
        if spec.shape != (n_features,):
            raise ValueError(
                f"categorical_features as a boolean mask has shape {spec.shape}; "
                f"it must have shape ({n_features},), one entry per column."
            )
        return [bool(b) for b in spec]
    if spec.dtype.kind in "iu":
        if spec.min() < -n_features or spec.max() >= n_features:
            raise ValueError(
                f"categorical_features holds indices {spec.tolist()}, some "
                f"outside [0, {n_features - 1}] for X with {n_features} columns."
            )
        chosen = set((spec % n_features).tolist())
    elif spec.dtype.kind in "UO":
        names = getattr(estimator, "feature_names_in_", None)
        if names is None:
            raise ValueError(
                "categorical_features holds column names, but X has no column "
                "names: pass a DataFrame, or give indices or a boolean mask."
            )
        unknown = sorted(set(spec.tolist()) - set(names.tolist()))
        if unknown:
            raise ValueError(
                f"categorical_features names columns that X does not have: {unknown}."
            )
        chosen = {i for i, name in enumerate(names) if name in set(spec.tolist())}
    else:
        raise ValueError(
            "categorical_features must be 'from_dtype', None, or an array-like "
            "of column names, indices or booleans; got "
            f"{estimator.categorical_features!r}."
        )
    return [i in chosen for i in range(n_features)]


def assemble(names, converted, from_frame):
    """The converted columns as one X for the ColumnTransformer: a pandas
    DataFrame (columns by name) for a DataFrame, else a NumPy array (float,
    or object where there are categories)."""
    if from_frame:
        return pandas_module().DataFrame(dict(zip(names, converted)), copy=False)
    if all(values.dtype == np.float64 for values in converted):
        return np.column_stack(converted)
    return np.column_stack([values.astype(object) for values in converted])
