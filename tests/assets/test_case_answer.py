"""A steward answers cases directly, from the Launchpad (job ``case_answer``) and from the CLI
(``sanji case explain / note``); the next run's ``mismatch_case`` shows each with who, when and
the note. An unknown case id or a missing warehouse is one line, nothing archived."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest
from dagster import DagsterInstance

from assets.case_answer import case_answer_config
from assets.cli import main
from assets.definitions import defs
from pipelines.exchange.archive import archived_returns
from pipelines.warehouse import Warehouse

sys.path.insert(0, str(Path(__file__).parent))
from case_story import Story, sanji


@pytest.fixture
def steward(county_copy, monkeypatch) -> Story:
    home = county_copy.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return Story(county_copy)


def _live_cases(story: Story) -> list[str]:
    cases = story.table("mismatch_case", story.county.month)
    live = cases.filter(pl.col("status").is_in(["new", "open"])).sort("case_id")
    assert live.height >= 2
    return live["case_id"].to_list()[:2]


def test_answers_from_the_launchpad_and_the_cli_show_on_the_next_run(steward: Story,
                                                                    capsys) -> None:
    c, month = steward.county, steward.county.month
    by_ui, by_cli = _live_cases(steward)
    config = {**c.run_config(), **case_answer_config(
        by_ui, "信息有误", "李娜", "户籍已迁出, 系统未同步", f"{month}-18")}
    ran = defs.resolve_job_def("case_answer").execute_in_process(
        run_config=config, instance=DagsterInstance.ephemeral(), raise_on_error=False)
    assert ran.success
    assert main(["case", "note", by_cli, "--by", "王芳", "--note", "已通知村委会",
                 "--on", f"{month}-20", "--warehouse", str(c.warehouse),
                 "--archive", str(c.archive)]) == 0
    out = capsys.readouterr().out
    assert f"case {by_cli} noted (属实未整改) by 王芳" in out
    kept = archived_returns(c.archive / c.code / "returns", "worklist", month)
    assert len(kept) == 2

    sanji(steward, "run", "run", "--month", month)
    cases = steward.table("mismatch_case", month)
    ui = cases.filter(pl.col("case_id") == by_ui).row(0, named=True)
    assert (ui["status"], ui["status_by"], str(ui["status_at"])) == (
        "explained", "李娜", f"{month}-18")
    assert ui["verification_note"] == "户籍已迁出, 系统未同步"
    assert ui["verification_result"] == "信息有误"
    cli = cases.filter(pl.col("case_id") == by_cli).row(0, named=True)
    assert cli["status"] in ("new", "open")  # a real error stays open, the note recorded
    assert (cli["verification_result"], cli["verified_by"], cli["verification_note"]) == (
        "属实未整改", "王芳", "已通知村委会")


def test_explain_refuses_an_unknown_case_or_a_missing_warehouse(steward: Story, capsys,
                                                                 tmp_path) -> None:
    c = steward.county
    base = ["--warehouse", str(c.warehouse), "--archive", str(c.archive)]
    assert main(["case", "explain", "C000000000zz", "--by", "王芳", *base]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no case C000000000zz in mismatch_case" in err
    missing = tmp_path / "typo.duckdb"
    assert main(["case", "explain", _live_cases(steward)[0], "--by", "王芳",
                 "--warehouse", str(missing), "--archive", str(c.archive)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"no warehouse at {missing}" in err
    assert not missing.exists()
    assert archived_returns(c.archive / c.code / "returns", "worklist") == []
    assert Warehouse.from_url(c.warehouse).has_table("mismatch_case")
