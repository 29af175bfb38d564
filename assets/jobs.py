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

from typing import Literal

from dagster import (
    AssetObservation,
    AssetSelection,
    Config,
    Failure,
    OpExecutionContext,
    define_asset_job,
    job,
    op,
)

from assets.county_lock import op_county_lock
from assets.ingest import TRANSIENT
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
                          override: bool) -> str:
    """The decision's note; a ``link`` over a township's standing 非同一人 is refused unless
    ``override`` (then the note says whose answer it overrides).

    Raises:
        UserError: naming the case and who answered, and the flag that overrides.
    """
    from pipelines.cases.override import override_note, refusal, township_no_link

    if decision != "link":
        return note
    log = store.read(DECISION_TABLE) if store.has_table(DECISION_TABLE) else None
    answer = township_no_link(log, *record_keys_of(store, (a, b))) if log is not None else None
    if answer is None:
        return note
    if not override:
        raise UserError(mask_ids_in_text(refusal(
            answer, "--override-township (override_township: true in the Launchpad)")))
    return override_note(answer, note)


def record_keys_of(store, refs: tuple[str, str]) -> tuple[list[str], list[str]]:
    """The record keys each of a decision's two references may be: a record id (which
    ``sanji decide`` accepts) read through the latest published month's tables
    (``pipelines.cases.override.keys_of``)."""
    from pipelines.cases.override import keys_of

    if not (store.has_table("county_monthly") and store.has_table("person_id_map")):
        return [refs[0]], [refs[1]]
    month = str(store.read("county_monthly")["month"].drop_nulls().max())
    tables = {name: store.read(name, month=month) if store.has_table(name) else None
              for name in ("person_id_map", "person_source", "uncertain_match")}
    first, second = (keys_of(ref, tables["person_id_map"], tables["person_source"],
                             tables["uncertain_match"]) for ref in refs)
    return first, second


@op(description="Append one decision to the county's warehouse table match_decision.",
    retry_policy=TRANSIENT, out={})
def append_match_decision(context: OpExecutionContext, config: MatchDecisionConfig,
                          warehouse: WarehouseResource):
    """Append the steward's decision; the next run's linker applies it.

    The decision is also an observation of the asset ``match_decision`` (the county's
    partition), so the asset's history in the UI lists every decision.
    """
    place = warehouse.county(config.county or None)
    county, url = place.code, warehouse.url or place.warehouse
    keys = (config.record_key_a, config.record_key_b)
    try:  # a mistyped warehouse or key, a record since corrected: nothing is recorded
        check_warehouse(url)
        check_records(url, place.schema or None, keys)
    except UserError as exc:
        raise Failure(description=str(exc), allow_retries=False) from exc
    with op_county_lock(warehouse, county, context.run_id, config.wait_seconds):
        store = warehouse.open(county)
        try:
            note = check_township_answer(store, *keys, config.decision, config.note,
                                         config.override_township)
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
