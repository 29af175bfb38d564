"""Dirt as it is found in county extracts: spoiled identity numbers, names and dates.

Each extract chooses its own rates. Identity numbers and dates are spoiled on whole columns;
names are spoiled on the few rows drawn for it (a small Python loop over that subset).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from benchmarks.foreign_county import identity
from benchmarks.foreign_county.layout import DATE, NUM
from benchmarks.foreign_county.names import HOMOPHONES, LOOKALIKE, MINORITY_SEPARATORS, TRADITIONAL

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ZERO_WIDTH = "\u200b"


@dataclass(frozen=True)
class IdDirt:
    """Shares of an extract's identity numbers spoiled each way (the rest are clean)."""

    missing: float = 0.0
    mistyped: float = 0.0
    swapped: float = 0.0
    fullwidth: float = 0.0
    spaced: float = 0.0
    old15: float = 0.0
    excel_number: float = 0.0  # number cell holding 15 significant digits
    excel_text: float = 0.0  # the same, saved as text: 4.10103E+17 or 410103196810314000
    lower_x: float = 0.0  # share of numbers ending in X written with x


@dataclass(frozen=True)
class NameDirt:
    """Shares of an extract's names spoiled each way."""

    homophone: float = 0.0
    lookalike: float = 0.0
    traditional: float = 0.0
    spaces: float = 0.0
    zero_width: float = 0.0
    separator: float = 0.3  # share of minority names written with another separator


