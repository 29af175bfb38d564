"""The township's answers applied to cases, and 非同一人 turned into steward decisions.

An answer (``schemas.cases.Verification``) counts from its 核实日期, else the day it was
received; only an answer newer than the one a case records — by (that day, received_at) —
changes the case, so the same archived answers can be passed month after month.

- 属实已整改 / 属实未整改: noted; the case closes by itself when the rule stops firing (an
  explained case answered so is reopened: the township now calls it an error);
- 信息有误 / 其他: the case is ``explained`` by the clerk (or 乡镇核实) with the note;
- 非同一人: noted; :func:`not_same_person_decisions` makes the ``no_link`` decisions that
  separate the records, and the case resolves once linkage applies them.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import polars as pl

from pipelines.cases.override import township_note
from pipelines.domain.cases import (
    EXPLAINING,
    NOT_SAME,
    OPEN_STATUSES,
    TOWNSHIP,
    VERIFICATION_RESULTS,
)
from pipelines.domain.county import TIMEZONE
from pipelines.domain.months import Month
from pipelines.link.decisions import decision_row
from pipelines.rules.life import conflict_villages
from schemas.cases import ReturnProblem, Verification
from schemas.contract import conform, empty_frame, polars_schema
from schemas.steward import MatchDecision

# The extract whose records a rule's case is about: 非同一人 separates them from the rest of the
# case's evidence. Rules not listed separate records of different departments.
ANCHOR_EXTRACT: dict[str, str] = {
    "dead_but_active": "death", "not_insured": "enrolment", "wrong_subsidy": "enrolment",
    "settlement_not_in_ledger": "settlement", "ledger_without_settlement": "illness_ledger",
    "assistance_illness_not_monitored": "assistance", "no_doctor_contract": "poverty_roster",
}
MAX_PAIRS = 20  # no_link decisions made from one answer at most; more are reported


def _effective(day: str, received: str) -> pl.Expr:
    """The day an answer counts from: its own date, else the date it was received."""
    return pl.coalesce(pl.col(day), pl.col(received).str.slice(0, 10).str.to_date(strict=False))


def latest_answers(verifications: pl.DataFrame) -> pl.DataFrame:
    """The newest answer per case (by effective day, then received_at, then row)."""
    return (
        conform(verifications, Verification)
        .with_columns(_day=_effective("verified_on", "received_at"))
        .sort("_day", "received_at", "source_file", "row_number", nulls_last=False)
        .unique("case_id", keep="last", maintain_order=True)
    )


def apply_verifications(cases: pl.DataFrame, verifications: pl.DataFrame,
                        month: str | Month) -> pl.DataFrame:
    """Record each case's newest answer when it is newer than the recorded one.

    Args:
        cases: case rows (the ``MismatchCase`` columns; ``month`` optional).
        verifications: ``Verification`` rows (answers to unknown cases are ignored here; the
            reader reports them).
        month: the month being built (``status_month`` of the changes).

    Returns:
        ``cases`` with the answers recorded and the statuses they change.
    """
    month = Month.parse(month)
    answers = latest_answers(verifications).select(
        "case_id", _result="result", _note="note", _by="verified_by", _on="verified_on",
        _src=pl.concat_str("source_file", pl.lit("#"), pl.col("sheet").fill_null(""),
                           pl.lit("!"), pl.col("row_number").cast(pl.String).fill_null("")),
        _recv="received_at", _day="_day")
    recorded = _effective("verified_on", "verification_received_at")
    newer = pl.col("_day").is_not_null() & (
        recorded.is_null() | (pl.col("_day") > recorded)
        | ((pl.col("_day") == recorded)
           & (pl.col("_recv") > pl.col("verification_received_at").fill_null(""))))
    rows = cases.join(answers, on="case_id", how="left").with_columns(_apply=newer.fill_null(False))
    return rows.with_columns(**_changes(month)).drop(
        "_result", "_note", "_by", "_on", "_src", "_recv", "_day", "_apply")


def _changes(month: Month) -> dict[str, pl.Expr]:
    """Column -> new value where ``_apply``: the answer recorded, the status it sets."""
    apply = pl.col("_apply")
    explains = apply & pl.col("_result").is_in(EXPLAINING) & pl.col("status").is_in(
        (*OPEN_STATUSES, "explained"))
    reopens = apply & ~pl.col("_result").is_in(EXPLAINING) & (pl.col("status") == "explained")
    changed = explains | reopens
    who = pl.coalesce("_by", pl.lit(TOWNSHIP))
    reason = pl.concat_str(pl.lit("核实: "), "_result",
                           pl.when(pl.col("_note").is_not_null())
                           .then(pl.lit(" — ") + pl.col("_note")).otherwise(pl.lit("")))

    def pick(new: str | pl.Expr, old: str, when: pl.Expr = apply) -> pl.Expr:
        return pl.when(when).then(new).otherwise(old)

    return {
        "verification_result": pick("_result", "verification_result"),
        "verification_note": pick("_note", "verification_note"),
        "verified_by": pick("_by", "verified_by"),
        "verified_on": pick("_on", "verified_on"),
        "verification_source": pick("_src", "verification_source"),
        "verification_received_at": pick("_recv", "verification_received_at"),
        "status": pl.when(explains).then(pl.lit("explained"))
        .when(reopens).then(pl.lit("open")).otherwise("status"),
        "status_by": pick(who, "status_by", changed),
        "status_at": pick("_day", "status_at", changed),
        "status_month": pick(pl.lit(str(month)), "status_month", changed),
        "status_reason": pick(reason, "status_reason", changed),
    }


def _evidence_records(evidence_keys: str | None) -> list[tuple[str, str]]:
    """(extract, record_key) of a case's ``evidence_keys``."""
    return [(ext, key) for ext, key in
            (k.split(":", 1) for k in (evidence_keys or "").split(",") if ":" in k)]


