"""Record keys (content fingerprints) and stable person ids across runs."""

from __future__ import annotations

import hashlib
from typing import NamedTuple

import duckdb
import numpy as np
import polars as pl

from pipelines.domain.identity import mask_id as mask_id  # the one masker
from pipelines.link.coding import dense_codes
from schemas.canonical import COMMON_COLUMNS

# The normalised content that identifies a record; file names and row numbers are left out
# because they change between runs when nothing about the person does.
KEY_COLUMNS: tuple[str, ...] = (
    "extract",
    "id_number",
    "name",
    "birth_date",
    "sex",
    "township_code",
    "village_code",
    "household_id",
)


def _digest(text: str, size: int) -> str:
    """Return ``size`` hex characters of a BLAKE2b hash of ``text``."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=(size + 1) // 2).hexdigest()[:size]


def _md5_prefix(text: pl.Series) -> pl.Series:
    """Return the first 16 hex characters of the MD5 of each string (DuckDB, vectorised).

    MD5 is standard, so keys stay the same across library versions.
    """
    # a connection of its own, closed after: the default one keeps its memory for the rest
    # of the process. The strings go over as Arrow string views (not copied); the rows are
    # put back in order by their positions here, not by a sort in DuckDB (at 2M records
    # 0.35 GB less at the link's first peak)
    frame = pl.DataFrame({"t": text, "p": pl.int_range(len(text), eager=True, dtype=pl.UInt32)})
    with duckdb.connect() as con:
        rel = con.from_arrow(frame.to_arrow(compat_level=pl.CompatLevel.newest()))
        got = rel.select("p, left(md5(t), 16) as h").pl()
    return got["h"].gather(got["p"].arg_sort()).alias("h")


def _content_columns(records: pl.DataFrame) -> list[str]:
    """What a record key hashes: ``KEY_COLUMNS`` and any column beyond ``COMMON_COLUMNS``."""
    return [*KEY_COLUMNS, *sorted(c for c in records.columns if c not in COMMON_COLUMNS)]


def _content(records: pl.DataFrame) -> pl.Series:
    """The text a record key hashes (``_content_columns``)."""
    return records.select(
        pl.concat_str(
            [pl.col(c).cast(pl.String).fill_null("\u2205") for c in _content_columns(records)],
            separator="\x1f",
        )
    ).to_series()


def _keys(records: pl.DataFrame, content: pl.Series) -> pl.Series:
    """The record keys of ``records`` whose ``_content`` is ``content``."""
    return _suffixed(records, _md5_prefix(content))


def _suffixed(records: pl.DataFrame, digest: pl.Series, content: pl.Series | None = None
              ) -> pl.Series:
    """The record keys of ``records`` whose contents' MD5 prefixes are ``digest``: ``R`` +
    digest, ``-k`` for the k-th copy of a content (copies found on ``content``, the
    digests as integers, when given: integers, not strings)."""
    return _numbered(records, ("R" + digest).alias("key"), digest if content is None else content)


def _numbered(records: pl.DataFrame, keys: pl.Series, same: pl.Series,
              among: pl.Series | None = None) -> pl.Series:
    """``keys`` (``R`` + MD5 prefix) with ``-k`` added for the k-th copy of a content (the
    records of one ``same`` value, in (source_file, sheet, row_number) order); ``among``:
    the records whose contents may have copies (whole contents), when the caller knows."""
    pos = pl.int_range(same.len(), dtype=pl.UInt32, eager=True)
    if among is not None:
        pos, same = pos.filter(among), same.filter(among)
    dup = same.is_duplicated()
    if not dup.any():
        return keys
    copies = (
        records.select("source_file", "sheet", "row_number")[pos.filter(dup)]
        .with_columns(h=same.filter(dup), pos=pos.filter(dup))
        .sort("h", "source_file", "sheet", "row_number")
        .select("pos", k=pl.int_range(pl.len()).over("h"))
        .filter(pl.col("k") > 0)
    )
    return keys.scatter(copies["pos"],
                        keys.gather(copies["pos"]) + "-" + copies["k"].cast(pl.String))


def record_keys(records: pl.DataFrame) -> pl.Series:
    """Return a stable content fingerprint per record (``R`` + 16 hex, ``-k`` for repeats).

    The fingerprint hashes ``KEY_COLUMNS`` plus any column of ``records`` beyond
    ``COMMON_COLUMNS`` (an extract's own identifying fields, when given). Records with equal
    content are told apart by their order in (source_file, sheet, row_number).

    Args:
        records: a ``person_records`` frame.

    Returns:
        A String series aligned with ``records``.
    """
    return _keys(records, _content(records))


def keys_reusing(records: pl.DataFrame, kept: pl.DataFrame | None) -> pl.DataFrame:
    """``record_keys`` and a hash of each record's content (``hash_rows`` of the columns the
    key hashes), taking the MD5 of every content ``kept`` holds from its key (``R`` + the
    MD5 prefix, then ``-k`` for a copy) instead of hashing again: only contents new tonight
    are written out and hashed; the copies are numbered as ``record_keys`` does.

    Args:
        records: a ``person_records`` frame.
        kept: record_key, content (UInt64) of an earlier night, or None.

    Returns:
        record_key, content, aligned with ``records``; with ``kept``, also ``kept_row``: a
        row of ``kept`` holding the record's content (any one of its copies), null if none.
    """
    hashed = records.select(_content_columns(records)).hash_rows(seed=5).alias("content")
    if kept is None or "content" not in kept.columns or kept.height == 0:
        return pl.DataFrame([_keys(records, _content(records)).alias("record_key"), hashed])
    # per record the kept row of its content (any one of its copies); that row's key begins
    # with ``R`` + the MD5 prefix: only those 17 characters are taken
    at = _kept_rows(hashed, kept["content"])
    base = kept["record_key"].gather(at).str.slice(0, 17)
    todo = base.is_null()
    if todo.any():
        base = base.scatter(todo.arg_true(),
                            "R" + _md5_prefix(_content(records.filter(todo))))
    # copies found on the MD5 (as an integer), not on ``hashed``: two contents whose key texts
    # are alike (a null and "\u2205", a "\x1f" inside a value) differ in ``hashed`` but share
    # an MD5, and ``record_keys`` numbers them as copies
    same = base.str.slice(1).str.to_integer(base=16, dtype=pl.UInt64)
    return pl.DataFrame([_numbered(records, base.alias("key"), same,
                                   _maybe_copies(same, at, kept["record_key"])
                                   ).alias("record_key"), hashed, at.alias("kept_row")])


def _maybe_copies(same: pl.Series, at: pl.Series, kept_keys: pl.Series) -> pl.Series:
    """Per record whether its content may have copies tonight: it had copies on the kept
    night (a kept key numbered ``-k`` names its content), or a record of it is not where its
    content stood (new, changed or moved: maybe a copy now). Any other content is one record
    both nights, its key unnumbered; ``_numbered`` looks only at the others."""
    copied = kept_keys.filter(kept_keys.str.contains("-", literal=True)).str.slice(1, 16)
    moved = at.is_null() | (at != pl.int_range(at.len(), dtype=pl.UInt32, eager=True))
    candidates = pl.concat([copied.str.to_integer(base=16, dtype=pl.UInt64),
                            same.filter(moved.fill_null(True))])
    return same.is_in(candidates.unique().implode())


def _kept_rows(hashed: pl.Series, kept: pl.Series) -> pl.Series:
    """Per content hash (``hashed``) a row of ``kept`` (the kept contents) holding it, null if
    none (UInt32): the same row when the content stands where it stood (a quiet night's
    records are last night's in their order, the new ones after them), the rest joined on
    the integers (1M residents: 0.5 -> ~0.1 CPU s)."""
    n = min(hashed.len(), kept.len())
    here = (hashed.head(n) == kept.head(n)).fill_null(False).to_numpy()
    at = np.full(hashed.len(), -1, dtype=np.int64)
    at[:n][here] = np.flatnonzero(here)
    todo = np.flatnonzero(at < 0)
    if len(todo):
        found = (pl.DataFrame({"content": hashed.gather(todo), "i": todo})
                 .join(kept.to_frame("content").with_row_index("k"), on="content")
                 .unique("i", keep="any"))
        at[found["i"].to_numpy()] = found["k"].to_numpy()
    k = pl.col("k")
    return pl.DataFrame({"k": at}).select(pl.when(k >= 0).then(k).cast(pl.UInt32))["k"]


def _reuse_previous(clusters: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """Match clusters to previous person ids one-to-one, largest overlap first.

    Args:
        clusters: record_key, cluster, min_key.
        previous: record_key, person_id.

    Returns:
        cluster, person_id for the clusters that keep an old id.
    """
    overlap = (
        clusters.join(previous, on="record_key")
        .group_by("cluster", "person_id")
        .agg(n=pl.len(), min_key=pl.col("min_key").first())
        .sort(pl.col("n"), "person_id", "min_key", descending=[True, False, False])
    )
    chosen = []
    while overlap.height:
        best_c = overlap.unique("cluster", keep="first", maintain_order=True)
        best_p = overlap.unique("person_id", keep="first", maintain_order=True)
        mutual = best_c.join(best_p.select("cluster", "person_id"), on=["cluster", "person_id"])
        chosen.append(mutual.select("cluster", "person_id"))
        overlap = overlap.filter(
            ~pl.col("cluster").is_in(mutual["cluster"].implode())
            & ~pl.col("person_id").is_in(mutual["person_id"].implode())
        )
    schema = {"cluster": clusters.schema["cluster"], "person_id": pl.String}
    return pl.concat(chosen) if chosen else pl.DataFrame(schema=schema)


def plain_ids(min_keys: pl.Series) -> pl.Series:
    """A new cluster's id when nothing clashes: ``P`` + 10 hex of its smallest record key."""
    return "P" + _md5_prefix(min_keys).str.slice(0, 10)


def _new_ids(min_keys: pl.Series, taken: pl.Series) -> pl.Series:
    """Return deterministic new ids ``P`` + 10 hex of the smallest member key, avoiding taken.

    Args:
        min_keys: the smallest record key of each new cluster (unique).
        taken: ids in use (all previous ids), never handed out again.

    Returns:
        A String series aligned with ``min_keys``.
    """
    return _fresh_ids(min_keys, taken)[0]


def _fresh_ids(min_keys: pl.Series, taken: pl.Series) -> tuple[pl.Series, list[list]]:
    """``_new_ids``, and the ids salted (``[plain id, salted id, salt]`` each, in order; none
    when every id is its plain id, ``plain_ids``)."""
    ids = plain_ids(min_keys)
    hit = taken.filter(taken.is_in(ids.implode()))  # probe the many taken ids, hash the few
    clash = ids.is_duplicated() | ids.is_in(hit.implode())
    if not clash.any():
        return ids, []
    used = set(ids.filter(~clash).to_list()) | set(taken.to_list())
    out, salted = ids.to_list(), []
    at = clash.arg_true()  # rare: resolve with a salted hash, smallest key first
    for pos in at.gather(min_keys.gather(at).arg_sort()).to_list():
        salt, key, plain = 0, min_keys[pos], out[pos]
        while out[pos] in used:
            salt += 1
            out[pos] = "P" + _digest(f"{key}#{salt}", 10)
        used.add(out[pos])
        if salt:
            salted.append([plain, out[pos], salt])
    return pl.Series(out, dtype=pl.String), salted


def _unchanged(clusters: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """cluster, person_id of the clusters whose records are exactly a previous person's.

    Such a cluster and person overlap no other person and cluster, so the one-to-one
    matching (``_reuse_previous``) pairs them whatever else happens: they are set aside
    first, and the matching runs on the rest (on a quiet night, a few clusters).
    """
    code, names = dense_codes(previous["person_id"])  # integers, not strings, per group
    sizes = np.bincount(code[code >= 0], minlength=len(names))
    person = pl.Series("p", code).replace(-1, None)
    per = (clusters.join(previous.select("record_key", person), on="record_key", how="left")
           .group_by("cluster")
           .agg(n=pl.len(), lo=pl.col("p").min(), hi=pl.col("p").max(),
                missing=pl.col("p").null_count())
           .filter((pl.col("missing") == 0) & (pl.col("lo") == pl.col("hi"))))
    same = per.filter(pl.Series(sizes).gather(per["lo"]) == per["n"])
    return same.select("cluster", person_id=names.gather(same["lo"]))


class Previous(NamedTuple):
    """Previous ids: ``frame`` (record_key, person_id; None for none), and every previous
    id (``taken``: never handed out again; None: ``frame``'s)."""

    frame: pl.DataFrame | None
    taken: pl.Series | None


def assign_person_ids(clusters: pl.DataFrame, previous_ids: pl.DataFrame | None) -> pl.DataFrame:
    """Give every cluster a person id, keeping ids from the previous run where possible.

    A cluster takes the previous id held by most of its members; each old id goes to at
    most one cluster (largest overlap wins, so a split keeps the id for the larger part);
    other clusters get ``P`` + 10 hex of a hash of their smallest record key.

    Args:
        clusters: record_key, cluster (any integer label).
        previous_ids: record_key, person_id from the last run, or None.

    Returns:
        record_key, cluster, person_id.
    """
    return person_ids_of(clusters, Previous(previous_ids, None))[0].drop("exact")


def person_ids_of(clusters: pl.DataFrame, previous_ids: Previous
                  ) -> tuple[pl.DataFrame, list[list] | None]:
    """``assign_person_ids``, with ``exact`` (the cluster is exactly a previous person), and
    the previous ids as ``Previous``: a caller naming only some clusters passes the
    previous persons they overlap and every previous id as taken. Also returns the new ids
    salted (``_fresh_ids``) when every cluster is new (no previous id kept), else None."""
    previous = (
        previous_ids.frame.select("record_key", "person_id").unique("record_key")
        if previous_ids.frame is not None
        else pl.DataFrame(schema={"record_key": pl.String, "person_id": pl.String})
    )
    taken = previous["person_id"] if previous_ids.taken is None else previous_ids.taken
    if previous.height == 0:  # a first night: every cluster is new (no join, no window)
        same = kept = pl.DataFrame(schema={"cluster": clusters.schema["cluster"],
                                           "person_id": pl.String})
        fresh = clusters.group_by("cluster").agg(min_key=pl.col("record_key").min())
    else:
        same = _unchanged(clusters, previous)
        rest = clusters.join(same, on="cluster", how="anti").with_columns(
            min_key=pl.col("record_key").min().over("cluster"))
        kept = pl.concat([same.cast({"cluster": clusters.schema["cluster"]}),
                          _reuse_previous(rest, previous.join(same, on="person_id",
                                                              how="anti"))])
        fresh = (rest.select("cluster", "min_key").unique("cluster")
                 .join(kept, on="cluster", how="anti"))
    new, salted = _fresh_ids(fresh["min_key"], taken)
    fresh = fresh.with_columns(person_id=new)
    ids = pl.concat([kept, fresh.select("cluster", "person_id")
                     .cast({"cluster": kept.schema["cluster"]})])
    exact = pl.col("cluster").is_in(same["cluster"].implode())
    return clusters.join(ids, on="cluster", how="left", maintain_order="left").select(
        "record_key", "cluster", "person_id", exact=exact), salted if kept.height == 0 else None
