"""LossCurveDisplay: the lines it draws, comparison on shared axes, errors."""

import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor
from skdropout._display import LossCurveDisplay

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True)
def close_figures():
    """Close every figure a test opened."""
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=80, n_features=5, random_state=0)


def _clf(**params):
    defaults = dict(hidden_layer_sizes=(8,), max_iter=10, random_state=0)
    return DropoutMLPClassifier(**{**defaults, **params})


@pytest.fixture(scope="module")
def clf_early(data):
    # n_iter_no_change above max_iter: every epoch runs, so n_iter_ == max_iter.
    return _clf(early_stopping=True, n_iter_no_change=20).fit(*data)


@pytest.fixture(scope="module")
def clf_plain(data):
    return _clf().fit(*data)


def _legend_texts(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def test_lines_hold_the_curves(clf_early):
    """Train and validation lines plot loss_curve_ and validation_loss_curve_
    against epochs 1..n_iter_, train solid and validation dashed in one colour."""
    display = LossCurveDisplay.from_estimator(clf_early)
    train, validation = display.lines_["train"], display.lines_["validation"]
    assert display.ax_.get_lines() == [train, validation]
    assert display.lines_["score"] is None
    epochs = np.arange(1, clf_early.n_iter_ + 1)
    assert_array_equal(train.get_xdata(), epochs)
    assert_array_equal(validation.get_xdata(), epochs)
    assert_allclose(train.get_ydata(), clf_early.loss_curve_)
    assert_allclose(validation.get_ydata(), clf_early.validation_loss_curve_)
    assert train.get_linestyle() == "-"
    assert validation.get_linestyle() == "--"
    assert validation.get_color() == train.get_color()


def test_axes_labels_and_figure(clf_early):
    """The axes are labelled 'epoch' and 'loss'; ax_ and figure_ are the ones
    drawn on, and an axes passed in is used."""
    fig, ax = plt.subplots()
    display = LossCurveDisplay.from_estimator(clf_early, ax=ax)
    assert display.ax_ is ax
    assert display.figure_ is fig
    assert ax.get_xlabel() == "epoch"
    assert ax.get_ylabel() == "loss"
    assert display.score_ax_ is None


def test_without_validation_set(clf_plain):
    """Without a validation set only the training loss is drawn."""
    display = LossCurveDisplay.from_estimator(clf_plain)
    assert display.ax_.get_lines() == [display.lines_["train"]]
    assert display.lines_["validation"] is None
    assert display.lines_["score"] is None
    assert _legend_texts(display.ax_) == ["DropoutMLPClassifier train loss"]


def test_show_validation_score(clf_early):
    """show_validation_score draws validation_scores_ on a twin y-axis labelled
    'validation score', and the one legend lists all three lines."""
    display = LossCurveDisplay.from_estimator(clf_early, show_validation_score=True)
    score_ax = display.score_ax_
    assert score_ax is not None and score_ax is not display.ax_
    assert score_ax.get_shared_x_axes().joined(display.ax_, score_ax)
    assert score_ax.get_ylabel() == "validation score"
    assert score_ax.get_lines() == [display.lines_["score"]]
    score = display.lines_["score"]
    assert_array_equal(score.get_xdata(), np.arange(1, clf_early.n_iter_ + 1))
    assert_allclose(score.get_ydata(), clf_early.validation_scores_)
    assert score.get_color() == display.lines_["train"].get_color()
    assert display.ax_.get_legend() is None
    assert _legend_texts(score_ax) == [
        "DropoutMLPClassifier train loss",
        "DropoutMLPClassifier validation loss",
        "DropoutMLPClassifier validation score",
    ]


def test_show_validation_score_without_validation_set(clf_plain):
    """Asking for validation scores a model does not have is a clear error."""
    with pytest.raises(ValueError, match="early_stopping=True or pass X_val"):
        LossCurveDisplay.from_estimator(clf_plain, show_validation_score=True)


def test_two_estimators_share_axes(data, clf_early):
    """Two estimators on one axes give four lines, one colour per estimator,
    and a legend listing every label."""
    other = _clf(early_stopping=True, dropout=0.2).fit(*data)
    first = LossCurveDisplay.from_estimator(clf_early, name="a")
    second = LossCurveDisplay.from_estimator(other, ax=first.ax_, name="b")
    assert second.ax_ is first.ax_
    assert len(first.ax_.get_lines()) == 4
    color_a = first.lines_["train"].get_color()
    color_b = second.lines_["train"].get_color()
    assert color_a != color_b
    assert first.lines_["validation"].get_color() == color_a
    assert second.lines_["validation"].get_color() == color_b
    assert _legend_texts(first.ax_) == [
        "a train loss",
        "a validation loss",
        "b train loss",
        "b validation loss",
    ]


def test_score_axes_is_reused(data, clf_early):
    """A second display showing scores on the same axes reuses the twin axes,
    and the legend moves there, listing the lines of both displays."""
    other = _clf(early_stopping=True, dropout=0.2).fit(*data)
    first = LossCurveDisplay.from_estimator(clf_early, name="a")
    second = LossCurveDisplay.from_estimator(
        other, ax=first.ax_, name="b", show_validation_score=True
    )
    third = LossCurveDisplay.from_estimator(
        clf_early, ax=first.ax_, name="c", show_validation_score=True
    )
    assert third.score_ax_ is second.score_ax_
    assert len(first.figure_.axes) == 2
    assert len(second.score_ax_.get_lines()) == 2
    assert first.ax_.get_legend() is None
    texts = _legend_texts(third.score_ax_)
    assert len(texts) == 8
    assert {"a train loss", "b validation score", "c validation score"} <= set(texts)


def test_style_keywords(clf_early):
    """train_kw, validation_kw and score_kw override the defaults, aliases too;
    the validation line follows a colour set for the training line."""
    display = LossCurveDisplay.from_estimator(
        clf_early,
        show_validation_score=True,
        train_kw={"c": "red", "lw": 3},
        validation_kw={"ls": "-."},
        score_kw={"label": "accuracy"},
    )
    assert display.lines_["train"].get_color() == "red"
    assert display.lines_["train"].get_linewidth() == 3
    assert display.lines_["validation"].get_color() == "red"
    assert display.lines_["validation"].get_linestyle() == "-."
    assert display.lines_["score"].get_label() == "accuracy"


def test_regressor():
    """A regressor fitted with X_val and y_val is plotted like a classifier."""
    X, y = make_regression(n_samples=60, n_features=4, random_state=0)
    y = y / y.std()
    reg = DropoutMLPRegressor(hidden_layer_sizes=(8,), max_iter=8, random_state=0)
    reg.fit(X[:40], y[:40], X_val=X[40:], y_val=y[40:])
    display = LossCurveDisplay.from_estimator(reg, show_validation_score=True)
    assert_allclose(display.lines_["train"].get_ydata(), reg.loss_curve_)
    validation = display.lines_["validation"]
    assert_allclose(validation.get_ydata(), reg.validation_loss_curve_)
    assert_allclose(display.lines_["score"].get_ydata(), reg.validation_scores_)
    assert display.lines_["train"].get_label() == "DropoutMLPRegressor train loss"


def test_sklearn_mlp(data):
    """scikit-learn's MLPClassifier, which has no validation loss, is plotted
    with its training loss and validation scores."""
    mlp = MLPClassifier(
        hidden_layer_sizes=(8,), max_iter=10, early_stopping=True, random_state=0
    ).fit(*data)
    display = LossCurveDisplay.from_estimator(mlp, show_validation_score=True)
    assert display.lines_["validation"] is None
    assert_allclose(display.lines_["train"].get_ydata(), mlp.loss_curve_)
    assert_allclose(display.lines_["score"].get_ydata(), mlp.validation_scores_)


def test_name(clf_plain):
    """The name defaults to the estimator's class name and can be replaced."""
    display = LossCurveDisplay.from_estimator(clf_plain)
    assert display.estimator_name == "DropoutMLPClassifier"
    display = LossCurveDisplay.from_estimator(clf_plain, name="wide")
    assert display.estimator_name == "wide"
    assert display.lines_["train"].get_label() == "wide train loss"


def test_direct_construction():
    """A display built from plain lists plots them; plot's name overrides
    estimator_name, and with neither the labels have no prefix."""
    display = LossCurveDisplay(
        loss_curve=[3.0, 2.0, 1.5],
        validation_loss_curve=[2.5, 2.2, 2.4],
        validation_scores=[0.5, 0.6, 0.55],
        estimator_name="model",
    )
    assert display.plot(show_validation_score=True) is display
    assert_array_equal(display.lines_["train"].get_xdata(), [1, 2, 3])
    assert_allclose(display.lines_["validation"].get_ydata(), [2.5, 2.2, 2.4])
    assert_allclose(display.lines_["score"].get_ydata(), [0.5, 0.6, 0.55])
    assert display.lines_["train"].get_label() == "model train loss"
    display.plot(name="other")
    assert display.lines_["train"].get_label() == "other train loss"
    unnamed = LossCurveDisplay(loss_curve=[1.0, 0.5]).plot()
    assert _legend_texts(unnamed.ax_) == ["train loss"]


def test_curve_must_be_1d():
    """A curve that is not one value per epoch is rejected."""
    with pytest.raises(ValueError, match="loss_curve must be a 1-D"):
        LossCurveDisplay(loss_curve=[[1.0, 2.0]]).plot()


def test_lbfgs_has_no_loss_curve(data):
    """An estimator fitted with lbfgs has no loss curve: the error says so."""
    clf = _clf(solver="lbfgs", dropout=0).fit(*data)
    with pytest.raises(ValueError, match="solver='lbfgs'"):
        LossCurveDisplay.from_estimator(clf)


def test_a_cv_estimator_points_to_its_members(data):
    """A CV estimator averages networks: the error says to plot one of them
    (not that its solver records no loss), and one of them plots."""
    from skdropout import DropoutMLPClassifierCV

    cv = DropoutMLPClassifierCV(hidden_layer_sizes=(4,), max_iter=3, cv=2,
                                dropouts=[0.0], random_state=0).fit(*data)  # fmt: skip
    with pytest.raises(ValueError, match=r"from_estimator\(estimator.estimators_"):
        LossCurveDisplay.from_estimator(cv)
    display = LossCurveDisplay.from_estimator(cv.estimators_[0])
    assert_array_equal(display.loss_curve, cv.estimators_[0].loss_curve_)
    plt.close("all")


def test_a_pipeline_points_to_its_network(data):
    """A Pipeline holds the network: the error says to plot pipeline[-1] (not
    that a solver records no loss), and that plots."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = make_pipeline(StandardScaler(), _clf()).fit(*data)
    with pytest.raises(ValueError, match=r"pipeline\[-1\]"):
        LossCurveDisplay.from_estimator(pipe)
    display = LossCurveDisplay.from_estimator(pipe[-1])
    assert_array_equal(display.loss_curve, pipe[-1].loss_curve_)
    plt.close("all")


def test_unfitted():
    """An unfitted estimator raises NotFittedError."""
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(_clf())


def test_matplotlib_missing(monkeypatch, clf_plain):
    """Without matplotlib, the ImportError names the Display's method."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match="LossCurveDisplay.from_estimator"):
        LossCurveDisplay.from_estimator(clf_plain)
    with pytest.raises(ImportError, match="LossCurveDisplay.plot"):
        LossCurveDisplay(loss_curve=[1.0]).plot()
