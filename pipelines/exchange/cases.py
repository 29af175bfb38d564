"""Our serious-illness case list for a month, and its per-township summary."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.domain.codes import ILLNESS_STATUSES
from pipelines.domain.identity import mask_id
from pipelines.domain.months import Month
from schemas.contract import polars_schema
from schemas.exchange import IllnessCase

MONEY = ("total_cost", "basic_insurance", "critical_insurance", "medical_assistance",
         "out_of_pocket")
CASE_SCHEMA = polars_schema(IllnessCase)
# What the case list reads of the golden ``person`` (its step loads only these columns).
PERSON_COLUMNS: tuple[str, ...] = ("person_id", "name", "id_number", "township_code",
                                   "village_code")


def _place_names(regions: pl.DataFrame, code: str, name: str) -> pl.DataFrame:
    return regions.select(pl.col("code").alias(code), pl.col("name").alias(name))


def _settlement_totals(settlements: pl.DataFrame, links: pl.DataFrame,
                       first: date, last: date) -> pl.DataFrame:
    """Per person: inpatient settlements of the year up to the month's end."""
    admitted = pl.col("admission_date")
    return (
        settlements.lazy()
        .join(links.lazy().select("record_id", "person_id"), on="record_id", how="inner")
        .filter(admitted.is_between(date(first.year, 1, 1), last) | admitted.is_null())
        .group_by("person_id")
        .agg(
            pl.len().cast(pl.Int64).alias("admissions"),
            *(pl.col(m).sum().round(2) for m in MONEY),
            pl.when(pl.col("one_stop").all()).then(pl.lit("是"))
            .when(pl.col("one_stop").any()).then(pl.lit("部分"))
            .otherwise(pl.lit("否")).alias("one_stop"),
        )
        .collect()
    )


def illness_cases(ledger: pl.DataFrame, settlements: pl.DataFrame, links: pl.DataFrame,
                  person: pl.DataFrame, regions: pl.DataFrame, month: str | Month) -> pl.DataFrame:
    """Our serious-illness case list for a month: one row per person and illness.

    A case is a ledger entry diagnosed by the month's end (or undated), attached to its linked
    person; the latest entry per person and illness wins. Settlements of the calendar year up
    to the month's end are summed per person.

    Args:
        ledger: the ``illness_ledger`` extract table.
        settlements: the ``settlement`` extract table.
        links: ``person_links`` (record_id, person_id).
        person: the golden ``person`` table.
        regions: the region table (code, name).
        month: ``YYYY-MM``.

    Returns:
        A frame with the columns of ``CASE_SCHEMA``, sorted by township, village, person_id.
    """
    month = Month.parse(month)
    first, last = month.first_day, month.last_day
    diagnosed = pl.col("diagnosis_date")
    cases = (
        ledger.lazy()
        .join(links.lazy().select("record_id", "person_id"), on="record_id", how="inner")
        .filter((diagnosed <= last) | diagnosed.is_null())
        .sort("diagnosis_date", nulls_last=False)
        .unique(["person_id", "illness"], keep="last", maintain_order=True)
        .select("person_id", "illness", "hospital", "status", "diagnosis_date")
        .collect()
    )
    people = person.join(cases.select("person_id").unique(), on="person_id", how="semi").select(
        "person_id", "name", mask_id(pl.col("id_number")).alias("id_masked"),
        "township_code", "village_code",
    )  # only the cases' people: masking every resident's ID took most of the step
    totals = _settlement_totals(settlements, links, first, last)
    return (
        cases.join(people, on="person_id", how="left")
        .join(_place_names(regions, "township_code", "township"), on="township_code", how="left")
        .join(_place_names(regions, "village_code", "village"), on="village_code", how="left")
        .join(totals, on="person_id", how="left")
        .with_columns(pl.col("admissions").fill_null(0))
        .select([pl.col(c).cast(t) for c, t in CASE_SCHEMA.items()])
        .sort("township_code", "village_code", "person_id", "illness", nulls_last=True)
    )


def township_summary(cases: pl.DataFrame) -> pl.DataFrame:
    """Per village of one township: case counts by status, costs and the out-of-pocket share.

    Args:
        cases: the case rows of one township.

    Returns:
        Columns 行政村, 病例数, one column per status, 住院次数, 医疗总费用, 个人自付, 自付比例.
    """
    status_counts = [
        (pl.col("status") == s).sum().cast(pl.Int64).alias(s) for s in ILLNESS_STATUSES
    ]
    return (
        cases.group_by(pl.col("village").fill_null("(未定位)").alias("行政村"))
        .agg(
            pl.len().cast(pl.Int64).alias("病例数"), *status_counts,
            pl.col("admissions").sum().alias("住院次数"),
            pl.col("total_cost").sum().round(2).alias("医疗总费用"),
            pl.col("out_of_pocket").sum().round(2).alias("个人自付"),
        )
        .with_columns(
            pl.when(pl.col("医疗总费用") > 0)
            .then((pl.col("个人自付") / pl.col("医疗总费用")).round(4))
            .alias("自付比例")
        )
        .sort("行政村")
    )


