"""Nights through Dagster: the second night links incrementally on the state the published run
kept (never a refused run's), and ``--full`` (``landing.cold``) or ``LinkConfig.full`` forces a
full night. ``person_links`` says which mode ran and why."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import sanji_tests_tiny as tiny
from dagster import DagsterInstance

from assets.definitions import defs
from assets.publication import publication_config
from assets.resources import resource_config
from assets.settings import partition

CODE, MONTH = "411421", "2026-10"
SETTLEMENT = "医保局_住院结算明细.csv"


def _night(root: Path, instance: DagsterInstance, full: bool = False, link: dict | None = None):
    config = resource_config(landing=root / "landing", warehouse=root / "w.duckdb",
                             storage=root / "storage", archive=root / "archive",
                             outbox=root / "outbox", inbox=root / "inbox", today="2026-10-20",
                             settle_seconds=0, full=full)
    config = {**config, **publication_config()}
    if link:
        config["ops"] = {"link": {"config": link}}
    return defs.resolve_job_def("nightly").execute_in_process(
        run_config=config, instance=instance, partition_key=partition(CODE, MONTH),
        raise_on_error=False)


def _mode(result) -> dict:
    """person_links' link metadata of a night."""
    event = next(e for e in result.get_asset_materialization_events()
                 if e.asset_key.path[-1] == "person_links")
    meta = event.step_materialization_data.materialization.metadata
    return {k: meta[k].value for k in ("link_mode", "link_mode_reason", "link_state_from",
                                       "records_new_or_changed", "pairs_kept", "block_mode")}


def test_a_second_night_links_incrementally_and_full_is_one_flag_away(tmp_path: Path):
    people = [replace(p, roles={"registered", "insured", "treated"})
              for p in tiny.people_of(CODE, 20)]
    tiny.write_county(tmp_path / "landing", CODE, "清河县", MONTH, people)
    more = [*people, replace(tiny.people_of(CODE, 1, first=20)[0], roles={"treated"})]
    tiny.write_county(tmp_path / "next", CODE, "清河县", MONTH, more)
    instance = DagsterInstance.ephemeral()
    first = _night(tmp_path, instance)
    assert first.success
    assert _mode(first)["link_mode"] == "full"
    assert "no kept linkage state" in _mode(first)["link_mode_reason"]

    settlement = tmp_path / "landing" / SETTLEMENT
    settlement.write_bytes(settlement.read_bytes().split(b"\n")[0] + b"\n")
    assert not _night(tmp_path, instance).success  # refused: its state is never read

    shutil.copy(tmp_path / "next" / SETTLEMENT, settlement)  # only this file changed
    second = _night(tmp_path, instance)
    assert second.success
    mode = _mode(second)
    assert mode["link_mode"] == "incremental", mode["link_mode_reason"]
    assert first.run_id in mode["link_state_from"]
    assert mode["records_new_or_changed"] >= 1 and mode["pairs_kept"] > 0
    assert mode["block_mode"] == "touched blocks only"  # the kept state's blocks and pairs

    forced = _night(tmp_path, instance, full=True)  # what `sanji run --full` configures
    assert forced.success
    assert _mode(forced)["link_mode"] == "full"
    assert _mode(forced)["block_mode"] == "every record"
    assert "asked" in _mode(forced)["link_mode_reason"]
    by_config = _night(tmp_path, instance, link={"full": True})
    assert by_config.success
    assert _mode(by_config)["link_mode"] == "full"
