"""The in-memory handoff serves a frame only for the very file it was written to, only for the
reads it is held for, within the budget, and only in its own run."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.warehouse.handoff import HANDOFF, Handoff
from pipelines.warehouse.staging import RunStage, read_frame, scan_frame, write_frame

FRAME = pl.DataFrame({"person_id": ["P1", "P2", "P3"], "name": ["张三", "李四", "王五"],
                      "county": ["411421"] * 3})


def _written(path: Path, frame: pl.DataFrame = FRAME) -> Path:
    write_frame(frame, path)
    return path


@pytest.mark.parametrize(("readers", "takes", "served"), [
    (1, 2, [True, False]),
    (3, 4, [True, True, True, False]),
    (0, 1, [False]),  # no read expected: never held
])
def test_a_frame_is_served_for_the_reads_it_is_held_for(tmp_path: Path, readers: int,
                                                        takes: int, served: list[bool]) -> None:
    handoff, path = Handoff(), _written(tmp_path / "t.parquet")
    handoff.hold(path, FRAME, readers, run="r1")
    assert [handoff.take(path) is FRAME for _ in range(takes)] == served
    assert handoff.held_bytes() == 0 and handoff.served == sum(served)


def test_a_file_written_again_or_elsewhere_is_not_served_the_held_frame(tmp_path: Path) -> None:
    handoff, path = Handoff(), _written(tmp_path / "t.parquet")
    handoff.hold(path, FRAME, 2, run="r1")
    assert handoff.take(_written(tmp_path / "other.parquet")) is None
    os.replace(_written(tmp_path / "new.parquet", FRAME.head(1)), path)  # a re-executed step's
    assert handoff.take(path) is None


def test_a_hard_link_is_the_same_file(tmp_path: Path) -> None:
    handoff, path = Handoff(), _written(tmp_path / "t.parquet")
    os.link(path, tmp_path / "staged.parquet")
    handoff.hold(path, FRAME, 1, run="r1")
    assert handoff.take(tmp_path / "staged.parquet") is FRAME


def test_the_budget_and_a_new_run_drop_frames(tmp_path: Path) -> None:
    handoff = Handoff(budget_bytes=FRAME.estimated_size() + 1)
    first, second = _written(tmp_path / "a.parquet"), _written(tmp_path / "b.parquet")
    assert handoff.hold(first, FRAME, 1, run="r1")
    assert not handoff.hold(second, FRAME, 1, run="r1")  # past the budget: read from the file
    assert handoff.hold(second, FRAME, 1, run="r2")  # a new run: r1's frame dropped
    assert handoff.take(first) is None and handoff.take(second) is FRAME


def test_an_offered_frame_is_held_only_when_claimed_for_its_own_file(tmp_path: Path) -> None:
    handoff = Handoff()
    kept, other = _written(tmp_path / "person.parquet"), _written(tmp_path / "x.parquet")
    handoff.offer(kept, FRAME)
    assert not handoff.claim(other, 1, run="r1")  # not the offered file: the offer is gone
    assert not handoff.claim(kept, 1, run="r1")
    handoff.offer(kept, FRAME)
    os.link(kept, tmp_path / "staged.parquet")
    assert handoff.claim(tmp_path / "staged.parquet", 1, run="r1")
    assert handoff.take(kept) is FRAME


@pytest.mark.parametrize("columns", [None, ["name", "person_id"], ["person_id", "missing"]])
def test_readers_get_what_the_file_holds(tmp_path: Path, columns: list[str] | None) -> None:
    path, stage = _written(tmp_path / "t.parquet"), RunStage(tmp_path / "s", "r9", "411421",
                                                            "2026-10")
    stage.put("person", FRAME)
    from_file = (read_frame(path, columns), scan_frame(path, columns).collect(),
                 stage.scan("person", columns).collect())
    run = f"r-{tmp_path.name}"  # the process's own handoff: this test's run
    HANDOFF.hold(path, FRAME, 2, run=run)
    HANDOFF.hold(stage.path("person"), FRAME, 1, run=run)
    from_memory = (read_frame(path, columns), scan_frame(path, columns).collect(),
                   stage.scan("person", columns).collect())
    assert HANDOFF.served == 3 and HANDOFF.held_bytes() == 0
    for memory, file in zip(from_memory, from_file, strict=True):
        assert_frame_equal(memory, file)


def test_an_offer_left_unclaimed_by_its_run_is_dropped_by_the_next(tmp_path: Path) -> None:
    handoff = Handoff()
    kept, other = _written(tmp_path / "person.parquet"), _written(tmp_path / "x.parquet")
    assert handoff.hold(other, FRAME, 1, run="r1")
    handoff.offer(kept, FRAME)  # r1 never claims it (its person step failed, say)
    assert handoff.hold(other, FRAME, 1, run="r2")
    assert not handoff.claim(kept, 1, run="r2")
