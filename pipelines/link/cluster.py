"""Clustering: connected components over linked pairs, honouring cannot-link constraints.

Cannot-link: two records of the same one-row-per-person list (one file and sheet of such an
extract) unless they carry the same valid ID, two records with different valid IDs, two
records whose birth dates disagree outright (more than one of year, month and
day differs, and not a day/month swap: a birthless settlement must not chain a grandmother
and an infant of the same name into one person), and steward no-links. Components are found
for all edges at once (numpy label propagation); only the few components that hold a
violated constraint are re-clustered by a greedy union-find that adds edges in order of
decreasing weight (steward must-links first) and refuses any union that would join a
cannot-link.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.link.runs import runs, sort_order, sorted_values


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return a component label (smallest member index) per node of the graph (a, b).

    Args:
        n: number of nodes.
        a: edge sources.
        b: edge targets.

    Returns:
        int64 labels of length ``n``.
    """
    labels = np.arange(n, dtype=np.int64)
    a, b = a.astype(np.int64), b.astype(np.int64)
    while len(a):
        la, lb = labels[a], labels[b]
        low = np.minimum(la, lb)
        new = labels.copy()
        for idx in (a, b, la, lb):
            np.minimum.at(new, idx, low)
        new = new[new]
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


def sizes(labels: np.ndarray) -> pl.Series:
    """Per record the size of its cluster (a count per label, labels being small
    non-negative integers; else a window over them)."""
    if len(labels) and labels.min() >= 0 and labels.max() <= 8 * len(labels):
        return pl.Series(np.bincount(labels)[labels].astype(np.int64))
    return pl.DataFrame({"c": labels}).select(pl.len().over("c").cast(pl.Int64)).to_series()


def births_conflict(a: int, b: int) -> bool:
    """Return whether two birth dates (YYYYMMDD integers) disagree outright.

    One differing part (a typo) or a day/month swap is compatible.

    Examples:
        >>> births_conflict(19540726, 20260826), births_conflict(19800102, 19800201)
        (True, False)
    """
    ya, ma, da = a // 10000, a // 100 % 100, a % 100
    yb, mb, db = b // 10000, b // 100 % 100, b % 100
    same = (ya == yb) + (ma == mb) + (da == db)
    swapped = ya == yb and ma == db and da == mb
    return same < 2 and not swapped


