"""One run's tables are published together or not at all, on DuckDB and PostgreSQL."""

from __future__ import annotations

import threading
import time

import polars as pl
import pytest
from night_tables import MONTH, SLICED, assert_one_run, landing, read_all, run_tables

from pipelines.warehouse import PublicationConflict, RunMeta, Warehouse, publications
from pipelines.warehouse.publication import record_run

ID = "410526199001011234"


def publish(wh: Warehouse, run_id: str, people: int, month: str = MONTH, **kwargs):
    snap = landing(people)
    meta = RunMeta(landing=snap.files, extract_rows=snap.extract_rows)
    return wh.publish_run(run_id, month, run_tables(people), month_sliced=SLICED, meta=meta,
                          **kwargs)


def test_a_run_is_published_whole_and_recorded(wh: Warehouse) -> None:
    publish(wh, "jan", 30, month="2024-01")
    first = publish(wh, "r1", 40)
    assert (first.status, first.version, first.base_version) == ("published", 2, 1)
    assert first.row_counts == {t: f.height for t, f in run_tables(40).items()}
    assert first.extract_rows == landing(40).extract_rows
    assert {f["extract"] for f in first.landing} == set(first.extract_rows)
    assert all(len(f["sha256"]) == 64 for f in first.landing)
    assert first.started_at <= first.finished_at and first.pid > 0 and first.host
    assert assert_one_run(wh) == "r1"
    second = publish(wh, "r2", 50)
    assert second.version == 3 and assert_one_run(wh) == "r2"
    january = wh.read_many(dict.fromkeys(SLICED, "2024-01"))
    assert {t: tuple(f["run_id"].unique()) for t, f in january.tables.items()} == \
        dict.fromkeys(SLICED, ("jan",))
    assert january["person"].height == 30
    assert publications(wh)["status"].to_list() == ["published"] * 3


def test_readers_see_one_run_or_the_other(wh: Warehouse) -> None:
    publish(wh, "r0", 20)
    seen: list[tuple[str, int]] = []
    problems: list[str] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            snap = read_all(wh)
            runs = {t: f["run_id"].unique().to_list() for t, f in snap.tables.items()}
            counts = {t: f.height for t, f in snap.tables.items()}
            if set(map(tuple, runs.values())) != {(snap.publication.run_id,)} or \
                    counts != snap.publication.row_counts:
                problems.append(f"version {snap.version}: {runs} {counts}")
            seen.append((snap.publication.run_id, snap.version))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for k in range(1, 7):
            publish(wh, f"r{k}", 20 + 7 * k)
            time.sleep(0.02)
    finally:
        done.set()
        thread.join()
    assert problems == []
    assert len({run for run, _ in seen}) >= 2, seen  # the reader did see publications change
    assert [v for _, v in seen] == sorted(v for _, v in seen)


class Injected(RuntimeError):
    pass


@pytest.mark.parametrize("fail_at", ["begun", "loaded:county_monthly", "loaded:person_id_map",
                                     "loaded:village_monthly", "swapped:field_issue",
                                     "swapped:uncertain_match", "recorded"])
def test_a_failure_between_tables_rolls_back_all(wh: Warehouse, fail_at: str) -> None:
    publish(wh, "good", 40)

    def boom(step: str) -> None:
        if step == fail_at:
            msg = f"injected at {step} for {ID}"
            raise Injected(msg)

    with pytest.raises(Injected):
        publish(wh, "bad", 60, on_step=boom)
    assert assert_one_run(wh) == "good"
    failed = publications(wh).filter(pl.col("run_id") == "bad").row(0, named=True)
    assert failed["status"] == "failed" and failed["version"] is None
    assert f"Injected: injected at {fail_at}" in failed["message"]
    assert ID not in failed["message"] and "410526********1234" in failed["message"]
    assert publish(wh, "next", 45).version == 2 and assert_one_run(wh) == "next"


def test_a_month_slice_with_new_columns_is_rebuilt_inside_the_run(wh: Warehouse) -> None:
    publish(wh, "jan", 30, month="2024-01")
    tables = run_tables(35)
    tables["village_monthly"] = tables["village_monthly"].with_columns(clinics=pl.lit(2))
    wh.publish_run("feb", MONTH, tables, month_sliced=SLICED)
    village = wh.read("village_monthly")
    assert village.filter(pl.col("month") == "2024-01")["clinics"].null_count() == \
        run_tables(30)["village_monthly"].height
    assert village.filter(pl.col("month") == MONTH)["clinics"].unique().to_list() == [2]
    assert assert_one_run(wh) == "feb"


def test_a_run_that_was_overtaken_refuses_to_commit(wh: Warehouse) -> None:
    base = publish(wh, "r1", 30).version
    publish(wh, "r2", 31, expected_version=base)
    with pytest.raises(PublicationConflict, match=r"started from publication version 1, but "
                                                  r"version 2 \(run r2\)"):
        publish(wh, "r3", 32, expected_version=base)
    assert assert_one_run(wh) == "r2"
    refused = publications(wh).filter(pl.col("run_id") == "r3")
    assert refused["status"].to_list() == ["refused"]


def test_a_killed_run_left_running_is_marked_abandoned(wh: Warehouse) -> None:
    publish(wh, "r1", 30)
    record_run(wh, "killed", MONTH, RunMeta(), "running")
    publish(wh, "r2", 31)
    rows = publications(wh).filter(pl.col("run_id") == "killed").row(0, named=True)
    assert rows["status"] == "failed"
    assert rows["message"].startswith("abandoned: still running when run r2 published version 2")


def test_bad_runs_are_refused_before_writing(wh: Warehouse) -> None:
    tables = run_tables(5)
    with pytest.raises(ValueError, match="YYYY-MM"):
        wh.publish_run("r", "2024-13", tables)
    with pytest.raises(ValueError, match=r"month_sliced names tables not given: \['nope'\]"):
        wh.publish_run("r", MONTH, tables, month_sliced={"nope"})
    with pytest.raises(ValueError, match="reserved table names"):
        wh.publish_run("r", MONTH, {"publication": tables["person"]})
    with pytest.raises(ValueError, match="no tables"):
        wh.publish_run("r", MONTH, {})
    with pytest.raises(TypeError, match="'obj'"):
        wh.publish_run("r", MONTH, {"t": pl.DataFrame({"obj": [{"a": 1}]})})
    assert wh.tables() == [] and wh.last_publication() is None
