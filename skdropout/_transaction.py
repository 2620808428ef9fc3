"""A fit as a transaction, for estimators whose fit assigns new objects to
their fitted attributes and changes none in place (the CV estimators and
TabularPreprocessor; the plain estimators train their weights in place and
keep a copy instead, ``BaseDropoutMLP._fit``)."""

# SPDX-License-Identifier: BSD-3-Clause

from contextlib import contextmanager


@contextmanager
def fit_transaction(estimator):
    """On any error in the block (a KeyboardInterrupt too), the fitted
    attributes of ``estimator`` (what its ``_fitted_state()`` returns) are left
    as they were before it: fitted or not. The old values need no copy, since
    the block only assigns new ones."""
    saved = estimator._fitted_state()
    try:
        yield
    except BaseException:
        for name in estimator._fitted_state():
            delattr(estimator, name)
        vars(estimator).update(saved)
        raise
