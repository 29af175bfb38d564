"""Resident identity numbers (GB 11643-1999), made and spoiled on whole arrays at once.

Numbers are handled as ``(n, 18)`` byte matrices, so making a check character, mistyping
a digit or swapping two is one numpy operation over the whole column.
"""

from __future__ import annotations

import numpy as np

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK_CHARS = np.frombuffer(b"10X98765432", dtype=np.uint8)
ZERO = ord("0")


def to_matrix(ids: np.ndarray, width: int = 18) -> np.ndarray:
    """Turn an array of ASCII strings of one width into an ``(n, width)`` uint8 matrix."""
    fixed = np.asarray(ids, dtype=f"S{width}")
    return fixed.view(np.uint8).reshape(-1, width).copy()


def from_matrix(matrix: np.ndarray) -> np.ndarray:
    """Turn an ``(n, width)`` uint8 matrix back into an object array of strings."""
    width = matrix.shape[1]
    return np.ascontiguousarray(matrix).view(f"S{width}").ravel().astype(str).astype(object)


def check_chars(body: np.ndarray) -> np.ndarray:
    """Return the check character (as a byte) for each 17-digit row of ``body``."""
    digits = body[:, :17].astype(np.int64) - ZERO
    return CHECK_CHARS[(digits @ WEIGHTS) % 11]


def make_ids(region: np.ndarray, birth: np.ndarray, male: np.ndarray,
             rng: np.random.Generator) -> np.ndarray:
    """Make unique valid 18-character identity numbers.

    Args:
        region: 6-digit region codes of first registration (strings).
        birth: Birth dates (``datetime64[D]``).
        male: Boolean array, True for men (odd sequence digit).
        rng: The random generator.

    Returns:
        An object array of identity numbers, unique within the call.
    """
    n = region.size
    dates = np.datetime_as_string(birth, unit="D")
    stem = np.char.add(region.astype(str), np.char.replace(dates, "-", ""))
    seq = rng.integers(0, 500, n) * 2 + np.where(male, 1, 0)
    for _ in range(50):
        body = np.char.add(stem, np.char.zfill(seq.astype(str), 3))
        _, first = np.unique(body, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            break
        seq[dup] = rng.integers(0, 500, int(dup.sum())) * 2 + np.where(male[dup], 1, 0)
    matrix = np.zeros((n, 18), dtype=np.uint8)
    matrix[:, :17] = to_matrix(body, 17)
    matrix[:, 17] = check_chars(matrix)
    return from_matrix(matrix)


def to_fifteen(ids: np.ndarray) -> np.ndarray:
    """Old 15-digit numbers: region, two-digit year, month, day, sequence; no check."""
    matrix = to_matrix(ids)
    old = np.concatenate([matrix[:, :6], matrix[:, 8:17]], axis=1)
    return from_matrix(old)


def mistype_digit(ids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Change one of the first 17 digits to another digit."""
    matrix = to_matrix(ids)
    pos = rng.integers(0, 17, matrix.shape[0])
    rows = np.arange(matrix.shape[0])
    old = matrix[rows, pos].astype(np.int64) - ZERO
    matrix[rows, pos] = ((old + rng.integers(1, 10, old.size)) % 10 + ZERO).astype(np.uint8)
    return from_matrix(matrix)


def swap_digits(ids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Swap two neighbouring, different digits among the first 17 (a transposition)."""
    matrix = to_matrix(ids)
    rows = np.arange(matrix.shape[0])
    pos = rng.integers(6, 16, matrix.shape[0])
    for _ in range(8):
        same = matrix[rows, pos] == matrix[rows, pos + 1]
        if not same.any():
            break
        pos[same] = rng.integers(0, 16, int(same.sum()))
    left = matrix[rows, pos].copy()
    matrix[rows, pos] = matrix[rows, pos + 1]
    matrix[rows, pos + 1] = left
    return from_matrix(matrix)


def excel_float(ids: np.ndarray) -> np.ndarray:
    """The float Excel keeps for a number typed as a number: 15 significant digits.

    ``410103196810314567`` becomes ``4.10103196810314e17`` (shown as 4.10103E+17, and as
    410103196810314000 when widened). Numbers ending in X cannot be numbers; callers keep
    those as text.
    """
    leading = np.asarray([int(s[:15]) if s[17:] != "X" else 0 for s in ids], dtype=np.float64)
    return leading * 1000.0
