"""Empty and partial nights are refused, the last publication intact, unless confirmed."""

from __future__ import annotations

import polars as pl
import pytest
from night_tables import MONTH, SLICED, assert_one_run, landing, run_tables

from pipelines.guard import LandingSnapshot, NightPolicy, NightRefused, judge_night
from pipelines.night import NightRun, publish_night
from pipelines.warehouse import Warehouse, publications

LAST = {"poverty_roster": 100, "death_record": 4, "regions": 30, "insurance_enrolment": 1000}
CASES = [
    {"description": "same night again", "tonight": LAST, "policy": NightPolicy(),
     "refused": False, "verdicts": dict.fromkeys(LAST, "ok")},
    {"description": "a 0-byte death file: empty", "tonight": {**LAST, "death_record": 0},
     "policy": NightPolicy(), "refused": True, "verdicts": {"death_record": "empty"}},
    {"description": "no death file: missing", "tonight": {k: v for k, v in LAST.items()
                                                          if k != "death_record"},
     "policy": NightPolicy(), "refused": True, "verdicts": {"death_record": "missing"}},
    {"description": "missing, confirmed", "tonight": {k: v for k, v in LAST.items()
                                                      if k != "death_record"},
     "policy": NightPolicy(allow_missing=frozenset({"death_record"})), "refused": False,
     "verdicts": {"death_record": "allowed_missing"}},
    {"description": "half-copied enrolment", "tonight": {**LAST, "insurance_enrolment": 400},
     "policy": NightPolicy(), "refused": True, "verdicts": {"insurance_enrolment": "dropped"}},
    {"description": "drop within the threshold", "tonight": {**LAST, "insurance_enrolment": 500},
     "policy": NightPolicy(), "refused": False, "verdicts": {"insurance_enrolment": "ok"}},
    {"description": "a stricter threshold", "tonight": {**LAST, "insurance_enrolment": 850},
     "policy": NightPolicy(max_drop=0.1), "refused": True,
     "verdicts": {"insurance_enrolment": "dropped"}},
    {"description": "drop confirmed", "tonight": {**LAST, "insurance_enrolment": 10},
     "policy": NightPolicy(allow_drop=True), "refused": False,
     "verdicts": {"insurance_enrolment": "allowed_drop"}},
    {"description": "a new extract", "tonight": {**LAST, "chronic_followup": 7},
     "policy": NightPolicy(), "refused": False, "verdicts": {"chronic_followup": "new"}},
    {"description": "an empty landing, whatever is confirmed", "tonight": {},
     "policy": NightPolicy(allow_missing=frozenset(LAST), allow_drop=True), "refused": True,
     "verdicts": {"(landing)": "empty_landing"}},
    {"description": "files with no row at all", "tonight": dict.fromkeys(LAST, 0),
     "policy": NightPolicy(), "refused": True, "verdicts": {"(landing)": "empty_landing"}},
]


@pytest.mark.parametrize("case", CASES, ids=[c["description"] for c in CASES])
def test_judge_night(case: dict) -> None:
    verdict = judge_night(LAST, case["tonight"], case["policy"], last_version=7)
    got = {d.extract: d.verdict for d in verdict.decisions}
    assert verdict.refused is case["refused"]
    assert {k: got[k] for k in case["verdicts"]} == case["verdicts"]
    assert verdict.frame().height == len(verdict.decisions)
    if verdict.refused:
        assert verdict.message.startswith("refusing to publish tonight; the previous "
                                          "publication (version 7) stays as it is.")


def test_messages_say_what_and_how_to_confirm() -> None:
    verdict = judge_night(LAST, {"poverty_roster": 100, "insurance_enrolment": 300,
                                 "regions": 30, "death_record": 0})
    assert "death_record: empty: its files hold no accepted row, last time 4 rows" in \
        verdict.message
    assert "insurance_enrolment: rows dropped 1000 -> 300 rows (-70%), more than 50%" in \
        verdict.message
    assert "confirms with --allow-missing death_record --allow-drop (in Dagster" in verdict.message
    assert "regions" not in verdict.message  # only what stops the night, never every decision
    first = judge_night(None, {"poverty_roster": 0})
    assert not first.refused and first.decisions[0].verdict == "new"


