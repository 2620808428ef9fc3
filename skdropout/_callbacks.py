"""Glue to scikit-learn's callback API (``sklearn.callback``, scikit-learn >= 1.9).

Each fit is a task and each epoch (or L-BFGS iteration) a subtask, so that
``ProgressBar`` shows epochs and callbacks set on a meta-estimator such as
GridSearchCV reach them. On an older scikit-learn the API does not exist: the
estimators then have no ``set_callbacks`` method and the contexts below do nothing.
"""

# SPDX-License-Identifier: BSD-3-Clause

import contextlib

from skdropout._persistence import SavedFormat

try:
    from sklearn.callback import CallbackSupportMixin
    from sklearn.callback._callback_support import callback_management_context
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """Stand-in for scikit-learn < 1.9, which has no callback API."""

    def callback_management_context(estimator):
        return contextlib.nullcontext()


#: Attributes the callback API sets on an estimator; they are not part of the
#: fitted model (a failed fit must neither save nor restore them, and a skops
#: file leaves them out).
TRANSIENT_ATTRIBUTES = frozenset(
    {
        "_skl_callbacks",
        "_skl_callbacks_to_teardown",
        "_callback_fit_ctx",
        "_parent_callback_ctx",
    }
)


class CallbackSupport(SavedFormat, CallbackSupportMixin):
    """scikit-learn's callback support, with the callbacks kept out of skops files.

    A callback is a runtime hook, not part of the fitted model, and its type is
    code that a skops file would ask its reader to trust. skops saves what
    ``__getstate__`` returns, which leaves out the callback API's attributes.
    pickle, copy and joblib go through ``__reduce_ex__``, which puts them back, as
    scikit-learn keeps them: a clone pickled to a joblib worker and the copy
    handed to a callback at each epoch keep their callbacks.

    Every skdropout estimator, plain or CV, inherits this class: ``SavedFormat``
    comes in through it, so the saved state of each carries its format number.
    """

    def __getstate__(self):
        state = super().__getstate__()
        return {k: v for k, v in state.items() if k not in TRANSIENT_ATTRIBUTES}

    def __reduce_ex__(self, protocol):
        reduced = super().__reduce_ex__(protocol)  # its state from __getstate__
        hooks = {k: v for k, v in vars(self).items() if k in TRANSIENT_ATTRIBUTES}
        if not hooks:
            return reduced
        return (*reduced[:2], {**reduced[2], **hooks}, *reduced[3:])


class _NoCallbacks:
    """A callback context that calls nothing."""

    def subcontext(self, **kwargs):
        return self

    def call_on_fit_task_begin(self, **kwargs):
        return self

    def call_on_fit_task_end(self, **kwargs):
        return False

    def propagate_callback_context(self, sub_estimator):
        return contextlib.nullcontext()


_NO_CALLBACKS = _NoCallbacks()


def close_fit_task(estimator):
    """Tear down the callbacks of a fit opened with ``_begin_fit`` and closed
    with ``_end_fit`` outside ``fit`` (the lockstep search's fold models), as
    ``fit`` does on its way out: the fitted model keeps no callback context."""
    with callback_management_context(estimator):
        pass


def root_context(estimator, max_subtasks):
    """The callback context of a fit: a real one when scikit-learn has the callback
    API, else one that does nothing."""
    if hasattr(estimator, "_init_callback_context"):
        return estimator._init_callback_context(max_subtasks=max_subtasks)
    return _NO_CALLBACKS
