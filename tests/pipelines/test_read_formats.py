"""Files as counties really land them: legacy .xls, other writers, UTF-16, tabs and semicolons,
damaged files; every message free of cell content."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlwt

from pipelines.read import (
    detect_delimiter,
    read_file,
    read_landing,
    read_text_grid,
    read_workbook_grids,
    xlsx_merged_ranges,
)
from pipelines.read.biff import xls_merged_ranges

FULL_ID = "11010519491231002X"
HEADER = ["户编号", "姓名", "身份证号"]


def _roster_rows() -> list[list[str]]:
    return [["某县防返贫监测名单"], HEADER, ["H001", "甲", FULL_ID], ["", "乙", FULL_ID],
            ["H002", "丙", FULL_ID]]


def write_xls(path: Path, leading_cols: int = 0) -> Path:
    """A legacy workbook: title merged over the header, H001 merged over two members."""
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("监测对象")
    c = leading_cols
    ws.write_merge(0, 0, c, c + 2, "某县防返贫监测名单")
    for j, h in enumerate(HEADER):
        ws.write(1, c + j, h)
    ws.write_merge(2, 3, c, c, "H001")
    for i, (name, hh) in enumerate([("甲", None), ("乙", None), ("丙", "H002")]):
        ws.write(2 + i, c + 1, name)
        ws.write(2 + i, c + 2, FULL_ID)
        if hh:
            ws.write(2 + i, c, hh)
    ws.write(5, c + 2, 110105194912310021)  # an ID Excel stored as a number
    wb.add_sheet("空")
    wb.save(str(path))
    return path


def write_openpyxl(path: Path) -> Path:
    """openpyxl writes relationship attributes in another order than xlsxwriter."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名单"
    for row in _roster_rows():
        ws.append(row)
    ws.merge_cells("A1:C1")
    ws.merge_cells("A3:A4")
    wb.create_sheet("随访").append(["姓名", "随访日期"])
    wb.save(path)
    return path


def test_legacy_xls_cells_merges_and_big_numbers(tmp_path: Path) -> None:
    grids = read_workbook_grids(write_xls(tmp_path / "扶贫.xls"))
    assert [(g.sheet, g.encoding) for g in grids] == [("监测对象", "xls")]
    frame = grids[0].frame
    assert frame["row_number"].to_list() == [1, 2, 3, 4, 5, 6]
    assert frame["c0"].to_list()[:5] == ["某县防返贫监测名单", "户编号", "H001", "H001", "H002"]
    assert frame["c1"][0] == "某县防返贫监测名单"
    assert frame["c2"].to_list()[2:] == [FULL_ID, FULL_ID, FULL_ID, "1.10105E+17"]


def test_xls_merges_shift_with_leading_empty_columns(tmp_path: Path) -> None:
    path = write_xls(tmp_path / "offset.xls", leading_cols=2)
    assert sorted(xls_merged_ranges(path.read_bytes())["监测对象"]) == [(1, 2, 1, 4), (3, 2, 4, 2)]
    frame = read_workbook_grids(path)[0].frame
    assert frame.columns == ["row_number", "c0", "c1", "c2"]
    assert frame["c0"].to_list()[2:5] == ["H001", "H001", "H002"]


def test_openpyxl_workbook_reads_with_its_merges(tmp_path: Path) -> None:
    path = write_openpyxl(tmp_path / "op.xlsx")
    assert xlsx_merged_ranges(path.read_bytes()) == {
        "名单": [(1, 0, 1, 2), (3, 0, 4, 0)], "随访": []}
    grids = read_workbook_grids(path)
    assert [g.sheet for g in grids] == ["名单", "随访"]
    assert grids[0].frame["c0"].to_list() == [
        "某县防返贫监测名单", "户编号", "H001", "H001", "H002"]


