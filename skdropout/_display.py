"""LossCurveDisplay: the training and validation loss per epoch of a fitted model."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils._plotting import _validate_style_kwargs
from sklearn.utils.validation import check_is_fitted

# The Axes label that marks the secondary axes holding validation scores, so that
# later displays drawn on the same axes find it and draw there instead of stacking
# a new twin.
_SCORE_AXES_LABEL = "skdropout validation score"


def _as_curve(values, name):
    """The per-epoch values as a 1-D float array, or None."""
    if values is None:
        return None
    curve = np.asarray(values, dtype=float)
    if curve.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D sequence of one value per epoch, got an array "
            f"of shape {curve.shape}."
        )
    return curve


def _epochs(curve):
    return np.arange(1, curve.shape[0] + 1)


def _find_score_axes(ax):
    """The score axes already twinned with ``ax`` by a display, or None."""
    for other in ax.figure.axes:
        if (
            other is not ax
            and other.get_label() == _SCORE_AXES_LABEL
            and ax.get_shared_x_axes().joined(ax, other)
        ):
            return other
    return None


class LossCurveDisplay:
    """Loss curve visualization: training and validation loss per epoch.

    It is recommended to use :meth:`LossCurveDisplay.from_estimator` to create a
    :class:`LossCurveDisplay`. All parameters are stored as attributes.

    Several displays can share one axes to compare models: each call to
    :meth:`plot` (or :meth:`from_estimator`) with the same ``ax`` adds its lines
    in the next colour of the axes' colour cycle, the training loss solid, the
    validation loss dashed and the validation score dotted, all in that colour.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss at each epoch, as in the estimator's ``loss_curve_``. With
        dropout it is the loss of the thinned networks sampled during the epoch,
        L2 penalty included.

    validation_loss_curve : array-like of shape (n_epochs,), default=None
        Validation loss at each epoch, computed without dropout and without the
        L2 penalty, as in the estimator's ``validation_loss_curve_``. None when
        the model had no validation set.

    validation_scores : array-like of shape (n_epochs,), default=None
        Validation score (accuracy for a classifier, R2 for a regressor) at each
        epoch, as in the estimator's ``validation_scores_``. None when the model
        had no validation set.

    estimator_name : str, default=None
        Name of the estimator, used as the prefix of the legend labels. If None,
        the labels have no prefix.

    Attributes
    ----------
    lines_ : dict
        The drawn lines, each a :class:`matplotlib.lines.Line2D` or None if not
        drawn: 'train' (training loss), 'validation' (validation loss) and
        'score' (validation score, on ``score_ax_``).

    ax_ : matplotlib Axes
        Axes holding the loss curves.

    score_ax_ : matplotlib Axes or None
        Secondary axes (sharing the x-axis of ``ax_``, with its y-axis on the
        right) holding the validation scores of every display drawn on ``ax_``.
        None if no display drawn on ``ax_`` has shown validation scores.

    figure_ : matplotlib Figure
        Figure containing the plot.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Score against the number of
        training samples.
    sklearn.model_selection.ValidationCurveDisplay : Score against the value of
        one hyper-parameter.

    Notes
    -----
    Each curve is drawn against epochs ``1, ..., len(curve)``. After a single
    ``fit`` all curves have ``n_iter_`` values; after ``partial_fit`` or a
    warm-started ``fit``, ``loss_curve_`` spans every call while ``n_iter_``
    counts only the last one.

    The training loss is measured with dropout on and includes the L2 penalty;
    the validation loss has neither. With strong dropout the validation loss can
    therefore lie below the training loss without anything being wrong.

    The legend, which lists the lines of every display drawn on the axes, is
    placed on ``score_ax_`` when it exists (so that no line is drawn over it),
    otherwise on ``ax_``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import make_classification
    >>> from skdropout import DropoutMLPClassifier
    >>> from skdropout import LossCurveDisplay
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> clf = DropoutMLPClassifier(
    ...     hidden_layer_sizes=(16,), early_stopping=True, n_iter_no_change=50,
    ...     max_iter=30, random_state=0,
    ... ).fit(X, y)
    >>> display = LossCurveDisplay.from_estimator(clf, show_validation_score=True)
    >>> display.lines_["validation"].get_linestyle()
    '--'
    >>> for text in display.score_ax_.get_legend().get_texts():
    ...     print(text.get_text())
    DropoutMLPClassifier train loss
    DropoutMLPClassifier validation loss
    DropoutMLPClassifier validation score
    >>> plt.close("all")
    """

    def __init__(
        self,
        *,
        loss_curve,
        validation_loss_curve=None,
        validation_scores=None,
        estimator_name=None,
    ):
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.validation_scores = validation_scores
        self.estimator_name = estimator_name

    def plot(
        self,
        ax=None,
        *,
        name=None,
        show_validation_score=False,
        train_kw=None,
        validation_kw=None,
        score_kw=None,
    ):
        """Plot visualization.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on. If None, a new figure and axes are created. Pass the
            ``ax_`` of an earlier display to compare models on one plot.

        name : str, default=None
            Prefix of the legend labels. If None, ``estimator_name`` is used; if
            that is None too, the labels have no prefix.

        show_validation_score : bool, default=False
            Whether to draw ``validation_scores`` on a secondary y-axis on the
            right, labelled 'validation score'. The secondary axes is created on
            the first such call for ``ax`` and reused by later ones.

        train_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for the
            training loss line; they override the defaults.

        validation_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for the
            validation loss line. By default it takes the colour of the training
            line and a dashed line style.

        score_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for the
            validation score line. By default it takes the colour of the training
            line and a dotted line style.

        Returns
        -------
        display : LossCurveDisplay
            Object that stores the computed values.
        """
        check_matplotlib_support(f"{self.__class__.__name__}.plot")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        loss_curve = _as_curve(self.loss_curve, "loss_curve")
        validation_loss_curve = _as_curve(
            self.validation_loss_curve, "validation_loss_curve"
        )
        validation_scores = _as_curve(self.validation_scores, "validation_scores")
        if show_validation_score and validation_scores is None:
            raise ValueError(
                "show_validation_score=True needs validation scores, but "
                "validation_scores is None. Fit the estimator with "
                "early_stopping=True or pass X_val and y_val to fit."
            )

        if ax is None:
            _, ax = plt.subplots()
        name = self.estimator_name if name is None else name
        prefix = "" if name is None else f"{name} "

        train_kw = _validate_style_kwargs(
            {"label": f"{prefix}train loss"}, train_kw or {}
        )
        (train_line,) = ax.plot(_epochs(loss_curve), loss_curve, **train_kw)
        # Same colour for all lines of one model, so that models are told apart
        # by colour and curves by line style.
        color = train_line.get_color()

        validation_line = None
        if validation_loss_curve is not None:
            default = {
                "color": color,
                "linestyle": "--",
                "label": f"{prefix}validation loss",
            }
            validation_kw = _validate_style_kwargs(default, validation_kw or {})
            (validation_line,) = ax.plot(
                _epochs(validation_loss_curve), validation_loss_curve, **validation_kw
            )

        score_ax = _find_score_axes(ax)
        score_line = None
        if show_validation_score:
            if score_ax is None:
                score_ax = ax.twinx()
                score_ax.set_label(_SCORE_AXES_LABEL)
                score_ax.set_ylabel("validation score")
            default = {
                "color": color,
                "linestyle": ":",
                "label": f"{prefix}validation score",
            }
            score_kw = _validate_style_kwargs(default, score_kw or {})
            (score_line,) = score_ax.plot(
                _epochs(validation_scores), validation_scores, **score_kw
            )

        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))

        # One legend for both y-axes, on the axes drawn last (the score axes if
        # any) so that no line is drawn over it.
        handles, labels = ax.get_legend_handles_labels()
        if score_ax is not None:
            score_handles, score_labels = score_ax.get_legend_handles_labels()
            handles, labels = handles + score_handles, labels + score_labels
            if ax.get_legend() is not None:
                ax.get_legend().remove()
            score_ax.legend(handles, labels)
        else:
            ax.legend(handles, labels)

        self.lines_ = {
            "train": train_line,
            "validation": validation_line,
            "score": score_line,
        }
        self.ax_ = ax
        self.score_ax_ = score_ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        ax=None,
        name=None,
        show_validation_score=False,
        train_kw=None,
        validation_kw=None,
        score_kw=None,
    ):
        """Plot the loss curves of a fitted estimator.

        Parameters
        ----------
        estimator : estimator instance
            A fitted :class:`~skdropout.DropoutMLPClassifier` or
            :class:`~skdropout.DropoutMLPRegressor` (or scikit-learn's MLP),
            fitted with solver='adam' or 'sgd'. For a pipeline, pass its last
            step (``pipe[-1]``).

        ax : matplotlib Axes, default=None
            Axes to plot on. If None, a new figure and axes are created. Pass the
            ``ax_`` of an earlier display to compare models on one plot.

        name : str, default=None
            Prefix of the legend labels. If None, the estimator's class name.

        show_validation_score : bool, default=False
            Whether to draw the validation scores on a secondary y-axis on the
            right. Needs a model fitted with a validation set.

        train_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for the
            training loss line.

        validation_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for the
            validation loss line.

        score_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for the
            validation score line.

        Returns
        -------
        display : LossCurveDisplay
            Object that stores the computed values.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from sklearn.datasets import make_regression
        >>> from skdropout import DropoutMLPRegressor
        >>> from skdropout import LossCurveDisplay
        >>> X, y = make_regression(n_samples=200, n_features=5, random_state=0)
        >>> y = y / y.std()
        >>> models = [
        ...     DropoutMLPRegressor(dropout=rate, max_iter=20, random_state=0)
        ...     .fit(X[:150], y[:150], X_val=X[150:], y_val=y[150:])
        ...     for rate in (0.0, 0.5)
        ... ]
        >>> display = LossCurveDisplay.from_estimator(models[0], name="no dropout")
        >>> display = LossCurveDisplay.from_estimator(
        ...     models[1], ax=display.ax_, name="dropout=0.5"
        ... )
        >>> len(display.ax_.get_lines())
        4
        >>> plt.close("all")
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        if not hasattr(estimator, "loss_curve_") and hasattr(estimator, "estimators_"):
            raise ValueError(
                f"{type(estimator).__name__} has no loss curve of its own: it "
                "averages networks, each with its own. Plot one of them, "
                "LossCurveDisplay.from_estimator(estimator.estimators_[0])."
            )
        if not hasattr(estimator, "loss_curve_") and not hasattr(estimator, "solver"):
            # A Pipeline, a GridSearchCV: the network is inside.
            raise ValueError(
                f"{type(estimator).__name__} has no loss curve: plot the network "
                "inside it, pipeline[-1] of a Pipeline or best_estimator_ of a "
                "search."
            )
        if not hasattr(estimator, "loss_curve_"):
            solver = estimator.solver
            raise ValueError(
                f"{type(estimator).__name__} was fitted with {solver=} and has no "
                "loss_curve_ to "
                "plot: only the stochastic solvers ('adam' and 'sgd') record the "
                "loss per epoch, solver='lbfgs' does not. Refit with "
                "solver='adam' or solver='sgd'."
            )
        display = cls(
            loss_curve=estimator.loss_curve_,
            # scikit-learn's MLP has validation scores but no validation loss.
            validation_loss_curve=getattr(estimator, "validation_loss_curve_", None),
            validation_scores=getattr(estimator, "validation_scores_", None),
            estimator_name=type(estimator).__name__ if name is None else name,
        )
        return display.plot(
            ax=ax,
            show_validation_score=show_validation_score,
            train_kw=train_kw,
            validation_kw=validation_kw,
            score_kw=score_kw,
        )
