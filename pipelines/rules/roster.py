"""Rules about registered people (the poverty roster) and their cover by other departments."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.domain.predicates import active_assistance, illness_risk, insured, subsistence
from pipelines.rules.base import (
    Tables,
    as_of,
    evidence_ids,
    expected_subsidy,
    finish_rule,
    registered,
    roster_ids,
    subsidy_ids,
)


def no_doctor_contract(tables: Tables, links: pl.DataFrame, person: pl.DataFrame,
                       month_end: date) -> pl.DataFrame:
    """Registered people with no family-doctor contract as of month end."""
    contracted = as_of(tables, links, "doctor_contract", month_end).select("person_id")
    uncontracted = registered(tables, links, month_end).join(contracted, on="person_id",
                                                             how="anti")
    hits = (
        roster_ids(tables, links, month_end, uncontracted)
        .with_columns(
            detail=pl.lit("防返贫监测名单中有此人，家庭医生签约中无记录 / "
                          "in the poverty roster, no family-doctor contract"),
            evidence=pl.col("roster_ids"),
        )
    )
    return finish_rule("no_doctor_contract", hits, person)


def not_insured(tables: Tables, links: pl.DataFrame, person: pl.DataFrame,
                month_end: date) -> pl.DataFrame:
    """Registered people with no enrolment counting as insured (``insured``: 参保缴费 …)."""
    enrolled = as_of(tables, links, "enrolment", month_end)
    reg = roster_ids(tables, links, month_end, registered(tables, links, month_end).join(
        enrolled.filter(insured()), on="person_id", how="anti"))  # the few not insured
    enrol = (  # their statuses and records
        enrolled.join(reg, on="person_id", how="semi")
        .group_by("person_id")
        .agg(
            pl.col("enrol_status").fill_null("空").unique().sort().str.join("、").alias("statuses"),
            pl.col("record_id").sort().str.join(",").alias("enrol_ids"),
        )
    )
    hits = (
        reg.join(enrol, on="person_id", how="left")
        .with_columns(
            detail=pl.when(pl.col("statuses").is_null())
            .then(pl.lit("医保参保中无记录 / no enrolment record"))
            .otherwise(pl.lit("参保状态: ") + pl.col("statuses") + pl.lit(" / enrol status: ")
                       + pl.col("statuses")),
            evidence=evidence_ids("roster_ids", "enrol_ids"),
        )
    )
    return finish_rule("not_insured", hits, person)


def wrong_subsidy(tables: Tables, links: pl.DataFrame, person: pl.DataFrame,
                  month_end: date) -> pl.DataFrame:
    """Insured people whose subsidy type does not match their civil-affairs or roster status."""
    wrong = expected_subsidy(tables, links, month_end, ids=False).filter(~pl.col("consistent"))
    hits = (
        subsidy_ids(tables, links, month_end, wrong)  # the evidence of the few found
        .with_columns(evidence_ids=evidence_ids("enrol_ids", "assist_ids", "roster_ids"))
        .with_columns(
            detail=pl.lit("身份: ") + pl.col("basis") + pl.lit("; 资助类型: ")
            + pl.col("actual").list.join("、") + pl.lit("; 应为: ")
            + pl.col("expected").list.join("或") + pl.lit(" / status ") + pl.col("basis")
            + pl.lit(", subsidy ") + pl.col("actual").list.join(",") + pl.lit(", expected ")
            + pl.col("expected").list.join(" or "),
            evidence=pl.col("evidence_ids"),
        )
    )
    return finish_rule("wrong_subsidy", hits, person)


def assistance_illness_not_monitored(tables: Tables, links: pl.DataFrame, person: pl.DataFrame,
                                     month_end: date) -> pl.DataFrame:
    """Active 低保/特困 recipients with hardship cause 因病 who are not in the poverty roster."""
    reg = registered(tables, links, month_end).select("person_id")
    hits = (
        as_of(tables, links, "assistance", month_end)
        .filter(subsistence() & illness_risk("hardship_cause") & active_assistance())
        .join(reg, on="person_id", how="anti")
        .group_by("person_id")
        .agg(
            pl.col("assistance_type").unique().sort().str.join("、").alias("types"),
            pl.col("record_id").sort().str.join(",").alias("evidence"),
        )
        .with_columns(
            detail=pl.col("types") + pl.lit("对象，致困原因因病，未纳入防返贫监测 / ")
            + pl.col("types") + pl.lit(" recipient, hardship from illness, not in the roster")
        )
    )
    return finish_rule("assistance_illness_not_monitored", hits, person)


