"""The warehouse: published tables on DuckDB or PostgreSQL, replaced atomically, read back typed.

``Warehouse.from_url`` takes a DuckDB file path (``out/sanji.duckdb``, ``duckdb:///abs/path``,
``:memory:``) or a PostgreSQL URL (``postgresql://user@host:5432/db``, psycopg 3).

A replace runs in two phases inside one transaction. ``_stage`` loads the rows: a whole table
(or a month slice whose columns changed, other months copied in) into a fresh stage table; a
month slice of unchanged columns straight into the live table after deleting that month (plain
MVCC writes that never block a reader). ``_swap`` then locks the live tables it replaces (one
``LOCK TABLE`` in name order on PostgreSQL, so it cannot deadlock with ``read_many``), drops
them and renames the stages. ``publish`` does this for one table; ``publish_run``
(``pipelines.warehouse.publication``) for every table of a run in ONE transaction.
Every stored row carries ``run_id``, ``month`` (nullable text) and ``published_at`` (UTC,
naive) of the publication it belongs to (an unchanged table is restamped: ``unchanged``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import polars as pl

from pipelines.domain.months import Month
from pipelines.warehouse.backends import (
    POLARS_TYPES,
    RUN_COLUMNS,
    DuckBackend,
    PostgresBackend,
    ident,
    month_filter,
    to_sql_frame,
)
from pipelines.warehouse.unchanged import forget

if TYPE_CHECKING:
    from pipelines.warehouse.lock import RunLock
    from pipelines.warehouse.publication import Publication, RunMeta

INTERNAL_PREFIX = "_sanji"  # internal tables (the lock holders) are not listed by ``tables``
Step = Callable[[str], None]


def check_month(month: str | None) -> None:
    """Raise ValueError unless ``month`` is None or a month written ``YYYY-MM``."""
    if month is not None:
        Month.parse(month)


def now_utc() -> datetime:
    """The current time in UTC, naive (as the warehouse stores timestamps)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _month_column(df: pl.DataFrame, month: str | None, table: str) -> pl.Expr:
    """The ``month`` column to store: the given month, else the frame's own, else null."""
    if month is None:
        return pl.col("month").cast(pl.String) if "month" in df.columns else pl.lit(None, pl.String)
    if "month" in df.columns:
        other = df.filter(pl.col("month").is_not_null() & (pl.col("month") != month))
        if other.height:
            msg = f"publishing {table!r} for month {month}: the frame holds rows of month " \
                  f"{other['month'][0]!r}"
            raise ValueError(msg)
    return pl.lit(month, pl.String)


def stamp(df: pl.DataFrame, table: str, run_id: str, month: str | None,
          published_at: datetime) -> pl.DataFrame:
    """The rows as stored: SQL dtypes, with ``run_id``, ``month`` and ``published_at`` set.

    Args:
        df: the rows; their own ``run_id``/``published_at`` are overwritten.
        table: the table's name (checked, and named in errors).
        run_id: the run that produced them.
        month: the month slice they replace, or None for the whole table (then a ``month``
            column of the frame is kept as it is).
        published_at: the publication time (UTC, naive).

    Returns:
        The stamped frame.
    """
    ident(table)
    month_col = _month_column(df, month, table)
    return to_sql_frame(
        df.with_columns(month_col.alias("__month"))
        .drop(RUN_COLUMNS, strict=False)
        .with_columns(run_id=pl.lit(run_id, pl.String), month=pl.col("__month"),
                      published_at=pl.lit(published_at, pl.Datetime("us")))
        .drop("__month")
    )


@dataclass(frozen=True)
class _Replace:
    """One staged replace: the stage to rename over ``table`` (None: rows already in place)."""

    table: str
    stage: str | None
    replaces_live: bool


@dataclass(frozen=True)
class Snapshot:
    """Tables read in one snapshot, with the publication they belong to (``version`` 0: none)."""

    tables: dict[str, pl.DataFrame]
    version: int
    publication: Publication | None

    def __getitem__(self, table: str) -> pl.DataFrame:
        return self.tables[table]


