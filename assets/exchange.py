"""The monthly exchange with the county serious-illness office (group ``exchange``)."""


import re
from pathlib import Path

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Failure,
    MaterializeResult,
    Output,
    asset,
)

from assets.ingest import OWNERS
from assets.metadata import counts, table_preview
from assets.publish import monthly
from assets.resources import Clock, ExchangeFolders
from assets.validate import validated
from pipelines import exchange

EXCHANGE = {"group_name": "exchange", "owners": OWNERS, "partitions_def": monthly,
            "tags": {"partner": "county-illness-office"}}
RETURN_SUFFIXES = (".xlsx", ".csv")


def workbook_name(month: str) -> str:
    """The outgoing workbook's file name for a month."""
    return f"大病救治病例_{month}.xlsx"


def month_in_name(name: str) -> str | None:
    """The ``YYYY-MM`` a file name refers to (2026-10, 202610, 2026年10月), or None."""
    found = re.search(r"(20\d\d)[-_年.]?(0[1-9]|1[0-2])(?!\d)", name)
    return f"{found[1]}-{found[2]}" if found else None


def returned_file(inbox: Path, month: str) -> Path | None:
    """The newest file in the inbox whose name refers to ``month``, or None."""
    if not inbox.is_dir():
        return None
    files = [p for p in inbox.iterdir() if p.suffix.lower() in RETURN_SUFFIXES
             and not p.name.startswith((".", "~$")) and month_in_name(p.name) == month]
    return max(files, key=lambda p: (p.stat().st_mtime, p.name)) if files else None


@asset(**EXCHANGE, kinds={"polars"})
def illness_cases(context: AssetExecutionContext, illness_ledger: pl.DataFrame,
                  settlement: pl.DataFrame, person_links: pl.DataFrame, person: pl.DataFrame,
                  region_table: pl.DataFrame) -> pl.DataFrame:
    """大病救治病例: our reconciled serious-illness cases for the month (person + illness)."""
    cases = exchange.illness_cases(illness_ledger, settlement, person_links, person,
                                   region_table, context.partition_key)
    context.add_output_metadata({"rows": cases.height, "by_status": counts(cases, "status"),
                                 "by_township": counts(cases, "township"),
                                 "preview": table_preview(cases)})
    return cases


@asset(**EXCHANGE, kinds={"excel"})
def exchange_workbook(context: AssetExecutionContext, illness_cases: pl.DataFrame,
                      exchange_folders: ExchangeFolders) -> MaterializeResult:
    """发送县大病办的月度病例表 (.xlsx, IDs masked), written to the outbox."""
    month = context.partition_key
    path = exchange.write_workbook(illness_cases, Path(exchange_folders.outbox)
                                   / workbook_name(month), month)
    return MaterializeResult(metadata={"path": str(path), "cases": illness_cases.height})


@asset(**EXCHANGE, kinds={"polars"})
def office_return(context: AssetExecutionContext,
                  exchange_folders: ExchangeFolders) -> pl.DataFrame:
    """县大病办回传的病例表: the office's case list for the month, read from the inbox."""
    month = context.partition_key
    path = returned_file(Path(exchange_folders.inbox), month)
    if path is None:
        context.add_output_metadata({"received": False, "rows": 0})
        return exchange.read_return_empty()
    try:
        frame = exchange.read_return(path)
    except ValueError as exc:  # a bad file will not get better by retrying
        raise Failure(description=str(exc), allow_retries=False) from exc
    context.add_output_metadata({"received": True, "file": path.name, "rows": frame.height,
                                 "preview": table_preview(frame)})
    return frame


@asset(**EXCHANGE, io_manager_key="warehouse_io_manager", kinds={"polars", "duckdb"},
       check_specs=[AssetCheckSpec(
           "diff_settled_before_deadline", asset="exchange_diff",
           description="每月5日前报备: the difference with the illness office must be settled "
                       "before the 5th of the following month.")])
def exchange_diff(context: AssetExecutionContext, illness_cases: pl.DataFrame,
                  office_return: pl.DataFrame, clock: Clock):
    """与县大病办的差异: cases only we have, only they have, or with another status/illness."""
    month = context.partition_key
    received = office_return.height > 0
    diff = (exchange.diff_cases(illness_cases, office_return, month) if received
            else pl.DataFrame(schema=exchange.DIFF_SCHEMA))
    yield Output(validated("exchange_diff", diff), metadata={
        "rows": diff.height, "received": received,
                                 "by_kind": counts(diff, "kind"), "preview": table_preview(diff)})
    yield deadline_check(diff, received, month, clock)


def deadline_check(diff: pl.DataFrame, received: bool, month: str,
                   clock: Clock) -> AssetCheckResult:
    """WARN when the filing day is within ``clock.warn_days`` (or past) and work is open."""
    due = exchange.filing_deadline(month)
    days_left = (due - clock.date()).days
    open_work = diff.height > 0 or not received
    return AssetCheckResult(
        check_name="diff_settled_before_deadline",
        passed=not (open_work and days_left <= clock.warn_days),
        severity=AssetCheckSeverity.WARN,
        metadata={"deadline": due.isoformat(), "days_left": days_left,
                  "differences": diff.height, "office_file_received": received},
    )
