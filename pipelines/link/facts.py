"""The county facts of an incremental night: counted again only in the groups a change touches.

A record's county facts (``coding.county_facts``) are a function of its *group*: how many
valid IDs carry its name (``name_holders``) or its pinyin (``pinyin_holders``), and the
extracts its valid ID appears in (``id_extracts``, bits numbered over the night's extracts).
A group's facts change only when a record of it is new, changed or gone. A record's *own
hash* (``own_hashes``) covers every column the comparisons read of the record itself (name,
pinyin, ID, its validity and the extract among them), so a record whose record_key and own
hash were kept (``matched``) is in the same groups with the same values as last night. A
group's fact is a function of what its records with a valid ID bring (their IDs for the
holders, their extracts for ``id_extracts``): so a group none of whose records is gone or
changed since last night, and to which no new or changed record brings anything its clean
records do not (a new stay of a known person: name and ID already held together), has last
night's facts; a new or changed record in it takes them from a clean record of its key.
Only the other groups are counted again (``facts_reusing``). The state keeps per record its
facts and 32-bit hashes of its three group keys (a collision only counts one more group
again).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.link.coding import county_facts

# the columns that name a record's group, per fact
GROUPS = {"name_holders": "name", "pinyin_holders": "name_pinyin", "id_extracts": "id_number"}
FACTS = tuple(GROUPS)
# what a record with a valid ID brings to its group's fact (``coding.county_facts``)
BRINGS = {"name_holders": "id_number", "pinyin_holders": "id_number", "id_extracts": "extract"}
# columns of the prepared records that say where a row is, not who: never compared
NOT_COMPARED = ("i", "record_id", "record_key", "source_file", "sheet", "row_number",
                "one_list")


def own_hashes(rec: pl.DataFrame) -> pl.Series:
    """Per prepared record, a hash of every column its comparisons read of the record itself
    (all but ``NOT_COMPARED``; ``hash_rows``: one pass over the columns, nulls told apart)."""
    own = rec.select([c for c in rec.columns if c not in NOT_COMPARED])
    return own.hash_rows(seed=16).alias("own")


def group_hashes(rec: pl.DataFrame) -> pl.DataFrame:
    """Per record, 32-bit hashes of its groups' keys (``h_<fact>``, null for a null key:
    such a record's fact is 0 whatever the others do; kept in the state)."""
    return rec.select(*[pl.when(pl.col(c).is_not_null())
                        .then(pl.col(c).hash(seed=21).cast(pl.UInt32, wrap_numerical=True))
                        .alias(f"h_{f}") for f, c in GROUPS.items()])


def extracts_of(rec: pl.DataFrame) -> list[str]:
    """The night's extracts, sorted: their order numbers the ``id_extracts`` bits."""
    return rec["extract"].drop_nulls().unique().sort().to_list()


def matched(kept: pl.DataFrame, keys: pl.Series, own: pl.Series,
            rows: pl.Series | None = None) -> np.ndarray:
    """Per kept record (``kept``: record_key, own) its position tonight when a record with
    its record_key and own hash is there, else -1.

    ``rows``: per record a kept row holding its content (``ids.keys_reusing``' ``kept_row``),
    when the caller has them: a record with a kept key and own hash has that content, so the
    row is checked by position and only the records it does not match (a copy of a content,
    whose row may be another copy's; a changed record) are joined. Without ``rows`` every
    record is joined, on the hash (an integer) first: a string join costs more.
    """
    k2i = np.full(kept.height, -1, dtype=np.int64)
    cur = pl.DataFrame([keys.alias("record_key"), own.alias("own")]).with_row_index("i")
    if rows is not None and rows.len() == keys.len() and (rows.max() or 0) < kept.height:
        at = pl.Series(np.flatnonzero(rows.is_not_null().to_numpy()))
        k = rows.gather(at)
        same = _same_at(kept, keys, own, at, k)
        k2i[k.to_numpy()[same]] = at.to_numpy()[same]
        cur = cur[at.filter(pl.Series(~same))]
        kept = kept.with_row_index("k").filter(pl.Series(k2i < 0))
    else:
        kept = kept.with_row_index("k")
    both = (kept.select("k", "record_key", "own").join(cur, on="own")
            .filter(pl.col("record_key") == pl.col("record_key_right")))
    k2i[both["k"].to_numpy()] = both["i"].to_numpy()
    return k2i


def _same_at(kept: pl.DataFrame, keys: pl.Series, own: pl.Series, at: pl.Series,
             k: pl.Series) -> np.ndarray:
    """Whether tonight's records ``at`` have the record_key and own hash of kept rows ``k``:
    the leading records at their own kept rows (a quiet night's, before the new ones)
    compared in place (slices, no gather of 2M keys), the rest gathered."""
    a, b = at.to_numpy(), k.to_numpy()
    here = (a == b) & (a == np.arange(len(a)))
    n = len(a) if here.all() else int(np.argmin(here))  # records 0..n-1 at kept rows 0..n-1
    same = np.empty(len(a), dtype=bool)
    same[:n] = ((kept["own"].head(n) == own.head(n))
                & (kept["record_key"].head(n) == keys.head(n))).to_numpy()
    at, k = at.slice(n), k.slice(n)
    same[n:] = ((kept["own"].gather(k) == own.gather(at))
                & (kept["record_key"].gather(k) == keys.gather(at))).to_numpy()
    return same


