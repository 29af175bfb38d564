"""Which ``link`` a township's 非同一人 refuses: the two records it answered on, or the two people.

The township answered 非同一人 on records X and Y (case C1). Once a night applied it, X and Y
are two people of the month (PX holds X and RX, PY holds Y and RY); before, they are one
person P (X, Y and R). A steward's ``link`` is refused only when it stands for X against Y:
the very records, or — once they are two people — any record of one against any of the other.
Records are named by key or by record id (read through the published ``person_links``, else
``uncertain_match``, else the person's only record; a record id of a person of several records
that nothing resolves may be any of them, and the check errs towards the township).
"""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.cases.override import (
    held_by_township,
    named_record,
    township_answer,
    township_note,
)
from pipelines.link.decisions import decision_row

TOWNSHIP = decision_row("X", "Y", "no_link", "李干事(问题清单_城关镇_2026-10.xlsx)",
                        township_note("C1", "死者是同名的另一人"))
APART = {"X": "PX", "RX": "PX", "Y": "PY", "RY": "PY", "Z": "PZ"}  # the answer applied
TOGETHER = {"X": "P", "Y": "P", "R": "P", "Z": "PZ"}  # not yet: one person


def _month(people: dict[str, str]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """id_map, person_source and person_links of a month: record id ``id:<key>`` per key."""
    keys = list(people)
    id_map = pl.DataFrame({"record_key": keys, "person_id": list(people.values())})
    source = pl.DataFrame({"record_id": [f"id:{k}" for k in keys],
                           "person_id": list(people.values())})
    links = pl.DataFrame({"record_id": [f"id:{k}" for k in keys], "record_key": keys})
    return id_map, source, links


CASES = [
    # the very records the township answered on, by key or record id, either order
    (APART, "X", "Y", True, True),
    (APART, "Y", "X", True, True),
    (APART, "id:X", "id:Y", True, True),
    (TOGETHER, "X", "Y", True, True),
    (TOGETHER, "id:Y", "id:X", True, True),
    # another record pair of the same two people: the township spoke of the people
    (APART, "RX", "RY", True, True),
    (APART, "X", "RY", True, True),
    (APART, "id:RX", "id:RY", False, True),  # record ids resolved to people only
    # two records of one person, or a third person: the township said nothing of them
    (APART, "RX", "X", True, False),
    (APART, "id:RY", "id:Y", False, False),
    (APART, "RX", "Z", True, False),
    (APART, "id:RX", "id:Z", False, False),
    # not applied yet: the month's person is what the township said is wrong, so only X and Y
    (TOGETHER, "R", "Y", True, False),
    (TOGETHER, "id:R", "id:X", True, False),
    (TOGETHER, "X", "Z", True, False),
    # ... unless a record id cannot be told apart among the person's records: errs to the
    # township (the refusal names the case; name the record by its record_key)
    (TOGETHER, "id:R", "id:X", False, True),
]


@pytest.mark.parametrize(("people", "a", "b", "links", "refused"), CASES)
def test_a_link_is_refused_only_over_the_answered_records_or_people(
        people: dict, a: str, b: str, links: bool, refused: bool) -> None:
    id_map, source, frame = _month(people)
    named = [named_record(ref, id_map, source, None, frame if links else None)
             for ref in (a, b)]
    answer = township_answer(TOWNSHIP, *named, id_map)
    assert (answer is not None) == refused
    if refused:
        assert answer.case_id == "C1" and answer.decided_by.startswith("李干事")


@pytest.mark.parametrize(("people", "a", "b", "refused"),
                         [(p, a, b, refused) for p, a, b, links, refused in CASES if links])
def test_a_decisions_csv_link_is_held_back_by_the_same_rule(people: dict, a: str, b: str,
                                                            refused: bool) -> None:
    """The night's ``decisions.csv`` check (``held_by_township``, the last published month's
    people) refuses what ``sanji decide`` refuses; the night reads record ids through the
    current records, so every record id resolves."""
    id_map, _, frame = _month(people)
    csv = pl.concat([decision_row(a, b, "link", "王芳", "from the CSV"),
                     decision_row("Z", "RX", "no_link", "王芳", "a no_link is never held")])
    kept, why = held_by_township(TOWNSHIP, csv, frame, id_map)
    assert kept["decision"].to_list() == ([] if refused else ["link"]) + ["no_link"]
    assert len(why) == refused and all("case C1" in line for line in why)
    # without the people, only the very records answered on are held back
    very = {a.removeprefix("id:"), b.removeprefix("id:")} == {"X", "Y"}
    assert len(held_by_township(TOWNSHIP, csv, frame)[1]) == very


@pytest.mark.parametrize(("log", "why"), [
    (None, "no decisions at all"),
    (decision_row("X", "Y", "no_link", "王芳", "twins"), "a steward's own no_link"),
    (decision_row("X", "Z", "no_link", "李干事(f.xlsx)", township_note("C2")), "another person"),
    (pl.concat([TOWNSHIP, decision_row("X", "Y", "link", "王芳", "覆盖乡镇核实 / …").with_columns(
        decided_at=pl.lit("9999-01-01T00:00:00"))]), "overridden since"),
])
def test_no_standing_answer_allows_the_link(log, why: str) -> None:
    id_map, source, frame = _month(APART)
    named = [named_record(ref, id_map, source, None, frame) for ref in ("RX", "RY")]
    assert township_answer(log, *named, id_map) is None, why


def test_a_record_id_resolves_through_links_then_uncertain_then_the_only_record() -> None:
    id_map, source, frame = _month({"X": "P", "Y": "P", "Z": "PZ"})
    uncertain = pl.DataFrame({"record_id_l": ["id:Y"], "record_id_r": ["id:Z"],
                              "record_key_l": ["Y"], "record_key_r": ["Z"]})
    assert named_record("id:X", id_map, source, None, frame).keys == ("X",)
    assert named_record("id:Y", id_map, source, uncertain).keys == ("Y",)
    assert named_record("id:Z", id_map, source).keys == ("Z",)  # its person's only record
    assert named_record("id:X", id_map, source).keys == ("X", "Y")  # P's: cannot tell
    assert named_record("id:X", id_map, source).person == "P"
    unknown = named_record("nothing", id_map, source)
    assert (unknown.keys, unknown.person) == (("nothing",), None)


@pytest.mark.parametrize(("over", "links", "a", "b"), [
    (("id:X", "id:Y"), True, "id:X", "id:Y"),  # the same pair again, by record id
    (("id:X", "id:Y"), True, "RX", "RY"),  # other records of the two people
    (("X", "Y"), True, "id:RX", "id:RY"),
])
def test_an_override_recorded_by_record_id_replaces_the_answer(over, links: bool, a: str,
                                                               b: str) -> None:
    """``sanji decide`` records the references as typed: an override named by record ids
    is an override of the answer on their keys, not a pair the township never spoke of."""
    id_map, source, frame = _month(APART)
    log = pl.concat([TOWNSHIP, decision_row(*over, "link", "王芳", "覆盖乡镇核实 / …")])
    named = [named_record(ref, id_map, source, None, frame if links else None)
             for ref in (a, b)]
    assert township_answer(TOWNSHIP, *named, id_map, frame if links else None) is not None
    assert township_answer(log, *named, id_map, frame if links else None) is None


@pytest.mark.parametrize(("log", "csv", "reads"), [
    (None, decision_row("RX", "RY", "link", "王芳", "csv"), False),  # no answer stands
    (TOWNSHIP, decision_row("RX", "RY", "no_link", "王芳", "csv"), False),  # no CSV link
    (TOWNSHIP, decision_row("RX", "RY", "link", "王芳", "覆盖乡镇核实 / csv"), False),  # overrides
    (TOWNSHIP, decision_row("RX", "RY", "link", "王芳", "csv"), True),
])
def test_the_published_people_are_read_only_when_an_answer_meets_a_csv_link(
        log, csv: pl.DataFrame, reads: bool) -> None:
    """The night reads the last published month's people from the warehouse only when a
    standing township answer and a CSV ``link`` meet (most nights: neither)."""
    id_map, _, frame = _month(APART)
    calls = []

    def people() -> pl.DataFrame:
        calls.append(1)
        return id_map

    kept, why = held_by_township(log, csv, frame, people)
    assert len(calls) == reads
    assert (kept.height, len(why)) == ((0, 1) if reads else (1, 0))
