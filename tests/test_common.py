"""scikit-learn's estimator checks on both estimators."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skdropout import (
    DropoutMLPClassifier,
    DropoutMLPClassifierCV,
    DropoutMLPRegressor,
    DropoutMLPRegressorCV,
    TabularPreprocessor,
)

#: The CV estimators' settings in the checks (see ESTIMATORS).
CV_SMALL = dict(
    hidden_layer_sizes=(16,),
    cv=2,
    early_stopping=False,
    learning_rate_init=0.01,
    random_state=0,
)

ESTIMATORS = [
    # The defaults (dropout=0.5, adam).
    DropoutMLPClassifier(random_state=0),
    DropoutMLPRegressor(random_state=0),
    # Dropout off: must behave exactly like scikit-learn's MLP. (Full-batch lbfgs
    # is slow on the checks' data at max_iter=200; scikit-learn checks its own MLPs
    # with max_iter=100.)
    DropoutMLPClassifier(dropout=0, random_state=0),
    DropoutMLPRegressor(dropout=0, solver="lbfgs", max_iter=100, random_state=0),
    # Input dropout, per-layer rates, SGD with momentum.
    DropoutMLPClassifier(
        hidden_layer_sizes=(20, 10),
        dropout=[0.5, 0.2],
        input_dropout=0.2,
        solver="sgd",
        learning_rate_init=0.05,
        random_state=0,
    ),
    DropoutMLPRegressor(
        hidden_layer_sizes=(20, 10),
        dropout=[0.3, 0.1],
        input_dropout=0.1,
        solver="sgd",
        learning_rate_init=0.01,
        random_state=0,
    ),
    # Gaussian dropout, max-norm, few MC passes, early stopping.
    DropoutMLPClassifier(
        dropout_noise="gaussian", max_norm=3.0, mc_passes=5, random_state=0
    ),
    DropoutMLPRegressor(
        dropout_noise="gaussian", max_norm=3.0, mc_passes=5, random_state=0
    ),
    # Alpha dropout with SELU, the pairing it is meant for (the classifier with
    # input dropout too).
    DropoutMLPClassifier(
        activation="selu",
        dropout=0.1,
        input_dropout=0.1,
        dropout_noise="alpha",
        random_state=0,
    ),
    DropoutMLPRegressor(
        activation="selu", dropout=0.1, dropout_noise="alpha", random_state=0
    ),
    # The training recipe's parameters, all at once. (Early stopping, which
    # the recipe also uses, needs more rows than some checks have, as with
    # scikit-learn's MLP; tests/test_recipe.py covers it.)
    DropoutMLPClassifier(
        dropout=0.15,
        weight_decay=0.1,
        learning_rate="cosine",
        learning_rate_warmup=0.05,
        dropout_schedule="flat_cosine",
        label_smoothing=0.1,
        early_stopping_metric="loss",
        random_state=0,
    ),
    DropoutMLPRegressor(
        dropout=0.15,
        weight_decay=0.1,
        learning_rate="cosine",
        learning_rate_warmup=0.05,
        dropout_schedule="flat_cosine",
        early_stopping_metric="loss",
        random_state=0,
    ),
    # The CV estimators, small (their defaults fit 20 or 12 networks of 256 units),
    # without early stopping (see above) and with a rate that fits the checks'
    # few rows in 100 epochs.
    DropoutMLPClassifierCV(dropouts=(0.0, 0.2), **CV_SMALL),
    DropoutMLPRegressorCV(dropouts=(0.0, 0.2), **CV_SMALL),
    # With a preprocessing given, X goes to it: the tags are its (NaN
    # imputed, no sparse X), and so are the checks the estimator must pass.
    DropoutMLPClassifierCV(preprocessing=TabularPreprocessor(), **CV_SMALL),
    DropoutMLPRegressorCV(preprocessing=TabularPreprocessor(), **CV_SMALL),
]

_WEIGHTS_VS_REPEATS = (
    "with dropout, a sample of weight 2 gets one random mask per epoch while two "
    "copies of it get two independent masks: the two objectives agree only in "
    "expectation, so the fitted weights differ. The same check passes with "
    "dropout=0 (the instances above)."
)


_SCALED_BY_ROWS = (
    "TabularPreprocessor takes no sample weights (as a Pipeline does not pass "
    "them to its transformers): its imputation's medians and its scaling's means "
    "and deviations count two copies of a row twice and a row of weight 2 once, "
    "so the networks learn from other inputs."
)


def expected_failed_checks(estimator):
    """The checks that cannot pass, with the reason."""
    params = estimator.get_params()
    if isinstance(params.get("preprocessing"), TabularPreprocessor):
        return {"check_sample_weight_equivalence_on_dense_data": _SCALED_BY_ROWS}
    dropouts = params.get("dropouts", [params.get("dropout")])
    if all(d == 0 for d in dropouts) and params["input_dropout"] == 0:
        return {}
    return {
        "check_sample_weight_equivalence_on_dense_data": _WEIGHTS_VS_REPEATS,
        "check_sample_weight_equivalence_on_sparse_data": _WEIGHTS_VS_REPEATS,
    }


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    """Each of scikit-learn's API checks passes."""
    check(estimator)
