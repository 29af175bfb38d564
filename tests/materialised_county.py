"""The demo county, run ONCE per test session through ``sanji run``, shared by every Dagster test.

``tests/conftest.py`` loads this module by path under the fixed name ``sanji_tests_county``
(pytest runs with ``--import-mode=importlib``). :func:`shared_county` generates a county and
runs ``sanji run`` (the CLI, as a user does) in a subprocess into a temporary DAGSTER_HOME.
Under ``pytest -n 2`` the first worker to ask builds it under a file lock in the session's
shared temporary folder; the others wait for that lock and reuse the result.

Nothing here depends on where the repository is cloned: the root is derived from this file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PEOPLE = 500
SEED = 20261025
MONTH = "2026-10"
COUNTY = "411421"  # the demo county of the checkout's counties.yaml
TODAY = "2026-11-20"  # the clock the in-process runs pin: past the 5 November filing day
RUN_TIMEOUT_S = 300

# Full resident IDs: 18 characters (17 digits and a digit or X), and the old 15-digit form
# (region, YYMMDD birth date, 3-digit sequence). Bounded so longer digit runs (nanosecond
# timestamps, float fractions) and hex hashes do not count.
FULL_ID_18 = re.compile(r"(?<![0-9A-Za-z.])\d{17}[\dXx](?![0-9A-Za-z])")
FULL_ID_15 = re.compile(
    r"(?<![0-9A-Za-z.])[1-8]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![0-9A-Za-z])"
)

DAGSTER_YAML = """\
telemetry:
  enabled: false
run_monitoring:
  enabled: false
run_retries:
  enabled: false
"""


def mask_full_id(text: str) -> str:
    """Mask every full ID in ``text`` like ``410103********123X`` (for assertion messages)."""
    text = FULL_ID_18.sub(lambda m: m.group()[:6] + "*" * 8 + m.group()[-4:], text)
    return FULL_ID_15.sub(lambda m: m.group()[:6] + "*" * 9, text)


def find_full_ids(text: str) -> list[str]:
    """The unmasked resident IDs (18-character or old 15-digit) in ``text``, masked for printing."""
    found = [m.group() for m in FULL_ID_18.finditer(text)]
    found += [m.group() for m in FULL_ID_15.finditer(text)]
    return [mask_full_id(f) for f in found]


def write_dagster_yaml(home: Path) -> Path:
    """Write a quiet ``dagster.yaml`` (no telemetry, no run monitoring) into ``home``."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "dagster.yaml"
    path.write_text(DAGSTER_YAML, encoding="utf-8")
    return path


def console_script(name: str, module: str) -> list[str]:
    """The command for a console script of this interpreter's environment (else ``-m``)."""
    script = Path(sys.executable).with_name(name)
    return [str(script)] if script.exists() else [sys.executable, "-m", module]


