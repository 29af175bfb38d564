"""A throwaway many-machines stack for one test: the deployment of ``deploy/``, on one host.

PostgreSQL instance (``deploy/dagster.yaml``: run queue, one run per county), a gRPC code server
of ``assets.definitions``, the daemon and Celery workers on RabbitMQ, each a subprocess in its
own process group. Everything gets a unique name (databases, Celery queue, folders) and is
removed by :meth:`Stack.stop`: the PostgreSQL server and the broker are shared with other
engineers. ``tests/conftest.py`` loads this module as ``sanji_tests_stack``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
BROKER_ROOT = os.environ.get("SANJI_TEST_BROKER", "pyamqp://guest:guest@127.0.0.1:5672")
LOCATION = "sanji"


def broker_reachable(timeout: float = 2.0) -> str | None:
    """None when the test broker answers, else why not."""
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=timeout):
            return None
    except OSError as exc:
        return f"RabbitMQ at 127.0.0.1:5672 not reachable: {exc}"


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def fresh_databases(server_url: str, **names: str):
    """Create the databases ``names`` (role -> name) on the shared server, drop them after.

    Args:
        server_url: a URL of a database on the server to connect through (e.g. ``.../test``).
        names: role -> database name (unique: the server is shared with other engineers).

    Yields:
        ``names``.
    """
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as con:
        for name in names.values():
            con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield names
    finally:
        with psycopg.connect(server_url, autocommit=True) as con:
            for name in names.values():
                con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Stack:
    """The stack's names, folders and processes (see the module docstring).

    Attributes:
        root: a fresh folder for the stack's files and logs.
        uid: the unique suffix of every name.
        procs: name -> process.
    """

    root: Path
    uid: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    port: int = field(default_factory=free_port)

    @property
    def instance_db(self) -> str:
        return f"sanji_dg_{self.uid}"

    @property
    def warehouse_db(self) -> str:
        return f"sanji_wh_{self.uid}"

    @property
    def warehouse_url(self) -> str:
        return f"{PG_SERVER}/{self.warehouse_db}"

    @property
    def queue(self) -> str:
        return f"sanji-{self.uid}"

    @property
    def broker(self) -> str:
        return f"{BROKER_ROOT}//"

    @property
    def home(self) -> Path:
        return self.root / "dagster_home"

    def env(self, counties: Path) -> dict[str, str]:
        """What every process of the deployment needs (the instance's and the assets')."""
        return {
            "DAGSTER_HOME": str(self.home), "SANJI_COUNTIES": str(counties),
            "SANJI_STORAGE": str(self.root / "shared" / "storage"),
            "SANJI_ARCHIVE": str(self.root / "shared" / "archive"),
            "SANJI_EXECUTOR": "celery", "SANJI_CELERY_BROKER": self.broker,
            "SANJI_CELERY_QUEUE": self.queue, "SANJI_CELERY_RESULT_EXPIRES": "60",
            "SANJI_AUTOMATION": "off", "SANJI_DEADLINE_WARN_DAYS": "3",
            "SANJI_DAGSTER_PG_HOST": "127.0.0.1", "SANJI_DAGSTER_PG_PORT": "5432",
            "SANJI_DAGSTER_PG_USER": "postgres", "SANJI_DAGSTER_PG_PASSWORD": "",
            "SANJI_DAGSTER_PG_DB": self.instance_db, "PYTHONUNBUFFERED": "1",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }

    def create_databases(self) -> None:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/test", autocommit=True) as con:
            for name in (self.instance_db, self.warehouse_db):
                con.execute(f'CREATE DATABASE "{name}"')

    def drop_databases(self) -> None:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/test", autocommit=True) as con:
            for name in (self.instance_db, self.warehouse_db):
                con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def write_config(self, dequeue_seconds: int = 1) -> None:
        """``deploy/dagster.yaml`` as deployed (a faster queue) and a workspace on the port."""
        self.home.mkdir(parents=True, exist_ok=True)
        config = yaml.safe_load((REPO_ROOT / "deploy" / "dagster.yaml").read_text("utf-8"))
        config["run_coordinator"]["config"]["dequeue_interval_seconds"] = dequeue_seconds
        (self.home / "dagster.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
        (self.root / "workspace.yaml").write_text(yaml.safe_dump({"load_from": [{
            "grpc_server": {"host": "127.0.0.1", "port": self.port,
                            "location_name": LOCATION}}]}), encoding="utf-8")

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> None:
        """Start a process in its own group, output to ``<root>/<name>.log``."""
        log = (self.root / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            args, cwd=REPO_ROOT, env={**os.environ, **env}, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)

    def start(self, env: dict[str, str], workers: tuple[str, ...]) -> None:
        """The code server and the Celery workers (the daemon waits for the code server)."""
        self.spawn("code_server", [str(BIN / "dagster"), "api", "grpc", "-m",
                                   "assets.definitions", "-h", "127.0.0.1", "-p",
                                   str(self.port), "--location-name", LOCATION], env)
        for worker in workers:
            self.spawn(worker, [str(BIN / "celery"), "-A", "dagster_celery.app", "-b",
                                self.broker, "worker", "-Q", self.queue,
                                "-n", f"{worker}-{self.uid}@%h", "-l", "INFO",
                                "--concurrency=1", "--prefetch-multiplier=1",
                                "--without-gossip", "--without-mingle", "--without-heartbeat"],
                       env)

    def start_daemon(self, env: dict[str, str]) -> None:
        self.spawn("daemon", [str(BIN / "dagster-daemon"), "run", "-w",
                              str(self.root / "workspace.yaml")], env)

    def wait_code_server(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=0.5):
                return
            self.check_alive()
            time.sleep(0.2)
        raise TimeoutError(self.tail("code_server"))

    def wait_workers(self, workers: tuple[str, ...], timeout: float) -> None:
        """Until every worker answers a ping on the broker."""
        from celery import Celery

        wanted = {f"{w}-{self.uid}@{socket.gethostname()}" for w in workers}
        app = Celery(broker=self.broker)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                replies = app.control.ping(destination=sorted(wanted), timeout=0.5) or []
                if wanted <= {name for reply in replies for name in reply}:
                    return
                self.check_alive()
        finally:
            app.close()
        raise TimeoutError(f"workers not ready: {sorted(wanted)}")

    def wait_daemon(self, instance, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "QUEUED_RUN_COORDINATOR" in instance.get_daemon_heartbeats():
                return
            self.check_alive()
            time.sleep(0.3)
        raise TimeoutError(self.tail("daemon"))

    def tail(self, name: str, chars: int = 3000) -> str:
        path = self.root / f"{name}.log"
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        return f"--- {name}.log ---\n{text[-chars:]}"

    def check_alive(self) -> None:
        """Raise with the log's tail when a process of the stack has died."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                msg = f"{name} exited with {proc.returncode}\n{self.tail(name)}"
                raise RuntimeError(msg)

    def stop(self, grace: float = 2.0) -> None:
        """Terminate every process group (children included), then kill what is left."""
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def delete_queue(self) -> None:
        """Delete the Celery queue and its exchange (both outlive the workers otherwise)."""
        from kombu import Connection

        with Connection(self.broker, connect_timeout=5) as conn:
            channel = conn.channel()
            with contextlib.suppress(Exception):
                channel.queue_delete(self.queue)
            with contextlib.suppress(Exception):
                channel.exchange_delete(self.queue)


