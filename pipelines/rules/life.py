"""Rules about a person's life and place: death against activity, villages across departments."""

from __future__ import annotations

import re
from datetime import date

import polars as pl

from pipelines.domain.extracts import EXTRACTS
from pipelines.domain.predicates import active_assistance, insured, risk_open
from pipelines.rules.base import Tables, as_of, evidence_ids, finish_rule

VILLAGES_DIFFER = "各部门登记的村不同 villages differ by department: "
_REGISTER_VILLAGE = re.compile(r"([A-Za-z_]+)=([0-9A-Za-z]+)")


def _activity_after_death(tables: Tables, links: pl.DataFrame, month_end: date) -> pl.DataFrame:
    """person_id, what (text), record_id for every sign of life: active rosters, later dates."""
    dated = {
        "doctor_contract": ("contract_date", "签约"),
        "chronic_followup": ("followup_date", "随访"),
        "settlement": ("admission_date", "住院"),
        "assistance": ("start_date", "救助起始"),
    }
    no_date = pl.lit(None, pl.Date).alias("when")
    active = [
        as_of(tables, links, "enrolment", month_end)
        .filter(insured())
        .select("person_id", "record_id", no_date, what=pl.lit("医保参保缴费 enrolled")),
        as_of(tables, links, "assistance", month_end)
        .filter(active_assistance())
        .select("person_id", "record_id", no_date,
                what=pl.lit("救助状态正常 assistance active")),
        as_of(tables, links, "poverty_roster", month_end)
        .filter(risk_open())
        .select("person_id", "record_id", no_date,
                what=pl.lit("防返贫监测未消除风险 in roster, risk not cleared")),
    ]
    later = [
        as_of(tables, links, ext, month_end)
        .filter(pl.col(col).is_not_null())
        .select("person_id", "record_id", pl.col(col).alias("when"), what=pl.lit(f"{zh} {col}"))
        for ext, (col, zh) in dated.items()
    ]
    return pl.concat(active + later)


def dead_but_active(tables: Tables, links: pl.DataFrame, person: pl.DataFrame,
                    month_end: date) -> pl.DataFrame:
    """People dead by month end who are still active in another roster or act after death."""
    deaths = (
        as_of(tables, links, "death", month_end)
        .filter(pl.col("death_date").is_not_null())
        .group_by("person_id")
        .agg(
            pl.col("death_date").min(),
            pl.col("record_id").sort().str.join(",").alias("death_ids"),
        )
    )
    signs = (
        _activity_after_death(tables, links, month_end)
        .join(deaths, on="person_id", how="inner")
        .filter(pl.col("when").is_null() | (pl.col("when") > pl.col("death_date")))
        .with_columns(
            what=pl.col("what") + pl.when(pl.col("when").is_not_null())
            .then(pl.lit(" ") + pl.col("when").dt.to_string("%Y-%m-%d")).otherwise(pl.lit(""))
        )
        .group_by("person_id")
        .agg(
            pl.col("what").unique().sort().str.join("; ").alias("whats"),
            pl.col("record_id").sort().str.join(",").alias("active_ids"),
            pl.col("death_date").first(),
            pl.col("death_ids").first(),
        )
        .with_columns(
            detail=pl.lit("死亡日期 death date ") + pl.col("death_date").dt.to_string("%Y-%m-%d")
            + pl.lit("; 仍有效 still active: ") + pl.col("whats"),
            evidence=evidence_ids("death_ids", "active_ids"),
        )
    )
    return finish_rule("dead_but_active", signs, person)


def conflict_villages(detail: str | None) -> dict[str, str]:
    """extract -> village of a ``village_conflict`` case, read back from its ``detail``.

    Each register (extract) in the case's evidence stands for one village (its current one), so
    the detail's ``extract=village`` pairs place every evidence record. Empty for a detail that
    is not a ``village_conflict`` one.
    """
    if not detail or VILLAGES_DIFFER not in detail:
        return {}
    return dict(_REGISTER_VILLAGE.findall(detail.split(VILLAGES_DIFFER, 1)[1]))


def register_villages(placed: pl.DataFrame) -> pl.DataFrame:
    """Each register's (extract's) village for each person: most recent, then most frequent.

    Args:
        placed: person_id, extract, department, village_code, record_date (one row per record).

    Returns:
        person_id, extract, department, village_code: one row per person and extract.
    """
    return (
        placed.group_by("person_id", "extract", "department", "village_code")
        .agg(pl.col("record_date").max().alias("latest"), pl.len().alias("n"))
        .sort("latest", "n", "village_code", nulls_last=False)
        .group_by("person_id", "extract", "department", maintain_order=True)
        .agg(pl.col("village_code").last())
    )


def village_conflict(tables: Tables, links: pl.DataFrame, person: pl.DataFrame,
                     month_end: date) -> pl.DataFrame:
    """People placed in different villages by different departments.

    Each register (extract) places a person in its most recent (then most frequent) village,
    so a move over time within one register is no conflict. A person is flagged when those
    villages differ and come from two or more departments: with at least two departments and
    two distinct villages some pair of departments always disagrees, so a disagreement only
    between one department's own registers (and no other department) is not flagged.
    """
    placed = pl.concat(
        [as_of(tables, links, ext, month_end)
         .select("person_id", "record_id", "extract", "department", "village_code",
                 "record_date")
         for ext in EXTRACTS]
    ).filter(pl.col("village_code").is_not_null())
    # only a person with two villages among all records can have two current ones
    placed = placed.filter(pl.col("village_code").n_unique().over("person_id") > 1)
    current = register_villages(placed)
    conflicted = (
        current.group_by("person_id")
        .agg(pl.col("department").n_unique().alias("departments"),
             pl.col("village_code").n_unique().alias("villages"))
        .filter((pl.col("departments") > 1) & (pl.col("villages") > 1))
        .select("person_id")
    )
    current = current.join(conflicted, on="person_id", how="semi")
    evidence = (  # the records behind each register's current village, not its past ones
        placed.join(current, on=["person_id", "extract", "village_code"], how="semi")
        .group_by("person_id")
        .agg(pl.col("record_id").sort().str.join(",").alias("evidence"))
    )
    hits = (
        current.group_by("person_id")
        .agg((pl.col("extract") + pl.lit("=") + pl.col("village_code"))
             .sort().str.join(", ").alias("pairs"))
        .join(evidence, on="person_id")
        .with_columns(
            detail=pl.lit(VILLAGES_DIFFER) + pl.col("pairs")
        )
    )
    return finish_rule("village_conflict", hits, person)


