"""Who is in which department's programme: the facts the extracts are written from.

Facts are codes, not words: each extract chooses its own words for them. Rates are this
generator's own, chosen from the scale notes of the brief (poverty roster 2-10 % of residents,
civil affairs 3-8 %, insurance nearly all) and from the county reports in the seeds.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from benchmarks.foreign_county.places import County

# Poverty household types.
NONE, ALLEVIATED, UNSTABLE, MARGINAL, SUDDEN = range(5)
RISKS = ("illness", "disability", "schooling", "disaster", "accident", "business",
         "employment", "labour", "other")
RISK_P = np.array([0.42, 0.14, 0.08, 0.05, 0.05, 0.05, 0.1, 0.07, 0.04])
ILLNESSES = ("chd_child", "leukaemia_child", "oesophagus", "stomach", "colon", "rectum",
             "esrd", "lung", "breast", "cervix", "mental", "mdr_tb", "aids", "ami",
             "stroke", "haemophilia", "t1dm", "hyperthyroid", "cleft", "liver",
             "pneumoconiosis", "cataract", "copd")
TREATMENT = ("under", "awaiting", "treated", "died", "declined")
CHILD_ONLY = np.array([ILLNESSES.index(i) for i in ("chd_child", "leukaemia_child", "cleft")])
ADULT = np.setdiff1d(np.arange(len(ILLNESSES)), CHILD_ONLY)


def _household_draw(rng: np.random.Generator, households: int, p: float) -> np.ndarray:
    return rng.random(households) < p


def _poverty(rng: np.random.Generator, people: pl.DataFrame, rural: np.ndarray,
             as_of: date) -> dict[str, np.ndarray]:
    """Household poverty type, risk, risk cleared and dates, spread to members."""
    hh = people["household_no"].to_numpy()
    n_hh = hh.max() + 1
    hh_rural = np.zeros(n_hh, dtype=bool)
    hh_rural[hh] = rural
    kind = np.where(rng.random(n_hh) < np.where(hh_rural, 0.095, 0.012),
                    rng.choice([ALLEVIATED, UNSTABLE, MARGINAL, SUDDEN], n_hh,
                               p=[0.74, 0.1, 0.11, 0.05]), NONE)
    risk = rng.choice(len(RISKS), n_hh, p=RISK_P)
    cleared = rng.random(n_hh) < 0.55
    start = np.datetime64(as_of) - rng.integers(60, 1400, n_hh)
    cleared_on = np.minimum(start + rng.integers(90, 700, n_hh), np.datetime64(as_of))
    found = np.datetime64("2014-04-01") + rng.integers(0, 900, n_hh)
    return {"pov_kind": kind[hh], "risk": risk[hh], "risk_cleared": cleared[hh],
            "monitor_start": start[hh], "risk_cleared_on": cleared_on[hh],
            "pov_found": found[hh]}


def _assistance(rng: np.random.Generator, people: pl.DataFrame, pov_kind: np.ndarray,
                age: np.ndarray, as_of: date) -> dict[str, np.ndarray]:
    """低保 by household, 特困 for old people living alone, start dates and status."""
    hh = people["household_no"].to_numpy()
    n_hh = hh.max() + 1
    hh_poor = np.zeros(n_hh, dtype=bool)
    hh_poor[hh] = pov_kind != NONE
    dibao = (rng.random(n_hh) < np.where(hh_poor, 0.33, 0.022))[hh]
    size = np.bincount(hh)[hh]
    tekun = ((size == 1) & (age >= 60) & (rng.random(age.size) < 0.3)) | (
        rng.random(age.size) < 0.0015)
    dibao &= ~tekun
    start = (np.datetime64(as_of) - rng.integers(30, 3000, n_hh))[hh]
    stopped = rng.random(age.size) < 0.04
    return {"dibao": dibao, "tekun": tekun, "tekun_central": rng.random(age.size) < 0.2,
            "assist_start": start, "assist_stopped": stopped}


def _health(rng: np.random.Generator, age: np.ndarray, birth: np.ndarray, key: np.ndarray,
            as_of: date) -> dict[str, np.ndarray]:
    """Chronic diseases, family-doctor contracts and serious illnesses."""
    n = age.size
    htn = (age >= 35) & (rng.random(n) < np.where(age >= 60, 0.3, 0.13))
    dm = (age >= 35) & (rng.random(n) < np.where(age >= 60, 0.1, 0.05))
    mental = (age >= 15) & (rng.random(n) < 0.006)
    tb = rng.random(n) < 0.0008
    chronic = htn | dm | mental | tb
    priority = key | chronic | (age >= 65)
    contract = rng.random(n) < np.where(priority, 0.93, 0.12)
    signed = np.maximum(np.datetime64(as_of) - rng.integers(5, 700, n), birth)
    serious = key & (rng.random(n) < 0.045)
    illness = np.where(serious, rng.integers(0, len(ILLNESSES), n), -1)
    grown = np.isin(illness, CHILD_ONLY) & (age >= 18)
    illness[grown] = ADULT[rng.integers(0, ADULT.size, int(grown.sum()))]
    status = rng.choice(len(TREATMENT), n, p=[0.35, 0.05, 0.5, 0.05, 0.05])
    diagnosed = np.minimum(np.maximum(np.datetime64(as_of) - rng.integers(20, 1500, n),
                                      birth + 30), np.datetime64(as_of))
    return {"htn": htn, "dm": dm, "mental": mental, "tb": tb, "contract": contract,
            "contract_date": signed, "illness": illness, "treatment": status,
            "diagnosed": diagnosed}


def make_facts(rng: np.random.Generator, people: pl.DataFrame, county: County,
               as_of: date) -> pl.DataFrame:
    """Draw the departmental facts of every resident.

    Args:
        rng: The random generator.
        people: The residents (:func:`people.make_people`).
        county: The county (village kinds).
        as_of: The day the extracts are taken.

    Returns:
        ``people`` with age, village details and one column per fact.
    """
    frame = people.join(county.villages, on="village_code", how="left")
    birth = frame["birth_date"].to_numpy().astype("datetime64[D]")
    age = ((np.datetime64(as_of) - birth).astype(int) // 365.25).astype(int)
    pov = _poverty(rng, frame, frame["kind"].to_numpy() == "村", as_of)
    aid = _assistance(rng, frame, pov["pov_kind"], age, as_of)
    key = (pov["pov_kind"] != NONE) | aid["dibao"] | aid["tekun"]
    health = _health(rng, age, birth, key, as_of)
    n = age.size
    stays_rate = 0.07 + 0.18 * (health["htn"] | health["dm"]) * (age >= 60) + \
        1.1 * (health["illness"] >= 0)
    insured = rng.random(n) < 0.975
    columns = {"age": age, **pov, **aid, **health, "insured": insured,
               "ins_state": np.where(rng.random(n) < 0.965, 0, rng.integers(1, 3, n)),
               "employee": rng.random(n) < 0.07, "stays": rng.poisson(stays_rate),
               "subsidy_wrong": rng.random(n) < 0.03}
    return frame.with_columns(
        pl.Series(k, v) for k, v in columns.items()
    ).with_columns(pl.col(c).cast(pl.Date) for c in (
        "monitor_start", "risk_cleared_on", "pov_found", "assist_start", "contract_date",
        "diagnosed"))
