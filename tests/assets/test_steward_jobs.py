"""Steward jobs: a decision sticks on the next run; a past month re-runs alone."""

import polars as pl
from dagster import DagsterInstance

from assets.cli import run_graph
from assets.definitions import defs
from pipelines.link.decisions import DECISION_TABLE
from pipelines.warehouse import Warehouse


def _job(name, county, **kwargs):
    return defs.get_job_def(name).execute_in_process(
        instance=DagsterInstance.ephemeral(), resources=county.resources, **kwargs)


def test_decision_job_appends_and_next_run_applies_it(county_copy):
    links = county_copy.result.asset_value("person_links")
    pairs = county_copy.result.asset_value("match_pairs").filter(pl.col("status") == "linked")
    pair = pairs.row(0, named=True)
    key = dict(zip(links["record_id"], links["record_key"], strict=True))
    a, b = key[pair["record_id_l"]], key[pair["record_id_r"]]
    config = {"ops": {"append_match_decision": {"config": {
        "record_key_a": a, "record_key_b": b, "decision": "no_link",
        "decided_by": "王芳", "note": "不同人"}}}}
    assert _job("record_match_decision", county_copy, run_config=config).success
    stored = Warehouse.from_url(county_copy.warehouse).read(DECISION_TABLE)
    assert stored.select("record_key_l", "record_key_r", "decision").rows() == [
        (*sorted((a, b)), "no_link")]

    result = run_graph(county_copy.resources, "2026-10",
                       dagster_instance=DagsterInstance.ephemeral())
    after = result.asset_value("person_links")
    ids = dict(zip(after["record_key"], after["person_id"], strict=True))
    assert ids[a] != ids[b]
    decided = result.asset_value("match_pairs").filter(
        pl.col("record_id_l").is_in([pair["record_id_l"], pair["record_id_r"]])
        & pl.col("record_id_r").is_in([pair["record_id_l"], pair["record_id_r"]]))
    assert decided["status"].to_list() == ["decided_no_link"]


def test_rerun_of_a_past_month_leaves_other_months(county_copy):
    wh = Warehouse.from_url(county_copy.warehouse)
    before = {t: wh.read(t, month="2026-10") for t in ("person", "mismatch", "county_monthly")}
    assert _job("rerun_month", county_copy, partition_key="2026-09").success
    for table, frame in before.items():
        assert wh.read(table, month="2026-10").equals(frame), table
        september = wh.read(table, month="2026-09")
        assert september.height > 0
        assert set(september["run_id"]) != set(frame["run_id"])
