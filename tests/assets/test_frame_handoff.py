"""In one process a run's later steps read its frames from memory (``pipelines.warehouse.handoff``)
and publish exactly what they publish reading every frame from its file; every frame held is
read as often as the run's plan said, so none is left held after the run."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import sanji_tests_tiny as tiny
from dagster import DagsterInstance
from polars.testing import assert_frame_equal

from assets.definitions import defs
from assets.publication import publication_config
from assets.resources import resource_config
from assets.settings import partition
from pipelines.domain.county import PUBLISHED_TABLES
from pipelines.warehouse import Warehouse
from pipelines.warehouse.handoff import HANDOFF

CODE, MONTH = "411421", "2026-10"


def _night(root: Path) -> dict[str, pl.DataFrame]:
    """A nightly run over ``root``'s landing; its published tables without the run's stamps."""
    config = resource_config(landing=root / "landing", warehouse=root / "w.duckdb",
                             storage=root / "storage", archive=root / "archive",
                             outbox=root / "outbox", inbox=root / "inbox", today="2026-10-20",
                             settle_seconds=0)
    result = defs.resolve_job_def("nightly").execute_in_process(
        run_config={**config, **publication_config()}, instance=DagsterInstance.ephemeral(),
        partition_key=partition(CODE, MONTH))
    assert result.success
    store = Warehouse.from_url(str(root / "w.duckdb"))
    return {name: store.read(name).drop("run_id", "published_at", strict=False)
            for name in PUBLISHED_TABLES if store.has_table(name)}


def test_frames_read_from_memory_publish_what_frames_read_from_files_do(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    people = tiny.people_of(CODE, 12)
    for name in ("memory", "files"):
        tiny.write_county(tmp_path / name / "landing", CODE, "清河县", MONTH, people)
    from_memory = _night(tmp_path / "memory")
    served = HANDOFF.served
    assert served >= 10, served  # person_links, person, the staged tables …
    assert HANDOFF.held_bytes() == 0  # each frame read as often as the plan said
    monkeypatch.setattr(HANDOFF, "budget_bytes", 0)  # nothing held: every read from the file
    from_files = _night(tmp_path / "files")
    assert HANDOFF.served == 0
    assert from_memory.keys() == from_files.keys() and {"person", "person_source"} <= set(
        from_memory)
    for name, frame in from_memory.items():
        assert_frame_equal(frame, from_files[name], check_row_order=True)
