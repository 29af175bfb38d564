"""The exchange folders: the workbook's name in the outbox, the office's files in the inbox.

An inbox file is placed in a month by its name (``回传_2026-10.xlsx``, ``202610``, ``2026年10月``),
else by its content (a 统计月份 cell, the sheet name, a title); a file neither tells is
reported as unplaced, never dropped.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.domain.months import Month
from pipelines.exchange.months import month_in_content, month_in_file_name

RETURN_SUFFIXES = (".xlsx", ".csv")
# A township's returned work list keeps this in its name (``问题清单_<township>_<YYYY-MM>.xlsx``)
# or, renamed by the clerk, its header (问题编号 and 核实结果: :func:`is_worklist`); every other
# inbox file is the illness office's.
WORKLIST_MARK = "问题清单"


def is_worklist(path: Path) -> bool:
    """Whether an inbox file is a township's returned work list: by its name, else its header."""
    from pipelines.cases.returned import has_worklist_header  # cases reads exchange's files

    return WORKLIST_MARK in path.name or has_worklist_header(path)


def workbook_name(month: str | Month) -> str:
    """The outgoing workbook's file name for a month (``大病救治病例_2026-10.xlsx``)."""
    return f"大病救治病例_{Month.parse(month)}.xlsx"


def file_month(path: Path) -> str | None:
    """The ``YYYY-MM`` a returned file is for: from its name, else its content, else None."""
    return month_in_file_name(path.name) or month_in_content(path)


def inbox_files(inbox: Path, kind: str | None = "office") -> list[Path]:
    """The returned files at the top of the inbox, by name (no hidden or Excel lock files).

    Args:
        inbox: the inbox folder (a missing folder holds nothing).
        kind: ``office`` (the illness office's files), ``worklist`` (the townships' returned
            work lists, by name or header: :func:`is_worklist`) or None (both).

    Returns:
        ``.xlsx`` and ``.csv`` files.
    """
    if not inbox.is_dir():
        return []
    return sorted(p for p in inbox.iterdir() if p.is_file() and p.suffix.lower() in
                  RETURN_SUFFIXES and not p.name.startswith((".", "~$"))
                  and (kind is None or is_worklist(p) == (kind == "worklist")))


def returned_file(inbox: Path, month: str | Month) -> Path | None:
    """The newest inbox file for ``month`` (by modification time, then name), or None."""
    wanted = str(Month.parse(month))
    files = [p for p in inbox_files(inbox) if file_month(p) == wanted]
    return max(files, key=lambda p: (p.stat().st_mtime, p.name)) if files else None


def unplaced_files(inbox: Path) -> list[str]:
    """Names of the inbox files whose month neither their name nor their content tells."""
    return [p.name for p in inbox_files(inbox) if file_month(p) is None]


def unplaced_hint(month: str | Month) -> str:
    """What to do with a file whose month cannot be told."""
    return f"name it like 回传_{Month.parse(month)}.xlsx or add a 统计月份 cell"
