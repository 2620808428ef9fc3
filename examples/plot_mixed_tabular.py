"""
=============================================
Mixed-type tabular data in a pipeline
=============================================

Real tables mix numbers with missing values and categories stored as strings. A
neural network needs neither: it wants a dense matrix of scaled numbers. This
example builds a synthetic customer table as a pandas DataFrame and sends it
through a :class:`~sklearn.compose.ColumnTransformer` (median imputation and
scaling for the numeric columns, one-hot encoding for the categorical ones) into
a :class:`~skdropout.DropoutMLPClassifier`, with a validation set that goes
through the same preprocessing.
"""

# %%
# A synthetic customer table
# --------------------------
# Will a customer cancel their subscription? Three numeric columns, about 10% of
# ``age`` and ``monthly_spend`` missing, and two string columns. The answer
# depends on tenure, spend, the plan and an interaction between plan and region,
# plus noise.

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skdropout import DropoutMLPClassifier, LossCurveDisplay

rng = np.random.RandomState(0)
n = 3000
table = pd.DataFrame(
    {
        "age": rng.normal(45, 12, n).round(),
        "tenure_years": rng.exponential(3, n).round(1),
        "monthly_spend": rng.lognormal(3.5, 0.5, n).round(2),
        "plan": rng.choice(["basic", "plus", "pro"], n, p=[0.5, 0.3, 0.2]),
        "region": rng.choice(["north", "south", "east", "west"], n),
    }
)
logit = (
    1.0
    - 0.6 * table["tenure_years"]
    + 0.02 * (table["monthly_spend"] - 33)
    + table["plan"].map({"basic": 0.8, "plus": 0.0, "pro": -0.8})
    + 1.5 * ((table["plan"] == "pro") & (table["region"] == "south"))
)
churn = rng.uniform(size=n) < 1 / (1 + np.exp(-logit))
y = np.where(churn, "cancels", "stays")

# Values go missing after the labels are drawn, as in a real table.
for column in ["age", "monthly_spend"]:
    table.loc[rng.uniform(size=n) < 0.1, column] = np.nan

print(table.head())
print(f"\nmissing values:\n{table.isna().sum().to_string()}")
print(f"\nshare cancelling: {np.mean(y == 'cancels'):.1%}")

# %%
# The pipeline
# ------------
# ``add_indicator=True`` lets the network see *that* a value was missing, not
# only the median that replaced it. The labels stay strings: the classifier
# encodes them itself, and ``predict`` returns strings.

numeric = ["age", "tenure_years", "monthly_spend"]
categorical = ["plan", "region"]
preprocess = ColumnTransformer(
    [
        (
            "numeric",
            make_pipeline(
                SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
            ),
            numeric,
        ),
        ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
    ]
)
clf = DropoutMLPClassifier(
    hidden_layer_sizes=(128, 64),
    dropout=0.3,
    early_stopping=True,
    n_iter_no_change=20,
    max_iter=300,
    random_state=0,
)

# %%
# A validation set through the pipeline
# -------------------------------------
# ``fit`` accepts a validation set (``X_val``, ``y_val``) that early stopping
# then uses instead of holding out ``validation_fraction`` of the training
# data. Inside a pipeline it has to be preprocessed like ``X``: with metadata
# routing on, the classifier asks for ``X_val`` and ``y_val``, and
# ``transform_input=["X_val"]`` tells the pipeline to pass ``X_val`` through the
# fitted preprocessing steps first.

X_train, X_rest, y_train, y_rest = train_test_split(
    table, y, test_size=0.4, stratify=y, random_state=0
)
X_val, X_test, y_val, y_test = train_test_split(
    X_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=0
)

with sklearn.config_context(enable_metadata_routing=True):
    pipe = Pipeline(
        [
            ("preprocess", preprocess),
            ("mlp", clf.set_fit_request(X_val=True, y_val=True)),
        ],
        transform_input=["X_val"],
    )
    pipe.fit(X_train, y_train, X_val=X_val, y_val=y_val)

mlp = pipe[-1]
print(f"epochs run: {mlp.n_iter_}")
print(f"best validation accuracy: {mlp.best_validation_score_:.3f}")
print(f"test accuracy: {pipe.score(X_test, y_test):.3f}")
print(f"predictions: {pipe.predict(X_test.head(5)).tolist()}")

# %%
# What the network learned
# ------------------------
# Left: the loss curves of the network, the last step of the pipeline. Right:
# permutation importance on the *raw* columns of the test table: shuffle one
# column of the DataFrame and measure how much the whole pipeline's accuracy
# drops (mean and standard deviation over 10 shuffles). It works through the
# imputer and the encoder because it only calls ``pipe.score``.

importance = permutation_importance(pipe, X_test, y_test, n_repeats=10, random_state=0)
order = np.argsort(importance.importances_mean)

fig, (ax_loss, ax_imp) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
LossCurveDisplay.from_estimator(mlp, ax=ax_loss, name="MLP", show_validation_score=True)
ax_loss.set_title("Loss per epoch")
ax_imp.barh(
    X_test.columns[order],
    importance.importances_mean[order],
    xerr=importance.importances_std[order],
)
ax_imp.axvline(0, color="0.5", linewidth=1)
ax_imp.set_xlabel("drop in test accuracy when the column is shuffled")
ax_imp.set_title("Permutation importance")
plt.show()

# %%
# The network relies on the columns that drive the answer (tenure, plan, spend)
# and barely on ``age``, which plays no part in it. ``region`` matters only
# through its interaction with the plan, for the few "pro" customers in the
# south, so shuffling it costs little accuracy.
#
# Dropout is one regularizer among several here: early stopping on the
# validation set is another, and the L2 penalty ``alpha`` a third. Grid-search
# ``"mlp__dropout"`` together with the preprocessing's own parameters to see
# what each adds on your table.
