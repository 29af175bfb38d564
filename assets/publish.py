"""Published tables, one county-month per partition (group ``publish``).

Each asset calls the engine, validates the frame against ``schemas/published.py`` and hands it
to the warehouse IO manager, which replaces the month's slice in the county's warehouse schema
(every row stamped with its ``county``).
"""

from collections.abc import Callable
from dataclasses import replace

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetIn,
    Config,
    Output,
    ResourceParam,
    asset,
)

from assets.ingest import EXTRACT_ASSETS, OWNERS, TRANSIENT, where
from assets.io_managers import PolarsParquetIOManager
from assets.kept_states import kept_run_state, state_folder
from assets.link import extract_tables
from assets.metadata import (
    counts,
    per_rule,
    steward_preview,
    table_preview,
    township_counts,
    township_table,
    trend_numbers,
)
from assets.resources import LandingFolder
from assets.settings import county_month
from assets.validate import validated
from pipelines.domain.rules import PROVINCE_RULES
from pipelines.golden import LINK_COLUMNS, SOURCE_COLUMNS
from pipelines.golden import columns_read as golden_columns
from pipelines.rules import RULES
from pipelines.rules.base import PERSON_READ, rules_read
from pipelines.warehouse.staging import FrameFile

COUNTY_RULES = tuple(rule for rule in RULES if rule.id not in PROVINCE_RULES)
PUBLISHED = {"group_name": "publish", "owners": OWNERS, "partitions_def": county_month,
             "io_manager_key": "warehouse_io_manager", "retry_policy": TRANSIENT,
             "kinds": {"polars", "duckdb"}, "tags": {"layer": "published"}}


def extract_ins(columns: Callable[[str], tuple[str, ...]]) -> dict[str, AssetIn]:
    """Every extract table as an input holding only ``columns(extract)`` (the IO manager
    reads just those columns of the stored frame)."""
    return {name: AssetIn(name, metadata={"columns": list(columns(name))})
            for name in EXTRACT_ASSETS}


GOLDEN_INS = extract_ins(golden_columns)  # what the golden record reads
RULE_INS = extract_ins(rules_read)  # what the rules and the rollups read
# what every published step reads of the links: record and person ids (not the record keys)
LINKS_IN = AssetIn(metadata={"columns": list(LINK_COLUMNS)})


def person_in(*extra: str) -> AssetIn:
    """The golden ``person`` as an input holding what the rules read, and ``extra``."""
    return AssetIn(metadata={"columns": [*PERSON_READ, *extra]})


GOLDEN_STATE = "golden_state"  # <storage>/runs/<run_id>/golden_state/<county>/<month>/


class PersonConfig(Config):
    """``full`` computes every person's golden record again (as ``sanji run --full`` does)
    instead of only the persons a new, changed or gone record touches, on the state the last
    published run kept (``pipelines.golden_incremental``)."""

    full: bool = False


@asset(ins={**GOLDEN_INS, "person_links": LINKS_IN}, **PUBLISHED)
def person(context: AssetExecutionContext, config: PersonConfig, person_links: pl.DataFrame,
           landing: LandingFolder, io_manager: ResourceParam[PolarsParquetIOManager],
           **tables: pl.DataFrame) -> FrameFile:
    """人员主档 (golden record): one row per person, each field with its source record.

    Only the persons a changed record touches are computed again; the others' rows are last
    night's (the kept ``person`` frame), unless ``PersonConfig.full`` or ``sanji run --full``
    asks for a full night or nothing fitting is kept: the same rows either way."""
    from pipelines.golden_incremental import PERSON_FILE, Check, GoldenState, incremental_person
    from schemas.published import checks_version

    county, month = where(context)
    full = config.full or landing.cold
    state, kept_from = (None, "not read (full night asked)") if full else \
        kept_run_state(context, io_manager, GOLDEN_STATE, GoldenState.read, county, month)
    # validated as computed: on a quiet night only the touched persons' rows (the kept ones
    # passed the same schema the night they were computed)
    check = Check(lambda rows: validated("person", rows), checks_version("person"))
    frame, keep, stats = incremental_person(extract_tables(tables), person_links, state,
                                            scope=county, full=full, check=check)
    del state
    folder = state_folder(io_manager, context.run_id, GOLDEN_STATE, county, month)
    replace(keep, person=frame).write(folder, stamp={"county": county})  # staged as it is
    context.log.info(f"person: {stats['mode']} night: {stats['mode_reason']}; "
                     f"{stats['persons_recomputed']:,} of {frame.height:,} persons computed "
                     f"(state kept by {kept_from})")
    context.add_output_metadata({"rows": frame.height,
                                 "by_township": counts(frame, "township_code"),
                                 **{k: stats[k] for k in GOLDEN_STATS},
                                 "golden_state_from": kept_from})
    return FrameFile(folder / PERSON_FILE, frame.height)


GOLDEN_STATS = ("mode", "mode_reason", "persons_recomputed", "records_new_or_changed",
                "records_gone")


@asset(ins={"person_records": AssetIn(metadata={"columns": list(SOURCE_COLUMNS)}),
            "person_links": LINKS_IN}, **PUBLISHED)
