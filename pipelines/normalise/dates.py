"""Dates as the departments write them, to ``pl.Date``, within a plausible range per field.

Accepted: 2020-01-05, 2020/1/5, 2020.1.5, 2020年1月5日 (spaces around 年月日 too), 20200105,
a trailing time ("2020-01-05 00:00:00", "2020-01-05T08:30:00Z"), and Excel serial day numbers
with or without a time part (43835 and 43835.75 = 2020-01-05), counted as Excel counts them:
Excel takes 1900 for a leap year, so serial 60 (its 1900-02-29) is no date and serials below
it are one day later than the epoch arithmetic of the serials above.

Rejected, each with its own check (:data:`DATE_REASONS`): two-digit years (20-01-05: the
century is not known, so it is never guessed), a bare year or a year and month (2020, 202001,
2020年1月: not a day, and never read as a serial), and dates outside the field's range
(:func:`date_range`: births 1900-01-01 .. the as-of date, events 2000-01-01 .. a year after
it). No parsed date is ever before 1900.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

EXCEL_EPOCH = dt.date(1899, 12, 30)
EXCEL_LEAP_BUG = 60  # Excel's serial for 1900-02-29, a day that never was
MIN_DATE = dt.date(1900, 1, 1)
BIRTH, EVENT = "birth", "event"
DATE_REASONS = {
    "date_unparseable": "date not understood",
    "date_two_digit_year": "two-digit year: the century is not known (write 2020-01-05)",
    "date_incomplete": "only a year, or a year and month: not a day",
    "date_out_of_range": "date outside the plausible range for this field",
}
_TIME = r"\s*(?:[T ]\s*|\s+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$"
_YEAR = r"(19\d{2}|20\d{2}|2100)"


def date_range(kind: str, as_of: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The plausible range of a kind of date.

    Args:
        kind: ``"birth"`` (1900-01-01 .. as-of) or ``"event"`` (2000-01-01 .. as-of + 1 year).
        as_of: the as-of date (default: today).

    Returns:
        (earliest, latest), both inclusive.
    """
    as_of = as_of or dt.date.today()
    if kind == BIRTH:
        return MIN_DATE, as_of
    if kind == EVENT:
        return dt.date(2000, 1, 1), _plus_year(as_of)
    msg = f"unknown kind of date {kind!r}: use {BIRTH!r} or {EVENT!r}"
    raise ValueError(msg)


def _plus_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _base(raw: pl.Expr) -> pl.Expr:
    """NFKC, trimmed, time of day dropped."""
    return raw.str.normalize("NFKC").str.strip_chars().str.replace(_TIME, "")


def _text(base: pl.Expr) -> pl.Expr:
    """Separators unified to ``-``, spaces, 日 and 号 dropped."""
    return (base.str.replace_all(r"\s+", "").str.replace_all(r"[年月/.]", "-")
            .str.replace_all(r"[日号]", "").str.strip_chars("-"))


def _whole(base: pl.Expr) -> pl.Expr:
    """The whole days of what may be an Excel serial (null when it is no such number)."""
    return base.str.extract(r"^(\d{1,5})(?:\.\d+)?$", 1).cast(pl.Int64, strict=False)


def _serial(base: pl.Expr, whole: pl.Expr | None = None) -> pl.Expr:
    """An Excel serial (1..99999, any time part) as a date; a year-like 1900..2100 is not
    (``whole``: ``_whole(base)`` when already computed)."""
    whole = _whole(base) if whole is None else whole
    ok = whole.is_between(1, 99_999) & ~whole.is_between(1900, 2100) & (whole != EXCEL_LEAP_BUG)
    days = pl.when(whole < EXCEL_LEAP_BUG).then(whole + 1).otherwise(whole)
    return pl.when(ok).then(pl.lit(EXCEL_EPOCH) + pl.duration(days=days)).cast(pl.Date)


def parse_date(raw: pl.Expr) -> pl.Expr:
    """Parse a text date column (no range applied; see :func:`date_check`).

    Args:
        raw: the date as read (String).

    Returns:
        Date expression; null when empty, unparseable, two-digit or incomplete.
    """
    base = _base(raw)
    return _parsed(base, _text(base))


