"""Export of the tabular transformers to ONNX: the converters of
:class:`PiecewiseLinearEncoder` and :class:`TabularPreprocessor`, which
``register_onnx_converters`` (``_onnx``) registers with skl2onnx.

:class:`PiecewiseLinearEncoder` converts to a few
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

import copy

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from skdropout._columns import column_names
from skdropout._onnx import (
    _add_constant,
    _apply,
    _check_operator,
    _input_as,
    _input_dtype,
    _proto_type,
)
from skdropout._piecewise import PiecewiseLinearEncoder
from skdropout._tabular import SMOOTH_CLIP_BOUND, TabularPreprocessor, _SmoothClip


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
    """3 r / sqrt(1 + r^2) with r = x / 3, in the input's precision: x / sqrt(1
    + (x / 3)^2), with r held within +-sqrt(max) / 2 so that its square does
    not overflow (beyond, the value is 3 to the last bit, as in numpy)."""
    dtype = _input_dtype(operator)
    x = _input_as(scope, operator, container, dtype)
    bound = _add_constant(scope, container, "bound", SMOOTH_CLIP_BOUND, dtype)
    one = _add_constant(scope, container, "one", 1, dtype)
    far = float(np.sqrt(np.finfo(dtype).max) / 2)
    high = _add_constant(scope, container, "high", far, dtype)
    low = _add_constant(scope, container, "low", -far, dtype)
    ratio = _apply(scope, container, "Div", [x, bound])
    ratio = _apply(
        scope, container, "Max", [_apply(scope, container, "Min", [ratio, high]), low]
    )
    square = _apply(scope, container, "Mul", [ratio, ratio])
    root = _apply(
        scope, container, "Sqrt", [_apply(scope, container, "Add", [square, one])]
    )
    scaled = _apply(scope, container, "Mul", [ratio, bound])
    _apply(scope, container, "Div", [scaled, root], operator.outputs[0].full_name)


def _ramps_in_input_units(pipeline):
    """The numerical pipeline as the float32 graph computes it best: with
    standard scaling then the piecewise-linear encoding, the ramps on the
    imputed numbers themselves, the bins' edges scaled back (``edge * scale +
    mean``; the same ramps). On scaled values, float32 rounding is amplified
    by bins that a skewed column makes narrow there (up to 0.13 in a ramp);
    on the numbers as given, a count is exact. Any other pipeline as it is."""
    names = [name for name, _ in pipeline.steps]
    if names != ["impute", "scale", "piecewise"] or not isinstance(
        pipeline.named_steps["scale"], StandardScaler
    ):
        return pipeline
    scaler, encoder = pipeline.named_steps["scale"], pipeline.named_steps["piecewise"]
    raw = copy.deepcopy(encoder)
    raw.bin_edges_ = [
        edges * scale + mean
        for edges, scale, mean in zip(encoder.bin_edges_, scaler.scale_, scaler.mean_)
    ]
    return Pipeline([("impute", pipeline.named_steps["impute"]), ("piecewise", raw)])


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

    def _refuse_a_nan_level(levels, i):
        """The graph reads a missing value as the string "nan": a level
        spelled so would take the rows missing at predict time (and, beside
        missing values in fit, be one key for two levels)."""
        if "nan" in [level for level in levels.tolist() if isinstance(level, str)]:
            name = column_names(preprocessor, preprocessor.n_features_in_)[i]
            raise ValueError(
                f"The categorical column {name!r} has a level spelled 'nan': "
                "the ONNX graph reads a missing value as the string 'nan' and "
                "cannot tell the two apart. Replace that string (by a missing "
                "value or another string) and fit again."
            )

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
            name = column_names(preprocessor, preprocessor.n_features_in_)[i]
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
            transformer = _ramps_in_input_units(transformer)
            parts.append(
                OnnxSubEstimator(transformer, x, op_version=opv, input_types=[x_type])
            )
        elif name == "missing":
            x = OnnxIsNaN(numbers(columns), op_version=opv)
            parts.append(OnnxCast(x, to=TensorProto.FLOAT, op_version=opv))
        elif name in ("cat", "cat_many"):
            for j, c in enumerate(columns):
                _refuse_a_nan_level(transformer.categories_[j], position(c))
                keys = _category_keys(transformer.categories_[j])
                rows = {key: k for k, key in enumerate(keys)}
                index = OnnxLabelEncoder_2(
                    strings(position(c)),
                    keys_strings=list(rows),
                    values_int64s=list(rows.values()),
                    default_int64=-1,
                    op_version=2,
                )
                arange = np.arange(len(keys), dtype=np.int64).reshape(1, -1)
                is_level = OnnxEqual(index, arange, op_version=opv)
                matrix = _onehot_matrix(transformer, j).astype(np.float32)
                level = OnnxCast(is_level, to=TensorProto.FLOAT, op_version=opv)
                parts.append(OnnxMatMul(level, matrix, op_version=opv))
        elif name == "target":
            for j, c in enumerate(columns):
                _refuse_a_nan_level(transformer.categories_[j], position(c))
            x = [strings(position(c)) for c in columns]
            x = x[0] if len(x) == 1 else OnnxConcat(*x, axis=1, op_version=opv)
            x_type = StringTensorType([None, len(columns)])
            parts.append(
                OnnxSubEstimator(transformer, x, op_version=opv, input_types=[x_type])
            )
    out = parts[0] if len(parts) == 1 else OnnxConcat(*parts, axis=1, op_version=opv)
    OnnxIdentity(out, op_version=opv, output_names=operator.outputs[:1]).add_to(
        scope, container
    )


def tabular_onnx_inputs(preprocessor, X, *, onnx_model=None):
    """The ONNX Runtime inputs of a graph converted from a fitted
    :class:`TabularPreprocessor`, a pipeline that starts with one, or a CV
    estimator that preprocessed its input with one (``preprocessor_``): one
    array of shape (n_samples, 1) per column of ``X``, in order, float32 for a
    numerical column (NaN for missing values) and str for a categorical one
    (as the preprocessor spells its levels: ``"nan"`` for a missing value,
    whole numbers as integers, booleans as ``"False"`` and ``"True"``).

    Parameters
    ----------
    preprocessor : TabularPreprocessor, Pipeline, DropoutMLPClassifierCV or \
            DropoutMLPRegressorCV
        The fitted preprocessor, a fitted pipeline that starts with one, or a
        fitted CV estimator whose ``preprocessor_`` is one.
    X : {DataFrame, array-like} of shape (n_samples, n_features)
        The table, as ``preprocessor.transform`` takes it.
    onnx_model : onnx.ModelProto, onnxruntime.InferenceSession or None, \
            default=None
        The converted graph, whose input names then key the result, column
        by column in order. skl2onnx renames an input whose name is not an
        identifier (``"sepal length (cm)"`` becomes ``"sepal_length__cm_"``)
        or is already an output's (``"label"``), so a graph converted from
        such columns takes them under its own names. None: the columns'
        names.

    Returns
    -------
    inputs : dict of str to ndarray
        ``{name: values}``, to pass to ``InferenceSession.run``; without
        ``onnx_model`` the names are those of ``feature_names_in_`` (``x0``,
        ``x1``, ... without them), which the ``initial_types`` given to
        ``skl2onnx.to_onnx`` must use, in the same order.

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
    if isinstance(preprocessor, Pipeline):
        preprocessor = preprocessor[0]
    check_is_fitted(preprocessor)
    if getattr(preprocessor, "preprocessor_", False) is None:
        raise TypeError(
            f"This {type(preprocessor).__name__} was fitted without a "
            "preprocessor (preprocessor_ is None): its graph takes the numbers "
            "as they are, one float input, with no per-column inputs to build. "
            "Convert it with to_onnx(estimator, X) directly."
        )
    preprocessor = getattr(preprocessor, "preprocessor_", preprocessor)
    if not isinstance(preprocessor, TabularPreprocessor):
        raise TypeError(
            "tabular_onnx_inputs needs a fitted TabularPreprocessor or a CV "
            "estimator fitted with one (preprocessor_); got "
            f"{type(preprocessor).__name__}."
        )
    columns, converted = preprocessor._read(X)
    inputs = {}
    for column, categorical, values in zip(
        columns, preprocessor._categorical, converted
    ):
        if categorical:
            values = np.array(_category_keys(values), dtype=object)
        else:
            with np.errstate(over="ignore"):
                single = values.astype(np.float32)
            if np.isinf(single).any():  # (infinite values were refused)
                # The graph reads float32: it would compute NaN from them.
                raise ValueError(
                    f"Column {column.name!r} holds values beyond float32's "
                    "range (about 3.4e38), which the ONNX graph reads as "
                    "infinite: rescale the column, or predict them in Python."
                )
            values = single
        inputs[column.name] = values.reshape(-1, 1)
    if onnx_model is None:
        return inputs
    names = _graph_input_names(onnx_model)
    if len(names) != len(inputs):
        raise ValueError(
            f"onnx_model takes {len(names)} inputs, and the table has "
            f"{len(inputs)} columns: pass the graph converted from this "
            "preprocessor (one input per column)."
        )
    return dict(zip(names, inputs.values()))


def _graph_input_names(onnx_model):
    """The input names of an ONNX model or an ONNX Runtime session, in order."""
    if hasattr(onnx_model, "get_inputs"):  # an InferenceSession
        return [node.name for node in onnx_model.get_inputs()]
    initializers = {init.name for init in onnx_model.graph.initializer}
    return [i.name for i in onnx_model.graph.input if i.name not in initializers]


#: (transformer, shape calculator, converter) for ``register_onnx_converters``.
TRANSFORMER_CONVERTERS = (
    (PiecewiseLinearEncoder, _piecewise_shapes, _convert_piecewise),
    (_SmoothClip, _smooth_clip_shapes, _convert_smooth_clip),
    (TabularPreprocessor, _tabular_shapes, _convert_tabular),
)
