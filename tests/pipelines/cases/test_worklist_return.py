"""A filled work list comes back (re-saved, reordered, with extra rows) and is read: answers,
and every row that cannot be used reported with where it is; returns are archived for good."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from sanji_tests_worklist import fill_worklist

sys.path.insert(0, str(Path(__file__).parent))
from printed import LIBREOFFICE
from worklist_county import county

from pipelines.cases import track_cases
from pipelines.cases.returned import read_worklist
from pipelines.cases.worklist import write_worklists
from pipelines.exchange.archive import archive_return, archived_returns, latest_return

RECEIVED = "2026-11-21T09:00:00+08:00"


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory):
    c = county(12)
    out = tmp_path_factory.mktemp("outbox")
    paths = write_worklists(c.cases, c.person, c.person_source, c.regions, "2026-10", out)
    return c, paths[0]


def fill(path: Path, answers: dict[str, tuple], target: Path) -> list[str]:
    """Answer cases as a clerk does: rows reversed, extra rows; returns the case ids in order."""
    return fill_worklist(path, answers, target, reorder=True, extra=[
        {"name": "李四", "note": "新迁入, 名单中没有"},  # a person the clerk added: no case id
        {"case_id": "C00000000000", "result": "其他"}])  # not on any list


def resave(path: Path, suffix: str, work: Path) -> Path:
    """The file as LibreOffice saves it (xlsx, xls or ods)."""
    if LIBREOFFICE is None:
        pytest.skip("libreoffice is not installed")
    out = work / f"resaved_{suffix}"
    subprocess.run([LIBREOFFICE, f"-env:UserInstallation=file://{work}/lo_profile", "--headless",
                    "--convert-to", suffix, "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=180)
    return out / f"{path.stem}.{suffix}"


@pytest.fixture(scope="module")
def filled(listed, tmp_path_factory):
    c, path = listed
    ids = sorted(c.cases.filter(pl.col("township_code") == "410100001000")["case_id"])
    answers = {
        ids[0]: ("属实已整改", "已补签", "王会计", datetime(2026, 11, 5)),
        ids[1]: ("不是同一人", None, "王会计", "2026年11月6日"),  # a clerk's own words
        ids[2]: ("信息有误", "本人已在外省参保", None, "11月初"),  # unreadable date
        ids[3]: ("待查", None, None, None),  # not an answer
        ids[4]: (None, "下周核实", "李干事", None),  # a note without an answer
    }
    target = tmp_path_factory.mktemp("inbox") / path.name
    order = fill(path, answers, target)
    return c, target, ids, order


@pytest.mark.parametrize("form", ["openpyxl", "xlsx", "xls", "ods"])
def test_returned_list_reads_answers_and_reports_the_rest(filled, form, tmp_path) -> None:
    c, path, ids, order = filled
    if form != "openpyxl":
        path = resave(path, form, tmp_path)
    got = read_worklist(path, c.cases, received_at=RECEIVED)
    v = {r["case_id"]: r for r in got.verifications.iter_rows(named=True)}
    assert set(v) == {ids[0], ids[1], ids[2]}
    assert (v[ids[0]]["result"], v[ids[0]]["note"], v[ids[0]]["verified_on"]) == (
        "属实已整改", "已补签", date(2026, 11, 5))
    assert v[ids[1]]["result"] == "非同一人" and v[ids[1]]["verified_on"] == date(2026, 11, 6)
    assert v[ids[2]]["result"] == "信息有误" and v[ids[2]]["verified_on"] is None
    assert v[ids[0]]["row_number"] == 4 + order.index(ids[0])  # the row the clerk sees
    problems = {(r["problem"], r["column"]): r for r in got.problems.iter_rows(named=True)}
    assert set(problems) == {("bad_date", "核实日期"), ("unknown_result", "核实结果"),
                             ("answer_without_result", "核实结果"), ("no_case_id", "问题编号"),
                             ("unknown_case", "问题编号")}
    assert problems[("unknown_result", "核实结果")]["row_number"] == 4 + order.index(ids[3])
    assert problems[("no_case_id", "问题编号")]["value_masked"] == "李四"
    assert all(r["source_file"] == path.name for r in got.problems.iter_rows(named=True))
    assert got.month == "2026-10" and got.answered == 3
    assert got.unanswered == len(order) - 5


def test_answers_update_the_cases(filled) -> None:
    c, path, ids, _ = filled
    got = read_worklist(path, c.cases, received_at=RECEIVED)
    from pipelines.cases.keys import case_records

    mismatch = c.cases.select("rule", "person_id", "case_key", "name", "township_code",
                              "village_code", "detail", "evidence").with_columns(
        rule_zh=pl.lit(""), rule_en=pl.lit(""), pending_match=pl.lit(False))
    records = case_records(c.person_source.with_columns(record_key=pl.col("record_id")),
                           c.person_source)
    nov = track_cases(c.cases, mismatch, records, "2026-11", got.verifications)
    status = dict(zip(nov["case_id"], nov["status"], strict=True))
    assert status[ids[2]] == "explained" and status[ids[0]] == "open"
    row = nov.filter(pl.col("case_id") == ids[2]).row(0, named=True)
    assert row["status_at"] == date(2026, 11, 21)  # no readable date: the day received
    assert row["verification_source"].endswith("!" + str(
        got.verifications.filter(pl.col("case_id") == ids[2])["row_number"].item()))


def test_a_sheet_without_the_columns_is_one_reported_problem(tmp_path) -> None:
    path = tmp_path / "随便.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["姓名", "地址"])
    book.save(path)
    got = read_worklist(path)
    assert got.problems["problem"].to_list() == ["no_header"]
    broken = tmp_path / "坏了.xlsx"
    broken.write_bytes(b"not a workbook")
    assert read_worklist(broken).problems["problem"].to_list() == ["unreadable_file"]


def test_archive_keeps_each_return_once_per_month(filled, tmp_path) -> None:
    c, returned, _, _ = filled
    path = tmp_path / "inbox" / returned.name
    path.parent.mkdir()
    shutil.copy(returned, path)
    root = tmp_path / "archive"
    first = archive_return(path, root, "worklist", "2026-10",
                           datetime.fromisoformat("2026-11-21T09:00:00+08:00"))
    again = archive_return(path, root, "worklist", "2026-10")
    assert again.path == first.path and first.received_at == "2026-11-21T09:00:00+08:00"
    path.unlink()  # the inbox copy is gone: the archive still reads
    assert read_worklist(first.path, c.cases, source_name=first.original_name).answered == 3
    other = tmp_path / "office.xlsx"
    shutil.copy(first.path, other)
    archive_return(other, root, "office", "2026-10")
    assert [a.kind for a in archived_returns(root)] == ["worklist", "office"]
    assert latest_return(root, "office", "2026-10").original_name == "office.xlsx"
    assert latest_return(root, "office", "2026-11") is None
    with pytest.raises(ValueError, match="archive kind"):
        archive_return(other, root, "inbox", "2026-10")


def test_the_test_clerk_types_into_the_lists_own_answer_columns(listed) -> None:
    from sanji_tests_worklist import ANSWER_AT, FIRST_ROW

    from pipelines.cases.worklist import ANSWER_FIELDS, COLUMNS

    _, path = listed
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    header = next(sheet.iter_rows(min_row=FIRST_ROW - 1, max_row=FIRST_ROW - 1,
                                  values_only=True))
    shown = {c.field: c.header for c in COLUMNS}
    assert [header[i] for i in ANSWER_AT] == [shown[f] for f in ANSWER_FIELDS]
