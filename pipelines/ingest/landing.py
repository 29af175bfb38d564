"""A landing folder read grid by grid, in a fixed order, with or without the ingest cache.

The order is the one the night has always used: the sheets set aside by their headers, then
the region grids, the clinic lists and the extract grids, each in file and sheet order. Every
grid's part of a table is placed by ``(phase, file, sheet)``, so a grid taken from the cache
(:mod:`pipelines.ingest.cache`) lands where reading it would have put it.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
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
from pipelines.ingest.lanes import in_lanes
from pipelines.ingest.parts import (
    CLINIC_PHASE,
    EXTRACT_PHASE,
    REGION_PHASE,
    SET_ASIDE,
    UNREADABLE_PHASE,
    Parts,
    Slot,
    placed,
)
from pipelines.ingest.rejected import (
    SET_ASIDE_EXTRACT,
    UNREADABLE_EXTRACT,
    unreadable_row,
    unrecognised_frame,
)
from pipelines.ingest.rows import (
    ACCOUNTING_SCHEMA,
    QUARANTINE_SCHEMA,
    concat_or_empty,
    grid_accounting,
)
from pipelines.landing import MAPPING_FILE
from pipelines.read import Grid, file_grids, read_landing


def _where(grid: Grid) -> str:
    return f"file {grid.source_file!r}" + (f", sheet {grid.sheet!r}" if grid.sheet else "")


def _slots(items: list) -> list[Slot]:
    """The night's grids in file and sheet order; a cached file stands for all its grids."""
    slots: list[Slot] = []
    file, last = -1, None
    for item in items:
        if isinstance(item, CachedFile):
            file += 1
            slots.extend(Slot(file, k, cached=g, owner=item) for k, g in enumerate(item.grids))
            last = None
            continue
        if item.source_file != last:
            file, last, sheet = file + 1, item.source_file, 0
        slots.append(Slot(file, sheet, grid=item))
        sheet += 1
    return slots


def _recognise(slot: Slot, mapping: HeaderMapping | None, parts: Parts) -> None:
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


def _regions(slots: list[Slot], parts: Parts) -> pl.DataFrame:
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


class _Rereads:
    """Cached files read again tonight, each once (lanes may ask for one file at once)."""

    def __init__(self) -> None:
        self._grids: dict[str, list[Grid]] = {}
        self._lock = threading.Lock()

    def grids(self, owner: CachedFile) -> list[Grid]:
        with self._lock:
            if owner.key not in self._grids:
                self._grids[owner.key] = _read_again(owner)
            return self._grids[owner.key]


@dataclass
class _Done:
    """What one extract grid gave on its lane (:mod:`pipelines.ingest.lanes`), to be placed
    in the night's parts in its turn: taken from the cache (``reused``), or read, recognised
    again when its cached entry could not be taken (``recognised``), and its frames
    (``ingest_extract``'s), or the error setting it aside, and its rows' fingerprints when
    it repeats no earlier grid's row (``first``)."""

    slot: Slot
    reused: bool = False
    recognised: bool = False
    frames: tuple[pl.DataFrame, ...] = ()
    error: ValueError | None = None
    first: pl.DataFrame | None = None


def _work(slot: Slot, regions: pl.DataFrame, as_of: date | None, seen: SeenRows,
          rereads: _Rereads, mapping: HeaderMapping | None) -> _Done:
    """Ingest one extract grid, from the cache when its rows repeat no earlier file's row
    (on a lane: nothing is placed here, only ``seen`` learns the grid's rows)."""
    recognised = False
    if slot.cached is not None:
        assert slot.owner is not None
        cached = slot.cached
        where = label(Grid(slot.owner.name, cached.sheet, "", "", pl.DataFrame()))
        if seen.reuse(cached.extract, cached.frames["first"], where):
            return _Done(slot, reused=True)
        slot.rec = recognise(rereads.grids(slot.owner)[slot.sheet], mapping)
        slot.cached = None  # read tonight, but the entry stays: it still fits the file alone
        recognised = True
    rec = slot.rec
    assert rec is not None
    try:
        frames = ingest_extract(rec, regions, as_of, seen)
    except ValueError as exc:
        return _Done(slot, recognised=recognised, error=exc)
    where = label(rec.grid)
    first = seen.first_rows(rec.extract, where) if where not in seen.across else None
    return _Done(slot, recognised=recognised, frames=frames, first=first)


