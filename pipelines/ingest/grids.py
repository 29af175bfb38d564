"""One recognised grid read into its extract's rows (or the region table), and the result type.

See :mod:`pipelines.ingest` for what a bad field, a bad row and a bad file become.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from pipelines.domain.extracts import EXTRACTS
from pipelines.domain.identity import mask_id
from pipelines.extracts import (
    RECOGNITION_SCHEMA,
    Recognised,
    mapped_frame,
)
from pipelines.ingest.duplicates import SeenRows
from pipelines.ingest.issues import (
    column_conflicts,
    few_field_issues,
    issue_rows,
    schema_issues,
    validate_raw,
)
from pipelines.ingest.rejected import (
    UNRECOGNISED_SCHEMA,
)
from pipelines.ingest.rows import (
    accounting_row,
    quarantine_rows,
    split_rows,
)
from pipelines.ingest.shape import as_problems, shape_problems
from pipelines.ingest.typed import typed_frame
from pipelines.mapping import fields_of
from pipelines.normalise.places import region_rows
from pipelines.read import Grid
from schemas.canonical import IngestFiles, Regions, table_schema
from schemas.contract import polars_schema
from schemas.raw import RAW_MODELS, RawRegions

FILES_SCHEMA = polars_schema(IngestFiles)
REGION_SCHEMA = polars_schema(Regions)


class Tables(MutableMapping[str, pl.DataFrame]):
    """Extract name -> table. A table given as a LazyFrame is read when first asked for: a
    quiet night's unchanged table, which the ingest cache holds as a file the run links,
    is never read into memory (``pipelines.ingest.cache.IngestCache.table``)."""

    def __init__(self, frames: dict[str, pl.DataFrame | pl.LazyFrame]) -> None:
        self._frames = dict(frames)

    def __getitem__(self, name: str) -> pl.DataFrame:
        frame = self._frames[name]
        if isinstance(frame, pl.LazyFrame):
            frame = self._frames[name] = frame.collect()
        return frame

    def __setitem__(self, name: str, frame: pl.DataFrame) -> None:
        self._frames[name] = frame

    def __delitem__(self, name: str) -> None:
        del self._frames[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._frames)

    def __len__(self) -> int:
        return len(self._frames)

    def __repr__(self) -> str:
        return f"Tables({list(self._frames)})"

    def loaded(self, name: str) -> bool:
        """Whether the table is in memory (a lazy one not yet asked for is not)."""
        return not isinstance(self._frames[name], pl.LazyFrame)


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

    tables: MutableMapping[str, pl.DataFrame]
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
    # extract -> the key of the cache entries its table was built from (with a cache only)
    table_keys: dict[str, str] = field(default_factory=dict)


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
    rows, dropped = split_rows(mapped_frame(rec), "name")  # the mapped frame goes here
    read = rows.height + dropped.height
    rows, misshapen, few = shape_problems(rec, rows)
    rows, copies = (seen or SeenRows()).split(rec.extract, rows, list(
        fields_of(rec.extract) or []), rec.grid)
    validate_raw(RAW_MODELS[rec.extract], rows, rec.grid)
    table, issues, lost = _typed_table(rows, rec, regions, as_of)
    if lost.height:
        gone = ~pl.col("row_number").is_in(lost["row_number"].implode())
        table, issues = table.filter(gone), issues.filter(gone)
    issues = pl.concat([issues, schema_issues(table, rec.extract),
                        few_field_issues(table, few, rec.extract),
                        column_conflicts(rec, table)]).unique(
        ["record_id", "column", "check"], maintain_order=True
    )
    quarantine = quarantine_rows(pl.concat([as_problems(p) for p in (
        dropped, misshapen, copies, lost)]), rec.grid)
    accounting = accounting_row(rec, read, table.height, quarantine.height)
    return table, quarantine, issues, accounting


def _typed_table(rows: pl.DataFrame, rec: Recognised, regions: pl.DataFrame,
                 as_of: date | None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The typed table's columns, its field issues and the rows that cannot stand for a
    person (``no_identity``), all still holding those rows. The wide typed frame (a copy of
    every helper column) goes when this returns, before the lost rows are taken out of the
    table and its issues (the issues are row by row: the same rows)."""
    typed = typed_frame(rows, rec, regions, as_of)
    no_person = pl.col("name").is_null() & pl.col("id_number").is_null()
    lost = typed.lazy().filter(no_person).select(
        "row_number", pl.lit("name").alias("column"), pl.lit("no_identity").alias("check"),
        pl.lit("no name and no usable identity number: cannot stand for a person")
        .alias("reason"),
        pl.coalesce(mask_id(pl.col("id_raw")), "name_raw").alias("value_masked"),
    ).collect()
    return typed.select(list(table_schema(rec.extract))), issue_rows(typed, rec.extract), lost


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


def files_row(grid: Grid, extract: str, rows_read: int) -> dict:
    department = EXTRACTS[extract].department if extract in EXTRACTS else None
    return {"source_file": grid.source_file, "sheet": grid.sheet, "extract": extract,
            "department": department, "encoding": grid.encoding, "sha256": grid.sha256,
            "rows_read": rows_read}


