"""Linkage: who is the same person across departments (group ``link``)."""


import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetIn,
    AssetOut,
    Output,
    asset,
    multi_asset,
)

from assets.failures import failing_clearly
from assets.ingest import EXTRACT_ASSETS, OWNERS, TRANSIENT
from assets.metadata import counts, table_preview
from assets.resources import LandingFolder, WarehouseResource
from assets.settings import monthly
from assets.validate import validated
from pipelines.link.decisions import all_decisions

EXTRACT_INS = {name: AssetIn(name) for name in EXTRACT_ASSETS}
ID_MAP_TABLE = "person_id_map"


def extract_tables(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The extract tables out of an asset's keyword inputs, in ``EXTRACTS`` order."""
    return {name: tables[name] for name in EXTRACT_ASSETS}


@asset(ins=EXTRACT_INS, group_name="link", owners=OWNERS, kinds={"polars"},
       partitions_def=monthly, tags={"stage": "link"})
def person_records(context: AssetExecutionContext, **tables: pl.DataFrame) -> pl.DataFrame:
    """每条接收记录的公共字段: the common columns of every accepted record, the linker's input."""
    from pipelines.ingest import person_records as build

    records = build(extract_tables(tables))
    context.add_output_metadata({"rows": records.height,
                                 "by_extract": counts(records, "extract")})
    return records


@multi_asset(
    outs={
        "person_links": AssetOut(owners=OWNERS, description=(
            "记录→人员: record_id, record_key, person_id, cluster_size (stable person ids).")),
        "match_pairs": AssetOut(owners=OWNERS, description=(
            "Scored candidate pairs with per-field weights, status and explanation.")),
        "uncertain_match": AssetOut(io_manager_key="warehouse_io_manager", owners=OWNERS,
                                    description="待确认的疑似同一人: uncertain pairs side by side, "
                                                "awaiting a steward's decision."),
        "person_id_map": AssetOut(io_manager_key="warehouse_io_manager", owners=OWNERS,
                                  description="record_key → person_id (per month): the next "
                                              "run's previous ids."),
    },
    group_name="link",
    partitions_def=monthly,
    retry_policy=TRANSIENT,
    check_specs=[AssetCheckSpec(
        "uncertain_awaiting_decision", asset="uncertain_match",
        description="待确认的疑似同一人 (需数据专员决定). "
                    "Uncertain matches awaiting a steward's decision.",
    )],
)
def link(context: AssetExecutionContext, person_records: pl.DataFrame,
         warehouse: WarehouseResource, landing: LandingFolder):
    """Link records into people, applying stewards' decisions and keeping previous ids.

    Previous ids come from the latest published ``person_id_map`` (whichever month it was for).
    """
    from pipelines.link import link_records

    with failing_clearly("reading the steward's decisions"):  # a bad decisions.csv: no retry
        decisions = all_decisions(warehouse.open(), landing.folder)
    previous = warehouse.latest(ID_MAP_TABLE)
    if previous is not None:
        previous = previous.select("record_key", "person_id")
    result = link_records(person_records, decisions=decisions, previous_ids=previous)
    people = result.links["person_id"].n_unique()
    unresolved = result.stats.get("unresolved_decisions", {"count": 0, "examples": []})
    if unresolved["count"]:
        context.log.warning(f"{unresolved['count']} steward decision(s) name no current record: "
                            + "; ".join(unresolved["examples"]))
    yield Output(result.links, output_name="person_links", metadata={
        "rows": result.links.height, "people": people,
        "decisions_given": 0 if decisions is None else decisions.height,
        "decisions_applied": result.stats.get("decisions_applied", 0),
        "decisions_unresolved": unresolved["count"],
        "decisions_unresolved_examples": "; ".join(unresolved["examples"]) or "none",
        "kept_previous_ids": 0 if previous is None else previous.height,
    })
    yield Output(result.pairs, output_name="match_pairs", metadata={
        "rows": result.pairs.height, "by_status": counts(result.pairs, "status"),
        **_stats(result.stats),
    })
    uncertain = validated("uncertain_match", result.uncertain)
    yield Output(uncertain, output_name="uncertain_match", metadata={
        "rows": uncertain.height, "preview": table_preview(uncertain),
    })
    yield Output(result.id_map, output_name="person_id_map",
                 metadata={"rows": result.id_map.height})
    yield AssetCheckResult(
        asset_key="uncertain_match", check_name="uncertain_awaiting_decision",
        passed=result.uncertain.height == 0, severity=AssetCheckSeverity.WARN,
        metadata={"count": result.uncertain.height, "preview": table_preview(result.uncertain)},
    )


def _stats(stats: dict) -> dict[str, float | int | str]:
    """The linker's scalar statistics, flattened for metadata."""
    flat: dict[str, float | int | str] = {}
    for key, value in stats.items():
        if isinstance(value, dict):
            for sub, v in value.items():
                if isinstance(v, int | float | str):
                    flat[f"{key}.{sub}"] = round(v, 3) if isinstance(v, float) else v
        elif isinstance(value, int | float | str):
            flat[key] = round(value, 3) if isinstance(value, float) else value
    return dict(list(flat.items())[:40])
