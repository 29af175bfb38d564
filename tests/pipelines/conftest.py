"""Generated demo counties shared by the engine's end-to-end tests, one per seed per worker.

Generating, ingesting and linking a county takes seconds; the demo, ingest and planted-mismatch
tests all read the same few counties through ``demo_county(seed)``, and each stage runs only
when a test first asks for it. The county itself is ``demo_fixtures.DemoCounty``.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from demo_fixtures import DEMO_PEOPLE, DemoCounty

from pipelines.warehouse import Warehouse


@pytest.fixture(scope="session")
def demo_county(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], DemoCounty]:
    """``demo_county(seed)``: the shared ``DEMO_PEOPLE`` county of that seed."""
    made: dict[int, DemoCounty] = {}

    def get(seed: int) -> DemoCounty:
        if seed not in made:
            made[seed] = DemoCounty(tmp_path_factory.mktemp(f"demo_seed{seed}"), seed,
                                    DEMO_PEOPLE)
        return made[seed]

    return get


@pytest.fixture
def duck(tmp_path: Path) -> Warehouse:
    return Warehouse.from_url(f"duckdb://{tmp_path / 'wh.duckdb'}")


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Warehouse]:
    wh = Warehouse.from_url(postgres_url, schema=f"sanji_test_{uuid.uuid4().hex[:10]}")
    yield wh
    wh.drop_schema()


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def wh(request: pytest.FixtureRequest) -> Warehouse:
    return request.getfixturevalue("duck" if request.param == "duckdb" else "pg")
