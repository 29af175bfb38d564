"""The quiet night's change (``benchmarks/new_stays.py``) gives ingest new settlement records.

An exact copy of a line is set aside as a ``duplicate_row``: a quiet night built that way
measured a linker with nothing to do.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from pipelines.demo import generate_county
from pipelines.ingest import ingest_landing

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from new_stays import grow_settlements

SETTLEMENTS = "*住院结算*.csv"


def test_new_stays_are_new_settlement_records_with_their_truth(tmp_path: Path) -> None:
    generate_county(400, seed=5, out=tmp_path)  # the `sanji demo-data` night.py caches
    landing = tmp_path / "landing"
    truth = pl.read_csv(tmp_path / "truth" / "records.csv", infer_schema=False).select(
        "source_file", pl.col("sheet").fill_null(""), pl.col("row_number").cast(pl.Int64),
        "person_key")
    before = ingest_landing(landing)

    grown = grow_settlements(landing, truth, SETTLEMENTS, "2026-10", share=0.05)
    after = ingest_landing(landing)

    added = grown.height - truth.height
    assert added > 0
    assert (after.tables["settlement"].height
            == before.tables["settlement"].height + added)
    duplicates = after.quarantine.filter(pl.col("check") == "duplicate_row").height
    assert duplicates == before.quarantine.filter(pl.col("check") == "duplicate_row").height
    new_rows = grown.tail(added)
    assert new_rows["person_key"].null_count() == 0
    settled = after.tables["settlement"].join(new_rows, on=["source_file", "row_number"])
    assert settled.height == added  # each appended line is read, at the row its truth names
