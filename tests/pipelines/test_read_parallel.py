"""Sheets parsed on two threads give the grids (and errors) one thread gives, sheet by sheet."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
import xlwt

from pipelines.read.merged import part_bytes
from pipelines.read.workbook import workbook_grids

ID = "11010519491231002X"


def _xlsx(build: Callable[[xlsxwriter.Workbook], None]) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    build(wb)
    wb.close()
    return out.getvalue()


def _many_sheets(wb: xlsxwriter.Workbook) -> None:
    """Merges, a 16+ digit number, error cells, a hidden and an empty sheet, a shifted sheet."""
    ws = wb.add_worksheet("名单")
    ws.merge_range("A1:C1", "某县名单")
    for c, h in enumerate(["户编号", "姓名", "身份证号"]):
        ws.write_string(1, c, h)
    ws.merge_range("A3:A4", "H001")
    for r, name in enumerate(["甲", "乙", "丙"], start=2):
        ws.write_string(r, 1, name)
        ws.write_string(r, 2, ID)
    ws.write_number(5, 2, 110105194912310021)
    ws.write_formula(5, 1, "=NA()", None, "#N/A")
    hidden = wb.add_worksheet("旧")
    hidden.write_string(0, 0, "姓名")
    hidden.write_string(1, 0, "丁")
    hidden.hide()
    wb.add_worksheet("空")
    shifted = wb.add_worksheet("随访")
    shifted.merge_range("C1:D2", "随访")
    for r in range(2, 300):
        shifted.write_string(r, 2, f"人{r}")
        shifted.write_number(r, 3, r * 1.5)


def _plain(wb: xlsxwriter.Workbook) -> None:
    for s in range(4):
        ws = wb.add_worksheet(f"s{s}")
        for r in range(50):
            ws.write_string(r, 0, f"{s}-{r}")


def _one_empty(wb: xlsxwriter.Workbook) -> None:
    wb.add_worksheet("空")


def _xls() -> bytes:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("监测对象")
    ws.write_merge(0, 0, 0, 2, "某县防返贫监测名单")
    ws.write(1, 2, 110105194912310021)
    ws.write(2, 1, "甲")
    wb.add_sheet("空")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _broken_sheet() -> bytes:
    """A workbook whose second sheet's XML is cut short (calamine fails on it)."""
    data = _xlsx(_plain)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            body = zin.read(item)
            if item.filename.endswith("sheet2.xml"):
                body = body[: len(body) // 2]
            zout.writestr(item, body)
    return out.getvalue()


CASES = [
    {"description": "merges, big number, errors, hidden, empty, shifted", "data": lambda: _xlsx(
        _many_sheets)},
    {"description": "more sheets than threads", "data": lambda: _xlsx(_plain)},
    {"description": "one empty sheet", "data": lambda: _xlsx(_one_empty)},
    {"description": "legacy xls", "data": _xls},
    {"description": "a damaged sheet", "data": _broken_sheet},
    {"description": "not a workbook", "data": lambda: b"PK\x03\x04 not a zip at all"},
]


def _read(data: bytes, workers: int) -> list[tuple] | str:
    try:
        grids = workbook_grids("名单.xlsx", data, workers=workers)
    except ValueError as exc:
        return f"error: {exc}"
    return [(g.sheet, g.encoding, g.hidden, g.sha256, g.frame) for g in grids]


@pytest.mark.parametrize("case", CASES, ids=[c["description"] for c in CASES])
def test_two_threads_read_what_one_reads(case: dict) -> None:
    data = case["data"]()
    one, two = _read(data, 1), _read(data, 2)
    if isinstance(one, str):
        assert two == one
        return
    assert isinstance(two, list)
    assert [g[:4] for g in two] == [g[:4] for g in one]
    for a, b in zip(one, two, strict=True):
        assert b[4].equals(a[4]), a[0]
    assert len(one) > 0 or case["description"] == "one empty sheet"


def test_the_threads_fill_merges_and_show_big_numbers(tmp_path: Path) -> None:
    grids = workbook_grids("名单.xlsx", _xlsx(_many_sheets), workers=2)
    by_sheet = {g.sheet: g for g in grids}
    assert set(by_sheet) == {"名单", "旧", "随访"} and by_sheet["旧"].hidden
    frame = by_sheet["名单"].frame
    assert frame["c0"].to_list()[:4] == ["某县名单", "户编号", "H001", "H001"]
    assert frame["c2"][5] == "1.10105E+17" and frame["c1"][5] == "#N/A"
    shifted = by_sheet["随访"].frame
    assert shifted["c1"][1] == "随访" and shifted.height == 300
    assert shifted.schema["row_number"] == pl.Int64
    del tmp_path


def _zip(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=method) as z:
        for name, body in entries.items():
            z.writestr(name, body)
    return out.getvalue()


def _bad_crc() -> bytes:
    data = bytearray(_zip({"xl/worksheets/sheet1.xml": b"<worksheet>" * 500}))
    at = data.find(b"PK\x01\x02")  # the central directory's CRC-32 of the part
    data[at + 16] ^= 0xFF
    return bytes(data)


def _renamed_header() -> bytes:
    data = bytearray(_zip({"xl/worksheets/sheet1.xml": b"<worksheet>" * 500}))
    data[30:32] = b"XX"  # the local header's name, not the directory's
    return bytes(data)


PARTS = [
    {"description": "deflated", "data": lambda: _zip({"xl/worksheets/sheet1.xml": (
        "<row>甲</row>" * 5000).encode()})},
    {"description": "stored", "data": lambda: _zip({"xl/worksheets/sheet1.xml": b"<row/>" * 9},
                                                   zipfile.ZIP_STORED)},
    {"description": "empty part", "data": lambda: _zip({"xl/worksheets/sheet1.xml": b""})},
    {"description": "CRC-32 wrong", "data": _bad_crc},
    {"description": "local header names another part", "data": _renamed_header},
]


@pytest.mark.parametrize("case", PARTS, ids=[c["description"] for c in PARTS])
def test_part_bytes_is_what_zipfile_reads(case: dict) -> None:
    data = case["data"]()

    def read(how: Callable[[zipfile.ZipFile], bytes]) -> bytes | str:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            try:
                return how(z)
            except zipfile.BadZipFile as exc:
                return f"{type(exc).__name__}: {exc}"

    part = "xl/worksheets/sheet1.xml"
    expected = read(lambda z: z.read(part))
    assert read(lambda z: part_bytes(z, data, part)) == expected
    assert isinstance(expected, str) == ("wrong" in case["description"]
                                         or "another" in case["description"])


def test_a_deflated_part_is_inflated_without_zipfile(monkeypatch: pytest.MonkeyPatch) -> None:
    body = ("<row>乙</row>" * 4000).encode()
    data = _zip({"xl/worksheets/sheet1.xml": body})

    def refuse(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("zipfile read the part")

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        monkeypatch.setattr(z, "read", refuse)
        assert part_bytes(z, data, "xl/worksheets/sheet1.xml") == body
