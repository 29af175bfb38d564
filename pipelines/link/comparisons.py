"""Comparisons: each candidate pair gets one graded level per field (Splink style).

Levels are small integers ordered from the strongest agreement to disagreement; ``-1`` is
the null level (a value missing on either side), which carries no weight. Records are first
coded as integers (``Coded``) so that comparing millions of pairs is numpy indexing; string
similarity runs once per unique (name, name) pair with rapidfuzz.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import Indel, Levenshtein

# field -> level names, strongest agreement first.
LEVELS: dict[str, tuple[str, ...]] = {
    "name": ("exact", "homophone", "fuzzy", "same-surname", "different"),
    "id": ("exact", "one-substitution", "adjacent-swap", "different"),
    "birth": ("exact", "day-month-swapped", "one-part-off", "different"),
    "sex": ("same", "different"),
    "place": ("same-village", "same-township", "same-county", "different"),
    "household": ("same", "different"),
}
FIELDS: tuple[str, ...] = tuple(LEVELS)
NULL = -1
PINYIN_FUZZY = 0.85  # normalised Indel similarity of toneless pinyin counted as "fuzzy"
# Two-character surnames (复姓); any other name's surname is its first character.
COMPOUND_SURNAMES: tuple[str, ...] = (
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
    "司徒", "夏侯", "轩辕", "令狐", "钟离", "闻人", "澹台", "公冶", "太史", "申屠", "端木",
    "百里", "东郭", "南宫", "西门", "独孤", "呼延", "万俟", "赫连", "拓跋", "濮阳", "淳于",
    "单于", "司空", "司寇", "仲孙", "宗政", "第五", "左丘", "谷梁", "羊舌", "微生", "梁丘",
)  # fmt: skip


@dataclass(frozen=True)
class Coded:
    """Records as integer codes (-1 = null) plus the unique names and IDs they point to.

    Attributes:
        name: per record, index into ``names`` (-1 null).
        pinyin: per record, code of the name's pinyin (-1 null).
        id: per record, row of ``id_chars`` (-1 null).
        year, month, day: per record birth date parts (0 when null).
        has_birth: per record, a birth date is present.
        sex, village, township, county, household: per record codes (-1 null); the county
            is the first 6 digits of the village (else township) code.
        names: unique names.
        name_pinyin: per unique name, its pinyin code (-1 null).
        name_surname: per unique name, its surname code (-1: none, e.g. 买买提·艾力).
        name_lengths: per unique name, its length in characters.
        pinyins: unique pinyins.
        id_chars: (unique IDs, 18) uint8 matrix of ID characters.
    """

    name: np.ndarray
    pinyin: np.ndarray
    id: np.ndarray
    year: np.ndarray
    month: np.ndarray
    day: np.ndarray
    has_birth: np.ndarray
    sex: np.ndarray
    village: np.ndarray
    township: np.ndarray
    county: np.ndarray
    household: np.ndarray
    names: pl.Series
    name_pinyin: np.ndarray
    name_surname: np.ndarray
    name_lengths: np.ndarray
    pinyins: pl.Series
    id_chars: np.ndarray


def _codes(s: pl.Series) -> tuple[np.ndarray, pl.Series]:
    """Return per value a dense code (-1 for null) and the unique values by code."""
    uniq = s.drop_nulls().unique().sort()
    codes = (
        pl.DataFrame({"v": s})
        .join(
            pl.DataFrame({"v": uniq, "c": pl.int_range(len(uniq), eager=True)}),
            on="v",
            how="left",
            maintain_order="left",
        )
        .get_column("c")
        .fill_null(-1)
        .to_numpy()
        .astype(np.int64)
    )
    return codes, uniq


def surname(name: pl.Expr) -> pl.Expr:
    """Return the surname of a name: a compound surname (欧阳) or the first character.

    Names without a surname (minority names written with a middle dot) and names of one
    character give null.

    Args:
        name: normalised names.

    Returns:
        The surname expression.

    Examples:
        >>> pl.select(surname(pl.lit("欧阳娜娜"))).item()
        '欧阳'
    """
    two = name.str.slice(0, 2)
    length = name.str.len_chars()
    return (
        pl.when(name.str.contains("·", literal=True) | (length < 2))
        .then(None)
        .when(two.is_in(COMPOUND_SURNAMES) & (length >= 3))
        .then(two)
        .otherwise(name.str.slice(0, 1))
    )


def code_records(rec: pl.DataFrame) -> Coded:
    """Return the compared columns of the prepared records as integer codes.

    Args:
        rec: prepared records (name, name_pinyin, id_number, birth_date, sex, village_code,
            township_code, household_id).

    Returns:
        The coded records.
    """
    name, names = _codes(rec["name"])
    pinyin_of_name = (
        rec.select("name", "name_pinyin")
        .drop_nulls("name")
        .unique("name")
        .join(pl.DataFrame({"name": names}), on="name", how="right", maintain_order="right")
    )
    pin_code, pinyins = _codes(pinyin_of_name["name_pinyin"])
    pinyin = (
        np.where(name >= 0, pin_code[np.maximum(name, 0)], -1)
        if len(pin_code)
        else np.full(len(name), -1, dtype=np.int64)
    )
    surname_code = _codes(pl.select(surname(pl.lit(names))).to_series())[0]
    county = rec.select(pl.coalesce("village_code", "township_code").str.slice(0, 6))
    id_code, ids = _codes(rec["id_number"])
    raw = np.array(ids.to_list(), dtype="S18")
    birth = rec["birth_date"]
    has_birth = birth.is_not_null().to_numpy()
    return Coded(
        name=name,
        pinyin=pinyin,
        id=id_code,
        year=birth.dt.year().fill_null(0).to_numpy().astype(np.int32),
        month=birth.dt.month().fill_null(0).to_numpy().astype(np.int32),
        day=birth.dt.day().fill_null(0).to_numpy().astype(np.int32),
        has_birth=has_birth,
        sex=_codes(rec["sex"])[0],
        village=_codes(rec["village_code"])[0],
        township=_codes(rec["township_code"])[0],
        county=_codes(county.to_series())[0],
        household=_codes(rec["household_id"])[0],
        names=names,
        name_pinyin=pin_code,
        name_surname=surname_code,
        name_lengths=names.str.len_chars().to_numpy(),
        pinyins=pinyins,
        id_chars=raw.view(np.uint8).reshape(len(raw), 18),
    )


def _unique_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the unique (a, b) pairs and the inverse index back to the input."""
    key = a.astype(np.int64) << 32 | b.astype(np.int64)
    uniq, inverse = np.unique(key, return_inverse=True)
    return uniq >> 32, uniq & 0xFFFFFFFF, inverse


