"""A mapped extract grid to its typed table: IDs, names, places, dates, money, codes, yes/no."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.domain.codes import CODE_LISTS, FALSE_CODE, TRUE_CODE
from pipelines.domain.extracts import BOOL_FIELDS, DATE_FIELDS, EXTRACTS, MONEY_FIELDS
from pipelines.domain.predicates import derived_population_type
from pipelines.extracts import Recognised
from pipelines.normalise.dates import BIRTH, DATE_REASONS, EVENT, normalise_dates
from pipelines.normalise.ids import normalise_ids
from pipelines.normalise.money import MONEY_REASONS, money_check, number, parse_money
from pipelines.normalise.names import normalise_names
from pipelines.normalise.places import resolve_places
from pipelines.values import header_of, map_column
from schemas.canonical import own_fields

SEXES = ("男", "女")
# Problem names of dates and amounts, as a small categorical (a String per row costs 16 bytes).
CHECKS = pl.Enum(sorted({*DATE_REASONS, *MONEY_REASONS}))


def _bool(code: pl.Expr) -> pl.Expr:
    return pl.when(code == TRUE_CODE).then(True).when(code == FALSE_CODE).then(False)


def map_codes(frame: pl.DataFrame, rec: Recognised) -> pl.DataFrame:
    """Sex and every categorical field to canonical codes (``_code_<f>``, ``_unk_<f>``).

    Args:
        frame: the mapped rows (sex still as read in ``_sex_raw``).
        rec: the recognised grid (headers for context words, the steward's value words).

    Returns:
        The frame with ``_code_<f>`` (the code, or codes joined by 、 for a list field, null
        when unknown or empty) and ``_unk_<f>`` (the unknown words) per categorical field; a
        roster without a population type column gets it derived from the monitoring category
        and household type.
    """
    spec = EXTRACTS[rec.extract]
    cols: dict[str, pl.Series] = {}
    for name, list_name in {"sex": "sex", **spec.codes}.items():
        source = "_sex_raw" if name == "sex" else name
        code, unknown = map_column(
            frame, source, CODE_LISTS[list_name], header_of(rec.columns, rec.headers, name),
            rec.mapping.value_words(list_name), name in spec.multi)
        cols[f"_code_{name}"], cols[f"_unk_{name}"] = code, unknown
    frame = frame.with_columns(**cols)
    if "population_type" in spec.codes:
        derived = derived_population_type(pl.col("_code_monitoring_category"),
                                          pl.col("_code_household_type"))
        frame = frame.with_columns(pl.coalesce("_code_population_type", derived))
    return frame


def _dates(frame: pl.DataFrame, own: list[str], as_of: date | None) -> pl.DataFrame:
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


def _typed_field(name: str, codes: dict[str, str]) -> pl.Expr:
    """The typed expression of an extract's own field."""
    if name in DATE_FIELDS:
        return pl.col(f"_d_{name}").alias(name)
    if name in MONEY_FIELDS:
        return parse_money(pl.col(name), pl.col(f"_num_{name}")).alias(name)
    if name in BOOL_FIELDS:
        return _bool(pl.col(f"_code_{name}")).alias(name)
    if name in codes:
        return pl.col(f"_code_{name}").alias(name)
    return pl.col(name).str.strip_chars().alias(name)


def typed_frame(frame: pl.DataFrame, rec: Recognised, regions: pl.DataFrame,
                as_of: date | None = None) -> pl.DataFrame:
    """Normalise a mapped frame into the typed table columns plus ``_chk_*`` helper columns.

    Args:
        frame: the mapped rows.
        rec: the recognised grid they come from.
        regions: the region table.
        as_of: the day the data is read as of: it bounds birth and event dates (IDs born
            after it are invalid); None for today.

    Returns:
        The typed columns, the raw ones (``_raw_<field>``), each field's problem
        (``_chk_<field>``, null when none) and the unknown code words (``_unk_<field>``).
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
    frame = map_codes(frame, rec)
    own = own_fields(rec.extract)
    frame = _dates(frame, own, as_of)
    sex_col = pl.when(pl.col("_code_sex").is_in(SEXES)).then(pl.col("_code_sex"))
    household = (pl.col("household_id").str.strip_chars() if "household_id" in spec.fields
                 else pl.lit(None, pl.String))
    money = [f for f in own if f in MONEY_FIELDS]  # each amount's number, computed once
    frame = frame.with_columns(number(pl.col(f)).alias(f"_num_{f}") for f in money)
    return frame.with_columns(
        pl.lit(grid.source_file).alias("source_file"),
        pl.lit(grid.sheet).alias("sheet"),
        (pl.lit(f"{grid.source_file}|{grid.sheet}|") + pl.col("row_number").cast(pl.String))
        .alias("record_id"),
        pl.lit(spec.department).alias("department"),
        pl.lit(rec.extract).alias("extract"),
        pl.coalesce("id_sex", sex_col).alias("sex"),
        pl.coalesce("id_birth_date", "_birth_col").alias("birth_date"),
        household.alias("household_id"),
        *(pl.col(f).alias(f"_raw_{f}") for f in own),
        sex_col.alias("_sex_col"),
        *(money_check(pl.col(f), pl.col(f"_num_{f}")).cast(CHECKS).alias(f"_chk_{f}")
          for f in money),
    ).with_columns(_typed_field(f, spec.codes) for f in own).drop(f"_num_{f}" for f in money)
