"""Every user error of ``sanji``, as a table: one line with the fix, exit 2, no traceback, no run.

Each row is a command a steward could mistype and a piece of the one line it must print. The
shared county (read only) gives a real landing folder and warehouse; nothing may run, and a
mistyped warehouse is never created. A bad counties file and a first month configured back in
the county's history are checked in a subprocess, because the partitions are fixed when the
definitions load.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import sanji_tests_county as county_lib
from dagster import DagsterInstance, RunsFilter

from assets.cli import main
from assets.settings import month_range


def _bad_mapping(text: str):
    def make(county, tmp: Path) -> Path:
        bad = tmp / "landing"
        shutil.copytree(county.landing, bad)
        (bad / "sanji_mapping.yaml").write_text(text, encoding="utf-8")
        return bad
    return make


def _only_a_draft(county, tmp: Path) -> Path:
    empty = tmp / "empty"
    empty.mkdir()
    (empty / "_draft.csv").write_text("姓名\n", encoding="utf-8")
    return empty


def _empty_duckdb(county, tmp: Path) -> Path:
    import duckdb

    path = tmp / "empty.duckdb"
    duckdb.connect(str(path)).close()
    return path


def _record_keys(county) -> tuple[str, str]:
    links = county.parquet("person_links")
    return links["record_key"][0], links["record_key"][1]


# (id, argv with {landing} {warehouse} {tmp} {made} {key}, what the one line must say); the
# months ({allowed}, {first_prev}, {last}, {last_next}) are read when the test runs, not at
# import: the suite may start before the county's midnight and run after it.
CASES = [
    ("run-missing-landing", ["run", "--landing", "{tmp}/nope"],
     ["landing folder", "does not exist", "--landing FOLDER"]),
    ("run-month-13", ["run", "--landing", "{landing}", "--month", "2026-13"],
     ["YYYY-MM", "{allowed}"]),
    ("run-month-words", ["run", "--landing", "{landing}", "--month", "October"],
     ["YYYY-MM", "{allowed}"]),
    ("run-month-before-first", ["run", "--landing", "{landing}", "--month",
                                "{first_prev}"],
     ['first_month: "{first_prev}"', "SANJI_FIRST_MONTH={first_prev}", "{allowed}"]),
    ("run-month-not-begun", ["run", "--landing", "{landing}", "--month", "{last_next}"],
     ["latest month is {last}", "{allowed}"]),
    ("run-unknown-county", ["run", "--county", "999999"], ["'999999'", "411421"]),
    ("run-broken-mapping", ["run", "--landing", "{made}"], ["sanji_mapping.yaml", "fix it"]),
    ("run-unknown-extract-in-mapping", ["run", "--landing", "{made}"], ["nosuch"]),
    ("run-no-extracts", ["run", "--landing", "{made}"], ["no extracts", "_draft.csv"]),
    ("run-month-one-digit", ["run", "--landing", "{landing}", "--month", "2026-1"],
     ["YYYY-MM", "{allowed}"]),
    ("run-unreachable-postgres", ["run", "--landing", "{landing}", "--warehouse",
                                  "postgresql://postgres@127.0.0.1:5432/sanji_no_such_db"],
     ["cannot be reached", "sanji_no_such_db", "--warehouse"]),
    ("run-allow-missing-typo", ["run", "--landing", "{landing}", "--allow-missing", "dteath"],
     ["--allow-missing dteath: no such extract", "death"]),
    ("rerun-without-month", ["rerun"], ["--month YYYY-MM"]),
    ("rerun-month-13", ["rerun", "--month", "2026-13"], ["YYYY-MM", "{allowed}"]),
    ("check-missing-landing", ["check", "{tmp}/nope"], ["does not exist"]),
    ("demo-too-few-people", ["demo-data", "--people", "5", "--out", "{tmp}/demo"],
     ["at least 200"]),
    ("decide-missing-warehouse", ["decide", "{key}", "{key2}", "--link", "--by", "王芳",
                                  "--warehouse", "{tmp}/typo.duckdb"],
     ["no warehouse", "typo.duckdb"]),
    ("decide-same-key", ["decide", "{key}", "{key}", "--link", "--by", "王芳",
                         "--warehouse", "{warehouse}"], ["two different records"]),
    ("decide-unknown-keys", ["decide", "KEY_A", "KEY_B", "--no-link", "--by", "王芳",
                             "--warehouse", "{warehouse}"],
     ["KEY_A, KEY_B", "no record of 2026-10", "uncertain_match"]),
    ("decide-one-unknown-key", ["decide", "{key}", "KEY_B", "--no-link", "--by", "王芳",
                                "--warehouse", "{warehouse}"], ["KEY_B: no record"]),
    ("decide-id-as-key", ["decide", "{key}", "41010319900307123X", "--link", "--by", "王芳",
                          "--warehouse", "{warehouse}"], ["410103********123X: no record"]),
    ("decide-nothing-published", ["decide", "A1", "B1", "--link", "--by", "王芳",
                                  "--warehouse", "{made}"], ["nothing published", "sanji run"]),
    ("export-bad-month", ["exchange", "export", "--month", "2026-1x"], ["YYYY-MM", "{allowed}"]),
    ("import-missing-file", ["exchange", "import", "{tmp}/nope.xlsx"], ["no file"]),
    ("province-bad-month", ["province", "--month", "2026-00"], ["YYYY-MM", "{allowed}"]),
    ("worklist-bad-month", ["worklist", "--month", "2026-13"], ["YYYY-MM", "{allowed}"]),
    ("worklist-import-missing-file", ["worklist", "import", "{tmp}/nope.xlsx"], ["no file"]),
]
MAKERS = {"run-broken-mapping": _bad_mapping("enrolment: [\n"),
          "run-unknown-extract-in-mapping": _bad_mapping("nosuch:\n  name: [x]\n"),
          "run-no-extracts": _only_a_draft, "decide-nothing-published": _empty_duckdb}


@pytest.mark.parametrize(("argv", "says"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_user_error_is_one_line_with_the_fix(request, argv, says, county, tmp_path,
                                               monkeypatch, capsys):
    home = tmp_path / "home"
    county_lib.write_dagster_yaml(home)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    case = request.node.callspec.id
    made = MAKERS[case](county, tmp_path) if case in MAKERS else None
    key, key2 = _record_keys(county)
    first, last = month_range()
    values = {"landing": county.landing, "warehouse": county.warehouse, "tmp": tmp_path,
              "made": made, "key": key, "key2": key2, "allowed": f"months {first} to {last}",
              "first_prev": first.previous(), "last": last, "last_next": last.next()}
    args = [a.format(**values) for a in argv]
    says = [s.format(**values) for s in says]
    capsys.readouterr()

    assert main(args) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert out == "" and "Traceback" not in err
    assert len(lines) == 1 and lines[0].startswith("sanji: error: "), err
    for piece in says:
        assert piece in lines[0], lines[0]
    assert not county_lib.find_full_ids(err)
    assert not (tmp_path / "typo.duckdb").exists()  # a mistyped warehouse is never created
    with DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_runs(RunsFilter()) == []  # nothing ran


def _sanji(argv: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([*county_lib.console_script("sanji", "assets.cli"), *argv],
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.slow
@pytest.mark.parametrize(("env", "argv", "says"), [
    ({"SANJI_COUNTIES": "/nonexistent/counties.yaml"}, ["run", "--month", "2026-10"],
     "no counties file at /nonexistent/counties.yaml"),
    # a county whose history starts in 2019: its months are allowed (the run stops at the
    # missing landing folder, after the month was accepted)
    ({"SANJI_FIRST_MONTH": "2019-07"}, ["run", "--month", "2019-07", "--landing", "/nonexistent"],
     "landing folder /nonexistent does not exist"),
    ({"SANJI_FIRST_MONTH": "2019-07"}, ["run", "--month", "2019-06", "--landing", "/nonexistent"],
     "months 2019-07 to"),
], ids=["bad-counties-file", "first-month-2019-accepted", "before-2019-refused"])
def test_errors_when_the_definitions_load_are_one_line_too(env, argv, says, tmp_path):
    done = _sanji(argv, DAGSTER_HOME=str(tmp_path), **env)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(lines) == 1 and lines[0].startswith("sanji: error: ")
    assert says in lines[0]



@pytest.mark.parametrize(("argv", "says"), [
    ([], "the following arguments are required"),
    (["run", "--bogus"], "unrecognized arguments: --bogus"),
    (["decide", "A", "B", "--link"], "required: --by"),
    (["decide", "A", "B", "--link", "--no-link", "--by", "x"], "not allowed with argument"),
    (["demo-data", "--people", "many"], "invalid int value: 'many'"),
    (["exchange"], "required: {export,import}"),
    (["province", "--month"], "expected one argument"),
], ids=["no-command", "unknown-option", "decide-without-by", "link-and-no-link",
        "people-not-a-number", "exchange-without-action", "month-without-value"])
def test_a_usage_error_is_one_line_with_where_to_read_more(argv, says, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert stopped.value.code == 2 and "Traceback" not in err
    assert len(lines) == 1 and says in lines[0] and lines[0].endswith("--help`"), err
