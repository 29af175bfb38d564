"""``case_records(links, source, mismatch, previous)`` keeps only the records ``track_cases``
can look up, and the cases it gives are those from every record: a new month, a split, a merge
into a surviving case, a merge without one, an uncertain pair."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

sys.path.insert(0, str(Path(__file__).parent))
from case_frames import mismatch, records

from pipelines.cases import case_records, track_cases

# records no case names: a county's other people, which the subset leaves out
OTHERS = {f"enrolment|{n}": f"PZ{n}" for n in range(100, 140)}
BEFORE = {"poverty_roster|1": "PA", "enrolment|1": "PA", "poverty_roster|2": "PB",
          "poverty_roster|3": "PD", "settlement|2": "PB", "enrolment|7": "PX"}
OCTOBER = (("not_insured", "PA", None, "poverty_roster|1,enrolment|1"),
           ("no_doctor_contract", "PB", None, "poverty_roster|2"),
           ("no_doctor_contract", "PD", None, "poverty_roster|3"),
           ("uncertain_match", None, "Kenrolment|7,Kpoverty_roster|1",
            "poverty_roster|1,enrolment|7"))
# name: (this month's owners of BEFORE's records, this month's mismatch rows, the statuses)
CASES = {
    "still found, one gone": (BEFORE, OCTOBER[:2], ["open", "open", "resolved", "resolved"]),
    "split": ({**BEFORE, "poverty_roster|1": "PC", "enrolment|1": "PC"},
              (("not_insured", "PC", None, "poverty_roster|1,enrolment|1"),),
              ["open", "resolved", "resolved", "resolved"]),
    "merged into a surviving case": (
        {**BEFORE, "poverty_roster|2": "PA", "poverty_roster|3": "PA", "settlement|2": "PA"},
        (("no_doctor_contract", "PA", None, "poverty_roster|1,poverty_roster|2"),),
        ["merged", "open", "resolved", "resolved"]),
    "merged, no surviving case": ({**BEFORE, "poverty_roster|2": "PA", "settlement|2": "PA"},
                                  (), ["resolved"] * 4),
    "uncertain pair decided": ({**BEFORE, "enrolment|7": "PA"}, OCTOBER[:1],
                               ["open", "resolved", "resolved", "resolved"]),
    "first month": (BEFORE, OCTOBER, ["new"] * 4),
}


def _split(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(person_links, person_source) columns of a ``records`` frame."""
    return (frame.select("record_id", "record_key", "person_id"),
            frame.select("record_id", "extract").reverse())  # person_source's own order


@pytest.mark.parametrize("name", list(CASES))
def test_the_records_cases_name_give_the_cases_every_record_gives(name: str) -> None:
    owners, rows, statuses = CASES[name]
    first = name == "first month"
    previous = None if first else track_cases(None, mismatch(*OCTOBER),
                                              records({**BEFORE, **OTHERS}), "2026-10")
    now = records({**owners, **OTHERS})
    this = mismatch(*rows)
    few = case_records(*_split(now), this, previous)
    assert not set(few["record_id"]) & set(OTHERS)  # the county's other people left out
    cases = track_cases(previous, this, few, "2026-11")
    assert_frame_equal(cases, track_cases(previous, this, case_records(*_split(now)),
                                          "2026-11"))
    assert sorted(cases["status"]) == statuses


def test_without_the_mismatch_every_record_is_kept() -> None:
    now = records({**BEFORE, **OTHERS})
    assert case_records(*_split(now)).height == now.height
