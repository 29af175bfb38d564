"""What a month read: the landing's files by content hash, archived so the month can be rebuilt.

A run takes a *snapshot* of its county's landing folder: every extract and steward file with its
sha256, size and modification time. Each file is copied once into the county's archive under its
hash (``<archive>/<sha[:2]>/<sha><suffix>``), so a month is rebuilt from exactly the bytes it
read (:func:`restore`), whatever the landing folder holds today.

Which month a landing is for comes from the files, never from the wall clock alone
(:func:`landing_month`): the month their names state (``参保名单_202610.csv``,
``台账_2026年10月.xlsx``), else the month their first rows state (a title ``(截至2026年10月)``, a
``统计月份`` cell, a sheet name), else the month the newest file was last modified in.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from pipelines.domain.county import TIMEZONE
from pipelines.exchange.months import MONTH_LABELS, month_in_file_name, month_in_text
from pipelines.landing import STEWARD_FILES, Landing

SNAPSHOT_SCHEMA = pl.Schema({
    "file_name": pl.String, "kind": pl.String, "sha256": pl.String, "size": pl.Int64,
    "modified_at": pl.Datetime("us"), "named_month": pl.String,
})
HEAD_ROWS = 10  # rows of a file looked at for its month
HEAD_BYTES = 64 * 1024
_CHUNK = 1 << 20


class ArchiveMissing(FileNotFoundError):
    """A file of a month's snapshot is not in the archive: the month cannot be rebuilt."""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in chunks (extracts may be GBs)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def archive_path(archive: Path, sha: str, name: str) -> Path:
    """Where the file with hash ``sha`` (originally called ``name``) lives in the archive."""
    return archive / sha[:2] / f"{sha}{Path(name).suffix.lower()}"


def _copy_hashed(source: Path, target: Path) -> str:
    """Copy ``source`` to ``target`` atomically; return the sha256 of the bytes copied."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    digest = hashlib.sha256()
    try:
        with source.open("rb") as src, partial.open("wb") as dst:
            while block := src.read(_CHUNK):
                digest.update(block)
                dst.write(block)
        os.replace(partial, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return digest.hexdigest()


def archive_file(path: Path, archive: Path, sha: str) -> bool:
    """Copy a landing file into the archive under its hash, unless it is there already.

    Args:
        path: the landing file.
        archive: the county's archive folder.
        sha: the file's sha256 (as hashed a moment ago).

    Returns:
        True when the file was copied, False when the archive held it.

    Raises:
        ValueError: when the file changed between hashing and copying (still being written).
    """
    target = archive_path(archive, sha, path.name)
    if target.exists():
        return False
    copied = _copy_hashed(path, target)
    if copied != sha:
        target.unlink(missing_ok=True)
        msg = f"{path.name} changed while it was archived (still being written?)"
        raise ValueError(msg)
    return True


def take_snapshot(landing: Landing, archive: Path, named: dict[str, str | None] | None = None,
                  ) -> tuple[pl.DataFrame, int]:
    """Hash every watched file of a landing and archive the ones the archive lacks.

    Args:
        landing: the listed landing folder.
        archive: the county's archive folder.
        named: file name -> the month it names, when already known (else read here).

    Returns:
        The snapshot (``SNAPSHOT_SCHEMA``, one row per file, by name) and how many files
        were newly archived.
    """
    named = named or {}
    rows, copied = [], 0
    for path in landing.watched:
        stat = path.stat()
        sha = sha256_file(path)
        copied += archive_file(path, archive, sha)
        kind = "steward" if path.name in STEWARD_FILES else "data"
        month = named[path.name] if path.name in named else (
            named_month(path) if kind == "data" else None)
        rows.append((path.name, kind, sha, stat.st_size,
                     datetime.fromtimestamp(stat.st_mtime, ZoneInfo(TIMEZONE)).replace(
                         tzinfo=None), month))
    frame = pl.DataFrame(rows, schema=SNAPSHOT_SCHEMA, orient="row")
    return frame.sort("file_name"), copied


def restore(snapshot: pl.DataFrame, archive: Path, dest: Path) -> Path:
    """Lay a snapshot's files out in ``dest`` under their original names, from the archive.

    Files are hard-linked from the archive when it is on the same file system, else copied.

    Args:
        snapshot: a frame from :func:`take_snapshot`.
        archive: the county's archive folder.
        dest: an empty or missing folder.

    Returns:
        ``dest``, a landing folder holding exactly the snapshot's files.

    Raises:
        ArchiveMissing: naming the file (and its short hash) missing from the archive.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for name, sha in snapshot.select("file_name", "sha256").iter_rows():
        source = archive_path(archive, sha, name)
        if not source.is_file():
            msg = (f"{name} (sha256 {sha[:12]}…) is not in the archive {archive}: "
                   "the month cannot be rebuilt from its own inputs")
            raise ArchiveMissing(msg)
        try:
            os.link(source, dest / name)
        except OSError:
            shutil.copy2(source, dest / name)
    return dest


