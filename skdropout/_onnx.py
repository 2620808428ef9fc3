"""Export to ONNX: skl2onnx converters for the dropout MLPs.

skl2onnx finds a converter by the exact class of each step of a pipeline, and
knows none for a third-party estimator until it is registered. skl2onnx's
documented way for third-party estimators is ``update_registered_converter``;
:func:`register_onnx_converters` makes that call for both estimators. It is an
explicit call, not an import-time side effect: skdropout imports without
skl2onnx, and importing it changes no other library's state.

The graph is the network without dropout, the one ``predict`` uses: dropout,
Gaussian noise and max-norm act only during training, so nothing random is
exported. It is written here node by node rather than by skl2onnx's MLP
converter, which knows neither the exponential output of the Poisson loss nor
activations that skl2onnx has not heard of.

Activations are a registry, as in ``_activations``: ``ONNX_ACTIVATIONS`` (in
``_onnx_nodes``, with the helpers that emit nodes) maps
each activation's name to a function ``emit(scope, container, name, dtype)``
that adds the ONNX nodes computing it on the tensor ``name`` (of ``dtype``, the
type of any constant it needs) and returns the name of the result. A new
activation in ``_activations.HIDDEN_ACTIVATIONS`` (or a new output activation
in ``_losses.OUTPUT_ACTIVATIONS``) needs an entry here: ``tests/test_onnx.py``
iterates both and fails until it is written, and a conversion meeting a name
without an entry raises ``NotImplementedError`` naming it. An entry only has to
match the NumPy function's values (in float32 and float64); skl2onnx picks each
operator's version for the target opset. Entries use operators of opset 9 or
older (Erf is the newest), not the fused Gelu (opset 20) or Mish (opset 18).
(ONNX Runtime's CPU provider has no float64 kernel for LeakyRelu, Selu, Erf or
Softplus: a float64 graph with leaky_relu, selu, gelu or mish is valid ONNX
that it cannot run.)

:func:`add_network` emits one network's forward pass from its weights and
activations alone, so an estimator made of several networks (an ensemble that
averages its members) can call it once per member and combine the outputs.

Inputs may be float32 or float64 (``DoubleTensorType``; pass float64 data to
``to_onnx``); the graph computes in the input's precision, with the weights cast
to it. The outputs follow skl2onnx's conventions for classifiers and regressors:

- classifier: ``label`` (int64 for integer, boolean or integer-valued float
  classes, string otherwise; shape (N,), or (N, n_labels) 0/1 for multilabel
  targets) and ``probabilities`` (N, n_classes) in the order of ``classes_``,
  as ``predict_proba`` gives them; with the default ``zipmap=True`` the
  probabilities become a list of ``{class: probability}`` dicts, which ONNX
  Runtime computes in float32 only, so with float64 input they are float32
  there. Options ``zipmap`` (True, False, 'columns'), ``nocl`` and
  ``output_class_labels`` work as for skl2onnx's classifiers.
- regressor: ``variable`` of shape (N, n_outputs), also (N, 1) for one output
  where ``predict`` returns shape (N,), as skl2onnx's regressors do.

The tabular transformers' converters are in ``_onnx_tabular``; this function
registers them too.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from skdropout._classifier import DropoutMLPClassifier
from skdropout._classifier_cv import DropoutMLPClassifierCV
from skdropout._cv_scoring import align_columns
from skdropout._onnx_nodes import (  # noqa: F401 (re-exported)
    ONNX_ACTIVATIONS,
    _add_constant,
    _apply,
    _check_activation,
    _proto_type,
)
from skdropout._regressor import DropoutMLPRegressor
from skdropout._regressor_cv import DropoutMLPRegressorCV
from skdropout._tabular import TabularPreprocessor


def add_network(
    scope,
    container,
    input_name,
    coefs,
    intercepts,
    *,
    activation,
    out_activation,
    dtype,
):
    """Emit the nodes of one network's forward pass without dropout.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        The converter's scope, which names the new tensors and nodes.
    container : skl2onnx.common._container.ModelComponentContainer
        The converter's container, which receives the nodes and weights.
    input_name : str
        The input tensor, of shape (N, n_features) and type ``dtype``.
    coefs, intercepts : list of ndarray
        The weights and biases of each layer (``coefs_``, ``intercepts_``).
    activation : str
        The hidden activation, a key of ``ONNX_ACTIVATIONS``.
    out_activation : str or None
        The output activation, a key of ``ONNX_ACTIVATIONS``; None leaves the
        output linear (the logits).
    dtype : {numpy.float32, numpy.float64}
        The precision of the computation; the weights are cast to it.

    Returns
    -------
    output_name : str
        The network's output, of shape (N, n_outputs).

    Raises
    ------
    NotImplementedError
        If an activation has no entry in ``ONNX_ACTIVATIONS``; nothing is added
        to the graph then.
    """
    _check_activation(activation)
    if out_activation is not None:
        _check_activation(out_activation)
    proto = _proto_type(dtype)
    name = input_name
    for i, (coef, intercept) in enumerate(zip(coefs, intercepts)):
        coef = np.asarray(coef, dtype=dtype)
        intercept = np.asarray(intercept, dtype=dtype).reshape(1, -1)
        coef_name = scope.get_unique_variable_name(f"coef{i}")
        intercept_name = scope.get_unique_variable_name(f"intercept{i}")
        container.add_initializer(coef_name, proto, coef.shape, coef.ravel())
        container.add_initializer(
            intercept_name, proto, intercept.shape, intercept.ravel()
        )
        product = _apply(scope, container, "MatMul", [name, coef_name])
        name = _apply(scope, container, "Add", [product, intercept_name])
        layer_activation = activation if i < len(coefs) - 1 else out_activation
        if layer_activation is not None:
            emit = ONNX_ACTIVATIONS[layer_activation]
            name = emit(scope, container, name, dtype)
    return name


# -- helpers of the converters ---------------------------------------------------


def _preprocessor(estimator):
    """A CV estimator's fitted preprocessor, None for any other estimator."""
    return getattr(estimator, "preprocessor_", None)


