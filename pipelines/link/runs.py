"""Runs of equal values in a sorted array: the blocks, groups and patterns the linker forms by
sorting once instead of grouping; and the sorts behind them."""

from __future__ import annotations

import numpy as np
import polars as pl


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


# polars sorts millions of integers for about half numpy's CPU, on every core
def sort_order(values: np.ndarray) -> np.ndarray:
    """The positions that sort ``values`` (integers; equal values in any order)."""
    return pl.Series(values).arg_sort().to_numpy()


def sorted_values(values: np.ndarray) -> np.ndarray:
    """``values`` (integers) sorted ascending, as ``np.sort``."""
    return pl.Series(values).sort().to_numpy()
