"""Dates as the departments write them, to ``pl.Date``.

Accepted: 2020-01-05, 2020/1/5, 2020.1.5, 2020年1月5日, 20200105, a trailing time
("2020-01-05 00:00:00"), and Excel serial day numbers (43835 = 2020-01-05).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

EXCEL_EPOCH = dt.date(1899, 12, 30)
SERIAL_MIN, SERIAL_MAX = 1, 80_000  # 1900-01-01 .. 2119


def parse_date(raw: pl.Expr) -> pl.Expr:
    """Parse a text date column.

    Args:
        raw: the date as read (String).

    Returns:
        Date expression; null when empty or unparseable.
    """
    base = (
        raw.str.normalize("NFKC")
        .str.strip_chars()
        .str.replace(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "")
    )
    text = (
        base.str.replace_all(r"[年月/.]", "-")
        .str.replace_all(r"[日号]", "")
        .str.strip_chars("-")
    )
    serial = base.str.extract(r"^(\d{1,5})(\.0+)?$", 1).cast(pl.Int64, strict=False)
    serial_date = pl.when(serial.is_between(SERIAL_MIN, SERIAL_MAX)).then(
        pl.lit(EXCEL_EPOCH) + pl.duration(days=serial)
    )
    return pl.coalesce(
        text.str.to_date("%Y-%m-%d", strict=False),
        pl.when(text.str.contains(r"^\d{8}$")).then(text.str.to_date("%Y%m%d", strict=False)),
        serial_date.cast(pl.Date),
    )


def unparsed(raw: pl.Expr, typed: pl.Expr) -> pl.Expr:
    """True where a non-empty raw value did not parse (a date, an amount, a yes/no …).

    Args:
        raw: the value as read.
        typed: the parsed, typed value (null where parsing failed).

    Returns:
        Boolean expression.
    """
    return raw.str.strip_chars().fill_null("").ne("") & typed.is_null()


def parse_dates_unique(values: pl.Series) -> pl.Series:
    """Parse a text date Series, working on its unique values only.

    Args:
        values: the dates as read.

    Returns:
        Date Series of the same length and name.
    """
    uniq = values.drop_nulls().unique(maintain_order=True)
    parsed = uniq.to_frame("v").select(parse_date(pl.col("v")))["v"]
    return values.replace_strict(uniq, parsed, default=None, return_dtype=pl.Date)
