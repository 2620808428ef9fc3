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
from skdropout._docstrings import fill

# The observation noise is estimated on at most this many evenly spaced rows, so
# that partial_fit on a large block pays little for it.
_NOISE_ROWS = 10_000


@fill()
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

    {network_params}

    {solver_params}

    Attributes
    ----------
    {fitted_attributes}

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
    {notes}

    With several outputs, the loss is summed over them: it is the function whose
    gradient is followed. scikit-learn's MLPRegressor follows the same gradient but
    averages its reported loss over the outputs (scikit-learn issue #8349). So with
    ``loss='squared_error'`` and several outputs, ``loss_`` is ``n_outputs`` times
    scikit-learn's, ``tol`` acts like scikit-learn's ``tol / n_outputs``, and
    'lbfgs', which needs a loss that matches its gradient, takes another (correct)
    path. With one output, or the Poisson loss, everything is as in scikit-learn.

    References
    ----------
    {references}

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
            dtype=(np.float64, np.float32),
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

    @fill("        ")
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None,
            sample_weight_val=None):  # fmt: skip
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        {fit_params}

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(
            X, y, sample_weight, incremental=False, X_val=X_val, y_val=y_val,
            sample_weight_val=sample_weight_val,
        )  # fmt: skip

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
        check_is_fitted(self)
        X = self._validate_X(X)
        with np.errstate(over="ignore"):
            y_mean = self._predict_output(X)
        if not return_std:
            return self._decode(y_mean)
        samples = self._sample_outputs(X, None, 0)
        with np.errstate(over="ignore", invalid="ignore"):
            # In float64, so that large float32 outputs do not overflow.
            variance = samples.var(axis=0, dtype=np.float64)
            if self.loss == "poisson":
                variance += samples.mean(axis=0, dtype=np.float64)
            else:
                variance += self.noise_variance_
            std = np.sqrt(variance)
        std[np.isnan(std)] = np.inf  # outputs too large for their spread
        return self._decode(y_mean), self._decode(std.astype(y_mean.dtype))

    @fill("        ")
    def predict_mc(self, X, *, n_passes=None, random_state=0):
        """Predictions of Monte Carlo dropout passes.

        Runs ``n_passes`` forward passes with dropout left on, at the rates and
        with the noise the model was trained with (Gal and Ghahramani, 2016). X is
        processed in row chunks, so memory beyond the returned array does not grow
        with n_samples.

        Parameters
        ----------
        {mc_params}

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
        """Estimate the observation noise for ``predict(X, return_std=True)``:
        the mean squared residual on the training and validation data together
        (the validation set alone is small, and early stopping picked the epoch
        that fits it best, so its residuals alone run low)."""
        sets = [(X, Y, sample_weight)]
        if validation is not None:
            sets.append((validation[0], validation[1], validation[3]))
        sum_sq, total = 0.0, 0.0
        for X_part, Y_part, sw_part in sets:
            step = max(1, X_part.shape[0] // _NOISE_ROWS)
            residual = Y_part[::step] - self._predict_output(X_part[::step])
            weights = np.ones(residual.shape[0]) if sw_part is None else sw_part[::step]
            if not weights.sum() > 0:  # all zero: count the rows alike
                weights = np.ones(residual.shape[0])
            sum_sq = sum_sq + weights @ residual**2
            total += weights.sum()
        self.noise_variance_ = sum_sq / total

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
