"""
=================================================
Grid-searching the hidden and input drop rates
=================================================

The two drop rates interact: dropping inputs already injects noise into every
hidden unit, so the best hidden rate depends on the input rate. This example
searches both at once with :class:`~sklearn.model_selection.GridSearchCV`, over a
:class:`~sklearn.pipeline.Pipeline` of :class:`~sklearn.preprocessing.StandardScaler`
and :class:`~skdropout.DropoutMLPClassifier`, and draws the cross-validated
scores as heat maps: one for the accuracy and one for the log-loss.
"""

# %%
# The data
# --------
# 600 samples, 40 features of which only 6 are informative (the other 34 are
# noise, which input dropout should help the network ignore), and 10% of the
# labels assigned at random.

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier

X, y = make_classification(
    n_samples=600,
    n_features=40,
    n_informative=6,
    n_redundant=0,
    flip_y=0.1,
    random_state=0,
)
X = X.astype(np.float32)

# %%
# The search
# ----------
# Both rates are ordinary parameters of the pipeline's last step. Two scores are
# computed for each of the 16 pairs of rates on 5 folds: the accuracy, and the
# log-loss (negated, so that higher is better, as scikit-learn's scorers want),
# which judges the predicted probabilities. The best pair is chosen by log-loss.
#
# The networks without dropout keep lowering their training loss until
# ``max_iter=200`` by memorizing the noisy labels, and say so with a
# ``ConvergenceWarning``. That memorization is the very thing this search
# measures, so the warning is silenced rather than given more epochs.

pipe = make_pipeline(
    StandardScaler(),
    DropoutMLPClassifier(hidden_layer_sizes=(256,), max_iter=200, random_state=0),
)
param_grid = {
    "dropoutmlpclassifier__dropout": [0.0, 0.25, 0.5, 0.75],
    "dropoutmlpclassifier__input_dropout": [0.0, 0.1, 0.2, 0.4],
}
search = GridSearchCV(
    pipe,
    param_grid,
    scoring={"accuracy": "accuracy", "log-loss": "neg_log_loss"},
    refit="log-loss",
    cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=0),
    n_jobs=2,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X, y)

best = search.best_params_
print(
    f"best by log-loss: dropout={best['dropoutmlpclassifier__dropout']}, "
    f"input_dropout={best['dropoutmlpclassifier__input_dropout']}"
)

# %%
# The heat maps
# -------------
# Rows are the hidden drop rate, columns the input drop rate; each cell shows the
# mean over the folds and, below it, the standard deviation over the folds.

results = pd.DataFrame(search.cv_results_)


def table(column):
    """One score as a (dropout x input_dropout) table."""
    return results.pivot(
        index="param_dropoutmlpclassifier__dropout",
        columns="param_dropoutmlpclassifier__input_dropout",
        values=column,
    ).rename_axis(index="dropout", columns="input_dropout")


print("cross-validated log-loss")
print((-table("mean_test_log-loss")).to_string(float_format="%.3f"))

fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
for ax, (score, sign, label) in zip(
    axes,
    [("accuracy", 1, "accuracy"), ("log-loss", -1, "log-loss (lower is better)")],
):
    mean = sign * table(f"mean_test_{score}")
    std = table(f"std_test_{score}")
    # Dark is good on both maps.
    image = ax.imshow(mean, cmap="viridis" if sign > 0 else "viridis_r")
    for i in range(mean.shape[0]):
        for j in range(mean.shape[1]):
            r, g, b, _ = image.cmap(image.norm(mean.iloc[i, j]))
            light = 0.299 * r + 0.587 * g + 0.114 * b > 0.5
            ax.text(
                j,
                i,
                f"{mean.iloc[i, j]:.3f}\n±{std.iloc[i, j]:.3f}",
                ha="center",
                va="center",
                color="black" if light else "white",
                fontsize=8,
            )
    ax.set_xticks(range(mean.shape[1]), mean.columns)
    ax.set_yticks(range(mean.shape[0]), mean.index)
    ax.set_xlabel("input_dropout")
    ax.set_ylabel("dropout (hidden units)")
    ax.set_title(f"cross-validated {label}")
    fig.colorbar(image, ax=ax, shrink=0.8)
plt.show()

# %%
# Reading the maps
# ----------------
# The log-loss falls steeply away from the top-left corner (no dropout at all),
# along both axes: either kind of dropout stops the network from becoming
# overconfident on the noisy labels, and the two partly substitute for each
# other, so a high hidden rate wants a lower input rate and the other way round.
# The accuracy moves much less; most of its differences are within one fold
# standard deviation. That is typical: the predicted class often survives
# overfitting while the predicted probabilities do not. Choose the scoring that
# matches how the model will be used.
#
# The search is plain scikit-learn, so everything else applies: a
# :class:`~sklearn.model_selection.RandomizedSearchCV` over continuous rates
# (``scipy.stats.uniform(0, 0.8)``), per-layer rates as lists
# (``dropout=[0.5, 0.2]`` for two hidden layers), and ``n_jobs`` to fit folds in
# parallel.
