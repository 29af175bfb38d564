"""Every engine output has exactly the columns, order and dtypes of its pandera contract.

The pandera models are the one contract per table (issue 10); the engine derives its schemas
from them. These tests run each producer on tiny inputs, once with rows and once with none
(the empty path is where a hand-built frame most easily drifts), and compare the output's
polars schema with ``polars_schema(model)``. A producer that adds, drops, reorders or retypes a
column, or builds its empty result by hand, fails here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandera.polars as pa
import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from published_fixtures import VILLAGE_A, VILLAGE_B, build, regions
from test_ingest_landing import write_landing

from pipelines.exchange import diff_cases, illness_cases, read_return, read_return_empty
from pipelines.exchange.workbook import write_workbook
from pipelines.golden import golden_person, person_source
from pipelines.ingest import Ingested, ingest_landing, person_records
from pipelines.rollup import rollup_county, rollup_township, village_monthly
from pipelines.rules import RULES, find_mismatches
from pipelines.rules.base import RULE_COLUMNS
from schemas.canonical import TABLE_MODELS, IngestAccounting, IngestFiles, PersonRecords, Regions
from schemas.contract import polars_schema
from schemas.exchange import ExchangeDiff, IllnessCase, ReturnedCase
from schemas.published import (
    CountyMonthly,
    FieldIssue,
    Mismatch,
    Person,
    PersonSource,
    Quarantine,
    TownshipMonthly,
    VillageMonthly,
)

MONTH = "2024-06"
ROSTER = {"population_type": "脱贫人口", "village_code": VILLAGE_A}
SPEC = {
    "poverty_roster": [{"pid": "P1", "name": "张伟", **ROSTER}, {"pid": "P2", **ROSTER}],
    "enrolment": [{"pid": "P1", "enrol_status": "参保缴费", "subsidy_type": "无",
                   "village_code": VILLAGE_B}],
    "illness_ledger": [{"pid": "P1", "illness": "胃癌", "status": "已救治",
                        "diagnosis_date": date(2024, 1, 2)}],
    "settlement": [{"pid": "P1", "diagnosis": "胃癌", "admission_date": date(2024, 2, 1),
                    "total_cost": 100.0, "one_stop": True}],
    "death": [{"pid": "P2", "death_date": date(2024, 1, 1)}],
}
UNCERTAIN = pl.DataFrame({"record_id_l": ["a|1"], "record_id_r": ["b|2"], "match_weight": [1.0],
                          "explain": ["name equal"]})


def _engine(spec: dict, uncertain: pl.DataFrame | None, tmp: Path) -> dict[str, pl.DataFrame]:
    """Person, sources, mismatches, case list, returned list and diff for tables from ``spec``."""
    tables, links = build(spec)
    person = golden_person(tables, links)
    cases = illness_cases(tables["illness_ledger"], tables["settlement"], links, person,
                          regions(), MONTH)
    theirs = read_return(write_workbook(cases, tmp / "cases.xlsx", MONTH)) if cases.height \
        else read_return_empty()
    changed = theirs.with_columns(status=pl.lit("救治中"))
    return {
        "person": person,
        "person_source": person_source(person_records(tables), links),
        "mismatch": find_mismatches(tables, links, person, MONTH, uncertain),
        "illness_cases": cases,
        "returned_cases": theirs,
        "exchange_diff": diff_cases(cases, changed, MONTH),
    }


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, pl.DataFrame]]:
    tmp = tmp_path_factory.mktemp("contracts")
    full = ingest_landing(write_landing(tmp))
    none = ingest_landing(tmp_path_factory.mktemp("empty_landing"))
    return {
        "rows": {**_engine(SPEC, UNCERTAIN, tmp), **_ingested(full)},
        "empty": {**_engine({}, None, tmp), **_ingested(none)},
    }


def _ingested(out: Ingested) -> dict[str, pl.DataFrame]:
    return {"quarantine": out.quarantine, "field_issue": out.field_issue,
            "accounting": out.accounting, "files": out.files, "regions": out.regions,
            "person_records": person_records(out.tables),
            **{f"table:{e}": t for e, t in out.tables.items()}}


CONTRACTS: dict[str, type[pa.DataFrameModel]] = {
    "person": Person,
    "person_source": PersonSource,
    "mismatch": Mismatch,
    "quarantine": Quarantine,
    "field_issue": FieldIssue,
    "accounting": IngestAccounting,
    "files": IngestFiles,
    "regions": Regions,
    "person_records": PersonRecords,
    "illness_cases": IllnessCase,
    "returned_cases": ReturnedCase,
    "exchange_diff": ExchangeDiff,
    **{f"table:{e}": m for e, m in TABLE_MODELS.items()},
}


# Known drifts between a producer and its contract (strict xfail: the mark goes when fixed).
DRIFT: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize("variant", ["rows", "empty"])
@pytest.mark.parametrize("table", list(CONTRACTS))
def test_engine_output_schema_is_its_contract(outputs: dict, table: str, variant: str,
                                              request: pytest.FixtureRequest) -> None:
    if (table, variant) in DRIFT:
        request.applymarker(pytest.mark.xfail(reason=DRIFT[table, variant], strict=True))
    frame = outputs[variant][table]
    if variant == "rows" and not table.startswith("table:"):  # the landing lacks some extracts
        assert frame.height > 0, f"{table}: the 'rows' inputs should produce rows"
    expected = polars_schema(CONTRACTS[table])
    assert list(frame.schema.items()) == list(expected.items()), table


def test_every_rule_function_returns_the_mismatch_columns_but_pending_match() -> None:
    """Each registered rule, with and without hits, returns ``RULE_COLUMNS`` typed as contracted."""
    tables, links = build(SPEC)
    person = golden_person(tables, links)
    expected = [(c, t) for c, t in polars_schema(Mismatch).items() if c in RULE_COLUMNS]
    assert [c for c, _ in expected] == list(RULE_COLUMNS) == list(polars_schema(Mismatch))[:-1]
    for rule in (r for r in RULES if r.fn is not None):
        for label, (t, lk) in {"hits": (tables, links), "none": build({})}.items():
            out = rule.fn(t, lk, golden_person(t, lk) if label == "none" else person,
                          date(2024, 6, 30))
            assert list(out.schema.items()) == expected, (rule.id, label)


MONTHLY: dict[str, tuple[Callable, type[pa.DataFrameModel]]] = {
    "village_monthly": (lambda v: v, VillageMonthly),
    "township_monthly": (lambda v: rollup_township(v, regions()), TownshipMonthly),
    "county_monthly": (lambda v: rollup_county(rollup_township(v, regions()), regions()),
                       CountyMonthly),
}


@pytest.mark.parametrize("table", list(MONTHLY))
def test_monthly_tables_have_every_contracted_column_with_its_dtype(table: str) -> None:
    """Names and dtypes, not order: the monthly models declare keys after the metrics."""
    tables, links = build(SPEC)
    village = village_monthly(tables, golden_person(tables, links), links, regions(), MONTH)
    make, model = MONTHLY[table]
    frame = make(village)
    required = polars_schema(model, optional=False)
    assert {c: frame.schema.get(c) for c in required} == dict(required)
    optional = set(polars_schema(model)) - set(required)
    extra = set(frame.columns) - set(required)
    assert extra <= optional, f"{table}: columns outside the contract {sorted(extra - optional)}"
    for col in extra:
        assert frame.schema[col] == polars_schema(model)[col], col
