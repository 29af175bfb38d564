"""The Definitions load, validate, and the workspace points at them."""

import subprocess
import sys
from pathlib import Path

from dagster import Definitions

from assets.definitions import defs

ROOT = Path(__file__).resolve().parents[2]


def test_definitions_validate_and_hold_every_group():
    Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    groups = {a.group_names_by_key[k] for a in repo.assets_defs_by_key.values()
              for k in a.keys}
    assert groups == {"ingest", "link", "publish", "exchange"}
    jobs = {j.name for j in repo.get_all_jobs()}
    assert {"sanji_nightly", "rerun_month", "record_match_decision",
            "illness_exchange_export", "illness_exchange_import"} <= jobs
    assert {s.name for s in repo.schedule_defs} == {"nightly", "monthly_export"}
    assert {s.name for s in repo.sensor_defs} == {"landing_sensor", "inbox_sensor"}


def test_published_assets_are_monthly_with_the_current_month():
    repo = defs.get_repository_def()
    person = repo.assets_defs_by_key[next(k for k in repo.assets_defs_by_key
                                          if k.path == ["person"])]
    keys = person.partitions_def.get_partition_keys()
    assert keys[0] == "2025-01"
    from assets.resources import current_month
    assert keys[-1] == current_month()


def test_dagster_cli_validates_the_workspace():
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate",
         "-w", "workspace.yaml"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