class _Constrained:
    """Union-find whose unions respect cannot-link constraints (one small component set)."""

    def __init__(
        self, extracts: dict[int, str], valid_ids: dict[int, str], no_links: dict[int, set[int]],
        births: dict[int, int],
    ) -> None:
        self.parent: dict[int, int] = {}
        self.extracts = {i: {e} for i, e in extracts.items()}
        self.valid = dict(valid_ids)
        self.no = {i: set(s) for i, s in no_links.items()}
        self.births = {i: {b} for i, b in births.items()}

    def find(self, x: int) -> int:
        """Return the root of ``x`` (with path halving)."""
        p = self.parent
        while p.get(x, x) != x:
            p[x] = p.get(p[x], p[x])
            x = p[x]
        return x

    def allowed(self, ra: int, rb: int) -> bool:
        """Return whether joining roots ``ra`` and ``rb`` keeps every constraint."""
        va, vb = self.valid.get(ra), self.valid.get(rb)
        if va is not None and vb is not None and va != vb:
            return False
        same_id = va is not None and va == vb
        if not same_id and self.extracts.get(ra, set()) & self.extracts.get(rb, set()):
            return False
        ba, bb = self.births.get(ra, set()), self.births.get(rb, set())
        if any(births_conflict(x, y) for x in ba for y in bb):
            return False
        return not any(self.find(x) == rb for x in self.no.get(ra, ())) and not any(
            self.find(x) == ra for x in self.no.get(rb, ())
        )

    def union(self, a: int, b: int, force: bool) -> None:
        """Join the components of ``a`` and ``b`` when allowed (always when ``force``)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb or not (force or self.allowed(ra, rb)):
            return
        self.parent[rb] = ra
        self.extracts[ra] = self.extracts.get(ra, set()) | self.extracts.pop(rb, set())
        if self.valid.get(ra) is None and rb in self.valid:
            self.valid[ra] = self.valid[rb]
        self.births[ra] = self.births.get(ra, set()) | self.births.pop(rb, set())
        self.no[ra] = self.no.get(ra, set()) | self.no.pop(rb, set())


def _birth_conflicts(labels: np.ndarray, birth: pl.Series) -> np.ndarray:
    """Return the labels of components holding two birth dates that disagree outright.

    Only components holding two different dates are paired up (most hold one): the dates
    sorted by component and date, a component's first and last differ."""
    known = birth.is_not_null().to_numpy()
    c, b = labels[known].astype(np.int64), birth.filter(known).to_numpy().astype(np.int64)
    if not len(c):
        return np.zeros(0, dtype=np.int64)
    if b.min() >= 0 and b.max() < 2**27 and c.min() >= 0 and c.max() < 2**36:
        key = sorted_values(c << 27 | b)  # one int64 sorted: by component, then date
        c, b = key >> 27, key & (2**27 - 1)
    else:
        order = np.lexsort((b, c))
        c, b = c[order], b[order]
    first = np.r_[True, c[1:] != c[:-1]]
    start = np.flatnonzero(first)
    end = np.r_[start[1:], len(c)] - 1
    several = np.repeat(b[start] != b[end], np.diff(np.r_[start, len(c)]))
    distinct = first | np.r_[True, b[1:] != b[:-1]]
    keep = several & distinct
    if not keep.any():
        return np.zeros(0, dtype=np.int64)
    dates = pl.DataFrame({"c": c[keep], "b": b[keep]})
    pairs = dates.join(dates, on="c", suffix="_r").filter(pl.col("b") < pl.col("b_r"))
    a, b = pairs["b"].to_numpy(), pairs["b_r"].to_numpy()
    ya, ma, da = a // 10000, a // 100 % 100, a % 100
    yb, mb, db = b // 10000, b // 100 % 100, b % 100
    same = (ya == yb).astype(int) + (ma == mb) + (da == db)
    swapped = (ya == yb) & (ma == db) & (da == mb)
    return np.unique(pairs["c"].to_numpy()[(same < 2) & ~swapped])


def value_codes(values: pl.Series) -> pl.Series:
    """Per value an integer standing for it (equal values, equal codes; distinct values,
    distinct codes), null for null: a categorical's physical code (text is made one),
    integers as they are."""
    if values.dtype.is_integer():
        return values.cast(pl.Int64)
    if values.dtype != pl.Categorical:
        values = values.cast(pl.String).cast(pl.Categorical)
    return values.to_physical().cast(pl.Int64)


