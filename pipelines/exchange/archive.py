"""Returned files kept for good: ``<root>/<kind>/<YYYY-MM>/<received>_<sha16>_<name>``.

A township's filled work list (kind ``worklist``) or the illness office's case list (kind
``office``) is copied into the archive as soon as it arrives, named by when it was received and
the first 16 hex characters of its SHA-256, so nothing downstream depends on the inbox or a
temporary folder: a month's ``exchange_diff`` or its verifications can be rebuilt on any later
run from the archived bytes. Archiving the same bytes again for the same month is a no-op; the
folder itself is the index (no catalogue file to get out of step). Writes are atomic (a hidden
temporary file renamed into place).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from pipelines.domain.county import TIMEZONE
from pipelines.domain.months import Month
from schemas.cases import RETURN_KINDS, ArchivedReturn
from schemas.contract import polars_schema

_STAMP = "%Y%m%dT%H%M%S"
_NAME = re.compile(r"^(\d{8}T\d{6})_([0-9a-f]{16})_(.+)$")


@dataclass(frozen=True)
class Archived:
    """One archived return.

    Attributes:
        kind: ``worklist`` or ``office``.
        month: the month the return is for.
        sha256: hex digest of its bytes.
        received_at: when it was archived (ISO 8601, county time).
        original_name: its name when it arrived.
        path: the archived copy.
    """

    kind: str
    month: str
    sha256: str
    received_at: str
    original_name: str
    path: Path


def _check(kind: str, month: str | Month) -> str:
    if kind not in RETURN_KINDS:
        msg = f"archive kind must be one of {', '.join(RETURN_KINDS)}, not {kind!r}"
        raise ValueError(msg)
    return str(Month.parse(month))


def _describe(path: Path, kind: str, month: str) -> Archived:
    found = _NAME.match(path.name)
    stamp = datetime.strptime(found[1], _STAMP).replace(tzinfo=ZoneInfo(TIMEZONE))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return Archived(kind, month, sha, stamp.isoformat(timespec="seconds"), found[3], path)


def archive_return(path: Path, root: Path, kind: str, month: str | Month,
                   received_at: datetime | None = None) -> Archived:
    """Keep a returned file in the archive (once per content and month).

    Args:
        path: the file as it arrived (inbox).
        root: the archive folder.
        kind: ``worklist`` or ``office``.
        month: the month the return is for.
        received_at: when it arrived (default now; county time).

    Returns:
        The archived copy (the existing one when these bytes were archived for the month).

    Raises:
        ValueError: for an unknown kind or month.
    """
    month = _check(kind, month)
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    folder = root / kind / month
    for existing in sorted(folder.glob(f"*_{sha[:16]}_*")) if folder.is_dir() else []:
        if hashlib.sha256(existing.read_bytes()).hexdigest() == sha:
            return _describe(existing, kind, month)
    when = (received_at or datetime.now(ZoneInfo(TIMEZONE))).astimezone(ZoneInfo(TIMEZONE))
    safe = re.sub(r'[\\/:*?"<>|]+', "_", path.name)
    target = folder / f"{when.strftime(_STAMP)}_{sha[:16]}_{safe}"
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{target.name}.part"
    temporary.write_bytes(data)
    os.replace(temporary, target)
    return _describe(target, kind, month)


def archived_returns(root: Path, kind: str | None = None,
                     month: str | Month | None = None) -> list[Archived]:
    """The archived returns (of a kind, of a month), oldest first.

    Args:
        root: the archive folder.
        kind: only this kind (default every kind).
        month: only this month (default every month).

    Returns:
        The archived returns in order of receipt.
    """
    kinds = [kind] if kind else list(RETURN_KINDS)
    found = []
    for k in kinds:
        months = [_check(k, month)] if month else sorted(
            p.name for p in (root / k).glob("*") if p.is_dir())
        for m in months:
            folder = root / k / m
            found += [_describe(p, k, m) for p in sorted(folder.glob("*"))
                      if folder.is_dir() and p.is_file() and _NAME.match(p.name)]
    return sorted(found, key=lambda a: (a.received_at, a.path.name))


def latest_return(root: Path, kind: str, month: str | Month) -> Archived | None:
    """The most recently received return of a kind for a month, or None."""
    found = archived_returns(root, kind, month)
    return found[-1] if found else None


def archive_index(archived: list[Archived]) -> pl.DataFrame:
    """The archived returns as a table (``schemas.cases.ArchivedReturn``), e.g. for the UI."""
    return pl.DataFrame([{"kind": a.kind, "month": a.month, "sha256": a.sha256,
                          "received_at": a.received_at, "original_name": a.original_name,
                          "path": str(a.path)} for a in archived],
                        schema=polars_schema(ArchivedReturn))
