"""Small bad landing files, each made by the test that needs it (no fixture files on disk).

The people are fictional; their identity numbers are valid (GB 11643 check character) so that
a leak would be a real-looking number the privacy scan must catch.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import xlsxwriter
import xlwt

from pipelines.domain.identity import id_check_char


def pid(first17: str) -> str:
    """A valid 18-character identity number."""
    return first17 + id_check_char(first17)


ID_A = pid("41142119800101001")  # 411421198001010014
ID_B = pid("41142119850202002")
ID_C = pid("41142119900303003")
ID_D = pid("41142119950404004")
OLD_ID = "411421800101001"  # a 15-digit old number
ENROLMENT = "姓名,身份证号,参保状态"
PEOPLE = [("张三", ID_A), ("李四", ID_B), ("王五", ID_C)]
Writer = Callable[[Path], None]


def lines(*rows: str, head: str = ENROLMENT, end: str = "\n") -> str:
    """A CSV text: the header and the rows, each ended by ``end``."""
    return end.join([head, *rows]) + end


def enrolment_rows(people: list[tuple[str, str]] = PEOPLE) -> list[str]:
    return [f"{name},{number},参保缴费" for name, number in people]


def text(name: str, content: str, encoding: str = "utf-8") -> Writer:
    """Write ``content`` as file ``name`` in ``encoding``."""
    def write(landing: Path) -> None:
        (landing / name).write_bytes(content.encode(encoding))
    return write


def raw(name: str, data: bytes) -> Writer:
    def write(landing: Path) -> None:
        (landing / name).write_bytes(data)
    return write


def both(*writers: Writer) -> Writer:
    def write(landing: Path) -> None:
        for w in writers:
            w(landing)
    return write


def workbook(name: str, sheets: dict[str, list[list]], hidden: tuple[str, ...] = (),
             formulas: dict[tuple[str, int, int], tuple[str, object]] | None = None) -> Writer:
    """An .xlsx with the sheets' rows (row 1 first); ``formulas``: (sheet, row0, col0) ->
    (formula, cached value)."""
    def write(landing: Path) -> None:
        wb = xlsxwriter.Workbook(str(landing / name))
        for sheet, rows in sheets.items():
            ws = wb.add_worksheet(sheet)
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    if value is not None:
                        ws.write_string(r, c, str(value))
            for (s, r, c), (formula, value) in (formulas or {}).items():
                if s == sheet:
                    ws.write_formula(r, c, formula, None, value)
            if sheet in hidden:
                ws.hide()
        wb.close()
    return write


def legacy_xls(rows: list[list[str]]) -> bytes:
    """The bytes of an Excel 97-2003 workbook (xlwt) with one sheet."""
    wb = xlwt.Workbook()
    ws = wb.add_sheet("名单")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            ws.write(r, c, value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def encrypted_workbook() -> bytes:
    """An OLE2 file laid out like a password-protected .xlsx (an ``EncryptedPackage`` stream).

    Made from an xlwt workbook whose ``Workbook`` stream is renamed: the bytes inside are not
    what Excel encrypts, but the reader must refuse the file by its structure alone.
    """
    data = bytearray(legacy_xls([["姓名", "身份证号", "参保状态"], ["张三", ID_A, "参保缴费"]]))
    at = data.find("Workbook".encode("utf-16-le") + b"\x00\x00")
    name = "EncryptedPackage".encode("utf-16-le") + b"\x00\x00"
    data[at:at + 64] = name.ljust(64, b"\x00")
    data[at + 64:at + 66] = len(name).to_bytes(2, "little")
    return bytes(data)


def symlink_out(name: str) -> Writer:
    """A link in the landing folder to a file outside it."""
    def write(landing: Path) -> None:
        outside = landing.parent / "outside.csv"
        outside.write_text(lines(*enrolment_rows()), encoding="utf-8")
        os.symlink(outside, landing / name)
    return write


def fifo(name: str) -> Writer:
    def write(landing: Path) -> None:
        os.mkfifo(landing / name)
    return write


def folder(name: str) -> Writer:
    def write(landing: Path) -> None:
        (landing / name).mkdir()
        (landing / name / "参保.csv").write_text(lines(*enrolment_rows()), encoding="utf-8")
    return write
