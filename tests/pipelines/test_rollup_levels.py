"""Village / township / county monthly tables: counts, standards, rates from sums, consistency."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from published_fixtures import TOWN, TOWN2, VILLAGE_A, VILLAGE_B, VILLAGE_C, build, regions

from pipelines.golden import golden_person
from pipelines.rollup import (
    check_rollup_consistency,
    rollup_county,
    rollup_township,
    village_monthly,
)


def _roster(pid: str, village: str, **kw: object) -> dict:
    return {"pid": pid, "village_code": village, "population_type": "脱贫人口", **kw}


def _visits(pid: str, disease: str, n: int, first: date, **kw: object) -> list[dict]:
    return [{"pid": pid, "disease": disease, "followup_date": first + timedelta(days=60 * i), **kw}
            for i in range(n)]


SPEC = {
    "poverty_roster": [
        _roster("A1", VILLAGE_A, risk_cause="因病", monitoring_category="脱贫不稳定户"),
        _roster("A2", VILLAGE_A, population_type="监测对象", risk_cause="因病、因残"),
        _roster("B1", VILLAGE_B), _roster("B2", VILLAGE_B), _roster("B3", VILLAGE_B),
        _roster("C1", VILLAGE_C, risk_cleared=True),
    ],
    "doctor_contract": [
        {"pid": "A1", "contract_date": date(2024, 1, 5)},
        {"pid": "A2", "contract_date": date(2024, 7, 5)},  # after June: not counted
        {"pid": "B1", "contract_date": date(2023, 3, 1)},
        {"pid": "NOTREG", "contract_date": date(2023, 3, 1)},
    ],
    "chronic_followup": [
        *_visits("A1", "高血压", 4, date(2023, 8, 1)),  # 4 in the window: met
        *_visits("A2", "2型糖尿病", 3, date(2023, 9, 1)),  # 3: not met
        *_visits("B1", "高血压", 4, date(2023, 1, 1)),  # mostly before the window: not met
        {"pid": "B2", "disease": "肺结核", "referral_date": date(2024, 2, 1),
         "followup_date": date(2024, 2, 10)},  # 9 days: met
        {"pid": "B3", "disease": "肺结核", "referral_date": date(2024, 2, 1),
         "followup_date": date(2024, 3, 1)},  # 29 days: not met
    ],
    "illness_ledger": [
        {"pid": "A1", "illness": "胃癌", "status": "救治中", "diagnosis_date": date(2023, 5, 1)},
        {"pid": "A1", "illness": "胃癌", "status": "已救治", "diagnosis_date": date(2024, 1, 1)},
        {"pid": "B1", "illness": "肺癌", "status": "救治中", "diagnosis_date": date(2024, 1, 1)},
    ],
    "settlement": [
        {"pid": "A1", "admission_date": date(2024, 2, 1), "discharge_date": date(2024, 2, 9),
         "total_cost": 1000.0, "out_of_pocket": 100.0, "one_stop": True},
        {"pid": "B1", "admission_date": date(2024, 3, 1), "discharge_date": date(2024, 3, 9),
         "total_cost": 3000.0, "out_of_pocket": 900.0, "one_stop": False},
    ],
    "enrolment": [
        {"pid": "A1", "enrol_status": "参保缴费", "subsidy_type": "脱贫人口资助"},
        {"pid": "A2", "enrol_status": "参保缴费", "subsidy_type": "无"},
        {"pid": "B1", "enrol_status": "终止", "subsidy_type": "脱贫人口资助"},
    ],
}


@pytest.fixture(scope="module")
def levels() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    tables, links = build(SPEC)
    person = golden_person(tables, links)
    village = village_monthly(tables, person, links, regions(), "2024-06")
    township = rollup_township(village, regions())
    return village, township, rollup_county(township, regions())


def _row(df: pl.DataFrame, col: str, code: str) -> dict:
    return df.filter(pl.col(col) == code).row(0, named=True)


def test_every_village_of_the_region_table_with_names(levels) -> None:
    village, _, _ = levels
    assert village["village_code"].to_list() == [VILLAGE_A, VILLAGE_B, VILLAGE_C]
    a = _row(village, "village_code", VILLAGE_A)
    assert (a["village_name"], a["township_name"], a["county_name"]) == ("甲村", "一镇", "样县")
    assert (village["month"] == "2024-06").all()


def test_registered_counts_by_type_category_and_cause(levels) -> None:
    a = _row(levels[0], "village_code", VILLAGE_A)
    assert a["registered_total"] == 2
    # A1 is 脱贫人口 in a 脱贫不稳定户: a monitored 脱贫人口, counted in both (predicates).
    assert (a["registered_poverty_alleviated"], a["registered_monitored"]) == (1, 2)
    assert a["registered_cat_unstable"] == 1
    assert (a["registered_cause_illness"], a["registered_cause_disability"]) == (2, 1)
    assert _row(levels[0], "village_code", VILLAGE_C)["registered_risk_cleared"] == 1


def test_contract_coverage_as_of_month_end(levels) -> None:
    a = _row(levels[0], "village_code", VILLAGE_A)
    assert a["contracted"] == 1 and a["contract_rate"] == pytest.approx(0.5)
    assert a["chronic_contracted"] == 1 and a["chronic_contract_rate"] == pytest.approx(0.5)


def test_chronic_follow_up_standards(levels) -> None:
    a = _row(levels[0], "village_code", VILLAGE_A)
    b = _row(levels[0], "village_code", VILLAGE_B)
    assert (a["chronic_patients"], a["chronic_standard_met"]) == (2, 1)
    assert (a["chronic_hypertension"], a["chronic_diabetes"]) == (1, 1)
    assert (b["chronic_patients"], b["chronic_tb"], b["chronic_standard_met"]) == (3, 2, 1)
    assert b["chronic_standard_rate"] == pytest.approx(1 / 3)


def test_serious_illness_status_settlements_and_out_of_pocket(levels) -> None:
    a = _row(levels[0], "village_code", VILLAGE_A)
    assert (a["illness_patients"], a["illness_treated"], a["illness_in_treatment"]) == (1, 1, 0)
    assert (a["illness_with_settlement"], a["illness_one_stop_settlements"]) == (1, 1)
    assert a["illness_out_of_pocket_share"] == pytest.approx(0.1)


def test_insurance_and_subsidy(levels) -> None:
    a = _row(levels[0], "village_code", VILLAGE_A)
    b = _row(levels[0], "village_code", VILLAGE_B)
    assert (a["insured"], a["subsidy_consistent"], a["subsidy_consistent_rate"]) == (2, 1, 0.5)
    assert (b["insured"], b["insured_rate"], b["subsidy_consistent_rate"]) == (0, 0.0, None)


def test_empty_village_has_zeros_and_null_rates() -> None:
    tables, links = build({"poverty_roster": [_roster("A1", VILLAGE_A)]})
    village = village_monthly(tables, golden_person(tables, links), links, regions(), "2024-06")
    c = _row(village, "village_code", VILLAGE_C)
    assert c["registered_total"] == 0 and c["contracted"] == 0
    assert c["contract_rate"] is None


def test_no_clinic_list_no_clinic_columns(levels) -> None:
    for df in levels:
        assert not {"villages", "villages_with_clinic", "clinic_coverage"} & set(df.columns)


@pytest.mark.parametrize(
    ("clinics", "village", "township", "county"),
    [
        # clinics per village A, B, C -> (villages, with clinic, coverage) at each level
        ({VILLAGE_A: 1, VILLAGE_B: 0, VILLAGE_C: 2}, (1, 1, 1.0), (2, 1, 0.5), (3, 2, 2 / 3)),
        ({VILLAGE_A: 0, VILLAGE_B: 0, VILLAGE_C: 0}, (1, 0, 0.0), (2, 0, 0.0), (3, 0, 0.0)),
        ({VILLAGE_A: 3, VILLAGE_B: 1, VILLAGE_C: 1}, (1, 1, 1.0), (2, 2, 1.0), (3, 3, 1.0)),
    ],
)
def test_clinic_coverage_when_a_clinic_list_landed(clinics, village, township, county) -> None:
    with_list = regions().with_columns(
        clinics=pl.col("code").replace_strict(clinics, default=None, return_dtype=pl.Int64))
    tables, links = build(SPEC)
    person = golden_person(tables, links)
    v = village_monthly(tables, person, links, with_list, "2024-06")
    t = rollup_township(v, with_list)
    c = rollup_county(t, with_list)
    cols = ["villages", "villages_with_clinic", "clinic_coverage"]
    assert tuple(_row(v, "village_code", VILLAGE_A)[k] for k in cols) == village
    assert tuple(_row(t, "township_code", TOWN)[k] for k in cols) == pytest.approx(township)
    assert tuple(c.row(0, named=True)[k] for k in cols) == pytest.approx(county)
    assert check_rollup_consistency(v, t, c) == []
    for name, df in zip(("village_monthly", "township_monthly", "county_monthly"), (v, t, c),
                        strict=True):
        from schemas.published import validate_published

        assert validate_published(name, df).height == df.height


def test_rates_are_recomputed_from_sums_not_averaged(levels) -> None:
    _, township, county = levels
    t1 = _row(township, "township_code", TOWN)
    # village A: 1/2 contracted, village B: 1/3 -> township 2/5 (the average would be 5/12)
    assert t1["contracted"] == 2 and t1["registered_total"] == 5
    assert t1["contract_rate"] == pytest.approx(2 / 5)
    # out-of-pocket: (100 + 900) / (1000 + 3000), not the mean of 0.1 and 0.3
    assert t1["illness_out_of_pocket_share"] == pytest.approx(0.25)
    assert _row(township, "township_code", TOWN2)["registered_total"] == 1
    assert county.height == 1 and county["registered_total"][0] == 6
    assert county["county_name"][0] == "样县"


def test_consistent_levels_have_no_problems(levels) -> None:
    assert check_rollup_consistency(*levels) == []


def test_consistency_check_finds_a_wrong_sum_and_a_wrong_rate(levels) -> None:
    village, township, county = levels
    bad_town = township.with_columns(
        registered_total=pl.when(pl.col("township_code") == TOWN)
        .then(pl.col("registered_total") + 1).otherwise(pl.col("registered_total"))
    )
    problems = check_rollup_consistency(village, bad_town, county)
    assert any("registered_total" in p and TOWN in p for p in problems)
    assert any("contract_rate" in p for p in problems)  # rate no longer fits the counts
    bad_county = county.with_columns(insured_rate=pl.lit(0.99))
    assert any("insured_rate" in p for p in check_rollup_consistency(village, township, bad_county))


def test_three_levels_pass_their_published_schemas(levels) -> None:
    from schemas.published import validate_published

    for name, df in zip(("village_monthly", "township_monthly", "county_monthly"), levels,
                        strict=True):
        assert validate_published(name, df).height == df.height


def test_schema_rejects_rate_above_one_and_bad_code(levels) -> None:
    from schemas.published import PublishedTableError, validate_published

    bad = levels[0].with_columns(
        contract_rate=pl.lit(1.5), village_code=pl.col("village_code").str.slice(0, 11)
    )
    with pytest.raises(PublishedTableError) as err:
        validate_published("village_monthly", bad)
    assert "contract_rate" in str(err.value) and "village_code" in str(err.value)


def test_several_months_roll_up_separately() -> None:
    tables, links = build(SPEC)
    person = golden_person(tables, links)
    months = pl.concat([village_monthly(tables, person, links, regions(), m)
                        for m in ("2024-06", "2024-07")])
    township = rollup_township(months, regions())
    county = rollup_county(township, regions())
    assert township.height == 4 and county.height == 2
    by_month = dict(zip(county["month"], county["contracted"], strict=True))
    assert by_month == {"2024-06": 2, "2024-07": 3}  # A2's contract of 2024-07-05 now counts
    assert check_rollup_consistency(months, township, county) == []
