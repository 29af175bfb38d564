"""Small pieces every department's extract uses: places, sexes, phones, staff, serials."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from benchmarks.foreign_county.names import FEMALE_CHARS, MALE_CHARS, SURNAMES
from benchmarks.foreign_county.places import County, written_village


@dataclass(frozen=True)
class Context:
    """What every extract builder gets: the county, the facts, the random generator, the day."""

    county: County
    facts: pl.DataFrame
    rng: np.random.Generator
    as_of: date

    @property
    def county_name(self) -> str:
        """The county's name, e.g. 槐阳县."""
        return self.county.name


def village(form: str, former: bool = False) -> pl.Expr:
    """The village as a department writes it (see :func:`places.written_village`).

    Args:
        form: bare, cun, cwh, full or cun_full.
        former: Write the renamed village under its former name (a department that has not
            caught up with the merger).
    """
    core = pl.col("core")
    if former:
        core = pl.coalesce(pl.col("former_core"), core)
    return written_village(core, pl.col("kind"), form)


def sex(words: tuple[str, str] = ("男", "女")) -> pl.Expr:
    """Sex written with ``words`` (male word, female word)."""
    return pl.when(pl.col("sex") == "M").then(pl.lit(words[0])).otherwise(pl.lit(words[1]))


def serial() -> pl.Expr:
    """序号: 1, 2, 3 … in row order."""
    return pl.int_range(1, pl.len() + 1)


def phones(rng: np.random.Generator, n: int) -> pl.Series:
    """Mobile numbers, some missing."""
    prefix = np.array(["133", "135", "138", "139", "150", "151", "158", "177", "186", "189"])
    numbers = np.char.add(prefix[rng.integers(0, prefix.size, n)],
                          np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8))
    return pl.Series("phone", np.where(rng.random(n) < 0.08, "", numbers))


def staff(rng: np.random.Generator, count: int) -> np.ndarray:
    """Names for doctors and clerks."""
    sur = np.array(list(SURNAMES[:40]))[rng.integers(0, 40, count)]
    chars = np.array(list(MALE_CHARS + FEMALE_CHARS))
    given = np.char.add(chars[rng.integers(0, chars.size, count)],
                        chars[rng.integers(0, chars.size, count)])
    return np.char.add(sur, given)


def pick(rng: np.random.Generator, options: tuple[str, ...] | np.ndarray, n: int,
         p: list[float] | None = None) -> pl.Series:
    """Draw ``n`` values from ``options`` (optionally with shares ``p``)."""
    arr = np.asarray(options)
    return pl.Series(arr[rng.choice(arr.size, n, p=p)])


def age_at(as_of: date) -> pl.Expr:
    """Age in whole years on ``as_of``."""
    return ((pl.lit(as_of) - pl.col("birth_date")).dt.total_days() // 365.25).cast(pl.Int64)


def township_clinic() -> pl.Expr:
    """The township's health centre: 城关镇卫生院, 东城街道社区卫生服务中心 …."""
    name = pl.col("township_name")
    return (pl.when(name.str.ends_with("街道办事处"))
            .then(name.str.replace("办事处", "") + "社区卫生服务中心")
            .otherwise(name + "卫生院"))
