"""The full night's faster pieces against the code they replaced (kept here as reference):
cannot-link checks, exclusivity scores, blocks as runs, first rule, EM patterns, ID codes.

Each case is a row of a table (Splink style) or a random frame checked against the old
implementation, so a difference in any pair, level, pattern or label fails.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipelines.link import assign, blocking, cluster, coding, comparisons, model
from pipelines.link.settings import BlockingRule, LinkSettings

RNG_SEEDS = [0, 1, 2]


# --- the reference implementations (as on main before this change) -----------------------

def old_violating(labels, one_row, valid_id, no_a, no_b, birth) -> np.ndarray:
    df = pl.DataFrame({"c": labels, "e": one_row, "v": valid_id})
    who = pl.coalesce("v", pl.lit("#") + pl.int_range(pl.len()).cast(pl.String))
    dup = (df.with_columns(who=who).drop_nulls("e").group_by("c", "e")
           .agg(pl.col("who").n_unique()).filter(pl.col("who") > 1).get_column("c"))
    two = (df.drop_nulls("v").group_by("c").agg(pl.col("v").n_unique())
           .filter(pl.col("v") > 1).get_column("c"))
    dates = (pl.DataFrame({"c": labels, "b": birth}).drop_nulls("b").unique()
             .filter(pl.len().over("c") > 1))
    births = np.zeros(0, dtype=np.int64)
    if dates.height:
        pairs = dates.join(dates, on="c", suffix="_r").filter(pl.col("b") < pl.col("b_r"))
        a, b = pairs["b"].to_numpy(), pairs["b_r"].to_numpy()
        same = (a // 10000 == b // 10000).astype(int) + (a // 100 % 100 == b // 100 % 100) \
            + (a % 100 == b % 100)
        swapped = (a // 10000 == b // 10000) & (a // 100 % 100 == b % 100) \
            & (a % 100 == b // 100 % 100)
        births = pairs["c"].to_numpy()[(same < 2) & ~swapped]
    no_link = labels[no_a][labels[no_a] == labels[no_b]]
    return np.unique(np.concatenate([dup.to_numpy(), two.to_numpy(), no_link, births]))


def old_pairs_from_keys(keys: pl.DataFrame, max_block: int) -> tuple[set, set]:
    keys = keys.drop_nulls("h").with_columns(n=pl.len().over("h"))
    capped = set(keys.filter(pl.col("n") > max_block)["h"].to_list())
    kept = keys.filter((pl.col("n") >= 2) & (pl.col("n") <= max_block)).select("i", "h")
    pairs = kept.join(kept, on="h", suffix="_r").filter(pl.col("i") < pl.col("i_r"))
    return set(pairs.select("i", "i_r").iter_rows()), capped


def old_unidentified(rec: pl.DataFrame, rule: BlockingRule, max_block: int) -> tuple[set, set]:
    keys = (rec.select("i", "id_valid", h=blocking._key_hash(rule)).drop_nulls("h")
            .with_columns(n=pl.len().over("h")))
    capped = set(keys.filter(pl.col("n") > max_block)["h"].to_list())
    kept = keys.filter((pl.col("n") >= 2) & (pl.col("n") <= max_block))
    left = kept.filter(~pl.col("id_valid")).select("i", "h")
    pairs = (left.join(kept.select("i", "h", "id_valid"), on="h", suffix="_r")
             .filter((pl.col("i") != pl.col("i_r"))
                     & ((pl.col("i") < pl.col("i_r")) | pl.col("id_valid")))
             .select(a=pl.min_horizontal("i", "i_r"), b=pl.max_horizontal("i", "i_r")))
    return set(pairs.iter_rows()), capped


def old_scores(rec: pl.DataFrame, scored: pl.DataFrame, labels: np.ndarray,
               s: LinkSettings) -> pl.DataFrame:
    side = rec.select("i", "id_valid", "one_list").with_columns(c=pl.Series("c", labels))
    decided = scored.filter(pl.col("status").is_in(assign.DECIDED))
    touched = pl.concat([decided["i_l"], decided["i_r"]]).unique().implode()
    base = scored.select("i_l", "i_r", "match_weight", conf=assign.confirms(scored, s))
    valid = rec["id_valid"]
    both = pl.concat([
        base.filter(~valid.gather(base["i_l"])).select(r="i_l", o="i_r", w="match_weight",
                                                       conf="conf"),
        base.filter(~valid.gather(base["i_r"])).select(r="i_r", o="i_l", w="match_weight",
                                                       conf="conf"),
    ])
    person = side.group_by("c").agg(person=pl.col("id_valid").any())
    return (
        both.join(side.filter(~pl.col("id_valid")).select(r="i", own="c", lr="one_list"), on="r")
        .join(side.select(o="i", c="c", lo="one_list"), on="o")
        .filter(~pl.col("r").is_in(touched) & (pl.col("lr") != pl.col("lo")).fill_null(True))
        .group_by("r", "own", "c")
        .agg(pl.col("w").max(), wc=pl.col("w").filter(pl.col("conf")).max())
        .join(person, on="c")
    )


def old_patterns(levels: dict, comparisons: tuple, anchor: np.ndarray | None):
    n = len(next(iter(levels.values())))
    state = np.zeros(n, dtype=np.int64)
    if anchor is not None:
        state = np.where(np.isnan(anchor), 0, np.where(anchor > 0.5, 1, 2))
    cols = [levels[c.name].astype(np.int64) + 1 for c in comparisons] + [state]
    _, first, counts = np.unique(np.stack(cols, axis=1), axis=0, return_index=True,
                                 return_counts=True)
    anchor_p = np.where(state[first] == 0, np.nan, (state[first] == 1).astype(float))
    return {c.name: levels[c.name][first] for c in comparisons}, anchor_p, counts.astype(float)


# --- cannot-link checks -----------------------------------------------------------------

VIOLATING_CASES = [
    {"description": "one list, two rows without an ID", "labels": [0, 0], "one_row": ["a", "a"],
     "valid": [None, None], "birth": [None, None], "expected": [0]},
    {"description": "one list, the same valid ID twice", "labels": [0, 0],
     "one_row": ["a", "a"], "valid": ["X", "X"], "birth": [None, None], "expected": []},
    {"description": "one list, one row without an ID", "labels": [3, 3], "one_row": ["a", "a"],
     "valid": ["X", None], "birth": [None, None], "expected": [3]},
    {"description": "two lists", "labels": [0, 0], "one_row": ["a", "b"], "valid": [None, None],
     "birth": [None, None], "expected": []},
    {"description": "two valid IDs", "labels": [1, 1, 2], "one_row": [None, None, None],
     "valid": ["X", "Y", "Z"], "birth": [None, None, None], "expected": [1]},
    {"description": "births a day/month swap apart", "labels": [0, 0], "one_row": [None, None],
     "valid": [None, None], "birth": [19800102, 19800201], "expected": []},
    {"description": "births far apart", "labels": [0, 0, 0], "one_row": [None, None, None],
     "valid": [None, None, None], "birth": [19800102, 19540726, None], "expected": [0]},
    {"description": "singletons never violate", "labels": [0, 1], "one_row": ["a", "a"],
     "valid": ["X", "Y"], "birth": [19800102, 19540726], "expected": []},
    {"description": "nothing at all", "labels": [], "one_row": [], "valid": [], "birth": [],
     "expected": []},
]


@pytest.mark.parametrize("case", VIOLATING_CASES, ids=lambda c: c["description"])
def test_violating_cases(case: dict) -> None:
    labels = np.array(case["labels"], dtype=np.int64)
    args = (labels, pl.Series(case["one_row"], dtype=pl.String),
            pl.Series(case["valid"], dtype=pl.String), np.zeros(0, np.int64),
            np.zeros(0, np.int64), pl.Series(case["birth"], dtype=pl.Int64))
    assert cluster.violating(*args).tolist() == case["expected"]
    assert old_violating(*args).tolist() == case["expected"]


def _random_records(seed: int, n: int = 3000) -> dict:
    rng = np.random.default_rng(seed)
    ids = np.array([f"4105261980{k:08d}" for k in range(n // 3)], dtype=object)
    valid = np.where(rng.random(n) < 0.7, ids[rng.integers(0, len(ids), n)], None)
    lists = np.where(rng.random(n) < 0.5, np.array(["a", "b", "c"])[rng.integers(0, 3, n)], None)
    birth = np.where(rng.random(n) < 0.8, 19800101 + rng.integers(0, 3, n) * 100
                     + rng.integers(0, 3, n), -1)
    return {"labels": rng.integers(0, n // 2, n).astype(np.int64),
            "one_row": pl.Series(lists.tolist(), dtype=pl.String),
            "valid": pl.Series(valid.tolist(), dtype=pl.String),
            "birth": pl.Series(birth, dtype=pl.Int64).replace(-1, None),
            "no": rng.integers(0, n, (2, 20))}


@pytest.mark.parametrize("seed", RNG_SEEDS)
@pytest.mark.parametrize("categorical", [False, True])
def test_violating_equals_the_old_checks(seed: int, categorical: bool) -> None:
    r = _random_records(seed)
    lists = r["one_row"].cast(pl.Categorical) if categorical else r["one_row"]
    args = (r["labels"], lists, r["valid"], r["no"][0], r["no"][1], r["birth"])
    got = cluster.violating(*args)
    assert len(got) > 0
    assert got.tolist() == old_violating(r["labels"], r["one_row"], *args[2:]).tolist()


# --- exclusivity scores ---------------------------------------------------------------------

@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_scores_equal_the_old_joins(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = 400, 3000
    lists = np.where(rng.random(n) < 0.4, np.array(["a", "b"])[rng.integers(0, 2, n)], None)
    rec = pl.DataFrame({"i": pl.Series(np.arange(n), dtype=pl.UInt32),
                        "id_valid": rng.random(n) < 0.6,
                        "one_list": pl.Series(lists.tolist(), dtype=pl.String)})
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = a < b
    status = np.array(["linked", "uncertain", "rejected", "decided_link"])[
        rng.choice(4, m, p=[0.3, 0.4, 0.29, 0.01])]
    scored = pl.DataFrame({"i_l": pl.Series(a[keep], dtype=pl.UInt32),
                           "i_r": pl.Series(b[keep], dtype=pl.UInt32),
                           "match_weight": rng.normal(0, 8, m)[keep].round(1),
                           "status": status[keep], "lv_name": rng.integers(-1, 5, m)[keep]})
    s, labels = LinkSettings(), rng.integers(0, n // 2, n).astype(np.int64)
    order = ["r", "own", "c"]
    new = assign._scores(rec, assign._loose_sides(rec, scored, s), labels).sort(order)
    old = old_scores(rec, scored, labels, s).sort(order)
    assert new.height > 100
    assert new.select(old.columns).equals(old)


# --- blocking ---------------------------------------------------------------------------------

BLOCK_CASES = [
    {"description": "one block of three", "h": [5, 5, 5], "max": 10,
     "pairs": {(0, 1), (0, 2), (1, 2)}, "capped": set()},
    {"description": "a block over the cap", "h": [5, 5, 5, 7, 7], "max": 2,
     "pairs": {(3, 4)}, "capped": {5}},
    {"description": "nulls in no block", "h": [None, 1, None, 1], "max": 5, "pairs": {(1, 3)},
     "capped": set()},
    {"description": "records listed out of order", "h": [9, 9, 8, 9], "i": [7, 2, 5, 4],
     "max": 5, "pairs": {(2, 7), (4, 7), (2, 4)}, "capped": set()},
]


@pytest.mark.parametrize("case", BLOCK_CASES, ids=lambda c: c["description"])
def test_pairs_from_keys_cases(case: dict) -> None:
    i = case.get("i", list(range(len(case["h"]))))
    keys = pl.DataFrame({"i": pl.Series(i, dtype=pl.UInt32),
                         "h": pl.Series(case["h"], dtype=pl.UInt64)})
    pairs, capped = blocking._pairs_from_keys(keys, case["max"])
    assert set(pairs.iter_rows()) == case["pairs"]
    assert set(capped.to_list()) == case["capped"]
    assert (pairs["i_l"] < pairs["i_r"]).all()


def _key_frame(seed: int, n: int = 4000) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    key = np.where(rng.random(n) < 0.9, rng.integers(0, n // 6, n), -1)
    return pl.DataFrame({"i": pl.Series(np.arange(n), dtype=pl.UInt32),
                         "id_valid": rng.random(n) < 0.7,
                         "hospital": pl.Series(key, dtype=pl.Int64).replace(-1, None)})


@pytest.mark.parametrize("seed", RNG_SEEDS)
@pytest.mark.parametrize("max_block", [3, 8, 200])
def test_rule_pairs_equal_the_old_joins(seed: int, max_block: int) -> None:
    rec = _key_frame(seed)
    rule = BlockingRule("k", ("hospital",))
    pairs, capped = blocking._pairs_from_keys(rec.select("i", h=blocking._key_hash(rule)),
                                              max_block)
    old = old_pairs_from_keys(rec.select("i", h=blocking._key_hash(rule)), max_block)
    assert (set(pairs.iter_rows()), set(capped.to_list())) == old
    assert pairs.height == len(old[0])  # each pair once
    pairs, capped = blocking._unidentified_pairs(rec, rule, max_block)
    old = old_unidentified(rec, rule, max_block)
    assert (set(pairs.iter_rows()), set(capped.to_list())) == old
    assert pairs.height == len(old[0])


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_first_rule_keeps_the_old_order_and_counts(seed: int) -> None:
    rng = np.random.default_rng(seed)
    found = []
    for rank in range(4):
        a, b = rng.integers(0, 300, 2000), rng.integers(0, 300, 2000)
        found.append(pl.DataFrame({"i_l": np.minimum(a, b), "i_r": np.maximum(a, b)})
                     .filter(pl.col("i_l") < pl.col("i_r"))
                     .with_columns(rank=pl.lit(rank, pl.UInt8)))
    names = ["r0", "r1", "r2", "r3"]
    stats: dict = {}
    got = blocking.first_rule(found, names, stats)
    old = (pl.concat([f.cast({"i_l": pl.UInt32, "i_r": pl.UInt32}) for f in found])
           .sort("rank", "i_l", "i_r").unique(["i_l", "i_r"], keep="first", maintain_order=True))
    assert got.select("i_l", "i_r").equals(old.select("i_l", "i_r"))
    assert got["block_rule"].to_list() == [names[r] for r in old["rank"].to_list()]
    assert stats["pairs_per_rule"] == {
        n: f.unique().height for n, f in zip(names, found, strict=True)}
    with_row = [f.with_columns(row=pl.col("i_l") * 0) for f in found]  # another column
    assert blocking.first_rule(with_row, names, {}).drop("row").equals(got)


# --- EM patterns, ID codes, ID levels ----------------------------------------------------------

@pytest.mark.parametrize("seed", RNG_SEEDS)
@pytest.mark.parametrize("anchored", [False, True])
def test_patterns_equal_np_unique(seed: int, anchored: bool) -> None:
    rng = np.random.default_rng(seed)
    comps = LinkSettings().comparisons
    n = 5000
    levels = {c.name: rng.integers(-1, len(c.levels), n).astype(np.int8) // 2 for c in comps}
    anchor = rng.choice([np.nan, 0.0, 1.0], n) if anchored else None
    got, want = model._patterns(levels, comps, anchor), old_patterns(levels, comps, anchor)
    for c in comps:
        assert got[0][c.name].dtype == want[0][c.name].dtype
        assert np.array_equal(got[0][c.name], want[0][c.name])
    assert np.array_equal(got[1], want[1], equal_nan=True)
    assert np.array_equal(got[2], want[2])


CODE_CASES = [
    {"description": "repeats and nulls", "values": ["b", None, "a", "b", "a", None]},
    {"description": "all null", "values": [None, None]},
    {"description": "empty", "values": []},
    {"description": "IDs", "values": ["410526198001011234", "41052619800101123X",
                                      "410526198001011234"]},
]


@pytest.mark.parametrize("case", CODE_CASES, ids=lambda c: c["description"])
def test_dense_codes_group_as_codes(case: dict) -> None:
    s = pl.Series(case["values"], dtype=pl.String)
    code, uniq = coding.dense_codes(s)
    old, old_uniq = coding.codes(s)
    assert sorted(uniq.to_list()) == old_uniq.to_list()
    assert [None if k < 0 else uniq[int(k)] for k in code] == case["values"]
    assert np.array_equal(code < 0, old < 0)


def test_dense_codes_fall_back_on_a_hash_collision(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pl.Series, "hash", lambda self, seed=0: pl.Series(
        np.zeros(len(self), dtype=np.uint64)))  # every value one hash
    s = pl.Series(["x", "y", "x"])
    code, uniq = coding.dense_codes(s)
    assert uniq.to_list() == ["x", "y"] and code.tolist() == [0, 1, 0]


ID_CASES = [
    {"description": "Excel-rounded, same head: null", "ids": ("410526198001011000",
                                                              "410526198001011234"),
     "valid": (False, True), "expected": comparisons.NULL},
    {"description": "Excel-rounded, other head: different", "ids": ("410526198001021000",
                                                                      "410526198001011234"),
     "valid": (False, True), "expected": 3},
    {"description": "ends in 000 but valid: different", "ids": ("410526198001011000",
                                                                 "410526198001011234"),
     "valid": (True, True), "expected": 3},
    {"description": "one substitution", "ids": ("410526198001011235", "410526198001011234"),
     "valid": (False, True), "expected": 1},
    {"description": "same", "ids": ("410526198001011234", "410526198001011234"),
     "valid": (True, True), "expected": 0},
]


@pytest.mark.parametrize("case", ID_CASES, ids=lambda c: c["description"])
def test_id_levels_cases(case: dict) -> None:
    s = pl.Series(list(case["ids"]))
    code, uniq = coding.dense_codes(s)
    raw = np.array(uniq.to_list(), dtype="S18").view(np.uint8).reshape(len(uniq), 18)

    class C:  # the two fields id_levels reads besides the codes
        id, id_chars, id_valid = code, raw, np.array(case["valid"])

    got = comparisons.id_levels(C, np.array([0]), np.array([1]), {})
    assert got.tolist() == [case["expected"]]
