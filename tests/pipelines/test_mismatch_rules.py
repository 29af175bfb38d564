"""Each mismatch rule: the planted case is found, the consistent case is not flagged."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from published_fixtures import VILLAGE_A, VILLAGE_B, VILLAGE_C, build

from pipelines import rules
from pipelines.golden import golden_person
from pipelines.rules.base import RULE_COLUMNS

MONTH_END = date(2024, 6, 30)
ROSTER = {"population_type": "脱贫人口", "village_code": VILLAGE_A}


def _run(rule: str, spec: dict) -> pl.DataFrame:
    tables, links = build(spec)
    person = golden_person(tables, links)
    out = rules.RULE_BY_ID[rule].fn(tables, links, person, MONTH_END)
    assert out.columns == list(RULE_COLUMNS)
    assert out["person_id"].is_unique().all()
    assert (out["rule"] == rule).all()
    return out


def _flagged(out: pl.DataFrame) -> list[str]:
    return sorted(out["person_id"].to_list())


def test_no_doctor_contract() -> None:
    out = _run("no_doctor_contract", {
        "poverty_roster": [{"pid": "BAD", "name": "甲", **ROSTER}, {"pid": "OK", **ROSTER}],
        "doctor_contract": [
            {"pid": "OK", "contract_date": date(2024, 1, 1)},
            {"pid": "BAD", "contract_date": date(2024, 7, 2)},  # after month end: not yet
            {"pid": "NOTREG", "contract_date": date(2024, 1, 1)},
        ],
    })
    assert _flagged(out) == ["BAD"]
    row = out.row(0, named=True)
    assert row["name"] == "甲" and row["village_code"] == VILLAGE_A
    assert row["evidence"] == "poverty_roster|0|BAD"


def test_not_insured() -> None:
    out = _run("not_insured", {
        "poverty_roster": [{"pid": p, **ROSTER} for p in ("NONE", "STOPPED", "OK")],
        "enrolment": [
            {"pid": "STOPPED", "enrol_status": "终止"},
            {"pid": "OK", "enrol_status": "参保缴费"},
            {"pid": "OK", "enrol_status": "暂停"},
        ],
    })
    assert _flagged(out) == ["NONE", "STOPPED"]
    detail = dict(zip(out["person_id"], out["detail"], strict=True))
    assert "终止" in detail["STOPPED"] and "no enrolment" in detail["NONE"]


def test_wrong_subsidy() -> None:
    insured = {"enrol_status": "参保缴费"}
    out = _run("wrong_subsidy", {
        "poverty_roster": [{"pid": p, **ROSTER} for p in ("REG_NONE", "REG_OK", "TK_BAD")],
        "assistance": [
            {"pid": "TK_BAD", "assistance_type": "特困供养", "status": "正常"},
            {"pid": "TK_OK", "assistance_type": "特困供养", "status": "正常"},
            {"pid": "DB_BAD", "assistance_type": "低保", "status": "正常"},
        ],
        "enrolment": [
            {"pid": "REG_NONE", "subsidy_type": "无", **insured},
            {"pid": "REG_OK", "subsidy_type": "监测对象资助", **insured},
            {"pid": "TK_BAD", "subsidy_type": "脱贫人口资助", **insured},
            {"pid": "TK_OK", "subsidy_type": "特困全额资助", **insured},
            {"pid": "DB_BAD", "subsidy_type": "特困全额资助", **insured},
            {"pid": "PLAIN", "subsidy_type": "无", **insured},  # no basis: not checked
        ],
    })
    assert _flagged(out) == ["DB_BAD", "REG_NONE", "TK_BAD"]
    tk = out.filter(pl.col("person_id") == "TK_BAD").row(0, named=True)
    assert "特困全额资助" in tk["detail"] and "assistance|0|TK_BAD" in tk["evidence"]


def test_settlement_not_in_ledger() -> None:
    out = _run("settlement_not_in_ledger", {
        "poverty_roster": [{"pid": p, **ROSTER} for p in ("MISSING", "OK", "OTHER_ILL")],
        "settlement": [
            {"pid": "MISSING", "diagnosis": "胃癌", "admission_date": date(2024, 3, 1)},
            {"pid": "MISSING", "diagnosis": "胃癌(术后)", "admission_date": date(2024, 4, 1)},
            {"pid": "OK", "diagnosis": "肺癌", "admission_date": date(2024, 3, 1)},
            {"pid": "OTHER_ILL", "diagnosis": "肝癌", "admission_date": date(2024, 3, 1)},
            {"pid": "OTHER_ILL", "diagnosis": "感冒", "admission_date": date(2024, 3, 1)},
            {"pid": "NOTREG", "diagnosis": "胃癌", "admission_date": date(2024, 3, 1)},
        ],
        "illness_ledger": [
            {"pid": "OK", "illness": "肺癌", "status": "已救治"},
            {"pid": "OTHER_ILL", "illness": "胃癌", "status": "已救治"},
        ],
    })
    assert _flagged(out) == ["MISSING", "OTHER_ILL"]
    missing = out.filter(pl.col("person_id") == "MISSING").row(0, named=True)
    assert missing["evidence"] == "settlement|0|MISSING,settlement|1|MISSING"


def test_ledger_without_settlement() -> None:
    out = _run("ledger_without_settlement", {
        "illness_ledger": [
            {"pid": "BAD", "illness": "肺癌", "status": "救治中"},
            {"pid": "BAD", "illness": "肝癌", "status": "已救治"},
            {"pid": "OK", "illness": "肺癌", "status": "已救治"},
            {"pid": "WAITING", "illness": "肺癌", "status": "待救治"},
        ],
        "settlement": [{"pid": "OK", "diagnosis": "肺部肿瘤", "admission_date": date(2024, 2, 1)}],
    })
    assert _flagged(out) == ["BAD"]
    assert out["evidence"][0].count("illness_ledger|") == 2


def test_dead_but_active() -> None:
    died = date(2024, 1, 10)
    out = _run("dead_but_active", {
        "death": [{"pid": p, "death_date": died}
                  for p in ("ENROLLED", "LATE_VISIT", "GONE", "CLEARED")],
        "enrolment": [
            {"pid": "ENROLLED", "enrol_status": "参保缴费"},
            {"pid": "GONE", "enrol_status": "终止"},
        ],
        "chronic_followup": [
            {"pid": "LATE_VISIT", "followup_date": date(2024, 3, 1)},
            {"pid": "GONE", "followup_date": date(2023, 12, 1)},  # before death: fine
        ],
        "poverty_roster": [{"pid": "CLEARED", "risk_cleared": True, **ROSTER}],
        "assistance": [{"pid": "ALIVE", "status": "正常"}],
    })
    assert _flagged(out) == ["ENROLLED", "LATE_VISIT"]
    late = out.filter(pl.col("person_id") == "LATE_VISIT").row(0, named=True)
    assert "2024-03-01" in late["detail"] and "death|" in late["evidence"]


def test_village_conflict() -> None:
    out = _run("village_conflict", {
        "poverty_roster": [{"pid": "MOVED", **ROSTER}, {"pid": "OK", **ROSTER}],
        "enrolment": [
            {"pid": "MOVED", "village_code": VILLAGE_B},
            {"pid": "OK", "village_code": VILLAGE_A},
            {"pid": "OK", "village_code": None},
        ],
        "doctor_contract": [{"pid": "MOVED", "village_code": VILLAGE_B}],
    })
    assert _flagged(out) == ["MOVED"]
    detail = out["detail"][0]
    assert f"poverty_roster={VILLAGE_A}" in detail and f"enrolment={VILLAGE_B}" in detail
    assert len(out["evidence"][0].split(",")) == 3


def test_village_conflict_needs_two_departments_that_disagree() -> None:
    roster_b = {"population_type": "脱贫人口", "village_code": VILLAGE_B}
    out = _run("village_conflict", {
        "poverty_roster": [{"pid": "LATEST_DIFFERS", **ROSTER},
                           {"pid": "MOVED_AGREES", **roster_b}],
        "enrolment": [
            # one department only, two villages over time: not a conflict
            {"pid": "ONE_DEPT", "village_code": VILLAGE_A, "enrol_year": "2023"},
            {"pid": "ONE_DEPT", "village_code": VILLAGE_B, "enrol_year": "2024"},
            # insurance's latest village (B) differs from the roster's (A)
            {"pid": "LATEST_DIFFERS", "village_code": VILLAGE_A, "enrol_year": "2022"},
            {"pid": "LATEST_DIFFERS", "village_code": VILLAGE_B, "enrol_year": "2024"},
            # moved A -> B; insurance's latest agrees with the roster
            {"pid": "MOVED_AGREES", "village_code": VILLAGE_A, "enrol_year": "2022"},
            {"pid": "MOVED_AGREES", "village_code": VILLAGE_B, "enrol_year": "2024"},
        ],
        "doctor_contract": [
            {"pid": "HEALTH_ONLY", "village_code": VILLAGE_A, "contract_date": date(2023, 1, 1)},
            {"pid": "HEALTH_ONLY", "village_code": VILLAGE_C, "contract_date": date(2024, 1, 1)},
            {"pid": "HEALTH_TWO", "village_code": VILLAGE_A, "contract_date": date(2024, 1, 1)},
        ],
        # two registers of one department (health) disagree, no other department: not flagged
        "chronic_followup": [
            {"pid": "HEALTH_TWO", "village_code": VILLAGE_B, "followup_date": date(2024, 2, 1)},
        ],
    })
    assert _flagged(out) == ["LATEST_DIFFERS"]
    row = out.row(0, named=True)  # only the current villages: not insurance's 2022 one
    assert row["detail"].endswith(f"enrolment={VILLAGE_B}, poverty_roster={VILLAGE_A}")
    assert len(row["evidence"].split(",")) == 2


def test_assistance_illness_not_monitored() -> None:
    out = _run("assistance_illness_not_monitored", {
        "assistance": [
            {"pid": "BAD", "assistance_type": "低保", "hardship_cause": "因病", "status": "正常"},
            {"pid": "REG", "assistance_type": "特困供养", "hardship_cause": "因病"},
            {"pid": "TEMP", "assistance_type": "临时救助", "hardship_cause": "因病"},
            {"pid": "DIS", "assistance_type": "低保", "hardship_cause": "因残"},
        ],
        "poverty_roster": [{"pid": "REG", **ROSTER}],
    })
    assert _flagged(out) == ["BAD"]


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
    with pytest.raises(PublishedTableError, match="rule"):
        validate_published("mismatch", out.with_columns(rule=pl.lit("made_up")))
