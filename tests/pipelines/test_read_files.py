"""Reading landing files: encodings, row numbers, workbook sheets, which files are read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlsxwriter

from pipelines.read import (
    detect_encoding,
    landing_files,
    merged_ranges,
    read_csv_grid,
    read_xlsx_grids,
)
from pipelines.read.merged import xlsx_sheet_scan

TEXT = "姓名,身份证号\n張三,11010519491231002X\n买买提·艾力,110105194912310021\n"


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("gbk", b"", "gbk"),
        ("gb18030", b"", "gb18030"),
    ],
)
def test_csv_encoding_is_detected_from_bytes(tmp_path: Path, encoding: str, prefix: bytes,
                                             expected: str) -> None:
    text = TEXT + ("𠀀豆,110105194912310021\n" if expected == "gb18030" else "")
    path = tmp_path / "whatever.txt.csv"
    path.write_bytes(prefix + text.encode(encoding))
    grid = read_csv_grid(path)
    assert grid.encoding == expected
    assert grid.frame["c0"].to_list()[:3] == ["姓名", "張三", "买买提·艾力"]
    assert grid.frame["c1"][1] == "11010519491231002X"


def test_detect_encoding_rejects_binary() -> None:
    with pytest.raises(ValueError, match="neither"):
        detect_encoding(b"\xff\xfe\x00\x81\x30")


def test_csv_row_numbers_count_blank_lines_not_quoted_newlines(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text('姓名,备注\n甲,"一\n二"\n\n乙,x\n丙,y\n', encoding="utf-8")
    frame = read_csv_grid(path).frame
    by_name = dict(zip(frame["c0"].to_list(), frame["row_number"].to_list(), strict=True))
    assert by_name["姓名"] == 1
    assert by_name["甲"] == 2
    assert by_name["乙"] == 4  # row 3 is the blank line
    assert by_name["丙"] == 5


def test_xlsx_sheets_are_text_with_sheet_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "health.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("签约")
    ws.merge_range(0, 0, 0, 2, "某县家庭医生签约名单")
    ws.write_row(2, 0, ["姓名", "身份证号", "签约日期"])
    ws.write_row(3, 0, ["甲", "11010519491231002X"])
    ws.write_datetime(3, 2, dt.datetime(2020, 1, 5), wb.add_format({"num_format": "yyyy-mm-dd"}))
    ws.write_number(4, 1, 110105194912310021)
    wb.add_worksheet("空")
    wb.add_worksheet("随访").write_row(0, 0, ["姓名", "随访日期"])
    wb.close()
    grids = read_xlsx_grids(path)
    assert [g.sheet for g in grids] == ["签约", "随访"]
    frame = grids[0].frame
    assert frame.schema["c1"].is_(frame.schema["c0"])  # all text
    row = frame.filter(frame["c0"] == "姓名")["row_number"].item()
    assert row == 3
    assert frame.filter(frame["row_number"] == 4)["c1"].item() == "11010519491231002X"
    assert "2020" in frame.filter(frame["row_number"] == 4)["c2"].item()
    assert frame.filter(frame["row_number"] == 5)["c1"].item() == "1.10105E+17"
    assert len({g.sha256 for g in grids}) == 1


def test_only_sheets_with_a_big_number_are_read_twice(tmp_path: Path) -> None:
    """A sheet whose IDs are text holds no 16-digit number, so it is read once; a sheet with
    one (written as an integer or as a float) is read again and shows it as Excel does."""
    path = tmp_path / "ids.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    text = wb.add_worksheet("文本")
    text.write_row(0, 0, ["姓名", "身份证号", "金额"])
    text.write_row(1, 0, ["甲", "110105194912310021"])
    text.write_number(1, 2, 123456789012345.0)  # 15 digits: not an ID's float
    for name, value in (("整数", 110105194912310021), ("浮点", 1.10105194912310e17)):
        sheet = wb.add_worksheet(name)
        sheet.write_row(0, 0, ["姓名", "身份证号"])
        sheet.write(1, 0, "乙")
        sheet.write_number(1, 1, value)
    wb.close()
    merges, big = xlsx_sheet_scan(path.read_bytes())
    assert set(merges) == {"文本", "整数", "浮点"}
    assert big == {"整数", "浮点"}
    cells = {g.sheet: g.frame.filter(g.frame["row_number"] == 2)["c1"].item()
             for g in read_xlsx_grids(path)}
    assert cells == {"文本": "110105194912310021", "整数": "1.10105E+17", "浮点": "1.10105E+17"}


def test_landing_files_skip_decisions_dot_and_other_files(tmp_path: Path) -> None:
    for name in ["a.csv", "b.XLSX", "decisions.csv", "decisions.yaml", ".x.csv", "_tmp.csv",
                 "notes.txt", "c.tsv", "d.xls", "~$d.xls", "e.xlsm", "sanji_mapping.yaml",
                 "readme.md", "f.pdf"]:
        (tmp_path / name).write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.csv").write_text("x")
    assert [p.name for p in landing_files(tmp_path)] == [
        "a.csv", "b.XLSX", "c.tsv", "d.xls", "e.xlsm", "notes.txt"]


def test_csv_title_row_above_wider_header(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('某县名单\n姓名,身份证号,备注\n甲,1,"a,b"\n乙,2\n', encoding="utf-8")
    frame = read_csv_grid(path).frame
    assert frame.columns == ["row_number", "c0", "c1", "c2"]
    assert frame.row(2) == (3, "甲", "1", "a,b")
    assert frame.row(3) == (4, "乙", "2", None)


def test_xlsx_merged_cells_filled_from_top_left(tmp_path: Path) -> None:
    path = tmp_path / "roster.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("防返贫 & 监测")
    ws.merge_range(0, 0, 0, 2, "标题")
    ws.write_row(1, 0, ["户编号", "姓名", "与户主关系"])
    ws.merge_range(2, 0, 4, 0, "H001")
    ws.write_column(2, 1, ["甲", "乙", "丙"])
    ws.write(5, 0, "H002")
    wb.close()
    frame = read_xlsx_grids(path)[0].frame
    assert read_xlsx_grids(path)[0].sheet == "防返贫 & 监测"
    assert frame["c0"].to_list() == ["标题", "户编号", "H001", "H001", "H001", "H002"]
    assert frame["c1"].to_list()[:3] == ["标题", "姓名", "甲"]
    assert frame["row_number"].to_list() == [1, 2, 3, 4, 5, 6]


def test_xlsx_merged_cells_with_empty_leading_column(tmp_path: Path) -> None:
    path = tmp_path / "offset.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("名单")
    bold = wb.add_format({"bold": True})
    ws.write_blank("A1", None, bold)  # a formatted blank cell does not make column A used
    ws.write("B2", "花名册")
    ws.merge_range("B3:C3", "姓名")
    ws.write("D3", "身份证号")
    ws.write_row("B4", ["甲", "乙", "1"])
    wb.close()
    grid = read_xlsx_grids(path)[0]
    frame = grid.frame
    assert frame.columns == ["row_number", "c0", "c1", "c2"]  # calamine drops column A
    assert frame.row(2) == (3, "姓名", "姓名", "身份证号")
    assert frame.row(3) == (4, "甲", "乙", "1")
    assert merged_ranges(path.read_bytes())["名单"] == [(3, 1, 3, 2)]  # absolute columns


def test_xlsx_blank_decorative_merge_left_of_the_data_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "decorated.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("名单")
    ws.merge_range("A3:B3", None)  # blank decoration: columns A and B hold no value
    ws.write_row("C1", ["姓名", "证件号码"])
    ws.write_row("C2", ["张三", "110105194912310021"])
    ws.write("C3", "李四")
    wb.close()
    frame = read_xlsx_grids(path)[0].frame
    assert frame.columns == ["row_number", "c0", "c1"]  # calamine drops columns A and B
    assert frame.row(2) == (3, "李四", None)  # 李四 is not copied into the empty 证件号码
    assert merged_ranges(path.read_bytes())["名单"] == [(3, 0, 3, 1)]  # left of the grid


@pytest.mark.parametrize(("xml", "big"), [
    (b"<v>1234567890123456</v>", True),
    (b"<x:v>1.5E+3</x:v>", True),  # a namespace prefix, an exponent
    (b'<v a="1">12345678901234567</v>', True),  # attributes
    (b"<v> 9999999999999999</v>", True),
    (b"<v>-1234567890123456</v>", True),
    (b"<ab.c-d:v>.5e1</ab.c-d:v>", True),
    (b"<v>abc</v><v>1e</v>", True),
    (b"<c>v <v>12345678901234567</v></c>", True),  # a "v " before the tag
    (b'<c t="v"><v x="v">1e3</v></c>', True),
    (b"<v>123456789012345</v>", False),  # 15 digits
    (b"<c>v>12345678901234567</c>", False),  # no tag
    (b"<t>v>1e5</t>", False),
    (b'<c t="s"><v>12</v></c><is><t>x v>1234567890123456789</t></is>', False),
    (b"<vv>12345678901234567</vv>", False),
])
def test_big_value_scan_finds_what_the_pattern_finds(xml: bytes, big: bool) -> None:
    from pipelines.read.merged import _BIG_VALUE, has_big_value

    assert (_BIG_VALUE.search(xml) is not None) is big
    assert has_big_value(xml) is big
