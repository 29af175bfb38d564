"""One tiny county, materialised once per session, shared by the Dagster-layer tests."""

from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import DagsterInstance

from assets.cli import graph_resources, run_graph
from pipelines.demo import generate_county

MONTH = "2026-10"
TODAY = "2026-11-20"

def write_county(out: Path) -> Path:
    """The demo county (300 people, seed 3); returns its landing folder."""
    generate_county(300, 3, out)
    return out / "landing"


@dataclass
class County:
    """A materialised county: folders, warehouse, the run's result."""

    root: Path
    landing: Path
    warehouse: str
    resources: dict
    result: object


def county_resources(root: Path, landing: Path) -> dict:
    """Resources over a county's temporary folders, clock pinned to ``TODAY``."""
    return graph_resources(str(landing), str(root / "sanji.duckdb"), str(root / "storage"),
                           str(root / "outbox"), str(root / "inbox"), today=TODAY,
                           settle_seconds=0)


@pytest.fixture(scope="session")
def county(tmp_path_factory) -> County:
    """The tiny county, materialised for ``MONTH`` (whole graph)."""
    root = tmp_path_factory.mktemp("county")
    landing = write_county(root)
    resources = county_resources(root, landing)
    result = run_graph(resources, MONTH, dagster_instance=DagsterInstance.ephemeral())
    return County(root, landing, str(root / "sanji.duckdb"), resources, result)


@pytest.fixture
def county_copy(county, tmp_path) -> County:
    """A private copy of the materialised county (warehouse and storage) for tests that write."""
    import shutil

    root = tmp_path / "county"
    shutil.copytree(county.root, root)
    landing = root / "landing"
    return County(root, landing, str(root / "sanji.duckdb"), county_resources(root, landing),
                  county.result)