@dataclass(frozen=True)
class County:
    """A generated county that ``sanji run`` materialised for :data:`MONTH`.

    Attributes:
        root: the folder holding everything below.
        landing: the departments' extracts.
        warehouse: the DuckDB warehouse file.
        storage: the intermediate parquet files (``<asset>/<county>/<month>.parquet``).
        archive: the landing files each month read, by content hash.
        outbox: the exchange outbox (the month's workbook is there).
        inbox: the exchange inbox (empty).
        dagster_home: the instance holding the run's events.
        month: the month run.
    """

    root: Path
    landing: Path
    warehouse: Path
    storage: Path
    archive: Path
    outbox: Path
    inbox: Path
    dagster_home: Path
    month: str = MONTH
    code: str = COUNTY

    @classmethod
    def at(cls, root: Path, dagster_home: Path | None = None) -> County:
        """The county laid out under ``root`` (see :func:`materialise`)."""
        return cls(root, root / "county" / "landing", root / "w.duckdb", root / "storage",
                   root / "archive", root / "outbox", root / "inbox",
                   dagster_home or root / "home")

    @property
    def stdout(self) -> str:
        """What ``sanji run`` printed on stdout (the summary)."""
        return (self.root / "run.out").read_text(encoding="utf-8")

    @property
    def stderr(self) -> str:
        """What ``sanji run`` printed on stderr (the progress lines)."""
        return (self.root / "run.err").read_text(encoding="utf-8")

    def env(self) -> dict[str, str]:
        """Environment for a process that must see this county's instance and folders."""
        return {**os.environ, "DAGSTER_HOME": str(self.dagster_home),
                "SANJI_LANDING": str(self.landing), "SANJI_WAREHOUSE": str(self.warehouse),
                "SANJI_STORAGE": str(self.storage), "SANJI_ARCHIVE": str(self.archive),
                "SANJI_OUTBOX": str(self.outbox),
                "SANJI_INBOX": str(self.inbox), "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": os.pathsep.join(p for p in (str(REPO_ROOT),
                                                          os.environ.get("PYTHONPATH")) if p)}

    def run_config(self, **overrides) -> dict:
        """Run config pointing every resource at this county (clock pinned to :data:`TODAY`).

        Args:
            overrides: fields of :func:`assets.resources.resource_config` to set otherwise.
        """
        from assets.resources import resource_config

        fields = {"landing": self.landing, "warehouse": self.warehouse, "storage": self.storage,
                  "archive": self.archive, "outbox": self.outbox, "inbox": self.inbox,
                  "today": TODAY, "settle_seconds": 0}
        return resource_config(**{**fields, **overrides})

    def copy(self, dest: Path) -> County:
        """A private copy (folders and warehouse, not the instance) for a test that writes."""
        for name in ("county", "storage", "archive", "outbox", "w.duckdb"):
            source = self.root / name
            if source.is_dir():
                shutil.copytree(source, dest / name)
            else:
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest / name)
        (dest / "inbox").mkdir()
        return County.at(dest, dest / "home")

    def frames(self, month: str | None = None) -> Path:
        """The folder of the intermediate frames of the run that published the county-month."""
        from assets.io_managers import PolarsParquetIOManager
        from assets.resources import WarehouseResource

        io = PolarsParquetIOManager(base_dir=str(self.storage),
                                    warehouse=WarehouseResource(url=str(self.warehouse)))
        run = io.published_run(self.code, month or self.month)
        assert run is not None, f"county-month {month or self.month} never published"
        return io.run_folder(run)

    def parquet(self, asset: str, month: str | None = None, run_id: str | None = None):
        """An intermediate asset's county-month as the published run (or ``run_id``) stored it."""
        from assets.io_managers import RUNS_FOLDER
        from pipelines.warehouse.staging import read_frame

        month = month or self.month
        folder = self.storage / RUNS_FOLDER / run_id if run_id else self.frames(month)
        return read_frame(folder / asset / self.code / f"{month}.parquet")

    def partition(self, month: str | None = None):
        """The county-month partition key of this county (``411421|2026-10``)."""
        from assets.settings import partition

        return partition(self.code, month or self.month)

    @contextlib.contextmanager
    def instance(self) -> Iterator:
        """The county's Dagster instance (read it, do not run in it)."""
        from dagster import DagsterInstance

        with DagsterInstance.from_config(str(self.dagster_home)) as opened:
            yield opened


def _run_sanji(county: County) -> None:
    """``sanji run`` over the county, its resources given as arguments, never by environment.

    The environment's ``SANJI_*`` point at decoys inside ``root/decoy``: the run must write
    nothing there (the arguments reach every resource, the warehouse IO manager included).
    """
    decoy = county.root / "decoy"
    env = {**county.env(), **{name: str(decoy / name.lower()) for name in (
        "SANJI_LANDING", "SANJI_WAREHOUSE", "SANJI_STORAGE", "SANJI_OUTBOX", "SANJI_INBOX",
        "SANJI_ARCHIVE")}}
    argv = [*console_script("sanji", "assets.cli"), "run", "--landing", str(county.landing),
            "--warehouse", str(county.warehouse), "--storage", str(county.storage),
            "--archive", str(county.archive), "--outbox", str(county.outbox),
            "--inbox", str(county.inbox), "--month", MONTH]
    with (county.root / "run.out").open("w") as out, (county.root / "run.err").open("w") as err:
        done = subprocess.run(argv, cwd=county.root, env=env, stdout=out, stderr=err,
                              timeout=RUN_TIMEOUT_S, check=False)
    if done.returncode != 0:
        tail = mask_full_id(county.stderr[-3000:])
        msg = f"`sanji run` exited {done.returncode}:\n{tail}"
        raise RuntimeError(msg)


def materialise(root: Path) -> County:
    """Generate the county under ``root`` and materialise :data:`MONTH` with ``sanji run``."""
    from pipelines.demo import generate_county

    generate_county(PEOPLE, SEED, root / "county")
    county = County.at(root)
    write_dagster_yaml(county.dagster_home)
    county.inbox.mkdir()
    _run_sanji(county)
    return county


def shared_county(tmp_path_factory) -> County:
    """The session's county: built by the first process that asks, reused by all the others.

    Args:
        tmp_path_factory: pytest's session temp-path factory.

    Returns:
        The county; a build that failed is not retried (its error is raised again).
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root = shared / "sanji-county"
    done, failed = root / "county.json", root / "failed.txt"
    with (shared / "sanji-county.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists() and not failed.exists():
            root.mkdir(exist_ok=True)
            try:
                county = materialise(root)
            except Exception as exc:
                failed.write_text(mask_full_id(str(exc)), encoding="utf-8")
                raise
            done.write_text(json.dumps({k: str(v) for k, v in asdict(county).items()}))
    if failed.exists():
        raise RuntimeError(failed.read_text(encoding="utf-8"))
    return County.at(root)
