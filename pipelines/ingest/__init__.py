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
from pipelines.ingest.duplicates import SeenRows
from pipelines.ingest.issues import (
    ISSUE_SCHEMA,
    column_conflicts,
    few_field_issues,
    issue_rows,
    schema_issues,
    validate_raw,
)
from pipelines.ingest.rejected import (
    SET_ASIDE_EXTRACT,
    UNREADABLE_EXTRACT,
    UNRECOGNISED_EXTRACT,
    UNRECOGNISED_SCHEMA,
    rejected_grid,
    unreadable_row,
    unrecognised_frame,
)
from pipelines.ingest.rows import (
    ACCOUNTING_SCHEMA,
    QUARANTINE_SCHEMA,
    accounting_row,
    concat_or_empty,
    grid_accounting,
    quarantine_rows,
    split_rows,
    unaccounted,
)
from pipelines.ingest.shape import as_problems, shape_problems
from pipelines.ingest.typed import typed_frame
from pipelines.landing import MAPPING_FILE
from pipelines.mapping import fields_of
from pipelines.normalise.places import region_rows
from pipelines.read import Grid, read_landing
from schemas.canonical import COMMON_COLUMNS, IngestFiles, Regions, table_schema
from schemas.contract import polars_schema
from schemas.raw import RAW_MODELS, RawRegions

__all__ = ["MAPPING_FILE", "Ingested", "empty_table", "ingest_extract", "ingest_landing",
           "ingest_region_grid", "person_records", "unaccounted"]
FILES_SCHEMA = polars_schema(IngestFiles)
REGION_SCHEMA = polars_schema(Regions)


@dataclass
class Ingested:
    """Everything ingest produces (see docs/design.md §2).

    ``recognition`` holds every header decision (``pipelines.extracts.recognition_frame``):
    which header became which field of which extract, and how. ``clinics`` is the village
    clinic list when one landed (then ``regions`` carries each village's clinic count in
    ``clinics``; without a list it has no such column). ``unrecognised`` lists each file or
    sheet set aside whole (schema ``schemas.canonical.IngestUnrecognised``): a night with any
    row there is not clean.
    """

    tables: dict[str, pl.DataFrame]
    regions: pl.DataFrame
    quarantine: pl.DataFrame
    field_issue: pl.DataFrame
    accounting: pl.DataFrame
    files: pl.DataFrame
    unrecognised: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=UNRECOGNISED_SCHEMA))
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


def ingest_extract(rec: Recognised, regions: pl.DataFrame, as_of: date | None = None,
                   seen: SeenRows | None = None) -> tuple[pl.DataFrame, ...]:
    """Ingest one recognised extract grid.

    Quarantined: blank and totals rows, rows whose shape is wrong
    (:mod:`pipelines.ingest.shape`), copies of a row read before (:mod:`.duplicates`), and
    rows with neither a name nor a usable ID.

    Args:
        rec: the recognised grid.
        regions: the region table.
        as_of: the as-of date bounding birth and event dates (default: today).
        seen: the rows of earlier grids, to read a row found in several files once (None:
            copies within this grid only).

    Returns:
        (typed table, quarantine rows, field-issue rows, accounting row).
    """
    mapped = mapped_frame(rec)
    rows, dropped = split_rows(mapped, "name")
    rows, misshapen, few = shape_problems(rec, rows)
    rows, copies = (seen or SeenRows()).split(rec.extract, rows, list(
        fields_of(rec.extract) or []), rec.grid)
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
    issues = pl.concat([issues, schema_issues(table, rec.extract),
                        few_field_issues(kept, few, rec.extract),
                        column_conflicts(rec, kept)]).unique(
        ["record_id", "column", "check"], maintain_order=True
    )
    quarantine = quarantine_rows(pl.concat([as_problems(p) for p in (
        dropped, misshapen, copies, lost)]), rec.grid)
    accounting = accounting_row(rec, mapped.height, table.height, quarantine.height)
    return table, quarantine, issues, accounting


def ingest_region_grid(rec: Recognised) -> tuple[pl.DataFrame, ...]:
    """Build the region rows of one recognised region grid.

    Args:
        rec: a grid recognised as the region table.

    Returns:
        (regions, quarantine rows, accounting row).
    """
    mapped = mapped_frame(rec)
    rows, dropped = split_rows(mapped, "name")
    validate_raw(RawRegions, rows, rec.grid)
    regions, set_aside = region_rows(rows)
    q = quarantine_rows(pl.concat([dropped, set_aside]), rec.grid)
    return regions, q, accounting_row(rec, mapped.height, regions.height, q.height)


def _files_row(grid: Grid, extract: str, rows_read: int) -> dict:
    department = EXTRACTS[extract].department if extract in EXTRACTS else None
    return {"source_file": grid.source_file, "sheet": grid.sheet, "extract": extract,
            "department": department, "encoding": grid.encoding, "sha256": grid.sha256,
            "rows_read": rows_read}


