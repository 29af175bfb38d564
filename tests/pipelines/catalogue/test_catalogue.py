"""The catalogue: every bad landing file gives its exact outcome, loses nothing, leaks no ID.

For each case of ``cases.CASES`` the landing folder is ingested as a night reads it, and:

- exactly the expected rows are accepted, quarantined (with their check and column), set aside
  whole, or flagged as field issues; the reasons hold the expected words (naming the file,
  sheet, row and column a steward looks up);
- every file and sheet balances: rows read = accepted + quarantined, and the tables and the
  quarantine hold exactly the rows the accounting counts;
- no unmasked identity number (18 characters or the old 15 digits) is in any output but the
  typed tables (the quarantine, field issues, set-aside files, accounting, files,
  recognition), in the logs, on the console, or in the landing listing's messages.
"""

from __future__ import annotations

import logging
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from cases import CASES, Case

from pipelines.ingest import Ingested, ingest_landing
from pipelines.landing import list_landing
from pipelines.privacy import find_ids, frame_ids

AS_OF = date(2026, 10, 31)


def _where(file: str, sheet: str | None) -> str:
    return f"{file}#{sheet}" if sheet else file


def _accepted(out: Ingested) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = {}
    for table in out.tables.values():
        for file, sheet, row in table.select("source_file", "sheet", "row_number").iter_rows():
            rows.setdefault(_where(file, sheet), []).append(row)
    return {k: sorted(v) for k, v in rows.items()}


def _balanced(out: Ingested) -> None:
    """Rows read = accepted + quarantined per file and sheet, as the frames hold them."""
    acc = out.accounting
    assert (acc["rows_read"] == acc["rows_accepted"] + acc["rows_quarantined"]).all()
    counted = {_where(f, s): (a, q) for f, s, a, q in acc.select(
        "source_file", "sheet", "rows_accepted", "rows_quarantined").iter_rows()}
    accepted = {k: len(v) for k, v in _accepted(out).items()}
    quarantined = dict(out.quarantine.group_by("source_file", "sheet").len().select(
        pl.concat_str("source_file", pl.when(pl.col("sheet") != "").then(
            pl.lit("#") + pl.col("sheet")), ignore_nulls=True), "len").iter_rows())
    for where, (a, q) in counted.items():
        assert (accepted.get(where, 0), quarantined.get(where, 0)) == (a, q), where
    assert set(accepted) | set(quarantined) <= set(counted)


def _leaks(out: Ingested, *texts: str) -> list[str]:
    frames = [out.quarantine, out.field_issue, out.unrecognised, out.accounting, out.files,
              out.recognition]
    found = [f for frame in frames for f in frame_ids(frame)]
    found += [f for table in out.tables.values() for f in frame_ids(table.select(
        "source_file", "sheet", "record_id"))]
    return found + [f for t in texts for f in find_ids(t)]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_catalogue(case: Case, tmp_path: Path, caplog: pytest.LogCaptureFixture,
                   capsys: pytest.CaptureFixture[str]) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    case.write(landing)
    with caplog.at_level(logging.DEBUG):
        out = ingest_landing(landing, as_of=AS_OF)
        skipped = [str(s) for s in list_landing(landing).skipped]

    assert _accepted(out) == case.accepted
    got_q = {(_where(f, s), r, c, k) for f, s, r, c, k in out.quarantine.select(
        "source_file", "sheet", "row_number", "column", "check").iter_rows()}
    assert got_q == set(case.quarantined)
    assert {(_where(f, s), k) for f, s, k in out.unrecognised.select(
        "source_file", "sheet", "check").iter_rows()} == set(case.set_aside)
    assert {(_where(f, s), r, c, k) for f, s, r, c, k in out.field_issue.select(
        "source_file", "sheet", "row_number", "column", "check").iter_rows()} == set(case.issues)

    said = "\n".join([*out.quarantine["reason"], *out.unrecognised["reason"],
                      *out.field_issue["reason"], *out.quarantine["value_masked"].drop_nulls(),
                      *out.field_issue["value_masked"].drop_nulls()])
    for words in case.says:
        assert words in said, words
    for words in case.skipped:
        assert any(words in s for s in skipped), (words, skipped)

    _balanced(out)
    for where, n in case.read.items():
        assert out.accounting.filter(pl.concat_str(
            "source_file", pl.when(pl.col("sheet") != "").then(pl.lit("#") + pl.col("sheet")),
            ignore_nulls=True) == where)["rows_read"].sum() == n, where

    console = capsys.readouterr()
    assert _leaks(out, caplog.text, console.out, console.err, *skipped) == []
