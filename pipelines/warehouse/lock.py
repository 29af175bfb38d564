"""One run at a time: a lock held for a whole run, per warehouse (and, later, per county).

PostgreSQL: a session-level advisory lock (key from the schema and county) on a connection kept
open for the run; the server releases it when that connection ends, also when the process is
killed. Who holds it (run id, pid, host, since) is written to ``_sanji_run_lock`` beside the
PostgreSQL backend pid, and believed only when ``pg_locks`` shows that backend holding the lock.

DuckDB: ``flock`` on a file beside the database (``sanji.duckdb.run.lock``, with the county:
``sanji.duckdb.<county>.run.lock``); the kernel releases it when the process dies, so a
SIGKILLed run never leaves a stale lock. The file holds the holder as JSON. An in-memory
warehouse locks a file in the temporary folder named after the process and the warehouse.

``acquire_run_lock`` tries, waits up to ``wait_seconds`` (polling), then raises
``WarehouseBusy`` naming the holder. The lock is a context manager; ``release`` is idempotent.
Take it on ``Warehouse.at(url)`` (no connection) before anything opens the warehouse: a DuckDB
file held by a publishing process would otherwise keep a second run waiting for the file
before it could even be told who holds the lock. The lock file stays; only its flock counts.

``held_lock`` finds a lock this process holds: a run that holds the lock for its whole length
(``sanji run``) publishes through it instead of waiting for itself. ``county_write_lock`` is
for the writes outside a night (a steward's decision or answer, a returned list, the office's
return): the lock this process already holds (the ``sanji`` command took it), else taken for
the write, so no night of the county publishes at the same moment.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import socket
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.warehouse.backends import DuckBackend, ident
from pipelines.warehouse.tables import INTERNAL_PREFIX, now_utc

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from pipelines.warehouse.tables import Warehouse

HOLDERS = f"{INTERNAL_PREFIX}_run_lock"
_COUNTY = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or held) a run lock."""

    run_id: str
    pid: int
    host: str
    since: datetime

    @classmethod
    def me(cls, run_id: str) -> LockHolder:
        """This process, for ``run_id``, from now."""
        return cls(run_id, os.getpid(), socket.gethostname(), now_utc().replace(microsecond=0))

    def describe(self) -> str:
        """``run r1 (pid 123 on host h, since 2026-10-01 02:00:00 UTC)``."""
        return f"run {self.run_id} (pid {self.pid} on host {self.host}, " \
               f"since {self.since:%Y-%m-%d %H:%M:%S} UTC)"


class WarehouseBusy(RuntimeError):
    """Another run holds the run lock; ``holder`` names it when known."""

    def __init__(self, where: str, holder: LockHolder | str | None, waited: float) -> None:
        self.holder = holder
        who = holder.describe() if isinstance(holder, LockHolder) else \
            holder or "another process (it is just starting)"
        super().__init__(f"{where} is busy: {who} holds its run lock; waited {waited:.1f} s. "
                         "Only one run at a time may publish there: try again when it finishes.")


class RunLock:
    """A held run lock; release it (or leave the ``with`` block) when the run ends."""

    def __init__(self, holder: LockHolder, release: Callable[[], None]) -> None:
        self.holder = holder
        self._release: Callable[[], None] | None = release

    @property
    def held(self) -> bool:
        """Whether this lock is still held."""
        return self._release is not None

    def release(self) -> None:
        """Release the lock (no-op when already released)."""
        release, self._release = self._release, None
        if release is not None:
            release()

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


def _poll(attempt: Callable[[], bool], who: Callable[[], LockHolder | str | None], where: str,
          wait_seconds: float) -> None:
    """Call ``attempt`` until it succeeds or ``wait_seconds`` pass, then raise WarehouseBusy."""
    start = time.monotonic()
    delay = 0.05
    while not attempt():
        waited = time.monotonic() - start
        if waited >= wait_seconds:
            raise WarehouseBusy(where, who(), waited)
        time.sleep(min(delay, max(wait_seconds - waited, 0.01)))
        delay = min(delay * 2, 0.5)


def lock_file(wh: Warehouse, county: str | None) -> Path:
    """The DuckDB lock file of a warehouse (and county)."""
    db: DuckBackend = wh._db  # type: ignore[assignment]
    base = Path(tempfile.gettempdir(), f"sanji-memory-{os.getpid()}-{id(db)}") \
        if db.path == ":memory:" else Path(db.path)
    suffix = f".{county}.run.lock" if county else ".run.lock"
    return base.with_name(base.name + suffix)


def _file_holder(fd: int) -> LockHolder | None:
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode() or "null")
        return None if data is None else LockHolder(
            data["run_id"], data["pid"], data["host"], datetime.fromisoformat(data["since"]))
    except (ValueError, KeyError, TypeError):
        return None


def _file_lock(wh: Warehouse, holder: LockHolder, county: str | None,
               wait_seconds: float) -> RunLock:
    path = lock_file(wh, county)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

    def attempt() -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    try:
        _poll(attempt, lambda: _file_holder(fd), wh.where, wait_seconds)
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps({**asdict(holder), "since": holder.since.isoformat()}).encode(), 0)

    def release() -> None:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the only descriptor releases the flock

    return RunLock(holder, release)