def test_attribute_order_quotes_and_prefixes_do_not_matter(tmp_path: Path) -> None:
    """A workbook rewritten the way other writers spell the XML (prefixed, single quotes)."""
    src = write_openpyxl(tmp_path / "op.xlsx")
    dst = tmp_path / "wps.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.namelist():
            data = zin.read(item)
            if item == "xl/workbook.xml":
                data = re.sub(rb'name="([^"]*)" sheetId="(\d+)" state="visible" r:id="(\w+)"',
                              rb"r:id='\3' sheetId='\2' name='\1'", data)
            if item.startswith("xl/worksheets/"):
                data = data.replace(b"<mergeCells", b"<x:mergeCells xmlns:x="
                                    b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
                data = data.replace(b"</mergeCells>", b"</x:mergeCells>")
                data = re.sub(rb'<mergeCell ref="([A-Z0-9:]+)"\s*/>',
                              rb"<x:mergeCell xr:uid='{0}' ref='\1'/>", data)
                data = data.replace(b"<worksheet ", b'<worksheet xmlns:xr="urn:xr" ')
            zout.writestr(item, data)
    assert b"r:id='rId1'" in zipfile.ZipFile(dst).read("xl/workbook.xml")
    assert xlsx_merged_ranges(dst.read_bytes())["名单"] == [(1, 0, 1, 2), (3, 0, 4, 0)]
    assert read_workbook_grids(dst)[0].frame["c0"][3] == "H001"


@pytest.mark.skipif(shutil.which("libreoffice") is None, reason="LibreOffice not installed")
@pytest.mark.parametrize("target", ["xls", "xlsx"])
def test_libreoffice_written_workbooks(tmp_path: Path, target: str) -> None:
    src = write_openpyxl(tmp_path / "src.xlsx")
    out = tmp_path / "lo"
    subprocess.run(["libreoffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/p",
                    "--convert-to", target, "--outdir", str(out), str(src)],
                   check=True, capture_output=True, timeout=180)
    grids = read_workbook_grids(out / f"src.{target}")
    assert grids[0].sheet == "名单"
    assert grids[0].frame["c0"].to_list() == [
        "某县防返贫监测名单", "户编号", "H001", "H001", "H002"]


@pytest.mark.parametrize("bom", [True, False])
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_text(tmp_path: Path, codec: str, bom: bool) -> None:
    text = "姓名\t身份证号\n甲\t" + FULL_ID + "\n"
    path = tmp_path / "a.txt"
    path.write_bytes(("\ufeff" if bom else "").encode(codec) + text.encode(codec))
    grid = read_text_grid(path)
    assert grid.encoding == "utf-16"
    assert grid.frame.select("c0", "c1").rows() == [("姓名", "身份证号"), ("甲", FULL_ID)]


@pytest.mark.parametrize(
    ("text", "suffix", "expected"),
    [
        ("姓名,身份证号\n甲,1\n", ".csv", ","),
        ("姓名\t身份证号\t备注\n甲\t1\ta,b\n", ".txt", "\t"),
        ("姓名;身份证号;备注\n甲;1;a,b\n乙;2;\n", ".csv", ";"),
        ("某县名单\n姓名|身份证号\n甲|1\n", ".txt", "|"),
        ("单列\n甲\n", ".tsv", "\t"),
        ('姓名,备注\n甲,"x;y;z"\n乙,"p;q"\n', ".csv", ","),
    ],
)
def test_delimiter_detected(tmp_path: Path, text: str, suffix: str, expected: str) -> None:
    assert detect_delimiter(text, "\t" if suffix == ".tsv" else ",") == expected
    path = tmp_path / f"f{suffix}"
    path.write_text(text, encoding="utf-8")
    frame = read_text_grid(path).frame
    assert "甲" in frame["c0"].to_list()


def test_semicolon_file_with_title_line(tmp_path: Path) -> None:
    path = tmp_path / "death.csv"
    path.write_bytes("某县死亡名单\n姓名;身份证号;死亡日期\n甲;1;2020-01-05\n".encode("gbk"))
    frame = read_text_grid(path).frame
    assert frame.columns == ["row_number", "c0", "c1", "c2"]
    assert frame.row(2) == (3, "甲", "1", "2020-01-05")


def test_unclosed_quote_is_read_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text(f'姓名,身份证号\n"甲,{FULL_ID}\n乙,{FULL_ID}\n', encoding="utf-8")
    frame = read_text_grid(path).frame
    assert frame["c0"].to_list() == ["姓名", '"甲', "乙"]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("broken.xlsx", b"PK\x03\x04 not really a zip " + FULL_ID.encode()),
        ("broken.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),
        ("binary.csv", b"\x81\xff\xfe\x00\x81" + FULL_ID.encode() + b"\xff\x80"),
    ],
)
def test_unreadable_file_is_set_aside_without_its_content(tmp_path: Path, name: str,
                                                          data: bytes) -> None:
    (tmp_path / name).write_bytes(data)
    (tmp_path / "ok.csv").write_text("姓名,身份证号\n甲,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(name)) as err:
        read_file(tmp_path / name)
    assert FULL_ID not in str(err.value)
    grids, unreadable = read_landing(tmp_path)
    assert [g.source_file for g in grids] == ["ok.csv"]
    assert [(u.source_file, u.sha256 != "") for u in unreadable] == [(name, True)]
    assert not re.search(r"\d{15,}", unreadable[0].reason)


HTML_XLS = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
</head><body><table border="1">
<tr><td colspan="3">某县防返贫监测名单</td></tr>
<tr><th>户编号</th><th>姓名</th><th>身份证号</th></tr>
<tr><td rowspan="2">H001</td><td>甲</td><td style="mso-number-format:'\\@'">{FULL_ID}</td></tr>
<tr><td>乙&nbsp;</td><td>{FULL_ID}</td></tr>
<tr><td>H002</td><td>丙<br>丁</td><td><table><tr><td>嵌套</td></tr></table></td></tr>
</table></body></html>"""

XML2003 = f"""<?xml version="1.0" encoding="UTF-8"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
 <Worksheet ss:Name="监测对象"><Table>
  <Row><Cell ss:MergeAcross="2"><Data ss:Type="String">某县名单</Data></Cell></Row>
  <Row><Cell><Data ss:Type="String">户编号</Data></Cell><Cell><Data ss:Type="String">姓名</Data>
   </Cell><Cell><Data ss:Type="String">身份证号</Data></Cell></Row>
  <Row><Cell ss:MergeDown="1"><Data ss:Type="String">H001</Data></Cell>
   <Cell><Data ss:Type="String">甲</Data></Cell>
   <Cell><Data ss:Type="String">{FULL_ID}</Data></Cell></Row>
  <Row><Cell ss:Index="2"><Data ss:Type="String">乙</Data></Cell></Row>
  <Row ss:Index="6"><Cell ss:Index="3"><Data ss:Type="Number">1</Data></Cell></Row>
 </Table></Worksheet>
 <Worksheet ss:Name="空"><Table/></Worksheet>
</Workbook>"""


def test_html_table_saved_as_xls(tmp_path: Path) -> None:
    path = tmp_path / "web.xls"
    path.write_bytes(HTML_XLS.encode("gbk"))
    grids = read_workbook_grids(path)
    assert [(g.sheet, g.encoding) for g in grids] == [("", "html")]
    frame = grids[0].frame
    assert frame["row_number"].to_list() == [1, 2, 3, 4, 5]
    assert frame["c0"].to_list() == ["某县防返贫监测名单", "户编号", "H001", "H001", "H002"]
    assert frame["c1"].to_list() == ["某县防返贫监测名单", "姓名", "甲", "乙", "丙 丁"]
    assert frame["c2"].to_list()[2:] == [FULL_ID, FULL_ID, "嵌套"]


def test_excel_2003_xml_saved_as_xls(tmp_path: Path) -> None:
    path = tmp_path / "xml.xls"
    path.write_text(XML2003, encoding="utf-8")
    grids = read_workbook_grids(path)
    assert [(g.sheet, g.encoding) for g in grids] == [("监测对象", "xml2003")]
    frame = grids[0].frame
    assert frame["row_number"].to_list() == [1, 2, 3, 4, 5, 6]
    assert frame["c0"].to_list() == ["某县名单", "户编号", "H001", "H001", None, None]
    assert frame["c1"].to_list()[2:4] == ["甲", "乙"]
    assert frame["c2"].to_list()[5] == "1"
