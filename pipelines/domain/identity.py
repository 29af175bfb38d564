"""The resident identity number (GB 11643-1999): its check character and how it is masked.

The check character is ISO 7064 MOD 11-2 over the first 17 digits. Masking is the privacy rule
every log, error message and Dagster metadata value obeys: an identity number is shown as
``410103********123X`` (:func:`mask_id`), and free text is scrubbed of ID-like runs
(:func:`mask_ids_in_text`). Published tables may hold full numbers; nothing a person reads
in a log or the UI does.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
import polars as pl

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


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
