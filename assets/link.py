"""Linkage: who is the same person across departments (group ``link``).

The loop a steward closes is in the lineage: ``link`` reads the county's steward decisions
(``match_decision``, an observable source: the warehouse log the ``steward_decision`` job
appends to, plus ``decisions.csv`` of the month's landing snapshot) and the previous month's
``person_id_map`` (its own output a month earlier, so person ids stay stable), and publishes
the ``uncertain_match`` pairs the steward decides next.
"""

import hashlib
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetIn,
    AssetOut,
    Config,
    DataVersion,
    DataVersionsByPartition,
    DimensionPartitionMapping,
    IdentityPartitionMapping,
    MultiPartitionMapping,
    MultiToSingleDimensionPartitionMapping,
    Output,
    ResourceParam,
    TimeWindowPartitionMapping,
    asset,
    multi_asset,
    observable_source_asset,
)

from assets.failures import failing_clearly
from assets.ingest import EXTRACT_ASSETS, OWNERS, TRANSIENT, where
from assets.io_managers import PolarsParquetIOManager
from assets.kept_states import kept_run_state, state_folder
from assets.metadata import pair_preview, tallies
from assets.resources import LandingFolder, WarehouseResource
from assets.settings import COUNTY, MONTH, counties, county_month
from assets.validate import validated
from pipelines.landing import DECISIONS_FILE
from pipelines.link.decisions import (
    DECISION_TABLE,
    EXAMPLES,
    OVERRIDE_MARK,
    canonical,
    latest,
    read_decisions_csv,
)
from pipelines.link.evidence import EVIDENCE_COLUMNS
from pipelines.snapshot import restore
from pipelines.warehouse.staging import FrameFile, FrameParts

# person_records takes each extract table's stored file, not its rows (``FrameParts``)
EXTRACT_INS = {name: AssetIn(name, metadata={"stored": True}) for name in EXTRACT_ASSETS}
# the link step reads only what record_evidence takes of each extract table (read_frame),
# lazily: Dagster holds a step's inputs until it ends, and these are used once, at its start
EVIDENCE_INS = {name: AssetIn(name, metadata={"columns": ["record_id", *EVIDENCE_COLUMNS],
                                              "lazy": True})
                for name in EXTRACT_ASSETS}
ID_MAP_TABLE = "person_id_map"
# match_pairs' text of a few values (two dozen rules and statuses, ~2,500 explanations for
# 3.3M pairs), written dictionary-encoded (``staging.write_frame``)
PAIR_DICTIONARY = ("status", "block_rule", "explain")
LINK_STATE = "link_state"  # <storage>/runs/<run_id>/link_state/<county>/<month>/
# The same county, the month before: person_id_map feeds the next month's link.
PREVIOUS_MONTH = MultiPartitionMapping({
    COUNTY: DimensionPartitionMapping(COUNTY, IdentityPartitionMapping()),
    MONTH: DimensionPartitionMapping(MONTH, TimeWindowPartitionMapping(start_offset=-1,
                                                                       end_offset=-1)),
})


def _log_version(log: pl.DataFrame | None) -> str:
    """A short version of a county's decision log: its size and its latest decision."""
    if log is None or log.height == 0:
        return "none"
    text = f"{log.height}:{log['decided_at'].cast(pl.String).max()}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@observable_source_asset(
    key=DECISION_TABLE, partitions_def=counties, group_name="link",
    io_manager_key="warehouse_io_manager", owners=OWNERS,
    description="数据专员的匹配决定: the county's link / no_link decisions (warehouse table "
                "match_decision, appended by the job steward_decision or `sanji decide`).")
def match_decision(context, warehouse: WarehouseResource) -> DataVersionsByPartition:
    """Observe every county's decision log; its version changes with each new decision."""
    versions = {}
    for code in counties.get_partition_keys():
        store = warehouse.open(code)
        log = store.read(DECISION_TABLE) if store.has_table(DECISION_TABLE) else None
        versions[code] = DataVersion(_log_version(log))
    return DataVersionsByPartition(versions)


