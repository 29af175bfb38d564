"""Mismatch rules: what does not agree between departments, one small function per rule.

Every rule has the signature ``(tables, links, person, month_end) -> mismatch rows`` and returns
at most one row per person (``MISMATCH_COLUMNS``). Records dated after ``month_end`` (by the
record's own date, ``golden.record_date``) are ignored, so a month's mismatches are as of its
last day. Definitions (DOMAIN.md, "Mismatches a steward must see"):

- ``no_doctor_contract``: registered (in the poverty roster) with no family-doctor contract.
- ``not_insured``: registered with no enrolment whose status is 参保缴费.
- ``wrong_subsidy``: insured (参保缴费) with a subsidy type other than the expected one:
  active (status 正常 or empty) 特困供养 -> 特困全额资助; else active 低保 -> 低保定额资助; else
  registered -> 脱贫人口资助 or 监测对象资助 (``无`` or empty is wrong). People with none of these
  statuses are not checked.
- ``settlement_not_in_ledger``: a registered person's settlement whose diagnosis names one of the
  30 serious illnesses, with no ledger entry for that illness.
- ``ledger_without_settlement``: a ledger entry with status 已救治 or 救治中 whose person has no
  settlement at all (any diagnosis: settlement diagnoses are free text and rarely match the
  ledger's illness names).
- ``dead_but_active``: a person with a death record (death date on or before month end) who is
  still active elsewhere: enrolment 参保缴费, assistance status 正常, or in the poverty roster
  and not risk-cleared; or who has activity dated after death (contract, follow-up, settlement
  admission, assistance start).
- ``village_conflict``: two or more departments place one person in different villages.
- ``assistance_illness_not_monitored``: an active 低保/特困供养 recipient whose hardship cause
  contains 因病 and who is not in the poverty roster.
- ``uncertain_match``: a record pair scored between the accept and reject thresholds, awaiting a
  steward's decision (from the linker's ``uncertain`` frame; no person id).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date

import polars as pl

from pipelines.fields import EXTRACTS, SERIOUS_ILLNESSES
from pipelines.golden import get_table, record_date

RULE_COLUMNS: tuple[str, ...] = (
    "rule", "rule_zh", "rule_en", "person_id", "name", "village_code", "township_code",
    "detail", "evidence",
)
MISMATCH_COLUMNS: tuple[str, ...] = (*RULE_COLUMNS, "pending_match")
PENDING_NOTE = "；待确认匹配 / pending match decision"

RULES: dict[str, tuple[str, str]] = {
    "no_doctor_contract": (
        "监测对象未签约家庭医生", "registered person with no family-doctor contract"
    ),
    "not_insured": ("监测对象未参保", "registered person not insured"),
    "wrong_subsidy": ("参保资助类型与民政身份不符", "insured with the wrong subsidy type"),
    "settlement_not_in_ledger": (
        "大病住院结算但未纳入大病专项救治台账",
        "serious-illness settlement for a registered person missing from the ledger",
    ),
    "ledger_without_settlement": ("台账救治记录无住院结算", "ledger entry with no settlement"),
    "dead_but_active": (
        "已死亡人员仍在其他名单中有效", "dead person still active in another roster"
    ),
    "village_conflict": ("不同部门登记的所在村不一致", "same person in different villages"),
    "assistance_illness_not_monitored": (
        "因病低保特困对象未纳入防返贫监测",
        "低保/特困 recipient with illness hardship not in the monitoring roster",
    ),
    "uncertain_match": ("待确认的疑似同一人", "uncertain match awaiting a decision"),
}

ACTIVE_ENROL = "参保缴费"
TREATING = ("已救治", "救治中")
_ILLNESS_PATTERN = "(" + "|".join(
    re.escape(s) for s in sorted(SERIOUS_ILLNESSES, key=len, reverse=True)
) + ")"

Tables = dict[str, pl.DataFrame]
_AS_OF_CACHE: ContextVar[dict[tuple[str, date], pl.DataFrame] | None] = ContextVar(
    "_AS_OF_CACHE", default=None
)


def month_end_of(month: str | date) -> date:
    """Last day of a month given as ``'YYYY-MM'`` or any date in it.

    Args:
        month: ``'YYYY-MM'`` or a date.

    Returns:
        The month's last day.
    """
    if isinstance(month, str):
        if not re.fullmatch(r"\d{4}-\d{2}", month):
            msg = f"month must look like 'YYYY-MM', got {month!r}"
            raise ValueError(msg)
        month = date(int(month[:4]), int(month[5:]), 1)
    nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


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
    cache = _AS_OF_CACHE.get()
    if cache is not None and (extract, month_end) in cache:
        return cache[(extract, month_end)]
    out = (
        get_table(tables, extract)
        .with_columns(record_date(extract))
        .filter(pl.col("record_date").is_null() | (pl.col("record_date") <= month_end))
        .join(links.select("record_id", "person_id"), on="record_id", how="inner")
    )
    if cache is not None:
        cache[(extract, month_end)] = out
    return out


@contextmanager
def as_of_cache() -> Iterator[None]:
    """Within the block, ``as_of`` computes each (extract, month end) once.

    Only for a block where ``tables`` and ``links`` stay the same (one ``find_mismatches`` or
    ``village_monthly`` call).
    """
    token = _AS_OF_CACHE.set({})
    try:
        yield
    finally:
        _AS_OF_CACHE.reset(token)


def registered(tables: Tables, links: pl.DataFrame, month_end: date) -> pl.DataFrame:
    """Registered people (in the poverty roster): person_id and their roster record ids."""
    return (
        as_of(tables, links, "poverty_roster", month_end)
        .group_by("person_id")
        .agg(pl.col("record_id").sort().str.join(",").alias("roster_ids"))
    )


def _finish(rule: str, hits: pl.DataFrame, person: pl.DataFrame) -> pl.DataFrame:
    """Add rule texts and the golden person's name and places; keep the mismatch columns."""
    zh, en = RULES[rule]
    return (
        hits.unique(subset="person_id", keep="first", maintain_order=True)
        .join(person.select("person_id", "name", "village_code", "township_code"),
              on="person_id", how="left")
        .with_columns(rule=pl.lit(rule), rule_zh=pl.lit(zh), rule_en=pl.lit(en))
        .select(RULE_COLUMNS)
        .sort("person_id")
    )


