"""DropoutMLPClassifier: label encoding, the output/loss choice, class weights and
the predict methods."""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Real

import numpy as np
from scipy.sparse import issparse
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from skdropout._activations import LOG_OUTPUTS
from skdropout._base import BaseDropoutMLP
from skdropout._columns import mixed_labels_error


def _check_targets(y, name):
    """scikit-learn's target check, with a clear error for labels of types that
    cannot be compared (such as str and int mixed)."""
    try:
        check_classification_targets(y)
        unique_labels(y)
    except TypeError:
        raise mixed_labels_error(name) from None


def _unseen(labels, classes):
    """The labels that are not classes (compared in Python: NumPy < 1.25 warns
    when comparing strings with numbers)."""
    known = set(classes.tolist())
    return [label for label in np.asarray(labels).tolist() if label not in known]


def _check_known_labels(y, classes):
    """Refuse labels of y that are not classes, in scikit-learn's words."""
    seen = unique_labels(y)
    if _unseen(seen, classes):
        raise ValueError(
            "`y` has classes not in `self.classes_`. "
            f"`self.classes_` has {classes}. 'y' has {seen}."
        )


class DropoutMLPClassifier(ClassifierMixin, BaseDropoutMLP):
    """Multi-layer perceptron classifier with dropout.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier` (same
    parameters, defaults, attributes and behaviour) that adds dropout of hidden
    units and input features, a validation set in ``fit``, and ``class_weight``.
    It minimizes the log-loss with 'adam', 'sgd' or (without dropout) 'lbfgs'.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element represents the number of neurons in the ith hidden layer.

    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', 'selu', \
        'gelu', 'silu', 'mish'}, default='relu'
        Activation function for the hidden layers: 'identity' f(x) = x, 'logistic'
        f(x) = 1 / (1 + exp(-x)), 'tanh' f(x) = tanh(x), 'relu' f(x) = max(0, x),
        'leaky_relu' f(x) = max(x, 0.01 x), 'selu' f(x) = scale * x for x > 0, else
        scale * alpha * (exp(x) - 1), with Klambauer et al.'s (2017) constants,
        'gelu' f(x) = x * Phi(x), Phi the standard normal distribution function
        (the exact form, as PyTorch's default, not the tanh approximation), 'silu'
        (swish) f(x) = x * sigmoid(x), 'mish' f(x) = x * tanh(log(1 + exp(x))).
        scikit-learn declined all five beyond its four (scikit-learn#10665, #16827,
        #26912, #30199).

    dropout : float or array-like of shape (n_layers - 2,), default=0.5
        Probability of *dropping* each hidden unit during training (the drop rate,
        as in Keras and PyTorch; the paper's retention probability is ``1 - dropout``).
        One float for every hidden layer, or one value per hidden layer. Must be in
        [0, 1). Kept units are scaled by ``1 / (1 - dropout)`` so that prediction
        needs no rescaling. 0 turns dropout off.

    input_dropout : float, default=0.0
        Probability of dropping each input feature during training, in [0, 1).
        Srivastava et al. (2014) use 0.2 for real-valued inputs. With sparse input
        only stored entries are dropped (dropping a zero changes nothing).

    dropout_noise : {'bernoulli', 'gaussian', 'alpha'}, default='bernoulli'
        The kind of noise: 'bernoulli' keeps a unit with probability ``1 - p`` and
        scales it by ``1 / (1 - p)``; 'gaussian' multiplies it by normal noise of
        mean 1 and variance ``p / (1 - p)``, the same mean and variance (Srivastava
        et al. 2014, section 10; Keras' GaussianDropout). 'alpha' is alpha dropout
        (Klambauer et al. 2017; PyTorch's and Keras' AlphaDropout), meant for
        ``activation='selu'`` (allowed with any): a dropped unit is set to SELU's
        negative saturation ``-scale * alpha`` instead of 0, then an affine map
        restores mean 0 and variance 1, so that a self-normalizing network stays
        normalized; as in PyTorch and Keras, prediction uses the network without
        it. All use the rates of ``dropout`` and ``input_dropout``; 'alpha' with
        ``input_dropout`` needs dense X.

    max_norm : float, default=None
        If set, after every update each hidden unit's incoming weight vector (a
        column of ``coefs_[i]`` for the hidden layers, biases excluded) is rescaled
        to an L2 norm of at most ``max_norm``. Srivastava et al. (2014) pair it with
        dropout and large learning rates, with bounds c of 3 to 4 on weights that
        they rescale at test time; the weights here are already the test-time ones,
        so their c is ``max_norm = (1 - p) * c``, p being the drop rate of the layer
        the weights read from (1.5 to 2 after ``dropout=0.5``). The output layer is
        not constrained. Not available with 'lbfgs'.

    mc_passes : int, default=100
        Number T of stochastic forward passes for Monte Carlo dropout
        (:meth:`predict_mc` and, for the regressor, ``predict(X, return_std=True)``).

    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        The solver for weight optimization: 'lbfgs' a quasi-Newton method (full
        batch, deterministic, so only with ``dropout=0`` and ``input_dropout=0``),
        'sgd' stochastic gradient descent, 'adam' the optimizer of Kingma and Ba.

    alpha : float, default=0.0001
        Strength of the L2 regularization term, divided by the sample size (or the
        sum of sample weights) of each minibatch when added to the loss.

    batch_size : int, default='auto'
        Size of minibatches for stochastic optimizers; 'auto' means
        ``min(200, n_samples)``. Ignored by 'lbfgs'.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'cosine'}, default='constant'
        Learning rate schedule. scikit-learn's three apply to 'sgd' only:
        'constant' keeps ``learning_rate_init``; 'invscaling' uses
        ``learning_rate_init / pow(t + 1, power_t)``, ``t`` the samples seen,
        after each epoch; 'adaptive' keeps it while the
        loss keeps decreasing and divides it by 5 whenever ``n_iter_no_change``
        epochs fail to improve by ``tol``. 'cosine' applies to 'sgd' and 'adam':
        the rate is ``learning_rate_init * 0.5 * (1 + cos(pi * progress))`` at every
        minibatch, progress going from 0 to 1 over ``schedule_epochs`` epochs
        (``max_iter`` by default; Loshchilov and Hutter, 2017), after the warm-up of
        ``learning_rate_warmup``.

    learning_rate_init : float, default=0.001
        The initial learning rate ('sgd' and 'adam').

    power_t : float, default=0.5
        The exponent of the 'invscaling' schedule ('sgd' only).

    max_iter : int, default=200
        Maximum number of epochs for 'sgd' and 'adam' (each sample seen once per
        epoch), of iterations for 'lbfgs'.

    shuffle : bool, default=True
        Whether to shuffle samples in each epoch ('sgd' and 'adam').

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialization, the validation split, the shuffling and the
        dropout masks. One generator is drawn from it at the first fit and kept, so
        ``partial_fit`` and ``warm_start`` continue its stream (scikit-learn's MLP
        re-seeds instead, which with dropout would repeat masks). Pass an int for
        reproducible results.

    tol : float, default=1e-4
        Tolerance of the optimization: training stops (unless 'adaptive') when the
        loss or the validation score fails to improve by at least ``tol`` for
        ``n_iter_no_change`` consecutive epochs. Without early stopping and with
        dropout, the rule watches the mean training loss of the last
        ``n_iter_no_change`` epochs rather than each epoch's: dropout makes the
        epoch's loss noisy, and the lowest of noisy values, set by a lucky epoch,
        would stop training while the loss still falls. Without dropout it is
        scikit-learn's rule.

    verbose : bool, default=False
        Whether to print progress messages to stdout.

    warm_start : bool, default=False
        When True, reuse the previous solution as initialization of the next fit,
        and continue the random stream.

    momentum : float, default=0.9
        Momentum for 'sgd', in [0, 1].

    nesterovs_momentum : bool, default=True
        Whether to use Nesterov's momentum ('sgd' with momentum > 0).

    early_stopping : bool, default=False
        Whether to stop when the validation score stops improving and keep the best
        weights. The validation set is ``X_val, y_val`` when passed to ``fit``, else
        a ``validation_fraction`` share of the training data. 'sgd' and 'adam' only.

    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping when no ``X_val`` is
        given, in [0, 1).

    beta_1 : float, default=0.9
        Decay rate of the first moment estimates of 'adam', in [0, 1).

    beta_2 : float, default=0.999
        Decay rate of the second moment estimates of 'adam', in [0, 1).

    epsilon : float, default=1e-8
        Numerical stability constant of 'adam'.

    n_iter_no_change : int, default=10
        Number of epochs without an improvement of ``tol`` before stopping
        ('sgd' and 'adam').

    max_fun : int, default=15000
        Maximum number of loss function calls ('lbfgs' only).

    weight_decay : float, default=0.0
        Decoupled weight decay (AdamW, Loshchilov and Hutter, 2019): at every step
        the weights (not the intercepts) are multiplied by ``1 - lr * weight_decay``,
        ``lr`` being the current learning rate (before Adam's bias correction), and
        then take the optimizer's step. Unlike ``alpha``, whose gradient Adam
        rescales per weight, it shrinks every weight at the same relative rate.
        'sgd' and 'adam' only.

    learning_rate_warmup : float, default=0.0
        Share of the ``schedule_epochs`` (by default ``max_iter``) epochs over
        which the learning rate rises linearly from 0 to its schedule's start, at
        every minibatch ('sgd' and 'adam'); the schedule then runs over the
        remaining epochs. 0 means no warm-up.

    dropout_schedule : {'constant', 'flat_cosine'}, default='constant'
        How the drop rates of ``dropout`` and ``input_dropout`` change over the
        ``schedule_epochs`` (by default ``max_iter``) epochs: 'constant' keeps
        them; 'flat_cosine' keeps them for the first half and then lowers them
        along half a cosine to 0 at the end,
        as RealMLP does (Holzmueller et al., 2024), so that the last epochs
        fine-tune the network without noise. Monte Carlo dropout uses the full
        rates.

    schedule_epochs : int, default=None
        The epochs over which the schedules run ('cosine', the warm-up of
        ``learning_rate_warmup``, 'flat_cosine'): their progress reaches 1 after
        ``schedule_epochs`` epochs. None means ``max_iter``. With a smaller
        ``max_iter``, training stops part-way along the schedules, with the
        weights a longer fit has at that epoch (bit for bit, for the same
        ``random_state``): the CV estimators refit their fold models so when they
        choose the number of epochs.

    early_stopping_metric : {'score', 'loss'}, default='score'
        What early stopping watches on the validation set: 'score' the
        estimator's ``score`` (accuracy, R2), as scikit-learn's MLP does; 'loss'
        the validation loss (log-loss, squared error or Poisson deviance, without
        dropout), a smoother and more sensitive signal, as
        HistGradientBoosting's ``scoring='loss'``. With 'loss',
        ``best_validation_score_`` holds the negated best validation loss.

    class_weight : dict, list of dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``: a dict
        ``{class_label: weight}`` (missing classes weigh 1), or 'balanced' for
        ``n_samples / (n_classes * np.bincount(y))``. For multilabel targets, a
        list of one ``{0: w0, 1: w1}`` dict per label, or 'balanced' (the product
        of the per-label weights), as in scikit-learn's forests. 'balanced' is not
        supported by ``partial_fit``, which does not see all the data.

    label_smoothing : float, default=0.0
        Label smoothing (Szegedy et al., 2016), in [0, 1): the network is
        trained on targets moved toward the uniform distribution, ``(1 -
        label_smoothing) * y + label_smoothing / K`` with K the number of
        classes (K = 2 for each output of a binary or multilabel target), which
        keeps it from pushing its logits to extremes. The validation loss and
        score, and the fitted-model checks, use the true labels.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel targets, the label indices).

    loss_ : float
        The training loss of the last epoch (with dropout, so noisier than the
        loss of the deterministic network), L2 term included.

    best_loss_ : float or None
        The lowest training loss reached (with dropout, the lowest mean over
        ``n_iter_no_change`` epochs: see ``tol``); None with
        ``early_stopping=True``.

    loss_curve_ : list of shape (``n_iter_``,)
        The training loss of each epoch ('sgd' and 'adam').

    validation_scores_ : list of shape (``len(loss_curve_)``,) or None
        The score on the validation set after each epoch, aligned with
        ``loss_curve_`` (NaN for the epochs of earlier warm-started or partial fits
        that had no validation set); None when no fit had a validation set (neither
        ``early_stopping`` nor ``X_val``).

    validation_loss_curve_ : list of shape (``len(loss_curve_)``,) or None
        The loss on the validation set after each epoch, computed without dropout
        and without the L2 term, aligned like ``validation_scores_``.

    best_validation_score_ : float or None
        The best validation score; None when there is no validation set.

    t_ : int
        The number of training samples seen by the solver.

    coefs_ : list of shape (n_layers - 1,)
        The ith element is the weight matrix from layer i to layer i + 1.

    intercepts_ : list of shape (n_layers - 1,)
        The ith element is the bias vector of layer i + 1.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during fit; defined only when ``X`` has feature names
        that are all strings.

    n_iter_ : int
        The number of epochs (iterations for 'lbfgs') the solver ran in the last
        call to ``fit`` or ``partial_fit``.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs of the network.

    out_activation_ : str
        Name of the output activation.

    See Also
    --------
    DropoutMLPRegressor : Multi-layer perceptron regressor with dropout.
    sklearn.neural_network.MLPClassifier : The same model without dropout.

    Notes
    -----
    During training, every minibatch draws a fresh mask for every layer with a
    nonzero drop rate: unit j of layer l is kept with probability ``1 - p_l`` and
    then multiplied by ``1 / (1 - p_l)``, or zeroed ("inverted dropout"). The error
    is back-propagated through the same mask. Prediction uses the whole network with
    no mask and no rescaling, which approximates the average of the thinned networks
    (Srivastava et al., 2014).

    With ``dropout=0`` and ``input_dropout=0`` the estimator draws the same random
    numbers in the same order as scikit-learn's MLP and applies the same updates, so
    it learns the same weights (up to floating point rounding) for the same
    ``random_state`` in a single ``fit``.

    References
    ----------
    .. [1] N. Srivastava, G. Hinton, A. Krizhevsky, I. Sutskever and
       R. Salakhutdinov, "Dropout: A Simple Way to Prevent Neural Networks from
       Overfitting", JMLR 15(56):1929-1958, 2014.

    .. [2] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep
       feedforward neural networks", AISTATS 2010.

    .. [3] D. P. Kingma and J. Ba, "Adam: A method for stochastic optimization",
       arXiv:1412.6980, 2014.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdropout import DropoutMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> clf = make_pipeline(
    ...     StandardScaler(),
    ...     DropoutMLPClassifier(
    ...         hidden_layer_sizes=(64,), dropout=0.2, max_iter=300, random_state=0
    ...     ),
    ... ).fit(X_train, y_train)
    >>> clf.predict(X_test[:5])
    array([2, 1, 0, 2, 0])
    >>> print(f"{clf.score(X_test, y_test):.2f}")
    0.97
    """

    _parameter_constraints: dict = {
        **BaseDropoutMLP._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, list, None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        dropout=0.5,
        input_dropout=0.0,
        dropout_noise="bernoulli",
        max_norm=None,
        mc_passes=100,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        weight_decay=0.0,
        learning_rate_warmup=0.0,
        dropout_schedule="constant",
        schedule_epochs=None,
        early_stopping_metric="score",
        class_weight=None,
        label_smoothing=0.0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.dropout_noise = dropout_noise
        self.max_norm = max_norm
        self.mc_passes = mc_passes
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.class_weight = class_weight
        self.weight_decay = weight_decay
        self.learning_rate_warmup = learning_rate_warmup
        self.dropout_schedule = dropout_schedule
        self.schedule_epochs = schedule_epochs
        self.early_stopping_metric = early_stopping_metric
        self.label_smoothing = label_smoothing

    # -- hooks --------------------------------------------------------------------

    @property
    def _loss(self):
        if self._label_binarizer.y_type_ == "multiclass":
            return "log_loss"  # softmax output
        return "binary_log_loss"  # one logistic output per label

    def _training_targets(self, Y):
        if not self.label_smoothing:
            return Y
        n_classes = Y.shape[1] if self._loss == "log_loss" else 2
        smoothed = Y * (1 - self.label_smoothing)
        smoothed += self.label_smoothing / n_classes
        return smoothed.astype(Y.dtype, copy=False)

    def _validate_input(self, X, y, incremental, reset, classes=None):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=self._input_dtype(reset),
            reset=reset,
        )
        if issparse(y):  # a sparse label indicator, as scikit-learn takes it
            y = y.toarray()
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        _check_targets(y, "y")

        if incremental and not hasattr(self, "classes_"):
            # A multilabel indicator names its labels by its columns.
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer = LabelBinarizer().fit(y)
            elif classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit."
                )
            else:
                _check_targets(np.asarray(classes), "classes")
                self._label_binarizer = LabelBinarizer().fit(classes)
                _check_known_labels(y, self._label_binarizer.classes_)
            self.classes_ = self._label_binarizer.classes_
        elif not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            if incremental and classes is not None:
                if not np.array_equal(np.unique(classes), self.classes_):
                    raise ValueError(
                        f"`classes={classes!r}` is not the same as on last call "
                        f"to partial_fit, was: {self.classes_!r}"
                    )
            if self.warm_start and not incremental:
                seen = unique_labels(y)
                if set(seen) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same "
                        "classes as in the previous call to fit. Previously "
                        f"got {self.classes_}, `y` has {seen}"
                    )
            else:
                _check_known_labels(y, self.classes_)
        Y = self._label_binarizer.transform(y).astype(X.dtype, copy=False)
        return X, Y

    def _validate_val_targets(self, y_val):
        y_val = y_val.toarray() if issparse(y_val) else np.asarray(y_val)
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val, warn=True)
        _check_targets(y_val, "y_val")
        unseen = _unseen(unique_labels(y_val), self.classes_)
        if unseen:
            raise ValueError(
                f"y_val has labels that are not in the training data: {unseen}. "
                f"The classes are {self.classes_}."
            )
        return y_val, self._label_binarizer.transform(y_val)

    def _encode(self, y):
        """Labels in the network's encoding (an unknown label: a row of zeros)."""
        return self._label_binarizer.transform(np.asarray(y))

    def _ensemble_output(self, X):
        """What the CV estimators average over members: the probabilities."""
        return self.predict_proba(X)

    def _decode(self, output):
        if output.shape[1] == 1:
            output = output.ravel()
        return self._label_binarizer.inverse_transform(output)

    def _score_predictions(self, y_true, y_pred, sample_weight):
        # accuracy_score's arithmetic (the weighted mean of the rows predicted
        # right; a multilabel row is right when all its labels are) without its
        # checks of the targets, which took longer than predicting a held-out
        # part of a thousand rows, once per epoch and fold model. Both arrays
        # come from this estimator: the held-out labels and their decoding.
        correct = np.asarray(y_true) == np.asarray(y_pred)
        if correct.ndim == 2:
            correct = correct.all(axis=1)
        return float(np.average(correct, weights=sample_weight))

    def _finalize_sample_weight(self, Y, sample_weight, incremental):
        if self.class_weight is None:
            return sample_weight
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: the class "
                "frequencies of all the data are unknown. Compute them with "
                "sklearn.utils.class_weight.compute_class_weight and pass a dict."
            )
        if self._label_binarizer.y_type_.startswith("multilabel"):
            targets = Y.astype(np.intp)  # one binary output per label
        elif Y.shape[1] == 1:
            targets = self.classes_[Y[:, 0].astype(np.intp)]
        else:
            targets = self.classes_[Y.argmax(axis=1)]
        weights = compute_sample_weight(self.class_weight, targets).astype(Y.dtype)
        if not (np.isfinite(weights) & (weights >= 0)).all():
            # As sample_weight's own check: a negative or NaN weight of a
            # class would train away from it, or give NaN losses.
            raise ValueError(
                "class_weight must give each class a finite, non-negative "
                f"weight; got class_weight={self.class_weight!r}."
            )
        return weights if sample_weight is None else weights * sample_weight

    # -- public API ---------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data. float32 data trains in float32 end to end.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        X_val : {array-like, sparse matrix} of shape (n_val, n_features), default=None
            A validation set (as in HistGradientBoostingClassifier): when given it is
            used for early stopping instead of a ``validation_fraction`` split, and the
            validation score and loss are recorded after every epoch even without early
            stopping. In a Pipeline, with metadata routing enabled and
            ``set_fit_request(X_val=True, y_val=True)`` on this estimator,
            ``Pipeline(..., transform_input=["X_val"])`` applies the preceding steps to
            it.

        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            The validation targets.

        sample_weight_val : array-like of shape (n_val,), default=None
            Sample weights of the validation set.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(
            X,
            y,
            sample_weight,
            incremental=False,
            X_val=X_val,
            y_val=y_val,
            sample_weight_val=sample_weight_val,
        )

    @available_if(BaseDropoutMLP._check_solver_is_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with one epoch over the given data.

        The random stream continues from the previous call, so every call draws
        new dropout masks and a new shuffle.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        classes : array-like of shape (n_classes,), default=None
            All the classes over all calls to partial_fit; required on the first
            call (except for multilabel targets), optional afterwards. ``y`` need
            not contain all of them.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def predict(self, X):
        """Predict using the multi-layer perceptron classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        return self._predict_decoded(X)

    def predict_proba(self, X):
        """Probability estimates, without dropout.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of ``classes_``.
        """
        y_prob = self._forward(X)
        if len(self.classes_) == 1:  # trained on one class: it is certain
            return np.ones_like(y_prob)
        if self._label_binarizer.y_type_ == "binary":
            return np.hstack([1 - y_prob, y_prob])
        return y_prob

    def predict_log_proba(self, X):
        """Log of probability estimates, computed stably from the logits.

        Unlike ``np.log(predict_proba(X))`` it stays finite where a probability
        rounds to 0.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            The log-probability of each class, in the order of ``classes_``.
        """
        logits = self._forward(X, logits=True)
        if len(self.classes_) == 1:
            return np.zeros_like(logits)
        return LOG_OUTPUTS[self.out_activation_](logits)

    def predict_mc(self, X, *, n_passes=None, random_state=0):
        """Class probabilities of Monte Carlo dropout passes.

        Runs ``n_passes`` forward passes with dropout left on, at the rates and
        with the noise the model was trained with (Gal and Ghahramani, 2016).
        Their mean estimates the predictive probabilities; their spread shows how
        much the prediction depends on the random thinning of the network, a
        measure of the model's uncertainty. X is processed in row chunks, so
        memory beyond the returned array does not grow with n_samples.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        n_passes : int, default=None
            Number of passes T; None uses ``mc_passes``.

        random_state : int, RandomState instance or None, default=0
            Seeds the masks. The default gives the same passes on every call;
            the estimator's own training generator is never used.

        Returns
        -------
        proba : ndarray of shape (n_passes, n_samples, n_classes)
            The class probabilities of each pass, classes in the order of
            ``classes_`` (for multilabel targets, each label's probability).

        References
        ----------
        .. [1] Y. Gal and Z. Ghahramani, "Dropout as a Bayesian Approximation:
           Representing Model Uncertainty in Deep Learning", ICML 2016.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from skdropout import DropoutMLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = DropoutMLPClassifier(max_iter=50, random_state=0).fit(X / 8, y)
        >>> proba = clf.predict_mc(X[:2] / 8, n_passes=30)
        >>> proba.shape
        (30, 2, 3)
        >>> bool(abs(proba.sum(axis=2) - 1).max() < 1e-12)
        True
        """
        check_is_fitted(self)
        samples = self._sample_outputs(self._validate_X(X), n_passes, random_state)
        if len(self.classes_) == 1:
            return np.ones_like(samples)
        if self._label_binarizer.y_type_ == "binary":
            return np.concatenate([1 - samples, samples], axis=2)
        return samples

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
