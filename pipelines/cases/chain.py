"""A month's cases stand on the month before: rebuilding one leaves the later months stale.

``mismatch_case`` of a month is built from the latest published month before it. Rebuilding
October after November was published rewrites October's case history while November still
holds the cases it built from the old October (cases October now has listed as ``new`` in
November with ``first_seen`` November, answers counted twice …). :func:`later_months` names the
months to rebuild after it, from the warehouse's ``publication`` table; ``sanji rerun
--through-latest`` rebuilds them in order.
"""

from __future__ import annotations

import polars as pl

from pipelines.domain.months import Month


def later_months(publications: pl.DataFrame, county: str | None, month: str | Month
                 ) -> list[str]:
    """The county's published months after ``month``, oldest first.

    Args:
        publications: the warehouse's ``publication`` rows (``pipelines.warehouse
            .publications``; an empty frame when nothing was recorded).
        county: the county code; rows without a county (a one-county warehouse) count too.
        month: the month rebuilt.

    Returns:
        ``YYYY-MM`` strings, unique, ascending.
    """
    if publications.is_empty() or not {"status", "month"} <= set(publications.columns):
        return []
    rows = publications.filter((pl.col("status") == "published")
                               & (pl.col("month") > str(Month.parse(month))))
    if county is not None and "county" in publications.columns:
        rows = rows.filter(pl.col("county").is_null() | (pl.col("county") == county))
    return sorted(set(rows["month"].drop_nulls().to_list()))


def stale_note(month: str | Month, later: list[str]) -> str:
    """One line naming the months a rebuild of ``month`` left stale ('' when none)."""
    if not later:
        return ""
    return (f"{', '.join(later)} were built on the {month} just replaced and are now "
            f"stale; rebuild them in order: sanji rerun --month {later[0]} --through-latest "
            f"(or rerun {month} with --through-latest)")
