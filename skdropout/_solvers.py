"""The estimators' side of training: their parameters become the engine's inputs
(``_engine``: a trainer, a stopping policy, the epoch loop), and what the loop
returns (a ``History``) becomes fitted attributes, in one place; and the L-BFGS
run, whose numbers come from ``_network`` and ``_lbfgs``."""

# SPDX-License-Identifier: BSD-3-Clause

import copy
import time
import warnings
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from skdropout._engine import History, Stopping, Trainer, run_epochs
from skdropout._lbfgs import minimize_lbfgs
from skdropout._losses import LOSSES
from skdropout._network import loss_and_grads
from skdropout._optimizers import OPTIMIZERS
from skdropout._schedules import (
    DROPOUT_SCHEDULES,
    LR_SCHEDULES,
    constant,
    with_warmup,
)

#: scikit-learn's message for non-finite weights, which skdropout's errors start
#: with, so that code matching on it keeps working.
NON_FINITE_MESSAGE = (
    "Solver produced non-finite parameter weights. The input data may contain "
    "large values and need to be preprocessed."
)


#: Whether a KeyboardInterrupt in the epoch loop ends the whole call that
#: trains this estimator (a CV fit, ``fit_blocks``) instead of only its epochs,
#: which scikit-learn's MLP ends with a warning, keeping the model trained so
#: far. Set by :func:`interrupts_propagate`, per thread.
_INTERRUPTS_PROPAGATE = ContextVar("interrupts_propagate", default=False)


@contextmanager
def interrupts_propagate():
    """Within the block, a KeyboardInterrupt in a fit's epochs propagates (the
    caller's transaction then restores what it trains)."""
    token = _INTERRUPTS_PROPAGATE.set(True)
    try:
        yield
    finally:
        _INTERRUPTS_PROPAGATE.reset(token)


def _writeable(optimizer):
    """``optimizer`` with its own copy of any state array it cannot update in
    place (a model loaded with ``joblib.load(..., mmap_mode='r')``)."""
    for name, value in vars(optimizer).items():
        if isinstance(value, np.ndarray) and not value.flags.writeable:
            setattr(optimizer, name, value.copy())
    return optimizer


#: For each optimizer of ``OPTIMIZERS``, the estimator parameter that gives each
#: of its constructor's arguments (beyond the size and dtype).
OPTIMIZER_PARAMETERS = {
    "sgd": {
        "learning_rate_init": "learning_rate_init",
        "lr_schedule": "learning_rate",
        "momentum": "momentum",
        "nesterov": "nesterovs_momentum",
        "power_t": "power_t",
    },
    "adam": {
        "learning_rate_init": "learning_rate_init",
        "beta_1": "beta_1",
        "beta_2": "beta_2",
        "epsilon": "epsilon",
    },
}


class _EpochHooks:
    """What the epoch loop tells the outside world: each epoch is a task of the
    callback API, and with ``verbose`` a printed line."""

    def __init__(self, estimator, fitting, validated):
        self.estimator = estimator
        self.fitting = fitting
        self.callbacks = fitting.callbacks
        self.validated = validated
        self.task = None

    def begin(self):
        self.task = self.callbacks.subcontext(task_name="epoch")
        self.task.call_on_fit_task_begin(estimator=self.estimator)

    def report(self, history, seconds):
        """One line per epoch; it starts as scikit-learn's MLP's lines do."""
        if not self.estimator.verbose:
            return
        line = "Iteration %d, loss = %.8f" % (history.n_iter, history.loss[-1])
        if self.validated:
            line += ", validation loss = %.8f, validation score = %.6f" % (
                history.validation_loss[-1],
                history.validation_score[-1],
            )
        print(line + ", time = %.2fs" % seconds)

    def end(self, history):
        estimator = self.estimator

        def now():
            """The model as it is after this epoch, sharing nothing that the
            fit goes on changing (the weights, the curves)."""
            curves = {
                name: None if values is None else list(values)
                for name, values in (
                    ("loss_curve_", history.loss),
                    ("validation_scores_", history.validation_score),
                    ("validation_loss_curve_", history.validation_loss),
                )
            }
            return {
                **estimator._snapshot_weights(),
                **curves,
                **estimator._fitted_now(self.fitting),
                "n_iter_": history.n_iter,
                "t_": history.n_samples_seen,
                "loss_": history.loss[-1],
                "best_validation_score_": history.best_validation_score,
            }

        return self.task.call_on_fit_task_end(
            estimator=estimator, reconstruction_attributes=now
        )


