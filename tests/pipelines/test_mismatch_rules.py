"""The mismatch rules on hand-made frames: who is flagged (table-driven), and what they say.

``mismatch_cases.CASES`` holds one person per case, chosen where plausible definitions of a rule
part (see that module); all cases run together, each rule once, since every rule judges each
person on that person's records alone. The remaining tests pin the steward-facing text: the
evidence lists the records behind a hit, the detail names what disagrees.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from mismatch_cases import CASES, MONTH_END, ROSTER
from published_fixtures import VILLAGE_A, VILLAGE_B, VILLAGE_C, build

from pipelines import rules
from pipelines.golden import golden_person
from pipelines.rules.base import RULE_COLUMNS


def _run(rule: str, spec: dict) -> pl.DataFrame:
    tables, links = build(spec)
    person = golden_person(tables, links)
    out = rules.RULE_BY_ID[rule].fn(tables, links, person, MONTH_END)
    assert out.columns == list(RULE_COLUMNS)
    assert not out.select("person_id", "case_key").is_duplicated().any()
    assert (out["rule"] == rule).all()
    return out


def _pid(i: int) -> str:
    return f"case{i:03d}"


@pytest.fixture(scope="module")
def flagged() -> dict[str, set[str]]:
    """Rule id -> person ids flagged, with every case's person in one set of tables."""
    spec: dict[str, list[dict]] = {}
    for i, c in enumerate(CASES):
        for extract, rows in c["tables"].items():
            spec.setdefault(extract, []).extend({"pid": _pid(i), **r} for r in rows)
    return {rule: set(_run(rule, spec)["person_id"]) for rule in rules.PERSON_RULES}


@pytest.mark.parametrize("i", range(len(CASES)),
                         ids=[f"{c['rule']}: {c['description']}" for c in CASES])
def test_rule_flags_the_case_as_expected(flagged: dict[str, set[str]], i: int) -> None:
    c = CASES[i]
    assert (_pid(i) in flagged[c["rule"]]) is c["expected"], c["description"]


def test_every_rule_has_cases_both_ways() -> None:
    """A rule tested only on people it flags could flag everyone and pass."""
    seen = {(c["rule"], c["expected"]) for c in CASES}
    assert seen == {(r, e) for r in rules.PERSON_RULES for e in (True, False)}


def test_no_doctor_contract_names_the_person_and_the_roster_record() -> None:
    out = _run("no_doctor_contract", {"poverty_roster": [{"pid": "BAD", "name": "甲", **ROSTER}]})
    row = out.row(0, named=True)
    assert (row["person_id"], row["name"], row["village_code"]) == ("BAD", "甲", VILLAGE_A)
    assert row["township_code"] == VILLAGE_A[:9] + "000"
    assert row["evidence"] == "poverty_roster|0|BAD"
    assert "family-doctor contract" in row["detail"]


@pytest.mark.parametrize("rule", ["no_doctor_contract", "not_insured"])
def test_the_evidence_lists_every_registered_row_of_the_flagged_only(rule: str) -> None:
    """The roster ids behind a hit (``rules.base.roster_ids``, gathered for the people a rule
    flags only): each registered row of theirs, sorted; nobody else's."""
    out = _run(rule, {"poverty_roster": [{"pid": "TWO", **ROSTER}, {"pid": "ONE", **ROSTER},
                                         {"pid": "TWO", **ROSTER}]})
    evidence = dict(zip(out["person_id"], out["evidence"], strict=True))
    assert evidence == {"ONE": "poverty_roster|1|ONE",
                        "TWO": "poverty_roster|0|TWO,poverty_roster|2|TWO"}


def test_not_insured_detail_says_why() -> None:
    out = _run("not_insured", {
        "poverty_roster": [{"pid": p, **ROSTER} for p in ("NONE", "STOPPED")],
        "enrolment": [{"pid": "STOPPED", "enrol_status": "终止"}],
    })
    detail = dict(zip(out["person_id"], out["detail"], strict=True))
    assert "终止" in detail["STOPPED"] and "no enrolment" in detail["NONE"]
    evidence = dict(zip(out["person_id"], out["evidence"], strict=True))
    assert evidence["STOPPED"] == "poverty_roster|1|STOPPED,enrolment|0|STOPPED"


