"""Rules about serious illness: the ledger against inpatient settlements."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.domain.predicates import treating
from pipelines.rules.base import (
    Tables,
    as_of,
    finish_rule,
    registered,
    serious_settlements,
)


def settlement_not_in_ledger(tables: Tables, links: pl.DataFrame, person: pl.DataFrame,
                             month_end: date) -> pl.DataFrame:
    """Registered people with a serious-illness settlement and no ledger entry for that illness.

    One row per person and illness (``case_key`` = the illness): each is its own problem, fixed
    by its own ledger entry.
    """
    ledger = as_of(tables, links, "illness_ledger", month_end).select("person_id", "illness")
    reg = registered(tables, links, month_end).select("person_id")
    hits = (
        serious_settlements(tables, links, month_end)
        .join(reg, on="person_id", how="semi")
        .join(ledger, on=["person_id", "illness"], how="anti")
        .group_by("person_id", "illness")
        .agg(pl.col("record_id").sort().str.join(",").alias("evidence"))
        .with_columns(
            case_key=pl.col("illness"),
            detail=pl.lit("住院结算病种: ") + pl.col("illness")
            + pl.lit("，大病台账无此病种记录 / settled for ") + pl.col("illness")
            + pl.lit(", not in the serious-illness ledger"),
        )
    )
    return finish_rule("settlement_not_in_ledger", hits, person)


def ledger_without_settlement(tables: Tables, links: pl.DataFrame, person: pl.DataFrame,
                              month_end: date) -> pl.DataFrame:
    """Ledger entries 已救治/救治中 whose person has no settlement at all as of month end.

    One row per person and ledger illness (``case_key``; null when the entry names none).
    """
    settled = as_of(tables, links, "settlement", month_end).select("person_id")
    hits = (
        as_of(tables, links, "illness_ledger", month_end)
        .filter(treating())
        .join(settled, on="person_id", how="anti")
        .group_by("person_id", "illness")
        .agg(
            (pl.col("illness").fill_null("?") + pl.lit("(") + pl.col("status") + pl.lit(")"))
            .unique().sort().str.join("、").alias("entries"),
            pl.col("record_id").sort().str.join(",").alias("evidence"),
        )
        .with_columns(
            case_key=pl.col("illness"),
            detail=pl.lit("大病台账: ") + pl.col("entries")
            + pl.lit("，医保无住院结算 / ledger entry, no inpatient settlement"),
        )
    )
    return finish_rule("ledger_without_settlement", hits, person)
