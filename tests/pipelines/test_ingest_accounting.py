"""Ingest accounting: the figures are recorded as counted, so an unbalanced file is detectable.

Ingest used to raise ``AssertionError`` when rows read != accepted + quarantined, which made the
``rows_accounted`` check unreachable. Now ingest records the figures and ``unaccounted`` names
the files and sheets that do not balance; these tests simulate an ingest bug that loses or
invents a row and require the run to finish with the loss visible in the accounting.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import pipelines.ingest.grids as ingest
from pipelines.extracts import Recognised
from pipelines.ingest import ingest_landing, unaccounted
from pipelines.ingest.rows import ACCOUNTING_SCHEMA, accounting_row
from pipelines.read import Grid
from schemas.canonical import IngestAccounting
from schemas.contract import polars_schema

DEATHS = "姓名,身份证号,死亡日期\n甲,11010519491231002X,2020-01-05\n乙,,2020-02-05\n\n合计,,\n"


def _accounting(rows: list[tuple[str, int, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(f, "", "death", r, a, q) for f, r, a, q in rows], schema=ACCOUNTING_SCHEMA, orient="row"
    )


UNACCOUNTED_CASES = [
    {"description": "balanced: every row accepted", "figures": (3, 3, 0), "expected": None},
    {"description": "balanced: rows quarantined", "figures": (5, 2, 3), "expected": None},
    {"description": "balanced: empty file", "figures": (0, 0, 0), "expected": None},
    {"description": "one row lost", "figures": (4, 2, 1), "expected": 1},
    {"description": "one row invented", "figures": (2, 2, 1), "expected": -1},
    {"description": "all rows lost", "figures": (7, 0, 0), "expected": 7},
]


@pytest.mark.parametrize("case", UNACCOUNTED_CASES,
                         ids=[c["description"] for c in UNACCOUNTED_CASES])
def test_unaccounted_names_exactly_the_unbalanced_files(case: dict) -> None:
    """Catches a check that compares the wrong columns or ignores invented rows."""
    accounting = _accounting([("ok.csv", 2, 1, 1), ("case.csv", *case["figures"])])
    off = unaccounted(accounting)
    if case["expected"] is None:
        assert off.height == 0
    else:
        assert off.select("source_file", "rows_unaccounted").rows() == [
            ("case.csv", case["expected"])]


def test_accounting_row_records_unbalanced_figures_instead_of_raising() -> None:
    """Catches ingest stopping on the count (the check could then never fail)."""
    grid = Grid("a.csv", "s", "utf-8", "0" * 64, pl.DataFrame())
    rec = Recognised(grid, "death", header_row=1, headers={}, columns={})
    row = accounting_row(rec, read=5, accepted=3, quarantined=1)
    assert row.schema == polars_schema(IngestAccounting)
    assert row.rows() == [("a.csv", "s", "death", 5, 3, 1)]


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    (tmp_path / "死亡.csv").write_text(DEATHS, encoding="utf-8")
    return tmp_path


def test_real_ingest_balances(landing: Path) -> None:
    """The handmade file's figures, counted independently: 4 rows below the header, 2 kept."""
    out = ingest_landing(landing)
    assert out.accounting.select("rows_read", "rows_accepted", "rows_quarantined").rows() == [
        (4, 2, 2)]
    assert unaccounted(out.accounting).height == 0


@pytest.mark.parametrize(("bug", "expected"), [("loses", 1), ("invents", -1)])
def test_ingest_that_loses_or_invents_a_row_finishes_and_shows_it(
    landing: Path, monkeypatch: pytest.MonkeyPatch, bug: str, expected: int
) -> None:
    """A typing step that drops (or duplicates) a row: the run ends, the accounting says so."""
    real = ingest.typed_frame

    def buggy(*args: object, **kwargs: object) -> pl.DataFrame:
        typed = real(*args, **kwargs)
        return typed.head(-1) if bug == "loses" else pl.concat([typed, typed.head(1)])

    monkeypatch.setattr(ingest, "typed_frame", buggy)
    out = ingest_landing(landing)
    off = unaccounted(out.accounting)
    assert off.select("source_file", "rows_read", "rows_unaccounted").rows() == [
        ("死亡.csv", 4, expected)]
    accepted = out.tables["death"].height
    assert off["rows_accepted"].item() == accepted == 2 - expected