def _parsed(base: pl.Expr, text: pl.Expr, whole: pl.Expr | None = None) -> pl.Expr:
    """:func:`parse_date` from ``_base`` and ``_text`` of the raw date (and ``_whole``)."""
    full = pl.when(text.str.contains(r"^\d{4}-\d{1,2}-\d{1,2}$")).then(
        text.str.to_date("%Y-%m-%d", strict=False))
    compact = pl.when(text.str.contains(r"^\d{8}$")).then(text.str.to_date("%Y%m%d", strict=False))
    return pl.coalesce(full, compact, _serial(base, whole))


def date_check(raw: pl.Expr, parsed: pl.Expr, low: dt.date, high: dt.date,
               text: pl.Expr | None = None) -> pl.Expr:
    """Why a non-empty raw date gives no usable date, or null.

    Args:
        raw: the date as read.
        parsed: :func:`parse_date` of it.
        low: earliest plausible date.
        high: latest plausible date.
        text: ``_text(_base(raw))`` when already computed.

    Returns:
        A key of :data:`DATE_REASONS` or null.
    """
    text = _text(_base(raw)) if text is None else text
    two_digit = text.str.contains(r"^\d{2}-\d{1,2}-\d{1,2}$|^\d{1,2}-\d{1,2}-\d{2}$|^\d{6}$")
    incomplete = text.str.contains(rf"^{_YEAR}(-\d{{1,2}})?$|^{_YEAR}(0[1-9]|1[0-2])$")
    return (
        pl.when(raw.str.strip_chars().fill_null("") == "").then(None)
        .when(parsed.is_null() & incomplete).then(pl.lit("date_incomplete"))
        .when(parsed.is_null() & two_digit).then(pl.lit("date_two_digit_year"))
        .when(parsed.is_null()).then(pl.lit("date_unparseable"))
        .when(~parsed.is_between(pl.lit(low), pl.lit(high))).then(pl.lit("date_out_of_range"))
    )


def normalise_dates(values: pl.Series, kind: str = EVENT,
                    as_of: dt.date | None = None) -> pl.DataFrame:
    """Dates and their problems for a text Series, worked out on its unique values.

    Args:
        values: the dates as read.
        kind: ``"birth"`` or ``"event"`` (see :func:`date_range`).
        as_of: the as-of date (default: today).

    Returns:
        Frame of the same length: ``date`` (null unless parsed and in range) and ``check``
        (a key of :data:`DATE_REASONS` or null).
    """
    low, high = date_range(kind, as_of)
    values = values.cast(pl.String)
    uniq = values.drop_nulls().unique(maintain_order=True).to_frame("v")
    v, base, text, whole = pl.col("v"), pl.col("_b"), pl.col("_t"), pl.col("_w")
    # each text form a column once: an expression is evaluated once per reference
    done = (uniq.with_columns(_base(v).alias("_b"))
            .with_columns(_text(base).alias("_t"), _whole(base).alias("_w"))
            .with_columns(_parsed(base, text, whole).alias("_d"))
            .select("v", date_check(v, pl.col("_d"), low, high, text).alias("check"),
                    pl.col("_d")))
    done = done.select(pl.when(pl.col("check").is_null()).then(pl.col("_d")).alias("date"),
                       "check")
    if done.height == 0:
        return pl.DataFrame({"date": pl.repeat(None, values.len(), dtype=pl.Date, eager=True),
                             "check": pl.repeat(None, values.len(), dtype=pl.String,
                                                eager=True)})
    index = values.replace_strict(uniq["v"], pl.int_range(done.height, eager=True),
                                  default=None, return_dtype=pl.UInt32)
    return _gather(done, index)


def _gather(done: pl.DataFrame, index: pl.Series) -> pl.DataFrame:
    """Rows of ``done`` by index (null index: a null row)."""
    return done.select(pl.all().gather(index))


def parse_dates_unique(values: pl.Series, kind: str = EVENT,
                       as_of: dt.date | None = None) -> pl.Series:
    """Parse a text date Series (unique values only), nulls where there is a problem.

    Args:
        values: the dates as read.
        kind: ``"birth"`` or ``"event"``.
        as_of: the as-of date (default: today).

    Returns:
        Date Series of the same length and name.
    """
    return normalise_dates(values, kind, as_of)["date"].alias(values.name)


def unparsed(raw: pl.Expr, typed: pl.Expr) -> pl.Expr:
    """True where a non-empty raw value did not parse (a date, an amount, a yes/no …).

    Args:
        raw: the value as read.
        typed: the parsed, typed value (null where parsing failed).

    Returns:
        Boolean expression.
    """
    return raw.str.strip_chars().fill_null("").ne("") & typed.is_null()
