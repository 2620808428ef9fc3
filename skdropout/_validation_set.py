"""The validation set of a fit: the one the caller passes (``X_val``, ``y_val``,
``sample_weight_val``), checked, or the ``validation_fraction`` that early
stopping holds out of the training data, as scikit-learn's MLP does."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import is_classifier
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import _check_sample_weight, check_array, validate_data


def _check_positive_sum(weights, name):
    if not weights.sum() > 0:
        raise ValueError(
            f"{name} are all zero: a validation set needs some weight. Pass "
            "X_val with positive weights or change validation_fraction."
        )


class ValidationSetMixin:
    """The validation set of BaseDropoutMLP's fits: ``_validation_data`` and
    ``_split_validation``."""

    def _validation_data(self, X_val, y_val, sample_weight_val, X, Y):
        """Validate a user-supplied validation set; None when there is none."""
        if X_val is None and y_val is None:
            if sample_weight_val is not None:
                raise ValueError(
                    "sample_weight_val is provided, but X_val and y_val were not."
                )
            return None
        if y_val is None:
            raise ValueError("X_val is provided, but y_val was not provided.")
        if X_val is None:
            raise ValueError("y_val is provided, but X_val was not provided.")
        # The fit's feature names and count, then X_val's own errors by name.
        validate_data(self, X_val, skip_check_array=True, reset=False)
        X_val = check_array(
            X_val,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            input_name="X_val",
            estimator=self,
            ensure_min_samples=0,
        )
        if X_val.shape[0] == 0:
            raise ValueError(
                "X_val has no rows: pass a validation set of at least one row, or none."
            )
        if (
            X_val.shape[0] == 1
            and not is_classifier(self)
            and self.early_stopping_metric == "score"
        ):
            raise ValueError(
                "X_val has one row, on which the validation score (R^2, "
                "early_stopping_metric='score') is undefined: pass at least two "
                "rows, or early_stopping_metric='loss'."
            )
        y_user, Y_enc = self._validate_val_targets(y_val)
        if X_val.shape[0] != Y_enc.shape[0]:
            raise ValueError(
                f"X_val and y_val have inconsistent numbers of samples: "
                f"{X_val.shape[0]} and {Y_enc.shape[0]}."
            )
        if Y_enc.shape[1] != Y.shape[1]:
            raise ValueError(
                f"y_val has {Y_enc.shape[1]} output(s), y has {Y.shape[1]}."
            )
        if sample_weight_val is not None:
            sample_weight_val = _check_sample_weight(
                sample_weight_val, X_val, ensure_non_negative=True
            )
            _check_positive_sum(sample_weight_val, "The weights sample_weight_val")
        X_val = X_val.astype(X.dtype, copy=False)
        return X_val, Y_enc.astype(X.dtype, copy=False), y_user, sample_weight_val

    def _split_validation(self, X, Y, sample_weight):
        """Hold out ``validation_fraction`` of the data, as scikit-learn's MLP does."""
        if self.validation_fraction == 0:
            raise ValueError(
                "early_stopping=True needs a validation set: set "
                "validation_fraction > 0 or pass X_val and y_val to fit."
            )
        # scikit-learn stratifies only single-output classification, on y encoded
        # as bool: the same split, and the same error naming the same classes when
        # one has too few members.
        stratify = Y.astype(bool) if is_classifier(self) and Y.shape[1] == 1 else None
        arrays = (X, Y) if sample_weight is None else (X, Y, sample_weight)
        parts = train_test_split(
            *arrays,
            random_state=self._random_state,
            test_size=self.validation_fraction,
            stratify=stratify,
        )
        X_train, X_val, Y_train, Y_val = parts[:4]
        sw_train, sw_val = parts[4:] if sample_weight is not None else (None, None)
        if sw_val is not None:
            _check_positive_sum(sw_val, "The sample weights of the validation split")
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        validation = (X_val, Y_val, self._decode(Y_val), sw_val)
        return X_train, Y_train, sw_train, validation