def _input_dtype(operator):
    """The network's precision: float64 for a double input, float32 for any
    other and behind a TabularPreprocessor (whose graph computes in float32;
    a scikit-learn preprocessor's keeps its input's type)."""
    from skl2onnx.common.data_types import DoubleTensorType

    if isinstance(_preprocessor(operator.raw_operator), TabularPreprocessor):
        return np.float32
    if isinstance(operator.inputs[0].type, DoubleTensorType):
        return np.float64
    return np.float32


def _input_as(scope, operator, container, dtype):
    """The network's input: the input tensor, cast to ``dtype`` unless it has
    that type already, or the preprocessor's graph of the inputs (cast to
    float32) for a CV estimator fitted with one."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    preprocessor = _preprocessor(operator.raw_operator)
    if preprocessor is not None:
        from skl2onnx.algebra.onnx_operator import OnnxSubEstimator
        from skl2onnx.algebra.onnx_ops import OnnxCast

        opv = container.target_opset
        out = OnnxSubEstimator(preprocessor, *operator.inputs, op_version=opv)
        name = scope.get_unique_variable_name("preprocessed")
        cast = OnnxCast(out, to=_proto_type(dtype), op_version=opv, output_names=[name])
        cast.add_to(scope, container)
        return name
    name = operator.inputs[0].full_name
    wanted = DoubleTensorType if dtype == np.float64 else FloatTensorType
    if isinstance(operator.inputs[0].type, wanted):
        return name
    return _apply(scope, container, "Cast", [name], to=_proto_type(dtype))


def _class_labels(scope, estimator):
    """The labels as an ONNX label tensor holds them: (values, is_string).

    Integer, boolean and float classes become int64 (skl2onnx's convention,
    which ZipMap needs; scikit-learn's classifiers take float labels only when
    they are integers), every other type a string.
    """
    from skl2onnx.common.utils_classifier import get_label_classes

    classes = np.asarray(get_label_classes(scope, estimator))
    if classes.dtype.kind in "biuf":
        labels = classes.astype(np.int64)
        if not np.array_equal(labels, classes):  # uint64 above 2**63 - 1
            raise NotImplementedError(
                "The classes do not fit in int64, the type of ONNX labels "
                f"({classes.max()} is the largest): encode them as strings, "
                "or as smaller integers, before fitting."
            )
        return labels, False
    return np.array([str(c).encode("utf-8") for c in classes]), True


def _zipmap_probabilities(scope, estimator):
    """Whether the probabilities go into an ONNX ZipMap, which takes float only."""
    return scope.get_options(estimator, dict(zipmap=True))["zipmap"] is True


def _is_multilabel(estimator):
    if hasattr(estimator, "_multilabel"):  # a CV estimator
        return estimator._multilabel
    return estimator._label_binarizer.y_type_.startswith("multilabel")


# -- shape calculators -----------------------------------------------------------


def _check_operator(operator, n_outputs):
    """Check one numeric input (or, behind a preprocessor, one input per
    column, strings allowed) and ``n_outputs`` outputs; return the number of
    rows (the input's first dimension)."""
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )
    from skl2onnx.common.utils import (
        check_input_and_output_numbers,
        check_input_and_output_types,
    )

    types = [FloatTensorType, DoubleTensorType, Int64TensorType]
    preprocessor, n_inputs = _preprocessor(operator.raw_operator), 1
    if preprocessor is not None:
        types, n_inputs = types + [StringTensorType], [1, preprocessor.n_features_in_]
    check_input_and_output_numbers(
        operator, input_count_range=n_inputs, output_count_range=n_outputs
    )
    check_input_and_output_types(operator, good_input_types=types)
    return operator.inputs[0].get_first_dimension()