def advisory_key(schema: str, county: str | None) -> int:
    """The signed 64-bit advisory-lock key of a schema (and county)."""
    digest = hashlib.sha256(f"sanji-run|{schema}|{county or '*'}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _pg_holder(con: Any, schema: str, key: int) -> LockHolder | str | None:
    """The holder recorded by the backend that holds advisory lock ``key``."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    rows = con.execute(
        f"SELECT h.run_id, h.pid, h.host, h.since, l.pid FROM pg_locks l "
        f"LEFT JOIN {ident(schema)}.{ident(HOLDERS)} h "
        "ON h.lock_key = %s AND h.backend_pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
        "AND l.classid::bigint = %s AND l.objid::bigint = %s "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (key, unsigned >> 32, unsigned & 0xFFFF_FFFF),
    ).fetchall()
    if not rows:
        return None
    run_id, pid, host, since, backend = rows[0]
    if run_id is None:
        return f"PostgreSQL backend pid {backend} (holder not recorded yet)"
    return LockHolder(run_id, pid, host, since)


def _pg_lock(wh: Warehouse, holder: LockHolder, county: str | None,
             wait_seconds: float) -> RunLock:
    import psycopg

    schema = wh._db.schema
    table = f"{ident(schema)}.{ident(HOLDERS)}"
    key = advisory_key(schema, county)
    con = psycopg.connect(wh._db.url, autocommit=True,
                          application_name=f"sanji run lock {holder.run_id}"[:63])
    try:
        with contextlib.suppress(psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable,
                                 psycopg.errors.DuplicateSchema):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
            con.execute(f"CREATE TABLE IF NOT EXISTS {table} (lock_key BIGINT PRIMARY KEY, "
                        "run_id TEXT, pid BIGINT, host TEXT, since TIMESTAMP, backend_pid BIGINT)")
        _poll(lambda: con.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0],
              lambda: _pg_holder(con, schema, key), wh.where, wait_seconds)
        con.execute(f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s, pg_backend_pid()) "
                    "ON CONFLICT (lock_key) DO UPDATE SET run_id = excluded.run_id, "
                    "pid = excluded.pid, host = excluded.host, since = excluded.since, "
                    "backend_pid = excluded.backend_pid",
                    (key, holder.run_id, holder.pid, holder.host, holder.since))
    except BaseException:
        con.close()
        raise

    def release() -> None:
        with contextlib.suppress(psycopg.Error):
            con.execute("SELECT pg_advisory_unlock(%s)", (key,))
        con.close()  # ending the session releases the lock in any case

    return RunLock(holder, release)


_HELD: dict[str, RunLock] = {}


def _held_key(wh: Warehouse, county: str | None) -> str:
    """What identifies a run lock within this process: its file, or its schema and key."""
    if isinstance(wh._db, DuckBackend):
        return str(lock_file(wh, county).resolve())
    return f"{wh._db.url}|{wh._db.schema}|{advisory_key(wh._db.schema, county)}"


def held_lock(wh: Warehouse, county: str | None = None) -> RunLock | None:
    """The run lock of ``wh`` (and county) when THIS process holds it, else None."""
    lock = _HELD.get(_held_key(wh, county))
    return lock if lock is not None and lock.held else None


def acquire_run_lock(wh: Warehouse, run_id: str, *, county: str | None = None,
                     wait_seconds: float = 0.0) -> RunLock:
    """Take the run lock of a warehouse (and county) for ``run_id``.

    Args:
        wh: the warehouse.
        run_id: the run taking it (named to whoever has to wait).
        county: a county code to lock only that county's runs (None: the whole warehouse).
        wait_seconds: how long to wait for the current holder before refusing.

    Returns:
        The held lock (a context manager).

    Raises:
        WarehouseBusy: naming the holder (run id, pid, host, since) after ``wait_seconds``.
        ValueError: on a county that is not a plain code.
    """
    if county is not None and not _COUNTY.match(county):
        msg = f"county must be a plain code (letters, digits, _ or -), got {county!r}"
        raise ValueError(msg)
    holder = LockHolder.me(run_id)
    key = _held_key(wh, county)
    if isinstance(wh._db, DuckBackend):
        lock = _file_lock(wh, holder, county, wait_seconds)
    else:
        lock = _pg_lock(wh, holder, county, wait_seconds)
    release = lock._release

    def forget() -> None:
        _HELD.pop(key, None)
        if release is not None:
            release()

    lock._release = forget
    _HELD[key] = lock
    return lock


@contextlib.contextmanager
def county_write_lock(wh: Warehouse, run_id: str, county: str | None,
                      wait_seconds: float = 0.0) -> Iterator[RunLock]:
    """The county's run lock around a write outside a night: the one this process holds, else
    taken for the block (released after it).

    Raises:
        WarehouseBusy: another run holds it (named) after ``wait_seconds``.
    """
    held = held_lock(wh, county)
    if held is not None:
        yield held
        return
    with acquire_run_lock(wh, run_id, county=county, wait_seconds=wait_seconds) as lock:
        yield lock
