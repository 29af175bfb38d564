"""Work lists: one per township, what a clerk needs, and printed by LibreOffice without loss."""

from __future__ import annotations

import sys
from pathlib import Path

import fastexcel
import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from printed import A4_LANDSCAPE, PDFTOTEXT, page_text, pages, rows_missing_text, to_pdf
from worklist_county import county

from pipelines.cases import CaseSettings
from pipelines.cases.worklist import COLUMNS, worklist_rows, write_worklists

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory):
    c = county()
    out = tmp_path_factory.mktemp("outbox")
    return c, write_worklists(c.cases, c.person, c.person_source, c.regions, "2026-10", out,
                              c.heads)


def test_one_workbook_per_township_named_with_township_and_month(made) -> None:
    _, paths = made
    assert [p.name for p in paths] == [f"问题清单_{t}_2026-10.xlsx"
                                       for t in ("城关镇", "河口乡", "未定位")]
    sheet = fastexcel.read_excel(paths[0].read_bytes()).load_sheet(0, header_row=2)
    frame = sheet.to_polars()
    assert frame.columns == [c.header for c in COLUMNS]
    assert frame.height == 45
    row = frame.row(0, named=True)
    assert row["身份证号"].count("*") == 8 and row["户主"].startswith("户主")
    assert row["核实结果"] is None and row["状态"] == "新发现"
    assert "第" in row["证据(部门 文件 行)"] and "行" in row["证据(部门 文件 行)"]
    assert "death" not in "".join(frame["详情"].to_list())  # Chinese only for the clerk
    assert "东关社区居民委员会" in "".join(frame["详情"].drop_nulls().to_list())  # codes as names


def test_full_ids_only_when_the_county_says_so(made) -> None:
    c, _ = made
    masked = worklist_rows(c.cases, c.person, c.person_source, c.regions)
    full = worklist_rows(c.cases, c.person, c.person_source, c.regions,
                         settings=CaseSettings(full_ids=True))
    assert masked["id_shown"].str.contains(r"\*{8}").all()
    assert full["id_shown"].str.contains(r"^\d{17}[\dX]$").all()


def test_drop_down_and_print_setup_are_in_the_file(made) -> None:
    import zipfile

    _, paths = made
    xml = zipfile.ZipFile(paths[0]).read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert 'type="list"' in xml and "属实已整改,属实未整改,非同一人,信息有误,其他" in xml
    assert 'orientation="landscape"' in xml and 'paperSize="9"' in xml
    assert 'fitToHeight="0"' in xml and 'state="frozen"' in xml
    workbook = zipfile.ZipFile(paths[0]).read("xl/workbook.xml").decode("utf-8")
    assert "_xlnm.Print_Titles" in workbook


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
def test_libreoffice_prints_every_cell_whole_on_a4_landscape(made, tmp_path: Path) -> None:
    c, paths = made
    pdf = pages(to_pdf(paths[0], tmp_path))
    assert 2 <= len(pdf) <= 9, f"{len(pdf)} pages for 45 cases"
    for page in pdf:
        assert (round(page["width"], 1), round(page["height"], 1)) == (
            round(A4_LANDSCAPE[0], 1), round(A4_LANDSCAPE[1], 1))
        text = page_text(page)
        # every page repeats the header row with all of its columns: it fits the page width
        assert all(col.header.replace(" ", "") in text for col in COLUMNS), text[:200]
    rows = worklist_rows(c.cases, c.person, c.person_source, c.regions, c.heads)
    town = rows.filter(pl.col("township") == "城关镇")
    cells = [[str(v) for v in row if v is not None]
             for row in town.select([col.field for col in COLUMNS]).iter_rows()]
    assert rows_missing_text(pdf, cells, r"C[0-9a-f]{11}") == []