def _classifier_shapes(operator):
    """Types and shapes of the classifier's outputs: labels, probabilities."""
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )

    n_rows = _check_operator(operator, n_outputs=2)
    estimator = operator.raw_operator
    classes, is_string = _class_labels(operator.scope_inst, estimator)
    if _is_multilabel(estimator):
        operator.outputs[0].type = Int64TensorType([n_rows, len(classes)])
    else:
        label_type = StringTensorType if is_string else Int64TensorType
        operator.outputs[0].type = label_type([n_rows])
    double = _input_dtype(operator) == np.float64 and not _zipmap_probabilities(
        operator.scope_inst, estimator
    )
    proba_type = DoubleTensorType if double else FloatTensorType
    operator.outputs[1].type = proba_type([n_rows, len(classes)])


def _regressor_shapes(operator):
    """Type and shape of the regressor's output: (N, n_outputs)."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    n_rows = _check_operator(operator, n_outputs=1)
    double = _input_dtype(operator) == np.float64
    output_type = DoubleTensorType if double else FloatTensorType
    first = _members(operator.raw_operator)[0][1]
    operator.outputs[0].type = output_type([n_rows, first.n_outputs_])


# -- converters ------------------------------------------------------------------


def _members(estimator):
    """(weight, network) pairs: a plain estimator is its own single member; a CV
    estimator's members are its kept fold models, with their weights."""
    if hasattr(estimator, "ensemble_weights_"):
        return list(zip(estimator.ensemble_weights_, estimator.estimators_))
    return [(1.0, estimator)]


def _network(scope, container, input_name, estimator, dtype):
    return add_network(
        scope,
        container,
        input_name,
        estimator.coefs_,
        estimator.intercepts_,
        activation=estimator.activation,
        out_activation=estimator.out_activation_,
        dtype=dtype,
    )


def _weighted_sum(scope, container, members, emit, dtype):
    """``sum_i w_i * emit(member_i)``: one member's output as it is."""
    if len(members) == 1:
        return emit(members[0][1])
    terms = []
    for weight, member in members:
        scale = _add_constant(scope, container, "weight", float(weight), dtype)
        terms.append(_apply(scope, container, "Mul", [emit(member), scale]))
    return _apply(scope, container, "Sum", terms)


