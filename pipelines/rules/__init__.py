"""Mismatch rules: what does not agree between departments, one small function per rule.

Every rule has the signature ``(tables, links, person, month_end) -> mismatch rows`` and returns
at most one row per person and ``case_key`` (``MISMATCH_COLUMNS``): the key is null for a rule a
person breaks once, the illness for ``settlement_not_in_ledger`` and
``ledger_without_settlement`` (each illness is its own problem), and the pair's two record keys
for ``uncertain_match``. Records dated after ``month_end`` (by the
record's own date, ``golden.record_date``) are ignored, so a month's mismatches are as of its
last day. Rules compare canonical codes only (ingest mapped every department's words), and ask
about statuses only through the named predicates of ``pipelines.domain.predicates``
(``registered_row``, ``insured``, ``active_assistance``, ``subsistence``, ``illness_risk``,
``treating``, ``risk_open``). Definitions (DOMAIN.md, "Mismatches a steward must see"):

- ``no_doctor_contract``: registered (a ``registered_row`` of the poverty roster) with no
  family-doctor contract.
- ``not_insured``: registered with no enrolment that is ``insured`` (参保缴费, 异地参保).
- ``wrong_subsidy``: insured with a subsidy type other than the expected one: an
  ``active_assistance`` (status 正常 or empty) 特困供养 -> 特困全额资助; else active 低保 ->
  低保定额资助; else registered -> 脱贫人口资助 or 监测对象资助 (``无`` or empty is wrong). People
  with none of these statuses are not checked.
- ``settlement_not_in_ledger``: a registered person's settlement whose diagnosis names one of the
  30 serious illnesses (by the words of the ``serious_illness`` code list: 食道癌 names 食管癌),
  with no ledger entry for that illness.
- ``ledger_without_settlement``: a ledger entry ``treating`` (已救治 or 救治中) whose person has
  no settlement at all (any diagnosis: settlement diagnoses are free text and rarely match the
  ledger's illness names).
- ``dead_but_active``: a person with a death record (death date on or before month end) who is
  still active elsewhere: an ``insured`` enrolment, an ``active_assistance``, or in the poverty
  roster with ``risk_open``; or who has activity dated after death (contract, follow-up,
  settlement admission, assistance start).
- ``village_conflict``: two or more departments place one person in different villages.
- ``assistance_illness_not_monitored``: an active ``subsistence`` recipient (低保, 特困供养)
  whose hardship causes include 因病 (``illness_risk``) and who is not in the poverty roster.
- ``uncertain_match``: a record pair scored between the accept and reject thresholds, awaiting a
  steward's decision (from the linker's ``uncertain`` frame; no person id).
- ``cross_county``: found by the province over its counties' published people
  (``pipelines.province.cross_county_cases``), not within one county.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import polars as pl

from pipelines.domain.months import Month
from pipelines.domain.rules import RULE_TEXTS
from pipelines.rules.base import Tables, as_of_cache
from pipelines.rules.illness import ledger_without_settlement, settlement_not_in_ledger
from pipelines.rules.life import dead_but_active, village_conflict
from pipelines.rules.roster import (
    assistance_illness_not_monitored,
    no_doctor_contract,
    not_insured,
    wrong_subsidy,
)
from schemas.contract import polars_schema
from schemas.published import Mismatch

PENDING_NOTE = "；待确认匹配 / pending match decision"
RuleFn = Callable[[Tables, pl.DataFrame, pl.DataFrame, date], pl.DataFrame]


@dataclass(frozen=True)
class Rule:
    """A mismatch rule: its id, its words for stewards, and the function that finds it.

    Attributes:
        id: the rule id published in ``mismatch.rule``.
        zh: what a Chinese-reading steward sees.
        en: the same in English.
        fn: ``(tables, links, person, month_end) -> rows`` (None for ``uncertain_match``, which
            comes from the linker's uncertain pairs, not from a function of the tables).
    """

    id: str
    zh: str
    en: str
    fn: RuleFn | None

    @classmethod
    def of(cls, rule_id: str, fn: RuleFn | None) -> Rule:
        """The rule ``rule_id`` with its words from ``pipelines.domain.rules``."""
        zh, en = RULE_TEXTS[rule_id]
        return cls(rule_id, zh, en, fn)


RULES: tuple[Rule, ...] = (
    Rule.of("no_doctor_contract", no_doctor_contract),
    Rule.of("not_insured", not_insured),
    Rule.of("wrong_subsidy", wrong_subsidy),
    Rule.of("settlement_not_in_ledger", settlement_not_in_ledger),
    Rule.of("ledger_without_settlement", ledger_without_settlement),
    Rule.of("dead_but_active", dead_but_active),
    Rule.of("village_conflict", village_conflict),
    Rule.of("assistance_illness_not_monitored", assistance_illness_not_monitored),
    Rule.of("uncertain_match", None),
    Rule.of("cross_county", None),  # the province's pass over its counties (pipelines.province)
)
RULE_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
PERSON_RULES: tuple[str, ...] = tuple(rule.id for rule in RULES if rule.fn is not None)


def _side(uncertain: pl.DataFrame, col: str) -> pl.Expr:
    """``<col>_l`` (else ``_r``) from the side-by-side uncertain frame, or null."""
    present = [pl.col(f"{col}_{s}") for s in ("l", "r") if f"{col}_{s}" in uncertain.columns]
    return (pl.coalesce(present) if present else pl.lit(None, dtype=pl.String)).alias(col)


def _pair_key(uncertain: pl.DataFrame) -> pl.Expr:
    """The pair's stable key: its two record keys (else record ids), ordered, comma-joined."""
    left, right = (("record_key_l", "record_key_r")
                   if {"record_key_l", "record_key_r"} <= set(uncertain.columns)
                   else ("record_id_l", "record_id_r"))
    a, b = pl.col(left).cast(pl.String), pl.col(right).cast(pl.String)
    return (pl.min_horizontal(a, b) + pl.lit(",") + pl.max_horizontal(a, b)).alias("case_key")


def uncertain_matches(uncertain: pl.DataFrame | None) -> pl.DataFrame:
    """Mismatch rows for pairs awaiting a steward's decision (no person id).

    Args:
        uncertain: record_id_l, record_id_r, match_weight, explain, side-by-side columns
            (``name_l``/``name_r``, ``village_code_l``/``_r`` … when present).

    Returns:
        ``MISMATCH_COLUMNS`` rows, one per pair.
    """
    if uncertain is None or uncertain.height == 0:
        return pl.DataFrame(schema=mismatch_schema())
    zh, en = RULE_TEXTS["uncertain_match"]
    names = (
        pl.concat_str([pl.col("name_l").fill_null("?"), pl.col("name_r").fill_null("?")],
                      separator=" / ")
        if {"name_l", "name_r"} <= set(uncertain.columns) else _side(uncertain, "name")
    )
    return uncertain.select(
        rule=pl.lit("uncertain_match"), rule_zh=pl.lit(zh), rule_en=pl.lit(en),
        person_id=pl.lit(None, dtype=pl.String),
        case_key=_pair_key(uncertain),
        name=names.alias("name"),
        village_code=_side(uncertain, "village_code"),
        township_code=_side(uncertain, "township_code"),
        detail=pl.lit("匹配权重 match weight ")
        + pl.col("match_weight").cast(pl.Float64).round(2).cast(pl.String)
        + pl.lit(": ") + pl.col("explain").cast(pl.String).fill_null(""),
        evidence=pl.concat_str("record_id_l", pl.lit(","), "record_id_r"),
        pending_match=pl.lit(True),
    )


def mismatch_schema() -> pl.Schema:
    """The ``mismatch`` table schema, from its contract ``schemas.published.Mismatch``."""
    return polars_schema(Mismatch)


def pending_people(links: pl.DataFrame, uncertain: pl.DataFrame | None) -> pl.DataFrame:
    """People with a record in an uncertain pair still awaiting a steward's decision.

    Args:
        links: record_id, record_key, person_id, cluster_size.
        uncertain: the linker's uncertain pairs (record_id_l, record_id_r, ...), or None.

    Returns:
        One column, person_id, unique.
    """
    if uncertain is None or uncertain.height == 0:
        return pl.DataFrame(schema={"person_id": pl.String})
    ids = pl.concat([uncertain.select(record_id=pl.col(c).cast(pl.String))
                     for c in ("record_id_l", "record_id_r")])
    return (
        links.select(pl.col("record_id").cast(pl.String), pl.col("person_id").cast(pl.String))
        .join(ids.unique(), on="record_id", how="semi")
        .select("person_id")
        .unique()
    )


def _flag_pending(hits: pl.DataFrame, pending: pl.DataFrame) -> pl.DataFrame:
    """Add ``pending_match`` and, where True, the pending note to the rule's detail."""
    flag = pl.col("person_id").is_in(pending["person_id"].implode())
    return hits.with_columns(pending_match=flag).with_columns(
        detail=pl.when(pl.col("pending_match"))
        .then(pl.col("detail") + pl.lit(PENDING_NOTE))
        .otherwise(pl.col("detail"))
    )


def find_mismatches(tables: Tables, links: pl.DataFrame, person: pl.DataFrame,
                    month: str | Month, uncertain: pl.DataFrame | None = None) -> pl.DataFrame:
    """All mismatch rows for a month: every person rule, then the uncertain matches.

    Args:
        tables: extract name -> table.
        links: record_id, record_key, person_id, cluster_size.
        person: the golden person table.
        month: the month (``Month`` or ``'YYYY-MM'``); rules apply as of its last day.
        uncertain: the linker's uncertain pairs, or None.

    Returns:
        The ``mismatch`` table (``MISMATCH_COLUMNS``); ``pending_match`` is True where the
        person has a record in an uncertain pair (so the mismatch may be an undecided match).
    """
    month_end = Month.parse(month).last_day
    pending = pending_people(links, uncertain)
    with as_of_cache():
        parts = [_flag_pending(rule.fn(tables, links, person, month_end), pending)
                 for rule in RULES if rule.fn is not None]
    parts.append(uncertain_matches(uncertain))
    return pl.concat([p.cast(mismatch_schema()) for p in parts])
