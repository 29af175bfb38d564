"""Landing folder to typed extract tables, regions, quarantine, field issues and accounting.

A bad field is not a bad row: field problems become ``field_issue`` rows and the row goes on.
A row goes to ``quarantine`` only when it cannot stand for a person (blank, a totals row, no
name and no usable ID). Per file and sheet, rows_read should equal rows_accepted +
rows_quarantined: ``accounting`` records the figures as counted and ``unaccounted`` names the
files and sheets where they do not balance (the ``rows_accounted`` check), ingest never raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import polars as pl

from pipelines.ingest.grids import Ingested, empty_table, ingest_extract, ingest_region_grid
from pipelines.ingest.landing import ingest_landing
from pipelines.ingest.rows import unaccounted
from pipelines.landing import MAPPING_FILE
from schemas.canonical import COMMON_COLUMNS

if TYPE_CHECKING:
    from pipelines.warehouse.staging import FrameFile, FrameParts

__all__ = ["MAPPING_FILE", "Ingested", "empty_table", "ingest_extract", "ingest_landing",
           "ingest_region_grid", "person_record_parts", "person_records", "unaccounted"]


def person_records(tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """The COMMON_COLUMNS of all extract tables, one row per accepted input row.

    Args:
        tables: extract name -> table, e.g. ``ingest_landing(...).tables``.

    Returns:
        The concatenated records.
    """
    return pl.concat([t.select(COMMON_COLUMNS) for t in tables.values()])


def person_record_parts(stored: Mapping[str, FrameFile]) -> FrameParts:
    """:func:`person_records` of extract tables already stored as parquet files: the
    COMMON_COLUMNS of each file, in ``stored``'s order, neither read nor written again (the
    IO manager links the files; a reader reads only those columns, ``staging.read_frame``).

    Raises:
        ValueError: naming the extract and its file when it lacks a common column, or holds
            one as another type than the first extract does (the tables could not be
            concatenated).
    """
    from pipelines.warehouse.staging import FrameParts

    first: dict[str, pl.DataType] = {}
    for name, table in stored.items():
        schema = pl.read_parquet_schema(table.path)
        if missing := [c for c in COMMON_COLUMNS if c not in schema]:
            msg = f"person_records: extract {name} ({table.path}) lacks column(s) {missing}"
            raise ValueError(msg)
        common = {c: schema[c] for c in COMMON_COLUMNS}
        first = first or common
        if other := [f"{c}: {t} (not {first[c]})" for c, t in common.items() if t != first[c]]:
            msg = f"person_records: extract {name} ({table.path}) holds {', '.join(other)}"
            raise ValueError(msg)
    return FrameParts(tuple(t.path for t in stored.values()), tuple(COMMON_COLUMNS),
                      sum(t.rows for t in stored.values()))
