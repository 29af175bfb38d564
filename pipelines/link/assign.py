"""Placing records without a usable ID after clustering, by exclusivity among their people.

A pair's weight judges two records alone. A record without an ID (an inpatient settlement:
name, sex, hospital, dates) is compared with every holder of its name, and what decides it
is how its best person compares with the *other* people it could be:

- **Ambiguous links are undone.** A record without a usable ID linked into a person while
  another person (with a valid ID) scores within ``ambiguous_margin`` bits of its own
  best pair is taken out again (a coin toss between two 艾合买提 with other stays is not a
  link); its pairs become ``uncertain`` and the steward queue shows its candidates.
- **Exclusive candidates are placed.** A cluster without any valid ID (a settlement left
  alone) whose best person scores at least ``assign_weight`` and beats every other person
  by ``assign_margin`` bits or more joins that person: among the holders of the name, one
  person is consistent with the stay (its hospital, other stays) and the others are not.
  The best pair must have a confirming level (the whole name, or the ID), as for any link:
  twins share birth date, village and surname.

Both respect the cannot-link constraints (``cluster.violating``: one list, two valid IDs,
birth dates, steward no-links); records with a steward decision are left as decided.
Thresholds are settings (``LinkSettings.assign_weight``, ``assign_margin``,
``ambiguous_margin``); docs/linkage.md gives their measured precision per class.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.link.cluster import cannot_link_facts, value_codes, violating
from pipelines.link.settings import LinkSettings

DECIDED = ("decided_link", "decided_no_link")


def confirms(scored: pl.DataFrame, s: LinkSettings) -> pl.Expr:
    """Return whether a pair has a confirming level (``Level.confirms``) in any comparison,
    as a link at ``accept_weight`` and a placement require: twins share birth date, village
    and surname, never the whole name or the ID."""
    flags = [
        pl.col(f"lv_{c.name}").is_in([k for k, lv in enumerate(c.levels) if lv.confirms])
        for c in s.comparisons
        if any(lv.confirms for lv in c.levels) and f"lv_{c.name}" in scored.columns
    ]
    if not s.require_confirming_level or not flags:
        return pl.lit(True)
    return pl.any_horizontal(flags)


def _loose_sides(rec: pl.DataFrame, scored: pl.DataFrame, s: LinkSettings) -> pl.DataFrame:
    """Return per pair and side without a valid ID: r (that record), o (the other record),
    w (the pair's weight), conf (it has a confirming level). Pairs of one list (a
    cannot-link) and records with a steward decision are left out. The labels play no
    part: ``place`` scores these against the clusters once, or twice when it undoes links.
    """
    il, ir = scored["i_l"].to_numpy(), scored["i_r"].to_numpy()
    w = scored["match_weight"].to_numpy()
    conf = scored.select(confirms(scored, s)).to_series()
    conf = np.broadcast_to(conf.to_numpy(), w.shape) if len(conf) == 1 else conf.to_numpy()
    valid = rec["id_valid"].to_numpy()
    lists = value_codes(rec["one_list"]).fill_null(-1).to_numpy()
    touched = np.zeros(rec.height, dtype=bool)
    decided = scored["status"].is_in(DECIDED).to_numpy()
    touched[il[decided]], touched[ir[decided]] = True, True
    parts = []  # each side only where it has no valid ID: not every pair twice
    for mine, other in ((il, ir), (ir, il)):
        at = np.flatnonzero(~valid[mine])
        r, o = mine[at], other[at]
        lr, lo = lists[r], lists[o]
        keep = ~touched[r] & ((lr != lo) | (lr < 0) | (lo < 0))
        at = at[keep]
        parts.append(pl.DataFrame({"r": r[keep], "o": o[keep], "w": w[at], "conf": conf[at]}))
    return pl.concat(parts)


def _scores(rec: pl.DataFrame, loose: pl.DataFrame, labels: np.ndarray) -> pl.DataFrame:
    """Return per (record without a valid ID, other cluster) the best pair weight.

    Columns: r (record), own (its cluster), c (the other record's cluster), w (the best
    weight), wc (the best weight of a pair with a confirming level), person (c holds a
    valid ID); ``loose``: ``_loose_sides``.
    """
    labels = np.asarray(labels, dtype=np.int64)
    person = np.zeros(int(labels.max()) + 1 if len(labels) else 0, dtype=bool)
    person[labels[rec["id_valid"].to_numpy()]] = True
    r, o = loose["r"].to_numpy(), loose["o"].to_numpy()
    scores = (
        loose.select("r", "w", "conf", own=pl.Series(labels[r]), c=pl.Series(labels[o]))
        .group_by("r", "own", "c")
        .agg(pl.col("w").max(), wc=pl.col("w").filter(pl.col("conf")).max())
    )
    return scores.with_columns(person=pl.Series(person[scores["c"].to_numpy()]))


def _rescored(rec: pl.DataFrame, loose: pl.DataFrame, labels: np.ndarray,
              scores: pl.DataFrame, moved: np.ndarray) -> pl.DataFrame:
    """``_scores`` after the records ``moved`` (without a valid ID) got labels of their own:
    only the records with a loose side to or from one of them are scored again (the other
    rows and every cluster's ``person`` stay: a moved record holds no valid ID)."""
    r, o = loose["r"].to_numpy(), loose["o"].to_numpy()
    hit = np.zeros(rec.height, dtype=bool)
    hit[moved] = True
    again = np.zeros(rec.height, dtype=bool)
    again[r[hit[r] | hit[o]]] = True
    fresh = _scores(rec, loose.filter(pl.Series(again[r])), labels)
    return pl.concat([scores.filter(~pl.Series(again[scores["r"].to_numpy()])), fresh])


def _best_two(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """Return per ``key`` its best person cluster c1 (weight w1, confirmed weight wc1) and
    the second's weight w2."""
    ranked = (
        frame.group_by(key, "c").agg(pl.col("w").max(), pl.col("wc").max())
        .sort([key, "w", "c"], descending=[False, True, False])
        .with_columns(k=pl.int_range(pl.len()).over(key))
    )
    first = ranked.filter(pl.col("k") == 0).select(key, c1="c", w1="w", wc1="wc")
    second = ranked.filter(pl.col("k") == 1).select(key, w2="w")
    return first.join(second, on=key, how="left")


def _ambiguous(scores: pl.DataFrame, margin: float) -> np.ndarray:
    """Return records without an ID in a person whose best rival person is within ``margin``."""
    own_person = scores.filter((pl.col("c") == pl.col("own")) & pl.col("person"))
    own = own_person.group_by("r").agg(ow=pl.col("w").max())
    rival = (
        scores.filter((pl.col("c") != pl.col("own")) & pl.col("person"))
        .group_by("r").agg(rw=pl.col("w").max())
    )
    hit = own.join(rival, on="r").filter(pl.col("ow") - pl.col("rw") < margin)
    return np.sort(hit["r"].to_numpy())  # (in a fixed order: their new labels)


def _exclusive(scores: pl.DataFrame, weight: float, margin: float) -> pl.DataFrame:
    """Return own (a cluster without a valid ID) -> c1 (the person it joins)."""
    alone = scores.group_by("own").agg(pl.col("person").filter(pl.col("c") == pl.col("own"))
                                       .any().alias("placed"))
    loose = scores.join(alone.filter(~pl.col("placed")), on="own").filter(
        pl.col("c") != pl.col("own"))
    best = _best_two(loose.filter(pl.col("person")), "own")
    return best.filter(
        (pl.col("wc1") >= weight)
        & ((pl.col("w1") - pl.col("w2")).fill_null(np.inf) >= margin)
    ).select("own", "c1")


def place(
    rec: pl.DataFrame, scored: pl.DataFrame, labels: np.ndarray, decided: pl.DataFrame,
    s: LinkSettings,
) -> tuple[np.ndarray, dict]:
    """Return the labels after undoing ambiguous links and placing exclusive candidates.

    Args:
        rec: prepared records (i, id_valid, id_number, one_list, birth_date).
        scored: pairs with i_l, i_r, match_weight, status.
        labels: per record, its cluster.
        decided: steward decisions (i_l, i_r, decision).
        s: the settings (``assign_weight``, ``assign_margin``, ``ambiguous_margin``; a
            margin of 0 switches its step off).

    Returns:
        (new labels, {"ambiguous_undone": n, "placed": n, "placed_refused": n}).
    """
    out = labels.copy()
    loose = _loose_sides(rec, scored, s)
    scores = _scores(rec, loose, labels)
    undone = np.zeros(0, dtype=np.int64)
    if s.ambiguous_margin > 0:
        undone = _ambiguous(scores, s.ambiguous_margin)
    if len(undone):  # the records taken out are loose now; score them anew
        out[undone] = out.max() + 1 + np.arange(len(undone))
        scores = _rescored(rec, loose, out, scores, undone)
    moves = _exclusive(scores, s.assign_weight, s.assign_margin) if s.assign_margin > 0 else (
        pl.DataFrame(schema={"own": pl.Int64, "c1": pl.Int64}))
    order = np.argsort(moves["own"].to_numpy())
    own, target = moves["own"].to_numpy()[order], moves["c1"].to_numpy()[order]
    new = out.copy()
    where = np.isin(out, own)
    new[where] = target[np.searchsorted(own, out[where])]
    facts = cannot_link_facts(rec, decided)
    bad = violating(new, facts["one_row"], facts["valid_id"], facts["no_links"]["i_l"].to_numpy(),
                    facts["no_links"]["i_r"].to_numpy(), facts["birth"])
    refused = np.isin(target, bad)
    revert = where & np.isin(new, bad)
    new[revert] = out[revert]
    return new, {"ambiguous_undone": len(undone), "placed": int((~refused).sum()),
                 "placed_refused": int(refused.sum())}
