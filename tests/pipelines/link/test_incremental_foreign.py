"""Incremental nights on a county sanji never generated (``benchmarks/foreign_county``).

Night 1 reads and links the foreign county in full. Night 2 reads its landing files again
after one change, as the departments make them: the settlement workbook with new stays
appended, an enrolment row renamed (to a name another resident holds), an enrolment row
removed, an enrolment ID mistyped (two digits swapped), an enrolment row moved to another
village, a steward's decisions added — and all of them at once. The incremental night (the kept
state) must give the pairs, statuses, uncertain pairs and people (person ids) of a full night
that compares every pair with the same kept model. Rows ingest sets aside are not linked on
either night: the comparison is on what is linked.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
import sanji_tests_nights as nights

from pipelines.ingest import ingest_landing, person_records
from pipelines.link import LinkSettings, link_records, record_evidence
from pipelines.link.incremental import LinkState

DAY = date(2025, 10, 8)
STAYS = 8


def _read(landing: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    ingested = ingest_landing(landing, as_of=DAY)
    return person_records(ingested.tables), record_evidence(ingested.tables)


@pytest.fixture(scope="module")
def night1(foreign_landing: Path):
    records, evidence = _read(foreign_landing)
    return records, link_records(records, evidence=evidence, today=DAY)


def _decisions(first) -> pl.DataFrame:
    """The steward separates a linked pair and joins an uncertain one (or a rejected one)."""
    keys = dict(first.links.select("record_id", "record_key").iter_rows())
    linked = first.pairs.filter(pl.col("status") == "linked").row(0, named=True)
    queued = first.pairs.filter(pl.col("status").is_in(["uncertain", "rejected"])).sort(
        "status", descending=True).row(0, named=True)
    return pl.DataFrame({
        "record_key_l": [keys[linked["record_id_l"]], keys[queued["record_id_l"]]],
        "record_key_r": [keys[linked["record_id_r"]], keys[queued["record_id_r"]]],
        "decision": ["no_link", "link"], "decided_by": ["王芳", "王芳"],
        "decided_at": ["2025-10-09 09:00:00", "2025-10-09 09:05:00"],
    })


def _change(landing: Path, what: str) -> None:
    """Night 2's change to the landing files (``decision`` changes no file)."""
    if what in ("new stays", "all"):
        assert nights.append_stays(landing / nights.FOREIGN_SETTLEMENTS, STAYS) == STAYS
    if what in ("renamed", "all"):
        old, new = nights.rename(landing / nights.FOREIGN_ENROLMENT, 120, 700, "人员姓名")
        assert old != new
    if what in ("removed", "all"):
        nights.remove(landing / nights.FOREIGN_ENROLMENT, 900)
    if what in ("ID mistyped", "all"):  # two digits swapped: that ID's other records change
        nights.retype(landing / nights.FOREIGN_ENROLMENT, 300, "证件号码", _swapped)
    if what in ("moved", "all"):
        nights.rename(landing / nights.FOREIGN_ENROLMENT, 400, 1500, "村（社区）")


def _swapped(pid: str) -> str:
    """The ID with its 9th and 10th characters swapped (the year's last two digits)."""
    return pid[:8] + pid[9] + pid[8] + pid[10:] if pid[8] != pid[9] else pid[:8] + "00" + pid[10:]


def _kept_model_full(records, evidence, state, previous, decisions):
    """A full night (every pair compared) with the kept model: a state without records."""
    bare = LinkState(state.model, state.records.head(0), state.pairs.head(0))
    return link_records(records, settings=LinkSettings(refit_new_share=1.0), evidence=evidence,
                        state=bare, previous_ids=previous, decisions=decisions,
                        today=DAY + timedelta(days=1))


@pytest.mark.parametrize("what", ["new stays", "renamed", "removed", "ID mistyped", "moved",
                                  "decision", "all"])
def test_an_incremental_night_on_the_foreign_county_is_the_full_night(
        night1, foreign_landing: Path, tmp_path: Path, what: str) -> None:
    records, first = night1
    landing = tmp_path / "landing"
    shutil.copytree(foreign_landing, landing)
    _change(landing, what)
    records2, evidence2 = _read(landing)
    decisions = _decisions(first) if what in ("decision", "all") else None
    inc = link_records(records2, evidence=evidence2, state=first.state,
                       previous_ids=first.id_map, decisions=decisions,
                       today=DAY + timedelta(days=1))
    full = _kept_model_full(records2, evidence2, first.state, first.id_map, decisions)
    assert inc.stats["link_mode"] == "incremental", inc.stats["link_mode_reason"]
    assert full.stats["pairs_kept"] == 0
    changed = {"new stays": STAYS, "renamed": 1, "removed": 0, "ID mistyped": 1, "moved": 1,
               "decision": 0, "all": STAYS + 3}[what]
    assert inc.stats["records_new_or_changed"] >= changed
    if what == "decision":
        assert inc.stats["pairs_compared"] == 0  # nothing to compare: statuses decided afresh
        assert set(inc.pairs["status"]) >= {"decided_link", "decided_no_link"}
    elif what != "removed":  # a record gone only drops its pairs (unless a name count moves)
        assert 0 < inc.stats["pairs_compared"] < 0.2 * inc.pairs.height
    assert records2.height - records.height == {"new stays": STAYS, "removed": -1,
                                                "all": STAYS - 1}.get(what, 0)
    by_pair = ["record_id_l", "record_id_r"]
    assert inc.pairs.drop("explain").sort(by_pair).equals(full.pairs.drop("explain").sort(by_pair))
    assert inc.uncertain.sort(by_pair).equals(full.uncertain.sort(by_pair))
    people = ["record_id", "record_key", "person_id", "cluster_size"]
    assert inc.links.select(people).sort("record_id").equals(
        full.links.select(people).sort("record_id"))
    assert inc.id_map.sort("record_key").equals(full.id_map.sort("record_key"))
