"""A quiet night links the ingest cache's file of each unchanged extract table into the run
(not written again), computes the golden record only for the persons a changed record
touches, and publishes exactly what a night reading every file publishes."""

from __future__ import annotations

import shutil
from dataclasses import replace
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

CODE, MONTH = "411421", "2026-10"
SETTLEMENT = "医保局_住院结算明细.csv"
RUN_COLUMNS = ("run_id", "published_at")


def _night(root: Path, instance: DagsterInstance, full: bool = False):
    """A nightly run over ``root``'s landing; the link step always links fully, so the two
    second nights differ only in how ingest got its tables."""
    config = resource_config(landing=root / "landing", warehouse=root / "w.duckdb",
                             storage=root / "storage", archive=root / "archive",
                             outbox=root / "outbox", inbox=root / "inbox", today="2026-10-20",
                             settle_seconds=0, full=full)
    config = {**config, **publication_config(), "ops": {"link": {"config": {"full": True}}}}
    result = defs.resolve_job_def("nightly").execute_in_process(
        run_config=config, instance=instance, partition_key=partition(CODE, MONTH))
    assert result.success
    return result


def _from_cache(result) -> dict[str, bool]:
    """Each extract's ``from_cache`` (its table linked from the ingest cache)."""
    out = {}
    for event in result.get_asset_materialization_events():
        meta = event.step_materialization_data.materialization.metadata
        if "from_cache" in meta:
            out[event.asset_key.path[-1]] = meta["from_cache"].value
    return out


def _person_mode(result) -> dict:
    """The ``person`` step's golden-record metadata (mode, persons computed)."""
    event = next(e for e in result.get_asset_materialization_events()
                 if e.asset_key.path[-1] == "person")
    meta = event.step_materialization_data.materialization.metadata
    return {k: meta[k].value for k in ("mode", "mode_reason", "persons_recomputed", "rows",
                                       "golden_state_from")}


def _published(root: Path) -> dict[str, pl.DataFrame]:
    """Every published table of the month, without the run's own stamps."""
    store = Warehouse.from_url(str(root / "w.duckdb"))
    tables = {}
    for name in PUBLISHED_TABLES:
        if store.has_table(name):
            frame = store.read(name, month=MONTH) if "month" in store.read(name).columns \
                else store.read(name)
            tables[name] = frame.drop([c for c in RUN_COLUMNS if c in frame.columns])
    return tables


@pytest.fixture
def two_roots(tmp_path: Path) -> tuple[Path, Path]:
    """Two copies of one county whose first night ran, then only the settlements changed."""
    people = [replace(p, roles={"registered", "insured", "treated"})
              for p in tiny.people_of(CODE, 20)]
    more = [*people, replace(tiny.people_of(CODE, 1, first=20)[0], roles={"treated"})]
    tiny.write_county(tmp_path / "next", CODE, "清河县", MONTH, more)
    roots = (tmp_path / "quiet", tmp_path / "full")
    for root in roots:
        tiny.write_county(root / "landing", CODE, "清河县", MONTH, people)
        _night(root, DagsterInstance.ephemeral())
        shutil.copy(tmp_path / "next" / SETTLEMENT, root / "landing" / SETTLEMENT)
    return roots


def test_a_quiet_night_reuses_unchanged_tables_and_publishes_what_a_full_night_does(
        two_roots: tuple[Path, Path]) -> None:
    quiet_root, full_root = two_roots
    quiet = _night(quiet_root, DagsterInstance.ephemeral())
    full = _night(full_root, DagsterInstance.ephemeral(), full=True)
    reused = _from_cache(quiet)
    assert reused["settlement"] is False  # the changed file's table is written
    assert reused["enrolment"] is True and reused["poverty_roster"] is True
    assert not any(_from_cache(full).values())  # --full writes every table
    linked = next((quiet_root / "storage" / "runs" / quiet.run_id / "enrolment").rglob(
        "*.parquet"))
    kept = next((quiet_root / "storage" / "ingest-cache").rglob("enrolment-*.parquet"))
    assert linked.stat().st_ino == kept.stat().st_ino  # the same file, not written again
    golden, everyone = _person_mode(quiet), _person_mode(full)
    assert golden["mode"] == "incremental", golden["mode_reason"]
    assert 0 < golden["persons_recomputed"] < golden["rows"] // 2, golden
    assert "run " in golden["golden_state_from"]
    assert everyone["mode"] == "full" and "asked for" in everyone["mode_reason"]
    assert everyone["persons_recomputed"] == everyone["rows"] == golden["rows"]
    a, b = _published(quiet_root), _published(full_root)
    assert a.keys() == b.keys() and {"person", "person_source", "mismatch"} <= a.keys()
    for name in a:
        assert_frame_equal(a[name], b[name], check_row_order=True)
