"""Amounts of money (yuan) as the departments write them, to Float64 within a plausible range.

Accepted: ``1234.5``, ``1,234.50``, ``1，234.5``, ``￥1234.5``, ``1234.5元``, full-width digits,
``1.2345E+03`` (a number Excel wrote in scientific form). Rejected as field issues, never
published: text that is no number, ``inf`` and ``NaN`` (``money_not_finite``), negative
amounts such as reversal entries (``money_negative``) and amounts of ``MAX_AMOUNT`` yuan or
more (``money_implausible``: one inpatient stay costs far less; such a figure is a typing or
export error, and would overflow the exchange workbook).
"""

from __future__ import annotations

import polars as pl

MAX_AMOUNT = 10_000_000.0  # yuan; the most expensive treatments cost a few million
MONEY_REASONS = {
    "money_unparseable": "amount is not a number",
    "money_not_finite": "amount is infinite or not a number (inf, NaN)",
    "money_negative": "amount is negative",
    "money_implausible": f"amount is {MAX_AMOUNT:,.0f} yuan or more: not a plausible amount",
}


# An amount as most are written: ASCII digits, a point and decimals. Its float is its cast;
# only the other texts go through the clean-up below.
_PLAIN = r"^[0-9]+(\.[0-9]+)?$"


def number(raw: pl.Expr) -> pl.Expr:
    """The raw text as a float (inf/NaN kept), null when it is no number.

    :func:`money_check` and :func:`parse_money` refer to it several times: given it as a
    column (``value``), a frame computes it once per field (polars evaluates it once per
    reference otherwise: five times the text work).
    """
    return raw.map_batches(_numbers, return_dtype=pl.Float64)


def _numbers(values: pl.Series) -> pl.Series:
    """:func:`_number` of each text, worked out only for the texts that are not plain."""
    values = values.cast(pl.String)
    rows = (~values.str.contains(_PLAIN)).fill_null(True).arg_true()
    plain = values.cast(pl.Float64, strict=False)
    if rows.len() == 0:
        return plain
    other = values.gather(rows).to_frame("v").select(_number(pl.col("v"))).to_series()
    return plain.scatter(rows, other)


def _number(raw: pl.Expr) -> pl.Expr:
    """The float of any text an amount may be written as, null when it is no number."""
    text = (raw.str.normalize("NFKC").str.replace_all(r"[\s,，￥¥]|元$|^RMB", "")
            .str.strip_chars())
    return pl.when(text.str.contains(r"(?i)^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$|^[+-]?(inf|"
                                     r"infinity|nan)$")).then(text.cast(pl.Float64, strict=False))


def money_check(raw: pl.Expr, value: pl.Expr | None = None) -> pl.Expr:
    """Why a non-empty raw amount gives no usable amount, or null.

    Args:
        raw: the amount as read (String).
        value: :func:`number` of ``raw`` when already computed.

    Returns:
        A key of :data:`MONEY_REASONS` or null.
    """
    value = number(raw) if value is None else value
    return (
        pl.when(raw.str.strip_chars().fill_null("") == "").then(None)
        .when(value.is_null()).then(pl.lit("money_unparseable"))
        .when(~value.is_finite()).then(pl.lit("money_not_finite"))
        .when(value < 0).then(pl.lit("money_negative"))
        .when(value >= MAX_AMOUNT).then(pl.lit("money_implausible"))
    )


def parse_money(raw: pl.Expr, value: pl.Expr | None = None) -> pl.Expr:
    """Parse an amount; null when empty or when :func:`money_check` finds a problem.

    Args:
        raw: the amount as read (String).
        value: :func:`number` of ``raw`` when already computed.

    Returns:
        Float64 expression, finite, 0 <= amount < ``MAX_AMOUNT``.
    """
    value = number(raw) if value is None else value
    return pl.when(value.is_finite() & (value >= 0) & (value < MAX_AMOUNT)).then(value + 0.0)
