"""Blocking on an incremental night: only the blocks a new, changed or gone record touches.

The pairs a rule finds in a block depend only on the block's records (its size against the
cap, which of them hold a valid ID, a refine key inside it). A block none of whose records
is new, changed or gone (*untouched*) therefore gives tonight exactly the pairs it gave last
night, and its records' key values are the kept ones (a clean record's fingerprint covers
every key column). Per rule (``reblock``):

- *touched* blocks: those holding a dirty record (tonight's keys), and every block that was
  over the cap last night (a gone record may have brought it under; kept in the state as
  ``over_cap``). For ``id_one_off`` a block is one ID code and its pairs reach the codes one
  edit away, so those codes' records are re-blocked with it;
- the rule runs over the records of its touched blocks only (``blocking.rule_pairs``: whole
  blocks, so caps, ``unidentified_only`` and ``refine`` decide as on a full night);
- a kept pair whose first rule's block is untouched keeps that rule; the other kept pairs
  come back only if re-found. The first rule of a pair is the smallest rank among the
  rules that find it: an earlier rule can find a kept pair tonight only in a touched block,
  which is re-blocked, so the smallest rank over re-found and kept pairs is exact.

A kept pair in a touched block of its first rule that the block no longer gives (the block
crossed the cap when a record joined it) may belong to a later rule whose block is untouched
(the state keeps only a pair's first rule): such pairs are checked against each later
rule's block key directly (``_orphan_ranks``). Only a near-ID block (``id_one_off``) is not
checked pair by pair: when one could hold such a pair (an ID block crossing the cap of
``id_exact``), ``reblock`` returns None and the night blocks every record.
"""

from __future__ import annotations

import time

import numpy as np
import polars as pl

from pipelines.link import blocking
from pipelines.link.blocking import (
    block_hashes,
    check_rules,
    id_neighbours,
    one_edit_variants,
)
from pipelines.link.runs import runs
from pipelines.link.settings import BlockingRule, LinkSettings

MAX_DIRTY = 0.5  # above this share of dirty records, re-blocking touched blocks saves nothing


def _touched(rec: pl.DataFrame, rule: BlockingRule, dirty: pl.Series, over: list[int]
             ) -> tuple[pl.Series, pl.Series, pl.Series]:
    """Per record: its block's hash (``block_hashes``); its block is touched; its block is
    re-blocked (touched, or for ``id_one_off`` one edit away from a touched one)."""
    h = block_hashes(rec, rule)
    keys = pl.concat([h.filter(dirty).drop_nulls(), pl.Series("h", over, dtype=pl.UInt64)])
    keys = keys.unique()
    touched = h.is_in(keys.implode()).fill_null(False)
    if rule.method != "id_one_edit":
        return h, touched, touched
    near = h.is_in(pl.concat([keys, _partners(h, keys, rec["id_valid"])]).implode())
    return h, touched, near.fill_null(False)


def _partners(h: pl.Series, keys: pl.Series, valid: pl.Series) -> pl.Series:
    """The ID codes whose records can be ``id_one_off`` partners of the touched codes
    (``keys``; ``h``: per record its code): a pair holds an invalid ID and an ID one edit
    from it, and an edit works both ways, so they are the codes one edit from a touched
    code an invalid ID holds, and the invalid IDs' codes one edit from any touched code.
    Worked out from the edits of the county's (few) invalid IDs, not of every touched ID
    (1M residents: 10k codes, not 20k, and no set of 3.8M edits to look records up in)."""
    invalid = h.filter(~valid).drop_nulls().unique()  # codes an invalid ID holds
    source, edit = one_edit_variants(invalid.cast(pl.Int64).to_numpy())
    near_touched = source[pl.Series(edit).cast(pl.UInt64).is_in(keys.implode()).to_numpy()]
    return pl.concat([id_neighbours(keys.filter(keys.is_in(invalid.implode()))),
                      pl.Series("h", near_touched).cast(pl.UInt64)])


def _untouched(rec: pl.DataFrame, rule: BlockingRule, dirty: pl.Series, over: list[int]
               ) -> bool:
    """No block of ``rule`` is touched: no dirty record has its key (settlements carry no
    birth date, village, household or head) and no block was over the cap; a near-ID rule
    is never skipped (its blocks reach one edit away). Then nothing is blocked again, and
    its block hashes are not worked out for every record (``_touched``)."""
    if over or rule.method == "id_one_edit":
        return False
    return block_hashes(rec.filter(dirty), rule).null_count() == int(dirty.sum())


