"""What every rule stands on: extract rows as of a month's end, attached to their person.

``as_of`` is the one way a rule or a rollup reads an extract: rows dated after the month's last
day are left out, each row carries its ``person_id``. Inside ``as_of_cache()`` each (extract,
month end) is computed once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date

import polars as pl

from pipelines.domain.extracts import EXTRACTS
from pipelines.domain.predicates import (
    DIBAO,
    EXPECTED_SUBSIDY,
    REGISTERED_BASIS,
    TEKUN,
    active_assistance,
    insured,
    registered_row,
)
from pipelines.domain.rules import RULE_TEXTS
from pipelines.golden import aligned_person_ids, get_table, with_record_date
from pipelines.values import serious_illness_in
from schemas.canonical import table_schema
from schemas.contract import columns
from schemas.published import Mismatch

MISMATCH_COLUMNS: tuple[str, ...] = tuple(columns(Mismatch))
RULE_COLUMNS: tuple[str, ...] = MISMATCH_COLUMNS[:-1]  # all but pending_match

Tables = dict[str, pl.DataFrame]
# What only the linker reads (raw spellings, pinyin, where a row came from): no rule, rollup
# or case list reads them, so the steps that run those load an extract without them.
LINKER_ONLY: tuple[str, ...] = ("source_file", "sheet", "row_number", "name_raw", "name_pinyin",
                                "id_raw", "village_raw")
# What the rules and rollups read of the golden ``person`` (``finish_rule``, ``rollup``).
PERSON_READ: tuple[str, ...] = ("person_id", "name", "village_code", "township_code")
_AS_OF_CACHE: ContextVar[dict[tuple[str, date], pl.DataFrame] | None] = ContextVar(
    "_AS_OF_CACHE", default=None
)
_LINKED_CACHE: ContextVar[dict[str, pl.DataFrame] | None] = ContextVar(
    "_LINKED_CACHE", default=None
)


def _linked(tables: Tables, links: pl.DataFrame, extract: str) -> pl.DataFrame:
    """One extract's rows that a link names, with its ``person_id``.

    Inside ``as_of_cache()`` every extract is attached at once, by ONE join of all their
    record ids against ``links`` (one extract after another, each probing all of ``links``,
    cost several times as much), the rows in table order; no join at all when ``links``
    lists the tables' records in order (``aligned_person_ids``), as the link step writes it.
    """
    cache = _LINKED_CACHE.get()
    person = links.select("record_id", "person_id", _hit=pl.lit(True))
    if cache is None:
        return get_table(tables, extract).join(person.drop("_hit"), on="record_id", how="inner")
    if not cache:
        parts = {name: get_table(tables, name) for name in EXTRACTS}
        ids = pl.concat([t.select("record_id") for t in parts.values()])
        aligned = aligned_person_ids(ids["record_id"], links)  # no join needed
        found = (ids.with_columns(aligned, _hit=pl.lit(True)) if aligned is not None else
                 ids.join(person, on="record_id", how="left", maintain_order="left"))
        offset = 0
        for name, table in parts.items():
            rows = found.slice(offset, table.height)
            offset += table.height
            attached = table.with_columns(rows["person_id"])
            cache[name] = attached if aligned is not None else attached.filter(
                rows["_hit"].is_not_null())
        if offset != found.height:  # a record id linked twice: attach each extract alone
            cache.clear()
            return get_table(tables, extract).join(person.drop("_hit"), on="record_id",
                                                   how="inner")
    return cache[extract]


def as_of(tables: Tables, links: pl.DataFrame, extract: str, month_end: date) -> pl.DataFrame:
    """One extract's rows with ``person_id``, ignoring rows dated after ``month_end``.

    Args:
        tables: extract name -> table.
        links: record_id, record_key, person_id, cluster_size.
        extract: a key of ``EXTRACTS``.
        month_end: last day of the month.

    Returns:
        The rows (with ``record_date`` and ``person_id``) as of month end.
    """
    def rows_as_of() -> pl.DataFrame:
        rows = _linked(tables, links, extract)
        return (
            with_record_date(rows, extract)
            .filter(pl.col("record_date").is_null() | (pl.col("record_date") <= month_end))
            .select(*(c for c in rows.columns if c != "person_id"), "record_date", "person_id")
        )

    return _cached((extract, month_end), rows_as_of)


def _cached(key: tuple, make: Callable[[], pl.DataFrame]) -> pl.DataFrame:
    """``make()``, made once per ``key`` inside ``as_of_cache()`` (every time outside it)."""
    cache = _AS_OF_CACHE.get()
    if cache is None:
        return make()
    if key not in cache:
        cache[key] = make()
    return cache[key]


def columns_read(extract: str) -> tuple[str, ...]:
    """The columns of ``extract`` the rules, rollups and case exchange read: all but
    ``LINKER_ONLY``."""
    return tuple(c for c in table_schema(extract) if c not in LINKER_ONLY)


# What no rule or rollup reads of an extract: who a record names (the golden record picks
# those), how a person was served (the exchange's and work lists' columns). A rule names its
# person by the golden record (``finish_rule``), never by a record's own name or ID.
NOT_IN_RULES: tuple[str, ...] = (
    "name", "id_number", "id_valid", "sex", "birth_date", "township_code", "household_id",
    "head_name", "relation", "team", "service_package", "groups", "followup_way", "clinic",
    "insurance_no", "hospital", "basic_insurance", "critical_insurance", "medical_assistance",
    "cremation_date")


def rules_read(extract: str) -> tuple[str, ...]:
    """The columns of ``extract`` that ``find_mismatches`` and ``village_monthly`` read (the
    steps that run them load only these): ``columns_read`` but ``NOT_IN_RULES``."""
    return tuple(c for c in columns_read(extract) if c not in NOT_IN_RULES)


@contextmanager
def as_of_cache() -> Iterator[None]:
    """Within the block, ``as_of`` computes each (extract, month end) once.

    Only for a block where ``tables`` and ``links`` stay the same (one ``find_mismatches`` or
    ``village_monthly`` call).
    """
    token, linked = _AS_OF_CACHE.set({}), _LINKED_CACHE.set({})
    try:
        yield
    finally:
        _AS_OF_CACHE.reset(token)
        _LINKED_CACHE.reset(linked)


def _registered_rows(tables: Tables, links: pl.DataFrame, month_end: date) -> pl.DataFrame:
    """The roster's ``registered_row`` rows as of month end (person_id, record_id; once per
    month end inside ``as_of_cache()``)."""
    return _cached(("(registered rows)", month_end), lambda: (
        as_of(tables, links, "poverty_roster", month_end).filter(registered_row())
        .select("person_id", "record_id")))


def registered(tables: Tables, links: pl.DataFrame, month_end: date) -> pl.DataFrame:
    """Registered people (``registered_row`` of the roster): person_id, once each (once per
    month end inside ``as_of_cache()``: six rules and the rollup ask). Their roster record
    ids are :func:`roster_ids`, asked for the few a rule names."""
    return _cached(("(registered)", month_end), lambda: _registered_rows(
        tables, links, month_end).select("person_id").unique())


def roster_ids(tables: Tables, links: pl.DataFrame, month_end: date,
               people: pl.DataFrame) -> pl.DataFrame:
    """``people`` (a ``person_id`` column) with ``roster_ids``: their registered rows' record
    ids, sorted and comma-joined (null for a person with none). Only their rows are joined:
    the whole roster's took 0.3 CPU s at 1M residents for the few a rule names."""
    ids = (_registered_rows(tables, links, month_end)
           .join(people.select("person_id"), on="person_id", how="semi")
           .group_by("person_id")
           .agg(pl.col("record_id").sort().str.join(",").alias("roster_ids")))
    return people.join(ids, on="person_id", how="left", maintain_order="left")


