"""The ingest cache: a landing file read on an earlier night is not read again.

A file's grids are read, recognised, normalised and checked on their own, except for two things
that need the other files: the region table (which every extract's villages are checked
against) and the rows already read from earlier files (a copy of one is quarantined as
``duplicate_row``, :mod:`pipelines.ingest.duplicates`). So what a file gives depends only on

* its bytes (sha256) and its name as shown,
* the code and vocabulary that read it (:func:`code_version`: every source and data file of
  ``pipelines/`` and ``schemas/``, and the polars version),
* the steward's mapping and the as-of day (:func:`context_key`),
* the region table (:func:`regions_key`, checked once the night's regions are read),
* and no row of it repeating a row of an earlier file (checked each night from the
  fingerprints kept with it, :meth:`pipelines.ingest.duplicates.SeenRows.reuse`).

An entry is one folder under the cache folder, named by the first three, holding each grid's
table as parquet, its other frames as Arrow IPC, and a manifest; it is written to a temporary
folder and renamed, so a night stopped half-way leaves no half entry; a grid's frames are
written there as soon as the grid is read, on a thread of their own, while the night reads the
next grids (:meth:`IngestCache.write_ahead`). An extract table built
from one grid alone is that grid's file, linked (:meth:`IngestCache.table`), not written
twice. Only files whose every grid was read as an extract, or set aside by its headers alone,
are kept: region and clinic lists are small and always read. Beside the entries, the raw
names worked out so far (``names-<version>.arrow``, :meth:`IngestCache.load_names`): a
changed file's names are mostly known ones. The ingest result with the cache is the result
without it, row for row (tests/pipelines/test_ingest_cache.py).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pipelines", "schemas")
SUFFIXES = {".py", ".yaml", ".yml", ".json", ".csv", ".txt"}
MANIFEST = "manifest.json"
CACHE_DIR = "ingest-cache"  # below the run's storage folder
FRAMES = ("table", "quarantine", "issues", "accounting", "first", "recognition")
TABLES = "tables"  # whole extract tables, named by the entries they were built from
NAMES = "names"  # the raw names worked out on earlier nights (pipelines.normalise.names)


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the code and vocabulary that read a file (``pipelines/``, ``schemas/``)."""
    digest = hashlib.sha256(pl.__version__.encode())
    for top in SOURCES:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix in SUFFIXES and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def context_key(mapping: object, as_of: date | None) -> str:
    """The night's reading context: code version, the steward's mapping, the as-of day (today
    when None, as the normalisers take it)."""
    text = f"{code_version()}\n{mapping!r}\n{as_of or date.today()}"
    return hashlib.sha256(text.encode()).hexdigest()


def regions_key(regions: pl.DataFrame) -> str:
    """A hash of the region table the extracts were checked against."""
    return hashlib.sha256(regions.write_csv().encode()).hexdigest()


@dataclass
class CachedGrid:
    """What one grid gave on the night it was read.

    Attributes:
        sheet: its sheet ("" for a text file).
        extract: the extract it was read as, or None when it was set aside by its headers.
        frames: ``table``, ``issues``, ``first`` (row fingerprints, for copies across files)
            and ``recognition`` (extracts only), ``quarantine`` and ``accounting``.
        files_row: its row of ``Ingested.files``.
        unrecognised_row: its row of ``Ingested.unrecognised`` when set aside.
    """

    sheet: str
    extract: str | None
    frames: dict[str, pl.DataFrame]
    files_row: dict
    unrecognised_row: dict | None = None
    table_file: Path | None = None  # where its table is kept (once stored or loaded)


@dataclass
class CachedFile:
    """A landing file's cache entry (``path``, ``name``, ``digest``: where it is tonight)."""

    key: str
    regions: str
    grids: list[CachedGrid] = field(default_factory=list)
    path: Path | None = None
    name: str = ""
    digest: str = ""


