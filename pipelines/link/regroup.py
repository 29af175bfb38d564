"""Incremental nights: cluster, place and name only the people a night's changes touch.

Clustering, the exclusivity step (``assign.place``) and the refusal of linked pairs kept apart
form one function of the *people graph* H: the pairs that are linked or steward-decided, and
every pair with a side without a valid ID weighing ``floor`` or more (the exclusivity step
reads those, whatever their status; lighter ones cannot change what it does, and it reads
no other pair). Each of its steps reads only the pairs, records and
steward no-links inside one component of H (a cluster, a record's best and rival people,
a placement, a violated constraint never leave it), and within a component only the pairs'
weights, levels and pre-refusal statuses, the records' ID, birth date and one-row list, and
the records' relative order (the tie-break of the constrained union-find). So a component
of tonight's H that is exactly a component of last night's H, with the same inputs, has
last night's people.

A component is **touched** when it holds a *seed*: a new or changed record (its fingerprint
covers ID, birth date and the weights' inputs), a record whose one-row list changed, an end
of a pair of H (tonight's or last night's) that is new, gone or has another status, or an end
of last night's H pair to a record gone. Every component without a seed is then a component
of last night's H with the same pairs and statuses (a boundary pair to another record would
be gone or changed, and seed it), so it keeps last night's clusters. Only the touched
components are clustered and placed again. No reuse (everything again) when the state
keeps no people, the thresholds changed, or clean records changed their relative order.

Person ids (``ids.assign_person_ids``): a cluster that is exactly a previous person keeps
that id whatever the rest does. An untouched cluster is exactly its last-night person when
tonight's previous ids are last night's output, and exactly the previous person it was
last night when they are last night's previous ids (compared by hash); the other clusters
go through the one-to-one matching with the previous persons they overlap, new ids
avoiding every previous id. Without previous ids on either night, an untouched cluster keeps
its id unless a clash could move it (``_plain_reuse``). So the ids are a full night's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.link import assign, cluster, ids
from pipelines.link.settings import LinkSettings

# pre-refusal statuses as kept per pair; + IN_H when the pair is in the people graph
STATUS_CODES = {"linked": 0, "uncertain": 1, "rejected": 2, "decided_link": 3,
                "decided_no_link": 4}
IN_H = 8
PEOPLE_VERSION = 1  # what the kept people mean (the people graph's definition)


def people_settings_hash(s: LinkSettings) -> str:
    """A short hash of the settings that turn weights into statuses and people."""
    kept = (PEOPLE_VERSION, s.accept_weight, s.review_weight, s.require_confirming_level,
            s.assign_weight, s.assign_margin, s.ambiguous_margin)
    return hashlib.sha256(repr(kept).encode()).hexdigest()[:16]


def id_map_hash(frame: pl.DataFrame | None) -> str:
    """An order-free hash of a record_key, person_id frame (``empty`` for none); its seed is
    fixed, so it is the same in every process of one polars version (``plan`` checks it)."""
    if frame is None or frame.height == 0:
        return "empty"
    rows = frame.select("record_key", "person_id").hash_rows(seed=11).to_numpy()
    return f"{frame.height}:{int(rows.sum(dtype=np.uint64))}"


def floor(s: LinkSettings) -> float:
    """The weight below which a pair that is not linked or decided cannot move a record
    without a valid ID (``assign.place``): a linked record's best pair into its own person
    weighs ``accept_weight`` or more, so a rival more than ``ambiguous_margin`` below it is
    no rival; a person is joined only on a pair of ``assign_weight`` or more, and a runner-up
    more than ``assign_margin`` below that passes the margin as an absent one does."""
    cuts = [s.accept_weight - s.ambiguous_margin] if s.ambiguous_margin > 0 else []
    cuts += [s.assign_weight - s.assign_margin] if s.assign_margin > 0 else []
    return min(cuts, default=np.inf)


def codes(scored: pl.DataFrame, valid: np.ndarray, s: LinkSettings) -> np.ndarray:
    """Per pair its kept code: the pre-refusal status, + ``IN_H`` when in the people graph
    (linked or decided, or a side without a valid ID and a weight of ``floor`` or more)."""
    st = scored["status"].replace_strict(STATUS_CODES, return_dtype=pl.UInt8).to_numpy()
    il, ir = scored["i_l"].to_numpy(), scored["i_r"].to_numpy()
    read = (~valid[il] | ~valid[ir]) & (scored["match_weight"].to_numpy() >= floor(s))
    in_h = (st == 0) | (st >= 3) | read
    return (st + IN_H * in_h).astype(np.uint8)


def spread(seed: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The records in a component (of the graph a-b) that holds a seed."""
    reached = seed.copy()
    while len(a):
        ra, rb = reached[a], reached[b]
        grow = ra != rb
        if not grow.any():
            break
        reached[a[grow]] = True
        reached[b[grow]] = True
        keep = ~(ra & rb)
        a, b = a[keep], b[keep]
    return reached


