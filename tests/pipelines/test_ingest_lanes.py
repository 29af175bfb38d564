"""Extract grids on two threads: results in order, an extract's grids one after the other, the
rows at work within the budget, errors in their turn, and a night the same as on one thread."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from test_ingest_cache import AS_OF, INSURED, SETTLEMENTS, assert_same

from pipelines.ingest import ingest_landing, lanes
from pipelines.ingest.cache import IngestCache
from pipelines.ingest.lanes import in_lanes

Item = tuple[str, int, str]  # (lane, rows, name)


class _Watch:
    """What ran at once: the lanes and rows at work, the most rows ever at work."""

    def __init__(self, together: frozenset[str] = frozenset()) -> None:
        self.lock = threading.Lock()
        self.lanes: list[str] = []
        self.rows = self.most = 0
        self.started: list[str] = []
        self.together = together
        self.meet = threading.Barrier(len(together) or 1, timeout=20)

    def work(self, item: Item) -> str:
        lane, rows, name = item
        with self.lock:
            assert lane not in self.lanes, f"two grids of lane {lane} at once"
            self.lanes.append(lane)
            self.rows += rows
            self.most = max(self.most, self.rows)
            self.started.append(name)
        if name in self.together:  # these items must be at work at the same time
            self.meet.wait()
        with self.lock:
            self.lanes.remove(lane)
            self.rows -= rows
        if name.startswith("bad"):
            raise ValueError(name)
        return name.upper()


def _run(items: list[Item], watch: _Watch, workers: int = 2) -> list[str]:
    return list(in_lanes(items, lambda i: i[0], watch.work, lambda i: i[1], workers))


def test_results_in_order_two_lanes_at_once_one_lane_in_order() -> None:
    items = [("a", 5, "a1"), ("b", 1, "b1"), ("a", 5, "a2"), ("c", 1, "c1"), ("b", 1, "b2")]
    watch = _Watch(together=frozenset({"a1", "b1"}))  # the barrier breaks unless both run at once
    assert _run(items, watch) == ["A1", "B1", "A2", "C1", "B2"]
    assert watch.started.index("a1") < watch.started.index("a2")
    assert watch.started.index("b1") < watch.started.index("b2")


def test_rows_at_work_stay_within_the_budget_largest_first() -> None:
    items = [("s", 2, "small"), ("big", 10, "big"), ("m", 6, "middle")]
    watch = _Watch()
    assert _run(items, watch) == ["SMALL", "BIG", "MIDDLE"]
    assert watch.started[0] == "big"
    assert watch.most <= lanes.BUDGET * 10 < 10 + 6  # the middle one never beside the big one


def test_an_error_is_raised_in_its_turn_after_the_results_before_it() -> None:
    # c1 is larger, so it starts (and fails) before b1, yet b1 comes first in order
    items = [("a", 9, "a1"), ("b", 1, "bad-b1"), ("c", 2, "bad-c1"), ("b", 1, "b2")]
    watch, got = _Watch(), []
    with pytest.raises(ValueError, match=r"^bad-b1$"):
        for result in in_lanes(items, lambda i: i[0], watch.work, lambda i: i[1]):
            got.append(result)
    assert got == ["A1"]
    assert "b2" not in watch.started  # a lane ends at its first error


def test_one_thread_gives_the_same() -> None:
    items = [("a", 5, "a1"), ("b", 5, "b1"), ("a", 5, "a2")]
    watch = _Watch()
    assert _run(items, watch, workers=1) == ["A1", "B1", "A2"]
    assert watch.started == ["a1", "b1", "a2"]


def _later(name: str) -> str:
    """A file name after ``name`` in name order."""
    return name.replace(".csv", "_补报.csv")


@pytest.fixture
def landing(demo_county, tmp_path: Path) -> Path:
    """The demo landing with a later file repeating rows of two extracts (copies across
    files: the order within a lane counts)."""
    folder = tmp_path / "landing"
    shutil.copytree(demo_county(3).out / "landing", folder)
    for name in (SETTLEMENTS, INSURED):
        lines = (folder / name).read_bytes().splitlines(keepends=True)
        (folder / _later(name)).write_bytes(b"".join(lines[:5]))
    return folder


def test_a_night_on_two_threads_is_the_night_on_one(landing: Path, tmp_path: Path,
                                                     monkeypatch) -> None:
    monkeypatch.setattr(lanes, "WORKERS", 1)
    one = ingest_landing(landing, as_of=AS_OF)
    monkeypatch.setattr(lanes, "WORKERS", 2)
    two = ingest_landing(landing, as_of=AS_OF)
    assert_same(one, two)
    copies = set(two.quarantine.filter(check="duplicate_row")["source_file"])
    assert {_later(SETTLEMENTS), _later(INSURED)} <= copies
    for _ in range(2):  # a cold night writing the entries ahead, then a warm one taking them
        cache = IngestCache(tmp_path / "cache")
        assert_same(one, ingest_landing(landing, as_of=AS_OF, cache=cache))
        cache.prune()
    assert SETTLEMENTS in cache.hits