def test_wrong_subsidy_detail_names_status_held_and_expected() -> None:
    out = _run("wrong_subsidy", {
        "poverty_roster": [{"pid": "TK_BAD", **ROSTER}],
        "assistance": [{"pid": "TK_BAD", "assistance_type": "特困供养", "status": "正常"}],
        "enrolment": [{"pid": "TK_BAD", "subsidy_type": "脱贫人口资助",
                       "enrol_status": "参保缴费"}],
    })
    row = out.row(0, named=True)
    assert "特困供养" in row["detail"] and "脱贫人口资助" in row["detail"]
    assert "应为: 特困全额资助" in row["detail"]
    assert row["evidence"].split(",") == ["enrolment|0|TK_BAD", "assistance|0|TK_BAD",
                                          "poverty_roster|0|TK_BAD"]


def test_settlement_not_in_ledger_lists_every_settlement_of_the_illness() -> None:
    out = _run("settlement_not_in_ledger", {
        "poverty_roster": [{"pid": "MISSING", **ROSTER}],
        "settlement": [
            {"pid": "MISSING", "diagnosis": "胃癌", "admission_date": date(2024, 3, 1)},
            {"pid": "MISSING", "diagnosis": "胃癌(术后)", "admission_date": date(2024, 4, 1)},
        ],
    })
    row = out.row(0, named=True)
    assert row["evidence"] == "settlement|0|MISSING,settlement|1|MISSING"
    assert "胃癌" in row["detail"] and "术后" not in row["detail"]
    assert row["case_key"] == "胃癌"


def test_settlement_not_in_ledger_is_one_case_per_illness() -> None:
    """Two illnesses missing from the ledger are two problems, each fixed by its own entry."""
    out = _run("settlement_not_in_ledger", {
        "poverty_roster": [{"pid": "TWO", **ROSTER}],
        "settlement": [
            {"pid": "TWO", "diagnosis": "胃癌", "admission_date": date(2024, 3, 1)},
            {"pid": "TWO", "diagnosis": "肺癌", "admission_date": date(2024, 4, 1)},
        ],
        "illness_ledger": [{"pid": "TWO", "illness": "胃癌", "status": "救治中"}],
    })
    assert out.select("person_id", "case_key").rows() == [("TWO", "肺癌")]
    assert out["evidence"].item() == "settlement|1|TWO"


def test_ledger_without_settlement_is_one_row_per_illness() -> None:
    out = _run("ledger_without_settlement", {"illness_ledger": [
        {"pid": "BAD", "illness": "肺癌", "status": "救治中"},
        {"pid": "BAD", "illness": "肝癌", "status": "已救治"},
    ]})
    rows = {r["case_key"]: r for r in out.iter_rows(named=True)}
    assert set(rows) == {"肺癌", "肝癌"}
    assert rows["肝癌"]["evidence"] == "illness_ledger|1|BAD"
    assert "肝癌(已救治)" in rows["肝癌"]["detail"] and "肺癌" not in rows["肝癌"]["detail"]
    assert "肺癌(救治中)" in rows["肺癌"]["detail"]


def test_dead_but_active_detail_has_death_and_later_activity_dates() -> None:
    out = _run("dead_but_active", {
        "death": [{"pid": "LATE", "death_date": date(2024, 1, 10)}],
        "chronic_followup": [{"pid": "LATE", "followup_date": date(2024, 3, 1)}],
        "enrolment": [{"pid": "LATE", "enrol_status": "参保缴费"}],
    })
    row = out.row(0, named=True)
    assert "2024-01-10" in row["detail"] and "2024-03-01" in row["detail"]
    assert "enrolled" in row["detail"]
    assert sorted(row["evidence"].split(",")) == [
        "chronic_followup|0|LATE", "death|0|LATE", "enrolment|0|LATE"]


