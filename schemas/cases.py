"""Pandera models of the case lifecycle: ``mismatch_case``, township verifications, return problems.

``MismatchCase`` is the published table ``mismatch_case`` (one row per case, every case ever
seen, for the month it is published for); ``Verification`` is one township (or steward) answer
read from a returned work list; ``ReturnProblem`` is a cell or row of a returned file that could
not be used, with where it is; ``ArchivedReturn`` is one returned file kept in the archive.
"""

from __future__ import annotations

from typing import ClassVar

import pandera.polars as pa
import polars as pl

from pipelines.domain.cases import CASE_STATUSES, OPEN_STATUSES, VERIFICATION_RESULTS
from pipelines.domain.rules import RULE_IDS
from schemas.exchange import MONTH

CODE = r"^\d{12}$"
RETURN_KINDS = ("worklist", "office")
PROBLEMS = ("unreadable_file", "no_header", "missing_column", "unknown_case", "no_case_id",
            "unknown_result", "bad_date", "duplicate_case", "answer_without_result",
            "not_same_person_unpaired", "not_same_person_truncated", "wrong_township")


class MismatchCase(pa.DataFrameModel):
    """``mismatch_case``: every case (rule + person + case_key) with its status for the month."""

    month: str = pa.Field(str_matches=MONTH)
    case_id: str = pa.Field(unique=True, str_matches=r"^C[0-9a-f]{11}$")
    rule: str = pa.Field(isin=list(RULE_IDS))
    person_id: str = pa.Field(nullable=True)
    case_key: str = pa.Field(nullable=True)
    name: str = pa.Field(nullable=True)
    township_code: str = pa.Field(nullable=True, str_matches=CODE)
    village_code: str = pa.Field(nullable=True, str_matches=CODE)
    first_seen: str = pa.Field(str_matches=MONTH)
    last_seen: str = pa.Field(str_matches=MONTH)
    status: str = pa.Field(isin=list(CASE_STATUSES))
    status_by: str
    status_at: pl.Date
    status_month: str = pa.Field(str_matches=MONTH)
    status_reason: str
    due: pl.Date
    overdue: bool
    detail: str = pa.Field(nullable=True)
    evidence: str = pa.Field(nullable=True)
    evidence_keys: str = pa.Field(nullable=True)
    verification_result: str = pa.Field(nullable=True, isin=list(VERIFICATION_RESULTS))
    verification_note: str = pa.Field(nullable=True)
    verified_by: str = pa.Field(nullable=True)
    verified_on: pl.Date = pa.Field(nullable=True)
    verification_source: str = pa.Field(nullable=True)
    verification_received_at: str = pa.Field(nullable=True)
    merged_into: str = pa.Field(nullable=True)

    @pa.dataframe_check
    def seen_in_order(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """first_seen <= last_seen <= month (YYYY-MM text sorts as months do)."""
        return data.lazyframe.select(
            (pl.col("first_seen") <= pl.col("last_seen")) & (pl.col("last_seen") <= pl.col("month"))
        )

    @pa.dataframe_check
    def one_case_per_problem(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """No two cases for the same rule, person and case key."""
        return data.lazyframe.select(~pl.struct("rule", "person_id", "case_key").is_duplicated())

    @pa.dataframe_check
    def overdue_only_when_open(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Only an open case can be overdue."""
        return data.lazyframe.select(~pl.col("overdue") | pl.col("status").is_in(OPEN_STATUSES))

    @pa.dataframe_check
    def merged_names_its_case(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A merged case names the case it was merged into, and only a merged case does."""
        return data.lazyframe.select((pl.col("status") == "merged") == pl.col("merged_into")
                                     .is_not_null())

    class Config:
        """One row per case per month."""

        unique: ClassVar[list[str]] = ["month", "case_id"]


class Verification(pa.DataFrameModel):
    """One answer to a case: from a township's returned work list, or from the steward."""

    case_id: str
    result: str = pa.Field(isin=list(VERIFICATION_RESULTS))
    note: str = pa.Field(nullable=True)
    verified_by: str = pa.Field(nullable=True)
    verified_on: pl.Date = pa.Field(nullable=True)
    source_file: str
    sheet: str = pa.Field(nullable=True)
    row_number: int = pa.Field(nullable=True, ge=1)
    received_at: str


class ReturnProblem(pa.DataFrameModel):
    """A returned file's row or cell that could not be used: where it is and why."""

    source_file: str
    sheet: str = pa.Field(nullable=True)
    row_number: int = pa.Field(nullable=True, ge=1)
    column: str = pa.Field(nullable=True)
    problem: str = pa.Field(isin=list(PROBLEMS))
    message: str
    value_masked: str = pa.Field(nullable=True)


class ArchivedReturn(pa.DataFrameModel):
    """One returned file kept in the archive (by kind, month and content hash)."""

    kind: str = pa.Field(isin=list(RETURN_KINDS))
    month: str = pa.Field(str_matches=MONTH)
    sha256: str = pa.Field(str_matches=r"^[0-9a-f]{64}$")
    received_at: str
    original_name: str
    path: str