@dataclass
class Kept:
    """Last night's state beside tonight's records: ``k2i`` per kept record its position
    tonight (-1 when gone or changed), ``i2k`` per record tonight its kept position (-1 when
    new or changed). The state keeps per record ``person`` (the kept position of the first
    record of its cluster), ``person_id``, ``exact`` (its cluster was exactly a previous
    person), ``one_list`` (a hash of its one-row list); per pair ``status`` (``codes``); and
    ``model["people"]``: the settings' hash, the previous ids' and the output ids' hashes."""

    state: object
    k2i: np.ndarray
    i2k: np.ndarray


def usable(state, k2i: np.ndarray | None, n: int, s: LinkSettings) -> Kept | None:
    """Last night's people when the state keeps them and reuse is exact, else None."""
    if state is None or k2i is None or not state.model.get("people"):
        return None
    if state.model["people"]["settings"] != people_settings_hash(s):
        return None
    if "status" not in state.pairs.columns or "person" not in state.records.columns:
        return None
    clean = k2i[k2i >= 0]
    if len(clean) > 1 and not (np.diff(clean) > 0).all():  # clean records reordered
        return None
    i2k = np.full(n, -1, dtype=np.int64)
    i2k[clean] = np.flatnonzero(k2i >= 0)
    return Kept(state, k2i, i2k)


def one_list_hash(rec: pl.DataFrame) -> np.ndarray:
    """Per record a hash of its one-row list (its file and sheet when listed once)."""
    return rec["one_list"].cast(pl.String).hash(seed=3).to_numpy()  # as of a String column


def seeds(kept: Kept, rows: np.ndarray, now: np.ndarray, il: np.ndarray, ir: np.ndarray,
          one_list: np.ndarray) -> np.ndarray:
    """Per record tonight, whether it seeds a touched component (module docstring).

    Args:
        kept: last night's people (``usable``).
        rows: per pair tonight its row in the kept pairs, -1 when not kept.
        now: per pair tonight its code (``codes``).
        il, ir: the pairs' records.
        one_list: per record ``one_list_hash``.
    """
    clean = kept.i2k >= 0
    seed = ~clean
    ci = np.flatnonzero(clean)
    was = kept.state.records["one_list"].to_numpy()
    seed[ci[was[kept.i2k[ci]] != one_list[ci]]] = True
    kc = kept.state.pairs["status"].to_numpy()
    found = np.flatnonzero(rows >= 0)
    same = np.zeros(len(rows), dtype=bool)
    same[found] = kc[rows[found]] == now[found]
    moved = ~same & ((now & IN_H) > 0)
    seed[il[moved]] = True
    seed[ir[moved]] = True
    present = np.zeros(len(kc), dtype=bool)
    present[rows[same]] = True
    lost = ~present & ((kc & IN_H) > 0)  # last night's pairs of H not kept as they were
    for side in ("k_l", "k_r"):
        at = kept.k2i[kept.state.pairs[side].to_numpy()[lost]]
        seed[at[at >= 0]] = True
    return seed


def touched(kept: Kept, rows: np.ndarray, now: np.ndarray, scored: pl.DataFrame,
            one_list: np.ndarray) -> np.ndarray:
    """Per record tonight, whether its component of the people graph holds a seed."""
    il, ir = scored["i_l"].to_numpy(), scored["i_r"].to_numpy()
    seed = seeds(kept, rows, now, il, ir, one_list)
    h = (now & IN_H) > 0
    return spread(seed, il[h].astype(np.int64), ir[h].astype(np.int64))


def cluster_and_place(rec: pl.DataFrame, scored: pl.DataFrame, decided: pl.DataFrame,
                      s: LinkSettings) -> tuple[np.ndarray, dict]:
    """Cluster the linked and steward-linked pairs under the cannot-link constraints, then
    place records without a usable ID by exclusivity (``assign.place``)."""
    edges = scored.filter(pl.col("status").is_in(["linked", "decided_link"])).select(
        "i_l", "i_r", weight="match_weight", forced=pl.col("status") == "decided_link"
    )
    labels = cluster.cluster(rec.height, edges, **cluster.cannot_link_facts(rec, decided))
    return assign.place(rec, scored, labels, decided, s)


