"""The input of the CV estimators: validated as scikit-learn's estimators
validate it and, with ``preprocessing``, a table as it comes (a DataFrame with
strings, categories, booleans and missing values) turned into numbers first.

The estimator's ``n_features_in_`` and ``feature_names_in_`` are those of the
data as the user gives it; the members see the preprocessed numbers."""

# SPDX-License-Identifier: BSD-3-Clause

import copy
import warnings

import numpy as np
from scipy.sparse import issparse
from sklearn.base import clone, is_classifier
from sklearn.utils.validation import (
    _check_y,
    check_array,
    check_consistent_length,
    validate_data,
)

from skdropout._columns import (
    check_table,
    check_target_present,
    is_pandas_frame,
    is_polars_frame,
    target_type,
)
from skdropout._tabular import TabularPreprocessor, non_finite_error

#: What the members take: dense or CSR/CSC float64 or float32.
_NUMBERS = dict(accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32))


def resolve_preprocessing(preprocessing, X, random_state=None):
    """The unfitted transformer that ``preprocessing`` asks for on ``X``: for
    'auto', a :class:`TabularPreprocessor` seeded by ``random_state`` (its
    target encoding's folds) when X is a pandas or polars DataFrame, else
    none; None, none; a transformer, a clone of it."""
    if preprocessing is None:
        return None
    if isinstance(preprocessing, str):  # 'auto'
        if is_pandas_frame(X) or is_polars_frame(X):
            return TabularPreprocessor(random_state=copy.deepcopy(random_state))
        return None
    return clone(preprocessing)


def fit_input(estimator, X, y, sample_weight=None):
    """``(X, y, preprocessor)`` of a fit of ``estimator``: the numbers the
    members train on, the validated targets as the members learn them (the
    estimator's ``_scale_target``, with ``sample_weight``) and the fitted
    preprocessor (or None), which is fitted with those targets. Sets the
    estimator's ``n_features_in_`` and ``feature_names_in_`` from X as
    given."""
    preprocessor = resolve_preprocessing(
        estimator.preprocessing, X, estimator.random_state
    )
    y_numeric = not is_classifier(estimator)
    check_target_present(y)
    if preprocessor is None:
        X, y = validate_data(
            estimator, X, y, multi_output=True, y_numeric=y_numeric, **_NUMBERS
        )
    else:
        check_table(estimator, X)
        validate_data(estimator, X, y, skip_check_array=True)  # y None: its error
        y = _check_y(y, multi_output=True, y_numeric=y_numeric, estimator=estimator)
        check_consistent_length(X, y)
    y = estimator._scale_target(y, sample_weight)
    if preprocessor is not None:
        if isinstance(preprocessor, TabularPreprocessor):
            if preprocessor.target_type == "auto":
                preprocessor.set_params(target_type=target_type_of(estimator, y))
            if preprocessor.random_state is None:
                # The same seed gives the same model: its target encoding's
                # folds are drawn from the estimator's random_state.
                seed = copy.deepcopy(estimator.random_state)
                preprocessor.set_params(random_state=seed)
        X = _checked_output(preprocessor, preprocessor.fit_transform(X, y))
    return X, y, preprocessor


def _checked_output(preprocessor, X):
    """The preprocessor's output, checked as the members' input; NaN or
    infinite values are refused naming the output columns that hold them
    (where the preprocessor names its columns), not only "X"."""
    try:
        return check_array(X, input_name="the preprocessed X", **_NUMBERS)
    except ValueError as error:
        checked = error
    try:  # a DataFrame too, of nullable dtypes
        values = None if issparse(X) else np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        values = None
    if values is None or np.isfinite(values).all():
        raise checked
    raise non_finite_error(preprocessor, values)


def target_type_of(estimator, y):
    """The ``target_type`` a TabularPreprocessor with "auto" is told: the
    regressor's target is continuous (whole numbers too), the classifier's
    are classes (floats too); "auto" where neither reading applies."""
    if not is_classifier(estimator):
        return "continuous"
    read = target_type(y)
    return read if read in ("binary", "multiclass") else "auto"


def predict_input(estimator, X):
    """The numbers the members of a fitted ``estimator`` predict on: X checked
    against the fit's (scikit-learn's errors for other feature names or
    another number of features), preprocessed as in the fit."""
    preprocessor = getattr(estimator, "preprocessor_", None)
    if preprocessor is None:
        return validate_data(estimator, X, reset=False, **_NUMBERS)
    check_table(estimator, X)
    validate_data(estimator, X, skip_check_array=True, reset=False)
    with warnings.catch_warnings():
        # Other feature names than the fit's: the estimator has just said
        # so; the preprocessor inside it, which the user did not make, would
        # say it again.
        warnings.filterwarnings(
            "ignore", "X (does not have valid|has) feature names", UserWarning
        )
        X = preprocessor.transform(X)
    return _checked_output(preprocessor, X)
