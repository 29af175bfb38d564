"""One run at a time: a second run waits or refuses naming the holder; a killed run's lock goes."""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest
from night_tables import assert_one_run
from publication_workers import Worker

from pipelines.warehouse import Warehouse, WarehouseBusy, publications


def test_a_second_run_is_refused_naming_the_holder(wh: Warehouse) -> None:
    with wh.run_lock("night-1") as held:
        assert held.held
        start = time.monotonic()
        with pytest.raises(WarehouseBusy) as busy:
            wh.run_lock("night-2", wait_seconds=0.3)
        assert 0.3 <= time.monotonic() - start < 5
    text = str(busy.value)
    assert f"run night-1 (pid {os.getpid()} on host {socket.gethostname()}, since " in text
    assert text.startswith(f"{wh.where} is busy")
    waited = re.search(r"waited (\d+\.\d) s", text)  # the time it really waited (a busy CI)
    assert waited and 0.3 <= float(waited[1]) < 5
    assert busy.value.holder.run_id == "night-1"
    assert not held.held
    with wh.run_lock("night-3"):  # released at the end of the block
        pass


def test_a_waiting_run_gets_the_lock_when_the_holder_ends(wh: Warehouse) -> None:
    first = wh.run_lock("first")
    threading.Timer(0.5, first.release).start()
    start = time.monotonic()
    with wh.run_lock("second", wait_seconds=20) as second:
        waited = time.monotonic() - start
        assert second.holder.run_id == "second"
    assert 0.4 <= waited < 10


def test_counties_lock_apart(wh: Warehouse) -> None:
    with (wh.run_lock("a", county="410526"), wh.run_lock("b", county="410527"),
          pytest.raises(WarehouseBusy, match="run a ")):
        wh.run_lock("c", county="410526")
    with pytest.raises(ValueError, match="plain code"):
        wh.run_lock("d", county="../x")


@pytest.mark.parametrize("backend", ["duckdb", pytest.param("postgres",
                                                             marks=pytest.mark.postgres)])
def test_the_lock_is_taken_before_the_warehouse_is_opened(
        backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    path = tmp_path / "new" / "sanji.duckdb"
    schema = f"sanji_pub_{uuid.uuid4().hex[:10]}"
    url, kwargs = (path, {}) if backend == "duckdb" else \
        (request.getfixturevalue("postgres_url"), {"schema": schema})
    with (Warehouse.at(url, **kwargs).run_lock("first", wait_seconds=1),
          pytest.raises(WarehouseBusy, match="run first ")):
        Warehouse.at(url, **kwargs).run_lock("second")
    if backend == "duckdb":
        assert not path.exists() and path.with_name("sanji.duckdb.run.lock").exists()
    else:
        Warehouse.at(url, **kwargs).drop_schema()


def test_two_runs_at_once_one_waits_one_refuses(wh: Warehouse, workers: list[Worker]) -> None:
    first = Worker(wh, "first", 120, "--pause-at", "loaded:person")
    impatient = Worker(wh, "impatient", 121, "--wait", "0.5")
    patient = Worker(wh, "patient", 122, "--wait", "60")
    workers.extend([first, impatient, patient])
    for w in workers:
        w.expect("ready")
    first.send("go")
    first.expect("paused")  # holds the run lock, mid-transaction
    impatient.send("go")
    assert impatient.finish() == 3
    error = json.loads(impatient.lines[-1].removeprefix("error "))
    assert error["type"] == "WarehouseBusy"
    assert f"run first (pid {first.proc.pid} on host {socket.gethostname()}, since " in \
        error["message"]
    patient.send("go")
    time.sleep(0.5)
    assert patient.proc.poll() is None and not patient.steps()  # still waiting for the lock
    first.send("resume")
    assert first.finish() == 0
    assert patient.finish() == 0
    versions = [json.loads(w.lines[-1].removeprefix("result "))["version"]
                for w in (first, patient)]
    assert versions == [1, 2]
    assert assert_one_run(wh) == "patient"
    assert "impatient" not in publications(wh)["run_id"].to_list()


def test_a_killed_run_leaves_no_lock(wh: Warehouse, workers: list[Worker]) -> None:
    good = Worker(wh, "good", 100)
    killed = Worker(wh, "killed", 101, "--pause-at", "loaded:mismatch")
    workers.extend([good, killed])
    good.expect("ready")
    good.send("go")
    assert good.finish() == 0
    killed.expect("ready")
    killed.send("go")
    killed.expect("paused")
    killed.proc.kill()
    assert killed.finish() == -9
    start = time.monotonic()
    with wh.run_lock("after", wait_seconds=10):
        assert time.monotonic() - start < 5
        assert assert_one_run(wh) == "good"
