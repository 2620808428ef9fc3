"""TabularPreprocessor: column typing from dtypes and categorical_features,
missing values, unseen categories, the scalings, one-hot against target
encoding, the errors that name a column, output names and types, polars,
persistence with skops and pickle, and a pipeline ending in a dropout MLP."""

import datetime
import pickle
import warnings

import numpy as np
import pytest
from _skops_types import _remainder_types
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import QuantileTransformer, RobustScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdropout import DropoutMLPClassifier, PiecewiseLinearEncoder, TabularPreprocessor
from skdropout._tabular import smooth_clip

pd = pytest.importorskip("pandas")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = [
    TabularPreprocessor(),
    TabularPreprocessor(numerical_scaling="quantile", random_state=0),
    TabularPreprocessor(numerical_scaling="robust"),
    TabularPreprocessor(numerical_encoding="piecewise_linear", n_bins=4),
    TabularPreprocessor(dtype=np.float32),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    """Each of scikit-learn's API checks passes."""
    check(estimator)


def _mixed_frame():
    """Eight rows with a missing value in every column type."""
    return pd.DataFrame(
        {
            "height": [1.5, np.nan, 1.7, 1.8, 1.6, 1.9, 1.7, 1.6],
            "age": pd.array([25, None, 40, 31, 52, 47, 33, 29], dtype="Int64"),
            "member": pd.array(
                [True, None, False, True, True, False, True, False], dtype="boolean"
            ),  # fmt: skip
            "city": pd.array(
                ["Paris", "Lyon", None, "Paris", "Nice", "Lyon", "Paris", "Nice"],
                dtype="string",
            ),  # fmt: skip
            "colour": pd.Categorical(
                ["red", "blue", "red", None, "blue", "red", "red", "blue"]
            ),  # fmt: skip
            "plan": ["a", "b", "a", np.nan, "b", None, "a", "a"],
            "rooms": [1, 2, 3, 2, 1, 3, 2, 2],
        }
    )


def test_mixed_frame_with_missing_values_everywhere():
    """Every column type with NaN encodes to finite numbers: numbers and
    booleans imputed and flagged, categories with a 'nan' column."""
    X = _mixed_frame()
    prep = TabularPreprocessor(min_frequency=None)
    out = prep.fit_transform(X)
    assert out.dtype == np.float64 and np.isfinite(out).all()
    assert_array_equal(prep.numerical_features_, ["height", "age", "member", "rooms"])
    assert_array_equal(prep.categorical_features_, ["city", "colour", "plan"])
    assert_array_equal(prep.missing_indicator_features_, ["height", "age", "member"])
    names = list(prep.get_feature_names_out())
    assert names[:7] == [
        "num__height", "num__age", "num__member", "num__rooms",
        "missing__height", "missing__age", "missing__member",
    ]  # fmt: skip
    assert {
        "cat__city_Paris",
        "cat__city_nan",
        "cat__colour_nan",
        "cat__plan_nan",
    } <= set(names)
    assert_array_equal(out[1, 4:7], [1, 1, 1])
    assert out.shape == (8, len(names))
    assert_allclose(out, prep.fit(X).transform(X))


def test_unseen_categories_encode_as_zeros_without_warning():
    """Categories that fit did not see give zeros in their one-hot columns,
    with no error and no warning; missing numbers are imputed and flagged."""
    X = _mixed_frame()
    prep = TabularPreprocessor(min_frequency=None).fit(X)
    new = pd.DataFrame(
        {
            "height": [np.nan],
            "age": pd.array([None], dtype="Int64"),
            "member": pd.array([None], dtype="boolean"),
            "city": pd.array(["Berlin"], dtype="string"),
            "colour": pd.Categorical(["green"]),
            "plan": ["z"],
            "rooms": [9],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = prep.set_output(transform="pandas").transform(new)
    categories = [c for c in out.columns if c.startswith("cat__")]
    assert_array_equal(out[categories].to_numpy(), 0)
    assert_array_equal(out[["missing__height", "missing__age"]].to_numpy(), 1)
    assert_array_equal(out.columns, prep.get_feature_names_out())


def test_booleans_are_zero_one_numbers():
    """A bool column is numerical, 0 and 1 before scaling."""
    X = pd.DataFrame({"flag": [True, False, True, True]})
    prep = TabularPreprocessor().fit(X)
    assert_array_equal(prep.numerical_features_, ["flag"])
    scaler = prep.column_transformer_.named_transformers_["num"][-1]
    assert_allclose(scaler.mean_, [0.75])


@pytest.mark.parametrize(
    "spec", [["age", "plan", "rooms"], [1, 3, -1], [False, True, False, True, True]]
)
def test_categorical_features_by_name_index_or_mask(spec):
    """categorical_features makes the listed columns categorical (whole numbers
    as integer strings, also with missing values), the others numerical, as in
    HistGradientBoosting."""
    X = _mixed_frame()[["height", "age", "member", "plan", "rooms"]]
    prep = TabularPreprocessor(categorical_features=spec, min_frequency=None).fit(X)
    assert_array_equal(prep.categorical_features_, ["age", "plan", "rooms"])
    assert_array_equal(prep.numerical_features_, ["height", "member"])
    names = prep.get_feature_names_out()
    assert {"cat__rooms_3", "cat__age_25", "cat__age_nan"} <= set(names)


def test_strings_outside_categorical_features_are_an_error():
    """A column of strings left out of categorical_features is refused by name."""
    X = _mixed_frame()[["height", "plan"]]
    with pytest.raises(ValueError, match="'plan'.*not in categorical_features"):
        TabularPreprocessor(categorical_features=["height"]).fit(X)


def test_numpy_arrays_numbers_and_strings():
    """A numeric array is all numbers; an object array of strings all
    categories; an object array of numbers all numbers."""
    numbers = TabularPreprocessor().fit(np.array([[1.0, np.nan], [2.0, 3.0]]))
    assert_array_equal(numbers.numerical_features_, ["x0", "x1"])
    assert_array_equal(numbers.missing_indicator_features_, ["x1"])
    strings = np.array([["a", None], ["b", "c"], ["a", "c"]], dtype=object)
    prep = TabularPreprocessor(min_frequency=None).fit(strings)
    assert_array_equal(prep.categorical_features_, ["x0", "x1"])
    assert "cat__x1_nan" in prep.get_feature_names_out()
    objects = TabularPreprocessor().fit(np.array([[1, 2.5], [3, None]], dtype=object))
    assert_array_equal(objects.numerical_features_, ["x0", "x1"])


def test_missing_indicator_only_for_columns_missing_in_fit():
    """Only columns with NaN in fit get an indicator; NaN that appears at
    transform in another column is imputed with its median."""
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [1.0, 2.0, 6.0]})
    prep = TabularPreprocessor().fit(X)
    assert_array_equal(prep.missing_indicator_features_, ["a"])
    out = prep.transform(pd.DataFrame({"a": [1.0], "b": [np.nan]}))
    assert_allclose(
        out[0, 1], prep.transform(pd.DataFrame({"a": [1.0], "b": [2.0]}))[0, 1]
    )


def test_scalings():
    """standard: zero mean, unit variance; quantile: QuantileTransformer to a
    normal with n_quantiles capped by the rows (no warning); robust:
    RobustScaler then the smooth clipping, bounded by 3."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"x": np.r_[rng.normal(size=29), 1e6]})
    standard = TabularPreprocessor().fit_transform(X)
    assert_allclose([standard.mean(), standard.std()], [0, 1], atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quantile = TabularPreprocessor(numerical_scaling="quantile").fit_transform(X)
    expected = QuantileTransformer(n_quantiles=30, output_distribution="normal")
    assert_allclose(quantile, expected.fit_transform(X))
    robust = TabularPreprocessor(numerical_scaling="robust").fit_transform(X)
    assert_allclose(robust, smooth_clip(RobustScaler().fit_transform(X)))
    assert np.abs(robust).max() < 3 and robust.max() > 2.99


def test_smooth_clip_values():
    """x / sqrt(1 + (x/3)^2): 0 -> 0, 3 -> 3/sqrt(2), odd."""
    assert_allclose(
        smooth_clip(np.array([0.0, 3.0, -3.0])), [0, 3 / 2**0.5, -3 / 2**0.5]
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_smooth_clip_of_numbers_too_large_to_square_is_the_bound(dtype):
    """Where (x/3)^2 overflows, the value is +-3 (x / inf would be 0: a huge
    outlier encoded as the median), in the input's dtype, without a warning;
    below, the formula as it is."""
    huge = np.finfo(dtype).max
    x = np.array([1e10, huge / 4, huge, -huge, 5.0], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = smooth_clip(x)
    assert out.dtype == dtype
    assert_array_equal(out[:4], np.array([3, 3, 3, -3], dtype=dtype))
    below = x[-1:]  # an array: NumPy < 2 promotes a float32 scalar's arithmetic
    assert out[-1] == (below / np.sqrt(1 + (below / 3) ** 2))[0]


def test_piecewise_linear_option_keeps_missing_indicators():
    """numerical_encoding='piecewise_linear' encodes each number after scaling
    as ramps (num__<column>_bin<t>) and keeps the missing indicators."""
    X = pd.DataFrame({"x": [0.0, 1, 2, 3, np.nan, 4, 5, 6, 7, 8]})
    prep = TabularPreprocessor(numerical_encoding="piecewise_linear", n_bins=4)
    out = prep.fit_transform(X)
    names = list(prep.get_feature_names_out())
    assert names == [f"num__x_bin{t}" for t in range(4)] + ["missing__x"]
    encoder = prep.column_transformer_.named_transformers_["num"][-1]
    assert isinstance(encoder, PiecewiseLinearEncoder)
    assert_array_equal(out[:, -1], np.isnan(X["x"]))
    assert_allclose(out[0, :4], [0, 0, 0, 0])
    assert_allclose(out[-1, :4], [1, 1, 1, 1])


def test_infrequent_categories_are_pooled():
    """Categories rarer than min_frequency share one infrequent column."""
    X = pd.DataFrame({"c": ["a"] * 5 + ["b"] * 5 + ["c", "d"]})
    prep = TabularPreprocessor(min_frequency=3).fit(X)
    assert_array_equal(
        prep.get_feature_names_out(),
        ["cat__c_a", "cat__c_b", "cat__c_infrequent_sklearn"],
    )
    out = prep.transform(pd.DataFrame({"c": ["c", "new"]}))
    assert_array_equal(out, [[0, 0, 1], [0, 0, 0]])


def _many_levels(n=60, levels=40):
    rng = np.random.RandomState(0)
    X = pd.DataFrame(
        {"zip": [f"z{i % levels}" for i in range(n)], "x": rng.normal(size=n)}
    )
    return X, (np.arange(n) % levels < levels // 2).astype(int)


def test_many_levels_are_target_encoded_with_a_target():
    """A column with more levels than max_onehot_categories is target encoded
    when fit has y, cross-fitted by fit_transform (alone with
    many_levels_encoding='target')."""
    X, y = _many_levels()
    prep = TabularPreprocessor(
        min_frequency=1,
        max_onehot_categories=10,
        many_levels_encoding="target",
        random_state=0,
    )
    crossed = prep.fit_transform(X, y)
    assert_array_equal(prep.target_encoded_features_, ["zip"])
    assert list(prep.get_feature_names_out()) == ["num__x", "target__zip"]
    refit = prep.transform(X)
    assert not np.allclose(crossed[:, 1], refit[:, 1])  # cross fitting
    assert_allclose(crossed[:, 0], refit[:, 0])


def test_many_levels_target_and_onehot():
    """many_levels_encoding='target_and_onehot' (the default) keeps the target
    encoding and adds the capped one-hot columns: the frequent levels one each, the rest
    one column; an unseen level is zeros there and the target mean in its
    target column. Columns with few levels are encoded as before."""
    X, y = _many_levels()
    X["few"] = np.where(np.arange(len(X)) % 2, "a", "b")
    params = dict(min_frequency=1, max_onehot_categories=10, random_state=0)
    alone = TabularPreprocessor(**params, many_levels_encoding="target").fit(X, y)
    both = TabularPreprocessor(**params).fit(X, y)  # the default
    assert_array_equal(both.target_encoded_features_, ["zip"])
    assert_array_equal(both.onehot_features_, ["zip", "few"])
    names = list(both.get_feature_names_out())
    zip_onehot = [n for n in names if n.startswith("cat__zip_")]
    assert len(zip_onehot) == 10 and "cat__zip_infrequent_sklearn" in zip_onehot
    assert names[-1] == "target__zip"
    columns = [names.index(n) for n in zip_onehot]
    out, out_alone = both.transform(X), alone.transform(X)
    assert_allclose(out[:, columns].sum(axis=1), 1)
    for name in alone.get_feature_names_out():  # the other columns unchanged
        assert_allclose(out[:, names.index(name)], out_alone[:, list(
            alone.get_feature_names_out()).index(name)])  # fmt: skip
    new = X.iloc[:1].assign(zip="never seen")
    row = both.transform(new)[0]
    assert_array_equal(row[columns], 0)
    assert_allclose(row[-1], both.column_transformer_.named_transformers_[
        "target"].target_mean_)  # fmt: skip


def test_many_levels_without_a_target_are_capped_one_hot():
    """Without y such a column stays one-hot, with at most
    max_onehot_categories columns."""
    X, _ = _many_levels()
    prep = TabularPreprocessor(min_frequency=1, max_onehot_categories=10).fit(X)
    assert len(prep.target_encoded_features_) == 0
    assert_array_equal(prep.onehot_features_, ["zip"])
    assert prep.transform(X).shape == (60, 1 + 10)


def _target_columns(prep):
    return [n for n in prep.get_feature_names_out() if n.startswith("target__")]


def test_float_targets_of_whole_numbers_are_continuous():
    """target_type='auto' encodes a target of floats with many whole values
    (a price, a count) as continuous: one column, not one per value as
    type_of_target's 'multiclass' would give; integers stay classes, and two
    float values stay binary."""
    X, _ = _many_levels()
    rng = np.random.RandomState(0)
    params = dict(min_frequency=1, max_onehot_categories=10, random_state=0)
    prices = rng.randint(100, 400, len(X)).astype(float)
    prep = TabularPreprocessor(**params).fit(X, prices)
    assert _target_columns(prep) == ["target__zip"]
    encoder = prep.column_transformer_.named_transformers_["target"]
    assert encoder.target_type_ == "continuous"
    grades = rng.randint(0, 3, len(X))
    assert len(_target_columns(TabularPreprocessor(**params).fit(X, grades))) == 3
    said = TabularPreprocessor(**params, target_type="continuous").fit(X, grades)
    assert _target_columns(said) == ["target__zip"]
    flags = TabularPreprocessor(**params).fit(X, grades % 2 * 1.0)
    assert flags.column_transformer_.named_transformers_["target"].target_type_ == (
        "binary"
    )
    classes = TabularPreprocessor(**params, target_type="multiclass")
    assert len(_target_columns(classes.fit(X, grades * 1.0))) == 3


@pytest.mark.parametrize(
    "target_type, y, match",
    [
        ("continuous", np.array(["a", "b", "c"] * 20), "needs a target of numbers"),
        ("binary", np.arange(60) % 3, "needs a target of two classes; this one has 3"),
        ("multiclass", np.linspace(0, 1, 60), "needs classes"),
        ("binary", np.linspace(0, 1, 60), "needs classes"),
    ],
)
def test_a_target_type_that_does_not_fit_the_target_is_refused(target_type, y, match):
    """A target_type that y contradicts is a ValueError naming target_type,
    not an error inside TargetEncoder."""
    X, _ = _many_levels()
    prep = TabularPreprocessor(min_frequency=1, max_onehot_categories=10)
    with pytest.raises(ValueError, match=f"target_type='{target_type}' {match}"):
        prep.set_params(target_type=target_type).fit(X, y)


def test_multiclass_with_two_classes_is_binary():
    """target_type='multiclass' with two classes encodes as 'binary' (one
    column) instead of failing inside TargetEncoder."""
    X, y = _many_levels()
    prep = TabularPreprocessor(
        min_frequency=1, max_onehot_categories=10, target_type="multiclass"
    ).fit(X, y)
    assert _target_columns(prep) == ["target__zip"]


def test_target_is_read_only_for_many_levels():
    """Without a many-level column, y is not read: any y fits, even with NaN."""
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "c": ["x", "y", "x"]})
    prep = TabularPreprocessor().fit(X, [np.nan, 1.0, 2.0])
    assert len(prep.target_encoded_features_) == 0


@pytest.mark.parametrize(
    "column, error, match",
    [
        (pd.date_range("2020-01-01", periods=4), TypeError, "'bad'.*dates"),
        (pd.to_timedelta([1, 2, 3, 4], unit="D"), TypeError, "'bad'.*durations"),
        ([datetime.date(2020, 1, d) for d in range(1, 5)], TypeError, "'bad'.*dates"),
        (["a", 1, "b", 2.5], ValueError, "'bad' mixes strings and numbers"),
        ([np.nan] * 4, ValueError, "'bad' has only missing values"),
        ([None] * 4, ValueError, "'bad' has only missing values"),
        (np.array([1j, 2, 3, 4]), ValueError, "'bad' holds complex"),
        ([[1], [2], [3], [4]], TypeError, "'bad' holds a value of type list"),
        ([{"a": 1}, None, None, None], TypeError, "'bad' holds a value of type dict"),
        ([1.0, np.inf, 2.0, 3.0], ValueError, "'bad' holds infinite"),
        ([pd.Period("2020-01", "M")] * 4, TypeError, "'bad' holds dates"),
    ],
    ids=[
        "datetime",
        "timedelta",
        "date-objects",
        "mixed",
        "all-nan",
        "all-none",
        "complex",
        "list",
        "dict",
        "inf",
        "period-objects",
    ],  # fmt: skip
)
def test_unencodable_columns_are_refused_by_name(column, error, match):
    """Columns nothing can encode raise an error that names them and says what
    to do."""
    X = pd.DataFrame({"ok": [1.0, 2.0, 3.0, 4.0]})
    X["bad"] = pd.Series(list(column) if isinstance(column, list) else column)
    with pytest.raises(error, match=match):
        TabularPreprocessor().fit(X)


def test_transform_refuses_strings_in_a_numerical_column():
    """A column numerical in fit that holds strings at transform is refused."""
    prep = TabularPreprocessor().fit(pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="'a'.*numerical in fit"):
        prep.transform(pd.DataFrame({"a": ["x", "y"]}))


def test_empty_frames_are_refused():
    """No rows or no columns: scikit-learn's errors."""
    with pytest.raises(ValueError, match="0 sample"):
        TabularPreprocessor().fit(pd.DataFrame({"a": []}))
    with pytest.raises(ValueError, match="0 feature"):
        TabularPreprocessor().fit(pd.DataFrame(index=range(3)))


def _pyarrow():
    """pyarrow, or a skip where it is missing or does not import (a pyarrow
    built for NumPy 2 raises ImportError beside NumPy 1, which importorskip
    does not skip)."""
    try:
        import pyarrow
    except ImportError as error:
        pytest.skip(f"pyarrow does not import here: {error}")
    return pyarrow


def _levels(values, dtype=None):
    return pd.DataFrame({"v": pd.Series(values, dtype=dtype), "a": 0.0})


#: (fitted on, then given): one level spelled the same however its column
#: stores it.
STORED_ANOTHER_WAY = {
    "category of ints, with then without a missing value": (
        _levels(pd.Categorical([1, 2, 3, None] * 3)),
        _levels(pd.Categorical([1, 2, 3])),
    ),
    "category of ints, without then with a missing value": (
        _levels(pd.Categorical([1, 2, 3] * 4)),
        _levels(pd.Categorical([1, 2, 3, None])),
    ),
    "category of ints, then int64 and Int64": (
        _levels(pd.Categorical([1, 2, 3] * 4)),
        _levels([1, 2, 3], "Int64"),
    ),
    "category of whole floats, then objects": (
        _levels(pd.Categorical([1.0, 2.0, 3.0] * 4)),
        _levels(np.array([1, 2.0, np.int64(3)], dtype=object)),
    ),
    # Beyond 2**53: every float64 is a whole number, spelled as the integer.
    "ids beyond 2**53 as int64, then float64 and Int64 with a missing value": (
        _levels(pd.Categorical([2**53 + 2 * i for i in range(3)] * 4)),
        _levels([2**53, 2**53 + 2, None], "Int64"),
    ),
    "ids beyond 2**53 as Int64 with a missing value, then int64": (
        _levels(pd.Categorical(pd.array([2**53, 2**53 + 2, None] * 4, "Int64"))),
        _levels(np.array([2**53, 2**53 + 2], dtype=np.int64)),
    ),
    "odd ids beyond 2**53 as int64, then Int64 (no float64 holds them)": (
        _levels(pd.Categorical([2**53 + 1 + 2 * i for i in range(3)] * 4)),
        _levels([2**53 + 1, 2**53 + 3], "Int64"),
    ),
    "category of bools, then a bool column": (
        _levels(pd.Categorical([True, False] * 6)),
        _levels([True, False]),
    ),
    "category of bools, then objects with None": (
        _levels(pd.Categorical([True, False] * 6)),
        _levels(np.array([True, False, None], dtype=object)),
    ),
}


@pytest.mark.parametrize(
    "fitted_on, given", STORED_ANOTHER_WAY.values(), ids=STORED_ANOTHER_WAY.keys()
)
def test_a_level_is_one_level_however_its_column_stores_it(fitted_on, given):
    """A categorical column stored another way at transform time (with or
    without a missing value, as a category, numbers, objects or booleans)
    encodes its levels as the fit's column does: the same one-hot rows, not
    unseen levels."""
    prep = TabularPreprocessor(min_frequency=None).fit(fitted_on)
    names = prep.get_feature_names_out().tolist()
    assert not any(name.endswith(".0") for name in names)
    levels = [n for n in names if n.startswith("cat__v_") and not n.endswith("nan")]
    out = prep.transform(given)[:, [names.index(n) for n in levels]]
    present = given["v"].notna().to_numpy()
    assert_array_equal(out[present].sum(axis=1), 1)
    spelled = {True: "True", False: "False"}
    expected = [
        f"cat__v_{spelled[v] if isinstance(v, (bool, np.bool_)) else int(v)}"
        for v in given["v"][present]
    ]
    assert_array_equal(np.array(levels)[out[present].argmax(axis=1)], expected)


def test_a_numerical_column_stored_as_a_category_of_numbers():
    """A column numerical in fit that comes as a category of numbers (or
    booleans) is read as those numbers; a category of strings is still
    refused."""
    X = pd.DataFrame({"n": [1.0, 2.0, 3.0, 4.0], "f": [True, False] * 2})
    prep = TabularPreprocessor().fit(X)
    as_categories = X.astype("category")
    assert_array_equal(prep.transform(as_categories), prep.transform(X))
    with pytest.raises(ValueError, match="'n' holds strings or categories"):
        prep.transform(X.assign(n=pd.Categorical(["a", "b", "a", "b"])))


def test_booleans_listed_as_categorical_are_false_and_true():
    """A bool column listed in categorical_features has the levels "False"
    and "True", as a category or objects of booleans have."""
    X = pd.DataFrame({"f": [True, False] * 6, "a": 0.0})
    prep = TabularPreprocessor(min_frequency=None, categorical_features=["f"])
    names = prep.fit(X).get_feature_names_out().tolist()
    assert names == ["num__a", "cat__f_False", "cat__f_True"]
    objects = pd.DataFrame({"f": np.array([True, None], dtype=object), "a": 0.0})
    assert_array_equal(prep.transform(objects)[:, 1:], [[0, 1], [0, 0]])


def test_a_model_fitted_before_keeps_its_spelling_of_levels():
    """A preprocessor fitted before the levels had one spelling (no
    ``_canonical_levels``) reads a category of floats with a missing value as
    it did, "1.0", so its encoders still meet the levels they were fitted on."""
    old_levels = _levels(pd.Categorical(["1.0", "2.0", None] * 4))
    given = _levels(pd.Categorical([1.0, 2.0, None]))
    prep = TabularPreprocessor(min_frequency=None).fit(old_levels)
    assert_array_equal(prep.transform(given)[:, 1:3], [[0, 0], [0, 0], [0, 0]])
    del prep._canonical_levels
    assert_array_equal(prep.transform(given)[:, 1:3], [[1, 0], [0, 1], [0, 0]])


@pytest.mark.parametrize(
    "bad",
    [
        pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": list("xyxy"), "e": np.nan}),
        pd.DataFrame({"a": [1.0, 2.0, 3.0, np.inf], "b": list("xyxy")}),
        pd.DataFrame({"a": [1.0, 2.0, 3.0, 1e300], "b": list("xyxy")}),
        pd.DataFrame(index=range(4)),
        pd.DataFrame({"a": pd.date_range("2020-01-01", periods=4), "b": list("xyxy")}),
    ],
    ids=["all-missing", "inf", "too-large", "no-columns", "dates"],
)
@pytest.mark.filterwarnings(
    "ignore:overflow encountered:RuntimeWarning",
    "ignore:invalid value encountered:RuntimeWarning",
)
@pytest.mark.parametrize("method", ["fit", "fit_transform"])
def test_a_failed_fit_leaves_the_preprocessor_as_it_was(bad, method):
    """A fit that raises leaves a fitted preprocessor fitted as before (its
    columns, names and output) and an unfitted one unfitted."""
    from sklearn.exceptions import NotFittedError

    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": list("xyxy")})
    prep = TabularPreprocessor().fit(X)
    before, state = prep.transform(X), dict(vars(prep))
    with pytest.raises((TypeError, ValueError)):
        getattr(prep, method)(bad)
    assert vars(prep).keys() == state.keys()
    assert all(vars(prep)[key] is value for key, value in state.items())
    assert_array_equal(prep.transform(X), before)
    unfitted = TabularPreprocessor()
    with pytest.raises((TypeError, ValueError)):
        getattr(unfitted, method)(bad)
    with pytest.raises(NotFittedError):
        unfitted.transform(X)


@pytest.mark.filterwarnings(
    "ignore:overflow encountered:RuntimeWarning",
    "ignore:invalid value encountered:RuntimeWarning",
)
def test_numbers_too_large_to_scale_are_refused_by_name():
    """Numbers whose standard scaling overflows float64 are refused naming
    the column, by fit, fit_transform and transform, instead of giving NaN."""
    X = pd.DataFrame({"ok": [1.0, 2.0, 3.0, 4.0], "big": [1.0, 2.0, 3.0, 1e300]})
    with pytest.raises(ValueError, match="scaling of the numerical column.*'big'"):
        TabularPreprocessor().fit(X)
    with pytest.raises(ValueError, match="scaling of the numerical column.*'big'"):
        TabularPreprocessor().fit_transform(X)
    small = pd.DataFrame({"ok": [1.0, 2.0, 3.0, 4.0], "big": [0.0, 0.1, 0.2, 0.3]})
    prep = TabularPreprocessor().fit(small)
    with pytest.raises(ValueError, match="infinite values in 'num__big'"):
        prep.transform(small.assign(big=1e308))
    # The quantile scaling takes such numbers, and the robust scaling's smooth
    # clipping bounds them.
    out = TabularPreprocessor(numerical_scaling="quantile").fit_transform(X)
    assert np.isfinite(out).all()
    outlier = pd.DataFrame({"big": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1e300]})
    out = TabularPreprocessor(numerical_scaling="robust").fit_transform(outlier)
    assert out[-1, 0] == 3.0
    # A number within float64's scaling but beyond float32's range once scaled
    # is refused in float32, naming that limit (and without NumPy's warning).
    prep = TabularPreprocessor(dtype=np.float32).fit(small)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="'num__big'.*float32 once scaled"):
            prep.transform(small.assign(big=1e40))


