"""Monthly case counts per village, for the village/township/county tables (县镇村三级).

Per village and month (``CASE_COUNTS``): ``cases_new`` (found this month), ``cases_open`` (open at
the month's end, the new ones included), ``cases_overdue`` (open past their ``due`` day),
``cases_resolved`` and ``cases_explained`` (closed so this month). A case counts in the village
of its person (or, for an uncertain pair, of its first record); cases whose village is not in
the region table count at no level, like registered people without a village. The township and
county figures are the sums (``pipelines.rollup`` sums every count column a village table has).
"""

from __future__ import annotations

import polars as pl

from pipelines.domain.cases import OPEN_STATUSES
from pipelines.domain.metrics import CASE_COUNTS, SUM_COLUMNS


def case_counts(cases: pl.DataFrame) -> pl.DataFrame:
    """Per village and month, the ``CASE_COUNTS``.

    Args:
        cases: ``mismatch_case`` rows of one or more months (with ``month``).

    Returns:
        month, village_code, and the ``CASE_COUNTS`` (Int64), one row per village with a case.
    """
    this_month = pl.col("status_month") == pl.col("month")
    flags = {
        "cases_new": pl.col("status") == "new",
        "cases_open": pl.col("status").is_in(OPEN_STATUSES),
        "cases_overdue": pl.col("overdue"),
        "cases_resolved": (pl.col("status") == "resolved") & this_month,
        "cases_explained": (pl.col("status") == "explained") & this_month,
    }
    return (
        cases.filter(pl.col("village_code").is_not_null())
        .group_by("month", "village_code")
        .agg(*(flag.fill_null(False).sum().cast(pl.Int64).alias(c) for c, flag in flags.items()))
        .select("month", "village_code", *CASE_COUNTS)
        .sort("month", "village_code")
    )


def with_case_counts(village: pl.DataFrame, cases: pl.DataFrame) -> pl.DataFrame:
    """The village table with the month's case counts (zeros for villages without a case).

    Call it on ``village_monthly`` before ``rollup_township``; the township and county tables
    then carry the sums.

    Args:
        village: ``village_monthly`` output.
        cases: ``mismatch_case`` of the same month(s).

    Returns:
        ``village`` with the ``CASE_COUNTS`` columns placed after its other counts.
    """
    counts = case_counts(cases)
    out = (village.drop([c for c in CASE_COUNTS if c in village.columns])
           .join(counts, on=["month", "village_code"], how="left")
           .with_columns(pl.col(*CASE_COUNTS).fill_null(0)))
    first_sum = (village.columns.index(SUM_COLUMNS[0]) if SUM_COLUMNS[0] in village.columns
                 else len(village.columns))
    order = [c for c in village.columns[:first_sum] if c not in CASE_COUNTS]
    return out.select(*order, *CASE_COUNTS,
                      *(c for c in out.columns if c not in order and c not in CASE_COUNTS))
