"""Identical rows of one extract, read once: within a file and across its files.

Two rows are identical when every field the extract reads holds the same text as read;
columns that are not read (a serial number 序号, a remark) do not count, so a row pasted twice
under new serial numbers is still one record. The first occurrence (files in name order, rows
in order) is read; every later one goes to the quarantine as ``duplicate_row`` naming the
first, so rows read = accepted + quarantined still holds and the copy is visible, not silently
gone. Copies of a whole file are found before reading (``file_duplicate``,
:func:`pipelines.read.read_landing`).

Rows are compared by a 128-bit fingerprint (two independent 64-bit hashes of the fields): two
different rows share one with a probability far below one in 10^20 per night.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import polars as pl

from pipelines.read import Grid

SEEN_SCHEMA = {"_h1": pl.UInt64, "_h2": pl.UInt64, "_grid": pl.UInt32, "_row": pl.Int64}
DROPPED_SCHEMA = {"row_number": pl.Int64, "column": pl.String, "check": pl.String,
                  "reason": pl.String, "value_masked": pl.String}


def label(grid: Grid) -> str:
    """``file`` or ``file, sheet s``: where a row was read, for a reason."""
    return grid.source_file + (f", sheet {grid.sheet}" if grid.sheet else "")


def fingerprint(rows: pl.DataFrame, fields: list[str]) -> tuple[pl.Series, pl.Series]:
    """Two independent 64-bit hashes of each row's field text."""
    values = rows.select(fields)
    return (values.hash_rows(seed=0x5A4E4A49).alias("_h1"),
            values.hash_rows(seed=0x1B873593).alias("_h2"))


@dataclass
class SeenRows:
    """The rows read so far, per extract: fingerprint, grid and row of the first occurrence.

    Grids of different extracts may be split on different threads at once (their rows are
    never compared); the grids of one extract must come one after the other, in order.
    """

    by_extract: dict[str, pl.DataFrame] = field(default_factory=dict)
    grids: list[str] = field(default_factory=list)
    across: set[str] = field(default_factory=set)  # grids with a copy of an earlier grid's row
    index: dict[str, int] = field(default_factory=dict)  # a grid's label -> its place in grids
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def _register(self, where: str) -> int:
        """A grid's place in ``grids`` (taken under the lock: threads register at once)."""
        with self._lock:
            self.grids.append(where)
            self.index[where] = len(self.grids) - 1
            return self.index[where]

    def _labels(self) -> list[str]:
        """The grids registered so far (a copy: another thread may be registering one)."""
        with self._lock:
            return list(self.grids)

    def split(self, extract: str, rows: pl.DataFrame, fields: list[str],
              grid: Grid) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Separate the rows identical to an earlier one (this grid's or an earlier grid's).

        Args:
            extract: the extract the rows belong to.
            rows: mapped rows (``row_number`` and the field columns).
            fields: the field columns compared.
            grid: the grid the rows come from.

        Returns:
            (rows read, ``DROPPED_SCHEMA`` rows: the copies with the first occurrence named);
            the rows read are remembered for the next grid of the extract.
        """
        h1, h2 = fingerprint(rows, [f for f in fields if f in rows.columns])
        seen = self.by_extract.get(extract, pl.DataFrame(schema=SEEN_SCHEMA))
        here = self._register(label(grid))
        keys = pl.DataFrame([rows["row_number"], h1, h2])
        crossing = _across(keys, seen)
        if crossing.height:
            self.across.add(label(grid))
        copies = pl.concat([_within(keys, here), crossing]).unique(
            "row_number", keep="first").sort("row_number")
        first = keys.filter(~pl.col("row_number").is_in(copies["row_number"].implode()))
        self.by_extract[extract] = pl.concat([seen, first.select(
            "_h1", "_h2", pl.lit(here, pl.UInt32).alias("_grid"),
            pl.col("row_number").alias("_row"))])
        if copies.height == 0:
            return rows, pl.DataFrame(schema=DROPPED_SCHEMA)
        labels = self._labels()
        where = pl.col("_grid").replace_strict(
            list(range(len(labels))), labels, return_dtype=pl.String)
        dropped = copies.select(
            "row_number", pl.lit(None, pl.String).alias("column"),
            pl.lit("duplicate_row").alias("check"),
            pl.format("the same values as {}, row {}: one record, read once", where, "_row")
            .alias("reason"),
            pl.lit(None, pl.String).alias("value_masked"),
        ).cast(DROPPED_SCHEMA)
        return rows.filter(~pl.col("row_number").is_in(copies["row_number"].implode())), dropped


    def first_rows(self, extract: str, where: str) -> pl.DataFrame:
        """The fingerprints a grid (its :func:`label`) added to ``extract`` (``_h1``,
        ``_h2``, ``_row``)."""
        seen = self.by_extract.get(extract, pl.DataFrame(schema=SEEN_SCHEMA))
        return seen.filter(pl.col("_grid") == self.index[where]).drop("_grid")

    def reuse(self, extract: str, first: pl.DataFrame, where: str) -> bool:
        """Remember a grid read on an earlier night (its ``first_rows``) unless it repeats a row.

        Args:
            extract: the grid's extract.
            first: its first occurrences (``_h1``, ``_h2``, ``_row``), as ``first_rows`` gave.
            where: its :func:`label`.

        Returns:
            False (nothing remembered) when one of its rows equals a row of an earlier grid:
            then the grid must be read again so the copy is quarantined, True otherwise.
        """
        seen = self.by_extract.get(extract, pl.DataFrame(schema=SEEN_SCHEMA))
        if seen.height and _across(first.rename({"_row": "row_number"}), seen).height:
            return False
        here = self._register(where)
        self.by_extract[extract] = pl.concat([seen, first.select(
            "_h1", "_h2", pl.lit(here, pl.UInt32).alias("_grid"), "_row")])
        return True


def _within(keys: pl.DataFrame, here: int) -> pl.DataFrame:
    """Rows of one grid equal to an earlier row of it: row_number, _grid, _row (the first).

    Copies are rare: only rows whose first hash repeats are grouped.
    """
    out = pl.DataFrame(schema={"row_number": pl.Int64, "_grid": pl.UInt32, "_row": pl.Int64})
    if keys["_h1"].n_unique() == keys.height:
        return out
    suspects = keys.filter(pl.col("_h1").is_duplicated()).with_columns(
        pl.col("row_number").min().over("_h1", "_h2").alias("_row"))
    return suspects.filter(pl.col("_row") != pl.col("row_number")).select(
        "row_number", pl.lit(here, pl.UInt32).alias("_grid"), "_row")


def _across(keys: pl.DataFrame, seen: pl.DataFrame) -> pl.DataFrame:
    """Rows equal to a row of an earlier grid: row_number, _grid, _row (where it was read)."""
    if seen.height == 0:
        return pl.DataFrame(schema={"row_number": pl.Int64, "_grid": pl.UInt32,
                                    "_row": pl.Int64})
    suspects = keys.filter(pl.col("_h1").is_in(seen["_h1"].implode()))
    return suspects.join(seen, on=["_h1", "_h2"], how="inner").select(
        "row_number", "_grid", "_row")