def test_village_conflict_shows_current_villages_and_their_records_only() -> None:
    out = _run("village_conflict", {
        "poverty_roster": [{"pid": "P", **ROSTER}],
        "enrolment": [{"pid": "P", "village_code": VILLAGE_A, "enrol_year": "2022"},
                      {"pid": "P", "village_code": VILLAGE_B, "enrol_year": "2024"}],
        "doctor_contract": [{"pid": "P", "village_code": VILLAGE_C,
                             "contract_date": date(2024, 1, 1)}],
    })
    row = out.row(0, named=True)  # not insurance's 2022 village
    assert row["detail"].endswith(f"doctor_contract={VILLAGE_C}, enrolment={VILLAGE_B}, "
                                  f"poverty_roster={VILLAGE_A}")
    assert sorted(row["evidence"].split(",")) == [
        "doctor_contract|0|P", "enrolment|1|P", "poverty_roster|0|P"]


def test_assistance_illness_not_monitored_names_the_type() -> None:
    out = _run("assistance_illness_not_monitored", {"assistance": [
        {"pid": "BAD", "assistance_type": "特困供养", "hardship_cause": "因病", "status": "正常"}]})
    assert out["detail"].item().startswith("特困供养对象")
    assert out["evidence"].item() == "assistance|0|BAD"


def test_find_mismatches_adds_uncertain_pairs() -> None:
    tables, links = build({"poverty_roster": [{"pid": "P1", **ROSTER}]})
    person = golden_person(tables, links)
    uncertain = pl.DataFrame({
        "record_id_l": ["a|1"], "record_id_r": ["b|7"], "match_weight": [3.456],
        "explain": ["name close, birth date equal"], "name_l": ["张伟"], "name_r": ["张玮"],
        "village_code_l": [VILLAGE_A], "village_code_r": [VILLAGE_B],
    })
    out = rules.find_mismatches(tables, links, person, "2024-06", uncertain)
    assert set(out["rule"]) == {"no_doctor_contract", "not_insured", "uncertain_match"}
    u = out.filter(pl.col("rule") == "uncertain_match").row(0, named=True)
    assert u["person_id"] is None and u["evidence"] == "a|1,b|7"
    assert u["case_key"] == "a|1,b|7"  # record keys when the linker gives them
    assert u["name"] == "张伟 / 张玮" and "3.46" in u["detail"]
    assert u["pending_match"] is True
    assert not out.filter(pl.col("rule") != "uncertain_match")["pending_match"].any()


def test_find_mismatches_flags_people_with_a_pending_match() -> None:
    from schemas.published import validate_published

    tables, links = build({"poverty_roster": [{"pid": "P1", **ROSTER}, {"pid": "P2", **ROSTER}]})
    person = golden_person(tables, links)
    uncertain = pl.DataFrame({
        "record_id_l": ["poverty_roster|0|P1"], "record_id_r": ["b|7"], "match_weight": [2.5],
        "explain": ["name equal"],
    })
    out = rules.find_mismatches(tables, links, person, "2024-06", uncertain)
    people = out.filter(pl.col("rule") == "no_doctor_contract").sort("person_id")
    assert people["person_id"].to_list() == ["P1", "P2"]
    assert people["pending_match"].to_list() == [True, False]
    p1, p2 = people["detail"].to_list()
    assert p1.endswith(rules.PENDING_NOTE) and rules.PENDING_NOTE not in p2
    assert validate_published("mismatch", out)["pending_match"].dtype == pl.Boolean


def test_mismatch_table_passes_schema_and_schema_catches_double_counting() -> None:
    from schemas.published import PublishedTableError, validate_published

    tables, links = build({"poverty_roster": [{"pid": "P1", **ROSTER}, {"pid": "P2", **ROSTER}]})
    out = rules.find_mismatches(tables, links, golden_person(tables, links), "2024-06")
    assert validate_published("mismatch", out).height == 4
    doubled = pl.concat([out, out.head(1)])
    with pytest.raises(PublishedTableError, match="person_once_per_rule"):
        validate_published("mismatch", doubled)
    other_key = pl.concat([out, out.head(1).with_columns(case_key=pl.lit("胃癌"))])
    assert validate_published("mismatch", other_key).height == 5  # another case of the person
    with pytest.raises(PublishedTableError, match="rule"):
        validate_published("mismatch", out.with_columns(rule=pl.lit("made_up")))
