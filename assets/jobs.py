"""Jobs: the nightly graph, the monthly exchange, and the stewards' Launchpad jobs."""


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
from assets.publish import monthly
from assets.resources import WarehouseResource
from pipelines.link.decisions import decision_row, record_decision

everything_job = define_asset_job(
    "sanji_nightly", selection=AssetSelection.all(), partitions_def=monthly,
    description="Ingest, link, publish and exchange for one month (the whole graph).",
    op_retry_policy=TRANSIENT,
)
exchange_export_job = define_asset_job(
    "illness_exchange_export",
    selection=AssetSelection.assets("illness_cases", "exchange_workbook"),
    partitions_def=monthly,
    description="Write the month's serious-illness case workbook to the outbox.",
)
exchange_import_job = define_asset_job(
    "illness_exchange_import",
    selection=AssetSelection.assets("office_return", "exchange_diff"),
    partitions_def=monthly,
    description="Read the illness office's returned file and publish the difference.",
)
rerun_month = define_asset_job(
    "rerun_month", selection=AssetSelection.groups("publish"), partitions_def=monthly,
    description="Re-publish one month (choose the partition): person, mismatches, rollups.",
    op_retry_policy=TRANSIENT,
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
def record_match_decision() -> None:
    """Record one match decision (run config: record_key_a/b, decision, decided_by, note)."""
    append_match_decision()
