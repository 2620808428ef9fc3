"""Glue to scikit-learn's callback API (``sklearn.callback``, scikit-learn >= 1.9).

Each fit is a task and each epoch (or L-BFGS iteration) a subtask, so that
``ProgressBar`` shows epochs and callbacks set on a meta-estimator such as
GridSearchCV reach them. On an older scikit-learn the API does not exist: the
estimators then have no ``set_callbacks`` method and the contexts below do nothing.
"""

# SPDX-License-Identifier: BSD-3-Clause

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """Stand-in for scikit-learn < 1.9, which has no callback API."""


#: Attributes the callback API sets on an estimator during a fit; they are not
#: part of the fitted model (a failed fit must neither save nor restore them).
TRANSIENT_ATTRIBUTES = frozenset(
    {
        "_skl_callbacks",
        "_skl_callbacks_to_teardown",
        "_callback_fit_ctx",
        "_parent_callback_ctx",
    }
)


class _NoCallbacks:
    """A callback context that calls nothing."""

    def subcontext(self, **kwargs):
        return self

    def call_on_fit_task_begin(self, **kwargs):
        return self

    def call_on_fit_task_end(self, **kwargs):
        return False


_NO_CALLBACKS = _NoCallbacks()


def root_context(estimator, max_subtasks):
    """The callback context of a fit: a real one when scikit-learn has the callback
    API, else one that does nothing."""
    if hasattr(estimator, "_init_callback_context"):
        return estimator._init_callback_context(max_subtasks=max_subtasks)
    return _NO_CALLBACKS
