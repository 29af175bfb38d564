"""``link_records``: block, compare, score, decide, cluster, and give stable person ids."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from pipelines.link import ahead, assign, blocking, cluster, incremental, model, queue, regroup
from pipelines.link import decisions as steward
from pipelines.link import reblock as rebl
from pipelines.link.blocking import STEWARD_RULE
from pipelines.link.coding import Coded, code_records, valid_id_codes
from pipelines.link.combos import Combinations, combinations, match_weights, per_pair
from pipelines.link.comparisons import NULL, compare
from pipelines.link.evidence import heads_known
from pipelines.link.facts import FACTS, extracts_of
from pipelines.link.prepare import (
    ONE_ROW_EXTRACTS,
    PREPARE_ONLY,
    SCORE_ONLY,
    prepare_records,
    prepared,
    record_keys_of,
)
from pipelines.link.settings import LinkSettings

log = logging.getLogger(__name__)
# a pair's status while linking: 1 byte a pair (a String again in the pairs returned)
STATUS = pl.Enum(["linked", "uncertain", "rejected", "decided_link", "decided_no_link"])


@dataclass
class LinkResult:
    """What ``link_records`` returns (design.md §3).

    Attributes:
        links: record_id, record_key, person_id, cluster_size.
        pairs: record_id_l, record_id_r, match_weight, match_probability, status,
            block_rule, ``w_<comparison>`` per comparison, explain.
        uncertain: the steward queue: uncertain pairs with both records side by side (IDs
            masked), ranked by what a decision would change (``queue.rank_uncertain``).
        id_map: record_key, person_id, to store for the next run.
        stats: pairs per blocking rule, seconds per stage, m/u per level, capped blocks,
            decisions_applied, unresolved_decisions ({"count": n, "examples": [...]}),
            queue (sizes, per 100k records).
        candidates: for each record without a usable ID that a steward may have to place,
            its few candidate people ranked (``queue.candidates``).
        state: what to keep for the next night (``incremental.LinkState``).
    """

    links: pl.DataFrame
    pairs: pl.DataFrame
    uncertain: pl.DataFrame
    id_map: pl.DataFrame
    stats: dict = field(default_factory=dict)
    candidates: pl.DataFrame = field(default_factory=pl.DataFrame)
    state: incremental.LinkState | None = None


@dataclass
class _Night:
    """The night's mode (``incremental.plan``): the kept state, per kept record its position
    now, the kept pairs of clean records (None on a full night); the model data; the blocks
    over the cap tonight (``reblock``); the county-wide facts of every record."""

    mode: str
    reason: str
    today: date
    state: incremental.LinkState | None = None
    k2i: np.ndarray | None = None
    model: dict = field(default_factory=dict)
    kept: pl.DataFrame | None = None
    over_cap: dict = field(default_factory=dict)
    facts: pl.DataFrame | None = None
    rows: np.ndarray | None = None  # per scored pair its row in the kept pairs, -1 if none
    fitted: model.Model | None = None
    combos: Combinations | None = None  # the scored pairs' combinations of levels
    ids: np.ndarray | None = None  # the records' ID codes, when coding made them (full)
    ahead: ahead.Ahead | None = None  # a full night's coded records, then u, on a thread


def _mark() -> tuple[float, float]:
    """Now, as (wall, CPU of the process) seconds."""
    return time.perf_counter(), time.process_time()


def _lap(stats: dict, stage: str, since: tuple[float, float]) -> tuple[float, float]:
    """Record a stage's wall and CPU seconds since ``since`` (``stats["seconds"]``,
    ``["cpu_seconds"]``); return now."""
    now = _mark()
    stats["seconds"][stage], stats["cpu_seconds"][stage] = now[0] - since[0], now[1] - since[1]
    return now


def _levels(rec: pl.DataFrame, pairs: pl.DataFrame, s: LinkSettings, night: _Night,
            stats: dict) -> tuple[dict[str, np.ndarray], Coded | None]:
    """Return the comparison levels of the pairs (and on a full night the coded records):
    kept ones taken over, the rest compared, coding only the records they involve."""
    il, ir = pairs["i_l"].to_numpy(), pairs["i_r"].to_numpy()
    if night.k2i is None:
        stats["pairs_compared"], stats["pairs_kept"] = len(il), 0
        if night.ahead is None:
            coded = code_records(rec, facts=night.facts)  # the county facts prepare counted
        else:
            coded = night.ahead.coded.result()  # (u is estimated meanwhile: ``ahead``)
        return compare(coded, il, ir, s.comparisons), coded
    names = [c.name for c in s.comparisons]
    rows = pairs["row"].fill_null(-1).to_numpy() if "row" in pairs.columns \
        else incremental.kept_rows(night.kept, pairs)
    night.rows = rows
    levels, found = incremental.kept_levels(night.state, rows, names)
    todo = np.flatnonzero(~found)
    stats["pairs_compared"], stats["pairs_kept"] = len(todo), len(il) - len(todo)
    if len(todo):
        involved = np.unique(np.concatenate([il[todo], ir[todo]]))
        at = np.zeros(rec.height, dtype=np.int64)
        at[involved] = np.arange(len(involved))
        coded = code_records(rec[involved], whole=rec, facts=night.facts[involved])
        fresh = compare(coded, at[il[todo]], at[ir[todo]], s.comparisons)
        for f in names:
            levels[f][todo] = fresh[f]
    return levels, None


def _score(rec: pl.DataFrame, pairs: pl.DataFrame, s: LinkSettings, night: _Night,
           stats: dict) -> pl.DataFrame:
    """Compare the pairs (kept levels reused), fit the model on a full night (else keep
    it) and return pairs with levels and weights."""
    t = _mark()
    levels, coded = _levels(rec, pairs, s, night, stats)
    t = _lap(stats, "compare", t)
    if coded is not None:
        night.ids = coded.id  # the status step's, not coded again
        il, ir = pairs["i_l"].to_numpy(), pairs["i_r"].to_numpy()
        valid = rec["id_valid"].to_numpy()
        anchor = np.where(
            valid[il] & valid[ir], np.where(coded.id[il] == coded.id[ir], 1.0, 0.0), np.nan
        )
        sizes = (s.u_sample_pairs, s.em_iterations, s.seed)
        fitted = model.fit(coded, rec.height, levels, s.comparisons, sizes, anchor,
                           None if night.ahead is None else night.ahead.u.result())
        night.model = incremental.model_data(fitted, s, night.today)
    else:
        fitted = incremental.model_of(night.state.model, s.comparisons)
        night.model = night.state.model
    # weights per combination of levels, gathered (the w_ columns too, at the outputs)
    night.combos = combinations(levels, s.comparisons, pairs.height)
    night.fitted = fitted
    total = match_weights(fitted, night.combos)
    _lap(stats, "model", t)
    stats["model"], stats["prior"] = fitted.describe(), fitted.prior
    names = [c.name for c in s.comparisons]
    return pairs.drop("row", strict=False).with_columns(
        *[pl.Series(f"lv_{f}", levels[f]) for f in names], total, night.combos.number)


def _status(rec: pl.DataFrame, scored: pl.DataFrame, decided: pl.DataFrame, s: LinkSettings,
            ids: np.ndarray | None = None) -> pl.DataFrame:
    """Add ``status``: thresholds, hard cannot-links (rejected), then steward decisions, on a
    narrow frame (the two sides' IDs as integer codes, ``ids`` when coding made them, and
    lists: not 3M pairs' ID strings, 0.25 GB at the peak), pairs not copied."""
    ids = valid_id_codes(rec) if ids is None else pl.Series(ids).replace(-1, None)
    side = rec.select(id_number=ids, id_valid="id_valid", one_list=pl.col("one_list").to_physical())
    left = side[scored["i_l"]].rename(lambda c: c + "_l")
    right = side[scored["i_r"]].rename(lambda c: c + "_r")
    decision = pl.repeat(None, scored.height, dtype=pl.String, eager=True) \
        if decided.height == 0 else scored.select("i_l", "i_r").join(
            decided, on=["i_l", "i_r"], how="left", maintain_order="left")["decision"]
    both_valid = pl.col("id_valid_l") & pl.col("id_valid_r")
    same_id = both_valid & (pl.col("id_number_l") == pl.col("id_number_r"))
    same_list = (pl.col("one_list_l") == pl.col("one_list_r")).fill_null(False)  # 2 people
    conflict = (both_valid & ~same_id) | (same_list & ~same_id)
    w = pl.col("match_weight")
    # without a confirming level (agreeing names or IDs) a pair is at best uncertain: birth
    # date, village and a near-identical name are exactly what twins share
    agree = assign.confirms(scored, s)
    model_status = (pl.when(conflict).then(pl.lit("rejected"))
                    .when((w >= s.accept_weight) & agree).then(pl.lit("linked"))
                    .when(w >= s.review_weight).then(pl.lit("uncertain"))
                    .otherwise(pl.lit("rejected")))
    lv = [c for c in scored.columns if c.startswith("lv_")]
    status = pl.concat([scored.select("match_weight", *lv), left, right], how="horizontal"
                       ).with_columns(decision=decision).select(
        pl.when(pl.col("decision") == "link")
        .then(pl.lit("decided_link"))
        .when(pl.col("decision") == "no_link")
        .then(pl.lit("decided_no_link"))
        .otherwise(model_status).cast(STATUS).alias("status"))
    return scored.with_columns(status["status"])


def _refused_to_uncertain(scored: pl.DataFrame, labels: np.ndarray, stats: dict) -> pl.DataFrame:
    """Mark linked pairs that clustering kept apart (a cannot-link) as uncertain."""
    split = pl.Series(labels[scored["i_l"].to_numpy()] != labels[scored["i_r"].to_numpy()])
    refused = (pl.col("status") == "linked") & split
    stats["links_refused_by_constraints"] = scored.select(refused.sum()).item()
    return scored.with_columns(
        status=pl.when(refused).then(pl.lit("uncertain", dtype=STATUS)).otherwise(pl.col("status"))
    )


def _rule_type(s: LinkSettings) -> pl.Enum:
    """The pairs' ``block_rule`` while linking: the blocking rules' names and ``steward``."""
    return blocking.rule_type([r.name for r in blocking.resolve_rules(s.blocking_rules)])


def _block(rec: pl.DataFrame, s: LinkSettings, decisions: pl.DataFrame | None, night: _Night,
           stats: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return the candidate pairs (steward-decided pairs added) and the decided pairs; a
    full night codes its records meanwhile, then estimates u (``ahead``: CPU seconds of the
    thread count in the stage they fall in)."""
    night.ahead = ahead.start(rec, night.facts, s) if night.k2i is None else None
    pairs, night.over_cap = rebl.candidates(rec, s, None if night.kept is None else (
        night.kept, night.k2i, night.state.model), stats)
    for rule, n in stats["capped_blocks"].items():
        if n:
            log.warning("blocking rule %s: %d block keys over %d records skipped", rule, n,
                        s.max_block_size)
    resolved = steward.resolve(decisions, rec.select("record_key", "record_id", "i"))
    decided, stats["unresolved_decisions"] = resolved.pairs, resolved.stats()
    if resolved.unresolved:
        log.warning(
            "%d steward decision(s) name no current record_key or record_id, e.g. %s",
            resolved.unresolved,
            "; ".join(resolved.examples),
        )
    stats["decisions_applied"] = decided.height
    rule = _rule_type(s)  # the rule's name as an Enum, as blocking gives it (not a string)
    pairs = pairs.with_columns(pl.col("block_rule").cast(rule))
    if decided.height == 0:  # no join over every pair (nor a copy of them) for nothing
        return pairs, decided
    extra = decided.join(pairs, on=["i_l", "i_r"], how="anti").select(
        "i_l", "i_r", block_rule=pl.lit(STEWARD_RULE, dtype=rule)
    )
    if night.kept is not None and "row" in pairs.columns:  # a kept steward pair's levels
        extra = extra.join(night.kept.select("i_l", "i_r", "row"), on=["i_l", "i_r"],
                           how="left", maintain_order="left")
    return pl.concat([pairs, extra], how="diagonal"), decided


def _plan(rec: pl.DataFrame, state: incremental.LinkState | None, s: LinkSettings,
          full: bool, today: date, stats: dict, own_k2i: np.ndarray | None) -> _Night:
    """Decide the night's mode (``incremental.plan``) and say it in ``stats``."""
    mode, reason, k2i = incremental.plan(state, s, full, today,
                                         rec.select("record_key", "fingerprint"), own_k2i)
    stats["link_mode"], stats["link_mode_reason"] = mode, reason
    log.info("link: %s night: %s", mode, reason)
    if k2i is not None:
        stats["records_new_or_changed"] = int(rec.height - (k2i >= 0).sum())
        stats["records_gone_or_changed"] = int((k2i < 0).sum())
    return _Night(mode, reason, today) if k2i is None else _Night(
        mode, reason, today, state, k2i, kept=incremental.kept_pairs(state, k2i))


def _people(rec: pl.DataFrame, scored: pl.DataFrame, decided: pl.DataFrame,
            previous_ids: pl.DataFrame | None, s: LinkSettings, night: _Night, stats: dict
            ) -> tuple[pl.DataFrame, np.ndarray, pl.DataFrame, dict]:
    """Cluster, place records without a usable ID by exclusivity (``assign``; linked pairs
    kept apart become uncertain) and give stable person ids: on an incremental night only
    in the components a change touches (``regroup``). Also returns what the state keeps."""
    t = _mark()
    codes = regroup.codes(scored, rec["id_valid"].to_numpy(), s)
    one_list = regroup.one_list_hash(rec)
    kept = regroup.usable(night.state, night.k2i, rec.height, s)
    redo = None if kept is None or night.rows is None else regroup.touched(
        kept, night.rows, codes, scored, one_list)
    stats["records_reclustered"] = rec.height if redo is None else int(redo.sum())
    labels, stats["assign"] = regroup.labels_of(rec, scored, decided, s, kept, redo)
    scored = _refused_to_uncertain(scored, labels, stats)
    t = _lap(stats, "cluster", t)
    person_id, exact, salted = regroup.person_ids(rec["record_key"], labels, previous_ids, kept,
                                                 redo)
    size = cluster.sizes(labels)
    links = rec.select("record_id", "record_key").with_columns(person_id=person_id,
                                                               cluster_size=size)
    _lap(stats, "ids", t)
    return scored, labels, links, {"codes": codes, "labels": labels, "person_id": person_id,
                                   "exact": exact, "one_list": one_list, "salted": salted}


def _outputs(
    rec: pl.DataFrame, scored: pl.DataFrame, labels: np.ndarray, links: pl.DataFrame,
    decided: pl.DataFrame, s: LinkSettings, stats: dict, fitted: model.Model,
    levels: Combinations,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Return the pairs (with each comparison's weight ``w_<name>``, from its level), the
    ranked steward queue and the candidates of records without ID."""
    names = [c.name for c in s.comparisons]
    scored = pl.concat([scored.drop("combo"), per_pair(fitted, levels, s.comparisons)],
                       how="horizontal")
    rid = rec.get_column("record_id")
    out_pairs = scored.select(
        record_id_l=rid.gather(scored["i_l"]),
        record_id_r=rid.gather(scored["i_r"]),
        match_weight="match_weight",
        match_probability="match_probability",
        status=pl.col("status").cast(pl.String),
        block_rule=pl.col("block_rule").cast(pl.String),
        **{f"w_{f}": f"w_{f}" for f in names},
        explain="explain",
    )
    no_links = decided.filter(pl.col("decision") == "no_link")
    uncertain = queue.steward_queue(rec, scored, labels, no_links, s.queue_margin)
    queued = pl.concat([uncertain["record_id_l"], uncertain["record_id_r"]])
    cands = queue.candidates(scored, rec, links["person_id"], queued, s.candidates_per_record)
    stats["status_counts"] = dict(out_pairs.group_by("status").len().iter_rows())
    stats["queue"] = queue.queue_stats(uncertain, cands, rec.height,
                                       stats["status_counts"].get("uncertain", 0))
    return out_pairs, uncertain, cands


def _next_state(rec: pl.DataFrame, keys: pl.DataFrame, scored: pl.DataFrame, s: LinkSettings,
                night: _Night, people: dict, previous_ids: pl.DataFrame | None,
                heads: pl.DataFrame | None = None) -> incremental.LinkState:
    """What the next night keeps: the model, records and their facts, pairs, people, heads."""
    state = incremental.new_state({**night.model, "over_cap": night.over_cap,
                                   "extracts": extracts_of(rec)},
                                  rec.with_columns(content=keys["content"]), scored,
                                  [c.name for c in s.comparisons],
                                  [r.name for r in blocking.resolve_rules(s.blocking_rules)],
                                  night.facts)
    regroup.keep(state, people["codes"], people["labels"], people["person_id"], people["exact"],
                 people["one_list"], previous_ids, s, people["salted"])
    state.heads = heads
    return state


def link_records(
    records: pl.DataFrame, settings: LinkSettings | None = None,
    decisions: pl.DataFrame | None = None, previous_ids: pl.DataFrame | None = None,
    evidence: pl.DataFrame | None = None, state: incremental.LinkState | None = None,
    full: bool = False, today: date | None = None, keys: pl.DataFrame | None = None,
) -> LinkResult:
    """Link person records into people with stable person ids.

    Args:
        records: a ``person_records`` frame (``COMMON_COLUMNS``).
        settings: comparisons, blocking rules, thresholds, model sizes; defaults to
            ``LinkSettings()``.
        decisions: steward decisions: record_key_l, record_key_r (each a record_key or a
            record_id; ``record_id_l`` / ``record_id_r`` columns are accepted too),
            decision (``link`` | ``no_link``), decided_by, decided_at. Decisions naming
            no current record are counted in ``stats["unresolved_decisions"]``.
        previous_ids: record_key, person_id from the last run.
        evidence: ``evidence.record_evidence(tables)``: household heads, hospitals and
            dates, clinics per record_id; without it those comparisons are null.
        state: the last night's ``LinkResult.state``: an incremental night when it fits
            (``incremental.plan``; ``stats["link_mode"]`` and ``["link_mode_reason"]`` say).
        full: a full night (model re-fit, every pair compared) whatever the state.
        today: the day, for the kept model's age (default: today).
        keys: the records' keys when the caller has them (``record_keys_of(records, state)``).

    Returns:
        A ``LinkResult``.

    Examples:
        >>> result = link_records(records)  # doctest: +SKIP
        >>> result.links.group_by("person_id").len()  # doctest: +SKIP
    """
    s = settings or LinkSettings()
    stats: dict = {"seconds": {}, "cpu_seconds": {}}
    t0 = t = _mark()
    rec, keys, own_k2i = prepared(records, evidence, state, keys, reuse=not full)
    heads = heads_known(evidence)  # as normalised tonight: the next night's (``learn_heads``)
    del records, evidence  # attached to rec: the caller's temporary evidence is freed
    night = _plan(rec, state, s, full, today or date.today(), stats, own_k2i)
    night.facts = rec.select(pl.col(*FACTS).cast(pl.UInt32))  # counts and bits, as kept
    rec = rec.drop(*night.facts.columns, *PREPARE_ONLY)
    t = _lap(stats, "prepare", t)
    pairs, decided = _block(rec, s, decisions, night, stats)
    _lap(stats, "block", t)
    scored = _status(rec, _score(rec, pairs, s, night, stats), decided, s, night.ids)
    rec = rec.drop(*SCORE_ONLY, strict=False)  # what only coding the comparisons read
    del pairs  # scored holds its columns but ``row``: the kept rows are in night.rows now
    night.kept = night.ids = night.ahead = None  # blocking's, ``_levels``' and the status'
    scored, labels, links, people = _people(rec, scored, decided, previous_ids, s, night, stats)
    state = night.state = night.k2i = None  # the kept state: people are placed (0.25 GB at 1M)
    t = _mark()
    out_pairs, uncertain, cands = _outputs(rec, scored, labels, links, decided, s, stats,
                                           night.fitted, night.combos)
    t = _lap(stats, "output", t)
    state = _next_state(rec, keys, scored, s, night, people, previous_ids, heads)
    _lap(stats, "state", t)
    _lap(stats, "total", t0)
    return LinkResult(links=links, pairs=out_pairs, uncertain=uncertain, stats=stats,
                      id_map=links.select("record_key", "person_id"), candidates=cands,
                      state=state)


__all__ = ["NULL", "ONE_ROW_EXTRACTS", "LinkResult", "link_records", "prepare_records",
           "record_keys_of"]
