"""The illness-office workbook: written, read back (any header variant), diffed."""

from datetime import date
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from pipelines.exchange import (
    CASE_SHEET,
    EXCHANGE_HEADERS,
    diff_cases,
    filing_deadline,
    illness_cases,
    read_return,
    write_workbook,
)

MONTH = "2026-10"


@pytest.fixture
def cases() -> pl.DataFrame:
    ledger = pl.DataFrame({
        "record_id": ["L1", "L2", "L3", "L4"],
        "illness": ["胃癌", "肺癌", "尘肺", "胃癌"],
        "hospital": ["县医院", "市医院", "县医院", "县医院"],
        "status": ["救治中", "已救治", "救治中", "已救治"],
        "diagnosis_date": [date(2026, 3, 1), date(2026, 5, 2), date(2026, 11, 3),
                           date(2026, 6, 1)],
    })
    settlements = pl.DataFrame({
        "record_id": ["S1", "S2", "S3"],
        "admission_date": [date(2026, 4, 1), date(2026, 9, 1), date(2025, 4, 1)],
        "total_cost": [10000.0, 5000.0, 999.0], "basic_insurance": [6000.0, 3000.0, 1.0],
        "critical_insurance": [2000.0, 1000.0, 1.0], "medical_assistance": [1000.0, 500.0, 1.0],
        "out_of_pocket": [1000.0, 500.0, 1.0], "one_stop": [True, False, True],
    })
    links = pl.DataFrame({
        "record_id": ["L1", "L2", "L3", "L4", "S1", "S2", "S3"],
        "person_id": ["P1", "P2", "P3", "P1", "P1", "P1", "P1"],
    })
    person = pl.DataFrame({
        "person_id": ["P1", "P2", "P3"], "name": ["张伟", "王强", "李娜"],
        "id_number": ["110101199003074477", "110101198501011234", None],
        "township_code": ["410101001000", "410101002000", "410101001000"],
        "village_code": ["410101001001", "410101002001", "410101001001"],
    })
    regions = pl.DataFrame({
        "code": ["410101001000", "410101001001", "410101002000", "410101002001"],
        "name": ["城关镇", "虹光村", "河口乡", "东风村"],
    })
    return illness_cases(ledger, settlements, links, person, regions, MONTH)


def test_cases_one_per_person_and_illness_as_of_month_end(cases):
    # L3 is diagnosed after October; L1 and L4 are the same person and illness: latest wins
    assert cases.select("person_id", "illness").rows() == [("P1", "胃癌"), ("P2", "肺癌")]
    p1 = cases.row(0, named=True)
    assert p1["status"] == "已救治" and p1["admissions"] == 2 and p1["total_cost"] == 15000.0
    assert p1["one_stop"] == "部分" and p1["id_masked"] == "110101********4477"
    assert p1["township"] == "城关镇" and p1["village"] == "虹光村"
    assert cases.row(1, named=True)["admissions"] == 0


def test_round_trip_has_no_difference(cases, tmp_path):
    path = write_workbook(cases, tmp_path / "out.xlsx", MONTH)
    back = read_return(path)
    assert back.height == cases.height
    assert diff_cases(cases, back, MONTH).height == 0
    import fastexcel
    sheets = fastexcel.read_excel(path.read_bytes()).sheet_names
    assert sheets == [CASE_SHEET, "城关镇", "河口乡"]
    assert "110101199003074477" not in path.read_bytes().decode("latin-1")


def _office_file(path: Path, rows: list[list[str]]) -> Path:
    """An office file with other header variants and a title row above the header."""
    headers = ["人员ID", "患者姓名", "身份证号", "大病病种", "救治状态", "备注"]
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("Sheet1")
        sheet.write_row(0, 0, ["县大病办回传 2026年10月"])
        sheet.write_row(1, 0, headers)
        for i, row in enumerate(rows, start=2):
            sheet.write_row(i, 0, row)
        sheet.write_row(len(rows) + 2, 0, ["合计", "", "", "", "", ""])
    return path


def test_planted_differences_are_exactly_found(cases, tmp_path):
    path = _office_file(tmp_path / "回传_2026-10.xlsx", [
        ["P1", "张伟", "110101********4477", "胃癌", "救治中", ""],   # status differs
        ["P9", "赵六", "", "白内障", "待救治", ""],                 # only theirs
    ])
    theirs = read_return(path)
    diff = diff_cases(cases, theirs, MONTH)
    got = sorted(diff.select("kind", "person_id", "illness").rows())
    assert got == [("only_ours", "P2", "肺癌"), ("only_theirs", "P9", "白内障"),
                   ("status_differs", "P1", "胃癌")]
    status = diff.filter(pl.col("kind") == "status_differs").row(0, named=True)
    assert (status["ours_status"], status["theirs_status"]) == ("已救治", "救治中")
    assert (status["side"], status["field"], status["ours"], status["theirs"]) == (
        "disagree", "status", "已救治", "救治中")
    assert sorted(diff["side"]) == ["disagree", "ours_only", "theirs_only"]
    assert diff.filter(pl.col("kind") == "only_theirs")["name"].to_list() == ["赵六"]


