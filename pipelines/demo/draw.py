"""Small random draws the demo's department tables share."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl


def days_before(rng: np.random.Generator, as_of: date, n: int, low: int, high: int) -> pl.Series:
    """n dates between `high` and `low` days before as_of."""
    back = rng.integers(low, high + 1, size=n)
    return pl.Series(np.datetime64(as_of, "D") - back.astype("timedelta64[D]")).cast(pl.Date)


def pick(rng: np.random.Generator, pool: pl.Series, n: int) -> pl.Series:
    """Pick n values of `pool` at random (with replacement)."""
    return pool.gather(rng.integers(pool.len(), size=n))
