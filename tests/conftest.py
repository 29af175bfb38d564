"""Suite-wide settings.

Tests that need PostgreSQL (marker ``postgres``), Chromium (marker ``ui``) or LibreOffice and
pdftotext (marker ``libreoffice``) skip with a reason when the service is missing on a developer's
machine. CI sets ``SANJI_REQUIRE_SERVICES=1``: there a
skipped service test is a failure, so a server that did not start can never pass as green.
"""

import os

import pytest

SERVICE_MARKERS = ("postgres", "ui", "libreoffice")


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


TEST_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


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
