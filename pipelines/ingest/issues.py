"""Field issues: values that were repaired or flagged in accepted rows, with the reason."""

from __future__ import annotations

import pandera.errors as pe
import polars as pl

from pipelines.domain.extracts import BOOL_FIELDS, DATE_FIELDS, EXTRACTS, MONEY_FIELDS
from pipelines.domain.identity import mask_id, mask_ids_in_text
from pipelines.extracts import Recognised, duplicate_columns
from pipelines.normalise.dates import DATE_REASONS
from pipelines.normalise.ids import ID_REASONS
from pipelines.normalise.money import MONEY_REASONS
from pipelines.normalise.places import PLACE_REASONS
from pipelines.read import Grid
from schemas.canonical import TABLE_MODELS, own_fields
from schemas.contract import polars_schema
from schemas.published import FieldIssue

ISSUE_SCHEMA = polars_schema(FieldIssue)
ISSUE_REASONS = {
    **ID_REASONS, **PLACE_REASONS, **DATE_REASONS, **MONEY_REASONS,
    "name_missing": "no name",
    "bool_unparseable": "yes/no value not understood (是/否)",
    "sex_unparseable": "sex not understood (男/女)",
    "value_unknown": "value not in the field's code list (add it under values: in "
                     "sanji_mapping.yaml)",
    "sex_conflict": "sex column disagrees with the identity number",
    "id_checksum": ID_REASONS["id_checksum"],
    "code_12_digits": "division code is not 12 digits",
    "column_conflict": "a second column with this header holds another value: the first "
                       "column is read",
    "too_few_fields": "the row ends before the header's last column: the fields it lacks read "
                      "as empty (a line break or a lost delimiter?)",
}


def issue_rows(frame: pl.DataFrame, extract: str) -> pl.DataFrame:
    """Field-issue rows of a typed frame (still carrying the helper columns)."""
    base = ["record_id", "source_file", "sheet", "row_number"]
    sex_raw = pl.col("_sex_raw")
    # (column, check: a check name or an expression giving one, condition, value shown)
    specs: list[tuple[str, str | pl.Expr, pl.Expr, pl.Expr]] = [
        ("id_number", pl.col("id_check"), pl.col("id_check").is_not_null(),
         mask_id(pl.col("id_raw"))),
        ("name", "name_missing", pl.col("name").is_null(), pl.lit(None, pl.String)),
        ("village", pl.col("place_check"), pl.col("place_check").is_not_null(),
         pl.col("village_raw")),
        ("birth_date", pl.col("_chk_birth_date").cast(pl.String),
         pl.col("_chk_birth_date").is_not_null(), pl.col("_birth_raw")),
        ("sex", "sex_unparseable", pl.col("_unk_sex").is_not_null(), sex_raw),
        ("sex", "sex_conflict",
         pl.col("id_sex").is_not_null() & pl.col("_sex_col").is_not_null()
         & (pl.col("id_sex") != pl.col("_sex_col")), sex_raw),
    ]
    coded = EXTRACTS[extract].codes
    for f in own_fields(extract):
        raw, chk = pl.col(f"_raw_{f}"), pl.col(f"_chk_{f}")
        if f in BOOL_FIELDS:
            specs.append((f, "bool_unparseable", pl.col(f"_unk_{f}").is_not_null(), raw))
        elif f in coded:
            specs.append((f, "value_unknown", pl.col(f"_unk_{f}").is_not_null(),
                          pl.col(f"_unk_{f}")))
        elif f in DATE_FIELDS or f in MONEY_FIELDS:
            specs.append((f, chk.cast(pl.String), chk.is_not_null(), raw))
    parts = []
    for column, check, cond, value in specs:
        chk = pl.lit(check) if isinstance(check, str) else check
        parts.append(frame.filter(cond).select(
            *base, pl.lit(extract).alias("extract"), pl.lit(column).alias("column"),
            chk.alias("check"), value.alias("value_masked"),
        ))
    issues = pl.concat(parts) if parts else pl.DataFrame(schema=ISSUE_SCHEMA)
    return _with_reason(issues)


