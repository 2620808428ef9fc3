"""Elementwise work on many arrays, one cache-sized block at a time.

An optimizer step reads and writes every parameter a dozen times (Adam: the two
moments, the square root, the division...). Done one whole array at a time, each
pass streams megabytes through main memory. Done one block at a time, a block takes
all its passes while it stays in the core's cache, and main memory sees each array
about once.

Arrays laid end to end in one buffer (see :func:`packed`), such as the weights and
intercepts of all layers, are worked on as one: a small network then costs a few
NumPy calls per step instead of a few per layer and per array.

The arithmetic of each element does not depend on the blocks, so the results are
the same, bit for bit, whatever their size and whether arrays are packed.

Threads were tried and left out: NumPy releases the GIL in its loops, and on an
idle machine two threads update about 1.4 times as fast as one; but between the
matrix products of a training step the BLAS's own threads keep spinning on the
other cores, and in a real fit the second thread gained nothing
(``benchmarks/README.md``).
"""

# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np

#: Bytes per array in a block: a block of the four arrays an optimizer step
#: touches, plus its scratch, stays in the 1 MiB L2 cache of a recent core.
BLOCK_BYTES = 1 << 18


def packed(arrays, dtype=None):
    """Copies of ``arrays`` laid end to end in one new 1-d buffer, in order: views
    of it, C-contiguous and shaped like them. With ``dtype``, ``arrays`` may be
    shapes instead, and the views are zeros."""
    if dtype is None:
        shapes, dtype = [a.shape for a in arrays], arrays[0].dtype
    else:
        shapes, arrays = arrays, None
    sizes = [math.prod(shape) for shape in shapes]
    buffer = np.zeros(sum(sizes), dtype=dtype)
    views, start = [], 0
    for shape, size in zip(shapes, sizes):
        views.append(buffer[start : start + size].reshape(shape))
        start += size
    if arrays is not None:
        for view, array in zip(views, arrays):
            view[...] = array
    return views


def _address(array):
    return array.__array_interface__["data"][0]


def _follows(a, b):
    """Whether C-contiguous ``b`` starts where ``a`` ends, in the same buffer."""
    return (
        isinstance(a.base, np.ndarray)
        and b.base is a.base
        and a.base.ndim == 1
        and a.flags.c_contiguous
        and b.flags.c_contiguous
        and a.dtype == b.dtype
        and _address(b) == _address(a) + a.nbytes
    )


def is_packed(arrays):
    """Whether ``arrays`` lie end to end in one buffer, as :func:`packed` lays
    them out."""
    return all(_follows(a, b) for a, b in zip(arrays, arrays[1:]))


def spans(kinds, keys):
    """Merge runs of packed arrays into single 1-d arrays.

    Parameters
    ----------
    kinds : list of list of ndarray
        Lists of arrays of the same shapes (parameters, gradients, states...).
    keys : list
        One key per position; only positions with equal keys are merged.

    Returns
    -------
    groups : list of (tuple of 1-d ndarray, key)
        Per run of consecutive positions whose arrays follow one another in
        every kind, one view per kind covering the run.
    """
    groups, start = [], 0
    n = len(keys)
    for stop in range(1, n + 1):
        if stop < n and keys[stop] == keys[start]:
            if all(_follows(kind[stop - 1], kind[stop]) for kind in kinds):
                continue
        group = []
        for kind in kinds:
            first = kind[start]
            if stop - start == 1:
                group.append(first.reshape(-1))
            else:
                offset = (_address(first) - _address(first.base)) // first.itemsize
                size = sum(a.size for a in kind[start:stop])
                group.append(first.base[offset : offset + size])
        groups.append((tuple(group), keys[start]))
        start = stop
    return groups


class BlockRunner:
    """Runs a kernel over aligned blocks of groups of same-sized arrays, keeping
    the kernel's scratch arrays from one run to the next.

    One runner serves one thread: its scratch arrays are not shared.
    """

    def __init__(self):
        self._scratch = {}

    def run(self, kernel, groups, n_scratch=0, args=None):
        """Apply ``kernel`` to every block of every group.

        Parameters
        ----------
        kernel : callable
            ``kernel(block, scratch, arg)``: ``block`` is a tuple of 1-d views, the
            same elements of each array of a group, to update in place;
            ``scratch`` a list of ``n_scratch`` arrays of the block's size and
            dtype; ``arg`` the group's entry of ``args``. It returns a float.
        groups : list of tuple of ndarray
            Each a tuple of C-contiguous arrays of one size and dtype.
        n_scratch : int, default=0
        args : list, default=None
            One entry per group, passed to ``kernel``.

        Returns
        -------
        total : float
            The sum of the kernel's results, in the order of the blocks.
        """
        if args is None:
            args = [None] * len(groups)
        total = 0.0
        for group, arg in zip(groups, args):
            flat = [a.reshape(-1) for a in group]
            dtype = flat[0].dtype
            step = max(1, BLOCK_BYTES // dtype.itemsize)
            scratch = self._scratch_for(dtype, n_scratch, step)
            for start in range(0, flat[0].size, step):
                block = tuple(a[start : start + step] for a in flat)
                size = block[0].size
                total += kernel(block, [s[:size] for s in scratch], arg)
        return total

    def _scratch_for(self, dtype, n_scratch, size):
        scratch = self._scratch.get(dtype, [])
        if len(scratch) < n_scratch:
            scratch = [np.empty(size, dtype=dtype) for _ in range(n_scratch)]
            self._scratch[dtype] = scratch
        return scratch