def _ids(*cols: str) -> pl.Expr:
    """Comma-joined evidence from comma-joined id columns, empty parts dropped."""
    joined = pl.concat_str([pl.col(c).fill_null("") for c in cols], separator=",")
    return joined.str.split(",").list.eval(pl.element().filter(pl.element() != "")).list.unique(
        maintain_order=True
    ).list.join(",").alias("evidence")


def no_doctor_contract(tables: Tables, links: pl.DataFrame, person: pl.DataFrame,
                       month_end: date) -> pl.DataFrame:
    """Registered people with no family-doctor contract as of month end."""
    contracted = as_of(tables, links, "doctor_contract", month_end).select("person_id")
    hits = (
        registered(tables, links, month_end)
        .join(contracted, on="person_id", how="anti")
        .with_columns(
            detail=pl.lit("防返贫监测名单中有此人，家庭医生签约中无记录 / "
                          "in the poverty roster, no family-doctor contract"),
            evidence=pl.col("roster_ids"),
        )
    )
    return _finish("no_doctor_contract", hits, person)


def not_insured(tables: Tables, links: pl.DataFrame, person: pl.DataFrame,
                month_end: date) -> pl.DataFrame:
    """Registered people with no enrolment in status 参保缴费."""
    reg = registered(tables, links, month_end)
    enrol = (
        as_of(tables, links, "enrolment", month_end)
        .join(reg, on="person_id", how="semi")
        .group_by("person_id")
        .agg(
            pl.col("enrol_status").fill_null("空").unique().sort().str.join("、").alias("statuses"),
            (pl.col("enrol_status") == ACTIVE_ENROL).any().alias("insured"),
            pl.col("record_id").sort().str.join(",").alias("enrol_ids"),
        )
    )
    hits = (
        reg.join(enrol, on="person_id", how="left")
        .filter(~pl.col("insured").fill_null(False))
        .with_columns(
            detail=pl.when(pl.col("statuses").is_null())
            .then(pl.lit("医保参保中无记录 / no enrolment record"))
            .otherwise(pl.lit("参保状态: ") + pl.col("statuses") + pl.lit(" / enrol status: ")
                       + pl.col("statuses")),
            evidence=_ids("roster_ids", "enrol_ids"),
        )
    )
    return _finish("not_insured", hits, person)


