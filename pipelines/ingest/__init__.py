"""Landing folder to typed extract tables, regions, quarantine, field issues and accounting.

A bad field is not a bad row: field problems become ``field_issue`` rows and the row goes on.
A row goes to ``quarantine`` only when it cannot stand for a person (blank, a totals row, no
name and no usable ID). Per file and sheet, rows_read should equal rows_accepted +
rows_quarantined: ``accounting`` records the figures as counted and ``unaccounted`` names the
files and sheets where they do not balance (the ``rows_accounted`` check), ingest never raises.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from pipelines.ingest.grids import Ingested, empty_table, ingest_extract, ingest_region_grid
from pipelines.ingest.landing import ingest_landing
from pipelines.ingest.rows import unaccounted
from pipelines.landing import MAPPING_FILE
from schemas.canonical import COMMON_COLUMNS

__all__ = ["MAPPING_FILE", "Ingested", "empty_table", "ingest_extract", "ingest_landing",
           "ingest_region_grid", "person_records", "unaccounted"]


def person_records(tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """The COMMON_COLUMNS of all extract tables, one row per accepted input row.

    Args:
        tables: extract name -> table, e.g. ``ingest_landing(...).tables``.

    Returns:
        The concatenated records.
    """
    return pl.concat([t.select(COMMON_COLUMNS) for t in tables.values()])
