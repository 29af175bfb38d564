"""The month's case list as the workbook the illness office opens (xlsxwriter)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl

from pipelines.exchange.cases import township_summary
from pipelines.exchange.headers import CASE_SHEET, EXCHANGE_HEADERS


def _sheet_name(name: str, used: set[str]) -> str:
    """An Excel-safe, unique sheet name (at most 31 characters)."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:28] or "未定位"
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base[:26]}_{n}", n + 1
    used.add(candidate)
    return candidate


def _write_frame(sheet, frame: pl.DataFrame, formats: dict) -> None:
    """Write a frame's header and rows to an xlsxwriter worksheet."""
    for col, header in enumerate(frame.columns):
        sheet.write(0, col, header, formats["header"])
        sheet.set_column(col, col, max(10, 2 * len(header) + 2))
    for r, row in enumerate(frame.iter_rows(), start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, date):
                sheet.write_datetime(r, c, value, formats["date"])
            else:
                sheet.write(r, c, value)


def write_workbook(cases: pl.DataFrame, path: Path, month: str) -> Path:
    """Write the month's case list as the workbook the illness office opens.

    Sheet ``大病救治病例`` holds one row per case with the Chinese headers of
    ``EXCHANGE_HEADERS``; then one summary sheet per township (by village).

    Args:
        cases: from :func:`illness_cases`.
        path: the ``.xlsx`` file to write (parent folders are created).
        month: ``YYYY-MM`` (written in the workbook's properties).

    Returns:
        ``path``.
    """
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    out = cases.select([
        pl.col(field).alias(headers[0]) for field, headers in EXCHANGE_HEADERS.items()
    ])
    with xlsxwriter.Workbook(str(path)) as book:
        book.set_properties({"title": f"大病专项救治病例 {month}", "author": "sanji"})
        formats = {"header": book.add_format({"bold": True, "bg_color": "#DDEBF7"}),
                   "date": book.add_format({"num_format": "yyyy-mm-dd"})}
        _write_frame(book.add_worksheet(CASE_SHEET), out, formats)
        used = {CASE_SHEET}
        townships = cases.select(pl.col("township").fill_null("未定位")).unique().sort("township")
        for township in townships.to_series():
            part = cases.filter(pl.col("township").fill_null("未定位") == township)
            _write_frame(book.add_worksheet(_sheet_name(str(township), used)),
                         township_summary(part), formats)
    return path


