"""Prediction from a fitted network: validation of X, outputs in row chunks, the
decoded predictions, Monte Carlo dropout passes and the held-out loss. A mixin of
``BaseDropoutMLP``; the maths is ``_network``'s."""

# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from skdropout._dropout import draw_masks
from skdropout._losses import LOSSES
from skdropout._network import predict_raw, sample_outputs

# Rows per chunk at prediction time are chosen so that one layer's activations of a
# chunk hold about this many values: memory does not grow with n_samples.
_PREDICT_CHUNK_VALUES = 2**21


def _not_finite_rows(output, allow_inf=False):
    """The rows of a network's output that hold NaN (or an infinity)."""
    bad = np.isnan(output) if allow_inf else ~np.isfinite(output)
    return np.flatnonzero(bad.reshape(len(output), -1).any(axis=1))


def _warn_not_finite(rows):
    """Warn, as NumPy's overflow warnings would, where the network overflowed
    on some rows (the forward pass ignores the overflows of its activations,
    which mostly reach finite limits)."""
    if len(rows):
        warnings.warn(
            f"The network's output is not finite on {len(rows)} row(s) of X (the "
            f"first at row {rows[0]}): their values are too large for the network. "
            "Scale X as the training data was scaled.",
            RuntimeWarning,
            stacklevel=4,  # the caller of predict or predict_proba
        )


class PredictionMixin:
    """What a fitted network computes without training (no state of its own)."""

    def _validate_X(self, X):
        return validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=False,
        )

    def _predict_output(self, X, logits=False):
        """The network's output on validated X, without dropout, in row chunks."""
        widest = max(c.shape[1] for c in self.coefs_)
        return predict_raw(
            X,
            self.coefs_,
            self.intercepts_,
            self.activation,
            None if logits else self.out_activation_,
            chunk_size=max(1, _PREDICT_CHUNK_VALUES // widest),
        )

    def _predict_decoded(self, X):
        """Predictions in the user's space, decoded chunk by chunk into one array,
        so that no array of network outputs for all rows is ever held."""
        check_is_fitted(self)
        X = self._validate_X(X)
        rows = max(1, _PREDICT_CHUNK_VALUES // max(c.shape[1] for c in self.coefs_))
        out, bad = None, []
        with np.errstate(over="ignore"):
            for start in range(0, X.shape[0], rows):
                output = self._predict_output(X[start : start + rows])
                bad.append(start + _not_finite_rows(output))
                chunk = self._decode(output)
                if out is None:
                    out = np.empty((X.shape[0], *chunk.shape[1:]), dtype=chunk.dtype)
                out[start : start + rows] = chunk
        _warn_not_finite(np.concatenate(bad) if bad else np.empty(0, dtype=int))
        return out

    def _forward(self, X, logits=False):
        check_is_fitted(self)
        X = self._validate_X(X)
        with np.errstate(over="ignore"):
            output = self._predict_output(X, logits)
        # Infinite logits are the limits of certain probabilities; NaN is not.
        _warn_not_finite(_not_finite_rows(output, allow_inf=logits))
        return output

    def _held_out_loss(self, X, y, sample_weight=None):
        """The loss of the network (no dropout, no L2 term) on held-out data,
        the CV estimators' default score (negated)."""
        output = self._forward(X)
        return LOSSES[self._loss](self._encode(y), output, sample_weight)

    def _sample_outputs(self, X, n_passes, random_state):
        """Monte Carlo dropout on validated X: (n_passes, n_samples, n_outputs)."""
        name = "n_passes"
        if n_passes is None:
            n_passes, name = self.mc_passes, "mc_passes"
        if isinstance(n_passes, bool) or not (
            isinstance(n_passes, Integral) and n_passes >= 1
        ):
            raise ValueError(f"{name} must be a positive integer, got {n_passes!r}.")
        rates, input_rate, noise = self._noise_spec
        layer_units = [self.coefs_[0].shape[0]] + [c.shape[1] for c in self.coefs_]
        # A generator of its own: sampling never touches the training stream, so
        # it is reproducible and safe to call from several threads at once.
        rng = check_random_state(random_state)

        def masks_for(X_chunk):
            return draw_masks(
                rng,
                X_chunk.shape[0],
                layer_units,
                rates,
                input_rate,
                X_chunk.dtype,
                X=X_chunk if sp.issparse(X_chunk) else None,
                noise=noise,
            )

        widest = max(c.shape[1] for c in self.coefs_)
        with np.errstate(over="ignore", invalid="ignore"):
            samples = sample_outputs(
                X,
                self.coefs_,
                self.intercepts_,
                self.activation,
                self.out_activation_,
                draw_masks=masks_for,
                n_passes=n_passes,
                chunk_size=max(1, _PREDICT_CHUNK_VALUES // widest),
            )
        if not np.isfinite(samples).all():
            raise ValueError(
                "A Monte Carlo dropout pass overflowed on X (its values are too "
                "large for the network): scale X as the training data was scaled."
            )
        return samples
