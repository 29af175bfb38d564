"""非同一人 separates only the odd records of a case, never records that agree, and says when it
made fewer decisions than the answer asks for."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from case_frames import VILLAGE_A, VILLAGE_B, answer, answers, mismatch, records

from pipelines.cases import not_same_person_decisions, track_cases
from pipelines.cases.verify import MAX_PAIRS
from pipelines.rules.life import VILLAGES_DIFFER

VILLAGE_C = "410100001003"


def _decide(rule: str, evidence: list[str], detail: str | None = None
            ) -> tuple[set[frozenset[str]], list[str]]:
    """The record pairs (as record ids) and problems one 非同一人 answer to a case gives."""
    found = mismatch((rule, "P1", None, ",".join(evidence)))
    if detail is not None:
        found = found.with_columns(detail=pl.lit(detail))
    cases = track_cases(None, found, records(dict.fromkeys(evidence, "P1")), "2026-10")
    decisions, problems = not_same_person_decisions(
        answers(answer(cases["case_id"].item(), "非同一人")), cases)
    assert set(decisions["decision"]) <= {"no_link"}
    pairs = {frozenset(k.removeprefix("K") for k in pair)
             for pair in decisions.select("record_key_l", "record_key_r").rows()}
    return pairs, problems["problem"].to_list()


def _villages(**by_extract: str) -> str:
    """A village_conflict detail as the rule writes it."""
    return VILLAGES_DIFFER + ", ".join(f"{e}={v}" for e, v in sorted(by_extract.items()))


def _pairs(*pairs: tuple[str, str]) -> set[frozenset[str]]:
    return {frozenset(p) for p in pairs}


CASES = [
    pytest.param(  # the reviewer's case: the enrolment alone sits in another village
        "village_conflict", ["doctor_contract|1", "enrolment|1", "poverty_roster|1"],
        _villages(doctor_contract=VILLAGE_A, enrolment=VILLAGE_B, poverty_roster=VILLAGE_A),
        _pairs(("enrolment|1", "doctor_contract|1"), ("enrolment|1", "poverty_roster|1")), [],
        id="village_conflict-one-odd-register"),
    pytest.param(  # two records of the majority register stay together
        "village_conflict", ["assistance|1", "poverty_roster|1", "poverty_roster|2"],
        _villages(assistance=VILLAGE_B, poverty_roster=VILLAGE_A),
        _pairs(("assistance|1", "poverty_roster|1"), ("assistance|1", "poverty_roster|2")), [],
        id="village_conflict-majority-of-one-register"),
    pytest.param(  # three villages: each apart from the others, agreeing records together
        "village_conflict", ["doctor_contract|1", "enrolment|1", "poverty_roster|1",
                             "assistance|1"],
        _villages(doctor_contract=VILLAGE_A, enrolment=VILLAGE_B, poverty_roster=VILLAGE_A,
                  assistance=VILLAGE_C),
        _pairs(("enrolment|1", "doctor_contract|1"), ("enrolment|1", "poverty_roster|1"),
               ("assistance|1", "doctor_contract|1"), ("assistance|1", "poverty_roster|1"),
               ("assistance|1", "enrolment|1")), [],
        id="village_conflict-three-villages"),
    pytest.param(  # a detail that places no record: the steward decides
        "village_conflict", ["enrolment|1", "poverty_roster|1"], "村不同",
        set(), ["not_same_person_unpaired"], id="village_conflict-unplaced"),
    pytest.param(
        "dead_but_active", ["death|1", "enrolment|1", "poverty_roster|1", "assistance|1"], None,
        _pairs(("death|1", "enrolment|1"), ("death|1", "poverty_roster|1"),
               ("death|1", "assistance|1")), [], id="dead_but_active"),
    pytest.param(
        "not_insured", ["enrolment|1", "poverty_roster|1", "poverty_roster|2"], None,
        _pairs(("enrolment|1", "poverty_roster|1"), ("enrolment|1", "poverty_roster|2")), [],
        id="not_insured"),
    pytest.param(
        "wrong_subsidy", ["assistance|1", "enrolment|1", "poverty_roster|1"], None,
        _pairs(("enrolment|1", "assistance|1"), ("enrolment|1", "poverty_roster|1")), [],
        id="wrong_subsidy"),
    pytest.param("no_doctor_contract", ["poverty_roster|1"], None, set(),
                 ["not_same_person_unpaired"], id="no_doctor_contract-one-register"),
    pytest.param("settlement_not_in_ledger", ["settlement|1", "settlement|2"], None, set(),
                 ["not_same_person_unpaired"], id="settlement_not_in_ledger-one-register"),
    pytest.param(  # no anchor: nothing is split by department any more
        "cross_county", ["enrolment|1", "poverty_roster|1"], None, set(),
        ["not_same_person_unpaired"], id="cross_county-no-anchor"),
]


@pytest.mark.parametrize(("rule", "evidence", "detail", "pairs", "problems"), CASES)
def test_not_same_person_separates_only_the_odd_records(
        rule: str, evidence: list[str], detail: str | None, pairs: set[frozenset[str]],
        problems: list[str]) -> None:
    got_pairs, got_problems = _decide(rule, evidence, detail)
    assert got_pairs == pairs
    assert got_problems == problems


def test_not_same_person_reports_pairs_beyond_the_cap() -> None:
    active = [f"enrolment|{n}" for n in range(MAX_PAIRS + 3)]
    pairs, problems = _decide("dead_but_active", ["death|1", *active])
    assert len(pairs) == MAX_PAIRS
    assert all("death|1" in pair for pair in pairs)
    assert problems == ["not_same_person_truncated"]


def _township_log() -> tuple[pl.DataFrame, str, str, str]:
    """A log holding a township's 非同一人 on two records (as the work-list import records it)."""
    found = mismatch(("dead_but_active", "P1", None, "death|1,enrolment|1"))
    cases = track_cases(None, found, records(dict.fromkeys(["death|1", "enrolment|1"], "P1")),
                        "2026-10")
    case_id = cases["case_id"].item()
    log, _ = not_same_person_decisions(answers(answer(case_id, "非同一人")), cases)
    a, b = log.select("record_key_l", "record_key_r").row(0)
    return log, a, b, case_id


