"""The two warehouse backends, DuckDB and PostgreSQL, behind one small interface.

Each backend opens connections and transactions, runs SQL with ``?`` placeholders, bulk-loads a
polars frame (PostgreSQL ``COPY … FROM STDIN`` as CSV, DuckDB through Arrow) and fetches a query
as a typed frame. DuckDB files are opened per operation (not held between calls; within
``holding()`` one connection serves a few operations in a row), waiting up to a minute while
another process holds the file; DuckDB stores mostly distinct text with zstd
(``distinct_text``). PostgreSQL adds what DuckDB does not need: explicit
table locks (``lock``) so that a publication's swaps and a reader's snapshot take their locks in
one order (see ``pipelines.warehouse.publication``), and REPEATABLE READ snapshots (DuckDB's
transactions, catalog included, are snapshots already).

Polars dtypes map to SQL as ``SQL_TYPES``; ``List(String)`` is joined with ``,`` into text;
other integer and float widths widen to BIGINT / DOUBLE PRECISION. Frames read back as the same
polars dtypes on both backends.
"""

from __future__ import annotations

import io
import re
import time
import uuid
from collections.abc import Collection, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

SQL_TYPES: dict[type[pl.DataType], str] = {
    pl.String: "TEXT",
    pl.Int64: "BIGINT",
    pl.Float64: "DOUBLE PRECISION",
    pl.Boolean: "BOOLEAN",
    pl.Date: "DATE",
    pl.Datetime: "TIMESTAMP",
}
# information_schema data_type (lower-case, both backends) -> polars dtype
POLARS_TYPES: dict[str, pl.DataType] = {
    "text": pl.String(), "varchar": pl.String(), "character varying": pl.String(),
    "bigint": pl.Int64(), "integer": pl.Int64(), "int64": pl.Int64(),
    "double": pl.Float64(), "double precision": pl.Float64(), "float": pl.Float64(),
    "boolean": pl.Boolean(), "date": pl.Date(),
    "timestamp": pl.Datetime("us"), "timestamp without time zone": pl.Datetime("us"),
}
RUN_COLUMNS = ("run_id", "month", "published_at")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_COPY_CHUNK = 200_000
# DuckDB inserts a frame on this many threads. A parallel insert writes a partial row group per
# thread, each compressed on its own: at 500k people ``person`` and ``person_source`` cost ~40 %
# more CPU and ~50 % more file than on one thread (on 2 cores, no faster either); the rows are
# the same, in the same order.
LOAD_THREADS = 1
# What a DuckDB file's transaction may keep in memory: beyond it DuckDB writes the new blocks to
# the file as it loads them. Unbounded, it held every block of a publication to its commit:
# at 1M people the publication's peak 0.5 GB higher (2.07 against 1.52 GB in process) and its
# commit 0.75-0.8 CPU s against 0.33; the file and the rows are the same.
TRANSACTION_MEMORY = "512MB"
# Text columns of mostly distinct values (person and record ids, ID numbers, the golden record's
# field sources) are stored with zstd in DuckDB. Its automatic choice for them, DICT_FSST,
# builds a dictionary that holds every value again and analyses each segment first: at 500k
# people ``person``, ``person_id_map`` and ``person_source`` cost ~30 % less CPU to insert and
# commit with zstd and the file is ~15 % smaller (the long field sources and record ids shrink,
# the short ids grow). A column is such when ~DISTINCT_TEXT_SHARE of its rows are distinct
# (others, like codes and names of places, compress far better as a dictionary), in a table
# of at least a row group (a small one costs nothing and a zstd segment is large).
DISTINCT_TEXT_SHARE = 0.2
DISTINCT_TEXT_MIN_ROWS = 122_880


def ident(name: str) -> str:
    """A quoted SQL identifier; only plain names are allowed."""
    if not _NAME.match(name):
        msg = f"not a valid table/column/schema name: {name!r} (letters, digits, _ only)"
        raise ValueError(msg)
    return f'"{name}"'


def to_sql_frame(df: pl.DataFrame) -> pl.DataFrame:
    """Cast a frame to the dtypes the warehouse stores (see ``SQL_TYPES``).

    Args:
        df: any frame of supported dtypes.

    Returns:
        The frame with lists joined to text, ints/floats widened, datetimes naive UTC in µs.

    Raises:
        TypeError: naming the column whose dtype has no SQL mapping.
    """
    casts = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.List):
            casts.append(col.cast(pl.List(pl.String)).list.join(","))
        elif dtype.is_integer():
            casts.append(col.cast(pl.Int64))
        elif dtype.is_float():
            casts.append(col.cast(pl.Float64))
        elif isinstance(dtype, pl.Datetime):
            if dtype.time_zone is not None:
                col = col.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            casts.append(col.cast(pl.Datetime("us")))
        elif dtype in (pl.Null, pl.Categorical) or isinstance(dtype, pl.Enum):
            casts.append(col.cast(pl.String))
        elif type(dtype) not in SQL_TYPES:
            msg = f"column {name!r} has dtype {dtype}, which the warehouse cannot store"
            raise TypeError(msg)
    return df.with_columns(casts) if casts else df


