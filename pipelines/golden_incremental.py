"""Incremental golden records: a night computes again only the persons its changes touch.

A person's row of the golden record (``golden.golden_of``) reads only that person's records,
and of each only ``golden.RULE_COLUMNS``: record id, department, extract, ID validity, the
seven fields, the record's own date and its person id. The full recompute's rows are in
person-id order. So a night keeps (``GoldenState``) per record a 64-bit hash of those columns
(``record_hashes``; its person id is one of them) with its person id, and its ``person``
frame; the next night:

- a record whose hash is not kept is **new or changed** (a new record, a field changed, or
  another person id); a kept hash not found tonight is a record **gone** (removed, changed,
  or moved to another person);
- the persons of those records, tonight's and last night's, are **touched** (a person that
  split, merged, gained or lost a record is one of them): their rows are computed again
  from tonight's records (a person with none left is gone);
- every other person has exactly last night's records with the same columns, hence last
  night's row, which is taken from the kept frame; the two sorted parts are merged by
  person id, giving the full recompute's rows in its order.

A full recompute runs (``mode: full`` with the reason) when asked (``sanji run --full``,
``PersonConfig.full``), when no state is kept (first night, or the last run kept none), when
the kept state is of another county, state version, rule, polars version or ``person``
schema, when a record has no person id, or when more than ``FULL_SHARE`` of the persons are
touched (then a full recompute is cheaper). Exact up to a 64-bit hash collision between a
record's kept and new columns (~1e-7 for a county's 2M records; the link's fingerprints rely
on the same).

The rows a night computes are checked as they are computed (``Check``: the step's published
schema); the kept rows passed the same check the night they were computed, so they are not
checked again. A state kept under another version of the check (another schema, pandera or
polars; a state kept before the check was recorded) is not used: a full recompute, all rows
checked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl

from pipelines import golden
from pipelines.warehouse.behind import WRITES
from pipelines.warehouse.handoff import HANDOFF
from pipelines.warehouse.staging import scan_frame, write_frame

# what the kept state means: bump it when the golden rule reads or decides otherwise than the
# constants hashed by ``rule_hash`` show
STATE_VERSION = 1
FULL_SHARE = 0.5  # more persons touched than this share: a full recompute (cheaper, same rows)
PERSON_FILE = "person.parquet"  # the kept person frame, in the state's folder
_SEED = 29  # hash_rows' seed (fixed: the hashes of one polars version are stable)


@cache
def person_schema() -> pl.Schema:
    """The ``person`` frame's schema, as ``golden_person`` makes it."""
    links = pl.DataFrame(schema={"record_id": pl.String, "person_id": pl.String})
    return golden.golden_person({}, links).schema


def rule_hash() -> str:
    """A short hash of what the golden rule reads and decides by (its tables' constants and
    the ``person`` schema), with ``STATE_VERSION``."""
    rule = (STATE_VERSION, golden.RULE_COLUMNS, golden.TRUST, golden.RECORD_DATE,
            golden.DEPARTMENTS, golden.FIELDS, list(person_schema().items()))
    return hashlib.sha256(repr(rule).encode()).hexdigest()[:16]