def test_a_numerical_column_all_missing_as_strings_is_imputed():
    """A numerical column that comes all missing in a string dtype (pandas'
    "string"; polars' String column of nulls) is imputed, as the same
    column of None objects is."""
    prep = TabularPreprocessor().fit(pd.DataFrame({"a": [1.0, 2.0, 4.0]}))
    as_objects = prep.transform(pd.DataFrame({"a": np.array([None] * 2, object)}))
    as_strings = prep.transform(pd.DataFrame({"a": pd.array([None] * 2, "string")}))
    assert_array_equal(as_strings, as_objects)
    assert np.isfinite(as_strings).all()


def test_arrow_dictionary_columns_are_categories():
    """A categorical column read with pandas' pyarrow backend (an Arrow
    dictionary) encodes as the same pandas category column."""
    pa = _pyarrow()
    cities = ["Paris", "Lyon", None, "Paris"] * 3
    X = pd.DataFrame({"city": pd.Categorical(cities), "a": np.arange(12.0)})
    arrow = pd.array(pa.array(cities).dictionary_encode(), dtype=pd.ArrowDtype(
        pa.dictionary(pa.int32(), pa.string())))  # fmt: skip
    X_arrow = X.assign(city=arrow)
    prep = TabularPreprocessor(min_frequency=None)
    assert_array_equal(prep.fit_transform(X_arrow), prep.fit_transform(X))
    assert_array_equal(prep.fit(X_arrow).transform(X_arrow), prep.transform(X))


