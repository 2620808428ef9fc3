"""The ONNX nodes that skdropout's converters emit: one node (``_apply``), a
constant (``_add_constant``), and the activations' nodes (``ONNX_ACTIVATIONS``,
a registry beside ``_activations.ACTIVATIONS``)."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from skdropout._activations import LEAKY_SLOPE, SELU_ALPHA, SELU_SCALE


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
            "be exported: add an entry to skdropout._onnx_nodes.ONNX_ACTIVATIONS (the "
            "ONNX nodes that compute it)."
        )


def _add_constant(scope, container, name, value, dtype):
    """An initializer of ``dtype`` of ``value``'s shape (a scalar, a vector of
    one value per output, a matrix); return its name."""
    full_name = scope.get_unique_variable_name(name)
    values = np.asarray(value, dtype=dtype)
    dims = list(values.shape)
    container.add_initializer(
        full_name, _proto_type(dtype), dims, values.ravel().tolist()
    )
    return full_name


def _proto_type(dtype):
    from onnx import TensorProto

    return TensorProto.DOUBLE if np.dtype(dtype) == np.float64 else TensorProto.FLOAT
