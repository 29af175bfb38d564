"""Landing files to raw text grids: encodings, delimiters, workbook sheets, merged cells.

A *grid* is one text file or one workbook sheet read entirely as text, header row included,
with a ``row_number`` column: for a text file the header is row 1 (blank lines count, a
quoted newline stays inside its record, as a spreadsheet shows it); for a sheet it is the
spreadsheet's own 1-based row number, title rows included. Finding the header row and the
extract is left to :mod:`pipelines.extracts`.

A file that cannot be read is not an error of the night: :func:`read_landing` returns it as
:class:`Unreadable` (its reason names no cell content) and reads the other files.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.landing import DATA_SUFFIXES, WORKBOOK_SUFFIXES, list_landing
from pipelines.read.grid import Grid, Unreadable, sha256
from pipelines.read.merged import xlsx_merged_ranges
from pipelines.read.text import decode, detect_delimiter, detect_encoding, read_text_grid
from pipelines.read.workbook import fill_merged, merged_ranges, read_workbook_grids

read_csv_grid = read_text_grid
read_xlsx_grids = read_workbook_grids

__all__ = [
    "DATA_SUFFIXES", "Grid", "Unreadable", "decode", "detect_delimiter", "detect_encoding",
    "fill_merged", "landing_files", "merged_ranges", "read_csv_grid", "read_file",
    "read_grids", "read_landing", "read_text_grid", "read_workbook_grids", "read_xlsx_grids",
    "xlsx_merged_ranges",
]


def landing_files(landing: Path) -> list[Path]:
    """The data files of a landing folder, sorted by name (:func:`pipelines.landing.list_landing`).

    Args:
        landing: the landing folder.

    Returns:
        Text (``.csv``, ``.txt``, ``.tsv``) and workbook (``.xlsx``, ``.xlsm``, ``.xls``)
        files; steward files and skipped entries (with their reasons) are in the listing.
    """
    return list(list_landing(landing).data)


def read_file(path: Path) -> list[Grid]:
    """Read one data file: a text file is one grid, a workbook one per non-empty sheet.

    Args:
        path: the file.

    Returns:
        Its grids (none for an empty file).

    Raises:
        ValueError: when it cannot be read (the message names the file, never its content).
    """
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        return read_workbook_grids(path)
    grid = read_text_grid(path)
    return [grid] if grid.frame.height else []


def read_landing(landing: Path) -> tuple[list[Grid], list[Unreadable]]:
    """Read every data file of a landing folder; a file that cannot be read is set aside.

    Args:
        landing: the landing folder.

    Returns:
        (grids of the readable files, the unreadable files with their reason).
    """
    grids: list[Grid] = []
    unreadable: list[Unreadable] = []
    for path in landing_files(landing):
        try:
            grids.extend(read_file(path))
        except (ValueError, OSError) as exc:
            kind = "workbook" if path.suffix.lower() in WORKBOOK_SUFFIXES else "text"
            try:
                digest = sha256(path.read_bytes())
            except OSError:
                digest = ""
            reason = str(exc) if isinstance(exc, ValueError) else f"{path.name}: cannot open"
            unreadable.append(Unreadable(path.name, kind, digest, reason))
    return grids, unreadable


def read_grids(landing: Path) -> list[Grid]:
    """Read every readable data file of a landing folder (see :func:`read_landing`).

    Args:
        landing: the landing folder.

    Returns:
        One grid per text file and per non-empty workbook sheet.
    """
    return read_landing(landing)[0]
