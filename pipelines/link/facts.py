"""The county facts of an incremental night: counted again only in the groups a change touches.

A record's county facts (``coding.county_facts``) are a function of its *group*: how many
valid IDs carry its name (``name_holders``) or its pinyin (``pinyin_holders``), and the
extracts its valid ID appears in (``id_extracts``, bits numbered over the night's extracts).
A group's facts change only when a record of it is new, changed or gone. A record's *own
hash* (``own_hashes``) covers every column the comparisons read of the record itself (name,
pinyin, ID, its validity and the extract among them), so a record whose record_key and own
hash were kept (``matched``) is in the same groups with the same values as last night. Hence
a group none of whose records is new, changed (tonight) or gone, changed (last night) has
last night's members and facts, and only the others are counted again (``facts_reusing``).
The state keeps per record its facts and 32-bit hashes of its three group keys (a collision
only counts one more group again).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.link.coding import county_facts

# the columns that name a record's group, per fact
GROUPS = {"name_holders": "name", "pinyin_holders": "name_pinyin", "id_extracts": "id_number"}
FACTS = tuple(GROUPS)
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
        same = ((kept["own"].gather(k) == own.gather(at))
                & (kept["record_key"].gather(k) == keys.gather(at))).to_numpy()
        k2i[k.to_numpy()[same]] = at.to_numpy()[same]
        cur = cur[at.filter(pl.Series(~same))]
        kept = kept.with_row_index("k").filter(pl.Series(k2i < 0))
    else:
        kept = kept.with_row_index("k")
    both = (kept.select("k", "record_key", "own").join(cur, on="own")
            .filter(pl.col("record_key") == pl.col("record_key_right")))
    k2i[both["k"].to_numpy()] = both["i"].to_numpy()
    return k2i


def _touched(rec: pl.DataFrame, groups: pl.DataFrame, kept: pl.DataFrame, k2i: np.ndarray,
             fact: str) -> np.ndarray:
    """Per record tonight, whether its ``fact`` group holds a record new or changed tonight
    or one gone or changed since last night (never for a null key: no group)."""
    column = f"h_{fact}"
    dirty = np.ones(rec.height, dtype=bool)
    dirty[k2i[k2i >= 0]] = False
    hit = pl.concat([groups[column].filter(pl.Series(dirty)),
                     kept[column].filter(pl.Series(k2i < 0))]).drop_nulls().unique()
    return groups[column].is_in(hit.implode()).fill_null(False).to_numpy()


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
    out, extracts = {}, extracts_of(rec)  # once: a pass over every record
    for fact in FACTS:
        redo = _touched(rec, groups, kept, k2i, fact)
        values = np.zeros(rec.height, dtype=np.int64)  # 0: a null key's fact
        reuse = np.flatnonzero(~redo & (i2k >= 0) & groups[f"h_{fact}"].is_not_null().to_numpy())
        values[reuse] = kept[fact].gather(pl.Series(i2k[reuse])).to_numpy()
        at = np.flatnonzero(redo)
        if len(at):  # whole groups: every record of a touched group is in ``at`` (a new
            # or changed record with a key is in a touched group)
            part = rec.select("name", "name_pinyin", "id_number", "id_valid", "extract")[at]
            values[at] = county_facts(part, extracts, (fact,))[fact].to_numpy()
        out[fact] = values
    return pl.DataFrame(out)