def test_illness_disagreement_is_one_row(cases, tmp_path):
    path = _office_file(tmp_path / "r.xlsx", [
        ["P1", "张伟", "", "胃癌", "已救治", ""], ["P2", "王强", "", "肝癌", "已救治", ""]])
    diff = diff_cases(cases, read_return(path), MONTH)
    assert diff.select("kind", "person_id", "ours_illness", "theirs_illness").rows() == [
        ("illness_differs", "P2", "肺癌", "肝癌")]


def test_bad_status_names_file_sheet_row_column(tmp_path):
    path = _office_file(tmp_path / "bad.xlsx", [["P1", "张伟", "", "胃癌", "好了", ""]])
    with pytest.raises(ValueError, match=r"bad\.xlsx, sheet Sheet1, row 3, column 救治状态"):
        read_return(path)


def test_full_ids_in_a_returned_file_are_masked_on_read(tmp_path):
    path = _office_file(tmp_path / "回传_2026-10.xlsx", [
        ["P1", "张伟", "41010319900307123X", "胃癌", "已救治", ""],
        ["P2", "李娜", "410103 19850101 0029", "肺癌", "救治中", ""],
    ])
    back = read_return(path)
    assert back["id_masked"].to_list() == ["410103********123X", "410103********0029"]


def test_missing_header_is_a_clear_error(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("姓名,病种,备注\n张伟,胃癌,\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"x\.csv"):
        read_return(path)


@pytest.mark.parametrize(("month", "due"), [
    ("2026-10", date(2026, 11, 5)), ("2026-12", date(2027, 1, 5)), ("2024-01", date(2024, 2, 5)),
])
def test_summary_is_due_on_the_fifth_of_the_next_month(month, due):
    assert filing_deadline(month) == due


def test_workbook_headers_are_the_first_name_of_each_field(cases, tmp_path):
    """What the office sees: our own header words, which read_return then reads back."""
    import fastexcel

    path = write_workbook(cases, tmp_path / "out.xlsx", MONTH)
    sheet = fastexcel.read_excel(path.read_bytes()).load_sheet(CASE_SHEET, header_row=None)
    words = {str(v) for row in sheet.to_polars().head(5).rows() for v in row if v is not None}
    assert {EXCHANGE_HEADERS[f][0] for f in ("person_id", "illness", "status")} <= words


def test_month_in_text_variants():
    from pipelines.exchange import month_in_text

    assert month_in_text("回传_202610.xlsx") == "2026-10"
    assert month_in_text("2026年9月病例") == "2026-09"
    assert month_in_text("统计月份:2026.1") == "2026-01"
    assert month_in_text("2026-10-15") == "2026-10"
    assert month_in_text("20261015") is None  # a full date without separators: ambiguous
    assert month_in_text("说明") is None


def test_a_date_in_a_file_name_is_not_its_month():
    from pipelines.exchange import month_in_file_name

    assert month_in_file_name("大病回传_2026-11-03.xlsx") is None
    assert month_in_file_name("回传2026年11月3日.xlsx") is None
    assert month_in_file_name("回传_2026-10.xlsx") == "2026-10"
    assert month_in_file_name("2026年10月回传.xlsx") == "2026-10"


def test_month_read_from_the_content(cases, tmp_path):
    from pipelines.exchange import month_in_content

    # our own workbook renamed by the office: the title property names the month
    ours = write_workbook(cases, tmp_path / "renamed.xlsx", MONTH)
    assert month_in_content(ours) == MONTH
    labelled = tmp_path / "labelled.xlsx"
    with xlsxwriter.Workbook(str(labelled)) as book:
        sheet = book.add_worksheet("病例")
        sheet.write_row(0, 0, ["统计月份", "2026年9月"])
        sheet.write_row(1, 0, ["个人编号", "疾病名称", "救治状态", "确诊日期"])
        sheet.write_row(2, 0, ["P1", "胃癌", "救治中", "2024-03-01"])
    assert month_in_content(labelled) == "2026-09"
    column = tmp_path / "column.csv"
    column.write_text("个人编号,疾病名称,救治状态,统计月份\nP1,胃癌,救治中,2026-08\n"
                      "P2,肺癌,救治中,2026-08\n", encoding="utf-8")
    assert month_in_content(column) == "2026-08"
    titled = tmp_path / "titled.csv"
    titled.write_text("大病救治病例 2026年7月\n个人编号,疾病名称,救治状态\nP1,胃癌,救治中\n",
                      encoding="utf-8")
    assert month_in_content(titled) == "2026-07"
    # a diagnosis date in the data is not the month of the file
    assert month_in_content(_office_file(tmp_path / "office.xlsx", [])) == MONTH  # title row
    plain = tmp_path / "plain.csv"
    plain.write_text("个人编号,疾病名称,救治状态,确诊日期\nP1,胃癌,救治中,2024-03-01\n",
                     encoding="utf-8")
    assert month_in_content(plain) is None


def test_steward_header_mapping_is_used(tmp_path):
    from pipelines.extracts import HeaderMapping

    path = tmp_path / "odd.csv"
    path.write_text("个人编号,所患病种名,救治进度\nP1,胃癌,救治中\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no header row"):
        read_return(path)
    mapping = HeaderMapping(extra={"illness_ledger": {"illness": ["所患病种名"],
                                                      "status": ["救治进度"]}})
    got = read_return(path, mapping)
    assert got.select("person_id", "illness", "status").rows() == [("P1", "胃癌", "救治中")]
