"""A small demo county, run through ``sanji run`` into its own DAGSTER_HOME, and the Dagster UI.

Shared by the browser tests in ``tests/ui/`` and by ``tests/assets/test_metadata_masking.py``.
pytest runs with ``--import-mode=importlib``, so the test files load this module by path and
register it once under the fixed name ``sanji_tests_materialised_county``: both then share one
materialised county per session (:func:`shared_county`).

Nothing here depends on where the repository is cloned: the root is derived from this file.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PEOPLE = 500
SEED = 20261025
MONTH = "2026-10"
RUN_TIMEOUT_S = 150
SERVER_TIMEOUT_S = 90

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


@dataclass(frozen=True)
class MaterialisedCounty:
    """A generated county that ``sanji run`` has materialised.

    Attributes:
        root: Temporary folder holding everything below.
        landing: The landing folder the departments' extracts were written to.
        warehouse: The DuckDB warehouse file the published tables went to.
        dagster_home: DAGSTER_HOME holding the run's event log (materialisations, checks).
        env: Environment for any process that must see the same instance and resources.
        month: The reporting month that was run (``YYYY-MM``).
    """

    root: Path
    landing: Path
    warehouse: Path
    dagster_home: Path
    env: dict[str, str]
    month: str


def mask_full_id(text: str) -> str:
    """Mask every full ID in ``text`` like ``410103********123X`` (for assertion messages).

    Args:
        text: Any text.

    Returns:
        The text with each 18-character ID masked and each 15-digit ID reduced to its region.
    """
    text = FULL_ID_18.sub(lambda m: m.group()[:6] + "*" * 8 + m.group()[-4:], text)
    return FULL_ID_15.sub(lambda m: m.group()[:6] + "*" * 9, text)


def find_full_ids(text: str) -> list[str]:
    """Find unmasked resident IDs (18-character or old 15-digit) in ``text``.

    Args:
        text: Any text, e.g. a serialised event or a rendered page.

    Returns:
        The IDs found, each masked so that the caller can print them safely.
    """
    found = [m.group() for m in FULL_ID_18.finditer(text)]
    found += [m.group() for m in FULL_ID_15.finditer(text)]
    return [mask_full_id(f) for f in found]


def write_dagster_yaml(home: Path) -> Path:
    """Write a quiet ``dagster.yaml`` (no telemetry, no run monitoring) into ``home``.

    Args:
        home: The DAGSTER_HOME folder (created if missing).

    Returns:
        The path written.
    """
    home.mkdir(parents=True, exist_ok=True)
    path = home / "dagster.yaml"
    path.write_text(DAGSTER_YAML, encoding="utf-8")
    return path


def county_env(dagster_home: Path, landing: Path, warehouse: Path) -> dict[str, str]:
    """Build the environment for ``sanji run`` and the webserver.

    Args:
        dagster_home: The instance folder.
        landing: The landing folder the assets' ``landing`` resource reads.
        warehouse: The DuckDB file the ``warehouse`` resource writes.

    Returns:
        A copy of ``os.environ`` with DAGSTER_HOME and the SANJI_* variables that
        ``assets/resources.py`` reads (landing, warehouse, parquet storage, exchange folders),
        all inside the temporary folder so nothing is written into the checkout.
    """
    env = dict(os.environ)
    env.update(
        {
            "DAGSTER_HOME": str(dagster_home),
            "SANJI_LANDING": str(landing),
            "SANJI_WAREHOUSE": str(warehouse),
            "SANJI_STORAGE": str(dagster_home.parent / "parquet"),
            "SANJI_OUTBOX": str(dagster_home.parent / "outbox"),
            "SANJI_INBOX": str(dagster_home.parent / "inbox"),
            # This checkout's packages first, whichever checkout the .venv was installed from.
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
            ),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def console_script(name: str, module: str) -> list[str]:
    """Return the command for a console script of this interpreter's environment.

    Args:
        name: The script's name (``sanji``, ``dagster-webserver``).
        module: A module runnable with ``python -m`` doing the same, used when no script exists.

    Returns:
        The argv prefix.
    """
    script = Path(sys.executable).with_name(name)
    return [str(script)] if script.exists() else [sys.executable, "-m", module]


def _tail(path: Path, lines: int = 40) -> str:
    """Return the last lines of a log file, masked, for an error message."""
    if not path.exists():
        return "(no log)"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    return mask_full_id("\n".join(text))


def generate_landing(root: Path, people: int, seed: int) -> Path:
    """Generate the demo county with ``pipelines.demo.generate_county`` under ``root``.

    Args:
        root: Output folder (``root/landing`` and ``root/truth`` are written).
        people: Number of people in the county.
        seed: Generator seed.

    Returns:
        The landing folder.
    """
    from pipelines.demo import generate_county  # imported late: the generator is optional here

    generate_county(people, seed, root)
    landing = root / "landing"
    if not any(landing.iterdir()):
        msg = f"generate_county wrote nothing into {landing}"
        raise RuntimeError(msg)
    return landing


def run_sanji(landing: Path, warehouse: Path, month: str, env: dict[str, str], log: Path) -> None:
    """Run ``sanji run`` as a subprocess, materialising the whole graph into DAGSTER_HOME.

    Args:
        landing: The landing folder.
        warehouse: The DuckDB warehouse path.
        month: Reporting month ``YYYY-MM``.
        env: Environment from :func:`county_env`.
        log: File receiving the command's stdout and stderr.

    Raises:
        RuntimeError: When the command fails or times out, with the tail of its log.
    """
    argv = [
        *console_script("sanji", "assets.cli"),
        "run",
        "--landing",
        str(landing),
        "--warehouse",
        str(warehouse),
        "--month",
        month,
    ]
    with log.open("w", encoding="utf-8") as out:
        try:
            done = subprocess.run(
                argv,
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=RUN_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            msg = f"`sanji run` took over {RUN_TIMEOUT_S}s; log {log}:\n{_tail(log)}"
            raise RuntimeError(msg) from exc
    if done.returncode != 0:
        msg = f"`sanji run` exited {done.returncode}; log {log}:\n{_tail(log)}"
        raise RuntimeError(msg)


def materialise_county(
    root: Path, people: int = PEOPLE, seed: int = SEED, month: str = MONTH
) -> MaterialisedCounty:
    """Generate a county under ``root`` and materialise it with ``sanji run``.

    Args:
        root: An empty temporary folder.
        people: Number of people in the county.
        seed: Generator seed.
        month: Reporting month ``YYYY-MM``.

    Returns:
        The materialised county.
    """
    landing = generate_landing(root / "county", people, seed)
    home = root / "dagster_home"
    write_dagster_yaml(home)
    warehouse = root / "w.duckdb"
    env = county_env(home, landing, warehouse)
    run_sanji(landing, warehouse, month, env, root / "sanji-run.log")
    return MaterialisedCounty(root, landing, warehouse, home, env, month)


_SHARED: dict[str, MaterialisedCounty] = {}


def shared_county(tmp_path_factory) -> MaterialisedCounty:
    """Return the session's materialised county, building it on first use.

    Args:
        tmp_path_factory: pytest's session temp-path factory.

    Returns:
        The one county shared by every test of this process.
    """
    if "county" not in _SHARED:
        _SHARED["county"] = materialise_county(tmp_path_factory.mktemp("steward"))
    return _SHARED["county"]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_server(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    """Poll ``url/server_info`` until it answers, the process dies, or ``timeout`` passes.

    Args:
        url: Base URL of the webserver.
        proc: The webserver process.
        log: Its log file (quoted on failure).
        timeout: Seconds to wait at most.

    Raises:
        RuntimeError: When the server exits or does not answer in time.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            msg = f"dagster-webserver exited {proc.returncode}; log {log}:\n{_tail(log)}"
            raise RuntimeError(msg)
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/server_info", timeout=2) as answer,
        ):
            if answer.status == 200:
                return
        time.sleep(0.5)
    msg = f"dagster-webserver did not answer {url}/server_info in {timeout}s; log:\n{_tail(log)}"
    raise RuntimeError(msg)


def stop_process_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """Terminate a process started in its own session, and all its children.

    Args:
        proc: A process started with ``start_new_session=True``.
        grace: Seconds between SIGTERM and SIGKILL.
    """
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    # Children (the code server) may outlive the leader briefly: make sure the group is gone.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def dagster_webserver(
    env: dict[str, str],
    log: Path,
    workspace: Path = REPO_ROOT / "workspace.yaml",
    cwd: Path = REPO_ROOT,
    timeout: float = SERVER_TIMEOUT_S,
) -> Iterator[str]:
    """Run ``dagster-webserver`` on a free port for the duration of the block.

    Args:
        env: Environment (DAGSTER_HOME and the resources' variables).
        log: File receiving the server's output.
        workspace: The workspace file to load.
        cwd: Working directory (the workspace's module must import from there).
        timeout: Seconds to wait for the server to answer.

    Yields:
        The server's base URL, e.g. ``http://127.0.0.1:41234``.
    """
    port = free_port()
    argv = [
        *console_script("dagster-webserver", "dagster_webserver"),
        "-w",
        str(workspace),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_server(url, proc, log, timeout)
        yield url
    finally:
        stop_process_group(proc)
