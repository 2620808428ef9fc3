"""
========================================================
The search built in: DropoutMLPClassifierCV's candidates
========================================================

:class:`~skdropout.DropoutMLPClassifierCV` fits every candidate drop rate and
weight decay on every fold, chooses each candidate's number of epochs on the
held-out folds, keeps the fold models and averages their probabilities: no
refit. By default the average is a greedy ensemble selection over the
candidates. This example shows the cross-validated log-loss of each candidate,
with the best one marked and each candidate's share of the ensemble, and
compares, on held-out data, the greedy ensemble, the best candidate's fold
models alone (``ensemble='best'``), the best candidate refitted once on all
the training data (``refit=True, ensemble='best'``, what ``GridSearchCV``
does) and the greedy selection refitted (``refit=True``: one network per
candidate picked).
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# The data and the search
# -----------------------
# The wine data ships with scikit-learn: 178 wines, 13 chemical measurements,
# 3 cultivars. A quarter is held out to compare the ways of predicting.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_wine
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifierCV

X, y = load_wine(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
params = dict(
    hidden_layer_sizes=(64, 64),
    dropouts=(0.0, 0.15, 0.3, 0.5),
    weight_decays=(0.0, 1.0),
    max_iter=200,
    random_state=0,
)
averaged = make_pipeline(StandardScaler(), DropoutMLPClassifierCV(**params))
averaged.fit(X_train, y_train)
search = averaged[-1]
print("chosen:", search.best_params_)
print(f"cross-validated log-loss of the chosen candidate: {-search.best_score_:.4f}")

# %%
# The candidates' scores
# ----------------------
# One bar per candidate: the mean log-loss over the 5 folds (lower is better),
# with the folds' standard deviation, each at the number of epochs chosen for
# it: the one whose log-loss, averaged over the held-out folds, is lowest (as
# GridSearchCV would choose ``max_iter``; a fold model never trains on the fold
# that scores it). Above each bar, the candidate's share of the greedy ensemble.
results = search.cv_results_
labels = [
    f"p={c['dropout']}\nwd={c['weight_decay']}\n{c['max_iter']} ep."
    for c in results["params"]
]
losses = -results["mean_test_score"]
colors = ["tab:orange" if i == search.best_index_ else "tab:blue"
          for i in range(len(losses))]  # fmt: skip
fig, ax = plt.subplots(figsize=(8, 4))
ax.bar(range(len(losses)), losses, yerr=results["std_test_score"], color=colors)
ax.set_xticks(range(len(losses)), labels, fontsize=8)
for i, share in enumerate(search.candidate_weights_):
    if share:
        ax.text(i, losses[i] * 1.12, f"{share:.0%}", ha="center", fontsize=8)
ax.set_ylabel("cross-validated log-loss")
ax.set_title("Candidates (dropout p, weight decay wd): orange best, % ensemble share")
ax.set_ylim(0, losses.max() * 1.3)
fig.tight_layout()


# %%
# The ensemble, the best candidate's fold models, or refitted networks
# --------------------------------------------------------------------
# The same search with ``ensemble='best'`` averages the best candidate's five
# fold models alone; with ``refit=True`` it predicts with networks refitted on
# all the training data instead of the fold models: the best candidate's alone
# with ``ensemble='best'``, one per candidate that the greedy selection picked
# otherwise, with the same weights. An average of networks trained on
# different data from different initial weights is an ensemble; a refitted
# network trains on all the rows instead of four fifths of them. Here the
# greedy selection mixes the two candidates without dropout (weight decay 0
# and 1, shares above): their average has a lower out-of-fold log-loss than
# either. Every way of predicting classifies the 45 held-out wines alike; the
# log-losses differ, and the refitted networks, trained on every training
# row, have the lowest.
def fitted(**extra):
    model = make_pipeline(StandardScaler(), DropoutMLPClassifierCV(**params, **extra))
    return model.fit(X_train, y_train)


for name, model in (
    ("greedy ensemble", averaged),
    ("best candidate's 5 folds", fitted(ensemble="best")),
    ("best candidate refitted", fitted(ensemble="best", refit=True)),
    ("greedy selection refitted", fitted(refit=True)),
):
    proba = model.predict_proba(X_test)
    accuracy = np.mean(model.predict(X_test) == y_test)
    print(f"{name:>25}: test log-loss {log_loss(y_test, proba):.4f}, "
          f"accuracy {accuracy:.3f}")  # fmt: skip
