"""Workbooks that are markup under an ``.xls`` name: HTML tables and Excel 2003 XML.

Many web systems export "Excel" as an HTML page (``<table>`` rows, spans for merged cells)
or as SpreadsheetML 2003 (``<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">``)
and name the file ``.xls``; Excel opens both, calamine reads neither. Both become grids the
way a spreadsheet shows them: a spanned (merged) cell's value fills every cell it covers, and
rows are numbered from 1 as the table's rows.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from xml.etree import ElementTree

import polars as pl

from pipelines.read.grid import numbered
from pipelines.read.text import decode

SPREADSHEET_NS = "urn:schemas-microsoft-com:office:spreadsheet"
_CHARSET = re.compile(rb"charset\s*=\s*[\"']?([A-Za-z0-9_-]+)", re.IGNORECASE)
# value, columns spanned, rows spanned, 0-based column (None: the next free one, as HTML has it)
Cell = tuple[str | None, int, int, int | None]


def markup_kind(data: bytes) -> str | None:
    """``"html"`` or ``"xml2003"`` for markup bytes, None for anything else.

    Args:
        data: the file's bytes.

    Returns:
        The kind, or None when the file does not start like markup.
    """
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "ignore").encode("utf-8")
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<"):
        return None
    if SPREADSHEET_NS.encode() in data[:65536]:
        return "xml2003"
    return "html" if re.search(rb"<(html|table|meta|!doctype)", head, re.IGNORECASE) else None


def _text(data: bytes) -> str:
    """Markup bytes as text: the declared charset, else the text decoder's guess."""
    found = _CHARSET.search(data[:4096])
    if found:
        try:
            return data.decode(found.group(1).decode("ascii").lower().replace("gb2312", "gbk"))
        except (LookupError, UnicodeDecodeError):
            pass
    return decode(data)[1]


class _Tables(HTMLParser):
    """Rows of cells of every top-level ``<table>`` (text of nested tables stays in its cell)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[Cell]]] = []
        self.depth = 0
        self.cell: list[str] | None = None
        self.span = (1, 1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.depth += 1
            if self.depth == 1:
                self.tables.append([])
        elif self.depth == 1 and tag == "tr":
            self._close_cell()
            self.tables[-1].append([])
        elif self.depth == 1 and tag in ("td", "th") and self.tables:
            self._close_cell()
            if not self.tables[-1]:  # a cell before any <tr>
                self.tables[-1].append([])
            found = dict(attrs)
            self.span = (_int(found.get("colspan")), _int(found.get("rowspan")))
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            if self.depth == 1:
                self._close_cell()
            self.depth = max(0, self.depth - 1)
        elif self.depth == 1 and tag in ("td", "th", "tr"):
            self._close_cell()

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)

    def _close_cell(self) -> None:
        if self.cell is not None:
            text = " ".join("".join(self.cell).split())
            self.tables[-1][-1].append((text or None, *self.span, None))
            self.cell = None


def _int(value: str | None) -> int:
    try:
        return max(1, min(int(str(value).strip()), 1000))
    except ValueError:
        return 1


def _layout(rows: list[list[Cell]]) -> pl.DataFrame:
    """Place spanned cells on a grid, each value filling the cells it spans."""
    placed: dict[tuple[int, int], str | None] = {}
    for r, row in enumerate(rows):
        c = 0
        for value, cols, span_rows, at in row:
            if at is not None:
                c = at
            while at is None and (r, c) in placed:
                c += 1
            for dr in range(span_rows):
                for dc in range(cols):
                    placed.setdefault((r + dr, c + dc), value)
            c += cols
    height = max((r for r, _ in placed), default=-1) + 1
    width = max((c for _, c in placed), default=-1) + 1
    columns = {f"c{c}": [placed.get((r, c)) for r in range(height)] for c in range(width)}
    return pl.DataFrame(columns, schema={k: pl.String for k in columns})


def html_grids(data: bytes) -> list[tuple[str, pl.DataFrame]]:
    """(sheet name, numbered grid) per non-empty HTML table.

    Args:
        data: the file's bytes.

    Returns:
        One entry per table; the sheet name is "" for a single table, else ``表1``, ``表2`` …
    """
    parser = _Tables()
    parser.feed(_text(data))
    parser.close()
    frames = [_layout(t) for t in parser.tables if any(t)]
    frames = [f for f in frames if f.height and f.width]
    names = [""] if len(frames) == 1 else [f"表{i + 1}" for i in range(len(frames))]
    return [(n, numbered(f, 1)) for n, f in zip(names, frames, strict=False)]


def _xml_rows(table: ElementTree.Element) -> list[list[Cell]]:
    """Rows of a SpreadsheetML table (each cell at its column), empty rows kept where
    ss:Index skips them."""
    ns = f"{{{SPREADSHEET_NS}}}"
    rows: list[list[Cell]] = []
    for row in table.iter(f"{ns}Row"):
        index = int(row.get(f"{ns}Index", len(rows) + 1))
        rows.extend([] for _ in range(index - 1 - len(rows)))
        cells: list[Cell] = []
        col = 1  # ss:Index is the absolute 1-based column; cells under a merge are left out
        for cell in row.iter(f"{ns}Cell"):
            target = int(cell.get(f"{ns}Index", col))
            data = cell.find(f"{ns}Data")
            text = "".join(data.itertext()).strip() if data is not None else ""
            across = int(cell.get(f"{ns}MergeAcross", 0)) + 1
            down = int(cell.get(f"{ns}MergeDown", 0)) + 1
            cells.append((text or None, across, down, target - 1))
            col = target + across
        rows.append(cells)
    return rows


def xml2003_grids(data: bytes) -> list[tuple[str, pl.DataFrame]]:
    """(sheet name, numbered grid) per non-empty worksheet of an Excel 2003 XML workbook.

    Args:
        data: the file's bytes.

    Returns:
        One entry per worksheet with cells.
    """
    ns = f"{{{SPREADSHEET_NS}}}"
    root = ElementTree.fromstring(data)
    out = []
    for sheet in root.iter(f"{ns}Worksheet"):
        table = sheet.find(f"{ns}Table")
        frame = _layout(_xml_rows(table)) if table is not None else pl.DataFrame()
        if frame.height and frame.width:
            out.append((sheet.get(f"{ns}Name", ""), numbered(frame, 1)))
    return out
