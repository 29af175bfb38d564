"""Pandera models of the published tables (``PUBLISHED_TABLES``), polars backend.

One ``DataFrameModel`` per table; the engine takes column order and dtypes from them
(``schemas.contract``). The exchange's tables are in ``schemas.exchange``, the steward's in
``schemas.steward``. Models are not strict: the warehouse adds ``run_id``,
``month`` and ``published_at``, and extra columns are allowed. Checks: region codes are 12
digits, rates and shares lie in [0, 1] (or are null), counts are non-negative, ``rule`` is a
known mismatch rule, ``side`` a known exchange side. Published tables may hold full IDs
(``person.id_number``); the UI masks them, and ``validate_published`` masks them in its errors.

``validate_published(name, df)`` validates lazily and raises ``PublishedTableError`` listing
every failure (column, check, row, value).
"""

from __future__ import annotations

import hashlib
import inspect
import sys
from importlib.metadata import version
from typing import ClassVar

import pandera.polars as pa
import polars as pl

from pipelines.domain.county import DEPARTMENTS
from pipelines.domain.extracts import EXTRACTS
from pipelines.domain.identity import mask_ids_in_text as _mask
from pipelines.domain.metrics import (
    CASE_COUNTS,
    CLINIC_COUNTS,
    CLINIC_RATES,
)
from pipelines.domain.rules import RULE_IDS
from schemas.cases import MismatchCase
from schemas.counties import MODELS as COUNTY_MODELS
from schemas.counties import add_metric_fields
from schemas.exchange import MONTH, ExchangeDiff
from schemas.steward import MatchDecision, PersonIdMap

CODE = r"^\d{12}$"
_MAX_LISTED = 30


def _code(**kw: object) -> object:
    return pa.Field(str_matches=CODE, **kw)


def _each_once(data: pa.PolarsData) -> pl.LazyFrame:
    """Each value of the column once (what ``unique=True`` checks, for a fraction of the CPU
    on a million strings): when the values' 64-bit hashes are all distinct, so are the values;
    else each repeated value is a failure (``is_duplicated``, as pandera's own check). The
    hashes are counted on a collected series (half the CPU of the lazy ``n_unique``: 0.07 vs
    0.15 s for 2M record ids)."""
    values = pl.col(data.key)
    hashes = data.lazyframe.select(values.hash()).collect().to_series()
    if hashes.n_unique() == hashes.len():
        return data.lazyframe.select(pl.lit(True).alias(data.key)).head(1)
    return data.lazyframe.select(~values.is_duplicated())


