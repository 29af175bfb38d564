"""Tiny handmade person_records frames for the linkage tests."""

from __future__ import annotations

import datetime as dt
import sys

import polars as pl
import pytest
from pypinyin import lazy_pinyin

from pipelines.domain.extracts import EXTRACTS
from schemas.canonical import COMMON_COLUMNS

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check(first17: str) -> str:
    """Return the 18-character ID with its MOD 11-2 check character."""
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def valid_id(birth: str, seq: str = "123", region: str = "410526") -> str:
    """Return a valid ID for a birth date 'YYYYMMDD' and a 3-digit sequence."""
    return with_check(region + birth + seq)


def is_valid(idn: str | None) -> bool:
    """Return whether an ID passes its checksum."""
    return idn is not None and len(idn) == 18 and with_check(idn[:17]) == idn


def record(
    n: int,
    name: str,
    idn: str | None,
    birth: str | None,
    *,
    extract: str = "settlement",
    village: str | None = "410526101201",
    sex: str | None = "男",
    household: str | None = None,
) -> dict:
    """Return one person_records row (record n of file ``<extract>.csv``)."""
    return {
        "record_id": f"{extract}.csv||{n + 2}",
        "source_file": f"{extract}.csv",
        "sheet": "",
        "row_number": n + 2,
        "department": EXTRACTS[extract].department,
        "extract": extract,
        "name_raw": name,
        "name": name,
        "name_pinyin": "".join(lazy_pinyin(name)) if name else None,
        "id_raw": idn,
        "id_number": idn,
        "id_valid": is_valid(idn),
        "sex": sex,
        "birth_date": dt.date.fromisoformat(birth) if birth else None,
        "township_code": village[:9] + "000" if village else None,
        "village_code": village,
        "village_raw": village,
        "household_id": household,
    }


def frame(rows: list[dict]) -> pl.DataFrame:
    """Return a typed person_records frame from rows."""
    schema = {c: pl.String for c in COMMON_COLUMNS}
    schema |= {"row_number": pl.Int64, "id_valid": pl.Boolean, "birth_date": pl.Date}
    return pl.DataFrame(rows, schema=schema)


def background(n: int) -> list[dict]:
    """Return n unrelated people (distinct names, births, villages) to give the model data."""
    chars = "明华国建志秀英文军平海东德春玉兰芝荣桂红"
    rows = []
    for k in range(n):
        name = "赵" + chars[k % len(chars)] + chars[(k * 7 + 3) % len(chars)]
        birth = f"{1950 + k % 50}-{1 + k % 12:02d}-{1 + k % 28:02d}"
        village = f"410526{100 + k % 9:03d}{200 + k % 17:03d}"
        idn = valid_id(birth.replace("-", ""), f"{k % 1000:03d}")
        rows.append(record(1000 + k, name, idn, birth, extract="chronic_followup", village=village))
    return rows


@pytest.fixture
def make_frame():
    """Return ``frame`` for tests (rows -> typed person_records frame)."""
    return frame


# Test modules import these helpers as ``from sanji_link_frames import record, frame, ...``
# (pytest runs with --import-mode=importlib, so conftest is not importable by name).
sys.modules.setdefault("sanji_link_frames", sys.modules[__name__])
