"""Table-driven cases for the mismatch rules: one person per case, flagged or not.

Each case is ``{"description", "rule", "tables", "expected"}`` (Splink style): ``tables`` holds
one person's rows by extract (the person id is added by the runner), ``expected`` says whether
``rule`` flags that person as of ``MONTH_END``. The cases are chosen where plausible definitions
of a rule part: a record dated after the month's end, an undated record, a status written
another way, a diagnosis that contains an illness name, a settlement for another diagnosis, one
department's own registers disagreeing. The old demo oracle got several of these the other way
round (noted ``# oracle:``) and passed only because the generator never produced them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from published_fixtures import VILLAGE_A, VILLAGE_B, VILLAGE_C

MONTH_END = date(2024, 6, 30)
BEFORE, AFTER = date(2024, 3, 1), date(2024, 7, 2)
DIED = date(2024, 1, 10)
ROSTER = {"population_type": "脱贫人口", "village_code": VILLAGE_A}
INSURED = {"enrol_status": "参保缴费"}


def case(rule: str, description: str, expected: bool, **tables: Any) -> dict[str, Any]:
    """One case; each extract's value is a row dict or a list of row dicts."""
    rows = {e: v if isinstance(v, list) else [v] for e, v in tables.items()}
    return {"description": description, "rule": rule, "tables": rows, "expected": expected}


def _contract(d: date | None) -> dict:
    return {"contract_date": d}


NO_DOCTOR_CONTRACT = [
    case("no_doctor_contract", "registered, no contract", True, poverty_roster=ROSTER),
    case("no_doctor_contract", "registered, contract before month end", False,
         poverty_roster=ROSTER, doctor_contract=_contract(BEFORE)),
    case("no_doctor_contract", "registered, contract dated after month end: not yet", True,
         poverty_roster=ROSTER, doctor_contract=_contract(AFTER)),
    case("no_doctor_contract", "registered, undated contract counts", False,
         poverty_roster=ROSTER, doctor_contract=_contract(None)),
    case("no_doctor_contract", "registered, risk cleared: still registered", True,
         poverty_roster={**ROSTER, "risk_cleared": True}),
    case("no_doctor_contract", "not registered, no contract", False,
         enrolment=INSURED),
]

NOT_INSURED = [
    case("not_insured", "registered, no enrolment", True, poverty_roster=ROSTER),
    case("not_insured", "registered, 参保缴费", False, poverty_roster=ROSTER, enrolment=INSURED),
    case("not_insured", "registered, 终止 only", True, poverty_roster=ROSTER,
         enrolment={"enrol_status": "终止"}),
    case("not_insured", "registered, 暂停 and 参保缴费: one active enrolment is enough", False,
         poverty_roster=ROSTER, enrolment=[{"enrol_status": "暂停"}, INSURED]),
    case("not_insured", "registered, enrolment without status", True, poverty_roster=ROSTER,
         enrolment={"enrol_status": None}),
    case("not_insured", "registered, active only from a later enrolment year", True,
         poverty_roster=ROSTER, enrolment={**INSURED, "enrol_year": "2025"}),
    case("not_insured", "registered, active this enrolment year", False,
         poverty_roster=ROSTER, enrolment={**INSURED, "enrol_year": "2024"}),
    case("not_insured", "not registered, no enrolment", False,
         doctor_contract=_contract(BEFORE)),
]


def _sub(subsidy: str | None, **kw: Any) -> dict:
    return {**INSURED, "subsidy_type": subsidy, **kw}


def _assist(kind: str, status: str | None = "正常", **kw: Any) -> dict:
    return {"assistance_type": kind, "status": status, **kw}


