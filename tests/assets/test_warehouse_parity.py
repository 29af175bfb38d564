"""The same run published into DuckDB and into PostgreSQL gives the same tables."""

import secrets

import polars as pl
import pytest
from dagster import DagsterInstance

from assets.cli import graph_resources, run_graph
from pipelines.warehouse import Warehouse

pytestmark = pytest.mark.postgres
MONTH = "2026-10"
TODAY = "2026-11-20"
META = ("run_id", "published_at")




@pytest.fixture
def pg_url(postgres_url):
    """A fresh database ``sanji_parity_<random>``, dropped afterwards."""
    import psycopg

    name = f"sanji_parity_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _comparable(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame without publishing stamps, columns by name, rows sorted by every column."""
    frame = frame.drop([c for c in META if c in frame.columns])
    frame = frame.select(sorted(frame.columns))
    return frame.sort(frame.columns, nulls_last=True)


def test_duckdb_and_postgres_publish_identical_tables(county, tmp_path, pg_url):
    resources = graph_resources(str(county.landing), pg_url, str(tmp_path / "storage"),
                                str(tmp_path / "outbox"), str(tmp_path / "inbox"),
                                today=TODAY, settle_seconds=0)
    run_graph(resources, MONTH, dagster_instance=DagsterInstance.ephemeral())
    duck, pg = Warehouse.from_url(county.warehouse), Warehouse.from_url(pg_url)

    assert duck.tables() == pg.tables()
    compared = {}
    for table in duck.tables():
        left, right = _comparable(duck.read(table)), _comparable(pg.read(table))
        assert left.schema == right.schema, table
        assert left.equals(right), f"{table}: DuckDB and PostgreSQL differ"
        compared[table] = left.height
    expected = {"person_source", "person", "quarantine", "field_issue", "mismatch",
                "village_monthly", "township_monthly", "county_monthly"}
    assert expected <= set(compared)
    assert all(compared[t] > 0 for t in expected), compared