def finish_rule(rule: str, hits: pl.DataFrame, person: pl.DataFrame) -> pl.DataFrame:
    """Add rule texts and the golden person's name and places; keep the mismatch columns.

    ``hits`` has one row per person, or per person and ``case_key`` for a rule a person can
    break more than once (a missing ``case_key`` is null: once per person).
    """
    zh, en = RULE_TEXTS[rule]
    if "case_key" not in hits.columns:
        hits = hits.with_columns(case_key=pl.lit(None, pl.String))
    # a rule names a few of the county's people: those are looked up, not all hashed
    people = person.select(PERSON_READ)
    people = people.filter(pl.col("person_id").is_in(hits["person_id"].implode()))
    return (
        hits.unique(subset=["person_id", "case_key"], keep="first", maintain_order=True)
        .join(people, on="person_id", how="left")
        .with_columns(rule=pl.lit(rule), rule_zh=pl.lit(zh), rule_en=pl.lit(en),
                      case_key=pl.col("case_key").cast(pl.String))
        .select(RULE_COLUMNS)
        .sort("person_id", "case_key", nulls_last=False)
    )


def evidence_ids(*cols: str) -> pl.Expr:
    """Comma-joined evidence from comma-joined id columns, empty parts dropped."""
    joined = pl.concat_str([pl.col(c).fill_null("") for c in cols], separator=",")
    return joined.str.split(",").list.eval(pl.element().filter(pl.element() != "")).list.unique(
        maintain_order=True
    ).list.join(",").alias("evidence")