@dataclass
class IngestCache:
    """The cache folder (e.g. ``<storage>/ingest-cache/<county>``) and the night's use of it.

    Attributes:
        folder: where entries are kept.
        cold: find nothing (every file read, a full night), keep what is read.
        context: :func:`context_key` of the night.
        used: the entries the night read or wrote (the others are removed by :meth:`prune`).
        hits: files reused; misses: files read (both by name, for the run's log).
    """

    folder: Path
    cold: bool = False
    context: str = ""
    used: set[str] = field(default_factory=set)
    hits: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    tables_used: set[str] = field(default_factory=set)
    tables_reused: list[str] = field(default_factory=list)
    # extract -> the entry's table file its whole table is (built from that one grid alone)
    sources: dict[str, Path] = field(default_factory=dict)
    names_known: int = 0  # names the night found kept (load_names)
    # entry key -> (its temporary folder, grid index -> the writing of its frames)
    _ahead: dict[str, tuple[Path, dict[int, Future]]] = field(default_factory=dict, repr=False)
    _writer: ThreadPoolExecutor | None = field(default=None, repr=False)

    def key(self, name: str, digest: str) -> str:
        """The entry of a file's name and bytes in the night's context."""
        return hashlib.sha256(f"{self.context}\n{name}\n{digest}".encode()).hexdigest()[:32]

    def load(self, path: Path, name: str, digest: str) -> CachedFile | None:
        """The entry of a landing file, or None when it has none (or an unreadable one)."""
        if self.cold:
            return None
        key = self.key(name, digest)
        entry = self.folder / key
        try:
            manifest = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))
            grids = [CachedGrid(
                sheet=g["sheet"], extract=g["extract"], files_row=g["files_row"],
                unrecognised_row=g["unrecognised_row"],
                frames={f: _read(_frame_file(entry, i, f)) for f in g["frames"]},
                table_file=_frame_file(entry, i, "table") if "table" in g["frames"] else None,
            ) for i, g in enumerate(manifest["grids"])]
        except (OSError, ValueError, KeyError, pl.exceptions.PolarsError):
            return None
        self.used.add(key)
        return CachedFile(key, manifest["regions"], grids, path, name, digest)

    def write_ahead(self, name: str, digest: str, index: int, grid: CachedGrid) -> None:
        """Start writing a grid's frames (its ``index``-th of the file's entry) on the cache's
        writer thread, where :meth:`store` takes them: the night reads on meanwhile (polars
        writes without the GIL). A file never stored has them removed (:meth:`discard`)."""
        key = self.key(name, digest)
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-cache")
        if key not in self._ahead:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".tmp-{key}-{uuid.uuid4().hex[:8]}"
            tmp.mkdir()
            self._ahead[key] = (tmp, {})
        tmp, written = self._ahead[key]
        written[index] = self._writer.submit(_write_frames, tmp, index, grid)

    def store(self, name: str, digest: str, regions: str, grids: list[CachedGrid]) -> str:
        """Keep what a file's grids gave, under its name and bytes (tables as parquet, the
        rest Arrow IPC, lz4); the entry's key. Each grid's ``table_file`` is set. Frames
        written ahead (:meth:`write_ahead`) are waited for, not written again."""
        key = self.key(name, digest)
        self.used.add(key)
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp, written = self._ahead.pop(key, (None, {}))
        if tmp is None:
            tmp = self.folder / f".tmp-{key}-{uuid.uuid4().hex[:8]}"
            tmp.mkdir()
        for i, grid in enumerate(grids):
            if i in written:
                written[i].result()
            else:
                _write_frames(tmp, i, grid)
        manifest = {"regions": regions, "grids": [
            {"sheet": g.sheet, "extract": g.extract, "files_row": g.files_row,
             "unrecognised_row": g.unrecognised_row, "frames": list(g.frames)} for g in grids]}
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
        shutil.rmtree(self.folder / key, ignore_errors=True)
        tmp.rename(self.folder / key)
        for i, grid in enumerate(grids):
            if "table" in grid.frames:
                grid.table_file = _frame_file(self.folder / key, i, "table")
        return key

    def discard(self) -> None:
        """Wait for the writer thread; remove what was written ahead for files not stored."""
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
        for tmp, _ in self._ahead.values():
            shutil.rmtree(tmp, ignore_errors=True)
        self._ahead.clear()

    def names_file(self) -> Path:
        """Where the raw names worked out so far are kept, for this code and the versions of
        what reads names (``pipelines.normalise.names.names_version``)."""
        from pipelines.normalise.names import names_version

        text = f"{code_version()}\n{names_version()}"
        return self.folder / f"{NAMES}-{hashlib.sha256(text.encode()).hexdigest()[:16]}.arrow"

    def load_names(self) -> None:
        """Know the names an earlier night worked out (a cold night knows none)."""
        from pipelines.normalise.names import known_names, learn_names

        if self.cold:
            return
        try:
            learn_names(pl.read_ipc(self.names_file()))
        except (OSError, ValueError, pl.exceptions.PolarsError):
            return
        known = known_names()
        self.names_known = known.height if known is not None else 0

    def keep_names(self) -> None:
        """Keep the names known now when the night worked out new ones (older files go)."""
        from pipelines.normalise.names import known_names

        known = known_names()
        path = self.names_file()
        if known is None or (known.height == self.names_known and path.is_file()):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
        known.write_ipc(partial, compression="lz4")
        partial.replace(path)
        for old in self.folder.glob(f"{NAMES}-*.arrow"):
            if old != path:
                old.unlink(missing_ok=True)

    def stored_table(self, extract: str, key: str) -> Path | None:
        """The file of the extract table built from the cache entries ``key`` names, when an
        earlier night wrote it (None on a cold night: every table is written again)."""
        path = self.folder / TABLES / f"{extract}-{key}.parquet"
        return path if path.is_file() and not self.cold else None

    def table(self, extract: str, key: str, tables: Mapping[str, pl.DataFrame]) -> Path:
        """The extract table built from the cache entries ``key`` names, as a parquet file.

        An earlier night that built the table from the same entries (the same rows: what an
        entry gives never changes) wrote it: that file is the table, and ``tables[extract]``
        is neither read nor written (a quiet night's unchanged extracts). Else (and on a
        cold night) it is made now: a link to the entry's table file when the table is one
        grid's (``sources``: the same rows, the same format), else written. The caller links
        the file where the table goes.
        """
        from pipelines.warehouse.staging import link_or_copy, write_frame

        path = self.folder / TABLES / f"{extract}-{key}.parquet"
        self.tables_used.add(path.name)
        if self.stored_table(extract, key) is not None:
            self.tables_reused.append(extract)
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
        source = self.sources.get(extract)
        if source is not None and source.is_file():
            link_or_copy(source, partial)
        else:
            write_frame(tables[extract], partial)
        partial.replace(path)
        return path

    def prune(self) -> int:
        """Remove the entries and tables the night neither read nor wrote; how many entries
        were removed."""
        if not self.folder.is_dir():
            return 0
        gone = [p for p in self.folder.iterdir()
                if p.is_dir() and p.name not in self.used and p.name != TABLES]
        for path in gone:
            shutil.rmtree(path, ignore_errors=True)
        tables = self.folder / TABLES
        for path in tables.iterdir() if tables.is_dir() else ():
            if path.name not in self.tables_used:
                path.unlink(missing_ok=True)
        return len(gone)


def _frame_file(entry: Path, grid: int, frame: str) -> Path:
    """Where an entry keeps a grid's frame: its table as parquet, the others as Arrow IPC."""
    return entry / (f"{grid}-{frame}.parquet" if frame == "table" else f"{grid}-{frame}.arrow")


def _write_frames(folder: Path, index: int, grid: CachedGrid) -> None:
    """A grid's frames in an entry's folder: its table as a stored extract table is (format
    and compression, :func:`pipelines.warehouse.staging.write_frame`), the rest IPC, lz4."""
    from pipelines.warehouse.staging import write_frame

    for f, frame in grid.frames.items():
        if f == "table":
            write_frame(frame, _frame_file(folder, index, f))
        else:
            frame.write_ipc(_frame_file(folder, index, f), compression="lz4")


def _read(path: Path) -> pl.DataFrame | pl.LazyFrame:
    """An entry's frame; a grid's table (parquet) lazily (read only when its extract's table
    is built, not when the night links the whole table's file)."""
    if path.suffix == ".parquet":
        pl.read_parquet_schema(path)  # a missing or broken file fails here, as a read would
        return pl.scan_parquet(path)
    return pl.read_ipc(path)
