"""Frames a run's later steps read from memory instead of the file the run just wrote.

A step's output reaches the steps after it as a parquet file (``staging.write_frame``), which
each of them reads back (``staging.read_frame``). When they run in the process that wrote it
(``sanji run``: Dagster's in-process executor), the frame is still in memory: the IO manager
*holds* it here for the reads the run's plan will make, and a read of that file takes it from
here instead of the disk. The file is written all the same (a re-executed run, another
process, the next night read it).

A frame is held for one file, known by its identity (device, inode, size, modification time):
a hard link to it (a run's stage of the same rows) is the same file, a file written again is
not, so a held frame is never served for other rows. A file still queued for the writer
(``behind``) has no identity yet: its frame is held for its path, which ``take`` serves
while the file is written and after. It is dropped after its last expected
read, when a run other than its own holds a frame, or never held when it would take the held
frames past ``budget_bytes`` (the reads then come from the file, as before).

Examples:
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "person.parquet"
    >>> frame = pl.DataFrame({"person_id": ["P1"], "county": ["411421"]})
    >>> frame.write_parquet(path)
    >>> handoff = Handoff()
    >>> handoff.hold(path, frame, readers=1, run="r1")
    True
    >>> handoff.take(path) is frame, handoff.take(path)
    (True, None)
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG

import polars as pl

from pipelines.warehouse.behind import WRITES

# What the held frames may take at most. At 1M residents a night holds ``person_links``,
# ``person``, ``person_source`` and ``person_id_map`` (~0.9 GB) from the step that writes
# each to the last that reads it; the night's peak is the publication, which holds them all
# anyway.
BUDGET_BYTES = 1_200 << 20

FileId = tuple[int, int, int, int]
Key = FileId | str  # a file's identity, or the path of a file still queued for the writer


def file_id(path: Path) -> FileId | None:
    """The identity of the file at ``path`` (None: no such file, or a folder)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if not S_ISREG(stat.st_mode):
        return None
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


def _key(path: Path) -> Key | None:
    """What a frame for ``path`` is held under: the file's identity, or its path while it is
    queued for the writer (None: no such file)."""
    return file_id(path) or (str(path) if WRITES.pending(path) else None)


@dataclass
class _Held:
    frame: pl.DataFrame
    readers: int
    nbytes: int


class Handoff:
    """Frames held for the files they were written to, each for a number of reads.

    Attributes:
        budget_bytes: the most the held frames may take (``estimated_size``).
        served: reads of the current run served from memory.
    """

    def __init__(self, budget_bytes: int = BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self._held: dict[Key, _Held] = {}
        self._offered: tuple[Key, pl.DataFrame] | None = None
        self._run: str | None = None
        self.served = 0
        self._lock = threading.Lock()

    def held_bytes(self) -> int:
        """What the held frames take."""
        with self._lock:
            return self._bytes_held()

    def _bytes_held(self, but: Key | None = None) -> int:
        """What the held frames take, the one held for ``but`` aside (lock held)."""
        return sum(h.nbytes for key, h in self._held.items() if key != but)

    def hold(self, path: Path, frame: pl.DataFrame, readers: int, run: str) -> bool:
        """Hold ``frame``, the rows of the file ``path``, for ``readers`` reads in ``run``;
        whether it is held (not when no read is expected, the file is gone or the budget is
        spent). A file queued for the writer is held for its path."""
        key = _key(path)
        with self._lock:
            if run != self._run:  # a new run: the last one's frames are of no use now
                self._held.clear()
                self._offered = None
                self._run, self.served = run, 0
            if key is None or readers <= 0:
                return False
            nbytes = frame.estimated_size()
            used = self._bytes_held(but=key)
            if used + nbytes > self.budget_bytes or self.budget_bytes <= 0:  # 0: none held
                self._held.pop(key, None)
                return False
            self._held[key] = _Held(frame, readers, nbytes)
            return True

    def offer(self, path: Path, frame: pl.DataFrame) -> None:
        """Say that ``frame`` was just written as ``path`` (a step writing its own file before
        returning it as a ``FrameFile``): :meth:`claim` holds it. Only the last offer is kept."""
        key = _key(path)
        with self._lock:
            self._offered = (key, frame) if key is not None else None

    def claim(self, path: Path, readers: int, run: str, source: Path | None = None) -> bool:
        """Hold the frame last offered for the file ``path`` (or a hard link to it; or, while
        both are queued for the writer, for ``source``, the file ``path`` links) for
        ``readers`` reads in ``run``; whether one was offered and is now held."""
        with self._lock:
            offered, self._offered = self._offered, None
        keys = {file_id(path), *((file_id(source), str(source)) if source else ())} - {None}
        if offered is None or offered[0] not in keys:
            return False
        return self.hold(path, offered[1], readers, run)

    def take(self, path: Path) -> pl.DataFrame | None:
        """The frame held for the file ``path`` (one of its reads), None when none is."""
        with self._lock:
            if not self._held:
                return None
        key = file_id(path)
        with self._lock:
            held = self._held.get(key) if key is not None else None
            if held is None:  # held while queued for the writer (written since, or not yet)
                key, held = str(path), self._held.get(str(path))
            if held is None:
                return None
            held.readers -= 1
            self.served += 1
            if held.readers <= 0:
                del self._held[key]
            return held.frame


HANDOFF = Handoff()  # the process's own: frames are handed over only within one process
