"""Tables a run would publish exactly as the warehouse holds them already: only restamped.

A night often publishes some table (a month's slice of it) with the very rows, in the same
order and with the same columns, that an earlier run published; writing it again costs the
whole insert and its compression at the commit. ``publish_run(..., skip_unchanged=True)``
only restamps such a table: its rows get the run's ``run_id`` and ``published_at`` in place
(``restamp``), so every row still carries the publication it belongs to, and the rows stay
in their order. What the warehouse holds is recorded in the internal table
``_sanji_content``, one row per table and month slice (``month`` null: a table replaced whole):
the content hash of the rows as the run ``run_id`` stamped them, and their count. The row is
written in the same transaction as the rows it describes (a failed or killed publication rolls
both back), and every other write of the table (``Warehouse.publish``, ``append``, a month
slice merged into a table whose columns changed) deletes the table's rows of it first.

A table is only restamped when all of these hold, else it is written as before:

- the recorded hash of the table's slice (the same table and month) equals tonight's:
  SHA-256 over the polars version, the column names and stored dtypes in order, the row count
  and polars' 64-bit hash of every row in order, with ``run_id`` and ``published_at`` left
  out (they are the run's stamps, not content; ``month`` and ``county`` are in);
- the live table has exactly tonight's columns (names, order and dtypes);
- the slice holds exactly the recorded count of rows, every one stamped with the recorded run
  (a writer that went around this module stamps its own run, or changes the count).

Two different contents collide only when a row's 64-bit hash does, at the same position, and
the other rows too: with 1e6 rows a chance of ~1e-13 per changed row.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import polars as pl

from pipelines.warehouse.backends import ident, month_filter

if TYPE_CHECKING:
    from pipelines.warehouse.tables import Warehouse

CONTENT = "_sanji_content"  # internal: not listed by ``Warehouse.tables``
_DDL = "table_name TEXT NOT NULL, month TEXT, content TEXT NOT NULL, rows BIGINT NOT NULL, " \
       "run_id TEXT NOT NULL"
STAMPS = ("run_id", "published_at")


def content_hash(frame: pl.DataFrame) -> str:
    """The hash of a stamped frame's content (see the module): stamps left out, order in."""
    body = frame.drop([c for c in STAMPS if c in frame.columns])
    digest = hashlib.sha256(f"polars {pl.__version__}|{body.height}|".encode())
    digest.update(repr([(n, str(t)) for n, t in body.schema.items()]).encode())
    if body.width and body.height:
        digest.update(body.hash_rows(seed=0).to_numpy().tobytes())
    return digest.hexdigest()


def forget(wh: Warehouse, con: Any, table: str) -> None:
    """Drop what is recorded of ``table``'s content (its rows are being written otherwise)."""
    if wh._columns(con, CONTENT) is not None:
        wh._db.execute(con, f"DELETE FROM {wh._q(CONTENT)} WHERE table_name = ?", (table,))


def remember(wh: Warehouse, con: Any, table: str, month: str | None, content: str, rows: int,
             run_id: str) -> None:
    """Record that ``table``'s slice ``month`` now holds ``content`` written by ``run_id``."""
    if wh._columns(con, CONTENT) is None:
        wh._db.execute(con, f"CREATE TABLE IF NOT EXISTS {wh._q(CONTENT)} ({_DDL})")
    wh._db.execute(con, f"DELETE FROM {wh._q(CONTENT)} WHERE table_name = ? "
                        "AND month IS NOT DISTINCT FROM ?", (table, month))
    wh._db.execute(con, f"INSERT INTO {wh._q(CONTENT)} (table_name, month, content, rows, "
                        "run_id) VALUES (?, ?, ?, ?, ?)", (table, month, content, rows, run_id))


def restamp(wh: Warehouse, con: Any, table: str, month: str | None,
            frame: pl.DataFrame) -> None:
    """Stamp the rows of ``table``'s slice ``month`` (which hold ``frame``'s content) with
    ``frame``'s run and publication time: in place, in their order, ~0.1 CPU s per million
    rows in DuckDB (a rewrite costs ~3 s)."""
    if not frame.height:
        return
    where, params = month_filter(month)
    wh._db.execute(con, f"UPDATE {wh._q(table)} SET {ident('run_id')} = ?, "
                        f"{ident('published_at')} = ?{where}",
                   (frame["run_id"][0], frame["published_at"][0], *params))


def unchanged(wh: Warehouse, con: Any, table: str, month: str | None, frame: pl.DataFrame,
              content: str) -> bool:
    """Whether the warehouse holds ``frame`` (hashed ``content``) as ``table``'s slice
    ``month`` already, by every test of the module (inside the publication's transaction)."""
    if wh._columns(con, CONTENT) is None or wh._columns(con, table) != frame.schema:
        return False
    found = wh._db.execute(con, f"SELECT content, rows, run_id FROM {wh._q(CONTENT)} "
                                "WHERE table_name = ? AND month IS NOT DISTINCT FROM ?",
                           (table, month))
    if len(found) != 1 or found[0][0] != content:
        return False
    _, rows, run_id = found[0]
    where, params = month_filter(month)
    count, low, high = wh._db.execute(
        con, f"SELECT count(*), min({ident('run_id')}), max({ident('run_id')}) "
             f"FROM {wh._q(table)}{where}", params)[0]
    return count == rows and (rows == 0 or low == high == run_id)


__all__ = ["CONTENT", "content_hash", "forget", "remember", "restamp", "unchanged"]
