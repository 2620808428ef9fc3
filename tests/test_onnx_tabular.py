"""ONNX export of the tabular transformers: PiecewiseLinearEncoder alone, and a
pipeline TabularPreprocessor -> DropoutMLPClassifier or a CV estimator fitted
on the raw table, fed a mixed-type DataFrame (numbers with NaN, strings,
categories, unseen categories) through tabular_onnx_inputs, run by ONNX
Runtime against transform / predict_proba / predict; the parts that cannot be
exported raise an error naming them.

Skipped without the ``onnx`` extra (skl2onnx, onnxruntime), which CI installs."""

import importlib.util

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.pipeline import make_pipeline

from skdropout import (
    DropoutMLPClassifier,
    DropoutMLPClassifierCV,
    DropoutMLPRegressorCV,
    PiecewiseLinearEncoder,
    TabularPreprocessor,
    register_onnx_converters,
    tabular_onnx_inputs,
)

if not all(importlib.util.find_spec(name) for name in ("skl2onnx", "onnxruntime")):
    pytest.skip(
        'the onnx extra is not installed (pip install "skdropout[onnx]")',
        allow_module_level=True,
    )
import onnxruntime as ort  # noqa: E402
import skl2onnx  # noqa: E402
from skl2onnx.common.data_types import FloatTensorType, StringTensorType  # noqa: E402

pd = pytest.importorskip("pandas")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: ONNX Runtime (float32) against scikit-learn (float64).
TOL = dict(rtol=1e-4, atol=1e-5)


@pytest.fixture(scope="module", autouse=True)
def _registered():
    register_onnx_converters()


def _session(onx):
    return ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def _frame(n=80, seed=0):
    """Numbers with NaN (float, Int64, boolean), strings with None, a
    category with NaN, and a column of 40 levels."""
    rng = np.random.RandomState(seed)

    def holes(values):
        return np.where(rng.rand(n) < 0.2, None, values)

    return pd.DataFrame(
        {
            "height": np.where(rng.rand(n) < 0.2, np.nan, rng.normal(size=n)),
            "age": pd.array(holes(rng.randint(20, 60, n)), dtype="Int64"),
            "member": pd.array(holes(rng.rand(n) < 0.5), dtype="boolean"),
            "city": pd.array(
                rng.choice(
                    ["Paris", "Lyon", "Nice", "Lille", None],
                    n,
                    p=[0.4, 0.3, 0.2, 0.05, 0.05],
                ),
                dtype="string",
            ),  # fmt: skip
            "colour": pd.Categorical(rng.choice(["red", "blue", None], n)),
            "zip": [f"z{i}" for i in rng.randint(0, 40, n)],
        }
    )


