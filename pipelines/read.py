"""Landing files to raw text grids: encodings, workbook sheets and the row a person sees.

A *grid* is one CSV file or one workbook sheet read entirely as text, header row included,
with a ``row_number`` column: for a CSV the header is row 1 (blank lines count, a quoted
newline stays inside its record, as a spreadsheet shows it); for a sheet it is the
spreadsheet's own 1-based row number, title rows included. Finding the header row and the
extract is left to :mod:`pipelines.extracts`.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.landing import list_landing


@dataclass(frozen=True)
class Grid:
    """One CSV file or workbook sheet as text.

    Attributes:
        source_file: file name within the landing folder.
        sheet: sheet name, "" for a CSV.
        encoding: "utf-8", "utf-8-sig", "gbk", "gb18030" or "xlsx".
        sha256: hex digest of the file's bytes.
        frame: ``row_number`` (Int64) then ``c0``, ``c1`` … (String), one row per sheet row.
    """

    source_file: str
    sheet: str
    encoding: str
    sha256: str
    frame: pl.DataFrame


def landing_files(landing: Path) -> list[Path]:
    """List the data files at the top level of a landing folder.

    Args:
        landing: the landing folder.

    Returns:
        The extracts :func:`pipelines.landing.list_landing` finds (``.csv``/``.xlsx``), sorted by
        name; steward files and skipped entries (with their reasons) are in its listing.
    """
    return list(list_landing(landing).data)


def detect_encoding(data: bytes) -> str:
    """Tell the text encoding of CSV bytes from the bytes themselves.

    Args:
        data: the file's bytes.

    Returns:
        "utf-8-sig" (BOM), "utf-8", "gbk" or "gb18030".

    Raises:
        ValueError: when the bytes are none of these.
    """
    return decode(data)[0]


def decode(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes, trying strict UTF-8 (BOM or not), then GBK, then GB18030.

    Args:
        data: the file's bytes.

    Returns:
        (encoding, text).

    Raises:
        ValueError: when the bytes are none of these.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", data[3:].decode("utf-8")
    for encoding in ("utf-8", "gbk", "gb18030"):
        try:
            return encoding, data.decode(encoding)
        except UnicodeDecodeError:
            continue
    msg = "bytes are neither UTF-8 nor GBK/GB18030"
    raise ValueError(msg)


def _numbered(frame: pl.DataFrame, first_row: int) -> pl.DataFrame:
    """Rename columns to c0… and add ``row_number`` counting from ``first_row``."""
    frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
    return frame.with_row_index("row_number", offset=first_row).with_columns(
        pl.col("row_number").cast(pl.Int64)
    )


def _csv_width(text: str, lines: int = 60) -> int:
    """Most fields in any of the first records (a title row above the header has fewer)."""
    sample = io.StringIO(text[: 200_000])
    widths = [len(r) for _, r in zip(range(lines), csv.reader(sample), strict=False)]
    return max(widths, default=1) or 1


def read_csv_grid(path: Path) -> Grid:
    """Read a CSV file as a text grid.

    Args:
        path: the CSV file.

    Returns:
        The grid; the first line is row 1.

    Raises:
        ValueError: when the file cannot be decoded or parsed, naming the file.
    """
    data = path.read_bytes()
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(_sha256, data)  # hashlib releases the GIL: runs beside decode
        try:
            encoding, text = decode(data)
            width = _csv_width(text)
            head = ",".join(f"c{i}" for i in range(width)).encode() + b"\n"
            utf8 = head + (data if encoding == "utf-8" else text.encode("utf-8"))
            del text
            frame = pl.read_csv(
                utf8,
                has_header=True,
                infer_schema=False,
                truncate_ragged_lines=True,
            )
        except (ValueError, pl.exceptions.PolarsError) as exc:
            msg = f"{path.name}: cannot read CSV: {exc}"
            raise ValueError(msg) from exc
        sha = digest.result()
    return Grid(path.name, "", encoding, sha, _numbered(frame, 1))


def _sha256(data: bytes) -> str:
    """Hex SHA-256 of the bytes."""
    return hashlib.sha256(data).hexdigest()


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


_SHEET = re.compile(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"')
_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)([0-9]+):([A-Z]+)([0-9]+)"')


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1


def _col_letters(index: int) -> bytes:
    """Column letters of a 0-based column index (0 -> A, 26 -> AA)."""
    out = b""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = bytes([65 + rem]) + out
    return out


def first_used_column(xml: bytes, upto: int) -> int:
    """The first column holding a value, as calamine sees it (it drops empty leading columns).

    A cell counts when it has a value, an inline string or a formula; formatted blank cells do
    not. Columns are tried from A, each by one search that usually stops in the first row.

    Args:
        xml: the worksheet XML.
        upto: last column (0-based) worth trying.

    Returns:
        0-based column index; ``upto + 1`` when none of the columns up to ``upto`` holds a
        value (the first used column, if any, lies further right).
    """
    for col in range(upto + 1):
        cell = rb'<c\b[^>]*?\br="' + _col_letters(col) + rb'[0-9]+"[^>/]*>\s*<(?:v|is|f)\b'
        if re.search(cell, xml):
            return col
    return upto + 1


def merged_ranges(data: bytes) -> dict[str, list[tuple[int, int, int, int]]]:
    """Merged cell ranges per sheet of an .xlsx (calamine does not report them).

    Args:
        data: the workbook's bytes.

    Returns:
        sheet name -> (first row, first col, last row, last col), rows 1-based, cols 0-based
        grid columns: counted from the sheet's first used column, as calamine's columns are.
        Ranges starting left of it (an empty top-left cell, nothing to fill) are left out.
    """
    out: dict[str, list[tuple[int, int, int, int]]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        rels = {rid: target for rid, target in _REL.findall(z.read("xl/_rels/workbook.xml.rels"))}
        for name, rid in _SHEET.findall(z.read("xl/workbook.xml")):
            target = rels[rid].decode().lstrip("/")
            path = target if target.startswith("xl/") else f"xl/{target}"
            xml = z.read(path)
            cells = [(int(r0), _col_index(c0), int(r1), _col_index(c1))
                     for c0, r0, c1, r1 in _MERGE.findall(xml)]
            shift = first_used_column(xml, max(c for _, c, _, _ in cells)) if cells else 0
            out[html.unescape(name.decode())] = [
                (r0, c0 - shift, r1, c1 - shift) for r0, c0, r1, c1 in cells if c0 >= shift
            ]
    return out


def fill_merged(frame: pl.DataFrame, ranges: list[tuple[int, int, int, int]]) -> pl.DataFrame:
    """Give every cell of a merged range the value of its top-left cell, as a person sees it.

    Args:
        frame: the sheet grid (``row_number``, ``c0`` …).
        ranges: merged ranges from :func:`merged_ranges`.

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


