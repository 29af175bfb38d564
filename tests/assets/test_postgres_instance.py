"""The definitions run against a Dagster instance stored in the real PostgreSQL."""

from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance

from assets.ingest import ingest
from assets.link import link, person_records
from assets.publish import person

pytestmark = pytest.mark.postgres
DB = "sanji_dagster_test"
DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "dagster.yaml"




@pytest.fixture
def pg_instance(tmp_path, monkeypatch, postgres_url):
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        con.execute(f"CREATE DATABASE {DB}")
    for name, value in {"HOST": "127.0.0.1", "PORT": "5432", "USER": "postgres",
                        "PASSWORD": "", "DB": DB}.items():
        monkeypatch.setenv(f"SANJI_DAGSTER_PG_{name}", value)
    (tmp_path / "dagster.yaml").write_text(DEPLOY.read_text(encoding="utf-8"), encoding="utf-8")
    instance = DagsterInstance.from_config(str(tmp_path))
    try:
        yield instance
    finally:
        instance.dispose()
        with psycopg.connect(postgres_url, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


def test_deploy_config_is_postgres_and_queued():
    config = yaml.safe_load(DEPLOY.read_text(encoding="utf-8"))
    assert "postgres" in config["storage"]
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["run_coordinator"]["config"]["max_concurrent_runs"] >= 1


def test_run_events_land_in_postgres(pg_instance, county_copy):
    import psycopg

    from assets.cli import run_graph

    result = run_graph(county_copy.resources, "2026-10", dagster_instance=pg_instance,
                       selection=[ingest, person_records, link, person])
    assert result.success
    assert type(pg_instance.run_storage).__name__ == "PostgresRunStorage"
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{DB}") as con:
        (events,) = con.execute("SELECT count(*) FROM event_logs WHERE run_id = %s",
                                (result.run_id,)).fetchone()
        (runs,) = con.execute("SELECT count(*) FROM runs WHERE run_id = %s",
                              (result.run_id,)).fetchone()
    assert runs == 1 and events > 10
    assert pg_instance.get_run_by_id(result.run_id).is_success
