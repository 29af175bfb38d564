"""The province over its counties: people by ID number across county lines, the cases a county
steward must see because of another county, and the province's monthly figures."""

import polars as pl
import pytest

from pipelines.domain.metrics import COUNT_COLUMNS, SUM_COLUMNS
from pipelines.province import cross_county_cases, cross_county_people, province_monthly
from schemas.published import validate_published

ID = {"moved": "411421195001100032", "dead": "411421195102110045", "twice": "411421195203120074",
      "home": "411422195607160159"}


def _people(rows):
    return pl.DataFrame(rows, schema=["county", "person_id", "id_number", "name"], orient="row"
                        ).with_columns(township_code=pl.lit(None, pl.String),
                                       village_code=pl.lit(None, pl.String))


def _sources(rows):
    return pl.DataFrame(rows, schema=["county", "person_id", "extract"], orient="row")


PEOPLE = _people([
    ("411421", "PA1", ID["moved"], "张建国"), ("411422", "PB1", ID["moved"], "张建国"),
    ("411421", "PA2", ID["dead"], "李秀英"), ("411423", "PC2", ID["dead"], "李秀英"),
    ("411421", "PA3", ID["twice"], "王伟"), ("411422", "PB3", ID["twice"], "王伟"),
    ("411422", "PB4", ID["home"], "赵强"), ("411423", "PC9", "41142119520312007", "坏号"),
    ("411421", "PA9", "41142119520312007", "坏号"),  # an invalid ID never links counties
])
SOURCES = _sources([
    ("411421", "PA1", "poverty_roster"), ("411422", "PB1", "enrolment"),
    ("411422", "PB1", "settlement"),
    ("411421", "PA2", "poverty_roster"), ("411421", "PA2", "enrolment"),
    ("411423", "PC2", "death"),
    ("411421", "PA3", "poverty_roster"), ("411421", "PA3", "enrolment"),
    ("411422", "PB3", "poverty_roster"), ("411422", "PB4", "poverty_roster"),
])


def test_people_in_two_counties_are_found_by_exact_valid_id_with_each_countys_roles():
    cross = validate_published("cross_county_person", cross_county_people(PEOPLE, SOURCES))
    assert sorted(set(cross["id_number"])) == sorted([ID["moved"], ID["dead"], ID["twice"]])
    roles = {(c, i): r for c, i, r in cross.select("county", "id_number", "roles").iter_rows()}
    assert roles[("411422", ID["moved"])] == "insured,treated"
    assert roles[("411423", ID["dead"])] == "dead"
    elsewhere = cross.filter(pl.col("county") == "411421", pl.col("id_number") == ID["dead"])
    assert elsewhere["elsewhere"].to_list() == ["411423:dead"]
    assert set(cross["n_counties"]) == {2}


def test_the_cases_a_steward_must_see_each_in_the_county_that_must_act():
    cases = validate_published("cross_county_mismatch",
                               cross_county_cases(cross_county_people(PEOPLE, SOURCES)))
    found = {(c, p): d for c, p, d in cases.select("county", "person_id", "detail").iter_rows()}
    assert set(found) == {("411421", "PA1"), ("411421", "PA2"), ("411421", "PA3"),
                          ("411422", "PB3")}
    assert found[("411421", "PA1")].endswith("insured only in 411422")
    assert found[("411421", "PA2")].endswith("dead in 411423")
    assert "also registered in 411422" in found[("411421", "PA3")]
    assert set(cases["rule"]) == {"cross_county"} and not cases["pending_match"].any()
    assert not cases["evidence"].str.contains(r"\d{17}").any()  # counties and roles, no IDs


def test_no_shared_people_no_cases():
    alone = cross_county_people(PEOPLE.filter(pl.col("county") == "411421"),
                                SOURCES.filter(pl.col("county") == "411421"))
    assert alone.height == 0 and cross_county_cases(alone).height == 0


def _county_row(county: str, month: str, registered: int, insured: int) -> dict:
    row = {c: 0 for c in COUNT_COLUMNS} | {c: 0.0 for c in SUM_COLUMNS}
    return row | {"county": county, "month": month, "registered_total": registered,
                  "insured": insured}


def test_the_province_sums_its_counties_and_recomputes_rates():
    monthly = pl.DataFrame([_county_row("411421", "2026-10", 100, 90),
                            _county_row("411422", "2026-10", 300, 300),
                            _county_row("411422", "2026-09", 1, 1)])
    row = validate_published("province_monthly", province_monthly(
        monthly, "2026-10", ["411421", "411422", "411423"], "41", "河南省")).row(0, named=True)
    assert (row["registered_total"], row["insured"]) == (400, 390)
    assert row["insured_rate"] == pytest.approx(390 / 400)  # never the mean of 0.9 and 1.0
    assert (row["counties_reported"], row["counties_missing"]) == (2, "411423")
    empty = province_monthly(pl.DataFrame(), "2026-10", ["411421"], "41", "河南省")
    assert empty.row(0, named=True)["counties_missing"] == "411421"
    assert empty["insured_rate"].to_list() == [None]
