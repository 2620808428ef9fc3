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

Activations are a registry, as in ``_activations``: ``ONNX_ACTIVATIONS`` maps
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

The tabular transformers convert too. :class:`PiecewiseLinearEncoder` is a few
nodes (Gather, Sub, Div, Max, Min) in the input's precision.
:class:`TabularPreprocessor` takes one ONNX input per column, float for a
numerical column and string for a categorical one, which
:func:`tabular_onnx_inputs` builds from a DataFrame; it computes in float32.
Its numerical pipeline (SimpleImputer, StandardScaler or RobustScaler, the
smooth clipping, the piecewise-linear encoding) and its TargetEncoder go to
their skl2onnx converters; the missing indicators and the one-hot encoding are
written here, because skl2onnx has no converter for MissingIndicator and its
OneHotEncoder converter refuses infrequent categories. Two configurations
cannot be exported and raise ``NotImplementedError`` naming the part:
``numerical_scaling="quantile"`` (skl2onnx converts QuantileTransformer only to
a uniform distribution) and target encoding for a multiclass target (skl2onnx's
TargetEncoder converter takes binary and continuous targets only).
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils.validation import check_is_fitted

from skdropout._activations import LEAKY_SLOPE, SELU_ALPHA, SELU_SCALE
from skdropout._classifier import DropoutMLPClassifier
from skdropout._classifier_cv import DropoutMLPClassifierCV
from skdropout._piecewise import PiecewiseLinearEncoder
from skdropout._regressor import DropoutMLPRegressor
from skdropout._regressor_cv import DropoutMLPRegressorCV
from skdropout._tabular import SMOOTH_CLIP_BOUND, TabularPreprocessor, _SmoothClip


def _apply(scope, container, op_type, inputs, output=None, **attributes):
    """Add one node; return its output's name (a new one unless ``output``)."""
    if output is None:
        output = scope.get_unique_variable_name(op_type.lower())
    container.add_node(
        op_type,
        inputs,
        [output],
        name=scope.get_unique_operator_name(op_type),
        **attributes,
    )
    return output


def _node(op_type, **attributes):
    """An emitter of one ONNX node ``op_type`` applied to a tensor."""

    def emit(scope, container, name, dtype):
        return _apply(scope, container, op_type, [name], **attributes)

    emit.__doc__ = f"Add an ONNX {op_type} node on ``name``; return its output."
    return emit


def _identity(scope, container, name, dtype):
    """f(z) = z: no node, the tensor itself."""
    return name


def _gelu(scope, container, name, dtype):
    """f(z) = z * 0.5 (1 + erf(z / sqrt 2)), the exact form, with Erf."""

    def constant(label, value):
        return _add_constant(scope, container, label, value, dtype)

    scaled = _apply(scope, container, "Mul", [name, constant("inv_sqrt2", 0.5**0.5)])
    erf = _apply(scope, container, "Erf", [scaled])
    one_plus_erf = _apply(scope, container, "Add", [erf, constant("one", 1)])
    cdf = _apply(scope, container, "Mul", [one_plus_erf, constant("half", 0.5)])
    return _apply(scope, container, "Mul", [name, cdf])


def _silu(scope, container, name, dtype):
    """f(z) = z * sigmoid(z)."""
    sigmoid = _apply(scope, container, "Sigmoid", [name])
    return _apply(scope, container, "Mul", [name, sigmoid])


def _mish(scope, container, name, dtype):
    """f(z) = z * tanh(softplus(z))."""
    softplus = _apply(scope, container, "Softplus", [name])
    tanh = _apply(scope, container, "Tanh", [softplus])
    return _apply(scope, container, "Mul", [name, tanh])


#: The ONNX nodes of each activation of ``_activations.ACTIVATIONS``, hidden and
#: output alike: ``emit(scope, container, name, dtype) -> name of the result``.
ONNX_ACTIVATIONS = {
    "identity": _identity,
    "logistic": _node("Sigmoid"),
    "tanh": _node("Tanh"),
    "relu": _node("Relu"),
    "leaky_relu": _node("LeakyRelu", alpha=LEAKY_SLOPE),
    "selu": _node("Selu", alpha=SELU_ALPHA, gamma=SELU_SCALE),
    "gelu": _gelu,
    "silu": _silu,
    "mish": _mish,
    "softmax": _node("Softmax", axis=1),
    "exp": _node("Exp"),
}


