"""The province over its counties: people across county lines, and the province roll-up.

People move, enrol, are treated and die across county lines, and each county links only its own
extracts. After the counties publish a month, :func:`cross_county_people` joins their published
``person`` tables on the resident ID number (exact, valid IDs only: a fuzzy match across a
province would link strangers) and lists everyone present in more than one county with what
each county knows of them: a *role* per extract the person has a record in (``person_source``):
registered (poverty roster), insured (enrolment), treated (settlement, illness ledger), assisted
(civil-affairs assistance), health (contract, follow-up), dead (death record).

:func:`cross_county_cases` turns the cases a county steward must act on into mismatch rows
(rule ``cross_county``), one per county and person:

- dead in another county but still with records here;
- registered in the poverty roster of more than one county;
- registered here, not insured here, but insured in another county.

:func:`province_monthly` sums the counties' ``county_monthly`` rows per month and recomputes
every rate from the sums (never averaged), naming the configured counties that did not report.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pipelines.domain.metrics import SUM_COLUMNS
from pipelines.domain.rules import RULE_TEXTS
from pipelines.rollup import add_rates, counts_of

RULE = "cross_county"
ROLES: dict[str, str] = {
    "poverty_roster": "registered", "enrolment": "insured", "settlement": "treated",
    "illness_ledger": "treated", "assistance": "assisted", "doctor_contract": "health",
    "chronic_followup": "health", "death": "dead",
}
ROLE_ZH = {"registered": "监测登记", "insured": "参保", "treated": "住院/大病救治",
           "assisted": "民政救助", "health": "健康服务", "dead": "死亡记录"}
VALID_ID = r"^\d{17}[\dX]$"
CROSS_SCHEMA = pl.Schema({
    "id_number": pl.String, "county": pl.String, "person_id": pl.String, "name": pl.String,
    "township_code": pl.String, "village_code": pl.String, "roles": pl.String,
    "n_counties": pl.Int64, "elsewhere": pl.String,
})


def _roles(sources: pl.DataFrame) -> pl.DataFrame:
    """county, person_id, roles (sorted list) from the counties' ``person_source`` rows."""
    return (
        sources.select("county", "person_id",
                       role=pl.col("extract").replace_strict(ROLES, default=None))
        .drop_nulls("role").unique()
        .group_by("county", "person_id").agg(pl.col("role").sort().alias("roles"))
    )


def cross_county_people(people: pl.DataFrame, sources: pl.DataFrame) -> pl.DataFrame:
    """Everyone whose valid ID number is in the ``person`` table of two or more counties.

    Args:
        people: the counties' published ``person`` rows with their ``county``.
        sources: the counties' published ``person_source`` rows with their ``county``.

    Returns:
        ``CROSS_SCHEMA``: one row per ID number and county, ``roles`` the county's roles
        (comma-joined), ``elsewhere`` the other counties' roles (``411422:dead;…``).
    """
    keyed = (
        people.filter(pl.col("id_number").str.contains(VALID_ID))
        .select("id_number", "county", "person_id", "name", "township_code", "village_code")
        .unique(["id_number", "county"], keep="first")
    )
    shared = keyed.group_by("id_number").agg(pl.col("county").n_unique().alias("n_counties"))
    shared = shared.filter(pl.col("n_counties") > 1)
    rows = (
        keyed.join(shared, on="id_number")
        .join(_roles(sources), on=["county", "person_id"], how="left")
        .with_columns(pl.col("roles").fill_null(pl.lit([], pl.List(pl.String))))
        .with_columns(n_counties=pl.col("n_counties").cast(pl.Int64),
                      tag=pl.col("county") + ":" + pl.col("roles").list.join(","))
    )
    everywhere = rows.group_by("id_number").agg(pl.col("tag").alias("_tags"))
    return (
        rows.join(everywhere, on="id_number")
        .with_columns(
            elsewhere=pl.col("_tags").list.set_difference(pl.concat_list("tag"))
            .list.sort().list.join(";"),
            roles=pl.col("roles").list.join(","),
        )
        .select(CROSS_SCHEMA.names())
        .cast(dict(CROSS_SCHEMA))
        .sort("id_number", "county")
    )


