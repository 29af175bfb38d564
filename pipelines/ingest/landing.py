"""A landing folder read grid by grid, in a fixed order, with or without the ingest cache.

The order is the one the night has always used: the sheets set aside by their headers, then
the region grids, the clinic lists and the extract grids, each in file and sheet order. Every
grid's part of a table is placed by ``(phase, file, sheet)``, so a grid taken from the cache
(:mod:`pipelines.ingest.cache`) lands where reading it would have put it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from pipelines.domain.extracts import CLINICS, EXTRACTS
from pipelines.extracts import (
    RECOGNITION_SCHEMA,
    REGIONS,
    HeaderMapping,
    Recognised,
    recognise,
    recognition_frame,
)
from pipelines.ingest.cache import CachedFile, CachedGrid, IngestCache, context_key, regions_key
from pipelines.ingest.clinics import CLINIC_SCHEMA, ingest_clinic_grid, with_clinic_counts
from pipelines.ingest.duplicates import SeenRows, label
from pipelines.ingest.grids import (
    FILES_SCHEMA,
    REGION_SCHEMA,
    Ingested,
    Tables,
    empty_table,
    files_row,
    ingest_extract,
    ingest_region_grid,
)
from pipelines.ingest.issues import ISSUE_SCHEMA
from pipelines.ingest.rejected import (
    SET_ASIDE_EXTRACT,
    UNREADABLE_EXTRACT,
    UNRECOGNISED_EXTRACT,
    rejected_grid,
    unreadable_row,
    unrecognised_frame,
)
from pipelines.ingest.rows import (
    ACCOUNTING_SCHEMA,
    QUARANTINE_SCHEMA,
    concat_or_empty,
    grid_accounting,
    quarantine_rows,
)
from pipelines.landing import MAPPING_FILE
from pipelines.read import Grid, file_grids, read_landing

SET_ASIDE, REGION_PHASE, CLINIC_PHASE, EXTRACT_PHASE, UNREADABLE_PHASE = range(5)
Pos = tuple[int, int, int]  # (phase, file, sheet)


@dataclass
class _Slot:
    """One grid of the night: read tonight (``grid``, ``rec``) or from the cache (``cached``)."""

    file: int
    sheet: int
    grid: Grid | None = None
    rec: Recognised | None = None
    cached: CachedGrid | None = None
    owner: CachedFile | None = None


@dataclass
class _Parts:
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

    def kept(self, slot: _Slot, entry: CachedGrid | None) -> None:
        """Note what a grid read tonight would keep in the cache (None: the file is not kept),
        and start writing it there."""
        entries = self.keep.setdefault(slot.file, [])
        if entry is not None and self.cache is not None and slot.grid is not None:
            self.cache.write_ahead(slot.grid.source_file, slot.grid.sha256, len(entries), entry)
        entries.append(entry)


def _placed(parts: list) -> list:
    """The parts in their places, without the places."""
    return [p for _, p in sorted(parts, key=lambda item: item[0])]


def _where(grid: Grid) -> str:
    return f"file {grid.source_file!r}" + (f", sheet {grid.sheet!r}" if grid.sheet else "")


def _slots(items: list) -> list[_Slot]:
    """The night's grids in file and sheet order; a cached file stands for all its grids."""
    slots: list[_Slot] = []
    file, last = -1, None
    for item in items:
        if isinstance(item, CachedFile):
            file += 1
            slots.extend(_Slot(file, k, cached=g, owner=item) for k, g in enumerate(item.grids))
            last = None
            continue
        if item.source_file != last:
            file, last, sheet = file + 1, item.source_file, 0
        slots.append(_Slot(file, sheet, grid=item))
        sheet += 1
    return slots


def _recognise(slot: _Slot, mapping: HeaderMapping | None, parts: _Parts) -> None:
    """Recognise a grid read tonight; a hidden or unrecognised one is set aside whole."""
    grid, at = slot.grid, (SET_ASIDE, slot.file, slot.sheet)
    assert grid is not None
    if grid.hidden:
        parts.kept(slot, parts.reject(at, grid, "sheet_hidden", ValueError(
            f"{_where(grid)}: hidden sheet, not read (a hidden sheet is usually an old "
            "copy) - unhide it to have it read, or delete it")))
        return
    try:
        slot.rec = recognise(grid, mapping)
    except ValueError as exc:
        parts.kept(slot, parts.reject(at, grid, "sheet_unrecognised", exc))
        return
    parts.recognition.append((at, recognition_frame([slot.rec])))


