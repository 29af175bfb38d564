"""What each department knows about the residents: the true (clean) extract tables.

Every table holds `person_key`, the `village_code` the department places the person in, and
the extract's own canonical fields (see `pipelines.domain.extracts.EXTRACTS`). Rows are consistent
across departments, except for the mismatches `plant` adds on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from pipelines.demo.draw import days_before, pick
from pipelines.demo.hospital import ledger, settlements
from pipelines.demo.places import Places
from pipelines.domain.codes import MONITORING_CATEGORIES

_NON_ILLNESS_CAUSES = ("因残", "因学", "因灾", "因意外事故", "缺劳力", "因务工就业不稳", "其他")


@dataclass
class County:
    """The county's true state: people, department tables and planted mismatches.

    Attributes:
        persons: one row per resident (see `people.build_people`) plus registered,
            assistance_type and dead flags.
        tables: extract name -> clean table (person_key, village_code, own fields).
        planted: rule, person_key, detail.
    """

    persons: pl.DataFrame
    tables: dict[str, pl.DataFrame]
    planted: pl.DataFrame


def _mark_people(rng: np.random.Generator, persons: pl.DataFrame) -> pl.DataFrame:
    """Decide who is dead, who is registered (whole households), who gets assistance."""
    n = persons.height
    hh = persons["hh"].to_numpy()
    n_hh = int(hh.max()) + 1
    age = persons["age"].to_numpy()
    dead = rng.random(n) < np.where(age >= 70, 0.03, np.where(age >= 50, 0.006, 0.0008))
    registered_hh = rng.random(n_hh) < 0.05
    registered = registered_hh[hh] & ~dead
    dibao_hh = rng.random(n_hh) < np.where(registered_hh, 0.3, 0.02)
    tekun = (age >= 60) & (persons["hh_size"].to_numpy() == 1) & (rng.random(n) < 0.35)
    temp = rng.random(n) < 0.006
    assist = np.where(
        tekun, "特困供养", np.where(dibao_hh[hh], "低保", np.where(temp, "临时救助", ""))
    )
    stopped = (assist != "") & ~registered & (rng.random(n) < 0.05)
    status = np.where(assist == "", "", np.where(dead | stopped, "停保", "正常"))
    reg_type = np.where(rng.random(n_hh) < 0.8, "脱贫人口", "监测对象")[hh]
    return persons.with_columns(
        dead=dead,
        registered=registered,
        population_type=pl.Series(reg_type),
        assistance_type=pl.Series(assist),
        assistance_status=pl.Series(status),
    )


def _roster(rng: np.random.Generator, persons: pl.DataFrame) -> pl.DataFrame:
    """The poverty roster: registered households, one row per living member."""
    heads = persons.filter(pl.col("member") == 0).select("hh", head_name="name")
    reg = persons.filter(pl.col("registered")).join(heads, on="hh", how="left")
    hh_ids = reg.select(pl.col("hh").unique(maintain_order=True)).to_series()
    k = hh_ids.len()
    cats = pl.Series(list(MONITORING_CATEGORIES))
    cause_pool = pl.Series(["因病"] * 5 + ["因残"] * 2 + list(_NON_ILLNESS_CAUSES))
    per_hh = pl.DataFrame(
        {
            "hh": hh_ids,
            "monitoring_category": pick(rng, cats, k),
            "risk_cause": pick(rng, cause_pool, k),
            "risk_cleared": pl.Series(np.where(rng.random(k) < 0.6, "是", "否")),
            "household_id": pl.Series(rng.permutation(k) + 1).cast(pl.String).str.zfill(6),
        }
    )
    return reg.join(per_hh, on="hh", how="left").select(
        "person_key",
        "village_code",
        pl.format("{}{}", pl.col("village_code").str.slice(6, 6), pl.col("household_id"))
        .alias("household_id"),
        "head_name",
        "relation",
        "population_type",
        pl.when(pl.col("population_type") == "监测对象")
        .then(pl.col("monitoring_category"))
        .when(pl.col("monitoring_category") == "脱贫不稳定户")
        .then(pl.col("monitoring_category"))
        .otherwise(pl.lit(None))
        .alias("monitoring_category"),
        "risk_cause",
        "risk_cleared",
    )


def _assistance(rng: np.random.Generator, persons: pl.DataFrame, roster: pl.DataFrame,
                as_of: date) -> pl.DataFrame:
    """Civil-affairs assistance; 因病 only for people in the poverty roster."""
    heads = persons.filter(pl.col("member") == 0).select("hh", head_name="name")
    rec = persons.filter(pl.col("assistance_type") != "").join(heads, on="hh", how="left")
    in_roster = rec["person_key"].is_in(roster["person_key"].implode())
    n = rec.height
    hh_cause = rng.random(int(persons["hh"].max()) + 1) < 0.4
    illness = pl.Series(hh_cause[rec["hh"].to_numpy()]) & in_roster
    other = pick(rng, pl.Series(_NON_ILLNESS_CAUSES), n)
    return rec.select(
        "person_key",
        "village_code",
        "head_name",
        pl.col("assistance_type"),
        start_date=days_before(rng, as_of, n, 60, 8 * 365),
        status=pl.col("assistance_status"),
        hardship_cause=pl.when(illness).then(pl.lit("因病")).otherwise(other),
    )


def _subsidy(persons: pl.DataFrame) -> pl.Expr:
    """The subsidy type consistent with civil-affairs and roster status."""
    active = pl.col("assistance_status") == "正常"
    return (
        pl.when(active & (pl.col("assistance_type") == "特困供养"))
        .then(pl.lit("特困全额资助"))
        .when(active & (pl.col("assistance_type") == "低保"))
        .then(pl.lit("低保定额资助"))
        .when(pl.col("registered"))
        .then(pl.format("{}资助", pl.col("population_type")))
        .otherwise(pl.lit("无"))
    )


def _enrolment(rng: np.random.Generator, persons: pl.DataFrame) -> pl.DataFrame:
    """Insurance enrolment: ~97% of residents; the dead 终止."""
    n = persons.height
    rows = persons.with_columns(
        enrolled=pl.Series(rng.random(n) < 0.97) | pl.col("registered"),
        paused=pl.Series(rng.random(n) < 0.01) & ~pl.col("registered"),
    ).filter(pl.col("enrolled"))
    return rows.select(
        "person_key",
        "village_code",
        enrol_status=pl.when(pl.col("dead"))
        .then(pl.lit("终止"))
        .when(pl.col("paused"))
        .then(pl.lit("暂停"))
        .otherwise(pl.lit("参保缴费")),
        subsidy_type=_subsidy(persons),
        enrol_year=pl.lit("2026"),
    )


def _contracts(rng: np.random.Generator, persons: pl.DataFrame, places: Places,
               as_of: date) -> pl.DataFrame:
    """Family-doctor contracts: every registered person and ~35% of the rest (alive)."""
    n = persons.height
    signed = (pl.col("registered") | pl.Series(rng.random(n) < 0.35)) & ~pl.col("dead")
    rows = persons.filter(signed)
    k = rows.height
    towns = places.villages.select("township_code", "township_name").unique(maintain_order=True)
    packages = pl.Series(["基础包", "慢病包", "老年人包", "孕产妇包", "儿童包", "脱贫人口包"])
    return rows.join(towns, on="township_code", how="left").select(
        "person_key",
        "village_code",
        team=pl.format("{}卫生院第{}团队", pl.col("township_name").str.slice(0, 2),
                       pl.Series(rng.integers(1, 5, size=k))),
        contract_date=days_before(rng, as_of, k, 20, 700),
        service_package=pl.when(pl.col("registered"))
        .then(pl.lit("脱贫人口包"))
        .otherwise(pick(rng, packages.head(5), k)),
        groups=pl.when(pl.col("registered"))
        .then(pl.col("population_type"))
        .when(pl.col("age") >= 65)
        .then(pl.lit("老年人"))
        .when(pl.col("age") <= 6)
        .then(pl.lit("儿童"))
        .otherwise(pl.lit("一般人群")),
    )


def _followups(rng: np.random.Generator, persons: pl.DataFrame, places: Places,
               as_of: date) -> pl.DataFrame:
    """Chronic follow-ups: 1-6 per patient in the 12 months before as_of."""
    n = persons.height
    age = persons["age"].to_numpy()
    alive = ~persons["dead"].to_numpy()
    pats = []
    for disease, p, min_age in (("高血压", 0.12, 35), ("2型糖尿病", 0.05, 35),
                                ("肺结核", 0.0008, 15), ("严重精神障碍", 0.003, 15)):
        mask = alive & (age >= min_age) & (rng.random(n) < p)
        idx = np.flatnonzero(mask)
        pats.append(pl.DataFrame({"i": idx, "disease": [disease] * idx.size}))
    pat = pl.concat(pats)
    reps = rng.integers(1, 7, size=pat.height)
    rows = pat.select(pl.all().gather(np.repeat(np.arange(pat.height), reps)))
    k = rows.height
    short = places.villages.select("village_code", "short", "township_name")
    first_ref = rng.integers(20, 400, size=pat.height)
    ref = pl.Series(np.datetime64(as_of, "D") - first_ref.astype("timedelta64[D]")).cast(pl.Date)
    return (
        rows.with_columns(
            persons["person_key"].gather(rows["i"]).alias("person_key"),
            persons["village_code"].gather(rows["i"]).alias("village_code"),
            followup_date=days_before(rng, as_of, k, 1, 364),
            followup_way=pick(rng, pl.Series(["门诊", "家庭", "电话", "门诊", "家庭"]), k),
            referral=ref.gather(np.repeat(np.arange(pat.height), reps)),
            clinic_kind=pl.Series(rng.random(k) < 0.6),
        )
        .join(short, on="village_code", how="left")
        .select(
            "person_key",
            "village_code",
            "disease",
            "followup_date",
            "followup_way",
            clinic=pl.when(pl.col("clinic_kind"))
            .then(pl.format("{}卫生室", pl.col("short")))
            .otherwise(pl.format("{}卫生院", pl.col("township_name"))),
            referral_date=pl.when(pl.col("disease") == "肺结核")
            .then(pl.min_horizontal("referral", pl.col("followup_date") - timedelta(days=3)))
            .otherwise(pl.lit(None, dtype=pl.Date)),
        )
        .sort("person_key", "disease", "followup_date")
    )


def _deaths(rng: np.random.Generator, persons: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Death and cremation records in the last 12 months."""
    dead = persons.filter(pl.col("dead"))
    k = dead.height
    death = days_before(rng, as_of, k, 5, 360)
    return dead.select("person_key", "village_code").with_columns(
        death_date=death,
        cremation_date=death + pl.duration(days=pl.Series(rng.integers(1, 4, size=k))),
    )


