"""Resident identity numbers (GB 11643-1999) as vectorised polars expressions.

``normalise_ids(frame, "id_raw")`` adds ``id_number`` (18 chars, upper X, null when unusable),
``id_valid``, ``id_birth_date``, ``id_sex`` and ``id_check`` (the name of the first problem,
null when none): ``id_missing``, ``id_excel_scientific``, ``id_format``, ``id_length``,
``id_birth_date``, ``id_checksum``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

import numpy as np
import polars as pl

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
MIN_BIRTH = dt.date(1900, 1, 1)
_YMD0 = 19000101  # MIN_BIRTH as yyyymmdd
_FULL = [chr(0xFF10 + i) for i in range(10)] + ["Ｘ", "ｘ", "\u3000"]
_HALF = [str(i) for i in range(10)] + ["X", "X", ""]
SCIENTIFIC = r"(?i)^[0-9](\.[0-9]+)?E\+?[0-9]+$|^[0-9]+\.[0-9]+$"

ID_REASONS = {
    "id_missing": "no identity number",
    "id_excel_scientific": "identity number was stored by Excel as a number and lost digits",
    "id_format": "identity number has characters other than digits and a final X",
    "id_length": "identity number is not 15 or 18 characters long",
    "id_birth_date": "birth date inside the identity number is not a real date in range",
    "id_checksum": "identity number fails its check character (ISO 7064 MOD 11-2)",
}


def id_check_char(first17: str) -> str:
    """The check character of an identity number.

    Args:
        first17: the first 17 digits.

    Returns:
        "0"-"9" or "X".
    """
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def id_check_char_expr(first17: pl.Expr) -> pl.Expr:
    """Vectorised check character of 17-digit strings (null when not 17 digits).

    Args:
        first17: expression of 17-digit strings.

    Returns:
        String expression of the check character.
    """
    digits17 = first17.str.contains(r"^[0-9]{17}$")
    return check_char_of_int(pl.when(digits17).then(first17.cast(pl.Int64, strict=False)))


def check_char_of_int(number: pl.Expr) -> pl.Expr:
    """Check character from the first 17 digits held as one Int64 (integer arithmetic).

    Args:
        number: the 17 leading digits as an integer (0 <= number < 10**17).

    Returns:
        String expression of the check character (null where the number is null).
    """
    return pl.lit(pl.Series(list(CHECK_CHARS), dtype=pl.String)).gather(check_index(number))


def check_index(number: pl.Expr) -> pl.Expr:
    """MOD 11-2 remainder (index into ``CHECK_CHARS``) of the 17 leading digits as an Int64.

    The weighted digit sum is linear, so it is the sum of per-chunk partial sums; the chunks
    (5 + 4 + 4 + 4 digits) index precomputed tables: a few integer operations per row.

    Args:
        number: the 17 leading digits as an integer (0 <= number < 10**17), or null.

    Returns:
        Int64 expression 0..10 (null where the number is null).
    """
    return number.map_batches(_check_index, return_dtype=pl.Int64)


def _check_index(numbers: pl.Series) -> pl.Series:
    """check_index on a materialised Series (so the input expression is evaluated once)."""
    n = pl.col("n")
    total = pl.lit(0, pl.Int64)
    for table, div, mod in zip(_chunk_tables(), _CHUNK_DIV, _CHUNK_MOD, strict=True):
        total = total + pl.lit(table).gather((n // div) % mod)
    return numbers.cast(pl.Int64).to_frame("n").select(total % 11).to_series().alias(numbers.name)


_CHUNKS = (5, 4, 4, 4)
_CHUNK_DIV = (10**12, 10**8, 10**4, 1)
_CHUNK_MOD = (10**5, 10**4, 10**4, 10**4)


@lru_cache(maxsize=1)
def _chunk_tables() -> tuple[pl.Series, ...]:
    """Weighted digit sums of every value of each digit chunk of the first 17 digits."""
    tables, start = [], 0
    for width in _CHUNKS:
        values = np.arange(10**width, dtype=np.int64)
        total = np.zeros(10**width, dtype=np.int64)
        for weight in reversed(WEIGHTS[start:start + width]):
            values, digit = np.divmod(values, 10)
            total += digit * weight
        tables.append(pl.Series(total))
        start += width
    return tuple(tables)


def clean_id(raw: pl.Expr) -> pl.Expr:
    """Trim, full-width to half-width, drop inner spaces, upper-case X.

    Args:
        raw: the identity number as read.

    Returns:
        The cleaned text ("" stays "").
    """
    return (
        raw.str.replace_many(_FULL, _HALF)
        .str.replace_all(r"\s+", "")
        .str.replace_all("x", "X", literal=True)
        .str.replace_all("'", "", literal=True)
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
    cc = check_index(n17)
    t18 = text.map_batches(_to18, return_dtype=pl.String)
    check_ok = is15 | ((12 - cc) % 11 == pl.when(ends_x).then(10).otherwise(number % 10))
    birth = _birth(n17, today)
    problem = (
        pl.when(text == "").then(pl.lit("id_missing"))
        .when(text.str.contains(SCIENTIFIC)).then(pl.lit("id_excel_scientific"))
        .when(~text.str.contains(r"^[0-9X]+$")).then(pl.lit("id_format"))
        .when(~is15 & (text.str.len_chars() != 18)).then(pl.lit("id_length"))
        .when(~is15 & ~is18).then(pl.lit("id_format"))
        .when(birth.is_null()).then(pl.lit("id_birth_date"))
        .when(~check_ok.fill_null(False)).then(pl.lit("id_checksum"))
    )
    usable = check.is_null() | check.is_in(["id_checksum", "id_birth_date"])
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
        .with_columns(problem.alias("id_check"))
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


def mask_id(value: str | pl.Expr | None) -> str | pl.Expr | None:
    """Mask an identity number: first 6 and last 4 characters kept.

    Args:
        value: a string, a polars expression, or None.

    Returns:
        ``410103********123X`` for 18 characters; shorter values keep less (under 10
        characters everything is masked); same kind as the input.
    """
    if isinstance(value, pl.Expr):
        n = value.str.len_chars()
        middle = value.str.slice(6, n - 10).str.replace_all(".", "*")
        long = value.str.slice(0, 6) + middle + value.str.slice(-4, 4)
        return pl.when(n >= 10).then(long).otherwise(value.str.replace_all(".", "*"))
    if value is None:
        return None
    text = str(value)
    if len(text) < 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


# 15 or more digits (half- or full-width), maybe ending in X, or an 18-character number split
# 6-8-4 by spaces or hyphens as dirty extracts write it (410103 19900307 123X).
_DIGIT = "[0-9\uff10-\uff19]"
_CHECK = "[0-9\uff10-\uff19Xx\uff38\uff58]"
_SEP = "[ \t\u3000-]"
ID_RUN = (rf"(?<!{_DIGIT})(?:{_DIGIT}{{14,}}{_CHECK}"
          rf"|{_DIGIT}{{6}}{_SEP}{_DIGIT}{{8}}{_SEP}{_DIGIT}{{3}}{_CHECK})(?!{_DIGIT})")
_ID_RUN = re.compile(ID_RUN)


def mask_ids_in_text(text: str | pl.Expr | None) -> str | pl.Expr | None:
    """Mask every identity-number-like run (15 or more digits, maybe a final X) in free text.

    The one scrubber for error messages, logs and ``value_masked`` cells: each run is masked
    with :func:`mask_id` (``410103********123X``); other text is left as it is, so Excel's
    ``4.11421E+17`` stays readable.

    Args:
        text: a message, a polars string expression, or None.

    Returns:
        The text with ID-like runs masked; same kind as the input.
    """
    if isinstance(text, pl.Expr):
        return text.map_batches(_scrub_series, return_dtype=pl.String)
    if text is None:
        return None
    return _ID_RUN.sub(lambda m: str(mask_id(_compact(m.group(0)))), str(text))


def _compact(run: str) -> str:
    """An ID-like run as plain half-width characters, separators dropped."""
    return re.sub(r"[ \t\u3000-]", "", unicodedata.normalize("NFKC", run))


def _scrub_series(values: pl.Series) -> pl.Series:
    """mask_ids_in_text over a Series, on the unique values that hold a long digit run."""
    values = values.cast(pl.String)
    hits = values.filter(values.str.count_matches(_DIGIT) >= 15).unique()
    if hits.len() == 0:
        return values
    clean = pl.Series([mask_ids_in_text(v) for v in hits], dtype=pl.String)
    return values.replace(hits, clean)
