"""Returned work lists taken in: archived under their month, 非同一人 decided once."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from case_frames import answer, answers, mismatch, records

from pipelines.cases import track_cases
from pipelines.cases.intake import new_decisions, receive_worklists, township_table


def _cases() -> pl.DataFrame:
    rows = mismatch(("dead_but_active", "P1", None, "death|1,enrolment|2"),
                    ("not_insured", "P2", None, "poverty_roster|3"))
    return track_cases(None, rows, records({"death|1": "P1", "enrolment|2": "P1",
                                            "poverty_roster|3": "P2"}), "2026-10")


def test_not_same_person_is_decided_once_and_an_unpairable_case_reported() -> None:
    cases = _cases()
    dead, lone = (cases.filter(pl.col("rule") == r)["case_id"].item()
                  for r in ("dead_but_active", "not_insured"))
    said = answers(answer(dead, "非同一人"), answer(lone, "非同一人", row=4))
    decisions, problems = new_decisions(said, cases, None)
    assert decisions.select("record_key_l", "record_key_r", "decision").rows() == [
        ("Kdeath|1", "Kenrolment|2", "no_link")]
    assert problems["problem"].to_list() == ["not_same_person_unpaired"]
    again, _ = new_decisions(said, cases, decisions)  # the same file read on a later run
    assert again.height == 0


def test_lists_are_archived_under_their_month_or_left_and_named(tmp_path) -> None:
    named = tmp_path / "问题清单_一镇_2026-10.xlsx"
    named.write_bytes(b"filled")
    nameless = tmp_path / "问题清单.xlsx"
    nameless.write_bytes(b"no month anywhere")
    got = receive_worklists([named, nameless], tmp_path / "archive")
    assert [(a.month, a.original_name) for a in got.archived] == [("2026-10", named.name)]
    assert got.unplaced == [nameless.name]
    same = receive_worklists([named], tmp_path / "archive")  # the same bytes again: kept once
    assert same.archived[0].path == got.archived[0].path


def test_township_table_names_the_townships() -> None:
    regions = pl.DataFrame({"code": ["410100001000"], "name": ["一镇"], "level": ["township"]})
    table = township_table(_cases(), regions)
    assert table.row(0, named=True) == {"township": "一镇", "cases_new": 2, "cases_open": 2,
                                        "cases_overdue": 0, "cases_resolved": 0,
                                        "cases_explained": 0}