def expected_subsidy(tables: Tables, links: pl.DataFrame, month_end: date) -> pl.DataFrame:
    """Insured people, the subsidy types they hold, those they should hold, and whether it fits.

    Args:
        tables: extract name -> table.
        links: record_id, record_key, person_id, cluster_size.
        month_end: last day of the month.

    Returns:
        person_id, actual (list[str]), expected (list[str]), basis (str), consistent (bool),
        evidence_ids (str): one row per insured person who has a basis to check.
    """
    assist = (
        as_of(tables, links, "assistance", month_end)
        .filter(pl.col("status").is_null() | (pl.col("status") == "正常"))
        .group_by("person_id")
        .agg(
            (pl.col("assistance_type") == "特困供养").any().alias("tekun"),
            (pl.col("assistance_type") == "低保").any().alias("dibao"),
            pl.col("record_id").sort().str.join(",").alias("assist_ids"),
        )
    )
    reg = registered(tables, links, month_end).with_columns(reg=pl.lit(True))
    basis_ids = pl.concat([assist.select("person_id"), reg.select("person_id")])
    insured = (
        as_of(tables, links, "enrolment", month_end)
        .filter(pl.col("enrol_status") == ACTIVE_ENROL)
        .join(basis_ids, on="person_id", how="semi")
        .group_by("person_id")
        .agg(
            pl.col("subsidy_type").fill_null("空").unique().sort().alias("actual"),
            pl.col("record_id").sort().str.join(",").alias("enrol_ids"),
        )
    )
    basis = (
        pl.when(pl.col("tekun").fill_null(False)).then(pl.lit("特困供养"))
        .when(pl.col("dibao").fill_null(False)).then(pl.lit("低保"))
        .when(pl.col("reg").fill_null(False)).then(pl.lit("防返贫监测"))
    )
    expected = (
        pl.when(pl.col("basis") == "特困供养").then(pl.lit(["特困全额资助"]))
        .when(pl.col("basis") == "低保").then(pl.lit(["低保定额资助"]))
        .otherwise(pl.lit(["脱贫人口资助", "监测对象资助"]))
    )
    return (
        insured.join(assist, on="person_id", how="left")
        .join(reg, on="person_id", how="left")
        .with_columns(basis=basis)
        .filter(pl.col("basis").is_not_null())
        .with_columns(expected=expected)
        .with_columns(
            consistent=pl.col("actual").list.set_intersection("expected").list.len() > 0,
            evidence_ids=_ids("enrol_ids", "assist_ids", "roster_ids"),
        )
        .select("person_id", "actual", "expected", "basis", "consistent", "evidence_ids")
    )


def wrong_subsidy(tables: Tables, links: pl.DataFrame, person: pl.DataFrame,
                  month_end: date) -> pl.DataFrame:
    """Insured people whose subsidy type does not match their civil-affairs or roster status."""
    hits = (
        expected_subsidy(tables, links, month_end)
        .filter(~pl.col("consistent"))
        .with_columns(
            detail=pl.lit("身份: ") + pl.col("basis") + pl.lit("; 资助类型: ")
            + pl.col("actual").list.join("、") + pl.lit("; 应为: ")
            + pl.col("expected").list.join("或") + pl.lit(" / status ") + pl.col("basis")
            + pl.lit(", subsidy ") + pl.col("actual").list.join(",") + pl.lit(", expected ")
            + pl.col("expected").list.join(" or "),
            evidence=pl.col("evidence_ids"),
        )
    )
    return _finish("wrong_subsidy", hits, person)