def _regions(slots: list[_Slot], parts: _Parts) -> pl.DataFrame:
    """The region grids, then the clinic lists; the night's region table."""
    for slot in (s for s in slots if s.rec is not None and s.rec.extract == REGIONS):
        at, rec = (REGION_PHASE, slot.file, slot.sheet), slot.rec
        parts.kept(slot, None)
        try:
            regions, q, acc = ingest_region_grid(rec)
        except ValueError as exc:
            parts.reject(at, rec.grid, "sheet_invalid", exc)
            continue
        parts.regions.append(regions)
        parts.done(at, rec.grid, REGIONS, q, acc)
    regions = (pl.concat(parts.regions).unique("code", keep="first", maintain_order=True)
               if parts.regions else pl.DataFrame(schema=REGION_SCHEMA))
    for slot in (s for s in slots if s.rec is not None and s.rec.extract == CLINICS):
        at, rec = (CLINIC_PHASE, slot.file, slot.sheet), slot.rec
        parts.kept(slot, None)
        try:
            clinics, q, acc = ingest_clinic_grid(rec, regions)
        except ValueError as exc:
            parts.reject(at, rec.grid, "sheet_invalid", exc)
            continue
        parts.clinics.append(clinics)
        parts.done(at, rec.grid, CLINICS, q, acc)
    return regions


def _read_again(owner: CachedFile) -> list[Grid]:
    """A cached file's grids, read from its bytes (its entry does not fit tonight)."""
    assert owner.path is not None
    return file_grids(owner.name, owner.path.read_bytes(), owner.path.suffix.lower(),
                      owner.digest)


def _extract(slot: _Slot, regions: pl.DataFrame, as_of: date | None, parts: _Parts,
             reread: dict[str, list[Grid]], mapping: HeaderMapping | None) -> None:
    """Ingest one extract grid, from the cache when its rows repeat no earlier file's row."""
    at = (EXTRACT_PHASE, slot.file, slot.sheet)
    if slot.cached is not None:
        assert slot.owner is not None
        cached = slot.cached
        where = label(Grid(slot.owner.name, cached.sheet, "", "", pl.DataFrame()))
        if parts.seen.reuse(cached.extract, cached.frames["first"], where):
            parts.reuse(at, cached, slot.owner.key)
            return
        if slot.owner.key not in reread:
            reread[slot.owner.key] = _read_again(slot.owner)
        slot.rec = recognise(reread[slot.owner.key][slot.sheet], mapping)
        slot.cached = None  # read tonight, but the entry stays: it still fits the file alone
        parts.recognition.append(((SET_ASIDE, slot.file, slot.sheet),
                                  recognition_frame([slot.rec])))
    rec = slot.rec
    assert rec is not None
    try:
        table, q, fi, acc = ingest_extract(rec, regions, as_of, parts.seen)
    except ValueError as exc:
        parts.reject(at, rec.grid, "sheet_invalid", exc)
        parts.kept(slot, None)
        return
    parts.tables[rec.extract].append((at, table))
    parts.issues.append((at, fi))
    files = parts.done(at, rec.grid, rec.extract, q, acc)
    alone = label(rec.grid) not in parts.seen.across
    entry = CachedGrid(rec.grid.sheet, rec.extract, {
        "table": table, "quarantine": q, "issues": fi, "accounting": acc,
        "first": parts.seen.first_rows(rec.extract),
        "recognition": recognition_frame([rec])}, files) if alone else None
    parts.origins[rec.extract].append((at, slot.file, None, entry))
    parts.kept(slot, entry)


def _expire(slots: list[_Slot], rkey: str, mapping: HeaderMapping | None,
            parts: _Parts) -> None:
    """Read again the cached files checked against another region table; place the rest's
    set-aside sheets."""
    stale: dict[str, list[Grid]] = {}
    for slot in (s for s in slots if s.cached is not None):
        assert slot.owner is not None
        if slot.owner.regions != rkey:
            if slot.owner.key not in stale:
                stale[slot.owner.key] = _read_again(slot.owner)
            grids = stale[slot.owner.key]
            slot.grid, slot.cached, slot.owner = grids[slot.sheet], None, None
            _recognise(slot, mapping, parts)
        elif slot.cached.extract is None:
            parts.reuse((SET_ASIDE, slot.file, slot.sheet), slot.cached)


def _store(cache: IngestCache, slots: list[_Slot], parts: _Parts, rkey: str) -> dict[int, str]:
    """Keep each file read tonight whose every grid can be kept; file -> its entry."""
    stored = {}
    for file, entries in parts.keep.items():
        grids = [s.grid for s in slots if s.file == file and s.grid is not None]
        if not grids or None in entries or len(entries) != len(grids):
            continue
        stored[file] = cache.store(grids[0].source_file, grids[0].sha256, rkey, entries)
        cache.misses.append(grids[0].source_file)
    cache.discard()
    return stored


def _table_keys(parts: _Parts, stored: dict[int, str], rkey: str,
                cache: IngestCache) -> dict[str, str]:
    """Per extract whose every part is a cache entry's (taken tonight or kept tonight): a key
    of those entries in order. The same key names the same table (``IngestCache.table``).
    An extract made of one grid alone has its entry's table file as its source."""
    keys = {}
    for extract, origins in parts.origins.items():
        placed = sorted(origins, key=lambda origin: origin[0])
        tokens = [(entry or stored.get(file), at[2]) for at, file, entry, _ in placed]
        if tokens and all(entry for entry, _ in tokens):
            text = "\n".join([extract, rkey, *(f"{e}#{sheet}" for e, sheet in tokens)])
            keys[extract] = hashlib.sha256(text.encode()).hexdigest()[:32]
            grid = placed[0][3]
            if len(placed) == 1 and grid is not None and grid.table_file is not None:
                cache.sources[extract] = grid.table_file
    return keys