def _member_probabilities(scope, container, input_name, member, dtype):
    """One plain classifier's predict_proba."""
    output = _network(scope, container, input_name, member, dtype)
    n_classes = len(member.classes_)
    if n_classes == 1:  # trained on one class: it is certain
        zero = _apply(scope, container, "Sub", [output, output])
        one = _add_constant(scope, container, "one", 1, dtype)
        return _apply(scope, container, "Add", [zero, one])
    if n_classes == 2 and not _is_multilabel(member):  # one logistic output
        one = _add_constant(scope, container, "one", 1, dtype)
        negative = _apply(scope, container, "Sub", [one, output])
        return _apply(scope, container, "Concat", [negative, output], axis=1)
    return output  # softmax, or one logistic output per label


def _convert_classifier(scope, operator, container):
    """The classifier's graph: the network(s), the probabilities (averaged over
    a CV estimator's members), the labels."""
    from onnx import TensorProto

    estimator = operator.raw_operator
    options = scope.get_options(estimator, dict(output_class_labels=False))
    if options["output_class_labels"] and estimator.classes_.dtype == bool:
        # skl2onnx's node of the class labels takes ints or strings only.
        raise NotImplementedError(
            "output_class_labels=True cannot hold boolean classes (skl2onnx "
            "makes them a LabelEncoder, which takes ints and strings): fit on "
            "y.astype(int) or leave the option out; the labels output holds "
            "them as int64 0 and 1."
        )
    dtype = _input_dtype(operator)
    input_name = _input_as(scope, operator, container, dtype)
    members = _members(estimator)

    def member_probabilities(member):
        proba = _member_probabilities(scope, container, input_name, member, dtype)
        if np.array_equal(member.classes_, estimator.classes_):
            return proba
        # A fold model whose training part lacked a class: its columns among
        # all the classes, a column of zeros for each one it lacks, as
        # predict_proba aligns them (a product by a matrix of 0 and 1: exact).
        identity = np.eye(len(member.classes_))
        place = align_columns(identity, member.classes_, estimator.classes_)
        place = _add_constant(scope, container, "class_columns", place, dtype)
        return _apply(scope, container, "MatMul", [proba, place])

    proba = _weighted_sum(scope, container, members, member_probabilities, dtype)
    label_name, proba_name = (v.full_name for v in operator.outputs)
    if _zipmap_probabilities(scope, estimator) and dtype == np.float64:
        _apply(scope, container, "Cast", [proba], proba_name, to=TensorProto.FLOAT)
    else:
        _apply(scope, container, "Identity", [proba], proba_name)

    # The labels, as predict decodes them: 1 where p > 0.5 (multilabel), the
    # positive class where its probability exceeds 0.5 (binary), else the most
    # probable class (the first of equals, as numpy's argmax).
    multilabel = _is_multilabel(estimator)
    n_classes = len(estimator.classes_)
    if multilabel or n_classes == 2:
        half = _add_constant(scope, container, "half", 0.5, dtype)
    if multilabel:
        above = _apply(scope, container, "Greater", [proba, half])
        _apply(scope, container, "Cast", [above], label_name, to=TensorProto.INT64)
        return
    if n_classes == 2:
        column = scope.get_unique_variable_name("column")
        container.add_initializer(column, TensorProto.INT64, [], [1])
        positive = _apply(scope, container, "Gather", [proba, column], axis=1)
        above = _apply(scope, container, "Greater", [positive, half])
        index = _apply(scope, container, "Cast", [above], to=TensorProto.INT64)
    else:
        index = _apply(scope, container, "ArgMax", [proba], axis=1, keepdims=0)
    classes, is_string = _class_labels(scope, estimator)
    classes_name = scope.get_unique_variable_name("classes")
    container.add_initializer(
        classes_name,
        TensorProto.STRING if is_string else TensorProto.INT64,
        [len(classes)],
        classes.tolist(),
    )
    _apply(scope, container, "Gather", [classes_name, index], label_name, axis=0)


