"""The solvers' loops: the epochs of minibatch training (sgd, adam), with early
stopping and the validation curves, and the L-BFGS run. Orchestration only: each
minibatch's numbers come from ``_step`` and ``_optimizers``, L-BFGS's from
``_network`` and ``_lbfgs``."""

# SPDX-License-Identifier: BSD-3-Clause

import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import gen_batches

from skdropout._blockwise import BlockRunner, is_packed, packed
from skdropout._lbfgs import minimize_lbfgs
from skdropout._losses import LOSSES
from skdropout._network import apply_max_norm, loss_and_grads
from skdropout._optimizers import SGD, Adam
from skdropout._step import Workspace, train_step


class SolverMixin:
    """The fit loops of BaseDropoutMLP: ``_fit_stochastic`` and ``_fit_lbfgs``
    train the network the estimator has initialized, in place."""

    def _make_optimizer(self, params):
        if self.solver == "sgd":
            return SGD(
                params,
                self.learning_rate_init,
                self.learning_rate,
                self.momentum,
                self.nesterovs_momentum,
                self.power_t,
            )
        return Adam(
            params, self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon
        )

    def _fit_stochastic(
        self, X, Y, sample_weight, validation, layer_units, incremental, callbacks
    ):
        params = self.coefs_ + self.intercepts_
        if not is_packed(params):
            # One buffer for all parameters (copied once per fit, or not at all
            # when the last fit left them so), so that each step updates all
            # weights as one array and all intercepts as another.
            params = packed(params)
            self.coefs_ = params[: len(self.coefs_)]
            self.intercepts_ = params[len(self.coefs_) :]
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer(params)
        if validation is not None and self.validation_scores_ is None:
            # One entry per epoch of loss_curve_: NaN where there was no
            # validation set (earlier warm-started or partial fits).
            self.validation_scores_ = [np.nan] * len(self.loss_curve_)
            self.validation_loss_curve_ = [np.nan] * len(self.loss_curve_)
            self.best_validation_score_ = -np.inf
        if sp.issparse(X):
            X = X.tocsr()  # row slicing of minibatches

        n_samples = X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than "
                    "sample size. It is going to be clipped"
                )
            batch_size = int(np.clip(self.batch_size, 1, n_samples))

        rng = self._random_state
        rates, input_rate, noise = self._noise_spec
        hidden_coefs = self.coefs_[:-1]  # max_norm bounds hidden units only
        ws = Workspace(layer_units, batch_size, X.dtype, rates, input_rate)
        grads = ws.coef_grads + ws.intercept_grads
        # The L2 penalty decays the weights, not the intercepts.
        decay = [self.alpha] * len(self.coefs_) + [0.0] * len(self.intercepts_)
        plan = self._optimizer.plan(params, grads, decay)
        sample_idx = np.arange(n_samples)
        runner = BlockRunner()
        try:
            self.n_iter_ = 0
            for _ in range(self.max_iter):
                epoch = callbacks.subcontext(task_name="epoch")
                epoch.call_on_fit_task_begin(estimator=self)
                start_time = time.perf_counter()
                if self.shuffle:
                    sample_idx = sample_idx[rng.permutation(n_samples)]
                accumulated_loss = 0.0
                for batch in gen_batches(n_samples, batch_size):
                    idx = sample_idx[batch] if self.shuffle else batch
                    sw_batch = None if sample_weight is None else sample_weight[idx]
                    if sw_batch is not None and not sw_batch.sum() > 0:
                        continue  # all weights zero: nothing to learn from
                    X_batch, Y_batch = ws.gather(X, Y, idx)
                    batch_loss, sw_sum = train_step(
                        ws,
                        X_batch,
                        Y_batch,
                        sw_batch,
                        self.coefs_,
                        self.intercepts_,
                        self.activation,
                        self._loss,
                        rng,
                        rates,
                        input_rate,
                        noise,
                    )
                    sq_norm = self._optimizer.step(plan, runner, divisor=sw_sum)
                    # scikit-learn's L2 term, on the weights the minibatch saw.
                    batch_loss += (0.5 * self.alpha) * sq_norm / sw_sum
                    accumulated_loss += batch_loss * X_batch.shape[0]
                    if self.max_norm is not None:
                        apply_max_norm(hidden_coefs, self.max_norm)

                self.n_iter_ += 1
                self.loss_ = accumulated_loss / n_samples
                if not np.isfinite(self.loss_):
                    raise ValueError(
                        f"Training diverged: the loss became {self.loss_} at epoch "
                        f"{self.n_iter_}. The model was left as it was before this "
                        "call. Scale the input data (for example with "
                        "StandardScaler) or lower learning_rate_init "
                        f"(now {self.learning_rate_init})."
                    )
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                if validation is not None:
                    self._record_validation(validation)
                elif self.validation_scores_ is not None:
                    self.validation_scores_.append(np.nan)
                    self.validation_loss_curve_.append(np.nan)
                if self.verbose:
                    self._print_epoch(time.perf_counter() - start_time, validation)
                self._update_no_improvement_count(validation is not None)
                stop = epoch.call_on_fit_task_end(
                    estimator=self, reconstruction_attributes=self._snapshot_weights
                )

                self._optimizer.iteration_ends(self.t_)
                if stop:
                    break
                if self._no_improvement_count > self.n_iter_no_change:
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
                    self._no_improvement_count = 0

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
            # Copies: a later warm-started fit updates coefs_ in place and must
            # not overwrite the best weights kept in _best_coefs.
            self.coefs_ = [c.copy() for c in self._best_coefs]
            self.intercepts_ = [b.copy() for b in self._best_intercepts]

    def _print_epoch(self, seconds, validation):
        """One line per epoch; it starts as scikit-learn's MLP's lines do."""
        line = "Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_)
        if validation is not None:
            line += ", validation loss = %.8f, validation score = %.6f" % (
                self.validation_loss_curve_[-1],
                self.validation_scores_[-1],
            )
        print(line + ", time = %.2fs" % seconds)

    def _record_validation(self, validation):
        """Validation loss (no dropout, no L2 term) and score after an epoch."""
        X_val, Y_val, y_val, sw_val = validation
        output = self._predict_output(X_val)
        if np.isfinite(output).all():
            score = self._score_predictions(y_val, self._decode(output), sw_val)
            loss = LOSSES[self._loss](Y_val, output, sw_val)
        else:
            score = loss = np.nan
        self.validation_scores_.append(score)
        self.validation_loss_curve_.append(loss)

    def _update_no_improvement_count(self, validated):
        """scikit-learn's rule: count epochs that fail to improve on the best by
        tol, on the validation score with early stopping, else the training loss."""
        if validated:
            score = self.validation_scores_[-1]
            if self.early_stopping:
                if score < self.best_validation_score_ + self.tol:
                    self._no_improvement_count += 1
                else:
                    self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                if self.early_stopping:
                    self._best_coefs = [c.copy() for c in self.coefs_]
                    self._best_intercepts = [i.copy() for i in self.intercepts_]
        if not self.early_stopping:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

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
