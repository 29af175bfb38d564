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

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.domain.identity import mask_ids_in_text
from pipelines.landing import DATA_SUFFIXES, WORKBOOK_SUFFIXES, list_landing
from pipelines.read.biff import MAGIC
from pipelines.read.grid import Grid, Unreadable, sha256
from pipelines.read.markup import markup_kind
from pipelines.read.merged import xlsx_merged_ranges
from pipelines.read.text import (
    decode,
    detect_delimiter,
    detect_encoding,
    read_text_grid,
    text_grid,
)
from pipelines.read.workbook import (
    fill_merged,
    merged_ranges,
    read_workbook_grids,
    workbook_grids,
)

ZIP_MAGIC = b"PK\x03\x04"

read_csv_grid = read_text_grid
read_xlsx_grids = read_workbook_grids

__all__ = [
    "DATA_SUFFIXES", "Grid", "Unreadable", "decode", "detect_delimiter", "detect_encoding",
    "file_grids", "fill_merged", "landing_files", "merged_ranges", "read_csv_grid",
    "read_file", "read_grids", "read_landing", "read_text_grid", "read_workbook_grids",
    "read_xlsx_grids", "shown_names", "text_grid", "workbook_grids", "xlsx_merged_ranges",
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
    return file_grids(path.name, path.read_bytes(), path.suffix.lower())


def file_grids(name: str, data: bytes, suffix: str, digest: str | None = None) -> list[Grid]:
    """The grids of a file's bytes, its format told by its bytes before its name.

    Zip (``.xlsx``) and OLE2 (``.xls``) bytes are read as a workbook whatever the name; a
    workbook name on other bytes is an HTML or XML ``.xls``, or delimited text saved under a
    workbook name (as web systems export), read as text.

    Args:
        name: the file's name as shown (for grids and messages).
        data: its bytes.
        suffix: its suffix, lower case.
        digest: the bytes' SHA-256 when known.

    Returns:
        Its grids (none when no cell holds text).

    Raises:
        ValueError: when it cannot be read, naming the file, never its content.
    """
    if data.startswith((ZIP_MAGIC, MAGIC)):
        return workbook_grids(name, data, suffix == ".xls", digest)
    if suffix not in WORKBOOK_SUFFIXES:
        grid = text_grid(name, data, suffix == ".tsv", digest)
    elif markup_kind(data):
        return workbook_grids(name, data, xls_name=True, digest=digest)
    else:
        try:
            grid = text_grid(name, data, digest=digest)
        except ValueError:
            grid = None
        if grid is None or (grid.frame.height and grid.frame.width < 3):  # one column: no table
            msg = (f"{name}: neither a workbook nor delimited text (the file may be damaged or "
                   "not an Excel file) - export it again")
            raise ValueError(msg) from None
    return [grid] if grid.frame.height else []


def shown_names(paths: list[Path]) -> list[str]:
    """File names as reports show them: ID-like runs masked, told apart when that makes two
    alike (``… (2).csv``).

    Args:
        paths: the files.

    Returns:
        One name per file, all different.
    """
    shown: list[str] = []
    for path in paths:
        name = str(mask_ids_in_text(path.name))
        stem, suffix, n = Path(name).stem, Path(name).suffix, 2
        while name in shown:
            name, n = f"{stem} ({n}){suffix}", n + 1
        shown.append(name)
    return shown


def _grids_or_why(name: str, kind: str, digest: str, data: bytes,
                  suffix: str) -> list | Unreadable:
    """The grids of a file's bytes, or why it is set aside (unreadable, empty)."""
    try:
        grids = file_grids(name, data, suffix, digest)
    except ValueError as exc:
        return Unreadable(name, kind, digest, str(mask_ids_in_text(str(exc))))
    if not grids:
        reason = f"{name}: empty: no cell holds text ({len(data)} bytes)"
        return Unreadable(name, kind, digest, reason, check="file_empty")
    return grids


@dataclass(frozen=True)
class _Opened:
    """A landing file's bytes, read and checked (not a copy, not taken from the cache), its
    grids not yet parsed."""

    name: str
    kind: str
    digest: str
    data: bytes
    suffix: str

    @property
    def workbook(self) -> bool:
        """Whether its bytes are a workbook's (parsed on a thread of its own)."""
        return self.data.startswith((ZIP_MAGIC, MAGIC))

    def grids(self) -> list | Unreadable:
        return _grids_or_why(self.name, self.kind, self.digest, self.data, self.suffix)


def _open(path: Path, name: str, first_of: dict[str, str],
          cached: Callable[[Path, str, str], Any] | None = None) -> list | Unreadable | _Opened:
    """A landing file's bytes to parse, or why it is set aside (``first_of``: hash -> name),
    or what ``cached(path, name, digest)`` gives for it when that is not None."""
    kind = "workbook" if path.suffix.lower() in WORKBOOK_SUFFIXES else "text"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise  # moved away while the night reads: transient, the run is tried again
    except OSError as exc:
        return Unreadable(name, kind, "", f"{name}: cannot open ({type(exc).__name__})")
    digest = sha256(data)
    if digest in first_of:
        reason = (f"{name}: the same content as {first_of[digest]}, which is read: a copy is "
                  "read once - remove it from the landing folder")
        return Unreadable(name, kind, digest, reason, check="file_duplicate")
    first_of[digest] = name
    if cached is not None and (entry := cached(path, name, digest)) is not None:
        return [entry]
    return _Opened(name, kind, digest, data, path.suffix.lower())


def _read_one(path: Path, name: str, first_of: dict[str, str],
              cached: Callable[[Path, str, str], Any] | None = None) -> list | Unreadable:
    """The grids of one landing file, or why it is set aside (see :func:`_open`)."""
    found = _open(path, name, first_of, cached)
    return found.grids() if isinstance(found, _Opened) else found


def read_landing(landing: Path, cached: Callable[[Path, str, str], Any] | None = None,
                 ) -> tuple[list[Grid], list[Unreadable]]:
    """Read every data file of a landing folder; a file that cannot be read is set aside.

    A file is set aside (:class:`Unreadable`) when it cannot be read, holds no text, or has
    the same bytes as a file read before it (by name order): a copy is read once. File
    names are shown with ID-like runs masked (:func:`shown_names`), in grids too.

    Every file's bytes are read first (in name order: copies, the cache); the workbooks are
    then parsed on a thread of their own (calamine releases the GIL) while the text files
    are, whatever their names' order (a workbook is the longest to parse: it starts
    first). The results are taken in name order, and an error reading a file is raised
    when its turn comes, so the outcome is the one of reading one file after the other.

    Args:
        landing: the landing folder.
        cached: given a file's path, name as shown and sha256, what to return in place of
            its grids (one item: e.g. its ingest cache entry), or None to read it.

    Returns:
        (grids of the readable files, the files set aside with their reason).
    """
    paths = landing_files(landing)
    found: list = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="workbook") as pool:
        first_of: dict[str, str] = {}
        for path, name in zip(paths, shown_names(paths), strict=True):
            try:
                opened = _open(path, name, first_of, cached)
            except Exception as exc:  # raised in its turn, after the workbooks before it
                found.append(_Failed(exc))
                break
            workbook = isinstance(opened, _Opened) and opened.workbook
            found.append(pool.submit(opened.grids) if workbook else opened)
        _parse_texts(found)
        return _in_order(found)


