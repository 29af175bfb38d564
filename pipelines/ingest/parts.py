"""What ingest collects while it goes through a night's grids, each part with its place.

A part is placed by ``(phase, file, sheet)`` (:data:`Pos`), so the night's frames come out in
the order reading the grids one after the other gives, whatever order they were made in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from pipelines.domain.extracts import EXTRACTS
from pipelines.extracts import Recognised
from pipelines.ingest.cache import CachedFile, CachedGrid, IngestCache
from pipelines.ingest.duplicates import SeenRows
from pipelines.ingest.grids import files_row
from pipelines.ingest.rejected import UNRECOGNISED_EXTRACT, rejected_grid
from pipelines.ingest.rows import grid_accounting, quarantine_rows
from pipelines.read import Grid

SET_ASIDE, REGION_PHASE, CLINIC_PHASE, EXTRACT_PHASE, UNREADABLE_PHASE = range(5)
Pos = tuple[int, int, int]  # (phase, file, sheet)


@dataclass
class Slot:
    """One grid of the night: read tonight (``grid``, ``rec``) or from the cache (``cached``)."""

    file: int
    sheet: int
    grid: Grid | None = None
    rec: Recognised | None = None
    cached: CachedGrid | None = None
    owner: CachedFile | None = None


@dataclass
class Parts:
    """What ingest collects while it goes through the grids, each part with its place."""

    tables: dict[str, list] = field(default_factory=lambda: {e: [] for e in EXTRACTS})
    regions: list[pl.DataFrame] = field(default_factory=list)
    clinics: list[pl.DataFrame] = field(default_factory=list)
    quarantine: list = field(default_factory=list)
    issues: list = field(default_factory=list)
    accounting: list = field(default_factory=list)
    recognition: list = field(default_factory=list)
    files: list = field(default_factory=list)
    unrecognised: list = field(default_factory=list)
    seen: SeenRows = field(default_factory=SeenRows)
    keep: dict[int, list] = field(default_factory=dict)  # file -> its grids' cache entries
    # extract -> (place, file, cache entry it was taken from or None: read tonight, the
    # grid's CachedGrid: taken, or to keep; None when its file is not kept)
    origins: dict[str, list] = field(default_factory=lambda: {e: [] for e in EXTRACTS})
    cache: IngestCache | None = None  # where a grid's entry is written ahead (kept)

    def done(self, at: Pos, grid: Grid, extract: str, q: pl.DataFrame,
             acc: pl.DataFrame) -> dict:
        """Place a grid's quarantine, accounting and files rows; its files row."""
        self.quarantine.append((at, q))
        self.accounting.append((at, acc))
        row = files_row(grid, extract, acc["rows_read"].item())
        self.files.append((at, row))
        return row

    def reject(self, at: Pos, grid: Grid, check: str, exc: Exception) -> CachedGrid:
        """Set a grid aside whole (``check``, the reason from ``exc``); what it gave."""
        row, rows = rejected_grid(grid, check, exc)
        self.unrecognised.append((at, row))
        n = grid.frame.height
        q = quarantine_rows(rows, grid)
        acc = grid_accounting(grid, UNRECOGNISED_EXTRACT, n, 0, n)
        files = self.done(at, grid, UNRECOGNISED_EXTRACT, q, acc)
        return CachedGrid(grid.sheet, None, {"quarantine": q, "accounting": acc}, files, row)

    def reuse(self, at: Pos, cached: CachedGrid, entry: str | None = None) -> None:
        """Place a cached grid's parts (its fingerprints are remembered by the caller);
        ``entry``: the cache entry it came from."""
        f = cached.frames
        self.quarantine.append((at, f["quarantine"]))
        self.accounting.append((at, f["accounting"]))
        self.files.append((at, cached.files_row))
        if cached.extract is None:
            self.unrecognised.append((at, cached.unrecognised_row))
            return
        self.tables[cached.extract].append((at, f["table"]))
        self.origins[cached.extract].append((at, at[1], entry, cached))
        self.issues.append((at, f["issues"]))
        self.recognition.append(((SET_ASIDE, at[1], at[2]), f["recognition"]))

    def kept(self, slot: Slot, entry: CachedGrid | None) -> None:
        """Note what a grid read tonight would keep in the cache (None: the file is not kept),
        and start writing it there."""
        entries = self.keep.setdefault(slot.file, [])
        if entry is not None and self.cache is not None and slot.grid is not None:
            self.cache.write_ahead(slot.grid.source_file, slot.grid.sha256, len(entries), entry)
        entries.append(entry)


def placed(parts: list) -> list:
    """The parts in their places, without the places."""
    return [p for _, p in sorted(parts, key=lambda item: item[0])]
