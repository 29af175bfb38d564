"""Plant the mismatches a correct pipeline must find, one rule at a time.

Each planted person is used by one rule only; everything else stays consistent.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from pipelines.demo.departments import County
from pipelines.demo.draw import days_before
from pipelines.demo.hospital import finish_settlements, hospitals, illness_for

_DEPT_ZH = {"enrolment": "医保参保", "settlement": "医保结算", "doctor_contract": "家庭医生签约",
            "assistance": "民政救助"}


def plant_count(people: int) -> int:
    """How many cases to plant per rule: a handful for small counties, a few dozen for big."""
    return int(min(40, max(4, people // 800)))


class _Planter:
    """Picks planted people without reuse and records them."""

    def __init__(self, rng: np.random.Generator, county: County, n: int) -> None:
        """Start with no one used."""
        self.rng = rng
        self.county = county
        self.n = n
        self.used: set[str] = set()
        self.rows: list[dict[str, str]] = []

    def choose(self, candidates: pl.Series) -> list[str]:
        """Pick up to n unused keys from `candidates` (sorted, so the choice is stable)."""
        pool = [k for k in candidates.unique().sort().to_list() if k not in self.used]
        if not pool:
            return []
        idx = self.rng.choice(len(pool), size=min(self.n, len(pool)), replace=False)
        keys = sorted(pool[i] for i in idx)
        self.used.update(keys)
        return keys

    def record(self, rule: str, key: str, detail: str) -> None:
        """Record one planted case."""
        self.rows.append({"rule": rule, "person_key": key, "detail": detail})


def _registered(county: County) -> pl.DataFrame:
    """Registered (poverty-roster) people."""
    return county.persons.filter(pl.col("registered"))


def _no_contract(p: _Planter) -> None:
    """Registered people whose family-doctor contract is removed."""
    keys = p.choose(_registered(p.county)["person_key"])
    t = p.county.tables
    t["doctor_contract"] = t["doctor_contract"].filter(~pl.col("person_key").is_in(keys))
    for k in keys:
        p.record("no_doctor_contract", k, "登记人员无家庭医生签约记录")


def _not_insured(p: _Planter) -> None:
    """Registered people without enrolment, or enrolled 暂停/终止."""
    keys = p.choose(_registered(p.county)["person_key"])
    t = p.county.tables
    drop = keys[::2]
    status = {k: ("暂停" if i % 2 else "终止") for i, k in enumerate(keys[1::2])}
    enrol = t["enrolment"].filter(~pl.col("person_key").is_in(drop))
    t["enrolment"] = enrol.with_columns(
        enrol_status=pl.col("person_key").replace_strict(status, default=pl.col("enrol_status"))
    )
    for k in drop:
        p.record("not_insured", k, "登记人员无参保记录")
    for k, s in status.items():
        p.record("not_insured", k, f"登记人员参保状态为{s}")


def _wrong_subsidy(p: _Planter) -> None:
    """Registered people enrolled with a subsidy type that contradicts their status."""
    enrol = p.county.tables["enrolment"]
    ok = enrol.filter(pl.col("enrol_status") == "参保缴费")["person_key"]
    reg = _registered(p.county).filter(pl.col("person_key").is_in(ok.implode()))
    tekun = reg.filter((pl.col("assistance_type") == "特困供养")
                       & (pl.col("assistance_status") == "正常"))["person_key"]
    keys = p.choose(tekun)[: max(1, p.n // 3)]
    keys += p.choose(reg["person_key"])[: p.n - len(keys)]
    current = dict(enrol.filter(pl.col("person_key").is_in(keys))
                   .select("person_key", "subsidy_type").iter_rows())
    wrong = {}
    for k in keys:
        right = current[k]
        wrong[k] = {"特困全额资助": "低保定额资助", "低保定额资助": "无"}.get(right, "无")
        p.record("wrong_subsidy", k, f"资助类型应为{right},实为{wrong[k]}")
    p.county.tables["enrolment"] = enrol.with_columns(
        subsidy_type=pl.col("person_key").replace_strict(wrong, default=pl.col("subsidy_type"))
    )


def _settlement_not_in_ledger(p: _Planter, as_of: date) -> None:
    """Registered people with a serious-illness settlement and no ledger case."""
    t = p.county.tables
    reg = _registered(p.county).filter(~pl.col("person_key").is_in(t["illness_ledger"]["person_key"]
                                                                    .implode()))
    keys = p.choose(reg["person_key"])
    rows = reg.filter(pl.col("person_key").is_in(keys)).sort("person_key")
    illness = illness_for(p.rng, rows)
    stays = rows.select("person_key", "village_code", "registered").with_columns(
        diagnosis=illness, admission_date=days_before(p.rng, as_of, rows.height, 25, 300)
    )
    t["settlement"] = pl.concat([t["settlement"], finish_settlements(p.rng, stays)]).sort(
        "person_key", "admission_date")
    for k, ill in zip(keys, illness.to_list(), strict=True):
        p.record("settlement_not_in_ledger", k, f"结算主要诊断{ill},大病台账无记录")


def _ledger_without_settlement(p: _Planter, as_of: date) -> None:
    """Ledger cases 已救治 for people with no settlement at all."""
    t = p.county.tables
    busy = pl.concat([t["illness_ledger"]["person_key"], t["settlement"]["person_key"]])
    reg = _registered(p.county).filter(~pl.col("person_key").is_in(busy.implode()))
    keys = p.choose(reg["person_key"])
    rows = reg.filter(pl.col("person_key").is_in(keys)).sort("person_key")
    k = rows.height
    cases = rows.select("person_key", "village_code").with_columns(
        illness=illness_for(p.rng, rows),
        hospital=hospitals(p.rng, k),
        diagnosis_date=days_before(p.rng, as_of, k, 60, 500),
        status=pl.lit("已救治"),
    )
    t["illness_ledger"] = pl.concat([t["illness_ledger"], cases]).sort("person_key")
    for key, ill in cases.select("person_key", "illness").iter_rows():
        p.record("ledger_without_settlement", key, f"台账{ill}已救治,无住院结算记录")


def _dead_but_active(p: _Planter, as_of: date) -> None:
    """Living, active people who get a death record."""
    t = p.county.tables
    persons = p.county.persons
    active = t["enrolment"].filter(pl.col("enrol_status") == "参保缴费")["person_key"]
    alive = persons.filter(~pl.col("dead") & pl.col("person_key").is_in(active.implode()))
    third = max(1, p.n // 3)
    keys = p.choose(alive.filter(pl.col("registered"))["person_key"])[:third]
    assisted = alive.filter(pl.col("assistance_status") == "正常")["person_key"]
    keys += [k for k in p.choose(assisted) if k not in keys][:third]
    keys += p.choose(alive["person_key"])[: p.n - len(keys)]
    keys = sorted(keys)
    rows = persons.filter(pl.col("person_key").is_in(keys)).sort("person_key")
    death = days_before(p.rng, as_of, rows.height, 30, 300)
    deaths = rows.select("person_key", "village_code").with_columns(
        death_date=death, cremation_date=death + pl.duration(days=2))
    t["death"] = pl.concat([t["death"], deaths]).sort("person_key")
    roster = set(t["poverty_roster"]["person_key"].to_list())
    assist = set(t["assistance"].filter(pl.col("status") == "正常")["person_key"].to_list())
    for k in keys:
        where = ["医保参保缴费"] + (["防返贫监测名单"] if k in roster else [])
        where += ["民政救助正常"] if k in assist else []
        p.record("dead_but_active", k, "已死亡,仍在: " + "、".join(where))


def _village_conflict(p: _Planter, resettled: tuple[tuple[str, str], ...],
                      villages: pl.Series) -> None:
    """One department places the person in another village (relocated: the old one)."""
    t = p.county.tables
    persons = p.county.persons
    in_enrol = t["enrolment"]["person_key"]
    reg = _registered(p.county).filter(pl.col("person_key").is_in(in_enrol.implode()))
    moved_from = {site: origin for origin, site in resettled}
    relocated = reg.filter(pl.col("village_code").is_in(list(moved_from)))
    keys = p.choose(relocated["person_key"])[: max(1, p.n // 2)]
    keys += p.choose(reg["person_key"])[: p.n - len(keys)]
    truth = dict(persons.filter(pl.col("person_key").is_in(keys))
                 .select("person_key", "village_code").iter_rows())
    other: dict[str, str] = {}
    for k in sorted(keys):
        v = truth[k]
        if v in moved_from:
            other[k] = moved_from[v]
        else:
            choices = villages.filter(villages != v)
            other[k] = choices[int(p.rng.integers(choices.len()))]
    half = sorted(keys)[::2]
    for k in sorted(keys):
        dept = "enrolment" if k not in half or k in relocated["person_key"] else "doctor_contract"
        frame = t[dept]
        t[dept] = frame.with_columns(
            village_code=pl.when(pl.col("person_key") == k).then(pl.lit(other[k]))
            .otherwise(pl.col("village_code"))
        )
        p.record("village_conflict", k, f"{_DEPT_ZH[dept]}记为{other[k]},其余为{truth[k]}")


def _assistance_not_monitored(p: _Planter) -> None:
    """低保/特困 recipients outside the roster whose hardship cause becomes 因病."""
    t = p.county.tables
    a = t["assistance"].filter(
        pl.col("assistance_type").is_in(["低保", "特困供养"]) & (pl.col("status") == "正常")
        & ~pl.col("person_key").is_in(t["poverty_roster"]["person_key"].implode())
    )
    keys = p.choose(a["person_key"])
    t["assistance"] = t["assistance"].with_columns(
        hardship_cause=pl.when(pl.col("person_key").is_in(keys)).then(pl.lit("因病"))
        .otherwise(pl.col("hardship_cause"))
    )
    for k in keys:
        p.record("assistance_illness_not_monitored", k, "低保/特困因病致困,不在监测名单")


def plant_mismatches(rng: np.random.Generator, county: County, people: int, as_of: date,
                     resettled: tuple[tuple[str, str], ...], villages: pl.Series) -> County:
    """Plant every mismatch rule into the county's tables (in place) and record them.

    Args:
        rng: the seeded generator.
        county: the clean county.
        people: number of residents (scales the planted counts).
        as_of: the reference date.
        resettled: (origin, site) village codes of resettlement sites.
        villages: all village codes.

    Returns:
        The county with mismatches planted and `planted` filled.
    """
    p = _Planter(rng, county, plant_count(people))
    _no_contract(p)
    _not_insured(p)
    _wrong_subsidy(p)
    _settlement_not_in_ledger(p, as_of)
    _ledger_without_settlement(p, as_of)
    _dead_but_active(p, as_of)
    _village_conflict(p, resettled, villages)
    _assistance_not_monitored(p)
    county.planted = pl.DataFrame(p.rows, schema={"rule": pl.String, "person_key": pl.String,
                                                  "detail": pl.String})
    return county