def read_xlsx_grids(path: Path) -> list[Grid]:
    """Read every sheet of a workbook as text grids (calamine via fastexcel).

    Empty sheets are left out. Read with ``skip_rows=0`` and no header, calamine keeps the
    leading empty rows, so ``row_number`` is the spreadsheet's own row number; it drops
    leading empty columns, so ``c0`` is the first used column (merged ranges are shifted to
    match, see :func:`merged_ranges`).

    Args:
        path: the .xlsx file.

    Returns:
        One grid per non-empty sheet.

    Raises:
        ValueError: when the workbook cannot be opened, naming the file.
    """
    import fastexcel

    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    try:
        reader = fastexcel.read_excel(data)
        merged = merged_ranges(data)
        grids = []
        for name in reader.sheet_names:
            sheet = reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0)
            frame = sheet.to_polars()
            if frame.width == 0 or frame.height == 0:
                continue
            numeric = reader.load_sheet(name, header_row=None, dtypes="boolean", skip_rows=0)
            frame = _show_big_numbers(frame, numeric.to_polars())
            frame = fill_merged(_numbered(frame, 1), merged.get(name, []))
            grids.append(Grid(path.name, name, "xlsx", sha, frame))
    except (ValueError, KeyError, zipfile.BadZipFile, fastexcel.FastExcelError) as exc:
        msg = f"{path.name}: cannot read workbook: {exc}"
        raise ValueError(msg) from exc
    return grids


def read_grids(landing: Path) -> list[Grid]:
    """Read every data file of a landing folder.

    Args:
        landing: the landing folder.

    Returns:
        One grid per CSV file and per non-empty workbook sheet.
    """
    grids: list[Grid] = []
    for path in landing_files(landing):
        if path.suffix.lower() == ".csv":
            grid = read_csv_grid(path)
            if grid.frame.height:
                grids.append(grid)
        else:
            grids.extend(read_xlsx_grids(path))
    return grids
