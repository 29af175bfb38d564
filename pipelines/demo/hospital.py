"""Hospitals: the serious-illness ledger and the inpatient settlements that follow it."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from pipelines.demo.draw import days_before, pick
from pipelines.demo.places import COUNTY_NAME
from pipelines.domain.codes import SERIOUS_ILLNESSES

ORDINARY_DIAGNOSES = (
    "肺炎", "脑梗死", "冠心病", "慢性阻塞性肺疾病", "腰椎间盘突出", "股骨颈骨折", "急性阑尾炎",
    "胆囊结石", "高血压病", "2型糖尿病", "慢性胃炎", "支气管炎", "心力衰竭", "泌尿系感染", "分娩",
)
HOSPITALS = (
    "县人民医院", "县中医院", "县妇幼保健院", "市第一人民医院", "市中心医院", "省人民医院",
    "郑州大学第一附属医院",
)
HOSPITAL_WEIGHTS = np.array([0.38, 0.22, 0.08, 0.12, 0.09, 0.06, 0.05])
CITY_NAME = "商丘市"
SAME_HOSPITAL = 0.7  # chance that a person's next stay is at the hospital of the first
CASE_AT_LEDGER_HOSPITAL = 0.9  # a ledger case's stay at its designated hospital
TREATMENT_DAYS = (1, 60)  # a ledger case's admission, in days after its diagnosis
CHILD_ILLNESSES = (
    *(s for s in SERIOUS_ILLNESSES if s.startswith("儿童")),
    "神经母细胞瘤", "唇腭裂", "尿道下裂", "发育性髋关节发育不良", "血友病", "地中海贫血",
)
FEMALE_ILLNESSES = ("乳腺癌", "宫颈癌")
ADULT_ILLNESSES = tuple(
    s for s in SERIOUS_ILLNESSES if s not in CHILD_ILLNESSES and s not in FEMALE_ILLNESSES
)

def illness_for(rng: np.random.Generator, rows: pl.DataFrame) -> pl.Series:
    """A serious illness plausible for each person's age and sex."""
    k = rows.height
    child = pick(rng, pl.Series(CHILD_ILLNESSES), k)
    adult = pick(rng, pl.Series(ADULT_ILLNESSES), k)
    female = pick(rng, pl.Series(FEMALE_ILLNESSES), k)
    use_female = pl.Series(rng.random(k) < 0.35)
    return rows.select(
        pl.when(pl.col("age") < 18).then(child)
        .when((pl.col("sex") == "女") & use_female).then(female)
        .otherwise(adult)
    ).to_series()


