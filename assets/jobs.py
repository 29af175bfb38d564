"""Jobs, named after what a run does, whoever starts it (CLI, schedule, sensor, Launchpad).

Every county-level job runs one county-month (partition ``411421|2026-10``); its runs carry
the tag ``dagster/partition/county``, on which the instance's run queue allows one run per
county at a time (``deploy/dagster.yaml``).

- ``nightly``: the county's whole graph for one month (``sanji run``, the nightly schedule, the
  landing sensor).
- ``rerun_month``: rebuild and re-publish one county-month from that month's own landing
  snapshot (the files archived by its hash), without touching the exchange.
- ``illness_exchange_export`` / ``illness_exchange_import``: the illness-office workbook out
  (``sanji exchange export``, the monthly schedule) and its return in (``sanji exchange
  import``, the inbox sensor).
- ``steward_decision``: record a steward's link / no_link decision (``sanji decide``).
- ``province``: one month over every county: people across county lines and the province
  roll-up (``sanji province``, the province sensor once the counties have published).
"""

from pathlib import Path
from typing import Literal

import polars as pl
from dagster import (
    AssetObservation,
    AssetSelection,
    Config,
    Failure,
    OpExecutionContext,
    ResourceParam,
    define_asset_job,
    job,
    op,
)

from assets.county_lock import op_county_lock
from assets.ingest import TRANSIENT
from assets.io_managers import RUNS_FOLDER, PolarsParquetIOManager, run_lineage
from assets.resources import WarehouseResource
from assets.runs import UserError, check_records, check_warehouse
from assets.settings import county_month, monthly
from pipelines.domain.identity import mask_ids_in_text
from pipelines.link.decisions import DECISION_TABLE, decision_row, record_decision

EXPORT_ASSETS = ("illness_cases", "exchange_workbook")
IMPORT_ASSETS = ("office_return", "exchange_diff")
COUNTY_GROUPS = ("ingest", "link", "publish", "exchange")
PUBLISHING_JOBS = ("nightly", "rerun_month")  # the county jobs that publish county_monthly
COUNTY_GRAPH = AssetSelection.groups(*COUNTY_GROUPS) - AssetSelection.assets(DECISION_TABLE)

nightly = define_asset_job(
    "nightly", selection=COUNTY_GRAPH, partitions_def=county_month,
    description="A county's whole graph for one month: snapshot, ingest, link, publish, "
                "exchange.",
    op_retry_policy=TRANSIENT,
)
rerun_month = define_asset_job(
    "rerun_month",
    selection=AssetSelection.groups("ingest", "link", "publish")
    - AssetSelection.assets("landing_snapshot", DECISION_TABLE),
    partitions_def=county_month,
    description="Rebuild one county-month from that month's own landing snapshot (its files, "
                "from the archive): ingest, link, person, mismatches, roll-ups.",
    op_retry_policy=TRANSIENT,
)
illness_exchange_export = define_asset_job(
    "illness_exchange_export", selection=AssetSelection.assets(*EXPORT_ASSETS),
    partitions_def=county_month,
    description="Write the month's serious-illness case workbook to the outbox.",
)
illness_exchange_import = define_asset_job(
    "illness_exchange_import", selection=AssetSelection.assets(*IMPORT_ASSETS),
    partitions_def=county_month,
    description="Read the illness office's returned file and publish the difference.",
)
province = define_asset_job(
    "province", selection=AssetSelection.groups("province"), partitions_def=monthly,
    description="One month over every county: people across county lines, the province "
                "roll-up.",
    op_retry_policy=TRANSIENT,
)


class MatchDecisionConfig(Config):
    """A steward's decision on two records (record keys from ``uncertain_match``).

    ``county`` is the county whose records they are ("" in a one-county deployment);
    ``override_township``: link although a township answered 非同一人 on the two records (else
    refused, naming the case); the override is recorded in the decision's note.
    ``wait_seconds``: how long to wait for a run of the county holding its run lock.
    """

    county: str = ""
    record_key_a: str
    record_key_b: str
    decision: Literal["link", "no_link"]
    decided_by: str
    note: str = ""
    override_township: bool = False
    wait_seconds: float = 60.0


def check_township_answer(store, a: str, b: str, decision: str, note: str,
                          override: bool, storage: str | Path | None = None,
                          county: str | None = None, instance=None) -> str:
    """The decision's note; a ``link`` a township's standing 非同一人 covers (the two records,
    or the two people: ``pipelines.cases.override.township_answer``) is refused unless
    ``override`` (then the note says whose answer it overrides).

    Args:
        store: the county's warehouse.
        a: one record the decision names (record key or record id).
        b: the other.
        decision: ``link`` or ``no_link`` (never refused).
        note: the steward's note.
        override: link over the township's answer.
        storage: the storage folder, to read a record id as its key from the published run's
            ``person_links`` (None: from the published tables only).
        county: the county's code (with ``storage``).
        instance: the Dagster instance, to read a re-executed run's frames from its parent.

    Raises:
        UserError: naming the case and who answered, and the flag that overrides.
    """
    from pipelines.cases.override import override_note, refusal, township_answer

    if decision != "link" or not store.has_table(DECISION_TABLE):
        return note
    named = named_records(store, (a, b), storage, county, instance)
    answer = township_answer(store.read(DECISION_TABLE), *named) if named else None
    if answer is None:
        return note
    if not override:
        raise UserError(mask_ids_in_text(refusal(
            answer, "--override-township (override_township: true in the Launchpad)")))
    return override_note(answer, note)


