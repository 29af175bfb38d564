"""Steward jobs on a copy of the shared county: a decision sticks on the next link; a month
re-publishes from its own stored inputs and leaves the other months alone."""

import shutil

import polars as pl
from dagster import AssetKey, DagsterInstance

from assets.definitions import defs
from assets.jobs import decision_config
from pipelines.link.decisions import DECISION_TABLE
from pipelines.warehouse import Warehouse

LINK_OUTPUTS = [AssetKey(k) for k in ("person_links", "match_pairs", "uncertain_match",
                                       "person_id_map")]


def _job(name, county, **kwargs):
    return defs.resolve_job_def(name).execute_in_process(
        instance=DagsterInstance.ephemeral(), raise_on_error=False, **kwargs)


def test_decision_job_appends_and_the_next_link_applies_it(county_copy):
    links = county_copy.parquet("person_links")
    pairs = county_copy.parquet("match_pairs").filter(pl.col("status") == "linked")
    pair = pairs.row(0, named=True)
    key = dict(zip(links["record_id"], links["record_key"], strict=True))
    a, b = key[pair["record_id_l"]], key[pair["record_id_r"]]
    config = {**county_copy.run_config(), **decision_config(a, b, "no_link", "王芳", "不同人")}
    assert _job("steward_decision", county_copy, run_config=config).success
    stored = Warehouse.from_url(county_copy.warehouse).read(DECISION_TABLE)
    assert stored.select("record_key_l", "record_key_r", "decision").rows() == [
        (*sorted((a, b)), "no_link")]

    relinked = _job("nightly", county_copy, run_config=county_copy.run_config(),
                    partition_key=county_copy.month, asset_selection=LINK_OUTPUTS)
    assert relinked.success
    after = county_copy.parquet("person_links")
    ids = dict(zip(after["record_key"], after["person_id"], strict=True))
    assert ids[a] != ids[b]
    decided = county_copy.parquet("match_pairs").filter(
        pl.col("record_id_l").is_in([pair["record_id_l"], pair["record_id_r"]])
        & pl.col("record_id_r").is_in([pair["record_id_l"], pair["record_id_r"]]))
    assert decided["status"].to_list() == ["decided_no_link"]
    # everyone else keeps the person id the first run gave them
    before = dict(zip(links["record_key"], links["person_id"], strict=True))
    kept = [k for k in before if k not in (a, b)]
    assert sum(before[k] == ids[k] for k in kept) >= len(kept) - 1


def test_rerun_month_publishes_from_that_months_own_inputs(county_copy):
    september = "2026-09"
    for folder in county_copy.storage.iterdir():  # September's inputs: a copy of October's
        shutil.copy(folder / f"{county_copy.month}.parquet", folder / f"{september}.parquet")
    wh = Warehouse.from_url(county_copy.warehouse)
    before = {t: wh.read(t, month=county_copy.month)
              for t in ("person", "mismatch", "county_monthly")}
    result = _job("rerun_month", county_copy, run_config=county_copy.run_config(),
                  partition_key=september)
    assert result.success
    for table, frame in before.items():
        assert wh.read(table, month=county_copy.month).equals(frame), table
        published = wh.read(table, month=september)
        assert published.height > 0
        assert set(published["run_id"]) == {result.run_id}
    assert set(wh.read("county_monthly", month=september)["month"]) == {september}


def test_rerun_of_a_month_never_run_names_what_is_missing(county_copy):
    result = _job("rerun_month", county_copy, run_config=county_copy.run_config(),
                  partition_key="2026-08")
    assert not result.success
    errors = [e.step_failure_data.error for e in result.all_events if e.is_step_failure]
    text = " ".join(f"{e.message} {e.cause.message if e.cause else ''}" for e in errors)
    assert "no stored month 2026-08" in text and "`nightly`" in text
