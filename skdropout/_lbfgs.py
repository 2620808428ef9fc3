"""Full-batch training with SciPy's L-BFGS-B, over lists of weight arrays.

Pure: the objective and the per-iteration report are arguments, so it knows
nothing of estimators.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import scipy.optimize


def minimize_lbfgs(coefs, intercepts, objective, *, max_iter, max_fun, tol, report):
    """Minimize ``objective`` over the weights with L-BFGS-B.

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        The initial weights; their shapes and dtype are kept.
    objective : callable
        ``objective(coefs, intercepts)`` returns ``(loss, coef_grads,
        intercept_grads)``.
    max_iter, max_fun : int
        Limits on iterations and on calls of ``objective``.
    tol : float
        The projected gradient tolerance (scipy's ``gtol``).
    report : callable
        ``report(loss, coefs, intercepts)`` after each iteration, with the loss
        of the latest evaluation.

    Returns
    -------
    coefs, intercepts : list of ndarray
        The final weights, in the initial dtype.
    result : scipy.optimize.OptimizeResult
    """
    arrays = coefs + intercepts
    shapes = [a.shape for a in arrays]
    bounds = np.cumsum([0] + [a.size for a in arrays])
    dtype = coefs[0].dtype
    n_layers = len(coefs)

    def unpack(packed):
        parts = [
            packed[start:stop].reshape(shape).astype(dtype, copy=False)
            for start, stop, shape in zip(bounds[:-1], bounds[1:], shapes)
        ]
        return parts[:n_layers], parts[n_layers:]

    last_loss = [np.nan]

    def loss_and_gradient(packed):
        loss, coef_grads, intercept_grads = objective(*unpack(packed))
        last_loss[0] = loss
        return loss, _pack(coef_grads + intercept_grads)

    result = scipy.optimize.minimize(
        loss_and_gradient,
        _pack(arrays),
        method="L-BFGS-B",
        jac=True,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
        callback=lambda packed: report(last_loss[0], *unpack(packed)),
    )
    return (*unpack(result.x), result)


def _pack(arrays):
    return np.concatenate([a.ravel() for a in arrays]).astype(np.float64, copy=False)
