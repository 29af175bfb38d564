"""Runs of equal values in a sorted array: the blocks, groups and patterns the linker forms by
sorting once instead of grouping; and the sorts behind them."""

from __future__ import annotations

import numpy as np


def runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal neighbours in ``values`` (sorted, or grouped so that equal
    values are adjacent) starts, and its length; both empty for no values."""
    n = len(values)
    if not n:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    start = np.flatnonzero(firsts(values))
    return start, np.diff(np.r_[start, n])


def firsts(values: np.ndarray) -> np.ndarray:
    """Per position of ``values`` (grouped: equal values adjacent), whether it starts a run."""
    out = np.empty(len(values), dtype=bool)
    out[:1] = True
    np.not_equal(values[1:], values[:-1], out=out[1:])
    return out


# numpy (2.x, on a CPU with AVX-512: x86-simd-sort) sorts millions of 64-bit integers for a
# third to a half of polars' CPU (2M keys: argsort 0.10 against 0.21 CPU s, sort 0.02
# against 0.08-0.14), where a sort on the polars pool only spreads more work on a busy machine
def sort_order(values: np.ndarray) -> np.ndarray:
    """The positions that sort ``values`` (integers; equal values in any order)."""
    return np.argsort(values)


def sorted_values(values: np.ndarray) -> np.ndarray:
    """``values`` (integers) sorted ascending."""
    return np.sort(values)