def _types(inputs):
    return [
        (name, StringTensorType([None, 1]) if values.dtype == object
         else FloatTensorType([None, 1]))
        for name, values in inputs.items()
    ]  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_piecewise_linear_encoder(dtype):
    """The encoder's graph gives its transform, open end bins included, in the
    input's precision."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 3)).astype(dtype)
    X[:, 2] = np.round(X[:, 2])  # few distinct values: fewer bins
    encoder = PiecewiseLinearEncoder(n_bins=5).fit(X)
    X_test = np.r_[X, 5 * X[:5]].astype(dtype)  # beyond the training range
    onx = skl2onnx.to_onnx(encoder, X_test[:1])
    (out,) = _session(onx).run(None, {"X": X_test})
    assert out.dtype == dtype
    assert_allclose(out, encoder.transform(X_test), **TOL)


def test_smooth_clip_of_numbers_too_large_to_square():
    """The robust scaling's smooth clipping gives +-3 in the graph where its
    square overflows float32 (9.96921e36 is netCDF's fill value for floats),
    as transform does, not 0."""
    X = pd.DataFrame({"x": np.arange(20.0)})
    prep = TabularPreprocessor(numerical_scaling="robust").fit(X)
    new = pd.DataFrame({"x": [1e10, 1e20, 9.96921e36, -1e25, 3.5, 12.0]})
    inputs = tabular_onnx_inputs(prep, new)
    onx = skl2onnx.to_onnx(prep, initial_types=_types(inputs))
    (out,) = _session(onx).run(None, inputs)
    assert_allclose(out, prep.transform(new), **TOL)
    # (3 to float32's last bit or two: older ONNX Runtimes round the root.)
    assert_allclose(out[:4, 0], [3, 3, 3, -3], rtol=1e-6)


def test_piecewise_linear_after_standard_scaling_on_a_skewed_column():
    """With standard scaling, the graph computes the ramps on the numbers as
    given (the edges scaled back): on scaled values a skewed column's bins
    are so narrow that float32 rounding moved a ramp by 0.13."""
    v = np.r_[np.arange(199.0), 2.0**30]  # counts and one huge value
    X = pd.DataFrame({"x": v})
    prep = TabularPreprocessor(numerical_encoding="piecewise_linear").fit(X)
    inputs = tabular_onnx_inputs(prep, X)
    (out,) = _session(skl2onnx.to_onnx(prep, initial_types=_types(inputs))).run(
        None, inputs
    )
    assert_allclose(out, prep.transform(X), **TOL)


PREPROCESSORS = {
    "one-hot-and-target": dict(min_frequency=3, max_onehot_categories=10),
    "target-and-capped-one-hot": dict(
        min_frequency=3,
        max_onehot_categories=10,
        many_levels_encoding="target_and_onehot",
    ),  # fmt: skip
    "target-and-uncapped-one-hot": dict(
        min_frequency=3, max_onehot_categories=10, many_levels_max_categories=None
    ),
    "robust-piecewise": dict(
        numerical_scaling="robust", numerical_encoding="piecewise_linear", n_bins=6
    ),
    "all-one-hot": dict(min_frequency=None, max_onehot_categories=None),
}


@pytest.mark.parametrize("params", PREPROCESSORS.values(), ids=PREPROCESSORS)
def test_pipeline_on_a_mixed_frame(params):
    """TabularPreprocessor -> DropoutMLPClassifier on a raw frame: ONNX Runtime
    gives the pipeline's probabilities and labels, and the preprocessor's
    output, also for rows with unseen categories and new missing values."""
    X, y = _frame(), np.random.RandomState(1).randint(0, 2, 80)
    mlp = DropoutMLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    pipe = make_pipeline(TabularPreprocessor(**params), mlp).fit(X, y)
    X_test = _unseen(X)
    inputs = tabular_onnx_inputs(pipe[0], X_test)
    onx = skl2onnx.to_onnx(pipe, initial_types=_types(inputs),
                           options={"zipmap": False})  # fmt: skip
    labels, proba = _session(onx).run(None, inputs)
    assert_allclose(proba, pipe.predict_proba(X_test), **TOL)
    assert_array_equal(labels, pipe.predict(X_test))
    onx = skl2onnx.to_onnx(pipe[0], initial_types=_types(inputs))
    (out,) = _session(onx).run(None, inputs)
    assert_allclose(out, pipe[0].transform(X_test), **TOL)


def _unseen(X):
    """X, then 10 new rows with unseen cities and an unseen colour."""
    X_test = pd.concat([X, _frame(n=10, seed=2)], ignore_index=True)
    X_test.loc[80:, "city"] = pd.array(["Berlin", "Rome"] * 5, dtype="string")
    X_test["colour"] = X_test["colour"].cat.add_categories("green")
    X_test.loc[85:, "colour"] = "green"
    return X_test


CV_SMALL = dict(hidden_layer_sizes=(8,), max_iter=5, cv=2, random_state=0)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_cv_classifier_with_its_preprocessor(n_classes):
    """A CV classifier fitted on the raw frame exports with its preprocessor:
    its graph takes the columns and gives the ensemble's probabilities and
    labels, unseen categories included."""
    X = _frame()
    y = np.array(["no", "yes", "maybe"])[np.arange(80) % n_classes]
    est = DropoutMLPClassifierCV(**CV_SMALL).fit(X, y)
    assert isinstance(est.preprocessor_, TabularPreprocessor)
    X_test = _unseen(X)
    inputs = tabular_onnx_inputs(est, X_test)
    onx = skl2onnx.to_onnx(est, initial_types=_types(inputs),
                           options={"zipmap": False})  # fmt: skip
    labels, proba = _session(onx).run(None, inputs)
    assert_allclose(proba, est.predict_proba(X_test), **TOL)
    assert_array_equal(labels, est.predict(X_test))


def test_cv_regressor_with_its_preprocessor():
    """A CV regressor fitted on the raw frame exports with its preprocessor
    (target encoding of the many-level column included)."""
    X = _frame()
    y = np.random.RandomState(1).normal(size=80)
    est = DropoutMLPRegressorCV(**CV_SMALL, preprocessing=TabularPreprocessor(
        min_frequency=1, max_onehot_categories=10)).fit(X, y)  # fmt: skip
    assert_array_equal(est.preprocessor_.target_encoded_features_, ["zip"])
    X_test = _unseen(X)
    inputs = tabular_onnx_inputs(est, X_test)
    (out,) = _session(skl2onnx.to_onnx(est, initial_types=_types(inputs))).run(
        None, inputs
    )
    assert_allclose(out.ravel(), est.predict(X_test), **TOL)


def test_cv_estimator_with_a_scikit_learn_preprocessor():
    """Any transformer skl2onnx converts can be the preprocessing: the graph
    takes the one numeric tensor it reads."""
    from sklearn.preprocessing import StandardScaler

    rng = np.random.RandomState(0)
    X, y = rng.normal(5, 3, size=(60, 4)), rng.normal(size=60)
    est = DropoutMLPRegressorCV(**CV_SMALL, preprocessing=StandardScaler()).fit(X, y)
    onx = skl2onnx.to_onnx(est, X[:1].astype(np.float32))
    (out,) = _session(onx).run(None, {"X": X.astype(np.float32)})
    assert_allclose(out.ravel(), est.predict(X), **TOL)
    # float64 in, float64 throughout, as without a preprocessing (it was cast
    # to float32 behind the scaler, as behind a TabularPreprocessor).
    (out,) = _session(skl2onnx.to_onnx(est, X[:1])).run(None, {"X": X})
    assert out.dtype == np.float64
    assert_allclose(out.ravel(), est.predict(X), rtol=1e-10)


def test_tabular_onnx_inputs_needs_a_tabular_preprocessor():
    """A CV estimator without a TabularPreprocessor has no column inputs: the
    error says to convert it directly (it said only that it got NoneType)."""
    rng = np.random.RandomState(0)
    est = DropoutMLPRegressorCV(**CV_SMALL).fit(rng.normal(size=(40, 2)),
                                                rng.normal(size=40))  # fmt: skip
    assert est.preprocessor_ is None
    with pytest.raises(TypeError, match="fitted without a preprocessor.*to_onnx"):
        tabular_onnx_inputs(est, np.zeros((2, 2)))


def test_target_encoding_is_exported():
    """The binary target encoding of the many-level column is in the graph."""
    X, y = _frame(), np.random.RandomState(1).randint(0, 2, 80)
    prep = TabularPreprocessor(min_frequency=1, max_onehot_categories=10).fit(X, y)
    assert_array_equal(prep.target_encoded_features_, ["zip"])
    inputs = tabular_onnx_inputs(prep, X)
    onx = skl2onnx.to_onnx(prep, initial_types=_types(inputs))
    (out,) = _session(onx).run(None, inputs)
    assert_allclose(out[:, -1], prep.transform(X)[:, -1], **TOL)


def test_numeric_array_as_one_input():
    """A preprocessor fitted on a NumPy array of numbers takes one tensor."""
    X = np.random.RandomState(0).normal(size=(30, 3))
    X[::4, 1] = np.nan
    prep = TabularPreprocessor().fit(X)
    onx = skl2onnx.to_onnx(prep, X[:1].astype(np.float32))
    (out,) = _session(onx).run(None, {"X": X.astype(np.float32)})
    assert_allclose(out, prep.transform(X), **TOL)


def test_tabular_onnx_inputs():
    """One (n, 1) column per input column, float32 with NaN or str with 'nan';
    a number beyond float32's range, which the graph would read as infinite
    (and turn into NaN), is refused naming its column."""
    X = _frame(n=10)
    prep = TabularPreprocessor().fit(X)
    with pytest.raises(ValueError, match="'height' holds values beyond float32"):
        tabular_onnx_inputs(prep, X.assign(height=1e39))
    inputs = tabular_onnx_inputs(prep, X)
    assert list(inputs) == list(X.columns)
    assert inputs["age"].dtype == np.float32 and inputs["age"].shape == (10, 1)
    assert_array_equal(np.isnan(inputs["age"].ravel()), X["age"].isna())
    city = inputs["city"].ravel()
    assert_array_equal(city == "nan", X["city"].isna())
    pipe = make_pipeline(prep, DropoutMLPClassifier(max_iter=1))
    for name, values in tabular_onnx_inputs(pipe, X).items():  # its first step
        assert_array_equal(values, inputs[name])


def test_columns_that_skl2onnx_renames_are_fed_by_the_graphs_names():
    """skl2onnx renames an input whose name is not an identifier or is an
    output's ("label"): with onnx_model, the inputs are keyed by the graph's
    names, column by column, and the round trip gives predict_proba."""
    X = _frame().rename(columns={"height": "height (cm)", "zip": "label"})
    y = np.random.RandomState(1).randint(0, 2, 80)
    est = DropoutMLPClassifierCV(**CV_SMALL).fit(X, y)
    inputs = tabular_onnx_inputs(est, X)
    onx = skl2onnx.to_onnx(est, initial_types=_types(inputs),
                           options={"zipmap": False})  # fmt: skip
    session = _session(onx)
    graph_names = [i.name for i in session.get_inputs()]
    assert graph_names != list(X.columns)  # renamed by skl2onnx
    for model in (session, onx):
        fed = tabular_onnx_inputs(est, X, onnx_model=model)
        assert list(fed) == graph_names
        _, proba = session.run(None, fed)
        assert_allclose(proba, est.predict_proba(X), **TOL)
    two = TabularPreprocessor().fit(X[["age", "city"]])
    other = skl2onnx.to_onnx(
        two, initial_types=_types(tabular_onnx_inputs(two, X[["age", "city"]]))
    )
    with pytest.raises(ValueError, match="onnx_model takes 2 inputs, and the table"):
        tabular_onnx_inputs(est, X, onnx_model=other)


def test_levels_stored_another_way_at_predict_time():
    """A category of integers with a missing value and a category of booleans
    in fit, then the same levels stored another way (no missing value, a bool
    column): the graph, fed by tabular_onnx_inputs, gives transform's
    output, which encodes them as the levels seen in fit."""
    rng = np.random.RandomState(0)
    codes = rng.randint(1, 4, 60).astype(object)
    codes[::7] = None
    X = pd.DataFrame({"code": pd.Categorical(codes),
                      "flag": pd.Categorical(rng.rand(60) < 0.5)})  # fmt: skip
    prep = TabularPreprocessor(min_frequency=None).fit(X)
    X_test = pd.DataFrame({"code": pd.Categorical([1, 2, 3]),
                           "flag": [True, False, True]})  # fmt: skip
    out = prep.transform(X_test)
    assert_array_equal(out.sum(axis=1), 2)  # one level of each, none unseen
    inputs = tabular_onnx_inputs(prep, X_test)
    onx = skl2onnx.to_onnx(prep, initial_types=_types(inputs))
    (graph_out,) = _session(onx).run(None, inputs)
    assert_allclose(graph_out, out, **TOL)


@pytest.mark.parametrize(
    "values, params, y",
    [
        (["nan", "a", None, "b"], dict(min_frequency=None), None),
        (["nan", "a", "a", "b"], dict(min_frequency=None), None),
        (
            [f"L{i}" for i in range(14)] + ["nan", None],
            dict(
                min_frequency=1, max_onehot_categories=5, many_levels_encoding="target"
            ),
            np.arange(80) * 1.0,
        ),  # fmt: skip
    ],
    ids=["beside-missing", "alone", "target-encoded"],
)
def test_a_level_spelled_nan_is_refused(values, params, y):
    """The graph reads a missing value as the string 'nan': a level spelled so
    (beside missing values or not; one-hot or target encoded) would take the
    rows missing at predict time, so the conversion refuses it naming the
    column, instead of mixing them up."""
    X = pd.DataFrame({"t": np.array(values * (80 // len(values)), dtype=object)})
    prep = TabularPreprocessor(**params).fit(X, y)
    inputs = tabular_onnx_inputs(prep, X)
    with pytest.raises(ValueError, match="column 't' has a level spelled 'nan'"):
        skl2onnx.to_onnx(prep, initial_types=_types(inputs))


@pytest.mark.parametrize(
    "params, y, match",
    [
        (dict(numerical_scaling="quantile"), None, "QuantileTransformer"),
        (
            dict(min_frequency=1, max_onehot_categories=10),
            np.arange(80) % 3,
            "TargetEncoder",
        ),
    ],
    ids=["quantile", "multiclass-target-encoding"],
)
def test_unsupported_parts_are_named(params, y, match):
    """Quantile scaling and multiclass target encoding cannot be exported: the
    conversion raises NotImplementedError naming the part."""
    X = _frame()
    prep = TabularPreprocessor(**params).fit(X, y)
    inputs = tabular_onnx_inputs(prep, X)
    with pytest.raises(NotImplementedError, match=match):
        skl2onnx.to_onnx(prep, initial_types=_types(inputs))