def _check_activation(name):
    if name not in ONNX_ACTIVATIONS:
        raise NotImplementedError(
            f"The activation {name!r} has no ONNX converter, so this model cannot "
            "be exported: add an entry to skdropout._onnx.ONNX_ACTIVATIONS (the "
            "ONNX nodes that compute it)."
        )


def _proto_type(dtype):
    from onnx import TensorProto

    return TensorProto.DOUBLE if np.dtype(dtype) == np.float64 else TensorProto.FLOAT


def add_network(
    scope, container, input_name, coefs, intercepts, activation, out_activation, dtype
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


def _input_dtype(operator):
    """float64 for a double input, float32 for any other."""
    from skl2onnx.common.data_types import DoubleTensorType

    if isinstance(operator.inputs[0].type, DoubleTensorType):
        return np.float64
    return np.float32


def _input_as(scope, operator, container, dtype):
    """The input tensor, cast to ``dtype`` unless it has that type already."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    name = operator.inputs[0].full_name
    wanted = DoubleTensorType if dtype == np.float64 else FloatTensorType
    if isinstance(operator.inputs[0].type, wanted):
        return name
    return _apply(scope, container, "Cast", [name], to=_proto_type(dtype))


def _add_constant(scope, container, name, value, dtype):
    """A scalar initializer of ``dtype``; return its name."""
    full_name = scope.get_unique_variable_name(name)
    container.add_initializer(full_name, _proto_type(dtype), [], [value])
    return full_name


def _class_labels(scope, estimator):
    """The labels as an ONNX label tensor holds them: (values, is_string).

    Integer, boolean and float classes become int64 (skl2onnx's convention,
    which ZipMap needs; scikit-learn's classifiers take float labels only when
    they are integers), every other type a string.
    """
    from skl2onnx.common.utils_classifier import get_label_classes

    classes = np.asarray(get_label_classes(scope, estimator))
    if classes.dtype.kind in "biuf":
        return classes.astype(np.int64), False
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
    """Check one numeric input and ``n_outputs`` outputs; return the number of
    rows (the input's first dimension)."""
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
    )
    from skl2onnx.common.utils import (
        check_input_and_output_numbers,
        check_input_and_output_types,
    )

    check_input_and_output_numbers(
        operator, input_count_range=1, output_count_range=n_outputs
    )
    check_input_and_output_types(
        operator,
        good_input_types=[FloatTensorType, DoubleTensorType, Int64TensorType],
    )
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
        estimator.activation,
        estimator.out_activation_,
        dtype,
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
    dtype = _input_dtype(operator)
    input_name = _input_as(scope, operator, container, dtype)
    members = _members(estimator)
    for _, member in members:
        if not np.array_equal(member.classes_, estimator.classes_):
            raise NotImplementedError(
                "A fold model of this CV estimator saw fewer classes than the "
                "estimator; its ONNX export is not supported."
            )
    proba = _weighted_sum(
        scope, container, members,
        lambda m: _member_probabilities(scope, container, input_name, m, dtype),
        dtype,
    )  # fmt: skip
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
        scope, container, _members(estimator),
        lambda m: _network(scope, container, input_name, m, dtype), dtype,
    )  # fmt: skip
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
    The classifier's outputs are ``label`` and ``probabilities`` and take
    skl2onnx's classifier options (``zipmap`` True, False or 'columns',
    ``nocl``, ``output_class_labels``); the regressor's output ``variable``
    has shape (n_samples, n_outputs), (n_samples, 1) for one output, as
    skl2onnx's regressors have. float32 and float64 inputs are supported; with
    float64 input and ``zipmap=True`` the probabilities are float32, the only
    type ONNX's ZipMap takes.

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
    for Transformer, shapes, convert in (
        (PiecewiseLinearEncoder, _piecewise_shapes, _convert_piecewise),
        (_SmoothClip, _smooth_clip_shapes, _convert_smooth_clip),
        (TabularPreprocessor, _tabular_shapes, _convert_tabular),
    ):
        update_registered_converter(
            Transformer, f"Skdropout{Transformer.__name__}", shapes, convert
        )


# -- the tabular transformers ------------------------------------------------------


