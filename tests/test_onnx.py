"""ONNX export: a pipeline (a scaler, then a dropout MLP) converted by skl2onnx
and run by ONNX Runtime predicts what the pipeline predicts, for every kind of
target, output activation, hidden activation and input precision.

Skipped without the ``onnx`` extra (skl2onnx, onnxruntime), which CI installs."""

import importlib.util
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdropout import (
    DropoutMLPClassifier,
    DropoutMLPClassifierCV,
    DropoutMLPRegressor,
    DropoutMLPRegressorCV,
    register_onnx_converters,
)
from skdropout._activations import HIDDEN_ACTIVATIONS
from skdropout._losses import OUTPUT_ACTIVATIONS
from skdropout._onnx import ONNX_ACTIVATIONS, add_network

# Skip only where the extra is absent: a broken install (skl2onnx 1.19.0 lacks
# a subpackage, which importorskip would take for absence) fails loudly.
if not all(importlib.util.find_spec(name) for name in ("skl2onnx", "onnxruntime")):
    pytest.skip(
        'the onnx extra is not installed (pip install "skdropout[onnx]")',
        allow_module_level=True,
    )
import onnxruntime as ort  # noqa: E402
import skl2onnx  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: ONNX Runtime against predict / predict_proba, float32 models included.
TOL = dict(rtol=1e-5, atol=1e-5)

_rng = np.random.RandomState(0)
X = _rng.normal(size=(30, 3)).astype(np.float32)
_a, _b, _c = X[:, 0] > 0, X[:, 1] > 0, X[:, 2] > 0

#: Classification targets of every kind the classifier learns.
TARGETS = {
    "binary-strings": np.where(_a, "yes", "no"),
    "multiclass-int": 5 + _a + 2 * _b,
    "multiclass-strings": np.array(["x", "y", "z"])[_a.astype(int) + _b],
    "multilabel": np.c_[_a, _b, _c].astype(int),
    "integer-valued-floats": 3.0 * _a,
    "bool": _a,
    "one-class": np.full(len(X), "only"),
}


@pytest.fixture(scope="module", autouse=True)
def _registered():
    register_onnx_converters()


def _fit(estimator, y, dtype=np.float32):
    return make_pipeline(StandardScaler(), estimator).fit(X.astype(dtype), y)


def _run(model, X, options=None, target_opset=None):
    """Convert ``model`` with skl2onnx and run it with ONNX Runtime on X."""
    onx = skl2onnx.to_onnx(model, X[:1], options=options, target_opset=target_opset)
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})


def _op_types(model, X):
    return {node.op_type for node in skl2onnx.to_onnx(model, X[:1]).graph.node}


