"""Landing folder to typed extract tables, regions, quarantine, field issues and accounting.

A bad field is not a bad row: field problems become ``field_issue`` rows and the row goes on.
A row goes to ``quarantine`` only when it cannot stand for a person (blank, a totals row, no
name and no usable ID). Per file and sheet, rows_read = rows_accepted + rows_quarantined.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandera.errors as pe
import polars as pl

from pipelines.domain.extracts import BOOL_FIELDS, DATE_FIELDS, EXTRACTS, MONEY_FIELDS
from pipelines.domain.identity import mask_id, mask_ids_in_text
from pipelines.extracts import REGIONS, HeaderMapping, Recognised, mapped_frame, recognise
from pipelines.normalise.dates import parse_dates_unique, unparsed
from pipelines.normalise.ids import ID_REASONS, normalise_ids
from pipelines.normalise.names import normalise_names
from pipelines.normalise.places import (
    PLACE_REASONS,
    build_regions,
    clean_code,
    resolve_places,
)
from pipelines.read import Grid, read_grids
from schemas.canonical import (
    COMMON_COLUMNS,
    TABLE_MODELS,
    IngestAccounting,
    IngestFiles,
    Regions,
    own_fields,
    table_schema,
)
from schemas.contract import polars_schema
from schemas.published import FieldIssue, Quarantine
from schemas.raw import RAW_MODELS, RawRegions

MAPPING_FILE = "sanji_mapping.yaml"
TOTALS = r"^\s*(合|总|小|共)\s*计"
TRUE_WORDS = ["是", "y", "yes", "true", "1", "√", "✓", "有"]
FALSE_WORDS = ["否", "n", "no", "false", "0", "×", "✗", "无"]

QUARANTINE_SCHEMA = polars_schema(Quarantine)
ISSUE_SCHEMA = polars_schema(FieldIssue)
ACCOUNTING_SCHEMA = polars_schema(IngestAccounting)
FILES_SCHEMA = polars_schema(IngestFiles)
REGION_SCHEMA = polars_schema(Regions)
ISSUE_REASONS = {
    **ID_REASONS, **PLACE_REASONS,
    "name_missing": "no name",
    "date_unparseable": "date not understood",
    "money_unparseable": "amount is not a number",
    "bool_unparseable": "yes/no value not understood (是/否)",
    "sex_unparseable": "sex not understood (男/女)",
    "sex_conflict": "sex column disagrees with the identity number",
    "id_checksum": ID_REASONS["id_checksum"],
    "code_12_digits": "division code is not 12 digits",
}


@dataclass
class Ingested:
    """Everything ingest produces (see docs/design.md §2)."""

    tables: dict[str, pl.DataFrame]
    regions: pl.DataFrame
    quarantine: pl.DataFrame
    field_issue: pl.DataFrame
    accounting: pl.DataFrame
    files: pl.DataFrame


def empty_table(extract: str) -> pl.DataFrame:
    """An empty typed extract table.

    Args:
        extract: extract name.

    Returns:
        Zero-row frame with the table's schema.
    """
    return pl.DataFrame(schema=table_schema(extract))


def _split_rows(mapped: pl.DataFrame, name_col: str) -> tuple[pl.DataFrame, pl.DataFrame]:
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


def _sex(raw: pl.Expr) -> pl.Expr:
    text = raw.str.strip_chars().str.to_uppercase()
    return (
        pl.when(text.is_in(["男", "1", "M", "男性"])).then(pl.lit("男"))
        .when(text.is_in(["女", "2", "F", "女性"])).then(pl.lit("女"))
    )


def _money(raw: pl.Expr) -> pl.Expr:
    text = raw.str.replace_all(r"[\s,，￥¥元]", "")
    return text.cast(pl.Float64, strict=False)


def _bool(raw: pl.Expr) -> pl.Expr:
    text = raw.str.strip_chars().str.to_lowercase()
    return pl.when(text.is_in(TRUE_WORDS)).then(True).when(text.is_in(FALSE_WORDS)).then(False)


def _typed(frame: pl.DataFrame, rec: Recognised, regions: pl.DataFrame) -> pl.DataFrame:
    """Normalise a mapped frame into the typed table columns plus ``_chk_*`` helper flags."""
    spec = EXTRACTS[rec.extract]
    grid = rec.grid
    frame = frame.with_columns(
        pl.col("name").alias("name_raw"),
        pl.col("id_number").alias("id_raw"),
        pl.col("township").alias("township_in"),
        pl.col("village").alias("village_in"),
        pl.col("village_code").alias("code_in"),
        pl.col("sex").alias("_sex_raw"),
        pl.col("birth_date").alias("_birth_raw"),
    ).drop("name", "id_number", "sex", "birth_date", "village_code")
    frame = normalise_ids(frame, "id_raw")
    frame = normalise_names(frame, "name_raw")
    frame = resolve_places(frame, regions)
    own = own_fields(rec.extract)
    frame = frame.with_columns(
        parse_dates_unique(frame["_birth_raw"]).alias("_birth_col"),
        *(parse_dates_unique(frame[f]).alias(f"_d_{f}") for f in own if f in DATE_FIELDS),
    )
    birth_col = pl.col("_birth_col")
    sex_col = _sex(pl.col("_sex_raw"))
    household = (pl.col("household_id").str.strip_chars() if "household_id" in spec.fields
                 else pl.lit(None, pl.String))
    typed = []
    for f in own:
        if f in DATE_FIELDS:
            typed.append(pl.col(f"_d_{f}").alias(f))
        elif f in MONEY_FIELDS:
            typed.append(_money(pl.col(f)).alias(f))
        elif f in BOOL_FIELDS:
            typed.append(_bool(pl.col(f)).alias(f))
        else:
            typed.append(pl.col(f).str.strip_chars().alias(f))
    return frame.with_columns(
        pl.lit(grid.source_file).alias("source_file"),
        pl.lit(grid.sheet).alias("sheet"),
        (pl.lit(f"{grid.source_file}|{grid.sheet}|") + pl.col("row_number").cast(pl.String))
        .alias("record_id"),
        pl.lit(spec.department).alias("department"),
        pl.lit(rec.extract).alias("extract"),
        pl.coalesce("id_sex", sex_col).alias("sex"),
        pl.coalesce("id_birth_date", birth_col).alias("birth_date"),
        household.alias("household_id"),
        *(pl.col(f).alias(f"_raw_{f}") for f in own),
        sex_col.alias("_sex_col"),
    ).with_columns(typed)


def _issue_rows(frame: pl.DataFrame, extract: str) -> pl.DataFrame:
    """Field-issue rows of a typed frame (still carrying the helper columns)."""
    base = ["record_id", "source_file", "sheet", "row_number"]
    specs: list[tuple[str, str, pl.Expr, pl.Expr]] = [
        ("id_number", "", pl.col("id_check").is_not_null(), mask_id(pl.col("id_raw"))),
        ("name", "name_missing", pl.col("name").is_null(), pl.lit(None, pl.String)),
        ("village", "", pl.col("place_check").is_not_null(), pl.col("village_raw")),
        ("birth_date", "date_unparseable",
         unparsed(pl.col("_birth_raw"), pl.col("_birth_col")), pl.col("_birth_raw")),
        ("sex", "sex_unparseable",
         pl.col("_sex_raw").str.strip_chars().fill_null("").ne("") & pl.col("_sex_col").is_null(),
         pl.col("_sex_raw")),
        ("sex", "sex_conflict",
         pl.col("id_sex").is_not_null() & pl.col("_sex_col").is_not_null()
         & (pl.col("id_sex") != pl.col("_sex_col")), pl.col("_sex_raw")),
    ]
    for f in own_fields(extract):
        raw = pl.col(f"_raw_{f}")
        check = ("date_unparseable" if f in DATE_FIELDS else "money_unparseable"
                 if f in MONEY_FIELDS else "bool_unparseable" if f in BOOL_FIELDS else None)
        if check:
            specs.append((f, check, unparsed(raw, pl.col(f)), raw))
    parts = []
    for column, check, cond, value in specs:
        chk = pl.col("id_check") if column == "id_number" and not check else (
            pl.col("place_check") if column == "village" and not check else pl.lit(check))
        parts.append(frame.filter(cond).select(
            *base, pl.lit(extract).alias("extract"), pl.lit(column).alias("column"),
            chk.alias("check"), value.alias("value_masked"),
        ))
    issues = pl.concat(parts) if parts else pl.DataFrame(schema=ISSUE_SCHEMA)
    return _with_reason(issues)


def _with_reason(issues: pl.DataFrame) -> pl.DataFrame:
    reason = pl.col("check").replace_strict(ISSUE_REASONS, default=pl.col("check"))
    return issues.with_columns(
        reason.alias("reason"), mask_ids_in_text(pl.col("value_masked")).alias("value_masked")
    ).select(list(ISSUE_SCHEMA))


def _schema_issues(table: pl.DataFrame, extract: str) -> pl.DataFrame:
    """Validate a typed table with pandera (lazy) and turn row failures into field issues."""
    try:
        TABLE_MODELS[extract].validate(table, lazy=True)
    except pe.SchemaErrors as exc:
        cases = exc.failure_cases.filter(pl.col("index").is_not_null())
        if cases.height < exc.failure_cases.height:
            msg = f"{extract}: table does not fit its schema: {_column_failures(exc)}"
            raise ValueError(msg) from None
        rows = table.select("record_id", "source_file", "sheet", "row_number").with_row_index()
        value = pl.when(pl.col("column").str.starts_with("id")).then(
            mask_id(pl.col("failure_case"))).otherwise(pl.col("failure_case"))
        issues = cases.with_columns(pl.col("index").cast(pl.UInt32)).join(
            rows, on="index", how="left"
        ).select(
            "record_id", "source_file", "sheet", "row_number", pl.lit(extract).alias("extract"),
            "column", "check", value.alias("value_masked"),
        )
        return _with_reason(issues)
    return pl.DataFrame(schema=ISSUE_SCHEMA)


def _column_failures(exc: pe.SchemaErrors) -> str:
    """The failures of a pandera error as text, without cell values, IDs masked.

    Column-level failures (no row index: a missing column, a wrong dtype) show what failed;
    row-level ones carry cell values (identity numbers among them) and show only the column,
    the check and how many rows failed.
    """
    cases = exc.failure_cases.with_columns(pl.col("failure_case").cast(pl.String))
    whole = cases.filter(pl.col("index").is_null()).select(
        pl.format("{}: {} ({})", "column", "check", "failure_case").alias("t"))
    rows = cases.filter(pl.col("index").is_not_null()).group_by(
        "column", "check", maintain_order=True).len().select(
        pl.format("{}: {} ({} rows)", "column", "check", "len").alias("t"))
    return mask_ids_in_text("; ".join(pl.concat([whole, rows])["t"].to_list()))


def _validate_raw(model: type, rows: pl.DataFrame, grid: Grid) -> None:
    """Validate mapped rows (blank and totals rows already set aside) against a raw model.

    Args:
        model: a model of :mod:`schemas.raw`.
        rows: the mapped rows.
        grid: the grid they come from (for the message).

    Raises:
        ValueError: naming the file, the sheet and every failed column check (IDs masked).
    """
    try:
        model.validate(rows.drop("_cells", "_first", strict=False), lazy=True)
    except pe.SchemaErrors as exc:
        where = f"{grid.source_file}" + (f", sheet {grid.sheet!r}" if grid.sheet else "")
        msg = f"{where}: mapped rows do not fit {model.__name__}: {_column_failures(exc)}"
        raise ValueError(msg) from None


def ingest_extract(rec: Recognised, regions: pl.DataFrame) -> tuple[pl.DataFrame, ...]:
    """Ingest one recognised extract grid.

    Args:
        rec: the recognised grid.
        regions: the region table.

    Returns:
        (typed table, quarantine rows, field-issue rows, accounting row).
    """
    mapped = mapped_frame(rec)
    rows, dropped = _split_rows(mapped, "name")
    _validate_raw(RAW_MODELS[rec.extract], rows, rec.grid)
    typed = _typed(rows, rec, regions)
    no_person = pl.col("name").is_null() & pl.col("id_number").is_null()
    lost = typed.filter(no_person).select(
        "row_number", pl.lit("name").alias("column"), pl.lit("no_identity").alias("check"),
        pl.lit("no name and no usable identity number: cannot stand for a person")
        .alias("reason"),
        pl.coalesce(mask_id(pl.col("id_raw")), "name_raw").alias("value_masked"),
    )
    kept = typed.filter(~no_person) if lost.height else typed
    issues = _issue_rows(kept, rec.extract)
    table = kept.select(list(table_schema(rec.extract)))
    issues = pl.concat([issues, _schema_issues(table, rec.extract)]).unique(
        ["record_id", "column", "check"], maintain_order=True
    )
    quarantine = _quarantine(pl.concat([dropped, lost]), rec.grid)
    accounting = _accounting(rec, mapped.height, table.height, quarantine.height)
    return table, quarantine, issues, accounting


def _quarantine(rows: pl.DataFrame, grid: Grid) -> pl.DataFrame:
    return rows.cast({"value_masked": pl.String}).select(
        pl.lit(grid.source_file).alias("source_file"), pl.lit(grid.sheet).alias("sheet"),
        "row_number", "column", "check", "reason", mask_ids_in_text(pl.col("value_masked")),
    ).cast(QUARANTINE_SCHEMA).sort("row_number")


def _accounting(rec: Recognised, read: int, accepted: int, quarantined: int) -> pl.DataFrame:
    if read != accepted + quarantined:
        msg = (f"{rec.grid.source_file} {rec.grid.sheet}: {read} rows read but {accepted} "
               f"accepted + {quarantined} quarantined")
        raise AssertionError(msg)
    return pl.DataFrame(
        [[rec.grid.source_file, rec.grid.sheet, rec.extract, read, accepted, quarantined]],
        schema=ACCOUNTING_SCHEMA, orient="row",
    )


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
        rows, dropped = _split_rows(mapped, "name")
        _validate_raw(RawRegions, rows, rec.grid)
        regions = build_regions(rows)
        valid = rows.filter(clean_code(pl.col("code")).is_not_null())
        bad = rows.join(valid, on="row_number", how="anti").select(
            "row_number", pl.lit("code").alias("column"), pl.lit("code_12_digits").alias("check"),
            pl.lit("region row without a 12-digit code").alias("reason"),
            pl.col("code").alias("value_masked"),
        )
        q = _quarantine(pl.concat([dropped, bad]), rec.grid)
        tables.append(regions)
        quarantine.append(q)
        accounting.append(_accounting(rec, mapped.height, regions.height, q.height))
    regions = pl.concat(tables) if tables else pl.DataFrame(schema=REGION_SCHEMA)
    return (regions.unique("code", keep="first", maintain_order=True), _cat(quarantine,
            QUARANTINE_SCHEMA), _cat(accounting, ACCOUNTING_SCHEMA))


def _cat(frames: list[pl.DataFrame], schema: dict) -> pl.DataFrame:
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


def _files_row(rec: Recognised, rows_read: int) -> dict:
    g = rec.grid
    department = EXTRACTS[rec.extract].department if rec.extract in EXTRACTS else None
    return {"source_file": g.source_file, "sheet": g.sheet, "extract": rec.extract,
            "department": department, "encoding": g.encoding, "sha256": g.sha256,
            "rows_read": rows_read}


def ingest_landing(landing: Path, mapping: HeaderMapping | None = None) -> Ingested:
    """Read, recognise, normalise and validate every file of a landing folder.

    Args:
        landing: the landing folder.
        mapping: steward header mapping; when None, ``landing/sanji_mapping.yaml`` is used if
            present.

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
    parts: dict[str, list[pl.DataFrame]] = {e: [] for e in EXTRACTS}
    for rec in (r for r in recs if r.extract != REGIONS):
        table, q, fi, acc = ingest_extract(rec, regions)
        parts[rec.extract].append(table)
        quarantines.append(q)
        issues.append(fi)
        accountings.append(acc)
    accounting = _cat(accountings, ACCOUNTING_SCHEMA)
    reads = {(a, b): n for a, b, n in accounting.select("source_file", "sheet", "rows_read")
             .iter_rows()}
    files = pl.DataFrame(
        [_files_row(r, reads[(r.grid.source_file, r.grid.sheet)]) for r in recs],
        schema=FILES_SCHEMA,
    )
    return Ingested(
        tables={e: pl.concat(p) if p else empty_table(e) for e, p in parts.items()},
        regions=regions.select(list(REGION_SCHEMA)),
        quarantine=_cat(quarantines, QUARANTINE_SCHEMA),
        field_issue=_cat(issues, ISSUE_SCHEMA),
        accounting=accounting,
        files=files,
    )


def person_records(tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """The COMMON_COLUMNS of all extract tables, one row per accepted input row.

    Args:
        tables: extract name -> table, e.g. ``ingest_landing(...).tables``.

    Returns:
        The concatenated records.
    """
    return pl.concat([t.select(COMMON_COLUMNS) for t in tables.values()])
