"""The grid every landing file is read into, and the problem record of a file that is not."""

from __future__ import annotations

import hashlib
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
    """

    source_file: str
    sheet: str
    encoding: str
    sha256: str
    frame: pl.DataFrame


@dataclass(frozen=True)
class Unreadable:
    """A landing file that could not be read at all.

    Attributes:
        source_file: file name within the landing folder.
        kind: "text" or "workbook".
        sha256: hex digest of the file's bytes ("" when the bytes could not be read).
        reason: what went wrong, without any cell content (IDs masked).
    """

    source_file: str
    kind: str
    sha256: str
    reason: str


def sha256(data: bytes) -> str:
    """Hex SHA-256 of the bytes."""
    return hashlib.sha256(data).hexdigest()


def numbered(frame: pl.DataFrame, first_row: int) -> pl.DataFrame:
    """Rename columns to c0… and add ``row_number`` counting from ``first_row``."""
    frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
    return frame.with_row_index("row_number", offset=first_row).with_columns(
        pl.col("row_number").cast(pl.Int64)
    )


def safe_reason(what: str, exc: BaseException) -> str:
    """A reader's error as a message that shows no cell content.

    Parsers quote the offending line or cell; only the error's kind and its first line, cut
    short and with every ID-like run masked, are kept.

    Args:
        what: what was being read ("CSV", "workbook" …).
        exc: the error.

    Returns:
        ``cannot read <what>: <ErrorType>: <first line, at most 160 characters>``.
    """
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if len(first) > 160:
        first = first[:157] + "..."
    return str(mask_ids_in_text(f"cannot read {what}: {type(exc).__name__}: {first}"))
