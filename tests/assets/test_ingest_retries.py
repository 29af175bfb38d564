"""Transient landing problems are retried; a file that cannot be read fails at once, clearly."""

import os
import threading
import time

import pytest
from dagster import DagsterInstance, RetryPolicy, materialize

from assets.ingest import TRANSIENT, LandingNotSettled, ingest, landing_snapshot, wait_until_settled
from assets.io_managers import PolarsParquetIOManager, WarehouseIOManager
from assets.resources import LandingFolder, WarehouseResource
from assets.settings import partition


def test_a_growing_file_is_not_settled(tmp_path):
    path = tmp_path / "参保.csv"
    path.write_text("姓名\n", encoding="utf-8")

    stop = threading.Event()

    def grow():  # keeps writing until the look is over, however slow the machine
        while not stop.wait(0.02):
            with path.open("a", encoding="utf-8") as f:
                f.write("张三\n")

    writer = threading.Thread(target=grow)
    writer.start()
    try:
        with pytest.raises(LandingNotSettled, match=r"参保\.csv"):
            wait_until_settled([path], 0.2)
    finally:
        stop.set()
        writer.join()
    wait_until_settled([path], 0.05)  # settled now: no error


@pytest.mark.parametrize(("age", "waits"), [(0.0, True), (60.0, False)])
def test_only_a_recently_modified_file_is_watched(tmp_path, monkeypatch, age, waits):
    old, fresh = tmp_path / "参保.csv", tmp_path / "住院结算.csv"
    for path in (old, fresh):
        path.write_text("姓名\n", encoding="utf-8")
    long_ago = time.time() - 3600
    os.utime(old, (long_ago, long_ago))
    written = time.time() - age
    os.utime(fresh, (written, written))
    slept = []
    monkeypatch.setattr("assets.ingest.time.sleep", slept.append)
    wait_until_settled([old, fresh], 5.0)
    assert slept == ([5.0] if waits else [])


def test_a_rewrite_of_the_same_size_is_not_settled(tmp_path, monkeypatch):
    path = tmp_path / "参保.csv"
    path.write_text("张三\n", encoding="utf-8")

    def rewrite(_seconds):
        path.write_text("李四\n", encoding="utf-8")
        later = time.time() + 1
        os.utime(path, (later, later))

    monkeypatch.setattr("assets.ingest.time.sleep", rewrite)
    with pytest.raises(LandingNotSettled, match=r"参保\.csv"):
        wait_until_settled([path], 5.0)


def _ingest(tmp_path, month="2026-10"):
    warehouse = WarehouseResource(url=str(tmp_path / "w.duckdb"))
    return materialize(
        [landing_snapshot, ingest], instance=DagsterInstance.ephemeral(), raise_on_error=False,
        partition_key=partition("411421", month),
        resources={"landing": LandingFolder(path=str(tmp_path), settle_seconds=0,
                                            archive=str(tmp_path / "archive")),
                   "io_manager": PolarsParquetIOManager(base_dir=str(tmp_path / "s"),
                                                        warehouse=warehouse),
                   "warehouse_io_manager": WarehouseIOManager(warehouse=warehouse)},
    )


def test_a_transient_error_is_retried(tmp_path, monkeypatch):
    import pipelines.ingest

    (tmp_path / "行政区划.csv").write_text("区划代码,名称,级别,上级代码\n411421000000,某县,县,\n",
                                       encoding="utf-8")
    real, calls = pipelines.ingest.ingest_landing, []

    def flaky(landing, mapping=None, as_of=None, cache=None):
        calls.append(landing)
        if len(calls) == 1:
            raise ConnectionError("database is starting up")
        return real(landing, mapping, as_of, cache)

    monkeypatch.setattr(pipelines.ingest, "ingest_landing", flaky)
    result = _ingest(tmp_path)
    assert result.success and len(calls) == 2
    assert [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]


def test_ingest_retries_with_backoff_but_not_on_a_bad_file(tmp_path):
    """A file that cannot be read is no transient error: nothing is retried, the other files
    go on, and ingest names the file (``Ingested.unrecognised``) for the night's ERROR check."""
    from pipelines.ingest import ingest_landing

    assert isinstance(TRANSIENT, RetryPolicy) and TRANSIENT.max_retries >= 2
    (tmp_path / "坏文件.csv").write_bytes(b"\xff\xfe\x00\x01\x80\x81garbage\n")
    result = _ingest(tmp_path)
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    unrecognised = ingest_landing(tmp_path).unrecognised
    assert unrecognised.select("source_file", "check").rows() == [
        ("坏文件.csv", "file_unreadable")]
