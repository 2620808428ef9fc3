"""TabularPreprocessor: a table as it comes (numbers with missing values,
strings, categories) turned into the dense numbers a dropout MLP reads.

The work is done by scikit-learn's transformers inside one ColumnTransformer;
this module adds what they lack: deciding per column between one-hot and target
encoding, the smooth clipping of robust scaling, and readable output names.
Typing each column from its dtype, and refusing by name the columns nothing
here can encode, is ``_columns``'s job."""

# SPDX-License-Identifier: BSD-3-Clause

import inspect
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    OneHotEncoder,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
    TargetEncoder,
)
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from skdropout._columns import (
    assemble,
    check_target_present,
    declared_categorical,
    frequent_levels,
    read_columns,
    resolve_column,
    target_type,
)
from skdropout._persistence import SavedFormat
from skdropout._piecewise import PiecewiseLinearEncoder
from skdropout._transaction import fit_transaction

#: The bound of the smooth clipping after robust scaling: values far beyond it
#: approach +-3 (RealMLP's choice, Holzmüller et al., 2024).
SMOOTH_CLIP_BOUND = 3.0


def non_finite_error(preprocessor, X):
    """The error for a preprocessor's output ``X`` (a float array) that holds
    NaN or infinite values: it names the output columns that hold them (where
    the preprocessor names its columns)."""
    bad = np.flatnonzero(~np.isfinite(X).all(axis=0))
    try:
        names = [str(n) for n in preprocessor.get_feature_names_out()[bad]]
    except (AttributeError, IndexError, TypeError, ValueError):
        names = [f"column {i}" for i in bad]
    shown = ", ".join(repr(n) for n in names[:5])
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    float32 = ""
    if X.dtype == np.float32:
        float32 = ", or for float32 once scaled (above about 3e38),"
    return ValueError(
        f"The preprocessing ({type(preprocessor).__name__}) gave NaN or "
        f"infinite values in {shown}{more}. A number too large for its "
        f"scaling in float64 (above about 1e154){float32} does this: rescale "
        "or drop the input columns behind them."
    )


def smooth_clip(X):
    """x / sqrt(1 + (x / 3)^2): the identity near 0, bounded by +-3 far out.
    Where (x / 3)^2 overflows (x beyond about 1e154 in float64, 5e19 in
    float32), x / inf would be 0: the value there is the bound, which it
    equals to the last bit."""
    with np.errstate(over="ignore"):
        square = (X / SMOOTH_CLIP_BOUND) ** 2
        clipped = X / np.sqrt(1 + square)
    return np.where(np.isinf(square), np.sign(X) * SMOOTH_CLIP_BOUND, clipped)


