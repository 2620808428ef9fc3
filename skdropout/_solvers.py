"""The solvers' loops: the epochs of minibatch training (sgd, adam), with early
stopping and the validation curves, and the L-BFGS run. Orchestration only: the
estimator's parameters become the engine's explicit inputs (``_engine``), and what
the engine returns becomes fitted attributes; L-BFGS's numbers come from
``_network`` and ``_lbfgs``."""

# SPDX-License-Identifier: BSD-3-Clause

import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from skdropout._engine import StoppingRule, Trainer
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


class SolverMixin:
    """The fit loops of BaseDropoutMLP: ``_fit_stochastic`` and ``_fit_lbfgs``
    train the network the estimator has initialized."""

    def _make_optimizer(self, size, dtype):
        if self.solver == "sgd":
            return OPTIMIZERS["sgd"](
                size,
                dtype,
                self.learning_rate_init,
                self.learning_rate,
                self.momentum,
                self.nesterovs_momentum,
                self.power_t,
            )
        return OPTIMIZERS["adam"](
            size, dtype, self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon
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

    def _fit_stochastic(self, X, Y, sample_weight, validation, incremental, callbacks):
        if sp.issparse(X):
            X = X.tocsr()  # row slicing of minibatches
        n_samples = X.shape[0]
        batch_size = self._batch_size(n_samples)
        continuing = incremental and hasattr(self, "_optimizer")
        rates, input_rate, noise = self._noise_spec
        lr_schedule = LR_SCHEDULES.get(self.learning_rate)
        if self.learning_rate_warmup:
            lr_schedule = with_warmup(
                lr_schedule or constant, self.learning_rate_warmup
            )
        dropout_schedule = None
        if self.dropout_schedule != "constant":
            dropout_schedule = DROPOUT_SCHEDULES[self.dropout_schedule]
        trainer = Trainer(
            self.coefs_, self.intercepts_,
            (lambda size, dtype: self._optimizer) if continuing
            else self._make_optimizer,
            batch_size, self.activation, self._loss, rates, input_rate, noise,
            self.alpha, self.max_norm, self.weight_decay,
            self.schedule_epochs or self.max_iter, lr_schedule, dropout_schedule,
        )  # fmt: skip
        # Epochs of the schedules done before this call: a fit starts them
        # afresh; partial_fit calls continue them, one epoch per call.
        done = len(self.loss_curve_) if incremental else 0
        # The estimator's parameters are the trainer's packed ones from here on.
        self.coefs_, self.intercepts_ = trainer.coefs, trainer.intercepts
        self._optimizer = trainer.optimizer
        if validation is not None and self.validation_scores_ is None:
            # One entry per epoch of loss_curve_: NaN where there was no
            # validation set (earlier warm-started or partial fits).
            self.validation_scores_ = [np.nan] * len(self.loss_curve_)
            self.validation_loss_curve_ = [np.nan] * len(self.loss_curve_)
            self.best_validation_score_ = -np.inf
        # The rule's best so far: a validation score, or a loss, negated.
        best = self.best_validation_score_ if self.early_stopping else -self.best_loss_
        rule = StoppingRule(self.tol, self.n_iter_no_change, best,
                            self._no_improvement_count)  # fmt: skip

        rng = self._random_state
        sample_idx = np.arange(n_samples)
        try:
            self.n_iter_ = 0
            for _ in range(self.max_iter):
                epoch = callbacks.subcontext(task_name="epoch")
                epoch.call_on_fit_task_begin(estimator=self)
                start_time = time.perf_counter()
                order = None
                if self.shuffle:
                    order = sample_idx = sample_idx[rng.permutation(n_samples)]
                self.loss_ = trainer.epoch(
                    X, Y, sample_weight, batch_size, order, rng, done + self.n_iter_
                )
                self.n_iter_ += 1
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                diverged = not np.isfinite(self.loss_)
                if diverged and not self.early_stopping:
                    raise ValueError(
                        f"{NON_FINITE_MESSAGE} The training loss became "
                        f"{self.loss_} at epoch {self.n_iter_}; the model was left "
                        f"as it was before this call. {self._divergence_advice()}"
                    )
                if validation is not None:
                    self._record_validation(validation, diverged)
                elif self.validation_scores_ is not None:
                    self.validation_scores_.append(np.nan)
                    self.validation_loss_curve_.append(np.nan)
                if self.verbose:
                    self._print_epoch(time.perf_counter() - start_time, validation)
                self._observe(rule, validation is not None)
                if diverged:
                    warnings.warn(
                        f"Training diverged: the loss became {self.loss_} at epoch "
                        f"{self.n_iter_}. Training stopped there and kept the "
                        "weights of the epoch with the best validation score "
                        f"({self.best_validation_score_}). "
                        + self._divergence_advice(),
                        ConvergenceWarning,
                    )
                    break
                stop = epoch.call_on_fit_task_end(
                    estimator=self, reconstruction_attributes=self._reconstruction
                )

                self._optimizer.iteration_ends(self.t_)
                if stop:
                    break
                if rule.exhausted:
                    if self.early_stopping:
                        msg = (
                            "Validation score did not improve more than "
                            "tol=%f for %d consecutive epochs."
                            % (self.tol, self.n_iter_no_change)
                        )
                    else:
                        msg = (
                            "Training loss did not improve more than tol=%f"
                            " for %d consecutive epochs."
                            % (self.tol, self.n_iter_no_change)
                        )
                    if self._optimizer.trigger_stopping(msg, self.verbose):
                        break
                    rule.count = self._no_improvement_count = 0

                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        "Stochastic Optimizer: Maximum iterations (%d) "
                        "reached and the optimization hasn't converged yet."
                        % self.max_iter,
                        ConvergenceWarning,
                    )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")

        if self.early_stopping:
            # Copies: a later warm-started fit trains coefs_ in place and must
            # not overwrite the best weights kept in _best_weights.
            self._restore_weights(self._best_weights)

    def _divergence_advice(self):
        return (
            "Scale the input data (for example with StandardScaler) or lower "
            f"learning_rate_init (now {self.learning_rate_init})."
        )

    def _observe(self, rule, validated):
        """scikit-learn's rule, on the validation score with early stopping, else
        on the training loss; a new best validation score keeps its weights."""
        if validated:
            score = self.validation_scores_[-1]
            if self.early_stopping_metric == "loss":
                score = -self.validation_loss_curve_[-1]
            if self.early_stopping:
                if rule.observe(score):
                    self._best_weights = self._snapshot_weights()
                self.best_validation_score_ = rule.best
            elif score > self.best_validation_score_:
                self.best_validation_score_ = score
        if not self.early_stopping:
            rule.observe(-self._watched_loss())
            self.best_loss_ = -rule.best
        self._no_improvement_count = rule.count

    def _watched_loss(self):
        """The training loss the stopping rule watches: the last epoch's, or,
        when training is noisy (dropout), the mean over the last
        ``n_iter_no_change`` epochs. A noisy loss's running minimum is set by
        lucky epochs, which later ones rarely beat by ``tol`` even while the
        loss still falls: the rule would stop too soon."""
        rates, input_rate, _ = self._noise_spec
        window = self.n_iter_no_change
        if not (any(rates) or input_rate) or not np.isfinite(window):
            return self.loss_curve_[-1]
        return float(np.mean(self.loss_curve_[-int(window) :]))

    def _print_epoch(self, seconds, validation):
        """One line per epoch; it starts as scikit-learn's MLP's lines do."""
        line = "Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_)
        if validation is not None:
            line += ", validation loss = %.8f, validation score = %.6f" % (
                self.validation_loss_curve_[-1],
                self.validation_scores_[-1],
            )
        print(line + ", time = %.2fs" % seconds)

    def _record_validation(self, validation, diverged=False):
        """Validation loss (no dropout, no L2 term) and score after an epoch; NaN
        after an epoch whose training loss diverged."""
        X_val, Y_val, y_val, sw_val = validation
        output = None if diverged else self._predict_output(X_val)
        if output is not None and np.isfinite(output).all():
            score = self._score_predictions(y_val, self._decode(output), sw_val)
            loss = LOSSES[self._loss](Y_val, output, sw_val)
        else:
            score = loss = np.nan
        self.validation_scores_.append(score)
        self.validation_loss_curve_.append(loss)

    def _fit_lbfgs(self, X, Y, sample_weight, callbacks):
        def objective(coefs, intercepts):
            loss, coef_grads, intercept_grads, _ = loss_and_grads(
                X, Y, coefs, intercepts, self.activation, self._loss, self.alpha,
                sample_weight,
            )  # fmt: skip
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
                    "coefs_": coefs, "intercepts_": intercepts,
                },
            )  # fmt: skip
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
