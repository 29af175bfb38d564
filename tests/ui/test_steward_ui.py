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
    # the rule is the same on every row: said once beside the preview, not in every row
    shows = metadata["preview_shows"]["text"]
    assert shows.startswith(f"{min(hits, 10)} of {hits} rows")
    assert {row.get("rule", rule) for row in preview} == {rule}
    assert hits == 1 or f"rule = {rule}" in shows
    assert {row["person_id"] for row in preview} <= people
    # The steward recognises people by name: each row names its person as the golden record does.
    names = [row.get("name") for row in preview]
    assert names == [person_names.get(row["person_id"]) for row in preview]
    assert any(names), "the preview names nobody"
    assert_no_full_id(page)
    page.set_viewport_size({"width": 1900, "height": 1000})  # the preview table is wide
    shoot(page, f"check-{rule}")


# --- the new morning: townships, a case, a decision, the next run -----------------------------

DOCS = HERE.parents[1] / "docs"
LAUNCHPAD = """ops:
  append_match_decision:
    config:
      record_key_a: {a}
      record_key_b: {b}
      decision: no_link
      decided_by: 王芳
      note: 出生日期和性别不同, 村医核实为两人
"""
WALK_VIEWPORT = {"width": 1400, "height": 1000}
SWITCH = "rect#bg"  # the on/off switch of a schedule or sensor on the Automation page
SWITCH_ON = "var(--color-checkbox-checked)"


def keep(page, name: str) -> None:
    """Screenshot into tests/ui/screenshots/ and, with SANJI_UPDATE_DOCS=1, into docs/."""
    path = shoot(page, name)
    if os.environ.get("SANJI_UPDATE_DOCS") == "1":
        shutil.copyfile(path, DOCS / f"steward-{name}.png")


def _warehouse(county, table: str) -> pl.DataFrame:
    from pipelines.warehouse import Warehouse

    return Warehouse.from_url(str(county.warehouse)).read(table, month=county.month)


def _open_metadata(page, url: str, key: str) -> dict[str, dict]:
    """Open an asset page and read its metadata once ``key`` shows."""
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.locator("td").filter(has_text=key).first).to_be_visible(timeout=30_000)
    return read_metadata(page.locator("body"))


def _automation_is_on(page, url: str) -> None:
    """Every schedule and sensor of the demo instance is running, without anyone starting it."""
    from playwright.sync_api import expect

    page.goto(f"{url}/automation")
    from assets.definitions import defs

    repo = defs.get_repository_def()
    switches = page.locator(SWITCH)
    expect(switches).to_have_count(len(repo.schedule_defs) + len(repo.sensor_defs),
                                   timeout=30_000)
    for switch in switches.all():
        expect(switch).to_have_attribute("fill", SWITCH_ON)


def _townships(page, url: str, county) -> None:
    """The township table: every township by name, its people and rates (cases when tracked)."""
    metadata = _open_metadata(page, f"{url}/assets/township_monthly", "by_township")
    rows = metadata["by_township"]["rows"]
    published = _warehouse(county, "township_monthly")
    assert {r["township_name"]: r["registered_total"] for r in rows} == {
        name: str(n) for name, n in published.select("township_name", "registered_total").rows()}
    assert {"contract_rate", "insured_rate"} <= set(rows[0])
    if "cases_open" in published.columns:  # cases tracked: the open ones per township
        assert {r["township_name"]: r["cases_open"] for r in rows} == {
            name: str(n) for name, n in published.select("township_name", "cases_open").rows()}
    assert_no_full_id(page)
    page.set_viewport_size({"width": 1600, "height": 1000})
    keep(page, "townships")
    page.set_viewport_size(WALK_VIEWPORT)


def _one_case(page, url: str, county) -> None:
    """The busiest rule's check: N of M rows, masked IDs, places by name; its history."""
    from playwright.sync_api import expect

    mismatch = _warehouse(county, "mismatch")
    rule, hits = mismatch.group_by("rule").len().sort(["len", "rule"], descending=True).row(0)
    page.goto(f"{url}/assets/mismatch?view=checks&checkDetail={rule}")
    box = page.get_by_text("Metadata", exact=True).locator("..")
    expect(box.get_by_text("preview_shows")).to_be_visible(timeout=30_000)
    metadata = read_metadata(box)
    assert metadata["preview_shows"]["text"].startswith(f"{min(hits, 10)} of {hits} rows")
    preview = metadata["preview"]["rows"]
    assert list(preview[0])[:4] == ["name", "id_number", "township_name", "village_name"]
    assert all(re.fullmatch(r"\d{6}\*{8}[\dX]{4}", r["id_number"]) for r in preview)
    places = set(_warehouse(county, "township_monthly")["township_name"])
    assert {r["township_name"] for r in preview} <= places
    assert_no_full_id(page)
    page.set_viewport_size({"width": 1600, "height": 1000})
    keep(page, "case")
    page.get_by_role("tab", name="Execution history").click()
    expect(page.get_by_text("Failed").first).to_be_visible()
    keep(page, "case-history")
    page.set_viewport_size(WALK_VIEWPORT)


