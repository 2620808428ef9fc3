"""Hypothesis profiles for the property-based tests in tests/test_fuzz.py.

Pick one with the HYPOTHESIS_PROFILE environment variable:

- ``ci`` (the default): 500 cases per fuzz test (1,500 in all, about 15 s), the
  same ones on every run (``derandomize=True``), so that a run never fails on a
  case that an earlier run of the same code did not try;
- ``dev``: 50 cases per test, for a quick run while editing;
- ``explore``: 5,000 cases per test, newly drawn on every run, to search further
  (about 2 minutes); a failure prints the ``@reproduce_failure`` line that
  replays it.
"""

import os

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # test_fuzz.py skips itself without hypothesis
    settings = None

if settings is not None:
    _common = dict(
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile("ci", max_examples=500, derandomize=True, **_common)
    settings.register_profile("dev", max_examples=50, derandomize=True, **_common)
    settings.register_profile("explore", max_examples=5000, **_common)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
