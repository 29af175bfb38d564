"""Township work lists (问题清单) out and their returns in (group ``exchange``).

- ``township_worklist``: one printable workbook per township with open cases, written to the
  county's outbox (``sanji worklist``, the job ``worklist_export``, and every nightly run);
- ``worklist_return``: the returned, filled lists of the month, taken from the inbox into the
  archive (by content hash and month), read against the month's cases; each 非同一人 on a
  pair becomes a steward ``no_link`` decision in ``match_decision``; every row that cannot be
  used is reported (``sanji worklist import``, the job ``worklist_import``, the sensor
  ``worklist_sensor``). The answers change the cases from the month they were received in:
  ``mismatch_case`` reads every answer archived by its month's last day.
"""

import json

import polars as pl
from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetObservation,
    AssetSelection,
    Failure,
    MaterializeResult,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    asset,
    define_asset_job,
    sensor,
)

from assets.cases import CaseConfig, returns_archive
from assets.county_lock import op_county_lock
from assets.exchange import EXCHANGE
from assets.ingest import where
from assets.metadata import counts, table_preview
from assets.resources import ExchangeFolders, LandingFolder, WarehouseResource
from assets.sensors import file_states, read_cursor, short_list
from assets.settings import SENSOR_STATUS, county_month, partition
from pipelines.cases.worklist import WORKLIST_READS
from pipelines.domain.cases import OPEN_STATUSES
from pipelines.link.decisions import DECISION_TABLE

WORKLIST = {**EXCHANGE, "tags": {"partner": "townships"}}


def _reads() -> dict[str, AssetIn]:
    """The work lists' inputs, each holding only what the lists read (``WORKLIST_READS``)."""
    return {name: AssetIn(metadata={"columns": list(columns)})
            for name, columns in WORKLIST_READS.items()}


@asset(ins={"mismatch_case": AssetIn(), "region_table": AssetIn(), **_reads()},
       kinds={"excel"}, **WORKLIST)
def township_worklist(context: AssetExecutionContext, config: CaseConfig,
                      mismatch_case: pl.DataFrame, person: pl.DataFrame,
                      person_source: pl.DataFrame, person_links: pl.DataFrame,
                      region_table: pl.DataFrame, poverty_roster: pl.DataFrame,
                      assistance: pl.DataFrame,
                      exchange_folders: ExchangeFolders) -> MaterializeResult:
    """乡镇问题清单: one workbook per township with its open cases, for door-to-door checks."""
    from pipelines.cases import household_heads, write_worklists

    county, month = where(context)
    if mismatch_case is None:
        msg = (f"no mismatch_case for county {county}, month {month}: run the month "
               f"(`sanji run --month {month}`) before writing its work lists")
        raise Failure(description=msg, allow_retries=False)
    listed = mismatch_case.filter(pl.col("status").is_in(OPEN_STATUSES))
    heads = household_heads({"poverty_roster": poverty_roster, "assistance": assistance},
                            person_links, listed.select("person_id"))
    settings = config.settings(exchange_folders.county(county).worklist_full_ids)
    paths = write_worklists(mismatch_case, person, person_source, region_table, month,
                            exchange_folders.outbox_for(county), heads, settings)
    return MaterializeResult(metadata={
        "files": len(paths), "cases_listed": listed.height, "full_ids": settings.full_ids,
        "paths": "\n".join(str(p) for p in paths),
        "by_file": table_preview(pl.DataFrame({"file": [p.name for p in paths]}), limit=100)})


