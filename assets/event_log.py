"""The CLI's Dagster storage: the default SQLite files, without an engine per transaction.

Dagster's default storage (``DAGSTER_HOME`` without a ``storage`` section, or ``storage:
sqlite:``) keeps the runs in ``history/runs.db`` and each run's events in
``history/runs/<run_id>.db``, mirrored into ``history/runs/index.db``, all in SQLite's WAL mode.
Its event log (:class:`~dagster._core.storage.event_log.sqlite.sqlite_event_log.
SqliteEventLogStorage`) makes a new SQLAlchemy engine and SQLite connection for every
transaction (one or two per event, one per query): SQLAlchemy compiles every statement and
initialises its dialect again, and closing what is then the file's last connection checkpoints
the WAL into the database (fsyncs) every time. A night writes ~460 events and asks ~100
data-version queries: ~0.15 CPU s of each step, and seconds of wall when the disk is busy.

Its fsyncs cost more still: each event committed with SQLite's default ``synchronous=FULL``
and each transaction's connection closed (a checkpoint: the WAL, the file and its folder
synced) made ~2,300 fdatasyncs a night, 3.2 s of wall at 1M.

:class:`NightSqliteEventLogStorage` is that class with one engine and one SQLite connection
kept per shard file (its compiled statements kept with it, used under the storage's own lock,
as Dagster's are) and the tables it has seen remembered. Every event is still its own committed
transaction, in WAL mode with ``synchronous=NORMAL`` (SQLite's advice for WAL: a commit is
atomic and the file consistent after a crash; only a power cut may lose the last commits, not
corrupt the file). The file of the run being written is checkpointed (its connection closed)
at every step's and the run's start and end, and at an event a second or more after the last
checkpoint: ``dagster dev`` shows a running run's events when that file changes, so they show
at those moments, not at every event; any other run's file is checkpointed at each
transaction's end, as Dagster's own storage does. The files, their schema and the rows written
are Dagster's own: ``dagster dev`` and the daemon, reading the same ``DAGSTER_HOME`` with the
stock storage (WAL readers beside one writer), see the same runs, events, materialisations,
metadata and checks, committed events included before a checkpoint. :func:`cli_instance` uses
it only where the instance is the default SQLite storage; any other storage (PostgreSQL, a
custom class) is left as it is.
"""

import atexit
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance
from dagster._core.events import EVENT_TYPE_TO_PIPELINE_RUN_STATUS
from dagster._core.events.log import EventLogEntry
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData
from sqlalchemy import event as sql_event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

DEFAULT_STORAGE = ("dagster._core.storage.sqlite_storage", "DagsterSqliteStorage")
NIGHT_STORAGE = (__name__, "NightSqliteStorage")
# a run's file is checkpointed at these events (and a second after the last checkpoint)
CHECKPOINT_AT = frozenset({DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS,
                           DagsterEventType.STEP_FAILURE, DagsterEventType.STEP_SKIPPED,
                           DagsterEventType.STEP_UP_FOR_RETRY, *EVENT_TYPE_TO_PIPELINE_RUN_STATUS})
CHECKPOINT_SECONDS = 1.0
RUN_ENDS = frozenset({DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE,
                      DagsterEventType.RUN_CANCELED})


def _synchronous_normal_in_wal(connection, _record) -> None:
    """``synchronous=NORMAL`` on a SQLite connection in WAL mode; a new, empty file is put in
    WAL mode first (Dagster's ``_initdb`` does so after creating its tables, each table then
    synced through a rollback journal)."""
    cursor = connection.cursor()
    try:
        mode = str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        if mode != "wal" and not cursor.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            mode = str(cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
        if mode == "wal":
            cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


class NightSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's per-run SQLite event log, one engine kept per shard file (see :meth:`_engine`)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: dict[str, Engine] = {}
        self._tables: set[str] = set()
        self._writing: str | None = None  # the run whose events are being stored
        self._checkpointed = time.monotonic()  # when its file was last checkpointed
        super().__init__(base_dir, inst_data=inst_data)

    def _engine(self, shard: str) -> Engine:
        """The shard's engine, made on first use (its statement cache lives with it), keeping
        its one SQLite connection (``StaticPool``, only ever used under ``_db_lock``, so from
        any thread) until :meth:`_checkpoint` closes it."""
        engine = self._engines.get(shard)
        if engine is None:
            engine = create_engine(self.conn_string_for_shard(shard), poolclass=StaticPool,
                                   connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                                                 "check_same_thread": False})
            sql_event.listen(engine, "connect", _synchronous_normal_in_wal)
            self._engines[shard] = engine
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        """A connection in a transaction, as Dagster's, on the shard's kept engine."""
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:  # a new run's file: created as Dagster does
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn
            if shard not in (INDEX_SHARD_NAME, self._writing):  # not the run being written
                engine.dispose()

    def store_event(self, event: EventLogEntry) -> None:
        """Dagster's, then the run's file checkpointed when due (see the module's doc)."""
        run, kind = event.run_id, event.dagster_event_type
        self._writing = run
        super().store_event(event)
        if kind in CHECKPOINT_AT or time.monotonic() - self._checkpointed >= CHECKPOINT_SECONDS:
            if kind in RUN_ENDS:
                self._writing = None
            self._checkpoint(run)
            self._checkpointed = time.monotonic()

    def _checkpoint(self, shard: str) -> None:
        """Close the shard's kept connection: SQLite checkpoints the WAL into the file."""
        with self._db_lock:
            if (engine := self._engines.get(shard)) is not None:
                engine.dispose()

    def has_table(self, table_name: str) -> bool:
        """Whether the index shard has the table (a table seen once is not asked again)."""
        if table_name in self._tables:
            return True
        found = super().has_table(table_name)
        if found:
            self._tables.add(table_name)
        return found

    def wipe(self) -> None:
        """Close the kept connections, then Dagster's wipe (it deletes the run shards)."""
        self._forget()
        super().wipe()

    def dispose(self) -> None:
        """Dagster's dispose, and every kept engine's (closing its connection)."""
        super().dispose()
        self._forget()

    def _forget(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
            self._tables.clear()


class NightSqliteStorage(DagsterSqliteStorage):
    """Dagster's default SQLite storage (same folders) with :class:`NightSqliteEventLogStorage`."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage = NightSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None,
                          config_value: dict) -> "NightSqliteStorage":
        """As Dagster's: ``{"base_dir": ...}``."""
        return cls.from_local(inst_data=inst_data, **config_value)


def night_ref(home: Path) -> InstanceRef:
    """The instance of ``home`` (its ``dagster.yaml``), with :class:`NightSqliteStorage` in
    place of Dagster's default SQLite storage (the same ``base_dir``); any other storage kept."""
    ref = InstanceRef.from_dir(str(home))
    data = ref.storage_data
    if data is None or (data.module_name, data.class_name) != DEFAULT_STORAGE:
        return ref
    return ref._replace(storage_data=ConfigurableClassData(*NIGHT_STORAGE, data.config_yaml))


_INSTANCES: dict[Path, DagsterInstance] = {}


def cli_instance(home: Path) -> DagsterInstance:
    """The Dagster instance of ``home`` for this process (see :func:`night_ref`).

    Made once per folder and process (making one costs ~0.3 CPU s of SQLite and alembic
    checks) and disposed when the process exits (``atexit``: the kept connection closes).
    """
    home = home.resolve()
    if home not in _INSTANCES:
        _INSTANCES[home] = instance = DagsterInstance.from_ref(night_ref(home))
        atexit.register(instance.dispose)
    return _INSTANCES[home]
