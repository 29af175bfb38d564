"""Monthly village, township and county tables (县镇村三级) answering DOMAIN.md's questions.

All figures are as of the month's last day (records dated later are ignored). Definitions:

- **registered**: people with a ``registered_row`` in the poverty roster (脱贫人口, 监测对象 or
  no type given; population type derived from 监测对象类别 / 户类型 where the export has none),
  placed in the golden person's village (``person.village_code``); people whose golden village
  is not a village of the region table are left out of every level (their records carry
  ``village_unresolved`` field issues; no mismatch rule lists them yet). Counted by
  ``poverty_alleviated`` and ``monitored`` (``pipelines.domain.predicates``: a 脱贫不稳定户
  member is both), by monitoring category, and by risk cause (``registered_cause_<cause>``; a
  person with several causes counts under each; causes outside the eight reported by name
  count under 其他).
- **contracted**: registered people with a family-doctor contract dated on or before month end.
- **chronic**: registered people with a follow-up for a ``managed_disease`` (the four 公卫
  programmes; patients under management). Standard met, per disease, in the 12 calendar
  months to month end: hypertension, type 2 diabetes and severe mental disorder at least 4
  follow-ups; TB the first follow-up on or after the earliest referral date within 14 days of
  it (no referral date: not met). A patient meets the standard when every disease they are
  followed for does.
- **illness**: registered people in the serious-illness ledger; status from their most recent
  ledger entry; their inpatient settlements in the 12 calendar months to month end (count,
  one-stop count, total cost and out-of-pocket sums; share = sum out of pocket / sum total cost).
- **insured**: registered people with an ``insured`` enrolment (参保缴费, 异地参保);
  **subsidy_consistent**: insured registered people whose subsidy type fits their status
  (``rules.expected_subsidy``).
- **clinic coverage** (only when a village clinic list landed, ``regions.clinics``):
  ``villages`` (1 per village), ``villages_with_clinic`` and ``clinic_coverage``; without a list
  the three columns are absent, never null.

Counts are summed up the levels and every rate is recomputed from the summed counts
(``RATES``), never averaged. The case counts (``CASE_COUNTS``) join the village table through
``pipelines.cases.with_case_counts`` and are summed up the levels like every other count.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.domain.metrics import (
    CASE_COUNTS,
    CATEGORY_NAMES,
    CAUSE_NAMES,
    CLINIC_COUNTS,
    CLINIC_RATES,
    COUNT_COLUMNS,
    DISEASE_NAMES,
    FOLLOWUPS_PER_YEAR,
    LEVEL_KEYS,
    OTHER_CAUSE,
    RATES,
    STATUS_NAMES,
    SUM_COLUMNS,
    TB_DAYS,
    TB_DISEASE,
)
from pipelines.domain.months import Month
from pipelines.domain.predicates import (
    LIST_SEPARATOR,
    has_code,
    insured,
    managed_disease,
    monitored,
    poverty_alleviated,
    registered_row,
)
from pipelines.rules.base import as_of, as_of_cache, expected_subsidy


def _registered(tables: dict, links: pl.DataFrame, person: pl.DataFrame,
                month_end: date) -> pl.DataFrame:
    """One row per registered person: village_code and 0/1 columns for type, category, cause."""
    roster = (
        as_of(tables, links, "poverty_roster", month_end)
        .filter(registered_row())
        .sort("person_id", "record_id")
        .unique(subset="person_id", keep="first", maintain_order=True)
    )
    return roster.join(person.select("person_id", "village_code"), on="person_id",
                       how="inner").select(
        "person_id", "village_code",
        registered_total=pl.lit(1, pl.Int64),
        registered_poverty_alleviated=poverty_alleviated(),
        registered_monitored=monitored(),
        registered_risk_cleared=pl.col("risk_cleared").fill_null(False),
        **{f"registered_cat_{n}": (pl.col("monitoring_category") == c).fill_null(False)
           for c, n in CATEGORY_NAMES.items()},
        **{f"registered_cause_{n}": _cause(c) for c, n in CAUSE_NAMES.items()},
    )


def _cause(code: str) -> pl.Expr:
    """A cause list holds ``code``; 其他 also counts every cause not reported by name."""
    if code != OTHER_CAUSE:
        return has_code("risk_cause", code)
    named = [c for c in CAUSE_NAMES if c != OTHER_CAUSE]
    return (pl.col("risk_cause").str.split(LIST_SEPARATOR)
            .list.eval(~pl.element().is_in(named)).list.any().fill_null(False))


def _chronic(tables: dict, links: pl.DataFrame, month_end: date,
             who: pl.DataFrame) -> pl.DataFrame:
    """Per chronic patient among ``who``: disease flags and whether the standard is met."""
    rows = (
        as_of(tables, links, "chronic_followup", month_end)
        .filter(managed_disease())
        .join(who, on="person_id", how="semi")
    )
    start = Month.of(month_end).window_start()
    in_window = pl.col("followup_date").is_between(start, month_end)
    referral = pl.col("referral_date").min()
    first_after = pl.col("followup_date").filter(pl.col("followup_date") >= referral).min()
    per_disease = rows.group_by("person_id", "disease").agg(
        n_window=in_window.fill_null(False).sum(),
        tb_days=(first_after - referral).dt.total_days(),
    ).with_columns(
        met=pl.when(pl.col("disease") == TB_DISEASE)
        .then(pl.col("tb_days").is_not_null() & (pl.col("tb_days") <= TB_DAYS))
        .otherwise(pl.col("n_window") >= FOLLOWUPS_PER_YEAR)
    )
    return per_disease.group_by("person_id").agg(
        chronic_patients=pl.lit(1, pl.Int64),
        **{f"chronic_{n}": (pl.col("disease") == d).any() for d, n in DISEASE_NAMES.items()},
        chronic_standard_met=pl.col("met").all(),
    )


def _illness(tables: dict, links: pl.DataFrame, month_end: date,
             who: pl.DataFrame) -> pl.DataFrame:
    """Per ledger patient among ``who``: status flags and settlements in the 12-month window."""
    status = (
        as_of(tables, links, "illness_ledger", month_end)
        .join(who, on="person_id", how="semi")
        .sort("person_id", "record_date", "record_id", nulls_last=False)
        .group_by("person_id", maintain_order=True)
        .agg(pl.col("status").last())
        .select(
            "person_id",
            illness_patients=pl.lit(1, pl.Int64),
            **{f"illness_{n}": (pl.col("status") == s).fill_null(False)
               for s, n in STATUS_NAMES.items()},
        )
    )
    settled = (
        as_of(tables, links, "settlement", month_end)
        .join(who, on="person_id", how="semi")
        .filter(pl.col("record_date").is_null()
                | (pl.col("record_date") >= Month.of(month_end).window_start()))
        .group_by("person_id")
        .agg(
            illness_with_settlement=pl.lit(True),
            illness_settlements=pl.len().cast(pl.Int64),
            illness_one_stop_settlements=pl.col("one_stop").fill_null(False).sum().cast(pl.Int64),
            illness_total_cost=pl.col("total_cost").fill_null(0.0).sum(),
            illness_out_of_pocket=pl.col("out_of_pocket").fill_null(0.0).sum(),
        )
    )
    return status.join(settled, on="person_id", how="left")


def _insurance(tables: dict, links: pl.DataFrame, month_end: date,
               who: pl.DataFrame) -> pl.DataFrame:
    """Per insured person among ``who``: insured flag and subsidy consistency."""
    subsidy = expected_subsidy(tables, links, month_end, ids=False).select("person_id",
                                                                            "consistent")
    return (
        as_of(tables, links, "enrolment", month_end)
        .filter(insured())
        .join(who, on="person_id", how="semi")
        .select("person_id").unique()
        .join(subsidy, on="person_id", how="left")
        .select("person_id", insured=pl.lit(True), subsidy_consistent=pl.col("consistent"))
    )


def counts_of(df: pl.DataFrame) -> list[str]:
    """The count columns of a monthly frame: ``COUNT_COLUMNS``, clinic and case counts if any."""
    return [*COUNT_COLUMNS, *(c for c in (*CLINIC_COUNTS, *CASE_COUNTS) if c in df.columns)]


def rates_of(df: pl.DataFrame) -> dict[str, tuple[str, str]]:
    """The rates of a monthly frame: ``RATES``, and clinic coverage when it has clinic counts."""
    clinics = all(c in df.columns for c in CLINIC_COUNTS)
    return {**RATES, **(CLINIC_RATES if clinics else {})}


def add_rates(df: pl.DataFrame) -> pl.DataFrame:
    """(Re)compute every rate from its counts (clinic coverage only when a clinic list landed).

    Args:
        df: a frame holding ``COUNT_COLUMNS`` and ``SUM_COLUMNS`` (and ``CLINIC_COUNTS``).

    Returns:
        ``df`` with the rate columns (Float64; null when the denominator is zero).
    """
    return df.with_columns(
        pl.when(pl.col(d) > 0).then(pl.col(n) / pl.col(d)).otherwise(None)
        .cast(pl.Float64).alias(r) for r, (n, d) in rates_of(df).items()
    )


def _villages(regions: pl.DataFrame, month: str) -> pl.DataFrame:
    """Every village with its township and county codes and names (and clinic counts).

    When the region table carries ``clinics`` (a clinic list landed), each village counts once
    in ``villages`` and once in ``villages_with_clinic`` if it has a clinic.
    """
    clinics = [] if "clinics" not in regions.columns else [
        pl.lit(1, pl.Int64).alias(CLINIC_COUNTS[0]),
        (pl.col("clinics").fill_null(0) > 0).cast(pl.Int64).alias(CLINIC_COUNTS[1])]
    names = regions.select("code", "name", "parent_code")
    townships = regions.filter(pl.col("level") == "township").select(
        township_code="code", township_name="name", county_code="parent_code"
    ).join(names.select(county_code="code", county_name="name"), on="county_code", how="left")
    return (
        regions.filter(pl.col("level") == "village")
        .select(*clinics, village_code="code", village_name="name",
                township_code=pl.coalesce("township_code", "parent_code"))
        .join(townships, on="township_code", how="left")
        .with_columns(month=pl.lit(month))
        .select(*LEVEL_KEYS["village"], *(c.meta.output_name() for c in clinics))
    )


def village_monthly(tables: dict[str, pl.DataFrame], person: pl.DataFrame, links: pl.DataFrame,
                    regions: pl.DataFrame, month: str) -> pl.DataFrame:
    """One row per village of the region table with the month's counts and rates.

    Args:
        tables: extract name -> table.
        person: the golden person table.
        links: record_id, record_key, person_id, cluster_size.
        regions: code, name, level, parent_code, township_code, former_name (and
            ``clinics``, the clinic count per village, when a clinic list landed).
        month: ``'YYYY-MM'``.

    Returns:
        ``LEVEL_KEYS['village']`` + ``COUNT_COLUMNS`` (+ ``CLINIC_COUNTS`` when the region
        table carries clinic counts) + ``SUM_COLUMNS`` + rates (zeros where nobody is
        registered).
    """
    month_end = Month.parse(month).last_day
    with as_of_cache():
        reg = _registered(tables, links, person, month_end)
        who = reg.select("person_id")
        contracted = (
            as_of(tables, links, "doctor_contract", month_end)
            .join(who, on="person_id", how="semi")
            .select("person_id").unique()
        )
        per_person = (
            reg.join(contracted.with_columns(contracted=pl.lit(True)), on="person_id", how="left")
            .join(_chronic(tables, links, month_end, who), on="person_id", how="left")
            .join(_illness(tables, links, month_end, who), on="person_id", how="left")
            .join(_insurance(tables, links, month_end, who), on="person_id", how="left")
        )
    per_person = (
        per_person
        .with_columns(
            chronic_contracted=pl.col("chronic_patients").is_not_null()
            & pl.col("contracted").fill_null(False)
        )
    )
    counts = per_person.group_by("village_code").agg(
        *(pl.col(c).cast(pl.Int64).fill_null(0).sum().alias(c) for c in COUNT_COLUMNS),
        *(pl.col(c).fill_null(0.0).sum().alias(c) for c in SUM_COLUMNS),
    )
    villages = _villages(regions, month)
    return add_rates(
        villages.join(counts, on="village_code", how="left")
        .with_columns(pl.col(*COUNT_COLUMNS).fill_null(0), pl.col(*SUM_COLUMNS).fill_null(0.0))
        .select(*LEVEL_KEYS["village"], *counts_of(villages), *SUM_COLUMNS)
        .sort("village_code")
    )


def _roll(lower: pl.DataFrame, level: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Sum ``lower`` to ``level`` keys, keep every unit of ``frame`` (zeros), recompute rates."""
    keys = list(LEVEL_KEYS[level])
    counts = counts_of(lower)
    sums = lower.group_by(keys).agg(pl.col(*counts, *SUM_COLUMNS).sum())
    return add_rates(
        frame.join(sums, on=keys, how="left", nulls_equal=True)
        .with_columns(pl.col(*counts).fill_null(0), pl.col(*SUM_COLUMNS).fill_null(0.0))
        .sort(keys[1:])
    )