def _text_head(path: Path) -> list[list[str]]:
    """The first rows of a CSV as cells (UTF-8 or GB18030), without reading the whole file."""
    with path.open("rb") as handle:
        raw = handle.read(HEAD_BYTES)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError as exc:  # a multi-byte character cut at the end
            if exc.start > len(raw) - 4:
                text = raw[:exc.start].decode(encoding, errors="ignore")
                break
    else:
        return []
    return [line.split(",") for line in text.splitlines()[:HEAD_ROWS]]


def _sheet_heads(path: Path) -> tuple[list[str], list[list[str]]]:
    """A workbook's sheet names and the first rows of each sheet as text cells."""
    import fastexcel

    try:
        book = fastexcel.read_excel(str(path))
        rows: list[list[str]] = []
        for name in book.sheet_names:
            sheet = book.load_sheet_by_name(name, header_row=None, n_rows=HEAD_ROWS)
            frame = sheet.to_polars()
            rows += [["" if v is None else str(v) for v in row] for row in frame.iter_rows()]
        return list(book.sheet_names), rows
    except Exception:  # an unreadable workbook names no month (ingest says why it is unread)
        return [], []


def month_in_rows(rows: list[list[str]]) -> str | None:
    """A month stated by a title row (one filled cell) or a label cell (统计月份) beside it.

    Data rows are not looked at: a death date in a row says nothing about the file's month.
    """
    for row in rows:
        cells = [c.strip() for c in row]
        filled = [c for c in cells if c]
        if len(filled) == 1 and (found := month_in_text(filled[0])):
            return found
        for i, cell in enumerate(cells):
            label = next((lb for lb in MONTH_LABELS if cell.startswith(lb)), None)
            if label is not None:
                beside = [cell[len(label):], *cells[i + 1:i + 3]]
                if found := next((m for m in map(month_in_text, beside) if m), None):
                    return found
    return None


def named_month(path: Path) -> str | None:
    """The ``YYYY-MM`` a landing file names: in its file name, else in its first rows.

    Args:
        path: an extract (``.csv`` or ``.xlsx``).

    Returns:
        The month, or None when neither its name nor its head names one.
    """
    found = month_in_file_name(path.name)
    if found:
        return found
    if path.suffix.lower() == ".xlsx":
        sheets, rows = _sheet_heads(path)
        return month_in_rows(rows) or next((m for m in map(month_in_text, sheets) if m), None)
    return month_in_rows(_text_head(path))


def landing_month(named: dict[str, str | None], modified: dict[str, float]) -> tuple[str, str]:
    """The month a landing is for, and how it was told (``named`` or ``modified``).

    Args:
        named: data file name -> the month the file names (None when it names none).
        modified: data file name -> modification time (seconds since the epoch).

    Returns:
        The latest month the files name; when none names one, the month (county time) in
        which the newest file was last modified.

    Raises:
        ValueError: when there are no data files.
    """
    months = sorted({m for m in named.values() if m})
    if months:
        return months[-1], "named"
    if not modified:
        msg = "no data files: the landing names no month"
        raise ValueError(msg)
    newest = datetime.fromtimestamp(max(modified.values()), ZoneInfo(TIMEZONE))
    return f"{newest:%Y-%m}", "modified"
