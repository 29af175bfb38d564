"""Blocking: the candidate record pairs worth comparing, found by self-joins on block keys.

Every rule turns each record into zero or more block keys; records sharing a key form a
block and every pair inside a block is a candidate. Work happens on unique keys, a block
larger than ``max_block_size`` is skipped and counted (or, for a rule with ``refine``, split
by a finer key first), and a pair found by several rules keeps the first rule's name.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import polars as pl

from pipelines.link.coding import id_code
from pipelines.link.runs import firsts, runs, sort_order, sorted_values
from pipelines.link.settings import BlockingRule

_I = pl.col("i")
STEWARD_RULE = "steward"  # block_rule of a pair only a steward's decision brought
_POW = 11 * 10 ** np.arange(16, -1, -1, dtype=np.int64)  # weight of digit p in an ID code


def one_edit_variants(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (source, variant) ID codes one substitution or adjacent swap away.

    Args:
        codes: ID codes (see ``id_code``), typically of the IDs failing their checksum.

    Returns:
        Parallel arrays: the source code and each of its ~180 one-edit variants.
    """
    check = codes % 11
    body = codes // 11
    digits = (body[:, None] // (10 ** np.arange(16, -1, -1, dtype=np.int64))) % 10
    src, out = [], []
    for p in range(17):
        for d in range(10):
            rows = np.flatnonzero(digits[:, p] != d)
            src.append(codes[rows])
            out.append(codes[rows] + (d - digits[rows, p]) * _POW[p])
        if p < 16:  # swap digits p and p+1
            a, b = digits[:, p], digits[:, p + 1]
            rows = np.flatnonzero(a != b)
            delta = (b[rows] - a[rows]) * _POW[p] + (a[rows] - b[rows]) * _POW[p + 1]
            src.append(codes[rows])
            out.append(codes[rows] + delta)
    for c in range(11):  # the check character
        rows = np.flatnonzero(check != c)
        src.append(codes[rows])
        out.append(body[rows] * 11 + c)
    last = digits[:, 16]
    rows = np.flatnonzero((check < 10) & (check != last))  # swap digit 17 and the check
    src.append(codes[rows])
    out.append((body[rows] + check[rows] - last[rows]) * 11 + last[rows])
    return np.concatenate(src), np.concatenate(out)


def _block_pairs(i: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return every pair of positions inside each run of equal ``h`` (``i`` and ``h``
    sorted by h; within a run by i when the left record of a pair is to be the smaller)."""
    n = len(h)
    start, size = runs(h)
    partners = np.repeat(start + size, size) - np.arange(n) - 1  # later records in its block
    left = np.repeat(np.arange(n), partners)
    first = np.cumsum(partners) - partners  # where each position's partners start
    right = left + 1 + (np.arange(len(left)) - np.repeat(first, partners))
    return i[left], i[right]


def _pairs_from_keys(keys: pl.DataFrame, max_block: int) -> tuple[pl.DataFrame, pl.Series]:
    """Return all (i_l < i_r) pairs of records sharing a key, and the capped keys' hashes.

    Keys are hashes (``_key_hash``: they only need to agree within one polars version), so
    the blocks are runs of one UInt64 once sorted, and their pairs are written out by
    ``_block_pairs`` (no self-join); a hash collision can only add a candidate pair, which
    the comparisons then grade.

    Args:
        keys: columns ``i`` (record index, unique) and ``h`` (UInt64), one key per record;
            nulls ignored.
        max_block: largest block (records per key) that is expanded into pairs.

    Returns:
        The pairs (i_l, i_r), in no particular order, and the hashes of the keys skipped
        for being too large.
    """
    dtype = keys.schema["i"]
    keys = keys.drop_nulls("h")
    i, h = keys["i"].to_numpy(), keys["h"].to_numpy()
    order = sort_order(h)  # the blocks as runs (within one, records in any order)
    i, h = i[order], h[order]
    start, size = runs(h)
    capped = pl.Series("h", h[start[size > max_block]], dtype=pl.UInt64)
    inside = np.repeat((size >= 2) & (size <= max_block), size)
    a, b = _block_pairs(i[inside], h[inside])
    return pl.DataFrame({"i_l": pl.Series(np.minimum(a, b), dtype=dtype),
                         "i_r": pl.Series(np.maximum(a, b), dtype=dtype)}), capped


def _id_one_off_pairs(rec: pl.DataFrame, max_block: int) -> tuple[pl.DataFrame, pl.Series]:
    """Return record pairs whose IDs differ by one substitution or one adjacent swap.

    Checksum-aware: a single substitution or adjacent swap always breaks the MOD 11-2 check
    character, so one side of such a pair fails its checksum. Only the (few) invalid IDs are
    expanded into their one-edit variants (integer arithmetic on ID codes), looked up among
    the IDs as runs of the records sorted by ID code (an ID's validity: its first record's).
    """
    with_id = rec.select("i", "id_valid", code=id_code()).drop_nulls("code")
    code = with_id["code"].to_numpy()
    order = sort_order(code)
    code, i = code[order], with_id["i"].to_numpy()[order]
    start, size = runs(code)
    valid = with_id["id_valid"].fill_null(False).to_numpy()[order]
    if len(i):  # the lowest (record, validity) of a run: its first record's validity
        valid = np.minimum.reduceat(i.astype(np.int64) << 1 | valid, start) & 1 == 1
    uniq, kept = code[start], size <= max_block
    src, variant = one_edit_variants(uniq[kept & ~valid])
    k = np.minimum(np.searchsorted(uniq, variant), max(len(uniq) - 1, 0))
    hit = np.flatnonzero((uniq[k] == variant) & kept[k]) if len(uniq) else k[:0]
    a, b = np.searchsorted(uniq, src[hit]), k[hit]  # the two IDs' runs
    na, nb = size[a], size[b]
    pair = np.repeat(np.arange(len(a)), na * nb)  # every record of one by every of the other
    j = np.arange(len(pair)) - np.repeat(np.cumsum(na * nb) - na * nb, na * nb)
    left, right = i[start[a][pair] + j // nb[pair]], i[start[b][pair] + j % nb[pair]]
    dtype = rec.schema["i"]
    return pl.DataFrame({"i_l": pl.Series(np.minimum(left, right), dtype=dtype),
                         "i_r": pl.Series(np.maximum(left, right), dtype=dtype)}), pl.Series(
        "code", uniq[~kept]).cast(pl.UInt64)


def _key_hash(rule: BlockingRule) -> pl.Expr:
    """Return the block key of an ``equal`` rule: a hash of its key columns (null if any is;
    equal values, equal hashes)."""
    present = pl.all_horizontal([pl.col(k).is_not_null() for k in rule.keys])
    return pl.when(present).then(pl.struct(rule.keys).hash(seed=7))


def _unidentified_pairs(rec: pl.DataFrame, rule: BlockingRule, max_block: int
                        ) -> tuple[pl.DataFrame, pl.Series]:
    """Return pairs sharing the rule's key where at least one record has no valid ID.

    Only records without a valid ID are paired with their block (the blocks as runs of one
    argsort), so a block of 100 records with two such records costs ~200 pairs, not 4,950;
    a record without a valid ID pairs with a later one, or any with a valid ID (each pair
    once).
    """
    keys = rec.select("i", "id_valid", h=_key_hash(rule)).drop_nulls("h")
    dtype = keys.schema["i"]
    i, h = keys["i"].to_numpy(), keys["h"].to_numpy()
    no_id = ~keys["id_valid"].fill_null(True).to_numpy()  # null: neither side's test holds
    valid = keys["id_valid"].fill_null(False).to_numpy()
    order = sort_order(h)
    i, h, valid, no_id = i[order], h[order], valid[order], no_id[order]
    start, size = runs(h)
    capped = pl.Series("h", h[start[size > max_block]], dtype=pl.UInt64)
    first, size = np.repeat(start, size), np.repeat(size, size)  # per position, its block's
    left = np.flatnonzero(no_id & (size >= 2) & (size <= max_block))
    others = size[left] - 1
    p = np.repeat(left, others)
    k = np.arange(len(p)) - np.repeat(np.cumsum(others) - others, others)  # 0..size-2
    q = np.repeat(first[left], others) + k
    q += q >= p  # every other position of the block
    a, b = i[p].astype(np.int64), i[q].astype(np.int64)
    keep = (a < b) | valid[q]
    a, b = a[keep], b[keep]
    return pl.DataFrame({"i_l": pl.Series(np.minimum(a, b), dtype=dtype),
                         "i_r": pl.Series(np.maximum(a, b), dtype=dtype)}), capped


def _equal_pairs(rec: pl.DataFrame, rule: BlockingRule, max_block: int
                 ) -> tuple[pl.DataFrame, pl.Series]:
    """Return the pairs of an ``equal`` rule and its capped keys' hashes."""
    if rule.unidentified_only:
        return _unidentified_pairs(rec, rule, max_block)
    return _pairs_from_keys(rec.select("i", h=_key_hash(rule)), max_block)


def block_hashes(rec: pl.DataFrame, rule: BlockingRule) -> pl.Series:
    """Per record, the hash of its block under ``rule`` (null: in none); for ``id_one_edit``
    its ID code. Records of one hash form one block (``_pairs_from_keys``)."""
    if rule.method == "id_one_edit":
        return rec.select(id_code().cast(pl.UInt64)).to_series().alias("h")
    return rec.select(h=_key_hash(rule)).to_series()


def id_neighbours(codes: pl.Series) -> pl.Series:
    """The ID codes one substitution or adjacent swap away from ``codes`` (``block_hashes``
    of ``id_one_edit``): the blocks whose pairs an ID's records can be in."""
    _, variants = one_edit_variants(codes.cast(pl.Int64).to_numpy())
    return pl.Series("h", variants).cast(pl.UInt64).unique()


def rule_pairs(rec: pl.DataFrame, rule: BlockingRule, max_block: int
               ) -> tuple[pl.DataFrame, int, pl.Series]:
    """Return one rule's candidate pairs, its number of capped keys and the hashes of its
    blocks over the cap (``block_hashes``).

    A rule with ``refine`` splits each block over the cap by its key plus the refine
    columns; the count is then of the finer blocks still over the cap (the hashes stay
    those of the coarse blocks). The pairs of a block depend only on its records, so the
    rule run over every record of some blocks gives exactly those blocks' pairs.
    """
    if rule.method == "id_one_edit":
        pairs, capped = _id_one_off_pairs(rec, max_block)
        return pairs, capped.len(), capped
    pairs, capped = _equal_pairs(rec, rule, max_block)
    if not (rule.refine and capped.len()):
        return pairs, capped.len(), capped
    over = (
        rec.select("i", h=_key_hash(rule))
        .drop_nulls("h")
        .filter(pl.len().over("h") > max_block)
        .select("i")
    )
    finer = replace(rule, keys=(*rule.keys, *rule.refine), refine=())
    more, finer_capped = _equal_pairs(rec.join(over, on="i", how="semi"), finer, max_block)
    return pl.concat([pairs, more]), finer_capped.len(), capped


def resolve_rules(rules: tuple[BlockingRule | str, ...]) -> tuple[BlockingRule, ...]:
    """Return the rules, a name standing for the default rule of that name."""
    from pipelines.link.defaults import BLOCKING_RULES

    by_name = {r.name: r for r in BLOCKING_RULES}
    out = []
    for r in rules:
        if isinstance(r, str) and r not in by_name:
            msg = f"unknown blocking rule {r!r}; choose from {list(by_name)}"
            raise ValueError(msg)
        out.append(by_name[r] if isinstance(r, str) else r)
    return tuple(out)


def rule_type(names: list[str]) -> pl.Enum:
    """The pairs' ``block_rule``: the rules' names in order, then ``STEWARD_RULE`` (a small
    integer a pair, not a string)."""
    return pl.Enum(list(dict.fromkeys([*names, STEWARD_RULE])))


def rule_names(rank: pl.Series, names: list[str]) -> pl.Series:
    """``block_rule`` (``rule_type``) of pairs by their rule's rank: gathered, not a string
    written per pair and cast."""
    return pl.Series("block_rule", names, dtype=rule_type(names)).gather(rank)


def first_rule(found: list[pl.DataFrame], names: list[str], stats: dict) -> pl.DataFrame:
    """Deduplicate the rules' pairs (i_l, i_r, rank, any other columns): a pair keeps its
    first rule's name as ``block_rule`` (``rule_type``), in the fixed order (rank, i_l,
    i_r); counts ``new_pairs_per_rule`` into ``stats`` (and, without other columns,
    ``pairs_per_rule``: the distinct pairs each rule found).

    One packed UInt64 per pair (5 bits of rule, 29 + 29 of records) sorted once: a pair's
    first occurrence in that order is its first rule's, and the order is the output's.
    """
    schema = {"i_l": pl.UInt32, "i_r": pl.UInt32, "rank": pl.UInt8}
    allp = pl.concat([f.cast(schema) for f in found], how="diagonal_relaxed") if found \
        else pl.DataFrame(schema=schema)
    extra = [c for c in allp.columns if c not in schema]
    if extra:
        allp = _first_rule_with(allp, extra)
    else:
        allp, per_rule = first_rule_packed(allp, len(names))
        stats["pairs_per_rule"] = {r: int(per_rule[k]) for k, r in enumerate(names)}
    counts = dict(allp.group_by("rank").len().iter_rows())
    stats["new_pairs_per_rule"] = {r: counts.get(k, 0) for k, r in enumerate(names)}
    return allp.with_columns(rule_names(allp["rank"], names)).drop("rank")


def _first_rule_with(allp: pl.DataFrame, extra: list[str]) -> pl.DataFrame:
    """``first_rule``'s pairs when they carry other columns: one sort of the packed pairs."""
    packed = (pl.col("rank").cast(pl.UInt64) * 2**58 + pl.col("i_l").cast(pl.UInt64) * 2**29
              + pl.col("i_r").cast(pl.UInt64))
    pair = pl.col("p") % 2**58
    allp = allp.select(*extra, p=packed).sort("p").filter(pair.is_first_distinct())
    return allp.select((pair // 2**29).cast(pl.UInt32).alias("i_l"),
                       (pl.col("p") % 2**29).cast(pl.UInt32).alias("i_r"),
                       (pl.col("p") // 2**58).cast(pl.UInt8).alias("rank"), *extra)


def first_rule_packed(allp: pl.DataFrame, rules: int) -> tuple[pl.DataFrame, np.ndarray]:
    """``first_rule``'s pairs (i_l, i_r, rank; ``rules`` rules) in numpy, and per rank the
    distinct pairs it found (``pairs_per_rule``): the pairs packed as (pair, rank) and
    sorted give each pair's first rule (its first key); then put in the output's order,
    (rank, pair), by a stable sort of the ranks alone (the pairs are in order already)."""
    key = allp["i_l"].to_numpy().astype(np.uint64)  # one array, packed in place
    key <<= np.uint64(29)
    key |= allp["i_r"].to_numpy()
    key <<= np.uint64(5)
    key |= allp["rank"].to_numpy()
    key = sorted_values(key)
    key = key[firsts(key)]  # (pair, rule) once
    rank = (key & np.uint64(31)).astype(np.uint8)
    per_rule = np.bincount(rank, minlength=rules)
    key >>= np.uint64(5)
    first = firsts(key)  # its first rule
    key, rank = key[first], rank[first]
    order = np.argsort(rank, kind="stable")  # a radix sort of bytes
    key, rank = key[order], rank[order]
    mask = np.uint64(2**29 - 1)
    return pl.DataFrame({"i_l": pl.Series(key >> np.uint64(29), dtype=pl.UInt32),
                         "i_r": pl.Series(key & mask, dtype=pl.UInt32),
                         "rank": pl.Series(rank, dtype=pl.UInt8)}), per_rule


def block(rec: pl.DataFrame, rules: tuple[BlockingRule | str, ...], max_block: int
          ) -> tuple[pl.DataFrame, dict]:
    """Return the deduplicated candidate pairs of all rules, and per-rule counts.

    Args:
        rec: prepared records with ``i`` (0..n-1) and the key columns.
        rules: blocking rules (or names of default rules), in priority order.
        max_block: largest block expanded into pairs.

    Returns:
        Pairs (i_l < i_r, block_rule: ``rule_type``) and stats: ``pairs_per_rule`` (pairs
        a rule found), ``new_pairs_per_rule`` (pairs first found by that rule),
        ``capped_blocks`` and
        ``over_cap`` (per rule the hashes of its blocks over the cap, for the next night's
        ``reblock``).
    """
    rules = check_rules(rules, rec.height)
    found, stats = [], {"pairs_per_rule": {}, "new_pairs_per_rule": {}, "capped_blocks": {},
                        "seconds_per_rule": {}, "over_cap": {}}
    for rank, rule in enumerate(rules):
        t = time.perf_counter()
        # its repeats and its distinct pairs (``pairs_per_rule``): first_rule's
        pairs, capped, over = rule_pairs(rec, rule, max_block)
        stats["capped_blocks"][rule.name] = capped
        stats["over_cap"][rule.name] = over.to_list()
        stats["seconds_per_rule"][rule.name] = round(time.perf_counter() - t, 3)
        found.append(pairs.with_columns(rank=pl.lit(rank, pl.UInt8)))
    return first_rule(found, [r.name for r in rules], stats), stats


def check_rules(rules: tuple[BlockingRule | str, ...], height: int) -> tuple[BlockingRule, ...]:
    """The rules resolved (``resolve_rules``), refused beyond 31 rules or 2**29 records."""
    rules = resolve_rules(rules)
    if len(rules) > 31 or height > 2**29:
        msg = f"blocking: at most 31 rules and 2**29 records (got {len(rules)}, {height})"
        raise ValueError(msg)
    return rules
