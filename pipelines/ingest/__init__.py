"""Landing folder to typed extract tables, regions, quarantine, field issues and accounting.

A bad field is not a bad row: field problems become ``field_issue`` rows and the row goes on.
A row goes to ``quarantine`` only when it cannot stand for a person (blank, a totals row, no
name and no usable ID). Per file and sheet, rows_read should equal rows_accepted +
rows_quarantined: ``accounting`` records the figures as counted and ``unaccounted`` names the
files and sheets where they do not balance (the ``rows_accounted`` check), ingest never raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from pipelines.domain.extracts import CLINICS, EXTRACTS
from pipelines.domain.identity import mask_id
from pipelines.extracts import (
    RECOGNITION_SCHEMA,
    REGIONS,
    HeaderMapping,
    Recognised,
    mapped_frame,
    recognise,
    recognition_frame,
)
from pipelines.ingest.clinics import CLINIC_SCHEMA, ingest_clinic_grid, with_clinic_counts
from pipelines.ingest.issues import ISSUE_SCHEMA, issue_rows, schema_issues, validate_raw
from pipelines.ingest.rows import (
    ACCOUNTING_SCHEMA,
    QUARANTINE_SCHEMA,
    accounting_row,
    concat_or_empty,
    quarantine_rows,
    split_rows,
    unaccounted,
)
from pipelines.ingest.typed import typed_frame
from pipelines.landing import MAPPING_FILE
from pipelines.normalise.places import build_regions, clean_code
from pipelines.read import read_grids
from schemas.canonical import COMMON_COLUMNS, IngestFiles, Regions, table_schema
from schemas.contract import polars_schema
from schemas.raw import RAW_MODELS, RawRegions

__all__ = ["MAPPING_FILE", "Ingested", "empty_table", "ingest_extract", "ingest_landing",
           "ingest_regions", "person_records", "unaccounted"]
FILES_SCHEMA = polars_schema(IngestFiles)
REGION_SCHEMA = polars_schema(Regions)


@dataclass
class Ingested:
    """Everything ingest produces (see docs/design.md §2).

    ``recognition`` holds every header decision (``pipelines.extracts.recognition_frame``):
    which header became which field of which extract, and how. ``clinics`` is the village
    clinic list when one landed (then ``regions`` carries each village's clinic count in
    ``clinics``; without a list it has no such column).
    """

    tables: dict[str, pl.DataFrame]
    regions: pl.DataFrame
    quarantine: pl.DataFrame
    field_issue: pl.DataFrame
    accounting: pl.DataFrame
    files: pl.DataFrame
    recognition: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=RECOGNITION_SCHEMA))
    clinics: pl.DataFrame | None = None


def empty_table(extract: str) -> pl.DataFrame:
    """An empty typed extract table.

    Args:
        extract: extract name.

    Returns:
        Zero-row frame with the table's schema.
    """
    return pl.DataFrame(schema=table_schema(extract))


def ingest_extract(rec: Recognised, regions: pl.DataFrame,
                   as_of: date | None = None) -> tuple[pl.DataFrame, ...]:
    """Ingest one recognised extract grid.

    Args:
        rec: the recognised grid.
        regions: the region table.
        as_of: the day the data is read as of (no one is born after it); None for today.

    Returns:
        (typed table, quarantine rows, field-issue rows, accounting row).
    """
    mapped = mapped_frame(rec)
    rows, dropped = split_rows(mapped, "name")
    validate_raw(RAW_MODELS[rec.extract], rows, rec.grid)
    typed = typed_frame(rows, rec, regions, as_of)
    no_person = pl.col("name").is_null() & pl.col("id_number").is_null()
    lost = typed.filter(no_person).select(
        "row_number", pl.lit("name").alias("column"), pl.lit("no_identity").alias("check"),
        pl.lit("no name and no usable identity number: cannot stand for a person")
        .alias("reason"),
        pl.coalesce(mask_id(pl.col("id_raw")), "name_raw").alias("value_masked"),
    )
    kept = typed.filter(~no_person) if lost.height else typed
    issues = issue_rows(kept, rec.extract)
    table = kept.select(list(table_schema(rec.extract)))
    issues = pl.concat([issues, schema_issues(table, rec.extract)]).unique(
        ["record_id", "column", "check"], maintain_order=True
    )
    quarantine = quarantine_rows(pl.concat([dropped, lost]), rec.grid)
    accounting = accounting_row(rec, mapped.height, table.height, quarantine.height)
    return table, quarantine, issues, accounting


def ingest_regions(recs: list[Recognised]) -> tuple[pl.DataFrame, ...]:
    """Build the region table from the recognised region grids.

    Args:
        recs: grids recognised as the region table.

    Returns:
        (regions, quarantine rows, accounting rows).
    """
    tables, quarantine, accounting = [], [], []
    for rec in recs:
        mapped = mapped_frame(rec)
        rows, dropped = split_rows(mapped, "name")
        validate_raw(RawRegions, rows, rec.grid)
        regions = build_regions(rows)
        valid = rows.filter(clean_code(pl.col("code")).is_not_null())
        bad = rows.join(valid, on="row_number", how="anti").select(
            "row_number", pl.lit("code").alias("column"), pl.lit("code_12_digits").alias("check"),
            pl.lit("region row without a 12-digit code").alias("reason"),
            pl.col("code").alias("value_masked"),
        )
        q = quarantine_rows(pl.concat([dropped, bad]), rec.grid)
        tables.append(regions)
        quarantine.append(q)
        accounting.append(accounting_row(rec, mapped.height, regions.height, q.height))
    regions = pl.concat(tables) if tables else pl.DataFrame(schema=REGION_SCHEMA)
    return (regions.unique("code", keep="first", maintain_order=True), concat_or_empty(quarantine,
            QUARANTINE_SCHEMA), concat_or_empty(accounting, ACCOUNTING_SCHEMA))


def _files_row(rec: Recognised, rows_read: int) -> dict:
    g = rec.grid
    department = EXTRACTS[rec.extract].department if rec.extract in EXTRACTS else None
    return {"source_file": g.source_file, "sheet": g.sheet, "extract": rec.extract,
            "department": department, "encoding": g.encoding, "sha256": g.sha256,
            "rows_read": rows_read}


def ingest_landing(landing: Path, mapping: HeaderMapping | None = None,
                   as_of: date | None = None) -> Ingested:
    """Read, recognise, normalise and validate every file of a landing folder.

    Args:
        landing: the landing folder.
        mapping: steward header mapping; when None, ``landing/sanji_mapping.yaml`` is used if
            present.
        as_of: the day the landing is read as of, e.g. the reporting month's last day: an ID
            whose birth date lies after it is not valid. None for today.

    Returns:
        The ingested tables (docs/design.md §2).

    Raises:
        ValueError: on a file no extract fits or a missing required column (naming the file,
            sheet, headers seen and the closest known header names).
    """
    landing = Path(landing)
    if mapping is None and (landing / MAPPING_FILE).exists():
        mapping = HeaderMapping.from_yaml(landing / MAPPING_FILE)
    recs = [recognise(g, mapping) for g in read_grids(landing)]
    regions, quarantine, accounting = ingest_regions([r for r in recs if r.extract == REGIONS])
    quarantines, issues, accountings = [quarantine], [], [accounting]
    clinic_parts = [ingest_clinic_grid(r, regions) for r in recs if r.extract == CLINICS]
    for _, q, acc in clinic_parts:
        quarantines.append(q)
        accountings.append(acc)
    parts: dict[str, list[pl.DataFrame]] = {e: [] for e in EXTRACTS}
    for rec in (r for r in recs if r.extract in EXTRACTS):
        table, q, fi, acc = ingest_extract(rec, regions, as_of)
        parts[rec.extract].append(table)
        quarantines.append(q)
        issues.append(fi)
        accountings.append(acc)
    accounting = concat_or_empty(accountings, ACCOUNTING_SCHEMA)
    reads = {(a, b): n for a, b, n in accounting.select("source_file", "sheet", "rows_read")
             .iter_rows()}
    files = pl.DataFrame(
        [_files_row(r, reads[(r.grid.source_file, r.grid.sheet)]) for r in recs],
        schema=FILES_SCHEMA,
    )
    clinics = concat_or_empty([c for c, _, _ in clinic_parts], CLINIC_SCHEMA) \
        if clinic_parts else None
    regions = regions.select(list(REGION_SCHEMA))
    return Ingested(
        tables={e: pl.concat(p) if p else empty_table(e) for e, p in parts.items()},
        regions=regions if clinics is None else with_clinic_counts(regions, clinics),
        quarantine=concat_or_empty(quarantines, QUARANTINE_SCHEMA),
        field_issue=concat_or_empty(issues, ISSUE_SCHEMA),
        accounting=accounting,
        files=files,
        recognition=recognition_frame(recs),
        clinics=clinics,
    )


def person_records(tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """The COMMON_COLUMNS of all extract tables, one row per accepted input row.

    Args:
        tables: extract name -> table, e.g. ``ingest_landing(...).tables``.

    Returns:
        The concatenated records.
    """
    return pl.concat([t.select(COMMON_COLUMNS) for t in tables.values()])