def expected_subsidy(tables: Tables, links: pl.DataFrame, month_end: date, *,
                     ids: bool = True) -> pl.DataFrame:
    """Insured people, the subsidy types they hold, those they should hold, and whether it fits.

    Args:
        tables: extract name -> table.
        links: record_id, record_key, person_id, cluster_size.
        month_end: last day of the month.
        ids: also each person's record ids (for evidence; the rollup counts without them).

    Returns:
        person_id, actual (list[str]), expected (list[str]), basis (str), consistent (bool)
        and, with ``ids``, enrol_ids, assist_ids and roster_ids (comma-joined record ids,
        ``evidence_ids`` joins them; :func:`subsidy_ids`): one row per insured person who
        has a basis to check.
    """
    assist = (
        as_of(tables, links, "assistance", month_end)
        .filter(active_assistance())
        .group_by("person_id")
        .agg(
            (pl.col("assistance_type") == TEKUN).any().alias("tekun"),
            (pl.col("assistance_type") == DIBAO).any().alias("dibao"),
        )
    )
    reg = registered(tables, links, month_end).select("person_id", reg=pl.lit(True))
    basis_ids = pl.concat([assist.select("person_id"), reg.select("person_id")])
    enrolled = (
        as_of(tables, links, "enrolment", month_end)
        .filter(insured())
        .join(basis_ids, on="person_id", how="semi")
        .group_by("person_id")
        .agg(pl.col("subsidy_type").fill_null("空").unique().sort().alias("actual"))
    )
    basis = (
        pl.when(pl.col("tekun").fill_null(False)).then(pl.lit(TEKUN))
        .when(pl.col("dibao").fill_null(False)).then(pl.lit(DIBAO))
        .when(pl.col("reg").fill_null(False)).then(pl.lit(REGISTERED_BASIS))
    )
    expected = (
        pl.when(pl.col("basis") == TEKUN).then(pl.lit(list(EXPECTED_SUBSIDY[TEKUN])))
        .when(pl.col("basis") == DIBAO).then(pl.lit(list(EXPECTED_SUBSIDY[DIBAO])))
        .otherwise(pl.lit(list(EXPECTED_SUBSIDY[REGISTERED_BASIS])))
    )
    checked = (
        enrolled.join(assist, on="person_id", how="left")
        .join(reg, on="person_id", how="left")
        .with_columns(basis=basis)
        .filter(pl.col("basis").is_not_null())
        .with_columns(expected=expected)
        .with_columns(
            consistent=pl.col("actual").list.set_intersection("expected").list.len() > 0)
        .select("person_id", "actual", "expected", "basis", "consistent")
    )
    return subsidy_ids(tables, links, month_end, checked) if ids else checked


def subsidy_ids(tables: Tables, links: pl.DataFrame, month_end: date,
                people: pl.DataFrame) -> pl.DataFrame:
    """``people`` (rows of :func:`expected_subsidy`) with the record ids behind their check:
    enrol_ids (insured enrolments), assist_ids (active assistance) and roster_ids (registered
    rows), each sorted and comma-joined, null when there are none.

    Only ``people``'s records are gathered and joined: ``wrong_subsidy`` asks for its few
    people, not for every insured person's.
    """
    record_ids = pl.col("record_id").sort().str.join(",")
    who = people.select("person_id")

    def ids_of(rows: pl.DataFrame, name: str) -> pl.DataFrame:
        return (rows.join(who, on="person_id", how="semi").group_by("person_id")
                .agg(record_ids.alias(name)))

    enrol = ids_of(as_of(tables, links, "enrolment", month_end).filter(insured()),
                   "enrol_ids")
    assist = ids_of(as_of(tables, links, "assistance", month_end).filter(active_assistance()),
                    "assist_ids")
    return roster_ids(tables, links, month_end,
                      people.join(enrol, on="person_id", how="left", maintain_order="left")
                      .join(assist, on="person_id", how="left", maintain_order="left"))


def serious_settlements(tables: Tables, links: pl.DataFrame, month_end: date) -> pl.DataFrame:
    """Settlements whose diagnosis names one of the 30 serious illnesses, with ``illness``.

    The diagnosis names an illness when it contains one of its words (``serious_illness`` in
    ``values.yaml``: 食道癌 names 食管癌), the longest word first.
    """
    rows = as_of(tables, links, "settlement", month_end)
    return (
        rows.with_columns(illness=serious_illness_in(rows["diagnosis"]))
        .filter(pl.col("illness").is_not_null())
    )


