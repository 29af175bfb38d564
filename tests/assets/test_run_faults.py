"""``sanji run`` killed, doubled and refused over a good publication, on DuckDB and PostgreSQL.

One tiny county (``tests/tiny_counties.py``) with a few leaking files beside its extracts (a
stray quote over rows holding IDs, a draft whose name is an ID). Per backend, as a user runs it:

1. a good run A publishes;
2. runs are SIGKILLed at several points (a table staged mid-graph, inside the publication
   transaction after a table was loaded, after everything was written but before the commit):
   after each, every table still belongs to run A alone and ``publication`` still says A;
3. while one run is paused holding the county's run lock, a second ``sanji run`` refuses at
   once with one line naming the holder's pid (exit 2);
4. tonight's death file is empty: the run exits 1 with the guard's line, tables still A
   (DuckDB only: the guard runs before the backend is written to);
5. with ``--allow-missing death`` the next run publishes: every table belongs to it, and the
   killed runs are recorded ``failed`` (abandoned), none left ``running``; each run, once it
   holds the lock, removed the stages of the runs killed or refused before it (never a live
   run's), so none is left;
6. nothing any run printed, nor the Dagster instance (SQLite files and event log, or the
   PostgreSQL event log), holds a full ID.

The pause points (``pipelines.faults``) make each kill land where it is meant to without any
timing: the run writes a file on reaching the point and waits there until the test kills it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
import sanji_tests_county as county_lib
import sanji_tests_stack as stack
import sanji_tests_tiny as tiny
from dagster import DagsterInstance

from pipelines.privacy import event_log_ids, find_ids, path_ids
from pipelines.warehouse import Warehouse, publications

MONTH = "2026-10"
CODE = "411421"  # the checkout's counties.yaml county
# Where runs are killed: mid-graph (a table staged), inside the publication transaction (a
# table loaded), after everything was written but before the commit. PostgreSQL, whose
# rollback on a dropped connection is the point there, skips the mid-graph kill (time).
KILL_AT = ("staged:person", "publish:loaded:person", "publish:recorded")
PG_KILL_AT = KILL_AT[1:]
SERVER = "postgresql://postgres@127.0.0.1:5432"
DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "dagster.yaml"
SAFETY_S = 300  # never reached: a bound so a broken run cannot hang the suite
OWN_TABLES = ("publication", "match_decision")


def _landing(folder: Path) -> list[str]:
    """The tiny county's extracts plus leaking files; returns the full IDs written."""
    people = tiny.people_of(CODE, 6)
    people[1] = replace(people[1], roles={"registered", "insured", "dead"})
    people[2] = replace(people[2], roles={"registered", "insured", "treated", "assisted"})
    tiny.write_county(folder, CODE, "清河县", MONTH, people)
    ids = [p.id_number for p in people]
    head = "参保人姓名,证件号,性别,出生年月日,乡镇,行政区划代码,参保状态,资助类别,参保年度"
    (folder / "医保局_参保补充.csv").write_text(
        f"{head}\n\"{people[0].name},{ids[0]},男,1950-01-01,城关镇,,参保缴费,,2026\n"
        f"{people[3].name},{ids[3]},女\n", encoding="utf-8")
    (folder / f"_草稿{ids[4]}.csv").write_text(f"{head}\n", encoding="utf-8")
    return ids


@dataclass
class Night:
    """One backend's county: folders, warehouse URL, Dagster home, and every run's output."""

    root: Path
    warehouse: str
    home: Path
    env: dict[str, str]
    said: list[str] = field(default_factory=list)

    def argv(self, *more: str) -> list[str]:
        r = self.root
        return [*county_lib.console_script("sanji", "assets.cli"), "run",
                "--landing", str(r / "landing"), "--warehouse", self.warehouse,
                "--storage", str(r / "storage"), "--archive", str(r / "archive"),
                "--outbox", str(r / "outbox"), "--inbox", str(r / "inbox"),
                "--month", MONTH, *more]

    def run(self, *more: str) -> subprocess.CompletedProcess:
        done = subprocess.run(self.argv(*more), cwd=self.root, env=self.env, text=True,
                              capture_output=True, timeout=SAFETY_S, check=False)
        self.said += [done.stdout, done.stderr]
        return done

    def paused(self, point: str, *more: str) -> tuple[subprocess.Popen, int]:
        """A run stopped at ``point``: the process and the pid it reported from there."""
        marker = self.root / f"paused-{uuid.uuid4().hex[:6]}"
        env = {**self.env, "SANJI_PAUSE_AT": point, "SANJI_PAUSE_FILE": str(marker)}
        proc = subprocess.Popen(self.argv(*more), cwd=self.root, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        bound = time.monotonic() + SAFETY_S
        while not marker.exists() and proc.poll() is None and time.monotonic() < bound:
            time.sleep(0.05)
        if not marker.exists():
            _, err = proc.communicate(timeout=SAFETY_S)
            pytest.fail(f"the run never reached {point} (exit {proc.returncode}): "
                        f"{county_lib.mask_full_id(err[-2000:])}")
        return proc, int(marker.read_text().split()[0])

    def kill(self, proc: subprocess.Popen) -> None:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=SAFETY_S)
        self.said += [out, err]
        assert proc.returncode == -signal.SIGKILL

    def stages(self) -> list[str]:
        """The runs with a stage of the county (``<storage>/_staging/<run>/<county>``)."""
        return sorted(p.parent.name for p in (self.root / "storage" / "_staging").glob(
            f"*/{CODE}"))

    def store(self) -> Warehouse:
        return Warehouse.from_url(self.warehouse)

    def run_ids(self) -> dict[str, set[str]]:
        """Per table with rows: the run ids its rows carry."""
        wh = self.store()
        return {t: set(wh.read(t)["run_id"].unique()) for t in wh.tables()
                if t not in OWN_TABLES and wh.read(t).height}