WRONG_SUBSIDY = [
    case("wrong_subsidy", "registered 脱贫人口 with 脱贫人口资助", False,
         poverty_roster=ROSTER, enrolment=_sub("脱贫人口资助")),
    # oracle: demanded the population type's own subsidy (脱贫人口 -> 脱贫人口资助)
    case("wrong_subsidy", "registered 脱贫人口 with 监测对象资助: either roster subsidy fits",
         False,
         poverty_roster=ROSTER, enrolment=_sub("监测对象资助")),
    case("wrong_subsidy", "registered with 无", True, poverty_roster=ROSTER, enrolment=_sub("无")),
    case("wrong_subsidy", "registered with no subsidy written", True,
         poverty_roster=ROSTER, enrolment=_sub(None)),
    case("wrong_subsidy", "active 特困 outranks the roster", True,
         poverty_roster=ROSTER, assistance=_assist("特困供养"), enrolment=_sub("脱贫人口资助")),
    case("wrong_subsidy", "特困 with empty status counts as active", True,
         assistance=_assist("特困供养", None), enrolment=_sub("低保定额资助")),
    case("wrong_subsidy", "特困 with empty status and 特困全额资助", False,
         assistance=_assist("特困供养", None), enrolment=_sub("特困全额资助")),
    case("wrong_subsidy", "特困 stopped (停保): the roster decides", False,
         poverty_roster=ROSTER, assistance=_assist("特困供养", "停保"),
         enrolment=_sub("脱贫人口资助")),
    case("wrong_subsidy", "低保 and 特困 both active: 特困 decides", True,
         assistance=[_assist("低保"), _assist("特困供养")], enrolment=_sub("低保定额资助")),
    case("wrong_subsidy", "active 低保 with 低保定额资助", False,
         assistance=_assist("低保"), enrolment=_sub("低保定额资助")),
    # oracle: only checked registered people
    case("wrong_subsidy", "unregistered active 低保 with 特困全额资助", True,
         assistance=_assist("低保"), enrolment=_sub("特困全额资助")),
    case("wrong_subsidy", "insured with no basis (no roster, no assistance): not checked", False,
         enrolment=_sub("无")),
    case("wrong_subsidy", "registered but not insured (终止): not checked", False,
         poverty_roster=ROSTER, enrolment={"enrol_status": "终止", "subsidy_type": "无"}),
    case("wrong_subsidy", "two active enrolments, one with the right subsidy", False,
         poverty_roster=ROSTER, enrolment=[_sub("无"), _sub("脱贫人口资助")]),
]


def _stay(diagnosis: str, admitted: date = BEFORE, discharged: date | None = None) -> dict:
    return {"diagnosis": diagnosis, "admission_date": admitted, "discharge_date": discharged}


def _ledger(illness: str, status: str = "已救治", diagnosed: date | None = None) -> dict:
    return {"illness": illness, "status": status, "diagnosis_date": diagnosed}


SETTLEMENT_NOT_IN_LEDGER = [
    case("settlement_not_in_ledger", "registered, 胃癌 settled, no ledger", True,
         poverty_roster=ROSTER, settlement=_stay("胃癌")),
    # oracle: matched the diagnosis to the illness list exactly
    case("settlement_not_in_ledger", "diagnosis containing the illness name", True,
         poverty_roster=ROSTER, settlement=_stay("胃癌(术后复查)")),
    case("settlement_not_in_ledger", "ledger holds the same illness", False,
         poverty_roster=ROSTER, settlement=_stay("肺癌"), illness_ledger=_ledger("肺癌")),
    # oracle: any ledger entry was enough
    case("settlement_not_in_ledger", "ledger holds another illness only", True,
         poverty_roster=ROSTER, settlement=_stay("肝癌"), illness_ledger=_ledger("胃癌")),
    case("settlement_not_in_ledger", "diagnosis not a serious illness", False,
         poverty_roster=ROSTER, settlement=_stay("感冒")),
    case("settlement_not_in_ledger", "not registered", False, settlement=_stay("胃癌")),
    case("settlement_not_in_ledger", "settled after month end: not yet", False,
         poverty_roster=ROSTER, settlement=_stay("胃癌", AFTER)),
    case("settlement_not_in_ledger", "admitted in the month, discharged after: not yet", False,
         poverty_roster=ROSTER, settlement=_stay("胃癌", date(2024, 6, 20), date(2024, 7, 5))),
    case("settlement_not_in_ledger", "ledger entry only after month end", True,
         poverty_roster=ROSTER, settlement=_stay("胃癌"),
         illness_ledger=_ledger("胃癌", diagnosed=AFTER)),
]