@pytest.mark.parametrize("dtype", ["Int64", "int64[pyarrow]"])
def test_integer_ids_beyond_float64_with_missing_values_stay_apart(dtype):
    """Odd integers beyond 2**53 in a nullable (or Arrow) integer column with
    a missing value, listed as categorical: one level each, as the same
    numbers stored as int64 give (through float64 they were one level)."""
    if dtype.endswith("[pyarrow]"):
        _pyarrow()
    ids = [2**60 + 1, 2**60 + 3, 2**60 + 5]
    X = pd.DataFrame({"id": pd.array([*ids, None] * 3, dtype=dtype)})
    prep = TabularPreprocessor(categorical_features=["id"], min_frequency=1)
    names = prep.fit(X).get_feature_names_out().tolist()
    assert names == [f"cat__id_{i}" for i in ids] + ["cat__id_nan"]
    as_int64 = pd.DataFrame({"id": np.array(ids, dtype=np.int64)})
    assert_array_equal(prep.transform(as_int64)[:, :3], np.eye(3))
    # As numbers, the same column is imputed and scaled as before.
    numbers = TabularPreprocessor().fit_transform(X)
    assert np.isfinite(numbers).all() and numbers.shape == (12, 2)


def test_arrow_null_and_temporal_columns():
    """An Arrow null column is all missing (refused in fit, imputed in a
    numerical column at transform, as a polars Null column is); Arrow dates,
    times and durations get the message of dates."""
    pa = _pyarrow()
    null = pd.Series([None] * 4, dtype=pd.ArrowDtype(pa.null()))
    with pytest.raises(ValueError, match="'bad' has only missing values"):
        TabularPreprocessor().fit(pd.DataFrame({"ok": np.arange(4.0), "bad": null}))
    prep = TabularPreprocessor().fit(pd.DataFrame({"a": [1.0, 2.0, 5.0]}))
    assert_array_equal(
        prep.transform(pd.DataFrame({"a": null})),
        prep.transform(pd.DataFrame({"a": [np.nan] * 4})),
    )
    for arrow_type in (pa.duration("ns"), pa.time64("us"), pa.date32()):
        storage = pa.int32() if arrow_type == pa.date32() else pa.int64()
        values = pa.array([0, 1, 2, 3]).cast(storage).cast(arrow_type)
        bad = pd.Series(values, dtype=pd.ArrowDtype(arrow_type))
        with pytest.raises(TypeError, match="'bad' holds dates or durations"):
            TabularPreprocessor().fit(pd.DataFrame({"ok": np.arange(4.0), "bad": bad}))


