"""A steward's morning in the Dagster UI, driven in headless Chromium.

The county was materialised by ``sanji run`` (the session's shared county, see
``tests/conftest.py``); the steward opens the ``mismatch`` asset, reads how many people each rule
caught, then opens a rule's check, which must show as a failed *warning* with its description,
its count and the people it names. What the page shows is compared with what was published to
the warehouse.

Screenshots go to ``tests/ui/screenshots/``; with ``SANJI_UPDATE_DOCS=1`` the mismatch page is
also copied to ``docs/steward-mismatch.png`` for ``docs/steward.md``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import polars as pl
import pytest
import sanji_tests_county as county_lib

pytestmark = [pytest.mark.ui, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE / "screenshots"
DOCS_SHOT = HERE.parents[1] / "docs" / "steward-mismatch.png"
WARNING_ICON = "warning_outline"  # the icon Dagster puts on a failed WARN-severity check
CHECK_ROW = "[class*='checkRow']"  # one row per check in an asset's Checks tab

# Reads every "key → value" row of the metadata tables under ``root`` (tables not nested in
# another table); a value holding a table preview is read as a list of {column: text} rows.
READ_METADATA_JS = """
(root) => {
  const readTable = (t) => {
    const heads = Array.from(t.querySelectorAll(':scope > thead th')).map(h => h.innerText.trim());
    return Array.from(t.querySelectorAll(':scope > tbody > tr')).map(r => Object.fromEntries(
      Array.from(r.querySelectorAll(':scope > td')).map((d, i) => [heads[i], d.innerText.trim()])));
  };
  const entries = {};
  for (const table of root.querySelectorAll('table')) {
    if (table.parentElement.closest('table')) continue;
    for (const row of table.querySelectorAll(':scope > tbody > tr')) {
      const cells = row.querySelectorAll(':scope > td');
      if (cells.length < 2) continue;
      const value = cells[cells.length - 1];
      entries[cells[0].innerText.trim()] = {
        text: value.innerText.trim(),
        rows: Array.from(value.querySelectorAll('table')).flatMap(readTable),
      };
    }
  }
  return entries;
}
"""


def read_metadata(locator) -> dict[str, dict]:
    """Read the metadata entries rendered under a locator.

    Args:
        locator: A Playwright locator for the element holding the metadata table(s).

    Returns:
        ``{key: {"text": value text, "rows": [{column: text}, ...]}}``.
    """
    return locator.evaluate(READ_METADATA_JS)


def shoot(page, name: str) -> Path:
    """Save a screenshot of the page into ``tests/ui/screenshots/``.

    Args:
        page: The Playwright page.
        name: File stem.

    Returns:
        The PNG written.
    """
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_no_full_id(page) -> None:
    """Fail when the rendered page shows an unmasked resident ID."""
    assert county_lib.find_full_ids(page.inner_text("body")) == []


@pytest.fixture(scope="module")
def published_mismatch(county) -> pl.DataFrame:
    """The month's ``mismatch`` table as published to the warehouse."""
    from pipelines.warehouse import Warehouse

    frame = Warehouse.from_url(str(county.warehouse)).read("mismatch", month=county.month)
    assert frame.height > 0, "the demo county published no mismatch: nothing for a steward"
    return frame


@pytest.fixture(scope="module")
def person_names(county) -> dict[str, str]:
    """person_id → name in the month's published golden ``person`` table."""
    from pipelines.warehouse import Warehouse

    person = Warehouse.from_url(str(county.warehouse)).read("person", month=county.month)
    return dict(person.select("person_id", "name").iter_rows())


def rule_counts(mismatch: pl.DataFrame) -> dict[str, str]:
    """Rows per rule, as the text the UI shows."""
    return {rule: str(n) for rule, n in mismatch.group_by("rule").len().iter_rows()}


def test_steward_sees_mismatch_counts_by_rule(page, dagster_url, published_mismatch):
    """The mismatch asset shows the month's row count and the count per rule, as published."""
    from playwright.sync_api import expect

    page.goto(f"{dagster_url}/assets/mismatch")
    by_rule_cell = page.locator("td").filter(has_text="by_rule").first
    expect(by_rule_cell).to_be_visible(timeout=30_000)
    metadata = read_metadata(page.locator("body"))

    assert metadata["rows"]["text"] == str(published_mismatch.height)
    shown = {row["rule"]: row["rows"] for row in metadata["by_rule"]["rows"]}
    assert shown == rule_counts(published_mismatch)
    assert_no_full_id(page)
    path = shoot(page, "mismatch")
    if os.environ.get("SANJI_UPDATE_DOCS") == "1":
        shutil.copyfile(path, DOCS_SHOT)


def test_steward_sees_failed_warning_check_with_people(
    page, dagster_url, published_mismatch, person_names
):
    """Each rule's check is Failed exactly when it caught someone; the busiest one, opened, is a
    failed warning with its description, its count and people from the published table."""
    from playwright.sync_api import expect

    from assets.publish import mismatch

    counts = published_mismatch.group_by("rule").len().sort(["len", "rule"], descending=True)
    rule, hits = counts.row(0)
    spec = next(s for s in mismatch.check_specs if s.name == rule)
    people = set(published_mismatch.filter(pl.col("rule") == rule)["person_id"].to_list())

    page.goto(f"{dagster_url}/assets/mismatch?view=checks")
    check_rows = page.locator(CHECK_ROW)
    expect(check_rows).to_have_count(len(mismatch.check_specs), timeout=30_000)
    # A long name is middle-truncated on screen; its title holds it whole. Status comes last.
    statuses = {
        row.locator("[title]").first.get_attribute("title"): row.inner_text().split("\n")[-1]
        for row in check_rows.all()
    }
    published = rule_counts(published_mismatch)
    assert statuses == {
        s.name: "Failed" if s.name in published else "Succeeded" for s in mismatch.check_specs
    }
    check_rows.filter(has=page.locator(f'[title="{rule}"]')).click()
    expect(page).to_have_url(re.compile(rf"checkDetail={rule}\b"))
    result = page.get_by_text("Evaluation result", exact=True).locator("..")
    expect(result).to_contain_text("Failed", timeout=30_000)
    expect(result.get_by_role("img", name=WARNING_ICON)).to_be_visible()
    expect(page.get_by_text(spec.description, exact=True)).to_be_visible()
    metadata = read_metadata(page.get_by_text("Metadata", exact=True).locator(".."))

    assert metadata["count"]["text"] == str(hits)
    preview = metadata["preview"]["rows"]
    assert preview, "the check shows no preview row"
    assert {row["rule"] for row in preview} == {rule}
    assert {row["person_id"] for row in preview} <= people
    # The steward recognises people by name: each row names its person as the golden record does.
    names = [row.get("name") for row in preview]
    assert names == [person_names.get(row["person_id"]) for row in preview]
    assert any(names), "the preview names nobody"
    assert_no_full_id(page)
    page.set_viewport_size({"width": 1900, "height": 1000})  # the preview table is wide
    shoot(page, f"check-{rule}")
