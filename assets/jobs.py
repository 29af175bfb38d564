"""Jobs, named after what a run does, whoever starts it (CLI, schedule, sensor, Launchpad).

- ``nightly``: the whole graph for one month (``sanji run``, the nightly schedule, the landing
  sensor).
- ``rerun_month``: re-publish one month from that month's own stored ingest and link outputs.
- ``illness_exchange_export`` / ``illness_exchange_import``: the illness-office workbook out
  (``sanji exchange export``, the monthly schedule) and its return in (``sanji exchange
  import``, the inbox sensor).
- ``steward_decision``: record a steward's link / no_link decision (``sanji decide``).
"""

from typing import Literal

from dagster import (
    AssetSelection,
    Config,
    OpExecutionContext,
    define_asset_job,
    job,
    op,
)

from assets.ingest import TRANSIENT
from assets.resources import WarehouseResource
from assets.settings import monthly
from pipelines.link.decisions import decision_row, record_decision

EXPORT_ASSETS = ("illness_cases", "exchange_workbook")
IMPORT_ASSETS = ("office_return", "exchange_diff")

nightly = define_asset_job(
    "nightly", selection=AssetSelection.all(), partitions_def=monthly,
    description="The whole graph for one month: ingest, link, publish, exchange.",
    op_retry_policy=TRANSIENT,
)
rerun_month = define_asset_job(
    "rerun_month", selection=AssetSelection.groups("publish"), partitions_def=monthly,
    description="Re-publish one month (choose the partition) from that month's own ingest and "
                "link outputs: person, mismatches, roll-ups.",
    op_retry_policy=TRANSIENT,
)
illness_exchange_export = define_asset_job(
    "illness_exchange_export", selection=AssetSelection.assets(*EXPORT_ASSETS),
    partitions_def=monthly,
    description="Write the month's serious-illness case workbook to the outbox.",
)
illness_exchange_import = define_asset_job(
    "illness_exchange_import", selection=AssetSelection.assets(*IMPORT_ASSETS),
    partitions_def=monthly,
    description="Read the illness office's returned file and publish the difference.",
)


class MatchDecisionConfig(Config):
    """A steward's decision on two records (record keys from ``uncertain_match``)."""

    record_key_a: str
    record_key_b: str
    decision: Literal["link", "no_link"]
    decided_by: str
    note: str = ""


@op(description="Append one decision to the warehouse table match_decision.",
    retry_policy=TRANSIENT)
def append_match_decision(context: OpExecutionContext, config: MatchDecisionConfig,
                          warehouse: WarehouseResource) -> None:
    """Append the steward's decision; the next run's linker applies it."""
    row = decision_row(config.record_key_a, config.record_key_b, config.decision,
                       config.decided_by, config.note)
    record_decision(warehouse.open(), row)
    context.log.info(f"recorded {config.decision} by {config.decided_by}")


@job(description="数据专员确认疑似同一人: record a link / no_link decision for two records.",
     tags={"kind": "steward"})
def steward_decision() -> None:
    """Record one match decision (run config: record_key_a/b, decision, decided_by, note)."""
    append_match_decision()


def decision_config(a: str, b: str, decision: str, by: str, note: str = "") -> dict:
    """The ``steward_decision`` run config for one decision."""
    return {"ops": {"append_match_decision": {"config": {
        "record_key_a": a, "record_key_b": b, "decision": decision, "decided_by": by,
        "note": note}}}}