def _apart(records: list[tuple[str, str]], group: dict[str, str]) -> list[tuple[str, str]]:
    """Record-key pairs of records in different groups (``group``: extract -> group).

    Records of one group agree and are never separated; records of an extract outside
    ``group`` are not placed and are left alone.
    """
    placed = [(group[ext], key) for ext, key in records if ext in group]
    return [(key_a, key_b) for i, (g_a, key_a) in enumerate(placed)
            for g_b, key_b in placed[i + 1:] if g_a != g_b]


def _evidence_pairs(rule: str, case_key: str | None, evidence_keys: str | None,
                    detail: str | None = None) -> list[tuple[str, str]]:
    """Every record-key pair 非同一人 separates for one case: the odd records from the rest.

    - ``uncertain_match``: its two records;
    - ``village_conflict``: the records of each village against those of the other villages
      (each register's village read from the case's detail), never two records of one village:
      with a majority village, its minority records against the others;
    - a rule with an anchor (``ANCHOR_EXTRACT``): each anchor record against each other
      record, never two anchor records nor two of the rest;
    - any other rule (``cross_county``): none.
    """
    if rule == "uncertain_match":
        keys = [k for k in (case_key or "").split(",") if k]
        return [(keys[0], keys[1])] if len(keys) == 2 else []
    records = _evidence_records(evidence_keys)
    if rule == "village_conflict":
        return _apart(records, conflict_villages(detail))
    anchor = ANCHOR_EXTRACT.get(rule)
    if anchor is None:
        return []
    return _apart(records, {ext: str(ext == anchor) for ext, _ in records})