def test_output_names_are_unique():
    """A level spelled like OneHotEncoder's name of the missing values ("nan")
    or of the infrequent ones gets a name of its own, so a DataFrame output
    has one column a name."""
    X = pd.DataFrame({"c": ["nan", None, "x", "nan"] * 5})
    prep = TabularPreprocessor(min_frequency=1).set_output(transform="pandas")
    out = prep.fit_transform(X)
    assert list(out.columns) == ["cat__c_nan", "cat__c_x", "cat__c_nan_2"]
    assert_array_equal(out.to_numpy()[:2], [[1, 0, 0], [0, 0, 1]])
    X = pd.DataFrame({"c": ["infrequent_sklearn"] * 5 + ["a"] * 10 + ["b", "e"]})
    names = TabularPreprocessor(min_frequency=2).fit(X).get_feature_names_out()
    assert len(set(names)) == len(names) == 3


def test_a_target_with_missing_values_is_refused_for_target_encoding():
    """Where a column is target encoded, a target with missing values (or of
    a type scikit-learn cannot read) is refused naming y, not read as no
    target."""
    X = pd.DataFrame({"many": [f"l{i % 40}" for i in range(80)]})
    y = np.array(["a", "b"] * 40, dtype=object)
    y[3] = None
    prep = TabularPreprocessor(min_frequency=None)
    with pytest.raises(ValueError, match="y holds 1 missing value.*row 3"):
        prep.fit(X, y)
    with pytest.raises(ValueError, match="y holds 1 missing"):
        prep.fit(X, pd.Series(y, dtype="string"))
    assert prep.fit(X, np.array(["a", "b"] * 40)).target_encoded_features_ == ["many"]


