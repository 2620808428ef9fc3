"""The CV estimators fed a table as it comes: a DataFrame with numbers,
strings, categories, booleans and missing values fits with no preprocessing
by the user (preprocessing='auto'), and arrays are used as before."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone

from skdropout import (
    DropoutMLPClassifierCV,
    DropoutMLPRegressorCV,
    TabularPreprocessor,
)

pd = pytest.importorskip("pandas")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = dict(
    hidden_layer_sizes=(8,), max_iter=6, batch_size=32, dropouts=[0.0],
    weight_decays=[0.0], cv=2, random_state=0,
)  # fmt: skip
CASES = [DropoutMLPClassifierCV, DropoutMLPRegressorCV]


def _table(n=120, seed=0):
    """A mixed frame with a missing value in every column type, and a target."""
    rng = np.random.RandomState(seed)
    frame = pd.DataFrame(
        {
            "income": rng.normal(50, 10, n),
            "age": pd.array(rng.randint(18, 80, n), dtype="Int64"),
            "owner": pd.array(rng.rand(n) > 0.5, dtype="boolean"),
            "city": pd.array(rng.choice(["Paris", "Lyon", "Nice"], n), dtype="string"),
            "plan": pd.Categorical(rng.choice(["a", "b"], n)),
            "note": rng.choice(["x", "y"], n).astype(object),
        }
    )
    for column in frame.columns:
        frame.loc[rng.choice(n, 5, replace=False), column] = None
    y = (frame["income"].fillna(50) > 50).to_numpy()
    return frame, y


def _target(CV, y):
    return np.where(y, "yes", "no") if CV is DropoutMLPClassifierCV else y * 1.0


@pytest.mark.parametrize("CV", CASES)
def test_a_raw_table_fits_and_predicts_unseen_categories(CV):
    """NaN in every column type fits; new rows with unseen categories and
    missing values predict finite outputs without a warning; the names and
    count of the columns are the table's."""
    frame, y = _table()
    est = CV(**SMALL).fit(frame, _target(CV, y))
    assert isinstance(est.preprocessor_, TabularPreprocessor)
    assert_array_equal(est.feature_names_in_, frame.columns)
    assert est.n_features_in_ == frame.shape[1]
    new, _ = _table(n=10, seed=1)
    new["city"] = pd.array(["Lille"] * 10, dtype="string")  # unseen
    new["plan"] = pd.Categorical(["c"] * 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        output = est.predict_proba(new) if hasattr(est, "predict_proba") else None
        predictions = est.predict(new)
    assert len(predictions) == 10
    if output is not None:
        assert np.isfinite(output).all()
        np.testing.assert_allclose(output.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="feature names"):
        est.predict(new[new.columns[::-1]])


@pytest.mark.parametrize("CV", CASES)
def test_arrays_are_used_as_they_are(CV):
    """'auto' leaves arrays alone: the model is the one fitted with
    preprocessing=None, bit for bit."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(90, 4)), rng.rand(90) > 0.5
    auto = CV(**SMALL).fit(X, _target(CV, y))
    plain = CV(**SMALL, preprocessing=None).fit(X, _target(CV, y))
    assert auto.preprocessor_ is None
    for a, b in zip(auto.estimators_, plain.estimators_):
        for wa, wb in zip(a.coefs_, b.coefs_):
            assert_array_equal(wa, wb)


@pytest.mark.parametrize("CV", CASES)
def test_a_given_transformer_is_cloned_and_fitted(CV):
    """A transformer given as preprocessing is cloned (the parameter stays
    unfitted) and its fitted clone transforms at predict time."""
    frame, y = _table()
    given = TabularPreprocessor(numerical_scaling="robust")
    est = CV(**SMALL, preprocessing=given).fit(frame, _target(CV, y))
    assert not hasattr(given, "column_transformer_")
    assert est.preprocessor_ is not given
    assert est.preprocessor_.numerical_scaling == "robust"
    assert_array_equal(
        est.predict(frame), pickle.loads(pickle.dumps(est)).predict(frame)
    )
    assert clone(est).get_params()["preprocessing"] is not given


@pytest.mark.parametrize("CV", CASES)
def test_a_table_without_rows_or_columns_is_refused_naming_the_estimator(CV):
    """scikit-learn's error for no rows or no columns, naming the CV
    estimator, not the preprocessor inside it."""
    frame, y = _table()
    target = _target(CV, y)
    match = f"minimum of 1 is required by {CV.__name__}"
    with pytest.raises(ValueError, match="0 sample.*" + match):
        CV(**SMALL).fit(frame.iloc[:0], target[:0])
    with pytest.raises(ValueError, match="0 feature.*" + match):
        CV(**SMALL).fit(frame[[]], target)
    est = CV(**SMALL).fit(frame, target)
    with pytest.raises(ValueError, match="0 sample.*" + match):
        est.predict(frame.iloc[:0])


@pytest.mark.parametrize("CV", CASES)
def test_a_row_alone_or_no_target_gets_scikit_learns_errors(CV):
    """A row given alone (a Series, a 1-D array) gets scikit-learn's "2D"
    errors, and fit without y its "requires y", as the plain estimators
    give them, not an error about features or dimensions deep inside."""
    frame, y = _table()
    with pytest.raises(ValueError, match="requires y to be passed"):
        CV(**SMALL).fit(frame, None)
    with pytest.raises(ValueError, match="requires y to be passed"):
        CV(**SMALL, preprocessing=TabularPreprocessor()).fit(frame.to_numpy(), None)
    est = CV(**SMALL).fit(frame, _target(CV, y))
    with pytest.raises(ValueError, match="Expected a 2-dimensional container"):
        est.predict(frame.iloc[0])
    with pytest.raises(ValueError, match="(?s)Expected 2D array.*Reshape your data"):
        est.predict(frame.iloc[0].to_numpy())


def test_labels_of_types_that_cannot_be_compared_are_named():
    """Classes mixing str and int: the classifier's own error on a table too
    (NumPy's sort fails on them inside scikit-learn's type_of_target), and
    TabularPreprocessor's when it target encodes."""
    frame, _ = _table()
    mixed = np.array(["a", 1] * (len(frame) // 2), dtype=object)
    with pytest.raises(ValueError, match="y mixes labels of types"):
        DropoutMLPClassifierCV(**SMALL).fit(frame, mixed)
    many = pd.DataFrame({"g": [f"L{i % 40}" for i in range(400)]})
    with pytest.raises(ValueError, match="y mixes labels of types"):
        TabularPreprocessor(min_frequency=1).fit(many, np.array(["a", 1] * 200, object))


@pytest.mark.parametrize("CV", CASES)
def test_other_feature_names_warn_once(CV):
    """A model fitted on a table, given an array, warns once, naming itself,
    not also the preprocessor inside it."""
    frame, y = _table(n=60)
    numbers = frame[["income"]].fillna(0.0)
    est = CV(**SMALL).fit(numbers, _target(CV, y))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.predict(numbers.to_numpy())
    said = [str(w.message) for w in caught if "feature names" in str(w.message)]
    assert len(said) == 1 and CV.__name__ in said[0]


@pytest.mark.parametrize("CV", CASES)
def test_the_tags_are_those_of_a_given_preprocessing(CV):
    """With a transformer given, X goes to it, and the tags say what it
    takes (TabularPreprocessor: NaN and strings, no sparse X); 'auto' leaves
    arrays alone, so its tags are the members'."""
    from sklearn.utils import get_tags

    given = get_tags(CV(preprocessing=TabularPreprocessor())).input_tags
    assert given.allow_nan and given.string and given.categorical
    assert not given.sparse
    auto = get_tags(CV()).input_tags
    assert not auto.allow_nan and not auto.string and auto.sparse


@pytest.mark.parametrize("CV", CASES)
def test_without_preprocessing_a_table_with_strings_is_refused(CV):
    """preprocessing=None keeps scikit-learn's error for strings in X."""
    frame, y = _table()
    with pytest.raises(ValueError, match="could not convert|string"):
        CV(**SMALL, preprocessing=None).fit(frame, _target(CV, y))


@pytest.mark.parametrize(
    "preprocessing",
    ["auto", TabularPreprocessor(min_frequency=2)],
    ids=["auto", "given"],
)
def test_the_same_seed_gives_the_same_model_with_target_encoding(preprocessing):
    """'auto', and a TabularPreprocessor given with random_state=None, are
    seeded from the estimator's random_state, so a table with a many-level
    column (target encoded on shuffled folds) gives the same model twice."""
    frame, y = _table(n=400)
    # 40 levels of 10 rows each: more than max_onehot_categories=30
    frame["shop"] = [f"s{i % 40}" for i in range(len(frame))]
    fits = [
        DropoutMLPRegressorCV(**SMALL, preprocessing=preprocessing).fit(frame, y * 1.0)
        for _ in range(2)
    ]
    assert list(fits[0].preprocessor_.target_encoded_features_) == ["shop"]
    assert fits[0].preprocessor_.random_state == SMALL["random_state"]
    assert_array_equal(fits[0].predict(frame), fits[1].predict(frame))
    if preprocessing != "auto":
        assert preprocessing.random_state is None  # the parameter is untouched


@pytest.mark.parametrize("CV", CASES)
def test_skops_round_trip_of_a_model_fitted_on_a_table(CV):
    """A CV estimator fitted on a DataFrame saves with skops trusting the
    README's lists (the estimators' types and the preprocessing's) and
    predicts identically once loaded."""
    sio = pytest.importorskip("skops.io")
    from _skops_types import _remainder_types
    from test_format_stability import SKDROPOUT_TYPES
    from test_tabular import TRUSTED

    frame, y = _table()
    est = CV(**SMALL).fit(frame, _target(CV, y))
    data = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=data)
    trusted = SKDROPOUT_TYPES + TRUSTED + _remainder_types(untrusted)
    assert "skdropout._tabular.TabularPreprocessor" in untrusted
    assert set(untrusted) <= set(trusted)
    loaded = sio.loads(data, trusted=trusted)
    assert_array_equal(loaded.predict(frame), est.predict(frame))


@pytest.mark.parametrize(
    "CV, y, expected",
    [
        (DropoutMLPRegressorCV, np.arange(400) % 97 * 1000.0, "continuous"),
        (DropoutMLPRegressorCV, np.arange(400) % 7, "continuous"),
        (DropoutMLPClassifierCV, np.arange(400) % 3 * 1.0, "multiclass"),
        (DropoutMLPClassifierCV, np.where(np.arange(400) % 2, "a", "b"), "binary"),
    ],
)
@pytest.mark.parametrize("given", [False, True])
def test_the_target_encoding_is_told_the_target_type(CV, y, expected, given):
    """The regressor's target is continuous for the target encoding even when
    its values are whole numbers (one column, not one per value), the
    classifier's are classes even as floats; for the preprocessor 'auto'
    builds and for a TabularPreprocessor given with target_type='auto' (the
    parameter itself left as it was)."""
    frame, _ = _table(n=400)
    frame["shop"] = [f"s{i % 40}" for i in range(len(frame))]
    prep = TabularPreprocessor()
    est = CV(**SMALL, preprocessing=prep if given else "auto").fit(frame, y)
    encoder = est.preprocessor_.column_transformer_.named_transformers_["target"]
    assert encoder.target_type_ == expected
    assert est.preprocessor_.target_type == expected
    assert prep.target_type == "auto"


def test_a_target_type_given_is_kept():
    """A TabularPreprocessor given with a target_type other than 'auto' keeps
    it (here on the regressor's target as given: with normalize_y the
    preprocessor sees the standardized target, whose values are not
    classes)."""
    frame, _ = _table(n=400)
    frame["shop"] = [f"s{i % 40}" for i in range(len(frame))]
    y = np.arange(400) % 3 * 1.0
    given = TabularPreprocessor(target_type="multiclass")
    est = DropoutMLPRegressorCV(**SMALL, preprocessing=given, normalize_y=False)
    est.fit(frame, y)
    encoder = est.preprocessor_.column_transformer_.named_transformers_["target"]
    assert encoder.target_type_ == "multiclass"


@pytest.mark.filterwarnings(
    "ignore:overflow encountered:RuntimeWarning",
    "ignore:invalid value encountered:RuntimeWarning",
)
@pytest.mark.parametrize("CV", CASES)
def test_a_column_its_scaling_overflows_is_named(CV):
    """Values too large for the standard scaling in float64 (the variance
    overflows) are refused by the TabularPreprocessor naming the column; NaN
    out of a preprocessing of the user's is refused naming its output
    columns, instead of scikit-learn's 'X contains NaN'."""
    from sklearn.preprocessing import FunctionTransformer

    frame, y = _table()
    huge = frame.assign(huge=np.where(np.arange(len(frame)) % 2, 1e308, -1e308))
    with pytest.raises(ValueError, match=r"numerical column\(s\) 'huge' is not"):
        CV(**SMALL).fit(huge, _target(CV, y))
    numbers = frame[["income"]].fillna(50.0).assign(neg=-1.0)
    logs = FunctionTransformer(np.log, feature_names_out="one-to-one")
    with pytest.raises(ValueError, match=r"values in 'neg'\. .* rescale or"):
        with np.errstate(invalid="ignore"):
            CV(**SMALL, preprocessing=logs).fit(numbers, _target(CV, y))
