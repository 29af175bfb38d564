"""Warehouses on both backends, and publishing runs in their own processes (``Worker``)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.warehouse import Warehouse

sys.path.insert(0, str(Path(__file__).parent))
from publication_workers import Worker


@pytest.fixture
def duck(tmp_path: Path) -> Warehouse:
    return Warehouse.from_url(f"duckdb://{tmp_path / 'wh.duckdb'}")


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Warehouse]:
    wh = Warehouse.from_url(postgres_url, schema=f"sanji_pub_{uuid.uuid4().hex[:10]}")
    yield wh
    wh.drop_schema()


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def wh(request: pytest.FixtureRequest) -> Warehouse:
    return request.getfixturevalue("duck" if request.param == "duckdb" else "pg")


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    """Workers started by a test are killed at its end if still running."""
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()
