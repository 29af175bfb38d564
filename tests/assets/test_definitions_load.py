"""The one Definitions: they load, every county asset is county x month and every province asset
monthly, the lineage shows the steward loop, resources come from EnvVar."""

import itertools
import subprocess
import sys
from pathlib import Path

import yaml
from dagster import AssetKey, DagsterInstance, Definitions

from assets.definitions import defs
from assets.settings import counties, county_month, monthly
from pipelines.domain.months import Month
from pipelines.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]
JOBS = {"nightly", "rerun_month", "steward_decision", "case_answer", "illness_exchange_export",
        "worklist_export", "worklist_import",
        "illness_exchange_import", "province"}
PROVINCE = {"cross_county_person", "cross_county_mismatch", "province_monthly"}


def test_definitions_validate_and_hold_every_group_and_job():
    Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    groups = {a.group_names_by_key[k] for a in repo.assets_defs_by_key.values() for k in a.keys}
    assert groups == {"ingest", "link", "publish", "exchange", "province"}
    assert {j.name for j in repo.get_all_jobs()} - {"__ASSET_JOB"} == JOBS
    assert {s.name: s.job_name for s in repo.schedule_defs} == {
        "nightly": "nightly", "monthly_export": "illness_exchange_export"}
    assert {s.name: s.job_name for s in repo.sensor_defs} == {
        "landing_sensor": "nightly", "inbox_sensor": "illness_exchange_import",
        "province_sensor": "province", "worklist_sensor": "worklist_import"}


def test_a_county_month_is_one_partition_of_the_whole_county_graph():
    graph = defs.resolve_asset_graph()
    by_key = {key.path[-1]: graph.get(key).partitions_def for key in graph.get_all_asset_keys()}
    assert {name for name, p in by_key.items() if p == monthly} == PROVINCE
    assert by_key.pop("match_decision") == counties  # the county's decisions, every month
    assert {p for name, p in by_key.items() if name not in PROVINCE} == {county_month}
    assert counties.get_partition_keys() == ["411421"]  # the checkout's counties.yaml
    keys = monthly.get_partition_keys()
    assert keys[-1] == str(Month.current())
    assert all(Month.parse(b) == Month.parse(a).next() for a, b in itertools.pairwise(keys))
    assert keys[0] == "2024-01"  # first_month of counties.yaml: a county reports 2024
    assert county_month.get_partition_keys()[-1] == f"411421|{keys[-1]}"


def test_the_lineage_shows_the_decisions_and_the_previous_ids_feeding_link():
    graph = defs.resolve_asset_graph()
    link_parents = graph.get(AssetKey("person_links")).parent_keys
    assert {AssetKey("match_decision"), AssetKey("person_id_map"),
            AssetKey("landing_snapshot")} <= link_parents
    assert AssetKey("landing_snapshot") in graph.get(AssetKey("enrolment")).parent_keys
    province_parents = graph.get(AssetKey("cross_county_person")).parent_keys
    assert province_parents == {AssetKey("person"), AssetKey("person_source")}


LAUNCHPAD = """
ops:
  append_match_decision:
    config:
      record_key_a: {b}
      record_key_b: {a}
      decision: no_link
      decided_by: 王芳
      note: 不同人
"""


def _launchpad(a: str, b: str):
    return defs.resolve_job_def("steward_decision").execute_in_process(
        run_config=yaml.safe_load(LAUNCHPAD.format(a=a, b=b)),
        instance=DagsterInstance.ephemeral(), raise_on_error=False)


def test_a_launchpad_run_takes_its_resources_from_the_environment(county_copy, monkeypatch):
    """The steward's Launchpad run: op config only, the warehouse from SANJI_WAREHOUSE."""
    monkeypatch.setenv("SANJI_WAREHOUSE", str(county_copy.warehouse))
    first, second = sorted(county_copy.parquet("person_links")["record_key"][:2])
    assert _launchpad(first, second).success
    row = Warehouse.from_url(county_copy.warehouse).read("match_decision").row(0, named=True)
    assert (row["record_key_l"], row["record_key_r"], row["decision"], row["decided_by"]) == (
        first, second, "no_link", "王芳")


def _failure(result) -> str:
    [failed] = [e for e in result.all_events if e.is_step_failure]
    return failed.step_failure_data.user_failure_data.description


def test_a_launchpad_decision_on_no_record_or_no_warehouse_records_nothing(county_copy, tmp_path,
                                                                          monkeypatch):
    monkeypatch.setenv("SANJI_WAREHOUSE", str(county_copy.warehouse))
    key = county_copy.parquet("person_links")["record_key"][0]
    refused = _launchpad(key, "K_TYPO")
    assert not refused.success and "K_TYPO: no record of" in _failure(refused)
    assert not Warehouse.from_url(county_copy.warehouse).has_table("match_decision")
    typo = tmp_path / "typo.duckdb"
    monkeypatch.setenv("SANJI_WAREHOUSE", str(typo))
    refused = _launchpad(key, "K_TYPO")
    assert not refused.success and "no warehouse at" in _failure(refused)
    assert not typo.exists()


def test_dagster_cli_validates_the_workspace():
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate",
         "-w", "workspace.yaml"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
