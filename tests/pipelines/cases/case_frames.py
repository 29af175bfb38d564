"""Hand-made mismatch rows and linkage records for the case tests."""

from __future__ import annotations

import polars as pl

from pipelines.domain.rules import RULE_TEXTS
from schemas.contract import polars_schema
from schemas.published import Mismatch

TOWN = "410100001000"
VILLAGE_A = "410100001001"
VILLAGE_B = "410100001002"
TOWN2 = "410100002000"
VILLAGE_C = "410100002001"


def mismatch(*rows: tuple) -> pl.DataFrame:
    """Mismatch rows from (rule, person_id, case_key, evidence record ids[, village])."""
    out = []
    for row in rows:
        rule, person, key, evidence = row[:4]
        village = row[4] if len(row) > 4 else VILLAGE_A
        zh, en = RULE_TEXTS[rule]
        out.append({"rule": rule, "rule_zh": zh, "rule_en": en, "person_id": person,
                    "case_key": key, "name": f"名{person}", "village_code": village,
                    "township_code": village[:9] + "000", "detail": f"{rule} of {person}",
                    "evidence": evidence, "pending_match": False})
    return pl.DataFrame(out, schema=polars_schema(Mismatch))


def records(owners: dict[str, str]) -> pl.DataFrame:
    """Linkage records from record_id -> person_id; record ids look like ``extract|n``.

    The record key is ``K`` + the record id (so it survives when the person id changes).
    """
    frame = pl.DataFrame({"record_id": list(owners), "person_id": list(owners.values())})
    return frame.with_columns(
        record_key=pl.lit("K") + pl.col("record_id"),
        extract=pl.col("record_id").str.split("|").list.first(),
    ).select("record_id", "record_key", "extract", "person_id")


def answer(case_id: str, result: str, note: str | None = None, by: str | None = "王会计",
           on: str | None = "2026-11-20", received: str = "2026-11-21T09:00:00+08:00",
           row: int = 3) -> dict:
    """One verification row."""
    from datetime import date

    return {"case_id": case_id, "result": result, "note": note, "verified_by": by,
            "verified_on": date.fromisoformat(on) if on else None,
            "source_file": "问题清单_一镇_2026-10.xlsx", "sheet": "一镇", "row_number": row,
            "received_at": received}


def answers(*rows: dict) -> pl.DataFrame:
    from schemas.cases import Verification

    return pl.DataFrame(list(rows), schema=polars_schema(Verification))
