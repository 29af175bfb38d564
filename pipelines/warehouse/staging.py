"""A run's tables, staged until the run publishes them together (``pipelines.night``).

A run's steps do not publish their tables one by one: each stages its frame here, the next
steps read the run's own frames back from here (never a table another run may be writing),
and the run's last step publishes every staged table in one transaction. The stage is a folder
of parquet files beside the run's intermediate storage (shared by the machines a run's steps
execute on): ``<root>/<run_id>/<county>/<month>/<table>.parquet``. A run that fails or is killed
leaves its stage behind, published nowhere; a publication removes its own, and the county's next
run removes those of runs no longer running (:func:`sweep_stages`, told which runs are live).

Examples:
    >>> import tempfile
    >>> stage = RunStage(Path(tempfile.mkdtemp()), "r1", "411421", "2026-10")
    >>> stage.put("person", pl.DataFrame({"person_id": ["P1"]}))
    1
    >>> sorted(stage.tables()), stage.get("person")["person_id"].to_list(), stage.get("mismatch")
    (['person'], ['P1'], None)
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.warehouse.behind import WRITES, partial_of
from pipelines.warehouse.handoff import HANDOFF

_NAME = re.compile(r"^[A-Za-z0-9_.|-]{1,120}$")
# Frames between a run's steps are written once and read a few times within the night:
# snappy writes ``person`` (500k rows) in half the CPU of zstd and reads faster, for files
# about 1.7 times larger.
FRAME_COMPRESSION = "snappy"


@dataclass(frozen=True)
class FrameFile:
    """A frame already stored as a parquet file (e.g. an unchanged extract table kept by the
    ingest cache): the IO manager links the file where the frame goes instead of writing the
    same rows again.

    Attributes:
        path: the parquet file.
        rows: its rows (for the output's metadata).
    """

    path: Path
    rows: int


@dataclass(frozen=True)
class FrameParts:
    """A frame that is ``columns`` of stored frames, concatenated in order (e.g.
    ``person_records``: the common columns of every extract table): the IO manager links the
    files into the frame's folder (:func:`store_parts`) instead of writing the same rows again.

    Attributes:
        paths: the parquet files, in the frame's row order; each holds ``columns``.
        columns: the frame's columns.
        rows: its rows (for the output's metadata).
    """

    paths: tuple[Path, ...]
    columns: tuple[str, ...]
    rows: int


PARTS_FILE = "parts.json"  # in a stored FrameParts' folder: its columns and rows


def store_parts(parts: FrameParts, target: Path) -> None:
    """Store ``parts`` as the folder ``target``: its files hard-linked (copied across file
    systems) as ``000.parquet`` … in order, and ``parts.json``; an earlier attempt's replaced.
    Built under a temporary name and renamed, so a reader never sees half of it."""
    partial = partial_of(target)
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for k, path in enumerate(parts.paths):
        link_or_copy(path, partial / f"{k:03d}.parquet")
    (partial / PARTS_FILE).write_text(json.dumps({"columns": list(parts.columns),
                                                  "rows": parts.rows}), encoding="utf-8")
    if target.is_dir():
        shutil.rmtree(target)
    target.unlink(missing_ok=True)
    partial.replace(target)


def link_or_copy_frame(source: Path, target: Path) -> None:
    """:func:`link_or_copy` of a stored frame: a file, or a stored FrameParts' folder."""
    if source.is_dir():
        shutil.copytree(source, target, copy_function=link_or_copy)
    else:
        link_or_copy(source, target)


def frame_rows(path: Path) -> int:
    """Rows of a stored frame (from the file's metadata, or a stored FrameParts' own)."""
    WRITES.wait(path)
    if path.is_dir():
        return json.loads((path / PARTS_FILE).read_text(encoding="utf-8"))["rows"]
    return pl.scan_parquet(path).select(pl.len()).collect().item()


def link_or_copy(source: Path, target: Path) -> None:
    """Hard-link ``source`` as ``target`` (a copy across file systems); ``target`` is new."""
    WRITES.wait(source)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _part(text: str | None) -> str:
    """One path component: a run id, county, month or table name (``_`` for none)."""
    if text is None:
        return "_"
    if not _NAME.match(text) or text in (".", ".."):
        msg = f"not a plain name for a stage folder: {text!r}"
        raise ValueError(msg)
    return text.replace("|", "_")


class RunStage:
    """The staged tables of one run and partition (county, month).

    Attributes:
        folder: ``<root>/<run_id>/<county>/<month>``.
    """

    def __init__(self, root: Path, run_id: str, county: str | None, month: str | None) -> None:
        self.run_folder = Path(root) / _part(run_id)
        self.folder = self.run_folder / _part(county) / _part(month)

    def path(self, table: str) -> Path:
        """Where ``table`` is staged."""
        return self.folder / f"{_part(table)}.parquet"

    def put(self, table: str, frame: pl.DataFrame) -> int:
        """Stage ``frame`` as ``table`` (replacing an earlier attempt's); rows staged.

        Written to a temporary name and renamed, so a reader never sees half a file; behind
        the run when it writes behind (``behind``).
        """
        target = self.path(table)
        target.parent.mkdir(parents=True, exist_ok=True)
        WRITES.write(target, lambda partial: write_frame(frame, partial),
                     frame.estimated_size())
        return frame.height

    def link(self, table: str, path: Path) -> None:
        """Stage the frame stored at ``path`` (``write_frame``'s, with the stage's columns) as
        ``table``: hard-linked (copied across file systems), not written again."""
        target = self.path(table)
        target.parent.mkdir(parents=True, exist_ok=True)
        WRITES.write(target, lambda partial: link_or_copy(path, partial))

    def get(self, table: str, columns: list[str] | None = None) -> pl.DataFrame | None:
        """The staged frame of ``table`` (only ``columns`` of it, ``read_frame``), or None
        when this run did not stage it."""
        path = self.path(table)
        return read_frame(path, columns) if path.is_file() or WRITES.pending(path) else None

    def scan(self, table: str, columns: list[str] | None = None) -> pl.LazyFrame | None:
        """:meth:`get`'s frame read when collected (``columns`` in their order, with the
        stage's ``county`` and ``month``), or None when this run did not stage it."""
        path = self.path(table)
        if not (path.is_file() or WRITES.pending(path)):
            return None
        held = HANDOFF.take(path)
        if held is None:
            WRITES.wait(path)
        frame = pl.scan_parquet(path) if held is None else held.lazy()
        names = frame.collect_schema().names()
        return frame.select([c for c in (*columns, "county", "month") if c in names]
                            if columns else names)

    def tables(self) -> dict[str, pl.DataFrame]:
        """Every staged table of the partition, by name."""
        if not self.folder.is_dir():
            return {}
        WRITES.flush()
        return {p.stem: pl.read_parquet(p) for p in sorted(self.folder.glob("*.parquet"))}

    def clear(self) -> None:
        """Remove the run's stage (every partition of it)."""
        shutil.rmtree(self.run_folder, ignore_errors=True)


def sweep_stages(root: Path, county: str | None, live: Callable[[str], bool],
                 keep: str | None = None) -> list[str]:
    """Remove the county's stages of runs that are not running any more.

    Args:
        root: the folder of every run's stage.
        county: the county whose stages are swept (other counties' are never touched).
        live: whether a run (by id) may still be running: its stage is kept.
        keep: a run whose stage is always kept (the caller's own).

    Returns:
        The run ids whose stage of the county was removed.
    """
    root, part = Path(root), _part(county)
    if not root.is_dir():
        return []
    removed = []
    for run_folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if run_folder.name == keep or not (run_folder / part).is_dir() or live(run_folder.name):
            continue
        shutil.rmtree(run_folder / part, ignore_errors=True)
        if not any(run_folder.iterdir()):
            run_folder.rmdir()
        removed.append(run_folder.name)
    return removed


def write_frame(frame: pl.DataFrame, path: Path, dictionary: Sequence[str] = ()) -> None:
    """Write a frame a later step (or night) reads back whole or by column (:func:`read_frame`).

    No min/max statistics: such a frame is never filtered by them, and on a million distinct
    strings they cost 20-30 % of the write. ``dictionary``: text columns of few distinct
    values, dictionary-encoded (pyarrow's writer; the same frame read back): ``match_pairs``'
    3.3M rows at 1M residents in 1.2-1.3 CPU s, not polars' 2.2-2.3.
    """
    if not dictionary:
        frame.write_parquet(path, compression=FRAME_COMPRESSION, statistics=False)
        return
    import pyarrow.parquet as pq

    # as string views, not copied: the default large strings copy every text column (3.3M
    # pairs: +0.37 GB held after the write)
    pq.write_table(frame.to_arrow(compat_level=pl.CompatLevel.newest()), path,
                   compression=FRAME_COMPRESSION,
                   use_dictionary=[c for c in dictionary if c in frame.columns],
                   write_statistics=False)


def _scan_parts(folder: Path, columns: list[str] | tuple[str, ...] | None) -> pl.LazyFrame:
    """A stored FrameParts (:func:`store_parts`): ``columns`` of its own (all when None), in
    its order, read from each file and concatenated."""
    own = json.loads((folder / PARTS_FILE).read_text(encoding="utf-8"))["columns"]
    wanted = in_file_order(own, columns)
    return pl.concat([pl.scan_parquet(p).select(wanted)
                      for p in sorted(folder.glob("*.parquet"))])


def scan_frame(path: Path, columns: list[str] | tuple[str, ...] | None = None) -> pl.LazyFrame:
    """:func:`read_frame`'s frame, read when collected: an input a step holds for its whole run
    but uses once (the link step's evidence tables) costs no memory until then, nor after."""
    if path.is_dir():
        return _scan_parts(path, columns)
    if (held := HANDOFF.take(path)) is not None:
        return held.lazy().select(in_file_order(held.columns, columns))
    WRITES.wait(path)
    frame = pl.scan_parquet(path)
    if not columns:
        return frame
    return frame.select(in_file_order(frame.collect_schema().names(), columns))


def read_frame(path: Path, columns: list[str] | tuple[str, ...] | None = None) -> pl.DataFrame:
    """A stored frame; with ``columns`` (an input's metadata) only those it holds, in its order.

    Reading only the columns a step uses keeps the other columns of a wide extract table off
    the heap (parquet is read column by column). A stored FrameParts' folder is read part by
    part, its parts' other columns never read.
    """
    if path.is_dir():
        return _scan_parts(path, columns).collect()
    if (held := HANDOFF.take(path)) is not None:  # the run's own frame, still in memory
        return held.select(in_file_order(held.columns, columns))
    WRITES.wait(path)
    if not columns:
        return pl.read_parquet(path)
    return pl.read_parquet(path, columns=in_file_order(pl.read_parquet_schema(path), columns))


def in_file_order(names: Iterable[str], columns: Iterable[str] | None) -> list[str]:
    """The stored frame's column ``names`` that ``columns`` asks for (all when None), in
    the frame's own order: what a reader of ``columns`` gets."""
    wanted = set(columns) if columns else None
    return [c for c in names if wanted is None or c in wanted]
