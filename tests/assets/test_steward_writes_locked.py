"""A steward's writes outside a night take the county's run lock: while a night holds it, `sanji
decide`, `case`, `worklist import` and `exchange import` (and their jobs) refuse naming it and
write nothing; free, they work. `decide --link` never silently undoes a township's 非同一人."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import polars as pl
import pytest
from dagster import DagsterInstance

from assets.cli import main
from assets.definitions import defs
from assets.jobs import decision_config
from pipelines.link.decisions import DECISION_TABLE, decision_row, record_decision
from pipelines.warehouse import Warehouse

NIGHT = "night-of-the-test"


@contextmanager
def night_running(county) -> Iterator[None]:
    """Another process holds the county's run lock, as `sanji run` does for a whole night."""
    code = ("import sys\nfrom pipelines.warehouse import Warehouse\n"
            f"lock = Warehouse.at({str(county.warehouse)!r}).run_lock({NIGHT!r}, "
            f"county={county.code!r})\nprint('held', flush=True)\nsys.stdin.read()\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=county.env())
    try:
        assert proc.stdout.readline().strip() == "held"
        yield
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)


def _written(county) -> tuple:
    """What the commands write: the decision log, the archived returns, exchange_diff."""
    wh = Warehouse.from_url(county.warehouse)
    log = wh.read(DECISION_TABLE).height if wh.has_table(DECISION_TABLE) else 0
    returns = county.archive / county.code / "returns"
    files = sorted(str(p.relative_to(returns)) for p in returns.rglob("*") if p.is_file()) \
        if returns.exists() else []
    diff = wh.read("exchange_diff", month=county.month)
    return log, files, sorted(set(diff["run_id"])) if diff.height else []


def _commands(county) -> dict[str, list[str]]:
    wh, month = str(county.warehouse), county.month
    where = ["--landing", str(county.landing), "--warehouse", wh,
             "--storage", str(county.storage), "--archive", str(county.archive)]
    first, second = sorted(county.parquet("person_links")["record_key"][:2])
    case = Warehouse.from_url(wh).read("mismatch_case", month=month).filter(
        pl.col("status").is_in(["new", "open"])).sort("case_id")["case_id"][0]
    listed = sorted(county.outbox.glob(f"问题清单_*_{month}.xlsx"))[0]
    back = county.root / "大病办回传.xlsx"
    shutil.copy(county.outbox / f"大病救治病例_{month}.xlsx", back)
    return {
        "decide": ["decide", first, second, "--no-link", "--by", "王芳", "--warehouse", wh],
        "case": ["case", "explain", case, "--by", "王芳", "--warehouse", wh,
                 "--archive", str(county.archive)],
        "worklist import": ["worklist", "import", str(listed), *where,
                            "--inbox", str(county.inbox)],
        "exchange import": ["exchange", "import", str(back), *where, "--month", month],
    }


def test_steward_commands_refuse_while_a_night_runs_and_work_after(county_copy, home,
                                                                   capsys) -> None:
    commands = _commands(county_copy)
    before = _written(county_copy)
    with night_running(county_copy):
        for name, argv in commands.items():
            capsys.readouterr()
            assert main(argv) == 2, name
            err = capsys.readouterr().err.strip()
            assert len(err.splitlines()) == 1, (name, err)
            assert f"run {NIGHT} (pid " in err and "holds its run lock" in err, (name, err)
            assert "--wait SECONDS" in err, err
        assert _written(county_copy) == before  # nothing recorded, archived or published
    for name, argv in commands.items():
        assert main(argv) == 0, (name, capsys.readouterr().err)
    assert f"differences for {county_copy.month}: 0" in capsys.readouterr().out
    log, files, _ = _written(county_copy)
    assert log == before[0] + 1  # the decision (the list came back unanswered: none from it)
    assert len(files) == len(before[1]) + 3  # the answer, the work list, the office's return


def test_steward_jobs_refuse_while_a_night_runs(county_copy, monkeypatch) -> None:
    monkeypatch.setattr("assets.county_lock.OP_WAIT_SECONDS", 0.5)
    first, second = sorted(county_copy.parquet("person_links")["record_key"][:2])
    decide = {**county_copy.run_config(), **decision_config(first, second, "no_link", "王芳")}
    decide["ops"]["append_match_decision"]["config"]["wait_seconds"] = 0.5
    partition = county_copy.partition()
    before = _written(county_copy)
    with night_running(county_copy):
        for job, kwargs in (("steward_decision", {"run_config": decide}),
                            ("worklist_import", {"run_config": county_copy.run_config(),
                                                 "partition_key": partition}),
                            ("illness_exchange_import", {"run_config": county_copy.run_config(),
                                                         "partition_key": partition})):
            result = defs.resolve_job_def(job).execute_in_process(
                instance=DagsterInstance.ephemeral(), raise_on_error=False, **kwargs)
            assert not result.success, job
            text = " ".join(e.step_failure_data.error.message for e in result.all_events
                            if e.is_step_failure)
            assert f"run {NIGHT} (pid " in text, (job, text)
        assert _written(county_copy) == before
    ran = defs.resolve_job_def("steward_decision").execute_in_process(
        run_config=decide, instance=DagsterInstance.ephemeral(), raise_on_error=False)
    assert ran.success
    assert _written(county_copy)[0] == before[0] + 1


