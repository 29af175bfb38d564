"""A case's life month by month on hand-made mismatch rows: found, open, resolved, reopened,
explained, carried across a split, closed by a merge, overdue."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from case_frames import TOWN, VILLAGE_A, answer, answers, mismatch, records

from pipelines.cases import CaseSettings, track_cases
from schemas.cases import MismatchCase

OWNERS = {"poverty_roster|1": "PA", "enrolment|1": "PA", "death|1": "PA",
          "poverty_roster|2": "PB", "settlement|2": "PB", "settlement|3": "PB"}


def by_rule(cases: pl.DataFrame) -> dict[tuple, dict]:
    return {(r["rule"], r["person_id"], r["case_key"]): r for r in cases.iter_rows(named=True)}


@pytest.fixture
def october() -> pl.DataFrame:
    rows = mismatch(("not_insured", "PA", None, "poverty_roster|1,enrolment|1"),
                    ("no_doctor_contract", "PB", None, "poverty_roster|2"),
                    ("settlement_not_in_ledger", "PB", "胃癌", "settlement|2"),
                    ("settlement_not_in_ledger", "PB", "肺癌", "settlement|3"))
    return track_cases(None, rows, records(OWNERS), "2026-10")


def test_first_month_opens_every_case_new(october: pl.DataFrame) -> None:
    assert MismatchCase.validate(october, lazy=True).height == 4
    assert set(october["status"]) == {"new"} and set(october["first_seen"]) == {"2026-10"}
    assert october["case_id"].str.contains(r"^C[0-9a-f]{11}$").all()
    row = by_rule(october)[("not_insured", "PA", None)]
    assert row["due"] == date(2026, 12, 1)  # 31 days after the month's last day
    assert row["evidence_keys"] == "enrolment:Kenrolment|1,poverty_roster:Kpoverty_roster|1"
    assert row["status_by"] == "sanji" and row["status_at"] == date(2026, 10, 31)
    assert not october["overdue"].any()
    # one case per illness of the same person and rule
    illnesses = {k[2] for k in by_rule(october) if k[0] == "settlement_not_in_ledger"}
    assert illnesses == {"胃癌", "肺癌"}


def test_ids_do_not_depend_on_the_run(october: pl.DataFrame) -> None:
    again = track_cases(None, mismatch(("not_insured", "PA", None, "poverty_roster|1")),
                        records(OWNERS), "2026-10")
    first = by_rule(october)[("not_insured", "PA", None)]["case_id"]
    assert again["case_id"].to_list() == [first]


def test_next_month_keeps_open_resolves_gone_and_opens_new(october: pl.DataFrame) -> None:
    rows = mismatch(("not_insured", "PA", None, "poverty_roster|1,enrolment|1"),
                    ("settlement_not_in_ledger", "PB", "胃癌", "settlement|2"),
                    ("dead_but_active", "PA", None, "death|1,enrolment|1"))
    nov = track_cases(october, rows, records(OWNERS), "2026-11")
    got = {k: (r["status"], r["first_seen"], r["last_seen"], r["status_month"])
           for k, r in by_rule(nov).items()}
    assert got == {
        ("not_insured", "PA", None): ("open", "2026-10", "2026-11", "2026-11"),
        ("settlement_not_in_ledger", "PB", "胃癌"): ("open", "2026-10", "2026-11", "2026-11"),
        ("settlement_not_in_ledger", "PB", "肺癌"): ("resolved", "2026-10", "2026-10", "2026-11"),
        ("no_doctor_contract", "PB", None): ("resolved", "2026-10", "2026-10", "2026-11"),
        ("dead_but_active", "PA", None): ("new", "2026-11", "2026-11", "2026-11"),
    }
    old_ids = dict(zip(october["case_id"], october["rule"], strict=True))
    assert set(old_ids) <= set(nov["case_id"])  # every case is kept, with its id
    assert MismatchCase.validate(nov, lazy=True).height == 5


def test_a_resolved_case_found_again_reopens_with_its_first_month(october) -> None:
    nov = track_cases(october, mismatch(), records(OWNERS), "2026-11")
    assert set(nov["status"]) == {"resolved"}
    dec = track_cases(nov, mismatch(("no_doctor_contract", "PB", None, "poverty_roster|2")),
                      records(OWNERS), "2026-12")
    row = by_rule(dec)[("no_doctor_contract", "PB", None)]
    assert (row["status"], row["first_seen"], row["due"]) == ("open", "2026-10",
                                                             date(2027, 1, 31))
    assert row["status_reason"].startswith("再次出现")


def test_overdue_after_the_townships_deadline(october: pl.DataFrame) -> None:
    rows = mismatch(("not_insured", "PA", None, "poverty_roster|1,enrolment|1"))
    nov = track_cases(october, rows, records(OWNERS), "2026-11")
    assert not nov.filter(pl.col("rule") == "not_insured")["overdue"].item()  # due 1 Dec
    dec = track_cases(nov, rows, records(OWNERS), "2026-12")
    assert dec.filter(pl.col("rule") == "not_insured")["overdue"].item()
    strict = CaseSettings(township_deadline_days={TOWN: 10})
    oct_strict = track_cases(None, rows, records(OWNERS), "2026-10", settings=strict)
    nov_strict = track_cases(oct_strict, rows, records(OWNERS), "2026-11", settings=strict)
    assert nov_strict["due"].item() == date(2026, 11, 10) and nov_strict["overdue"].item()


def test_explained_case_stays_explained_until_its_evidence_changes(october) -> None:
    case = by_rule(october)[("not_insured", "PA", None)]["case_id"]
    said = answers(answer(case, "信息有误", "已在外省参保"))
    rows = mismatch(("not_insured", "PA", None, "poverty_roster|1,enrolment|1"))
    nov = track_cases(october, rows, records(OWNERS), "2026-11", said)
    row = by_rule(nov)[("not_insured", "PA", None)]
    assert (row["status"], row["status_by"], row["status_at"]) == (
        "explained", "王会计", date(2026, 11, 20))
    assert row["verification_note"] == "已在外省参保" and "信息有误" in row["status_reason"]
    dec = track_cases(nov, rows, records(OWNERS), "2026-12", said)  # same answer again: no-op
    assert by_rule(dec)[("not_insured", "PA", None)]["status"] == "explained"
    assert by_rule(dec)[("not_insured", "PA", None)]["status_month"] == "2026-11"
    changed = mismatch(("not_insured", "PA", None, "poverty_roster|1"))  # enrolment gone
    jan = track_cases(dec, changed, records(OWNERS), "2027-01")
    row = by_rule(jan)[("not_insured", "PA", None)]
    assert row["status"] == "open" and "证据已变化" in row["status_reason"]
    assert row["verification_result"] == "信息有误"  # the history stays readable


def test_newer_answers_win_and_a_true_error_reopens_an_explained_case(october) -> None:
    case = by_rule(october)[("not_insured", "PA", None)]["case_id"]
    rows = mismatch(("not_insured", "PA", None, "poverty_roster|1,enrolment|1"))
    both = answers(answer(case, "其他", "外出务工", on="2026-11-20"),
                   answer(case, "属实未整改", on="2026-11-25", row=4))
    nov = track_cases(october, rows, records(OWNERS), "2026-11", both)
    row = by_rule(nov)[("not_insured", "PA", None)]
    assert (row["status"], row["verification_result"]) == ("open", "属实未整改")
    older = answers(answer(case, "其他", on="2026-11-01", received="2026-12-02T08:00:00"))
    dec = track_cases(nov, rows, records(OWNERS), "2026-12", older)
    assert by_rule(dec)[("not_insured", "PA", None)]["verification_result"] == "属实未整改"
    explained = answers(answer(case, "其他", "外出务工", on="2026-12-03"))
    jan = track_cases(dec, rows, records(OWNERS), "2027-01", explained)
    assert by_rule(jan)[("not_insured", "PA", None)]["status"] == "explained"


def test_a_split_carries_the_case_to_the_new_person(october) -> None:
    """Linkage splits PA: the enrolment and roster record go to PC; the case follows them."""
    old = by_rule(october)[("not_insured", "PA", None)]
    split = {**OWNERS, "poverty_roster|1": "PC", "enrolment|1": "PC"}
    rows = mismatch(("not_insured", "PC", None, "poverty_roster|1,enrolment|1"))
    nov = track_cases(october, rows, records(split), "2026-11")
    moved = nov.filter(pl.col("case_id") == old["case_id"]).row(0, named=True)
    assert (moved["person_id"], moved["status"], moved["first_seen"]) == ("PC", "open", "2026-10")
    # PA breaks the rule again later: a new case, not the moved one's id
    back = mismatch(("not_insured", "PC", None, "poverty_roster|1,enrolment|1"),
                    ("not_insured", "PA", None, "poverty_roster|9"))
    dec = track_cases(nov, back, records({**split, "poverty_roster|9": "PA"}), "2026-12")
    assert dec.filter(pl.col("rule") == "not_insured")["case_id"].n_unique() == 2
    assert MismatchCase.validate(dec, lazy=True).height == dec.height


def test_a_merge_closes_the_duplicate_into_the_surviving_case() -> None:
    owners = {"poverty_roster|1": "PA", "poverty_roster|2": "PB", "poverty_roster|3": "PD"}
    sept = track_cases(None, mismatch(("no_doctor_contract", "PB", None, "poverty_roster|2"),
                                      ("no_doctor_contract", "PD", None, "poverty_roster|3")),
                       records(owners), "2026-09")
    october = track_cases(sept, mismatch(("no_doctor_contract", "PA", None, "poverty_roster|1"),
                                         ("no_doctor_contract", "PB", None, "poverty_roster|2"),
                                         ("no_doctor_contract", "PD", None, "poverty_roster|3")),
                          records(owners), "2026-10")
    merged = {"poverty_roster|1": "PA", "poverty_roster|2": "PA", "poverty_roster|3": "PA"}
    rows = mismatch(("no_doctor_contract", "PA", None, "poverty_roster|1,poverty_roster|2"))
    nov = track_cases(october, rows, records(merged), "2026-11")
    cases = by_rule(nov)
    survivor = cases[("no_doctor_contract", "PA", None)]
    assert survivor["status"] == "open" and survivor["first_seen"] == "2026-09"
    for person in ("PB", "PD"):
        gone = cases[("no_doctor_contract", person, None)]
        assert (gone["status"], gone["merged_into"]) == ("merged", survivor["case_id"])
    assert MismatchCase.validate(nov, lazy=True).height == 3


def test_a_merged_person_without_the_case_resolves_it() -> None:
    owners = {"poverty_roster|1": "PA", "poverty_roster|2": "PB"}
    october = track_cases(None, mismatch(("no_doctor_contract", "PB", None, "poverty_roster|2")),
                          records(owners), "2026-10")
    nov = track_cases(october, mismatch(), records({**owners, "poverty_roster|2": "PA"}),
                      "2026-11")
    assert nov["status"].to_list() == ["resolved"]


def test_uncertain_pair_is_a_case_until_decided() -> None:
    owners = {"poverty_roster|1": "PA", "enrolment|7": "PX"}
    pair = mismatch(("uncertain_match", None, "Kenrolment|7,Kpoverty_roster|1",
                     "poverty_roster|1,enrolment|7"))
    october = track_cases(None, pair, records(owners), "2026-10")
    nov = track_cases(october, pair, records(owners), "2026-11")
    assert nov["status"].to_list() == ["open"] and nov["person_id"].to_list() == [None]
    dec = track_cases(nov, mismatch(), records(owners), "2026-12")
    assert dec["status"].to_list() == ["resolved"]


def test_a_village_move_updates_the_case_place(october) -> None:
    from case_frames import VILLAGE_C

    rows = mismatch(("not_insured", "PA", None, "poverty_roster|1,enrolment|1", VILLAGE_C))
    nov = track_cases(october, rows, records(OWNERS), "2026-11")
    row = by_rule(nov)[("not_insured", "PA", None)]
    assert row["village_code"] == VILLAGE_C and by_rule(october)[
        ("not_insured", "PA", None)]["village_code"] == VILLAGE_A


def test_a_rerun_must_start_from_the_month_before(october) -> None:
    rows = mismatch(("not_insured", "PA", None, "poverty_roster|1"))
    with pytest.raises(ValueError, match="one earlier month"):
        track_cases(october, rows, records(OWNERS), "2026-10")
    with pytest.raises(ValueError, match="one earlier month"):
        track_cases(pl.concat([october, october.with_columns(month=pl.lit("2026-09"))]), rows,
                    records(OWNERS), "2026-11")
