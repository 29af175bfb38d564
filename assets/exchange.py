"""The monthly exchange with the county serious-illness office (group ``exchange``)."""



import polars as pl
from dagster import Any as DagsterAny
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetIn,
    MaterializeResult,
    Output,
    asset,
)

from assets.cases import returns_archive
from assets.county_lock import op_county_lock
from assets.failures import failing_clearly
from assets.ingest import OWNERS, where
from assets.metadata import counts, table_preview
from assets.resources import Clock, ExchangeFolders, LandingFolder, WarehouseResource
from assets.settings import county_month
from assets.validate import validated
from pipelines import exchange
from pipelines.exchange.cases import PERSON_COLUMNS as CASE_PERSON
from pipelines.exchange.inbox import returned_file, unplaced_files, unplaced_hint, workbook_name
from pipelines.exchange.match import PERSON_COLUMNS as MATCH_PERSON
from pipelines.extracts import HeaderMapping
from pipelines.golden import LINK_COLUMNS
from pipelines.landing import MAPPING_FILE
from pipelines.rules.base import columns_read as rule_columns
from schemas.contract import empty_frame
from schemas.exchange import ExchangeDiff

EXCHANGE = {"group_name": "exchange", "owners": OWNERS, "partitions_def": county_month,
            "tags": {"partner": "county-illness-office"}}


def person_holding(columns: tuple[str, ...], lazy: bool = False) -> AssetIn:
    """The golden ``person`` as an input holding only ``columns`` (of its 18); ``lazy``: a
    LazyFrame when the run staged it (read only if the step collects it)."""
    typed = {"dagster_type": DagsterAny} if lazy else {}  # a DataFrame or a LazyFrame
    return AssetIn(metadata={"columns": list(columns), "lazy": lazy}, **typed)


@asset(ins={**{name: AssetIn(name, metadata={"columns": list(rule_columns(name))})
               for name in ("illness_ledger", "settlement")},
            "person_links": AssetIn(metadata={"columns": list(LINK_COLUMNS)}),
            "person": person_holding(CASE_PERSON)}, **EXCHANGE, kinds={"polars"})
def illness_cases(context: AssetExecutionContext, illness_ledger: pl.DataFrame,
                  settlement: pl.DataFrame, person_links: pl.DataFrame, person: pl.DataFrame,
                  region_table: pl.DataFrame) -> pl.DataFrame:
    """大病救治病例: our reconciled serious-illness cases for the month (person + illness)."""
    cases = exchange.illness_cases(illness_ledger, settlement, person_links, person,
                                   region_table, where(context)[1])
    context.add_output_metadata({"rows": cases.height, "by_status": counts(cases, "status"),
                                 "by_township": counts(cases, "township"),
                                 "preview": table_preview(cases)})
    return cases


@asset(**EXCHANGE, kinds={"excel"})
def exchange_workbook(context: AssetExecutionContext, illness_cases: pl.DataFrame,
                      exchange_folders: ExchangeFolders) -> MaterializeResult:
    """发送县大病办的月度病例表 (.xlsx, IDs masked), written to the outbox."""
    county, month = where(context)
    path = exchange.write_workbook(illness_cases, exchange_folders.outbox_for(county)
                                   / workbook_name(month), month)
    return MaterializeResult(metadata={"path": str(path), "cases": illness_cases.height})


# the golden record is read only when the office returned a file for the month
@asset(ins={"person": person_holding(MATCH_PERSON, lazy=True)}, **EXCHANGE, kinds={"polars"})
def office_return(context: AssetExecutionContext, exchange_folders: ExchangeFolders,
                  landing: LandingFolder, warehouse: WarehouseResource,
                  person: pl.DataFrame | pl.LazyFrame,
                  illness_cases: pl.DataFrame) -> pl.DataFrame:
    """县大病办回传的病例表: the office's own case list for the month, matched to our people.

    A file in the inbox for the month (its month from its name, else its content: 统计月份
    cell, sheet name, title) is archived by content hash (``<archive>/<county>/returns/office``)
    and the newest archived return of the month is read, so the difference survives an emptied
    inbox and every later run. It is archived under the county's run lock (the one a ``sanji``
    command holds, else taken here): while a night holds it nothing is archived. Its rows are
    matched to people by ID, else name, birth date,
    masked ID and illness (``pipelines.exchange.match``). Files whose month cannot be told are
    named in the metadata and a warning; the steward's ``sanji_mapping.yaml`` adds header
    variants.
    """
    county, month = where(context)
    inbox, archive = exchange_folders.inbox_for(county), returns_archive(landing, county)
    path = returned_file(inbox, month)
    unplaced = unplaced_files(inbox)
    if unplaced:
        context.log.warning(f"inbox files without a month ({unplaced_hint(month)}): "
                            f"{', '.join(unplaced)}")
    if path is not None:
        with op_county_lock(warehouse, county, context.run_id):
            exchange.archive_return(path, archive, "office", month)
    mapping = landing.listing(county).file(MAPPING_FILE)
    with failing_clearly("reading the office's returned file"):  # a bad file: no retry
        _, frame, found = exchange.office_diff(
            illness_cases, person, archive, month,
            HeaderMapping.from_yaml(mapping) if mapping else None)
    if found is None:
        context.add_output_metadata({"received": False, "rows": 0,
                                     "unplaced_files": ", ".join(unplaced)})
        return frame
    context.add_output_metadata({
        "received": True, "file": found.original_name, "received_at": found.received_at,
        "sha256": found.sha256[:16], "rows": frame.height, "by_match": counts(frame, "match"),
        "unplaced_files": ", ".join(unplaced), "preview": table_preview(frame)})
    return frame


@asset(**EXCHANGE, io_manager_key="warehouse_io_manager", kinds={"polars", "duckdb"},
       check_specs=[AssetCheckSpec(
           "diff_settled_before_deadline", asset="exchange_diff",
           description="每月5日前报备: the difference with the illness office must be settled "
                       "before the 5th of the following month.")])
def exchange_diff(context: AssetExecutionContext, illness_cases: pl.DataFrame,
                  office_return: pl.DataFrame, clock: Clock):
    """与县大病办的差异: cases only we have, only they have, or with another status/illness."""
    _, month = where(context)
    received = office_return.height > 0
    diff = (exchange.diff_cases(illness_cases, office_return, month) if received
            else empty_frame(ExchangeDiff))
    yield Output(validated("exchange_diff", diff), metadata={
        "rows": diff.height, "received": received, "by_kind": counts(diff, "kind"),
        "preview": table_preview(diff)})
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
