"""The format of a saved estimator: a number carried in its state, checked on loading.

pickle, joblib and skops save what ``__getstate__`` returns and hand it back to
``__setstate__``. The state of a skdropout estimator carries the number of its
format and the skdropout version that wrote it. A change that breaks the saved
format (an attribute renamed, removed or given another meaning) bumps
``FORMAT`` and is listed in the release notes; a file this code cannot read
then fails on loading with an error that names both versions, rather than
loading into a model that fails later or predicts wrong.
"""

# SPDX-License-Identifier: BSD-3-Clause

import inspect
from numbers import Integral

#: The format of the state this code writes.
FORMAT = 1

#: The oldest format this code reads. Raise it with FORMAT when a change leaves
#: the older files unreadable.
OLDEST_READABLE_FORMAT = 1

#: The version that wrote the files without a format number: the last release
#: before the number was added, whose files are format 1.
UNNUMBERED_VERSION = "0.1.0.dev0"

_FORMAT_KEY = "_skdropout_format"
_VERSION_KEY = "_skdropout_version"


def _running_version():
    # Imported when called: skdropout/__init__.py imports the estimators first.
    from skdropout import __version__

    return __version__


def check_saved_format(saved_format, saved_version, name):
    """Raise a ValueError if this code cannot read a state of ``saved_format``.

    pickle and skops build the objects inside a file first: in the file of a CV
    estimator, its first fold model is the one that raises and is named."""
    if isinstance(saved_format, bool) or not isinstance(saved_format, Integral):
        raise ValueError(
            f"The {name} in this file carries {saved_format!r} as its format "
            f"number (skdropout {saved_version}), which is no format skdropout "
            "writes: the file is damaged or was not written by skdropout."
        )
    if OLDEST_READABLE_FORMAT <= saved_format <= FORMAT:
        return
    running = _running_version()
    readable = f"formats {OLDEST_READABLE_FORMAT} to {FORMAT}"
    if saved_format > FORMAT:
        advice = f"Load it with skdropout {saved_version} or newer."
        problem = "is newer than"
    else:
        advice = (
            f"Load it with skdropout {saved_version} and fit the model again "
            "with this version; the release notes list the format changes."
        )
        problem = "is no longer read by"
    raise ValueError(
        f"The {name} in this file was saved by skdropout {saved_version} in format "
        f"{saved_format}, which {problem} skdropout {running} (it reads "
        f"{readable}). {advice}"
    )


class SavedFormat:
    """Mixin that writes the format number into the saved state and checks it on
    loading; the loaded estimator's attributes are those of the saved one."""

    def __getstate__(self):
        state = super().__getstate__()
        return {**state, _FORMAT_KEY: FORMAT, _VERSION_KEY: _running_version()}

    def __setstate__(self, state):
        state = dict(state)
        # A file older than this format (or than format numbers): the state
        # of a copy (copy, deepcopy, the callback API's) is this format's.
        older = _FORMAT_KEY not in state or state[_FORMAT_KEY] != FORMAT
        saved_format = state.pop(_FORMAT_KEY, 1)
        saved_version = state.pop(_VERSION_KEY, UNNUMBERED_VERSION)
        check_saved_format(saved_format, saved_version, type(self).__name__)
        super().__setstate__(state)
        # A parameter added since the file was written takes its default
        # (get_params, clone and repr need it), unless ``_upgrade_saved``
        # gives the value that keeps the saved behaviour; in an older file,
        # one the class no longer takes (public, no trailing underscore, not
        # in the signature) is dropped, as get_params would not show it (a
        # copy keeps what the user set on the estimator).
        parameters = inspect.signature(type(self).__init__).parameters
        for name, parameter in parameters.items():
            if parameter.default is not inspect.Parameter.empty:
                vars(self).setdefault(name, parameter.default)
        if not older:
            return
        for name in list(vars(self)):
            if not name.startswith("_") and not name.endswith("_"):
                if name not in parameters:
                    delattr(self, name)
        self._upgrade_saved(state)

    def _upgrade_saved(self, state):
        """Hook: bring a loaded state of an older release up to this one's
        (``state`` as saved); it runs after the defaults are filled in."""