def month_filter(month: str | None) -> tuple[str, tuple[str, ...]]:
    """The ``WHERE`` clause (with its leading space) and parameters that keep one month's
    rows of a table; nothing for ``month`` None (the whole table)."""
    return (" WHERE month = ?", (month,)) if month is not None else ("", ())


def _constants(df: pl.DataFrame) -> dict[str, Any]:
    """The stamps (``RUN_COLUMNS``, ``county``) of ``df`` that hold one value, not null, in
    every row: inserting a value once per column instead of scanning an Arrow column of a
    million equal strings saves ~0.1 CPU s per million rows and column in DuckDB."""
    out = {}
    for name in (*RUN_COLUMNS, "county"):
        if name not in df.columns or not df.height or type(df.schema[name]) not in SQL_TYPES:
            continue
        column = df[name]
        first = column[0]
        if first is not None and column.null_count() == 0 and (column == first).all():
            out[name] = first
    return out if len(out) < df.width else {}  # the rows come from the Arrow view


def _from_text(name: str, dtype: pl.DataType) -> pl.Expr:
    """Parse a PostgreSQL CSV text column back to its polars dtype."""
    col = pl.col(name)
    if dtype == pl.Boolean:
        return (col == "t").alias(name).cast(pl.Boolean)
    if dtype == pl.Date:
        return col.str.to_date("%Y-%m-%d").alias(name)
    if isinstance(dtype, pl.Datetime):
        return col.str.to_datetime(time_unit="us").alias(name)
    return col.cast(dtype).alias(name)


def columns_sql(schema: pl.Schema, zstd: Collection[str] = ()) -> str:
    """The column list of a ``CREATE TABLE`` (``zstd``: columns stored with zstd, DuckDB)."""
    return ", ".join(f"{ident(n)} {SQL_TYPES[type(t)]}"
                     + (" USING COMPRESSION zstd" if n in zstd else "")
                     for n, t in schema.items())


def distinct_text(df: pl.DataFrame) -> set[str]:
    """The text columns of ``df`` whose values are mostly distinct (``DISTINCT_TEXT_SHARE``,
    estimated: ~10 ms per million values), none in a table smaller than a row group."""
    texts = [n for n, t in df.schema.items() if t == pl.String]
    if df.height < DISTINCT_TEXT_MIN_ROWS or not texts:
        return set()
    counts = df.select(pl.col(texts).approx_n_unique()).row(0, named=True)
    return {n for n in texts if counts[n] >= DISTINCT_TEXT_SHARE * df.height}


def _duck_connect(path: str, wait_seconds: float = 60.0) -> Any:
    """Open a DuckDB file, waiting while another process holds its lock (parallel steps)."""
    import duckdb

    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    while True:
        try:
            return duckdb.connect(path)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


