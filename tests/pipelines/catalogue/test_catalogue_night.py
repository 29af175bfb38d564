"""The whole catalogue in one landing folder, read as a night reads it.

The Dagster ``ingest`` asset runs once over every bad file at once: it succeeds (a bad file is
set aside, never the night), nothing is retried, every file and sheet balances
(``rows_accounted``), and neither the event log storage nor the console holds an unmasked
identity number. ``sanji check`` over the same folder prints none either.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dagster import DagsterInstance, materialize

sys.path.insert(0, str(Path(__file__).parent))
from cases import CASES

from assets.ingest import ingest, landing_snapshot
from assets.io_managers import PolarsParquetIOManager, WarehouseIOManager
from assets.resources import LandingFolder, WarehouseResource
from assets.settings import partition
from pipelines.check import run_check
from pipelines.privacy import event_log_ids, find_ids, path_ids


def _all_cases(root: Path) -> Path:
    """One landing folder holding every case's files, each name led by its case id."""
    landing = root / "landing"
    landing.mkdir()
    for case in CASES:
        own = root / case.id / "landing"
        own.mkdir(parents=True)
        case.write(own)
        for entry in own.iterdir():
            entry.rename(landing / f"{case.id}_{entry.name}")
    return landing


def test_the_catalogue_as_one_night(tmp_path: Path, capsys) -> None:
    landing = _all_cases(tmp_path)
    instance = DagsterInstance.ephemeral()
    warehouse = WarehouseResource(url=str(tmp_path / "w.duckdb"))
    result = materialize(
        [landing_snapshot, ingest], instance=instance, raise_on_error=False,
        partition_key=partition("411421", "2026-10"),
        resources={"landing": LandingFolder(path=str(landing), settle_seconds=0,
                                            archive=str(tmp_path / "archive")),
                   "io_manager": PolarsParquetIOManager(base_dir=str(tmp_path / "storage"),
                                                        warehouse=warehouse),
                   "warehouse_io_manager": WarehouseIOManager(warehouse=warehouse)})
    assert result.success
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    checks = [e.asset_check_evaluation_data for e in result.all_events
              if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert [(c.check_name, c.passed) for c in checks] == [("rows_accounted", True)]
    assert event_log_ids(instance) == []
    warned = [e.message for e in instance.all_logs(result.run_id)
              if "set aside whole" in (e.user_message or "")]
    assert len(warned) == 1 and "same_file_twice_参保_副本.csv: file_duplicate" in warned[0]
    accounting = next(e for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"
                      and e.asset_key.path == ["ingest_accounting"])
    said = accounting.materialization.metadata["set_aside"].value
    assert "empty_file_参保.csv: file_empty" in said and "sheet_hidden" in said

    out = tmp_path / "proposed.yaml"
    run_check(landing, out, force=False)
    console = capsys.readouterr()
    assert find_ids(console.out) == find_ids(console.err) == []
    assert path_ids(out) == []
    shutil.rmtree(tmp_path / "storage", ignore_errors=True)