class PersonSource(pa.DataFrameModel):
    """``person_source``: where each person's records came from (``record_id`` unique)."""

    source_file: str
    sheet: str = pa.Field(nullable=True)
    row_number: int = pa.Field(ge=1)
    record_id: str
    department: str = pa.Field(isin=list(DEPARTMENTS))
    extract: str = pa.Field(isin=list(EXTRACTS))
    person_id: str

    @pa.check("record_id", name="field_uniqueness")
    def record_id_once(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """One row per record."""
        return _each_once(data)


class Person(pa.DataFrameModel):
    """``person``: the golden person, one row per person_id."""

    person_id: str
    name: str = pa.Field(nullable=True)
    id_number: str = pa.Field(nullable=True, str_matches=r"^\d{17}[\dX]$")
    sex: str = pa.Field(nullable=True, isin=["男", "女"])
    birth_date: pl.Date = pa.Field(nullable=True)
    township_code: str = _code(nullable=True)
    village_code: str = _code(nullable=True)
    household_id: str = pa.Field(nullable=True)
    departments: str
    n_records: int = pa.Field(ge=1)
    name_source: str = pa.Field(nullable=True)
    id_number_source: str = pa.Field(nullable=True)
    sex_source: str = pa.Field(nullable=True)
    birth_date_source: str = pa.Field(nullable=True)
    township_code_source: str = pa.Field(nullable=True)
    village_code_source: str = pa.Field(nullable=True)
    household_id_source: str = pa.Field(nullable=True)

    @pa.check("person_id", name="field_uniqueness")
    def person_id_once(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """One row per person."""
        return _each_once(data)


class Quarantine(pa.DataFrameModel):
    """``quarantine``: rows rejected at ingest, with the reason."""

    source_file: str
    sheet: str = pa.Field(nullable=True)
    row_number: int = pa.Field(nullable=True, ge=1)
    column: str = pa.Field(nullable=True)
    check: str
    reason: str
    value_masked: str = pa.Field(nullable=True)


class FieldIssue(pa.DataFrameModel):
    """``field_issue``: accepted rows with a field that was repaired or flagged."""

    record_id: str
    source_file: str
    sheet: str = pa.Field(nullable=True)
    row_number: int = pa.Field(nullable=True, ge=1)
    extract: str = pa.Field(isin=list(EXTRACTS))
    column: str
    check: str
    reason: str
    value_masked: str = pa.Field(nullable=True)


class Mismatch(pa.DataFrameModel):
    """``mismatch``: what does not agree between departments.

    One row per rule, person and ``case_key``: the rule's own key where a person can break it
    more than once (the illness for the two serious-illness rules, the record-key pair for
    ``uncertain_match``), null where once per person is all a rule can say.
    """

    rule: str = pa.Field(isin=list(RULE_IDS))
    rule_zh: str
    rule_en: str
    person_id: str = pa.Field(nullable=True)
    case_key: str = pa.Field(nullable=True)
    name: str = pa.Field(nullable=True)
    village_code: str = _code(nullable=True)
    township_code: str = _code(nullable=True)
    detail: str
    evidence: str
    pending_match: bool = pa.Field(nullable=False)

    @pa.dataframe_check
    def person_unless_uncertain(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Every rule but ``uncertain_match`` names a person."""
        return data.lazyframe.select(
            (pl.col("rule") == "uncertain_match") | pl.col("person_id").is_not_null()
        )

    @pa.dataframe_check
    def person_once_per_rule(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """No person counted twice in one rule (for one case key)."""
        return data.lazyframe.select(
            pl.col("person_id").is_null()
            | ~pl.struct("rule", "person_id", "case_key").is_duplicated()
        )


class UncertainMatch(pa.DataFrameModel):
    """``uncertain_match``: record pairs awaiting a steward's decision."""

    record_id_l: str
    record_id_r: str
    match_weight: float
    match_probability: float = pa.Field(nullable=True, in_range={"min_value": 0, "max_value": 1},
                                        required=False)
    explain: str = pa.Field(nullable=True)


def _metrics_model() -> type[pa.DataFrameModel]:
    """A base model with the metric columns (``add_metric_fields``) and the optional clinic
    and case counts."""
    annotations: dict[str, object] = {}
    fields: dict[str, object] = {}
    add_metric_fields(annotations, fields)
    for col in CLINIC_COUNTS:  # only when the county lands a village-clinic list
        annotations[col], fields[col] = int, pa.Field(ge=0, required=False)
    for col in CASE_COUNTS:  # from pipelines.cases.with_case_counts, once cases are tracked
        annotations[col], fields[col] = int, pa.Field(ge=0, required=False)
    for col in CLINIC_RATES:
        annotations[col] = float
        fields[col] = pa.Field(nullable=True, required=False,
                               in_range={"min_value": 0, "max_value": 1})
    return type("MonthlyMetrics", (pa.DataFrameModel,), {"__annotations__": annotations,
                                                         **fields})


MonthlyMetrics = _metrics_model()


class CountyMonthly(MonthlyMetrics):
    """``county_monthly``: one row per county and month."""

    month: str = pa.Field(str_matches=MONTH)
    county_code: str = _code()
    county_name: str = pa.Field(nullable=True)

    class Config:
        """Units are unique per month."""

        unique: ClassVar[list[str]] = ["month", "county_code"]


class TownshipMonthly(CountyMonthly):
    """``township_monthly``: one row per township and month."""

    township_code: str = _code()
    township_name: str = pa.Field(nullable=True)

    class Config:
        """Units are unique per month."""

        unique: ClassVar[list[str]] = ["month", "township_code"]


class VillageMonthly(TownshipMonthly):
    """``village_monthly``: one row per village and month."""

    village_code: str = _code()
    village_name: str = pa.Field(nullable=True)

    class Config:
        """Units are unique per month."""

        unique: ClassVar[list[str]] = ["month", "village_code"]


MODELS: dict[str, type[pa.DataFrameModel]] = {
    "person_source": PersonSource,
    "person": Person,
    "quarantine": Quarantine,
    "field_issue": FieldIssue,
    "mismatch": Mismatch,
    "mismatch_case": MismatchCase,
    "uncertain_match": UncertainMatch,
    "village_monthly": VillageMonthly,
    "township_monthly": TownshipMonthly,
    "county_monthly": CountyMonthly,
    "exchange_diff": ExchangeDiff,
    "person_id_map": PersonIdMap,
    "match_decision": MatchDecision,
    **COUNTY_MODELS,  # the landing snapshot and the province's tables
}


def checks_version(name: str) -> str:
    """A short hash of what ``validate_published(name, …)`` checks: this module's source (the
    models and their checks), each column's dtype, nullability and checks, and the pandera
    and polars versions. Rows that passed under one version pass under the same one."""
    schema = MODELS[name].to_schema()
    columns = [(c, str(col.dtype), col.nullable, col.unique,
                [(k.name, repr(k.statistics)) for k in col.checks])
               for c, col in schema.columns.items()]
    text = repr((inspect.getsource(sys.modules[__name__]), columns,
                 [k.name for k in schema.checks], version("pandera"), pl.__version__))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class PublishedTableError(ValueError):
    """A published table failed its schema; the message lists every failure."""


def validate_published(name: str, df: pl.DataFrame) -> pl.DataFrame:
    """Validate a table before publishing.

    Args:
        name: a key of ``MODELS`` (one of ``PUBLISHED_TABLES``).
        df: the table.

    Returns:
        The validated frame.

    Raises:
        KeyError: for an unknown table name.
        PublishedTableError: listing every failure (column, check, row, masked value).
    """
    if name not in MODELS:
        msg = f"no schema for published table {name!r}; known: {sorted(MODELS)}"
        raise KeyError(msg)
    try:
        return MODELS[name].validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        lines = [
            f"  column {r['column']!s}, check {r['check']}, row {r['index']}: "
            f"{_mask(str(r['failure_case']))}"
            for r in cases.head(_MAX_LISTED).iter_rows(named=True)
        ]
        more = cases.height - len(lines)
        msg = (f"published table {name!r} fails its schema ({cases.height} failures):\n"
               + "\n".join(lines) + (f"\n  … and {more} more" if more > 0 else ""))
        raise PublishedTableError(msg) from None
