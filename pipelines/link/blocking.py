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

from pipelines.link.settings import BlockingRule

_I = pl.col("i")
_POW = 11 * 10 ** np.arange(16, -1, -1, dtype=np.int64)  # weight of digit p in an ID code


def _id_code() -> pl.Expr:
    """Return an 18-character ID as one Int64: int(first 17 digits) * 11 + check value."""
    idn = pl.col("id_number")
    check = idn.str.slice(17, 1)
    value = pl.when(check == "X").then(10).otherwise(check.cast(pl.Int64, strict=False))
    body = idn.str.slice(0, 17).cast(pl.Int64, strict=False)
    ok = (idn.str.len_bytes() == 18) & idn.str.slice(0, 17).str.contains(r"^[0-9]{17}$")
    return pl.when(ok).then(body * 11 + value)


def _one_edit_variants(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (source, variant) ID codes one substitution or adjacent swap away.

    Args:
        codes: ID codes (see ``_id_code``), typically of the IDs failing their checksum.

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


def _pairs_from_keys(keys: pl.DataFrame, max_block: int) -> tuple[pl.DataFrame, int]:
    """Return all (i_l < i_r) pairs of records sharing a key, and the number of capped keys.

    Keys are hashed to integers first (they only need to agree within one run), so the
    self-join runs on UInt64; a hash collision can only add a candidate pair, which the
    comparisons then grade.

    Args:
        keys: columns ``i`` (record index) and ``key``, one key per record; nulls ignored.
        max_block: largest block (records per key) that is expanded into pairs.

    Returns:
        The pairs (i_l, i_r) and how many keys were skipped for being too large.
    """
    keys = (
        keys.drop_nulls("key")
        .select("i", h=pl.col("key").hash(seed=7))
        .with_columns(n=pl.len().over("h"))
    )
    capped = keys.filter(pl.col("n") > max_block).get_column("h").n_unique()
    kept = keys.filter((pl.col("n") >= 2) & (pl.col("n") <= max_block)).select("i", "h")
    pairs = (
        kept.join(kept, on="h", suffix="_r")
        .filter(pl.col("i") < pl.col("i_r"))
        .select(i_l=_I, i_r=pl.col("i_r"))
    )
    return pairs, capped


def _id_one_off_pairs(rec: pl.DataFrame, max_block: int) -> tuple[pl.DataFrame, int]:
    """Return record pairs whose IDs differ by one substitution or one adjacent swap.

    Checksum-aware: a single substitution or adjacent swap always breaks the MOD 11-2 check
    character, so one side of such a pair fails its checksum. Only the (few) invalid IDs are
    expanded into their one-edit variants (integer arithmetic on ID codes), which are joined
    against the unique IDs.
    """
    with_id = rec.select("i", "id_valid", code=_id_code()).drop_nulls("code")
    ids = with_id.group_by("code").agg(pl.col("id_valid").first(), n=pl.len())
    capped = ids.filter(pl.col("n") > max_block).height
    ids = ids.filter(pl.col("n") <= max_block)
    invalid = ids.filter(~pl.col("id_valid").fill_null(False))["code"].to_numpy()
    src, variant = _one_edit_variants(invalid)
    id_pairs = pl.DataFrame({"id_l": src, "id_r": variant}).join(ids.select(id_r="code"), on="id_r")
    recs = with_id.select("i", "code")
    pairs = (
        id_pairs.join(recs.rename({"i": "a", "code": "id_l"}), on="id_l")
        .join(recs.rename({"i": "b", "code": "id_r"}), on="id_r")
        .select(i_l=pl.min_horizontal("a", "b"), i_r=pl.max_horizontal("a", "b"))
    )
    return pairs, capped


def _key_expr(rule: BlockingRule) -> pl.Expr:
    """Return the block key of an ``equal`` rule: its key columns joined (null if any is)."""
    parts = [pl.col(k).cast(pl.String) for k in rule.keys]
    return parts[0] if len(parts) == 1 else pl.concat_str(parts, separator="|")


def _unidentified_pairs(rec: pl.DataFrame, rule: BlockingRule, max_block: int
                        ) -> tuple[pl.DataFrame, int]:
    """Return pairs sharing the rule's key where at least one record has no valid ID.

    Only records without a valid ID are joined against the block, so a block of 100
    records with two such records costs ~200 pairs, not 4,950.
    """
    keys = (
        rec.select("i", "id_valid", key=_key_expr(rule))
        .drop_nulls("key")
        .with_columns(h=pl.col("key").hash(seed=7))
        .with_columns(n=pl.len().over("h"))
    )
    capped = keys.filter(pl.col("n") > max_block).get_column("h").n_unique()
    kept = keys.filter((pl.col("n") >= 2) & (pl.col("n") <= max_block))
    left = kept.filter(~pl.col("id_valid")).select("i", "h")
    pairs = (
        left.join(kept.select("i", "h", "id_valid"), on="h", suffix="_r")
        .filter((pl.col("i") != pl.col("i_r")) & ((pl.col("i") < pl.col("i_r"))
                                                   | pl.col("id_valid")))
        .select(i_l=pl.min_horizontal("i", "i_r"), i_r=pl.max_horizontal("i", "i_r"))
    )
    return pairs, capped


def _equal_pairs(rec: pl.DataFrame, rule: BlockingRule, max_block: int
                 ) -> tuple[pl.DataFrame, int]:
    """Return the pairs of an ``equal`` rule and its number of capped keys."""
    if rule.unidentified_only:
        return _unidentified_pairs(rec, rule, max_block)
    return _pairs_from_keys(rec.select("i", key=_key_expr(rule)), max_block)


def _rule_pairs(rec: pl.DataFrame, rule: BlockingRule, max_block: int
                ) -> tuple[pl.DataFrame, int]:
    """Return one rule's candidate pairs and its number of capped keys.

    A rule with ``refine`` splits each block over the cap by its key plus the refine
    columns; the count is then of the finer blocks still over the cap.
    """
    if rule.method == "id_one_edit":
        return _id_one_off_pairs(rec, max_block)
    pairs, capped = _equal_pairs(rec, rule, max_block)
    if not (rule.refine and capped):
        return pairs, capped
    over = (
        rec.select("i", key=_key_expr(rule))
        .drop_nulls("key")
        .filter(pl.len().over("key") > max_block)
        .select("i")
    )
    finer = replace(rule, keys=(*rule.keys, *rule.refine), refine=())
    more, capped = _equal_pairs(rec.join(over, on="i", how="semi"), finer, max_block)
    return pl.concat([pairs, more]), capped


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


def block(rec: pl.DataFrame, rules: tuple[BlockingRule | str, ...], max_block: int
          ) -> tuple[pl.DataFrame, dict]:
    """Return the deduplicated candidate pairs of all rules, and per-rule counts.

    Args:
        rec: prepared records with ``i`` (0..n-1) and the key columns.
        rules: blocking rules (or names of default rules), in priority order.
        max_block: largest block expanded into pairs.

    Returns:
        Pairs (i_l < i_r, block_rule) and stats: ``pairs_per_rule`` (pairs a rule found),
        ``new_pairs_per_rule`` (pairs first found by that rule) and ``capped_blocks``.
    """
    rules = resolve_rules(rules)
    names = [r.name for r in rules]
    if len(rules) > 31 or rec.height > 2**29:
        msg = f"blocking: at most 31 rules and 2**29 records (got {len(rules)}, {rec.height})"
        raise ValueError(msg)
    found, stats = [], {"pairs_per_rule": {}, "new_pairs_per_rule": {}, "capped_blocks": {}}
    stats["seconds_per_rule"] = {}
    for rank, rule in enumerate(rules):
        t = time.perf_counter()
        pairs, capped = _rule_pairs(rec, rule, max_block)
        pairs = pairs.unique()
        stats["pairs_per_rule"][rule.name] = pairs.height
        stats["capped_blocks"][rule.name] = capped
        stats["seconds_per_rule"][rule.name] = round(time.perf_counter() - t, 3)
        found.append(pairs.with_columns(rank=pl.lit(rank, pl.UInt8)))
    schema = {"i_l": pl.UInt32, "i_r": pl.UInt32, "rank": pl.UInt8}
    allp = pl.concat([f.cast(schema) for f in found]) if found else pl.DataFrame(schema=schema)
    # a fixed order (rank, i_l, i_r), by one packed key: 5 bits of rule, 29 + 29 of records
    packed = (pl.col("rank").cast(pl.UInt64) * 2**58 + pl.col("i_l").cast(pl.UInt64) * 2**29
              + pl.col("i_r").cast(pl.UInt64))
    allp = allp.sort(packed).unique(["i_l", "i_r"], keep="first", maintain_order=True)
    counts = dict(allp.group_by("rank").len().iter_rows())
    stats["new_pairs_per_rule"] = {r: counts.get(k, 0) for k, r in enumerate(names)}
    allp = allp.with_columns(
        block_rule=pl.col("rank").replace_strict(dict(enumerate(names)), return_dtype=pl.String)
    ).drop("rank")
    return allp, stats