def _add_array(scope, container, label, array, proto):
    """An initializer holding ``array`` (shape kept) of ONNX type ``proto``."""
    name = scope.get_unique_variable_name(label)
    array = np.asarray(array)
    container.add_initializer(name, proto, list(array.shape), array.ravel().tolist())
    return name


def add_piecewise_linear(scope, container, input_name, encoder, dtype):
    """Emit the ramps of a fitted :class:`PiecewiseLinearEncoder` on the tensor
    ``input_name`` of shape (N, n_features) and type ``dtype``; return the name
    of the result, (N, n_bins_.sum()): the columns gathered, ``(x - left) /
    width`` clipped to each ramp's bounds (the first open below, the last open
    above), as ``_piecewise.piecewise_linear`` computes it."""
    from onnx import TensorProto

    ramps = encoder._ramps()
    proto = _proto_type(dtype)

    def row(key):
        return _add_array(scope, container, key, ramps[key].reshape(1, -1), proto)

    index = _add_array(scope, container, "feature", ramps["feature"], TensorProto.INT64)
    columns = _apply(scope, container, "Gather", [input_name, index], axis=1)
    shifted = _apply(scope, container, "Sub", [columns, row("left")])
    scaled = _apply(scope, container, "Div", [shifted, row("width")])
    above = _apply(scope, container, "Max", [scaled, row("lower")])
    return _apply(scope, container, "Min", [above, row("upper")])


def _same_shape_transform_shapes(operator, n_columns):
    """One float or double output of ``n_columns`` columns, the input's type."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    n_rows = _check_operator(operator, n_outputs=1)
    double = _input_dtype(operator) == np.float64
    output_type = DoubleTensorType if double else FloatTensorType
    operator.outputs[0].type = output_type([n_rows, n_columns])


def _piecewise_shapes(operator):
    encoder = operator.raw_operator
    _same_shape_transform_shapes(operator, int(encoder.n_bins_.sum()))


def _convert_piecewise(scope, operator, container):
    """The piecewise-linear encoding, in the input's precision."""
    dtype = _input_dtype(operator)
    input_name = _input_as(scope, operator, container, dtype)
    output = add_piecewise_linear(
        scope, container, input_name, operator.raw_operator, dtype
    )
    _apply(scope, container, "Identity", [output], operator.outputs[0].full_name)


def _smooth_clip_shapes(operator):
    _same_shape_transform_shapes(operator, operator.raw_operator.n_features_in_)


def _convert_smooth_clip(scope, operator, container):
    """x / sqrt(1 + (x / 3)^2), in the input's precision."""
    dtype = _input_dtype(operator)
    x = _input_as(scope, operator, container, dtype)
    bound = _add_constant(scope, container, "bound", SMOOTH_CLIP_BOUND, dtype)
    one = _add_constant(scope, container, "one", 1, dtype)
    ratio = _apply(scope, container, "Div", [x, bound])
    square = _apply(scope, container, "Mul", [ratio, ratio])
    root = _apply(
        scope, container, "Sqrt", [_apply(scope, container, "Add", [square, one])]
    )
    _apply(scope, container, "Div", [x, root], operator.outputs[0].full_name)


def _check_exportable(preprocessor):
    """Refuse, by name, the parts of a TabularPreprocessor that no converter
    handles, before any node is added."""
    if preprocessor.numerical_scaling == "quantile":
        raise NotImplementedError(
            "TabularPreprocessor(numerical_scaling='quantile') cannot be exported "
            "to ONNX: skl2onnx converts a QuantileTransformer only with "
            "output_distribution='uniform', and this one maps to a normal "
            "distribution. Use numerical_scaling='standard' or 'robust' for a "
            "model to export."
        )
    parts = preprocessor.column_transformer_.named_transformers_
    if "target" in parts and parts["target"].target_type_ == "multiclass":
        raise NotImplementedError(
            "This TabularPreprocessor target encodes the columns "
            f"{list(preprocessor.target_encoded_features_)} for a multiclass "
            "target, which cannot be exported to ONNX: skl2onnx converts a "
            "TargetEncoder only for binary and continuous targets. Fit it with "
            "max_onehot_categories=None (one-hot encoding every categorical "
            "column) for a model to export."
        )


