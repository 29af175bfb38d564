"""Golden person: each field by trust, then recency, then frequency, with provenance."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from schemas.canonical import COMMON_COLUMNS

sys.path.insert(0, str(Path(__file__).parent))
from published_fixtures import VILLAGE_A, VILLAGE_B, VILLAGE_C, build

from pipelines.golden import golden_person, person_source

VALID = "410101199001011234"
INVALID = "410101199001011235"


def _one(person: pl.DataFrame, pid: str) -> dict:
    return person.filter(pl.col("person_id") == pid).row(0, named=True)


def test_valid_id_beats_more_trusted_department_with_invalid_id() -> None:
    tables, links = build({
        "poverty_roster": [{"pid": "P1", "name": "张伟", "id_number": INVALID, "id_valid": False,
                            "village_code": VILLAGE_A, "household_id": "H1"}],
        "enrolment": [{"pid": "P1", "name": "张玮", "id_number": VALID, "id_valid": True,
                       "sex": "男", "birth_date": date(1990, 1, 1), "village_code": VILLAGE_B}],
    })
    p = _one(golden_person(tables, links), "P1")
    assert p["id_number"] == VALID
    assert p["id_number_source"] == "enrolment:enrolment|0|P1"
    assert p["name"] == "张玮"  # the record with the valid ID wins the name too
    assert p["village_code"] == VILLAGE_A  # poverty roster wins the village
    assert p["township_code"] == VILLAGE_A[:9] + "000"
    assert p["household_id"] == "H1"
    assert p["departments"] == "insurance,poverty"
    assert p["n_records"] == 2


def test_village_trust_order_then_recency_then_frequency() -> None:
    tables, links = build({
        # P1: civil beats insurance and health regardless of dates
        "assistance": [{"pid": "P1", "village_code": VILLAGE_A, "start_date": date(2020, 1, 1)}],
        "doctor_contract": [
            {"pid": "P1", "village_code": VILLAGE_B, "contract_date": date(2024, 1, 1)},
            # P2: only health, the most recent record wins over the more frequent value
            {"pid": "P2", "village_code": VILLAGE_C, "contract_date": date(2024, 5, 1)},
        ],
        "chronic_followup": [
            {"pid": "P2", "village_code": VILLAGE_B, "followup_date": date(2023, 1, 1)},
            {"pid": "P2", "village_code": VILLAGE_B, "followup_date": date(2023, 2, 1)},
            # P3: no dates anywhere: the most frequent value wins
            {"pid": "P3", "village_code": VILLAGE_A},
            {"pid": "P3", "village_code": VILLAGE_C},
            {"pid": "P3", "village_code": VILLAGE_C},
        ],
    })
    person = golden_person(tables, links)
    assert _one(person, "P1")["village_code"] == VILLAGE_A
    assert _one(person, "P1")["village_code_source"].startswith("assistance:")
    assert _one(person, "P2")["village_code"] == VILLAGE_C
    assert _one(person, "P3")["village_code"] == VILLAGE_C
    assert person.height == 3
    assert person["person_id"].is_unique().all()


def test_unlinked_records_are_left_out_and_person_source_maps_rows() -> None:
    tables, links = build({
        "poverty_roster": [{"pid": "P1", "name": "李娜"}, {"pid": "P2", "name": "王芳"}],
    })
    links = links.filter(pl.col("person_id") == "P1")
    assert golden_person(tables, links)["person_id"].to_list() == ["P1"]
    src = person_source(tables["poverty_roster"], links)
    assert src.columns == ["source_file", "sheet", "row_number", "record_id", "department",
                           "extract", "person_id"]
    assert src.select("row_number", "person_id").rows() == [(2, "P1")]


def test_person_table_passes_its_published_schema() -> None:
    from schemas.published import validate_published

    tables, links = build({
        "poverty_roster": [{"pid": "P1", "name": "张伟", "id_number": VALID, "id_valid": True,
                            "sex": "男", "village_code": VILLAGE_A, "household_id": "H1"}],
        "enrolment": [{"pid": "P2", "name": "李娜"}],
    })
    person = golden_person(tables, links)
    assert validate_published("person", person).height == 2
    records = pl.concat([t.select(COMMON_COLUMNS) for t in tables.values()])
    src = person_source(records, links)
    assert validate_published("person_source", src).height == 2


def test_ties_go_to_the_smallest_record_id_whatever_the_order_of_the_links() -> None:
    """Links in the tables' order (taken as they stand) or in any other (joined): the same
    person table, sorted by person_id; an exact tie goes to the smallest record id."""
    tables, links = build({
        "chronic_followup": [  # P2's two records tie on everything: the smaller record id wins
            {"pid": "P2", "village_code": VILLAGE_B, "followup_date": date(2023, 1, 1)},
            {"pid": "P2", "village_code": VILLAGE_C, "followup_date": date(2023, 1, 1)},
            {"pid": "P1", "village_code": VILLAGE_A},
        ],
        "doctor_contract": [{"pid": "P3", "village_code": VILLAGE_A},
                            {"pid": "P1", "village_code": VILLAGE_C}],
    })
    first = golden_person(tables, links)
    assert first["person_id"].to_list() == ["P1", "P2", "P3"]
    tie = _one(first, "P2")
    ids = sorted(tables["chronic_followup"].filter(pl.col("village_code") != VILLAGE_A)
                 ["record_id"])
    assert tie["village_code_source"] == f"chronic_followup:{ids[0]}"
    for order in (links.reverse(), links.sort("person_id"), links.sample(fraction=1.0,
                                                                         shuffle=True, seed=3)):
        assert golden_person(tables, order).equals(first)


@pytest.mark.parametrize("ids", ["minted", "extremes", "over the key", "upper", "other",
                                 "null"])
def test_records_sort_by_person_and_record_id_as_strings_do(ids, monkeypatch):
    """``by_person_and_record`` (one integer key for minted ids "P" + 10 lower-case hex
    digits, the strings otherwise or with more records than the key holds) orders rows as
    ``sort("person_id", "record_id")``."""
    from pipelines import golden
    from pipelines.golden import by_person_and_record

    n = 5_000
    minted = pl.Series([f"P{i * 2_654_435_761 % (1 << 40):010x}" for i in range(1_300)])
    if ids == "over the key":  # 5,000 records, a key of 12 bits for them: the string sort
        monkeypatch.setattr(golden, "_RANK_BITS", 12)
    person = {"minted": minted, "over the key": minted, "upper": minted.str.to_uppercase(),
              "extremes": minted.scatter([0, 1, 2], ["Pffffffffff", "P0000000000",
                                                     "Pfffffffffe"]),
              "other": pl.Series([f"p-{i % 97}" for i in range(1_300)]),
              "null": minted.scatter(3, None)}[ids]
    frame = pl.DataFrame({
        "person_id": person.gather([i % 1_300 for i in range(n)]),
        "record_id": pl.Series([f"f.csv||{(i * 7_919) % n}" for i in range(n)]),
        "row": pl.int_range(n, eager=True),
    })
    assert frame["person_id"].n_unique() > 90
    assert_frame_equal(by_person_and_record(frame), frame.sort("person_id", "record_id"))