def _one_run(night: Night) -> str:
    """Every table belongs to one run, the last published: its id."""
    last = night.store().last_publication(CODE)
    tables = night.run_ids()
    assert {"person", "person_source", "mismatch", "county_monthly", "person_id_map"} <= set(
        tables)
    assert {t: ids for t, ids in tables.items() if ids != {last.run_id}} == {}
    return last.run_id


def _faults(night: Night, ids: list[str], kill_at: tuple[str, ...],
            empty_night: bool = True) -> None:
    """Steps 1-6 of the module, on one backend (step 4 only with ``empty_night``)."""
    first = night.run()
    assert first.returncode == 0, county_lib.mask_full_id(first.stderr[-2000:])
    good = _one_run(night)

    for point in kill_at:
        proc, pid = night.paused(point, "--wait", "60")
        # the run took the lock: the stage of the run killed before it is gone, its own is there
        assert len(night.stages()) == 1, night.stages()
        if point == kill_at[0]:  # a second run while this one holds the lock
            live = night.stages()
            second = night.run()
            lines = second.stderr.strip().splitlines()
            assert second.returncode == 2 and len(lines) == 1, second.stderr
            assert "busy" in lines[0] and f"pid {pid} " in lines[0], lines[0]
            assert night.stages() == live  # a live run's stage is never swept
        night.kill(proc)
        assert _one_run(night) == good, f"killed at {point}"

    (night.root / "landing" / "民政局_死亡火化信息.csv").write_bytes(b"")
    if empty_night:
        refused = night.run("--wait", "60")
        assert refused.returncode == 1
        assert "refusing to publish tonight" in refused.stderr and "death" in refused.stderr
        assert _one_run(night) == good

    last = night.run("--wait", "60", "--allow-missing", "death")
    assert last.returncode == 0, county_lib.mask_full_id(last.stderr[-2000:])
    assert _one_run(night) not in (good,)
    assert night.stages() == []  # the killed and refused runs' stages swept, its own published
    log = publications(night.store())
    statuses = dict(log.group_by("status").len().iter_rows())
    killed_publishing = sum(p.startswith("publish:") for p in kill_at)
    expected = {"published": 2, "refused": 1, "failed": killed_publishing}
    assert statuses == {k: v for k, v in expected.items() if v and (empty_night or k != "refused")}

    said = "\n".join(night.said)
    assert not [i for i in ids if i in said]
    assert find_ids(said) == []


def _scan_instance(night: Night, ids: list[str], runs: int) -> None:
    """No full ID in the Dagster instance: its event log, read through the instance, and the
    bytes of every file of its home (the SQLite run and event log storage, compute logs).

    The files are searched for the IDs the landing holds, in UTF-8 and UTF-16: a pattern scan
    of SQLite's binary pages finds 18-digit runs where adjacent numeric fields meet.
    """
    assert path_ids(night.home, suffixes=(".log", ".out", ".err", ".txt", ".json")) == []
    needles = [i.encode(c) for i in ids for c in ("utf-8", "utf-16-le")]
    files = [p for p in night.home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files)
    leaks = [str(p.relative_to(night.home)) for p in files
             if any(n in p.read_bytes() for n in needles)]
    assert leaks == []
    with DagsterInstance.from_config(str(night.home)) as instance:
        assert len(instance.get_runs()) >= runs
        assert event_log_ids(instance) == []


def _night(root: Path, warehouse: str, home: Path, env: dict[str, str]) -> Night:
    for name in ("outbox", "inbox"):
        (root / name).mkdir(parents=True, exist_ok=True)
    return Night(root, warehouse, home, {**county_lib.County.at(root, home).env(), **env,
                                         "DAGSTER_HOME": str(home)})


def test_duckdb_run_killed_doubled_refused(tmp_path: Path) -> None:
    ids = _landing(tmp_path / "landing")
    home = tmp_path / "home"
    county_lib.write_dagster_yaml(home)
    night = _night(tmp_path, str(tmp_path / "w.duckdb"), home, {})
    _faults(night, ids, KILL_AT)
    _scan_instance(night, ids, runs=3 + len(KILL_AT))


@pytest.fixture
def pg_databases(postgres_url: str) -> Iterator[dict[str, str]]:
    """A warehouse database and a Dagster instance database, unique, dropped afterwards."""
    token = uuid.uuid4().hex[:12]
    with stack.fresh_databases(postgres_url, warehouse=f"sanji_faults_wh_{token}",
                               instance=f"sanji_faults_dg_{token}") as names:
        yield names


@pytest.mark.postgres
def test_postgres_run_killed_doubled_refused(tmp_path: Path, pg_databases: dict[str, str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _landing(tmp_path / "landing")
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(DEPLOY.read_text(encoding="utf-8"), encoding="utf-8")
    dagster_pg = {"SANJI_DAGSTER_PG_HOST": "127.0.0.1", "SANJI_DAGSTER_PG_PORT": "5432",
                  "SANJI_DAGSTER_PG_USER": "postgres", "SANJI_DAGSTER_PG_PASSWORD": "",
                  "SANJI_DAGSTER_PG_DB": pg_databases["instance"]}
    for name, value in dagster_pg.items():
        monkeypatch.setenv(name, value)
    night = _night(tmp_path, f"{SERVER}/{pg_databases['warehouse']}", home, dagster_pg)
    _faults(night, ids, PG_KILL_AT, empty_night=False)  # the guard is the backend's same code
    with DagsterInstance.from_config(str(home)) as instance:
        assert len(instance.get_runs()) >= 2 + len(PG_KILL_AT)
        assert event_log_ids(instance) == []
