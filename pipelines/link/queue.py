"""The steward queue: uncertain pairs ranked by what a decision would change, and the few
candidate people of each record without a usable ID.

The linker does not see the mismatch rules' data (roster status, enrolment status, dates),
so the impact of a decision is estimated from the extracts on each side (``IMPACT_RULES``,
a documented proxy): linking a poverty-roster person to a family-doctor contract their
cluster lacks can turn ``no_doctor_contract`` off; linking a death record to someone active
elsewhere can turn ``dead_but_active`` on; two records placed in different villages can
turn ``village_conflict`` on. A pair whose records already sit in one person (linked
through other records) changes nothing and goes last.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.link.ids import mask_id

# (mismatch rule, extracts on one side, extracts the other side brings and the first lacks)
IMPACT_RULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("no_doctor_contract", ("poverty_roster",), ("doctor_contract",)),
    ("not_insured", ("poverty_roster",), ("enrolment",)),
    ("settlement_not_in_ledger", ("poverty_roster", "illness_ledger"), ("settlement",)),
    ("ledger_without_settlement", ("illness_ledger",), ("settlement",)),
    ("dead_but_active", ("death",), ("poverty_roster", "enrolment", "assistance",
                                     "doctor_contract", "chronic_followup", "settlement")),
    ("assistance_illness_not_monitored", ("assistance",), ("poverty_roster",)),
)
SETTLED = "already one person"
SIDE_COLUMNS = (
    "name",
    "id_masked",
    "birth_date",
    "sex",
    "village_code",
    "extract",
    "source_file",
    "row_number",
)


def _masks(extract: pl.Series, labels: np.ndarray, wanted: np.ndarray, names: list[str]
           ) -> np.ndarray:
    """Return per wanted cluster label the bit mask of the extracts present in it."""
    keep = np.isin(labels, wanted)
    bit = extract.filter(pl.Series(keep)).replace_strict(
        {e: 1 << k for k, e in enumerate(names)}, default=0, return_dtype=pl.Int64)
    per = (
        pl.DataFrame({"c": labels[keep], "b": bit})
        .group_by("c")
        .agg(m=pl.col("b").unique().sum())
    )
    return (
        pl.DataFrame({"c": wanted})
        .join(per, on="c", how="left", maintain_order="left")["m"]
        .fill_null(0)
        .to_numpy()
    )


def impact(
    extract: pl.Series, village: pl.Series, labels: np.ndarray, i_l: np.ndarray, i_r: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """Return per pair how many mismatch rules its decision may turn on or off, and which.

    Args:
        extract: per record, its extract.
        village: per record, its village code (null if unknown).
        labels: per record, its cluster after linkage.
        i_l: left record positions of the pairs.
        i_r: right record positions.

    Returns:
        (impact count per pair, reasons per pair: rule names joined by ", ", or
        ``SETTLED`` when both records already form one person).
    """
    names = sorted(extract.drop_nulls().unique().to_list())
    wanted, where = np.unique(np.concatenate([labels[i_l], labels[i_r]]), return_inverse=True)
    masks = _masks(extract, labels, wanted, names)[where]
    ml, mr = masks[: len(i_l)], masks[len(i_l):]

    def bits(group: tuple[str, ...]) -> int:
        return sum(1 << names.index(e) for e in group if e in names)

    hits = []
    for rule, side, other in IMPACT_RULES:
        a, b = bits(side), bits(other)
        fired = ((ml & a > 0) & (ml & b == 0) & (mr & b > 0)) | (
            (mr & a > 0) & (mr & b == 0) & (ml & b > 0)
        )
        hits.append((rule, fired))
    v = village.to_numpy()
    known = pl.Series(v).is_not_null().to_numpy()
    conflict = known[i_l] & known[i_r] & (v[i_l] != v[i_r])
    hits.append(("village_conflict", conflict))
    settled = labels[i_l] == labels[i_r]
    count = np.where(settled, 0, np.sum([h for _, h in hits], axis=0))
    reasons = pl.select(
        pl.concat_list([pl.when(pl.Series(h)).then(pl.lit(r)) for r, h in hits])
        .list.drop_nulls()
        .list.join(", ")
    ).to_series()
    reason = pl.select(
        pl.when(pl.Series(settled)).then(pl.lit(SETTLED)).otherwise(reasons)
    ).to_series()
    return count.astype(np.int64), reason.to_list()


def one_per_decision(
    unc: pl.DataFrame, labels: np.ndarray, no_links: pl.DataFrame
) -> pl.DataFrame:
    """Keep one pair (the strongest) per pair of current people: one decision settles them.

    A pair between two people a steward has already kept apart (a ``no_link`` between any
    of their records) leaves the queue.

    Args:
        unc: uncertain pairs (i_l, i_r, match_weight, ...).
        labels: per record, its cluster after linkage.
        no_links: i_l, i_r of steward no-link decisions.

    Returns:
        The pairs kept, with ``pairs_behind`` (uncertain pairs between the same people).
    """
    def people(frame: pl.DataFrame) -> pl.DataFrame:
        a = labels[frame["i_l"].to_numpy()]
        b = labels[frame["i_r"].to_numpy()]
        return frame.with_columns(_a=pl.Series(np.minimum(a, b)), _b=pl.Series(np.maximum(a, b)))

    kept_apart = people(no_links).select("_a", "_b").unique()
    return (
        people(unc)
        .join(kept_apart, on=["_a", "_b"], how="anti")
        .sort("match_weight", descending=True, maintain_order=True)
        .with_columns(pairs_behind=pl.len().over("_a", "_b").cast(pl.Int64))
        .unique(["_a", "_b"], keep="first", maintain_order=True)
        .drop("_a", "_b")
    )


def outweighed(unc: pl.DataFrame, pairs: pl.DataFrame, margin: float) -> pl.DataFrame:
    """Drop uncertain pairs a record's own link outweighs by ``margin`` bits or more.

    A settlement 张玮 linked to the only 张玮 (exact name, one holder) also scores an
    uncertain homophone pair with some 张伟; choosing 张伟 would overturn a link 2^margin
    times likelier, so the pair is not worth a steward's time. It stays ``uncertain`` in
    ``pairs``; only the queue leaves it out.

    Args:
        unc: uncertain pairs (i_l, i_r, match_weight, ...).
        pairs: all scored pairs (i_l, i_r, status, match_weight).
        margin: bits by which the record's best link must exceed the pair.

    Returns:
        The uncertain pairs kept.
    """
    involved = pl.concat([unc["i_l"], unc["i_r"]]).unique().implode()
    linked = pairs.filter(
        pl.col("status").is_in(["linked", "decided_link"])
        & (pl.col("i_l").is_in(involved) | pl.col("i_r").is_in(involved))
    )
    best = (
        pl.concat([linked.select(i="i_l", w="match_weight"),
                   linked.select(i="i_r", w="match_weight")])
        .group_by("i")
        .agg(pl.col("w").max())
    )
    return (
        unc.join(best.rename({"i": "i_l", "w": "_wl"}), on="i_l", how="left")
        .join(best.rename({"i": "i_r", "w": "_wr"}), on="i_r", how="left")
        .filter(
            (pl.max_horizontal(pl.col("_wl").fill_null(-1e9), pl.col("_wr").fill_null(-1e9))
             - pl.col("match_weight")) < margin
        )
        .drop("_wl", "_wr")
    )


def rank(uncertain: pl.DataFrame) -> pl.DataFrame:
    """Order the queue: pairs whose decision may change mismatches first (most rules first),
    then other pairs between two people, then pairs inside one person; by weight within, then
    by record ids.

    Args:
        uncertain: pairs with ``impact``, ``impact_reason``, ``match_weight``.

    Returns:
        The pairs sorted, with ``queue_rank`` (1 = first).
    """
    settled = pl.col("impact_reason") == SETTLED
    ids = [c for c in ("record_id_l", "record_id_r") if c in uncertain.columns]
    return uncertain.sort(  # the record ids last: equal pairs in one order on every run
        [settled, pl.col("impact"), pl.col("match_weight"), *ids],
        descending=[False, True, True, *[False] * len(ids)],
        maintain_order=True,
    ).with_columns(queue_rank=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))


def candidates(
    pairs: pl.DataFrame, rec: pl.DataFrame, person: pl.Series, queued: pl.Series, k: int
) -> pl.DataFrame:
    """Return, for each record without a usable ID in the queue, its k best people.

    Args:
        pairs: scored pairs (i_l, i_r, status, match_weight, match_probability, explain).
        rec: prepared records (i, record_id, record_key, id_number).
        person: per record, its person id after linkage.
        queued: record ids appearing in the steward queue.
        k: candidates per record.

    Returns:
        record_id, record_key, rank (1 = best), person_id, current (the record's own
        person), match_weight, match_probability, explain.
    """
    cols = ["i_l", "i_r", "match_weight", "match_probability", "explain"]
    no_id = rec.filter(pl.col("id_number").is_null() & pl.col("record_id").is_in(
        queued.implode())).select(i_l="i", record_id="record_id", record_key="record_key")
    placed = no_id["i_l"].implode()  # only their pairs, not both directions of every pair
    # the records' own pairs first (integers), their statuses then (strings, a few rows)
    live = pairs.select(*cols, "status").filter(
        pl.col("i_l").is_in(placed) | pl.col("i_r").is_in(placed)).filter(
        pl.col("status").is_in(["linked", "uncertain", "decided_link"]))
    both = pl.concat([
        live.select(*cols),
        live.select(pl.col("i_r").alias("i_l"), pl.col("i_l").alias("i_r"), *cols[2:]),
    ])
    pid = pl.DataFrame({"i": rec["i"], "person_id": person})
    out = (
        both.join(no_id, on="i_l")
        .join(pid.rename({"i": "i_r"}), on="i_r")
        .join(pid.rename({"i": "i_l", "person_id": "own"}), on="i_l")
        .sort("match_weight", descending=True)
        .unique(["i_l", "person_id"], keep="first", maintain_order=True)
        .with_columns(rank=pl.int_range(1, pl.len() + 1).over("i_l"))
        .filter(pl.col("rank") <= k)
    )
    return out.sort("i_l", "rank").select(
        "record_id", "record_key", pl.col("rank").cast(pl.Int64), "person_id",
        current=pl.col("person_id") == pl.col("own"), match_weight="match_weight",
        match_probability="match_probability", explain="explain",
    )


def queue_stats(uncertain: pl.DataFrame, cands: pl.DataFrame, n_records: int,
                all_pairs: int) -> dict:
    """Return the queue's size as a workload figure (per 100k records, next to F1).

    ``uncertain_pairs`` counts the queue (one pair per two people); ``uncertain_pairs_all``
    every pair scored uncertain.
    """
    n = uncertain.height
    per = 1e5 / max(n_records, 1)
    actionable = uncertain.filter(pl.col("impact_reason") != SETTLED).height
    with_impact = uncertain.filter(pl.col("impact") > 0).height
    return {
        "uncertain_pairs": n,
        "uncertain_per_100k_records": round(n * per, 1),
        "uncertain_pairs_all": all_pairs,
        "between_two_people": actionable,
        "may_change_a_mismatch": with_impact,
        "records_without_id_to_place": cands["record_id"].n_unique() if cands.height else 0,
    }


def steward_queue(
    rec: pl.DataFrame, pairs: pl.DataFrame, labels: np.ndarray, no_links: pl.DataFrame,
    margin: float,
) -> pl.DataFrame:
    """Return the steward queue: one uncertain pair per two people, side by side (IDs
    masked), ranked by what a decision would change (``queue``), with ``impact``,
    ``impact_reason``, ``pairs_behind``, ``queue_rank``."""
    unc = pairs.filter(pl.col("status") == "uncertain").select(
        "i_l", "i_r", "match_weight", "match_probability", "explain"
    )
    unc = outweighed(unc, pairs, margin)
    unc = one_per_decision(unc, labels, no_links)
    involved = pl.concat([unc["i_l"], unc["i_r"]]).unique().implode()
    side = rec.filter(pl.col("i").is_in(involved)).select(
        "i",
        "record_id",
        "record_key",
        "name",
        id_masked=mask_id(pl.col("id_number")),
        birth_date="birth_date",
        sex="sex",
        village_code="village_code",
        extract="extract",
        source_file="source_file",
        row_number="row_number",
    )
    count, reason = impact(
        rec["extract"], rec["village_code"], labels, unc["i_l"].to_numpy(), unc["i_r"].to_numpy()
    )
    unc = unc.with_columns(impact=pl.Series(count), impact_reason=pl.Series(reason,
                                                                             dtype=pl.String))
    cols = ["record_id", "record_key", *SIDE_COLUMNS]
    joined = (
        unc.join(side.rename({c: f"{c}_l" for c in ["i", *cols]}), on="i_l", how="left")
        .join(side.rename({c: f"{c}_r" for c in ["i", *cols]}), on="i_r", how="left")
        .select(
            "record_id_l",
            "record_id_r",
            "record_key_l",
            "record_key_r",
            *[f"{c}_{s}" for c in SIDE_COLUMNS for s in "lr"],
            "match_weight",
            "match_probability",
            "explain",
            "impact",
            "impact_reason",
            "pairs_behind",
        )
    )
    return rank(joined)
