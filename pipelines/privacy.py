"""Privacy scan: find identity numbers that were left unmasked in text a person can read.

Published tables may hold full identity numbers; nothing else may: not a log line, an error
message, a quarantine or field-issue cell, Dagster metadata or the Dagster event log. This
module is the test of that promise. It finds:

- 18-character numbers: 17 digits and a digit or ``X`` (the resident identity number, valid
  check character or not), also written 6-8-4 with spaces or hyphens;
- 15-digit numbers shaped as the old identity number (region, YYMMDD, sequence).

Full-width digits count (the text is NFKC-normalised first). A run that is part of a longer
digit run is not an ID (a 20-digit number is not reported), nor the digits after a decimal
point (a float's fraction), nor a digit run inside
a hexadecimal token of 32 or more characters (content hashes, run ids). A masked number
(``410103********123X``) is never reported. Findings are reported masked, so a failing test's
message does not leak what it found.

Examples:
    >>> find_ids("row 3: 张三 110105194912310021, 4.11421E+17, 110105********0021")
    ['110105********0021']
    >>> find_ids("sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    []
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

import polars as pl

from pipelines.domain.identity import mask_id

_SEP = r"[ \t\u3000-]"
# Not after a decimal point: the digits of a float's fraction (a timestamp) are no ID.
_ID18 = re.compile(rf"(?<![0-9.])(?:[0-9]{{17}}[0-9Xx]|[0-9]{{6}}{_SEP}[0-9]{{8}}{_SEP}[0-9]{{3}}"
                   rf"[0-9Xx])(?![0-9])")
# The old number: a region (not starting with 0), a YYMMDD birth date and a 3-digit sequence.
_ID15 = re.compile(r"(?<![0-9.])[1-9][0-9]{5}[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
                   r"[0-9]{3}(?![0-9Xx])")
_HEX_TOKEN = re.compile(r"[0-9a-fA-F]{32,}")
_TOKEN = re.compile(r"[0-9A-Za-z]+")
TEXT_SUFFIXES = (".txt", ".log", ".csv", ".tsv", ".json", ".yaml", ".yml", ".md", ".html",
                 ".xml", ".err", ".out")


def _hex_spans(text: str) -> list[tuple[int, int]]:
    """Spans of alphanumeric tokens that are long hexadecimal strings (hashes, uuids)."""
    return [m.span() for m in _TOKEN.finditer(text) if _HEX_TOKEN.fullmatch(m.group(0))
            and not m.group(0).isdigit()]


def find_ids(text: str | None) -> list[str]:
    """Every unmasked identity number in a text, each masked (``410103********123X``).

    Args:
        text: any text (a message, a log, a file's content, a repr).

    Returns:
        The numbers found, masked, in order of appearance (empty when the text is clean).
    """
    if not text:
        return []
    text = unicodedata.normalize("NFKC", str(text))
    hexes = _hex_spans(text) if _HEX_TOKEN.search(text) else []
    found = []
    for pattern in (_ID18, _ID15):
        for m in pattern.finditer(text):
            if any(a <= m.start() and m.end() <= b for a, b in hexes):
                continue
            found.append((m.start(), str(mask_id(re.sub(_SEP, "", m.group(0))))))
    return [masked for _, masked in sorted(found)]


def frame_ids(frame: pl.DataFrame, skip: Iterable[str] = ()) -> list[str]:
    """Unmasked identity numbers in any cell of a frame (and its column names).

    Args:
        frame: any frame; every column is read as text.
        skip: columns not to scan (e.g. a published ``id_number`` column).

    Returns:
        ``column: masked number`` per finding.
    """
    out = [f"(header): {i}" for c in frame.columns for i in find_ids(c)]
    for name in frame.columns:
        if name in skip:
            continue
        values = frame[name].cast(pl.String, strict=False).drop_nulls()
        hits = values.filter(values.str.count_matches(r"[0-9\uff10-\uff19]") >= 15).unique()
        out += [f"{name}: {i}" for v in hits for i in find_ids(v)]
    return out


def object_ids(objects: Iterable[object]) -> list[str]:
    """Unmasked identity numbers in the ``repr`` of objects (records, events, exceptions)."""
    return [i for obj in objects for i in find_ids(repr(obj))]


def path_ids(root: Path, suffixes: tuple[str, ...] | None = None) -> list[str]:
    """Unmasked identity numbers in the files under a folder (or in one file) and their names.

    Bytes are read as UTF-8 (undecodable bytes dropped) and as UTF-16 when they look like it,
    so a SQLite database (Dagster's run and event log storage), a log or a JSON file is
    scanned as it lies on disk.

    Args:
        root: a folder (searched recursively, links not followed) or a file.
        suffixes: only files with these suffixes (None: every file).

    Returns:
        ``relative path: masked number`` per finding.
    """
    root = Path(root)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file()
                                                 and not p.is_symlink())
    out = []
    for path in files:
        rel = path.name if path == root else str(path.relative_to(root))
        out += [f"(name) {i}" for i in find_ids(rel)]
        if suffixes is not None and path.suffix.lower() not in suffixes:
            continue
        out += [f"{rel}: {i}" for i in find_ids(_bytes_text(path.read_bytes()))]
    return out


def _bytes_text(data: bytes) -> str:
    """Bytes as text for scanning: UTF-8 (lossy), plus UTF-16 when NUL bytes abound."""
    text = data.decode("utf-8", "ignore")
    if data.count(0) > len(data) // 8:
        text += "\n" + data.decode("utf-16-le", "ignore") + "\n" + data[1:].decode(
            "utf-16-le", "ignore")
    return text


def event_log_texts(instance: object) -> Iterator[str]:
    """The ``repr`` of every event of every run in a Dagster instance (duck-typed).

    Works on any event log storage (SQLite, PostgreSQL): it reads through the instance
    (``get_runs`` and ``all_logs``), so this module needs no Dagster import.

    Args:
        instance: a ``dagster.DagsterInstance``.

    Yields:
        One text per event (message, metadata, error and its cause, step and run ids).
    """
    for run in instance.get_runs():  # type: ignore[attr-defined]
        yield repr(run.tags) + repr(run.run_config)
        for entry in instance.all_logs(run.run_id):  # type: ignore[attr-defined]
            yield repr(entry)


def event_log_ids(instance: object) -> list[str]:
    """Unmasked identity numbers anywhere in a Dagster instance's event log."""
    return [i for text in event_log_texts(instance) for i in find_ids(text)]