def person_source(context: AssetExecutionContext, person_records: pl.DataFrame,
                  person_links: pl.DataFrame) -> pl.DataFrame:
    """人员来源: which input row (file, sheet, row) belongs to which person."""
    from pipelines.golden import person_source as build

    frame = validated("person_source", build(person_records, person_links))
    context.add_output_metadata({"rows": frame.height,
                                 "by_department": counts(frame, "department")})
    return frame


def _rule_checks() -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(rule.id, asset="mismatch",
                       description=f"{rule.zh}. {rule.en[:1].upper()}{rule.en[1:]}.")
        for rule in COUNTY_RULES
    ]


@asset(ins={**RULE_INS, "person_links": LINKS_IN, "person": person_in("id_number"),
            "uncertain_match": AssetIn(), "region_table": AssetIn()},
       check_specs=_rule_checks(), **PUBLISHED)
def mismatch(context: AssetExecutionContext, person_links: pl.DataFrame, person: pl.DataFrame,
             uncertain_match: pl.DataFrame, region_table: pl.DataFrame,
             **tables: pl.DataFrame):
    """部门间不一致: one row per person and rule that does not agree between departments."""
    from pipelines.rules import find_mismatches

    _, month = where(context)
    frame = validated("mismatch", find_mismatches(extract_tables(tables), person_links, person,
                                                  month, uncertain_match))
    yield Output(frame, metadata={"rows": frame.height, "month": month,
                                  "by_rule": counts(frame, "rule"),
                                  "by_township": township_counts(frame, region_table),
                                  "mismatches_total": frame.height,
                                  **per_rule(frame, [r.id for r in COUNTY_RULES], "mismatches_")})
    # the rules' few people, looked up once (each preview masks its people's IDs)
    people = person.filter(pl.col("person_id").is_in(frame["person_id"].drop_nulls().implode()))
    for rule in COUNTY_RULES:
        hits = frame.filter(pl.col("rule") == rule.id)
        yield AssetCheckResult(check_name=rule.id, passed=hits.height == 0,
                               severity=AssetCheckSeverity.WARN,
                               metadata={"count": hits.height,
                                         "pending_match": int(hits["pending_match"].sum()),
                                         **steward_preview(hits, regions=region_table,
                                                           people=people)})


@asset(ins={**RULE_INS, "person": person_in(), "person_links": LINKS_IN,
            "region_table": AssetIn(), "mismatch_case": AssetIn()}, **PUBLISHED)
def village_monthly(context: AssetExecutionContext, person: pl.DataFrame,
                    person_links: pl.DataFrame, region_table: pl.DataFrame,
                    mismatch_case: pl.DataFrame | None, **tables: pl.DataFrame) -> pl.DataFrame:
    """村级月度指标: registered people, contract, insurance, chronic and illness figures, and
    the month's new / open / overdue / resolved / explained mismatch cases."""
    from pipelines.cases import with_case_counts
    from pipelines.rollup import village_monthly as build

    month = where(context)[1]
    figures = build(extract_tables(tables), person, person_links, region_table, month)
    if mismatch_case is None:  # a run that left mismatch_case out: no case counts this time
        context.log.warning(f"no mismatch_case published for {month}: no case counts")
    else:
        figures = with_case_counts(figures, mismatch_case.with_columns(month=pl.lit(month)))
    frame = validated("village_monthly", figures)
    context.add_output_metadata({"rows": frame.height, "preview": table_preview(frame)})
    return frame


@asset(**PUBLISHED)
def township_monthly(context: AssetExecutionContext, village_monthly: pl.DataFrame,
                     region_table: pl.DataFrame) -> pl.DataFrame:
    """乡镇月度指标: the villages' figures rolled up per township."""
    from pipelines.rollup import rollup_township

    frame = validated("township_monthly", rollup_township(village_monthly, region_table))
    context.add_output_metadata({"rows": frame.height, "by_township": township_table(frame),
                                 "preview": table_preview(frame)})
    return frame


@asset(check_specs=[AssetCheckSpec(
    "three_level_consistency", asset="county_monthly",
    description="县镇村三级数据一致: 村级数据汇总等于乡镇, 乡镇汇总等于县. "
                "Village counts sum to their township, townships to the county.")],
    **PUBLISHED)
def county_monthly(context: AssetExecutionContext, township_monthly: pl.DataFrame,
                   village_monthly: pl.DataFrame, region_table: pl.DataFrame):
    """县级月度指标: the county's figures, with the three levels checked against each other."""
    from pipelines.rollup import check_rollup_consistency, rollup_county

    frame = validated("county_monthly", rollup_county(township_monthly, region_table))
    yield Output(frame, metadata={"rows": frame.height, **trend_numbers(frame),
                                  "preview": table_preview(frame)})
    problems = check_rollup_consistency(village_monthly, township_monthly, frame)
    yield AssetCheckResult(
        check_name="three_level_consistency", passed=not problems,
        severity=AssetCheckSeverity.ERROR,
        metadata={"count": len(problems),
                  "problems": table_preview(pl.DataFrame({"problem": problems[:20]},
                                                         schema={"problem": pl.String}))},
    )