LEDGER_WITHOUT_SETTLEMENT = [
    case("ledger_without_settlement", "已救治, no settlement", True,
         illness_ledger=_ledger("肺癌")),
    # oracle: only 已救治
    case("ledger_without_settlement", "救治中, no settlement", True,
         illness_ledger=_ledger("肺癌", "救治中")),
    case("ledger_without_settlement", "待救治: nothing to settle yet", False,
         illness_ledger=_ledger("肺癌", "待救治")),
    case("ledger_without_settlement", "放弃救治", False,
         illness_ledger=_ledger("肺癌", "放弃救治")),
    # oracle: demanded a settlement with the ledger's illness as diagnosis
    case("ledger_without_settlement", "settlement under another diagnosis counts", False,
         illness_ledger=_ledger("肺癌"), settlement=_stay("肺部肿瘤")),
    case("ledger_without_settlement", "settlement only after month end", True,
         illness_ledger=_ledger("肺癌"), settlement=_stay("肺癌", AFTER)),
    case("ledger_without_settlement", "ledger entry diagnosed after month end", False,
         illness_ledger=_ledger("肺癌", diagnosed=AFTER)),
    case("ledger_without_settlement", "registered or not, the ledger is checked", True,
         poverty_roster=ROSTER, illness_ledger=_ledger("肝癌")),
]


def _dead(when: date | None = DIED) -> dict:
    return {"death_date": when}


DEAD_BUT_ACTIVE = [
    case("dead_but_active", "dead, still enrolled 参保缴费", True, death=_dead(),
         enrolment=INSURED),
    case("dead_but_active", "dead, enrolment 终止", False, death=_dead(),
         enrolment={"enrol_status": "终止"}),
    case("dead_but_active", "dead, assistance 正常", True, death=_dead(),
         assistance=_assist("低保", start_date=date(2020, 1, 1))),
    case("dead_but_active", "dead, assistance 停保", False, death=_dead(),
         assistance=_assist("低保", "停保", start_date=date(2020, 1, 1))),
    case("dead_but_active", "dead, in the roster, risk not cleared", True, death=_dead(),
         poverty_roster={**ROSTER, "risk_cleared": False}),
    case("dead_but_active", "dead, in the roster, risk cleared", False, death=_dead(),
         poverty_roster={**ROSTER, "risk_cleared": True}),
    case("dead_but_active", "dead, in the roster, risk cleared not written", True,
         death=_dead(), poverty_roster=ROSTER),
    case("dead_but_active", "follow-up after death", True, death=_dead(),
         chronic_followup={"followup_date": date(2024, 3, 1)}),
    case("dead_but_active", "follow-up before death", False, death=_dead(),
         chronic_followup={"followup_date": date(2023, 12, 1)}),
    case("dead_but_active", "follow-up on the day of death", False, death=_dead(),
         chronic_followup={"followup_date": DIED}),
    case("dead_but_active", "contract signed after death", True, death=_dead(),
         doctor_contract=_contract(date(2024, 2, 1))),
    case("dead_but_active", "admitted to hospital after death", True, death=_dead(),
         settlement=_stay("感冒", date(2024, 2, 1), date(2024, 2, 3))),
    case("dead_but_active", "assistance (stopped) starting after death", True, death=_dead(),
         assistance=_assist("临时救助", "停保", start_date=date(2024, 2, 1))),
    case("dead_but_active", "death dated after month end: alive as of the month", False,
         death=_dead(AFTER), enrolment=INSURED),
    case("dead_but_active", "death record without a date", False, death=_dead(None),
         enrolment=INSURED),
    case("dead_but_active", "two death records: the earliest date counts", True,
         death=[_dead(date(2024, 3, 1)), _dead(DIED)],
         chronic_followup={"followup_date": date(2024, 2, 1)}),
    case("dead_but_active", "alive and enrolled", False, enrolment=INSURED),
]


def _in(village: str | None, **kw: Any) -> dict:
    return {"village_code": village, **kw}


def _roster(village: str) -> dict:
    return {**ROSTER, "village_code": village}


