"""The records as the linker reads them: typed, evidence attached, keys, fingerprints and the
county-wide facts (``link_records``' first stage)."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.domain.extracts import EXTRACTS
from pipelines.link import evidence, facts, ids, incremental
from pipelines.link.coding import county_facts
from schemas.canonical import COMMON_COLUMNS

ONE_ROW_EXTRACTS = [name for name, spec in EXTRACTS.items() if spec.one_row_per_person]
# what only preparing reads (the keys, fingerprints, heads and clinic villages), never a
# blocking key (settings.KEY_COLUMNS) nor a comparison's: dropped for the rest of the night
PREPARE_ONLY = ("department", "name_raw", "id_raw", "village_raw", "clinic")
# the evidence and what derives from it (``evidence.attach``): read by the blocking keys and
# coding the comparisons, never after scoring (the statuses, people, queue and state)
SCORE_ONLY = ("head_name", "head_pinyin", "hospital", "admission_date", "diagnosis_date",
              "clinic_village", "insurance_no", "place", "sex_id")


def _typed(records: pl.DataFrame) -> pl.DataFrame:
    """The records with the columns checked and typed, blank strings as null.

    Raises:
        ValueError: when a ``COMMON_COLUMNS`` column is missing.
    """
    missing = [c for c in COMMON_COLUMNS if c not in records.columns]
    if missing:
        msg = f"person_records: missing column(s) {missing}; expected {list(COMMON_COLUMNS)}"
        raise ValueError(msg)
    for column, dtypes in (("birth_date", (pl.Date, pl.Null)), ("id_valid", (pl.Boolean, pl.Null))):
        if records.schema[column] not in dtypes:
            msg = (
                f"person_records: column {column!r} is {records.schema[column]}, expected "
                f"{dtypes[0]} (ingest types it; see schemas.canonical.PersonRecords)"
            )
            raise ValueError(msg)
    text = ["name", "name_pinyin", "id_number", "sex", "village_code", "township_code",
            "household_id"]
    return records.with_columns(
        [_blank_as_null(records, c) for c in text]
    ).with_columns(
        birth_date=pl.col("birth_date").cast(pl.Date),
        id_valid=pl.col("id_valid").cast(pl.Boolean).fill_null(False),
    )


def _blank_as_null(records: pl.DataFrame, column: str) -> pl.Expr:
    """``column`` as text, stripped, blank as null: the column itself (its buffers shared with
    ``records``, not a copy of 2M strings held through the night) when no value needs it."""
    col = pl.col(column)
    length = col.str.len_bytes()  # what stripping would change: lengths, not a regex
    if records.schema[column] == pl.String and not records.select(
            ((col.str.strip_chars().str.len_bytes() != length) | (length == 0)).any()).item():
        return col
    return col.cast(pl.String).str.strip_chars().replace("", None)


def record_keys_of(records: pl.DataFrame, state: incremental.LinkState | None = None
                   ) -> pl.DataFrame:
    """The record keys ``link_records`` gives ``records`` and their contents' hashes
    (``ids.keys_reusing`` of the typed records, reusing the keys the state kept): computed
    once by a caller that needs them too, and passed as its ``keys``."""
    return ids.keys_reusing(_typed(records), None if state is None else state.records)


def prepare_records(records: pl.DataFrame,
                    record_evidence: pl.DataFrame | None = None) -> pl.DataFrame:
    """Return the records with a position ``i``, typed, blank strings as null, evidence
    attached (``evidence.attach``); a ValueError when a ``COMMON_COLUMNS`` column is missing.

    The records are made one chunk first: read from parquet they come in a chunk per row
    group, and every later ``select`` beside a column of one chunk would copy them whole
    again (2 CPU s of the full link at 1M residents; a caller that lets go of its records
    keeps one copy, not two).
    """
    rec = _typed(records).rechunk().with_columns(i=pl.int_range(pl.len(), dtype=pl.UInt32))
    one_row = pl.col("extract").is_in(ONE_ROW_EXTRACTS)  # one_list: its file and sheet
    listed = pl.concat_str("extract", "source_file", "sheet", separator="|")
    # a few lists (extract, file, sheet), the records of one list in a run: worked out once
    # per run of rows and gathered (categories, not a string per record)
    parts = rec.select("extract", "source_file", "sheet")
    run = parts.select(pl.struct(pl.all()).rle_id())[:, 0]
    lists = parts.filter(run.is_first_distinct()).select(
        multi_row=~one_row, one_list=pl.when(one_row).then(listed).cast(pl.Categorical))
    return evidence.attach(rec.with_columns(lists[run]), record_evidence)


def prepared(records: pl.DataFrame, record_evidence: pl.DataFrame | None,
             state: incremental.LinkState | None, keys: pl.DataFrame | None, reuse: bool = True
             ) -> tuple[pl.DataFrame, pl.DataFrame, np.ndarray | None]:
    """The prepared records with their keys, own and group hashes, fingerprints and county
    facts (counted again only where a change touches them, ``facts.facts_reusing``, unless
    not ``reuse``); the keys; per kept record its position tonight when its key and own hash
    are there (-1 when not; None without a compatible state: ``facts.matched``)."""
    incremental.learn_heads(state)  # last night's heads: not normalised again
    rec = prepare_records(records, record_evidence)
    if keys is None or keys.height != rec.height:  # the records' own columns only
        keys = ids.keys_reusing(rec.select(records.columns),
                                None if state is None else state.records)
    rec = rec.with_columns(record_key=keys["record_key"])
    own, groups = facts.own_hashes(rec), facts.group_hashes(rec)
    kept = incremental.kept_facts(state, rec) if reuse else None
    rows = keys["kept_row"] if "kept_row" in keys.columns else None  # kept rows of contents
    k2i = None if kept is None else facts.matched(kept, rec["record_key"], own, rows)
    county = county_facts(rec) if k2i is None else facts.facts_reusing(rec, kept, k2i, groups)
    rec = rec.with_columns(own, *groups, fingerprint=incremental.fingerprints(rec, county, own))
    return pl.concat([rec, county], how="horizontal"), keys, k2i