def _tabular_shapes(operator):
    """One float output, (N, number of output names); one input per column,
    or one tensor holding all the columns."""
    from skl2onnx.common.data_types import FloatTensorType

    preprocessor = operator.raw_operator
    _check_exportable(preprocessor)
    n_inputs, n_features = len(operator.inputs), preprocessor.n_features_in_
    if n_inputs not in (1, n_features):
        raise RuntimeError(
            f"A TabularPreprocessor fitted on {n_features} columns takes one ONNX "
            f"input per column (see tabular_onnx_inputs) or a single input "
            f"holding them all; it was given {n_inputs} inputs."
        )
    n_rows = operator.inputs[0].get_first_dimension()
    n_out = len(preprocessor.get_feature_names_out())
    operator.outputs[0].type = FloatTensorType([n_rows, n_out])


def _onehot_matrix(encoder, j):
    """The fitted OneHotEncoder's map from the categories of its input column j
    (rows, in the order of ``categories_[j]``) to its output columns for that
    column (infrequent categories pooled), read from its own transform."""
    categories = encoder.categories_
    probe = np.empty((len(categories[j]), len(categories)), dtype=object)
    for k, levels in enumerate(categories):
        probe[:, k] = levels if k == j else levels[0]
    names = getattr(encoder, "feature_names_in_", None)
    if names is not None:
        import pandas as pd

        probe = pd.DataFrame(probe, columns=names)
    widths = [
        len(levels) - len(rare) + bool(len(rare))
        for levels, rare in zip(categories, _infrequent(encoder))
    ]
    start = sum(widths[:j])
    return encoder.transform(probe)[:, start : start + widths[j]]


def _infrequent(encoder):
    """Each column's infrequent categories (empty where there are none)."""
    rare = getattr(encoder, "infrequent_categories_", None)
    if rare is None:
        return [[] for _ in encoder.categories_]
    return [[] if levels is None else levels for levels in rare]


def _category_keys(levels):
    """The ONNX string of each category: itself, "nan" for the missing one."""
    return ["nan" if not isinstance(level, str) else level for level in levels.tolist()]


def _convert_tabular(scope, operator, container):
    """The preprocessor's graph, in float32: each part of its ColumnTransformer
    on the columns it reads, concatenated in the same order. The numerical
    pipeline (SimpleImputer, the scaler, the smooth clipping, the
    piecewise-linear encoding) and the TargetEncoder go to their skl2onnx
    converters; the missing indicators and the one-hot encoding (with
    infrequent categories, which skl2onnx's OneHotEncoder converter refuses)
    are written here."""
    from onnx import TensorProto
    from skl2onnx.algebra.onnx_operator import OnnxSubEstimator
    from skl2onnx.algebra.onnx_ops import (
        OnnxCast,
        OnnxConcat,
        OnnxEqual,
        OnnxGather,
        OnnxIdentity,
        OnnxIsNaN,
        OnnxLabelEncoder_2,
        OnnxMatMul,
    )
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    preprocessor = operator.raw_operator
    opv = container.target_opset
    inputs = operator.inputs
    names = list(getattr(preprocessor, "feature_names_in_", []))

    def position(column):
        return names.index(column) if isinstance(column, str) else int(column)

    def column(i):
        """Column i, shape (N, 1)."""
        if len(inputs) > 1:
            return inputs[i]
        index = np.array([i], dtype=np.int64)
        return OnnxGather(inputs[0], index, axis=1, op_version=opv)

    def numbers(columns):
        """The columns as one float tensor."""
        casts = [
            OnnxCast(column(position(c)), to=TensorProto.FLOAT, op_version=opv)
            for c in columns
        ]
        return (
            casts[0] if len(casts) == 1 else OnnxConcat(*casts, axis=1, op_version=opv)
        )

    def strings(i):
        source = inputs[i] if len(inputs) > 1 else inputs[0]
        if not isinstance(source.type, StringTensorType):
            name = preprocessor._column_names(preprocessor.n_features_in_)[i]
            raise RuntimeError(
                f"The categorical column {name!r} must come as an ONNX string "
                "input, as tabular_onnx_inputs makes it."
            )
        return column(i)

    parts = []
    for name, transformer, columns in preprocessor.column_transformer_.transformers_:
        if name == "num":
            x = numbers(columns)
            x_type = FloatTensorType([None, len(columns)])
            parts.append(OnnxSubEstimator(transformer, x, op_version=opv,
                                          input_types=[x_type]))  # fmt: skip
        elif name == "missing":
            x = OnnxIsNaN(numbers(columns), op_version=opv)
            parts.append(OnnxCast(x, to=TensorProto.FLOAT, op_version=opv))
        elif name == "cat":
            for j, c in enumerate(columns):
                levels = transformer.categories_[j]
                rows = {}  # a category "nan" beside missing values: the first
                for k, key in enumerate(_category_keys(levels)):
                    rows.setdefault(key, k)
                index = OnnxLabelEncoder_2(
                    strings(position(c)),
                    keys_strings=list(rows),
                    values_int64s=list(rows.values()),
                    default_int64=-1,
                    op_version=2,
                )
                arange = np.arange(len(levels), dtype=np.int64).reshape(1, -1)
                is_level = OnnxEqual(index, arange, op_version=opv)
                matrix = _onehot_matrix(transformer, j).astype(np.float32)
                level = OnnxCast(is_level, to=TensorProto.FLOAT, op_version=opv)
                parts.append(OnnxMatMul(level, matrix, op_version=opv))
        elif name == "target":
            x = [strings(position(c)) for c in columns]
            x = x[0] if len(x) == 1 else OnnxConcat(*x, axis=1, op_version=opv)
            x_type = StringTensorType([None, len(columns)])
            parts.append(OnnxSubEstimator(transformer, x, op_version=opv,
                                          input_types=[x_type]))  # fmt: skip
    out = parts[0] if len(parts) == 1 else OnnxConcat(*parts, axis=1, op_version=opv)
    OnnxIdentity(out, op_version=opv, output_names=operator.outputs[:1]).add_to(
        scope, container
    )