def _within(frame: pl.DataFrame, redo: np.ndarray, pos: np.ndarray) -> pl.DataFrame:
    """The pairs of ``frame`` with both records in ``redo``, at their positions there."""
    il, ir = frame["i_l"].to_numpy(), frame["i_r"].to_numpy()
    inside = redo[il] & redo[ir]
    dtype = frame.schema["i_l"]
    return frame.filter(pl.Series(inside)).with_columns(
        i_l=pl.Series(pos[il[inside]]).cast(dtype), i_r=pl.Series(pos[ir[inside]]).cast(dtype))


def labels_of(rec: pl.DataFrame, scored: pl.DataFrame, decided: pl.DataFrame,
              s: LinkSettings, kept: Kept | None, redo: np.ndarray | None
              ) -> tuple[np.ndarray, dict]:
    """Per record its person label: last night's for the untouched components (``redo``
    False), clustered and placed again for the others (all of them without ``kept``)."""
    if kept is None or redo is None or redo.all():
        return cluster_and_place(rec, scored, decided, s)
    n = rec.height
    labels = np.empty(n, dtype=np.int64)
    keep = np.flatnonzero(~redo)
    first = kept.state.records["person"].to_numpy().astype(np.int64)
    labels[keep] = kept.k2i[first[kept.i2k[keep]]]
    if (labels[keep] < 0).any():  # cannot happen (the module docstring): do it all again
        return cluster_and_place(rec, scored, decided, s)
    sel = np.flatnonzero(redo)
    pos = np.full(n, -1, dtype=np.int64)
    pos[sel] = np.arange(len(sel))
    sub = rec.select("id_valid", "id_number", "one_list", "birth_date")[sel].with_columns(
        i=pl.int_range(len(sel), dtype=rec.schema["i"]))
    got, stats = cluster_and_place(sub, _within(scored, redo, pos), _within(decided, redo, pos),
                                   s)
    labels[sel] = n + got
    return labels, stats


def person_ids(keys: pl.Series, labels: np.ndarray, previous: pl.DataFrame | None,
               kept: Kept | None, redo: np.ndarray | None
               ) -> tuple[pl.Series, np.ndarray, list[list] | None]:
    """Per record its person id and whether its cluster is exactly a previous person, and
    the new ids salted when every cluster is new (``ids.person_ids_of``; else None).

    Untouched clusters that are exactly a previous person (module docstring) take its id
    from the state; the others go through ``ids.assign_person_ids`` with the previous
    persons they overlap (new ids avoid every previous id). Without previous ids, untouched
    clusters keep their ids when no new id can clash (``_plain_reuse``).
    """
    n = len(labels)
    reuse = np.zeros(n, dtype=bool)
    if kept is not None and redo is not None:
        quick = _plain_reuse(keys, labels, previous, kept, redo)
        if quick is not None:
            return quick[0], reuse, quick[1]
        people, h = kept.state.model["people"], id_map_hash(previous)
        if h == people["output"]:
            reuse = ~redo
        elif h == people["previous"]:
            was = kept.state.records["exact"].to_numpy()
            reuse[~redo] = was[kept.i2k[~redo]]
    out = pl.repeat(None, n, dtype=pl.String, eager=True).alias("person_id")
    at = np.flatnonzero(reuse)
    if len(at):
        out = out.scatter(at, kept.state.records["person_id"].gather(kept.i2k[at]))
    rest = np.flatnonzero(~reuse)
    exact, salted = reuse.copy(), None
    if len(rest):
        clusters = pl.DataFrame({"record_key": keys.gather(rest), "cluster": labels[rest]})
        got, salted = ids.person_ids_of(clusters, _overlapping(previous, clusters,
                                                               len(rest) < n))
        out = out.scatter(rest, got["person_id"])
        exact[rest] = got["exact"].to_numpy()
    return out, exact, None if len(at) else salted


