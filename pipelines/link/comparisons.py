"""Comparisons: each candidate pair gets one graded level per comparison (Splink style).

A comparison function grades pairs of coded records by position in its level names
(``COMPARATORS[name].levels``), strongest agreement first; ``-1`` is the null level (a value
missing on either side), which weighs 0. The settings (``LinkSettings.comparisons``) name
which comparisons run and give each level its m/u priors; the linker never refers to a
level by position. String similarity runs once per unique (name, name) pair (rapidfuzz).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Indel, Levenshtein

from pipelines.link import evidence
from pipelines.link.coding import Coded
from pipelines.link.runs import firsts, sort_order

NULL = -1
Params = Mapping[str, float]


@dataclass(frozen=True)
class Comparator:
    """A comparison function and the level names it grades by."""

    levels: tuple[str, ...]
    fn: Callable[[Coded, np.ndarray, np.ndarray, Params], np.ndarray]


def unique_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the unique (a, b) pairs and the inverse index back to the input."""
    key = a.astype(np.int64) << 32 | b.astype(np.int64)
    order = sort_order(key)
    first = firsts(key[order])
    inverse = np.empty(len(key), dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    uniq = key[order[first]]
    return uniq >> 32, uniq & 0xFFFFFFFF, inverse


def _one_edit(c: Coded, ua: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """Return whether two names of 3+ characters are at most one character edit apart."""
    la, lb = c.name_lengths[ua], c.name_lengths[ub]
    out = np.zeros(len(ua), dtype=bool)
    maybe = np.flatnonzero((np.minimum(la, lb) >= 3) & (np.abs(la - lb) <= 1))
    if len(maybe):
        left, right = c.name_objects[ua[maybe]].tolist(), c.name_objects[ub[maybe]].tolist()
        out[maybe] = process.cpdist(left, right, scorer=Levenshtein.distance, workers=-1) <= 1
    return out


def _pinyin_similar(c: Coded, ua: np.ndarray, ub: np.ndarray, threshold: float) -> np.ndarray:
    """Return whether the names' pinyins reach ``threshold`` Indel similarity.

    The letter counts bound the longest common subsequence from above, so only the few
    pairs that could reach the threshold are handed to rapidfuzz.
    """
    pa, pb = c.name_pinyin[ua], c.name_pinyin[ub]
    ok = (pa >= 0) & (pb >= 0)
    out = np.zeros(len(ua), dtype=bool)
    pa, pb = np.maximum(pa, 0), np.maximum(pb, 0)
    total = c.pinyin_lengths[pa] + c.pinyin_lengths[pb]
    common = np.minimum(c.pinyin_letters[pa], c.pinyin_letters[pb]).sum(axis=1)
    maybe = np.flatnonzero(ok & (2 * common >= threshold * total) & (total > 0))
    if len(maybe):
        left, right = c.pinyin_objects[pa[maybe]].tolist(), c.pinyin_objects[pb[maybe]].tolist()
        sim = process.cpdist(left, right, scorer=Indel.normalized_similarity, workers=-1)
        out[maybe] = sim >= threshold
    return out


def name_levels(c: Coded, i: np.ndarray, j: np.ndarray, p: Params) -> np.ndarray:
    """Grade names: exact, homophone (same pinyin), fuzzy, same surname, different.

    "fuzzy" is a pinyin similarity of at least ``pinyin_fuzzy`` or one character off in
    names of 3+ characters; "same-surname" is a different given name under the same
    surname (张伟 / 张敏); "different" means the surnames differ too (or a name has none).
    """
    a, b = c.name[i], c.name[j]
    out = np.full(len(i), NULL, dtype=np.int8)
    both = (a >= 0) & (b >= 0)
    out[both] = 3
    pa, pb = c.pinyin[i], c.pinyin[j]
    differ = both & (a != b) & ~((pa == pb) & (pa >= 0))
    if differ.any():
        ua, ub, inv = unique_pairs(a[differ], b[differ])
        fuzzy = _one_edit(c, ua, ub) | _pinyin_similar(
            c, ua, ub, p.get("pinyin_fuzzy", 0.85)
        )
        sa, sb = c.name_surname[ua], c.name_surname[ub]
        same_surname = (sa >= 0) & (sa == sb)
        out[differ] = np.where(fuzzy, 2, np.where(same_surname, 3, 4))[inv]
    out[both & (pa == pb) & (pa >= 0)] = 1
    out[both & (a == b)] = 0
    return out


def name_frequency_levels(c: Coded, i: np.ndarray, j: np.ndarray, p: Params) -> np.ndarray:
    """Grade agreeing names by how many people with a valid ID hold them: one, two, few
    (<= few_max), some (<= some_max), many. For an exact agreement the name's holders
    count, for a homophone (张伟 / 张玮) the holders of the pinyin. Null when the names
    disagree otherwise or nobody with a valid ID holds the name.
    """
    a, b = c.name[i], c.name[j]
    pa, pb = c.pinyin[i], c.pinyin[j]
    exact = (a >= 0) & (a == b)
    homophone = ~exact & (a >= 0) & (b >= 0) & (pa >= 0) & (pa == pb)
    held = np.where(exact, c.name_holders[np.maximum(a, 0)],
                    np.where(homophone, c.pinyin_holders[np.maximum(pa, 0)], 0))
    level = holder_level(held, p.get("few_max", 5), p.get("some_max", 20))
    return np.where(held > 0, level, NULL).astype(np.int8)


def holder_level(held: np.ndarray, few_max: float, some_max: float) -> np.ndarray:
    """Return the ``name_frequency`` level of a holder count: one, two, few (<= few_max),
    some (<= some_max), many."""
    return np.select([held == 1, held == 2, held <= few_max, held <= some_max], [0, 1, 2, 3], 4)


def excel_rounded(c: Coded, x: np.ndarray) -> np.ndarray:
    """Return whether each record's ID is what Excel leaves of one it held as a number: 18
    characters ending in 000 that fail the checksum (digits 16-18 lost, 15 rounded)."""
    ok = c.id[x] >= 0
    tail = c.id_chars[np.maximum(c.id[x], 0), 15:18]
    return ok & ~c.id_valid[x] & (tail == ord("0")).all(axis=1)


def id_levels(c: Coded, i: np.ndarray, j: np.ndarray, p: Params) -> np.ndarray:
    """Grade IDs: exact, one substitution, one adjacent swap, different; null if missing.

    An Excel-rounded ID (``excel_rounded``) whose first 14 characters (region and birth
    date) agree with the other ID is null, not different: its lost digits say nothing, and
    region and birth date are the place and birth comparisons' to weigh.
    """
    a, b = c.id[i], c.id[j]
    out = np.full(len(i), NULL, dtype=np.int8)
    both = (a >= 0) & (b >= 0)
    differ = both & (a != b)
    d = np.flatnonzero(differ)  # the pairs of two IDs that differ only
    if len(d):
        rounded = excel_rounded(c, i[d]) | excel_rounded(c, j[d])
        head = (c.id_chars[a[d], :14] == c.id_chars[b[d], :14]).all(1)
        differ[d[rounded & head]] = False
    out[both & (a == b)] = 0
    if differ.any():
        ua, ub, inv = unique_pairs(a[differ], b[differ])
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


def birth_levels(c: Coded, i: np.ndarray, j: np.ndarray, p: Params) -> np.ndarray:
    """Grade birth dates: exact, day/month swapped, one of y/m/d off, different."""
    y = c.year[i] == c.year[j]
    m = c.month[i] == c.month[j]
    d = c.day[i] == c.day[j]
    swap = y & (c.month[i] == c.day[j]) & (c.day[i] == c.month[j])
    parts = y.astype(np.int8) + m + d
    level = np.where(parts == 3, 0, np.where(swap, 1, np.where(parts == 2, 2, 3)))
    return np.where(c.has_birth[i] & c.has_birth[j], level, NULL).astype(np.int8)


def equal_levels(codes: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Grade a coded column as same (0) / different (1) / null."""
    a, b = codes[i], codes[j]
    return np.where((a < 0) | (b < 0), NULL, np.where(a == b, 0, 1)).astype(np.int8)


def place_levels(c: Coded, i: np.ndarray, j: np.ndarray, p: Params) -> np.ndarray:
    """Grade places: same village, township, county, different; null when not comparable."""
    vl, vr, tl, tr = c.village[i], c.village[j], c.township[i], c.township[j]
    cl, cr = c.county[i], c.county[j]
    v_ok, t_ok = (vl >= 0) & (vr >= 0), (tl >= 0) & (tr >= 0)
    level = np.where(v_ok & (vl == vr), 0, np.where(t_ok & (tl == tr), 1, np.where(cl == cr, 2, 3)))
    # a follow-up whose village is blank is placed by its clinic (the clinic comparison)
    by_clinic = (c.clinic_village[i] >= 0) | (c.clinic_village[j] >= 0)
    return np.where((cl >= 0) & (cr >= 0) & ~by_clinic, level, NULL).astype(np.int8)


COMPARATORS: dict[str, Comparator] = {
    "name": Comparator(("exact", "homophone", "fuzzy", "same-surname", "different"), name_levels),
    "name_frequency": Comparator(("one-holder", "two-holders", "few-holders", "some-holders",
                                  "many-holders"),
                                 name_frequency_levels),
    "id": Comparator(("exact", "one-substitution", "adjacent-swap", "different"), id_levels),
    "birth": Comparator(("exact", "day-month-swapped", "one-part-off", "different"),
                        birth_levels),
    "sex": Comparator(("same", "different"), lambda c, i, j, p: equal_levels(
        c.sex if p.get("id_digit", 1) else c.sex_stated, i, j)),
    "place": Comparator(("same-village", "same-township", "same-county", "different"),
                        place_levels),
    "household": Comparator(("same", "different"),
                            lambda c, i, j, p: equal_levels(c.household, i, j)),
    "insurance_no": Comparator(("same", "different"),
                               lambda c, i, j, p: equal_levels(c.insurance_no, i, j)),
    "household_head": Comparator(("same-head", "similar-head", "different-head"),
                                 evidence.head_levels),
    "hospital": Comparator(("in-treatment-window", "same-hospital", "different-hospital"),
                           evidence.hospital_levels),
    "stay": Comparator(("same-stay", "other-stay"), evidence.stay_levels),
    "clinic": Comparator(("clinic-in-village", "clinic-in-township", "clinic-elsewhere"),
                         evidence.clinic_levels),
    "other_records": Comparator(("has-others", "has-none"), evidence.other_records_levels),
}


def compare(c: Coded, i_l: np.ndarray, i_r: np.ndarray, comparisons=None) -> dict[str, np.ndarray]:
    """Return one Int8 level array per comparison for the pairs (i_l, i_r).

    Args:
        c: coded records.
        i_l: left record positions.
        i_r: right record positions.
        comparisons: the ``Comparison`` s to run (default: ``LinkSettings().comparisons``).

    Returns:
        comparison name -> level positions (in its level names), -1 for null.
    """
    if comparisons is None:
        from pipelines.link.settings import LinkSettings

        comparisons = LinkSettings().comparisons
    i, j = np.asarray(i_l, dtype=np.int64), np.asarray(i_r, dtype=np.int64)
    return {cmp.name: COMPARATORS[cmp.name].fn(c, i, j, cmp.params) for cmp in comparisons}
