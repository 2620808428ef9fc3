"""
=====================================
Overfitting with and without dropout
=====================================

A network with two hidden layers of 256 units has far more weights (about 70,000) than
300 training samples can pin down, and 5% of those samples have a label drawn at random
(about half of them wrong). Trained long enough, it memorizes them: the training loss
falls towards zero while the loss on new data climbs. This example trains the same
network with and without dropout, passes a validation set to ``fit`` so that the
validation loss is recorded after every epoch, and draws both curves with
:class:`~skdropout.LossCurveDisplay`.
"""

# %%
# The data
# --------
# Binary classification with 20 features, 10 of them informative; 300 samples to
# train on and 500 to watch the validation loss on.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdropout import DropoutMLPClassifier, LossCurveDisplay

X, y = make_classification(
    n_samples=800,
    n_features=20,
    n_informative=10,
    n_redundant=0,
    flip_y=0.05,
    random_state=0,
)
X = X.astype(np.float32)  # float32 trains in float32 end to end: faster
X_train, X_val, y_train, y_val = train_test_split(
    X, y, train_size=300, stratify=y, random_state=0
)

# %%
# Three networks
# --------------
# The same wide network and the same seed three times: no dropout, half the
# hidden units dropped, and half the hidden units plus a fifth of the inputs
# dropped. ``alpha=0`` removes the L2 penalty so that dropout is the only
# regularization. Every model runs the same 100 epochs (``n_iter_no_change`` is
# set beyond ``max_iter``) so that the curves can be compared epoch by epoch;
# that fixed budget is why the ``ConvergenceWarning`` raised at ``max_iter`` is
# silenced.
#
# ``X_val`` is only watched, not used for training: without
# ``early_stopping=True`` the validation set changes nothing in the fit.

settings = {
    "no dropout": dict(dropout=0.0),
    "dropout=0.5": dict(dropout=0.5),
    "dropout=0.5, input_dropout=0.2": dict(dropout=0.5, input_dropout=0.2),
}
models = {}
for name, params in settings.items():
    clf = DropoutMLPClassifier(
        hidden_layer_sizes=(256, 256),
        alpha=0.0,
        max_iter=100,
        n_iter_no_change=100,
        random_state=0,
        **params,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models[name] = clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)

# %%
# The loss curves
# ---------------
# Each model draws in its own colour: the training loss solid, the validation
# loss dashed. The y-axis is logarithmic so that the memorizing network's
# training loss stays visible as it heads for zero.

fig, ax = plt.subplots(figsize=(7, 4.5))
for name, clf in models.items():
    display = LossCurveDisplay.from_estimator(clf, ax=ax, name=name)
ax.set_yscale("log")
ax.set_title("Training (solid) and validation (dashed) log-loss")
plt.show()

# %%
# Without dropout the validation loss reaches its lowest point early (the table
# below gives the epoch) and then rises steadily while the training loss keeps
# falling: the network grows ever more confident on the samples it has
# memorized, wrong labels included, and the log-loss punishes confident mistakes
# on new data.
# Dropout slows that memorization down (the training loss of the thinned
# networks stays well above zero) and dropping inputs as well keeps the
# validation loss close to its minimum until the end.

print(f"{'':32s} {'train loss':>10s} {'val loss':>9s} {'best val loss':>13s}")
for name, clf in models.items():
    val_loss = np.asarray(clf.validation_loss_curve_)
    print(
        f"{name:32s} {clf.loss_curve_[-1]:10.3f} {val_loss[-1]:9.3f} "
        f"{val_loss.min():8.3f} (epoch {val_loss.argmin() + 1})"
    )

# %%
# The accuracy tells a quieter story: the models' validation accuracies after
# 100 epochs differ by far less than their log-losses. On noisy labels, what
# dropout mostly buys is probabilities that stay honest; whether it also buys
# accuracy depends on the data, and a grid search is the way to find out (see
# :ref:`sphx_glr_auto_examples_plot_grid_search_heatmap.py`). Early stopping
# (``early_stopping=True``) is the other remedy: it would have kept the
# unregularized network near its best epoch.

for name, clf in models.items():
    print(f"{name:32s} validation accuracy {clf.validation_scores_[-1]:.3f}")