def _plain_reuse(keys: pl.Series, labels: np.ndarray, previous: pl.DataFrame | None,
                 kept: Kept, redo: np.ndarray) -> tuple[pl.Series, list[list]] | None:
    """Tonight's person ids and salted ids when neither night has previous ids, else None.

    Every cluster then takes ``P`` + its smallest key's hash (``ids.plain_ids``) unless two
    clash: the later is salted (last night's kept as ``[plain id, salted id, salt]``). An
    untouched cluster is one of last night's (the same records and keys), so a full night
    gives it its kept id, and the re-clustered ones their plain ids, when: no re-clustered
    id clashes with another or with a kept id, no cluster of a clash was re-clustered or
    gone, and no salted id needed a second salt (one it passed over could be free now).
    Else None: every cluster is named again, as before."""
    people = kept.state.model["people"]
    salted = people.get("salted")
    # (previous ids given: ``id_map_hash`` not "empty", told without hashing 2M rows)
    if (previous is not None and previous.height) or people["previous"] != "empty" \
            or salted is None or any(salt != 1 for _, _, salt in salted):
        return None
    k2i = kept.k2i
    old = k2i < 0  # last night's records gone, changed, or tonight in a touched component
    old[~old] = redo[k2i[~old]]
    clashed = pl.Series([i for p, q, _ in salted for i in (p, q)], dtype=pl.String)
    if len(salted) and kept.state.records["person_id"].filter(pl.Series(old)).is_in(
            clashed.implode()).any():
        return None
    same, rest = np.flatnonzero(~redo), np.flatnonzero(redo)
    ids_same = kept.state.records["person_id"].gather(kept.i2k[same])
    clusters = pl.DataFrame({"record_key": keys.gather(rest), "cluster": labels[rest]})
    fresh = clusters.group_by("cluster").agg(min_key=pl.col("record_key").min())
    fresh = fresh.with_columns(person_id=ids.plain_ids(fresh["min_key"]))
    if fresh["person_id"].is_duplicated().any() or \
            ids_same.is_in(fresh["person_id"].implode()).any():
        return None
    new = clusters.join(fresh, on="cluster", how="left", maintain_order="left")["person_id"]
    out = pl.repeat(None, len(labels), dtype=pl.String, eager=True).alias("person_id")
    out = out.scatter(same, ids_same).scatter(rest, new) if len(same) else new.alias("person_id")
    here = set(ids_same.filter(ids_same.is_in(clashed.implode())).to_list()) if salted else ()
    return out, [entry for entry in salted if entry[1] in here]  # the clashes still here


def _overlapping(previous: pl.DataFrame | None, clusters: pl.DataFrame, few: bool
                 ) -> ids.Previous:
    """The previous persons (all their records) that share a record with ``clusters`` (all
    of them unless ``few``), and every previous id (taken)."""
    if previous is None:
        return ids.Previous(None, None)
    if not few:
        return ids.Previous(previous, None)
    hit = previous.filter(pl.col("record_key").is_in(clusters["record_key"].implode()))
    return ids.Previous(previous.filter(pl.col("person_id").is_in(hit["person_id"].implode())),
                        previous["person_id"])


def _first_of(labels: np.ndarray) -> pl.Series:
    """Per record the position of the first record of its label: by ``np.minimum.at`` over
    the labels when they are small non-negative integers (a night's are below twice the
    records: 1M residents 0.45 -> 0.09 CPU s), else a window over them."""
    n = len(labels)
    if n and labels.min() >= 0 and labels.max() <= 8 * n:
        first = np.full(int(labels.max()) + 1, n, dtype=np.int64)
        np.minimum.at(first, labels, np.arange(n, dtype=np.int64))
        return pl.Series("k", first[labels], dtype=pl.UInt32)
    return pl.DataFrame({"c": labels}).with_row_index("k").select(
        pl.col("k").min().over("c")).to_series()


def keep(state, scored_codes: np.ndarray, labels: np.ndarray, person_id: pl.Series,
         exact: np.ndarray, one_list: np.ndarray, previous: pl.DataFrame | None,
         s: LinkSettings, salted: list[list] | None = None) -> None:
    """Add tonight's people to the state it keeps (``Kept``; ``salted``: the new ids
    salted when every cluster was new, ``person_ids``), in place."""
    n = len(labels)
    state.records = state.records.with_columns(
        person=_first_of(labels), person_id=person_id, exact=pl.Series(exact), one_list=pl.Series(
            one_list) if n else pl.Series([], dtype=pl.UInt64))
    state.pairs = state.pairs.with_columns(status=pl.Series(scored_codes, dtype=pl.UInt8))
    state.model = {**state.model, "people": {
        "settings": people_settings_hash(s), "previous": id_map_hash(previous), "salted": salted,
        "output": id_map_hash(pl.DataFrame({"record_key": state.records["record_key"],
                                            "person_id": person_id}))}}
