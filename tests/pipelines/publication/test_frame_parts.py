"""A frame stored as parts of frames already stored (``person_records``: its extracts' files)."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.ingest import person_record_parts, person_records
from pipelines.warehouse.staging import (
    FrameFile,
    FrameParts,
    frame_rows,
    link_or_copy_frame,
    read_frame,
    scan_frame,
    store_parts,
    write_frame,
)
from schemas.canonical import COMMON_COLUMNS

# two tables with the parts' columns (a, b) among their own, and one without rows
TABLES = [pl.DataFrame({"a": [1, 2], "x": ["p", "q"], "b": ["u", None]}),
          pl.DataFrame({"b": ["v"], "a": [3], "y": [1.5]}),
          pl.DataFrame({"a": pl.Series([], dtype=pl.Int64), "b": pl.Series([], dtype=pl.String)})]


def _stored(tmp_path: Path) -> FrameParts:
    paths = []
    for k, table in enumerate(TABLES):
        write_frame(table, tmp_path / f"t{k}.parquet")
        paths.append(tmp_path / f"t{k}.parquet")
    store_parts(FrameParts(tuple(paths), ("a", "b"), 3), tmp_path / "frame.parquet")
    return FrameParts(tuple(paths), ("a", "b"), 3)


@pytest.mark.parametrize(("columns", "expected"), [
    (None, ["a", "b"]), (["a", "b"], ["a", "b"]), (["b", "a"], ["a", "b"]), (["b"], ["b"]),
    (["b", "x"], ["b"]),  # a column of a part that is not the frame's: not read
])
def test_a_stored_frame_of_parts_reads_as_its_parts_concatenated(tmp_path, columns, expected):
    _stored(tmp_path)
    whole = pl.concat([t.select(expected) for t in TABLES])
    folder = tmp_path / "frame.parquet"
    assert_frame_equal(read_frame(folder, columns), whole)
    assert_frame_equal(scan_frame(folder, columns).collect(), whole)
    assert frame_rows(folder) == 3


def test_storing_parts_links_them_and_replaces_an_earlier_attempt(tmp_path):
    parts = _stored(tmp_path)
    folder = tmp_path / "frame.parquet"
    assert os.stat(folder / "000.parquet").st_ino == os.stat(parts.paths[0]).st_ino  # linked
    store_parts(FrameParts(parts.paths[1:2], ("a",), 1), folder)  # a retried step's
    assert read_frame(folder).to_dict(as_series=False) == {"a": [3]}
    write_frame(pl.DataFrame({"a": [9]}), tmp_path / "file.parquet")  # a file there before
    store_parts(FrameParts(parts.paths[:1], ("b",), 2), tmp_path / "file.parquet")
    assert read_frame(tmp_path / "file.parquet")["b"].to_list() == ["u", None]
    assert not list(tmp_path.glob(".*partial"))


def test_a_stored_frame_of_parts_is_carried_as_links(tmp_path):
    parts = _stored(tmp_path)
    link_or_copy_frame(tmp_path / "frame.parquet", tmp_path / "carried.parquet")
    assert_frame_equal(read_frame(tmp_path / "carried.parquet"),
                       read_frame(tmp_path / "frame.parquet"))
    assert os.stat(tmp_path / "carried.parquet" / "001.parquet").st_ino == \
        os.stat(parts.paths[1]).st_ino


def _extract(name: str, **override: pl.Series) -> pl.DataFrame:
    """An extract table of two records with every common column (strings) and its own."""
    table = pl.DataFrame({c: [f"{name}-{c}-{k}" for k in range(2)] for c in COMMON_COLUMNS})
    return table.with_columns(extract=pl.lit(name), own=pl.lit(1), **override)


def test_person_record_parts_read_as_person_records(tmp_path):
    tables = {"roster": _extract("roster"), "death": _extract("death").head(0),
              "settlement": _extract("settlement")}
    stored = {}
    for name, table in tables.items():
        write_frame(table, tmp_path / f"{name}.parquet")
        stored[name] = FrameFile(tmp_path / f"{name}.parquet", table.height)
    parts = person_record_parts(stored)
    assert parts.rows == 4 and parts.columns == tuple(COMMON_COLUMNS)
    store_parts(parts, tmp_path / "person_records.parquet")
    assert_frame_equal(read_frame(tmp_path / "person_records.parquet"), person_records(tables))


@pytest.mark.parametrize(("table", "message"), [
    (_extract("death").drop("record_id"), r"extract death \(.*death.parquet\) lacks .*record_id"),
    (_extract("death", row_number=pl.lit(1)), r"extract death .* holds row_number: Int32"),
])
def test_person_record_parts_name_the_extract_that_does_not_fit(tmp_path, table, message):
    stored = {}
    for name, frame in (("roster", _extract("roster")), ("death", table)):
        write_frame(frame, tmp_path / f"{name}.parquet")
        stored[name] = FrameFile(tmp_path / f"{name}.parquet", frame.height)
    with pytest.raises(ValueError, match=message):
        person_record_parts(stored)
