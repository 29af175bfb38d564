"""Fixtures for the steward's browser tests: the shared county's Dagster UI, a browser.

The county is the session's one materialised county (``tests/conftest.py``: ``sanji run`` into
a temporary DAGSTER_HOME); ``dagster-webserver`` serves the repository's ``workspace.yaml`` over
that instance until the session ends. Chromium is Debian's (``/usr/bin/chromium``); the tests
skip when it is absent.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import sanji_tests_county as county_lib

REPO_ROOT = county_lib.REPO_ROOT
SERVER_TIMEOUT_S = 90
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1400, "height": 1000}
NUX_TITLE = "Join the Dagster community"


def _tail(path: Path, lines: int = 40) -> str:
    """The last lines of a log file, masked, for an error message."""
    if not path.exists():
        return "(no log)"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    return county_lib.mask_full_id("\n".join(text))


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
        *county_lib.console_script("dagster-webserver", "dagster_webserver"),
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


@pytest.fixture(scope="session")
def dagster_url(county, tmp_path_factory) -> Iterator[str]:
    """Base URL of a ``dagster-webserver`` serving the county's instance; stopped at the end.

    Each test process serves its own copy of the instance: the UI writes to DAGSTER_HOME
    (the first-visit dialog's dismissal), and the shared county is read-only.
    """
    home = tmp_path_factory.mktemp("ui") / "dagster_home"
    shutil.copytree(county.dagster_home, home)
    env = {**county.env(), "DAGSTER_HOME": str(home)}
    with dagster_webserver(env, home.parent / "webserver.log") as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (skips when Chromium is absent)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium to run the UI tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def dismiss_community_dialog(page) -> None:
    """Click *Skip* on the first-visit "Join the Dagster community" dialog and see it go.

    Args:
        page: A page of a fresh instance's UI (the dialog shows until someone dismisses it).
    """
    from playwright.sync_api import expect

    dialog = page.get_by_role("dialog").filter(has_text=NUX_TITLE)
    expect(dialog).to_be_visible(timeout=30_000)
    dialog.get_by_role("button", name="Skip").click()
    expect(dialog).to_be_hidden()


def steward_context(browser, url: str):
    """Open a browser context on the UI and dismiss the first-visit dialog once.

    Dagster remembers the dismissal in DAGSTER_HOME, so later pages open without it.

    Args:
        browser: The Playwright browser.
        url: The webserver's base URL.

    Returns:
        The browser context (Chinese locale, Asia/Shanghai time).
    """
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{url}/overview")
    dismiss_community_dialog(page)
    page.close()
    return context


@pytest.fixture(scope="session")
def ui_context(browser, dagster_url):
    """The steward's browser context, the community dialog already dismissed."""
    context = steward_context(browser, dagster_url)
    yield context
    context.close()


@pytest.fixture
def page(ui_context):
    """A fresh tab in the steward's browser context."""
    tab = ui_context.new_page()
    yield tab
    tab.close()
