"""A mapped extract grid to its typed table: IDs, names, places, dates, money, codes, yes/no."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.domain.codes import CODE_LISTS, FALSE_CODE, TRUE_CODE
from pipelines.domain.extracts import BOOL_FIELDS, DATE_FIELDS, EXTRACTS, MONEY_FIELDS
from pipelines.domain.predicates import derived_population_type
from pipelines.extracts import Recognised
from pipelines.normalise.dates import parse_dates_unique
from pipelines.normalise.ids import normalise_ids
from pipelines.normalise.names import normalise_names
from pipelines.normalise.places import resolve_places
from pipelines.values import header_of, map_column
from schemas.canonical import own_fields

SEXES = ("男", "女")


def _money(raw: pl.Expr) -> pl.Expr:
    text = raw.str.replace_all(r"[\s,，￥¥元]", "")
    return text.cast(pl.Float64, strict=False)


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


def _typed_field(name: str, codes: dict[str, str]) -> pl.Expr:
    """The typed expression of an extract's own field."""
    if name in DATE_FIELDS:
        return pl.col(f"_d_{name}").alias(name)
    if name in MONEY_FIELDS:
        return _money(pl.col(name)).alias(name)
    if name in BOOL_FIELDS:
        return _bool(pl.col(f"_code_{name}")).alias(name)
    if name in codes:
        return pl.col(f"_code_{name}").alias(name)
    return pl.col(name).str.strip_chars().alias(name)


def typed_frame(frame: pl.DataFrame, rec: Recognised, regions: pl.DataFrame,
                as_of: date | None = None) -> pl.DataFrame:
    """Normalise a mapped frame into the typed table columns plus ``_chk_*`` helper flags.

    Args:
        frame: the mapped rows.
        rec: the recognised grid they come from.
        regions: the region table.
        as_of: the day the data is read as of (IDs born after it are invalid); None for today.

    Returns:
        The typed rows.
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
    frame = frame.with_columns(
        parse_dates_unique(frame["_birth_raw"]).alias("_birth_col"),
        *(parse_dates_unique(frame[f]).alias(f"_d_{f}") for f in own if f in DATE_FIELDS),
    )
    sex_col = pl.when(pl.col("_code_sex").is_in(SEXES)).then(pl.col("_code_sex"))
    household = (pl.col("household_id").str.strip_chars() if "household_id" in spec.fields
                 else pl.lit(None, pl.String))
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
    ).with_columns(_typed_field(f, spec.codes) for f in own)