def _the_pair(page, url: str, county) -> tuple[str, str]:
    """uncertain_match: both names, the explanation, then the key fields; the keys to decide."""
    from playwright.sync_api import expect

    metadata = _open_metadata(page, f"{url}/assets/uncertain_match", "preview_shows")
    published = _warehouse(county, "uncertain_match")
    assert metadata["rows"]["text"] == str(published.height) and published.height >= 1
    [pair] = metadata["preview"]["rows"][:1]
    assert list(pair)[:5] == ["name_l", "name_r", "explain", "id_masked_l", "id_masked_r"]
    first = published.row(0, named=True)
    assert (pair["name_l"], pair["name_r"]) == (first["name_l"], first["name_r"])
    assert "birth" in pair["explain"] and "sex different" in pair["explain"]
    assert_no_full_id(page)
    # the check's page gives the pair the whole width
    page.goto(f"{url}/assets/uncertain_match?view=checks&checkDetail=uncertain_awaiting_decision")
    box = page.get_by_text("Metadata", exact=True).locator("..")
    expect(box.get_by_text("preview_shows")).to_be_visible(timeout=30_000)
    assert read_metadata(box)["preview"]["rows"][:1] == [pair]
    page.set_viewport_size({"width": 1600, "height": 1000})
    keep(page, "uncertain")
    page.set_viewport_size(WALK_VIEWPORT)
    return pair["record_key_l"], pair["record_key_r"]


def _decide_in_the_launchpad(page, url: str, a: str, b: str) -> None:
    """Jobs → steward_decision → Launchpad: paste the decision, launch, see it succeed."""
    from playwright.sync_api import expect

    page.goto(f"{url}/jobs")
    page.get_by_role("link", name="steward_decision").first.click()
    page.get_by_role("tab", name="Launchpad").click()
    editor = page.locator(".CodeMirror").first
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(LAUNCHPAD.format(a=a, b=b))
    keep(page, "decision")
    page.get_by_role("button", name="Launch Run").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]+"), timeout=30_000)
    expect(page.get_by_text("Success", exact=True).first).to_be_visible(timeout=120_000)
    assert_no_full_id(page)


def _applied(page, url: str, county, a: str, b: str) -> None:
    """After the next run: the pair left the queue, the linker applied the decision."""
    metadata = _open_metadata(page, f"{url}/assets/uncertain_match", "preview_shows")
    assert metadata["rows"]["text"] == "0"
    assert metadata["preview_shows"]["text"] == "0 of 0 rows"
    keep(page, "applied")
    links = _open_metadata(page, f"{url}/assets/person_links", "decisions_applied")
    assert links["decisions_applied"]["text"] == "1"
    assert links["decisions_unresolved"]["text"] == "0"
    ids = dict(_warehouse(county, "person_id_map").select("record_key", "person_id").rows())
    assert ids[a] != ids[b]  # kept apart, as decided


def test_a_stewards_morning_from_townships_to_a_decision_applied(doubtful_page, doubtful_url,
                                                                 doubtful_county, next_run):
    """Townships, one case and its history, a pair decided in the Launchpad, the next run."""
    from pipelines.warehouse import Warehouse

    page, url, county = doubtful_page, doubtful_url, doubtful_county
    _automation_is_on(page, url)
    _townships(page, url, county)
    _one_case(page, url, county)
    a, b = _the_pair(page, url, county)
    _decide_in_the_launchpad(page, url, a, b)
    decided = Warehouse.from_url(str(county.warehouse)).read("match_decision")
    assert decided.select("record_key_l", "record_key_r", "decision", "decided_by").rows() == [
        (*sorted((a, b)), "no_link", "王芳")]
    next_run(county)  # the next nightly run: tonight's, or `sanji run` now
    _applied(page, url, county, a, b)
