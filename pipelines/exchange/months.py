"""Which month a returned file is for: from its name, else from its content."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from pipelines.exchange.returned import find_header, header_lookup, pick_grid
from pipelines.extracts import normalise_header

# Cells that label the month a returned sheet is for (统计月份: 2026年10月).
MONTH_LABELS = ("统计月份", "报送月份", "所属月份", "报表月份", "统计年月", "月份", "年月")
_MONTH = re.compile(r"(20\d\d)(?:(0[1-9]|1[0-2])|\s*[-_年./]\s*(0?[1-9]|1[0-2]))(?!\d)")


def month_in_text(text: object) -> str | None:
    """The ``YYYY-MM`` a text names (2026-10, 202610, 2026年9月, 2026.10), or None.

    Args:
        text: a file name, sheet name or cell value.

    Returns:
        The first month found, or None.
    """
    found = _MONTH.search(str(text or ""))
    return f"{found[1]}-{int(found[2] or found[3]):02d}" if found else None


_FULL_DATE = re.compile(r"20\d\d\s*[-_年./]\s*\d{1,2}\s*[-_./月]\s*\d{1,2}(?!\d)")


def month_in_file_name(name: str) -> str | None:
    """The ``YYYY-MM`` a file name states, or None when it only carries a full date.

    A file returned on 3 November (``回传_2026-11-03.xlsx``) is usually for October, so a
    date in a name says nothing about the month the file covers; its content must.
    """
    return None if _FULL_DATE.search(name) else month_in_text(name)


def _labelled_month(top: pl.DataFrame, below: pl.DataFrame) -> str | None:
    """A month from a label cell: in the cell itself, to its right, or down its column."""
    for row in top.iter_rows():
        cells = [normalise_header(v) for v in row[1:]]
        for i, text in enumerate(cells):
            label = next((lb for lb in MONTH_LABELS if text.startswith(lb)), None)
            if label is None:
                continue
            found = month_in_text(text[len(label):]) or next(
                (m for m in map(month_in_text, cells[i + 1:i + 3]) if m), None)
            column = below.get_column(below.columns[i + 1]) if i + 1 < below.width else None
            if found is None and column is not None:
                months = column.map_elements(month_in_text, return_dtype=pl.String).drop_nulls()
                found = months.mode().sort().first() if months.len() else None
            if found:
                return found
    return None


def _workbook_title(path: Path) -> str:
    """The workbook's title property (``docProps/core.xml``), or ""."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as book:
            core = book.read("docProps/core.xml").decode("utf-8", "replace")
    except (KeyError, OSError, zipfile.BadZipFile):
        return ""
    found = re.search(r"<dc:title>(.*?)</dc:title>", core, re.S)
    return found[1] if found else ""


def month_in_content(path: Path) -> str | None:
    """The month a returned file is for, read from its content when its name does not say.

    Looked for in order: a label cell (统计月份/报送月份/月份 …) with the month in it, beside
    it or down its column; the sheet name; a title cell in the top rows; the workbook's
    title property.

    Args:
        path: the returned ``.xlsx`` or ``.csv``.

    Returns:
        ``YYYY-MM``, or None when the file names no month (or cannot be read).
    """
    try:
        grid = pick_grid(path)
    except (ValueError, OSError):
        return None
    frame = grid.frame
    header_row = find_header(frame, header_lookup())[0]
    top = frame.head(10).filter(pl.col("row_number") <= header_row) if header_row >= 0 \
        else frame.head(10)
    found = _labelled_month(top, frame) or month_in_text(grid.sheet)
    if found is None:  # a title above the header row (大病救治病例 2026年10月)
        above = top.filter(pl.col("row_number") < header_row)
        titles = (month_in_text(v) for row in above.iter_rows() for v in row[1:])
        found = next((m for m in titles if m), None)
    if found is None and path.suffix.lower() == ".xlsx":
        found = month_in_text(_workbook_title(path))
    return found
