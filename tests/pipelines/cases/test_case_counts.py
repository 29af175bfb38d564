"""Case counts per village sum up to township and county; 非同一人 answers become decisions."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from case_frames import VILLAGE_A, VILLAGE_B, VILLAGE_C, answer, answers, mismatch, records
from published_fixtures import build, regions

from pipelines.cases import case_counts, not_same_person_decisions, track_cases, with_case_counts
from pipelines.domain.metrics import CASE_COUNTS
from pipelines.golden import golden_person
from pipelines.rollup import (
    check_rollup_consistency,
    rollup_county,
    rollup_township,
    village_monthly,
)
from schemas.cases import MismatchCase
from schemas.published import validate_published

OWNERS = {"poverty_roster|1": "PA", "poverty_roster|2": "PB", "poverty_roster|3": "PC",
          "poverty_roster|4": "PD", "enrolment|1": "PA", "death|1": "PA"}


@pytest.fixture
def december() -> pl.DataFrame:
    """A: open since Oct (overdue in Dec); B: resolved in Dec; C: new in Dec; D: explained."""
    recs = records(OWNERS)
    octo = track_cases(None, mismatch(
        ("no_doctor_contract", "PA", None, "poverty_roster|1", VILLAGE_A),
        ("no_doctor_contract", "PB", None, "poverty_roster|2", VILLAGE_A),
        ("no_doctor_contract", "PD", None, "poverty_roster|4", VILLAGE_C)), recs, "2026-10")
    nov = track_cases(octo, mismatch(
        ("no_doctor_contract", "PA", None, "poverty_roster|1", VILLAGE_A),
        ("no_doctor_contract", "PB", None, "poverty_roster|2", VILLAGE_A),
        ("no_doctor_contract", "PD", None, "poverty_roster|4", VILLAGE_C)), recs, "2026-11")
    d_case = nov.filter(pl.col("person_id") == "PD")["case_id"].item()
    return track_cases(nov, mismatch(
        ("no_doctor_contract", "PA", None, "poverty_roster|1", VILLAGE_A),
        ("no_doctor_contract", "PC", None, "poverty_roster|3", VILLAGE_B),
        ("no_doctor_contract", "PD", None, "poverty_roster|4", VILLAGE_C)), recs, "2026-12",
        answers(answer(d_case, "其他", "已签约, 系统未同步", on="2026-12-02")))


def test_counts_per_village(december: pl.DataFrame) -> None:
    got = {r["village_code"]: tuple(r[c] for c in CASE_COUNTS)
           for r in case_counts(december).iter_rows(named=True)}
    # new, open, overdue, resolved, explained
    assert got == {VILLAGE_A: (0, 1, 1, 1, 0), VILLAGE_B: (1, 1, 0, 0, 0),
                   VILLAGE_C: (0, 0, 0, 0, 1)}


def test_three_levels_sum_the_case_counts(december: pl.DataFrame) -> None:
    tables, links = build({"poverty_roster": [{"pid": "X", "village_code": VILLAGE_A,
                                               "population_type": "脱贫人口"}]})
    person = golden_person(tables, links)
    village = with_case_counts(village_monthly(tables, person, links, regions(), "2026-12"),
                               december)
    township = rollup_township(village, regions())
    county = rollup_county(township, regions())
    assert check_rollup_consistency(village, township, county) == []
    assert county.select(CASE_COUNTS).row(0) == (1, 2, 1, 1, 1)
    assert dict(township.select("township_code", "cases_open").iter_rows()) == {
        VILLAGE_A[:9] + "000": 2, VILLAGE_C[:9] + "000": 0}
    for name, frame in (("village_monthly", village), ("township_monthly", township),
                        ("county_monthly", county)):
        validate_published(name, frame)
    broken = township.with_columns(cases_open=pl.col("cases_open") + 1)
    assert any("cases_open" in p for p in check_rollup_consistency(village, broken, county))


def test_contract_refuses_an_overdue_closed_case(december: pl.DataFrame) -> None:
    import pandera.polars as pa

    bad = december.with_columns(overdue=pl.lit(True))
    with pytest.raises(pa.errors.SchemaErrors, match="overdue_only_when_open"):
        MismatchCase.validate(bad, lazy=True)


def test_not_same_person_separates_the_anchor_records() -> None:
    recs = records(OWNERS)
    cases = track_cases(None, mismatch(
        ("dead_but_active", "PA", None, "death|1,enrolment|1,poverty_roster|1"),
        ("no_doctor_contract", "PB", None, "poverty_roster|2"),
        ("uncertain_match", None, "Kenrolment|1,Kpoverty_roster|3",
         "enrolment|1,poverty_roster|3")), recs, "2026-10")
    ids = dict(zip(cases["rule"], cases["case_id"], strict=True))
    said = answers(answer(ids["dead_but_active"], "非同一人", "死者是同名的另一人"),
                   answer(ids["no_doctor_contract"], "非同一人", row=5),
                   answer(ids["uncertain_match"], "非同一人", row=6))
    decisions, problems = not_same_person_decisions(said, cases)
    pairs = set(decisions.select("record_key_l", "record_key_r").rows())
    assert pairs == {("Kdeath|1", "Kenrolment|1"), ("Kdeath|1", "Kpoverty_roster|1"),
                     ("Kenrolment|1", "Kpoverty_roster|3")}
    assert set(decisions["decision"]) == {"no_link"}
    assert decisions["note"].str.contains("非同一人").all()
    assert problems.select("row_number", "problem").rows() == [(5, "not_same_person_unpaired")]