def extract_tables(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The extract tables out of an asset's keyword inputs, in ``EXTRACTS`` order."""
    return {name: tables[name] for name in EXTRACT_ASSETS}


def collected(tables: dict[str, pl.DataFrame | pl.LazyFrame]) -> dict[str, pl.DataFrame]:
    """The tables read (a lazy input, ``EVIDENCE_INS``, is read here and freed by the caller)."""
    return {name: t.collect() if isinstance(t, pl.LazyFrame) else t
            for name, t in tables.items()}


@asset(ins=EXTRACT_INS, group_name="link", owners=OWNERS, kinds={"polars"},
       partitions_def=county_month, tags={"stage": "link"})
def person_records(context: AssetExecutionContext, **tables: FrameFile) -> FrameParts:
    """每条接收记录的公共字段: the common columns of every accepted record, the linker's input.

    Stored as the extract tables' own files (linked, ``person_record_parts``): a reader reads
    their common columns; 2M rows are not read and written again each night."""
    from pipelines.ingest import person_record_parts

    stored = extract_tables(tables)
    context.add_output_metadata({"by_extract": tallies(
        {name: table.rows for name, table in stored.items() if table.rows}, "extract")})
    return person_record_parts(stored)


class LinkConfig(Config):
    """A county's linkage settings over the defaults (``pipelines.link.settings``).

    ``settings_file`` is a YAML file of overrides (thresholds, blocking rules, comparisons and
    their levels' m/u, as documented in ``pipelines/link/settings.py``); ``accept_weight`` and
    ``review_weight``, when given, override the file's thresholds. ``full`` links every pair
    again and re-fits the model (as ``sanji run --full`` does) instead of an incremental
    night on the state the last published run kept (``pipelines.link.incremental``).
    """

    settings_file: str = ""
    accept_weight: float | None = None
    review_weight: float | None = None
    full: bool = False

    def settings(self):
        """The ``LinkSettings`` this configuration asks for."""
        from pipelines.link import LinkSettings

        base = LinkSettings.from_yaml(self.settings_file) if self.settings_file \
            else LinkSettings()
        thresholds = {k: v for k, v in (("accept_weight", self.accept_weight),
                                        ("review_weight", self.review_weight)) if v is not None}
        return replace(base, **thresholds) if thresholds else base


def steward_decisions(log: pl.DataFrame | None, snapshot: pl.DataFrame, archive: Path,
                      records: pl.DataFrame | None = None, keys: pl.Series | None = None,
                      people: Callable[[], pl.DataFrame | None] | None = None,
                      ) -> tuple[pl.DataFrame | None, list[str]]:
    """The decisions in force: the county's log and the snapshot's ``decisions.csv``, and why
    some of the CSV's rows are not applied.

    The latest decision per pair wins (``pipelines.link.decisions``): log rows first, then the
    CSV's rows; a CSV ``link`` over a township's standing 非同一人 is not applied unless it says
    it overrides (``pipelines.cases.override.held_by_township``; ``records``: the month's
    ``person_records``, to read record ids as keys; ``keys``: their record keys when the
    caller has them, else computed here as the linker does; ``people``: the last published
    month's record_key, person_id, read only when a standing township answer meets a CSV
    ``link``: the answer covers the two people once a night has them apart).
    """
    from pipelines.cases.override import held_by_township
    from pipelines.link import record_keys_of

    parts, refused = [], []
    if log is not None and log.height:
        parts.append(canonical(log, DECISION_TABLE))
    csv = snapshot.filter(pl.col("file_name") == DECISIONS_FILE)
    if csv.height:
        with tempfile.TemporaryDirectory(prefix="sanji-decisions-") as tmp:
            folder = restore(csv, archive, Path(tmp))
            landed = read_decisions_csv(folder / DECISIONS_FILE)
        ids = None if records is None or not parts or landed.is_empty() else \
            records.select("record_id", record_key=record_keys_of(records)["record_key"]
                           if keys is None else keys)
        landed, refused = held_by_township(parts[0] if parts else None, landed, ids,
                                           people if ids is not None else None)
        parts.append(landed)
    if not parts:
        return None, refused
    decisions = latest(pl.concat(parts, how="diagonal_relaxed"))
    return (decisions if decisions.height else None), refused


@multi_asset(
    outs={
        "person_links": AssetOut(owners=OWNERS, description=(
            "记录→人员: record_id, record_key, person_id, cluster_size (stable person ids).")),
        "match_pairs": AssetOut(owners=OWNERS, description=(
            "Scored candidate pairs with per-field weights, status and explanation."),
            metadata={"dictionary": list(PAIR_DICTIONARY)}),
        "uncertain_match": AssetOut(io_manager_key="warehouse_io_manager", owners=OWNERS,
                                    description="待确认的疑似同一人: uncertain pairs side by side, "
                                                "awaiting a steward's decision."),
        ID_MAP_TABLE: AssetOut(io_manager_key="warehouse_io_manager", owners=OWNERS,
                               description="record_key → person_id (per month): the next "
                                           "month's previous ids."),
    },
    ins={
        **EVIDENCE_INS,
        # lazily: a DataFrame input is held by Dagster to the end of the step, beside the
        # linker's own copy (``_records``)
        "person_records": AssetIn(metadata={"lazy": True}),
        "previous_ids": AssetIn(ID_MAP_TABLE, partition_mapping=PREVIOUS_MONTH,
                                metadata={"latest_before": True}),
        "decision_log": AssetIn(DECISION_TABLE, partition_mapping=(
            MultiToSingleDimensionPartitionMapping(COUNTY))),
        "region_table": AssetIn(),
    },
    group_name="link",
    partitions_def=county_month,
    retry_policy=TRANSIENT,
    check_specs=[AssetCheckSpec(
        "uncertain_awaiting_decision", asset="uncertain_match",
        description="待确认的疑似同一人 (需数据专员决定). "
                    "Uncertain matches awaiting a steward's decision.",
    )],
)
def link(context: AssetExecutionContext, config: LinkConfig, person_records: pl.LazyFrame,
         landing_snapshot: pl.DataFrame, previous_ids: pl.DataFrame | None,
         decision_log: pl.DataFrame | None, region_table: pl.DataFrame, landing: LandingFolder,
         io_manager: ResourceParam[PolarsParquetIOManager], **tables: pl.DataFrame):
    """Link records into people, applying stewards' decisions and keeping previous ids.

    Every piece of evidence a record carries is compared (household head, hospital and
    dates, the follow-up clinic's village; ``pipelines.link.record_evidence``). Previous ids
    come from the county's ``person_id_map`` of the latest month before this one. A night is
    incremental on the linkage state the last published run kept (``kept_run_state``) unless
    ``LinkConfig.full`` or ``sanji run --full`` asks for a full one.
    """
    from pipelines.link import link_records, record_evidence, record_keys_of
    from pipelines.link.incremental import LinkState

    county, month = where(context)
    full = config.full or landing.cold
    state, kept_from = (None, "not read (full night asked)") if full else \
        kept_run_state(context, io_manager, LINK_STATE, LinkState.read, county, month)
    records = _records(person_records)
    # the record keys, when the decisions.csv check needs them too: computed once, for it and
    # the linker (else the linker computes them from the records it types anyway)
    keys = record_keys_of(records[0], state) if _keys_needed(decision_log,
                                                             landing_snapshot) else None
    with failing_clearly("reading the steward's decisions"):  # a bad decisions.csv: no retry
        decisions, refused = steward_decisions(
            decision_log, landing_snapshot, landing.archive_for(county), records[0],
            None if keys is None else keys["record_key"],
            lambda: published_people(io_manager.warehouse.open(county), month))
    previous = None if previous_ids is None else previous_ids.select("record_key", "person_id")
    kept, state = [state], None  # handed over, not held here: the linker lets go of it
    result = link_records(records.pop(), settings=config.settings(), decisions=decisions,
                          previous_ids=previous, state=kept.pop(), full=full, keys=keys,
                          evidence=record_evidence(collected(extract_tables(tables))))
    context.log.info(f"link: {result.stats['link_mode']} night: "
                     f"{result.stats['link_mode_reason']} (state kept by {kept_from})")
    # the state is written while Dagster writes the outputs (both mostly outside the GIL),
    # and the step ends only once it is written
    with ThreadPoolExecutor(max_workers=1) as writer:
        kept_state = writer.submit(result.state.write, state_folder(
            io_manager, context.run_id, LINK_STATE, county, month))
        yield from _outputs(context, result, decisions, previous, kept_from, refused,
                            region_table)
        kept_state.result()  # a failed write fails the step


def _outputs(context: AssetExecutionContext, result, decisions: pl.DataFrame | None,
             previous: pl.DataFrame | None, kept_from: str, refused: list,
             region_table: pl.DataFrame) -> Iterator[Output | AssetCheckResult]:
    """The link step's outputs and its check, in the order Dagster wants them."""
    # person_id_map first: the next month's link reads it (Dagster wants outputs in that order)
    yield Output(result.id_map, output_name=ID_MAP_TABLE,
                 metadata={"rows": result.id_map.height,
                           "kept_previous_ids": 0 if previous is None else previous.height})
    yield Output(result.links, output_name="person_links",
                 metadata=_links_metadata(context, result, decisions, previous, kept_from,
                                           refused))
    yield Output(result.pairs, output_name="match_pairs", metadata={
        "rows": result.pairs.height, "by_status": tallies(result.stats["status_counts"], "status"),
        **_stats(result.stats),
    })
    uncertain = validated("uncertain_match", result.uncertain)
    yield Output(uncertain, output_name="uncertain_match", metadata={
        "rows": uncertain.height, **pair_preview(uncertain, region_table),
    })
    yield AssetCheckResult(
        asset_key="uncertain_match", check_name="uncertain_awaiting_decision",
        passed=result.uncertain.height == 0, severity=AssetCheckSeverity.WARN,
        metadata={"count": result.uncertain.height, **pair_preview(uncertain, region_table)},
    )


def _records(person_records: pl.LazyFrame | pl.DataFrame) -> list[pl.DataFrame]:
    """The records read as one chunk (parquet gives a chunk per row group, which the linker
    would copy into one anyway), in a list the caller empties when it hands them over: this
    step's generator then holds no reference, and the linker frees them once prepared."""
    return [person_records.lazy().collect().rechunk()]


def _keys_needed(log: pl.DataFrame | None, snapshot: pl.DataFrame) -> bool:
    """Whether ``steward_decisions`` reads record keys: a decisions.csv over a county's log."""
    return log is not None and log.height > 0 and \
        snapshot.filter(pl.col("file_name") == DECISIONS_FILE).height > 0


def published_people(store, month: str) -> pl.DataFrame | None:
    """record_key, person_id of the latest month published up to ``month`` (None: none)."""
    if not (store.has_table("county_monthly") and store.has_table(ID_MAP_TABLE)):
        return None
    months = store.read("county_monthly")["month"].drop_nulls().cast(pl.String)
    published = months.filter(months <= month).max()
    return None if published is None else \
        store.read(ID_MAP_TABLE, month=published).select("record_key", "person_id")


def _links_metadata(context: AssetExecutionContext, result, decisions: pl.DataFrame | None,
                    previous: pl.DataFrame | None, kept_from: str,
                    refused: list[str] = ()) -> dict:
    """person_links' metadata: people, the decisions applied (and the decisions.csv links a
    township's 非同一人 refused), the night's link mode."""
    unresolved = result.stats.get("unresolved_decisions", {"count": 0, "examples": []})
    if unresolved["count"]:
        context.log.warning(f"{unresolved['count']} steward decision(s) name no current record: "
                            + "; ".join(unresolved["examples"]))
    for line in refused:
        context.log.warning(f"{line}: the township's answer stands (write {OVERRIDE_MARK} at "
                            "the start of the note, or override_township true, to link anyway)")
    stats = result.stats
    return {
        "rows": result.links.height, "people": result.links["person_id"].n_unique(),
        "decisions_given": 0 if decisions is None else decisions.height,
        "decisions_applied": stats.get("decisions_applied", 0),
        "decisions_unresolved": unresolved["count"],
        "decisions_unresolved_examples": "; ".join(unresolved["examples"]) or "none",
        "decisions_refused_township": len(refused),
        "decisions_refused_township_examples": "; ".join(refused[:EXAMPLES]) or "none",
        "kept_previous_ids": 0 if previous is None else previous.height,
        "link_mode": stats["link_mode"], "link_mode_reason": stats["link_mode_reason"],
        "block_mode": stats.get("block_mode", "every record"),
        "link_state_from": kept_from,
        "records_new_or_changed": stats.get("records_new_or_changed", result.links.height),
        "pairs_compared": stats.get("pairs_compared", 0),
        "pairs_kept": stats.get("pairs_kept", 0),
        "model_fitted_on": result.state.model["fitted_on"],
    }


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
