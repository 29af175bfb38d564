"""The whole graph on a tiny county: published tables exist, every input row is accounted for."""

import re

import polars as pl

from assets.resources import drop_meta
from pipelines.fields import EXTRACTS, PUBLISHED_TABLES
from pipelines.read import landing_files, read_grids
from pipelines.warehouse import Warehouse

FULL_ID = re.compile(r"(?<![\d.])\d{17}[\dXx](?!\d)")
HASH = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")  # a data version, not an ID


def test_run_succeeds_and_publishes_the_tables(county):
    assert county.result.success
    tables = set(Warehouse.from_url(county.warehouse).tables())
    expected = set(PUBLISHED_TABLES) - {"exchange_diff"}
    assert expected <= tables, expected - tables


def test_every_input_row_is_a_source_row_or_quarantined(county):
    wh = Warehouse.from_url(county.warehouse)
    sources = wh.read("person_source", month="2026-10")
    quarantine = drop_meta(wh.read("quarantine"))
    accounting = county.result.asset_value("ingest_accounting")
    people = accounting.filter(pl.col("extract").is_in(list(EXTRACTS)))
    rejected = quarantine.join(people.select("source_file", "sheet"), on=["source_file", "sheet"])
    assert people["rows_read"].sum() > 0
    assert sources.height + rejected.select("source_file", "sheet", "row_number").unique().height \
        == people["rows_read"].sum()
    assert sources.select("source_file", "sheet", "row_number").is_duplicated().sum() == 0
    files = {p.name for p in landing_files(county.landing)}
    assert set(accounting["source_file"]) <= files
    assert len(read_grids(county.landing)) >= accounting.height


def test_checks_ran_and_rows_accounted_passed(county):
    evaluations = {e.check_name: e for e in county.result.get_asset_check_evaluations()}
    assert evaluations["rows_accounted"].passed
    assert evaluations["three_level_consistency"].passed
    assert "uncertain_awaiting_decision" in evaluations
    mismatch = Warehouse.from_url(county.warehouse).read("mismatch", month="2026-10")
    for rule in ("no_doctor_contract", "not_insured", "dead_but_active"):
        count = evaluations[rule].metadata["count"].value
        assert count == mismatch.filter(pl.col("rule") == rule).height
        assert evaluations[rule].passed == (count == 0)


def test_no_full_id_in_any_metadata(county):
    for event in county.result.all_events:
        text = HASH.sub("<hash>", repr(event.event_specific_data))
        assert not FULL_ID.search(text), event.event_type_value


def test_quarantine_metadata_counts_rows_by_file_and_reason(county):
    quarantine = county.result.asset_value("quarantine")
    materialisation = next(m for m in county.result.get_asset_materialization_events()
                           if m.asset_key.to_user_string() == "quarantine")
    table = materialisation.materialization.metadata["by_file_and_reason"].value
    shown = {(r.data["source_file"], r.data["sheet"], r.data["check"]): r.data["rows"]
             for r in table.records}
    expected = quarantine.group_by("source_file", "sheet", "check").len("rows")
    assert quarantine.height > 0
    assert shown == {(f, s, c): n for f, s, c, n in expected.iter_rows()}