def _pinyin_list(c: Coded, name_codes: np.ndarray) -> list[str]:
    """Return the pinyin of each name code ("" when unknown)."""
    codes = c.name_pinyin[name_codes]
    if not len(c.pinyins):
        return [""] * len(codes)
    got = c.pinyins.gather(np.maximum(codes, 0))
    return (
        pl.select(pl.when(pl.Series(codes) >= 0).then(got).otherwise(pl.lit("")))
        .to_series()
        .to_list()
    )


def _name_levels(c: Coded, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Grade names: exact, homophone (same pinyin), fuzzy, same surname, different.

    Null if missing. "same-surname" is a different given name under the same surname
    (张伟 / 张敏); "different" means the surnames differ too (or a name has none).
    """
    a, b = c.name[i], c.name[j]
    out = np.full(len(i), NULL, dtype=np.int8)
    both = (a >= 0) & (b >= 0)
    out[both] = 3
    pa, pb = c.pinyin[i], c.pinyin[j]
    differ = both & (a != b) & ~((pa == pb) & (pa >= 0))
    if differ.any():
        ua, ub, inv = _unique_pairs(a[differ], b[differ])
        na, nb = c.names.gather(ua).to_list(), c.names.gather(ub).to_list()
        char = process.cpdist(na, nb, scorer=Levenshtein.distance, workers=-1)
        pyl, pyr = _pinyin_list(c, ua), _pinyin_list(c, ub)
        pin = process.cpdist(pyl, pyr, scorer=Indel.normalized_similarity, workers=-1)
        long = np.minimum(c.name_lengths[ua], c.name_lengths[ub]) >= 3
        fuzzy = (pin >= PINYIN_FUZZY) | ((char <= 1) & long)
        sa, sb = c.name_surname[ua], c.name_surname[ub]
        same_surname = (sa >= 0) & (sa == sb)
        out[differ] = np.where(fuzzy, 2, np.where(same_surname, 3, 4))[inv]
    out[both & (pa == pb) & (pa >= 0)] = 1
    out[both & (a == b)] = 0
    return out


def _id_levels(c: Coded, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Grade IDs: exact, one substitution, one adjacent swap, different; null if missing."""
    a, b = c.id[i], c.id[j]
    out = np.full(len(i), NULL, dtype=np.int8)
    both = (a >= 0) & (b >= 0)
    differ = both & (a != b)
    out[both & (a == b)] = 0
    if differ.any():
        ua, ub, inv = _unique_pairs(a[differ], b[differ])
        x, y = c.id_chars[ua], c.id_chars[ub]
        diff = x != y
        ndiff = diff.sum(axis=1)
        first = diff.argmax(axis=1)
        nxt = np.minimum(first + 1, 17)
        rows = np.arange(len(first))
        swapped = (
            (ndiff == 2)
            & diff[rows, nxt]
            & (x[rows, first] == y[rows, nxt])
            & (x[rows, nxt] == y[rows, first])
        )
        level = np.where(ndiff == 1, 1, np.where(swapped, 2, 3)).astype(np.int8)
        out[differ] = level[inv]
    return out


def _birth_levels(c: Coded, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Grade birth dates: exact, day/month swapped, one of y/m/d off, different."""
    y = c.year[i] == c.year[j]
    m = c.month[i] == c.month[j]
    d = c.day[i] == c.day[j]
    swap = y & (c.month[i] == c.day[j]) & (c.day[i] == c.month[j])
    parts = y.astype(np.int8) + m + d
    level = np.where(parts == 3, 0, np.where(swap, 1, np.where(parts == 2, 2, 3)))
    return np.where(c.has_birth[i] & c.has_birth[j], level, NULL).astype(np.int8)


def _eq_levels(codes: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Grade a coded column as same (0) / different (1) / null."""
    a, b = codes[i], codes[j]
    return np.where((a < 0) | (b < 0), NULL, np.where(a == b, 0, 1)).astype(np.int8)


def _place_levels(c: Coded, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Grade places: same village, township, county, different; null when not comparable."""
    vl, vr, tl, tr = c.village[i], c.village[j], c.township[i], c.township[j]
    cl, cr = c.county[i], c.county[j]
    v_ok, t_ok = (vl >= 0) & (vr >= 0), (tl >= 0) & (tr >= 0)
    level = np.where(v_ok & (vl == vr), 0, np.where(t_ok & (tl == tr), 1, np.where(cl == cr, 2, 3)))
    return np.where((cl >= 0) & (cr >= 0), level, NULL).astype(np.int8)


def compare(c: Coded, i_l: np.ndarray, i_r: np.ndarray) -> dict[str, np.ndarray]:
    """Return one Int8 level array per field (``FIELDS``) for the pairs (i_l, i_r).

    Args:
        c: coded records.
        i_l: left record positions.
        i_r: right record positions.

    Returns:
        field -> levels as in ``LEVELS``, -1 for null.
    """
    i, j = np.asarray(i_l, dtype=np.int64), np.asarray(i_r, dtype=np.int64)
    return {
        "name": _name_levels(c, i, j),
        "id": _id_levels(c, i, j),
        "birth": _birth_levels(c, i, j),
        "sex": _eq_levels(c.sex, i, j),
        "place": _place_levels(c, i, j),
        "household": _eq_levels(c.household, i, j),
    }
