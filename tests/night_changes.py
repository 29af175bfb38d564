"""A night's changes to a county's landing files, made as the departments make them, and the
one foreign county (``benchmarks/foreign_county``) the incremental-night tests share.

``tests/conftest.py`` loads this module by path under the fixed name ``sanji_tests_nights``.

- :func:`append_stays`: the insurance office's settlement workbook comes back with new stays
  appended (copies of some patients' rows, admitted and discharged later);
- :func:`rename` / :func:`retype` / :func:`remove`: one row of a text extract given another
  row's value (a name another resident holds, so how many people hold that name changes too;
  another village), retyped (an ID mistyped) or removed.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOREIGN_PEOPLE, FOREIGN_SEED = 2500, 5
FOREIGN_SETTLEMENTS, FOREIGN_ENROLMENT = "结算明细表.xlsx", "2025年度明细.csv"


def generate_foreign(out: Path) -> Path:
    """Generate the shared foreign county into ``out``; returns its landing folder."""
    cmd = [sys.executable, "-m", "benchmarks.foreign_county", "--people", str(FOREIGN_PEOPLE),
           "--seed", str(FOREIGN_SEED), "--out", str(out), "--no-libreoffice", "--jobs", "1"]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, timeout=300)
    return out / "landing"


def append_stays(workbook: Path, count: int, days: int = 40) -> int:
    """Append ``count`` new stays to a settlement workbook (first sheet, header on row 1):
    every n-th patient's row again, its dates ``days`` later and its amounts changed.

    Returns:
        How many rows were appended.
    """
    import openpyxl

    book = openpyxl.load_workbook(workbook)
    sheet = book.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True) if any(r)]
    step = max(1, len(rows) // count)
    for n, row in enumerate(rows[::step][:count]):
        sheet.append([_later(v, days) if isinstance(v, (datetime, str)) and _dated(v) else
                      round(v + 11.0 * (n + 1), 2) if isinstance(v, float) else v for v in row])
    book.save(workbook)
    return min(count, len(rows[::step]))


def _dated(value: datetime | str) -> bool:
    return isinstance(value, datetime) or (len(value) == 19 and value[4] == "-" == value[7])


def _later(value: datetime | str, days: int) -> datetime | str:
    if isinstance(value, datetime):
        return value + timedelta(days=days)
    return (datetime.fromisoformat(value) + timedelta(days=days)).isoformat(sep=" ")


def _rows(path: Path, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding), newline="")))


def _write(path: Path, rows: list[list[str]], encoding: str) -> None:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))


def rename(path: Path, row: int, like: int, column: str, encoding: str = "gb18030"
           ) -> tuple[str, str]:
    """Give data row ``row`` of a CSV the ``column`` value of data row ``like``.

    Returns:
        (old name, new name).
    """
    rows = _rows(path, encoding)
    at = rows[0].index(column)
    old, rows[row + 1][at] = rows[row + 1][at], rows[like + 1][at]
    _write(path, rows, encoding)
    return old, rows[row + 1][at]


def retype(path: Path, row: int, column: str, typed, encoding: str = "gb18030") -> str:
    """Retype data row ``row``'s ``column`` of a CSV as ``typed(old)``; returns the old value."""
    rows = _rows(path, encoding)
    at = rows[0].index(column)
    old, rows[row + 1][at] = rows[row + 1][at], typed(rows[row + 1][at])
    _write(path, rows, encoding)
    return old


def remove(path: Path, row: int, encoding: str = "gb18030") -> list[str]:
    """Delete data row ``row`` of a CSV; returns it."""
    rows = _rows(path, encoding)
    gone = rows.pop(row + 1)
    _write(path, rows, encoding)
    return gone