def test_import_has_no_side_effects():
    """Importing skdropout imports neither skl2onnx nor onnx."""
    code = (
        "import sys, skdropout; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'onnx', 'skl2onnx', 'onnxruntime'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_registration_without_skl2onnx_says_what_to_install(monkeypatch):
    """Without skl2onnx, register_onnx_converters names the extra to install."""
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    with pytest.raises(ImportError, match=r"skdropout\[onnx\]"):
        register_onnx_converters()


def test_registration_is_idempotent():
    """Registering twice converts as registering once."""
    clf = _fit(DropoutMLPClassifier((4,), max_iter=5, random_state=0), _a)
    first = _run(clf, X, {DropoutMLPClassifier: {"zipmap": False}})
    register_onnx_converters()
    second = _run(clf, X, {DropoutMLPClassifier: {"zipmap": False}})
    assert_array_equal(first[1], second[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("zipmap", [False, True, "columns"])
@pytest.mark.parametrize("target", TARGETS)
def test_classifier_matches_predict_and_predict_proba(target, zipmap, dtype):
    """Labels equal predict's, probabilities predict_proba's, for each target kind,
    input precision and zipmap option."""
    y = TARGETS[target]
    clf = _fit(DropoutMLPClassifier((5, 4), max_iter=20, random_state=0), y, dtype)
    Xd = X.astype(dtype)
    label, *proba = _run(clf, Xd, {id(clf[-1]): {"zipmap": zipmap}})

    expected = clf.predict(Xd)
    if expected.dtype.kind in "biuf":  # ONNX labels are int64 or strings
        assert label.dtype == np.int64
        expected = expected.astype(np.int64)
    assert label.shape == expected.shape
    assert_array_equal(label, expected)

    classes = clf[-1].classes_
    if zipmap is True:  # a list of {class: probability} dicts, float32
        assert list(proba[0][0]) == classes.tolist()
        proba = np.array([list(row.values()) for row in proba[0]])
    elif zipmap == "columns":  # one output per class
        assert len(proba) == len(classes)
        proba = np.column_stack(proba)
    else:
        proba = proba[0]
        assert proba.dtype == dtype
    assert_allclose(proba, clf.predict_proba(Xd), **TOL)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_regressor_matches_predict(loss, n_outputs, dtype):
    """The output, of shape (N, n_outputs), equals predict's, identity and exp
    outputs, one or two outputs, float32 and float64."""
    y = np.abs(X[:, :n_outputs]).squeeze()
    reg = _fit(DropoutMLPRegressor(loss, (5, 4), max_iter=20, random_state=0), y, dtype)
    Xd = X.astype(dtype)
    (output,) = _run(reg, Xd)
    assert output.shape == (len(X), n_outputs)
    assert output.dtype == dtype
    assert_allclose(output, reg.predict(Xd).reshape(len(X), -1), **TOL)


def test_every_activation_has_an_onnx_entry():
    """Each hidden and output activation of the package has ONNX nodes."""
    names = set(HIDDEN_ACTIVATIONS) | set(OUTPUT_ACTIVATIONS.values())
    assert names <= set(ONNX_ACTIVATIONS), names - set(ONNX_ACTIVATIONS)


@pytest.mark.parametrize("target_opset", [9, None], ids=["opset9", "latest"])
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_hidden_activation_exports(activation, target_opset):
    """Each hidden activation's ONNX nodes compute what the NumPy function does,
    with the newest opset and with opset 9 (the oldest the export supports)."""
    reg = _fit(
        DropoutMLPRegressor(hidden_layer_sizes=(6, 5), activation=activation,
                            max_iter=20, random_state=0),
        X[:, 0] - X[:, 1],
    )  # fmt: skip
    (output,) = _run(reg, X, target_opset=target_opset)
    assert_allclose(output.ravel(), reg.predict(X), **TOL)


#: An estimator and target whose fit has each loss's output activation.
_BY_LOSS = {
    "squared_error": (DropoutMLPRegressor, {"loss": "squared_error"}, X[:, 0]),
    "poisson": (DropoutMLPRegressor, {"loss": "poisson"}, np.abs(X[:, 0])),
    "log_loss": (DropoutMLPClassifier, {}, TARGETS["multiclass-int"]),
    "binary_log_loss": (DropoutMLPClassifier, {}, TARGETS["binary-strings"]),
}


@pytest.mark.parametrize(("loss", "out_activation"), OUTPUT_ACTIVATIONS.items())
def test_output_activation_exports(loss, out_activation):
    """Each loss's output activation exports: the output equals the estimator's."""
    Estimator, params, y = _BY_LOSS[loss]
    model = _fit(Estimator(hidden_layer_sizes=(5,), max_iter=20, **params), y)
    assert model[-1].out_activation_ == out_activation
    if Estimator is DropoutMLPClassifier:
        _, proba = _run(model, X, {id(model[-1]): {"zipmap": False}})
        assert_allclose(proba, model.predict_proba(X), **TOL)
    else:
        (output,) = _run(model, X)
        assert_allclose(output.ravel(), model.predict(X), **TOL)


def test_activation_without_onnx_entry_is_named(monkeypatch):
    """An activation missing from the registry raises an error that names it."""
    reg = _fit(DropoutMLPRegressor(activation="tanh", max_iter=5), X[:, 0])
    monkeypatch.delitem(ONNX_ACTIVATIONS, "tanh")
    with pytest.raises(NotImplementedError, match="'tanh'.*ONNX_ACTIVATIONS"):
        skl2onnx.to_onnx(reg, X[:1])


def test_training_noise_is_not_exported():
    """A model trained with dropout, input dropout, Gaussian noise and max-norm
    exports as a plain network: no random or dropout node, the same outputs on
    every run, equal to predict_proba."""
    clf = _fit(
        DropoutMLPClassifier(
            (8, 6), dropout=0.5, input_dropout=0.2, dropout_noise="gaussian",
            max_norm=1.5, max_iter=20, random_state=0,
        ),
        TARGETS["multiclass-int"],
    )  # fmt: skip
    ops = _op_types(clf, X)
    assert not [op for op in ops if "Random" in op or "Dropout" in op], ops
    assert {"MatMul", "Add", "Relu", "Softmax"} <= ops
    options = {id(clf[-1]): {"zipmap": False}}
    first, second = _run(clf, X, options), _run(clf, X, options)
    assert_array_equal(first[1], second[1])
    assert_array_equal(first[0], clf.predict(X))
    assert_allclose(first[1], clf.predict_proba(X), **TOL)


def test_output_class_labels_and_nocl_options():
    """skl2onnx's classifier options: output_class_labels adds the classes as an
    output; nocl replaces the labels with class indices."""
    clf = _fit(
        DropoutMLPClassifier((4,), max_iter=5, random_state=0),
        TARGETS["multiclass-strings"],
    )
    options = {"zipmap": False, "output_class_labels": True}
    label, _, class_labels = _run(clf, X, {id(clf[-1]): options})
    assert_array_equal(class_labels, clf[-1].classes_)
    assert_array_equal(label, clf.predict(X))

    label, _ = _run(clf, X, {id(clf[-1]): {"zipmap": False, "nocl": True}})
    assert_array_equal(label, np.searchsorted(clf[-1].classes_, clf.predict(X)))


def test_labels_that_onnx_cannot_hold_are_refused_by_name():
    """Classes beyond int64 (uint64 above 2**63 - 1, which wrapped round to
    negative labels) and boolean classes with output_class_labels (which
    failed inside skl2onnx's LabelEncoder) are refused, saying what to do."""
    huge = np.where(_a, np.uint64(2**63 + 1), np.uint64(2**63 + 5))
    clf = DropoutMLPClassifier((4,), max_iter=5, random_state=0).fit(X, huge)
    with pytest.raises(NotImplementedError, match="do not fit in int64"):
        _run(clf, X, {id(clf): {"zipmap": False}})
    clf = DropoutMLPClassifier((4,), max_iter=5, random_state=0).fit(X, _a)
    options = {"zipmap": False, "output_class_labels": True}
    with pytest.raises(NotImplementedError, match="cannot hold boolean classes"):
        _run(clf, X, {id(clf): options})
    label, _ = _run(clf, X, {id(clf): {"zipmap": False}})  # without it, 0 and 1
    assert_array_equal(label, clf.predict(X).astype(np.int64))


def test_example_round_trip_runs(tmp_path, monkeypatch, capsys):
    """examples/onnx_export.py, which the user guide shows, runs and its ONNX
    predictions agree with the pipelines'."""
    example = Path(__file__).parents[1] / "examples" / "onnx_export.py"
    monkeypatch.chdir(tmp_path)  # it writes a .onnx file
    runpy.run_path(str(example), run_name="__main__")
    printed = capsys.readouterr().out
    assert "labels as predict's: True" in printed
    assert "regressor output shape: (200, 1)" in printed
    assert (tmp_path / "iris_dropout_mlp.onnx").stat().st_size > 0


@pytest.mark.parametrize("target_opset", [9, 13])
def test_older_opsets(target_opset):
    """The graph converts for older opsets too (Softmax changed in opset 13)."""
    clf = _fit(DropoutMLPClassifier((5,), max_iter=20), TARGETS["multiclass-int"])
    onx = skl2onnx.to_onnx(
        clf, X[:1], options={"zipmap": False}, target_opset=target_opset
    )
    assert {o.version for o in onx.opset_import if o.domain == ""} == {target_opset}
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    label, proba = session.run(None, {"X": X})
    assert_array_equal(label, clf.predict(X))
    assert_allclose(proba, clf.predict_proba(X), **TOL)


def test_integer_input_is_cast():
    """An int64 input is cast to float32 before the network."""
    X_int = np.round(3 * X).astype(np.int64)
    clf = DropoutMLPClassifier((5,), max_iter=20, random_state=0).fit(X_int, _a)
    label, proba = _run(clf, X_int, {"zipmap": False})
    assert_array_equal(label, clf.predict(X_int))
    assert_allclose(proba, clf.predict_proba(X_int), **TOL)


class _MeanOfNetworks(RegressorMixin, BaseEstimator):
    """An ensemble averaging fitted regressors: the shape of a future CV class."""

    def __init__(self, members):
        self.members = members

    def predict(self, X):
        return np.mean([m.predict(X) for m in self.members], axis=0)


def _mean_of_networks_shapes(operator):
    from skl2onnx.common.data_types import FloatTensorType

    n_rows = operator.inputs[0].get_first_dimension()
    n_outputs = operator.raw_operator.members[0].n_outputs_
    operator.outputs[0].type = FloatTensorType([n_rows, n_outputs])


def _convert_mean_of_networks(scope, operator, container):
    outputs = [
        add_network(
            scope, container, operator.inputs[0].full_name, m.coefs_,
            m.intercepts_, activation=m.activation,
            out_activation=m.out_activation_, dtype=np.float32,
        )
        for m in operator.raw_operator.members
    ]  # fmt: skip
    container.add_node(
        "Mean", outputs, [operator.outputs[0].full_name], name="mean_of_networks"
    )


def test_add_network_builds_each_member_of_an_ensemble():
    """add_network emits one network's graph, so an estimator that averages
    several networks converts by calling it once per member."""
    members = [
        DropoutMLPRegressor(
            loss, hidden_layer_sizes=(5,), activation=activation, max_iter=20
        ).fit(X, np.abs(X[:, 0]))
        for loss, activation in [("squared_error", "tanh"), ("poisson", "relu")]
    ]
    skl2onnx.update_registered_converter(
        _MeanOfNetworks,
        "SkdropoutTestMeanOfNetworks",
        _mean_of_networks_shapes,
        _convert_mean_of_networks,
    )
    ensemble = _MeanOfNetworks(members)
    (output,) = _run(ensemble, X)
    assert_allclose(output.ravel(), ensemble.predict(X), **TOL)


CV_TARGETS = ["binary-strings", "multiclass-int", "multilabel"]


@pytest.mark.parametrize("ensemble", ["best", "greedy"])
@pytest.mark.parametrize("target", CV_TARGETS)
def test_cv_classifier_exports_the_average_of_its_members(target, ensemble):
    """A DropoutMLPClassifierCV exports as the weighted average of its fold
    models: labels equal predict's, probabilities predict_proba's."""
    y = TARGETS[target]
    search = DropoutMLPClassifierCV(
        hidden_layer_sizes=(5,), dropouts=[0.0, 0.3], cv=2, max_iter=10,
        ensemble=ensemble, random_state=0,
    )  # fmt: skip
    clf = _fit(search, y)
    assert len(clf[-1].estimators_) >= 2
    label, proba = _run(clf, X, {id(clf[-1]): {"zipmap": False}})
    expected = clf.predict(X)
    assert_array_equal(label, expected.astype(np.int64) if
                       expected.dtype.kind in "biuf" else expected)  # fmt: skip
    assert_allclose(proba, clf.predict_proba(X), **TOL)


@pytest.mark.filterwarnings("ignore:The least populated class:UserWarning")
def test_cv_classifier_whose_fold_model_lacks_a_class():
    """A fold model whose training part lacked a class (its one row held
    out) exports with a column of zeros for it, as predict_proba aligns it:
    the graph gives the ensemble's probabilities and labels (it was refused)."""
    y = np.digitize(X[:, 0], [-0.5, 0.5])
    y[0] = 3
    search = DropoutMLPClassifierCV(hidden_layer_sizes=(5,), dropouts=[0.0, 0.3],
                                    cv=2, max_iter=10, refit=False,
                                    random_state=0)  # fmt: skip
    clf = _fit(search, y)
    members = [m.classes_.tolist() for m in clf[-1].estimators_]
    assert [0, 1, 2] in members and [0, 1, 2, 3] in members
    label, proba = _run(clf, X, {id(clf[-1]): {"zipmap": False}})
    assert_allclose(proba, clf.predict_proba(X), **TOL)
    assert_array_equal(label, clf.predict(X))


@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_cv_regressor_exports_the_average_of_its_members(loss, n_outputs):
    """A DropoutMLPRegressorCV exports as the average of its fold models, in
    the target's units (normalize_y: scaled back, and shifted but with the
    Poisson loss)."""
    y = 1e3 * np.abs(X[:, :n_outputs]).squeeze() + (loss == "squared_error") * 50
    search = DropoutMLPRegressorCV(loss, hidden_layer_sizes=(5,), dropouts=[0.2],
                                   cv=3, max_iter=10, random_state=0)  # fmt: skip
    reg = _fit(search, y)
    (output,) = _run(reg, X)
    assert output.shape == (len(X), n_outputs)
    assert_allclose(output, reg.predict(X).reshape(len(X), -1), **TOL)