def not_same_person_decisions(verifications: pl.DataFrame, cases: pl.DataFrame
                              ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``no_link`` decisions for every 非同一人 answer, and the answers that name no pair.

    Only the odd records are separated, never two records that agree (:func:`_evidence_pairs`):
    an ``uncertain_match`` case's two records; a ``village_conflict`` case's records of each
    village from those of the other villages; otherwise the records of the rule's subject
    (``ANCHOR_EXTRACT``: the death record of ``dead_but_active``, the enrolment of
    ``not_insured`` …) from the rest of its evidence. A case that gives no pair (evidence of one
    register only, a rule without an anchor) is reported (``not_same_person_unpaired``) for the
    steward to decide; an answer giving more than ``MAX_PAIRS`` pairs makes the first
    ``MAX_PAIRS`` and reports the rest (``not_same_person_truncated``).

    Args:
        verifications: answers just read (``Verification``); call once per returned file.
        cases: the ``mismatch_case`` table the work list was made from.

    Returns:
        (``match_decision`` rows by record key, ``ReturnProblem`` rows).
    """
    answers = conform(verifications, Verification).filter(pl.col("result") == NOT_SAME)
    rows = answers.join(
        cases.select("case_id", "rule", "case_key", "evidence_keys",
                     pl.col("detail") if "detail" in cases.columns else pl.lit(None, pl.String)
                     .alias("detail")),
        on="case_id", how="inner")
    decisions, problems = [empty_frame(MatchDecision)], [empty_frame(ReturnProblem)]
    for row in rows.iter_rows(named=True):  # one per 非同一人 answer: few
        pairs = _evidence_pairs(row["rule"], row["case_key"], row["evidence_keys"],
                                row["detail"])
        who = row["verified_by"] or TOWNSHIP
        note = township_note(row["case_id"], row["note"])
        decisions += [decision_row(a, b, "no_link", f"{who}({row['source_file']})", note)
                      for a, b in pairs[:MAX_PAIRS]]
        if not pairs:
            problems.append(_problem(row, "not_same_person_unpaired",
                                    _UNPAIRED.format(case=row["case_id"])))
        elif len(pairs) > MAX_PAIRS:
            problems.append(_problem(row, "not_same_person_truncated", _TRUNCATED.format(
                case=row["case_id"], made=MAX_PAIRS, total=len(pairs))))
    return (pl.concat(decisions).cast(polars_schema(MatchDecision)),
            pl.concat(problems).cast(polars_schema(ReturnProblem)))


_UNPAIRED = ("问题 {case} 的证据中没有可拆分的记录（同一部门或无比对依据）；请县数据员"
             "在待确认匹配中处理 / the case names no records to separate: the steward decides")
_TRUNCATED = ("问题 {case} 只生成了 {made}/{total} 条不关联决定，其余请县数据员处理 / made "
              "{made} of {total} no_link decisions; the steward decides the rest")


def _problem(row: dict, problem: str, message: str) -> pl.DataFrame:
    """The problem row for a 非同一人 answer that could not be applied in full."""
    return pl.DataFrame([{
        "source_file": row["source_file"], "sheet": row["sheet"],
        "row_number": row["row_number"], "column": "核实结果", "problem": problem,
        "message": message, "value_masked": NOT_SAME,
    }], schema=polars_schema(ReturnProblem))


def steward_answer(case_id: str, result: str, steward: str, note: str = "",
                   on: date | None = None) -> pl.DataFrame:
    """A steward's own answer to a case (e.g. explained from the UI), as a ``Verification``.

    Args:
        case_id: the case.
        result: one of ``VERIFICATION_RESULTS`` (信息有误 or 其他 explain the case).
        steward: who answers (``status_by`` when it explains).
        note: why.
        on: the day it counts from (default: today, from the receipt time).

    Raises:
        ValueError: for a result that is not one of ``VERIFICATION_RESULTS``.
    """
    if result not in VERIFICATION_RESULTS:
        msg = f"result must be one of {', '.join(VERIFICATION_RESULTS)}, not {result!r}"
        raise ValueError(msg)
    now = datetime.now(ZoneInfo(TIMEZONE)).isoformat(timespec="seconds")
    return pl.DataFrame([{
        "case_id": case_id, "result": result, "note": note or None, "verified_by": steward,
        "verified_on": on, "source_file": "steward", "sheet": None, "row_number": None,
        "received_at": now,
    }], schema=polars_schema(Verification))
