"""Mismatch cases with a life (group ``publish``): ``mismatch_case``, carried month to month.

A county-month's ``mismatch_case`` is built from the county's published ``mismatch_case`` of the
latest month before (its own output a month earlier, read from the warehouse, like
``person_id_map``), this month's ``mismatch`` and linkage, and the township's answers archived by
the month's last day (``<archive>/<county>/returns``: :mod:`pipelines.cases.intake`). The
monthly tables count its new / open / overdue / resolved / explained cases per village.
"""

from pathlib import Path

import polars as pl
from dagster import (
    AssetExecutionContext,
    AssetIn,
    Config,
    Output,
    asset,
)

from assets.ingest import where
from assets.link import PREVIOUS_MONTH
from assets.metadata import counts, steward_preview, table_preview
from assets.publish import COUNTY_RULES, PUBLISHED
from assets.resources import LandingFolder, WarehouseResource
from assets.validate import validated
from pipelines.cases.intake import RETURNS_FOLDER
from pipelines.domain.cases import DEFAULT_DEADLINE_DAYS, OPEN_STATUSES


class CaseConfig(Config):
    """A county's case settings (``pipelines.cases.CaseSettings``).

    ``deadline_days``: days after the month a case was opened in until it is overdue;
    ``full_ids``: work lists show full identity numbers; unset, the county's
    ``worklist_full_ids`` in the counties file says (default masked).
    """

    deadline_days: int = DEFAULT_DEADLINE_DAYS
    full_ids: bool | None = None

    def settings(self, county_full_ids: bool = False):
        """The ``CaseSettings`` this configuration asks for (full IDs: see the class)."""
        from pipelines.cases import CaseSettings

        full = county_full_ids if self.full_ids is None else self.full_ids
        return CaseSettings(deadline_days=self.deadline_days, full_ids=full)


def returns_archive(landing: LandingFolder, county: str) -> Path:
    """The county's archive of returned files (work lists and the office's lists)."""
    return landing.archive_for(county) / RETURNS_FOLDER


def case_metadata(cases: pl.DataFrame, regions: pl.DataFrame,
                  people: pl.DataFrame | None = None) -> dict[str, object]:
    """Tables by status and township, and the numbers a steward follows month over month."""
    from pipelines.cases.intake import township_table

    live = cases.filter(pl.col("status").is_in(OPEN_STATUSES))
    this_month = pl.col("status_month") == pl.col("month")
    per_rule = dict(live.group_by("rule").len().iter_rows())
    return {
        "rows": cases.height,
        "open_cases": live.height,
        "new_cases": cases.filter(pl.col("status") == "new").height,
        "overdue_cases": cases.filter(pl.col("overdue")).height,
        "resolved_this_month": cases.filter((pl.col("status") == "resolved") & this_month).height,
        "explained_this_month": cases.filter((pl.col("status") == "explained")
                                             & this_month).height,
        **{f"open_{rule.id}": int(per_rule.get(rule.id, 0)) for rule in COUNTY_RULES},
        "by_status": counts(cases, "status"),
        "by_township": table_preview(township_table(cases, regions), limit=100),
        # the live cases, oldest first: who (masked ID), where (by name), since when, what
        **steward_preview(live.select(
            "name", "person_id", "township_code", "village_code", "first_seen", "status",
            "overdue", "detail", "rule", "case_id"), regions=regions, people=people),
    }


@asset(ins={"mismatch": AssetIn(),
            "person_links": AssetIn(metadata={"columns": ["record_id", "record_key",
                                                          "person_id"]}),
            "person_source": AssetIn(metadata={"columns": ["record_id", "extract"]}),
            # the previews' masked IDs are all it reads of the golden record
            "region_table": AssetIn(), "person": AssetIn(metadata={"columns": ["person_id",
                                                                              "id_number"]}),
            "previous_cases": AssetIn("mismatch_case", partition_mapping=PREVIOUS_MONTH,
                                      metadata={"latest_before": True})},
       **PUBLISHED)
def mismatch_case(context: AssetExecutionContext, config: CaseConfig, mismatch: pl.DataFrame,
                  person_links: pl.DataFrame, person_source: pl.DataFrame,
                  region_table: pl.DataFrame, person: pl.DataFrame,
                  previous_cases: pl.DataFrame | None, landing: LandingFolder,
                  warehouse: WarehouseResource):
    """问题台账: every mismatch case ever found, with its status this month (发现→整改→销号).

    New cases are ``new``; cases found again ``open`` (``first_seen`` kept); cases whose rule
    no longer fires ``resolved``; cases a township (or the steward) explained ``explained``.
    Rebuilding a month before the county's latest published one warns, naming the later
    months now stale (``later_months_to_rerun``).
    """
    from pipelines.cases import case_records, track_cases, verifications_received
    from pipelines.cases.chain import later_months, stale_note
    from pipelines.warehouse import publications

    county, month = where(context)
    answers = verifications_received(returns_archive(landing, county), None, month)
    records = case_records(person_links, person_source, mismatch, previous_cases)
    cases = track_cases(previous_cases, mismatch, records, month, answers.verifications,
                        config.settings())
    frame = validated("mismatch_case", cases)
    later = later_months(publications(warehouse.open(county)), county, month)
    if later:
        context.log.warning(stale_note(month, later))
    yield Output(frame, metadata={
        "later_months_to_rerun": ", ".join(later),
        "previous_cases": 0 if previous_cases is None else previous_cases.height,
        "answers_received": answers.verifications.height,
        **case_metadata(frame, region_table, person)})