VILLAGE_CONFLICT = [
    case("village_conflict", "roster A, insurance B", True,
         poverty_roster=_roster(VILLAGE_A), enrolment=_in(VILLAGE_B)),
    case("village_conflict", "roster A, insurance A", False,
         poverty_roster=_roster(VILLAGE_A), enrolment=_in(VILLAGE_A)),
    case("village_conflict", "a record without a village is no disagreement", False,
         poverty_roster=_roster(VILLAGE_A), enrolment=[_in(VILLAGE_A), _in(None)]),
    # oracle: any two villages among all records
    case("village_conflict", "one department moved over time, no other department", False,
         enrolment=[_in(VILLAGE_A, enrol_year="2023"), _in(VILLAGE_B, enrol_year="2024")]),
    case("village_conflict", "insurance's latest village differs from the roster's", True,
         poverty_roster=_roster(VILLAGE_A),
         enrolment=[_in(VILLAGE_A, enrol_year="2022"), _in(VILLAGE_B, enrol_year="2024")]),
    case("village_conflict", "moved, insurance's latest agrees with the roster", False,
         poverty_roster=_roster(VILLAGE_B),
         enrolment=[_in(VILLAGE_A, enrol_year="2022"), _in(VILLAGE_B, enrol_year="2024")]),
    case("village_conflict", "two registers of one department (health) disagree", False,
         doctor_contract=_in(VILLAGE_A, contract_date=BEFORE),
         chronic_followup=_in(VILLAGE_B, followup_date=BEFORE)),
    case("village_conflict", "three departments, one disagrees", True,
         poverty_roster=_roster(VILLAGE_A), assistance=_in(VILLAGE_C), enrolment=_in(VILLAGE_A)),
    case("village_conflict", "a register's latest village beats its more frequent one", False,
         poverty_roster=_roster(VILLAGE_B),
         enrolment=[_in(VILLAGE_A, enrol_year="2022"), _in(VILLAGE_A, enrol_year="2023"),
                    _in(VILLAGE_B, enrol_year="2024")]),
    case("village_conflict", "undated register: its most frequent village", False,
         poverty_roster=_roster(VILLAGE_A),
         enrolment=[_in(VILLAGE_B), _in(VILLAGE_A), _in(VILLAGE_A)]),
    case("village_conflict", "a later record after month end is not yet the current one", False,
         poverty_roster=_roster(VILLAGE_A),
         doctor_contract=[_in(VILLAGE_A, contract_date=BEFORE),
                          _in(VILLAGE_B, contract_date=AFTER)]),
]


def _hardship(cause: str | None, kind: str = "低保", status: str | None = "正常",
              start: date | None = date(2020, 1, 1)) -> dict:
    return {"assistance_type": kind, "status": status, "hardship_cause": cause,
            "start_date": start}


ASSISTANCE_ILLNESS_NOT_MONITORED = [
    case("assistance_illness_not_monitored", "低保 因病 not registered", True,
         assistance=_hardship("因病")),
    case("assistance_illness_not_monitored", "特困供养 因病 not registered", True,
         assistance=_hardship("因病", "特困供养")),
    # oracle: required the cause to be exactly 因病; ingest maps the words (因病致贫 …) to codes
    case("assistance_illness_not_monitored", "因病 among several causes", True,
         assistance=_hardship("因残、因病")),
    case("assistance_illness_not_monitored", "status not written counts as active", True,
         assistance=_hardship("因病", status=None)),
    case("assistance_illness_not_monitored", "stopped (停保)", False,
         assistance=_hardship("因病", status="停保")),
    case("assistance_illness_not_monitored", "registered", False,
         assistance=_hardship("因病"), poverty_roster=ROSTER),
    case("assistance_illness_not_monitored", "临时救助 is not 低保/特困", False,
         assistance=_hardship("因病", "临时救助")),
    case("assistance_illness_not_monitored", "cause 因残", False, assistance=_hardship("因残")),
    case("assistance_illness_not_monitored", "no cause written", False,
         assistance=_hardship(None)),
    case("assistance_illness_not_monitored", "assistance starting after month end", False,
         assistance=_hardship("因病", start=AFTER)),
]

CASES: list[dict[str, Any]] = [
    *NO_DOCTOR_CONTRACT, *NOT_INSURED, *WRONG_SUBSIDY, *SETTLEMENT_NOT_IN_LEDGER,
    *LEDGER_WITHOUT_SETTLEMENT, *DEAD_BUT_ACTIVE, *VILLAGE_CONFLICT,
    *ASSISTANCE_ILLNESS_NOT_MONITORED,
]