def _parse_texts(found: list) -> None:
    """Parse the opened text files in place, in order, each file's bytes let go once parsed
    (a failure ends the list: no file after it is wanted)."""
    for i, item in enumerate(found):
        if not isinstance(item, _Opened):
            continue
        try:
            found[i] = item.grids()
        except Exception as exc:  # raised in its turn, after the workbooks before it
            found[i] = _Failed(exc)
            del found[i + 1:]
            return


@dataclass(frozen=True)
class _Failed:
    """A file whose reading raised: the error is raised when the file's turn comes."""

    error: Exception


def _in_order(found: list) -> tuple[list[Grid], list[Unreadable]]:
    """The files' results in name order (a workbook's waited for; a failure raised)."""
    grids: list[Grid] = []
    unreadable: list[Unreadable] = []
    for item in found:
        if isinstance(item, _Failed):
            raise item.error
        result = item.result() if isinstance(item, Future) else item
        if isinstance(result, Unreadable):
            unreadable.append(result)
        else:
            grids.extend(result)
    return grids, unreadable


def read_grids(landing: Path) -> list[Grid]:
    """Read every readable data file of a landing folder (see :func:`read_landing`).

    Args:
        landing: the landing folder.

    Returns:
        One grid per text file and per non-empty workbook sheet.
    """
    return read_landing(landing)[0]
