"""A township clerk's filled work list, for tests: the answer columns from the list's own layout.

Where the answers go (核实结果, 说明, 核实人, 核实日期) and where the cases start are read from
``pipelines.cases.worklist`` (``COLUMNS``, ``ANSWER_FIELDS``, ``HEADER_ROW``), never hard-coded,
so a column added to the list moves the answers with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import openpyxl

from pipelines.cases.worklist import ANSWER_FIELDS, COLUMNS, HEADER_ROW

FIELDS = [c.field for c in COLUMNS]
ANSWER_AT = [FIELDS.index(f) for f in ANSWER_FIELDS]  # 0-based, in ANSWER_FIELDS' order
FIRST_ROW = HEADER_ROW + 2  # the first case's sheet row (1-based): title, instructions, header


def column(field: str) -> int:
    """The sheet column (1-based) of a work-list field (``case_id``, ``name``, ``note`` …)."""
    return FIELDS.index(field) + 1


def fill_worklist(path: Path, answers: Mapping[str, tuple], target: Path,
                  extra: Iterable[Mapping[str, object]] = (), reorder: bool = False) -> list[str]:
    """Answer a work list as a clerk does and save it as ``target``.

    Args:
        path: the work list as written.
        answers: case id -> (核实结果, 说明, 核实人, 核实日期), in ``ANSWER_FIELDS``' order.
        target: where the filled list is saved.
        extra: rows the clerk adds below the cases, by field name
            (``{"name": "王五", "note": "…"}``, ``{"case_id": "C00000000000", "result": "其他"}``).
        reorder: the clerk sorted the list another way (the cases reversed; cases not in
            ``answers`` left blank).

    Returns:
        The case ids in the order the filled list holds them.
    """
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(min_row=FIRST_ROW, max_row=sheet.max_row,
                                             values_only=True) if r and r[0]]
    if reorder:
        rows.reverse()
    for at, row in enumerate(rows, start=FIRST_ROW):
        given = answers.get(row[0])
        if given is None and not reorder:
            continue
        for i, value in zip(ANSWER_AT, given or (None,) * len(ANSWER_AT), strict=True):
            row[i] = value
        cells = enumerate(row, start=1) if reorder else ((i + 1, row[i]) for i in ANSWER_AT)
        for col, value in cells:
            sheet.cell(row=at, column=col, value=value)
    for at, fields in enumerate(extra, start=FIRST_ROW + len(rows)):
        for name, value in fields.items():
            sheet.cell(row=at, column=column(name), value=value)
    book.save(target)
    return [r[0] for r in rows]