def test_float32_output():
    """dtype=np.float32 gives float32 output."""
    out = TabularPreprocessor(dtype=np.float32, min_frequency=None).fit_transform(
        _mixed_frame()
    )
    assert out.dtype == np.float32


def test_polars_frame_gives_the_pandas_result():
    """A polars DataFrame encodes exactly as the same pandas DataFrame."""
    pl = pytest.importorskip("polars")
    _pyarrow()
    X = _mixed_frame()
    try:
        X_pl = pl.from_pandas(X)
    except ImportError as error:  # a pyarrow built for NumPy 2 beside NumPy 1
        pytest.skip(f"polars cannot read a pandas frame here: {error}")
    ours = TabularPreprocessor(min_frequency=None).fit(X_pl)
    theirs = TabularPreprocessor(min_frequency=None).fit(X)
    assert_allclose(ours.transform(X_pl), theirs.transform(X))
    assert_array_equal(ours.get_feature_names_out(), theirs.get_feature_names_out())


@pytest.mark.parametrize(
    "y, match",
    [
        (np.array(["a", "b", "c", "d"] * 2), "at most 2 rows of a class"),
        (np.arange(4.0), "the target has 4 rows"),
    ],
)
def test_a_target_too_small_for_the_target_encoding_folds(y, match):
    """Target encoding on too few rows for its 5 internal folds is refused
    naming the columns and those folds, not only the splitter's n_splits."""
    X = pd.DataFrame({"h": [f"l{i}" for i in range(len(y))]})
    prep = TabularPreprocessor(min_frequency=None, max_onehot_categories=2)
    with pytest.raises(ValueError, match=rf"encodes \['h'\] .* 5 internal .*{match}"):
        prep.fit(X, y)


