"""`sanji prune-runs` and every publication delete the county's run folders no one reads, keeping
the published runs' (which later runs read) and the most recent others."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster import DagsterInstance

from assets.cli import main
from assets.definitions import defs
from assets.io_managers import RUNS_FOLDER

sys.path.insert(0, str(Path(__file__).parent))
from test_steward_writes_locked import NIGHT, night_running


def _old_runs(county, n: int) -> list[str]:
    """``n`` failed-run folders of the county, each a day older than the one before (newest
    first), older than anything the county ran."""
    runs = []
    for i in range(n):
        folder = county.storage / RUNS_FOLDER / f"old-run-{i:02d}"
        frame = folder / "person_links" / county.code / f"{county.month}.parquet"
        frame.parent.mkdir(parents=True)
        frame.write_bytes(b"PAR1")
        when = 1_600_000_000 - i * 86_400
        os.utime(folder, (when, when))
        runs.append(folder.name)
    return runs


def _folders(county) -> set[str]:
    return {p.name for p in (county.storage / RUNS_FOLDER).iterdir()}


def test_prune_runs_keeps_the_published_run_and_the_newest(county_copy, home, capsys) -> None:
    published = county_copy.frames().name
    old = _old_runs(county_copy, 4)
    argv = ["prune-runs", "--keep", "1", "--warehouse", str(county_copy.warehouse),
            "--storage", str(county_copy.storage)]
    with night_running(county_copy):
        assert main(argv) == 2
        assert f"run {NIGHT} (pid " in capsys.readouterr().err
    assert set(old) <= _folders(county_copy)
    assert main([*argv, "--dry-run"]) == 0
    assert "would delete" in capsys.readouterr().out and set(old) <= _folders(county_copy)
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert _folders(county_copy) == {published, old[0]}
    assert f"deleted {county_copy.storage / RUNS_FOLDER / old[3]}" in out
    assert "deleted 3 run folder(s)" in out and "1 published" in out and "1 recent" in out
    assert county_copy.parquet("person_links").height  # the month's frames are still read


def test_a_publication_prunes_the_countys_old_run_folders(county_copy) -> None:
    before = county_copy.frames().name
    old = _old_runs(county_copy, 12)
    result = defs.resolve_job_def("rerun_month").execute_in_process(
        run_config=county_copy.run_config(), partition_key=county_copy.partition(),
        instance=DagsterInstance.ephemeral(), raise_on_error=False)
    assert result.success
    assert county_copy.frames().name == result.run_id
    # kept: the run published now, the 10 most recent others (the run it replaced among them)
    assert _folders(county_copy) == {result.run_id, before, *old[:9]}