@asset(ins={"mismatch_case": AssetIn()}, kinds={"excel", "polars"}, **WORKLIST)
def worklist_return(context: AssetExecutionContext, mismatch_case: pl.DataFrame,
                    exchange_folders: ExchangeFolders, landing: LandingFolder,
                    warehouse: WarehouseResource) -> pl.DataFrame:
    """乡镇回传的问题清单: the month's returned lists read back; every unusable row reported.

    Every work list in the inbox is archived for the month it is for; the lists archived for
    this month are read against this month's cases. Answers become the cases' verifications
    (from the month they were received in); 非同一人 becomes a ``no_link`` decision the next
    run's linker applies. The output is the problems: row, column and why.
    """
    from pipelines.cases.intake import (
        month_returns,
        new_decisions,
        read_returns,
        receive_worklists,
        worklist_files,
    )
    from pipelines.link.decisions import record_decision

    county, month = where(context)
    if mismatch_case is None:
        msg = (f"no mismatch_case for county {county}, month {month}: run the month "
               f"(`sanji run --month {month}`) before reading its returned work lists")
        raise Failure(description=msg, allow_retries=False)
    archive = returns_archive(landing, county)
    with op_county_lock(warehouse, county, context.run_id):  # no night of the county meanwhile
        received = receive_worklists(worklist_files(exchange_folders.inbox_for(county)),
                                     archive)
        archived = month_returns(archive, month)
        read = read_returns(archived, mismatch_case)
        store = warehouse.open(county)
        log = store.read(DECISION_TABLE) if store.has_table(DECISION_TABLE) else None
        decisions, unpaired = new_decisions(read.verifications, mismatch_case, log)
        if decisions.height:
            record_decision(store, decisions)
    if received.unplaced:
        context.log.warning("work lists without a month (name them like 问题清单_乡镇_"
                            f"{month}.xlsx): {', '.join(received.unplaced)}")
    if decisions.height:
        context.log_event(AssetObservation(
            asset_key=DECISION_TABLE, partition=county,
            metadata={"decisions": decisions.height, "decided_by": "township work lists",
                      "preview": table_preview(decisions)}))
    problems = pl.concat([read.problems, unpaired])
    context.add_output_metadata({
        "files": len(archived), "answered": read.answered, "unanswered": read.unanswered,
        "no_link_decisions": decisions.height, "problems": problems.height,
        "unplaced_files": ", ".join(received.unplaced),
        "by_result": counts(read.verifications, "result"),
        "by_problem": counts(problems, "problem"),
        "problem_rows": table_preview(problems, limit=50)})
    return problems


worklist_export = define_asset_job(
    "worklist_export", selection=AssetSelection.assets("township_worklist"),
    partitions_def=county_month,
    description="Write the month's township work lists (问题清单) to the outbox.")
worklist_import = define_asset_job(
    "worklist_import", selection=AssetSelection.assets("worklist_return"),
    partitions_def=county_month,
    description="Archive and read returned work lists; 非同一人 becomes a no_link decision.")


@sensor(job=worklist_import, minimum_interval_seconds=300, default_status=SENSOR_STATUS,
        description="A run when a township's filled work list arrives in a county's inbox.")
def worklist_sensor(context: SensorEvaluationContext,
                    exchange_folders: ExchangeFolders) -> SensorResult:
    """Request ``worklist_import`` for the county and month of each new or changed work list.

    The month comes from the list's name, else its title; a list whose month cannot be told is
    named in the skip reason until it is renamed. Hashes and months are cached in the cursor.
    """
    from pipelines.cases.intake import list_month, worklist_files

    requests, unplaced, cursor = [], [], {"counties": {}}
    for county in exchange_folders.deployment().codes:
        inbox = exchange_folders.inbox_for(county)
        seen = read_cursor(context.cursor, county)
        states = file_states(worklist_files(inbox), seen)
        for name, state in states.items():
            old = seen.get(name, {})
            known = old.get("sha") == state["sha"] and "month" in old
            state["month"] = old["month"] if known else list_month(inbox / name)
            if state["month"] is None:
                unplaced.append(f"{county}/{name}")
            elif not known:
                requests.append(RunRequest(
                    run_key=f"worklist-{county}-{state['month']}-{state['sha'][:16]}",
                    partition_key=partition(county, state["month"]),
                    tags={"sanji/trigger": "inbox", "sanji/files": short_list([name])}))
        cursor["counties"][county] = {"files": states}
    if not requests:
        note = f"month unknown for {short_list(unplaced, 200)}" if unplaced else ""
        return SensorResult(skip_reason=SkipReason(note or "no new returned work list"),
                            cursor=json.dumps(cursor))
    return SensorResult(run_requests=requests, cursor=json.dumps(cursor))