def test_a_polars_dtype_pandas_cannot_take_is_refused_by_name():
    """A polars column that polars cannot convert to pandas (Int128) is
    refused naming it, in fit and in transform."""
    pl = pytest.importorskip("polars")
    _pyarrow()
    X = pl.DataFrame(
        {"a": [1.0, 2.0, 3.0], "id": pl.Series([1, 2, 3], dtype=pl.Int128)}
    )
    with pytest.raises(TypeError, match="'id' has the polars dtype Int128"):
        TabularPreprocessor().fit(X)
    prep = TabularPreprocessor().fit(X.with_columns(pl.col("id").cast(pl.Int64)))
    with pytest.raises(TypeError, match="'id' has the polars dtype Int128"):
        prep.transform(X)
    dates = X.with_columns(
        pl.Series("id", [datetime.date(2020, 1, d) for d in (1, 2, 3)])
    )
    with pytest.raises(TypeError, match=r"'id' holds dates .*dtype Date \(polars\)"):
        TabularPreprocessor().fit(dates)


def _pipeline():
    X = pd.concat([_mixed_frame()] * 3, ignore_index=True)
    y = np.array(["no", "yes"] * 12)
    pipe = make_pipeline(
        TabularPreprocessor(min_frequency=2),
        DropoutMLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0),
    )
    return pipe.fit(X, y), X


