"""The estimators' docstrings: literal text, so these tests keep the shared
parts identical and the figures out."""

import pytest

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor
from skdropout._activations import HIDDEN_ACTIVATIONS


@pytest.mark.parametrize("estimator", [DropoutMLPClassifier, DropoutMLPRegressor])
def test_activation_parameter_documents_every_hidden_activation(estimator):
    """The ``activation`` parameter's docstring names every hidden activation."""
    doc = estimator.__doc__
    documented = doc[doc.index("activation :") : doc.index("dropout :")]
    for name in HIDDEN_ACTIVATIONS:
        assert f"'{name}'" in documented, name
