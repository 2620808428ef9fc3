"""The shared estimator base: parameters, validation, fit as a transaction,
initialization, prediction and tags; the solvers' loops are in ``_solvers``. No
maths here: that lives in ``_network``, ``_dropout``, ``_losses`` and
``_optimizers``."""

# SPDX-License-Identifier: BSD-3-Clause

import copy
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
)

from skdropout._activations import ACTIVATIONS, HIDDEN_ACTIVATIONS
from skdropout._callbacks import (
    CallbackSupport,
    root_context,
)
from skdropout._dropout import NOISES, check_rates, check_sparse_input_noise
from skdropout._losses import LOSSES, OUTPUT_ACTIVATIONS
from skdropout._optimizers import OPTIMIZERS
from skdropout._prediction import PredictionMixin
from skdropout._schedules import DROPOUT_SCHEDULES, LR_SCHEDULES
from skdropout._solvers import NON_FINITE_MESSAGE, SolverMixin
from skdropout._transaction import fitted_state
from skdropout._validation_set import ValidationSetMixin

_STOCHASTIC_SOLVERS = tuple(OPTIMIZERS)


@dataclass
class _Fitting:
    """A fit in progress, between ``_begin_fit`` and ``_end_fit``: the validated
    data (``Y`` encoded, ``Y_fit`` what the network trains on), the validation
    data (``(X_val, Y_val, y_val, sample_weight_val)`` or None) and the
    callback task."""

    X: object
    Y: np.ndarray
    Y_fit: np.ndarray
    sample_weight: object
    validation: object
    incremental: bool
    stochastic: bool
    callbacks: object
    metadata: object
    y_train: object


#: The fitted lists with one entry per epoch, which the epoch loop appends to.
_EPOCH_CURVES = ("loss_curve_", "validation_scores_", "validation_loss_curve_")


def check_decay_step(weight_decay, estimator, given):
    """Refuse a decoupled weight decay whose step, ``1 - lr * weight_decay``
    at the largest rate, would not shrink the weights but flip or grow them;
    ``given`` says where the value came from (``weight_decay=...``)."""
    if estimator.solver == "lbfgs" or not weight_decay:
        return
    if estimator.learning_rate_init * weight_decay >= 1:
        raise ValueError(
            f"{given} with learning_rate_init="
            f"{estimator.learning_rate_init!r}: each step multiplies the weights by "
            "1 - learning_rate * weight_decay, which must stay above 0; use a "
            "weight decay below 1 / learning_rate_init."
        )


