"""Pandera models of the monthly exchange with the county serious-illness office (县大病办).

``IllnessCase`` is one row of a case list, ours or the office's (read back from its file, with
the spreadsheet ``row_number``); ``ExchangeDiff`` is the published difference between the two.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
EXCHANGE_SIDES = ("ours_only", "theirs_only", "disagree")
DIFF_KINDS = ("only_ours", "only_theirs", "status_differs", "illness_differs")
# How a row of the office's own list was matched to a person (pipelines.exchange.match).
MATCH_METHODS = ("person_id", "id", "name_birth", "name_masked_id", "name_id_typo", "unmatched")


class IllnessCase(pa.DataFrameModel):
    """One serious-illness case (person and illness) with the year's settlements summed."""

    person_id: str = pa.Field(nullable=True)
    name: str = pa.Field(nullable=True)
    id_masked: str = pa.Field(nullable=True)
    township_code: str = pa.Field(nullable=True)
    township: str = pa.Field(nullable=True)
    village_code: str = pa.Field(nullable=True)
    village: str = pa.Field(nullable=True)
    illness: str = pa.Field(nullable=True)
    hospital: str = pa.Field(nullable=True)
    status: str = pa.Field(nullable=True)
    diagnosis_date: pl.Date = pa.Field(nullable=True)
    admissions: int = pa.Field(nullable=True, ge=0)
    total_cost: float = pa.Field(nullable=True)
    basic_insurance: float = pa.Field(nullable=True)
    critical_insurance: float = pa.Field(nullable=True)
    medical_assistance: float = pa.Field(nullable=True)
    out_of_pocket: float = pa.Field(nullable=True)
    one_stop: str = pa.Field(nullable=True)

    class Config:
        strict = False


class ReturnedCase(IllnessCase):
    """A case of the office's returned list, with the row a person sees in its file."""

    row_number: int = pa.Field(ge=1)


class MatchedCase(ReturnedCase):
    """A row of the office's own list with the person it was matched to (or why not)."""

    match: str = pa.Field(isin=list(MATCH_METHODS))
    match_note: str = pa.Field(nullable=True)


class ExchangeDiff(pa.DataFrameModel):
    """``exchange_diff``: our serious-illness case list against the illness office's."""

    month: str = pa.Field(str_matches=MONTH)
    person_id: str = pa.Field(nullable=True)
    illness: str = pa.Field(nullable=True)
    kind: str = pa.Field(isin=list(DIFF_KINDS))
    ours_status: str = pa.Field(nullable=True)
    theirs_status: str = pa.Field(nullable=True)
    ours_illness: str = pa.Field(nullable=True)
    theirs_illness: str = pa.Field(nullable=True)
    name: str = pa.Field(nullable=True)
    id_masked: str = pa.Field(nullable=True)
    township: str = pa.Field(nullable=True)
    detail: str = pa.Field(nullable=True)
    side: str = pa.Field(isin=list(EXCHANGE_SIDES))
    field: str = pa.Field(nullable=True)
    ours: str = pa.Field(nullable=True)
    theirs: str = pa.Field(nullable=True)
    match: str = pa.Field(nullable=True, isin=list(MATCH_METHODS), required=False)
    their_row: int = pa.Field(nullable=True, ge=1, required=False)