def test_pipeline_with_a_dropout_mlp():
    """Pipeline(TabularPreprocessor(), DropoutMLPClassifier()) fits a raw frame
    and predicts a frame with unseen categories."""
    pipe, X = _pipeline()
    new = X.head(2).copy()
    new["city"] = pd.array(["Berlin", None], dtype="string")
    proba = pipe.predict_proba(new)
    assert proba.shape == (2, 2) and np.isfinite(proba).all()


#: What a skops file of a TabularPreprocessor (and of a pipeline ending in a
#: dropout MLP) asks to trust, beyond skops' defaults: skdropout's own types;
#: numpy.dtype, which SimpleImputer keeps (``_fit_dtype``) and skops 0.16 does
#: not trust by default; and, with target encoding under scikit-learn >= 1.9,
#: the folds (StratifiedKFold for classes, KFold for a continuous target).
TRUSTED = [
    "numpy.dtype",
    "skdropout._classifier.DropoutMLPClassifier",
    "skdropout._optimizers.Adam",
    "skdropout._piecewise.PiecewiseLinearEncoder",
    "skdropout._tabular.TabularPreprocessor",
    "skdropout._tabular._SmoothClip",
    "sklearn.model_selection._split.KFold",
    "sklearn.model_selection._split.StratifiedKFold",
]


