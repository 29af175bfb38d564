"""Publishing frames to a warehouse: DuckDB by default, PostgreSQL by URL; atomic replaces.

``Warehouse.from_url`` takes a DuckDB file path (``out/sanji.duckdb``, ``duckdb:///abs/path``,
``:memory:``) or a PostgreSQL URL (``postgresql://user@host:5432/db``, psycopg 3).

``publish`` adds ``run_id``, ``month`` (nullable text) and ``published_at`` (UTC, naive) and
either replaces the whole table (a staging table is loaded, then the old table is dropped and
the stage renamed, all in ONE transaction: readers see the old table or the new one, never
half) or, with ``month``, replaces only that month's rows (delete + insert in one transaction).
When a month slice arrives with different columns, the table is rebuilt (other months kept,
missing columns null) by the same atomic swap. PostgreSQL loads with ``COPY … FROM STDIN``
(CSV), DuckDB through Arrow. DuckDB files are opened per operation (not held between calls),
waiting up to a minute while a parallel step holds the file lock.

Polars dtypes map to SQL as ``SQL_TYPES``; ``List(String)`` is joined with ``,`` into text;
other integer and float widths widen to BIGINT / DOUBLE PRECISION. Frames read back as the same
polars dtypes on both backends.
"""

from __future__ import annotations

import io
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
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


def _ident(name: str) -> str:
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


def _columns_sql(schema: pl.Schema) -> str:
    return ", ".join(f"{_ident(n)} {SQL_TYPES[type(t)]}" for n, t in schema.items())


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


@dataclass
class _Duck:
    """DuckDB backend: a connection per operation (the file is not held open between calls)."""

    path: str
    schema: str
    _memory: Any = None

    @contextmanager
    def connect(self) -> Iterator[Any]:
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
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def execute(self, con: Any, sql: str, params: tuple = ()) -> list[tuple]:
        cur = con.execute(sql, params)
        return cur.fetchall() if cur.description else []

    def load(self, con: Any, table: str, df: pl.DataFrame) -> None:
        view = f"_sanji_src_{uuid.uuid4().hex[:8]}"
        con.register(view, df.to_arrow())
        try:
            cols = ", ".join(_ident(c) for c in df.columns)
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {view}")
        finally:
            con.unregister(view)

    def fetch(self, con: Any, sql: str, params: tuple, schema: pl.Schema) -> pl.DataFrame:
        out = con.sql(sql, params=params or None).pl()
        return out.cast(dict(schema)) if out.schema != schema else out


@dataclass
class _Postgres:
    """PostgreSQL backend (psycopg 3), bulk load with COPY."""

    url: str
    schema: str

    @contextmanager
    def connect(self) -> Iterator[Any]:
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

    def load(self, con: Any, table: str, df: pl.DataFrame) -> None:
        cols = ", ".join(_ident(c) for c in df.columns)
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