def serious_settlements(tables: Tables, links: pl.DataFrame, month_end: date) -> pl.DataFrame:
    """Settlements whose diagnosis names one of the 30 serious illnesses, with ``illness``."""
    return (
        as_of(tables, links, "settlement", month_end)
        .with_columns(illness=pl.col("diagnosis").str.extract(_ILLNESS_PATTERN, 1))
        .filter(pl.col("illness").is_not_null())
    )


def settlement_not_in_ledger(tables: Tables, links: pl.DataFrame, person: pl.DataFrame,
                             month_end: date) -> pl.DataFrame:
    """Registered people with a serious-illness settlement and no ledger entry for that illness."""
    ledger = as_of(tables, links, "illness_ledger", month_end).select("person_id", "illness")
    reg = registered(tables, links, month_end).select("person_id")
    hits = (
        serious_settlements(tables, links, month_end)
        .join(reg, on="person_id", how="semi")
        .join(ledger, on=["person_id", "illness"], how="anti")
        .group_by("person_id")
        .agg(
            pl.col("illness").unique().sort().str.join("、").alias("illnesses"),
            pl.col("record_id").sort().str.join(",").alias("evidence"),
        )
        .with_columns(
            detail=pl.lit("住院结算病种: ") + pl.col("illnesses")
            + pl.lit("，大病台账无此病种记录 / settled for ") + pl.col("illnesses")
            + pl.lit(", not in the serious-illness ledger"),
        )
    )
    return _finish("settlement_not_in_ledger", hits, person)


def ledger_without_settlement(tables: Tables, links: pl.DataFrame, person: pl.DataFrame,
                              month_end: date) -> pl.DataFrame:
    """Ledger entries 已救治/救治中 whose person has no settlement at all as of month end."""
    settled = as_of(tables, links, "settlement", month_end).select("person_id")
    hits = (
        as_of(tables, links, "illness_ledger", month_end)
        .filter(pl.col("status").is_in(TREATING))
        .join(settled, on="person_id", how="anti")
        .group_by("person_id")
        .agg(
            (pl.col("illness").fill_null("?") + pl.lit("(") + pl.col("status") + pl.lit(")"))
            .sort().str.join("、").alias("entries"),
            pl.col("record_id").sort().str.join(",").alias("evidence"),
        )
        .with_columns(
            detail=pl.lit("大病台账: ") + pl.col("entries")
            + pl.lit("，医保无住院结算 / ledger entry, no inpatient settlement"),
        )
    )
    return _finish("ledger_without_settlement", hits, person)


def _activity_after_death(tables: Tables, links: pl.DataFrame, month_end: date) -> pl.DataFrame:
    """person_id, what (text), record_id for every sign of life: active rosters, later dates."""
    dated = {
        "doctor_contract": ("contract_date", "签约"),
        "chronic_followup": ("followup_date", "随访"),
        "settlement": ("admission_date", "住院"),
        "assistance": ("start_date", "救助起始"),
    }
    no_date = pl.lit(None, pl.Date).alias("when")
    active = [
        as_of(tables, links, "enrolment", month_end)
        .filter(pl.col("enrol_status") == ACTIVE_ENROL)
        .select("person_id", "record_id", no_date, what=pl.lit("医保参保缴费 enrolled")),
        as_of(tables, links, "assistance", month_end)
        .filter(pl.col("status") == "正常")
        .select("person_id", "record_id", no_date,
                what=pl.lit("救助状态正常 assistance active")),
        as_of(tables, links, "poverty_roster", month_end)
        .filter(~pl.col("risk_cleared").fill_null(False))
        .select("person_id", "record_id", no_date,
                what=pl.lit("防返贫监测未消除风险 in roster, risk not cleared")),
    ]
    later = [
        as_of(tables, links, ext, month_end)
        .filter(pl.col(col).is_not_null())
        .select("person_id", "record_id", pl.col(col).alias("when"), what=pl.lit(f"{zh} {col}"))
        for ext, (col, zh) in dated.items()
    ]
    return pl.concat(active + later)


