"""Runs are named after what they do, whoever starts them, and land in the instance `make ui` shows.

- every job of the definitions has a name a steward reads (no ``__ASSET_JOB``), and the CLI
  commands, schedules and sensors start exactly those jobs;
- ``sanji run`` / ``sanji rerun`` record ``nightly`` / ``rerun_month`` runs tagged
  ``sanji/trigger=cli`` (the shared county was made by ``sanji run``);
- the Makefile's ``DAGSTER_HOME`` (the instance ``make ui`` opens) is the folder the CLI falls
  back to.
"""

from __future__ import annotations

import re

import pytest
from dagster import DagsterInstance, RunsFilter

from assets.cli import main
from assets.definitions import defs
from assets.settings import PROJECT

JOBS = {"nightly", "rerun_month", "illness_exchange_export", "illness_exchange_import",
        "steward_decision", "case_answer", "worklist_export", "worklist_import", "province"}
# (kind, name) -> the job it starts
STARTS = {("schedule", "nightly"): "nightly",
          ("schedule", "monthly_export"): "illness_exchange_export",
          ("sensor", "landing_sensor"): "nightly",
          ("sensor", "inbox_sensor"): "illness_exchange_import",
          ("sensor", "province_sensor"): "province",
          ("sensor", "worklist_sensor"): "worklist_import"}


def test_every_job_is_named_after_what_it_does():
    repo = defs.get_repository_def()
    assert {j.name for j in repo.get_all_jobs() if not j.name.startswith("__")} == JOBS


@pytest.mark.parametrize(("kind", "name"), list(STARTS), ids=[n for _, n in STARTS])
def test_schedules_and_sensors_start_the_named_jobs(kind, name):
    repo = defs.get_repository_def()
    found = repo.get_schedule_def(name) if kind == "schedule" else repo.get_sensor_def(name)
    assert found.job_name == STARTS[(kind, name)]


def _runs(instance: DagsterInstance) -> list[tuple[str, str | None, str | None]]:
    return [(r.job_name, r.tags.get("sanji/trigger"), r.tags.get("dagster/partition"))
            for r in reversed(instance.get_runs(RunsFilter()))]


def test_sanji_run_is_a_nightly_run_of_the_county_month(county):
    with county.instance() as instance:
        assert _runs(instance) == [("nightly", "cli", f"{county.code}|{county.month}")]


@pytest.mark.slow
def test_sanji_rerun_is_a_rerun_month_run(county_copy, monkeypatch, capsys):
    home = county_copy.root / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    argv = ["rerun", "--month", county_copy.month, "--warehouse", str(county_copy.warehouse),
            "--storage", str(county_copy.storage), "--archive", str(county_copy.archive)]
    assert main(argv) == 0
    assert "(job rerun_month)" in capsys.readouterr().out
    with DagsterInstance.from_config(str(home)) as instance:
        assert _runs(instance) == [("rerun_month", "cli",
                                    f"{county_copy.code}|{county_copy.month}")]


def test_make_ui_and_the_cli_share_the_projects_instance():
    makefile = (PROJECT / "Makefile").read_text(encoding="utf-8")
    exported = re.search(r"^export DAGSTER_HOME\s*:=\s*\$\(CURDIR\)/(\S+)$", makefile, re.M)
    assert exported is not None and exported[1] == ".dagster_home"
    assert "dagster dev -w workspace.yaml" in makefile  # `make ui` opens that instance