class Warehouse:
    """Where published tables live. Build with ``Warehouse.from_url``.

    Examples:
        >>> wh = Warehouse.from_url(":memory:")
        >>> wh.publish("person", pl.DataFrame({"person_id": ["P1"]}), run_id="r1")
        1
        >>> wh.read("person")["person_id"].to_list()
        ['P1']
    """

    def __init__(self, backend: _Duck | _Postgres) -> None:
        self._db = backend
        self.kind = "duckdb" if isinstance(backend, _Duck) else "postgresql"

    @classmethod
    def from_url(cls, url_or_path: str | Path, *, schema: str | None = None) -> Warehouse:
        """A warehouse for a DuckDB path / ``duckdb://`` URL or a ``postgresql://`` URL.

        Args:
            url_or_path: ``out/sanji.duckdb``, ``duckdb:///abs/x.duckdb``, ``:memory:``, or
                ``postgresql://user@host:port/db``.
            schema: SQL schema for the tables (created when missing); default ``main`` for
                DuckDB, ``public`` for PostgreSQL.

        Returns:
            The warehouse.
        """
        text = str(url_or_path)
        if text.startswith(("postgresql://", "postgres://")):
            backend: _Duck | _Postgres = _Postgres(text, schema or "public")
        elif "://" in text and not text.startswith("duckdb://"):
            msg = f"unsupported warehouse URL scheme in {text.split('://')[0]!r}: " \
                  "use a DuckDB path, duckdb:///path or postgresql://…"
            raise ValueError(msg)
        else:
            backend = _Duck(text.removeprefix("duckdb://") or ":memory:", schema or "main")
        _ident(backend.schema)
        wh = cls(backend)
        with backend.connect() as con:
            backend.execute(con, f"CREATE SCHEMA IF NOT EXISTS {_ident(backend.schema)}")
        return wh

    def _q(self, table: str) -> str:
        return f"{_ident(self._db.schema)}.{_ident(table)}"

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

    def tables(self) -> list[str]:
        """Names of the tables in the warehouse schema, sorted."""
        with self._db.connect() as con:
            rows = self._db.execute(
                con,
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
                "AND table_type = 'BASE TABLE'",
                (self._db.schema,),
            )
        return sorted(r[0] for r in rows if "__stage_" not in r[0])

    def has_table(self, name: str) -> bool:
        """Whether table ``name`` exists."""
        return name in self.tables()

    def _create(self, con: Any, table: str, df: pl.DataFrame) -> None:
        self._db.execute(con, f"CREATE TABLE {self._q(table)} ({_columns_sql(df.schema)})")

    def _swap_in(self, con: Any, table: str, df: pl.DataFrame) -> None:
        """Inside an open transaction: load a stage table, drop the old, rename the stage."""
        stage = f"{table[:40]}__stage_{uuid.uuid4().hex[:8]}"
        self._create(con, stage, df)
        self._db.load(con, self._q(stage), df)
        self._db.execute(con, f"DROP TABLE IF EXISTS {self._q(table)}")
        self._db.execute(con, f"ALTER TABLE {self._q(stage)} RENAME TO {_ident(table)}")

    def publish(self, table: str, df: pl.DataFrame, *, run_id: str,
                month: str | None = None) -> int:
        """Replace a table (or one month's slice of it) atomically.

        Args:
            table: table name.
            df: the rows; ``run_id``/``published_at`` columns are overwritten; a ``month``
                column must agree with ``month`` (kept as is when ``month`` is None).
            run_id: the pipeline run that produced them.
            month: ``'YYYY-MM'`` to replace only that month's rows; None replaces the table.

        Returns:
            Rows written.
        """
        if month is not None and not re.fullmatch(r"\d{4}-\d{2}", month):
            msg = f"month must look like 'YYYY-MM', got {month!r}"
            raise ValueError(msg)
        month_col = _month_column(df, month, table)
        stamped = to_sql_frame(
            df.with_columns(month_col.alias("__month"))
            .drop(RUN_COLUMNS, strict=False)
            .with_columns(
                run_id=pl.lit(run_id, pl.String),
                month=pl.col("__month"),
                published_at=pl.lit(datetime.now(UTC).replace(tzinfo=None), pl.Datetime("us")),
            )
            .drop("__month")
        )
        with self._db.transaction() as con:
            existing = self._columns(con, table)
            if month is None or existing is None:
                if month is None:
                    self._swap_in(con, table, stamped)
                else:
                    self._create(con, table, stamped)
                    self._db.load(con, self._q(table), stamped)
            elif existing == stamped.schema:
                self._db.execute(con, f"DELETE FROM {self._q(table)} WHERE month = ?", (month,))
                self._db.load(con, self._q(table), stamped)
            else:
                others = self._db.fetch(
                    con, f"SELECT * FROM {self._q(table)} WHERE month IS DISTINCT FROM ?",
                    (month,), existing,
                )
                merged = pl.concat([stamped, others], how="diagonal_relaxed")
                self._swap_in(con, table, to_sql_frame(merged))
        return stamped.height

    def append(self, table: str, df: pl.DataFrame) -> int:
        """Append rows (e.g. steward decisions), creating the table when missing.

        Args:
            table: table name.
            df: rows whose columns all exist in the table (when it exists).

        Returns:
            Rows appended.
        """
        frame = to_sql_frame(df)
        with self._db.transaction() as con:
            existing = self._columns(con, table)
            if existing is None:
                self._create(con, table, frame)
            else:
                unknown = [c for c in frame.columns if c not in existing]
                if unknown:
                    msg = f"cannot append to {table!r}: columns {unknown} are not in the table " \
                          f"(it has {list(existing)})"
                    raise ValueError(msg)
            self._db.load(con, self._q(table), frame)
        return frame.height

    def read(self, table: str, month: str | None = None) -> pl.DataFrame:
        """A published table (or one month of it) as a polars frame.

        Args:
            table: table name.
            month: ``'YYYY-MM'`` to read only that month.

        Returns:
            The rows, with the stored dtypes.

        Raises:
            KeyError: when the table does not exist.
        """
        with self._db.connect() as con:
            schema = self._columns(con, table)
            if schema is None:
                msg = f"no table {table!r} in the {self.kind} warehouse (have {self.tables()})"
                raise KeyError(msg)
            sql, params = f"SELECT * FROM {self._q(table)}", ()
            if month is not None:
                sql, params = sql + " WHERE month = ?", (month,)
            return self._db.fetch(con, sql, params, schema)

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
            self._db.execute(con, f"DROP SCHEMA IF EXISTS {_ident(self._db.schema)} CASCADE")