def _touched(groups: pl.DataFrame, kept: pl.DataFrame, k2i: np.ndarray, fact: str,
             news: pl.Series) -> np.ndarray:
    """Per record tonight, whether its ``fact`` group is counted again: it holds a record gone
    or changed since last night, or one of ``news`` (``_news``: the group hashes where a new
    or changed record brings something new); never for a null key (no group)."""
    column = f"h_{fact}"
    hit = pl.concat([kept[column].filter(pl.Series(k2i < 0)), news]).drop_nulls().unique()
    return groups[column].is_in(hit.implode()).fill_null(False).to_numpy()


def _news(rec: pl.DataFrame, groups: pl.DataFrame, kept: pl.DataFrame, i2k: np.ndarray,
          fact: str) -> tuple[pl.Series, np.ndarray]:
    """For the new or changed records (``i2k`` -1) of ``fact``'s groups: the group hashes
    whose fact they may change (a record with a valid ID bringing what no clean record of
    its key brings, or a key no clean record has), and per such record (in order) the fact
    a clean record of its key keeps (0 for a null key, and for ``id_extracts`` without a
    valid ID; taken where its group is not counted again).

    What clean records bring is looked up by the new records' IDs (a person's few records),
    and one clean record per key by its group hash (a collision hides a key: its group is
    counted again): a common name's thousands of records are never gathered.
    """
    key, brings, column = GROUPS[fact], BRINGS[fact], f"h_{fact}"
    side = rec.select(*dict.fromkeys([key, brings, "id_number"]), ok=(
        pl.col("id_valid") & pl.col("id_number").is_not_null()).fill_null(False))
    clean, dirty = i2k >= 0, np.flatnonzero(i2k < 0)
    takes = pl.col(key).is_not_null() & (pl.col("ok") if fact == "id_extracts" else True)
    new = side[dirty].with_columns(h=groups[column].gather(dirty), takes=takes)
    wanted = new.filter("takes")
    ok = side["ok"].to_numpy()
    # found by the 32-bit hashes (a collision only brings a record that joins nothing)
    ids = groups["h_id_extracts"].gather(dirty).filter(new["takes"] & new["ok"])
    by_id = np.flatnonzero(clean & ok & _holds(groups["h_id_extracts"], ids))
    brought = side[by_id].select(key, brings).unique()
    same = clean & _holds(groups[column], wanted["h"])
    same = np.flatnonzero(same & ok if fact == "id_extracts" else same)  # else 0, not a mask
    one = same[groups[column].gather(same).is_first_distinct().to_numpy()]
    values = side.select(key)[one].with_columns(value=kept[fact].gather(pl.Series(i2k[one])))
    changes = pl.concat([wanted.join(values, on=key, how="anti")["h"],
                         wanted.filter("ok").join(brought, on=[key, brings], how="anti")["h"]])
    taken = new.join(values.unique(key, keep="any"), on=key, how="left",
                     maintain_order="left").select(
        pl.when("takes").then("value").fill_null(0).cast(pl.Int64))
    return changes, taken.to_series().to_numpy()


def _holds(hashes: pl.Series, wanted: pl.Series) -> np.ndarray:
    """Per record whether its group hash is one of ``wanted`` (none: no pass over them)."""
    if wanted.len() == 0:
        return np.zeros(hashes.len(), dtype=bool)
    return hashes.is_in(wanted.unique().implode()).fill_null(False).to_numpy()


def facts_reusing(rec: pl.DataFrame, kept: pl.DataFrame, k2i: np.ndarray,
                  groups: pl.DataFrame) -> pl.DataFrame:
    """``county_facts(rec)``, counted again only in the groups a change touches (module
    docstring), the rest taken from the kept records.

    Args:
        rec: the prepared records.
        kept: the kept records: ``FACTS``, ``h_<fact>`` (``group_hashes``); their extracts
            numbered the bits as tonight's do (the caller checks).
        k2i: per kept record its position tonight, -1 when gone or changed (``matched``).
        groups: ``group_hashes(rec)``.

    Returns:
        name_holders, pinyin_holders, id_extracts (Int64), aligned with ``rec``.
    """
    i2k = np.full(rec.height, -1, dtype=np.int64)
    i2k[k2i[k2i >= 0]] = np.flatnonzero(k2i >= 0)
    dirty = np.flatnonzero(i2k < 0)
    out, extracts = {}, extracts_of(rec)  # once: a pass over every record
    for fact in FACTS:
        news, taken = _news(rec, groups, kept, i2k, fact)
        redo = _touched(groups, kept, k2i, fact, news)
        values = np.zeros(rec.height, dtype=np.int64)  # 0: a null key's fact
        reuse = np.flatnonzero(~redo & (i2k >= 0) & groups[f"h_{fact}"].is_not_null().to_numpy())
        values[reuse] = kept[fact].gather(pl.Series(i2k[reuse])).to_numpy()
        values[dirty] = taken  # a new or changed record of an untouched group (else redone)
        at = np.flatnonzero(redo)
        if len(at):  # whole groups: every record of a touched group is in ``at``
            part = rec.select("name", "name_pinyin", "id_number", "id_valid", "extract")[at]
            values[at] = county_facts(part, extracts, (fact,))[fact].to_numpy()
        out[fact] = values
    return pl.DataFrame(out)