@dataclass
class _Parts:
    """What ingest collects while it goes through the grids."""

    tables: dict[str, list[pl.DataFrame]] = field(
        default_factory=lambda: {e: [] for e in EXTRACTS})
    regions: list[pl.DataFrame] = field(default_factory=list)
    quarantine: list[pl.DataFrame] = field(default_factory=list)
    issues: list[pl.DataFrame] = field(default_factory=list)
    accounting: list[pl.DataFrame] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    unrecognised: list[dict] = field(default_factory=list)
    clinics: list[pl.DataFrame] = field(default_factory=list)
    seen: SeenRows = field(default_factory=SeenRows)

    def done(self, grid: Grid, extract: str, q: pl.DataFrame, acc: pl.DataFrame) -> None:
        self.quarantine.append(q)
        self.accounting.append(acc)
        self.files.append(_files_row(grid, extract, acc["rows_read"].item()))

    def reject(self, grid: Grid, check: str, exc: Exception) -> None:
        row, rows = rejected_grid(grid, check, exc)
        self.unrecognised.append(row)
        n = grid.frame.height
        self.done(grid, UNRECOGNISED_EXTRACT, quarantine_rows(rows, grid),
                  grid_accounting(grid, UNRECOGNISED_EXTRACT, n, 0, n))


def _where(grid: Grid) -> str:
    return f"file {grid.source_file!r}" + (f", sheet {grid.sheet!r}" if grid.sheet else "")


def _recognised(grids: list[Grid], mapping: HeaderMapping | None,
                parts: _Parts) -> list[Recognised]:
    """The grids an extract was recognised in; the others are set aside whole."""
    recs = []
    for grid in grids:
        if grid.hidden:
            parts.reject(grid, "sheet_hidden", ValueError(
                f"{_where(grid)}: hidden sheet, not read (a hidden sheet is usually an old "
                "copy) - unhide it to have it read, or delete it"))
            continue
        try:
            recs.append(recognise(grid, mapping))
        except ValueError as exc:
            parts.reject(grid, "sheet_unrecognised", exc)
    return recs


def _ingest_all(recs: list[Recognised], parts: _Parts, as_of: date | None) -> pl.DataFrame:
    """Regions first, then every extract grid; a grid that does not fit is set aside."""
    for rec in (r for r in recs if r.extract == REGIONS):
        try:
            regions, q, acc = ingest_region_grid(rec)
        except ValueError as exc:
            parts.reject(rec.grid, "sheet_invalid", exc)
            continue
        parts.regions.append(regions)
        parts.done(rec.grid, REGIONS, q, acc)
    regions = (pl.concat(parts.regions).unique("code", keep="first", maintain_order=True)
               if parts.regions else pl.DataFrame(schema=REGION_SCHEMA))
    for rec in (r for r in recs if r.extract == CLINICS):
        try:
            clinics, q, acc = ingest_clinic_grid(rec, regions)
        except ValueError as exc:
            parts.reject(rec.grid, "sheet_invalid", exc)
            continue
        parts.clinics.append(clinics)
        parts.done(rec.grid, CLINICS, q, acc)
    for rec in (r for r in recs if r.extract in EXTRACTS):
        try:
            table, q, fi, acc = ingest_extract(rec, regions, as_of, parts.seen)
        except ValueError as exc:
            parts.reject(rec.grid, "sheet_invalid", exc)
            continue
        parts.tables[rec.extract].append(table)
        parts.issues.append(fi)
        parts.done(rec.grid, rec.extract, q, acc)
    return regions


def ingest_landing(landing: Path, mapping: HeaderMapping | None = None,
                   as_of: date | None = None) -> Ingested:
    """Read, recognise, normalise and validate every file of a landing folder.

    A file that cannot be read, or a sheet no extract is recognised in (or whose rows do not
    fit it), is set aside whole (``Ingested.unrecognised``, its rows in ``quarantine``) and
    the other files go on.

    Args:
        landing: the landing folder.
        mapping: steward header mapping; when None, ``landing/sanji_mapping.yaml`` is used if
            present.
        as_of: the day the landing is read as of, e.g. the reporting month's last day: births
            after it, and events more than a year after it, are implausible (default: today).

    Returns:
        The ingested tables (docs/design.md §2).

    Raises:
        ValueError: when the steward's mapping file itself is wrong.
    """
    landing = Path(landing)
    if mapping is None and (landing / MAPPING_FILE).exists():
        mapping = HeaderMapping.from_yaml(landing / MAPPING_FILE)
    grids, unreadable = read_landing(landing)
    parts = _Parts()
    recs = _recognised(grids, mapping, parts)
    regions = _ingest_all(recs, parts, as_of).select(list(REGION_SCHEMA))
    for item in unreadable:
        parts.unrecognised.append(unreadable_row(item))
        grid = Grid(item.source_file, "", "", item.sha256, pl.DataFrame())
        extract = SET_ASIDE_EXTRACT.get(item.check, UNREADABLE_EXTRACT)
        parts.accounting.append(grid_accounting(grid, extract, 0, 0, 0))
        parts.files.append(_files_row(grid, extract, 0))
    clinics = concat_or_empty(parts.clinics, CLINIC_SCHEMA) if parts.clinics else None
    return Ingested(
        tables={e: pl.concat(p) if p else empty_table(e) for e, p in parts.tables.items()},
        regions=regions if clinics is None else with_clinic_counts(regions, clinics),
        quarantine=concat_or_empty(parts.quarantine, QUARANTINE_SCHEMA),
        field_issue=concat_or_empty(parts.issues, ISSUE_SCHEMA),
        accounting=concat_or_empty(parts.accounting, ACCOUNTING_SCHEMA),
        files=pl.DataFrame(parts.files, schema=FILES_SCHEMA),
        unrecognised=unrecognised_frame(parts.unrecognised),
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
