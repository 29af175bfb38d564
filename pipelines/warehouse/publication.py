"""Run-level publication: all tables of one run become visible together, or none of them.

Design: ONE transaction per run, not versioned tables behind views. Both backends have
transactional DDL, so ``publish_run`` stages every table, swaps them in and records the run in
``publication`` inside a single transaction: a failure or a killed process (PostgreSQL aborts the
transaction when the connection drops; DuckDB never wrote a commit marker to its WAL) leaves the
previous publication exactly as it was, and nothing needs cleaning up afterwards. Versioned tables
behind views would keep readers unblocked during the swap, but every night would copy all the
other months of the month-sliced tables (``person`` and ``mismatch`` hold a county's people per
month), leave orphan versions after a kill for someone to collect, and still need the same
care for readers of several tables: on PostgreSQL a view or table swapped after a reader's
snapshot is seen with the new definition. Here the swap phase locks the replaced tables
(ACCESS EXCLUSIVE, one ``LOCK TABLE`` in name order) only for the milliseconds of the renames,
month slices of unchanged columns are plain MVCC delete + insert, and ``Warehouse.read_many``
takes ACCESS SHARE locks in the same order before its snapshot: a multi-table reader sees one
publication whole.

The ``publication`` table holds one row per attempt: ``running`` when ``publish_run`` starts
(its own small transaction), then ``published`` with the next ``version``, ``finished_at`` and
row counts in the same transaction as the tables, or ``refused`` / ``failed`` with the message.
A run killed mid-publication stays ``running`` until the next publication marks it ``failed``
(abandoned). Optimistic guard: with ``expected_version`` (the version the run started from), a
run refuses to commit when another run published meanwhile (``PublicationConflict``); PostgreSQL
serialises the commit phases with a SHARE ROW EXCLUSIVE lock on ``publication``, DuckDB has one
writing process, and ``version`` is UNIQUE on both.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from pipelines.domain.identity import mask_ids_in_text
from pipelines.warehouse.behind import WRITES
from pipelines.warehouse.tables import INTERNAL_PREFIX, Step, check_month, now_utc, stamp
from pipelines.warehouse.unchanged import content_hash, remember, restamp, unchanged

if TYPE_CHECKING:
    from pipelines.warehouse.tables import Warehouse, _Replace

PUBLICATION = "publication"
STATUSES = ("running", "published", "refused", "failed")
_DDL = (
    "publication_id TEXT PRIMARY KEY, version BIGINT UNIQUE, base_version BIGINT, "
    "run_id TEXT NOT NULL, county TEXT, month TEXT, status TEXT NOT NULL, "
    "started_at TIMESTAMP, finished_at TIMESTAMP, host TEXT, pid BIGINT, row_counts TEXT, "
    "extract_rows TEXT, landing TEXT, guard TEXT, message TEXT"
)


class PublicationConflict(RuntimeError):
    """Another run published after this run's starting version: this run must not commit."""


@dataclass(frozen=True)
class RunMeta:
    """What a run records beside its tables.

    Attributes:
        county: the county code (None: the warehouse serves one county).
        started_at: when the run started (UTC, naive; default: when publishing started).
        landing: the landing snapshot, one dict per file and sheet (file names masked).
        extract_rows: accepted rows per extract tonight (the next night's guard compares).
        guard: the guard's decisions, one dict per extract.
    """

    county: str | None = None
    started_at: datetime | None = None
    landing: tuple[dict, ...] = ()
    extract_rows: Mapping[str, int] = field(default_factory=dict)
    guard: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Publication:
    """One row of ``publication``: one run's attempt to publish, and how it ended."""

    publication_id: str
    version: int | None
    base_version: int | None
    run_id: str
    county: str | None
    month: str | None
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    host: str | None
    pid: int | None
    row_counts: dict[str, int]
    extract_rows: dict[str, int]
    landing: list[dict]
    guard: list[dict]
    message: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Publication:
        """A publication from a ``publication`` row (JSON columns decoded)."""
        empty = {"row_counts": {}, "extract_rows": {}, "landing": [], "guard": []}
        decoded = {k: json.loads(row[k]) if row[k] else v for k, v in empty.items()}
        return cls(**{**row, **decoded})


def ensure_table(wh: Warehouse, con: Any) -> None:
    """Create the ``publication`` table when missing."""
    if wh._columns(con, PUBLICATION) is None:
        wh._db.execute(con, f"CREATE TABLE IF NOT EXISTS {wh._q(PUBLICATION)} ({_DDL})")


def _fetch(wh: Warehouse, con: Any, where: str, params: tuple) -> list[Publication]:
    schema = wh._columns(con, PUBLICATION)
    if schema is None:
        return []
    frame = wh._db.fetch(con, f"SELECT * FROM {wh._q(PUBLICATION)} WHERE {where}", params,
                         schema)
    return [Publication.from_row(r) for r in frame.iter_rows(named=True)]