def rollup_township(village: pl.DataFrame, regions: pl.DataFrame) -> pl.DataFrame:
    """Township rows: village counts summed, rates recomputed, every township of the regions.

    Args:
        village: ``village_monthly`` output (one month or several).
        regions: the region table.

    Returns:
        ``LEVEL_KEYS['township']`` + counts + sums + rates.
    """
    towns = regions.filter(pl.col("level") == "township").select(
        township_code="code", township_name="name", county_code="parent_code"
    ).join(regions.select(county_code="code", county_name="name"), on="county_code", how="left")
    frame = (
        pl.concat([towns.join(village.select("month").unique(), how="cross"),
                   village.select(LEVEL_KEYS["township"])], how="diagonal_relaxed")
        .select(LEVEL_KEYS["township"]).unique()
    )
    return _roll(village, "township", frame)


def rollup_county(township: pl.DataFrame, regions: pl.DataFrame) -> pl.DataFrame:
    """County rows: township counts summed, rates recomputed.

    Args:
        township: ``rollup_township`` output.
        regions: the region table.

    Returns:
        ``LEVEL_KEYS['county']`` + counts + sums + rates.
    """
    counties = regions.filter(pl.col("level") == "county").select(
        county_code="code", county_name="name"
    )
    frame = (
        pl.concat([counties.join(township.select("month").unique(), how="cross"),
                   township.select(LEVEL_KEYS["county"])], how="diagonal_relaxed")
        .select(LEVEL_KEYS["county"]).unique()
    )
    return _roll(township, "county", frame)