def _start_before_death(assistance: pl.DataFrame, deaths: pl.DataFrame) -> pl.DataFrame:
    """Move a dead recipient's assistance start to at least 30 days before the death date.

    Args:
        assistance: the assistance table (person_key, start_date, ...).
        deaths: the death table (person_key, death_date, ...).

    Returns:
        The assistance table, same rows and columns, with no start after a death.
    """
    died = deaths.select("person_key", "death_date")
    return (
        assistance.join(died, on="person_key", how="left", maintain_order="left")
        .with_columns(
            start_date=pl.min_horizontal(
                "start_date", pl.col("death_date") - pl.duration(days=30)
            )
        )
        .select(assistance.columns)
    )


def build_county(rng: np.random.Generator, persons: pl.DataFrame, places: Places,
                 as_of: date) -> County:
    """Build every department's clean table for the county's residents.

    Args:
        rng: the seeded generator.
        persons: residents from `people.build_people`.
        places: the county's places.
        as_of: the extracts' reference date.

    Returns:
        The clean `County` (no mismatches planted yet).
    """
    persons = _mark_people(rng, persons)
    roster = _roster(rng, persons)
    cases = ledger(rng, persons, as_of)
    tables = {
        "poverty_roster": roster,
        "doctor_contract": _contracts(rng, persons, places, as_of),
        "chronic_followup": _followups(rng, persons, places, as_of),
        "illness_ledger": cases,
        "assistance": _assistance(rng, persons, roster, as_of),
        "death": _deaths(rng, persons, as_of),
        "enrolment": _enrolment(rng, persons),
        "settlement": settlements(rng, persons, cases, as_of),
    }
    tables["assistance"] = _start_before_death(tables["assistance"], tables["death"])
    empty = pl.DataFrame(schema={"rule": pl.String, "person_key": pl.String, "detail": pl.String})
    return County(persons=persons, tables=tables, planted=empty)
