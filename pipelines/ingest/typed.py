"""A mapped extract grid to its typed table: IDs, names, places, dates, money, yes/no."""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.domain.extracts import BOOL_FIELDS, DATE_FIELDS, EXTRACTS, MONEY_FIELDS
from pipelines.extracts import Recognised
from pipelines.normalise.dates import BIRTH, DATE_REASONS, EVENT, normalise_dates
from pipelines.normalise.ids import normalise_ids
from pipelines.normalise.money import MONEY_REASONS, money_check, parse_money
from pipelines.normalise.names import normalise_names
from pipelines.normalise.places import resolve_places
from schemas.canonical import own_fields

# Problem names of dates and amounts, as a small categorical (a String per row costs 16 bytes).
CHECKS = pl.Enum(sorted({*DATE_REASONS, *MONEY_REASONS}))
TRUE_WORDS = ["是", "y", "yes", "true", "1", "√", "✓", "有"]
FALSE_WORDS = ["否", "n", "no", "false", "0", "×", "✗", "无"]


def _sex(raw: pl.Expr) -> pl.Expr:
    text = raw.str.strip_chars().str.to_uppercase()
    return (
        pl.when(text.is_in(["男", "1", "M", "男性"])).then(pl.lit("男"))
        .when(text.is_in(["女", "2", "F", "女性"])).then(pl.lit("女"))
    )


def _bool(raw: pl.Expr) -> pl.Expr:
    text = raw.str.strip_chars().str.to_lowercase()
    return pl.when(text.is_in(TRUE_WORDS)).then(True).when(text.is_in(FALSE_WORDS)).then(False)


def _dates(frame: pl.DataFrame, own: list[str], as_of: dt.date | None) -> pl.DataFrame:
    """Birth and event dates parsed in their ranges: ``_birth_col``/``_d_<field>`` and the
    problem of each, ``_chk_birth_date``/``_chk_<field>``."""
    parts = [("_birth_raw", "_birth_col", "_chk_birth_date", BIRTH)] + [
        (f, f"_d_{f}", f"_chk_{f}", EVENT) for f in own if f in DATE_FIELDS]
    columns: list[pl.Series | pl.Expr] = []
    for raw, out, chk, kind in parts:
        if frame[raw].null_count() == frame.height:  # no such column: nothing to keep per row
            columns += [pl.lit(None, pl.Date).alias(out), pl.lit(None, CHECKS).alias(chk)]
            continue
        done = normalise_dates(frame[raw], kind, as_of)
        columns += [done["date"].alias(out), done["check"].cast(CHECKS).alias(chk)]
    return frame.with_columns(columns)


def typed_frame(frame: pl.DataFrame, rec: Recognised, regions: pl.DataFrame,
                as_of: dt.date | None = None) -> pl.DataFrame:
    """Normalise a mapped frame into the typed table columns plus ``_chk_*`` helper columns.

    Args:
        frame: the mapped rows.
        rec: the recognised grid they come from.
        regions: the region table.
        as_of: the as-of date that bounds birth and event dates (default: today).

    Returns:
        The typed columns, the raw ones (``_raw_<field>``) and each field's problem
        (``_chk_<field>``, null when none).
    """
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
    frame = normalise_ids(frame, "id_raw", today=as_of)
    frame = normalise_names(frame, "name_raw")
    frame = resolve_places(frame, regions)
    own = own_fields(rec.extract)
    frame = _dates(frame, own, as_of)
    birth_col = pl.col("_birth_col")
    sex_col = _sex(pl.col("_sex_raw"))
    household = (pl.col("household_id").str.strip_chars() if "household_id" in spec.fields
                 else pl.lit(None, pl.String))
    typed = []
    for f in own:
        if f in DATE_FIELDS:
            typed.append(pl.col(f"_d_{f}").alias(f))
        elif f in MONEY_FIELDS:
            typed += [parse_money(pl.col(f)).alias(f),
                      money_check(pl.col(f)).cast(CHECKS).alias(f"_chk_{f}")]
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