class _SmoothClip(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """The stateless smooth clipping that follows RobustScaler in
    ``numerical_scaling="robust"``: :func:`smooth_clip` of each value."""

    def fit(self, X, y=None):
        validate_data(self, X, dtype=[np.float64, np.float32])
        return self

    def transform(self, X):
        check_is_fitted(self)
        return smooth_clip(
            validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        )


#: The folds the target encoding cross-fits on.
_TARGET_FOLDS = 5


def _target_encoder(target_type, random_state):
    """A TargetEncoder cross-fitting on 5 shuffled folds (stratified for
    classes), seeded by ``random_state``, in the words of the installed
    scikit-learn (1.9 moved the shuffling into ``cv``)."""
    if target_type == "continuous":
        folds = KFold(_TARGET_FOLDS, shuffle=True, random_state=random_state)
    else:
        folds = StratifiedKFold(_TARGET_FOLDS, shuffle=True, random_state=random_state)
    parameters = inspect.signature(TargetEncoder).parameters
    if parameters["random_state"].default == "deprecated":
        return TargetEncoder(target_type=target_type, cv=folds)
    return TargetEncoder(target_type=target_type, random_state=random_state)


_TARGET_TYPES = ("binary", "multiclass", "continuous")


def _check_target_folds(y, target_type, columns):
    """Refuse a target too small for the target encoding's folds, naming the
    columns and the folds (its own 5, not the CV estimators' ``cv``), where
    the splitter's error would name only ``n_splits``."""
    values = np.asarray(y)
    if target_type == "continuous":
        short, what = len(values) < _TARGET_FOLDS, f"{len(values)} rows"
    else:
        counts = np.unique(values, return_counts=True)[1]
        short = counts.max() < _TARGET_FOLDS
        what = f"at most {counts.max()} rows of a class"
    if short:
        raise ValueError(
            f"TabularPreprocessor target encodes {columns.tolist()} (more "
            "frequent levels than max_onehot_categories) on "
            f"{_TARGET_FOLDS} internal folds, which need at least "
            f"{_TARGET_FOLDS} rows (of some class); the target has {what}. "
            "Raise max_onehot_categories (or None) or min_frequency, or fit "
            "on more rows."
        )


def _unique_names(names):
    """``names`` with a repeated one made unique: ``_2``, ``_3``, ... after
    its later occurrences. OneHotEncoder names a column's missing values
    ``nan`` and its infrequent ones ``infrequent_sklearn``, which a level
    spelled the same repeats; a DataFrame output needs one name a column."""
    seen = set(names)
    counts = {}
    unique = []
    for name in names:
        counts[name] = counts.get(name, 0) + 1
        if counts[name] > 1:
            k = counts[name]
            while f"{name}_{k}" in seen:
                k += 1
            name = f"{name}_{k}"
            seen.add(name)
        unique.append(name)
    return unique


class TabularPreprocessor(SavedFormat, TransformerMixin, BaseEstimator):
    """Turn a table as it comes into the numbers a multilayer perceptron needs.

    Numerical columns are imputed (median), flagged where they had missing
    values and scaled; categorical columns are one-hot encoded, with rare
    categories pooled and a missing value as a category of its own, or target
    encoded when they have many levels. Everything is done by scikit-learn's
    transformers inside one :class:`~sklearn.compose.ColumnTransformer`, which
    ``column_transformer_`` exposes once fitted.

    Put it first in a pipeline, ``make_pipeline(TabularPreprocessor(),
    DropoutMLPClassifier())``, and pass the pandas or polars DataFrame as it
    is: numbers with NaN, strings, ``category`` columns.

    Parameters
    ----------
    categorical_features : "from_dtype", array-like or None, default="from_dtype"
        Which columns are categorical, as in
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`:

        - "from_dtype": from each column's dtype. Numbers (including pandas'
          nullable integers and floats) are numerical; booleans (including
          pandas' nullable ``boolean``) are numerical, 0 and 1; ``category``,
          pandas' ``string`` and ``object`` columns of strings are categorical.
          An ``object`` column of numbers is numerical. A NumPy array of numbers
          is all numerical, one of strings all categorical.
        - array-like of str: the names of the categorical columns (X must be a
          DataFrame); every other column is numerical.
        - array-like of int: the indices of the categorical columns.
        - array-like of bool: a mask of the categorical columns.
        - None: no column is categorical.

        A categorical column has its values converted to strings, one string
        for one value however the column stores it: whole numbers as integers
        (``1`` and ``1.0`` become ``"1"``), booleans ``"False"`` and
        ``"True"``; so a column stored another way at transform time (a
        ``category`` of integers with or without a missing value, a bool
        column or objects) meets the categories seen in fit. A column of
        strings not listed is an error.

    numerical_scaling : {"standard", "quantile", "robust"}, default="standard"
        How numerical columns are scaled after imputation:

        - "standard": :class:`~sklearn.preprocessing.StandardScaler`, zero mean
          and unit variance.
        - "quantile": :class:`~sklearn.preprocessing.QuantileTransformer` to a
          normal distribution, with ``n_quantiles=min(1000, n_samples)``,
          ``subsample=10_000`` and ``random_state``. Monotone and robust to
          outliers; it forgets distances between values.
        - "robust": :class:`~sklearn.preprocessing.RobustScaler` (median and
          interquartile range), then the smooth clipping ``x / sqrt(1 + (x /
          3)**2)`` of RealMLP (Holzmüller et al., 2024), which leaves values
          near 0 almost unchanged and bounds every value by 3 in magnitude.

    numerical_encoding : {"piecewise_linear"} or None, default=None
        None feeds the scaled numbers to the network. "piecewise_linear" then
        encodes each scaled column with :class:`PiecewiseLinearEncoder` (up to
        ``n_bins`` columns each). The encoding is applied after the scaling:
        with "standard" scaling it is the encoding of the raw values (an affine
        map does not change the ramps), with "quantile" scaling the ramps are
        linear in the normal scores, and with "robust" scaling the ramps of the
        first and last bins stay bounded.

    n_bins : int, default=48
        The number of quantile bins of each numerical column for
        ``numerical_encoding="piecewise_linear"``; ignored otherwise.

    min_frequency : int or float, default=10
        Categories seen fewer than ``min_frequency`` times in fit (a float: a
        fraction of the rows) are pooled into one infrequent category, with
        one column ``<column>_infrequent_sklearn``; None keeps every category.

    max_onehot_categories : int or None, default=30
        A categorical column with more levels than this, after the pooling of
        infrequent ones, is target encoded when ``fit`` is given a target of
        one column (see ``target_type``):
        :class:`~sklearn.preprocessing.TargetEncoder` replaces each
        level by the (shrunk) mean target of its rows, one column (one per
        class for multiclass targets). ``fit_transform``, which a pipeline
        calls, encodes the training rows by 5-fold cross fitting, so that a
        row's encoding never saw its own target. Without a target (or with one
        of several columns), such a column is one-hot encoded with at most
        ``max_onehot_categories`` columns, the least frequent levels pooled.
        None one-hot encodes every categorical column, without a cap.

    many_levels_encoding : {"target_and_onehot", "target"}, \
            default="target_and_onehot"
        How a column that ``max_onehot_categories`` target encodes is
        encoded: "target_and_onehot", by its target encoding and one-hot
        columns of its ``max_onehot_categories - 1`` most frequent levels with
        one column for the others (so the network can still tell the frequent
        levels apart, as it would one-hot, without a column per level);
        "target", by its target encoding alone.

    many_levels_max_categories : "auto", int or None, default="auto"
        The most one-hot columns of a column that
        ``many_levels_encoding="target_and_onehot"`` encodes both ways (its
        most frequent levels one each, the others pooled in one): "auto" is
        ``max_onehot_categories``; None keeps a column for every level seen
        ``min_frequency`` times. Columns of at most ``max_onehot_categories``
        levels are not affected.

    target_type : {"auto", "continuous", "binary", "multiclass"}, default="auto"
        What the target of ``fit`` is, for the target encoding: "continuous",
        a number to regress (one column per target-encoded column, the mean);
        "binary" or "multiclass", classes (one column, or one per class;
        "multiclass" with two classes is "binary").
        "auto" reads it from ``y`` as
        :func:`~sklearn.utils.multiclass.type_of_target` does (two values
        binary, more multiclass, numbers that are not whole continuous),
        except that floating-point numbers of more than two values are
        continuous: scikit-learn's rule calls floats that are whole numbers (a
        price, a count, a score) classes, and the column would be encoded once
        per distinct value. A regression target of integers is classes for
        "auto": pass it as floats, or say "continuous". The CV estimators
        set it for the :class:`TabularPreprocessor` they build or are given
        with "auto": "continuous" for :class:`DropoutMLPRegressorCV`, the
        classes' type for :class:`DropoutMLPClassifierCV`.

    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        The dtype of the output.

    random_state : int, RandomState instance or None, default=None
        Seeds the subsampling of ``numerical_scaling="quantile"`` and the
        folds of the target encoding. Pass an int for reproducible output.

    Attributes
    ----------
    numerical_features_ : ndarray of str objects
        The names of the numerical columns (``x<i>`` without feature names).

    categorical_features_ : ndarray of str objects
        The names of the categorical columns.

    onehot_features_ : ndarray of str objects
        The categorical columns that are one-hot encoded (with
        ``many_levels_encoding="target_and_onehot"``, target-encoded ones
        too).

    target_encoded_features_ : ndarray of str objects
        The categorical columns that are target encoded.

    missing_indicator_features_ : ndarray of str objects
        The numerical columns that had missing values in fit: each gets a 0/1
        column ``missing__<column>``.

    column_transformer_ : ColumnTransformer
        The fitted ColumnTransformer that does the work, on the columns as
        this class converts them (numbers as float64, categories as strings).
        Its parts are named ``num``, ``missing``, ``cat``, ``cat_many`` (the
        one-hot part of the many-level columns, where its cap differs from
        ``max_onehot_categories``) and ``target``, the prefixes of the output
        names.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during ``fit``, defined only when ``X`` has
        feature names that are all strings.

    See Also
    --------
    PiecewiseLinearEncoder : The piecewise-linear encoding of numbers.
    sklearn.compose.ColumnTransformer : The general tool this one configures.

    Notes
    -----
    The output, dense, holds in this order: the numerical columns
    (``num__<column>``, or ``num__<column>_bin<t>`` with the piecewise-linear
    encoding), the missing indicators (``missing__<column>``), the one-hot
    columns (``cat__<column>_<category>``, ``cat__<column>_nan`` for missing
    values, ``cat__<column>_infrequent_sklearn``) and the target-encoded
    columns (``target__<column>``, or ``target__<column>_<class>``).

    A category that ``fit`` did not see encodes as zeros in all of its
    column's one-hot columns (as the missing value, if ``fit`` saw none), with
    no error and no warning; in a target-encoded column it encodes as the
    target mean. Missing values that a numerical column did not have in fit
    are imputed, without an indicator.

    Columns that cannot be encoded are refused by name: dates and durations
    (``TypeError``: convert them to numbers), ``object`` columns that mix
    strings and numbers (``ValueError``), columns with only missing values in
    fit (``ValueError``), complex numbers (``ValueError``), lists, dicts and
    other objects (``TypeError``), infinite values (``ValueError``), numbers
    too large for the scaling in float64 (above about 1e154 with the standard
    scaling, ``ValueError``). A failed ``fit`` leaves a fitted preprocessor as
    it was. A target with missing values is refused where the target encoding
    reads it.

    A polars DataFrame is read through ``polars.DataFrame.to_pandas``, which
    needs pandas and pyarrow (a polars dtype it cannot convert, as ``Int128``,
    is refused by name). A pandas column of Arrow dictionaries (as
    ``read_parquet(..., dtype_backend="pyarrow")`` gives a categorical column)
    is categorical.

    References
    ----------
    Holzmüller, D., Grinsztajn, L. and Steinwart, I. (2024). Better by default:
    strong pre-tuned MLPs and boosted trees on tabular data. Advances in Neural
    Information Processing Systems 37.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skdropout import TabularPreprocessor
    >>> X = pd.DataFrame({
    ...     "age": [25.0, np.nan, 40.0, 31.0],
    ...     "city": ["Paris", "Lyon", "Paris", None],
    ...     "member": [True, False, True, True],
    ... })
    >>> prep = TabularPreprocessor(min_frequency=None).fit(X)
    >>> prep.get_feature_names_out()
    array(['num__age', 'num__member', 'missing__age', 'cat__city_Lyon',
           'cat__city_Paris', 'cat__city_nan'], dtype=object)
    >>> new = pd.DataFrame({"age": [30.0], "city": ["Nice"], "member": [False]})
    >>> prep.transform(new)[:, 2:]
    array([[0., 0., 0., 0.]])
    """

    _parameter_constraints: dict = {
        "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
        "numerical_scaling": [StrOptions({"standard", "quantile", "robust"})],
        "numerical_encoding": [StrOptions({"piecewise_linear"}), None],
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "min_frequency": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="neither"),
            None,
        ],
        "max_onehot_categories": [Interval(Integral, 2, None, closed="left"), None],
        "many_levels_encoding": [StrOptions({"target", "target_and_onehot"})],
        "many_levels_max_categories": [
            StrOptions({"auto"}),
            Interval(Integral, 2, None, closed="left"),
            None,
        ],
        "target_type": [StrOptions({"auto", "continuous", "binary", "multiclass"})],
        "dtype": [Options(type, {np.float64, np.float32})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        categorical_features="from_dtype",
        numerical_scaling="standard",
        numerical_encoding=None,
        n_bins=48,
        min_frequency=10,
        max_onehot_categories=30,
        many_levels_encoding="target_and_onehot",
        many_levels_max_categories="auto",
        target_type="auto",
        dtype=np.float64,
        random_state=None,
    ):
        self.categorical_features = categorical_features
        self.numerical_scaling = numerical_scaling
        self.numerical_encoding = numerical_encoding
        self.n_bins = n_bins
        self.min_frequency = min_frequency
        self.max_onehot_categories = max_onehot_categories
        self.many_levels_encoding = many_levels_encoding
        self.many_levels_max_categories = many_levels_max_categories
        self.target_type = target_type
        self.dtype = dtype
        self.random_state = random_state

    # -- fitting -----------------------------------------------------------------

    def _numerical_pipeline(self, n_samples):
        steps = [("impute", SimpleImputer(strategy="median"))]
        if self.numerical_scaling == "standard":
            steps.append(("scale", StandardScaler()))
        elif self.numerical_scaling == "quantile":
            steps.append(
                (
                    "scale",
                    QuantileTransformer(
                        n_quantiles=min(1000, n_samples),
                        output_distribution="normal",
                        subsample=10_000,
                        random_state=self.random_state,
                    ),
                )
            )
        else:
            steps += [("scale", RobustScaler()), ("clip", _SmoothClip())]
        if self.numerical_encoding == "piecewise_linear":
            steps.append(("piecewise", PiecewiseLinearEncoder(n_bins=self.n_bins)))
        return Pipeline(steps)

    def _fit(self, X, y, *, transform):
        # On any error the fitted attributes are left as they were
        # (read_columns sets n_features_in_ and feature_names_in_ first).
        with fit_transaction(self):
            return self._fit_new(X, y, transform=transform)

    def _fit_new(self, X, y, *, transform):
        columns, from_frame = read_columns(self, X, reset=True)
        declared = declared_categorical(self, len(columns))
        typed = [
            resolve_column(column, categorical=categorical, fitting=True)
            for column, categorical in zip(columns, declared)
        ]
        names = [column.name for column in columns]
        converted = [values for _, values in typed]
        self._categorical = np.array([kind == "cat" for kind, _ in typed])
        n_samples = len(converted[0])

        def select(mask):
            chosen = np.flatnonzero(mask)
            return [names[i] for i in chosen] if from_frame else chosen.tolist()

        def names_of(mask):
            return np.array([names[i] for i in np.flatnonzero(mask)], dtype=object)

        numerical = ~self._categorical
        missing = np.array(
            [
                not categorical and np.isnan(values).any()
                for categorical, values in zip(self._categorical, converted)
            ]
        )
        target_encoded = np.zeros(len(columns), dtype=bool)
        if self.max_onehot_categories is not None:
            for i in np.flatnonzero(self._categorical):
                levels = frequent_levels(converted[i], self.min_frequency)
                target_encoded[i] = levels > self.max_onehot_categories
        # The target is read only where a column has many levels.
        target_type = None
        if target_encoded.any() and y is not None:
            target_type = self._target_type_of(y)
        if target_type not in _TARGET_TYPES:
            target_encoded[:] = False
        if target_encoded.any():
            _check_target_folds(y, target_type, names_of(target_encoded))
        onehot = self._categorical & ~target_encoded
        # The many-level columns' one-hot part: with the same cap, in the one
        # encoder of the others (their order of columns); with another, apart.
        onehot_many = np.zeros_like(onehot)
        if self.many_levels_encoding == "target_and_onehot":
            many_cap = self.many_levels_max_categories
            if many_cap in ("auto", self.max_onehot_categories):
                onehot = self._categorical
            else:
                onehot_many = target_encoded

        parts = []
        if numerical.any():
            parts.append(
                ("num", self._numerical_pipeline(n_samples), select(numerical))
            )
        if missing.any():
            parts.append(("missing", MissingIndicator(features="all"), select(missing)))
        for name, columns, cap in (
            ("cat", onehot, self.max_onehot_categories),
            ("cat_many", onehot_many, self.many_levels_max_categories),
        ):
            if columns.any():
                encoder = OneHotEncoder(
                    handle_unknown="ignore",
                    min_frequency=self.min_frequency,
                    max_categories=cap,
                    sparse_output=False,
                )
                parts.append((name, encoder, select(columns)))
        if target_encoded.any():
            encoder = _target_encoder(target_type, self.random_state)
            parts.append(("target", encoder, select(target_encoded)))
        self.column_transformer_ = ColumnTransformer(
            parts, remainder="drop", sparse_threshold=0
        ).set_output(transform="default")

        self.numerical_features_ = names_of(numerical)
        self.categorical_features_ = names_of(self._categorical)
        self.onehot_features_ = names_of(onehot | onehot_many)
        self.target_encoded_features_ = names_of(target_encoded)
        self.missing_indicator_features_ = names_of(missing)
        self._from_frame = from_frame
        # The levels are spelled by _level_strings (a model without this
        # attribute was fitted before, and keeps its spelling).
        self._canonical_levels = True

        data = assemble(names, converted, from_frame)
        if transform:
            out = self.column_transformer_.fit_transform(data, y)
            self._check_scaling()
            return self._checked(self._as_dtype(out))
        self.column_transformer_.fit(data, y)
        self._check_scaling()
        return self

    def _as_dtype(self, out):
        """The output in ``dtype``; a value beyond float32's range becomes
        infinite there, which ``_checked`` then refuses by name."""
        with np.errstate(over="ignore"):
            return np.asarray(out, dtype=self.dtype)

    def _checked(self, out):
        if not np.isfinite(out).all():
            raise non_finite_error(self, out)
        return out

    def _check_scaling(self):
        """Refuse a numerical column whose scaling is not finite (numbers
        above about 1e154 overflow the standard scaling's variance), as the
        output of ``fit_transform`` is refused."""
        pipeline = self.column_transformer_.named_transformers_.get("num")
        if pipeline is None:
            return
        n_numerical = len(self.numerical_features_)
        bad = np.zeros(n_numerical, dtype=bool)
        for _, step in pipeline.steps:
            for name, value in vars(step).items():
                if (
                    name.endswith("_")
                    and isinstance(value, np.ndarray)
                    and value.dtype.kind == "f"
                    and value.shape[-1:] == (n_numerical,)
                ):
                    bad |= ~np.isfinite(value.reshape(-1, n_numerical)).all(axis=0)
        if bad.any():
            names = ", ".join(repr(str(n)) for n in self.numerical_features_[bad])
            raise ValueError(
                f"The scaling of the numerical column(s) {names} is not finite: "
                "a number too large for it in float64 (above about 1e154) does "
                "this. Rescale or drop those columns."
            )

    def _target_type_of(self, y):
        """The target's type for the target encoding: ``target_type``, or
        read from ``y`` for "auto"; what ``type_of_target`` says where no
        target encoding applies (several columns, no classes)."""
        check_target_present(y)
        read = target_type(y)
        if read == "unknown":
            raise ValueError(
                "The target encoding cannot read the type of y (scikit-learn's "
                "type_of_target calls it 'unknown'): give it numbers or class "
                "labels of one type."
            )
        if read not in _TARGET_TYPES:
            return read
        values = np.asarray(y)
        if self.target_type == "auto":
            if read == "multiclass" and values.dtype.kind == "f":
                return "continuous"
            return read
        if self.target_type == "continuous" and values.dtype.kind not in "biuf":
            raise ValueError(
                "target_type='continuous' needs a target of numbers; this one "
                f"holds {values.dtype} values such as {values.flat[0]!r}. Pass "
                "target_type='auto' for classes."
            )
        if self.target_type == "binary" and read == "multiclass":
            raise ValueError(
                "target_type='binary' needs a target of two classes; this one "
                f"has {len(np.unique(values))}. Pass target_type='multiclass' or "
                "'auto'."
            )
        if self.target_type == "multiclass" and read == "binary":
            return "binary"  # TargetEncoder's one column for two classes
        if self.target_type != "continuous" and read == "continuous":
            raise ValueError(
                f"target_type={self.target_type!r} needs classes; this target "
                "holds numbers that are not whole. Pass target_type='continuous'."
            )
        return self.target_type

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Type the columns and fit the imputers, scalers and encoders.

        Parameters
        ----------
        X : {DataFrame, array-like} of shape (n_samples, n_features)
            The training table: a pandas or polars DataFrame, or an array.
            Missing values (NaN, None, pandas.NA) are allowed.

        y : array-like of shape (n_samples,), default=None
            The target, used only to target encode the categorical columns with
            more than ``max_onehot_categories`` levels.

        Returns
        -------
        self : object
            The fitted preprocessor.
        """
        return self._fit(X, y, transform=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit, then transform X, with the target encoding cross-fitted.

        The same as ``fit(X, y).transform(X)`` except in target-encoded
        columns, where each training row is encoded by the levels' means on
        the other folds (see ``max_onehot_categories``).

        Parameters
        ----------
        X : {DataFrame, array-like} of shape (n_samples, n_features)
            The training table.

        y : array-like of shape (n_samples,), default=None
            The target (for target encoding only).

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out)
            The encoded table.
        """
        return self._fit(X, y, transform=True)

    def transform(self, X):
        """Encode a table with the columns seen in fit.

        Parameters
        ----------
        X : {DataFrame, array-like} of shape (n_samples, n_features)
            The table, with the columns (and, for a DataFrame, the names) seen
            in fit. New categories are encoded as zeros; missing values are
            imputed.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out)
            The encoded table, of type ``dtype``.
        """
        check_is_fitted(self)
        columns, converted = self._read(X)
        names = [column.name for column in columns]
        data = assemble(names, converted, self._from_frame)
        out = self.column_transformer_.transform(data)
        return self._checked(self._as_dtype(out))

    def _read(self, X):
        """X's columns, checked against the fit's, and their values converted
        as in fit (numbers as floats, levels as strings)."""
        columns, _ = read_columns(self, X, reset=False)
        legacy_levels = not getattr(self, "_canonical_levels", False)
        converted = [
            resolve_column(
                column,
                categorical=bool(categorical),
                fitting=False,
                legacy_levels=legacy_levels,
            )[1]
            for column, categorical in zip(columns, self._categorical)
        ]
        return columns, converted

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns, prefixed by the part that made them.

        ``num__<column>`` (``num__<column>_bin<t>`` with the piecewise-linear
        encoding), ``missing__<column>``, ``cat__<column>_<category>`` and
        ``target__<column>`` (``target__<column>_<class>`` for several
        classes).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            The input column names; ``feature_names_in_`` if fitted on a
            DataFrame, else ``x0``, ``x1``, ...

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output column.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        inner = None if self._from_frame else names
        out = self.column_transformer_.get_feature_names_out(inner)
        prefix = "missing__missingindicator_"
        names = [
            "missing__" + name[len(prefix) :] if name.startswith(prefix) else name
            for name in out
        ]
        return np.array(_unique_names(names), dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.transformer_tags.preserves_dtype = [np.dtype(self.dtype).name]
        return tags