class BaseDropoutMLP(
    PredictionMixin,
    SolverMixin,
    ValidationSetMixin,
    CallbackSupport,
    BaseEstimator,
    ABC,
):
    """Base class of the dropout multilayer perceptrons.

    Do not use it directly: use :class:`~skdropout.DropoutMLPClassifier` or
    :class:`~skdropout.DropoutMLPRegressor`.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "dropout_noise": [StrOptions(set(NOISES))],
        "max_norm": [Interval(Real, 0, None, closed="neither"), None],
        "mc_passes": [Interval(Integral, 1, None, closed="left")],
        "solver": [StrOptions({"lbfgs", *OPTIMIZERS})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [
            StrOptions({"constant", "invscaling", "adaptive", *LR_SCHEDULES})
        ],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "learning_rate_warmup": [Interval(Real, 0, 1, closed="left")],
        "dropout_schedule": [StrOptions(set(DROPOUT_SCHEDULES))],
        "schedule_epochs": [Interval(Integral, 1, None, closed="left"), None],
        "early_stopping_metric": [StrOptions({"score", "loss"})],
    }

    # -- hooks for the subclasses ------------------------------------------------

    def _input_dtype(self, reset):
        """The dtype X is validated to: float64 or float32 as given on a
        first pass; the weights' own when a fit goes on (partial_fit, a warm
        start, fit_blocks), so that data of the other float dtype trains them
        as that data cast to theirs (scikit-learn's MLP takes either too)."""
        if reset:
            return (np.float64, np.float32)
        return self.coefs_[0].dtype

    @abstractmethod
    def _validate_input(self, X, y, incremental, reset, classes=None):
        """Validate X and y; return X and the targets encoded as a 2-D float array
        of X's dtype."""

    @abstractmethod
    def _validate_val_targets(self, y_val):
        """Validate a user-supplied y_val; return (targets in user space, encoded)."""

    @abstractmethod
    def _decode(self, output):
        """Turn the network's output into predictions in the user's space."""

    @abstractmethod
    def _score_predictions(self, y_true, y_pred, sample_weight):
        """The validation score (higher is better) of decoded predictions."""

    @property
    @abstractmethod
    def _loss(self):
        """The key in ``LOSSES`` of the fitted model's loss."""

    def _finalize_sample_weight(self, Y, sample_weight, incremental):
        """Fold per-class weights into the sample weights (classifier only)."""
        return sample_weight

    def _training_targets(self, Y):
        """The targets the network is trained on (the classifier smooths its
        labels here); validation and the fitted-model checks use ``Y``."""
        return Y

    # -- parameters ---------------------------------------------------------------

    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        if not all(isinstance(s, Integral) and not isinstance(s, bool) for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be positive integers, got {sizes}."
            )
        if any(s <= 0 for s in sizes):  # scikit-learn's words
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(s) for s in sizes]

    def _check_params(self, hidden_layer_sizes):
        """Cross-parameter rules; return (hidden rates, input rate)."""
        rates = check_rates(self.dropout, len(hidden_layer_sizes), "dropout")
        input_rate = float(self.input_dropout)
        if self.solver == "lbfgs" and (any(rates) or input_rate):
            raise ValueError(
                "solver='lbfgs' cannot be used with dropout: L-BFGS line searches "
                "need a deterministic objective and dropout makes it random. Set "
                "dropout=0 and input_dropout=0, or use solver='adam' or 'sgd'. Got "
                f"dropout={self.dropout!r}, input_dropout={self.input_dropout!r}."
            )
        given = f"weight_decay={self.weight_decay!r}"
        check_decay_step(self.weight_decay, self, given)
        if self.solver == "lbfgs" and self.max_norm is not None:
            raise ValueError(
                "max_norm is applied after each stochastic step and cannot be "
                "used with solver='lbfgs'; use solver='adam' or 'sgd', or "
                f"max_norm=None. Got max_norm={self.max_norm!r}."
            )
        return rates, input_rate

    # -- fitting ------------------------------------------------------------------

    def _fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        incremental=False,
        classes=None,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Fit as a transaction: on any error, the estimator is left exactly as it
        was before the call (fitted or not)."""
        state = fitted_state(self)
        # The epochs' curves only grow by appending (a new model gets new
        # lists): their lengths restore them. Copying them at every call made
        # partial_fit's time grow with the calls before it.
        curves = {
            name: (state[name], len(state[name]))
            for name in _EPOCH_CURVES
            if isinstance(state.get(name), list)
        }
        saved = copy.deepcopy({k: v for k, v in state.items() if k not in curves})
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                fitting = self._begin_fit(
                    X,
                    y,
                    sample_weight,
                    incremental=incremental,
                    classes=classes,
                    X_val=X_val,
                    y_val=y_val,
                    sample_weight_val=sample_weight_val,
                )
                if fitting.stochastic:
                    self._fit_stochastic(fitting)
                else:
                    self._fit_lbfgs(
                        fitting.X,
                        fitting.Y_fit,
                        fitting.sample_weight,
                        fitting.callbacks,
                    )
                self._end_fit(fitting)
        except BaseException:  # KeyboardInterrupt outside the epoch loop too
            for key in fitted_state(self):
                delattr(self, key)
            for values, length in curves.values():
                del values[length:]
            # In the order they had, so that the estimator pickles as before.
            vars(self).update(
                {k: curves[k][0] if k in curves else saved[k] for k in state}
            )
            raise
        return self

    def _begin_fit(
        self,
        X,
        y,
        sample_weight,
        *,
        incremental,
        classes=None,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Everything a fit does before its epochs: validate the parameters and
        the data, draw the weights (on a first pass), hold out the validation
        split, open the callback task. Returns the fit in progress."""
        hidden_layer_sizes = self._hidden_layer_sizes()
        rates, input_rate = self._check_params(hidden_layer_sizes)
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )

        X, Y = self._validate_input(X, y, incremental, first_pass, classes)
        check_sparse_input_noise(X, input_rate, self.dropout_noise)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
        sample_weight = self._finalize_sample_weight(Y, sample_weight, incremental)
        if sample_weight is not None and not sample_weight.sum() > 0:
            raise ValueError(
                "The sample weights (sample_weight, times class_weight if set) are "
                "all zero: there is nothing to fit."
            )
        validation = self._validation_data(X_val, y_val, sample_weight_val, X, Y)

        layer_units = [X.shape[1], *hidden_layer_sizes, Y.shape[1]]
        if first_pass:
            self._random_state = check_random_state(self.random_state)
            self._initialize(Y, layer_units, X.dtype)
        else:
            self._check_architecture(layer_units)
        # The noise the model was trained with, for Monte Carlo dropout.
        self._noise_spec = (tuple(rates), input_rate, self.dropout_noise)

        stochastic = self.solver in _STOCHASTIC_SOLVERS
        if validation is not None and not stochastic:
            warnings.warn(
                "solver='lbfgs' has no epochs to validate: X_val and y_val are "
                "not used (no validation_scores_). Use solver='adam' or 'sgd' "
                "to record them.",
                UserWarning,
            )
        if stochastic and self.early_stopping and validation is None:
            X, Y, sample_weight, validation = self._split_validation(
                X, Y, sample_weight
            )

        # One subtask per epoch; L-BFGS opens one more iteration than it runs.
        max_subtasks = 1 if incremental else self.max_iter + (not stochastic)
        callbacks = root_context(self, max_subtasks)
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        fitting = _Fitting(
            X=X,
            Y=Y,
            Y_fit=self._training_targets(Y),
            sample_weight=sample_weight,
            validation=validation,
            incremental=incremental,
            stochastic=stochastic,
            callbacks=callbacks,
            metadata=metadata,
            # The training targets in the user's encoding, decoded if asked for.
            y_train=lambda: self._decode(Y),
        )
        callbacks.call_on_fit_task_begin(
            estimator=self, X=X, y=fitting.y_train, metadata=metadata
        )
        return fitting

    def _end_fit(self, fitting):
        """Everything a fit does after its epochs: check that the model is
        finite, let the subclass finish (``_after_fit``), close the task."""
        X, Y, validation = fitting.X, fitting.Y, fitting.validation
        # The validation rows too: they are data the caller gave to fit (or
        # chose the weights with), and one held out can overflow alone.
        checked = [(X, Y)] if validation is None else [(X, Y), validation[:2]]
        if not all(self._finite_model(*data) for data in checked):
            raise ValueError(  # scikit-learn's words, then the advice
                f"{NON_FINITE_MESSAGE} The weights, or the model's output or loss "
                "on the training or validation data, overflow: scale the input "
                "(for example with StandardScaler) or lower learning_rate_init."
            )
        self._after_fit(X, Y, fitting.sample_weight, validation)
        fitting.callbacks.call_on_fit_task_end(
            estimator=self,
            X=X,
            y=fitting.y_train,
            metadata=fitting.metadata,
            reconstruction_attributes=self._reconstruction,
        )

    def _finite_model(self, X, Y):
        """Whether the weights, and the output and loss on (at most 1,000 evenly
        spaced rows of) the training data, are finite. A model that overflows
        does so on most rows; the sample keeps this pass cheap beside an epoch,
        and beside a partial_fit on a few hundred rows."""
        if not all(np.isfinite(w).all() for w in self.coefs_ + self.intercepts_):
            return False
        step = max(1, -(-X.shape[0] // 1_000))
        with np.errstate(over="ignore", invalid="ignore"):
            # The logits too: a logistic output hides infinite ones. One forward
            # pass gives both.
            logits = self._predict_output(X[::step], logits=True)
            output = ACTIVATIONS[self.out_activation_](logits.copy())
            if not (np.isfinite(logits).all() and np.isfinite(output).all()):
                return False
            return bool(np.isfinite(LOSSES[self._loss](Y[::step], output)))

    def _after_fit(self, X, Y, sample_weight, validation):
        """Hook run after a successful fit or partial_fit (the regressor estimates
        its observation noise here)."""

    def _fitted_now(self, fitting):
        """Hook: the fitted attributes beyond the weights that a copy of the
        model in the middle of ``fitting`` needs to predict as it is now."""
        return {}

    #: The fitted attributes that belong to the weights: what early stopping
    #: keeps of its best epoch and restores (the regressor adds its noise
    #: estimate, which is made with the weights).
    _weight_attributes = ("coefs_", "intercepts_")

    def _snapshot_weights(self):
        """Copies of the attributes of ``_weight_attributes`` that are set."""
        return {
            name: copy.deepcopy(getattr(self, name))
            for name in self._weight_attributes
            if hasattr(self, name)
        }

    def _restore_weights(self, snapshot):
        """Set the attributes of a snapshot, as copies (a later warm-started fit
        trains the weights in place and must not change the snapshot)."""
        for name, value in snapshot.items():
            setattr(self, name, copy.deepcopy(value))

    def _reconstruction(self):
        """The attributes a copy of the estimator needs to predict as it is now
        (the callback API's reconstruction attributes)."""
        return {**self._snapshot_weights(), "n_iter_": self.n_iter_}

    def _check_architecture(self, layer_units):
        expected = [(a, b) for a, b in zip(layer_units[:-1], layer_units[1:])]
        actual = [c.shape for c in self.coefs_]
        if expected != actual:
            raise ValueError(
                "The network's shape changed since the previous fit: it has layers "
                f"{[s[0] for s in actual] + [actual[-1][1]]}, the data and "
                f"hidden_layer_sizes ask for {layer_units}. Set warm_start=False "
                "or keep hidden_layer_sizes and the number of outputs unchanged."
            )

    def _initialize(self, Y, layer_units, dtype):
        # A new model: nothing of the previous one's weights survives (such as
        # a noise estimate, which early stopping would otherwise keep with the
        # new initial weights).
        for name in self._weight_attributes:
            vars(self).pop(name, None)
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = OUTPUT_ACTIVATIONS[self._loss]

        # Glorot and Bengio (2010) uniform initialisation, as in scikit-learn, drawn
        # in the same order from the same kind of generator.
        factor = 2.0 if self.activation == "logistic" else 6.0
        self.coefs_, self.intercepts_ = [], []
        for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
            bound = np.sqrt(factor / (fan_in + fan_out))
            coef = self._random_state.uniform(-bound, bound, (fan_in, fan_out))
            intercept = self._random_state.uniform(-bound, bound, fan_out)
            self.coefs_.append(coef.astype(dtype, copy=False))
            self.intercepts_.append(intercept.astype(dtype, copy=False))
        # Early stopping's best weights: taken when a fit that stops early
        # starts (_history), so a model trained without keeps no second copy.
        self._best_weights = None

        if self.solver in _STOCHASTIC_SOLVERS:
            self.loss_curve_ = []
            self._no_improvement_count = 0
            self.validation_scores_ = None
            self.validation_loss_curve_ = None
            self.best_validation_score_ = None
            self.best_loss_ = None if self.early_stopping else np.inf

    @staticmethod
    def _check_solver_is_stochastic(estimator):
        if estimator.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{estimator.solver} is not stochastic."
            )
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Alpha input dropout would make a sparse X dense, so it refuses one.
        alpha_input = self.dropout_noise == "alpha" and self.input_dropout
        tags.input_tags.sparse = not alpha_input
        return tags
