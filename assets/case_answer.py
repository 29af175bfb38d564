"""The job ``case_answer``: a steward explains a case, or notes a verification, from the UI.

Launchpad config (or ``sanji case explain / note``)::

    ops:
      record_case_answer:
        config: {case_id: C0123456789a, result: 其他, answered_by: 王芳, note: 低保已停}

The answer is archived like a township's returned list (:mod:`pipelines.cases.steward`), so
the county's next run shows the case ``explained`` (信息有误 / 其他) or with the note, by whom
and from when, in ``mismatch_case``.
"""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import polars as pl
from dagster import AssetObservation, Config, Failure, OpExecutionContext, job, op

from assets.cases import returns_archive
from assets.county_lock import op_county_lock
from assets.ingest import TRANSIENT
from assets.resources import LandingFolder, WarehouseResource
from assets.runs import UserError, check_warehouse
from assets.settings import partition
from pipelines.domain.cases import OTHER, VERIFICATION_RESULTS
from pipelines.domain.county import TIMEZONE
from pipelines.domain.identity import mask_ids_in_text


class CaseAnswerConfig(Config):
    """A steward's answer to one case of ``mismatch_case``.

    ``result``: 信息有误 or 其他 explain the case (not a data error); 属实已整改 / 属实未整改 note
    a verification; ``on``: the day it counts from (YYYY-MM-DD, default today); ``county``:
    "" in a one-county deployment.
    """

    county: str = ""
    case_id: str
    result: str = OTHER
    answered_by: str
    note: str = ""
    on: str = ""


def _day(text: str) -> date | None:
    """``on`` as a date (None: today)."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        msg = f"on {text!r}: write the day the answer counts from as YYYY-MM-DD"
        raise UserError(msg) from exc


def case_month(store, url: str, case_id: str) -> str:
    """The latest month of ``mismatch_case``, refusing a case id it does not hold.

    Raises:
        UserError: nothing published yet, or an unknown case id (with where to copy one).
    """
    from pipelines.cases.steward import latest_cases

    month, cases = latest_cases(store)
    if month is None:
        msg = f"no mismatch_case in {url} yet: run `sanji run` first, then answer a case"
        raise UserError(msg)
    if cases.filter(pl.col("case_id") == case_id).is_empty():
        msg = (f"no case {mask_ids_in_text(case_id)} in mismatch_case of {month} (the latest "
               f"month in {url}): copy case_id from mismatch_case or the work list's 问题编号")
        raise UserError(msg)
    return month


def answer_case_checks(url: str, schema: str | None, case_id: str, on: str | None) -> str:
    """The CLI's checks before the run: the day readable, the case known; its cases' month."""
    from pipelines.warehouse import Warehouse

    _day(on or "")
    return case_month(Warehouse.from_url(url, schema=schema), url, case_id)


def answer_case(config: CaseAnswerConfig, landing: LandingFolder,
                warehouse: WarehouseResource):
    """Check and archive one answer; the archived copy and the month of its case."""
    from pipelines.cases import steward_answer
    from pipelines.cases.steward import archive_steward_answer

    place = warehouse.county(config.county or None)
    url = warehouse.url or place.warehouse
    if config.result not in VERIFICATION_RESULTS:
        msg = f"result {config.result!r}: one of {', '.join(VERIFICATION_RESULTS)}"
        raise UserError(msg)
    if not config.answered_by.strip():
        msg = "answered_by: name who answers (recorded as the case's status_by)"
        raise UserError(msg)
    day = _day(config.on)
    check_warehouse(url)
    month = case_month(warehouse.open(place.code), url, config.case_id)
    answer = steward_answer(config.case_id, config.result, config.answered_by.strip(),
                            config.note, day)
    received = datetime.combine(day, time(12), ZoneInfo(TIMEZONE)) if day else None
    return archive_steward_answer(answer, returns_archive(landing, place.code), month,
                                  received), month, place.code


@op(description="Archive a steward's answer to a case; the next run applies it.",
    retry_policy=TRANSIENT, out={})
def record_case_answer(context: OpExecutionContext, config: CaseAnswerConfig,
                       landing: LandingFolder, warehouse: WarehouseResource):
    """Record the answer (refused, never retried, for an unknown case or a missing warehouse)."""
    try:
        check_warehouse(warehouse.url or warehouse.county(config.county or None).warehouse)
    except UserError as exc:
        raise Failure(description=str(exc), allow_retries=False) from exc
    with op_county_lock(warehouse, config.county, context.run_id):  # no night meanwhile
        try:
            kept, month, county = answer_case(config, landing, warehouse)
        except UserError as exc:
            raise Failure(description=str(exc), allow_retries=False) from exc
    context.log.info(f"county {county}: case {config.case_id} answered {config.result} by "
                     f"{config.answered_by} ({kept.original_name}, cases of {month})")
    yield AssetObservation(asset_key="mismatch_case", metadata={
        "case_id": config.case_id, "result": config.result, "answered_by": config.answered_by,
        "note": mask_ids_in_text(config.note), "received_at": kept.received_at,
        "county": county, "cases_month": month}, partition=str(partition(county, month)))


@job(description="数据专员核实问题: explain a mismatch case (not a data error) or note a "
                 "verification; the next run shows it in mismatch_case.",
     tags={"kind": "steward"})
def case_answer() -> None:
    """Record one steward answer (run config: case_id, result, answered_by, note, on)."""
    record_case_answer()


def case_answer_config(case_id: str, result: str, by: str, note: str = "", on: str = "",
                       county: str = "") -> dict:
    """The ``case_answer`` run config for one answer."""
    return {"ops": {"record_case_answer": {"config": {
        "county": county, "case_id": case_id, "result": result, "answered_by": by,
        "note": note, "on": on}}}}
