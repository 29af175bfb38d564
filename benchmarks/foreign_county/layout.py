"""What an extract looks like before it is written: files, sheets, title lines, columns, rows.

Cells are strings. Two markers ask a spreadsheet writer for a typed cell: :data:`NUM` (a
number cell, e.g. an identity number Excel turned into 4.10103E+17, an Excel date serial or
money) and :data:`DATE` (a date cell, with or without a time). Text writers render them the way
Excel would when it saves a CSV.

Every sheet body carries two hidden columns: ``__key`` (the person a row is about, null for
totals, notes and blank rows) and ``__kind`` (person, total, note or blank).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

NUM = "\x01"
DATE = "\x02"
KEY = "__key"
KIND = "__kind"


@dataclass(frozen=True)
class Column:
    """A column as a department writes it: header word, its meaning, its value concept."""

    header: str
    meaning: str
    concept: str | None = None


@dataclass
class Sheet:
    """One sheet (or the only table of a text file)."""

    name: str
    columns: list[Column]
    body: pl.DataFrame
    title: list[str] = field(default_factory=list)
    merge_title: bool = False

    @property
    def first_data_row(self) -> int:
        """Row number (as a spreadsheet shows it) of the first body row."""
        return len(self.title) + 2


@dataclass
class Extract:
    """One file as it lands: name, format and its sheets.

    ``fmt`` is one of ``xlsx`` (openpyxl), ``xls`` (xlwt), ``xls_lo`` (written by LibreOffice
    from an openpyxl workbook), ``csv`` (``encoding``, ``delimiter``) or ``txt`` (a text export,
    e.g. UTF-16 with tabs).
    """

    file: str
    fmt: str
    department: str
    sheets: list[Sheet]
    encoding: str = "utf-8"
    delimiter: str = ","


def body_frame(columns: list[Column], values: dict[str, pl.Series | pl.Expr],
               source: pl.DataFrame, key: str = "person_key") -> pl.DataFrame:
    """Select ``values`` (by header) from ``source`` into a body in column order.

    Args:
        columns: The sheet's columns.
        values: Header -> expression over ``source`` (or a ready Series).
        source: The frame the expressions read.
        key: Column of ``source`` holding the person key.

    Returns:
        A frame of String columns named by header, plus ``__key`` and ``__kind``.
    """
    exprs = [pl.col(key).alias(KEY), pl.lit("person").alias(KIND)]
    for col in columns:
        value = values[col.header]
        expr = pl.lit(value) if isinstance(value, pl.Series) else value
        exprs.append(expr.cast(pl.String).alias(col.header))
    frame = source.select(exprs)
    return frame.select([c.header for c in columns] + [KEY, KIND])


def with_blank_rows(body: pl.DataFrame, rng: np.random.Generator, count: int) -> pl.DataFrame:
    """Insert ``count`` empty rows at random places (a clerk's stray Enter)."""
    if count <= 0 or body.height == 0:
        return body
    blank = pl.DataFrame({c: [None] * count for c in body.columns}, schema=body.schema)
    blank = blank.with_columns(pl.lit("blank").alias(KIND))
    where = np.sort(rng.integers(1, body.height, count))
    pos = np.concatenate([np.arange(body.height), where - 0.5])
    return pl.concat([body, blank]).with_columns(pl.Series("__pos", pos)).sort(
        "__pos").drop("__pos")


def with_tail_rows(body: pl.DataFrame, rows: list[dict[str, str]], kind: str) -> pl.DataFrame:
    """Append totals or note rows given as header -> text (other cells empty)."""
    if not rows:
        return body
    tail = pl.DataFrame([{**r, KIND: kind} for r in rows], schema={
        c: pl.String for c in body.columns})
    return pl.concat([body, tail.select(body.columns)])


def split_sheet(sheet: Sheet, limit: int) -> list[Sheet]:
    """Split a sheet longer than ``limit`` body rows into Sheet1, Sheet2 … (.xls has 65,536)."""
    if sheet.body.height <= limit:
        return [sheet]
    base = sheet.name.rstrip("0123456789")
    parts = []
    for i, start in enumerate(range(0, sheet.body.height, limit)):
        parts.append(Sheet(f"{base}{i + 1}" if i else sheet.name, sheet.columns,
                           sheet.body.slice(start, limit), sheet.title, sheet.merge_title))
    return parts


def money(values: pl.Expr) -> pl.Expr:
    """A money amount as a number cell."""
    return pl.lit(NUM) + values.round(2).cast(pl.String)


def total_cell(body: pl.DataFrame, header: str) -> str:
    """The sum of a money column of ``body`` as a number cell (for a 合计 row)."""
    values = body[header].str.strip_prefix(NUM).cast(pl.Float64, strict=False)
    return f"{NUM}{round(float(values.sum()), 2)}"
