"""A fit as a transaction. ``fitted_state`` is what a fit may change; the CV
estimators and TabularPreprocessor, whose fit assigns new objects to their
fitted attributes and changes none in place, run it inside
``fit_transaction``; the plain estimators, which train their weights in
place, keep a copy of it instead (``BaseDropoutMLP._fit``)."""

# SPDX-License-Identifier: BSD-3-Clause

from contextlib import contextmanager

from skdropout._callbacks import TRANSIENT_ATTRIBUTES


def fitted_state(estimator):
    """The attributes of ``estimator`` that a fit sets: everything but its
    parameters and the callback API's attributes."""
    skip = set(estimator.get_params(deep=False)) | TRANSIENT_ATTRIBUTES
    return {k: v for k, v in vars(estimator).items() if k not in skip}


@contextmanager
def fit_transaction(estimator):
    """On any error in the block (a KeyboardInterrupt too), the fitted
    attributes of ``estimator`` are left as they were before it: fitted or
    not. The old values need no copy, since the block only assigns new ones."""
    saved = fitted_state(estimator)
    try:
        yield
    except BaseException:
        for name in fitted_state(estimator):
            delattr(estimator, name)
        vars(estimator).update(saved)
        raise
