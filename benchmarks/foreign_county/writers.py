"""Write extracts as county files: .xlsx (openpyxl), .xls (xlwt or LibreOffice), CSV, text.

Spreadsheet writers loop over rows (that is what they are); text files are rendered by polars
and encoded in one go.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import xlwt
from openpyxl import Workbook
from openpyxl.worksheet.cell_range import CellRange

from benchmarks.foreign_county.layout import DATE, KEY, KIND, NUM, Extract, Sheet

XLS_DATE = xlwt.easyxf(num_format_str="YYYY-MM-DD")
XLS_DATETIME = xlwt.easyxf(num_format_str="YYYY-MM-DD HH:MM:SS")
XLS_TITLE = xlwt.easyxf("font: bold on, height 320; align: horiz center")


def _value(cell: str | None) -> object:
    """Decode a body cell into what a spreadsheet cell holds."""
    if cell is None or cell == "":
        return None
    if cell[0] == NUM:
        number = float(cell[1:])
        return int(number) if number.is_integer() and abs(number) < 1e15 else number
    if cell[0] == DATE:
        moment = datetime.fromisoformat(cell[1:])
        return moment.date() if moment.hour == moment.minute == moment.second == 0 else moment
    return cell


def _column_values(col: pl.Series) -> list[object]:
    """A body column as cell values; only columns holding typed-cell markers are decoded."""
    typed = col.str.starts_with(NUM) | col.str.starts_with(DATE)
    if not typed.any():
        return col.replace("", None).to_list()
    return [_value(v) for v in col.to_list()]


def _rows(sheet: Sheet) -> list[tuple]:
    """Body rows as tuples of cell values (str, int, float, date, datetime or None)."""
    body = sheet.body.drop(KEY, KIND)
    return list(zip(*(_column_values(body[c]) for c in body.columns), strict=True))


def _xlsx_sheet(wb: Workbook, sheet: Sheet) -> None:
    ws = wb.create_sheet(sheet.name)
    width = len(sheet.columns)
    for i, line in enumerate(sheet.title):
        ws.append([line])
        if sheet.merge_title and width > 1:
            ws.merged_cells.add(CellRange(min_col=1, min_row=i + 1, max_col=width, max_row=i + 1))
    ws.append([c.header for c in sheet.columns])
    for row in _rows(sheet):
        ws.append(row)


def write_xlsx(path: Path, sheets: list[Sheet]) -> None:
    """Write sheets with openpyxl (write-only mode), merged titles where asked."""
    wb = Workbook(write_only=True)
    for sheet in sheets:
        _xlsx_sheet(wb, sheet)
    wb.save(path)


def write_xls(path: Path, sheets: list[Sheet]) -> None:
    """Write an Excel 97-2003 workbook with xlwt (sheets must fit 65,536 rows)."""
    book = xlwt.Workbook(encoding="utf-8")
    for sheet in sheets:
        ws = book.add_sheet(sheet.name)
        width = len(sheet.columns)
        for i, line in enumerate(sheet.title):
            if sheet.merge_title and width > 1:
                ws.write_merge(i, i, 0, width - 1, line, XLS_TITLE)
            else:
                ws.write(i, 0, line)
        top = len(sheet.title)
        for j, col in enumerate(sheet.columns):
            ws.write(top, j, col.header)
        for r, row in enumerate(_rows(sheet), start=top + 1):
            for j, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, datetime):
                    ws.write(r, j, value, XLS_DATETIME)
                elif isinstance(value, date):
                    ws.write(r, j, value, XLS_DATE)
                else:
                    ws.write(r, j, value)
    book.save(str(path))


def write_with_libreoffice(path: Path, sheets: list[Sheet]) -> None:
    """Write an openpyxl workbook and let LibreOffice save it as .xls (as a WPS/LO user would).

    A private user profile keeps concurrent LibreOffice runs of other processes apart.
    """
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        msg = "LibreOffice (soffice) writes one file; install it or pass --no-libreoffice"
        raise RuntimeError(msg)
    with tempfile.TemporaryDirectory(prefix="foreign-county-lo-") as tmp:
        source = Path(tmp) / (path.stem + ".xlsx")
        write_xlsx(source, sheets)
        profile = Path(tmp) / "profile"
        cmd = [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
               "--convert-to", "xls:MS Excel 97", "--outdir", str(Path(tmp) / "out"), str(source)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=300)
        shutil.move(Path(tmp) / "out" / (path.stem + ".xls"), path)


def _excel_text(cell: str) -> str:
    """How Excel writes a typed cell into a CSV (General number format, short date)."""
    if cell[0] == NUM:
        number = float(cell[1:])
        if number.is_integer():
            return f"{number:.5E}" if abs(number) >= 1e11 else str(int(number))
        return f"{number:.2f}".rstrip("0").rstrip(".")
    moment = datetime.fromisoformat(cell[1:])
    day = f"{moment.year}/{moment.month}/{moment.day}"
    return day if moment.hour == moment.minute == 0 else f"{day} {moment.hour}:{moment.minute:02d}"


def _render_text_columns(body: pl.DataFrame) -> pl.DataFrame:
    """Replace typed-cell markers with the text Excel would save."""
    columns = []
    for name in body.columns:
        col = body[name]
        marked = col.str.starts_with(NUM) | col.str.starts_with(DATE)
        rows = np.flatnonzero(marked.fill_null(False).to_numpy())
        if rows.size:
            values = col.to_numpy().astype(object)
            values[rows] = [_excel_text(v) for v in values[rows]]
            col = pl.Series(name, values.tolist(), dtype=pl.String)
        columns.append(col)
    return pl.DataFrame(columns)


def write_text(path: Path, sheet: Sheet, encoding: str, delimiter: str) -> None:
    """Write a delimited text file (CSV or a tab text export) in ``encoding``, CRLF lines."""
    body = _render_text_columns(sheet.body.drop(KEY, KIND))
    body.columns = [c.header for c in sheet.columns]
    table = body.write_csv(separator=delimiter, line_terminator="\r\n", null_value="")
    pad = delimiter * (len(sheet.columns) - 1)
    text = "".join(f"{line}{pad}\r\n" for line in sheet.title) + table
    errors = "strict" if encoding.lower().replace("-", "") in ("utf8", "utf16", "gb18030") \
        else "replace"
    path.write_bytes(text.encode(encoding, errors=errors))


def write_extract(extract: Extract, landing: Path, libreoffice: bool = True) -> Path:
    """Write one extract into ``landing``; returns the file written."""
    path = landing / extract.file
    if extract.fmt == "xlsx":
        write_xlsx(path, extract.sheets)
    elif extract.fmt == "xls":
        write_xls(path, extract.sheets)
    elif extract.fmt == "xls_lo" and libreoffice:
        write_with_libreoffice(path, extract.sheets)
    elif extract.fmt == "xls_lo":
        write_xls(path, extract.sheets)
    else:
        write_text(path, extract.sheets[0], extract.encoding, extract.delimiter)
    return path
