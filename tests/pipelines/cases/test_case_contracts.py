"""The case engine's outputs have exactly their contracts' columns, with rows and without; the
county's case settings refuse what they cannot mean."""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl
import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from case_frames import answer, answers, mismatch, records

from pipelines.cases import CaseSettings, not_same_person_decisions, steward_answer, track_cases
from pipelines.cases.returned import read_worklist
from pipelines.exchange import archive_index, archive_return, archived_returns
from schemas.cases import ArchivedReturn, MismatchCase, ReturnProblem, Verification
from schemas.contract import polars_schema
from schemas.steward import MatchDecision

OWNERS = {"death|1": "PA", "enrolment|1": "PA"}


def _schema(frame: pl.DataFrame) -> list:
    return list(frame.schema.items())


@pytest.mark.parametrize("rows", [1, 0])
def test_case_table_and_decisions_keep_their_contracts(rows: int) -> None:
    found = mismatch(("dead_but_active", "PA", None, "death|1,enrolment|1"))[:rows]
    cases = track_cases(None, found, records(OWNERS), "2026-10")
    assert _schema(cases) == list(polars_schema(MismatchCase).items())
    again = track_cases(cases, found, records(OWNERS), "2026-11")
    assert _schema(again) == list(polars_schema(MismatchCase).items())
    said = answers(*[answer(c, "非同一人") for c in cases["case_id"]])
    decisions, problems = not_same_person_decisions(said, cases)
    assert decisions.height == rows and _schema(decisions) == list(
        polars_schema(MatchDecision).items())
    assert _schema(problems) == list(polars_schema(ReturnProblem).items())


def test_returned_list_frames_keep_their_contracts(tmp_path: Path) -> None:
    path = tmp_path / "问题清单_城关镇_2026-10.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["问题编号", "姓名", "核实结果", "说明", "核实人", "核实日期"])
    book.active.append(["C0123456789a", "张伟", "其他", "已迁出", "王", "2026-11-03"])
    book.save(path)
    got = read_worklist(path)
    assert got.answered == 1
    assert _schema(got.verifications) == list(polars_schema(Verification).items())
    assert _schema(got.problems) == list(polars_schema(ReturnProblem).items())
    kept = archive_return(path, tmp_path / "archive", "worklist", "2026-10")
    index = archive_index(archived_returns(tmp_path / "archive"))
    ArchivedReturn.validate(index)
    assert index["path"].to_list() == [str(kept.path)]


def test_steward_answer_is_a_verification() -> None:
    row = steward_answer("C0123456789a", "其他", "县数据员", "系统未同步")
    assert _schema(row) == list(polars_schema(Verification).items())
    assert row["source_file"].item() == "steward"
    with pytest.raises(ValueError, match="result must be one of"):
        steward_answer("C0123456789a", "好了", "县数据员")


@pytest.mark.parametrize(("raw", "error"), [
    ({"deadline_days": -1}, "whole number of days"),
    ({"deadline_days": "thirty"}, "whole number of days"),
    ({"township_deadline_days": {"410100001000": 1.5}}, "whole number of days"),
    ({"deadlines": 3}, "unknown case setting"),
])
def test_settings_refuse_what_they_cannot_mean(raw: dict, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        CaseSettings.from_mapping(raw)


def test_settings_read_per_township_days_and_full_ids() -> None:
    got = CaseSettings.from_mapping({"township_deadline_days": {410100001000: 10},
                                     "full_ids": True})
    assert got.full_ids and got.township_deadline_days == {"410100001000": 10}
    days = pl.DataFrame({"t": ["410100001000", "410100002000"]}).select(got.days(pl.col("t")))
    assert days["t"].to_list() == [10, 31]
