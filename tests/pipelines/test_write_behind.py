"""Frames written behind the run (``pipelines.warehouse.behind``): queued in order, read whole
or from memory meanwhile, every failure raised naming its file, the queue within its budget."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest

from pipelines.warehouse import Warehouse
from pipelines.warehouse.behind import WRITES, WriteBehind, WriteFailed
from pipelines.warehouse.handoff import HANDOFF
from pipelines.warehouse.publication import publications
from pipelines.warehouse.staging import RunStage, read_frame, write_frame

FRAME = pl.DataFrame({"person_id": ["P1", "P2", "P3"], "n": [1, 2, 3]})


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """Holds the writer until set (set on leaving, so no test leaves it stuck)."""
    event = threading.Event()
    yield event
    event.set()


def _held_back(gate: threading.Event, frame: pl.DataFrame = FRAME) -> Callable[[Path], None]:
    def write(partial: Path) -> None:
        assert gate.wait(10)
        write_frame(frame, partial)
    return write


def _started(call: Callable[[], object], seconds: float) -> tuple[threading.Thread, bool]:
    """``call`` on a thread, and whether it was done within ``seconds``."""
    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(seconds)
    return thread, not thread.is_alive()


def test_a_write_outside_enabled_is_done_at_once(tmp_path: Path) -> None:
    writes = WriteBehind()
    writes.write(tmp_path / "f.parquet", lambda p: write_frame(FRAME, p))
    assert not writes.pending(tmp_path / "f.parquet")
    assert pl.read_parquet(tmp_path / "f.parquet").equals(FRAME)


def test_a_queued_file_is_served_from_memory_else_read_once_whole(tmp_path: Path,
                                                                 gate: threading.Event) -> None:
    held, alone = tmp_path / "held.parquet", tmp_path / "alone.parquet"
    with WRITES.enabled():
        WRITES.write(held, _held_back(gate))
        WRITES.write(alone, lambda p: write_frame(FRAME.head(1), p))
        assert WRITES.pending(held) and not held.exists()
        assert HANDOFF.hold(held, FRAME, readers=1, run="behind-1")
        assert read_frame(held).equals(FRAME)  # from memory, the file not written yet
        assert not held.exists()
        got: list[pl.DataFrame] = []
        reader, done = _started(lambda: got.append(read_frame(alone)), 0.3)
        assert not done  # it waits for its file, written after the one held back
        gate.set()
        reader.join(10)
    assert not WRITES.pending(held) and pl.read_parquet(held).equals(FRAME)
    assert got and got[0].equals(FRAME.head(1))
    assert not list(tmp_path.glob(".*partial"))


def test_a_stage_link_queued_after_its_source_links_it_whole(tmp_path: Path,
                                                             gate: threading.Event) -> None:
    source = tmp_path / "state" / "person.parquet"
    source.parent.mkdir()
    stage = RunStage(tmp_path / "stage", "r1", "411421", "2026-10")
    with WRITES.enabled():
        WRITES.write(source, _held_back(gate))
        HANDOFF.offer(source, FRAME)
        stage.link("person", source)
        assert WRITES.pending(stage.path("person"))
        assert HANDOFF.claim(stage.path("person"), 1, "behind-2", source=source)
        assert stage.get("person").equals(FRAME)  # the held frame: nothing written yet
        gate.set()
    assert pl.read_parquet(stage.path("person")).equals(FRAME)
    assert stage.path("person").stat().st_ino == source.stat().st_ino


def _failing(partial: Path) -> None:
    partial.write_bytes(b"half")
    raise OSError(28, "No space left on device")


def test_a_failed_write_is_raised_naming_its_file_and_leaves_no_part(tmp_path: Path) -> None:
    path = tmp_path / "full.parquet"
    with pytest.raises(WriteFailed, match=r"full\.parquet.*No space left"):  # noqa: SIM117
        with WRITES.enabled():
            WRITES.write(path, _failing)
            WRITES.write(tmp_path / "fine.parquet", lambda p: write_frame(FRAME, p))
    assert (tmp_path / "fine.parquet").exists()  # the others are done first
    assert not path.exists() and not list(tmp_path.glob(".*partial"))


def test_an_error_in_flight_is_not_masked_by_a_failed_write(tmp_path: Path) -> None:
    with pytest.raises(KeyError):  # noqa: SIM117
        with WRITES.enabled():
            WRITES.write(tmp_path / "full.parquet", _failing)
            raise KeyError("the run's own error")


def test_a_write_beyond_the_budget_waits_for_the_writer(tmp_path: Path,
                                                       gate: threading.Event) -> None:
    writes = WriteBehind(budget_bytes=100)
    with writes.enabled():
        writes.write(tmp_path / "a.parquet", _held_back(gate), nbytes=60)
        second = lambda: writes.write(tmp_path / "b.parquet",  # noqa: E731
                                      lambda p: write_frame(FRAME, p), nbytes=60)
        writer, done = _started(second, 0.3)
        assert not done  # 120 bytes would be queued
        gate.set()
        writer.join(10)
    assert (tmp_path / "a.parquet").exists() and (tmp_path / "b.parquet").exists()


def test_a_publication_does_not_commit_before_the_runs_files_are_written(
        tmp_path: Path) -> None:
    wh = Warehouse.from_url(tmp_path / "w.duckdb")
    wh.publish_run("r1", "2026-10", {"person": FRAME}, month_sliced=["person"])
    with pytest.raises(WriteFailed, match=r"full\.parquet"):  # noqa: SIM117
        with WRITES.enabled():
            WRITES.write(tmp_path / "full.parquet", _failing)
            wh.publish_run("r2", "2026-10", {"person": FRAME.head(1)}, month_sliced=["person"])
    assert wh.read("person", month="2026-10")["run_id"].unique().to_list() == ["r1"]
    assert publications(wh).sort("started_at")["status"].to_list() == ["published", "failed"]
