"""Workbooks (``.xlsx``, ``.xlsm``, legacy ``.xls``) to grids, one per non-empty sheet.

An ``.xls`` that is really an HTML page or Excel 2003 XML (as web systems export) is read by
:mod:`pipelines.read.markup`.

Cells are read by calamine (via fastexcel) as text; merged ranges (which fastexcel does not
report) come from :mod:`pipelines.read.merged` and :mod:`pipelines.read.biff`, and every cell
of a range gets the value of its top-left cell, as a person sees it.
"""

from __future__ import annotations

import re
import struct
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError

import polars as pl

from pipelines.domain.identity import mask_ids_in_text
from pipelines.read.biff import MAGIC, NotCompoundFile, password_protected, xls_merged_ranges
from pipelines.read.grid import Grid, numbered, safe_reason, sha256, trimmed
from pipelines.read.markup import html_grids, markup_kind, xml2003_grids
from pipelines.read.merged import Range, xlsx_merged_ranges, xlsx_sheet_scan

XLS_SUFFIXES = (".xls",)


def _show_big_numbers(text: pl.DataFrame, numeric: pl.DataFrame) -> pl.DataFrame:
    """Numeric cells of 16+ digits as Excel shows them (``4.11421E+17``).

    Such a cell is an identity number Excel stored as a float: its last digits are already
    lost, and writing it as Excel displays it lets the ID normaliser flag it for what it is.
    """
    exprs = []
    for col, flag in zip(text.columns, numeric.columns, strict=True):
        s = pl.col(col)
        sci = (s.str.slice(0, 1) + pl.lit(".") + s.str.slice(1, 5) + pl.lit("E+")
               + (s.str.len_chars() - 1).cast(pl.String))
        big = numeric[flag].is_not_null() & s.str.contains(r"^[0-9]{16,}$")
        exprs.append(pl.when(big).then(sci).otherwise(s).alias(col))
    return text.with_columns(exprs)


def grid_ranges(ranges: list[Range], shift: int) -> list[Range]:
    """Absolute merged ranges as grid columns (calamine drops leading empty columns).

    Args:
        ranges: (row0, col0, row1, col1) with absolute 0-based columns.
        shift: absolute index of the grid's first column.

    Returns:
        The ranges with columns counted from the grid's first column; ranges starting left of
        it (an empty top-left cell, nothing to fill) are left out.
    """
    return [(r0, c0 - shift, r1, c1 - shift) for r0, c0, r1, c1 in ranges if c0 >= shift]


def fill_merged(frame: pl.DataFrame, ranges: list[Range]) -> pl.DataFrame:
    """Give every cell of a merged range the value of its top-left cell, as a person sees it.

    Args:
        frame: the sheet grid (``row_number``, ``c0`` …).
        ranges: merged ranges in grid columns (see :func:`grid_ranges`).

    Returns:
        The grid with merged cells filled.
    """
    if not ranges:
        return frame
    tops = frame.filter(pl.col("row_number").is_in([r[0] for r in ranges]))
    values = dict(zip(tops["row_number"].to_list(), tops.drop("row_number").rows(), strict=True))
    fills: dict[str, dict[int, str]] = {}
    for r0, c0, r1, c1 in ranges:
        top = values.get(r0)
        if top is None or c0 >= len(top) or top[c0] is None:
            continue
        for col in range(c0, min(c1, len(top) - 1) + 1):
            for row in range(r0, r1 + 1):
                if (row, col) != (r0, c0):
                    fills.setdefault(f"c{col}", {})[row] = top[c0]
    for col, cells in fills.items():
        fill = pl.DataFrame({"row_number": list(cells), "_v": list(cells.values())},
                            schema={"row_number": pl.Int64, "_v": pl.String})
        frame = frame.join(fill, on="row_number", how="left", maintain_order="left").with_columns(
            pl.coalesce(col, "_v").alias(col)).drop("_v")
    return frame


def merged_ranges(data: bytes, xls: bool = False) -> dict[str, list[Range]]:
    """Merged ranges per sheet, absolute columns (see :mod:`pipelines.read.merged`).

    Args:
        data: the workbook's bytes.
        xls: True for a legacy ``.xls``.

    Returns:
        sheet name -> ranges.
    """
    return xls_merged_ranges(data) if xls else xlsx_merged_ranges(data)


