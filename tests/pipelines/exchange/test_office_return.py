"""The office's own case list (its headers, full or masked IDs, its words, no person id of ours)
matched to people, diffed, and rebuilt from the archive; our workbook prints whole."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from polars.testing import assert_frame_equal

sys.path.insert(0, str(Path(__file__).parents[1] / "cases"))
from printed import PDFTOTEXT, page_text, pages, rows_missing_text, to_pdf

from pipelines.domain.identity import id_check_char
from pipelines.exchange import (
    EXCHANGE_HEADERS,
    archive_return,
    diff_cases,
    office_diff,
    read_office_return,
    write_workbook,
)
from schemas.exchange import MatchedCase

MONTH = "2026-10"
OFFICE_HEADERS = ["序号", "患者姓名", "性别", "出生日期", "身份证号码", "所属乡镇", "疾病名称",
                  "确诊日期", "定点医院", "救治情况"]


def ident(region: str, born: str, seq: str) -> str:
    first17 = region + born + seq
    return first17 + id_check_char(first17)


IDS = {"P1": ident("410101", "19600307", "123"), "P2": ident("410102", "19700101", "456"),
       "P3": ident("410103", "19800520", "789"), "P4": ident("410104", "19551111", "321"),
       "P5": ident("410105", "19900101", "111"), "P6": ident("410106", "19750303", "222"),
       "P7": ident("410107", "19750303", "333"), "P8": ident("410108", "19880808", "444")}


@pytest.fixture
def person() -> pl.DataFrame:
    rows = [("P1", "张伟"), ("P2", "王钢"), ("P3", "李娜"), ("P4", "赵敏"), ("P5", "钱多"),
            ("P6", "刘洋"), ("P7", "刘洋"), ("P8", "周杰")]
    return pl.DataFrame({
        "person_id": [p for p, _ in rows], "name": [n for _, n in rows],
        "id_number": [IDS[p] for p, _ in rows],
        "birth_date": [date(int(IDS[p][6:10]), int(IDS[p][10:12]), int(IDS[p][12:14]))
                       for p, _ in rows],
        "sex": ["男"] * len(rows), "village_code": [None] * len(rows),
        "township_code": [None] * len(rows), "household_id": [None] * len(rows),
    }, schema_overrides={"village_code": pl.String, "township_code": pl.String,
                         "household_id": pl.String})


@pytest.fixture
def ours() -> pl.DataFrame:
    rows = [("P1", "胃癌", "已救治"), ("P2", "肺癌", "救治中"), ("P3", "食管癌", "救治中"),
            ("P4", "白血病", "救治中"), ("P5", "肝癌", "救治中"), ("P6", "乳腺癌", "救治中")]
    return pl.DataFrame({"person_id": [r[0] for r in rows], "illness": [r[1] for r in rows],
                         "status": [r[2] for r in rows], "name": ["x"] * 6,
                         "id_masked": ["m"] * 6, "township": ["城关镇"] * 6})


def office_file(path: Path) -> Path:
    """The office's own export: its headers, its words, full and masked IDs, a title row."""
    p4_typo = IDS["P4"][:10] + ("1" if IDS["P4"][10] != "1" else "2") + IDS["P4"][11:]
    rows = [
        ["1", "张伟", "男", "", IDS["P1"], "城关镇", "胃癌", "2026-01-05", "市医院", "治疗中"],
        ["2", "王刚", "男", "", IDS["P2"][:6] + "********" + IDS["P2"][-4:], "城关镇", "肺癌",
         "", "", "正在救治"],
        ["3", "李娜", "女", "1980-05-20", "", "城关镇", "食道癌", "", "", "在治"],
        ["4", "赵敏", "男", "", p4_typo, "城关镇", "白血病", "", "", "救治中"],
        ["5", "刘洋", "男", "1975-03-03", "", "城关镇", "乳腺癌", "", "", "救治中"],
        ["6", "刘洋", "男", "1975-03-03", "", "城关镇", "胃癌", "", "", "救治中"],
        ["7", "孙七", "男", "1966-06-06", "", "城关镇", "肝癌", "", "", "已治愈"],
        ["8", "周杰", "男", "1999-09-09", "", "城关镇", "胃癌", "", "", "救治中"],
    ]
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("导出数据")
        sheet.write_row(0, 0, ["县大病专项救治患者名单（系统导出）"])
        sheet.write_row(1, 0, OFFICE_HEADERS)
        for i, row in enumerate(rows, start=2):
            sheet.write_row(i, 0, row)
    return path


def test_rows_are_matched_by_id_then_name_birth_and_masked_id(person, ours, tmp_path) -> None:
    got = read_office_return(office_file(tmp_path / "回传_2026-10.xlsx"), person, ours)
    MatchedCase.validate(got, lazy=True)
    by_row = {r["row_number"]: r for r in got.iter_rows(named=True)}
    assert {n: (r["person_id"], r["match"]) for n, r in by_row.items()} == {
        3: ("P1", "id"), 4: ("P2", "name_masked_id"), 5: ("P3", "name_birth"),
        6: ("P4", "name_id_typo"), 7: ("P6", "name_birth"),  # the 刘洋 with 乳腺癌 on our list
        8: (None, "unmatched"), 9: (None, "unmatched"), 10: (None, "unmatched")}
    assert "several" in by_row[8]["match_note"] and "nobody" in by_row[9]["match_note"]
    assert "birth date or ID" in by_row[10]["match_note"]
    assert (by_row[3]["status"], by_row[5]["illness"]) == ("救治中", "食管癌")  # their words
    assert not got["id_masked"].drop_nulls().str.contains(r"\d{17}").any()  # masked on read