def column_conflicts(rec: Recognised, kept: pl.DataFrame) -> pl.DataFrame:
    """Field issues where a second column for a field holds another value than the one read.

    A header twice (身份证号 … 身份证号) is read from its first column; where the other column
    disagrees, the row says two things and the steward should know which was taken.

    Args:
        rec: the recognised grid.
        kept: the accepted typed rows (``record_id``, ``source_file``, ``sheet``,
            ``row_number``).

    Returns:
        ``ISSUE_SCHEMA`` rows, check ``column_conflict``, the other value masked.
    """
    twice = duplicate_columns(rec)
    if not twice or kept.height == 0:
        return pl.DataFrame(schema=ISSUE_SCHEMA)
    grid = rec.grid.frame.filter(pl.col("row_number") > rec.header_row)
    parts = []
    for other, (name, first) in twice.items():
        a, b = pl.col(first).str.strip_chars(), pl.col(other).str.strip_chars()
        differs = grid.filter((a != b) & (b != "")).select(
            "row_number", pl.lit(name).alias("column"),
            pl.format("{}: {}", pl.lit(rec.headers.get(other, other)), b).alias("value_masked"))
        parts.append(differs)
    issues = kept.select("record_id", "source_file", "sheet", "row_number").join(
        pl.concat(parts), on="row_number", how="inner").select(
        "record_id", "source_file", "sheet", "row_number", pl.lit(rec.extract).alias("extract"),
        "column", pl.lit("column_conflict").alias("check"), "value_masked")
    return _with_reason(issues)


def few_field_issues(kept: pl.DataFrame, few: pl.DataFrame, extract: str) -> pl.DataFrame:
    """Field issues of accepted rows with fewer fields than the header.

    Args:
        kept: the accepted typed rows (``record_id``, ``source_file``, ``sheet``,
            ``row_number``).
        few: ``row_number``, ``column`` (the first field the row lacks), ``value_masked``
            (``n of m fields``), from :func:`pipelines.ingest.shape.shape_problems`.
        extract: the extract.

    Returns:
        ``ISSUE_SCHEMA`` rows, check ``too_few_fields``.
    """
    if few.height == 0:
        return pl.DataFrame(schema=ISSUE_SCHEMA)
    issues = kept.select("record_id", "source_file", "sheet", "row_number").join(
        few, on="row_number", how="inner").select(
        "record_id", "source_file", "sheet", "row_number", pl.lit(extract).alias("extract"),
        "column", pl.lit("too_few_fields").alias("check"), "value_masked")
    return _with_reason(issues)


def _with_reason(issues: pl.DataFrame) -> pl.DataFrame:
    reason = pl.col("check").replace_strict(ISSUE_REASONS, default=pl.col("check"))
    return issues.with_columns(
        reason.alias("reason"), mask_ids_in_text(pl.col("value_masked")).alias("value_masked")
    ).select(list(ISSUE_SCHEMA))


def schema_issues(table: pl.DataFrame, extract: str) -> pl.DataFrame:
    """Validate a typed table with pandera (lazy) and turn row failures into field issues."""
    try:
        TABLE_MODELS[extract].validate(table, lazy=True)
    except pe.SchemaErrors as exc:
        cases = exc.failure_cases.filter(pl.col("index").is_not_null())
        if cases.height < exc.failure_cases.height:
            msg = f"{extract}: table does not fit its schema: {column_failures(exc)}"
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


def column_failures(exc: pe.SchemaErrors) -> str:
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


def validate_raw(model: type, rows: pl.DataFrame, grid: Grid) -> None:
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
        msg = f"{where}: mapped rows do not fit {model.__name__}: {column_failures(exc)}"
        raise ValueError(msg) from None