class _Holding:
    """``connect`` gives the held connection inside ``holding()``, else a new one (``_open``)."""

    _held: Any = None

    def _open(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    @contextmanager
    def connect(self) -> Iterator[Any]:
        if self._held is not None:
            yield self._held
            return
        with self._open() as con:
            yield con

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Within: every operation uses one connection, opened once (a few reads in a row,
        such as the CLI's summary: each DuckDB connection reads the file's catalog again)."""
        if self._held is not None:
            yield
            return
        with self._open() as con:
            self._held = con
            try:
                yield
            finally:
                self._held = None


@dataclass
class DuckBackend(_Holding):
    """DuckDB backend: a connection per operation (the file is not held open between calls)."""

    path: str
    schema: str
    _memory: Any = None

    @contextmanager
    def _open(self) -> Iterator[Any]:
        import duckdb

        if self.path == ":memory:":
            self._memory = self._memory or duckdb.connect(":memory:")
            yield self._memory
            return
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = _duck_connect(self.path)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """One transaction; a file's (not ``:memory:``'s, which has nowhere to write blocks)
        within ``TRANSACTION_MEMORY``."""
        with self.connect() as con:
            bounded = self.path != ":memory:"
            if bounded:
                con.execute(f"SET memory_limit = '{TRANSACTION_MEMORY}'")
            try:
                con.execute("BEGIN TRANSACTION")
                try:
                    yield con
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
            finally:
                if bounded:
                    with suppress(Exception):  # an error in flight matters more
                        con.execute("RESET memory_limit")

    def execute(self, con: Any, sql: str, params: tuple = ()) -> list[tuple]:
        cur = con.execute(sql, params)
        return cur.fetchall() if cur.description else []

    def create(self, con: Any, table: str, df: pl.DataFrame) -> None:
        """Create ``table`` (qualified) for ``df``'s columns; mostly distinct text with zstd
        (``distinct_text``)."""
        con.execute(f"CREATE TABLE {table} ({columns_sql(df.schema, distinct_text(df))})")

    def load(self, con: Any, table: str, df: pl.DataFrame) -> None:
        """Insert through Arrow (no copy of the strings), on one thread (``LOAD_THREADS``);
        a stamp holding one value in every row (``_constants``) as a parameter."""
        view = f"_sanji_src_{uuid.uuid4().hex[:8]}"
        if self.path != ":memory:":  # the connection is this operation's own
            con.execute(f"SET threads = {LOAD_THREADS}")
        constants = _constants(df)
        # string views as Arrow's string_view, which DuckDB scans as they are (the default
        # large_string copies every string first: ~0.2 CPU s per million rows and column set)
        con.register(view, df.drop(list(constants)).to_arrow(
            compat_level=pl.CompatLevel.newest()))
        try:
            cols = ", ".join(ident(c) for c in df.columns)
            values = ", ".join(
                f"CAST(? AS {SQL_TYPES[type(df.schema[c])]})" if c in constants else ident(c)
                for c in df.columns)
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {values} FROM {view}",
                        [constants[c] for c in df.columns if c in constants])
        finally:
            con.unregister(view)

    def fetch(self, con: Any, sql: str, params: tuple, schema: pl.Schema) -> pl.DataFrame:
        out = con.sql(sql, params=params or None).pl()
        return out.cast(dict(schema)) if out.schema != schema else out

    def lock(self, con: Any, tables: list[str], mode: str) -> None:
        """No-op: one process writes a DuckDB file, and its catalog is versioned per transaction."""

    def snapshot(self, con: Any) -> None:
        """No-op: a DuckDB transaction reads one snapshot, catalog included."""


@dataclass
class PostgresBackend(_Holding):
    """PostgreSQL backend (psycopg 3), bulk load with COPY."""

    url: str
    schema: str

    @contextmanager
    def _open(self) -> Iterator[Any]:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as con:
            yield con

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self.connect() as con, con.transaction():
            yield con

    def execute(self, con: Any, sql: str, params: tuple = ()) -> list[tuple]:
        cur = con.execute(sql.replace("?", "%s"), params)
        return cur.fetchall() if cur.description else []

    def create(self, con: Any, table: str, df: pl.DataFrame) -> None:
        """Create ``table`` (qualified) for ``df``'s columns."""
        self.execute(con, f"CREATE TABLE {table} ({columns_sql(df.schema)})")

    def load(self, con: Any, table: str, df: pl.DataFrame) -> None:
        cols = ", ".join(ident(c) for c in df.columns)
        with con.cursor().copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT csv)") as copy:
            for chunk in df.iter_slices(_COPY_CHUNK):
                copy.write(chunk.write_csv(include_header=False, null_value="").encode())

    def fetch(self, con: Any, sql: str, params: tuple, schema: pl.Schema) -> pl.DataFrame:
        """Read with ``COPY (query) TO STDOUT`` as CSV (NULL unquoted, '' quoted), then type."""
        from psycopg import sql as pgsql

        query = pgsql.SQL(sql.replace("?", "{}")).format(*(pgsql.Literal(p) for p in params))
        statement = pgsql.SQL("COPY ({}) TO STDOUT (FORMAT csv)").format(query)
        buf = io.BytesIO()
        with con.cursor().copy(statement) as copy:
            for block in copy:
                buf.write(block)
        text = pl.read_csv(buf.getvalue(), has_header=False, new_columns=list(schema),
                           schema=dict.fromkeys(schema, pl.String()))
        return text.select(_from_text(n, t) for n, t in schema.items())

    def lock(self, con: Any, tables: list[str], mode: str) -> None:
        """Inside a transaction: lock the (qualified) tables, in the order given, in ``mode``."""
        if tables:
            self.execute(con, f"LOCK TABLE {', '.join(tables)} IN {mode} MODE")

    def snapshot(self, con: Any) -> None:
        """Inside a transaction, before any query: read one snapshot (REPEATABLE READ)."""
        self.execute(con, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
