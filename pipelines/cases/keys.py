"""This month's mismatch rows as case candidates, their stable evidence, and new case ids.

A case is a rule, a person and the rule's ``case_key``. Its ``case_id`` is minted once, when the
case is first found: ``C`` + 11 hex of the MD5 of ``rule|person_id|case_key`` (the person id is
the linker's stable id). From then on the id is carried, never recomputed, so a case keeps its
id when linkage later gives its person another id (see :mod:`pipelines.cases.lifecycle`).

Evidence is kept twice: ``evidence`` as the month's record ids (to look up file and row in
``person_source``) and ``evidence_keys`` as ``extract:record_key`` (record keys are content
fingerprints, stable across runs while a record does not change), sorted and comma-joined.
"""

from __future__ import annotations

import hashlib

import polars as pl

CANDIDATE_COLUMNS = ("rule", "person_id", "case_key", "name", "township_code", "village_code",
                     "detail", "evidence", "evidence_keys")
CASE_KEY = ["rule", "person_id", "case_key"]


def case_records(links: pl.DataFrame, person_source: pl.DataFrame,
                 mismatch: pl.DataFrame | None = None,
                 previous: pl.DataFrame | None = None) -> pl.DataFrame:
    """record_id -> record_key, extract, person_id: what the case engine needs of linkage.

    With ``mismatch`` (and ``previous``), only the records :func:`track_cases
    <pipelines.cases.lifecycle.track_cases>` can look up (:func:`_wanted`): it gives the same
    cases as with every record, without attaching a county's million records to their
    extract for a few hundred cases.

    Args:
        links: the linker's ``person_links`` (record_id, record_key, person_id).
        person_source: the published ``person_source`` (record_id, extract, …).
        mismatch: this month's ``mismatch`` (its ``evidence``), or None: every record.
        previous: the previous cases ``track_cases`` is given (None: the first month).

    Returns:
        record_id, record_key, extract, person_id.
    """
    links = links.select("record_id", "record_key", "person_id")
    if mismatch is not None:
        links = links.filter(_wanted(mismatch, previous))
        person_source = person_source.filter(
            pl.col("record_id").is_in(links["record_id"].implode()))
    return (
        links.join(person_source.select("record_id", "extract"), on="record_id", how="left")
        .select("record_id", "record_key", "extract", "person_id")
    )


def _wanted(mismatch: pl.DataFrame, previous: pl.DataFrame | None) -> pl.Expr:
    """The links ``track_cases`` reads: every record a mismatch row names as evidence (its
    keys, ``candidates``), and every record whose key an earlier case names or whose person
    an earlier case is about (where a closing case's person and records went,
    ``_merge_targets``). Any more records change nothing: each lookup joins on these."""
    ids = mismatch.select(split_ids("evidence")).to_series().explode().drop_nulls()
    wanted = pl.col("record_id").is_in(ids.implode())
    if previous is None or not previous.height:
        return wanted
    if not {"evidence_keys", "person_id"} <= set(previous.columns):
        return pl.lit(True)  # not a case table as published: every record
    keys = (previous.select(split_ids("evidence_keys")).to_series().explode().drop_nulls()
            .str.replace(r"^[^:]*:", ""))  # extract:record_key -> record_key
    return (wanted | pl.col("record_key").is_in(keys.implode())
            | pl.col("person_id").is_in(previous["person_id"].drop_nulls().implode()))


def split_ids(column: str) -> pl.Expr:
    """A comma-joined id column as a list, blanks dropped."""
    return (pl.col(column).fill_null("").str.split(",")
            .list.eval(pl.element().filter(pl.element() != "")))


def candidates(mismatch: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """One row per (rule, person, case_key) of this month's mismatches, with stable evidence.

    Args:
        mismatch: the month's ``mismatch`` table.
        records: :func:`case_records` (record_id, record_key, extract, person_id).

    Returns:
        ``CANDIDATE_COLUMNS`` plus ``_cand`` (a row index), one row per case found this month.
    """
    rows = (
        mismatch.select(CANDIDATE_COLUMNS[:-1])
        .unique(CASE_KEY, keep="first", maintain_order=True)
        .with_row_index("_cand")
    )
    keys = (
        rows.select("_cand", record_id=split_ids("evidence"))
        .explode("record_id")
        .drop_nulls("record_id")
        .join(records.select("record_id", "record_key", "extract"), on="record_id", how="left")
        .select("_cand", key=pl.concat_str(pl.col("extract").fill_null("?"), pl.lit(":"),
                                           pl.coalesce("record_key", "record_id")))
        .group_by("_cand")
        .agg(pl.col("key").unique().sort().str.join(",").alias("evidence_keys"))
    )
    return rows.join(keys, on="_cand", how="left").sort("_cand")


def _digest(text: str) -> str:
    return "C" + hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:11]


def mint_case_ids(new: pl.DataFrame, taken: set[str]) -> pl.Series:
    """Case ids for newly found cases, none equal to a taken id or to each other.

    Hashes the unique new cases only (a county's new cases in a month, not its records); a
    clash, e.g. with a case that moved to another person after a split, is salted.

    Args:
        new: rule, person_id, case_key of the new cases.
        taken: ids of every case already in the table.

    Returns:
        A String series aligned with ``new``.
    """
    texts = new.select(pl.concat_str([pl.col(c).fill_null("") for c in CASE_KEY],
                                     separator="|")).to_series().to_list()
    ids, used = [], set(taken)
    for text in texts:
        candidate, salt = _digest(text), 0
        while candidate in used:
            salt += 1
            candidate = _digest(f"{text}#{salt}")
        used.add(candidate)
        ids.append(candidate)
    return pl.Series("case_id", ids, dtype=pl.String)