def _none_reblocked(stats: dict, name: str) -> None:
    """An untouched rule's figures (``_untouched``): nothing capped, re-blocked, timed."""
    for part, none in (("capped_blocks", 0), ("records_reblocked", 0), ("over_cap", []),
                       ("seconds_per_rule", 0.0)):
        stats[part][name] = none


def _at_orphans(rec: pl.DataFrame, rule: BlockingRule, orphans: pl.DataFrame
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An untouched rule's (``_untouched``) per record touched, hash, hash is null, as
    ``_orphan_ranks`` reads them: the hashes worked out for the orphans' records only."""
    at = pl.concat([orphans["i_l"], orphans["i_r"]]).unique().to_numpy()
    h = block_hashes(rec[at], rule)
    hashes, null = np.zeros(rec.height, dtype=np.uint64), np.ones(rec.height, dtype=bool)
    hashes[at], null[at] = h.fill_null(0).to_numpy(), h.is_null().to_numpy()
    return np.zeros(rec.height, dtype=bool), hashes, null


def _orphan_ranks(orphans: pl.DataFrame, rules: tuple[BlockingRule, ...], blocks: list,
                  valid: np.ndarray) -> pl.DataFrame | None:
    """The rank tonight of kept pairs their first rule's touched block no longer gives (it
    crossed the cap): the first later rule whose *untouched* block holds both records (an
    untouched block is as last night, so under the cap; a touched one was re-blocked).

    Args:
        orphans: i_l, i_r, rank (last night's first rule), row.
        rules: the rules in order.
        blocks: per rule (touched, hash, hash is null) per record, numpy arrays.
        valid: per record, its ID is valid.

    Returns:
        The orphans with their rank tonight (those no untouched block holds are dropped;
        re-blocked rules may still find them), or None when a near-ID block could hold one
        (not checked pair by pair: full blocking then).
    """
    a, b = orphans["i_l"].to_numpy(), orphans["i_r"].to_numpy()
    since = orphans["rank"].to_numpy()
    rank = np.full(len(a), 255, dtype=np.uint8)
    for r in range(len(rules) - 1, -1, -1):  # the first rule wins: go backwards
        touched, h, null = blocks[r]
        untouched = (since < r) & ~touched[a] & ~touched[b] & ~null[a] & ~null[b]
        if rules[r].method == "id_one_edit":  # two IDs, one invalid: maybe one edit apart
            if (untouched & (h[a] != h[b]) & ~(valid[a] & valid[b])).any():
                return None
            continue
        holds = untouched & (h[a] == h[b])
        if rules[r].unidentified_only:
            holds &= ~(valid[a] & valid[b])
        rank[holds] = r
    return orphans.with_columns(rank=pl.Series(rank)).filter(pl.col("rank") < 255)


def _whole(h: pl.Series, touched: pl.Series, over: list[int], max_block: int
           ) -> tuple[pl.Series, np.ndarray]:
    """Split the touched blocks of an ``equal`` rule: those blocked again whole (over the
    cap tonight or last night: their pairs may be others', refined or none) and those
    *grown* (under the cap both nights), whose pairs are last night's among clean records
    and the new records' own (``_grown_pairs``), the kept ones staying."""
    sizes = h.filter(touched).to_frame("h").group_by("h").len()  # a block's every record
    big = sizes.filter(pl.col("h").is_in(pl.Series(over, dtype=pl.UInt64).implode())
                       | (pl.col("len") > max_block))["h"]
    if big.len() == 0:  # (no pass over every record)
        return pl.Series(np.zeros(h.len(), dtype=bool)), touched.to_numpy()
    whole = h.is_in(big.implode()).fill_null(False)
    return whole, touched.to_numpy() & ~whole.to_numpy()


def _grown_pairs(h: pl.Series, grown: np.ndarray, dirty: np.ndarray, valid: np.ndarray,
                 unidentified_only: bool) -> pl.DataFrame:
    """The pairs of the grown blocks (``_whole``) that a new or changed record is in: each
    such record with every other record of its block (two of them once), and for an
    ``unidentified_only`` rule only where a side has no valid ID; i_l < i_r."""
    at = np.flatnonzero(grown)
    hh = h.to_numpy()[at]
    order = np.argsort(hh, kind="stable")
    at, hh = at[order], hh[order]
    start, size = runs(hh)
    first, size = np.repeat(start, size), np.repeat(size, size)
    left = np.flatnonzero(dirty[at])
    others = size[left] - 1
    p = np.repeat(left, others)
    k = np.arange(len(p)) - np.repeat(np.cumsum(others) - others, others)
    q = np.repeat(first[left], others) + k
    q += q >= p  # every other record of the block
    a, b = at[p], at[q]
    keep = ~dirty[b] | (a < b)  # a pair of two new records once
    if unidentified_only:
        keep &= ~(valid[a] & valid[b])
    a, b = a[keep], b[keep]
    return pl.DataFrame({"i_l": pl.Series(np.minimum(a, b), dtype=pl.UInt32),
                         "i_r": pl.Series(np.maximum(a, b), dtype=pl.UInt32)})


def _rule_tonight(rec: pl.DataFrame, rule: BlockingRule,
                  dirty: tuple[pl.Series, np.ndarray, np.ndarray], over: list[int],
                  max_block: int) -> tuple[pl.DataFrame, int, pl.Series, pl.Series, np.ndarray,
                                           int]:
    """A touched rule's pairs tonight in its touched blocks (``dirty``: per record new or
    changed, as a Series and an array, and its ID valid): the blocks blocked again whole
    (their pairs by ``blocking.rule_pairs``) and the grown blocks' new pairs. Also returns
    its capped keys, the hashes over the cap, per record its block's hash and whether that
    block was blocked again whole, and how many records were."""
    h, touched, near = _touched(rec, rule, dirty[0], over)
    grown = None
    if rule.method != "id_one_edit":  # a touched block under the cap: its new pairs only
        touched, grown = _whole(h, touched, over, max_block)
        grown = _grown_pairs(h, grown, dirty[1], dirty[2], rule.unidentified_only)
        near = touched
    read = dict.fromkeys(["i", "id_valid", "id_number", *rule.keys, *rule.refine])
    pairs, capped, over_now = blocking.rule_pairs(rec.select(*read).filter(near), rule,
                                                  max_block)  # the columns it reads only
    # (a pair twice, of a refined block: ``_merge`` keeps each pair once, no unique here)
    if grown is not None:
        pairs = pl.concat([pairs, grown.cast(pairs.schema)])
    return pairs, capped, over_now, h, touched.to_numpy(), int(near.sum())


def reblock(rec: pl.DataFrame, rules: tuple[BlockingRule | str, ...], max_block: int,
            kept: pl.DataFrame, dirty: np.ndarray, over_cap: dict[str, list[int]]
            ) -> tuple[pl.DataFrame, dict] | None:
    """Return tonight's candidate pairs from last night's, re-blocking only touched blocks.

    Args:
        rec: prepared records with ``i`` (0..n-1) and the key columns.
        rules: the blocking rules, in priority order (the kept state's).
        max_block: largest block expanded into pairs.
        kept: last night's blocking pairs of two clean records at tonight's positions:
            i_l < i_r, ``rank`` (their first rule), ``row`` (in the kept state).
        dirty: per record, new or changed.
        over_cap: per rule name, the hashes of last night's blocks over the cap.

    Returns:
        What ``blocking.block`` returns, the pairs with ``row`` (the kept pair's row in the
        state, null for a pair new tonight), or None (``_orphan_ranks``).
    """
    rules = check_rules(rules, rec.height)
    dirty_s = pl.Series(dirty)
    stats: dict = {"capped_blocks": {}, "over_cap": {}, "seconds_per_rule": {},
                   "records_reblocked": {}}
    kl, kr = kept["i_l"].to_numpy(), kept["i_r"].to_numpy()
    krank, valid = kept["rank"].to_numpy(), rec["id_valid"].to_numpy()
    stay = np.ones(kept.height, dtype=bool)
    found, blocks, orphans = [], [], []
    for rank, rule in enumerate(rules):
        t = time.perf_counter()
        if _untouched(rec, rule, dirty_s, over_cap.get(rule.name, [])):
            blocks.append(rule)  # no block to block again: hashes only for orphans, later
            _none_reblocked(stats, rule.name)
            continue
        pairs, capped, over, h, hit, near = _rule_tonight(
            rec, rule, (dirty_s, dirty, valid), over_cap.get(rule.name, []), max_block)
        blocks.append((hit, h.fill_null(0).to_numpy(), h.is_null().to_numpy()))
        lost = (krank == rank) & (hit[kl] | hit[kr])
        if lost.any():
            orphans.append(kept.filter(pl.Series(lost)).join(pairs, on=["i_l", "i_r"],
                                                             how="anti"))
        stay &= ~lost
        stats["capped_blocks"][rule.name] = capped
        stats["over_cap"][rule.name] = over.to_list()
        stats["records_reblocked"][rule.name] = near
        stats["seconds_per_rule"][rule.name] = round(time.perf_counter() - t, 3)
        found.append(pairs.with_columns(rank=pl.lit(rank, pl.UInt8)))
    lost = pl.concat(orphans) if orphans else kept.head(0)
    stats["pairs_off_a_block_over_the_cap"] = lost.height
    if lost.height:
        blocks = [_at_orphans(rec, b, lost) if isinstance(b, BlockingRule) else b
                  for b in blocks]
        lost = _orphan_ranks(lost, rules, blocks, valid)
    if lost is None:
        return None
    return _merge(pl.concat([*found, lost.select("i_l", "i_r", "rank")]), kept, stay,
                  [r.name for r in rules], stats), stats


def _merge(fresh: pl.DataFrame, kept: pl.DataFrame, stay: np.ndarray, names: list[str],
           stats: dict) -> pl.DataFrame:
    """The night's pairs: the re-found ones (``fresh``: i_l, i_r, rank, maybe several rules
    a pair) and the kept ones that ``stay``, each pair under its first rule, in the order of
    ``blocking.block``; ``row`` is the kept pair's row in the state (null: a new pair).

    Works on packed pair keys so the (large) kept pairs are probed, never hashed as a
    whole: what ``blocking.first_rule`` does over every pair, at the cost of the re-found.
    """
    def pair(frame: pl.DataFrame) -> pl.Series:
        return frame.select(pl.col("i_l").cast(pl.UInt64) * 2**29 + pl.col("i_r")).to_series()

    packed = (pl.col("rank").cast(pl.UInt64) * 2**58 + pl.col("i_l").cast(pl.UInt64) * 2**29
              + pl.col("i_r").cast(pl.UInt64))
    # each re-found pair once, under its first rule: sorted as packed integers in numpy
    # (1M residents: 1.2M re-found pairs, 0.48 -> ~0.1 CPU s)
    fresh = blocking.first_rule_packed(fresh.cast({"i_l": pl.UInt32, "i_r": pl.UInt32,
                                                   "rank": pl.UInt8}), len(names))[0]
    kept = kept.with_columns(p=pair(kept), stay=pl.Series(stay))
    fresh = fresh.with_columns(p=pair(fresh))
    also = kept["p"].is_in(fresh["p"].implode()).to_numpy()
    # a kept pair whose rule's block was re-blocked has no kept rule, only its row
    both = kept.filter(pl.Series(also)).select(
        "p", "row", kept_rule=pl.when("stay").then("rank").otherwise(255))
    fresh = fresh.join(both, on="p", how="left").with_columns(
        rank=pl.when(pl.col("kept_rule") < pl.col("rank"))  # the kept pair's rule stays first
        .then("kept_rule").otherwise("rank").cast(pl.UInt8)).drop("kept_rule")
    rest = kept.filter(pl.Series(stay & ~also)).select("i_l", "i_r", "rank", "row",
                                                       _p=packed)
    if not rest["_p"].is_sorted():  # kept pairs come in last night's order: sorted, unless
        rest = rest.sort("_p")  # clean records changed their relative order
    # the few re-found pairs sorted, merged into the sorted kept ones (no sort of them all)
    allp = fresh.select("i_l", "i_r", "rank", "row", _p=packed).sort("_p").merge_sorted(
        rest, key="_p").drop("_p")
    counts = np.bincount(allp["rank"].to_numpy(), minlength=len(names))
    stats["new_pairs_per_rule"] = {r: int(counts[k]) for k, r in enumerate(names)}
    return allp.with_columns(blocking.rule_names(allp["rank"], names)).drop("rank")


def candidates(rec: pl.DataFrame, s: LinkSettings,
               kept: tuple[pl.DataFrame, np.ndarray, dict] | None, stats: dict
               ) -> tuple[pl.DataFrame, dict]:
    """The night's blocking pairs and its blocks over the cap (per rule): on an incremental
    night (``kept``: the kept pairs of clean records, per kept record its position now, the
    kept model) only the touched blocks re-blocked, else, or when a block crossed the cap,
    every record blocked (``stats["block_mode"]`` says which)."""
    got = None
    if kept is not None and "over_cap" in kept[2]:
        pairs, k2i, model = kept
        pairs = pairs.filter(pl.col("rank") < 255)  # a steward's pair: ``_block`` adds it
        dirty = np.ones(rec.height, dtype=bool)
        dirty[k2i[k2i >= 0]] = False
        if dirty.mean() <= MAX_DIRTY:
            got = reblock(rec, s.blocking_rules, s.max_block_size, pairs, dirty,
                          model["over_cap"])
            stats["block_mode"] = "touched blocks only" if got is not None \
                else "every record (a near-ID block may hold a pair off a block over the cap)"
    pairs, block_stats = got or blocking.block(rec, s.blocking_rules, s.max_block_size)
    stats.setdefault("block_mode", "every record")
    over = block_stats.pop("over_cap")
    stats.update(block_stats)
    return pairs, over