# Excel's error values as calamine names them, as Excel shows them.
CELL_ERRORS = {"Div0": "#DIV/0!", "NA": "#N/A", "Value": "#VALUE!", "Ref": "#REF!",
               "Name": "#NAME?", "Num": "#NUM!", "Null": "#NULL!", "GettingData": "#DATA!"}
_ERROR = re.compile(r"Error\((\w+)\)")


def _with_errors(frame: pl.DataFrame, errors) -> pl.DataFrame:
    """Error cells (``#N/A``, ``#DIV/0!`` …) as Excel shows them, not as empty cells.

    calamine reads an error value (a formula's cached error) as no value when asked for text;
    the error is written back so the field's own check reports it (date or amount not
    readable, unknown code …) instead of the cell passing as blank.
    """
    if errors is None or not errors.errors:
        return frame
    cells: dict[int, dict[int, str]] = {}
    for err in errors.errors:
        found = _ERROR.search(err.detail)
        row, col = err.offset_position
        cells.setdefault(col, {})[row] = CELL_ERRORS.get(found.group(1), f"#{found.group(1)}") \
            if found else "#ERROR"
    names = frame.columns
    return frame.with_columns(
        frame[names[col]].scatter(list(rows), pl.Series(list(rows.values()), dtype=pl.String))
        for col, rows in cells.items())


# Sheets parsed at once: calamine releases the GIL while it parses a sheet and builds its
# Arrow batch, so two sheets (or a sheet and the XML scan) use the machine's two cores.
WORKERS = 2
_LOCAL = threading.local()


@dataclass(frozen=True)
class _Parsed:
    """One sheet as calamine read it: text cells (None when empty), hidden, first column."""

    frame: pl.DataFrame | None
    hidden: bool
    shift: int = 0


def _parse(reader, name: str) -> _Parsed:
    """The sheet's text cells, error cells written as Excel shows them (one calamine parse)."""
    sheet = reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0)
    batch, errors = sheet.to_arrow_with_errors()
    frame = _with_errors(pl.from_arrow(batch), errors)
    hidden = sheet.visible != "visible"
    if frame.width == 0 or frame.height == 0:
        return _Parsed(None, hidden)
    return _Parsed(frame, hidden, sheet.available_columns()[0].absolute_index)


def _parse_in_worker(data: bytes, name: str) -> _Parsed:
    """:func:`_parse` on this worker thread's own reader of ``data`` (a reader serves one
    call at a time)."""
    import fastexcel

    if getattr(_LOCAL, "data", None) is not data:  # the pool's threads end with the workbook
        _LOCAL.reader, _LOCAL.data = fastexcel.read_excel(data), data
    return _parse(_LOCAL.reader, name)


def _finish(reader, name: str, parsed: _Parsed, merges: list[Range],
            numbers: bool) -> pl.DataFrame | None:
    """A parsed sheet as a numbered, merge-filled text grid (None when it is empty).
    ``numbers``: the sheet may hold numbers of 16+ digits, so it is read a second time for
    which cells are numeric (``_show_big_numbers``)."""
    frame = parsed.frame
    if frame is None:
        return None
    if numbers:
        numeric = reader.load_sheet(name, header_row=None, dtypes="boolean", skip_rows=0)
        frame = _show_big_numbers(frame, numeric.to_polars())
    return trimmed(fill_merged(numbered(frame, 1), grid_ranges(merges, parsed.shift)))


def _load(reader, name: str, merges: list[Range],
          numbers: bool = True) -> tuple[pl.DataFrame | None, bool]:
    """One sheet as a numbered, merge-filled text grid (None when it is empty), and whether
    the sheet is hidden (:func:`_parse` then :func:`_finish`, on this thread)."""
    parsed = _parse(reader, name)
    return _finish(reader, name, parsed, merges, numbers), parsed.hidden


def _scan(data: bytes, xls: bool) -> tuple[dict[str, list[Range]], set[str] | None]:
    """Merged ranges per sheet and the sheets that may hold big numbers (None: any sheet)."""
    return (xls_merged_ranges(data), None) if xls else xlsx_sheet_scan(data)


