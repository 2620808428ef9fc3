"""DropoutMLPClassifier: targets, probabilities, partial_fit classes, class weights."""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n_classes=3, n_samples=150):
    X, y = make_classification(
        n_samples=n_samples, n_features=6, n_informative=4, n_classes=n_classes,
        random_state=0,
    )  # fmt: skip
    return StandardScaler().fit_transform(X), y


def _clf(**params):
    defaults = dict(hidden_layer_sizes=(16,), max_iter=30, random_state=0)
    return DropoutMLPClassifier(**{**defaults, **params})


@pytest.mark.parametrize("n_classes", [2, 3])
def test_string_and_integer_labels_give_same_model(n_classes):
    """Labels are encoded consistently: strings and integers give one model."""
    X, y = _data(n_classes)
    names = np.array(["cat", "dog", "emu"])[:n_classes]
    a = _clf().fit(X, y)
    b = _clf().fit(X, names[y])
    assert_array_equal(b.classes_, names)
    assert_array_equal(names[a.predict(X)], b.predict(X))
    assert_array_equal(a.coefs_[0], b.coefs_[0])


@pytest.mark.parametrize("n_classes", [2, 3])
def test_probabilities(n_classes):
    """predict_proba rows sum to 1, predict is their argmax, and
    predict_log_proba is their log."""
    X, y = _data(n_classes)
    clf = _clf().fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), n_classes)
    assert_allclose(proba.sum(axis=1), 1)
    assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert_allclose(clf.predict_log_proba(X), np.log(proba), rtol=1e-10, atol=1e-12)
    assert clf.out_activation_ == ("logistic" if n_classes == 2 else "softmax")


@pytest.mark.parametrize("n_classes", [2, 3])
def test_log_proba_finite_for_extreme_logits(n_classes):
    """predict_log_proba stays finite where probabilities round to 0."""
    X, y = _data(n_classes)
    clf = _clf().fit(X, y)
    X_far = X * 1e4
    assert (clf.predict_proba(X_far) == 0).any()
    log_proba = clf.predict_log_proba(X_far)
    assert np.isfinite(log_proba).all()
    assert_allclose(np.exp(log_proba).sum(axis=1), 1)


def test_multilabel():
    """Multilabel indicator targets fit, predict indicators and probabilities,
    and learn (fewer label errors than predicting each label's majority)."""
    from sklearn.metrics import hamming_loss

    X, Y = make_multilabel_classification(n_samples=200, n_classes=4, random_state=0)
    clf = _clf(max_iter=100, dropout=0.2).fit(X, Y)
    assert clf.out_activation_ == "logistic"
    assert clf.predict(X).shape == Y.shape
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape and ((proba >= 0) & (proba <= 1)).all()
    assert_allclose(clf.predict_log_proba(X), np.log(proba), rtol=1e-10, atol=1e-12)
    majority = np.tile(Y.mean(axis=0) > 0.5, (len(Y), 1))
    assert hamming_loss(Y, clf.predict(X)) < 0.7 * hamming_loss(Y, majority)


def test_multilabel_partial_fit():
    """Multilabel partial_fit needs no classes and keeps learning."""
    X, Y = make_multilabel_classification(n_samples=120, n_classes=4, random_state=0)
    clf = _clf(learning_rate_init=0.01)
    for _ in range(30):
        clf.partial_fit(X, Y)
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_single_class():
    """A single class fits and predicts that class, as in scikit-learn."""
    X, _ = _data()
    y = np.full(len(X), "only")
    clf = _clf(max_iter=5).fit(X, y)
    assert_array_equal(clf.predict(X), y)


def test_partial_fit_classes():
    """partial_fit needs classes first; a batch may miss some; unseen labels and
    changed classes are refused."""
    X, y = _data()
    clf = _clf()
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[y != 2], y[y != 2], classes=[0, 1, 2])
    assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X).shape[1] == 3
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X, np.where(y == 2, 7, y))
    with pytest.raises(ValueError, match="not the same as on last call"):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3])
    clf.partial_fit(X, y, classes=[2, 1, 0])  # the same set is fine


def _sklearn_error(call):
    """The message of the ValueError that ``call`` raises."""
    with pytest.raises(ValueError) as info:
        call()
    return str(info.value)


def test_partial_fit_refuses_labels_not_in_classes():
    """Labels not in classes are refused, first call or later, in sklearn's words."""
    X, y = _data()
    clf = _clf()
    mlp = MLPClassifier(hidden_layer_sizes=(16,), random_state=0)
    first = _sklearn_error(lambda: mlp.partial_fit(X, y, classes=[0, 1]))
    with pytest.raises(ValueError, match=re.escape(first)):
        clf.partial_fit(X, y, classes=[0, 1])
    assert not hasattr(clf, "classes_")
    mlp = MLPClassifier(hidden_layer_sizes=(16,), random_state=0)
    mlp.partial_fit(X, y, classes=[0, 1, 2])
    clf.partial_fit(X, y, classes=[0, 1, 2])
    later = _sklearn_error(lambda: mlp.partial_fit(X, np.where(y == 2, 7, y)))
    with pytest.raises(ValueError, match=re.escape(later)):
        clf.partial_fit(X, np.where(y == 2, 7, y))


