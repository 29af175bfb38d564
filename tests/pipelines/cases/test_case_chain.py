"""The months a rebuild leaves stale: the county's published months after it."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.cases.chain import later_months, stale_note

PUBLISHED = pl.DataFrame({
    "county": ["411421", "411421", "411421", "411421", "411422", None],
    "month": ["2026-09", "2026-10", "2026-11", "2026-12", "2027-01", "2026-11"],
    "status": ["published", "published", "published", "failed", "published", "published"],
})


@pytest.mark.parametrize(("county", "month", "later"), [
    ("411421", "2026-10", ["2026-11"]),  # a failed attempt publishes nothing
    ("411421", "2026-11", []),
    ("411421", "2026-08", ["2026-09", "2026-10", "2026-11"]),
    ("411422", "2026-10", ["2026-11", "2027-01"]),  # a county-less row: a one-county warehouse
])
def test_later_months_are_the_countys_published_months_after(
        county: str, month: str, later: list[str]) -> None:
    assert later_months(PUBLISHED, county, month) == later


def test_no_publication_table_no_later_months_and_no_note() -> None:
    assert later_months(pl.DataFrame(), "411421", "2026-10") == []
    assert stale_note("2026-10", []) == ""
    note = stale_note("2026-10", ["2026-11", "2026-12"])
    assert "\n" not in note and "2026-11, 2026-12" in note and "--through-latest" in note
