"""The month's case list as the workbook the illness office opens and prints (xlsxwriter).

Sheet ``大病救治病例``: a title row, then one row per case under the Chinese headers of
``EXCHANGE_HEADERS``, sorted by township; then one summary sheet per township (by village).
Every sheet prints on A4 landscape fitted to the page width, its header row repeated on each
page (:mod:`pipelines.exchange.printing`).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl

from pipelines.domain.months import Month
from pipelines.exchange.cases import MONEY, township_summary
from pipelines.exchange.headers import CASE_SHEET, EXCHANGE_HEADERS
from pipelines.exchange.printing import (
    Column,
    formats,
    row_heights,
    setup_page,
    sheets_sized,
    widths,
)

WRAPPED = {"hospital": 16}
CASE_COLUMNS: list[Column] = [
    Column(field, headers[0], wrap=WRAPPED.get(field), max_width=22)
    for field, headers in EXCHANGE_HEADERS.items()
]


def _sheet_name(name: str, used: set[str]) -> str:
    """An Excel-safe, unique sheet name (at most 31 characters)."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:28] or "未定位"
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base[:26]}_{n}", n + 1
    used.add(candidate)
    return candidate


def _write_table(sheet, frame: pl.DataFrame, columns: list[Column], fmt: dict,
                 header_row: int, sized: tuple[list[int], list[float]] | None = None) -> None:
    """Headers at ``header_row``, then the rows, with widths, heights and cell formats
    (``sized``: the columns' widths and the rows' heights, else worked out here)."""
    if sized is None:
        column_widths = widths(frame, columns)
        sized = column_widths, row_heights(frame, columns, column_widths)
    column_widths, heights = sized
    for c, (col, width) in enumerate(zip(columns, column_widths, strict=True)):
        sheet.set_column(c, c, width)
        sheet.write(header_row, c, col.header, fmt["header"])
    cell = [fmt["money"] if col.field in MONEY else fmt["wrap"] if col.wrap else fmt["cell"]
            for col in columns]
    for r, row in enumerate(frame.select([c.field for c in columns]).iter_rows(),
                            start=header_row + 1):
        sheet.set_row(r, heights[r - header_row - 1])
        for c, value in enumerate(row):
            if value is None:
                sheet.write_blank(r, c, None, cell[c])
            elif isinstance(value, date):
                sheet.write_datetime(r, c, value, fmt["date"])
            else:
                sheet.write(r, c, value, cell[c])


def _case_sheet(book, cases: pl.DataFrame, month: Month, fmt: dict) -> None:
    """The case list: a title, then the cases by township (each township's summary follows on
    its own sheet; manual page breaks would be ignored by fit-to-width printing)."""
    sheet = book.add_worksheet(CASE_SHEET)
    title = f"大病专项救治病例 {month.year}年{month.month}月"
    sheet.write(0, 0, f"{title}（共 {cases.height} 例）", fmt["title"])
    _write_table(sheet, cases, CASE_COLUMNS, fmt, header_row=1)
    setup_page(sheet, title, header_row=1)


def _summaries(cases: pl.DataFrame) -> list[tuple[str, pl.DataFrame, list[Column]]]:
    """Each township's summary (``township_summary``, at least one row), by name, sized as
    its own sheet (``_width_<i>``, ``_height``: all sized in one pass), with its columns."""
    place = pl.col("township").fill_null("未定位")
    townships = cases.select(place).unique().sort("township").to_series().to_list()
    parts = [township_summary(cases.filter(place == township)) for township in townships]
    if not parts:
        return []
    columns = [Column(c, c) for c in parts[0].columns]
    sized = sheets_sized(pl.concat([part.with_columns(_sheet=pl.lit(i, pl.Int64))
                                    for i, part in enumerate(parts)]), columns, ["_sheet"])
    return [(township, part.drop("_sheet"), columns) for township, part in
            zip(townships, sized.partition_by("_sheet", maintain_order=True), strict=True)]


def write_workbook(cases: pl.DataFrame, path: Path, month: str) -> Path:
    """Write the month's case list as the workbook the illness office opens.

    Args:
        cases: from :func:`illness_cases`.
        path: the ``.xlsx`` file to write (parent folders are created).
        month: ``YYYY-MM`` (written in the title and the workbook's properties).

    Returns:
        ``path``.
    """
    import xlsxwriter

    month_ = Month.parse(month)
    path.parent.mkdir(parents=True, exist_ok=True)
    cases = cases.sort("township_code", "village_code", "person_id", "illness", nulls_last=True)
    with xlsxwriter.Workbook(str(path)) as book:
        book.set_properties({"title": f"大病专项救治病例 {month}", "author": "sanji"})
        fmt = formats(book)
        _case_sheet(book, cases, month_, fmt)
        used = {CASE_SHEET}
        for township, part, columns in _summaries(cases):
            sheet = book.add_worksheet(_sheet_name(str(township), used))
            sheet.write(0, 0, f"{township} 大病救治汇总 {month_.year}年{month_.month}月",
                        fmt["title"])
            sized = (list(part.select(f"_width_{i}" for i in range(len(columns))).row(0)),
                     part["_height"].to_list())
            _write_table(sheet, part, columns, fmt, header_row=1, sized=sized)
            setup_page(sheet, f"{township} 大病救治汇总 {month}", header_row=1)
    return path
