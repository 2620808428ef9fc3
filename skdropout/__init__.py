"""Multilayer perceptrons with dropout for scikit-learn."""

# SPDX-License-Identifier: BSD-3-Clause

from skdropout._classifier import DropoutMLPClassifier
from skdropout._classifier_cv import DropoutMLPClassifierCV
from skdropout._display import LossCurveDisplay
from skdropout._fit_blocks import fit_blocks
from skdropout._onnx import register_onnx_converters
from skdropout._onnx_tabular import tabular_onnx_inputs
from skdropout._piecewise import PiecewiseLinearEncoder
from skdropout._regressor import DropoutMLPRegressor
from skdropout._regressor_cv import DropoutMLPRegressorCV
from skdropout._tabular import TabularPreprocessor

__version__ = "0.1.0.dev0"

__all__ = [
    "DropoutMLPClassifier",
    "DropoutMLPClassifierCV",
    "DropoutMLPRegressor",
    "DropoutMLPRegressorCV",
    "LossCurveDisplay",
    "PiecewiseLinearEncoder",
    "TabularPreprocessor",
    "fit_blocks",
    "register_onnx_converters",
    "tabular_onnx_inputs",
    "__version__",
]
