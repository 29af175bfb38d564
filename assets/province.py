"""The province over its counties, one month per partition (group ``province``).

Each asset reads one month of every county's published tables (``MultiToSingleDimension``
partition mapping on ``month``: the partition ``2026-10`` reads ``<county>|2026-10`` of every
county) and publishes to the province's schema (``province:`` in the counties file). The job
``province`` runs them once the counties have published (``province_sensor``).
"""

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetIn,
    MultiToSingleDimensionPartitionMapping,
    Output,
    asset,
)

from assets.ingest import OWNERS, TRANSIENT
from assets.metadata import counts, table_preview
from assets.resources import WarehouseResource
from assets.settings import MONTH, monthly
from assets.validate import validated


def _every_county(name: str, columns: tuple[str, ...] = (), distinct: bool = False) -> AssetIn:
    """One month of a county-level asset, every county's partition of it (rows keep county).

    ``columns``: only these are kept of each county's rows as they are read (all when empty);
    ``distinct``: only their distinct rows.
    """
    return AssetIn(name, partition_mapping=MultiToSingleDimensionPartitionMapping(MONTH),
                   metadata={"keep_county": True, "columns": list(columns),
                             "distinct": distinct})


PROVINCE = {"group_name": "province", "owners": OWNERS, "partitions_def": monthly,
            "io_manager_key": "warehouse_io_manager", "retry_policy": TRANSIENT,
            "kinds": {"polars"}, "tags": {"layer": "province"}}


@asset(ins={"person": _every_county("person", ("person_id", "id_number", "name",
                                                 "township_code", "village_code")),
            "person_source": _every_county("person_source", ("person_id", "extract"),
                                           distinct=True)},
       **PROVINCE)
def cross_county_person(context: AssetExecutionContext, person: pl.DataFrame | None,
                        person_source: pl.DataFrame | None) -> pl.DataFrame:
    """跨县人员: everyone whose ID number is in two or more counties, with each county's roles.

    ID-exact over the counties' published ``person`` tables (valid IDs only); roles from each
    county's ``person_source`` (registered, insured, treated, assisted, health, dead).
    """
    from pipelines.province import CROSS_SCHEMA, cross_county_people

    if person is None or person_source is None:
        context.log.warning(f"{context.partition_key}: no county has published yet")
        frame = pl.DataFrame(schema=CROSS_SCHEMA)
    else:
        frame = cross_county_people(person, person_source)
    frame = validated("cross_county_person", frame)
    context.add_output_metadata({
        "rows": frame.height, "people": frame["id_number"].n_unique(),
        "counties_read": 0 if person is None else person["county"].n_unique(),
        "by_county": counts(frame, "county"), "preview": table_preview(frame)})
    return frame


@asset(check_specs=[AssetCheckSpec(
    "cross_county", asset="cross_county_mismatch",
    description="跨县人员: 他县死亡、多县登记或仅在他县参保. People a county steward must check "
                "because of another county's records.")], **PROVINCE)
def cross_county_mismatch(context: AssetExecutionContext, cross_county_person: pl.DataFrame):
    """跨县不一致: the cross-county cases each county's steward must see (rule cross_county)."""
    from pipelines.province import cross_county_cases

    frame = validated("cross_county_mismatch", cross_county_cases(cross_county_person))
    yield Output(frame, metadata={"rows": frame.height, "by_county": counts(frame, "county"),
                                  "preview": table_preview(frame)})
    yield AssetCheckResult(check_name="cross_county", passed=frame.height == 0,
                           severity=AssetCheckSeverity.WARN,
                           metadata={"count": frame.height, "preview": table_preview(frame)})


@asset(ins={"county_monthly": _every_county("county_monthly")}, **PROVINCE)
def province_monthly(context: AssetExecutionContext, county_monthly: pl.DataFrame | None,
                     warehouse: WarehouseResource) -> pl.DataFrame:
    """省级月度指标: the counties' monthly figures summed, rates recomputed, absentees named."""
    from pipelines.province import province_monthly as build

    deployment = warehouse.deployment()
    month = context.partition_key
    rows = county_monthly if county_monthly is not None else pl.DataFrame()
    if rows.height == 0:
        context.log.warning(f"{month}: no county has published county_monthly yet")
    out = validated("province_monthly", build(rows, month, deployment.codes,
                                              deployment.province.code, deployment.province.name))
    context.add_output_metadata({"rows": out.height, "counties_reported":
                                 int(out["counties_reported"][0]), "preview": table_preview(out)})
    return out
