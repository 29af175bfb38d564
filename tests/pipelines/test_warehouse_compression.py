"""DuckDB stores mostly distinct text with zstd; the rows read back are the same, in order."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.warehouse import Warehouse
from pipelines.warehouse.backends import DISTINCT_TEXT_MIN_ROWS, distinct_text

ROWS = DISTINCT_TEXT_MIN_ROWS + 7


def _big(rows: int = ROWS, offset: int = 0) -> pl.DataFrame:
    """Distinct record ids, person ids shared by two records, repeated codes, a number."""
    i = pl.int_range(offset, offset + rows)
    return pl.select(
        record_id=pl.format("enrolment:医保局_城乡居民参保名单.csv||{}", i),
        person_id=pl.format("P{}", i // 2),
        village_code=pl.format("41142110{}", i % 237),
        row_number=i,
        note=pl.lit(None, pl.String),
    )


@pytest.mark.parametrize(("frame", "expected"), [
    (_big(), {"record_id", "person_id"}),
    (_big(DISTINCT_TEXT_MIN_ROWS - 1), set()),  # a small table: DuckDB's own choice
    (_big().with_columns(pl.col("record_id").str.slice(0, 10)), {"person_id"}),  # repeated
    (_big().select("row_number"), set()),  # not text
    (pl.DataFrame(), set()),
])
def test_distinct_text_columns(frame: pl.DataFrame, expected: set[str]) -> None:
    assert distinct_text(frame) == expected


def _compression(path: str, table: str) -> dict[str, set[str]]:
    """Each column's compression methods of its data segments (not its validity)."""
    with duckdb.connect(path, read_only=True) as con:
        rows = con.execute("SELECT column_name, compression FROM pragma_storage_info(?) "
                           "WHERE segment_type <> 'VALIDITY'", [table]).fetchall()
    out: dict[str, set[str]] = {}
    for column, method in rows:
        out.setdefault(column, set()).add(method)
    return out


def test_duckdb_stores_distinct_text_with_zstd(tmp_path) -> None:
    path = str(tmp_path / "w.duckdb")
    wh = Warehouse.from_url(path)
    first, second = _big(), _big(offset=5)
    wh.publish_run("r1", "2026-09", {"person_source": first}, month_sliced=["person_source"])
    wh.publish_run("r2", "2026-10", {"person_source": second}, month_sliced=["person_source"])
    methods = _compression(path, "person_source")
    assert methods["record_id"] == methods["person_id"] == {"ZSTD"}
    assert "ZSTD" not in methods["village_code"] | methods["run_id"] | methods["month"]
    for month, frame in (("2026-09", first), ("2026-10", second)):
        got = wh.read("person_source", month=month).drop("run_id", "month", "published_at")
        assert_frame_equal(got, frame)


def test_both_backends_read_back_a_big_table(wh: Warehouse) -> None:
    frame = _big()
    wh.publish("person_source", frame, run_id="r1", month="2026-10")
    got = wh.read("person_source", month="2026-10").drop("run_id", "month", "published_at")
    assert_frame_equal(got.sort("row_number"), frame)