def _place(done: _Done, parts: Parts) -> None:
    """Place what one extract grid gave, in its turn (and start writing its cache entry)."""
    slot = done.slot
    at = (EXTRACT_PHASE, slot.file, slot.sheet)
    if done.reused:
        assert slot.cached is not None and slot.owner is not None
        parts.reuse(at, slot.cached, slot.owner.key)
        return
    rec = slot.rec
    assert rec is not None
    if done.recognised:
        parts.recognition.append(((SET_ASIDE, slot.file, slot.sheet),
                                  recognition_frame([rec])))
    if done.error is not None:
        parts.reject(at, rec.grid, "sheet_invalid", done.error)
        parts.kept(slot, None)
    else:
        _keep(slot, rec, done, parts)
    # nothing reads the grid's cells again: let them go (the other lane may need the memory)
    slot.rec, slot.grid = None, slot.grid and replace(slot.grid, frame=pl.DataFrame(),
                                                      shapes=None)


def _keep(slot: Slot, rec: Recognised, done: _Done, parts: Parts) -> None:
    """Place an extract grid's frames, and start writing its cache entry when it is kept."""
    at = (EXTRACT_PHASE, slot.file, slot.sheet)
    table, q, fi, acc = done.frames
    parts.tables[rec.extract].append((at, table))
    parts.issues.append((at, fi))
    files = parts.done(at, rec.grid, rec.extract, q, acc)
    entry = CachedGrid(rec.grid.sheet, rec.extract, {
        "table": table, "quarantine": q, "issues": fi, "accounting": acc,
        "first": done.first, "recognition": recognition_frame([rec])},
        files) if done.first is not None else None
    parts.origins[rec.extract].append((at, slot.file, None, entry))
    parts.kept(slot, entry)


def _lane(slot: Slot) -> str | None:
    """A grid's extract: its lane."""
    return slot.cached.extract if slot.cached is not None else (
        slot.rec.extract if slot.rec is not None else None)


def _rows(slot: Slot) -> int:
    """A grid's rows (a cached one's as read when it was kept): what its lane weighs."""
    if slot.cached is not None:
        return slot.cached.files_row["rows_read"]
    return slot.rec.grid.frame.height if slot.rec is not None else 0


def _extracts(slots: list[Slot], regions: pl.DataFrame, as_of: date | None, parts: Parts,
              mapping: HeaderMapping | None) -> None:
    """Ingest the extract grids, two extracts at a time (:func:`in_lanes`), each placed in
    its turn."""
    todo = [s for s in slots if (s.cached is not None and s.cached.extract is not None) or (
        s.rec is not None and s.rec.extract in EXTRACTS)]
    work = partial(_work, regions=regions, as_of=as_of, seen=parts.seen, rereads=_Rereads(),
                   mapping=mapping)
    for done in in_lanes(todo, _lane, work, _rows):
        _place(done, parts)


def _expire(slots: list[Slot], rkey: str, mapping: HeaderMapping | None,
            parts: Parts) -> None:
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


def _store(cache: IngestCache, slots: list[Slot], parts: Parts, rkey: str) -> dict[int, str]:
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


def _table_keys(parts: Parts, stored: dict[int, str], rkey: str,
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
    slots, parts = _slots(items), Parts(cache=cache)
    del items  # the slots hold the grids, each let go once placed
    for slot in (s for s in slots if s.grid is not None):
        _recognise(slot, mapping, parts)
    regions = _regions(slots, parts)
    rkey = regions_key(regions)
    _expire(slots, rkey, mapping, parts)
    if cache is not None:
        cache.load_names()
    _extracts(slots, regions, as_of, parts, mapping)
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


def _result(parts: Parts, regions: pl.DataFrame, unreadable: list,
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
    tables = {e: placed(p) for e, p in parts.tables.items()}
    return Ingested(
        tables=Tables({e: _concat(p, lazy=e in stored) if p else empty_table(e)
                       for e, p in tables.items()}),
        regions=regions if clinics is None else with_clinic_counts(regions, clinics),
        quarantine=concat_or_empty(placed(parts.quarantine), QUARANTINE_SCHEMA),
        field_issue=concat_or_empty(placed(parts.issues), ISSUE_SCHEMA),
        accounting=concat_or_empty(placed(parts.accounting), ACCOUNTING_SCHEMA),
        files=pl.DataFrame(placed(parts.files), schema=FILES_SCHEMA),
        unrecognised=unrecognised_frame(placed(parts.unrecognised)),
        recognition=concat_or_empty(placed(parts.recognition), RECOGNITION_SCHEMA),
        clinics=clinics,
    )