def test_partial_fit_refuses_changed_classes():
    """A changed classes= in partial_fit is refused with scikit-learn's message."""
    X, y = _data()
    clf = _clf().partial_fit(X, y, classes=[0, 1, 2])
    mlp = MLPClassifier(hidden_layer_sizes=(16,), random_state=0)
    mlp.partial_fit(X, y, classes=[0, 1, 2])
    message = _sklearn_error(lambda: mlp.partial_fit(X, y, classes=[0, 1, 2, 3]))
    with pytest.raises(ValueError, match=re.escape(message)):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3])


def test_warm_start_with_other_classes_is_refused():
    """warm_start with a different label set is refused, as in scikit-learn."""
    X, y = _data()
    clf = _clf(warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="warm_start can only be used"):
        clf.fit(X[y != 2], y[y != 2])


def test_y_val_with_unknown_label():
    """y_val labels must be classes seen in y."""
    X, y = _data()
    with pytest.raises(ValueError, match="y_val has labels .* not in the training"):
        _clf().fit(X, y, X_val=X[:5], y_val=np.array([0, 1, 2, 5, 0]))


def test_class_weight_dict_equals_sample_weight():
    """A class_weight dict is the same as the sample weights it implies."""
    X, y = _data()
    weights = {0: 1.0, 1: 3.0, 2: 0.5}
    a = _clf(class_weight=weights).fit(X, y)
    b = _clf().fit(X, y, sample_weight=np.vectorize(weights.get)(y))
    assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-12)


def test_class_weight_balanced_helps_minority():
    """'balanced' weights raise the recall of a rare class."""
    from sklearn.metrics import recall_score

    X, y = make_classification(
        n_samples=400, n_features=6, weights=[0.92], class_sep=0.6, random_state=0
    )
    plain = _clf(max_iter=60).fit(X, y)
    balanced = _clf(max_iter=60, class_weight="balanced").fit(X, y)
    assert recall_score(y, balanced.predict(X)) > recall_score(y, plain.predict(X))


def test_class_weight_combines_with_sample_weight():
    """class_weight multiplies sample_weight."""
    X, y = _data()
    sw = np.linspace(0.5, 2, len(y))
    a = _clf(class_weight={0: 2.0}).fit(X, y, sample_weight=sw)
    b = _clf().fit(X, y, sample_weight=sw * np.where(y == 0, 2.0, 1.0))
    assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-12)


def test_class_weight_multilabel():
    """Multilabel class_weight takes 'balanced' or one dict per label; a single
    dict is refused with scikit-learn's message."""
    X, Y = make_multilabel_classification(n_samples=80, n_classes=3, random_state=0)
    _clf(class_weight="balanced").fit(X, Y)
    _clf(class_weight=[{0: 1, 1: 2}] * 3).fit(X, Y)
    with pytest.raises(ValueError, match="list of dicts"):
        _clf(class_weight={0: 1, 1: 2}).fit(X, Y)


@pytest.mark.parametrize("weight", [-0.5, np.nan, np.inf])
def test_class_weight_negative_or_not_finite_refused(weight):
    """A negative, NaN or infinite class weight is refused naming class_weight,
    as the same sample_weight is refused (NaN said 'all zero' before)."""
    X, y = _data()
    with pytest.raises(ValueError, match="class_weight must give each class"):
        _clf(class_weight={0: weight}).fit(X, y)


def test_class_weight_balanced_partial_fit_refused():
    """'balanced' in partial_fit is refused: one batch does not tell the class
    frequencies."""
    X, y = _data()
    with pytest.raises(ValueError, match="not supported by partial_fit"):
        _clf(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])


def test_regression_target_refused():
    """A continuous y is refused with scikit-learn's message."""
    X, _ = _data()
    with pytest.raises(ValueError, match="Unknown label type"):
        _clf().fit(X, np.linspace(0, 1, len(X)))


def test_learns_with_dropout():
    """With dropout 0.5 the classifier still learns a separable problem."""
    X, y = _data(3, 300)
    clf = _clf(hidden_layer_sizes=(64,), max_iter=100, learning_rate_init=0.01)
    assert clf.fit(X, y).score(X, y) > 0.85


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_sparse_label_indicator_fits_as_the_dense_one():
    """A multilabel y (and y_val) given as a sparse indicator matrix
    (scikit-learn's MLP takes it) trains the model the dense one does."""
    import scipy.sparse as sp

    X, Y = make_multilabel_classification(100, 6, n_classes=3, random_state=0)
    params = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    dense = DropoutMLPClassifier(**params).fit(X, Y, X_val=X[:20], y_val=Y[:20])
    sparse = DropoutMLPClassifier(**params).fit(
        X, sp.csr_matrix(Y), X_val=X[:20], y_val=sp.csr_matrix(Y[:20])
    )
    for a, b in zip(sparse.coefs_, dense.coefs_):
        assert_array_equal(a, b)
    assert_array_equal(sparse.predict(X), dense.predict(X))