def tabular_onnx_inputs(preprocessor, X):
    """The ONNX Runtime inputs of a graph converted from a fitted
    :class:`TabularPreprocessor` (or a pipeline that starts with one): one
    array of shape (n_samples, 1) per column of ``X``, in order, float32 for a
    numerical column (NaN for missing values) and str for a categorical one
    (as the preprocessor reads it: ``"nan"`` for a missing value, whole numbers
    as integers).

    Parameters
    ----------
    preprocessor : TabularPreprocessor
        The fitted preprocessor.
    X : {DataFrame, array-like} of shape (n_samples, n_features)
        The table, as ``preprocessor.transform`` takes it.

    Returns
    -------
    inputs : dict of str to ndarray
        ``{column name: values}``, to pass to ``InferenceSession.run``; the
        names are those of ``feature_names_in_`` (``x0``, ``x1``, ... without
        them), which the ``initial_types`` given to ``skl2onnx.to_onnx`` must
        use, in the same order.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skdropout import TabularPreprocessor, tabular_onnx_inputs
    >>> X = pd.DataFrame({"age": [25.0, np.nan], "city": ["Paris", None]})
    >>> prep = TabularPreprocessor().fit(X)
    >>> inputs = tabular_onnx_inputs(prep, X)
    >>> inputs["age"].dtype, inputs["age"].shape
    (dtype('float32'), (2, 1))
    >>> inputs["city"].ravel()
    array(['Paris', 'nan'], dtype=object)

    To convert a fitted pipeline ``pipe`` that starts with ``prep`` (see the
    user guide's page on tabular data for the whole round trip):

    >>> from skl2onnx import to_onnx  # doctest: +SKIP
    >>> from skl2onnx.common.data_types import (  # doctest: +SKIP
    ...     FloatTensorType, StringTensorType)
    >>> types = [  # doctest: +SKIP
    ...     (name, StringTensorType([None, 1]) if values.dtype == object
    ...      else FloatTensorType([None, 1]))
    ...     for name, values in inputs.items()
    ... ]
    >>> onx = to_onnx(pipe, initial_types=types)  # doctest: +SKIP
    """
    from skdropout._columns import resolve_column

    check_is_fitted(preprocessor)
    columns, _ = preprocessor._read(X, reset=False)
    inputs = {}
    for column, categorical in zip(columns, preprocessor._categorical):
        _, values = resolve_column(column, categorical=bool(categorical), fitting=False)
        if categorical:
            values = np.array(_category_keys(values), dtype=object)
        else:
            values = values.astype(np.float32)
        inputs[column.name] = values.reshape(-1, 1)
    return inputs
