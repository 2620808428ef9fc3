"""
=====================================
Exporting a dropout network to ONNX
=====================================

ONNX is a file format for trained models that runtimes in many languages run:
ONNX Runtime in C, C++, C#, Java, JavaScript and on phones, as well as Python.
skl2onnx converts scikit-learn pipelines to it, and knows the dropout MLPs once
:func:`~skdropout.register_onnx_converters` has been called.

This script trains two pipelines, a classifier with string labels and a Poisson
regressor, exports each to a ``.onnx`` file, loads the file with ONNX Runtime and
checks that ONNX Runtime predicts what the pipeline predicts. Run it with::

    pip install "skdropout[onnx]"
    python examples/onnx_export.py

It takes a few seconds. (This script is shown in the gallery but not run there:
the documentation's environment does not install the onnx extra;
``tests/test_onnx.py`` runs it.)
"""

# %%
# Train a pipeline
# ----------------
# Dropout acts only during training: the exported graph is the network
# ``predict`` uses, without dropout. float32 data give a float32 graph.
#
# The classifier runs its 300 epochs to the end: with dropout its training loss
# is noisy, and scikit-learn's rule (stop when it has not improved for 10
# epochs) seldom fires. That is the ``ConvergenceWarning`` silenced here; the
# model is the one to export either way.
import warnings

import numpy as np
import onnxruntime as ort
from skl2onnx import to_onnx
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdropout import (
    DropoutMLPClassifier,
    DropoutMLPRegressor,
    register_onnx_converters,
)

X, y = load_iris(return_X_y=True)
X = X.astype(np.float32)
species = np.array(["setosa", "versicolor", "virginica"])[y]
clf = make_pipeline(
    StandardScaler(),
    DropoutMLPClassifier(
        hidden_layer_sizes=(32,), dropout=0.2, max_iter=300, random_state=0
    ),
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf.fit(X, species)

# %%
# Export it
# ---------
# One call registers skdropout's converters with skl2onnx; then ``to_onnx``
# converts the whole pipeline, given one row of data to fix the input's type.
# ``zipmap=False`` returns the probabilities as an array rather than a list of
# dicts.
register_onnx_converters()
onx = to_onnx(clf, X[:1], options={DropoutMLPClassifier: {"zipmap": False}})
with open("iris_dropout_mlp.onnx", "wb") as f:
    f.write(onx.SerializeToString())

# %%
# Run it with ONNX Runtime
# ------------------------
# The graph's input is named ``X``; its outputs are the labels and the
# probabilities.
session = ort.InferenceSession(
    "iris_dropout_mlp.onnx", providers=["CPUExecutionProvider"]
)
labels, proba = session.run(None, {"X": X})
print("outputs:", [output.name for output in session.get_outputs()])
print("labels:", labels[:3])
print("labels as predict's:", bool((labels == clf.predict(X)).all()))
difference = abs(proba - clf.predict_proba(X)).max()
print(f"largest probability difference: {difference:.1e}")

# %%
# A Poisson regressor
# -------------------
# The exponential output of ``loss='poisson'`` exports too. A regressor's output
# has shape (n_samples, n_outputs): (n_samples, 1) for one output, where
# ``predict`` returns shape (n_samples,).
rng = np.random.default_rng(0)
X_counts = rng.normal(size=(200, 3)).astype(np.float32)
counts = rng.poisson(np.exp(0.5 * X_counts[:, 0] - 0.3 * X_counts[:, 1]))
reg = make_pipeline(
    StandardScaler(),
    DropoutMLPRegressor(
        loss="poisson", hidden_layer_sizes=(16,), dropout=0.1, max_iter=300,
        random_state=0,
    ),
).fit(X_counts, counts)  # fmt: skip
session = ort.InferenceSession(
    to_onnx(reg, X_counts[:1]).SerializeToString(),
    providers=["CPUExecutionProvider"],
)
(rates,) = session.run(None, {"X": X_counts})
print("regressor output shape:", rates.shape)
difference = abs(rates.ravel() - reg.predict(X_counts)).max()
print(f"largest rate difference: {difference:.1e}")
