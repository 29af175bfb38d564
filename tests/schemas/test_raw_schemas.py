"""Raw (mapped, text) and canonical (typed) pandera models."""

from __future__ import annotations

import datetime as dt

import pandera.errors as pe
import polars as pl
import pytest

from pipelines.domain.extracts import EXTRACTS, REGION_FIELDS
from schemas.canonical import COMMON_COLUMNS, TABLE_MODELS, PersonRecords, Regions, table_schema
from schemas.raw import RAW_MODELS, RawRegions


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


TYPED_FIELDS = [  # (extract, column, dtype): the types the rules and rollups compute with
    ("poverty_roster", "risk_cleared", pl.Boolean), ("poverty_roster", "head_name", pl.String),
    ("doctor_contract", "contract_date", pl.Date), ("chronic_followup", "referral_date", pl.Date),
    ("illness_ledger", "diagnosis_date", pl.Date), ("assistance", "start_date", pl.Date),
    ("death", "death_date", pl.Date), ("enrolment", "enrol_year", pl.String),
    ("settlement", "total_cost", pl.Float64), ("settlement", "out_of_pocket", pl.Float64),
    ("settlement", "one_stop", pl.Boolean), ("settlement", "discharge_date", pl.Date),
]


@pytest.mark.parametrize(("extract", "column", "dtype"), TYPED_FIELDS)
def test_typed_table_gives_each_field_its_type(extract: str, column: str,
                                               dtype: pl.DataType) -> None:
    assert table_schema(extract)[column] == dtype


@pytest.mark.parametrize("extract", sorted(EXTRACTS))
def test_typed_table_is_the_common_columns_then_every_other_field_once(extract: str) -> None:
    """Person fields (name, ID, village …) live in the common columns, never twice."""
    cols = list(table_schema(extract))
    assert cols[: len(COMMON_COLUMNS)] == list(COMMON_COLUMNS)
    assert len(cols) == len(set(cols))
    spec = EXTRACTS[extract]
    own = [f for f in spec.fields if f not in spec.person_fields]
    assert set(cols[len(COMMON_COLUMNS):]) == set(own) - set(COMMON_COLUMNS)
    assert list(TABLE_MODELS[extract].to_schema().columns) == cols


def test_money_fields_refuse_negative_amounts() -> None:
    schema = table_schema("settlement")
    row = {c: None for c in schema} | {
        "record_id": "s||2", "source_file": "s.csv", "sheet": "", "row_number": 2,
        "department": "insurance", "extract": "settlement", "id_valid": False,
        "total_cost": -1.0}
    with pytest.raises(pe.SchemaErrors, match="total_cost"):
        TABLE_MODELS["settlement"].validate(pl.DataFrame([row], schema=schema), lazy=True)


def test_region_raw_model_needs_some_code_unlike_extracts() -> None:
    blank = pl.DataFrame({"row_number": [2, 3], **{f: [None, " "] for f in REGION_FIELDS}},
                         schema={"row_number": pl.Int64, **{f: pl.String for f in REGION_FIELDS}})
    with pytest.raises(pe.SchemaErrors, match="has_code"):
        RawRegions.validate(blank, lazy=True)
    RawRegions.validate(blank.head(0), lazy=True)
    RawRegions.validate(blank.with_columns(code=pl.Series(["411421000000", None])), lazy=True)


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
