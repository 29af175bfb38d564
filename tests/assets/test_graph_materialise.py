"""The whole graph, as ``sanji run`` materialised it once for the session.

Published tables exist, every input row is accounted for, the checks ran, each intermediate
asset's county-month is its own parquet file, every published row carries its county, and the
run is recorded as the job ``nightly`` for the county-month partition.
"""

import polars as pl
from dagster import AssetKey, DagsterEventType, DagsterRunStatus, RunsFilter

from assets.definitions import defs
from assets.resources import drop_meta
from pipelines.domain.county import PUBLISHED_TABLES
from pipelines.domain.extracts import EXTRACTS
from pipelines.read import landing_files, read_grids
from pipelines.warehouse import Warehouse


def _nightly_run(instance):
    (run,) = instance.get_runs(RunsFilter(job_name="nightly"))
    return run


def _checks(instance, run_id) -> dict:
    events = instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    return {e.dagster_event.event_specific_data.check_name: e.dagster_event.event_specific_data
            for e in events}


def test_the_cli_run_is_the_nightly_job_and_publishes_the_tables(county):
    with county.instance() as instance:
        run = _nightly_run(instance)
        assert run.status == DagsterRunStatus.SUCCESS
        assert run.tags["sanji/trigger"] == "cli"
        assert run.tags["dagster/partition"] == f"{county.code}|{county.month}"
        assert run.tags["dagster/partition/county"] == county.code
        assert run.tags["dagster/partition/month"] == county.month
    store = Warehouse.from_url(county.warehouse)
    tables = set(store.tables())
    expected = set(PUBLISHED_TABLES) | {"person_id_map", "landing_snapshot"}
    assert expected <= tables, expected - tables
    for table in expected:  # the county code on every published row
        rows = store.read(table)
        assert set(rows["county"]) == ({county.code} if rows.height else set()), table
    # the arguments reached every resource: nothing was written where the environment pointed
    assert not (county.root / "decoy").exists()


def test_every_intermediate_asset_county_month_is_its_own_file(county):
    assets = defs.get_repository_def().assets_defs_by_key
    parquet = {key.path[-1] for key, asset in assets.items()
               if asset.get_io_manager_key_for_asset_key(key) == "io_manager"}
    parquet.remove("exchange_workbook")  # returns no frame: it writes the workbook to the outbox
    parquet.remove("township_worklist")  # likewise: one work list per township
    parquet.remove("publication")  # returns no frame: it publishes the run's staged tables
    assert {"person_records", "person_links", "region_table", *EXTRACTS} <= parquet
    frames = county.frames()
    stored = {p.relative_to(frames).as_posix() for p in frames.rglob("*.parquet")}
    state = f"link_state/{county.code}/{county.month}"  # the linker's kept state, beside them
    assert f"{state}/records.parquet" in stored
    assert (frames / state / "pairs.arrow").is_file() and (frames / state / "model.json").is_file()
    golden = f"golden_state/{county.code}/{county.month}"  # the golden record's kept state
    assert {f"{golden}/records.parquet", f"{golden}/person.parquet"} <= stored
    stored = {p for p in stored if not p.startswith(("link_state/", "golden_state/"))}
    # person_records is a folder of its extracts' files (``FrameParts``), not one file
    records = f"person_records/{county.code}/{county.month}.parquet"
    assert stored - {p for p in stored if p.startswith(records + "/")} == {
        f"{name}/{county.code}/{county.month}.parquet" for name in parquet}
    assert (frames / records).is_dir()


def test_every_input_row_is_a_source_row_or_quarantined(county):
    wh = Warehouse.from_url(county.warehouse)
    sources = wh.read("person_source", month=county.month)
    quarantine = drop_meta(wh.read("quarantine", month=county.month))
    accounting = county.parquet("ingest_accounting")
    people = accounting.filter(pl.col("extract").is_in(list(EXTRACTS)))
    rejected = quarantine.join(people.select("source_file", "sheet"), on=["source_file", "sheet"])
    assert people["rows_read"].sum() > 0
    assert sources.height + rejected.select("source_file", "sheet", "row_number").unique().height \
        == people["rows_read"].sum()
    assert sources.select("source_file", "sheet", "row_number").is_duplicated().sum() == 0
    files = {p.name for p in landing_files(county.landing)}
    assert set(accounting["source_file"]) <= files
    assert len(read_grids(county.landing)) >= accounting.height


def test_checks_ran_and_agree_with_the_published_mismatches(county):
    with county.instance() as instance:
        evaluations = _checks(instance, _nightly_run(instance).run_id)
    assert evaluations["rows_accounted"].passed
    assert evaluations["three_level_consistency"].passed
    assert "uncertain_awaiting_decision" in evaluations
    mismatch = Warehouse.from_url(county.warehouse).read("mismatch", month=county.month)
    for rule in ("no_doctor_contract", "not_insured", "dead_but_active"):
        count = evaluations[rule].metadata["count"].value
        assert count == mismatch.filter(pl.col("rule") == rule).height
        assert evaluations[rule].passed == (count == 0)


def test_quarantine_metadata_counts_rows_by_file_and_reason(county):
    quarantine = drop_meta(Warehouse.from_url(county.warehouse).read("quarantine",
                                                                     month=county.month))
    with county.instance() as instance:
        event = instance.get_latest_materialization_event(AssetKey("quarantine"))
    table = event.asset_materialization.metadata["by_file_and_reason"].value
    shown = {(r.data["source_file"], r.data["sheet"], r.data["check"]): r.data["rows"]
             for r in table.records}
    expected = quarantine.group_by("source_file", "sheet", "check").len("rows")
    assert quarantine.height > 0
    assert shown == {(f, s, c): n for f, s, c, n in expected.iter_rows()}
