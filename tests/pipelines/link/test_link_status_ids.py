"""The statuses compare the two sides' IDs as integers of valid IDs (``coding.valid_id_codes``)
exactly as they did as dense codes of every ID string: the same status for every pair."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest
from sanji_link_frames import frame, record, valid_id

from pipelines.link.coding import dense_codes, valid_id_codes
from pipelines.link.linker import _status, prepare_records
from pipelines.link.settings import LinkSettings

A, B = valid_id("19800101", "123"), valid_id("19800101", "124")
X = next(valid_id("19800101", f"{k:03d}") for k in range(1000)
         if valid_id("19800101", f"{k:03d}").endswith("X"))
TYPO = A[:7] + ("5" if A[7] != "5" else "6") + A[8:]  # fails its checksum

CASES = [
    {"description": "valid IDs, one twice, one ending in X, a typo, none",
     "ids": [A, A, B, X, X, TYPO, TYPO, None], "forced_valid": None},
    {"description": "a record marked valid whose ID is not 17 digits and a check character "
                    "(dense codes then)",
     "ids": [A, A, "ABC", "ABC", B, None], "forced_valid": 2},
]


def _records(case: dict) -> pl.DataFrame:
    rows = [record(k, "张伟", idn, "1980-01-01", extract="settlement" if k % 2 else
                   "poverty_roster") for k, idn in enumerate(case["ids"])]
    rec = prepare_records(frame(rows))
    if case["forced_valid"] is not None:
        rec = rec.with_columns(id_valid=pl.when(pl.col("i") == case["forced_valid"])
                               .then(True).otherwise("id_valid"))
    return rec


@pytest.mark.parametrize("case", CASES, ids=[c["description"] for c in CASES])
def test_statuses_on_valid_id_codes_are_those_on_dense_codes(case: dict) -> None:
    rec = _records(case)
    s = LinkSettings()
    pairs = list(itertools.combinations(range(rec.height), 2))
    scored = pl.DataFrame({
        "i_l": pl.Series([a for a, _ in pairs], dtype=pl.UInt32),
        "i_r": pl.Series([b for _, b in pairs], dtype=pl.UInt32),
        "match_weight": np.linspace(-5.0, 30.0, len(pairs)),
        **{f"lv_{c.name}": pl.Series([0] * len(pairs), dtype=pl.Int8) for c in s.comparisons},
    })
    decided = pl.DataFrame(schema={"i_l": pl.UInt32, "i_r": pl.UInt32, "decision": pl.String})
    dense = dense_codes(rec["id_number"])[0]
    got = _status(rec, scored, decided, s)["status"]
    assert got.equals(_status(rec, scored, decided, s, dense)["status"])
    assert "rejected" in got.to_list() and "linked" in got.to_list()
    codes = valid_id_codes(rec)
    valid = rec["id_valid"].to_numpy()
    if case["forced_valid"] is None:  # integers of valid IDs, null for the rest
        assert (codes.is_null().to_numpy() == ~valid).all()
    codes = codes.fill_null(-1).to_numpy()  # (with nulls, numpy would make them floats)
    ids = rec["id_number"].to_numpy()
    both = valid[:, None] & valid[None, :]
    same = codes[:, None] == codes[None, :]
    assert (same[both] == (ids[:, None] == ids[None, :])[both]).all()
