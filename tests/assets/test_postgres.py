"""One ``nightly`` run on PostgreSQL: its events in a PostgreSQL instance (``deploy/``), its
tables in a PostgreSQL warehouse, identical to what the shared county published into DuckDB.

Every database is created for this module under a unique name and dropped afterwards: other
engineers run the suite against the same server at the same time.
"""

import uuid
from pathlib import Path

import polars as pl
import pytest
import sanji_tests_stack as stack
import yaml
from dagster import DagsterInstance

from assets.definitions import defs
from pipelines.warehouse import Warehouse

pytestmark = pytest.mark.postgres
DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "dagster.yaml"
META = ("run_id", "published_at")
# What differs between two runs' publication rows whatever the backend: who, when, which id.
RUN_OWN = ("publication_id", "started_at", "finished_at", "host", "pid", "version",
           "base_version", "message")
SERVER = "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture(scope="module")
def databases(postgres_url):
    """Two fresh databases, ``sanji_dagster_<hex>`` and ``sanji_wh_<hex>``, dropped afterwards."""
    token = uuid.uuid4().hex[:12]
    with stack.fresh_databases(postgres_url, instance=f"sanji_dagster_{token}",
                               warehouse=f"sanji_wh_{token}") as names:
        yield names


@pytest.fixture(scope="module")
def pg_run(county, databases, tmp_path_factory):
    """The ``nightly`` job for the shared county's landing, all on PostgreSQL."""
    home = tmp_path_factory.mktemp("pg_home")
    (home / "dagster.yaml").write_text(DEPLOY.read_text(encoding="utf-8"), encoding="utf-8")
    env = {"HOST": "127.0.0.1", "PORT": "5432", "USER": "postgres", "PASSWORD": "",
           "DB": databases["instance"]}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(f"SANJI_DAGSTER_PG_{name}", value)
        instance = DagsterInstance.from_config(str(home))
        try:
            work = tmp_path_factory.mktemp("pg_work")
            warehouse = f"{SERVER}/{databases['warehouse']}"
            result = defs.resolve_job_def("nightly").execute_in_process(
                run_config=county.run_config(warehouse=warehouse, storage=work / "storage",
                                             outbox=work / "outbox"),
                partition_key=county.partition(), instance=instance)
            yield instance, result, warehouse
        finally:
            instance.dispose()


def test_deploy_config_is_postgres_queued_one_run_per_county():
    config = yaml.safe_load(DEPLOY.read_text(encoding="utf-8"))
    assert config["storage"]["postgres"]["postgres_db"]["scheme"] == "postgresql+psycopg2"
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    runs = config["concurrency"]["runs"]
    assert runs["max_concurrent_runs"] >= 2
    assert {"key": "dagster/partition/county", "value": {"applyLimitPerUniqueValue": True},
            "limit": 1} in runs["tag_concurrency_limits"]


def test_run_events_land_in_postgres(pg_run, databases):
    import psycopg

    instance, result, _ = pg_run
    assert result.success
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    with psycopg.connect(f"{SERVER}/{databases['instance']}") as con:
        (events,) = con.execute("SELECT count(*) FROM event_logs WHERE run_id = %s",
                                (result.run_id,)).fetchone()
        (job,) = con.execute("SELECT pipeline_name FROM runs WHERE run_id = %s",
                             (result.run_id,)).fetchone()
    assert job == "nightly" and events > 10
    assert instance.get_run_by_id(result.run_id).is_success


def _comparable(frame: pl.DataFrame, table: str = "") -> pl.DataFrame:
    """The frame without publishing stamps, columns by name, rows sorted by every column."""
    own = (*META, *RUN_OWN) if table == "publication" else META
    frame = frame.drop([c for c in own if c in frame.columns])
    frame = frame.select(sorted(frame.columns))
    return frame.sort(frame.columns, nulls_last=True)


def test_duckdb_and_postgres_publish_identical_tables(county, pg_run):
    duck, pg = Warehouse.from_url(county.warehouse), Warehouse.from_url(pg_run[2])
    assert duck.tables() == pg.tables()
    compared = {}
    for table in duck.tables():
        left, right = _comparable(duck.read(table), table), _comparable(pg.read(table), table)
        assert left.schema == right.schema, table
        assert left.equals(right), f"{table}: DuckDB and PostgreSQL differ"
        compared[table] = left.height
    expected = {"person_source", "person", "quarantine", "field_issue", "mismatch",
                "village_monthly", "township_monthly", "county_monthly"}
    assert expected <= set(compared)
    assert all(compared[t] > 0 for t in expected), compared