@dataclass
class GoldenState:
    """What a night keeps for the next one's golden record (written with the run's outputs).

    Attributes:
        meta: ``version``, ``rule`` (``rule_hash``), ``polars``, ``scope`` (the county),
            ``persons`` (the person frame's rows).
        records: per record ``hash`` (UInt64, ``record_hashes``) and ``person_id``.
        person: the night's ``person`` frame (person-id order); read back lazily (a scan:
            the next night reads only the rows it keeps, never the whole frame at once).
    """

    meta: dict
    records: pl.DataFrame
    person: pl.DataFrame | pl.LazyFrame

    def write(self, folder: Path, stamp: dict[str, str] | None = None) -> None:
        """Write ``meta.json``, ``records.parquet`` (lz4, no statistics: read whole, never
        filtered) and ``person.parquet`` into ``folder`` (the frames behind the run when it
        writes behind: ``behind``).

        ``person.parquet`` is written as a run's stage holds a table (``staging.write_frame``,
        with the ``stamp`` columns, e.g. ``county``), so the run can stage that very file
        (``RunStage.link``) instead of writing the same rows a second time.
        """
        folder.mkdir(parents=True, exist_ok=True)
        person = self.person.with_columns(pl.lit(v, pl.String).alias(k)
                                          for k, v in (stamp or {}).items())
        for name, frame, write in (
                ("records", self.records, lambda p: self.records.write_parquet(
                    p, compression="lz4", statistics=False)),
                ("person", person, lambda p: write_frame(person, p))):
            WRITES.write(folder / f"{name}.parquet", write, frame.estimated_size())
        HANDOFF.offer(folder / PERSON_FILE, person)  # the run's steps after this read it
        (folder / "meta.json").write_text(json.dumps(self.meta, indent=1), encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> GoldenState | None:
        """The state written in ``folder`` (the ``person`` columns of its ``person.parquet``),
        None when it holds none (or only part of one)."""
        paths = [folder / n for n in ("meta.json", "records.parquet", PERSON_FILE)]
        if not all(p.is_file() for p in paths):
            return None
        return cls(json.loads(paths[0].read_text(encoding="utf-8")),
                   pl.read_parquet(paths[1]), scan_frame(paths[2], list(person_schema())))


def state_meta(scope: str, persons: int = 0, checked_by: str = "") -> dict:
    """The ``GoldenState.meta`` of a state kept tonight for ``scope`` (the county), its rows
    checked by ``checked_by`` (``Check``)."""
    return {"version": STATE_VERSION, "rule": rule_hash(), "polars": pl.__version__,
            "scope": scope, "persons": persons, "checked_by": checked_by}


@dataclass(frozen=True)
class Check:
    """What a night checks the ``person`` rows it computes with (a published schema).

    Attributes:
        rows: returns the rows it is given when they pass, else raises.
        version: what ``rows`` checks (``schemas.published.checks_version``): the kept rows
            were checked the night they were computed, so a night checks only its own rows
            when the state was kept under the same version (else it computes every row).
    """

    rows: Callable[[pl.DataFrame], pl.DataFrame]
    version: str


UNCHECKED = Check(lambda frame: frame, "")  # no check (the engine's own tests, benchmarks)


def record_hashes(records: pl.DataFrame) -> pl.Series:
    """Per record (``golden.golden_records``' frame) a hash of ``golden.RULE_COLUMNS``."""
    return records.select(golden.RULE_COLUMNS).hash_rows(seed=_SEED).alias("hash")


def plan(state: GoldenState | None, scope: str, full: bool, checked_by: str = ""
         ) -> tuple[str, str]:
    """The night's mode (``incremental`` | ``full``) and why, before looking at the records.

    Args:
        state: the kept state, or None.
        scope: tonight's county (a state kept for another is not used).
        full: a full recompute is asked for.
        checked_by: the version of tonight's ``Check`` (a state kept under another is not
            used: its rows were not checked by tonight's schema).
    """
    if full:
        return "full", "a full recompute was asked for (--full / PersonConfig.full)"
    if state is None:
        return "full", "no kept golden state (first night, or the last run kept none)"
    kept = {k: state.meta.get(k) for k in ("version", "rule", "polars")}
    if kept != {k: v for k, v in state_meta(scope).items() if k in kept}:
        return "full", "the kept state is of another golden rule, schema or polars version"
    if state.meta.get("checked_by", "") != checked_by:
        return "full", "the kept rows were checked by another version of the person schema"
    if state.meta.get("scope") != scope:
        return "full", f"the kept state is of another county ({state.meta.get('scope')})"
    if state.person.collect_schema() != person_schema() or set(state.records.columns) != {
            "hash", "person_id"}:
        return "full", "the kept state's frames have another schema"
    return "incremental", "on the kept state"


def touched(records: pl.DataFrame, hashes: pl.Series, kept: pl.DataFrame
            ) -> tuple[pl.Series, int, int]:
    """The person ids to compute again, and how many records are new or changed and gone.

    Records are listed in the extract tables' order, so most of tonight's records sit where
    they sat last night: those whose hash is the kept one at the same position are compared
    in one vectorised pass; only the others are looked up in the other night's others (a
    hash names its record id: a record is at one position at most, unless a row was
    repeated, whose hash then counts as changed on both nights).

    Args:
        records: tonight's records (``golden.golden_records``).
        hashes: their ``record_hashes``.
        kept: the kept state's records (hash, person_id).
    """
    now, was = hashes.to_numpy(), kept["hash"].to_numpy()
    m = min(len(now), len(was))
    same = now[:m] == was[:m]
    moved_now = np.concatenate([~same, np.ones(len(now) - m, dtype=bool)])
    moved_was = np.concatenate([~same, np.ones(len(was) - m, dtype=bool)])
    rest_now, rest_was = pl.Series(now[moved_now]), pl.Series(was[moved_was])
    # a hash held twice (a record repeated, or one of its copies gone) is not matched as a
    # set: its records count as new and gone, so their persons are computed again
    twice = pl.concat([rest_now.filter(rest_now.is_duplicated()),
                       rest_was.filter(rest_was.is_duplicated())]).implode()
    new, gone = moved_now.copy(), moved_was.copy()
    new[moved_now] = (~rest_now.is_in(rest_was.implode()) | rest_now.is_in(twice)).to_numpy()
    gone[moved_was] = (~rest_was.is_in(rest_now.implode()) | rest_was.is_in(twice)).to_numpy()
    ids = pl.concat([records["person_id"].filter(pl.Series(new)),
                     kept["person_id"].filter(pl.Series(gone))])
    return ids.unique(), int(new.sum()), int(gone.sum())


def incremental_person(tables: dict[str, pl.DataFrame], links: pl.DataFrame,
                       state: GoldenState | None, scope: str, full: bool = False,
                       check: Check = UNCHECKED) -> tuple[pl.DataFrame, GoldenState, dict]:
    """The ``person`` frame (``golden.golden_person``'s, row for row), computed again only
    for the persons a change touches when ``state`` allows it (module docstring).

    Args:
        tables: extract name -> table (the columns ``golden.columns_read`` names suffice).
        links: record_id, person_id (and whatever else the link step writes).
        state: last night's ``GoldenState``, or None.
        scope: the county (kept with the state; a state of another is not used).
        full: compute every person (a full night).
        check: checks the rows computed tonight (every row on a full night, else the touched
            persons'; the kept rows passed the same ``check.version`` when they were
            computed, and each person's row is checked alone but for ``person_id`` being
            once, which the merge of disjoint persons keeps).

    Returns:
        (the ``person`` frame, the state to keep for the next night, statistics: ``mode``,
        ``mode_reason``, ``persons``, ``persons_recomputed``, ``records_new_or_changed``,
        ``records_gone``).
    """
    records = golden.golden_records(tables, links)
    hashes = record_hashes(records)
    mode, why = plan(state, scope, full, check.version)
    if mode == "incremental" and records["person_id"].null_count():
        mode, why = "full", "a record has no person id"
    stats = {"records_new_or_changed": records.height, "records_gone": 0}
    if mode == "incremental":
        ids, n_new, n_gone = touched(records, hashes, state.records)
        stats = {"records_new_or_changed": n_new, "records_gone": n_gone}
        persons = int(state.meta.get("persons") or 0)
        if ids.len() > FULL_SHARE * max(persons, 1):
            mode, why = "full", (f"{ids.len():,} of {persons:,} kept persons touched "
                                 f"(over {FULL_SHARE:.0%})")
    if mode == "incremental":
        person, recomputed = _merged(records, state.person, ids, check.rows)
        why = (f"{stats['records_new_or_changed']:,} records new or changed, "
               f"{stats['records_gone']:,} gone")
    else:
        person = check.rows(golden.golden_of(golden.by_person_and_record(records)))
        recomputed = person.height
    kept = GoldenState(state_meta(scope, person.height, check.version),
                       pl.DataFrame([hashes, records["person_id"]]), person)
    return person, kept, {"mode": mode, "mode_reason": why, "persons": person.height,
                          "persons_recomputed": recomputed, **stats}


def _merged(records: pl.DataFrame, kept: pl.DataFrame | pl.LazyFrame, ids: pl.Series,
            check: Callable[[pl.DataFrame], pl.DataFrame]) -> tuple[pl.DataFrame, int]:
    """Last night's rows (``kept``: read as it is filtered when a scan) of the persons not in
    ``ids`` and tonight's rows of those in it (passed through ``check``), in person-id order;
    and how many were computed."""
    redo = pl.col("person_id").is_in(ids.implode())
    fresh = check(golden.golden_of(golden.by_person_and_record(records.filter(redo))))
    rest = kept.lazy().filter(~redo).collect()
    if not fresh.height:
        return rest, 0
    return _in_person_order(rest, fresh), fresh.height


def _in_person_order(rest: pl.DataFrame, fresh: pl.DataFrame) -> pl.DataFrame:
    """Two frames in person-id order (disjoint persons) as one, in person-id order.

    When every id is one the link step mints (``golden.by_person_and_record``), the two are
    stacked and sorted by the ids' hex numbers (their string order; half the CPU of merging
    by the strings), else merged by the strings.
    """
    minted = pl.col("person_id").str.contains(golden.MINTED_ID).all(ignore_nulls=False)
    if not all(part.select(minted).item() for part in (rest, fresh)):
        return rest.merge_sorted(fresh, key="person_id")
    return pl.concat([rest, fresh], rechunk=False).sort(pl.col("person_id").str.slice(1)
                                                        .str.to_integer(base=16))