def _sheets(reader, data: bytes, xls: bool,
            workers: int) -> Iterator[tuple[str, pl.DataFrame | None, bool]]:
    """(sheet, grid or None, hidden) per sheet in workbook order.

    With ``workers`` > 1 the XML scan and the sheets' parses run on that many threads, each
    sheet parsed by its thread's own reader; results are taken in workbook order (the scan
    first), so the first error raised is the one reading them one after the other raises.
    """
    names = reader.sheet_names
    if workers <= 1:
        merged, big = _scan(data, xls)
        for sheet in names:
            frame, hidden = _load(reader, sheet, merged.get(sheet, []),
                                  big is None or sheet in big)
            yield sheet, frame, hidden
        return
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sheet")
    try:
        scan = pool.submit(_scan, data, xls)
        parses = [pool.submit(_parse_in_worker, data, sheet) for sheet in names]
        merged, big = scan.result()
        for sheet, parse in zip(names, parses, strict=True):
            parsed = parse.result()
            frame = _finish(reader, sheet, parsed, merged.get(sheet, []),
                            big is None or sheet in big)
            yield sheet, frame, parsed.hidden
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def read_workbook_grids(path: Path) -> list[Grid]:
    """Read every sheet of a workbook as text grids (calamine via fastexcel).

    See :func:`workbook_grids`.

    Args:
        path: the ``.xlsx``/``.xlsm``/``.xls`` file.

    Returns:
        One grid per non-empty sheet.

    Raises:
        ValueError: when the workbook cannot be opened, naming the file but no cell content.
    """
    return workbook_grids(path.name, path.read_bytes(), path.suffix.lower() in XLS_SUFFIXES)


def workbook_grids(name: str, data: bytes, xls_name: bool = False,
                   digest: str | None = None, workers: int | None = None) -> list[Grid]:
    """Every sheet of a workbook's bytes as text grids, hidden sheets marked.

    Read with ``skip_rows=0`` and no header, calamine keeps the leading empty rows, so
    ``row_number`` is the spreadsheet's own row number; it drops leading empty columns, so
    ``c0`` is the first used column (merged ranges are shifted to match). Empty sheets are
    left out; a legacy ``.xls`` is told by its bytes (an OLE2 compound file), whatever the
    file's name; an ``.xls`` name on HTML or Excel 2003 XML is read as such.

    Args:
        name: the file's name (for the grids and messages).
        data: its bytes.
        xls_name: the name ends in ``.xls`` (markup is looked for).
        digest: the bytes' SHA-256 when known.
        workers: threads parsing sheets at once (default :data:`WORKERS`; 1: one sheet
            after the other on this thread). The grids are the same either way.

    Returns:
        One grid per non-empty sheet.

    Raises:
        ValueError: when the workbook cannot be opened or is password-protected, naming the
            file but no cell content.
    """
    import fastexcel

    xls = data.startswith(MAGIC)
    if xls and password_protected(data):
        msg = f"{name}: the workbook is password-protected - save it without a password"
        raise ValueError(msg)
    markup = markup_kind(data) if xls_name and not xls else None
    if markup:
        return _markup_grids(name, data, markup)
    try:
        reader = fastexcel.read_excel(data)
        grids, digest = [], digest or sha256(data)
        for sheet, frame, hidden in _sheets(reader, data, xls, WORKERS if workers is None
                                            else workers):
            if frame is not None and frame.height:
                grids.append(Grid(name, str(mask_ids_in_text(sheet)), "xls" if xls else "xlsx",
                                  digest, frame, hidden=hidden))
    except (ValueError, KeyError, IndexError, struct.error, ParseError, zipfile.BadZipFile,
            NotCompoundFile, fastexcel.FastExcelError) as exc:
        msg = f"{name}: {safe_reason('workbook', exc)}"
        raise ValueError(msg) from None
    return grids


def _markup_grids(name: str, data: bytes, kind: str) -> list[Grid]:
    """Grids of an HTML or Excel 2003 XML file saved as ``.xls``."""
    try:
        sheets = html_grids(data) if kind == "html" else xml2003_grids(data)
    except (ValueError, ParseError) as exc:
        msg = f"{name}: {safe_reason(f'{kind} workbook', exc)}"
        raise ValueError(msg) from None
    digest = sha256(data)
    grids = [Grid(name, str(mask_ids_in_text(sheet)), kind, digest, trimmed(frame))
             for sheet, frame in sheets]
    return [g for g in grids if g.frame.height]


read_xlsx_grids = read_workbook_grids
