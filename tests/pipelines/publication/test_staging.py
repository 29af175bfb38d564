"""A run's stage (its tables before they are published), the lock a process holds, pause points."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from pipelines.warehouse import Warehouse, held_lock
from pipelines.warehouse.staging import RunStage, read_frame, scan_frame, write_frame


def test_a_stage_holds_one_runs_partition(tmp_path: Path) -> None:
    mine = RunStage(tmp_path, "run-1", "411421", "2026-10")
    other = RunStage(tmp_path, "run-2", "411421", "2026-10")
    assert mine.put("person", pl.DataFrame({"person_id": ["P1", "P2"]})) == 2
    assert mine.put("person", pl.DataFrame({"person_id": ["P3"]})) == 1  # a retry replaces
    other.put("person", pl.DataFrame({"person_id": ["Q1"]}))
    assert mine.get("person")["person_id"].to_list() == ["P3"]
    assert list(mine.tables()) == ["person"] and mine.get("mismatch") is None
    assert not list(mine.folder.glob(".*partial"))
    mine.clear()
    assert mine.tables() == {} and other.get("person")["person_id"].to_list() == ["Q1"]


@pytest.mark.parametrize("bad", ["../x", "a/b", "", ".."])
def test_a_stage_refuses_names_that_leave_its_folder(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="not a plain name"):
        RunStage(tmp_path, bad, "411421", "2026-10")


def test_a_process_finds_the_lock_it_holds(wh: Warehouse) -> None:
    assert held_lock(wh, "411421") is None
    with wh.run_lock("r1", county="411421") as lock:
        assert held_lock(wh, "411421") is lock
        assert held_lock(wh, "411422") is None
    assert held_lock(wh, "411421") is None


def test_a_pause_point_waits_until_its_file_is_removed(tmp_path: Path) -> None:
    marker = tmp_path / "paused"
    code = "from pipelines.faults import pause_point; pause_point('a'); pause_point('b'); " \
           "print('passed')"
    env = {**os.environ, "SANJI_PAUSE_AT": "b", "SANJI_PAUSE_FILE": str(marker)}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                            text=True)
    while not marker.exists():
        assert proc.poll() is None
        time.sleep(0.01)
    assert marker.read_text().split() == [str(proc.pid), "b"]
    marker.unlink()
    assert proc.communicate(timeout=60)[0].strip() == "passed"


def test_a_runs_landing_counts_extracts_only() -> None:
    from pipelines.night import landing_of_run

    snapshot = pl.DataFrame({"file_name": ["参保.xlsx", "死亡.csv"],
                             "sha256": ["a" * 64, "b" * 64]})
    accounting = pl.DataFrame({
        "source_file": ["参保.xlsx", "参保.xlsx", "死亡.csv"], "sheet": ["一", "二", ""],
        "extract": ["enrolment", "enrolment", "empty"], "rows_read": [3, 2, 0],
        "rows_accepted": [3, 1, 0], "rows_quarantined": [0, 1, 0]})
    landing = landing_of_run(snapshot, accounting)
    assert landing.extract_rows == {"enrolment": 4}
    files = [(f["sheet"], f["sha256"]) for f in landing.files]
    assert files == [("一", "a" * 64), ("二", "a" * 64)]


@pytest.mark.parametrize("columns", [None, ["record_id", "hospital"], ["hospital", "record_id"],
                                     ["record_id", "not_there"]])
def test_a_scanned_frame_is_the_read_frame(tmp_path: Path, columns: list[str] | None) -> None:
    """The link step's lazy inputs (``scan_frame``) collect to what ``read_frame`` reads: the
    wanted columns the file holds, in the file's order."""
    frame = pl.DataFrame({"record_id": ["a", "b", "c"], "name": ["张伟", None, "李四"],
                          "hospital": [None, "县人民医院", "乡卫生院"]})
    write_frame(frame, tmp_path / "t.parquet")
    lazy = scan_frame(tmp_path / "t.parquet", columns)
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().equals(read_frame(tmp_path / "t.parquet", columns))


@pytest.mark.parametrize("dictionary", [(), ("status",), ("status", "explain"),
                                        ("status", "not_there"), ("w",)])
@pytest.mark.parametrize("rows", [0, 1, 5000])
def test_a_frame_written_with_dictionaries_reads_back_the_same(tmp_path: Path, rows: int,
                                                              dictionary: tuple) -> None:
    """``match_pairs``' few-valued text columns written dictionary-encoded (pyarrow's writer)
    read back as the frame written: the same types, values, nulls and order, whole, by column
    and scanned."""
    frame = pl.DataFrame({
        "record_id_l": [f"扶贫办_名单.csv||{k}" for k in range(rows)],
        "w": [k / 7 if k % 5 else None for k in range(rows)],
        "status": [("linked", "uncertain", None)[k % 3] for k in range(rows)],
        "explain": [f"name exact +{k % 11}.5 · id" for k in range(rows)],
    }, schema={"record_id_l": pl.String, "w": pl.Float64, "status": pl.String,
               "explain": pl.String})
    path = tmp_path / "pairs.parquet"
    write_frame(frame, path, dictionary)
    assert read_frame(path).equals(frame)
    assert read_frame(path, ["explain", "w"]).equals(frame.select("w", "explain"))
    assert scan_frame(path, ["status"]).collect().equals(frame.select("status"))