def named_records(store, refs: tuple[str, str], storage: str | Path | None = None,
                  county: str | None = None, instance=None) -> tuple | None:
    """The two records a decision names (``pipelines.cases.override.named_record``) in the
    latest published month, that month's ``person_id_map`` and the published run's
    ``person_links`` (record_id, record_key; None when not at hand); None when nothing is
    published. A record id is read as its key through the published run's ``person_links``
    when its frame is in ``storage`` (a re-executed run that did not link again: its
    parent's, found through ``instance``)."""
    from pipelines.cases.override import named_record

    if not (store.has_table("county_monthly") and store.has_table("person_id_map")):
        return None
    month = str(store.read("county_monthly")["month"].drop_nulls().max())
    tables = {name: store.read(name, month=month) if store.has_table(name) else None
              for name in ("person_id_map", "person_source", "uncertain_match")}
    links = _published_links(store, storage, county, month, instance)
    first, second = (named_record(ref, tables["person_id_map"], tables["person_source"],
                                  tables["uncertain_match"], links) for ref in refs)
    return first, second, tables["person_id_map"], links


def _published_links(store, storage: str | Path | None, county: str | None, month: str,
                     instance=None) -> pl.DataFrame | None:
    """record_id, record_key of the run that published the month (None: not at hand); a
    re-executed run that did not link again kept its parent's (as ``assets.link`` reads)."""
    last = store.last_publication(county, month) if storage and county else None
    for run_id in run_lineage(instance, last.run_id if last is not None else None):
        path = Path(storage) / RUNS_FOLDER / run_id / "person_links" / county / f"{month}.parquet"
        if path.is_file():
            return pl.read_parquet(path, columns=["record_id", "record_key"])
    return None


@op(description="Append one decision to the county's warehouse table match_decision.",
    retry_policy=TRANSIENT, out={})
def append_match_decision(context: OpExecutionContext, config: MatchDecisionConfig,
                          warehouse: WarehouseResource,
                          io_manager: ResourceParam[PolarsParquetIOManager]):
    """Append the steward's decision; the next run's linker applies it.

    The decision is also an observation of the asset ``match_decision`` (the county's
    partition), so the asset's history in the UI lists every decision.
    """
    place = warehouse.county(config.county or None)
    county, url = place.code, warehouse.url or place.warehouse
    keys = (config.record_key_a, config.record_key_b)
    try:  # a mistyped warehouse: nothing is recorded
        check_warehouse(url)
    except UserError as exc:
        raise Failure(description=str(exc), allow_retries=False) from exc
    with op_county_lock(warehouse, county, context.run_id, config.wait_seconds):
        store = warehouse.open(county)
        try:  # under the lock, as the township check: a key since corrected, a night between
            check_records(url, place.schema or None, keys)
            note = check_township_answer(store, *keys, config.decision, config.note,
                                         config.override_township, io_manager.base_dir, county,
                                         context.instance)
        except UserError as exc:
            raise Failure(description=str(exc), allow_retries=False) from exc
        row = decision_row(*keys, config.decision, config.decided_by, note)
        record_decision(store, row)
    context.log.info(f"county {county}: recorded {config.decision} by {config.decided_by}")
    decided = row.row(0, named=True)
    yield AssetObservation(asset_key=DECISION_TABLE, partition=county, metadata={
        "decision": decided["decision"], "decided_by": decided["decided_by"],
        "decided_at": decided["decided_at"], "note": mask_ids_in_text(decided["note"] or ""),
        "record_keys": f"{decided['record_key_l']} / {decided['record_key_r']}"})


@job(description="数据专员确认疑似同一人: record a link / no_link decision for two records.",
     tags={"kind": "steward"})
def steward_decision() -> None:
    """Record one match decision (run config: record_key_a/b, decision, decided_by, note)."""
    append_match_decision()


def decision_config(a: str, b: str, decision: str, by: str, note: str = "",
                    county: str = "", *, override_township: bool = False) -> dict:
    """The ``steward_decision`` run config for one decision."""
    return {"ops": {"append_match_decision": {"config": {
        "county": county, "record_key_a": a, "record_key_b": b, "decision": decision,
        "decided_by": by, "note": note, "override_township": override_township}}}}