def ingest_landing(landing: Path, mapping: HeaderMapping | None = None,
                   as_of: date | None = None, cache: IngestCache | None = None) -> Ingested:
    """Read, recognise, normalise and validate every file of a landing folder.

    A file that cannot be read, or a sheet no extract is recognised in (or whose rows do not
    fit it), is set aside whole (``Ingested.unrecognised``, its rows in ``quarantine``) and
    the other files go on.

    Args:
        landing: the landing folder.
        mapping: steward header mapping; when None, ``landing/sanji_mapping.yaml`` is used if
            present.
        as_of: the day the landing is read as of, e.g. the reporting month's last day: births
            after it, and events more than a year after it, are implausible (default: today).
        cache: the ingest cache (:mod:`pipelines.ingest.cache`): a file read on an earlier
            night in the same context is taken from it; None reads every file.

    Returns:
        The ingested tables (docs/design.md §2), the same with the cache as without.

    Raises:
        ValueError: when the steward's mapping file itself is wrong.
    """
    landing = Path(landing)
    if mapping is None and (landing / MAPPING_FILE).exists():
        mapping = HeaderMapping.from_yaml(landing / MAPPING_FILE)
    if cache is not None:
        cache.context = context_key(mapping, as_of)
    items, unreadable = read_landing(landing, cache.load if cache is not None else None)
    slots, parts = _slots(items), _Parts(cache=cache)
    for slot in (s for s in slots if s.grid is not None):
        _recognise(slot, mapping, parts)
    regions = _regions(slots, parts)
    rkey = regions_key(regions)
    _expire(slots, rkey, mapping, parts)
    reread: dict[str, list[Grid]] = {}
    if cache is not None:
        cache.load_names()
    for slot in slots:
        if (slot.cached is not None and slot.cached.extract is not None) or (
                slot.rec is not None and slot.rec.extract in EXTRACTS):
            _extract(slot, regions, as_of, parts, reread, mapping)
    keys: dict[str, str] = {}
    if cache is not None:
        cache.keep_names()
        cache.hits.extend(sorted({s.owner.name for s in slots if s.cached and s.owner}))
        keys = _table_keys(parts, _store(cache, slots, parts, rkey), rkey, cache)
    stored = {e for e, k in keys.items() if cache and cache.stored_table(e, k)}
    result = _result(parts, regions.select(list(REGION_SCHEMA)), unreadable, stored)
    result.table_keys = keys
    return result


def _concat(parts: list, lazy: bool) -> pl.DataFrame | pl.LazyFrame:
    """A table's parts (frames, and cached grids' lazy tables) as one frame."""
    if not lazy and all(isinstance(p, pl.DataFrame) for p in parts):
        return pl.concat(parts)
    whole = pl.concat([p.lazy() for p in parts])
    return whole if lazy else whole.collect()


def _result(parts: _Parts, regions: pl.DataFrame, unreadable: list,
            stored: set[str]) -> Ingested:
    """The night's tables from the parts, in their places; a ``stored`` extract's table
    (the ingest cache holds it as a file) is read only when asked for."""
    for i, item in enumerate(unreadable):
        at = (UNREADABLE_PHASE, i, 0)
        parts.unrecognised.append((at, unreadable_row(item)))
        grid = Grid(item.source_file, "", "", item.sha256, pl.DataFrame())
        extract = SET_ASIDE_EXTRACT.get(item.check, UNREADABLE_EXTRACT)
        parts.accounting.append((at, grid_accounting(grid, extract, 0, 0, 0)))
        parts.files.append((at, files_row(grid, extract, 0)))
    clinics = concat_or_empty(parts.clinics, CLINIC_SCHEMA) if parts.clinics else None
    tables = {e: _placed(p) for e, p in parts.tables.items()}
    return Ingested(
        tables=Tables({e: _concat(p, lazy=e in stored) if p else empty_table(e)
                       for e, p in tables.items()}),
        regions=regions if clinics is None else with_clinic_counts(regions, clinics),
        quarantine=concat_or_empty(_placed(parts.quarantine), QUARANTINE_SCHEMA),
        field_issue=concat_or_empty(_placed(parts.issues), ISSUE_SCHEMA),
        accounting=concat_or_empty(_placed(parts.accounting), ACCOUNTING_SCHEMA),
        files=pl.DataFrame(_placed(parts.files), schema=FILES_SCHEMA),
        unrecognised=unrecognised_frame(_placed(parts.unrecognised)),
        recognition=concat_or_empty(_placed(parts.recognition), RECOGNITION_SCHEMA),
        clinics=clinics,
    )
