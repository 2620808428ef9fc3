"""
==========================================
Monte Carlo dropout: predictive intervals
==========================================

A network trained with dropout can also be *run* with dropout: every forward pass
with fresh masks gives a slightly different prediction, and the spread of those
predictions measures how much the answer depends on which units happen to be
kept (Gal and Ghahramani, 2016). :class:`~skdropout.DropoutMLPRegressor` turns
that spread into a predictive standard deviation with
``predict(X, return_std=True)``.

This example draws the resulting 95% intervals on a 1-D regression, first inside
and beyond the range of the training data, then on data with a gap between two
clusters, where the intervals are known to fail.
"""

# %%
# Data and model
# --------------
# The targets are :math:`\sin(2x)` plus Gaussian noise of standard deviation 0.2.
# The network and its settings are those of ``tests/test_uncertainty.py``, so the
# ratios printed below are the ones that the tests check.

import matplotlib.pyplot as plt
import numpy as np

from skdropout import DropoutMLPRegressor

NOISE = 0.2


def f(x):
    return np.sin(2 * x)


def noisy_sample(x, seed):
    rng = np.random.RandomState(seed)
    return x.reshape(-1, 1), f(x) + rng.normal(0, NOISE, len(x))


def make_regressor():
    return DropoutMLPRegressor(
        hidden_layer_sizes=(128, 128),
        dropout=0.1,
        learning_rate_init=0.01,
        max_iter=300,
        early_stopping=True,
        random_state=0,
    )


x_spread = np.random.RandomState(0).uniform(-2, 2, 400)
X_spread, y_spread = noisy_sample(x_spread, seed=1)
spread = make_regressor().fit(X_spread, y_spread)

rng = np.random.RandomState(0)
x_gap = np.concatenate([rng.uniform(-2, -1, 200), rng.uniform(1, 2, 200)])
X_gap, y_gap = noisy_sample(x_gap, seed=1)
gap = make_regressor().fit(X_gap, y_gap)

# %%
# What the standard deviation holds
# ---------------------------------
# ``predict(X, return_std=True)`` returns the deterministic network's prediction
# and a standard deviation whose square adds two variances:
#
# - the model's: the variance of ``mc_passes`` (100) stochastic forward passes,
#   which :meth:`~skdropout.DropoutMLPRegressor.predict_mc` returns one by one;
# - the observation noise's: ``noise_variance_``, the mean squared residual on
#   the training and validation data, which no amount of data would remove.
#
# The second term is what makes ``mean ± 1.96 std`` cover about 95% of new
# targets; the model's part alone would give far narrower bands.

x_plot = np.linspace(-5, 5, 500)
X_plot = x_plot.reshape(-1, 1)
print(f"estimated noise variance: {spread.noise_variance_[0]:.4f}")
print(f"true noise variance:      {NOISE**2:.4f}")

X_new, y_new = noisy_sample(np.random.RandomState(2).uniform(-2, 2, 2000), seed=3)
mean, std = spread.predict(X_new, return_std=True)
model_std = spread.predict_mc(X_new).std(axis=0)[:, 0]
covered = np.abs(y_new - mean) <= 1.96 * std
covered_by_model = np.abs(y_new - mean) <= 1.96 * model_std
print(f"new targets from [-2, 2] within mean ± 1.96 std: {covered.mean():.1%}")
print(f"... within mean ± 1.96 model std alone: {covered_by_model.mean():.1%}")

# %%
# The intervals
# -------------
# Each panel shows the training data, the true function, the prediction, the 95%
# interval from the full standard deviation (light) and the part that comes from
# the model alone (dark).


def draw(ax, model, X_train, y_train, title):
    mean, std = model.predict(X_plot, return_std=True)
    model_std = model.predict_mc(X_plot).std(axis=0)[:, 0]
    ax.scatter(X_train[:, 0], y_train, s=4, color="0.6", label="training data")
    ax.plot(x_plot, f(x_plot), color="black", linewidth=1, label="true function")
    for half_width, alpha, label in [
        (1.96 * std, 0.25, "95% interval"),
        (1.96 * model_std, 0.5, "model part"),
    ]:
        ax.fill_between(
            x_plot,
            mean - half_width,
            mean + half_width,
            color="C0",
            alpha=alpha,
            label=label,
        )
    ax.plot(x_plot, mean, color="C1", label="prediction")
    ax.set_ylim(-3, 3)
    ax.set_xlabel("x")
    ax.set_title(title)


fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True, layout="constrained")
draw(axes[0], spread, X_spread, y_spread, "data on [-2, 2]")
draw(axes[1], gap, X_gap, y_gap, "data on [-2, -1] and [1, 2]")
axes[0].set_ylabel("y")
axes[0].legend(loc="lower left", fontsize=8)
plt.show()

# %%
# Error and standard deviation, region by region
# ----------------------------------------------
# For each region: the mean absolute error of the prediction against the true
# function, and the mean of the model's standard deviation (the MC passes' alone,
# since the noise term is the same everywhere).


def region(model, x):
    X = x.reshape(-1, 1)
    error = np.abs(model.predict(X) - f(x)).mean()
    model_std = model.predict_mc(X).std(axis=0).mean()
    return error, model_std


on_data = region(spread, np.linspace(-2, 2, 100))
beyond = region(spread, np.r_[np.linspace(-4, -3, 50), np.linspace(3, 4, 50)])
on_clusters = region(gap, np.r_[np.linspace(-2, -1, 30), np.linspace(1, 2, 30)])
in_gap = region(gap, np.linspace(-0.5, 0.5, 30))

print(f"{'':30s} {'error':>7s} {'model std':>10s}")
for name, (error, model_std) in {
    "on the data, [-2, 2]": on_data,
    "beyond, 1 to 2 from the data": beyond,
    "on the clusters": on_clusters,
    "in the gap, [-0.5, 0.5]": in_gap,
}.items():
    print(f"{name:30s} {error:7.3f} {model_std:10.3f}")

for name, inside, outside in [
    ("beyond the data", on_data, beyond),
    ("in the gap", on_clusters, in_gap),
]:
    error_ratio, std_ratio = np.divide(outside, inside)
    print(f"{name}: error x{error_ratio:.1f}, model std x{std_ratio:.1f}")

# %%
# Reading the results
# -------------------
# Inside the data (left panel, between -2 and 2) the intervals are about right:
# they hold close to 95% of new targets, thanks mostly to the noise term.
#
# Beyond the data the model's standard deviation does grow, a few times over,
# but the error grows by well over an order of magnitude: the ReLU network
# extrapolates in straight lines, confidently. The intervals widen, yet nowhere
# near enough.
#
# In the gap between two clusters (right panel) it is worse: the error is several
# times what it is on the data, while the model's standard deviation does not
# grow at all. This "in-between" failure (Foong et al., 2019) is not a matter of
# tuning: Foong, Burt, Li and Turner (2020) prove that with one hidden ReLU
# layer, MC dropout cannot have substantially more uncertainty between
# well-separated clusters of data than on them, and observe the same in deeper
# networks.
# ``tests/test_uncertainty.py::test_gap_uncertainty_is_understated`` checks it
# on this very setting: the gap's error is more than 2.5 times that on the
# clusters while its MC standard deviation stays below 1.5 times.
#
# Use MC-dropout intervals where new inputs resemble the training inputs; do not
# trust them to flag inputs unlike anything seen in training.
#
# References
# ----------
# Y. Gal and Z. Ghahramani, "Dropout as a Bayesian Approximation: Representing
# Model Uncertainty in Deep Learning", ICML 2016.
#
# A. Y. K. Foong, Y. Li, J. M. Hernandez-Lobato and R. E. Turner, "'In-Between'
# Uncertainty in Bayesian Neural Networks", ICML 2019 workshop,
# arXiv:1906.11537.
#
# A. Y. K. Foong, D. R. Burt, Y. Li and R. E. Turner, "On the Expressiveness of
# Approximate Inference in Bayesian Neural Networks", NeurIPS 2020,
# arXiv:1909.00719.