def _fitted_preprocessors():
    X, y = _many_levels()
    X["city"] = ["a", "b", None] * 20
    X.loc[3, "x"] = np.nan
    return X, [
        TabularPreprocessor(
            min_frequency=1, max_onehot_categories=10, random_state=0
        ).fit(X, y),  # fmt: skip
        TabularPreprocessor(
            min_frequency=1, max_onehot_categories=10, random_state=0
        ).fit(X, y + 0.5),  # fmt: skip
        TabularPreprocessor(
            numerical_scaling="robust", numerical_encoding="piecewise_linear"
        ).fit(X),  # fmt: skip
        TabularPreprocessor(numerical_scaling="quantile", random_state=0).fit(X),
    ]


def test_skops_and_pickle_round_trips():
    """skops (trusting TRUSTED) and pickle restore preprocessors that give
    identical output."""
    sio = pytest.importorskip("skops.io")
    X, preprocessors = _fitted_preprocessors()
    for prep in preprocessors:
        data = sio.dumps(prep)
        untrusted = sio.get_untrusted_types(data=data)
        trusted = TRUSTED + _remainder_types(untrusted)
        assert set(untrusted) <= set(trusted)
        expected = prep.transform(X)
        for loaded in (
            sio.loads(data, trusted=trusted),
            pickle.loads(pickle.dumps(prep)),
        ):
            assert_array_equal(loaded.transform(X), expected)
            assert_array_equal(
                loaded.get_feature_names_out(), prep.get_feature_names_out()
            )


def test_pipeline_skops_round_trip_predicts_identically():
    """A skops file of the pipeline asks to trust exactly numpy.dtype and
    skdropout's types, and loads into identical predictions (pickle too)."""
    sio = pytest.importorskip("skops.io")
    pipe, X = _pipeline()
    data = sio.dumps(pipe)
    untrusted = sio.get_untrusted_types(data=data)
    remainder = _remainder_types(untrusted)
    assert sorted(untrusted) == sorted(
        [
            "numpy.dtype",
            "skdropout._classifier.DropoutMLPClassifier",
            "skdropout._optimizers.Adam",
            "skdropout._tabular.TabularPreprocessor",
            *remainder,
        ]
    )
    trusted = TRUSTED + remainder
    for loaded in (sio.loads(data, trusted=trusted), pickle.loads(pickle.dumps(pipe))):
        assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
        assert_array_equal(loaded.predict(X), pipe.predict(X))


@pytest.mark.parametrize("cap", [None, 12])
def test_many_levels_max_categories(cap):
    """many_levels_max_categories sets the one-hot cap of the target-encoded
    columns alone, in an encoder apart: None keeps every frequent level (here
    all 20), an int pools the rest into one column; a column of few levels keeps
    max_onehot_categories' encoding; "auto" (and the same cap) is the default's
    single encoder."""
    X, y = _many_levels(levels=20)
    X["few"] = np.array(["a", "b", "c"])[np.arange(len(X)) % 3]
    params = dict(min_frequency=1, max_onehot_categories=10, random_state=0)
    prep = TabularPreprocessor(**params, many_levels_max_categories=cap).fit(X, y)
    names = list(prep.get_feature_names_out())
    zip_onehot = [n for n in names if n.startswith("cat_many__zip_")]
    assert len(zip_onehot) == (20 if cap is None else cap)
    assert ("cat_many__zip_infrequent_sklearn" in zip_onehot) == (cap is not None)
    assert [n for n in names if n.startswith("cat__")] == [
        "cat__few_a", "cat__few_b", "cat__few_c"]  # fmt: skip
    assert_array_equal(prep.onehot_features_, ["zip", "few"])
    out = prep.transform(X)
    assert_allclose(out[:, [names.index(n) for n in zip_onehot]].sum(axis=1), 1)
    for same in ("auto", 10):
        default = TabularPreprocessor(**params, many_levels_max_categories=same)
        default_names = list(default.fit(X, y).get_feature_names_out())
        assert not any(n.startswith("cat_many") for n in default_names)
        assert_allclose(
            default.transform(X), TabularPreprocessor(**params).fit(X, y).transform(X)
        )


def test_infinite_and_huge_float_levels():
    """A category column of floats with an infinity, or with whole numbers
    beyond int64 (up to 1e308), spells each level apart: an infinity failed
    in int(), and numbers beyond 1e32 were cut to 32 digits, two levels then
    spelled alike."""
    X = pd.DataFrame({"c": [1.0, np.inf, 2.0, 1.0] * 3, "n": np.arange(12.0)})
    prep = TabularPreprocessor(categorical_features=["c"], min_frequency=1).fit(X)
    assert "cat__c_inf" in prep.get_feature_names_out()
    huge = pd.DataFrame({"c": [3 * 2.0**200, 30 * 2.0**200, 1e300] * 4})
    prep = TabularPreprocessor(categorical_features=["c"], min_frequency=1)
    names = prep.fit(huge).get_feature_names_out()
    assert len(set(names)) == 3
    rows = prep.transform(huge.iloc[:3])
    assert_array_equal(rows.sum(axis=1), 1)
    assert len({tuple(row) for row in rows}) == 3


def test_a_sparse_integer_column_is_numbers():
    """A pandas Sparse integer column (pd.get_dummies(sparse=True) makes them)
    encodes as the same dense column does."""
    dense = pd.DataFrame({"a": [0, 1, 2, 0] * 5, "b": np.arange(20.0)})
    sparse = dense.assign(a=pd.arrays.SparseArray(dense["a"]))
    prep = TabularPreprocessor()
    assert_array_equal(prep.fit_transform(sparse), prep.fit_transform(dense))
