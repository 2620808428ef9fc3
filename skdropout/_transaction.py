"""A fit as a transaction. ``fitted_state`` is what a fit may change; the CV
estimators and TabularPreprocessor, whose fit assigns new objects to their
fitted attributes and changes none in place, run it inside
``fit_transaction``, and so does ``fit_blocks`` with a copy (its partial_fit
calls train the weights in place); the plain estimators keep a copy of it
in their own way (``BaseDropoutMLP._fit``)."""

# SPDX-License-Identifier: BSD-3-Clause

import copy
from contextlib import contextmanager

from skdropout._callbacks import TRANSIENT_ATTRIBUTES


def fitted_state(estimator):
    """The attributes of ``estimator`` that a fit sets: everything but its
    parameters and the callback API's attributes."""
    skip = set(estimator.get_params(deep=False)) | TRANSIENT_ATTRIBUTES
    return {k: v for k, v in vars(estimator).items() if k not in skip}


@contextmanager
def fit_transaction(estimator, *, in_place=False):
    """On any error in the block (a KeyboardInterrupt too), the fitted
    attributes of ``estimator`` are left as they were before it: fitted or
    not. The old values need no copy where the block only assigns new ones;
    ``in_place``: the block changes them in place, so a copy is kept."""
    saved = fitted_state(estimator)
    if in_place:
        saved = copy.deepcopy(saved)
    try:
        yield
    except BaseException:
        for name in fitted_state(estimator):
            delattr(estimator, name)
        vars(estimator).update(saved)
        raise