class Warehouse:
    """Where published tables live. Build with ``Warehouse.from_url``.

    Examples:
        >>> wh = Warehouse.from_url(":memory:")
        >>> wh.publish("person", pl.DataFrame({"person_id": ["P1"]}), run_id="r1")
        1
        >>> wh.read("person")["person_id"].to_list()
        ['P1']
    """

    def __init__(self, backend: DuckBackend | PostgresBackend) -> None:
        self._db = backend
        self.kind = "duckdb" if isinstance(backend, DuckBackend) else "postgresql"

    @classmethod
    def at(cls, url_or_path: str | Path, *, schema: str | None = None) -> Warehouse:
        """A handle on a warehouse without connecting (e.g. to take the run lock first).

        Args:
            url_or_path: ``out/sanji.duckdb``, ``duckdb:///abs/x.duckdb``, ``:memory:``, or
                ``postgresql://user@host:port/db``.
            schema: SQL schema for the tables; default ``main`` for DuckDB, ``public`` for
                PostgreSQL.

        Returns:
            The warehouse (its schema not created yet: see ``from_url``).
        """
        text = str(url_or_path)
        if text.startswith(("postgresql://", "postgres://")):
            backend: DuckBackend | PostgresBackend = PostgresBackend(text, schema or "public")
        elif "://" in text and not text.startswith("duckdb://"):
            msg = f"unsupported warehouse URL scheme in {text.split('://')[0]!r}: " \
                  "use a DuckDB path, duckdb:///path or postgresql://…"
            raise ValueError(msg)
        else:
            backend = DuckBackend(text.removeprefix("duckdb://") or ":memory:", schema or "main")
        ident(backend.schema)
        return cls(backend)

    @classmethod
    def from_url(cls, url_or_path: str | Path, *, schema: str | None = None) -> Warehouse:
        """A warehouse for a DuckDB path / ``duckdb://`` URL or a ``postgresql://`` URL.

        Args:
            url_or_path: see ``at``.
            schema: SQL schema for the tables (created when missing); default ``main`` for
                DuckDB, ``public`` for PostgreSQL.

        Returns:
            The warehouse.
        """
        wh = cls.at(url_or_path, schema=schema)
        with wh._db.connect() as con:
            wh._db.execute(con, f"CREATE SCHEMA IF NOT EXISTS {ident(wh._db.schema)}")
        return wh

    @property
    def where(self) -> str:
        """The warehouse for messages: a DuckDB path, or PostgreSQL host/database and schema."""
        if isinstance(self._db, DuckBackend):
            return f"DuckDB {self._db.path}"
        url = urlsplit(self._db.url)  # no user or password in messages
        return f"PostgreSQL {url.hostname}:{url.port or 5432}{url.path} schema {self._db.schema}"

    def _q(self, table: str) -> str:
        return f"{ident(self._db.schema)}.{ident(table)}"

    def _columns(self, con: Any, table: str) -> pl.Schema | None:
        rows = self._db.execute(
            con,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            (self._db.schema, table),
        )
        if not rows:
            return None
        return pl.Schema({n: POLARS_TYPES.get(t.lower(), pl.String()) for n, t in rows})

    def _table_names(self, con: Any) -> list[str]:
        rows = self._db.execute(
            con,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
            "AND table_type = 'BASE TABLE'",
            (self._db.schema,),
        )
        return sorted(r[0] for r in rows
                      if "__stage_" not in r[0] and not r[0].startswith(INTERNAL_PREFIX))

    def tables(self) -> list[str]:
        """Names of the tables in the warehouse schema, sorted (stages and lock tables aside)."""
        with self._db.connect() as con:
            return self._table_names(con)

    def holding(self) -> AbstractContextManager[None]:
        """Within: the warehouse's reads and writes share one connection (see the backends)."""
        return self._db.holding()

    def has_table(self, name: str) -> bool:
        """Whether table ``name`` exists."""
        return name in self.tables()

    def _load_stage(self, con: Any, table: str, frame: pl.DataFrame) -> str:
        stage = f"{table[:40]}__stage_{uuid.uuid4().hex[:8]}"
        self._db.create(con, self._q(stage), frame)
        self._db.load(con, self._q(stage), frame)
        return stage

    def _stage(self, con: Any, table: str, frame: pl.DataFrame, month: str | None) -> _Replace:
        """Phase 1 (open transaction): load ``frame`` as the new table or month slice."""
        forget(self, con, table)  # what ``unchanged`` recorded of it no longer holds
        existing = self._columns(con, table)
        if existing is None or month is None:
            return _Replace(table, self._load_stage(con, table, frame), existing is not None)
        if existing == frame.schema:
            self._db.execute(con, f"DELETE FROM {self._q(table)} WHERE month = ?", (month,))
            self._db.load(con, self._q(table), frame)
            return _Replace(table, None, True)
        others = self._db.fetch(con, f"SELECT * FROM {self._q(table)} WHERE month IS DISTINCT "
                                     "FROM ?", (month,), existing)
        merged = to_sql_frame(pl.concat([frame, others], how="diagonal_relaxed"))
        return _Replace(table, self._load_stage(con, table, merged), True)

    def _swap(self, con: Any, plans: list[_Replace], step: Step | None = None) -> None:
        """Phase 2 (same transaction): lock the replaced tables in name order, rename stages."""
        swaps = sorted((p for p in plans if p.stage), key=lambda p: p.table)
        self._db.lock(con, [self._q(p.table) for p in swaps if p.replaces_live],
                      "ACCESS EXCLUSIVE")
        for plan in swaps:
            self._db.execute(con, f"DROP TABLE IF EXISTS {self._q(plan.table)}")
            self._db.execute(con, f"ALTER TABLE {self._q(plan.stage)} RENAME TO "
                                  f"{ident(plan.table)}")
            if step:
                step(f"swapped:{plan.table}")

    def publish(self, table: str, df: pl.DataFrame, *, run_id: str,
                month: str | None = None) -> int:
        """Replace ONE table (or one month's slice of it) atomically (a run's tables
        together: :meth:`publish_run`).

        Args:
            table: table name.
            df: the rows; ``run_id``/``published_at`` columns are overwritten; a ``month``
                column must agree with ``month`` (kept as is when ``month`` is None).
            run_id: the pipeline run that produced them.
            month: ``'YYYY-MM'`` to replace only that month's rows; None replaces the table.

        Returns:
            Rows written.
        """
        check_month(month)
        stamped = stamp(df, table, run_id, month, now_utc())
        with self._db.transaction() as con:
            self._swap(con, [self._stage(con, table, stamped, month)])
        return stamped.height

    def publish_run(self, run_id: str, month: str, tables: Mapping[str, pl.DataFrame], *,
                    month_sliced: Collection[str] = (), meta: RunMeta | None = None,
                    expected_version: int | None = None, on_step: Step | None = None,
                    skip_unchanged: bool = False) -> Publication:
        """Publish ALL tables of one run in one transaction: see ``publication.publish_run``."""
        from pipelines.warehouse.publication import publish_run

        return publish_run(self, run_id, month, tables, month_sliced=month_sliced, meta=meta,
                           expected_version=expected_version, on_step=on_step,
                           skip_unchanged=skip_unchanged)

    def last_publication(self, county: str | None = None,
                         month: str | None = None) -> Publication | None:
        """The latest published run (of ``county``, of ``month``), or None when none was."""
        from pipelines.warehouse.publication import last_publication

        with self._db.connect() as con:
            return last_publication(self, con, county, month)

    def run_lock(self, run_id: str, *, county: str | None = None,
                 wait_seconds: float = 0.0) -> RunLock:
        """Take the run lock (one run at a time per warehouse / county): see ``lock``."""
        from pipelines.warehouse.lock import acquire_run_lock

        return acquire_run_lock(self, run_id, county=county, wait_seconds=wait_seconds)

    def append(self, table: str, df: pl.DataFrame) -> int:
        """Append rows (e.g. steward decisions) whose columns all exist in the table, creating
        it when missing; returns the rows appended."""
        frame = to_sql_frame(df)
        with self._db.transaction() as con:
            existing = self._columns(con, table)
            forget(self, con, table)
            if existing is None:
                self._db.create(con, self._q(table), frame)
            else:
                unknown = [c for c in frame.columns if c not in existing]
                if unknown:
                    msg = f"cannot append to {table!r}: columns {unknown} are not in the table " \
                          f"(it has {list(existing)})"
                    raise ValueError(msg)
            self._db.load(con, self._q(table), frame)
        return frame.height

    def _read(self, con: Any, table: str, month: str | None,
              columns: Collection[str] | None = None) -> pl.DataFrame:
        schema = self._columns(con, table)
        if schema is None:
            msg = f"no table {table!r} in the {self.kind} warehouse " \
                  f"(have {self._table_names(con)})"
            raise KeyError(msg)
        if columns is not None:
            schema = pl.Schema({n: t for n, t in schema.items() if n in set(columns)})
        if not schema:
            return pl.DataFrame()
        listed = ", ".join(map(ident, schema)) if columns is not None else "*"
        where, params = month_filter(month)
        return self._db.fetch(con, f"SELECT {listed} FROM {self._q(table)}{where}", params,
                              schema)

    def read(self, table: str, month: str | None = None, *,
             columns: Collection[str] | None = None) -> pl.DataFrame:
        """A published table (or its ``month``, ``'YYYY-MM'``) as a polars frame of the stored
        dtypes, as last committed; with ``columns`` only those it has, in its order.

        Raises:
            KeyError: when the table does not exist.
        """
        with self._db.connect() as con:
            return self._read(con, table, month, columns)

    def count(self, table: str, month: str | None = None) -> int:
        """Rows of a table (or of its ``month``), counted in the warehouse; 0 for no table."""
        with self._db.connect() as con:
            where, params = month_filter(month)
            rows = self._columns(con, table) and self._db.execute(
                con, f"SELECT count(*) FROM {self._q(table)}{where}", params)
            return int(rows[0][0]) if rows else 0

    def read_many(self, tables: Mapping[str, str | None] | Collection[str], *,
                  county: str | None = None) -> Snapshot:
        """Several tables from ONE committed state, with the publication they belong to.

        On PostgreSQL the tables are locked (ACCESS SHARE, name order) before the REPEATABLE
        READ snapshot is taken, so a publication swapping them in meanwhile is seen whole or
        not at all; on DuckDB the transaction is such a snapshot.

        Args:
            tables: table names, or a mapping of table name to the month to read (or None).
            county: whose latest publication to report (None: the warehouse's own).

        Returns:
            The frames, and the latest published version and row of ``publication``.

        Raises:
            KeyError: when a table does not exist.
        """
        from pipelines.warehouse.publication import PUBLICATION, last_publication

        months = dict(tables) if isinstance(tables, Mapping) else dict.fromkeys(tables)
        present = set(self.tables())
        names = sorted(months)
        with self._db.transaction() as con:
            self._db.snapshot(con)
            locked = sorted(present & {*names, PUBLICATION})
            self._db.lock(con, [self._q(n) for n in locked], "ACCESS SHARE")
            frames = {n: self._read(con, n, months[n]) for n in names}
            last = last_publication(self, con, county)
        return Snapshot(frames, last.version if last else 0, last)

    def drop(self, table: str) -> None:
        """Drop a table if it exists."""
        with self._db.connect() as con:
            self._db.execute(con, f"DROP TABLE IF EXISTS {self._q(table)}")

    def drop_schema(self) -> None:
        """Drop the warehouse schema and everything in it (test clean-up; never ``public``)."""
        if self._db.schema in ("public", "main"):
            msg = f"refusing to drop the default schema {self._db.schema!r}"
            raise ValueError(msg)
        with self._db.connect() as con:
            self._db.execute(con, f"DROP SCHEMA IF EXISTS {ident(self._db.schema)} CASCADE")
