"""Intermediate frames follow the publication: a run's own, read by others once published.

- a refused night leaves the frames other runs read (the export, the work lists) as the
  previous publication left them;
- a run on another warehouse never changes this warehouse's frames;
- in a staged run a table or frame missing from the run's own storage is an error naming it,
  never a silent read of what another run published.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
import sanji_tests_tiny as tiny
from dagster import DagsterInstance, Failure, RunsFilter

from assets.cli import main
from assets.definitions import defs
from assets.io_managers import WarehouseIOManager
from assets.publication import publication_config
from assets.resources import WarehouseResource, resource_config
from assets.settings import partition
from pipelines.warehouse import Warehouse, publications

CODE, MONTH = "411421", "2026-10"
SETTLEMENT = "医保局_住院结算明细.csv"


def _job(job: str, root: Path, instance: DagsterInstance, warehouse: str = "w.duckdb"):
    config = resource_config(landing=root / "landing", warehouse=root / warehouse,
                             storage=root / "storage", archive=root / "archive",
                             outbox=root / "outbox", inbox=root / "inbox", today="2026-11-20",
                             settle_seconds=0)
    if job == "nightly":
        config = {**config, **publication_config()}
    return defs.resolve_job_def(job).execute_in_process(
        run_config=config, instance=instance, partition_key=partition(CODE, MONTH),
        raise_on_error=False)


def _frame(storage: Path, run_id: str, asset: str) -> pl.DataFrame:
    """The frame ``asset`` of the run's own storage."""
    return pl.read_parquet(storage / "runs" / run_id / asset / CODE / f"{MONTH}.parquet")


def _cut_to_header(path: Path) -> None:
    path.write_bytes(path.read_bytes().split(b"\n")[0] + b"\n")  # any encoding


def test_a_refused_night_or_another_warehouse_leaves_the_published_frames(tmp_path: Path):
    people = [replace(p, roles={"registered", "insured", "treated"})
              for p in tiny.people_of(CODE, 4)]
    tiny.write_county(tmp_path / "landing", CODE, "清河县", MONTH, people)
    instance = DagsterInstance.ephemeral()
    good = _job("nightly", tmp_path, instance)
    assert good.success
    published = _frame(tmp_path / "storage", good.run_id, "settlement")
    assert published.height == 4

    _cut_to_header(tmp_path / "landing" / SETTLEMENT)
    refused = _job("nightly", tmp_path, instance)
    assert not refused.success
    wh = Warehouse.from_url(tmp_path / "w.duckdb")
    log = publications(wh).filter(pl.col("run_id") == refused.run_id)
    assert log["status"].to_list() == ["refused"]
    assert _frame(tmp_path / "storage", refused.run_id, "settlement").height == 0
    export = _job("illness_exchange_export", tmp_path, instance)
    assert export.success
    assert _frame(tmp_path / "storage", export.run_id, "settlement").equals(published)
    links = _frame(tmp_path / "storage", good.run_id, "person_links")
    assert not _frame(tmp_path / "storage", refused.run_id, "person_links").equals(links)
    worklist = _job("worklist_export", tmp_path, instance)
    assert worklist.success
    assert _frame(tmp_path / "storage", worklist.run_id, "person_links").equals(links)

    elsewhere = _job("nightly", tmp_path, instance, warehouse="w6.duckdb")
    assert elsewhere.success  # the other warehouse's first publication: nothing to refuse
    assert _frame(tmp_path / "storage", elsewhere.run_id, "settlement").height == 0
    export = _job("illness_exchange_export", tmp_path, instance)
    assert export.success
    assert _frame(tmp_path / "storage", export.run_id, "settlement").equals(published)



def test_the_export_after_a_refused_night_has_the_published_cases(county_copy, home, capsys):
    c = county_copy
    where = ["--landing", str(c.landing), "--warehouse", str(c.warehouse),
             "--storage", str(c.storage), "--archive", str(c.archive), "--month", c.month]
    cases, settlement = c.parquet("illness_cases"), c.parquet("settlement")
    assert cases.height > 0 and settlement.height > 0
    (demo_settlement,) = c.landing.glob("医保局_住院结算明细*.csv")
    _cut_to_header(demo_settlement)
    assert main(["run", *where, "--outbox", str(c.outbox), "--inbox", str(c.inbox)]) == 1
    err = capsys.readouterr().err
    assert "refusing to publish tonight" in err and "settlement: empty" in err
    assert c.parquet("illness_cases").equals(cases)  # still the published run's
    assert main(["exchange", "export", *where, "--out", str(c.root / "out")]) == 0
    with DagsterInstance.from_config(str(home)) as instance:
        (run,) = instance.get_runs(RunsFilter(job_name="illness_exchange_export"))
    assert _frame(c.storage, run.run_id, "settlement").equals(settlement)
    assert _frame(c.storage, run.run_id, "illness_cases").equals(cases)


def test_a_table_missing_from_the_run_stage_is_an_error_naming_it(tmp_path: Path):
    io = WarehouseIOManager(warehouse=WarehouseResource(url=str(tmp_path / "w.duckdb")),
                            staging_dir=str(tmp_path / "storage"))
    key = partition(CODE, MONTH)
    io.stage("r1", CODE, MONTH).put("person", pl.DataFrame({"person_id": ["P1"]}))
    assert io._load("person", ("r1", key), key, False)["person_id"].to_list() == ["P1"]
    with pytest.raises(Failure, match="mismatch of county 411421, month 2026-10 was not staged"):
        io._load("mismatch", ("r1", key), key, False)
    assert io._load("mismatch", None, key, False) is None  # outside a staged run: the warehouse