@pytest.fixture
def township_said_no(county_copy) -> tuple[str, str, str]:
    """Two records a township answered 非同一人 on (case C0000000abcd), as the import records."""
    from pipelines.cases.override import township_note

    first, second = sorted(county_copy.parquet("person_links")["record_key"][:2])
    record_decision(Warehouse.from_url(county_copy.warehouse), decision_row(
        first, second, "no_link", "李干事(问题清单_城关镇_2026-10.xlsx)",
        township_note("C0000000abcd", "死者是同名的另一人")))
    return first, second, "C0000000abcd"


def test_decide_link_over_a_township_no_link_needs_the_override(county_copy, home,
                                                                township_said_no,
                                                                capsys) -> None:
    a, b, case = township_said_no
    wh = Warehouse.from_url(county_copy.warehouse)
    argv = ["decide", b, a, "--link", "--by", "王芳", "--note", "身份证已核对",
            "--warehouse", str(county_copy.warehouse)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"case {case} answered 非同一人 by 李干事" in err and "--override-township" in err
    assert wh.read(DECISION_TABLE).height == 1  # nothing recorded
    # the Launchpad refuses the same, naming the case
    config = {**county_copy.run_config(), **decision_config(a, b, "link", "王芳")}
    ran = defs.resolve_job_def("steward_decision").execute_in_process(
        run_config=config, instance=DagsterInstance.ephemeral(), raise_on_error=False)
    assert not ran.success and wh.read(DECISION_TABLE).height == 1
    assert any(case in e.step_failure_data.error.message for e in ran.all_events
               if e.is_step_failure)

    assert main([*argv, "--override-township"]) == 0
    log = wh.read(DECISION_TABLE).sort("decided_at")
    last = log.row(-1, named=True)
    assert (last["decision"], last["decided_by"]) == ("link", "王芳")
    assert last["note"].startswith("覆盖乡镇核实") and case in last["note"]
    assert last["note"].endswith("; 身份证已核对")
    # overridden once, a later link (or no_link) needs no flag
    assert main(argv) == 0



def test_decide_by_record_id_sees_the_township_answer(county_copy, home, township_said_no,
                                                      capsys) -> None:
    a, b, case = township_said_no
    links = county_copy.parquet("person_links")
    ids = [links.filter(pl.col("record_key") == key)["record_id"].item() for key in (b, a)]
    wh = Warehouse.from_url(county_copy.warehouse)
    argv = ["decide", *ids, "--link", "--by", "王芳", "--warehouse", str(county_copy.warehouse)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"case {case} answered 非同一人" in err and "--override-township" in err
    assert wh.read(DECISION_TABLE).height == 1  # nothing recorded
    assert main([*argv, "--override-township"]) == 0
    assert wh.read(DECISION_TABLE).sort("decided_at")["note"][-1].startswith("覆盖乡镇核实")


def test_a_refused_exchange_import_leaves_the_inbox_file_and_archives_nothing(
        county_copy, monkeypatch) -> None:
    monkeypatch.setattr("assets.county_lock.OP_WAIT_SECONDS", 0.5)
    month = county_copy.month
    returned = county_copy.inbox / f"大病救治病例_{month}.xlsx"
    shutil.copy(county_copy.outbox / f"大病救治病例_{month}.xlsx", returned)
    office = county_copy.archive / county_copy.code / "returns" / "office"
    before = _written(county_copy)

    def run():
        return defs.resolve_job_def("illness_exchange_import").execute_in_process(
            run_config=county_copy.run_config(), partition_key=county_copy.partition(),
            instance=DagsterInstance.ephemeral(), raise_on_error=False)

    with night_running(county_copy):
        refused = run()
        assert not refused.success
        assert returned.is_file()  # where the office's file was
        assert not office.exists() or not any(p.is_file() for p in office.rglob("*"))
        assert _written(county_copy) == before
    assert run().success  # the night over: imported, archived
    assert any(p.is_file() for p in office.rglob("*"))