class EpochRun:
    """The epochs of one stochastic fit in progress.

    Built on a fit that ``_begin_fit`` opened, it makes the engine's trainer on
    the estimator's weights (which become the trainer's packed views) and takes
    the estimator's History. ``run(n)`` trains up to ``n`` more epochs, the
    schedules, the order of the rows and the random stream going on from
    where the last call left them; several calls of one epoch give, bit for
    bit, the model of one call of as many. ``snapshot()`` keeps everything a
    later epoch changes and ``restore`` brings it back, so the model of an
    earlier epoch can be taken without training it again (the CV search
    keeps the epoch that its folds choose together).

    Parameters
    ----------
    estimator : BaseDropoutMLP
    fitting : _Fitting
        The fit in progress (``_base._Fitting``).
    """

    def __init__(self, estimator, fitting):
        X = fitting.X
        if sp.issparse(X):
            X = X.tocsr()  # row slicing of minibatches
        self.estimator = estimator
        self.X, self.Y = X, fitting.Y_fit
        self.sample_weight = fitting.sample_weight
        self.n_samples = X.shape[0]
        self.batch_size = estimator._batch_size(self.n_samples)
        incremental = fitting.incremental
        self.trainer = estimator._make_trainer(
            self.batch_size,
            continuing=incremental and hasattr(estimator, "_optimizer"),
        )
        # The estimator's parameters are the trainer's packed ones from here on.
        estimator.coefs_ = self.trainer.coefs
        estimator.intercepts_ = self.trainer.intercepts
        estimator._optimizer = self.trainer.optimizer
        # Epochs of the schedules done before this fit: a fit starts them
        # afresh; partial_fit calls continue them, one epoch per call.
        self.done = len(estimator.loss_curve_) if incremental else 0
        horizon = estimator.schedule_epochs or estimator.max_iter
        cosine = estimator.learning_rate == "cosine"
        if cosine and not incremental and horizon < estimator.max_iter:
            warnings.warn(
                f"learning_rate='cosine' reaches 0 after schedule_epochs={horizon} "
                f"epochs, and max_iter={estimator.max_iter}: the epochs after the "
                f"first {horizon} do not train the weights. Set schedule_epochs to "
                "max_iter (or leave it None).",
                UserWarning,
            )
        if cosine and self.done >= horizon:
            warnings.warn(
                "learning_rate='cosine' has run its whole schedule, "
                f"schedule_epochs={horizon} epochs (one per partial_fit call): "
                "this call's learning rate is 0, so it does not train the weights. "
                "Set schedule_epochs to the number of partial_fit calls planned "
                "(with fit_blocks, epochs times the number of blocks).",
                UserWarning,
            )
        self.rng = estimator._random_state
        # scikit-learn's order: each epoch permutes the previous epoch's order.
        self.order = np.arange(self.n_samples)
        self.validation = fitting.validation
        self.history = estimator._history()
        self.stopping = estimator._stopping()
        self.hooks = _EpochHooks(estimator, fitting, self.validated)

    @property
    def validated(self):
        return self.validation is not None

    def _train_epoch(self, i):
        n = self.n_samples
        if self.estimator.shuffle:
            self.order = self.order[self.rng.permutation(n)]
        loss = self.trainer.epoch(
            self.X,
            self.Y,
            self.sample_weight,
            batch_size=self.batch_size,
            order=self.order if self.estimator.shuffle else None,
            rng=self.rng,
            done=self.done + self.history.n_iter,
        )
        return loss, n

    def _evaluate(self):
        return self.estimator._evaluate(self.validation)

    def run(self, n_epochs):
        """Train up to ``n_epochs`` more epochs; return the History."""
        return run_epochs(
            self._train_epoch,
            history=self.history,
            stopping=self.stopping,
            max_epochs=n_epochs,
            evaluate=self._evaluate if self.validated else None,
            snapshot=self.estimator._snapshot_weights,
            optimizer=self.trainer.optimizer,
            hooks=self.hooks,
            verbose=self.estimator.verbose,
        )

    def snapshot(self):
        """Everything that the epochs after now change: the packed weights, the
        optimizer's state, the random stream, the rows' order and the
        History."""
        return {
            "params": self.trainer.params.copy(),
            "optimizer": copy.deepcopy(vars(self.trainer.optimizer)),
            "rng": self.rng.get_state(),
            "order": self.order.copy(),
            # The History's lists only grow by appending: their length is
            # enough to bring them back (as in the fit transaction).
            "history": replace(self.history),
            "epochs": len(self.history.loss),
        }

    def restore(self, snapshot):
        """Bring back the state of a ``snapshot()`` (in place: the estimator's
        weights stay the trainer's views)."""
        self.trainer.params[...] = snapshot["params"]
        vars(self.trainer.optimizer).update(copy.deepcopy(snapshot["optimizer"]))
        self.rng.set_state(snapshot["rng"])
        self.order = snapshot["order"].copy()
        history = snapshot["history"]
        for values in (history.loss, history.validation_score, history.validation_loss):
            if values is not None:
                del values[snapshot["epochs"] :]
        self.history = replace(history)


