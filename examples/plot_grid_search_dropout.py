"""
=========================================
Grid-searching the dropout rate on digits
=========================================

A :class:`~sklearn.pipeline.Pipeline` of :class:`~sklearn.preprocessing.StandardScaler`
and :class:`~skdropout.DropoutMLPClassifier` is tuned with
:class:`~sklearn.model_selection.GridSearchCV` over the drop rate of the hidden
units, on scikit-learn's bundled digits data (8x8 images of handwritten digits).

``dropout=0`` is exactly scikit-learn's MLPClassifier; 0.2 and 0.5 drop that share
of the hidden units at every minibatch during training, and none at prediction.
"""

# %%
# The search
# ----------
# Everything is a plain scikit-learn parameter, so the drop rate is searched like
# any other hyperparameter.
#
# Some fits with ``dropout=0.5`` run all 200 epochs (``max_iter``): the training
# loss of a network with dropout is noisy, so scikit-learn's stopping rule on it
# (no improvement for 10 epochs) may not fire. They say so with a
# ``ConvergenceWarning``, silenced here; ``early_stopping=True`` would stop on a
# held-out score instead.

import warnings

import matplotlib

matplotlib.use("Agg")  # write the figure to a file; no screen needed

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

pipe = make_pipeline(
    StandardScaler(),
    DropoutMLPClassifier(hidden_layer_sizes=(256,), random_state=0),
)
search = GridSearchCV(
    pipe,
    {"dropoutmlpclassifier__dropout": [0, 0.2, 0.5]},
    cv=5,
    n_jobs=2,
    return_train_score=True,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)

# %%
# The table of cross-validated scores
# -----------------------------------
# Digits is small and clean, and a 256-unit network already generalizes well on
# it: here the rates' cross-validated accuracies differ by less than their spread
# over the folds, so the search has no strong preference. Dropout pays off for
# larger networks on noisier data (see
# :ref:`sphx_glr_auto_examples_plot_overfitting.py`); searching the rate is how
# to find out, together with the input drop rate
# (:ref:`sphx_glr_auto_examples_plot_grid_search_heatmap.py`).

results = pd.DataFrame(search.cv_results_)
table = pd.DataFrame(
    {
        "dropout": results["param_dropoutmlpclassifier__dropout"],
        "train accuracy": results["mean_train_score"],
        "CV accuracy": results["mean_test_score"],
        "CV std": results["std_test_score"],
        "rank": results["rank_test_score"],
    }
)
print(table.to_string(index=False, float_format="%.4f"))
print(f"\nbest dropout: {search.best_params_['dropoutmlpclassifier__dropout']}")
print(f"test accuracy of the refitted best model: {search.score(X_test, y_test):.4f}")

# %%
# The plot
# --------

fig, ax = plt.subplots(figsize=(5, 3.5))
rates = table["dropout"].astype(float)
ax.errorbar(rates, table["CV accuracy"], yerr=table["CV std"], marker="o",
            capsize=4, label="cross-validation")  # fmt: skip
ax.plot(rates, table["train accuracy"], marker="s", linestyle="--", label="training")
ax.set_xlabel("dropout (drop rate of hidden units)")
ax.set_ylabel("accuracy")
ax.set_xticks(rates)
ax.set_title("DropoutMLPClassifier on digits")
ax.legend()
fig.tight_layout()
fig.savefig("grid_search_dropout.png", dpi=100)
print("saved grid_search_dropout.png")
