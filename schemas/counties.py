"""Pandera models of the tables a many-county deployment adds (polars backend).

- ``landing_snapshot`` (per county-month, in the county's schema): the files a month read.
- ``cross_county_person``, ``cross_county_mismatch``, ``province_monthly`` (per month, in the
  province's schema): people across county lines, the cases a county steward must see because
  of another county's records, and the province roll-up.

Not strict: the warehouse adds ``run_id``, ``month`` and ``published_at``.
"""

from __future__ import annotations

from typing import ClassVar

import pandera.polars as pa
import polars as pl

from pipelines.domain.metrics import COUNT_COLUMNS, RATES, SUM_COLUMNS
from pipelines.domain.rules import PROVINCE_RULES
from schemas.exchange import MONTH

COUNTY = r"^\d{6}$"
CODE = r"^\d{12}$"
SHA256 = r"^[0-9a-f]{64}$"


class LandingSnapshot(pa.DataFrameModel):
    """``landing_snapshot``: one row per file a county-month read, with its content hash."""

    file_name: str = pa.Field(unique=True)
    kind: str = pa.Field(isin=["data", "steward"])
    sha256: str = pa.Field(str_matches=SHA256)
    size: int = pa.Field(ge=0)
    modified_at: pl.Datetime = pa.Field(nullable=True)
    named_month: str = pa.Field(nullable=True, str_matches=MONTH)


class CrossCountyPerson(pa.DataFrameModel):
    """``cross_county_person``: a person (by ID number) in the tables of several counties."""

    id_number: str = pa.Field(str_matches=r"^\d{17}[\dX]$")
    county: str = pa.Field(str_matches=COUNTY)
    person_id: str
    name: str = pa.Field(nullable=True)
    township_code: str = pa.Field(nullable=True, str_matches=CODE)
    village_code: str = pa.Field(nullable=True, str_matches=CODE)
    roles: str
    n_counties: int = pa.Field(ge=2)
    elsewhere: str

    class Config:
        """One row per person and county."""

        unique: ClassVar[list[str]] = ["id_number", "county"]


class CrossCountyMismatch(pa.DataFrameModel):
    """``cross_county_mismatch``: a county's person whose other-county records disagree."""

    county: str = pa.Field(str_matches=COUNTY)
    rule: str = pa.Field(isin=list(PROVINCE_RULES))
    rule_zh: str
    rule_en: str
    person_id: str
    name: str = pa.Field(nullable=True)
    village_code: str = pa.Field(nullable=True, str_matches=CODE)
    township_code: str = pa.Field(nullable=True, str_matches=CODE)
    detail: str
    evidence: str
    pending_match: bool

    class Config:
        """One row per county, person and rule."""

        unique: ClassVar[list[str]] = ["county", "person_id", "rule"]


def add_metric_fields(annotations: dict[str, object], fields: dict[str, object]) -> None:
    """Add every count (>= 0), sum (>= 0) and rate ([0, 1] or null) column to a model's
    annotations and fields (county, township, village and province figures alike)."""
    for col in COUNT_COLUMNS:
        annotations[col], fields[col] = int, pa.Field(ge=0)
    for col in SUM_COLUMNS:
        annotations[col], fields[col] = float, pa.Field(ge=0)
    for col in RATES:
        annotations[col] = float
        fields[col] = pa.Field(nullable=True, in_range={"min_value": 0, "max_value": 1})


def _province_model() -> type[pa.DataFrameModel]:
    """``province_monthly``: the month's summed counts (>= 0), sums (>= 0) and rates."""
    annotations: dict[str, object] = {"month": str, "province_code": str, "province_name": str,
                                      "counties_reported": int, "counties_missing": str}
    fields: dict[str, object] = {
        "month": pa.Field(str_matches=MONTH, unique=True),
        "province_code": pa.Field(str_matches=r"^(\d{2})?$"),
        "province_name": pa.Field(nullable=True),
        "counties_reported": pa.Field(ge=0), "counties_missing": pa.Field(nullable=True)}
    add_metric_fields(annotations, fields)
    return type("ProvinceMonthly", (pa.DataFrameModel,), {"__annotations__": annotations,
                                                          **fields})


ProvinceMonthly = _province_model()

MODELS: dict[str, type[pa.DataFrameModel]] = {
    "landing_snapshot": LandingSnapshot,
    "cross_county_person": CrossCountyPerson,
    "cross_county_mismatch": CrossCountyMismatch,
    "province_monthly": ProvinceMonthly,
}
