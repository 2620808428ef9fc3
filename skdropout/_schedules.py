"""Schedules: a factor of the learning rate or of the dropout rate as a function of
training progress.

Progress runs from 0 at the start of training to 1 after ``schedule_epochs``
(by default ``max_iter``) epochs, and moves at every minibatch (learning rate)
or epoch (dropout). Each schedule is a pure function of progress, so its values
at every step can be checked exactly (``tests/test_recipe.py``).
"""

# SPDX-License-Identifier: BSD-3-Clause

import math


def constant(progress):
    """1 throughout."""
    return 1.0


def cosine(progress):
    """Half a cosine from 1 at the start to 0 at the end (Loshchilov and Hutter,
    2017, without restarts): ``0.5 * (1 + cos(pi * progress))``."""
    return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


def flat_cosine(progress):
    """1 for the first half, then half a cosine down to 0 over the second half:
    RealMLP's schedule of dropout and weight decay (Holzmueller et al., 2024)."""
    if progress < 0.5:
        return 1.0
    return cosine(2.0 * progress - 1.0)


def with_warmup(schedule, warmup):
    """``schedule``, multiplied during the first ``warmup`` of progress by a
    linear ramp from 0 (at progress 0) to 1. The schedule itself then runs over
    the rest of the progress, from ``warmup`` to 1."""
    if not warmup:
        return schedule

    def warmed_up(progress):
        if progress < warmup:
            return progress / warmup * schedule(0.0)
        return schedule((progress - warmup) / (1.0 - warmup))

    return warmed_up


#: The learning-rate schedules that apply to every stochastic solver (the
#: ``learning_rate`` parameter's other options are scikit-learn's, for sgd).
LR_SCHEDULES = {"cosine": cosine}

#: The dropout schedules (the ``dropout_schedule`` parameter).
DROPOUT_SCHEDULES = {"constant": constant, "flat_cosine": flat_cosine}