def _spread(g: np.ndarray, v: pl.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per run of one group ``g`` (int64s): its group, whether it holds a null ``v`` or two
    different ones (each value compared with its run's first: exact, no codes or hashes)
    and its length. Runs come in ascending ``g``."""
    if not len(g):
        return g, np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int64)
    order = sort_order(g)
    g = g[order]
    v = v.gather(order)
    start, size = runs(g)
    first = pl.Series(np.repeat(start, size))
    other = (v != v.gather(first)).fill_null(True).to_numpy()  # a null: not one ID
    mixed = np.add.reduceat(other.astype(np.int64), start) > 0
    return g[start], mixed, size


def violating(
    labels: np.ndarray, one_row: pl.Series, valid_id: pl.Series, no_a: np.ndarray, no_b: np.ndarray,
    birth: pl.Series,
) -> np.ndarray:
    """Return the labels of components holding a violated cannot-link constraint.

    Only components of two or more records are looked at, grouped by sorting (``_spread``):
    two rows of one list in a component are one person only when both carry the same valid
    ID (a row without one, or two IDs, breaks it); nor may a component hold two valid IDs.
    """
    n = len(labels)
    labels = np.asarray(labels, dtype=np.int64)
    many = np.bincount(labels)[labels] > 1 if n and labels.min() >= 0 \
        else pl.Series(labels).is_duplicated().to_numpy()
    at = np.flatnonzero(many)
    c, v = labels[at], valid_id.gather(at)
    e = value_codes(one_row).gather(at)
    listed = e.is_not_null().to_numpy()
    e = e.filter(listed).to_numpy()
    width = int(e.max()) + 1 if len(e) else 1
    g, mixed, size = _spread(c[listed] * width + e, v.filter(listed))
    dup_extract = g[mixed & (size > 1)] // width
    ided = v.is_not_null().to_numpy()
    g, mixed, _ = _spread(c[ided], v.filter(ided))
    two_ids = g[mixed]
    no_link = labels[no_a][labels[no_a] == labels[no_b]]
    return np.unique(np.concatenate([dup_extract, two_ids, no_link,
                                     _birth_conflicts(c, birth.gather(at))]))


def cannot_link_facts(rec: pl.DataFrame, decided: pl.DataFrame) -> dict:
    """The cannot-link facts of prepared records, as ``cluster`` and ``violating`` read them:
    ``one_row`` (one list), ``valid_id`` (null when unusable), ``no_links`` (the steward's
    no_link pairs: i_l, i_r) and ``birth`` (YYYYMMDD integer, null when unknown)."""
    birth = rec.select(
        pl.col("birth_date").dt.year() * 10000 + pl.col("birth_date").dt.month() * 100
        + pl.col("birth_date").dt.day()
    ).to_series().cast(pl.Int64)
    return {"one_row": rec["one_list"],
            "valid_id": rec.select(pl.when(pl.col("id_valid")).then("id_number")).to_series(),
            "no_links": decided.filter(pl.col("decision") == "no_link").select("i_l", "i_r"),
            "birth": birth}


def cluster(
    n: int, edges: pl.DataFrame, one_row: pl.Series, valid_id: pl.Series, no_links: pl.DataFrame,
    birth: pl.Series | None = None,
) -> np.ndarray:
    """Return a cluster label per record.

    Args:
        n: number of records.
        edges: i_l, i_r, weight, forced (bool: steward must-link).
        one_row: per record, its list (extract, file, sheet) when the extract lists each person
            once, else null.
        valid_id: per record, its ID when valid, else null.
        no_links: i_l, i_r of steward no-link decisions.
        birth: per record, its birth date as a YYYYMMDD integer, or null.

    Returns:
        int64 labels of length ``n``; equal labels are one person.
    """
    a, b = edges["i_l"].to_numpy(), edges["i_r"].to_numpy()
    labels = components(n, a, b)
    no_a, no_b = no_links["i_l"].to_numpy(), no_links["i_r"].to_numpy()
    if birth is None:
        birth = pl.Series("b", [None] * n, dtype=pl.Int64)
    bad = violating(labels, one_row, valid_id, no_a, no_b, birth)
    if not len(bad):
        return labels
    in_bad = np.isin(labels, bad)
    nodes = np.flatnonzero(in_bad)
    sub = edges.filter(pl.Series(in_bad[a])).sort(
        ["forced", "weight", "i_l", "i_r"], descending=[True, True, False, False]
    )
    extracts = {
        int(i): e for i, e in zip(nodes, one_row.gather(nodes), strict=True) if e is not None
    }
    valids = {
        int(i): v for i, v in zip(nodes, valid_id.gather(nodes), strict=True) if v is not None
    }
    births = {
        int(i): int(v) for i, v in zip(nodes, birth.gather(nodes), strict=True) if v is not None
    }
    partners: dict[int, set[int]] = {}
    for x, y in zip(no_a.tolist(), no_b.tolist(), strict=True):
        partners.setdefault(x, set()).add(y)
        partners.setdefault(y, set()).add(x)
    uf = _Constrained(extracts, valids, partners, births)
    for x, y, forced in sub.select("i_l", "i_r", "forced").iter_rows():
        uf.union(x, y, forced)
    out = labels.copy()
    roots = np.array([uf.find(int(i)) for i in nodes], dtype=np.int64)
    out[nodes] = n + roots  # fresh labels, disjoint from untouched components
    return out
