"""Docstring sections shared by the classifier and the regressor.

The estimators' docstrings contain ``{name}`` placeholder lines filled from
``SECTIONS`` by :func:`fill`, so the two never drift apart.
"""

# SPDX-License-Identifier: BSD-3-Clause

import textwrap

SECTIONS = {
    "network_params": """\
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
    (:meth:`predict_mc` and, for the regressor, ``predict(X, return_std=True)``).""",
    "solver_params": """\
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
    ``learning_rate_init / pow(t, power_t)``; 'adaptive' keeps it while the
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
    ``best_validation_score_`` holds the negated best validation loss.""",
    "fitted_attributes": """\
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
    Name of the output activation.""",
    "fit_params": """\
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
    Sample weights of the validation set.""",
    "mc_params": """\
X : {array-like, sparse matrix} of shape (n_samples, n_features)
    The input data.

n_passes : int, default=None
    Number of passes T; None uses ``mc_passes``.

random_state : int, RandomState instance or None, default=0
    Seeds the masks. The default gives the same passes on every call;
    the estimator's own training generator is never used.""",
    "notes": """\
During training, every minibatch draws a fresh mask for every layer with a
nonzero drop rate: unit j of layer l is kept with probability ``1 - p_l`` and
then multiplied by ``1 / (1 - p_l)``, or zeroed ("inverted dropout"). The error
is back-propagated through the same mask. Prediction uses the whole network with
no mask and no rescaling, which approximates the average of the thinned networks
(Srivastava et al., 2014).

With ``dropout=0`` and ``input_dropout=0`` the estimator draws the same random
numbers in the same order as scikit-learn's MLP and applies the same updates, so
it learns the same weights (up to floating point rounding) for the same
``random_state`` in a single ``fit``.""",
    # The CV estimators' early_stopping (a parameter's body: its lines after the
    # first are indented once more, under the parameter's name).
    "cv_early_stopping": """\
Whether the number of epochs is chosen like the candidates, on the
    folds' held-out parts: every search fit has its fold's held-out part as
    validation set (its loss or score after every epoch, as
    ``early_stopping_metric`` says) and stops ``n_iter_no_change`` epochs after
    its best there (or at ``max_iter``); each candidate gets the number of
    epochs whose mean over the folds is best, within what all its folds ran
    (``max_iter`` in ``cv_results_['params']``); and the fold models kept are
    refitted for that many epochs of the same schedules (``schedule_epochs``),
    which gives them, bit for bit, the weights their search fits had then.
    ``validation_fraction`` is not used: the held-out parts are the validation
    sets. False: the fold models run to ``max_iter`` (or their training-loss
    rule) and keep their last epoch.""",
    # The CV estimators' refit (a parameter's body, as above).
    "cv_refit": """\
False: predict with the fold models that ``ensemble`` keeps, each
    trained on its fold's training part ((k-1)/k of the data), weighted as
    ``ensemble_weights_`` says (as pytabkit's RealMLP bags its fold models and
    as ``LogisticRegressionCV(refit=False)`` averages its folds). True: refit
    on all the data every candidate that the ensemble uses, each for its
    chosen number of epochs, and predict with these networks instead, with the
    same weights: with ``ensemble='best'`` the best candidate alone, which is
    ``GridSearchCV``'s refit; with ``'greedy'`` each candidate that the
    selection picked (AutoGluon's ``refit_full``). Each network then sees all
    the data, but the ensemble has one member per candidate instead of one
    per fold, and the cross-validated scores estimate the fold models' error,
    not the refits'. Costs one fit on all the data per candidate used.""",
    "references": """\
.. [1] N. Srivastava, G. Hinton, A. Krizhevsky, I. Sutskever and
   R. Salakhutdinov, "Dropout: A Simple Way to Prevent Neural Networks from
   Overfitting", JMLR 15(56):1929-1958, 2014.

.. [2] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep
   feedforward neural networks", AISTATS 2010.

.. [3] D. P. Kingma and J. Ba, "Adam: A method for stochastic optimization",
   arXiv:1412.6980, 2014.""",
}


def fill(indent="    "):
    """Decorator filling each ``{name}`` placeholder line of a docstring with
    ``SECTIONS[name]``, indented like the placeholder (4 spaces in a class
    docstring, 8 in a method's)."""

    def decorate(obj):
        doc = obj.__doc__
        for name, text in SECTIONS.items():
            doc = doc.replace("{" + name + "}", textwrap.indent(text, indent).lstrip())
        obj.__doc__ = doc
        return obj

    return decorate
