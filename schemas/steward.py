"""Pandera models of what stewards and the linker keep between runs.

``MatchDecision`` is a steward's decision on two records (the warehouse table
``match_decision``, also read from ``decisions.csv``); ``PersonIdMap`` is the record key ->
person id map the linker stores so that person ids stay stable across runs.
"""

from __future__ import annotations

import pandera.polars as pa

DECISIONS = ("link", "no_link")


class MatchDecision(pa.DataFrameModel):
    """``match_decision``: link or keep apart two records (by record key or record id)."""

    record_key_l: str
    record_key_r: str
    decision: str = pa.Field(isin=list(DECISIONS))
    decided_by: str = pa.Field(nullable=True)
    decided_at: str = pa.Field(nullable=True)
    note: str = pa.Field(nullable=True)

    class Config:
        strict = False


class PersonIdMap(pa.DataFrameModel):
    """``person_id_map``: which person each record key belonged to on the last run."""

    record_key: str = pa.Field(unique=True)
    person_id: str
