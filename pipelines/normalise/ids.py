"""Resident identity numbers (GB 11643-1999) as vectorised polars expressions.

``normalise_ids(frame, "id_raw")`` adds ``id_number`` (18 chars, upper X, null when unusable),
``id_valid``, ``id_birth_date``, ``id_sex`` and ``id_check`` (the name of the first problem,
null when none): ``id_missing``, ``id_excel_scientific``, ``id_format``, ``id_length``,
``id_birth_date``, ``id_checksum``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
MIN_BIRTH = dt.date(1900, 1, 1)
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
    return pl.when(digits17).then(check_char_of_int(first17.cast(pl.Int64, strict=False)))


def check_char_of_int(number: pl.Expr) -> pl.Expr:
    """Check character from the first 17 digits held as one Int64 (integer arithmetic).

    Args:
        number: the 17 leading digits as an integer.

    Returns:
        String expression of the check character (null where the number is null).
    """
    codes = number.fill_null(0).map_batches(_check_index, return_dtype=pl.Int64)
    chars = codes.replace_strict(list(range(11)), list(CHECK_CHARS), return_dtype=pl.String)
    return pl.when(number.is_not_null()).then(chars)


def _check_index(numbers: pl.Series) -> pl.Series:
    """MOD 11-2 remainder of 17-digit integers, with numpy (vectorised, no row loop)."""
    rest = numbers.to_numpy().astype(np.int64, copy=True)
    total = np.zeros(len(rest), dtype=np.int64)
    for weight in reversed(WEIGHTS):
        rest, digit = np.divmod(rest, 10)
        total += digit * weight
    return pl.Series(numbers.name, total % 11)


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
    """clean_id, computed only for the unique values that are not already clean."""
    return raw.fill_null("").map_batches(_clean_series, return_dtype=pl.String)


def _clean_series(values: pl.Series) -> pl.Series:
    dirty = values.filter(~values.str.contains(r"^[0-9]{17}[0-9X]$")).unique()
    if dirty.len() == 0:
        return values
    fixed = dirty.to_frame("v").select(clean_id(pl.col("v")))["v"]
    return values.replace(dirty, fixed)


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
    text, first17, n17 = pl.col("_id"), pl.col("_first17"), pl.col("_n17")
    is15 = text.str.contains(r"^[0-9]{15}$")
    t18 = pl.col("_id18")
    birth = t18.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
    shape_ok = t18.str.contains(r"^[0-9]{17}[0-9X]$")
    check_ok = pl.col("_cc") == t18.str.slice(17, 1)
    birth_ok = birth.is_between(pl.lit(MIN_BIRTH), pl.lit(today))
    problem = (
        pl.when(text == "").then(pl.lit("id_missing"))
        .when(text.str.contains(SCIENTIFIC)).then(pl.lit("id_excel_scientific"))
        .when(~text.str.contains(r"^[0-9X]+$")).then(pl.lit("id_format"))
        .when(t18.str.len_chars() != 18).then(pl.lit("id_length"))
        .when(~shape_ok).then(pl.lit("id_format"))
        .when(~birth_ok.fill_null(False)).then(pl.lit("id_birth_date"))
        .when(~check_ok.fill_null(False)).then(pl.lit("id_checksum"))
    )
    check = pl.col("id_check")
    usable = check.is_null() | check.is_in(["id_checksum", "id_birth_date"])
    out = (
        frame.lazy()
        .with_columns(_cleaned(pl.col(column)).alias("_id"))
        .with_columns(
            pl.when(is15).then(text.str.slice(0, 6) + pl.lit("19") + text.str.slice(6, 9))
            .otherwise(text.str.slice(0, 17)).alias("_first17"),
        )
        .with_columns(first17.cast(pl.Int64, strict=False).alias("_n17"))
        .with_columns(
            pl.when(first17.str.len_chars() == 17).then(check_char_of_int(n17)).alias("_cc")
        )
        .with_columns(pl.when(is15).then(first17 + pl.col("_cc")).otherwise(text).alias("_id18"))
        .with_columns(problem.alias("id_check"))
        .with_columns(
            pl.when(usable).then(t18).alias("id_number"),
            check.is_null().alias("id_valid"),
            pl.when(check.is_null()).then(birth).alias("id_birth_date"),
            pl.when(check.is_null()).then(
                pl.when(t18.str.slice(16, 1).cast(pl.Int32, strict=False) % 2 == 1)
                .then(pl.lit("男")).otherwise(pl.lit("女"))
            ).alias("id_sex"),
        )
        .drop("_id", "_first17", "_n17", "_cc", "_id18")
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