def last_publication(wh: Warehouse, con: Any, county: str | None,
                     month: str | None = None) -> Publication | None:
    """The latest ``published`` row of ``county`` (of its ``month``) on an open connection."""
    of_month, params = ("AND month = ? ", (county, month)) if month else ("", (county,))
    rows = _fetch(wh, con, "status = 'published' AND county IS NOT DISTINCT FROM ? "
                           f"{of_month}ORDER BY version DESC LIMIT 1", params)
    return rows[0] if rows else None


def get_publication(wh: Warehouse, publication_id: str) -> Publication:
    """The ``publication`` row of one attempt."""
    with wh._db.connect() as con:
        return _fetch(wh, con, "publication_id = ?", (publication_id,))[0]


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record_run(wh: Warehouse, run_id: str, month: str | None, meta: RunMeta, status: str,
               message: str | None = None) -> str:
    """Insert a ``publication`` row (``running``, or a ``refused`` run that never published).

    Args:
        wh: the warehouse.
        run_id: the run.
        month: the month it publishes.
        meta: county, start time, landing snapshot, extract rows, guard decisions.
        status: one of ``STATUSES``.
        message: why (refusals), masked here.

    Returns:
        The new row's ``publication_id``.
    """
    if status not in STATUSES:
        msg = f"unknown publication status {status!r} (one of {STATUSES})"
        raise ValueError(msg)
    pub_id = uuid.uuid4().hex
    now = now_utc()
    values = (pub_id, run_id, meta.county, month, status, meta.started_at or now,
              None if status == "running" else now, socket.gethostname(), os.getpid(),
              _dumps(dict(meta.extract_rows)), _dumps(list(meta.landing)),
              _dumps(list(meta.guard)), mask_ids_in_text(message) if message else None)
    with wh._db.transaction() as con:
        ensure_table(wh, con)
        wh._db.execute(
            con, f"INSERT INTO {wh._q(PUBLICATION)} (publication_id, run_id, county, month, "
                 "status, started_at, finished_at, host, pid, extract_rows, landing, guard, "
                 "message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
    return pub_id


def _close(wh: Warehouse, pub_id: str, status: str, message: str) -> None:
    """Best effort: mark an attempt ``refused``/``failed`` (the connection may be gone)."""
    with wh._db.transaction() as con:
        wh._db.execute(con, f"UPDATE {wh._q(PUBLICATION)} SET status = ?, finished_at = ?, "
                            "message = ? WHERE publication_id = ?",
                       (status, now_utc(), mask_ids_in_text(message), pub_id))


def _check_version(wh: Warehouse, con: Any, run_id: str, county: str | None,
                   expected: int | None) -> tuple[int, int]:
    """Serialise commit phases, refuse a stale run; the new and the replaced version."""
    wh._db.lock(con, [wh._q(PUBLICATION)], "SHARE ROW EXCLUSIVE")
    last = last_publication(wh, con, county)
    current = last.version if last else 0
    if expected is not None and current != expected:
        msg = f"run {run_id} started from publication version {expected}, but version " \
              f"{current} (run {last.run_id if last else '?'}) was published meanwhile; " \
              "refusing to publish over it: run again on the new publication"
        raise PublicationConflict(msg)
    top = wh._db.execute(con, f"SELECT max(version) FROM {wh._q(PUBLICATION)}")[0][0]
    return (top or 0) + 1, current


def _finish(wh: Warehouse, con: Any, pub_id: str, run_id: str, county: str | None,
            versions: tuple[int, int], counts: dict[str, int]) -> None:
    """Mark the attempt published; mark runs left ``running`` by a dead process abandoned."""
    version, base = versions
    now = now_utc()
    note = f"abandoned: still running when run {run_id} published version {version} " \
           "(the process was killed or lost its connection)"
    wh._db.execute(con, f"UPDATE {wh._q(PUBLICATION)} SET status = 'failed', finished_at = ?, "
                        "message = ? WHERE status = 'running' AND publication_id <> ? "
                        "AND county IS NOT DISTINCT FROM ?", (now, note, pub_id, county))
    wh._db.execute(con, f"UPDATE {wh._q(PUBLICATION)} SET status = 'published', version = ?, "
                        "base_version = ?, finished_at = ?, row_counts = ? "
                        "WHERE publication_id = ?", (version, base, now, _dumps(counts), pub_id))


def stamp_run(run_id: str, month: str, tables: Mapping[str, pl.DataFrame],
              month_sliced: Collection[str]) -> dict[str, pl.DataFrame]:
    """Check a run's tables and stamp them all with one ``published_at``.

    Raises:
        ValueError: on a bad month, an unknown month-sliced name or a reserved table name.
    """
    check_month(month)
    unknown = sorted(set(month_sliced) - set(tables))
    reserved = sorted(n for n in tables if n == PUBLICATION or n.startswith(INTERNAL_PREFIX))
    if unknown or reserved or not tables:
        msg = f"run {run_id}: month_sliced names tables not given: {unknown}" if unknown else \
              f"run {run_id}: reserved table names {reserved}" if reserved else \
              f"run {run_id}: no tables to publish"
        raise ValueError(msg)
    at = now_utc()
    return {name: stamp(frame, name, run_id, month if name in month_sliced else None, at)
            for name, frame in sorted(tables.items())}


def _load(wh: Warehouse, con: Any, name: str, frame: pl.DataFrame, month: str | None,
          recording: str | None, step: Step) -> _Replace | None:
    """Stage one table of the run (``Warehouse._stage``); None when ``recording`` (the run
    id: restamp unchanged tables) and the warehouse holds these rows already (restamped)."""
    content = content_hash(frame) if recording else ""
    plan = None
    if recording and unchanged(wh, con, name, month, frame, content):
        restamp(wh, con, name, month, frame)
        step(f"unchanged:{name}")
    else:
        plan = wh._stage(con, name, frame, month)
    if recording:
        remember(wh, con, name, month, content, frame.height, recording)
    step(f"loaded:{name}")
    return plan


def publish_run(wh: Warehouse, run_id: str, month: str, tables: Mapping[str, pl.DataFrame], *,
                month_sliced: Collection[str] = (), meta: RunMeta | None = None,
                expected_version: int | None = None, on_step: Step | None = None,
                skip_unchanged: bool = False) -> Publication:
    """Publish every table of one run in ONE transaction, and record it in ``publication``.

    Args:
        wh: the warehouse.
        run_id: the run; every row is stamped with it.
        month: ``YYYY-MM`` the run publishes.
        tables: table name -> frame.
        month_sliced: the tables of which only ``month``'s rows are replaced (the others are
            replaced whole).
        meta: county, start time, landing snapshot, extract rows and guard decisions.
        expected_version: the publication version this run started from (0: none yet); when
            given and another run published since, nothing is written and
            ``PublicationConflict`` is raised.
        on_step: called with the name of each step done (``started``, ``begun``,
            ``unchanged:<table>`` (restamped) then ``loaded:<table>``, ``swapped:<table>``,
            ``recorded``, ``committed``); tests kill or fail the run there.
        skip_unchanged: only restamp a table (its month slice) the warehouse holds with
            exactly these rows already (``pipelines.warehouse.unchanged``), and record what
            each table written now holds.

    Returns:
        The ``published`` row.

    Raises:
        PublicationConflict: see ``expected_version`` (the attempt is recorded ``refused``).
        Exception: whatever failed; the transaction is rolled back, the attempt recorded
            ``failed`` with the (masked) message, and the previous publication is intact.
    """
    meta = meta or RunMeta()
    step = on_step or (lambda _: None)
    stamped = stamp_run(run_id, month, tables, month_sliced)
    pub_id = record_run(wh, run_id, month, meta, "running")
    step("started")
    try:
        with wh._db.transaction() as con:
            versions = _check_version(wh, con, run_id, meta.county, expected_version)
            step("begun")
            plans = [plan for name, frame in stamped.items()
                     if (plan := _load(wh, con, name, frame, month if name in month_sliced
                                       else None, run_id if skip_unchanged else None, step))]
            wh._swap(con, plans, step)
            WRITES.flush()  # the run's files are whole before its publication names it
            _finish(wh, con, pub_id, run_id, meta.county, versions,
                    {n: f.height for n, f in stamped.items()})
            step("recorded")
        step("committed")
    except Exception as exc:
        status = "refused" if isinstance(exc, PublicationConflict) else "failed"
        try:
            _close(wh, pub_id, status, f"{type(exc).__name__}: {exc}")
        except Exception as note:  # the original error matters more
            exc.add_note(f"(could not record the {status} run: {type(note).__name__})")
        raise
    return get_publication(wh, pub_id)


def publications(wh: Warehouse) -> pl.DataFrame:
    """Every ``publication`` row, newest first (empty frame when nothing was recorded)."""
    if not wh.has_table(PUBLICATION):
        return pl.DataFrame()
    return wh.read(PUBLICATION).sort("started_at", descending=True)


__all__ = ["PUBLICATION", "STATUSES", "Publication", "PublicationConflict", "RunMeta",
           "get_publication", "last_publication", "publications", "publish_run", "record_run"]