def _excel_text(ids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Excel's damage saved as text: 4.10103E+17, or widened to 410103196810314000."""
    values = identity.excel_float(ids)
    wide = rng.random(ids.size) < 0.5
    text = [s[:15] + "000" if w else f"{v:.5E}" for s, v, w in zip(ids, values, wide, strict=True)]
    return np.where(values > 0, np.array(text, dtype=object), ids)


def _spaced(ids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    forms = rng.integers(0, 4, ids.size)
    out = [s + " " if f == 0 else " " + s if f == 1 else f"{s[:6]} {s[6:14]} {s[14:]}"
           if f == 2 else s[:9] + "\u3000" + s[9:] for s, f in zip(ids, forms, strict=True)]
    return np.array(out, dtype=object)


def spoil_ids(ids: pl.Series, rng: np.random.Generator, dirt: IdDirt,
              numbers: bool = True) -> pl.Series:
    """Spoil a column of clean 18-character numbers.

    Args:
        ids: Clean identity numbers.
        rng: The random generator.
        dirt: Shares per kind of damage.
        numbers: Whether the file can hold number cells (else Excel damage is text).

    Returns:
        The column as written (null where missing).
    """
    clean = ids.to_numpy().astype(object)
    kinds = ("missing", "mistyped", "swapped", "fullwidth", "spaced", "old15", "excel_number",
             "excel_text")
    p = np.array([getattr(dirt, k) for k in kinds])
    pick = rng.choice(len(kinds) + 1, clean.size, p=np.append(p, 1 - p.sum()))
    out = clean.copy()
    for i, kind in enumerate(kinds):
        rows = np.flatnonzero(pick == i)
        if rows.size == 0:
            continue
        sub = clean[rows]
        if kind == "missing":
            out[rows] = None
        elif kind == "mistyped":
            out[rows] = identity.mistype_digit(sub, rng)
        elif kind == "swapped":
            out[rows] = identity.swap_digits(sub, rng)
        elif kind == "fullwidth":
            out[rows] = [s.translate(FULL_WIDTH) for s in sub]
        elif kind == "spaced":
            out[rows] = _spaced(sub, rng)
        elif kind == "old15":
            out[rows] = identity.to_fifteen(sub)
        elif kind == "excel_number" and numbers:
            floats = identity.excel_float(sub)
            out[rows] = np.where(floats > 0, [f"{NUM}{s[:15]}000" for s in sub], sub)
        else:
            out[rows] = _excel_text(sub, rng)
    x_rows = np.flatnonzero((pick == len(kinds)) & np.char.endswith(clean.astype(str), "X"))
    lower = x_rows[rng.random(x_rows.size) < dirt.lower_x]
    out[lower] = [s[:-1] + "x" for s in clean[lower]]
    return pl.Series(ids.name, out.tolist(), dtype=pl.String)


def _respace(name: str, rng: np.random.Generator) -> str:
    form = int(rng.integers(0, 4))
    if form == 0 and len(name) > 1:
        return name[0] + " " + name[1:]
    if form == 1:
        return " " + name
    if form == 2:
        return name + "  "
    return name[0] + "\u3000" + name[1:]


def _swap_chars(name: str, table: dict[str, str], rng: np.random.Generator) -> str:
    spots = [i for i, c in enumerate(name) if c in table]
    if not spots:
        return name
    i = spots[int(rng.integers(len(spots)))]
    return name[:i] + table[name[i]] + name[i + 1:]


def _spoil_name(name: str, kind: int, rng: np.random.Generator) -> str:
    if kind == 0:
        return _swap_chars(name, HOMOPHONES, rng)
    if kind == 1:
        return _swap_chars(name, LOOKALIKE, rng)
    if kind == 2:
        return name.translate(TRADITIONAL)
    if kind == 3:
        return _respace(name, rng)
    cut = int(rng.integers(1, max(2, len(name))))
    return name[:cut] + ZERO_WIDTH + name[cut:]


def spoil_names(names: pl.Series, rng: np.random.Generator, dirt: NameDirt) -> pl.Series:
    """Spoil a column of names: homophones, look-alikes, traditional forms, spaces, ZWSP.

    Minority names keep their middle dot only in part: the rest take ``•``, ``.``, nothing ….
    """
    out = names.to_numpy().astype(object).copy()
    p = np.array([dirt.homophone, dirt.lookalike, dirt.traditional, dirt.spaces,
                  dirt.zero_width])
    pick = rng.choice(p.size + 1, out.size, p=np.append(p, 1 - p.sum()))
    for row in np.flatnonzero(pick < p.size):
        out[row] = _spoil_name(out[row], int(pick[row]), rng)
    dotted = np.flatnonzero(np.char.find(out.astype(str), "·") >= 0)
    moved = dotted[rng.random(dotted.size) < dirt.separator]
    seps = np.array(MINORITY_SEPARATORS[1:], dtype=object)[
        rng.integers(0, len(MINORITY_SEPARATORS) - 1, moved.size)]
    out[moved] = [n.replace("·", s) for n, s in zip(out[moved], seps, strict=True)]
    return pl.Series(names.name, out.tolist(), dtype=pl.String)


DATE_STYLES = {
    "iso": pl.col("__d").dt.strftime("%Y-%m-%d"),
    "slash": pl.col("__d").dt.strftime("%Y/%-m/%-d"),
    "slash0": pl.col("__d").dt.strftime("%Y/%m/%d"),
    "compact": pl.col("__d").dt.strftime("%Y%m%d"),
    "cn": pl.col("__d").dt.strftime("%Y年%-m月%-d日"),
    "dot": pl.col("__d").dt.strftime("%Y.%-m.%-d"),
    "serial": pl.lit(NUM) + (pl.col("__d") - pl.date(1899, 12, 30)).dt.total_days().cast(
        pl.String),
    "cell": pl.lit(DATE) + pl.col("__d").dt.strftime("%Y-%m-%d"),
    "iso_time": pl.col("__t").dt.strftime("%Y-%m-%d %H:%M:%S"),
    "iso_midnight": pl.col("__d").dt.strftime("%Y-%m-%d 00:00:00"),
    "slash_time": pl.col("__t").dt.strftime("%Y/%-m/%-d %-H:%M"),
    "cell_time": pl.lit(DATE) + pl.col("__t").dt.strftime("%Y-%m-%d %H:%M:%S"),
}


def render_dates(dates: pl.Series, rng: np.random.Generator,
                 styles: dict[str, float]) -> pl.Series:
    """Write dates in a mix of styles (share per style; the shares must sum to 1).

    Styles: iso 2020-01-05, slash 2020/1/5, slash0 2020/01/05, compact 20200105, cn 2020年1月5日,
    dot 2020.1.5, serial (Excel serial as a number cell), cell (date cell), iso_time,
    iso_midnight, slash_time and cell_time (with a time of day).
    """
    names = list(styles)
    pick = rng.choice(len(names), dates.len(), p=np.array([styles[s] for s in names]))
    seconds = rng.integers(7 * 3600, 19 * 3600, dates.len())
    frame = pl.DataFrame({"__d": dates.cast(pl.Date), "__s": seconds, "__p": pick})
    frame = frame.with_columns(
        (pl.col("__d").cast(pl.Datetime("us")) + pl.duration(seconds=pl.col("__s"))).alias("__t"))
    expr = pl.lit(None, dtype=pl.String)
    for i, style in enumerate(names):
        expr = pl.when(pl.col("__p") == i).then(DATE_STYLES[style]).otherwise(expr)
    return frame.select(expr.alias(dates.name))[dates.name]