def ledger(rng: np.random.Generator, persons: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """The serious-illness ledger: ~5% of registered people."""
    reg = persons.filter(pl.col("registered"))
    rows = reg.filter(pl.Series(rng.random(reg.height) < 0.05))
    k = rows.height
    statuses = pl.Series(["已救治"] * 12 + ["救治中"] * 7 + ["待救治"])
    return rows.select(
        "person_key",
        "village_code",
        illness=illness_for(rng, rows),
        hospital=hospitals(rng, k),
        diagnosis_date=days_before(rng, as_of, k, 60, 900),
        status=pick(rng, statuses, k),
    )


def _money(rng: np.random.Generator, k: int, registered: np.ndarray, serious: np.ndarray
           ) -> dict[str, pl.Series]:
    """Settlement amounts: total, basic insurance, critical insurance, assistance, out of pocket."""
    total = np.round(rng.lognormal(8.6, 0.8, size=k) * np.where(serious, 4.0, 1.0), 2)
    basic = np.round(total * rng.uniform(0.5, 0.7, size=k), 2)
    critical = np.round(np.where(serious, total * rng.uniform(0.05, 0.15, size=k), 0.0), 2)
    assist = np.round(np.where(registered, total * rng.uniform(0.05, 0.15, size=k), 0.0), 2)
    oop = np.round(np.maximum(total - basic - critical - assist, 0.0), 2)
    return {
        "total_cost": pl.Series(total), "basic_insurance": pl.Series(basic),
        "critical_insurance": pl.Series(critical), "medical_assistance": pl.Series(assist),
        "out_of_pocket": pl.Series(oop),
    }


def hospitals(rng: np.random.Generator, k: int) -> pl.Series:
    """k hospitals, the county's own most often."""
    return pl.Series(HOSPITALS).gather(rng.choice(len(HOSPITALS), size=k, p=HOSPITAL_WEIGHTS))


def insurance_hospital_name(short: pl.Expr) -> pl.Expr:
    """The registered name the insurance platform writes (县人民医院 -> 清河县人民医院)."""
    return (
        pl.when(short.str.starts_with("县")).then(pl.lit(COUNTY_NAME) + short.str.slice(1))
        .when(short.str.starts_with("市")).then(pl.lit(CITY_NAME) + short.str.slice(1))
        .otherwise(short)
    )


def settlements(rng: np.random.Generator, persons: pl.DataFrame, ledger: pl.DataFrame,
                 as_of: date) -> pl.DataFrame:
    """Inpatient settlements: ~8% of living people, 1-3 stays, plus one per ledger case.

    A person's stays are mostly at one hospital; a ledger case is admitted at its designated
    hospital within `TREATMENT_DAYS` of the diagnosis.
    """
    alive = persons.filter(~pl.col("dead"))
    pat = alive.filter(pl.Series(rng.random(alive.height) < 0.08))
    reps = rng.integers(1, 4, size=pat.height)
    stay_of = np.repeat(np.arange(pat.height), reps)
    rows = pat.select(pl.all().gather(stay_of))
    k = rows.height
    first = hospitals(rng, pat.height).gather(stay_of)
    hospital = pl.select(pl.when(pl.Series(rng.random(k) < SAME_HOSPITAL)).then(first)
                         .otherwise(hospitals(rng, k))).to_series()
    ordinary = pick(rng, pl.Series(ORDINARY_DIAGNOSES), k)
    serious_other = pl.Series(rng.random(k) < 0.04) & ~rows["registered"]
    diagnosis = rows.select(
        pl.when(serious_other).then(illness_for(rng, rows)).otherwise(ordinary)
    ).to_series()
    stays = rows.select("person_key", "village_code", "registered").with_columns(
        diagnosis=diagnosis, admission_date=days_before(rng, as_of, k, 25, 365),
        hospital=hospital,
    )
    n = ledger.height
    at_ledger = pl.Series(rng.random(n) < CASE_AT_LEDGER_HOSPITAL)
    cases = ledger.join(persons.select("person_key", "registered"), on="person_key").select(
        "person_key", "village_code", "registered", diagnosis=pl.col("illness"),
        admission_date=pl.col("diagnosis_date") + pl.duration(
            days=pl.Series(rng.integers(TREATMENT_DAYS[0], TREATMENT_DAYS[1] + 1, size=n))),
        hospital=pl.when(at_ledger).then(pl.col("hospital")).otherwise(hospitals(rng, n)),
    )
    return finish_settlements(rng, pl.concat([stays, cases]))


def finish_settlements(rng: np.random.Generator, stays: pl.DataFrame) -> pl.DataFrame:
    """Add hospital (when not given), discharge date, money and one-stop flag to stays."""
    k = stays.height
    if "hospital" not in stays.columns:
        stays = stays.with_columns(hospital=hospitals(rng, k))
    serious = stays["diagnosis"].is_in(list(SERIOUS_ILLNESSES)).to_numpy()
    registered = stays["registered"].to_numpy()
    one_stop = np.where(registered | (rng.random(k) < 0.7), "是", "否")
    return stays.with_columns(
        hospital=insurance_hospital_name(pl.col("hospital")),
        discharge_date=pl.col("admission_date")
        + pl.duration(days=pl.Series(rng.integers(2, 21, size=k))),
        **_money(rng, k, registered, serious),
        one_stop=pl.Series(one_stop),
    ).drop("registered").sort("person_key", "admission_date")
