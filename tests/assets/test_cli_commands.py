"""``sanji`` as a user meets it: run (the session's shared run), decide, exchange, errors, help."""

import argparse
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, RunsFilter

from assets.cli import main, parser
from assets.runs import ensure_dagster_home
from assets.settings import month_range
from pipelines.warehouse import Warehouse


def test_run_prints_a_summary_that_matches_the_warehouse(county):
    out, err = county.stdout, county.stderr
    wh = Warehouse.from_url(county.warehouse)
    people = wh.read("person", month=county.month).height
    assert f"people {people}," in out and f"warehouse: {county.warehouse}" in out
    assert "rows read" in out and "quarantined" in out
    assert f"run recorded in {county.dagster_home} (job nightly)" in out
    assert f"DAGSTER_HOME={county.dagster_home} dagster dev" in out  # not `make ui`'s instance
    rules = wh.read("mismatch", month=county.month)["rule"].unique()
    assert all(rule in out for rule in rules)
    # quiet by default: one progress line per step, none of Dagster's events or banners
    assert "ingest … done in" in err and "link … done in" in err
    assert "STEP_START" not in err and "DEBUG" not in err and "Telemetry" not in err
    assert not re.search(r"\d{17}[\dX]", out + err)  # no full ID number anywhere



def _runs(home: Path) -> list[tuple[str, str]]:
    """(job, trigger tag) of every run recorded in ``home``, oldest first."""
    with DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs(RunsFilter())
        return [(r.job_name, r.tags.get("sanji/trigger")) for r in reversed(runs)]


def test_decide_and_exchange_run_their_jobs_in_the_instance(county_copy, home, capsys,
                                                           monkeypatch):
    wh, month = str(county_copy.warehouse), county_copy.month
    where = ["--landing", str(county_copy.landing), "--warehouse", wh,
             "--storage", str(county_copy.storage)]
    first, second = sorted(county_copy.parquet("person_links")["record_key"][:2])
    assert main(["decide", second, first, "--link", "--by", "王芳", "--warehouse", wh]) == 0
    decision = Warehouse.from_url(wh).read("match_decision").row(0, named=True)
    assert (decision["record_key_l"], decision["record_key_r"], decision["decision"]) == (
        first, second, "link")

    out2 = county_copy.root / "out2"
    assert main(["exchange", "export", *where, "--month", month, "--out", str(out2)]) == 0
    sent = out2 / f"大病救治病例_{month}.xlsx"
    assert sent.exists()
    back = county_copy.root / "大病办回传.xlsx"  # no month in the name: --month says it
    shutil.copy(sent, back)
    capsys.readouterr()
    assert main(["exchange", "import", str(back), *where, "--month", month]) == 0
    assert f"differences for {month}: 0" in capsys.readouterr().out
    # without --month the file's own content says which month it is for
    private_tmp = county_copy.root / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    assert main(["exchange", "import", str(back), *where]) == 0
    assert f"differences for {month}: 0" in capsys.readouterr().out
    assert list(private_tmp.iterdir()) == []  # the temporary inbox was removed
    assert _runs(home) == [("steward_decision", "cli"), ("illness_exchange_export", "cli"),
                           ("illness_exchange_import", "cli"), ("illness_exchange_import", "cli")]


def test_a_failed_step_is_one_line_without_a_traceback(county_copy, home, capsys):
    wh = str(county_copy.warehouse)
    month = str(month_range()[0])  # never run: nothing stored for it
    assert main(["exchange", "export", "--warehouse", wh, "--storage", str(county_copy.storage),
                 "--month", month]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"no published month {month}" in err and "run the job `nightly`" in err


def _options(p: argparse.ArgumentParser, path: str = "sanji"):
    """(command path, action) for every argument of every (sub)command."""
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction):
            yield path, action


def _commands(p: argparse.ArgumentParser, path: str = "sanji"):
    """(command path, its help) for every (sub)command, nested ones included."""
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {c.dest: c.help for c in action._choices_actions}
            for name, sub in action.choices.items():
                yield f"{path} {name}", helps.get(name)
                yield from _commands(sub, f"{path} {name}")


def test_every_command_and_option_has_help():
    commands = dict(_commands(parser()))
    assert {"sanji rerun", "sanji exchange export", "sanji exchange import"} <= set(commands)
    assert [c for c, text in commands.items() if not text] == []
    missing = [f"{path} {a.dest}" for path, a in _options(parser()) if not a.help]
    assert missing == []


def test_every_commands_help_prints(capsys):
    for command in dict(_commands(parser())):
        with pytest.raises(SystemExit) as done:
            main([*command.split()[1:], "--help"])
        assert done.value.code == 0, command
        assert "usage: sanji" in capsys.readouterr().out, command


def test_quiet_by_default_dagster_events_with_vv(county_copy, home, capsys):
    config = ["--warehouse", str(county_copy.warehouse), "--storage", str(county_copy.storage),
              "--month", county_copy.month, "--out", str(county_copy.root / "o")]
    assert main(["exchange", "export", *config]) == 0
    quiet = capsys.readouterr().err
    assert "illness_cases … done in" in quiet and "STEP_START" not in quiet
    assert main(["exchange", "export", "-vv", *config]) == 0
    assert "STEP_START" in capsys.readouterr().err


def test_cli_runs_land_in_the_project_instance_when_dagster_home_is_unset(tmp_path,
                                                                          monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME")
    home = ensure_dagster_home(project=tmp_path)
    assert home == tmp_path / ".dagster_home"
    settings = (home / "dagster.yaml").read_text(encoding="utf-8")
    assert settings.split()[:3] == ["telemetry:", "enabled:", "false"]
    assert "key: dagster/partition/county" in settings  # UI runs queue one per county
    assert os.environ["DAGSTER_HOME"] == str(home)
    with DagsterInstance.get() as instance:  # the instance `make ui` opens is this one
        assert Path(instance.root_directory) == home
        assert instance.get_latest_materialization_event(AssetKey("person")) is None