def _sum_problems(lower: pl.DataFrame, upper: pl.DataFrame, level: str, what: str) -> list[str]:
    """Count/sum columns of ``upper`` that differ from the sums of ``lower``."""
    keys = ["month", f"{level}_code"]
    sums = lower.group_by(keys).agg(pl.col(*counts_of(lower), *SUM_COLUMNS).sum())
    joined = upper.join(sums, on=keys, how="full", suffix="_sum", coalesce=True)
    problems = []
    for col in (*counts_of(lower), *SUM_COLUMNS):
        got, want = pl.col(col).fill_null(0), pl.col(f"{col}_sum").fill_null(0)
        bad = joined.filter((got - want).abs() > 1e-6)
        problems += [
            f"{what}: {level} {r[f'{level}_code']} month {r['month']}: {col} = {r[col]}, "
            f"sum of lower level = {r[f'{col}_sum']}"
            for r in bad.select(*keys, col, f"{col}_sum").head(20).iter_rows(named=True)
        ]
    return problems


def _rate_problems(df: pl.DataFrame, level: str) -> list[str]:
    """Rates that are not their counts' quotient, and duplicated units."""
    problems = []
    for rate, (num, den) in rates_of(df).items():
        want = pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den))
        bad = df.filter(
            (pl.col(rate).is_null() != want.is_null())
            | ((pl.col(rate) - want).abs() > 1e-9).fill_null(False)
        )
        problems += [f"{level} {r[f'{level}_code']} month {r['month']}: {rate} = {r[rate]} "
                     f"is not {num}/{den}"
                     for r in bad.head(20).iter_rows(named=True)]
    dup = df.filter(pl.struct("month", f"{level}_code").is_duplicated())
    problems += [f"{level} {c} appears more than once in a month"
                 for c in dup[f"{level}_code"].unique().to_list()]
    return problems


def check_rollup_consistency(village: pl.DataFrame, township: pl.DataFrame,
                             county: pl.DataFrame) -> list[str]:
    """Problems that break 县镇村三级 consistency (empty when the three levels agree).

    Args:
        village: ``village_monthly`` output.
        township: ``rollup_township`` output.
        county: ``rollup_county`` output.

    Returns:
        Human-readable problems: sums that differ between levels, rates not recomputed from
        counts, duplicated units.
    """
    problems = _sum_problems(village, township, "township", "villages → township")
    problems += _sum_problems(township, county, "county", "townships → county")
    for df, level in ((village, "village"), (township, "township"), (county, "county")):
        problems += _rate_problems(df, level)
    return problems