def test_the_match_reads_only_the_person_columns_its_step_loads(person, ours, tmp_path) -> None:
    """``office_return`` loads ``PERSON_COLUMNS`` of the golden record: the fixture holds just
    those (a column the match read beyond them would fail every test here), and the golden
    record's other columns change nothing."""
    from pipelines.exchange.match import PERSON_COLUMNS

    assert set(person.columns) == set(PERSON_COLUMNS)
    wide = person.with_columns(departments=pl.lit("health"), n_records=pl.lit(2),
                               name_source=pl.lit("r1"), county=pl.lit("411421"))
    path = office_file(tmp_path / "回传_2026-10.xlsx")
    assert_frame_equal(read_office_return(path, wide, ours),
                       read_office_return(path, person.select(PERSON_COLUMNS), ours))


def test_diff_reports_unmatched_rows_on_both_sides(person, ours, tmp_path) -> None:
    theirs = read_office_return(office_file(tmp_path / "回传_2026-10.xlsx"), person, ours)
    diff = diff_cases(ours, theirs, MONTH)
    rows = sorted(diff.select("kind", "person_id", "illness", "match", "their_row").rows(),
                  key=str)
    assert rows == sorted([
        ("status_differs", "P1", "胃癌", "id", 3),
        ("only_ours", "P5", "肝癌", None, None),
        ("only_theirs", None, "胃癌", "unmatched", 8),
        ("only_theirs", None, "肝癌", "unmatched", 9),
        ("only_theirs", None, "胃癌", "unmatched", 10),
    ], key=str)
    assert diff.filter(pl.col("their_row") == 9)["name"].item() == "孙七"


def test_the_difference_is_rebuilt_from_the_archive(person, ours, tmp_path) -> None:
    inbox = office_file(tmp_path / "inbox.xlsx")
    archive_return(inbox, tmp_path / "archive", "office", MONTH)
    inbox.unlink()  # the temporary inbox is gone
    diff, matched, found = office_diff(ours, person, tmp_path / "archive", MONTH)
    assert found is not None and found.original_name == "inbox.xlsx"
    assert diff.height == 5 and matched.filter(pl.col("match") != "unmatched").height == 5
    empty, _, none = office_diff(ours, person, tmp_path / "archive", "2026-11")
    assert none is None and empty.height == 0


def _cases(n: int) -> pl.DataFrame:
    towns = ["城关镇", "柳林镇", "青龙镇"]
    illnesses = ["胃癌", "儿童先天性心脏病房间隔缺损", "急性心肌梗死", "终末期肾病"]
    return pl.DataFrame({
        "person_id": [f"P{i:010d}" for i in range(n)], "name": ["买买提·艾力", "张伟"] * (n // 2),
        "id_masked": ["410101********123X"] * n,
        "township_code": [f"41010100{i % 3}000" for i in range(n)],
        "township": [towns[i % 3] for i in range(n)],
        "village_code": [f"41010100{i % 3}00{i % 5}" for i in range(n)],
        "village": [f"第{i % 5}村民委员会" for i in range(n)],
        "illness": [illnesses[i % 4] for i in range(n)],
        "hospital": ["郑州大学第一附属医院（河医）" if i % 3 else "县医院" for i in range(n)],
        "status": ["救治中"] * n, "diagnosis_date": [date(2026, 1, 5)] * n,
        "admissions": [i % 4 for i in range(n)], "total_cost": [123456.78] * n,
        "basic_insurance": [6000.0] * n, "critical_insurance": [2000.0] * n,
        "medical_assistance": [1000.0] * n, "out_of_pocket": [1000.0] * n,
        "one_stop": ["部分"] * n,
    })


@pytest.mark.libreoffice
@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
def test_case_workbook_prints_whole_and_fits_the_page_width(tmp_path) -> None:
    cases = _cases(60)
    path = write_workbook(cases, tmp_path / "大病救治病例_2026-10.xlsx", MONTH)
    pdf = pages(to_pdf(path, tmp_path))
    headers = [h[0] for h in EXCHANGE_HEADERS.values()]
    case_pages = [p for p in pdf if "人员编号" in page_text(p)]
    assert 1 <= len(case_pages) <= 6 and len(pdf) == len(case_pages) + 3  # + one per township
    for page in case_pages:
        assert all(h in page_text(page) for h in headers)  # every column on every page
    ordered = cases.sort("township_code", "village_code", "person_id", "illness")
    money = {"total_cost", "basic_insurance", "critical_insurance", "medical_assistance",
             "out_of_pocket"}
    cells = [[f"{v:,.2f}" if f in money else str(v) for f, v in row.items() if v is not None]
             for row in ordered.select([c for c in EXCHANGE_HEADERS]).iter_rows(named=True)]
    assert rows_missing_text(case_pages, cells, r"P\d{10}") == []
