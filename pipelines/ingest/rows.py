"""Rows that are not data (blank, totals), the quarantine they go to, and the accounting.

Per file and sheet, rows read should equal rows accepted + rows quarantined; ``accounting_row``
records the three figures as counted (it never raises) and ``unaccounted`` names the files and
sheets where they do not balance, for the ``rows_accounted`` check.
"""

from __future__ import annotations

import polars as pl

from pipelines.domain.identity import mask_ids_in_text
from pipelines.extracts import Recognised
from pipelines.read import Grid
from schemas.canonical import IngestAccounting
from schemas.contract import polars_schema
from schemas.published import Quarantine

TOTALS = r"^\s*(合|总|小|共)\s*计"
QUARANTINE_SCHEMA = polars_schema(Quarantine)
ACCOUNTING_SCHEMA = polars_schema(IngestAccounting)


def split_rows(mapped: pl.DataFrame, name_col: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Separate blank and totals rows (as quarantine) from the rest."""
    totals = (pl.col(name_col).str.contains(TOTALS).fill_null(False)
              | pl.col("_first").str.contains(TOTALS).fill_null(False))
    kind = (
        pl.when(pl.col("_cells") == 0).then(pl.lit("blank_row"))
        .when(totals).then(pl.lit("totals_row"))
    )
    tagged = mapped.with_columns(kind.alias("_drop"))
    dropped = tagged.filter(pl.col("_drop").is_not_null()).select(
        "row_number",
        pl.when(pl.col("_drop") == "totals_row").then(pl.lit(name_col)).alias("column"),
        pl.col("_drop").alias("check"),
        pl.when(pl.col("_drop") == "blank_row").then(pl.lit("blank row"))
        .otherwise(pl.lit("totals row (合计/总计/小计), not a person")).alias("reason"),
        pl.when(pl.col("_drop") == "totals_row")
        .then(pl.coalesce(pl.col(name_col), "_first")).alias("value_masked"),
    )
    if dropped.height == 0:
        return mapped, dropped
    return tagged.filter(pl.col("_drop").is_null()).drop("_drop"), dropped


def quarantine_rows(rows: pl.DataFrame, grid: Grid) -> pl.DataFrame:
    return rows.cast({"value_masked": pl.String}).select(
        pl.lit(grid.source_file).alias("source_file"), pl.lit(grid.sheet).alias("sheet"),
        "row_number", "column", "check", "reason", mask_ids_in_text(pl.col("value_masked")),
    ).cast(QUARANTINE_SCHEMA).sort("row_number")


def accounting_row(rec: Recognised, read: int, accepted: int, quarantined: int) -> pl.DataFrame:
    """The accounting row of one recognised grid (see :func:`grid_accounting`)."""
    return grid_accounting(rec.grid, rec.extract, read, accepted, quarantined)


def grid_accounting(grid: Grid, extract: str, read: int, accepted: int,
                    quarantined: int) -> pl.DataFrame:
    """The accounting row of one file and sheet, recorded as counted, balanced or not.

    Ingest never stops on an unbalanced count: the figures are the evidence the
    ``rows_accounted`` check (see ``unaccounted``) judges, so a lost or invented row shows up
    there, named by file and sheet, instead of as an exception that hides the figures.

    Args:
        grid: the file or sheet.
        extract: what it was recognised as (or why it was set aside).
        read: data rows read below the header.
        accepted: rows in the typed table.
        quarantined: rows in the quarantine.

    Returns:
        One row of ``IngestAccounting``.
    """
    return pl.DataFrame(
        [[grid.source_file, grid.sheet, extract, read, accepted, quarantined]],
        schema=ACCOUNTING_SCHEMA, orient="row",
    )


def unaccounted(accounting: pl.DataFrame) -> pl.DataFrame:
    """The accounting rows whose rows read differ from rows accepted + rows quarantined.

    Args:
        accounting: ``IngestAccounting`` rows.

    Returns:
        The unbalanced rows with ``rows_unaccounted`` (read - accepted - quarantined; negative
        when rows were invented).
    """
    return accounting.with_columns(
        rows_unaccounted=pl.col("rows_read") - pl.col("rows_accepted") - pl.col("rows_quarantined")
    ).filter(pl.col("rows_unaccounted") != 0)


def concat_or_empty(frames: list[pl.DataFrame], schema: dict) -> pl.DataFrame:
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


