"""Raw (mapped, text) and canonical (typed) pandera models."""

from __future__ import annotations

import datetime as dt

import pandera.errors as pe
import polars as pl
import pytest

from pipelines.domain.extracts import EXTRACTS
from schemas.canonical import COMMON_COLUMNS, TABLE_MODELS, PersonRecords, Regions, table_schema
from schemas.raw import RAW_MODELS


def raw_frame(extract: str, n: int = 2) -> pl.DataFrame:
    cols = {f: pl.Series([None] * n, dtype=pl.String) for f in EXTRACTS[extract].fields}
    return pl.DataFrame({"row_number": list(range(2, n + 2)), **cols})


@pytest.mark.parametrize("extract", sorted(EXTRACTS))
def test_raw_model_accepts_mapped_text(extract: str) -> None:
    frame = raw_frame(extract).with_columns(pl.Series("id_number", ["1", None]))
    RAW_MODELS[extract].validate(frame, lazy=True)


def test_raw_model_rejects_missing_column_and_numbers() -> None:
    frame = raw_frame("death").drop("death_date")
    with pytest.raises(pe.SchemaError, match="death_date"):
        RAW_MODELS["death"].validate(frame)
    frame = raw_frame("death").with_columns(pl.lit(1.5).alias("id_number"))
    with pytest.raises(pe.SchemaError, match="id_number"):
        RAW_MODELS["death"].validate(frame)


def records(ids: list[str | None], village_codes: list[str | None]) -> pl.DataFrame:
    n = len(ids)
    data = {c: [None] * n for c in COMMON_COLUMNS}
    data.update(record_id=[f"f|s|{i}" for i in range(n)], source_file=["f"] * n,
                sheet=["s"] * n, row_number=list(range(2, n + 2)), department=["civil"] * n,
                extract=["death"] * n, id_number=ids, id_valid=[True] * n,
                village_code=village_codes, birth_date=[dt.date(2000, 1, 1)] * n)
    schema = {c: t for c, t in table_schema("death").items() if c in COMMON_COLUMNS}
    return pl.DataFrame(data, schema=schema)


def test_person_records_checks_have_row_index() -> None:
    frame = records(["11010519491231002X", "110105194912310021", None],
                    ["411421102002", "4114211", None])
    with pytest.raises(pe.SchemaErrors) as err:
        PersonRecords.validate(frame, lazy=True)
    cases = err.value.failure_cases
    got = {(r["column"], r["check"], r["index"]) for r in cases.iter_rows(named=True)}
    assert got == {("id_number", "id_checksum", 1), ("village_code", "code_12_digits", 1)}


def test_table_models_cover_own_fields() -> None:
    for name, model in TABLE_MODELS.items():
        assert list(model.to_schema().columns) == list(table_schema(name)), name


def test_regions_model_rejects_bad_level_and_code() -> None:
    frame = pl.DataFrame({"code": ["411421000000", "4114"], "name": ["县", "村"],
                          "level": ["county", "hamlet"], "parent_code": [None, None],
                          "township_code": [None, None], "former_name": [None, None]},
                         schema={c: pl.String for c in ("code", "name", "level", "parent_code",
                                                       "township_code", "former_name")})
    with pytest.raises(pe.SchemaErrors) as err:
        Regions.validate(frame, lazy=True)
    checks = set(err.value.failure_cases["check"].to_list())
    assert "code_12_digits" in checks
    assert any("isin" in c for c in checks)


def test_raw_model_needs_unique_row_numbers() -> None:
    model = RAW_MODELS["death"]
    model.validate(raw_frame("death", 3), lazy=True)  # rows without name/ID: quarantined later
    named = raw_frame("death", 3).with_columns(pl.Series("name", [None, "甲", None]))
    model.validate(named, lazy=True)
    model.validate(raw_frame("death", 0).cast({"row_number": pl.Int64}), lazy=True)
    with pytest.raises(pe.SchemaErrors, match="row_number"):
        model.validate(named.with_columns(pl.lit(2, pl.Int64).alias("row_number")), lazy=True)
