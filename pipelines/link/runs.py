"""Runs of equal values in a sorted array: the blocks, groups and patterns the linker forms by
sorting once instead of grouping."""

from __future__ import annotations

import numpy as np


def runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal neighbours in ``values`` (sorted, or grouped so that equal
    values are adjacent) starts, and its length; both empty for no values."""
    n = len(values)
    if not n:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    start = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    return start, np.diff(np.r_[start, n])