class SolverMixin:
    """The fit loops of BaseDropoutMLP: ``_fit_stochastic`` (the engine's epoch
    loop) and ``_fit_lbfgs`` train the network the estimator has initialized."""

    def _make_optimizer(self, size, dtype):
        arguments = OPTIMIZER_PARAMETERS[self.solver]
        return OPTIMIZERS[self.solver](
            size,
            dtype,
            **{name: getattr(self, param) for name, param in arguments.items()},
        )

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than "
                "sample size. It is going to be clipped"
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _make_trainer(self, batch_size, continuing):
        """The engine's trainer on the current weights; it continues the
        optimizer of an earlier call if ``continuing``."""
        rates, input_rate, noise = self._noise_spec
        lr_schedule = LR_SCHEDULES.get(self.learning_rate)
        if self.learning_rate_warmup:
            lr_schedule = with_warmup(
                lr_schedule or constant, self.learning_rate_warmup
            )
        dropout_schedule = None
        if self.dropout_schedule != "constant":
            dropout_schedule = DROPOUT_SCHEDULES[self.dropout_schedule]
        return Trainer(
            self.coefs_,
            self.intercepts_,
            (lambda size, dtype: _writeable(self._optimizer))
            if continuing
            else self._make_optimizer,
            n_rows=batch_size,
            activation=self.activation,
            loss=self._loss,
            rates=rates,
            input_rate=input_rate,
            noise=noise,
            alpha=self.alpha,
            max_norm=self.max_norm,
            weight_decay=self.weight_decay,
            horizon=self.schedule_epochs or self.max_iter,
            lr_schedule=lr_schedule,
            dropout_schedule=dropout_schedule,
        )

    def _stopping(self):
        """The policy: scikit-learn's rule on the validation score (or loss) with
        early stopping, else on the training loss, which with dropout is the
        mean over the last ``n_iter_no_change`` epochs (see ``Stopping``)."""
        rates, input_rate, _ = self._noise_spec
        window = None
        if (any(rates) or input_rate) and np.isfinite(self.n_iter_no_change):
            window = int(self.n_iter_no_change)
        return Stopping(
            "validation" if self.early_stopping else "training",
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            metric=self.early_stopping_metric,
            window=window,
        )

    def _history(self):
        """The epochs so far, from the fitted attributes (sharing their lists);
        with early stopping, the weights as they are stand for the best until
        an epoch beats them."""
        if self._best_weights is None and self.early_stopping:
            self._best_weights = self._snapshot_weights()
        return History(
            loss=self.loss_curve_,
            validation_score=self.validation_scores_,
            validation_loss=self.validation_loss_curve_,
            best_validation_score=self.best_validation_score_,
            best_loss=self.best_loss_,
            no_improvement_count=self._no_improvement_count,
            best_weights=self._best_weights,
            n_samples_seen=self.t_,
        )

    def _assign_history(self, history):
        """The fitted attributes of the epochs, from what the loop returned."""
        self.loss_curve_ = history.loss
        self.validation_scores_ = history.validation_score
        self.validation_loss_curve_ = history.validation_loss
        self.best_validation_score_ = history.best_validation_score
        self.best_loss_ = history.best_loss
        self._no_improvement_count = history.no_improvement_count
        self._best_weights = history.best_weights
        self.n_iter_ = history.n_iter
        self.t_ = history.n_samples_seen
        if history.n_iter:
            self.loss_ = history.loss[-1]

    def _fit_stochastic(self, fitting):
        """The epochs of a stochastic fit, and their fitted attributes."""
        epochs = EpochRun(self, fitting)
        try:
            epochs.run(1 if fitting.incremental else self.max_iter)
            interrupted = False
        except KeyboardInterrupt:
            if _INTERRUPTS_PROPAGATE.get():
                raise
            interrupted = True
        self._assign_history(epochs.history)
        self._after_epochs(epochs.history, fitting.incremental, interrupted)

    def _after_epochs(self, history, incremental, interrupted):
        """Errors and warnings of how the epochs ended; early stopping's best
        weights restored."""
        if interrupted:
            warnings.warn("Training interrupted by user.")
        elif history.stopped == "diverged" and not self.early_stopping:
            raise ValueError(
                f"{NON_FINITE_MESSAGE} The training loss became "
                f"{history.loss[-1]} at epoch {history.n_iter}; the model was left "
                f"as it was before this call. {self._divergence_advice()}"
            )
        elif history.stopped == "diverged":
            warnings.warn(
                f"Training diverged: the loss became {history.loss[-1]} at epoch "
                f"{history.n_iter}. Training stopped there and kept the "
                "weights of the epoch with the best validation score "
                f"({history.best_validation_score}). " + self._divergence_advice(),
                ConvergenceWarning,
            )
        elif history.stopped is None and not incremental:
            warnings.warn(
                "Stochastic Optimizer: Maximum iterations (%d) "
                "reached and the optimization hasn't converged yet." % self.max_iter,
                ConvergenceWarning,
            )
        if self.early_stopping:
            # Copies: a later warm-started fit trains coefs_ in place and must
            # not overwrite the best weights kept in _best_weights.
            self._restore_weights(self._best_weights)

    def _divergence_advice(self):
        return (
            "Scale the input data (for example with StandardScaler) or lower "
            f"learning_rate_init (now {self.learning_rate_init})."
        )

    def _evaluate(self, validation):
        """Validation score and loss (no dropout, no L2 term) of the current
        weights; NaN where the output is not finite."""
        X_val, Y_val, y_val, sw_val = validation
        output = self._predict_output(X_val)
        if not np.isfinite(output).all():
            return np.nan, np.nan
        score = self._score_predictions(y_val, self._decode(output), sw_val)
        return score, LOSSES[self._loss](Y_val, output, sw_val)

    def _fit_lbfgs(self, X, Y, sample_weight, callbacks):
        def objective(coefs, intercepts):
            loss, coef_grads, intercept_grads, _ = loss_and_grads(
                X,
                Y,
                coefs,
                intercepts,
                self.activation,
                self._loss,
                alpha=self.alpha,
                sample_weight=sample_weight,
            )
            return loss, coef_grads, intercept_grads

        # Each L-BFGS iteration is a callback subtask, as in LogisticRegression:
        # scipy reports the end of an iteration, which is the next one's start.
        state = {"iteration": 0, "time": time.perf_counter()}
        state["task"] = callbacks.subcontext(task_name="iteration")
        state["task"].call_on_fit_task_begin(estimator=self)

        def report(loss, coefs, intercepts):
            state["iteration"] += 1
            if self.verbose:
                now = time.perf_counter()
                print(
                    "Iteration %d, loss = %.8f, time = %.2fs"
                    % (state["iteration"], loss, now - state["time"])
                )
                state["time"] = now
            state["task"].call_on_fit_task_end(
                estimator=self,
                reconstruction_attributes=lambda: {
                    "coefs_": coefs,
                    "intercepts_": intercepts,
                    "n_iter_": state["iteration"],
                },
            )
            state["task"] = callbacks.subcontext(task_name="iteration")
            state["task"].call_on_fit_task_begin(estimator=self)

        self.coefs_, self.intercepts_, result = minimize_lbfgs(
            self.coefs_,
            self.intercepts_,
            objective,
            max_iter=self.max_iter,
            max_fun=self.max_fun,
            tol=self.tol,
            report=report,
        )
        state["task"].call_on_fit_task_end(estimator=self)  # the one never run
        if not np.isfinite(result.fun):
            raise ValueError(
                f"{NON_FINITE_MESSAGE} The L-BFGS objective (the loss and its L2 "
                f"term) is {result.fun}; the model was left as it was before this "
                f"call. Scale the input data, or lower alpha (now {self.alpha})."
            )
        if result.status != 0:
            warnings.warn(
                f"lbfgs failed to converge after {result.nit} iteration(s) "
                f"(status={result.status}):\n{result.message}\n\nIncrease the "
                f"number of iterations (max_iter={self.max_iter}) or max_fun "
                f"(max_fun={self.max_fun}), or scale the data.",
                ConvergenceWarning,
            )
        self.n_iter_ = min(result.nit, self.max_iter)
        self.loss_ = float(result.fun)
