"""Resident identity numbers (GB 11643-1999) as vectorised polars expressions.

``normalise_ids(frame, "id_raw")`` adds ``id_number`` (18 chars, upper X, null when unusable),
``id_valid``, ``id_birth_date``, ``id_sex`` and ``id_check`` (the name of the first problem,
null when none): ``id_missing``, ``id_excel_scientific``, ``id_format``, ``id_length``,
``id_excel_rounded``, ``id_region``, ``id_birth_date``, ``id_15_century`` (an old 15-digit
number read as 19yy that would make its holder older than ``OLD15_MAX_AGE``), ``id_checksum``.

Cleaning drops spaces, hyphens and dashes, zero-width and other invisible characters, Excel's
text markers (``'``, ``="…"``) and makes full-width digits and a lower-case x plain. An
18-digit number ending in ``000`` is what Excel leaves of an ID it held as a number (15
significant digits, the rest zeros): it is never trusted, even when its check character
happens to fit (about 1 in 11 do). The first two digits must be a province code (``000000``
is no region). Such numbers, a wrong check character or birth date keep the number, flagged
and not valid (no sex or birth date is read from them), for linkage to weigh; a number whose
region is ``000000`` is a placeholder and is not used at all.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import polars as pl

from pipelines.domain.identity import check_index, id_check_char_expr

MIN_BIRTH = dt.date(1900, 1, 1)
_YMD0 = 19000101  # MIN_BIRTH as yyyymmdd
_FULL = [chr(0xFF10 + i) for i in range(10)] + ["Ｘ", "ｘ", "\u3000"]
_HALF = [str(i) for i in range(10)] + ["X", "X", ""]
_NOISE = r"[\s\-\u2010-\u2015\u2212\uFF0D\u00AD\u200B-\u200F\u2060-\u2064\uFEFF'\"=]"
PROVINCES = (
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83",
)
_PROVINCE_INTS = [int(p) for p in PROVINCES]
OLD15_MAX_AGE = 105  # years: an old 15-digit number read as 19yy beyond this is in doubt
SCIENTIFIC = r"(?i)^[0-9](\.[0-9]+)?E\+?[0-9]+$|^[0-9]+\.[0-9]+$"

ID_REASONS = {
    "id_missing": "no identity number",
    "id_excel_scientific": "identity number was stored by Excel as a number and lost digits",
    "id_format": "identity number has characters other than digits and a final X",
    "id_length": "identity number is not 15 or 18 characters long",
    "id_excel_rounded": (
        "identity number ends in 000, as Excel leaves a number it held as a float (15 "
        "significant digits): its last digits are lost"),
    "id_region": "identity number does not start with a province code (e.g. 000000)",
    "id_birth_date": "birth date inside the identity number is not a real date in range",
    "id_15_century": (
        f"old 15-digit identity number whose 19yy birth year makes its holder older than "
        f"{OLD15_MAX_AGE}: its century is in doubt (a 20yy birth year written in the old form)"),
    "id_checksum": "identity number fails its check character (ISO 7064 MOD 11-2)",
}


def clean_id(raw: pl.Expr) -> pl.Expr:
    """Full-width to half-width, drop spaces, hyphens, invisible characters and Excel's text
    markers, upper-case X.

    Args:
        raw: the identity number as read.

    Returns:
        The cleaned text ("" stays "").
    """
    return (
        raw.str.replace_many(_FULL, _HALF)
        .str.replace_all(_NOISE, "")
        .str.replace_all("x", "X", literal=True)
    )


def _cleaned(raw: pl.Expr) -> pl.Expr:
    """clean_id, computed only for the rows that are not already clean."""
    return raw.fill_null("").map_batches(_clean_series, return_dtype=pl.String)


def _clean_series(values: pl.Series) -> pl.Series:
    dirty = (~values.str.contains(r"^[0-9]{17}[0-9X]$")).arg_true()
    if dirty.len() == 0:
        return values
    fixed = values.gather(dirty).to_frame("v").select(clean_id(pl.col("v")))["v"]
    return values.scatter(dirty, fixed)


def _to18(values: pl.Series) -> pl.Series:
    """15-digit numbers made 18 (``19`` before the year, check character appended)."""
    rows = values.str.contains(r"^[0-9]{15}$").arg_true()
    if rows.len() == 0:
        return values
    v = pl.col("v")
    first17 = v.str.slice(0, 6) + pl.lit("19") + v.str.slice(6, 9)
    longer = values.gather(rows).to_frame("v").select(first17 + id_check_char_expr(first17))
    return values.scatter(rows, longer["v"])


@lru_cache(maxsize=4)
def _birth_table(today: dt.date) -> pl.Series:
    """Date per ``yyyymmdd - 19000101`` for every real date from MIN_BIRTH to today, else null."""
    dates = pl.date_range(MIN_BIRTH, today, eager=True)
    ymd = (dates.dt.year() * 10000 + dates.dt.month().cast(pl.Int32) * 100
           + dates.dt.day().cast(pl.Int32)).cast(pl.Int64).to_numpy() - _YMD0
    days = np.full(int(ymd[-1]) + 1, np.iinfo(np.int32).min, dtype=np.int32)
    days[ymd] = dates.to_physical().to_numpy()
    table = pl.Series(days)
    return table.set(table == np.iinfo(np.int32).min, None).cast(pl.Date)


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` years earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _birth(n17: pl.Expr, today: dt.date) -> pl.Expr:
    """Birth date (digits 7-14) of a 17-digit integer, null when not a real date in range."""
    table = _birth_table(today)
    index = (n17 // 1000) % 10**8 - _YMD0
    inside = (index >= 0) & (index < table.len())
    return pl.lit(table).gather(pl.when(inside).then(index))


def normalise_ids(frame: pl.DataFrame | pl.LazyFrame, column: str = "id_raw",
                  today: dt.date | None = None) -> pl.DataFrame | pl.LazyFrame:
    """Add normalised identity-number columns.

    Args:
        frame: frame with the raw identity numbers.
        column: raw column name.
        today: upper bound for birth dates (default: today).

    Returns:
        The frame with ``id_number``, ``id_valid``, ``id_birth_date``, ``id_sex``, ``id_check``.
    """
    today = today or dt.date.today()
    text, n17, check = pl.col("_id"), pl.col("_n17"), pl.col("id_check")
    is15, is18 = pl.col("_is15"), pl.col("_is18")
    ends_x = text.str.ends_with("X")
    number = text.str.strip_suffix("X").cast(pl.Int64, strict=False)
    n15 = text.cast(pl.Int64, strict=False)
    t18 = text.map_batches(_to18, return_dtype=pl.String)
    birth = _birth(n17, today)
    usable = (check.is_null() | check.is_in(["id_checksum", "id_birth_date", "id_excel_rounded",
                                             "id_15_century"])
              | ((check == "id_region") & (n17 >= 10**11)))  # region 000000: a placeholder
    out = (
        frame.lazy()
        .with_columns(_cleaned(pl.col(column)).alias("_id"))
        .with_columns(
            text.str.contains(r"^[0-9]{15}$").alias("_is15"),
            text.str.contains(r"^[0-9]{17}[0-9X]$").alias("_is18"),
        )
        .with_columns(
            pl.when(is15).then(n15 // 10**9 * 10**11 + 19 * 10**9 + n15 % 10**9)
            .when(is18).then(pl.when(ends_x).then(number).otherwise(number // 10))
            .alias("_n17"),
        )
        .with_columns(_problem(text, n17, birth, today).alias("id_check"))
        .with_columns(
            pl.when(usable).then(t18).alias("id_number"),
            check.is_null().alias("id_valid"),
            pl.when(check.is_null()).then(birth).alias("id_birth_date"),
            pl.when(check.is_null()).then(
                pl.when(n17 % 2 == 1).then(pl.lit("男")).otherwise(pl.lit("女"))
            ).alias("id_sex"),
        )
        .drop("_id", "_is15", "_is18", "_n17")
    )
    return out if isinstance(frame, pl.LazyFrame) else out.collect()


def _problem(text: pl.Expr, n17: pl.Expr, birth: pl.Expr, today: dt.date) -> pl.Expr:
    """The first problem of an identity number (``id_check``), null when it is valid."""
    is15, is18 = pl.col("_is15"), pl.col("_is18")
    ends_x = text.str.ends_with("X")
    number = text.str.strip_suffix("X").cast(pl.Int64, strict=False)
    cc = check_index(n17)
    check_ok = is15 | ((12 - cc) % 11 == pl.when(ends_x).then(10).otherwise(number % 10))
    return (
        pl.when(text == "").then(pl.lit("id_missing"))
        .when(text.str.contains(SCIENTIFIC)).then(pl.lit("id_excel_scientific"))
        .when(~text.str.contains(r"^[0-9X]+$")).then(pl.lit("id_format"))
        .when(~is15 & (text.str.len_chars() != 18)).then(pl.lit("id_length"))
        .when(~is15 & ~is18).then(pl.lit("id_format"))
        .when(~(n17 // 10**15).is_in(_PROVINCE_INTS)).then(pl.lit("id_region"))
        .when(is18 & ~ends_x & (number % 1000 == 0)).then(pl.lit("id_excel_rounded"))
        .when(birth.is_null()).then(pl.lit("id_birth_date"))
        .when(is15 & (birth < pl.lit(_years_before(today, OLD15_MAX_AGE))))
        .then(pl.lit("id_15_century"))
        .when(~check_ok.fill_null(False)).then(pl.lit("id_checksum"))
    )