def test_a_township_no_link_stands_until_a_steward_links_over_it() -> None:
    from pipelines.cases.override import override_note, township_no_link
    from pipelines.link.decisions import decision_row

    log, a, b, case_id = _township_log()
    standing = township_no_link(log, b, a)  # either order
    assert standing is not None and standing.case_id == case_id
    assert township_no_link(log, a, "Kother|1") is None
    # a steward's own no_link is not a township's answer
    own = decision_row(a, "Kother|1", "no_link", "王芳", "twins")
    assert township_no_link(own, a, "Kother|1") is None
    # once the steward overrode it (a later link), it no longer stands
    linked = decision_row(a, b, "link", "王芳", override_note(standing, "ID confirmed"))
    later = pl.concat([log, linked.with_columns(decided_at=pl.lit("9999-01-01T00:00:00"))])
    assert township_no_link(later, a, b) is None
    assert f"非同一人 by {standing.decided_by}" in linked["note"].item()
    assert linked["note"].item().endswith("; ID confirmed") and case_id in linked["note"].item()


def test_a_decisions_csv_link_does_not_undo_a_township_no_link() -> None:
    from pipelines.cases.override import held_by_township
    from pipelines.link.decisions import canonical, latest

    log, a, b, case_id = _township_log()
    keys = pl.DataFrame({"record_key": [a, b, "Kc"],
                         "record_id": ["户籍.xlsx|Sheet1|4", "医保.xlsx|Sheet1|9", "x|y|1"]})
    csv = canonical(pl.DataFrame({
        "记录A": [b, "户籍.xlsx|Sheet1|4", a, a],
        "记录B": [a, "医保.xlsx|Sheet1|9", b, "Kc"],
        "决定": ["同一人", "link", "link", "link"],
        "备注": ["", "by id", "", "another pair"],
        "覆盖乡镇核实": ["", "", "是", ""],
    }), "decisions.csv", first_row=2)
    kept, why = held_by_township(log, csv, keys)
    # the township's answer stands over the two plain links (by key, by record id) ...
    assert len(why) == 2 and all(f"case {case_id} answered 非同一人" in w for w in why)
    assert "户籍.xlsx|Sheet1|4 / 医保.xlsx|Sheet1|9" in why[1]
    # ... the row that says it overrides, and a link of another pair, are applied
    assert kept["note"].to_list() == ["覆盖乡镇核实 / overrides the township; ", "another pair"]
    assert latest(pl.concat([log, kept])).filter(
        (pl.col("record_key_l") == a) & (pl.col("record_key_r") == b))["decision"].item() == "link"
    # without the override row, the township's no_link is what the linker gets
    alone, _ = held_by_township(log, csv.head(2), keys)
    assert alone.is_empty()
    # a later override in the log (sanji decide --override-township): nothing is held back
    over = log.with_columns(decision=pl.lit("link"), decided_at=pl.lit("9999-01-01T00:00:00"))
    assert held_by_township(pl.concat([log, over]), csv, keys)[1] == []


def test_a_record_id_is_read_as_its_key_for_the_township_check() -> None:
    from pipelines.cases.override import named_record, township_no_link

    log, a, b, case_id = _township_log()
    id_map = pl.DataFrame({"record_key": [a, b, "Kc"], "person_id": ["P1", "P2", "P2"]})
    source = pl.DataFrame({"record_id": ["f|s|1", "f|s|2", "f|s|3"],
                           "person_id": ["P1", "P2", "P2"]})
    uncertain = pl.DataFrame({"record_id_l": ["f|s|2"], "record_id_r": ["f|s|3"],
                              "record_key_l": [b], "record_key_r": ["Kc"]})

    def keys_of(ref: str, *tables: pl.DataFrame) -> list[str]:
        return list(named_record(ref, id_map, *tables).keys)

    assert keys_of(a, source, uncertain) == [a]
    assert keys_of("f|s|1", source, uncertain) == [a]  # the person's only record
    assert keys_of("f|s|2", source, uncertain) == [b]  # as uncertain_match shows it
    assert keys_of("f|s|2", source) == sorted([b, "Kc"])  # its person's records
    answer = township_no_link(log, keys_of("f|s|1", source, uncertain),
                              keys_of("f|s|2", source, uncertain))
    assert answer is not None and answer.case_id == case_id
