"""The village clinic list (村卫生室): each clinic placed in its village of the region table.

A clinic's village is its village column (name or code), else its name without 卫生室
(虹光村卫生室 -> 虹光村). A clinic no village of the region table matches is quarantined with
the place check; the others give each village its clinic count (``regions.clinics``), from
which the monthly tables compute clinic coverage.
"""

from __future__ import annotations

import polars as pl

from pipelines.extracts import Recognised, mapped_frame
from pipelines.ingest.rows import accounting_row, quarantine_rows, split_rows
from pipelines.normalise.places import PLACE_REASONS, resolve_places

CLINIC_COLUMNS = ("source_file", "sheet", "row_number", "clinic_name", "clinic_code",
                  "township_code", "village_code")
CLINIC_SCHEMA = {c: pl.Int64 if c == "row_number" else pl.String for c in CLINIC_COLUMNS}
REASONS = {**PLACE_REASONS, "clinic_name_missing": "no clinic name"}
_CLINIC_SUFFIX = r"(第[一二三四五六七八九十\d]+)?(村卫生室|卫生室|卫生所|医疗点)$"


def ingest_clinic_grid(rec: Recognised, regions: pl.DataFrame) -> tuple[pl.DataFrame, ...]:
    """The clinics of one recognised clinic-list grid.

    Args:
        rec: a grid recognised as ``village_clinic``.
        regions: the region table.

    Returns:
        (clinics: ``CLINIC_COLUMNS``, quarantine rows, accounting row).
    """
    mapped = mapped_frame(rec)
    rows, dropped = split_rows(mapped, "clinic_name")
    name = pl.col("clinic_name").str.strip_chars()
    from_name = name.str.replace(_CLINIC_SUFFIX, "")
    placed = resolve_places(rows.with_columns(
        pl.col("township").alias("township_in"),
        pl.coalesce(pl.col("village"), pl.when(from_name != name).then(from_name))
        .alias("village_in"),
        pl.col("village_code").alias("code_in"),
    ).drop("village_code"), regions)
    check = (pl.when(name.is_null()).then(pl.lit("clinic_name_missing"))
             .otherwise(pl.coalesce("place_check", pl.lit("village_unresolved"))))
    lost = placed.filter(pl.col("village_code").is_null() | name.is_null()).select(
        "row_number", pl.lit("village").alias("column"), check.alias("check"),
        check.replace_strict(REASONS, default="clinic without a village").alias("reason"),
        pl.coalesce("village_raw", "clinic_name").alias("value_masked"),
    )
    clinics = placed.join(lost, on="row_number", how="anti").select(
        pl.lit(rec.grid.source_file).alias("source_file"), pl.lit(rec.grid.sheet).alias("sheet"),
        "row_number", name.alias("clinic_name"),
        pl.col("clinic_code").str.strip_chars(), "township_code", "village_code",
    ).cast(CLINIC_SCHEMA)
    quarantine = quarantine_rows(pl.concat([dropped, lost]), rec.grid)
    return clinics, quarantine, accounting_row(rec, mapped.height, clinics.height,
                                               quarantine.height)


def with_clinic_counts(regions: pl.DataFrame, clinics: pl.DataFrame) -> pl.DataFrame:
    """The region table with ``clinics``: each village's clinic count (0 without; null above).

    Args:
        regions: the region table.
        clinics: ``CLINIC_COLUMNS`` rows.

    Returns:
        ``regions`` with the Int64 column ``clinics``.
    """
    counts = clinics.group_by("village_code").agg(pl.len().cast(pl.Int64).alias("clinics"))
    return regions.join(counts.rename({"village_code": "code"}), on="code", how="left",
                        maintain_order="left").with_columns(
        pl.when(pl.col("level") == "village").then(pl.col("clinics").fill_null(0))
        .alias("clinics"))
