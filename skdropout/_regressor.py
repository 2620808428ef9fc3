"""DropoutMLPRegressor: the regression losses and predict."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    check_array,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from skdropout._base import BaseDropoutMLP

# The observation noise is estimated on at most this many evenly spaced rows, so
# that partial_fit on a large block pays little for it.
_NOISE_ROWS = 10_000


class DropoutMLPRegressor(RegressorMixin, BaseDropoutMLP):
    """Multi-layer perceptron regressor with dropout.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor` (same
    parameters, defaults, attributes and behaviour) that adds dropout of hidden
    units and input features and a validation set in ``fit``. It minimizes the
    squared error or the Poisson deviance with 'adam', 'sgd' or (without dropout)
    'lbfgs'. Several outputs are supported.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        The loss: half the squared error with an identity output, or half the
        Poisson deviance with an exponential output (log link), which needs
        ``y >= 0``.

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

    Attributes
    ----------
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

    noise_variance_ : ndarray of shape (n_outputs,)
        Mean squared residual of the fitted network on the training and
        validation data of the last ``fit`` or ``partial_fit`` call (at most
        10,000 evenly spaced rows of each): the observation noise that
        ``predict(X, return_std=True)`` adds to the model's uncertainty.

    See Also
    --------
    DropoutMLPClassifier : Multi-layer perceptron classifier with dropout.
    sklearn.neural_network.MLPRegressor : The same model without dropout.

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

    With several outputs, the loss is summed over them: it is the function whose
    gradient is followed. scikit-learn's MLPRegressor follows the same gradient but
    averages its reported loss over the outputs (scikit-learn issue #8349). So with
    ``loss='squared_error'`` and several outputs, ``loss_`` is ``n_outputs`` times
    scikit-learn's, ``tol`` acts like scikit-learn's ``tol / n_outputs``, and
    'lbfgs', which needs a loss that matches its gradient, takes another (correct)
    path. With one output, or the Poisson loss, everything is as in scikit-learn.

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
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdropout import DropoutMLPRegressor
    >>> X, y = make_regression(n_samples=300, n_features=5, noise=5, random_state=0)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> reg = make_pipeline(
    ...     StandardScaler(),
    ...     DropoutMLPRegressor(
    ...         hidden_layer_sizes=(64,), dropout=0.1, learning_rate_init=0.01,
    ...         max_iter=500, random_state=0,
    ...     ),
    ... ).fit(X_train, y_train)
    >>> print(f"{reg.score(X_test, y_test):.2f}")
    0.98
    """

    _parameter_constraints: dict = {
        **BaseDropoutMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
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
    ):
        self.loss = loss
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
        self.weight_decay = weight_decay
        self.learning_rate_warmup = learning_rate_warmup
        self.dropout_schedule = dropout_schedule
        self.schedule_epochs = schedule_epochs
        self.early_stopping_metric = early_stopping_metric

    # -- hooks --------------------------------------------------------------------

    @property
    def _loss(self):
        return self.loss

    def _check_targets(self, y, name):
        if self.loss == "poisson" and (y < 0).any():
            raise ValueError(
                f"loss='poisson' requires {name} >= 0 (it models counts or rates); "
                f"got min({name}) = {y.min()}."
            )

    def _validate_input(self, X, y, incremental, reset, classes=None):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=self._input_dtype(reset),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.dtype.kind not in "biuf":
            raise ValueError(
                f"y must be numeric for a regressor; got values of dtype {y.dtype}."
            )
        self._check_targets(y, "y")
        Y = y.reshape(len(y), -1).astype(X.dtype, copy=False)
        return X, Y

    def _validate_val_targets(self, y_val):
        y_val = check_array(y_val, ensure_2d=False, dtype="numeric", input_name="y_val")
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val, warn=True)
        self._check_targets(y_val, "y_val")
        return y_val, y_val.reshape(len(y_val), -1)

    def _encode(self, y):
        y = np.asarray(y, dtype=float)
        return y.reshape(len(y), -1)

    def _ensemble_output(self, X):
        """What the CV estimators average over members: the predictions."""
        return self.predict(X)

    def _decode(self, output):
        return output.ravel() if output.shape[1] == 1 else output

    def _score_predictions(self, y_true, y_pred, sample_weight):
        return r2_score(y_true, y_pred, sample_weight=sample_weight)

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
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over the given data.

        The random stream continues from the previous call, so every call draws
        new dropout masks and a new shuffle.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X, return_std=False):
        """Predict using the multi-layer perceptron model.

        The prediction is the deterministic network's (no dropout). With
        ``return_std=True`` its uncertainty comes from Monte Carlo dropout (Gal and
        Ghahramani, 2016), as GaussianProcessRegressor and BayesianRidge return
        theirs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        return_std : bool, default=False
            Whether to return the standard deviation of the predictive
            distribution as well.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.

        y_std : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predictive standard deviation; only with ``return_std=True``.

        Notes
        -----
        ``y_std**2`` adds two variances. The model's: the variance of
        ``mc_passes`` forward passes with dropout left on (passes seeded with 0,
        so it is reproducible), which grows where the training data said little.
        And the observation noise's, which no amount of data removes: with the
        squared error, the mean squared residual ``noise_variance_`` estimated
        after fitting on the training and validation data (which understates it
        a little when the network overfits);
        with the Poisson loss, the predicted mean itself (a Poisson count's
        variance). Without the second term, intervals such as
        ``y_mean +/- 1.96 * y_std`` would cover far fewer than 95% of new targets.

        MC dropout is known to understate the uncertainty in gaps between
        clusters of training data (Foong et al., 2019): with one hidden ReLU
        layer it provably cannot express much more uncertainty between two
        clusters than on them (Foong et al., 2020).

        References
        ----------
        .. [1] Y. Gal and Z. Ghahramani, "Dropout as a Bayesian Approximation:
           Representing Model Uncertainty in Deep Learning", ICML 2016.
        .. [2] A. Y. K. Foong, Y. Li, J. M. Hernandez-Lobato and R. E. Turner,
           "'In-Between' Uncertainty in Bayesian Neural Networks", ICML 2019
           workshop, arXiv:1906.11537.
        .. [3] A. Y. K. Foong, D. R. Burt, Y. Li and R. E. Turner, "On the
           Expressiveness of Approximate Inference in Bayesian Neural Networks",
           NeurIPS 2020, arXiv:1909.00719.
        """
        if not return_std:
            return self._predict_decoded(X)
        check_is_fitted(self)
        return self._mean_and_std(self._validate_X(X))

    def _mean_and_std(self, X, noise_scale=1.0):
        """``predict(X, return_std=True)`` of a validated X, with the
        observation noise's variance times ``noise_scale`` (the CV regressor's
        members learn a scaled target: see its ``predict``)."""
        with np.errstate(over="ignore"):
            y_mean = self._predict_output(X)
        samples = self._sample_outputs(X, None, 0)
        with np.errstate(over="ignore", invalid="ignore"):
            # In float64, so that large float32 outputs do not overflow.
            variance = samples.var(axis=0, dtype=np.float64)
            if self.loss == "poisson":
                noise = samples.mean(axis=0, dtype=np.float64)
            else:
                noise = self.noise_variance_
            variance += noise * noise_scale
            std = np.sqrt(variance)
        std[np.isnan(std)] = np.inf  # outputs too large for their spread
        return self._decode(y_mean), self._decode(std.astype(y_mean.dtype))

    def predict_mc(self, X, *, n_passes=None, random_state=0):
        """Predictions of Monte Carlo dropout passes.

        Runs ``n_passes`` forward passes with dropout left on, at the rates and
        with the noise the model was trained with (Gal and Ghahramani, 2016). X is
        processed in row chunks, so memory beyond the returned array does not grow
        with n_samples.

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
        samples : ndarray of shape (n_passes, n_samples, n_outputs)
            The prediction of each pass.

        Examples
        --------
        >>> import numpy as np
        >>> from skdropout import DropoutMLPRegressor
        >>> X = np.linspace(-1, 1, 50).reshape(-1, 1)
        >>> reg = DropoutMLPRegressor(max_iter=50, random_state=0).fit(X, X.ravel())
        >>> reg.predict_mc(X[:4], n_passes=20).shape
        (20, 4, 1)
        """
        check_is_fitted(self)
        return self._sample_outputs(self._validate_X(X), n_passes, random_state)

    _weight_attributes = (*BaseDropoutMLP._weight_attributes, "noise_variance_")

    def _after_fit(self, X, Y, sample_weight, validation):
        """Estimate the observation noise for ``predict(X, return_std=True)``."""
        self.noise_variance_ = self._noise_variance(X, Y, sample_weight, validation)

    def _fitted_now(self, fitting):
        """A copy of the model in the middle of a fit has the noise of its
        weights as they are, not that of the last fit (or none)."""
        noise = self._noise_variance(
            fitting.X, fitting.Y, fitting.sample_weight, fitting.validation
        )
        return {"noise_variance_": noise}

    def _noise_variance(self, X, Y, sample_weight, validation):
        """The mean squared residual on the training and validation data
        together (the validation set alone is small, and early stopping
        picked the epoch that fits it best, so its residuals alone run
        low)."""
        sets = [(X, Y, sample_weight)]
        if validation is not None:
            sets.append((validation[0], validation[1], validation[3]))
        sum_sq, total = 0.0, 0.0
        for X_part, Y_part, sw_part in sets:
            step = -(-X_part.shape[0] // _NOISE_ROWS)  # at most _NOISE_ROWS rows
            residual = Y_part[::step] - self._predict_output(X_part[::step])
            ones = np.ones(residual.shape[0], dtype=residual.dtype)
            weights = ones if sw_part is None else sw_part[::step]
            if not weights.sum() > 0:  # all zero: count the rows alike
                weights = ones
            sum_sq = sum_sq + weights @ residual**2
            total += weights.sum()
        dtype = self.coefs_[0].dtype
        return np.asarray(sum_sq / total).astype(dtype, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
