"""Fixtures for the steward's browser tests: a materialised county, its Dagster UI, a browser.

The county is generated (``pipelines.demo``), run through ``sanji run`` into a temporary
DAGSTER_HOME, then ``dagster-webserver`` serves the repository's ``workspace.yaml`` over that
instance until the session ends. Chromium is Debian's (``/usr/bin/chromium``); the tests skip
when it is absent.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

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


def _helper():
    """Load ``materialised_county.py`` (beside this file) once, under a fixed module name."""
    name = "sanji_tests_materialised_county"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).with_name("materialised_county.py")
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


mc = _helper()


@pytest.fixture(scope="session")
def county(tmp_path_factory):
    """The session's materialised demo county (shared with the metadata-masking test)."""
    return mc.shared_county(tmp_path_factory)


@pytest.fixture(scope="session")
def dagster_url(county) -> Iterator[str]:
    """Base URL of a ``dagster-webserver`` serving the county's instance; stopped at the end."""
    with mc.dagster_webserver(county.env, county.root / "webserver.log") as url:
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