def test_bad_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="max_drop"):
        NightPolicy(max_drop=0)
    with pytest.raises(ValueError, match=r"allow_missing names unknown extracts \['deaths'\]"):
        judge_night(LAST, LAST, NightPolicy(allow_missing=frozenset({"deaths"})))


def test_landing_snapshot_masks_ids_in_file_names() -> None:
    files = pl.DataFrame({"source_file": ["死亡_410526199001011234.csv", "roster.xlsx",
                                          "roster.xlsx"],
                          "sheet": ["", "A", "B"], "extract": ["death_record", "poverty_roster",
                                                               "poverty_roster"],
                          "department": ["civil", "poverty", "poverty"],
                          "encoding": ["utf-8", "", ""], "sha256": ["a" * 64, "b" * 64, "b" * 64],
                          "rows_read": [3, 5, 6]})
    accounting = files.select("source_file", "sheet", "extract", "rows_read",
                              rows_accepted=pl.Series([0, 4, 6]), rows_quarantined=pl.lit(0))
    snap = LandingSnapshot.from_ingest(files, accounting)
    assert snap.extract_rows == {"death_record": 0, "poverty_roster": 10}
    assert "410526199001011234" not in str(snap.files)
    assert [f["source_file"] for f in snap.files] == ["roster.xlsx", "roster.xlsx",
                                                      "死亡_410526********1234.csv"]


def night(wh: Warehouse, run_id: str, people: int, **kwargs):
    snap = kwargs.pop("snap", None) or landing(people)
    return publish_night(wh, NightRun(run_id, MONTH), run_tables(people), snap,
                         month_sliced=SLICED, **kwargs)


@pytest.mark.parametrize(("snap", "policy", "what"), [
    (landing(0, drop={"poverty_roster", "insurance_enrolment", "death_record", "regions"}),
     NightPolicy(allow_drop=True), "(landing): the landing folder holds no accepted row"),
    (landing(200, drop={"death_record"}), NightPolicy(), "death_record: missing: no file"),
    (landing(200, empty={"death_record"}), NightPolicy(), "death_record: empty"),
    (landing(200, scale=0.3), NightPolicy(), "insurance_enrolment: rows dropped 200 -> 60"),
])
def test_a_bad_night_is_refused_and_the_last_publication_stays(
        wh: Warehouse, snap: LandingSnapshot, policy: NightPolicy, what: str) -> None:
    good = night(wh, "good", 200)
    assert not good.verdict.refused
    with pytest.raises(NightRefused, match="refusing to publish tonight") as refused:
        night(wh, "bad", 10, snap=snap, policy=policy)
    assert what in str(refused.value)
    assert assert_one_run(wh) == "good"
    row = publications(wh).filter(pl.col("run_id") == "bad").row(0, named=True)
    assert row["status"] == "refused" and what in row["message"] and row["guard"]


def test_a_confirmed_night_is_published(wh: Warehouse) -> None:
    night(wh, "good", 200)
    out = night(wh, "confirmed", 200, snap=landing(200, drop={"death_record"}, scale=0.2),
                policy=NightPolicy(allow_missing=frozenset({"death_record"}), allow_drop=True))
    verdicts = {d.extract: d.verdict for d in out.verdict.decisions}
    assert verdicts["death_record"] == "allowed_missing"
    assert verdicts["insurance_enrolment"] == "allowed_drop"
    assert assert_one_run(wh) == "confirmed"
    assert {d["verdict"] for d in out.publication.guard} >= {"allowed_missing", "allowed_drop"}
    assert "death_record" not in out.publication.extract_rows


def test_a_run_holding_the_lock_passes_it_in(wh: Warehouse) -> None:
    with wh.run_lock("whole-run") as lock:
        out = night(wh, "whole-run", 50, lock=lock)
        assert out.publication.version == 1 and lock.held
    with pytest.raises(ValueError, match="already released"):
        night(wh, "late", 50, lock=lock)
