"""The grid every landing file is read into, and the problem record of a file that is not."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import polars as pl

from pipelines.domain.identity import mask_ids_in_text


@dataclass(frozen=True)
class Grid:
    """One text file or workbook sheet as text.

    Attributes:
        source_file: file name within the landing folder.
        sheet: sheet name, "" for a text file.
        encoding: "utf-8", "utf-8-sig", "utf-16", "gbk", "gb18030" (text), "xlsx", "xls",
            "html" or "xml2003" (markup saved as .xls).
        sha256: hex digest of the file's bytes.
        frame: ``row_number`` (Int64) then ``c0``, ``c1`` … (String), one row per sheet row.
        shapes: for a text file, each record's shape (:mod:`pipelines.read.records`:
            ``row_number``, ``fields`` as written, ``inner`` the most fields a line inside one
            of its quoted cells holds); None for a sheet, or when the shapes are unknown.
        hidden: the sheet is hidden in its workbook (a stale copy, as a rule).
    """

    source_file: str
    sheet: str
    encoding: str
    sha256: str
    frame: pl.DataFrame
    shapes: pl.DataFrame | None = None
    hidden: bool = False


@dataclass(frozen=True)
class Unreadable:
    """A landing file that could not be read at all.

    Attributes:
        source_file: file name within the landing folder.
        kind: "text" or "workbook".
        sha256: hex digest of the file's bytes ("" when the bytes could not be read).
        reason: what went wrong, without any cell content (IDs masked).
        check: ``file_unreadable``, ``file_empty`` (no cell with text) or ``file_duplicate``
            (the same bytes as another file of the folder, which is read instead).
    """

    source_file: str
    kind: str
    sha256: str
    reason: str
    check: str = "file_unreadable"


def sha256(data: bytes) -> str:
    """Hex SHA-256 of the bytes."""
    return hashlib.sha256(data).hexdigest()


def numbered(frame: pl.DataFrame, first_row: int) -> pl.DataFrame:
    """Rename columns to c0… and add ``row_number`` counting from ``first_row``."""
    frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
    return frame.with_row_index("row_number", offset=first_row).with_columns(
        pl.col("row_number").cast(pl.Int64)
    )


def trimmed(frame: pl.DataFrame) -> pl.DataFrame:
    """The grid without its trailing blank rows (a used range or a file padded with empties).

    Args:
        frame: a grid (``row_number``, ``c0`` …).

    Returns:
        The rows up to the last one holding text in any cell (none when no cell has text).
    """
    cells = [c for c in frame.columns if c != "row_number"]
    if not cells or frame.height == 0:
        return frame.clear()
    filled = pl.any_horizontal(pl.col(c).str.contains(r"\S").fill_null(False) for c in cells)
    if frame.tail(1).select(filled).item():  # as a rule the last row holds text: done
        return frame
    last = frame.select(filled).to_series().arg_true()
    return frame.head(int(last[-1]) + 1) if last.len() else frame.clear()


_QUOTED = re.compile(r"`[^`]*(?:`|$)|\"[^\"]*(?:\"|$)|'[^']*(?:'|$)")


def safe_reason(what: str, exc: BaseException) -> str:
    """A reader's error as a message that shows no cell content.

    Parsers quote the offending line or cell; only the error's kind and its first line, cut
    short, with every quoted part (in backticks or quotes) left out and every ID-like run
    masked, are kept.

    Args:
        what: what was being read ("CSV", "workbook" …).
        exc: the error.

    Returns:
        ``cannot read <what>: <ErrorType>: <first line, at most 160 characters>``.
    """
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    first = _QUOTED.sub("…", first)
    if len(first) > 160:
        first = first[:157] + "..."
    return str(mask_ids_in_text(f"cannot read {what}: {type(exc).__name__}: {first}"))