def _convert_regressor(scope, operator, container):
    """The regressor's graph: the network's output (averaged over a CV
    estimator's members), shape (N, n_outputs)."""
    estimator = operator.raw_operator
    dtype = _input_dtype(operator)
    input_name = _input_as(scope, operator, container, dtype)
    output = _weighted_sum(
        scope,
        container,
        _members(estimator),
        lambda m: _network(scope, container, input_name, m, dtype),
        dtype,
    )
    scale = getattr(estimator, "target_scale_", None)  # normalize_y's
    if scale is not None:
        scale = _add_constant(scope, container, "target_scale", scale, dtype)
        offset = _add_constant(
            scope, container, "target_offset", estimator.target_offset_, dtype
        )
        output = _apply(scope, container, "Mul", [output, scale])
        output = _apply(scope, container, "Add", [output, offset])
    _apply(scope, container, "Identity", [output], operator.outputs[0].full_name)


_CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "nocl": [True, False],
    "output_class_labels": [False, True],
}


def register_onnx_converters():
    """Register the ONNX converters of the dropout MLPs with skl2onnx.

    After this call, ``skl2onnx.to_onnx`` converts a :class:`DropoutMLPClassifier`
    or :class:`DropoutMLPRegressor` (and their CV variants), alone or as a step of
    a pipeline, to an ONNX graph of the network without dropout, and a
    :class:`TabularPreprocessor` or :class:`PiecewiseLinearEncoder` to the graph
    of its transform. Calling it again changes nothing.
    Needs the ``onnx`` extra: ``pip install "skdropout[onnx]"``.

    skl2onnx finds converters by exact class: a subclass of these estimators
    needs its own ``skl2onnx.update_registered_converter`` call.

    Raises
    ------
    ImportError
        If skl2onnx is not installed.

    See Also
    --------
    skl2onnx.update_registered_converter : The registration this function makes.

    Notes
    -----
    The classifier's outputs are ``label`` and ``probabilities``
    (``output_label`` and ``output_probability`` behind the ZipMap of the
    default ``zipmap=True``) and take skl2onnx's classifier options
    (``zipmap`` True, False or 'columns', ``nocl``, ``output_class_labels``);
    the regressor's output ``variable`` has shape (n_samples, n_outputs),
    (n_samples, 1) for one output, as skl2onnx's regressors have. float32 and
    float64 inputs are supported; with float64 input and ``zipmap=True`` the
    probabilities are float32, the only type ONNX's ZipMap takes.

    A :class:`TabularPreprocessor` takes one input per column, named and typed
    as :func:`tabular_onnx_inputs` makes them, and outputs float32. It cannot
    be exported with ``numerical_scaling="quantile"`` or with target encoding
    for a multiclass target: the conversion raises ``NotImplementedError``
    naming the part.

    Examples
    --------
    With ``pipeline`` a fitted pipeline ending in a dropout MLP and ``X`` its
    data (see ``examples/onnx_export.py`` for the whole round trip):

    >>> from skl2onnx import to_onnx  # doctest: +SKIP
    >>> from skdropout import register_onnx_converters
    >>> register_onnx_converters()  # doctest: +SKIP
    >>> onx = to_onnx(pipeline, X[:1], options={"zipmap": False})  # doctest: +SKIP
    """
    try:
        from skl2onnx import update_registered_converter
    except ImportError as error:
        raise ImportError(
            "register_onnx_converters needs skl2onnx; install it with "
            '`pip install "skdropout[onnx]"`.'
        ) from error

    for Classifier in (DropoutMLPClassifier, DropoutMLPClassifierCV):
        update_registered_converter(
            Classifier,
            f"Skdropout{Classifier.__name__}",
            _classifier_shapes,
            _convert_classifier,
            options=_CLASSIFIER_OPTIONS,
        )
    for Regressor in (DropoutMLPRegressor, DropoutMLPRegressorCV):
        update_registered_converter(
            Regressor,
            f"Skdropout{Regressor.__name__}",
            _regressor_shapes,
            _convert_regressor,
        )
    # Imported here: the tabular converters use this module's helpers.
    from skdropout._onnx_tabular import TRANSFORMER_CONVERTERS

    for Transformer, shapes, convert in TRANSFORMER_CONVERTERS:
        update_registered_converter(
            Transformer, f"Skdropout{Transformer.__name__}", shapes, convert
        )