def dead_but_active(tables: Tables, links: pl.DataFrame, person: pl.DataFrame,
                    month_end: date) -> pl.DataFrame:
    """People dead by month end who are still active in another roster or act after death."""
    deaths = (
        as_of(tables, links, "death", month_end)
        .filter(pl.col("death_date").is_not_null())
        .group_by("person_id")
        .agg(
            pl.col("death_date").min(),
            pl.col("record_id").sort().str.join(",").alias("death_ids"),
        )
    )
    signs = (
        _activity_after_death(tables, links, month_end)
        .join(deaths, on="person_id", how="inner")
        .filter(pl.col("when").is_null() | (pl.col("when") > pl.col("death_date")))
        .with_columns(
            what=pl.col("what") + pl.when(pl.col("when").is_not_null())
            .then(pl.lit(" ") + pl.col("when").dt.to_string("%Y-%m-%d")).otherwise(pl.lit(""))
        )
        .group_by("person_id")
        .agg(
            pl.col("what").unique().sort().str.join("; ").alias("whats"),
            pl.col("record_id").sort().str.join(",").alias("active_ids"),
            pl.col("death_date").first(),
            pl.col("death_ids").first(),
        )
        .with_columns(
            detail=pl.lit("死亡日期 death date ") + pl.col("death_date").dt.to_string("%Y-%m-%d")
            + pl.lit("; 仍有效 still active: ") + pl.col("whats"),
            evidence=_ids("death_ids", "active_ids"),
        )
    )
    return _finish("dead_but_active", signs, person)


def register_villages(placed: pl.DataFrame) -> pl.DataFrame:
    """Each register's (extract's) village for each person: most recent, then most frequent.

    Args:
        placed: person_id, extract, department, village_code, record_date (one row per record).

    Returns:
        person_id, extract, department, village_code: one row per person and extract.
    """
    return (
        placed.group_by("person_id", "extract", "department", "village_code")
        .agg(pl.col("record_date").max().alias("latest"), pl.len().alias("n"))
        .sort("latest", "n", "village_code", nulls_last=False)
        .group_by("person_id", "extract", "department", maintain_order=True)
        .agg(pl.col("village_code").last())
    )


def village_conflict(tables: Tables, links: pl.DataFrame, person: pl.DataFrame,
                     month_end: date) -> pl.DataFrame:
    """People placed in different villages by different departments.

    Each register (extract) places a person in its most recent (then most frequent) village,
    so a move over time within one register is no conflict. A person is flagged when those
    villages differ and come from two or more departments: with at least two departments and
    two distinct villages some pair of departments always disagrees, so a disagreement only
    between one department's own registers (and no other department) is not flagged.
    """
    placed = pl.concat(
        [as_of(tables, links, ext, month_end)
         .select("person_id", "record_id", "extract", "department", "village_code",
                 "record_date")
         for ext in EXTRACTS]
    ).filter(pl.col("village_code").is_not_null())
    current = register_villages(placed)
    conflicted = (
        current.group_by("person_id")
        .agg(pl.col("department").n_unique().alias("departments"),
             pl.col("village_code").n_unique().alias("villages"))
        .filter((pl.col("departments") > 1) & (pl.col("villages") > 1))
        .select("person_id")
    )
    current = current.join(conflicted, on="person_id", how="semi")
    evidence = (  # the records behind each register's current village, not its past ones
        placed.join(current, on=["person_id", "extract", "village_code"], how="semi")
        .group_by("person_id")
        .agg(pl.col("record_id").sort().str.join(",").alias("evidence"))
    )
    hits = (
        current.group_by("person_id")
        .agg((pl.col("extract") + pl.lit("=") + pl.col("village_code"))
             .sort().str.join(", ").alias("pairs"))
        .join(evidence, on="person_id")
        .with_columns(
            detail=pl.lit("各部门登记的村不同 villages differ by department: ") + pl.col("pairs")
        )
    )
    return _finish("village_conflict", hits, person)


