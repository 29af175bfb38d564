"""The county's clock and its four departments."""

from __future__ import annotations

# The county's clock: months, schedules and decision times are read in China Standard Time.
TIMEZONE = "Asia/Shanghai"

DEPARTMENTS: dict[str, str] = {
    "poverty": "乡村振兴局(扶贫办)",
    "health": "卫健局",
    "civil": "民政局",
    "insurance": "医保局",
}

# Published table names: a contract with stewards and the illness office.
PUBLISHED_TABLES: tuple[str, ...] = (
    "person_source", "person", "quarantine", "field_issue", "mismatch", "mismatch_case",
    "uncertain_match",
    "village_monthly", "township_monthly", "county_monthly", "exchange_diff",
)
FILING_DAY = 5  # 每月5日前报备: the monthly exchange is filed by the 5th of the next month
