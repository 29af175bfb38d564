"""Suite-wide settings and the one materialised county every Dagster-layer test shares.

Tests that need PostgreSQL (marker ``postgres``), Chromium (marker ``ui``) or LibreOffice and
pdftotext (marker ``libreoffice``) skip with a reason when the service is missing on a developer's
machine. CI sets ``SANJI_REQUIRE_SERVICES=1``: there a
skipped service test is a failure, so a server that did not start can never pass as green.

Every test runs with ``DAGSTER_HOME`` and the ``SANJI_*`` folders pointed into the session's
temporary folder, so a test that forgets to configure a run can never write into the checkout.
"""

import importlib.util
import os
import sys
from pathlib import Path

import pytest

SERVICE_MARKERS = ("postgres", "ui", "libreoffice", "rabbitmq")
TEST_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def _load(name: str, path: Path):
    """Load a helper module beside this file once, under a fixed name (importlib mode)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


county_lib = _load("sanji_tests_county", Path(__file__).with_name("materialised_county.py"))
tiny_lib = _load("sanji_tests_tiny", Path(__file__).with_name("tiny_counties.py"))
stack_lib = _load("sanji_tests_stack", Path(__file__).with_name("stack.py"))
worklist_lib = _load("sanji_tests_worklist", Path(__file__).with_name("filled_worklist.py"))
nights_lib = _load("sanji_tests_nights", Path(__file__).with_name("night_changes.py"))
# benchmarks/ is not an installed package: its evaluation helpers are loaded from their path
link_eval_lib = _load("sanji_link_eval", Path(__file__).parents[1] / "benchmarks" / "link_eval.py")


def services_required() -> bool:
    return os.environ.get("SANJI_REQUIRE_SERVICES") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    outcome = yield
    report = outcome.get_result()
    needs_service = any(item.get_closest_marker(m) for m in SERVICE_MARKERS)
    if report.skipped and needs_service and services_required():
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"SANJI_REQUIRE_SERVICES=1 but the service is missing: {reason}"


@pytest.fixture(scope="session", autouse=True)
def _nothing_written_into_the_checkout(tmp_path_factory):
    """Point DAGSTER_HOME and every SANJI_* folder at an empty temporary place."""
    nowhere = tmp_path_factory.mktemp("unconfigured")
    county_lib.write_dagster_yaml(nowhere / "dagster_home")
    values = {"DAGSTER_HOME": str(nowhere / "dagster_home"),
              **{name: str(nowhere / name.lower()) for name in (
                  "SANJI_LANDING", "SANJI_WAREHOUSE", "SANJI_STORAGE", "SANJI_OUTBOX",
                  "SANJI_INBOX", "SANJI_ARCHIVE")}}
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test PostgreSQL's URL (trust auth, database ``test``); skips with why when it is down."""
    import psycopg

    try:
        with psycopg.connect(TEST_POSTGRES, connect_timeout=3) as con:
            con.execute("SELECT 1")
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL at {TEST_POSTGRES} not reachable: {type(exc).__name__}: {exc}")
    return TEST_POSTGRES


@pytest.fixture(scope="session")
def county(tmp_path_factory):
    """The demo county, materialised once per session by ``sanji run`` (read it, do not write)."""
    return county_lib.shared_county(tmp_path_factory)


@pytest.fixture(scope="session")
def foreign_landing(tmp_path_factory) -> Path:
    """A foreign county (``benchmarks/foreign_county``, 2,500 residents) generated once per
    session: its landing folder (read it, copy it to change it)."""
    return nights_lib.generate_foreign(tmp_path_factory.mktemp("foreign_county"))


@pytest.fixture
def county_copy(county, tmp_path):
    """A private copy of the county's folders and warehouse, for a test that writes."""
    return county.copy(tmp_path / "county")