def assistance_illness_not_monitored(tables: Tables, links: pl.DataFrame, person: pl.DataFrame,
                                     month_end: date) -> pl.DataFrame:
    """Active 低保/特困 recipients with hardship cause 因病 who are not in the poverty roster."""
    reg = registered(tables, links, month_end).select("person_id")
    hits = (
        as_of(tables, links, "assistance", month_end)
        .filter(
            pl.col("assistance_type").is_in(["低保", "特困供养"])
            & pl.col("hardship_cause").str.contains("因病").fill_null(False)
            & (pl.col("status").is_null() | (pl.col("status") == "正常"))
        )
        .join(reg, on="person_id", how="anti")
        .group_by("person_id")
        .agg(
            pl.col("assistance_type").unique().sort().str.join("、").alias("types"),
            pl.col("record_id").sort().str.join(",").alias("evidence"),
        )
        .with_columns(
            detail=pl.col("types") + pl.lit("对象，致困原因因病，未纳入防返贫监测 / ")
            + pl.col("types") + pl.lit(" recipient, hardship from illness, not in the roster")
        )
    )
    return _finish("assistance_illness_not_monitored", hits, person)


def _side(uncertain: pl.DataFrame, col: str) -> pl.Expr:
    """``<col>_l`` (else ``_r``) from the side-by-side uncertain frame, or null."""
    present = [pl.col(f"{col}_{s}") for s in ("l", "r") if f"{col}_{s}" in uncertain.columns]
    return (pl.coalesce(present) if present else pl.lit(None, dtype=pl.String)).alias(col)


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
    zh, en = RULES["uncertain_match"]
    names = (
        pl.concat_str([pl.col("name_l").fill_null("?"), pl.col("name_r").fill_null("?")],
                      separator=" / ")
        if {"name_l", "name_r"} <= set(uncertain.columns) else _side(uncertain, "name")
    )
    return uncertain.select(
        rule=pl.lit("uncertain_match"), rule_zh=pl.lit(zh), rule_en=pl.lit(en),
        person_id=pl.lit(None, dtype=pl.String),
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
    """The ``mismatch`` table schema (text, but ``pending_match`` boolean)."""
    return pl.Schema({c: pl.Boolean() if c == "pending_match" else pl.String()
                      for c in MISMATCH_COLUMNS})


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


RuleFn = Callable[[Tables, pl.DataFrame, pl.DataFrame, date], pl.DataFrame]
PERSON_RULES: dict[str, RuleFn] = {
    "no_doctor_contract": no_doctor_contract,
    "not_insured": not_insured,
    "wrong_subsidy": wrong_subsidy,
    "settlement_not_in_ledger": settlement_not_in_ledger,
    "ledger_without_settlement": ledger_without_settlement,
    "dead_but_active": dead_but_active,
    "village_conflict": village_conflict,
    "assistance_illness_not_monitored": assistance_illness_not_monitored,
}


def find_mismatches(tables: Tables, links: pl.DataFrame, person: pl.DataFrame,
                    month: str | date, uncertain: pl.DataFrame | None = None) -> pl.DataFrame:
    """All mismatch rows for a month: every person rule, then the uncertain matches.

    Args:
        tables: extract name -> table.
        links: record_id, record_key, person_id, cluster_size.
        person: the golden person table.
        month: ``'YYYY-MM'`` or a date in the month (rules apply as of its last day).
        uncertain: the linker's uncertain pairs, or None.

    Returns:
        The ``mismatch`` table (``MISMATCH_COLUMNS``); ``pending_match`` is True where the
        person has a record in an uncertain pair (so the mismatch may be an undecided match).
    """
    month_end = month_end_of(month)
    pending = pending_people(links, uncertain)
    with as_of_cache():
        parts = [_flag_pending(fn(tables, links, person, month_end), pending)
                 for fn in PERSON_RULES.values()]
    parts.append(uncertain_matches(uncertain))
    return pl.concat([p.cast(mismatch_schema()) for p in parts])