def _has(role: str) -> pl.Expr:
    return pl.col("roles").str.split(",").list.contains(role)


def _others(column: str) -> pl.Expr:
    """The counties in a list column other than the row's own."""
    return pl.col(column).list.set_difference(pl.concat_list("county"))


def cross_county_cases(cross: pl.DataFrame) -> pl.DataFrame:
    """The cross-county cases a county steward must see, one row per county and person.

    Args:
        cross: :func:`cross_county_people` output.

    Returns:
        county, rule, rule_zh, rule_en, person_id, name, village_code, township_code, detail
        (the kinds of case, Chinese and English), evidence (every county's roles; no ID).
    """
    per_id = cross.group_by("id_number").agg(
        dead_in=pl.col("county").filter(_has("dead")),
        registered_in=pl.col("county").filter(_has("registered")),
        insured_in=pl.col("county").filter(_has("insured")),
        evidence=(pl.col("county") + ":" + pl.col("roles")).sort().str.join(";"),
    )
    frame = cross.join(per_id, on="id_number").with_columns(
        dead_elsewhere=_others("dead_in"),
        registered_elsewhere=_others("registered_in"),
        insured_elsewhere=_others("insured_in"),
        active_here=pl.col("roles").str.split(",").list.set_difference(pl.lit(["dead"]))
        .list.len() > 0,
    )
    kinds = [
        (pl.col("active_here") & (pl.col("dead_elsewhere").list.len() > 0),
         "他县有死亡记录", "dead in", "dead_elsewhere"),
        (_has("registered") & (pl.col("registered_elsewhere").list.len() > 0),
         "他县重复登记", "also registered in", "registered_elsewhere"),
        (_has("registered") & ~_has("insured") & (pl.col("insured_elsewhere").list.len() > 0),
         "本县未参保、他县参保", "insured only in", "insured_elsewhere"),
    ]
    parts = [
        pl.when(hit).then(pl.lit(f"{zh} / {en} ") + pl.col(where).list.sort().list.join(","))
        for hit, zh, en, where in kinds
    ]
    zh, en = RULE_TEXTS[RULE]
    return (
        frame.with_columns(detail=pl.concat_str(parts, separator="；", ignore_nulls=True))
        .filter(pl.col("detail").is_not_null() & (pl.col("detail") != ""))
        .select("county", rule=pl.lit(RULE), rule_zh=pl.lit(zh), rule_en=pl.lit(en),
                person_id="person_id", name="name", village_code="village_code",
                township_code="township_code", detail="detail", evidence="evidence",
                pending_match=pl.lit(False))
        .sort("county", "person_id")
    )


def province_monthly(county_monthly: pl.DataFrame, month: str, configured: Sequence[str],
                     province_code: str, province_name: str) -> pl.DataFrame:
    """The province's row for a month: the counties' figures summed, every rate recomputed.

    Args:
        county_monthly: the counties' ``county_monthly`` rows, each with its ``county``
            (rows of other months are ignored; no rows when no county has published).
        month: ``YYYY-MM``.
        configured: the codes of every county of the deployment.
        province_code: the 2-digit province code.
        province_name: the province's name.

    Returns:
        One row: month, province_code, province_name, counties_reported, counties_missing
        (comma-joined codes), the summed counts and sums, and the rates.
    """
    rows = (county_monthly.filter(pl.col("month") == month)
            if {"month", "county"} <= set(county_monthly.columns) else pl.DataFrame())
    counts = counts_of(rows)
    sums = {c: (rows[c].sum() if c in rows.columns else 0) for c in (*counts, *SUM_COLUMNS)}
    seen = sorted(set(rows["county"])) if rows.height else []
    row = {"month": month, "province_code": province_code, "province_name": province_name,
           "counties_reported": len(seen),
           "counties_missing": ",".join(c for c in sorted(configured) if c not in seen),
           **{c: int(sums[c] or 0) for c in counts},
           **{c: float(sums[c] or 0.0) for c in SUM_COLUMNS}}
    return add_rates(pl.DataFrame([row]))
