"""The county's residents: households, names, birth dates, identity numbers, twins, deaths.

Everything is drawn on whole numpy arrays; the only Python loops are over the few minority
names and twin pairs.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from benchmarks.foreign_county.identity import make_ids
from benchmarks.foreign_county.names import (
    SURNAME_WEIGHTS,
    SURNAMES,
    TWIN_PAIRS,
    draw_given,
    minority_names,
)
from benchmarks.foreign_county.places import County

SIZES = np.array([1, 2, 3, 4, 5, 6, 7])
SIZE_P = np.array([0.12, 0.22, 0.24, 0.2, 0.13, 0.06, 0.03])
HEAD, SPOUSE, CHILD, PARENT, GRANDCHILD, IN_LAW = range(6)
OTHER_REGIONS = np.array(["430104", "431202", "410103", "510107", "620102", "440983"])


def _households(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Household number and member index for ``n`` people (household sizes drawn)."""
    sizes = rng.choice(SIZES, size=n // 2 + 10, p=SIZE_P)
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), n)) + 1]
    sizes[-1] -= int(sizes.sum()) - n
    sizes = sizes[sizes > 0]
    household = np.repeat(np.arange(sizes.size), sizes)
    starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
    return household, np.arange(n) - starts


def _roles(rng: np.random.Generator, household: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Role of each member: head, spouse, children, then parent / grandchild / in-law."""
    size = np.bincount(household)[household]
    role = np.select([member == 0, member == 1], [HEAD, SPOUSE], CHILD)
    last = (member == size - 1) & (size >= 5)
    role = np.where(last, np.where(rng.random(member.size) < 0.5, PARENT, GRANDCHILD), role)
    return np.where((member == size - 2) & (size >= 6), IN_LAW, role)


def _births(rng: np.random.Generator, household: np.ndarray, role: np.ndarray,
            member: np.ndarray, as_of: date) -> np.ndarray:
    """Birth dates from the head's year and each member's role."""
    n = role.size
    head_year = rng.integers(1945, 1999, household.max() + 1)[household]
    offset = np.select(
        [role == HEAD, role == SPOUSE, role == CHILD, role == PARENT, role == GRANDCHILD],
        [0, np.rint(rng.normal(0, 3, n)), rng.integers(22, 33, n) + 2 * member,
         -rng.integers(22, 31, n), rng.integers(45, 56, n)],
        rng.integers(20, 33, n),
    )
    year = np.clip(head_year + offset, 1922, as_of.year).astype(int)
    day = rng.integers(0, 365, n)
    birth = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + day
    return np.minimum(birth, np.datetime64(as_of) - rng.integers(1, 200, n))


def _twins(rng: np.random.Generator, household: np.ndarray, role: np.ndarray,
           member: np.ndarray) -> np.ndarray:
    """Indices of second twins: member 3 of some households whose members 2 and 3 are children."""
    second = (member == 3) & (role == CHILD)
    second &= np.roll(role == CHILD, 1) & (rng.random(role.size) < 0.04)
    return np.flatnonzero(second)


def _sexes(rng: np.random.Generator, role: np.ndarray) -> np.ndarray:
    """True for men: heads mostly men, spouses the opposite sex of the head."""
    n = role.size
    male = rng.random(n) < 0.5
    head_male = rng.random(n) < 0.86
    male = np.where(role == HEAD, head_male, male)
    head_sex = np.where(role == HEAD, male, False)
    idx = np.maximum.accumulate(np.where(role == HEAD, np.arange(n), 0))
    male = np.where(role == SPOUSE, ~head_sex[idx], male)
    return np.where(role == IN_LAW, rng.random(n) < 0.2, male)


def _names(rng: np.random.Generator, household: np.ndarray, role: np.ndarray,
           male: np.ndarray, twin2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Full names and ethnicities; minority households get ``given·father`` names."""
    n = role.size
    family = np.array(list(SURNAMES))[
        rng.choice(len(SURNAMES), household.max() + 1, p=SURNAME_WEIGHTS)][household]
    own = np.array(list(SURNAMES))[rng.choice(len(SURNAMES), n, p=SURNAME_WEIGHTS)]
    keeps = (role == HEAD) | (role == CHILD) | (role == GRANDCHILD) | ((role == PARENT) & male)
    surname = np.where(keeps | (rng.random(n) < 0.03), family, own)
    given = draw_given(rng, male)
    pairs = rng.integers(0, len(TWIN_PAIRS), twin2.size)
    given[twin2 - 1] = [TWIN_PAIRS[p][0] for p in pairs]
    given[twin2] = [TWIN_PAIRS[p][1] for p in pairs]
    name = np.char.add(surname.astype(str), given.astype(str)).astype(object)
    minority_hh = rng.random(household.max() + 1) < 0.02
    minority = minority_hh[household]
    name[minority] = minority_names(rng, male[minority])
    ethnic = np.where(minority, "维吾尔族", "汉族").astype(object)
    other = ~minority & (rng.random(household.max() + 1) < 0.05)[household]
    ethnic[other] = np.array(["回族", "苗族", "土家族"], dtype=object)[
        rng.integers(0, 3, int(other.sum()))]
    return name, ethnic


def _deaths(rng: np.random.Generator, birth: np.ndarray, as_of: date) -> np.ndarray:
    """Death dates in the nine months before ``as_of`` (NaT for the living)."""
    end = np.datetime64(as_of)
    age = (end - birth).astype(int) / 365.25
    p = np.select([age >= 75, age >= 60], [0.06, 0.015], 0.002)
    dies = rng.random(birth.size) < p
    when = end - rng.integers(1, 270, birth.size)
    return np.where(dies, when, np.datetime64("NaT"))


def make_people(rng: np.random.Generator, n: int, county: County, as_of: date) -> pl.DataFrame:
    """Draw ``n`` residents of ``county`` as of ``as_of``.

    Args:
        rng: The random generator.
        n: Number of residents.
        county: The county (villages to live in).
        as_of: The day the extracts are taken.

    Returns:
        One row per person: keys, household, role, name, sex, birth, identity number,
        village, twin, ethnicity and death date.
    """
    household, member = _households(rng, n)
    role = _roles(rng, household, member)
    male = _sexes(rng, role)
    birth = _births(rng, household, role, member, as_of)
    twin2 = _twins(rng, household, role, member)
    birth[twin2] = birth[twin2 - 1]
    name, ethnic = _names(rng, household, role, male, twin2)
    villages = county.villages
    weights = np.where(villages["kind"].to_numpy() == "社区", 2.5, 1.0)
    village_of = rng.choice(villages.height, household.max() + 1, p=weights / weights.sum())
    region = np.where(rng.random(n) < 0.9, county.code,
                      OTHER_REGIONS[rng.integers(0, OTHER_REGIONS.size, n)])
    region[twin2] = region[twin2 - 1]
    ids = make_ids(region, birth, male, rng)
    keys = np.char.add("P", np.char.zfill(np.arange(n).astype(str), 7)).astype(object)
    twin_of = np.full(n, None, dtype=object)
    twin_of[twin2], twin_of[twin2 - 1] = keys[twin2 - 1], keys[twin2]
    return pl.DataFrame({
        "person_key": keys,
        "household_key": np.char.add("H", np.char.zfill(household.astype(str), 6)),
        "household_no": household, "member_no": member, "role": role,
        "name": name, "sex": np.where(male, "M", "F"), "birth_date": birth,
        "id_number": ids,
        "village_code": villages["village_code"].to_numpy()[village_of[household]],
        "twin_of": pl.Series(twin_of.tolist(), dtype=pl.String), "ethnicity": ethnic,
        "death_date": _deaths(rng, birth, as_of),
    }).with_columns(pl.col("birth_date").cast(pl.Date), pl.col("death_date").cast(pl.Date))