def submit(ctx, job_name: str, partition_key: str, tags: dict[str, str],
           assets: set[str] | None = None) -> str:
    """Queue a run of a job for a partition (optionally a subset of its assets), as the UI does.

    Args:
        ctx: a ``WorkspaceRequestContext`` on the stack's code server.
        job_name: the job.
        partition_key: ``411421|2026-10`` or ``2026-10``.
        tags: the partition's tags (``job.get_tags_for_partition_key``).
        assets: asset names to run, or None for the whole job.

    Returns:
        The run id (the run is QUEUED; the daemon starts it).
    """
    from dagster import AssetKey
    from dagster._core.definitions.selector import JobSubsetSelector

    location = ctx.get_code_location(LOCATION)
    (repo,) = location.get_repositories().values()
    selection = frozenset(AssetKey(a) for a in assets) if assets else None
    remote_job = location.get_job(JobSubsetSelector(
        location_name=LOCATION, repository_name=repo.name, job_name=job_name,
        op_selection=None, asset_selection=selection))
    plan = location.get_execution_plan(remote_job, {}, step_keys_to_execute=None,
                                       known_state=None, instance=ctx.instance)
    run = ctx.instance.create_run(
        job_name=job_name, run_id=None, run_config={}, resolved_op_selection=None,
        step_keys_to_execute=None, op_selection=None, status=None, root_run_id=None,
        parent_run_id=None, tags={**remote_job.tags, **tags},
        job_snapshot=remote_job.job_snapshot,
        execution_plan_snapshot=plan.execution_plan_snapshot,
        parent_job_snapshot=remote_job.parent_job_snapshot,
        remote_job_origin=remote_job.get_remote_origin(),
        job_code_origin=remote_job.get_python_origin(), asset_selection=selection,
        asset_check_selection=None, asset_graph=repo.asset_graph)
    ctx.instance.submit_run(run.run_id, ctx)
    return run.run_id
