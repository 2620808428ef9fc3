"""
=====================================
From a Keras model to skdropout
=====================================

The classic first Keras model with dropout takes 50 features through a hidden
layer of 64 ReLU units, drops half of them at random while training, and ends in a
10-way softmax trained with Adam on the categorical cross-entropy. This example
writes the same model as a :class:`~skdropout.DropoutMLPClassifier`, trains it on
synthetic data of that shape, and plots what Keras' ``History`` would show: the
training and validation loss per epoch.
"""

# %%
# The two programs side by side
# -----------------------------
#
# .. list-table::
#    :header-rows: 1
#    :widths: 50 50
#
#    * - Keras
#      - skdropout
#    * - .. code-block:: python
#
#           import keras
#           from keras import layers
#
#           model = keras.Sequential([
#               keras.Input(shape=(50,)),
#               layers.Dense(64, activation="relu"),
#               layers.Dropout(0.5),
#               layers.Dense(10, activation="softmax"),
#           ])
#           model.compile(
#               optimizer=keras.optimizers.Adam(
#                   learning_rate=0.001
#               ),
#               loss="categorical_crossentropy",
#               metrics=["accuracy"],
#           )
#           history = model.fit(
#               X_train,
#               keras.utils.to_categorical(y_train, 10),
#               batch_size=32,
#               epochs=20,
#               validation_data=(
#                   X_val,
#                   keras.utils.to_categorical(y_val, 10),
#               ),
#           )
#           history.history["loss"]
#           history.history["val_loss"]
#           history.history["val_accuracy"]
#
#      - .. code-block:: python
#
#           import numpy as np
#           from skdropout import DropoutMLPClassifier
#
#           clf = DropoutMLPClassifier(
#               hidden_layer_sizes=(64,),
#               activation="relu",
#               dropout=0.5,
#               # softmax and categorical cross-entropy
#               # are chosen from y: 10 classes
#               solver="adam",
#               learning_rate_init=0.001,
#               alpha=0.0,  # Keras adds no L2 penalty
#               batch_size=32,
#               max_iter=20,  # epochs
#               n_iter_no_change=np.inf,  # run all 20
#               random_state=0,
#           )
#           clf.fit(
#               X_train,
#               y_train,  # labels, not one-hot
#               X_val=X_val,
#               y_val=y_val,
#           )
#
#
#           clf.loss_curve_
#           clf.validation_loss_curve_
#           clf.validation_scores_
#
# Line by line:
#
# - ``Dense(64, activation="relu")`` followed by ``Dropout(0.5)`` is one hidden
#   layer: ``hidden_layer_sizes=(64,)``, ``activation="relu"``, ``dropout=0.5``.
#   Keras' ``rate`` and skdropout's ``dropout`` are both the probability of
#   *dropping* a unit, and both scale the kept units by ``1 / (1 - rate)`` while
#   training, so prediction uses the whole network unchanged.
# - The output layer is not written: the classifier picks a softmax output and
#   the categorical cross-entropy (log-loss) because ``y`` has more than two
#   classes, and it one-hot encodes the labels itself. With two classes it
#   would pick one logistic unit and the binary cross-entropy.
# - Keras adds no weight penalty unless asked; scikit-learn's MLPs add an L2
#   penalty of ``alpha=1e-4`` by default, hence ``alpha=0.0``.
# - Keras trains for exactly ``epochs``. scikit-learn's MLPs stop earlier when
#   the training loss has not improved by ``tol`` for ``n_iter_no_change``
#   epochs; ``n_iter_no_change=np.inf`` switches that off.
# - ``validation_data`` is ``X_val, y_val`` in ``fit``: the validation loss and
#   accuracy are recorded after every epoch, without dropout, as Keras does.
#
# Three small differences remain: Keras starts the biases at zero (here they are
# drawn like the weights, as in scikit-learn), its Adam uses ``epsilon=1e-7``
# (here ``1e-8``), and its random numbers are others. The two programs train
# the same model, not bit for bit the same weights.

# %%
# Data of the same shape
# ----------------------
# 3,000 samples of 10 classes and 50 features, 30 of which carry the signal (20
# informative, 10 linear combinations of those).

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier, LossCurveDisplay

X, y = make_classification(
    n_samples=3000,
    n_features=50,
    n_informative=20,
    n_redundant=10,
    n_classes=10,
    class_sep=1.5,
    random_state=0,
)
X_train, X_val, y_train, y_val = train_test_split(
    X, y, test_size=0.2, stratify=y, random_state=0
)
# Both libraries want standardized inputs; the same arrays would go to Keras.
scaler = StandardScaler().fit(X_train)
X_train, X_val = scaler.transform(X_train), scaler.transform(X_val)

# %%
# Training
# --------
# Like Keras, we train for a fixed budget of 20 epochs. scikit-learn warns with a
# ``ConvergenceWarning`` when ``max_iter`` ends training while the loss is still
# moving; here a fixed number of epochs is the point, so the warning is silenced.

clf = DropoutMLPClassifier(
    hidden_layer_sizes=(64,),
    activation="relu",
    dropout=0.5,
    solver="adam",
    learning_rate_init=0.001,
    alpha=0.0,
    batch_size=32,
    max_iter=20,
    n_iter_no_change=np.inf,
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)

print(f"epochs run: {clf.n_iter_}")
print(f"last training loss:   {clf.loss_curve_[-1]:.3f}")
print(f"last validation loss: {clf.validation_loss_curve_[-1]:.3f}")
print(f"validation accuracy:  {clf.validation_scores_[-1]:.3f}")

# %%
# The loss curves
# ---------------
# :class:`~skdropout.LossCurveDisplay` draws ``loss_curve_`` (solid) and
# ``validation_loss_curve_`` (dashed), and the validation accuracy on a second
# axis (dotted). The training loss is measured on the thinned networks sampled
# during each epoch, the validation loss on the whole network: with
# ``dropout=0.5`` the training loss lies *above* the validation loss, as it does
# in Keras' history, and that is not a sign of anything wrong. Both are still
# falling after 20 epochs: a longer budget (``max_iter``, Keras' ``epochs``)
# would go further.

display = LossCurveDisplay.from_estimator(
    clf, name="skdropout", show_validation_score=True
)
display.ax_.set_title("The Keras model, trained by skdropout")
plt.show()
