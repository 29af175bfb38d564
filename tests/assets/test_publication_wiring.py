"""The run-level publication in the Dagster graph: staged tables, one publication step.

- ``publication`` is downstream of every county-month table the warehouse IO manager stores,
  and in the jobs that publish a county-month (``nightly``, ``rerun_month``);
- a ``nightly`` run whose last table fails publishes nothing: the previous run's tables stay
  whole, the failed run's frames are left staged and ``publication`` does not name it;
- the guard's settings are the asset's run config; a refused night publishes nothing;
- runs queue one per county in the local instance as in the deployment.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
import sanji_tests_tiny as tiny
import yaml
from dagster import AssetKey, DagsterInstance, Failure

from assets.definitions import defs
from assets.publication import publication_config, published_keys
from assets.resources import resource_config
from assets.runs import QUIET_DAGSTER_YAML
from assets.settings import partition
from pipelines.warehouse import Warehouse, publications

CODE, MONTH = "411421", "2026-10"
MAKEFILE = Path(__file__).resolve().parents[2] / "Makefile"


def test_publication_follows_every_published_table_in_the_publishing_jobs() -> None:
    node = defs.get_assets_def(AssetKey("publication"))
    inputs = {key.path[-1] for key in node.keys_by_input_name.values()}
    tables = set(published_keys(defs.get_repository_def().assets_defs_by_key.values()))
    assert {"person", "person_source", "mismatch", "county_monthly", "person_id_map",
            "uncertain_match", "quarantine", "landing_snapshot"} <= tables
    assert inputs == {*tables, "ingest_accounting"}
    for job in ("nightly", "rerun_month"):
        assert AssetKey("publication") in defs.resolve_job_def(
            job).asset_layer.selected_asset_keys


def test_the_local_instance_queues_one_run_per_county() -> None:
    limits = yaml.safe_load(QUIET_DAGSTER_YAML)["concurrency"]["runs"]["tag_concurrency_limits"]
    assert limits == [{"key": "dagster/partition/county",
                       "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]
    assert "key: dagster/partition/county" in MAKEFILE.read_text(encoding="utf-8")


def _nightly(root: Path, instance: DagsterInstance, **publication):
    config = resource_config(landing=root / "landing", warehouse=root / "w.duckdb",
                             storage=root / "storage", archive=root / "archive",
                             outbox=root / "outbox", inbox=root / "inbox", today="2026-11-20",
                             settle_seconds=0)
    return defs.resolve_job_def("nightly").execute_in_process(
        run_config={**config, **publication_config(**publication)}, instance=instance,
        partition_key=partition(CODE, MONTH), raise_on_error=False)


def _run_ids(wh: Warehouse) -> set[str]:
    return {r for t in wh.tables() if t != "publication" for r in wh.read(t)["run_id"]}


def test_a_run_failing_midway_or_refused_publishes_nothing(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    people = tiny.people_of(CODE, 5)
    people[1] = replace(people[1], roles={"registered", "insured", "dead"})
    tiny.write_county(tmp_path / "landing", CODE, "清河县", MONTH, people)
    instance = DagsterInstance.ephemeral()
    good = _nightly(tmp_path, instance)
    assert good.success
    wh = Warehouse.from_url(tmp_path / "w.duckdb")
    assert _run_ids(wh) == {good.run_id}
    person = wh.read("person")

    import pipelines.rollup

    def broken(*_, **__):
        raise Failure("county roll-up broke", allow_retries=False)

    with monkeypatch.context() as patch:
        patch.setattr(pipelines.rollup, "rollup_county", broken)
        failed = _nightly(tmp_path, instance)
    assert not failed.success
    assert _run_ids(wh) == {good.run_id}
    assert wh.read("person").equals(person)
    staged = tmp_path / "storage" / "_staging" / failed.run_id
    assert (staged / CODE / MONTH / "person.parquet").is_file()  # staged, never published
    assert set(publications(wh)["run_id"]) == {good.run_id}

    (tmp_path / "landing" / "民政局_死亡火化信息.csv").write_bytes(b"")
    refused = _nightly(tmp_path, instance, max_drop=0.9)
    assert not refused.success
    assert _run_ids(wh) == {good.run_id}
    log = publications(wh).filter(pl.col("run_id") == refused.run_id)
    assert log["status"].to_list() == ["refused"] and "death" in log["message"][0]

    allowed = _nightly(tmp_path, instance, allow_missing=["death"])
    assert allowed.success
    assert _run_ids(wh) == {allowed.run_id}
    assert not (tmp_path / "storage" / "_staging" / allowed.run_id).exists()
